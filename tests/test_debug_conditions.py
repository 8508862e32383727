"""Data conditions of break_when, evaluated inside the core: where they stop, against the
same comparison written as a Python predicate (the slow path) on random programs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_differential import examples, outcome, scenarios, set_up

from pms150c import Machine, StopReason, assemble
from pms150c.debug.conditions import (
    ConditionError,
    Location,
    a,
    flags,
    gie,
    io,
    pc,
    pin,
    pins,
    ram,
    sp,
)
from pms150c.device import PA_PINS
from pms150c.errors import AddressError, LabelError
from pms150c.image import Image
from pms150c.state import (
    OP_EQ,
    OP_GE,
    OP_GT,
    OP_LE,
    OP_LT,
    OP_NE,
    SPACE_A,
    SPACE_FLAGS,
    SPACE_GIE,
    SPACE_IO,
    SPACE_PC,
    SPACE_PINS,
    SPACE_RAM,
    SPACE_SP,
)

# random programs stop their clocks often; the warning is tested in tests/test_clocks.py
pytestmark = pytest.mark.filterwarnings("ignore::pms150c.machine.ClockWarning")

# word  instruction       cycles (start -> end)
#  0    mov a, #7          0 -> 1
#  1    nop                1 -> 2
#  2    mov 0x22, a        2 -> 3   writes 0x22 = 7
#  3    mov a, 0x22        3 -> 4
#  4    goto next          4 -> 6
#  5    inc 0x22           6 -> 7   0x22 = 8
#  6    mov.io 0x10, a     7 -> 8   PA latch = 7
#  7    stopsys            8 -> 9
PROGRAM = """
\t.area CODE (ABS)
\t.org 0
start:
\tmov a, #7
\tnop
\tmov 0x22, a
\tmov a, 0x22
\tgoto next
next:
\tinc 0x22
\tmov.io 0x10, a
\tstopsys
"""


def stop_of(condition, program=PROGRAM, cycles=100):
    m = Machine(assemble(program))
    m.break_when(condition)
    reason = m.run(cycles)
    return reason, (reason.kind.value, reason.instruction_pc, reason.pc, reason.cycles)


@pytest.mark.parametrize(
    ("condition", "where"),
    [
        (ram(0x22) == 7, (2, 3, 3)),
        (ram(0x22) >= 8, (5, 6, 7)),
        (a == 7, (0, 1, 1)),
        (pc == 5, (4, 5, 6)),
        ((a == 7) & (ram(0x22) == 7), (2, 3, 3)),
        ((a == 99) | (pc == 6), (5, 6, 7)),
        (io("pa") & 0x04 != 0, (6, 7, 8)),  # PA reads bits 1, 2 from the latch
        (flags.z == 0, (0, 1, 1)),
        (ram(0x22, size=2) == 8, (5, 6, 7)),
        (ram(0x22).bit(3) == 1, (5, 6, 7)),
    ],
)
def test_a_data_condition_stops_right_after_the_instruction_that_makes_it_hold(condition, where):
    reason, (kind, instruction_pc, next_pc, cycles) = stop_of(condition)
    assert kind == "condition" and reason.condition is condition
    assert (instruction_pc, next_pc, cycles) == where


def test_a_condition_that_never_holds_lets_the_run_finish():
    reason, _ = stop_of((sp == 1) | (gie == 1))
    assert reason == StopReason.STOPSYS and reason.cycles == 9


def test_a_multi_byte_location_compares_with_its_size_and_sign():
    # a signed 16-bit counter counting down from 3 in RAM 0x20..0x21 (an assembly image
    # knows no C types: the size and the sign are given)
    src = """
\tmov a, #3
\tmov 0x20, a
\tclear 0x21
loop:
\tdec 0x20
\tsubc 0x21
\tgoto loop
"""
    m = Machine(assemble(src))
    m.break_when(ram(0x20, size=2, signed=True) < -2)
    reason = m.run(1000)
    assert reason == StopReason.CONDITION
    assert int(m.ram[0x20]) | int(m.ram[0x21]) << 8 == 0xFFFD  # -3: 3, 2, 1, 0, -1, -2, -3
    # 0 -> -1 passes through 0x00FF (255) between dec and subc; -2 -> -3 is dec alone
    assert reason.instruction_pc == 3


@pytest.mark.sdcc
def test_sdcc_variables_by_name(sdcc_build):
    source = r"""
__sfr __at(0x03) clkmd;
volatile int level = 5;
volatile unsigned char seen;
unsigned char _sdcc_external_startup(void) { clkmd = 0x34; return 0; }
void main(void) { for (;;) { level -= 3; seen++; } }
"""
    m = Machine.from_ihx(sdcc_build("levels", sources={"levels.c": source}))
    assert m.symbols.variable("level").signed
    condition = m.break_when(ram("level") <= -10)  # int: 16 bits, signed, from the .cdb
    assert m.run(100_000) == StopReason.CONDITION
    assert m.read_var("level") == -10 and m.read_var("seen") == 4
    m.remove_break_when(condition)
    m.break_when(ram("seen") == 9)
    assert m.run(100_000) == StopReason.CONDITION and m.read_var("level") == 5 - 3 * 9


def test_an_interrupt_entry_is_a_step_a_condition_can_stop_after():
    src = """
\t.area CODE (ABS)
\t.org 0
\tgoto main
\t.org 0x20  ; byte address: word 0x10, the interrupt vector
\tmov a, #0
\tmov.io 0x05, a
\treti
main:
\tmov a, #0x04
\tmov.io 0x04, a
\tmov a, #0x20
\tmov.io 0x06, a
\tengint
loop:
\tgoto loop
"""
    m = Machine(assemble(src))
    m.break_when(pc == 0x10)
    reason = m.run(10_000)
    assert reason == StopReason.CONDITION
    assert reason.instruction_pc is None  # no instruction: the entry itself
    assert (m.pc, m.gie, m.sp) == (0x10, 0, 2)


def test_pin_conditions_see_the_timer2_output():
    # TM2 PWM on PA3 as in tests/test_debug_vcd.py: high from 8 to 71, 263 to 327, ...;
    # the loop's gotos start at even cycles, so the first boundary after 263 is 264
    pwm = """
\tmov a, #0x34
\tmov.io 0x03, a
\tmov a, #63
\tmov.io 0x09, a
\tmov a, #0
\tmov.io 0x17, a
\tmov a, #0x1A
\tmov.io 0x1C, a
loop:
\tgoto loop
"""
    m = Machine(assemble(pwm))
    m.break_when(pin(3) == 1)
    assert m.run(1000) == StopReason.CONDITION and m.cycles == 8
    m.remove_break_when()
    m.break_when(pin(3) == 0)
    assert m.run(1000) == StopReason.CONDITION and m.cycles == 72
    m.remove_break_when()
    m.break_when(pins & 0x08 != 0)
    assert m.run(1000) == StopReason.CONDITION and m.cycles == 264
    assert m.pin(3) == 1


def test_breakpoints_watchpoints_and_the_cycle_limit_still_apply():
    m = Machine(assemble(PROGRAM))
    m.break_when(ram(0x22) == 100)
    m.breakpoints.add("next")
    assert m.run(100) == StopReason.BREAKPOINT
    assert m.run(1) == StopReason.MAX_CYCLES and m.cycles == 7
    m.watch("pa")
    assert m.run(100) == StopReason.WATCHPOINT
    assert m.run(100) == StopReason.STOPSYS


def test_data_conditions_and_predicates_together():
    m = Machine(assemble(PROGRAM))
    m.break_when(ram(0x22) == 8)
    m.break_when(lambda machine: machine.cycles >= 4)
    assert m.run(100).cycles == 4  # the predicate first
    reason = m.run(100)
    assert reason == StopReason.CONDITION and reason.cycles == 6  # still >= 4: at once
    m.remove_break_when()
    m.break_when(ram(0x22) == 8)
    assert m.run(100).cycles == 7


def test_removing_data_conditions():
    m = Machine(assemble(PROGRAM))
    first = m.break_when(a == 7)
    m.break_when(ram(0x22) == 7)
    m.remove_break_when(first)
    with pytest.raises(ConditionError, match="not a break_when condition"):
        m.remove_break_when(first)
    assert m.run(100).cycles == 3
    m.remove_break_when()
    assert m.run(100) == StopReason.STOPSYS


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: (a == 1) and (a == 2), ConditionError, "join conditions with &"),
        (lambda: 0 < a < 5, ConditionError, "no truth value"),
        (lambda: bool(ram(3)), ConditionError, "a location, not a condition"),
        (lambda: a == "x", ConditionError, "value"),
        (lambda: (a == 1) & 3, ConditionError, "joins two conditions"),
        (lambda: ram(0x22) & -1, ConditionError, "mask"),
    ],
)
def test_conditions_that_cannot_work_are_refused_when_written(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize(
    ("condition", "error", "message"),
    [
        (a == 300, ConditionError, "can never hold"),
        (flags == 16, ConditionError, "can never hold"),
        (ram(0x22) & 0x0F == 0x10, ConditionError, "can never hold"),
        (ram("nope") == 1, LabelError, "no variable 'nope'"),
        (ram(64) == 1, AddressError, "outside"),
        (ram(62, size=4) == 1, AddressError, "leave RAM"),
        (io("nope") == 1, LabelError, "no variable 'nope'"),
        (io(0x20) == 1, AddressError, "outside"),
    ],
)
def test_conditions_that_cannot_work_are_refused_by_break_when(condition, error, message):
    with pytest.raises(error, match=message):
        Machine(assemble(PROGRAM)).break_when(condition)


def test_a_condition_reads_back_as_it_was_written():
    assert repr((ram(0x22) >= 8) & (a == 7)) == "(ram(0x22) >= 8) & (a == 7)"
    assert repr(io("pa") & 0x08 != 0) == "(io('pa') & 0x8) != 0"
    assert repr((pc == 5) | (flags.c == 1)) == "(pc == 5) | (((flags >> 1) & 0x1) == 1)"


# -- against the slow path on random programs -------------------------------------------------


def value_in_python(m: Machine, loc: Location) -> int:
    """What `loc` reads, computed from the Machine's public API (not from the core)."""
    space, address, size, signed = loc.resolved(m)
    if space == SPACE_RAM:
        value = int.from_bytes(bytes(m.ram[address : address + size]), "little", signed=signed)
    elif space == SPACE_IO:
        value = m.io_peek(address)
    else:
        value = {
            SPACE_A: m.a,
            SPACE_FLAGS: int(m.flags),
            SPACE_SP: m.sp,
            SPACE_PC: m.pc,
            SPACE_GIE: m.gie,
            SPACE_PINS: m.pins,
        }[space]
    return (value >> loc.shift) & loc.mask


COMPARE = {
    OP_EQ: lambda x, y: x == y,
    OP_NE: lambda x, y: x != y,
    OP_LT: lambda x, y: x < y,
    OP_LE: lambda x, y: x <= y,
    OP_GT: lambda x, y: x > y,
    OP_GE: lambda x, y: x >= y,
}


def predicate_of(condition):
    def holds(m: Machine) -> bool:
        return any(
            all(COMPARE[op](value_in_python(m, loc), k) for loc, op, k in group)
            for group in condition.groups
        )

    return holds


@st.composite
def locations(draw) -> Location:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return ram(draw(st.integers(0, 62)), draw(st.integers(1, 2)), draw(st.booleans()))
    if kind == 1:
        return io(draw(st.integers(0, 31)))
    if kind == 2:
        return pin(draw(st.sampled_from(PA_PINS)))
    loc = [a, flags, sp, pc, gie, pins, flags.c][kind - 3]
    if draw(st.booleans()) and kind != 9:
        loc = loc & draw(st.integers(1, 255))
    return loc


@st.composite
def comparisons(draw):
    loc = draw(locations())
    op = draw(st.sampled_from(list(COMPARE)))
    operand = draw(st.integers(-2, 70))  # small: comparisons that hold now and then
    return loc._compare(op, operand)


@st.composite
def conditions(draw):
    condition = draw(comparisons())
    for _ in range(draw(st.integers(0, 2))):
        other = draw(comparisons())
        condition = condition & other if draw(st.booleans()) else condition | other
    return condition


def same_stop_as_the_predicate(scenario: dict, condition) -> None:
    """Run the scenario once with `condition` in the core, once with the same comparison
    as a Python predicate: the same stop, at the same pc and cycle, in the same state."""
    scenario = dict(scenario, cycles=min(scenario["cycles"], 600))
    machines = []
    for predicate in (condition, predicate_of(condition)):
        m = Machine(
            Image(scenario["rom"]), stack_checks=scenario["stack_checks"], blank_checks=False
        )
        set_up(m, scenario)
        try:
            m.break_when(predicate)
        except ConditionError:  # == a value the location cannot hold: refused up front
            return
        machines.append(m)
    results = []
    for m in machines:
        got = outcome(m.run, scenario["cycles"])
        if got[0] == "ok":
            reason = got[1]
            got = (reason.kind, reason.pc, reason.cycles)
        results.append((got, m.snapshot()))
    assert results[0] == results[1]


@examples(300)
@given(scenarios(peripherals=True), conditions())
def test_data_conditions_stop_where_the_same_python_predicate_stops(scenario, condition):
    same_stop_as_the_predicate(scenario, condition)


@st.composite
def gated_conditions(draw):
    """Conditions on RAM, SP and GIE only: the core evaluates them only after the words
    that can change them (and after each service); RAM mostly where the stack is."""
    parts = []
    for _ in range(draw(st.integers(1, 2))):
        kind = draw(st.integers(0, 5))
        if kind <= 3:
            address = draw(st.one_of(st.integers(0x26, 0x3F), st.integers(0, 0x3F)))
            loc = ram(address, draw(st.integers(1, 2)) if address < 0x3F else 1)
        else:
            loc = sp if kind == 4 else gie
        parts.append(loc._compare(draw(st.sampled_from(list(COMPARE))), draw(st.integers(0, 64))))
    condition = parts[0]
    for other in parts[1:]:
        condition = condition & other if draw(st.booleans()) else condition | other
    return condition


@examples(300)
@given(scenarios(peripherals=True), gated_conditions())
def test_conditions_on_ram_sp_and_gie_stop_where_the_python_predicate_stops(scenario, condition):
    same_stop_as_the_predicate(scenario, condition)


@pytest.mark.parametrize(
    ("condition", "poke"), [(io(0x01) == 0, (0x01, 1)), (pins == 0, (0x12, 1))]
)
def test_a_condition_that_a_watchdog_reset_makes_true_stops_where_step_stops(condition, poke):
    """Found by the property test above: the watchdog (ILRC/16: 16 ticks a cycle, time-out
    at 8192) resets the chip at the boundary of cycle 515; the reset clears IO 0x01 and PAPH
    (so the pulled-up pins fall). Evaluated in the core, the condition caught the
    peripherals up itself and reset the chip behind the core's back (stopping at a stale pc,
    or one instruction late); it must stop where the Python predicate does, on the reset chip."""
    source = "\tmov a, #0x5e\n\tmov.io 0x03, a\nloop:\tnop\n\tgoto loop\n"
    stops = []
    for predicate in (condition, predicate_of(condition)):
        m = Machine(assemble(source))
        m.io_poke(*poke)
        m.break_when(predicate)
        reason = m.run(2000)
        stops.append((reason.kind, reason.pc, reason.cycles, m.resets, m.snapshot()))
    assert stops[0] == stops[1]
    assert stops[0][:2] == (StopReason.CONDITION, 0) and stops[0][3] == 1  # on the reset
