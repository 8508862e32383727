"""The factory system area of the ROM (words 0x3F0-0x3FF) and the fuse word it ends with.

A PMS150C leaves the factory with two words of its system area programmed: the band-gap
trim as a ``ret #k`` at 0x3F6 (firmware reads it with ``call 0x3f6; mov.io bgtr, a``) and
the fuse word (the code options of DS 8) at 0x3FF. Programmers (easypdkprog) do not write
0x3F6; firmware may write its own fuse word (pdk-includes ``PDK_SET_FUSE``). So a Machine
loads these two words wherever the image leaves them blank, and the host may override both
(``Machine(image, bgtr=..., fuse=...)``).

Sources: DS 5.1 table 1 (0x3F0-0x3FF "system using"), DS 8 (the code options: security,
LVR, boot-up time, drive), pdk-includes ``device/pms150c.h`` (FACTORY_BGTR_ADDR = 0x3F6,
FUSE_WORD_ADDR = 0x3FF, the fuse bit fields and the blank IC value 0x0FFD). Both
interpreters load the area through `system_area`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import isa, validate
from .device import ROM_WORDS
from .errors import ArgumentError

BGTR_ADDRESS = 0x3F6  # pdk-includes FACTORY_BGTR_ADDR
FUSE_ADDRESS = 0x3FF  # pdk-includes FUSE_WORD_ADDR
# The trim a chip returns from 0x3F6. Each chip has its own; the DS does not document BGTR
# at all. Our choice: mid-scale 0x80 (the simulator's band-gap is 1.20 V whatever BGTR holds).
FACTORY_BGTR = 0x80
# The fuse word of a blank IC (pdk-includes): security off, LVR 2.0 V, normal drive, fast
# boot-up.
FACTORY_FUSE = 0x0FFD
# Bits a fuse word written by firmware must have set (pdk-includes FUSE_RES_BITS_HIGH).
FUSE_FIXED_BITS = 0x0260

# LVR level by fuse bits 4:2 (pdk-includes FUSE_LVR_*), in millivolts; DS 1.2 lists the eight.
LVR_MILLIVOLTS = (4000, 3500, 3000, 2750, 2500, 1800, 2200, 2000)
BOOT_FAST_BITS = 0b11 << 10  # bits 11:10 (FUSE_BOOTUP_FAST); 00 = slow
DRIVE_NORMAL_BIT = 1 << 7  # 0 = low drive and sink current (FUSE_IO_DRV_LOW)
SECURITY_OFF_BIT = 1 << 0  # 0 = the OTP content cannot be read back


@dataclass(frozen=True)
class Fuse:
    """The fuse word (DS 8, "Code Options") decoded.

    ``security``: True when the OTP is protected (bit 0 = 0); it changes nothing the
    simulator runs (it only stops a programmer reading the ROM back). ``lvr_volts``: the
    low-voltage reset level (bits 4:2). ``boot``: ``"fast"`` or ``"slow"`` boot-up (bits
    11:10; only 11 is fast, our choice for the undocumented 01 and 10). ``drive``:
    ``"normal"`` or ``"low"`` IO drive (bit 7; the simulator has no electrical model, so it
    is reported, not used)."""

    word: int
    security: bool
    lvr_volts: float
    boot: str
    drive: str

    def __repr__(self) -> str:
        return (
            f"Fuse(0x{self.word:04x}: security {'on' if self.security else 'off'}, "
            f"LVR {self.lvr_volts:g} V, {self.boot} boot-up, {self.drive} drive)"
        )

    @property
    def lvr_millivolts(self) -> int:
        return LVR_MILLIVOLTS[(self.word >> 2) & 7]

    @property
    def fast_boot(self) -> bool:
        return self.boot == "fast"


def decode_fuse(word: int) -> Fuse:
    """The fields of a 13-bit fuse word."""
    word = validate.integer(word, "fuse word", 0, isa.WORD_MASK, hexadecimal=True)
    return Fuse(
        word=word,
        security=not word & SECURITY_OFF_BIT,
        lvr_volts=LVR_MILLIVOLTS[(word >> 2) & 7] / 1000,
        boot="fast" if word & BOOT_FAST_BITS == BOOT_FAST_BITS else "slow",
        drive="normal" if word & DRIVE_NORMAL_BIT else "low",
    )


def encode_fuse(
    *, security: bool = False, lvr: float = 2.0, boot: str = "fast", drive: str = "normal"
) -> int:
    """The fuse word firmware would write for these code options (with the fixed bits);
    ``lvr`` is one of the eight levels of DS 1.2 in volts."""
    millivolts = round(validate.number(lvr, "lvr") * 1000) if _is_number(lvr) else None
    if millivolts not in LVR_MILLIVOLTS:
        levels = ", ".join(f"{mv / 1000:g}" for mv in sorted(LVR_MILLIVOLTS))
        raise ArgumentError(f"lvr must be one of the LVR levels {levels} (volts), not {lvr!r}")
    if boot not in ("fast", "slow"):
        raise ArgumentError(f"boot must be 'fast' or 'slow', not {validate.describe(boot)}")
    if drive not in ("normal", "low"):
        raise ArgumentError(f"drive must be 'normal' or 'low', not {validate.describe(drive)}")
    word = FUSE_FIXED_BITS | LVR_MILLIVOLTS.index(millivolts) << 2
    if not validate.flag(security, "security"):
        word |= SECURITY_OFF_BIT
    if boot == "fast":
        word |= BOOT_FAST_BITS
    if drive == "normal":
        word |= DRIVE_NORMAL_BIT
    return word


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def fuse_word(fuse) -> int:
    """A `Fuse` or a 13-bit int as the fuse word."""
    if isinstance(fuse, Fuse):
        return fuse.word
    return validate.integer(fuse, "fuse", 0, isa.WORD_MASK, hexadecimal=True)


def system_area(
    words: np.ndarray, written: np.ndarray, *, bgtr: int | None = None, fuse=None
) -> tuple[np.ndarray, np.ndarray]:
    """The ROM a chip holds for an image: copies of `words` and `written` with the factory
    words at 0x3F6 (``ret #bgtr``) and 0x3FF (the fuse word) where the image leaves them
    blank, or wherever `bgtr` / `fuse` is given (the host's override wins over the image).
    The loaded words count as written (programmed)."""
    words = np.array(words, dtype=np.uint16)
    written = np.array(written, dtype=bool)
    if words.shape != (ROM_WORDS,) or written.shape != (ROM_WORDS,):
        raise ArgumentError(f"a ROM has {ROM_WORDS} words and a written mask of as many")
    if bgtr is not None or not written[BGTR_ADDRESS]:
        trim = FACTORY_BGTR if bgtr is None else validate.integer(bgtr, "bgtr", 0, 0xFF)
        words[BGTR_ADDRESS] = isa.BY_OP["RET_K"].encode(trim)
        written[BGTR_ADDRESS] = True
    if fuse is not None or not written[FUSE_ADDRESS]:
        words[FUSE_ADDRESS] = FACTORY_FUSE if fuse is None else fuse_word(fuse)
        written[FUSE_ADDRESS] = True
    return words, written
