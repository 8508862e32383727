"""Facts about the PMS150C chip itself: sizes, IO register names, reset values.

Sources: PMS150C datasheet v1.07 (register table, section 5/6) as summarised in
docs/peripherals.md. Kept apart from the ISA because a sibling chip (PMS15A) shares the
instruction set but not these numbers.
"""

from __future__ import annotations

ROM_WORDS = 1024
RAM_BYTES = 64
IO_REGS = 32
BLANK_WORD = 0x1FFF  # an unprogrammed OTP word reads as all ones (= call 0x3FF)
INTERRUPT_VECTOR = 0x010
PC_MASK = ROM_WORDS - 1

IHRC_HZ = 16_000_000
ILRC_HZ = 59_000  # datasheet DC table nominal; pdk-includes uses the same figure

# IO register addresses (datasheet register table).
IO_NAMES: dict[str, int] = {
    "flag": 0x00,
    "sp": 0x02,
    "clkmd": 0x03,
    "inten": 0x04,
    "intrq": 0x05,
    "t16m": 0x06,
    "tm2b": 0x09,
    "eoscr": 0x0A,
    "ihrcr": 0x0B,
    "integs": 0x0C,
    "padier": 0x0D,
    "pa": 0x10,
    "pac": 0x11,
    "paph": 0x12,
    "tm2s": 0x17,
    "bgtr": 0x19,
    "gpcc": 0x1A,
    "misc": 0x1B,
    "tm2c": 0x1C,
    "tm2ct": 0x1D,
    "gpcs": 0x1E,
    "ilrcr": 0x1F,
}
IO_ADDRESS_NAMES: dict[int, str] = {v: k for k, v in IO_NAMES.items()}

# IO values after reset where the datasheet gives one; every other register resets to 0.
IO_RESET: dict[int, int] = {
    IO_NAMES["clkmd"]: 0xF6,
    IO_NAMES["padier"]: 0xF9,
}

# Port A pins that exist (bits 1 and 2 have no pin).
PA_PINS = (0, 3, 4, 5, 6, 7)
PA_PIN_MASK = 0xF9
