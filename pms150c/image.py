"""A ROM image: 1024 words plus what the assembler knows about them.

Owner: the toolchain. `Image(words)` wraps any array of up to 1024 words; the assembler
adds symbols, code labels and a source map; Intel HEX goes in and out in sdldpdk's layout
(word w at byte address 2w, low byte first). An .ihx read from a file brings the symbols
SDCC wrote beside it (pms150c/sdcc.py), so an SDCC build has names and C lines too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from .device import BLANK_WORD, ROM_WORDS
from .errors import ArgumentError, HexError, ImageError, printable
from .isa import WORD_MASK
from .validate import describe


@dataclass
class SourceLine:
    filename: str
    line: int
    text: str = ""

    def shown(self) -> str:
        """``file:line: text`` for a listing, trace or profile: one printable line (control
        characters of the source, a CR or NEL in a comment, escaped)."""
        text = self.text.strip(" \t")
        return printable(f"{self.filename}:{self.line}: {text}")


@dataclass
class Image:
    """Words of OTP ROM (blank words read 0x1FFF), symbols and a source map.

    ``symbols`` maps a name to its value as the assembler defines it (labels are *byte*
    addresses, twice the word address, as in sdaspdk13; constants their value).
    ``labels`` maps the labels that sit in ROM to their *word* address. ``source`` maps a
    word address to the `SourceLine` it came from (for an SDCC build its C line when
    known, else its assembly line). ``written`` marks the words a program defined.
    ``symbol_table`` is the `pms150c.symbols.SymbolTable` behind all of these (variables,
    functions, both line maps) when the image has one; it is not compared by ``==``.
    """

    words: np.ndarray
    symbols: dict[str, int] = field(default_factory=dict)
    source: dict[int, SourceLine] = field(default_factory=dict)
    written: np.ndarray | None = None
    labels: dict[str, int] = field(default_factory=dict)
    symbol_table: object = None

    def __init__(
        self, words=(), symbols=None, source=None, written=None, labels=None, symbol_table=None
    ):
        data = _integer_words(words)
        if data.size > ROM_WORDS:
            raise ImageError(f"image has {data.size} words, the PMS150C has {ROM_WORDS}")
        if data.size and (data.min() < 0 or data.max() > WORD_MASK):
            raise ImageError("image words must be 13-bit values 0..0x1FFF")
        self.words = np.full(ROM_WORDS, BLANK_WORD, dtype=np.uint16)
        self.words[: data.size] = data
        if written is None:
            written = np.zeros(ROM_WORDS, dtype=bool)
            written[: data.size] = True
        try:
            self.written = np.asarray(written, dtype=bool)
        except (TypeError, ValueError) as exc:
            raise ImageError(f"written mask must be an array of booleans ({exc})") from None
        if self.written.shape != (ROM_WORDS,):
            raise ImageError(f"written mask must have {ROM_WORDS} entries")
        self.symbols = _mapping(symbols, "symbols", str, int)
        self.source = _mapping(source, "source", int, SourceLine, ROM_WORDS)
        self.labels = _mapping(labels, "labels", str, int, None, ROM_WORDS)
        from .symbols import SymbolTable

        if symbol_table is not None and not isinstance(symbol_table, SymbolTable):
            raise ImageError(f"symbol_table must be a SymbolTable, not {describe(symbol_table)}")
        self.symbol_table = symbol_table

    def __eq__(self, other) -> bool:
        """Same words, same written mask, same symbols, labels and source map (the
        dataclass default compared the arrays with `==` and raised on their truth value)."""
        if not isinstance(other, Image):
            return NotImplemented
        return (
            np.array_equal(self.words, other.words)
            and np.array_equal(self.written, other.written)
            and (self.symbols, self.labels, self.source)
            == (other.symbols, other.labels, other.source)
        )

    @property
    def used_words(self) -> int:
        """Number of words the program defines (the ROM it occupies)."""
        return int(self.written.sum())

    @classmethod
    def from_ihx(cls, text_or_path, symbols=None) -> Image:
        """Read Intel HEX text, or a file when given a `Path` or a one-line string that is
        not a record (a file name).

        Raises `HexError` (with the record's line number, and the file's name when read
        from a file) on a bad checksum, a record type other than 00/01, a record that does
        not hold whole words, an address beyond the ROM or a word wider than 13 bits.

        ``symbols``: None (the default) reads the symbol files SDCC wrote beside a file
        (.map, .noi, .cdb, .rst/.lst, .sym of the same stem; none is fine); a path names
        them elsewhere (any of those files or their stem; then they must exist); a
        `SymbolTable` is used as it is; False reads none.
        """
        from .files import read_bytes
        from .toolchain.ihex import MAX_HEX_BYTES, parse_ihx
        from .validate import path as as_path

        text, path = text_or_path, None
        if isinstance(text_or_path, os.PathLike) or (
            isinstance(text_or_path, str)
            and not text_or_path.lstrip().startswith(":")
            and "\n" not in text_or_path
        ):
            path = as_path(text_or_path, "the HEX file name", error=HexError)
            shown = printable(str(path))
            text = read_bytes(
                path, MAX_HEX_BYTES, lambda reason: HexError(f"cannot read '{shown}': {reason}")
            )
        elif not isinstance(text_or_path, str | bytes | bytearray):
            raise ArgumentError(
                f"from_ihx takes HEX text, bytes or a path, not {describe(text_or_path)}"
            )
        try:
            words, written = parse_ihx(text)
        except HexError as exc:
            if path is None:
                raise
            raise HexError(f"{shown}: {exc}") from None  # name the file, as the assembler does
        image = cls(words, written=written)
        if symbols is False or (symbols is None and path is None):
            return image
        from .sdcc import load_sdcc_symbols
        from .symbols import SymbolTable

        if isinstance(symbols, SymbolTable):
            table = symbols
        elif symbols is None:
            table = load_sdcc_symbols(path, image.written)
        else:
            table = load_sdcc_symbols(symbols, image.written, required=True)
        image.attach_symbols(table)
        return image

    def attach_symbols(self, table) -> None:
        """Take names and line maps from a `SymbolTable`: ``labels`` from its code labels,
        ``symbols`` from labels (byte addresses, as sdaspdk13 counts), variables and
        constants, ``source`` from its C lines, or its assembly lines where a word has no
        C line."""
        from .symbols import SymbolTable

        if not isinstance(table, SymbolTable):
            raise ImageError(f"attach_symbols needs a SymbolTable, not {describe(table)}")
        self.symbol_table = table
        self.labels = dict(table.code)
        values = {name: 2 * word for name, word in table.code.items()}
        values.update({name: v.address for name, v in table.variables.items()})
        values.update(table.constants)
        self.symbols = values
        source = dict(table.asm_lines)
        source.update(table.lines)
        self.source = source

    def to_ihx(self) -> str:
        """Intel HEX of the written words (runs of 32 data bytes per record, as sdldpdk)."""
        from .toolchain.ihex import format_ihx

        return format_ihx(self.words, self.written)

    def listing(self) -> str:
        """Address, word, disassembly and source line of every written word."""
        from .toolchain.disassembler import listing_rows

        lines = []
        for address, text in listing_rows(self):
            src = self.source.get(address)
            if src is not None:
                text = f"{text:<44} ; {src.shown()}"
            lines.append(text)
        return "\n".join(lines) + "\n"


def _mapping(value, what: str, keys: type, values: type, key_limit=None, value_limit=None):
    """A copy of a dict argument of `Image`, its keys and values of the types it holds (ints
    as Python ints, addresses inside ROM): a wrong one fails here, not in a later listing."""
    from .validate import integer

    if value is None:
        return {}
    try:
        items = list(dict(value).items())
    except (TypeError, ValueError):
        raise ImageError(f"{what} must be a dict, not {describe(value)}") from None
    checked = {}
    for key, item in items:
        if keys is int:
            key = integer(key, f"a key of {what}", 0, key_limit - 1, error=ImageError)
        elif not isinstance(key, keys):
            raise ImageError(f"a key of {what} must be a str, not {describe(key)}")
        if values is int:
            high = None if value_limit is None else value_limit - 1
            low = None if value_limit is None else 0
            item = integer(item, f"{what}[{key!r}]", low, high, error=ImageError)
        elif not isinstance(item, values):
            raise ImageError(f"{what}[{key!r}] must be a {values.__name__}, not {describe(item)}")
        checked[key] = item
    return checked


def _integer_words(words) -> np.ndarray:
    """The words as a flat int64 array (see `check_words`)."""
    return check_words(words).ravel()


def check_words(words, what: str = "image words") -> np.ndarray:
    """`words` as int64 of the same shape, each a 13-bit value, refusing what would be
    silently cut: 1.5 is not a word, and a Python int too wide for int64 is out of range
    rather than an OverflowError. The one check of ROM words (`Image`, `run_batch`)."""
    try:
        raw = np.asarray(words)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ImageError(f"{what} must be an array of integers ({exc})") from None
    if raw.size == 0:
        return np.zeros(raw.shape, dtype=np.int64)
    if raw.dtype.kind == "O":
        values = raw.ravel().tolist()
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise ImageError(f"{what} must be integers")
        if not all(0 <= v <= WORD_MASK for v in values):
            raise ImageError(f"{what} must be 13-bit values 0..0x1FFF")
        return np.array(values, dtype=np.int64).reshape(raw.shape)
    if raw.dtype.kind not in "iu":
        kind = type(raw.ravel()[0].item()).__name__  # float, str, bool
        raise ImageError(f"{what} must be integers, not {kind} values")
    if raw.dtype.kind == "u" and raw.max() > WORD_MASK:  # before a uint64 wraps in int64
        raise ImageError(f"{what} must be 13-bit values 0..0x1FFF")
    data = raw.astype(np.int64)
    if data.min() < 0 or data.max() > WORD_MASK:
        raise ImageError(f"{what} must be 13-bit values 0..0x1FFF")
    return data
