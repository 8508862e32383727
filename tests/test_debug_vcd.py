"""VCD waveforms: parsed back, edges at exact cycles."""

import pytest

from pms150c import Machine, assemble
from pms150c.debug.vcd import SIGNALS, VcdError, read_vcd, record_vcd, write_vcd

CLOCK_8MHZ = "\tmov a, #0x34\n\tmov.io 0x03, a\n"  # IHRC/2, watchdog off

# xor PA3 at the start of every 4-cycle pass (xor 1, nop 1, goto 2). The loop's first xor
# starts at cycle 4 (after 4 one-cycle set-up instructions), and a write lands at the cycle
# its instruction starts (docs/timing-model.md): PA3 rises at 4, falls at 8, rises at 12 ...
TOGGLE = (
    CLOCK_8MHZ
    + """
\tmov a, #0x08
\tmov.io 0x11, a
loop:
\txor.io 0x10, a
\tnop
\tgoto loop
"""
)


def test_pa3_toggles_every_four_cycles_at_exact_times():
    m = Machine(assemble(TOGGLE))
    waves = read_vcd(record_vcd(m, 40))
    assert waves["PA3"] == [(0, 0)] + [(4 + 4 * k, (k + 1) % 2) for k in range(9)]
    assert waves["PA4"] == [(0, 0)]  # never changes


def test_ns_unit_at_8mhz_gives_125ns_per_cycle():
    m = Machine(assemble(TOGGLE))
    edges = [t for t, _ in read_vcd(record_vcd(m, 40, unit="ns"))["PA3"][1:]]
    assert {b - a for a, b in zip(edges[:-1], edges[1:], strict=True)} == {4 * 125}


# TM2 in 8-bit PWM mode on the system clock, prescaler and scaler 1, TM2B = 63, output on
# PA3: high while TM2CT <= 63, so 64 of every 256 cycles. TM2C is written by the
# instruction starting at cycle 7 (the counter counts from then), so the first pulse lasts
# from 7 to 7 + 64 = 71; then every 256 cycles: 263..327, ...
# The counter passes the bound, the output falls and INTRQ.6 rises (DS Fig. 10) at 71.
PWM = (
    CLOCK_8MHZ
    + """
\tmov a, #63
\tmov.io 0x09, a
\tmov a, #0
\tmov.io 0x17, a
\tmov a, #0x1A
\tmov.io 0x1C, a
loop:
\tgoto loop
"""
)


def test_tm2_pwm_duty_and_period_on_pa3():
    m = Machine(assemble(PWM))
    waves = read_vcd(record_vcd(m, 850))
    rises = [t for t, v in waves["TM2_OUT"] if v == 1]
    falls = [t for t, v in waves["TM2_OUT"] if v == 0][1:]
    assert rises == [7, 263, 519, 775]
    assert falls == [71, 327, 583, 839]
    assert all(f - r == 64 for r, f in zip(rises, falls, strict=True))
    assert waves["PA3"] == waves["TM2_OUT"]
    assert waves["INTRQ_TM2"] == [(0, 0), (71, 1)]  # at the first fall; nobody clears it


def test_edge_inside_a_two_cycle_instruction_lands_on_its_cycle():
    # the loop's gotos start at 8, 10, ..., 70, 72: the fall at 71 lies inside the goto
    # 70 -> 72, and must not be rounded to either boundary.
    m = Machine(assemble(PWM))
    m.enable_trace(1000)
    waves = read_vcd(record_vcd(m, 100))
    goto_starts = m.trace()["cycles"][m.trace()["pc"] == 8].tolist()
    assert 70 in goto_starts and 71 not in goto_starts
    assert (71, 0) in waves["TM2_OUT"]


def test_header_declares_every_signal_and_a_timescale(tmp_path):
    m = Machine(assemble(TOGGLE))
    path = tmp_path / "w.vcd"
    write_vcd(m, 10, path)
    text = path.read_text()
    assert "$timescale 1 ns $end" in text and "$enddefinitions $end" in text
    assert set(read_vcd(text)) == {s.name for s in SIGNALS}


def test_recording_ends_at_stopsys():
    m = Machine(assemble(CLOCK_8MHZ + "\tstopsys\n\tnop\n"))
    text = record_vcd(m, 10_000)
    assert m.mode == "stopsys" and m.cycles == 3
    assert text.rstrip().endswith("#3")


def test_bad_unit_and_malformed_vcd_are_errors():
    with pytest.raises(VcdError):
        record_vcd(Machine(assemble(TOGGLE)), 10, unit="weeks")
    with pytest.raises(VcdError):
        read_vcd("$var wire 1 ! x $end $enddefinitions $end #0 1?")


def test_ns_unit_shows_a_timer2_flip_inside_its_cycle():
    """Timer2 on IHRC counts twice per 8 MHz cycle: with TM2B = 10 the output is high
    11 counts = 687.5 ns, which whole cycles (125 ns) cannot show; the ns times can."""
    pwm_ihrc = PWM.replace("#63", "#10").replace("#0x1A", "#0x2A")
    waves = read_vcd(record_vcd(Machine(assemble(pwm_ihrc)), 2000, unit="ns"))["TM2_OUT"]
    highs = {b[0] - a[0] for a, b in zip(waves[1:], waves[2:], strict=False) if a[1] == 1}
    assert highs <= {687, 688} and highs
