"""Conditional stops: data conditions the core evaluates, watchpoints with a value,
predicate breakpoints.

A *data condition* compares a location of the chip with a number::

    from pms150c.debug.conditions import a, flags, io, pc, pin, pins, ram, sp

    m.break_when(ram("_counter") >= 10)  # a C variable: its size and sign from the build
    m.break_when((a == 0x42) & (flags.c == 1))  # both after the same instruction
    m.break_when(io("pa") & 0x08 != 0)  # masks bind before comparisons in Python
    m.break_when(pin(3) == 1)  # PA3 as seen from outside (Timer2 output included)

Each becomes rows of numbers (location, size, sign, shift, mask, comparison, operand; see
COND_* in pms150c/state.py) that the core checks after every instruction and interrupt
entry, in its debug variant (docs/debugging.md, "Measured speeds"). ``&`` joins
comparisons that must all hold, ``|`` alternatives; Python's ``and``/``or`` cannot be
overloaded, so using them (or a chained ``0 < x < 5``) is a `ConditionError`.

A *predicate breakpoint* is any other callable: a Python function of the Machine, so the
run goes one instruction at a time and asks it after each one (about two microseconds
plus the predicate's own cost per instruction): the slow path, for what data cannot say.

A watchpoint with a value is the core's watch plus a check here of the byte right after
the access, and the run goes on when it does not match.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import ctrl_c
from ..device import IO_CLKMD, IO_FLAG, IO_NAMES, IO_REGS, IO_SP, RAM_BYTES
from ..errors import AddressError, Pms150cError
from ..state import (
    COND_ADDRESS,
    COND_COLUMNS,
    COND_GROUP,
    COND_SIZE,
    COND_SPACE,
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
    ST_CLOCK_STOPPED,
    ST_STOPSYS,
    ST_WATCHPOINT,
    WATCH_READ,
    WATCH_WRITE,
)

IO_SLOT = RAM_BYTES  # the core's watch mask: RAM byte n at slot n, IO register n at IO_SLOT + n


class WatchError(Pms150cError, ValueError):
    """A watchpoint value that is not a byte, or one that watches neither reads nor writes.

    A bad address is the Machine's `AddressError`, as for `watch_ram`/`watch_io`."""


class ConditionError(Pms150cError, ValueError):
    """`remove_break_when` given a predicate the machine does not have, or a data
    condition written in a way that cannot work (``and``, a chained comparison, a value
    that the location can never hold)."""


# -- data conditions ---------------------------------------------------------------------

_OPS = {OP_EQ: "==", OP_NE: "!=", OP_LT: "<", OP_LE: "<=", OP_GT: ">", OP_GE: ">="}
_SPACE_NAMES = {
    SPACE_A: "a",
    SPACE_FLAGS: "flags",
    SPACE_SP: "sp",
    SPACE_PC: "pc",
    SPACE_GIE: "gie",
    SPACE_PINS: "pins",
}
_FLAG_BITS = {"z": 0, "c": 1, "ac": 2, "ov": 3}


class Location:
    """A value of the chip a data condition compares: a RAM variable, an IO register, a
    CPU register or the pins, optionally shifted right and masked (``loc & 0x0F``,
    ``loc.bit(3)``). Names (``ram("_counter")``, ``io("pa")``) are resolved against the
    Machine's symbols when the condition is given to `Machine.break_when`."""

    __slots__ = ("space", "where", "size", "signed", "shift", "mask")

    def __init__(self, space, where=0, size=None, signed=None, shift=0, mask=-1):
        from ..validate import integer

        spaces = (SPACE_RAM, SPACE_IO, *_SPACE_NAMES)
        if isinstance(space, bool) or not isinstance(space, int) or space not in spaces:
            raise ConditionError(f"no location space {space!r}")
        if not isinstance(where, str):  # an address: checked against RAM or IO when resolved
            where = integer(where, "a location's address", error=AddressError)
        if size is not None:
            size = integer(size, "a condition's size", 1, 8, error=ConditionError)
        if signed is not None:
            signed = bool(integer(signed, "signed", 0, 1, error=ConditionError))
        self.space, self.where, self.size, self.signed = space, where, size, signed
        self.shift = integer(shift, "a location's shift", 0, 63, error=ConditionError)
        self.mask = integer(mask, "a location's mask", -1, 2**63 - 1, error=ConditionError)

    def _derived(self, shift: int, mask: int) -> Location:
        return Location(self.space, self.where, self.size, self.signed, shift, mask)

    def __and__(self, mask: int) -> Location:
        from ..validate import integer

        mask = integer(mask, "a condition's mask", 0, 2**63 - 1, error=ConditionError)
        return self._derived(self.shift, mask if self.mask < 0 else self.mask & mask)

    __rand__ = __and__

    def bit(self, n: int) -> Location:
        """Bit `n` of the value (0 or 1)."""
        from ..validate import integer

        n = integer(n, "a bit number", 0, 63, error=ConditionError)
        if self.mask >= 0:
            return self._derived(self.shift + n, (self.mask >> n) & 1)
        return self._derived(self.shift + n, 1)

    def _compare(self, op: int, value) -> Condition:
        from ..validate import integer

        value = integer(value, "a condition's value", -(2**63), 2**63 - 1, error=ConditionError)
        return Condition((((self, op, value),),))

    def __eq__(self, value) -> Condition:  # type: ignore[override]
        return self._compare(OP_EQ, value)

    def __ne__(self, value) -> Condition:  # type: ignore[override]
        return self._compare(OP_NE, value)

    def __lt__(self, value) -> Condition:
        return self._compare(OP_LT, value)

    def __le__(self, value) -> Condition:
        return self._compare(OP_LE, value)

    def __gt__(self, value) -> Condition:
        return self._compare(OP_GT, value)

    def __ge__(self, value) -> Condition:
        return self._compare(OP_GE, value)

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        raise ConditionError(
            f"{self!r} is a location, not a condition: compare it with a number "
            "(loc == 3, loc & 0x08 != 0)"
        )

    def __repr__(self) -> str:
        where = f"0x{self.where:02x}" if isinstance(self.where, int) else repr(self.where)
        if self.space == SPACE_RAM:
            text = f"ram({where})"
        elif self.space == SPACE_IO:
            text = f"io({where})"
        else:
            text = _SPACE_NAMES[self.space]
        if self.shift:
            text = f"({text} >> {self.shift})"
        if self.mask >= 0:
            text = f"({text} & 0x{self.mask:x})"
        return text

    def resolved(self, machine) -> tuple[int, int, int, int]:
        """(space, address, size, signed) of this location in `machine`."""
        if self.space == SPACE_RAM:
            return _resolve_ram(machine, self.where, self.size, self.signed)
        if self.space == SPACE_IO:
            return SPACE_IO, _resolve_io(machine, self.where), 1, 0
        return self.space, 0, 1, 0


class _Flags(Location):
    """`flags`: FLAG's four bits (OV AC C Z, bits 3..0) and each one by name."""

    __slots__ = ()

    def __init__(self):
        super().__init__(SPACE_FLAGS)

    def __getattr__(self, name: str) -> Location:
        if name in _FLAG_BITS:
            return self.bit(_FLAG_BITS[name])
        raise AttributeError(name)


class Condition:
    """Comparisons the core evaluates after every instruction: alternatives (``|``) of
    conjunctions (``&``). Give it to `Machine.break_when`; the StopReason of its stop
    carries it as ``condition``."""

    __slots__ = ("groups",)

    def __init__(self, groups: tuple):
        self.groups = groups  # ((Location, op, value), ...) per alternative

    def __and__(self, other: Condition) -> Condition:
        other = _as_condition(other, "&")
        return Condition(tuple(g + h for g in self.groups for h in other.groups))

    def __or__(self, other: Condition) -> Condition:
        other = _as_condition(other, "|")
        return Condition(self.groups + other.groups)

    def __bool__(self) -> bool:
        raise ConditionError(
            "a data condition has no truth value: join conditions with & and |, not "
            "'and'/'or', and write 0 < x < 5 as (x > 0) & (x < 5)"
        )

    def __repr__(self) -> str:
        def term(t):
            loc, op, value = t
            return f"{loc!r} {_OPS[op]} {value}"

        def conjunction(g):
            return " & ".join(f"({term(t)})" if len(g) > 1 else term(t) for t in g)

        if len(self.groups) == 1:
            return conjunction(self.groups[0])
        return " | ".join(f"({conjunction(g)})" for g in self.groups)

    def rows(self, machine) -> list[np.ndarray]:
        """Per alternative, the core's rows for `machine` (names resolved; a value the
        location can never hold with == is refused, as it could only be a mistake)."""
        out = []
        for group in self.groups:
            rows = np.zeros((len(group), COND_COLUMNS), dtype=np.int64)
            for i, (loc, op, value) in enumerate(group):
                space, address, size, signed = loc.resolved(machine)
                _check_reachable(loc, op, value, size, signed)
                rows[i, 1:] = (space, address, size, signed, loc.shift, loc.mask, op, value)
            out.append(rows)
        return out


def _as_condition(other, sign: str) -> Condition:
    if not isinstance(other, Condition):
        raise ConditionError(f"{sign} joins two conditions, not a condition and {other!r}")
    return other


def _check_reachable(loc: Location, op: int, value: int, size: int, signed: int) -> None:
    """An == against a number the location cannot hold never stops: say so now."""
    if op != OP_EQ:
        return
    if loc.mask >= 0:
        low, high = 0, loc.mask
    elif loc.space in (SPACE_RAM, SPACE_IO):
        bits = 8 * size
        low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
        low, high = low >> loc.shift, high >> loc.shift
    else:
        high = {SPACE_FLAGS: 15, SPACE_GIE: 1, SPACE_PC: 0x3FF}.get(loc.space, 0xFF)
        low, high = 0, high >> loc.shift
    if not low <= value <= high:
        raise ConditionError(f"{loc!r} == {value} can never hold: the value is {low}..{high}")


def _resolve_ram(machine, where, size, signed) -> tuple[int, int, int, int]:
    from ..validate import integer

    if isinstance(where, str):
        variable = machine.symbols.variable(where)
        space = SPACE_IO if variable.space == "io" else SPACE_RAM
        address = variable.address
        size = variable.size or 1 if size is None else size
        signed = variable.signed if signed is None else signed
    else:
        space = SPACE_RAM
        address = integer(where, "RAM address", 0, RAM_BYTES - 1, error=AddressError)
        size = 1 if size is None else size
    size = integer(size, "a condition's size", 1, 8, error=ConditionError)
    limit = IO_REGS if space == SPACE_IO else RAM_BYTES
    if address + size > limit:
        raise AddressError(f"{size} bytes at 0x{address:02x} leave {'IO' if space else 'RAM'}")
    if space == SPACE_IO and size != 1:
        raise ConditionError(f"{where!r} is an IO register: one byte")
    return space, address, size, int(bool(signed))


def _resolve_io(machine, where) -> int:
    if isinstance(where, str) and where.lower() not in IO_NAMES:
        table = machine.symbols
        name = table._name(table.constants, where)
        if name is not None:
            return watch_slot(table.constants[name], True) - IO_SLOT
        variable = table.variable(where)
        if variable.space != "io":
            raise AddressError(f"{where!r} is RAM 0x{variable.address:02x}, not IO: use ram()")
        return variable.address
    return watch_slot(where, True) - IO_SLOT


def ram(where: int | str, size: int | None = None, signed: bool | None = None) -> Location:
    """RAM at an address or a variable's name (``"_counter"``, ``"counter"``,
    ``"main.i"``): `size` bytes little-endian (default: the variable's size, else 1),
    signed as its C type says unless `signed` is given. An IO variable reads IO."""
    return Location(SPACE_RAM, where, size, signed)


def io(where: int | str) -> Location:
    """IO register by address or name (``"pa"``, ``"tm2ct"``; an SDCC ``__sfr`` name) as
    an instruction reads it: FLAG with its high nibble set, PA as the pins."""
    return Location(SPACE_IO, where)


def pin(n: int) -> Location:
    """The level of PAn as seen from outside (0 or 1)."""
    from ..machine import Machine

    return pins.bit(Machine._pin_number(n))


a = Location(SPACE_A)  # the accumulator
sp = Location(SPACE_SP)  # the stack pointer
pc = Location(SPACE_PC)  # the address of the next instruction
gie = Location(SPACE_GIE)  # global interrupt enable (0/1)
pins = Location(SPACE_PINS)  # port A levels seen from outside (bit n = PAn)
flags = _Flags()  # flags.z, flags.c, flags.ac, flags.ov; flags itself is OV AC C Z


def stack_rows(conditions: list, prog: np.ndarray) -> tuple[tuple | None, list]:
    """The core's argument for all `conditions` [(Condition, rows per alternative)] on the
    predecoded ROM `prog`: (rows, evaluation mask), each alternative numbered as one
    group; and the Condition that owns each group."""
    parts, owners = [], []
    for condition, alternatives in conditions:
        for rows in alternatives:
            rows = rows.copy()
            rows[:, COND_GROUP] = len(owners)
            parts.append(rows)
            owners.append(condition)
    if not parts:
        return None, []
    rows = np.ascontiguousarray(np.concatenate(parts))
    return (rows, evaluation_mask(rows, prog)), owners


def evaluation_mask(rows: np.ndarray, prog: np.ndarray) -> np.ndarray:
    """uint8[len(prog)]: 1 for the words after which the core evaluates the rows, the
    words whose instruction may change a location they read. A, the flags and the pc
    change with almost every instruction, IO registers and pins with time too: with one
    of those, every word. RAM changes only by writes (direct ones to the bytes read;
    indirect ones and pushes anywhere), SP by the stack instructions and IO writes of
    SP, GIE by engint, disgint and reti; `reset` changes all, and so may a CLKMD write (a
    clock stop the watchdog ends resets the chip at once). The core also evaluates
    after the first instruction of each run and after each boundary service (interrupt
    entries, watchdog resets, pin changes, wake-ups), so nothing the mask leaves out is
    missed."""
    from .. import core

    op = prog.astype(np.int64) & 0xFF
    m = (prog.astype(np.int64) >> 8) & 0x3FF
    acc = core.ACCESS[op]
    spaces = {int(x) for x in rows[:, COND_SPACE]}
    if spaces & {SPACE_A, SPACE_FLAGS, SPACE_PC, SPACE_IO, SPACE_PINS}:
        return np.ones(len(prog), dtype=np.uint8)
    when = (op == core.OP_RESET) | ((acc & core.ACC_IO_W != 0) & (m == IO_CLKMD))
    if SPACE_RAM in spaces:
        read = np.zeros(RAM_BYTES, dtype=bool)
        for row in rows[rows[:, COND_SPACE] == SPACE_RAM]:
            read[row[COND_ADDRESS] : row[COND_ADDRESS] + row[COND_SIZE]] = True
        low, high = read[m & 0x3F], read[(m + 1) & 0x3F]
        when |= (acc & core.ACC_RAM_W != 0) & low
        when |= (acc & core.ACC_WORD_W != 0) & (low | high)
        when |= acc & (core.ACC_IND_W | core.ACC_PUSH) != 0
    if SPACE_SP in spaces:
        when |= acc & (core.ACC_PUSH | core.ACC_POP) != 0
        when |= (acc & core.ACC_IO_W != 0) & (m == IO_SP)
    if SPACE_GIE in spaces:
        when |= np.isin(op, [core.OP_ENGINT, core.OP_DISGINT, core.OP_RETI])
    return when.astype(np.uint8)


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
        ctrl_c.raise_if_pressed()  # one that a finalizer swallowed (pms150c/ctrl_c.py)
        before = machine.cycles
        status = machine._call(machine._clean, before + 1)
        if status in (ST_STOPSYS, ST_CLOCK_STOPPED):
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
