"""The pin-edge log: changes of port A pins (and the other signals a VCD shows) written by
the jitted core at their exact cycles, the same as the reference interpreter writes them."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_differential import build, examples, outcome, same_state, scenarios

from pms150c import Machine, assemble
from pms150c.edges import EdgeError, SignalRecording
from pms150c.errors import PinError
from pms150c.peripherals.signals import CLKMD_BITS, INTRQ_BITS, TM2_BIT

EVERY_SIGNAL = 0xF9 | TM2_BIT | INTRQ_BITS | CLKMD_BITS

CLOCK_8MHZ = "\tmov a, #0x34\n\tmov.io 0x03, a\n"  # IHRC/2, watchdog off

# xor PA3 at the start of every 4-cycle pass (xor 1, nop 1, goto 2), from cycle 4 on
TOGGLE = (
    CLOCK_8MHZ + "\tmov a, #0x08\n\tmov.io 0x11, a\nloop:\n\txor.io 0x10, a\n\tnop\n\tgoto loop\n"
)


def pwm(tm2c: int, tm2s: int = 0, bound: int = 63, clkmd: int = 0x34) -> str:
    """Timer2 set up by four writes, then an endless goto."""
    return (
        f"\tmov a, #{clkmd}\n\tmov.io 0x03, a\n\tmov a, #{bound}\n\tmov.io 0x09, a\n"
        f"\tmov a, #{tm2s}\n\tmov.io 0x17, a\n\tmov a, #{tm2c}\n\tmov.io 0x1C, a\n"
        "loop:\n\tgoto loop\n"
    )


def test_io_writes_are_logged_at_the_cycle_the_instruction_starts():
    m = Machine(assemble(TOGGLE))
    rec = m.record_pins([3])
    m.run(40)
    assert rec.times(3) == list(range(4, 40, 4))
    assert list(rec.of(3)["level"]) == [1, 0] * 4 + [1]
    assert rec.pulse_widths(3, 1) == [4] * 4 and rec.pulse_widths(3, 0) == [4] * 4


def test_pwm_edges_land_inside_two_cycle_instructions_at_their_cycle():
    """TM2 PWM on the system clock, TM2B = 63: TM2C written by the instruction at cycle
    7, so the output is high from 7 for 64 counts, then every 256 cycles; the loop's gotos
    start at even cycles, the fall at 71 lies inside one."""
    m = Machine(assemble(pwm(0x1A)))
    rec = m.record_pins([3])
    m.run(850)
    assert rec.times(3, 1) == [7, 263, 519, 775]
    assert rec.times(3, 0) == [71, 327, 583, 839]
    assert rec.duty(3) == Fraction(64, 256)
    assert rec.period(3) == 256
    assert rec.frequency(3) == Fraction(8_000_000, 256)


def test_pwm_duty_is_exact_when_the_high_time_is_half_a_cycle_per_period():
    """Timer2 on IHRC (16 MHz) at an 8 MHz system clock counts twice per cycle: with
    TM2B = 10 the output is high 11 counts = 5.5 cycles of every 128. Edges are seen at
    whole cycles, the log keeps the half cycle: the duty is 11/256 exactly."""
    m = Machine(assemble(pwm(0x2A, bound=10)))
    rec = m.record_pins([3])
    m.run(2000)
    assert rec.duty(3) == Fraction(11, 256)
    assert rec.period(3) == 128
    assert set(rec.pulse_widths(3, 1)[1:]) == {Fraction(11, 2)}
    edges = rec.of(3)
    assert set(edges["den"][1:]) == {32_000_000}  # IHRC 16 MHz * divider 2 per cycle


def test_pwm_on_ilrc_has_an_exact_mean_period_of_a_fraction_of_cycles():
    """Timer2 on ILRC (59 kHz) at 8 MHz: a tick every 8e6/59e3 cycles, a PWM period of
    256 ticks = 2,048,000/59 cycles; duty (B+1)/256."""
    m = Machine(assemble(pwm(0x4A, bound=127)))
    rec = m.record_pins([3])
    m.run(8 * 2_048_000 // 59)
    assert rec.period(3) == Fraction(2_048_000, 59)
    assert rec.duty(3) == Fraction(128, 256)
    assert rec.frequency(3) == Fraction(59_000, 256)


def test_host_pin_changes_and_pull_ups_are_logged_where_they_apply():
    m = Machine(assemble(CLOCK_8MHZ + "loop:\n\tgoto loop\n"))
    rec = m.record_pins([0, 5])
    m.schedule_pin(101, 0, 1)  # applies at the boundary 102 (gotos start at even cycles)
    m.schedule_pin(200, 0, None)  # released: no pull-up, reads 0
    m.run(300)
    m.set_pin(5, 1)  # now, between runs
    assert [tuple(r) for r in rec.edges[["cycle", "pin", "level"]]] == [
        (102, 0, 1),
        (200, 0, 0),
        (300, 5, 1),
    ]


def test_reset_and_stop_start_a_recording_over_and_end_it():
    m = Machine(assemble(TOGGLE))
    rec = m.record_pins(3)
    m.run(20)
    assert len(rec.edges) == 4
    m.reset()
    assert len(rec.edges) == 0 and rec.start_cycle == 0
    m.run(20)
    rec.stop()
    m.run(20)
    assert rec.times(3) == [4, 8, 12, 16]
    assert m._signals is None  # no listener left: runs take the plain path


def test_bad_pins_and_measurements_without_edges_are_errors():
    m = Machine(assemble(TOGGLE))
    with pytest.raises(PinError):
        m.record_pins([1])
    with pytest.raises(PinError):
        m.record_pins("x")
    rec = m.record_pins([3])
    with pytest.raises(EdgeError):
        rec.period(3)
    with pytest.raises(EdgeError):
        rec.of(4)


def test_a_full_log_is_emptied_by_the_machine_and_nothing_is_lost(monkeypatch):
    from pms150c import edges

    monkeypatch.setattr(edges, "LOG_ROWS", 300)  # room for 44 rows above EDGE_ROOM
    m = Machine(assemble(TOGGLE))
    rec = m.record_pins([3])
    m.run(4000)
    assert rec.times(3) == list(range(4, 4000, 4))


# -- the two interpreters --------------------------------------------------------------------


def record_both(s: dict, pieces: list[int] | None = None) -> None:
    """Run a scenario in both interpreters with every signal logged; same rows."""
    fast, ref = build(s)
    fast_log = SignalRecording(fast, EVERY_SIGNAL)
    ref_rows = ref.record_signals(EVERY_SIGNAL)
    end = s["cycles"]
    got = outcome(ref.run, end)
    if pieces is None:
        assert outcome(fast.run, end) == got
    else:
        target = 0
        for piece in pieces + [end]:
            target = min(end, target + piece)
            if fast.cycles < target and outcome(fast.run, target - fast.cycles)[0] != "ok":
                break
            if fast.mode == "stopsys":
                break
    if got[0] == "ok":
        same_state(fast, ref, "after the run")
        fast_log.machine._signals.sync()
        assert fast_log.rows == ref_rows


@examples(1500)
@given(scenarios(peripherals=True))
def test_random_programs_log_the_same_signal_changes_in_both_interpreters(scenario):
    record_both(scenario)


@examples(300)
@given(scenarios(peripherals=True), st.lists(st.integers(1, 60), min_size=1, max_size=20))
def test_the_log_does_not_depend_on_where_the_core_returns(scenario, pieces):
    record_both(scenario, pieces)


@pytest.mark.parametrize(
    "clkmd, tm2c, tm2s, bound",
    [
        (0x9C, 0x2A, 0x00, 40),  # IHRC/64: 64 Timer2 counts per cycle, flips inside cycles
        (0x1C, 0x2A, 0x80, 40),  # IHRC/16, 6-bit PWM: 16 counts per cycle, 4-cycle period
        (0x9C, 0x2E, 0x00, 7),  # period mode on PA4, 8-count half periods
        (0x14, 0x49, 0x00, 3),  # ILRC source, period mode, inverted
        (0x34, 0x22, 0x21, 200),  # IHRC, /4 * 2, not routed: only the TM2 output bit
    ],
)
def test_timer2_flips_agree_with_the_reference_tick_by_tick(clkmd, tm2c, tm2s, bound):
    from pms150c.reference import ReferenceMachine

    image = assemble(pwm(tm2c, tm2s, bound, clkmd))
    fast, ref = Machine(image), ReferenceMachine(image)
    fast_log = SignalRecording(fast, EVERY_SIGNAL)
    ref_rows = ref.record_signals(EVERY_SIGNAL)
    fast.run(3000)
    ref.run(3000)
    fast._signals.sync()
    assert fast_log.rows == ref_rows
    assert sum(1 for row in ref_rows if row[1] == 8) >= 5  # the test sees flips
