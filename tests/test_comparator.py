"""The comparator (GPCC, GPCS; DS 5.5, Fig. 3-7, 6.14, 6.15) and the host's analog levels, in
both interpreters, against figures computed here from the datasheet's formulas."""

from __future__ import annotations

from fractions import Fraction

import pytest

from pms150c import Machine, assemble
from pms150c.errors import ArgumentError, PinError
from pms150c.reference import ReferenceMachine

BOTH = pytest.mark.parametrize("kind", [Machine, ReferenceMachine], ids=["core", "reference"])
GPCC, GPCS, INTRQ, INTEGS, EOSCR, TM2C, TM2CT = 0x1A, 0x1E, 0x05, 0x0C, 0x0A, 0x1C, 0x1D


def v_internal_r(vdd: Fraction, gpcs: int) -> Fraction:
    """V_R as DS Fig. 4-7 give it: the four cases of GPCS[5:4], n = GPCS[3:0]."""
    n, case = gpcs & 15, gpcs >> 4 & 3
    return {
        0: Fraction(1, 4) * vdd + Fraction(n + 1, 32) * vdd,  # Fig. 4, case 1
        1: Fraction(n + 1, 24) * vdd,  # Fig. 5, case 2
        2: Fraction(1, 5) * vdd + Fraction(n + 1, 40) * vdd,  # Fig. 6, case 3
        3: Fraction(n + 1, 32) * vdd,  # Fig. 7, case 4
    }[case]


def program(body: str) -> str:
    return "\tmov a, #0x20\n\tmov.io sp, a\n" + body


# Scan GPCS[3:0] = 0..15 in range `case`, GPCC as given; RAM 0x04/0x05 collect GPCC.6 of
# each step (bit n), then stopsys.
SCAN = """
        mov a, #0x{gpcc:02x}
        mov.io 0x1a, a
        clear 0x04
        clear 0x05
        clear 0x06          ; n
loop:
        mov a, 0x06
        or a, #0x{range:02x}
        mov.io 0x1e, a      ; GPCS = range | n
        sr 0x05
        src 0x04            ; shift the collected bits right ...
        t0sn.io 0x1a, #6
        set1 0x05, #7       ; ... and put this result in at bit 15
        inc 0x06
        mov a, 0x06
        ceqsn a, #16
        goto loop
        stopsys
"""


def scan(kind, gpcc: int, case: int, **host) -> int:
    m = kind(assemble(program(SCAN.format(gpcc=gpcc, range=case << 4))))
    for pin, volts in host.items():
        m.set_analog(pin, volts)
    assert m.run(100_000).kind.name == "STOPSYS"
    return int(m.ram[0x04]) | int(m.ram[0x05]) << 8


@BOTH
@pytest.mark.parametrize("case", [0, 1, 2, 3])
@pytest.mark.parametrize(("vdd", "pa3"), [(5.0, 2.0), (5.0, 3.1), (3.3, 1.0), (2.5, 0.21)])
def test_the_ladder_is_the_datasheets_four_cases(kind, case, vdd, pa3):
    # plus = V_R, minus = PA3 (GPCC = 0x80): bit n = V_R(n) > PA3 (DS 6.14: 1 when plus > minus)
    found = scan(kind, 0x80, case, vdd=vdd, pa3=pa3)
    expected = sum(
        1 << n
        for n in range(16)
        if v_internal_r(Fraction(str(vdd)), case << 4 | n) > Fraction(str(pa3))
    )
    assert found == expected


@BOTH
@pytest.mark.parametrize("vdd", [5.0, 4.2, 3.9, 3.3, 2.6, 2.2])
def test_band_gap_against_the_ladder_measures_vdd_as_ds_5_5_3(kind, vdd):
    # minus = band-gap 1.20 V, plus = V_R (GPCC = 0x84), case 3: VDD = 40 / (N + 9) * 1.20 V
    # at the step N where V_R passes the band-gap (DS 5.5.3; easy-pdk's comptest)
    found = scan(kind, 0x84, 2, vdd=vdd)
    expected = sum(1 << n for n in range(16) if Fraction(str(vdd)) * (n + 9) / 40 > Fraction(6, 5))
    assert found == expected
    assert found & 0x8000  # the top of the range, 2.0 V .. 5.33 V, always passes at >= 2 V


@BOTH
def test_equal_inputs_give_0_and_the_ds_4v_example_flips_at_4v(kind):
    # DS 5.5.3 example: GPCS = VDD * 12/40 (case 3, n = 3) against the band-gap; at exactly
    # 4.0 V the two are equal (our choice: 0), above it 1
    src = program("mov a, #0x84\n mov.io 0x1a, a\n mov a, #0x23\n mov.io 0x1e, a\n stopsys\n")
    for vdd, result in ((4.0, 0), (3.99, 0), (4.01, 1)):
        m = kind(assemble(src), vdd=vdd)
        m.run(100)
        assert m.io_peek(GPCC) >> 6 & 1 == result


@BOTH
def test_the_result_bit_is_read_only_and_inverted_by_gpcc_4(kind):
    src = program(
        "mov a, #0x00\n mov.io 0x1e, a\n"  # V_R = 9/32 VDD = 1.41 V
        "mov a, #0xc1\n mov.io 0x1a, a\n"  # enable, minus PA3, plus PA4; write 1 to bit 6
        "mov.io a, 0x1a\n mov 0x30, a\n"
        "mov a, #0x91\n mov.io 0x1a, a\n"  # inverted
        "mov.io a, 0x1a\n mov 0x31, a\n stopsys\n"
    )
    m = kind(assemble(src))
    m.set_analog("pa3", 2.0)
    m.set_analog("pa4", 1.0)  # plus < minus: result 0
    m.run(100)
    assert (m.ram[0x30], m.ram[0x31]) == (0x81, 0x91 | 0x40)


@BOTH
def test_a_disabled_comparator_reads_0_and_enabling_requests_nothing(kind):
    src = program(
        "mov a, #0x01\n mov.io 0x1a, a\n mov.io a, 0x1a\n mov 0x30, a\n"  # off
        "mov a, #0x81\n mov.io 0x1a, a\n mov.io a, 0x1a\n mov 0x31, a\n stopsys\n"
    )
    m = kind(assemble(src))
    m.set_analog("pa4", 3.0)
    m.set_analog("pa3", 1.0)  # plus (PA4) > minus (PA3)
    m.run(100)
    assert (m.ram[0x30], m.ram[0x31]) == (0x01, 0xC1)
    assert m.io_peek(INTRQ) & 0x10 == 0  # our choice: enabling is no edge


LISTEN = program(
    "mov a, #0x{integs:02x}\n mov.io 0x0c, a\n"
    "mov a, #0x81\n mov.io 0x1a, a\n"  # enable: plus PA4, minus PA3
    "loop: goto loop\n"
)


@BOTH
@pytest.mark.parametrize(
    ("integs", "requests"),
    [(0x00, (1, 1)), (0x40, (1, 0)), (0x80, (0, 1)), (0xC0, (0, 0))],
    ids=["both", "rising", "falling", "reserved"],
)
def test_its_interrupt_request_follows_integs_7_6(kind, integs, requests):
    # PA3 at 2.5 V; PA4 crosses it at cycle 100 (rising result) and back at 200 (falling)
    m = kind(assemble(LISTEN.format(integs=integs)))
    m.set_analog("pa3", 2.5)
    m.set_analog("pa4", 1.0)
    m.schedule_analog(100, "pa4", 4.0)
    m.schedule_analog(200, "pa4", 2.0)
    m.run(99)
    assert m.io_peek(INTRQ) & 0x10 == 0
    m.run(101 - m.cycles + 1)
    assert (m.io_peek(INTRQ) >> 4 & 1, m.io_peek(GPCC) >> 6 & 1) == (requests[0], 1)
    m.io_poke(INTRQ, 0)
    m.run(202 - m.cycles + 1)
    assert (m.io_peek(INTRQ) >> 4 & 1, m.io_peek(GPCC) >> 6 & 1) == (requests[1], 0)


@BOTH
@pytest.mark.parametrize(("gpcs", "wakes"), [(0x40, True), (0x00, False)])
def test_it_wakes_stopexe_only_with_gpcs_6(kind, gpcs, wakes):
    src = program(
        f"mov a, #0x{gpcs:02x}\n mov.io 0x1e, a\n"
        "mov a, #0x81\n mov.io 0x1a, a\n stopexe\n inc 0x30\n stopsys\n"
    )
    m = kind(assemble(src))
    m.set_analog("pa3", 2.5)
    m.set_analog("pa4", 1.0)
    m.schedule_analog(500, "pa4", 2.9)  # below VIH (3.0 V): no pin toggle wakes the chip
    reason = m.run(2000)
    assert m.io_peek(INTRQ) & 0x10  # the request, either way
    if wakes:
        assert reason.kind.name == "STOPSYS" and m.ram[0x30] == 1
    else:
        assert m.mode == "stopexe" and m.ram[0x30] == 0


@BOTH
def test_timer2_counts_the_comparators_rising_edges(kind):
    src = program(
        "mov a, #0xff\n mov.io 0x09, a\n mov a, #0x50\n mov.io 0x1c, a\n"
        "mov a, #0x81\n mov.io 0x1a, a\nloop: goto loop\n"
    )
    m = kind(assemble(src))  # TM2B = 255, TM2C[7:4] = 0101: counts the comparator output
    m.set_analog("pa3", 2.5)
    for k in range(5):
        m.schedule_analog(100 + 40 * k, "pa4", 3.0)
        m.schedule_analog(120 + 40 * k, "pa4", 2.0)
    m.run(400)
    assert m.io_peek(TM2CT) == 5


@BOTH
def test_gpcs_7_drives_the_result_onto_pa0(kind):
    src = program(
        "mov a, #0x80\n mov.io 0x1e, a\n mov a, #0x81\n mov.io 0x1a, a\nloop: goto loop\n"
    )
    m = kind(assemble(src))
    m.set_analog("pa3", 2.5)
    m.set_analog("pa4", 1.0)
    m.set_pin(0, 1)  # the host's level on PA0 is overridden
    m.run(10)
    assert m.snapshot()["pins"] & 1 == 0
    m.set_analog("pa4", 4.0)
    assert m.snapshot()["pins"] & 1 == 1
    if kind is Machine:
        assert m.pin_directions & 1


@BOTH
def test_eoscr_0_powers_the_band_gap_down(kind):
    # minus = band-gap, plus = V_R = (15 + 1) / 32 * VDD = 2.5 V: 1, and 1 still against 0 V
    src = program("mov a, #0x3f\n mov.io 0x1e, a\n mov a, #0x94\n mov.io 0x1a, a\n")
    src += "mov.io a, 0x1a\n mov 0x30, a\n mov a, #1\n mov.io 0x0a, a\n mov.io a, 0x1a\n"
    src += "mov 0x31, a\n stopsys\n"
    m = kind(assemble(src))  # GPCC = 0x94: enable, inverted, band-gap, plus V_R
    m.run(100)
    assert (m.ram[0x30] >> 6 & 1, m.ram[0x31] >> 6 & 1) == (0, 0)
    m = kind(assemble(src.replace("mov a, #0x3f", "mov a, #0x30")))  # V_R = 1/32 VDD
    m.run(100)  # 0.156 V < 1.2 V: 0, inverted 1; band-gap off: 0.156 > 0: 1, inverted 0
    assert (m.ram[0x30] >> 6 & 1, m.ram[0x31] >> 6 & 1) == (1, 0)


@BOTH
def test_changing_vdd_moves_the_ladder(kind):
    src = program(
        "mov a, #0x0f\n mov.io 0x1e, a\n mov a, #0x80\n mov.io 0x1a, a\nloop: goto loop\n"
    )
    m = kind(assemble(src))  # V_R = 24/32 VDD against PA3 = 3.0 V
    m.set_analog("pa3", 3.0)
    m.run(10)
    assert m.io_peek(GPCC) >> 6 & 1 == 1  # 3.75 V > 3.0 V
    m.vdd = 3.9  # 2.925 V
    assert m.io_peek(GPCC) >> 6 & 1 == 0
    m.schedule_analog(50, "vdd", 4.1)  # 3.075 V, at cycle 50
    m.run(60)
    assert m.io_peek(GPCC) >> 6 & 1 == 1 and m.vdd == 4.1


@BOTH
@pytest.mark.parametrize(
    ("pin", "steps", "levels"),
    [
        (3, (0.7, 0.4, 0.05, 0.4, 0.65), (1, 1, 0, 0, 1)),  # VIH 0.6 VDD, VIL 0.1 VDD
        (5, (0.7, 0.85, 0.4, 0.09, 0.79), (0, 1, 1, 0, 0)),  # PA5: VIH 0.8 VDD
    ],
)
def test_an_analog_level_drives_a_schmitt_trigger_input(kind, pin, steps, levels):
    m = kind(assemble("loop: goto loop\n"))
    seen = []
    for fraction in steps:
        m.set_analog(f"pa{pin}", 5.0 * fraction)
        seen.append(m.snapshot()["pins"] >> pin & 1)
    assert tuple(seen) == levels


@BOTH
def test_pa5_is_open_drain_as_an_output(kind):
    # PAC.5 = 1, PA.5 = 1: PA5 lets go (reads the outside level); PA.5 = 0 pulls it low
    src = "mov a, #0x28\n mov.io 0x11, a\n mov.io 0x10, a\n mov.io a, 0x10\n mov 0x30, a\n"
    src += "mov a, #0x00\n mov.io 0x10, a\n mov.io a, 0x10\n mov 0x31, a\n stopsys\n"
    for host, first in ((None, 0x08), (1, 0x28), (0, 0x08)):
        m = kind(assemble(src))
        if host is not None:
            m.set_pin(5, host)
        m.run(100)
        assert (m.ram[0x30], m.ram[0x31]) == (first, 0x00)  # PA3 drives its 1 (push-pull)
    m = kind(assemble(src[: src.index("mov a, #0x00")] + "stopsys\n"))
    m.io_poke(0x12, 0x20)  # the pull-up on PA5 pulls it high when it lets go
    m.run(100)
    assert m.snapshot()["pins"] & 0x20


def test_bad_analog_arguments_are_errors():
    m = Machine(assemble("nop"))
    for pin, volts in (("pa1", 1.0), ("pb0", 1.0), (8, 1.0), ("pa3", 9.0), ("pa3", "1")):
        with pytest.raises(PinError):
            m.set_analog(pin, volts)
    with pytest.raises(PinError):
        m.set_analog("vdd", None)
    for volts in (-1.0, 6.0, float("nan")):
        with pytest.raises(ArgumentError):
            m.vdd = volts
    with pytest.raises(ArgumentError):
        Machine(assemble("nop"), vdd=7)


def test_vdd_and_analog_levels_survive_a_power_on_and_states():
    m = Machine(assemble("loop: goto loop\n"), vdd=3.3)
    m.set_analog("pa4", 1.5)
    m.schedule_analog(10, "pa4", 2.5)
    state = m.save_state()
    m.reset()
    assert m.vdd == 3.3 and m._regs[72 + 4] == 1_500_000
    m.run(20)
    assert m._regs[72 + 4] == 2_500_000
    m.restore_state(state)
    assert m._regs[72 + 4] == 1_500_000 and m._pending_pins() == [(10, 12, 2_500_000)]


# -- the easy-pdk comptest scan, in C (sdcc -mpdk13) -------------------------------------------

COMPTEST = """
__sfr __at(0x03) clkmd;
__sfr __at(0x0d) padier;
__sfr __at(0x1a) gpcc;
__sfr __at(0x1e) gpcs;
volatile unsigned int above;   /* bit n: the comparator's result at ladder step n */
volatile unsigned char first;  /* the first step whose result is positive, 16 for none */

unsigned char _sdcc_external_startup(void)
{
    clkmd = 0x34;  /* IHRC/2, watchdog off */
    return 0;
}

void main(void)
{
    unsigned char n;
    padier = 0xe9;            /* PA4's digital input off: it is an analog input */
    gpcc = GPCC_SETUP;
    above = 0;
    first = 16;
    for (n = 0; n < 16; n++) {
        gpcs = GPCS_RANGE | n;
        for (volatile unsigned char d = 10; d; d--)
            ;                 /* the settling delay of the original */
        if (gpcc & 0x40) {
            above |= 1u << n;
            if (first == 16)
                first = n;
        }
    }
    for (;;)
        __asm__("stopsys");
}
"""


@pytest.mark.parametrize(("vdd", "case"), [(5.0, 2), (3.3, 2), (2.4, 2), (4.5, 0), (3.0, 3)])
def test_comptest_finds_vdd_against_the_band_gap(sdcc_build, vdd, case):
    """easy-pdk's comptest: minus = band-gap, plus = V_R, step GPCS and read GPCC.6."""
    ihx = sdcc_build(
        "comptest",
        sources={"comptest.c": COMPTEST},
        defines={"GPCC_SETUP": "0x84", "GPCS_RANGE": f"0x{case << 4:02x}"},
    )
    vdd_r = Fraction(str(vdd))
    expected = [n for n in range(16) if v_internal_r(vdd_r, case << 4 | n) > Fraction(6, 5)]
    for kind in (Machine, ReferenceMachine):
        m = kind.from_ihx(ihx, vdd=vdd) if kind is Machine else _reference(ihx, vdd=vdd)
        m.run(2_000_000)
        first = int(m.ram[_address(ihx, "_first")])
        low = _address(ihx, "_above")
        above = int(m.ram[low]) | int(m.ram[low + 1]) << 8
        assert above == sum(1 << n for n in expected)
        assert first == (expected[0] if expected else 16)


@pytest.mark.parametrize("volts", [0.4, 1.3, 2.2, 3.05, 3.6])
def test_comptest_finds_the_threshold_the_host_sets_on_pa4(sdcc_build, volts):
    # minus = PA4 (GPCC = 0x82), plus = V_R case 1: the first step with V_R > PA4
    ihx = sdcc_build(
        "comptest",
        sources={"comptest.c": COMPTEST},
        defines={"GPCC_SETUP": "0x82", "GPCS_RANGE": "0x00"},
    )
    steps = [n for n in range(16) if v_internal_r(Fraction(5), n) > Fraction(str(volts))]
    m = Machine.from_ihx(ihx)
    m.set_analog("pa4", volts)
    m.run(2_000_000)
    assert m.read_var("first") == (steps[0] if steps else 16)
    ref = _reference(ihx)
    ref.set_analog("pa4", volts)
    ref.run(2_000_000)
    assert ref.ram[m.ram_of("first")] == m.read_var("first")


def _reference(ihx, **options) -> ReferenceMachine:
    from pms150c import Image

    return ReferenceMachine(Image.from_ihx(ihx), **options)


def _address(ihx, name: str) -> int:
    return Machine.from_ihx(ihx).ram_of(name)
