"""The factory system area: the band-gap trim `ret #k` at 0x3F6 and the fuse word at 0x3FF,
loaded by both interpreters where the image leaves them blank (pms150c/factory.py)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from pms150c import BlankWordError, Image, Machine, assemble
from pms150c.errors import ArgumentError
from pms150c.factory import (
    BGTR_ADDRESS,
    FACTORY_BGTR,
    FACTORY_FUSE,
    FUSE_ADDRESS,
    Fuse,
    decode_fuse,
    encode_fuse,
)
from pms150c.isa import BY_OP
from pms150c.reference import ReferenceMachine

# easy-pdk's EASY_PDK_USE_FACTORY_BGTR: call the trim, store A in BGTR (IO 0x19).
READ_TRIM = """
        mov a, #0x20
        mov.io sp, a
        call 0x3f6
        mov.io 0x19, a
        stopsys
"""
# cycles: mov 1 + mov.io 1 + call 2 + ret #k 2 + mov.io 1 + stopsys 1
READ_TRIM_CYCLES = 8

# pdk-includes device/pms150c.h, written out here as the independent source of the fuse
# fields: FUSE_LVR_* values and their levels, FUSE_BOOTUP_FAST, FUSE_IO_DRV_NORMAL,
# FUSE_SECURITY_OFF, FUSE_RES_BITS_HIGH.
PDK_INCLUDES_LVR = {
    0x0000: 4.0,
    0x0004: 3.5,
    0x0008: 3.0,
    0x000C: 2.75,
    0x0010: 2.5,
    0x0014: 1.8,
    0x0018: 2.2,
    0x001C: 2.0,
}
PDK_BOOTUP_FAST, PDK_DRV_NORMAL, PDK_SECURITY_OFF, PDK_RES_BITS_HIGH = 0x0C00, 0x80, 1, 0x0260

BOTH = pytest.mark.parametrize("kind", [Machine, ReferenceMachine], ids=["core", "reference"])


@BOTH
def test_call_3f6_returns_the_factory_trim_into_bgtr(kind):
    m = kind(assemble(READ_TRIM))
    reason = m.run(100)
    assert reason.kind.name == "STOPSYS"
    assert (m.a, m.io_peek(0x19), m.cycles) == (FACTORY_BGTR, FACTORY_BGTR, READ_TRIM_CYCLES)


@BOTH
def test_the_trim_value_can_be_overridden(kind):
    m = kind(assemble(READ_TRIM), bgtr=0x5A)
    m.run(100)
    assert (m.a, m.io_peek(0x19)) == (0x5A, 0x5A)


def test_the_factory_words_are_a_ret_k_and_the_blank_ic_fuse():
    rom = Machine(assemble("nop")).rom
    assert rom[BGTR_ADDRESS] == BY_OP["RET_K"].encode(FACTORY_BGTR) == 0x0180
    assert rom[FUSE_ADDRESS] == FACTORY_FUSE == 0x0FFD
    assert rom[BGTR_ADDRESS + 1] == 0x1FFF and rom[FUSE_ADDRESS - 1] == 0x1FFF  # the rest blank


def words_with(address: int, word: int) -> Image:
    words = np.full(1024, 0x1FFF, dtype=np.int64)
    written = np.zeros(1024, dtype=bool)
    program = assemble(READ_TRIM).words[:5]
    words[:5], written[:5] = program, True
    words[address], written[address] = word, True
    return Image(words, written=written)


@BOTH
def test_an_image_that_programs_0x3f6_keeps_its_own_word(kind):
    image = words_with(BGTR_ADDRESS, BY_OP["RET_K"].encode(0x33))
    m = kind(image)
    m.run(100)
    assert m.a == 0x33
    m = kind(image, bgtr=0x44)  # the host's override wins over the image
    m.run(100)
    assert m.a == 0x44


def test_an_image_that_programs_the_fuse_keeps_it_and_fuse_overrides_it():
    fuse = encode_fuse(lvr=3.5, boot="slow", security=True, drive="low")
    image = words_with(FUSE_ADDRESS, fuse)
    assert Machine(image).fuse == decode_fuse(fuse)
    assert ReferenceMachine(image).fuse == decode_fuse(fuse)
    other = encode_fuse(lvr=2.2)
    assert Machine(image, fuse=other).rom[FUSE_ADDRESS] == other
    assert Machine(image, fuse=decode_fuse(other)).fuse.lvr_volts == 2.2


def test_the_blank_ic_fuse_decodes_as_pdk_includes_says():
    fuse = Machine(assemble("nop")).fuse
    assert (fuse.security, fuse.lvr_volts, fuse.boot, fuse.drive) == (False, 2.0, "fast", "normal")
    assert fuse.word == 0x0FFD and fuse.fast_boot and fuse.lvr_millivolts == 2000


@pytest.mark.parametrize(
    ("lvr_bits", "security", "fast", "normal"),
    list(itertools.product(PDK_INCLUDES_LVR, (0, 1), (0, 1), (0, 1))),
)
def test_every_fuse_option_word_decodes_to_its_pdk_includes_meaning(
    lvr_bits, security, fast, normal
):
    word = (
        PDK_RES_BITS_HIGH
        | lvr_bits
        | (PDK_SECURITY_OFF if security else 0)
        | (PDK_BOOTUP_FAST if fast else 0)
        | (PDK_DRV_NORMAL if normal else 0)
    )
    fuse = decode_fuse(word)
    assert fuse == Fuse(
        word,
        security=not security,
        lvr_volts=PDK_INCLUDES_LVR[lvr_bits],
        boot="fast" if fast else "slow",
        drive="normal" if normal else "low",
    )
    assert (
        encode_fuse(security=fuse.security, lvr=fuse.lvr_volts, boot=fuse.boot, drive=fuse.drive)
        == word
    )


@pytest.mark.parametrize("bits", [0b01, 0b10])
def test_a_half_set_boot_up_field_is_slow(bits):
    assert decode_fuse(FACTORY_FUSE & ~PDK_BOOTUP_FAST | bits << 10).boot == "slow"


@pytest.mark.parametrize(
    "options", [{"lvr": 3.3}, {"lvr": "2.0"}, {"boot": "medium"}, {"drive": "high"}]
)
def test_encode_fuse_refuses_options_the_chip_does_not_have(options):
    with pytest.raises(ArgumentError):
        encode_fuse(**options)


@pytest.mark.parametrize(
    "options", [{"bgtr": 256}, {"bgtr": -1}, {"bgtr": 1.5}, {"fuse": 0x2000}, {"fuse": "x"}]
)
def test_machine_refuses_a_bad_trim_or_fuse(options):
    with pytest.raises(ArgumentError):
        Machine(assemble("nop"), **options)


def test_factory_words_count_as_programmed_but_the_rest_of_the_area_is_blank():
    m = Machine(assemble(READ_TRIM))
    m.run(100)  # executed 0x3F6 with blank checks on: no error
    jump = Machine(assemble("goto 0x3f7"))
    with pytest.raises(BlankWordError) as err:
        jump.run(100)
    assert err.value.pc == 0x3F7


@BOTH
def test_running_into_the_fuse_word_executes_it_and_wraps_to_0(kind):
    # 0x3FE is blank (call 0x3ff); the fuse word 0x0FFD runs as set1.io 0x1d, #7 (TM2CT.7),
    # then the PC wraps to 0x000, where the program starts again.
    m = kind(assemble("mov a, #0x20\n mov.io sp, a\n goto 0x3fe\n"), **_no_blank_checks(kind))
    m.run(7)  # 1 + 1 + goto 2 + call 2 + the fuse word 1
    assert (m.pc, m.sp, m.io_peek(0x1D), m.cycles) == (0x000, 0x22, 0x80, 7)
    assert (m.ram[0x20], m.ram[0x21]) == (0xFF, 0x03)  # the call pushed 0x3FF


def _no_blank_checks(kind) -> dict:
    return {"blank_checks": False} if kind is Machine else {}


def test_machine_call_still_returns_at_0x3ff_with_the_fuse_word_there():
    image = assemble("times2:\n add a, 0x10\n add a, 0x10\n ret\n")
    result = Machine(image).call("times2", a=0, ram={0x10: 21}, sp=0x30)
    assert (result.a, result.cycles) == (42, 4)


def test_a_c_firmware_reads_the_factory_trim_and_sets_its_fuse(sdcc_build):
    """pdk-includes style C: PDK_SET_FUSE writes 0x3FF from the firmware, PDK_USE_FACTORY_BGTR
    reads the trim (built with sdcc -mpdk13)."""
    fuse = PDK_RES_BITS_HIGH | 0x0008 | PDK_SECURITY_OFF  # LVR 3.0 V, slow boot-up, low drive
    source = f"""
__sfr __at(0x03) clkmd;
__sfr __at(0x19) bgtr;
volatile unsigned char trim;
unsigned char _sdcc_external_startup(void)
{{
    __asm__(".area FUSE (ABS)\\n.org (0x3ff*2)\\n.word ({fuse})\\n.area CODE\\n");
    __asm__("call #0x3f6\\n mov.io 0x19, a\\n");
    clkmd = 0x34;
    return 0;
}}
void main(void)
{{
    trim = bgtr;
    for (;;)
        __asm__("stopsys");
}}
"""
    ihx = sdcc_build("trim", sources={"trim.c": source})
    for kind in (Machine, ReferenceMachine):
        m = Machine.from_ihx(ihx) if kind is Machine else ReferenceMachine(Image.from_ihx(ihx))
        assert m.fuse == decode_fuse(fuse)
        assert (m.fuse.lvr_volts, m.fuse.boot, m.fuse.drive) == (3.0, "slow", "low")
        m.run(10_000)
        assert m.io_peek(0x19) == FACTORY_BGTR
    m = Machine.from_ihx(ihx, bgtr=0x21)
    m.run(10_000)
    assert m.read_var("trim") == 0x21
