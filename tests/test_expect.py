"""assert_within / assert_never / run_until: the cycles they report are the program's, counted
by hand from its source; the span in time follows the clock the firmware selects; failures
say what was expected, how long the run went and where the chip was."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pms150c import Machine, assemble
from pms150c.debug.conditions import a, pin, ram
from pms150c.errors import ArgumentError, LabelError
from pms150c.testing import ExpectationError, assert_never, assert_within, run_until
from pms150c.testing import strategies as pst

# PA3 goes high after the loop: 3 cycles of set-up (mov, mov.io, clear), 100 rounds of
# inc + ceqsn (skip not taken: 1) + goto (2) = 4 cycles, except the last: inc, ceqsn
# skipping (2) = 3; then set1.io (1).
COUNT_UP = """
    mov a, #0x08
    mov.io pac, a
    clear 0x10
loop:
    inc 0x10
    mov a, 0x10
    ceqsn a, #100
    goto loop
    set1.io pa, #3
done:
    goto done
"""
ROUND = 1 + 1 + 1 + 2  # inc, mov a, ceqsn (no skip), goto
LAST = 1 + 1 + 2  # inc, mov a, ceqsn skipping
PIN_HIGH = 3 + 99 * ROUND + LAST + 1  # cycles until set1.io has executed


@pytest.fixture
def machine() -> Machine:
    return Machine(assemble(COUNT_UP, predefine_io=True))


def test_within_returns_the_cycles_until_a_pin_goes_high(machine):
    assert assert_within(machine, pin(3) == 1, cycles=1000) == PIN_HIGH
    assert machine.cycles == PIN_HIGH and machine.pin(3) == 1


def test_within_a_label_stops_where_the_pc_reaches_it(machine):
    assert assert_within(machine, "done", 1000) == PIN_HIGH
    assert machine.pc == machine.symbols.code["done"] and not machine.breakpoints


def test_within_a_variable_condition_and_a_function_agree(machine):
    first = run_until(machine, ram(0x10) == 50, 10_000)
    machine.reset()
    second = run_until(machine, lambda m: m.ram[0x10] == 50, 10_000)
    assert first == second == 3 + 49 * ROUND + 1


def test_a_function_checked_every_n_cycles_is_seen_at_the_first_check_after(machine):
    exact = 3 + 49 * ROUND + 1
    found = run_until(machine, lambda m: m.ram[0x10] >= 50, 10_000, every=100)
    assert found is not None and exact <= found < exact + 100 + 2 and found % 100 <= 2


def test_a_condition_that_holds_already_takes_zero_cycles(machine):
    assert assert_within(machine, a == 0, cycles=10) == 0 and machine.cycles == 0


def test_a_condition_met_by_an_instruction_that_ends_past_the_span_is_not_within_it():
    m = Machine(assemble("mov a, #0x10\nmov 0x1e, a\nidxm a, 0x1e\nloop:\ngoto loop"))
    m.ram[0x10] = 0x5A  # idxm (2 cycles) loads it into A at cycle 4
    assert run_until(m, a == 0x5A, cycles=3) is None and m.cycles == 4
    m.reset()  # (RAM too)
    m.ram[0x10] = 0x5A
    assert run_until(m, a == 0x5A, cycles=4) == 4


def test_within_fails_with_the_span_the_state_and_the_values(machine):
    with pytest.raises(ExpectationError) as failure:
        assert_within(machine, pin(3) == 1, cycles=100)
    message = str(failure.value)
    assert message.startswith("((pins >> 3) & 0x1) == 1 did not hold within 100 cycles: ran 10")
    assert "cycle 0 to 10" in message and "of simulated time" in message
    assert "pc=0x" in message and "(<asm>:" in message and "clock 59 kHz" in message
    assert "((pins >> 3) & 0x1) = 0" in message
    assert isinstance(failure.value, AssertionError) and failure.value.cycles >= 100
    assert not machine._data_conditions  # the condition is removed again


def test_within_names_the_condition_as_told(machine):
    with pytest.raises(ExpectationError, match="^the LED lights did not hold within 5 cycles"):
        assert_within(machine, pin(3) == 1, 5, what="the LED lights")


def test_a_chip_asleep_in_stopsys_ends_the_wait_at_once():
    m = Machine(assemble("stopsys"))
    with pytest.raises(ExpectationError, match="sleeps in stopsys") as failure:
        assert_within(m, a == 1, cycles=10**9)
    assert failure.value.cycles == 1


def test_never_passes_over_the_whole_span_and_fails_where_it_holds(machine):
    assert_never(machine, pin(3) == 1, cycles=PIN_HIGH - 1)
    assert PIN_HIGH - 1 <= machine.cycles <= PIN_HIGH
    machine.reset()
    with pytest.raises(ExpectationError, match=f"held after {PIN_HIGH} cycles, within the"):
        assert_never(machine, pin(3) == 1, cycles=PIN_HIGH + 10)
    assert machine.cycles == PIN_HIGH


def test_the_tests_own_breakpoints_are_passed_over_and_kept(machine):
    machine.breakpoints.add("loop")
    assert assert_within(machine, pin(3) == 1, cycles=1000) == PIN_HIGH
    assert machine.symbols.code["loop"] in machine.breakpoints


def test_a_span_in_time_uses_the_clock_at_power_on():
    m = Machine(assemble("loop:\n goto loop"))
    assert run_until(m, a == 1, ms=10) is None
    expected = math.ceil(10e-3 * m.clock_hz)  # 59 kHz ILRC at power-on: 590 cycles
    assert expected <= m.cycles <= expected + 2  # goto is 2 cycles


def test_a_span_in_time_follows_a_clock_switch():
    """The first 60 cycles at ILRC (59 kHz), then CLKMD = 0x34: IHRC/2, 8 MHz."""
    source = """
        mov a, #20
    wait:
        dzsn a
        goto wait
        mov a, #0x34
        mov.io clkmd, a
    loop:
        goto loop
    """
    m = Machine(assemble(source, predefine_io=True))
    start = m.time_s  # the boot-up time before cycle 0 (32 ILRC clocks) is time too
    assert run_until(m, a == 99, ms=5) is None
    assert 5e-3 <= m.time_s - start <= 5e-3 + 2 / 8e6 and m.clock_hz == 8e6
    assert m.cycles > 30_000  # most of the 5 ms ran at 8 MHz


@pytest.mark.parametrize(
    "arguments, error, message",
    [
        ({}, ArgumentError, "give the span as one of"),
        ({"cycles": 5, "ms": 1}, ArgumentError, "give the span as one of"),
        ({"cycles": -1}, ArgumentError, "cycles -1 is outside"),
        ({"cycles": 1.5}, ArgumentError, "cycles must be an integer"),
        ({"ms": float("nan")}, ArgumentError, "finite number"),
        ({"us": "1"}, ArgumentError, "us must be a number"),
        ({"cycles": 5, "every": 2}, ArgumentError, "every= applies to a function"),
    ],
)
def test_bad_spans_are_argument_errors(machine, arguments, error, message):
    with pytest.raises(error, match=message):
        assert_within(machine, a == 1, **arguments)


def test_bad_conditions_are_pms150c_errors(machine):
    with pytest.raises(ArgumentError, match="a condition is a data condition"):
        assert_within(machine, 3, cycles=5)
    with pytest.raises(LabelError, match="nosuch"):
        assert_within(machine, "nosuch", cycles=5)
    with pytest.raises(ArgumentError, match="a Machine is needed"):
        run_until("machine", a == 1, cycles=5)


# -- against stepping, on random programs ---------------------------------------------------

RANDOM_OPS = {"exclude": (*pst.CONTROL, "ENGINT", "POPAF")}  # no interrupts, no popping SP 0


@settings(max_examples=200, deadline=None)
@given(pst.programs(max_size=24, **RANDOM_OPS), st.integers(0, 120), st.data())
def test_run_until_finds_the_first_instruction_after_which_a_holds_as_stepping_does(
    program, span, data
):
    """The core's data condition and the helper's chunking against Machine.step and a
    Python check after every step: the same first cycle, or neither within the span. The
    value looked for is one A takes on the way (or any byte), so both outcomes occur."""
    source = "\n".join(i.text for i in program) + "\n nop\nend:\n goto end\n"  # a skip lands
    image = assemble(source)
    stepped = Machine(image)
    seen = [(0, stepped.a)]
    while stepped.cycles < span + 2 and stepped.mode != "clock_stopped":  # a CLKMD write may
        stepped.step()  # stop the clock: then no cycle passes
        seen.append((stepped.cycles, stepped.a))
    value = data.draw(st.sampled_from([v for _, v in seen]) | st.integers(0, 255))
    first = next((c for c, v in seen if v == value), None)
    expected = first if first is not None and first <= span else None
    m = Machine(image)
    assert run_until(m, a == value, cycles=span) == expected
    if expected is not None:
        assert m.cycles == expected and m.a == value
