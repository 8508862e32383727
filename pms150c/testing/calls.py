"""`call`: run one C function (or assembly routine) of a firmware with arguments, get its
return value and its exact cycles, as a unit test or a hypothesis test wants.

`Machine.call` does the running (a few microseconds a call); this adds what SDCC's calling
convention on the PDK13 means for a caller, read from the build's symbols:

* arguments: SDCC passes every parameter of a non-reentrant function in static RAM,
  ``_f_PARM_1``, ``_f_PARM_2``, ... (each as wide as its type; the .rst gives the size,
  the .cdb the signedness), so ``call(m, "add_sat", 200, 100)`` stores them there;
* the return value: 1 byte in A, 2 bytes (ints, pointers) in A (low) and the
  pseudo-register ``p`` (high); wider ones (long, long long, float) through a pointer the
  caller pushes before the call, to a buffer of its own: `call` makes the same stack;
* the start: a call starts from the state at the first arrival at ``main`` (SDCC's start-up
  has then set SP and initialised the globals), run once per Machine and kept, unless
  `state` says otherwise; a build without ``main`` starts at power-on.
"""

from __future__ import annotations

import struct
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import validate
from ..device import RAM_BYTES
from ..errors import AddressError, ArgumentError, CallError, LabelError

if TYPE_CHECKING:
    from ..machine import Machine, MachineState
    from ..symbols import SymbolTable

BOOT_CYCLES = 10_000_000  # the start-up code up to main: SDCC's clears 64 bytes in ~300
AUTO = "auto"  # state=AUTO: the state at main when the build has one, else power-on

# C return types by their size in bytes (pointers are 2 bytes on the PDK13 ports)
_TYPE_SIZES = {
    "void": 0,
    "char": 1,
    "unsigned char": 1,
    "_Bool": 1,
    "short": 2,
    "unsigned short": 2,
    "int": 2,
    "unsigned int": 2,
    "long": 4,
    "unsigned long": 4,
    "float": 4,
    "long long": 8,
    "unsigned long long": 8,
}


@dataclass(frozen=True)
class Called:
    """What a `call` returned: ``value`` (the C return value by its type and sign; A for
    an assembly routine; None for void), A, FLAG (0..15), SP, the ``cycles`` from the
    routine's first instruction up to and including its ``ret``, and the RAM after it
    (bytes), with its variables by name through `var`."""

    value: int | float | None
    a: int
    flags: int
    sp: int
    cycles: int
    ram: bytes = field(repr=False)
    symbols: SymbolTable = field(repr=False, compare=False)

    def var(self, name: str, size: int | None = None, *, signed: bool | None = None) -> int:
        """The variable `name` in the RAM the call left (its size and sign from the build
        unless given), as `Machine.read_var` would read it."""
        variable = self.symbols.variable(name)
        if variable.space != "ram":
            raise AddressError(f"{name!r} is an IO register, not RAM")
        size = variable.size or 1 if size is None else validate.integer(size, "size", 1, 8)
        if variable.address + size > RAM_BYTES:
            raise AddressError(f"{size} bytes at 0x{variable.address:02x} leave RAM")
        raw = self.ram[variable.address : variable.address + size]
        signed = variable.signed if signed is None else validate.flag(signed, "signed")
        return int.from_bytes(raw, "little", signed=signed)

    def u16(self, address: int) -> int:
        """The little-endian 16-bit value at RAM `address`."""
        address = validate.integer(address, "RAM address", 0, RAM_BYTES - 1, error=AddressError)
        return self.ram[address] | self.ram[(address + 1) % RAM_BYTES] << 8


@dataclass(frozen=True)
class _Routine:
    """What a call of one routine needs, worked out once per Machine."""

    entry: int
    parameters: tuple[tuple[str, int, int, bool], ...]  # (name, address, size, signed)
    returns: int | None  # bytes; None: not known (A)
    signed: bool
    ctype: str


_boot_states: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_routines: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def boot_state(machine: Machine, until: str = "main", max_cycles: int = BOOT_CYCLES):
    """The `MachineState` at the first arrival at `until` from power-on (the machine is
    reset and run to get it; kept per Machine and label for the next calls)."""
    from ..machine import StopKind

    states = _boot_states.setdefault(machine, {})
    if until in states:
        return states[until]
    address = machine.breakpoints._resolve(until)
    added = address not in machine.breakpoints
    machine.reset()
    if added:
        machine.breakpoints.add(address)
    try:
        end = machine.cycles + max_cycles
        while machine.pc != address:  # (a label at word 0 is reached at power-on)
            reason = machine.run(end - machine.cycles)
            if machine.pc == address and reason == StopKind.BREAKPOINT:
                break
            if reason.kind in (StopKind.STOPSYS, StopKind.MAX_CYCLES, StopKind.INTERRUPTED):
                raise CallError(
                    f"the start-up did not reach {until} ({reason.kind.value})",
                    machine.pc,
                    machine.cycles,
                )
    finally:
        if added:
            machine.breakpoints.discard(address)
    states[until] = machine.save_state()
    return states[until]


def _routine(machine: Machine, routine: int | str) -> _Routine:
    known = _routines.setdefault(machine, {})
    key = (type(routine), routine)
    if key in known:
        return known[key]
    entry = machine._call_entry(routine)
    symbols = machine.symbols
    function = None
    if isinstance(routine, str):
        name = symbols._name(symbols.functions, routine)
        function = symbols.functions.get(name) if name else None
    if function is None:
        function = next((f for f in symbols.functions.values() if f.start == entry), None)
    c_name = function.c_name if function is not None and function.c_name else None
    if c_name is None and isinstance(routine, str):
        c_name = routine.removeprefix("_")
    parameters = []
    n = 1
    while c_name is not None and f"_{c_name}_PARM_{n}" in symbols.variables:
        parm = symbols.variables[f"_{c_name}_PARM_{n}"]
        local = next(
            (
                v
                for v in symbols.variables.values()
                if v.function == c_name and v.address == parm.address and v.size
            ),
            None,
        )
        size = parm.size or (local.size if local else None) or 1
        parameters.append((parm.name, parm.address, size, bool(local and local.signed)))
        n += 1
    ctype = function.ctype if function is not None else ""
    size = _TYPE_SIZES.get(ctype, 2 if ctype.endswith("*") else None) if ctype else None
    found = _Routine(entry, tuple(parameters), size, bool(function and function.signed), ctype)
    known[key] = found
    return found


def _fit(value, what: str, size: int) -> int:
    """`value` as `size` bytes of two's complement (signed or unsigned values fit)."""
    bits = 8 * size
    if type(value) is not int or not -(1 << (bits - 1)) <= value < 1 << bits:  # the fast path
        value = validate.integer(value, what, -(1 << (bits - 1)), (1 << bits) - 1)
    return value & ((1 << bits) - 1)


def call(
    machine: Machine,
    routine: int | str,
    *args: int,
    a: int | None = None,
    ram: dict | None = None,
    flags: int | None = None,
    sp: int | None = None,
    state: MachineState | str | None = AUTO,
    returns: int | None = None,
    signed: bool | None = None,
    max_cycles: int = 1_000_000,
) -> Called:
    """Run `routine` (a C function, label or word address) with the C arguments `args`
    and return what it gave back (`Called`).

    `a`, `flags`, `sp` and `ram` (``{address or variable name: value}``, a name's value
    as wide as the variable) are set after the arguments; `state` is where the call
    starts: ``"auto"`` (the state at ``main`` when the build has one, else power-on), a
    label to boot to (see `boot_state`), a `MachineState`, or None for power-on.
    `returns` gives the size of the return value in bytes (0 for none) where the build
    does not say (without ``--debug`` there is no .cdb); `signed` its sign. Raises
    `CallError` for a routine that does not return within `max_cycles`, as
    `Machine.call` does."""
    Machine, MachineState = _machine_classes()
    if not isinstance(machine, Machine):
        raise ArgumentError(f"call needs a Machine, not {validate.describe(machine)}")
    info = _routine(machine, routine)
    start = state if isinstance(state, MachineState) else _start(machine, state)
    if len(args) != len(info.parameters):
        where = f" (from {info.parameters[0][0]}...)" if info.parameters else ""
        raise ArgumentError(
            f"{routine!r} takes {len(info.parameters)} argument(s) in the build{where}, "
            f"not {len(args)}"
        )
    pokes: dict[int, int] = {}
    for value, (name, address, size, _signed) in zip(args, info.parameters, strict=True):
        _store(pokes, address, _fit(value, f"the argument {name}", size), size)
    for key, value in (ram or {}).items() if isinstance(ram, dict) else _bad_ram(ram):
        if isinstance(key, str):
            variable = machine.symbols.variable(key)
            if variable.space != "ram":
                raise AddressError(f"{key!r} is an IO register, not RAM")
            size = variable.size or 1
            _store(pokes, variable.address, _fit(value, key, size), size)
        else:
            if type(key) is not int or not 0 <= key < RAM_BYTES:  # the fast path: plain ints
                key = validate.integer(key, "RAM address", 0, RAM_BYTES - 1, error=AddressError)
            if type(value) is not int or not -128 <= value <= 255:
                value = _fit(value, f"the byte at RAM 0x{key:02x}", 1)
            pokes[key] = value & 0xFF
    size = info.returns if returns is None else validate.integer(returns, "returns", 0, 8)
    is_signed = info.signed if signed is None else validate.flag(signed, "signed")
    buffer = None
    if size is not None and size > 2:  # the result goes where the pointer pushed says
        base = _stack_top(start, sp)
        if base + size + 2 > RAM_BYTES:
            raise AddressError(f"no room above SP 0x{base:02x} for a {size}-byte result")
        buffer = base
        pokes[base + size] = base  # the pointer, pushed with `push af` (A, then FLAG)
        sp = base + size + 2
    r = machine.call(
        info.entry,
        a=a,
        ram=pokes,
        flags=flags,
        sp=sp,
        state=start,
        max_cycles=max_cycles,
    )
    value = _value(machine, r, size, is_signed, buffer, info.ctype)
    return Called(value, r.a, r.flags, r.sp, r.cycles, r.ram, machine.symbols)


def _bad_ram(ram):
    if ram is None:
        return ()
    raise ArgumentError(
        f"ram must be a dict {{address or name: value}}, not {validate.describe(ram)}"
    )


def _store(pokes: dict[int, int], address: int, value: int, size: int) -> None:
    if address + size > RAM_BYTES:
        raise AddressError(f"{size} bytes at 0x{address:02x} leave RAM")
    for i in range(size):
        pokes[address + i] = value >> (8 * i) & 0xFF


def _machine_classes():
    """Machine and MachineState, imported on first use (they bring in Numba)."""
    global _MACHINE_CLASSES
    if _MACHINE_CLASSES is None:
        from ..machine import Machine, MachineState

        _MACHINE_CLASSES = (Machine, MachineState)
    return _MACHINE_CLASSES


_MACHINE_CLASSES = None


def _start(machine: Machine, state):
    if state is None:
        return None
    if isinstance(state, str) and state == AUTO:
        states = _boot_states.get(machine)
        if states and "main" in states:
            return states["main"]
        symbols = machine.symbols
        has_main = symbols._name(symbols.code, "main") or symbols._name(symbols.functions, "main")
        return boot_state(machine) if has_main else None
    if isinstance(state, str):
        return boot_state(machine, state)
    raise ArgumentError(
        f"state must be 'auto', a label, a MachineState or None, not {validate.describe(state)}"
    )


def _stack_top(start, sp) -> int:
    from ..state import R_SP

    if sp is not None:
        return validate.integer(sp, "sp", 0, RAM_BYTES - 1)
    return 0 if start is None else int(start.regs[R_SP])


def _value(machine, r, size, is_signed, buffer, ctype):
    if size == 0:
        return None
    if size is None or size == 1:
        raw = bytes([r.a])
    elif size == 2:
        p = _p_address(machine)
        raw = bytes([r.a, r.ram[p]])
    else:
        raw = r.ram[buffer : buffer + size]
    if ctype == "float" and size == 4:
        return struct.unpack("<f", raw)[0]
    return int.from_bytes(raw, "little", signed=is_signed)


def _p_address(machine) -> int:
    """SDCC's pseudo-register ``p`` (RAM 0 in every SDCC 4.2 build)."""
    try:
        return machine.symbols.variable("p").address
    except LabelError:
        return 0
