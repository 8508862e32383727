"""Stops the core cannot decide alone: watchpoints with a value, predicate breakpoints.

The core stops after every access to a watched address; a watchpoint with a value is
the same core watch plus a check here of the byte right after the access, and the run goes
on when it does not match. A predicate breakpoint (`Machine.break_when`) is a Python
function of the Machine, so the run goes one instruction at a time and asks it after
each one: about two microseconds plus the predicate's own cost per instruction, against
~0.003 us on the fast path (docs/debugging.md, "Measured speeds").
"""

from __future__ import annotations

from collections.abc import Callable

from ..device import IO_FLAG, IO_NAMES, IO_SP, RAM_BYTES
from ..errors import AddressError, Pms150cError
from ..state import ST_STOPSYS, ST_WATCHPOINT, WATCH_READ, WATCH_WRITE

IO_SLOT = RAM_BYTES  # the core's watch mask: RAM byte n at slot n, IO register n at IO_SLOT + n


class WatchError(Pms150cError, ValueError):
    """A watchpoint value that is not a byte, or one that watches neither reads nor writes.

    A bad address is the Machine's `AddressError`, as for `watch_ram`/`watch_io`."""


class ConditionError(Pms150cError, ValueError):
    """`remove_break_when` given a predicate the machine does not have."""


def watch_slot(address: int | str, io: bool) -> int:
    """Index into the core's watch mask (names accepted for IO); the Machine's own check."""
    from ..machine import Machine

    return Machine._watch_slot(address, io)


def watch_slots(machine, address: int | str, io: bool) -> tuple[list[int], int]:
    """The watch-mask slots of `address` and its size in bytes: one slot for an address or
    an IO name, every byte of a named variable (``_counter``, ``counter``, ``main.i``;
    with `io`, a named constant is an IO address, as SDCC's ``_pa = 0x10`` without .cdb)."""
    if isinstance(address, str) and address.lower() not in IO_NAMES:
        table = machine.symbols
        if io and table._name(table.constants, address) is not None:
            return [watch_slot(table.constants[table._name(table.constants, address)], True)], 1
        if (
            table._name(table.variables, address) is None
            and table._name(table.constants, address) is None
            and table._name(table.code, address) is None
        ):
            raise AddressError(f"no IO register or variable named {address!r}")
        variable = table.variable(address)
        size = variable.size or 1
        start = watch_slot(variable.address, variable.space == "io")
        watch_slot(variable.address + size - 1, variable.space == "io")  # all bytes exist
        return list(range(start, start + size)), size
    return [watch_slot(address, io or isinstance(address, str))], 1


def add_watch(
    machine, address: int | str, *, read: bool, write: bool, io: bool, value: int | None
) -> int:
    """Set the core's watch bits for `address` (every byte of a named variable) and
    remember the value condition (on the whole variable); returns the first slot."""
    from ..validate import describe, flag, integer

    slots, size = watch_slots(machine, address, flag(io, "io"))
    if value is not None:
        low, high = (0, 0xFF) if size == 1 else (-(1 << (8 * size - 1)), (1 << (8 * size)) - 1)
        try:
            value = integer(value, "watch value", low, high, error=WatchError)
        except WatchError:
            fits = "is not a byte" if size == 1 else f"does not fit {size} bytes"
            raise WatchError(f"watch value {describe(value)} {fits}") from None
    read, write = flag(read, "read", error=WatchError), flag(write, "write", error=WatchError)
    if not (read or write):
        raise WatchError("a watchpoint needs read=True, write=True or both")
    for slot in slots:
        machine._watch_mask[slot] = (WATCH_READ if read else 0) | (WATCH_WRITE if write else 0)
        if value is None:
            machine._watch_values.pop(slot, None)
        elif size == 1:
            machine._watch_values[slot] = value
        else:  # the whole variable, whichever byte the access touched
            machine._watch_values[slot] = (slots[0], size, value % (1 << (8 * size)))
    return slots[0]


def remove_watch(machine, address: int | str, *, io: bool = False) -> None:
    from ..validate import flag

    for slot in watch_slots(machine, address, flag(io, "io"))[0]:
        machine._watch_mask[slot] = 0
        machine._watch_values.pop(slot, None)


def _byte_at(machine, slot: int) -> int:
    """RAM byte, or the IO register as stored (PA: the output latch, not the pins)."""
    if slot < IO_SLOT:
        return int(machine.ram[slot])
    if slot - IO_SLOT in (IO_FLAG, IO_SP):
        return machine.io_peek(slot - IO_SLOT)
    return int(machine._io[slot - IO_SLOT])


def _wanted(machine, reason) -> bool:
    """Whether a watchpoint stop satisfies the watched byte's value condition."""
    value = machine._watch_values.get(reason.address)
    if isinstance(value, tuple):  # a multi-byte variable: (first slot, size, value)
        start, size, whole = value
        raw = bytes(_byte_at(machine, start + i) for i in range(size))
        return int.from_bytes(raw, "little") == whole
    return value is None or _byte_at(machine, reason.address) == value


def run_with_conditions(machine, max_cycles: int | None):
    """`Machine.run` when value watchpoints or predicates are set (same contract)."""
    from ..machine import StopKind, StopReason

    if max_cycles is not None and max_cycles <= 0:
        return StopReason(StopKind.MAX_CYCLES, machine.pc, machine.cycles)
    end = None if max_cycles is None else machine.cycles + int(max_cycles)  # checked by run
    try:
        if machine._conditions:
            return _run_stepping(machine, end)
        return _run_filtered(machine, end)
    except KeyboardInterrupt:
        return StopReason(StopKind.INTERRUPTED, machine.pc, machine.cycles)


def breakpoint_here(machine):
    """The BREAKPOINT stop when `machine` sits on a breakpoint, else None.

    A loop that resumes with `Machine.run` after a stop the user did not ask for (a
    filtered watchpoint hit, the end of a trace chunk) asks this first: a run that starts
    on a breakpoint executes it, so the breakpoint would be passed over."""
    from ..machine import StopKind, StopReason

    if machine.mode == "running" and machine.pc in machine.breakpoints:
        return StopReason(StopKind.BREAKPOINT, machine.pc, machine.cycles)
    return None


def _run_filtered(machine, end: int | None):
    from ..machine import StopKind, StopReason

    values = machine._watch_values
    while True:
        machine._watch_values = {}  # the plain run below must not come back here
        try:
            reason = machine.run(None if end is None else end - machine.cycles)
        finally:
            machine._watch_values = values
        if reason != StopKind.WATCHPOINT or _wanted(machine, reason):
            return reason
        if end is not None and machine.cycles >= end:
            return StopReason(StopKind.MAX_CYCLES, machine.pc, machine.cycles)
        parked = breakpoint_here(machine)
        if parked is not None:
            return parked


def _run_stepping(machine, end: int | None):
    from ..machine import StopKind, StopReason

    conditions: list[Callable] = list(machine._conditions)
    breakpoints = set(machine.breakpoints)
    first = True
    while True:
        if end is not None and machine.cycles >= end:
            return StopReason(StopKind.MAX_CYCLES, machine.pc, machine.cycles)
        if not first and machine.pc in breakpoints and machine.mode == "running":
            return StopReason(StopKind.BREAKPOINT, machine.pc, machine.cycles)
        first = False
        before = machine.cycles
        status = machine._call(machine._clean, before + 1)
        if status == ST_STOPSYS:
            return machine._reason(status)
        if status == ST_WATCHPOINT:
            reason = machine._reason(status)
            if _wanted(machine, reason):
                return reason
        for predicate in conditions:
            if predicate(machine):
                return StopReason(
                    StopKind.CONDITION, machine.pc, machine.cycles, condition=predicate
                )
        if machine.cycles == before and machine.mode == "stopsys":
            return StopReason(StopKind.STOPSYS, machine.pc, machine.cycles)
