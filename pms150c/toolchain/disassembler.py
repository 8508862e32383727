"""Words back to sdaspdk13 source, derived from the instruction table.

`disassemble` writes one line per word with numeric operands only, so the text is
position independent: `goto`/`call` targets are word addresses, which sdaspdk13 (and our
assembler) take as word addresses wherever the line ends up.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .. import isa, validate
from ..device import ROM_WORDS
from ..errors import ImageError
from ..image import check_words

_FORMAT = {
    "M": "0x{:02x}",
    "M4": "0x{:02x}",
    "MW": "0x{:02x}",
    "IO": "0x{:02x}",
    "k": "#0x{:02x}",
    "n": "#{}",
    "K": "0x{:03x}",
}


def disassemble_word(word: int) -> str:
    """One word as an instruction, or as a marked data word if no instruction owns it."""
    word = validate.integer(word, "word", error=ImageError, hexadecimal=True)
    if not 0 <= word <= isa.WORD_MASK:
        raise ImageError(f"word {validate.show_int(word, True)} is not a 13-bit word")
    instr = isa.lookup(word)
    if instr is None:
        return f".dw 0x{word:04x} ; invalid"
    values = iter(instr.decode(word))
    operands = [
        o if isa.KINDS[o].literal else _FORMAT[o].format(next(values)) for o in instr.operands
    ]
    return f"{instr.mnemonic} {', '.join(operands)}" if operands else instr.mnemonic


def disassemble(words, start: int = 0) -> list[str]:
    """One line per word, reassemblable to the same words (``start`` is only accepted for
    symmetry with the listing: the text holds no addresses)."""
    validate.integer(start, "start", 0, ROM_WORDS - 1, error=ImageError)
    return [disassemble_word(w) for w in check_words(words, "words").ravel()]


def disassemble_source(image) -> list[str]:
    """An `Image` as a source file that assembles back to the same written words.

    Each run of written words starts with an ``.org`` (a byte address, as sdaspdk13 counts)
    in one absolute area.
    """
    lines = ["\t.area ROM (ABS)"]
    previous = -2
    for address in np.flatnonzero(image.written):
        if address != previous + 1:
            lines.append(f"\t.org 0x{2 * int(address):04x}")
        lines.append("\t" + disassemble_word(int(image.words[address])))
        previous = address
    return lines


def disassemble_listing(words_or_image, start: int = 0) -> list[str]:
    """Address, word and instruction per line, with the image's labels when it has them.

    An `Image` is listed over its written words only; a plain array over all its words,
    which sit at ``start``, ``start + 1``...
    """
    return [text for _, text in listing_rows(words_or_image, start)]


def listing_rows(words_or_image, start: int = 0) -> Iterator[tuple[int | None, str]]:
    """The lines of `disassemble_listing`, each with the word address it lists (None for a
    label line), so a caller can annotate a word without reading the address back."""
    labels: dict[int, list[str]] = {}
    if hasattr(words_or_image, "words"):
        image = words_or_image
        for name, address in image.labels.items():
            labels.setdefault(address, []).append(name)
        cells = [(int(a), int(image.words[a])) for a in np.flatnonzero(image.written)]
    else:
        words = check_words(words_or_image, "words").ravel()
        start = validate.integer(start, "start", 0, ROM_WORDS - 1, error=ImageError)
        cells = [(start + n, int(w)) for n, w in enumerate(words)]
    for address, word in cells:
        for name in labels.get(address, ()):
            yield None, f"{name}:"
        text = disassemble_word(word)
        instr = isa.lookup(word)
        if instr is not None and instr.op in ("GOTO", "CALL"):
            target = instr.decode(word)[0]
            if target in labels:
                text += f"  ; {labels[target][0]}"
        yield address, f"  {address:03x}:  {word:04x}  {text}"
