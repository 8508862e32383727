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

# Default oscillator frequencies (a Machine takes others: ihrc_hz=, ilrc_hz=).
IHRC_HZ = 16_000_000  # DS 4.1 fIHRC after calibration, typ.
ILRC_HZ = 59_000  # DS 4.1 fSYS table (fILRC typ. is 62 kHz there); pdk-includes ILRC_FREQ

# IO register addresses (datasheet register table). Code uses the constants (Numba reads
# module constants at compile time); text (the assembler's names, dumps) uses IO_NAMES.
IO_FLAG = 0x00
IO_SP = 0x02
IO_CLKMD = 0x03
IO_INTEN = 0x04
IO_INTRQ = 0x05
IO_T16M = 0x06
IO_TM2B = 0x09
IO_EOSCR = 0x0A
IO_IHRCR = 0x0B
IO_INTEGS = 0x0C
IO_PADIER = 0x0D
IO_PA = 0x10
IO_PAC = 0x11
IO_PAPH = 0x12
IO_TM2S = 0x17
IO_BGTR = 0x19
IO_GPCC = 0x1A
IO_MISC = 0x1B
IO_TM2C = 0x1C
IO_TM2CT = 0x1D
IO_GPCS = 0x1E
IO_ILRCR = 0x1F

IO_NAMES: dict[str, int] = {
    "flag": IO_FLAG,
    "sp": IO_SP,
    "clkmd": IO_CLKMD,
    "inten": IO_INTEN,
    "intrq": IO_INTRQ,
    "t16m": IO_T16M,
    "tm2b": IO_TM2B,
    "eoscr": IO_EOSCR,
    "ihrcr": IO_IHRCR,
    "integs": IO_INTEGS,
    "padier": IO_PADIER,
    "pa": IO_PA,
    "pac": IO_PAC,
    "paph": IO_PAPH,
    "tm2s": IO_TM2S,
    "bgtr": IO_BGTR,
    "gpcc": IO_GPCC,
    "misc": IO_MISC,
    "tm2c": IO_TM2C,
    "tm2ct": IO_TM2CT,
    "gpcs": IO_GPCS,
    "ilrcr": IO_ILRCR,
}
IO_ADDRESS_NAMES: dict[int, str] = {v: k for k, v in IO_NAMES.items()}

# IO values after reset where the datasheet gives one; every other register resets to 0.
IO_RESET: dict[int, int] = {
    IO_CLKMD: 0xF6,
    IO_PADIER: 0xF9,
    # the trims: DS silent (write-only, "factory/writer" values); our choice is the middle
    # code, at which the oscillators run at the frequencies the host gives the Machine
    IO_IHRCR: 0x80,
    IO_ILRCR: 0x80,
}

# Port A pins that exist (bits 1 and 2 have no pin).
PA_PINS = (0, 3, 4, 5, 6, 7)
PA_PIN_MASK = 0xF9
