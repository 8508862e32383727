"""Intel HEX as sdldpdk writes it for PDK13: word w at byte address 2w, low byte first.

Only record types 00 (data) and 01 (end of file) occur; records hold up to 32 data bytes.
"""

from __future__ import annotations

import numpy as np

from ..device import BLANK_WORD, ROM_WORDS
from ..errors import HexError
from ..isa import WORD_MASK

RECORD_BYTES = 32


MAX_HEX_BYTES = 4 << 20  # a full 1024-word image is about 3 KB of HEX
_BLANKS = " \t\r\f\v"  # ASCII white space around a record; lines end at \n only


def parse_ihx(text: str | bytes) -> tuple[np.ndarray, np.ndarray]:
    """Words (uint16[1024], blank 0x1FFF where absent) and the mask of words the file writes.

    A record must hold whole words (even address, even byte count); a later record may not
    rewrite a word an earlier one wrote with a different value. Lines end at a line feed
    (as in the assembler), so line numbers are those an editor shows.
    """
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("ascii", "surrogateescape")  # other bytes: not hexadecimal
    words = np.full(ROM_WORDS, BLANK_WORD, dtype=np.uint16)
    written = np.zeros(ROM_WORDS, dtype=bool)
    ended = False
    for number, raw_line in enumerate(text.split("\n"), 1):
        line = raw_line.strip(_BLANKS)
        if not line:
            continue
        if ended:
            raise HexError(f"line {number}: data after the end-of-file record")
        record = _record(line, number)
        count, address, kind, data = record
        if kind == 1:
            ended = True
            continue
        if count % 2 or address % 2:
            raise HexError(
                f"line {number}: record at byte 0x{address:04x} with {count} bytes "
                "does not hold whole 16-bit words"
            )
        for n in range(0, count, 2):
            word_address = (address + n) // 2
            value = data[n] | data[n + 1] << 8
            if word_address >= ROM_WORDS:
                raise HexError(
                    f"line {number}: word address 0x{word_address:x} beyond ROM "
                    f"(0..0x{ROM_WORDS - 1:x})"
                )
            if value > WORD_MASK:
                raise HexError(
                    f"line {number}: word 0x{value:04x} at 0x{word_address:03x} "
                    "is wider than 13 bits"
                )
            if written[word_address] and words[word_address] != value:
                raise HexError(f"line {number}: word 0x{word_address:03x} written twice")
            words[word_address] = value
            written[word_address] = True
    if not ended:
        raise HexError("missing end-of-file record (:00000001FF)")
    return words, written


def _record(line: str, number: int) -> tuple[int, int, int, bytes]:
    if not line.startswith(":"):
        raise HexError(f"line {number}: record does not start with ':'")
    try:
        if not line[1:].isascii() or line[1:].strip("0123456789abcdefABCDEF"):
            raise ValueError  # fromhex would skip white space inside the record
        raw = bytes.fromhex(line[1:])
    except ValueError:
        raise HexError(f"line {number}: record is not hexadecimal") from None
    if len(raw) < 5 or len(raw) != raw[0] + 5:
        raise HexError(f"line {number}: record length does not match its byte count")
    if sum(raw) & 0xFF:
        expected = (-sum(raw[:-1])) & 0xFF
        raise HexError(f"line {number}: bad checksum 0x{raw[-1]:02x}, expected 0x{expected:02x}")
    count, address, kind = raw[0], raw[1] << 8 | raw[2], raw[3]
    if kind not in (0, 1):
        raise HexError(f"line {number}: unsupported record type {kind:02x}")
    if kind == 1 and (count or address):
        raise HexError(f"line {number}: malformed end-of-file record")
    return count, address, kind, raw[4:-1]


def format_ihx(words: np.ndarray, written: np.ndarray) -> str:
    """HEX text for the written words: runs of consecutive words, 32 bytes per record."""
    lines = []
    address = 0
    while address < ROM_WORDS:
        if not written[address]:
            address += 1
            continue
        end = address
        while end < ROM_WORDS and written[end] and end - address < RECORD_BYTES // 2:
            end += 1
        data = bytearray()
        for w in range(address, end):
            data += bytes((int(words[w]) & 0xFF, int(words[w]) >> 8))
        lines.append(_format_record(2 * address, 0, bytes(data)))
        address = end
    lines.append(_format_record(0, 1, b""))
    return "\n".join(lines) + "\n"


def _format_record(address: int, kind: int, data: bytes) -> str:
    raw = bytes((len(data), address >> 8, address & 0xFF, kind)) + data
    return ":" + (raw + bytes(((-sum(raw)) & 0xFF,))).hex().upper()
