"""Breakpoints, watchpoints and predicate breakpoints: where and when a run stops."""

import pytest

from pms150c import Machine, StopReason, assemble
from pms150c.debug.conditions import WatchError
from pms150c.errors import AddressError
from pms150c.machine import LabelError

# word  instruction       cycles (start -> end)
#  0    mov a, #7          0 -> 1
#  1    nop                1 -> 2
#  2    mov 0x22, a        2 -> 3   writes 0x22 = 7
#  3    mov a, 0x22        3 -> 4   reads 0x22
#  4    goto next          4 -> 6
#  5    inc 0x22           6 -> 7   reads and writes 0x22 = 8
#  6    mov.io 0x10, a     7 -> 8   writes PA
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


@pytest.fixture
def machine():
    return Machine(assemble(PROGRAM))


def test_breakpoint_by_label_stops_before_the_instruction(machine):
    machine.breakpoints.add("next")
    reason = machine.run(100)
    assert reason == StopReason.BREAKPOINT
    assert (reason.pc, reason.cycles) == (5, 6)
    assert machine.ram[0x22] == 7  # inc not executed yet


def test_breakpoint_by_address_then_continue_to_stopsys(machine):
    machine.breakpoints.add(6)
    assert (machine.run(100).pc, machine.cycles) == (6, 7)
    reason = machine.run(100)
    assert reason == StopReason.STOPSYS
    assert reason.cycles == 9


def test_unknown_label_is_a_clear_error(machine):
    with pytest.raises(LabelError, match="nope"):
        machine.breakpoints.add("nope")


def test_write_watchpoint_fires_right_after_the_writing_instruction(machine):
    machine.watch(0x22, write=True)
    reason = machine.run(100)
    assert reason == StopReason.WATCHPOINT
    assert (reason.instruction_pc, reason.pc, reason.cycles) == (2, 3, 3)
    assert (reason.address, reason.access) == (0x22, "write")
    reason = machine.run(100)  # the read at 3 is not watched; inc at 5 writes
    assert (reason.instruction_pc, reason.cycles) == (5, 7)


def test_read_watchpoint_ignores_writes(machine):
    machine.watch(0x22, read=True, write=False)
    reason = machine.run(100)
    assert (reason.instruction_pc, reason.cycles, reason.access) == (3, 4, "read")


def test_watchpoint_with_value_skips_other_values(machine):
    machine.watch(0x22, value=8)
    reason = machine.run(100)
    assert (reason.instruction_pc, reason.cycles) == (5, 7)
    assert machine.ram[0x22] == 8


def test_value_watch_then_breakpoint_right_after_a_skipped_hit():
    # the skipped hit at pc 2 leaves the machine at pc 3, which is a breakpoint
    m = Machine(assemble(PROGRAM))
    m.watch(0x22, value=99)
    m.breakpoints.add(3)
    reason = m.run(100)
    assert reason == StopReason.BREAKPOINT
    assert (reason.pc, reason.cycles) == (3, 3)


def test_io_watchpoint_by_name(machine):
    machine.watch("pa")
    reason = machine.run(100)
    assert (reason.address, reason.instruction_pc, reason.cycles) == (0x40 + 0x10, 6, 8)


def test_io_watchpoint_by_number(machine):
    machine.watch(0x10, io=True, value=7)
    assert machine.run(100).cycles == 8


def test_unwatch_lets_the_run_finish(machine):
    machine.watch(0x22)
    machine.unwatch(0x22)
    assert machine.run(100) == StopReason.STOPSYS


@pytest.mark.parametrize(
    ("address", "io", "message"),
    [
        (64, False, "RAM address 0x40 is outside 0..0x3f"),
        (-1, False, "RAM address -0x1 is outside 0..0x3f"),
        (0x20, True, "IO address 0x20 is outside 0..0x1f"),
        (-2, True, "IO address -0x2 is outside 0..0x1f"),
        ("nosuchreg", False, "no IO register or variable named 'nosuchreg'"),
    ],
)
def test_bad_watch_addresses_are_the_machines_address_errors(machine, address, io, message):
    with pytest.raises(AddressError) as caught:
        machine.watch(address, io=io)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "kwargs",
    [
        {"address": 1, "value": 256},
        {"address": 1, "read": False, "write": False},
    ],
)
def test_bad_watchpoints_are_rejected(machine, kwargs):
    address = kwargs.pop("address")
    with pytest.raises(WatchError):
        machine.watch(address, **kwargs)


def test_break_when_predicate_stops_after_the_instruction_that_made_it_true(machine):
    def stored(m):
        return m.ram[0x22] == 7

    machine.break_when(stored)
    reason = machine.run(100)
    assert reason == StopReason.CONDITION
    assert reason.condition is stored
    assert (reason.pc, reason.cycles) == (3, 3)


def test_break_when_can_be_removed_one_or_all(machine):
    from pms150c.debug.conditions import ConditionError

    never = machine.break_when(lambda m: False)
    stored = machine.break_when(lambda m: m.ram[0x22] == 1)
    machine.remove_break_when(stored)
    with pytest.raises(ConditionError, match="not a break_when condition"):
        machine.remove_break_when(stored)
    assert machine._conditions == [never]
    machine.remove_break_when()
    assert machine.run(100) == StopReason.STOPSYS  # the fast path again: nothing to ask


def test_break_when_respects_breakpoints_and_the_cycle_limit(machine):
    machine.break_when(lambda m: m.ram[0x22] == 100)
    machine.breakpoints.add("next")
    assert machine.run(100) == StopReason.BREAKPOINT
    assert machine.run(1) == StopReason.MAX_CYCLES
    assert machine.cycles == 7
    assert machine.run(100) == StopReason.STOPSYS
