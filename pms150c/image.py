"""A ROM image: 1024 words plus what the assembler knows about them.

Owner: the toolchain. This first version holds the data; Intel HEX input/output and the
listing are added by the toolchain module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .device import BLANK_WORD, ROM_WORDS
from .errors import ImageError
from .isa import WORD_MASK


@dataclass
class SourceLine:
    filename: str
    line: int
    text: str = ""


@dataclass
class Image:
    """Words of OTP ROM (blank words read 0x1FFF), symbols and a source map.

    ``symbols`` maps a name to its value as the assembler defines it (labels are *byte*
    addresses, twice the word address, as in sdaspdk13). ``source`` maps a word address to
    the `SourceLine` it came from. ``written`` marks the words a program defined.
    """

    words: np.ndarray
    symbols: dict[str, int] = field(default_factory=dict)
    source: dict[int, SourceLine] = field(default_factory=dict)
    written: np.ndarray | None = None

    def __init__(self, words=(), symbols=None, source=None, written=None):
        data = np.asarray(words, dtype=np.int64).ravel()
        if data.size > ROM_WORDS:
            raise ImageError(f"image has {data.size} words, the PMS150C has {ROM_WORDS}")
        if data.size and (data.min() < 0 or data.max() > WORD_MASK):
            raise ImageError("image words must be 13-bit values 0..0x1FFF")
        self.words = np.full(ROM_WORDS, BLANK_WORD, dtype=np.uint16)
        self.words[: data.size] = data
        if written is None:
            written = np.zeros(ROM_WORDS, dtype=bool)
            written[: data.size] = True
        self.written = np.asarray(written, dtype=bool)
        self.symbols = dict(symbols or {})
        self.source = dict(source or {})

    @property
    def used_words(self) -> int:
        """Number of words the program defines (the ROM it occupies)."""
        return int(self.written.sum())
