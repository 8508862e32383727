"""Expectations in time: "within N cycles (or ms) this holds", "for N cycles it never does".

A firmware test rarely cares about the exact instruction; it cares that the LED is on
within 10 ms of the button, or that the UART line never drops during start-up. These
helpers run a Machine until a condition holds, at most for a span given in cycles or in
simulated time, and fail with an `ExpectationError` (an AssertionError, so pytest reports
it as a failed test) whose message says what was expected, how long the run went, and
where the chip was: pc, C line, registers, pins and the condition's own values.

A condition is one of:

* a data condition of pms150c.debug.conditions (``pin(7) == 0``, ``ram("done") == 1``,
  ``(a == 3) & (flags.z == 1)``): evaluated inside the core after every instruction, at
  the debug variant's speed;
* a str: a label, C function or ``file.c:line`` that the pc reaches (a breakpoint, free);
* a function of the Machine returning a bool (``lambda m: uart.text == "Hi"``): called
  after every instruction (slow, about 2 µs each), or every `every` cycles when given.

Breakpoints and watchpoints the test set are passed over; a chip in ``stopsys`` with no
pin change pending cannot change any more, so the wait ends there.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .. import validate
from ..errors import ArgumentError, Pms150cError

if TYPE_CHECKING:
    from ..machine import Machine

Condition = object  # a debug.conditions.Condition, a str or a Callable[[Machine], bool]


class ExpectationError(Pms150cError, AssertionError):
    """An expectation about a running machine that failed: `assert_within`'s condition
    did not hold in time, or `assert_never`'s did. ``cycles`` is how long the run went
    (from the call), ``machine`` the Machine as it was left."""

    def __init__(self, message: str, cycles: int, machine=None):
        self.cycles = cycles
        self.machine = machine
        super().__init__(message)


class _Span:
    """A limit in cycles, or in simulated seconds converted at each chunk by the clock in
    force (the firmware may change CLKMD on the way)."""

    def __init__(self, machine, cycles, seconds):
        self.machine = machine
        self.start_cycles = machine.cycles
        self.start_time = machine.time_s
        self.cycles = cycles
        self.seconds = seconds

    def elapsed(self) -> int:
        return self.machine.cycles - self.start_cycles

    def chunk(self) -> int:
        """Cycles to run next (0: the span is over)."""
        if self.cycles is not None:
            return max(0, self.cycles - self.elapsed())
        left = self.seconds - (self.machine.time_s - self.start_time)
        if left <= 0:
            return 0
        return max(1, math.ceil(left * self.machine.clock_hz - 1e-9))

    def inside(self) -> bool:
        """Whether the machine's now is within the span (a stop may overshoot it by the
        rest of an instruction, or by a chunk at a clock that then slowed)."""
        if self.cycles is not None:
            return self.elapsed() <= self.cycles
        return self.machine.time_s - self.start_time <= self.seconds * (1 + 1e-12)

    def describe(self) -> str:
        if self.cycles is not None:
            return f"{self.cycles:,} cycles"
        return _seconds_text(self.seconds)


def _span(machine, cycles, seconds, ms, us) -> _Span:
    given = [(n, v) for n, v in (("cycles", cycles), ("seconds", seconds), ("ms", ms), ("us", us))]
    given = [(n, v) for n, v in given if v is not None]
    if len(given) != 1:
        raise ArgumentError("give the span as one of cycles=, seconds=, ms= or us=")
    name, value = given[0]
    if name == "cycles":
        limit = validate.INT64_MAX - machine.cycles
        return _Span(machine, validate.integer(value, "cycles", 0, limit), None)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ArgumentError(f"{name} must be a number, not {validate.describe(value)}")
    if not math.isfinite(value) or value < 0:
        raise ArgumentError(f"{name} must be a finite number >= 0, not {value!r}")
    scale = {"seconds": 1.0, "ms": 1e-3, "us": 1e-6}[name]
    return _Span(machine, None, float(value) * scale)


class _Waiter:
    """One way of running until a condition holds: set up, check now, run a chunk, tidy."""

    def __init__(self, machine, condition, every):
        from ..debug.conditions import Condition as DataCondition

        self.machine = machine
        self.condition = condition
        self.every = None
        self.added_breakpoint = False
        if isinstance(condition, DataCondition):
            self.kind = "data"
            self.rows = condition.rows(machine)  # names resolved now: errors come here
        elif isinstance(condition, str):
            self.kind = "label"
            self.address = machine.breakpoints._resolve(condition)  # as a breakpoint would
        elif callable(condition):
            self.kind = "function"
        else:
            raise ArgumentError(
                "a condition is a data condition (pin(7) == 0), a label or a function of the "
                f"Machine, not {validate.describe(condition)}"
            )
        if every is not None:
            if self.kind != "function":
                raise ArgumentError("every= applies to a function condition only")
            self.every = validate.integer(every, "every", 1, validate.INT64_MAX)

    def holds_now(self) -> bool:
        m = self.machine
        if self.kind == "label":
            return m.pc == self.address and m.mode == "running"
        if self.kind == "function":
            return bool(self.condition(m))
        return _data_holds(m, self.condition, self.rows)

    def __enter__(self) -> _Waiter:
        m = self.machine
        if self.kind == "label" and self.address not in m.breakpoints:
            m.breakpoints.add(self.address)
            self.added_breakpoint = True
        elif self.kind == "data" or (self.kind == "function" and self.every is None):
            m.break_when(self.condition)
        return self

    def __exit__(self, *exc) -> None:
        m = self.machine
        if self.added_breakpoint:
            m.breakpoints.discard(self.address)
        elif self.kind == "data" or (self.kind == "function" and self.every is None):
            m.remove_break_when(self.condition)

    def run(self, cycles: int) -> str:
        """Run at most `cycles`; 'held', 'stopsys' (nothing can change any more: stopsys with
        no pin change pending, or a stopped system clock) or ''."""
        from ..machine import StopKind

        m = self.machine
        if self.every is not None:
            before = m.cycles
            reason = m.run(min(cycles, self.every))
            if self.condition(m):
                return "held"
            if reason == StopKind.STOPSYS and m.cycles == before and not m._sched_len:
                return "stopsys"
            if reason == StopKind.CLOCK_STOPPED:
                return "stopsys"
            return ""
        before = m.cycles
        reason = m.run(cycles)
        if reason == StopKind.CONDITION and reason.condition is self.condition:
            return "held"
        if reason == StopKind.BREAKPOINT and self.kind == "label" and m.pc == self.address:
            return "held"
        if reason == StopKind.INTERRUPTED:
            raise KeyboardInterrupt
        if reason == StopKind.STOPSYS and m.cycles == before and not m._sched_len:
            return "stopsys"
        if reason == StopKind.CLOCK_STOPPED:  # no cycle passes any more, no pin wakes it
            return "stopsys"
        return ""

    def describe(self) -> str:
        if self.kind == "label":
            return f"the pc reaching {self.condition} (0x{self.address:03x})"
        if self.kind == "function":
            name = getattr(self.condition, "__name__", None) or repr(self.condition)
            return f"{name}(machine)"
        return repr(self.condition)

    def values(self) -> str:
        """The condition's locations and their values now, for a message."""
        if self.kind != "data":
            return ""
        return ", ".join(f"{loc!r} = {v}" for loc, v in _data_values(self.machine, self.condition))


def run_until(
    machine: Machine,
    condition: Condition,
    cycles: int | None = None,
    *,
    seconds: float | None = None,
    ms: float | None = None,
    us: float | None = None,
    every: int | None = None,
) -> int | None:
    """Run `machine` until `condition` holds (see the module docstring), for at most the
    span given (one of `cycles`, `seconds`, `ms`, `us` of simulated time). Returns the
    cycles it took (0 when it holds already), or None when it did not hold in the span
    (the machine then stands at the end of the span, in stopsys, or with its clock
    stopped)."""
    found, _, _ = _wait(machine, condition, cycles, seconds, ms, us, every)
    return found


def _wait(machine, condition, cycles, seconds, ms, us, every) -> tuple[int | None, _Span, _Waiter]:
    from ..machine import Machine

    if not isinstance(machine, Machine):
        raise ArgumentError(f"a Machine is needed, not {validate.describe(machine)}")
    span = _span(machine, cycles, seconds, ms, us)
    waiter = _Waiter(machine, condition, every)
    if waiter.holds_now():
        return 0, span, waiter
    with waiter:
        while True:
            chunk = span.chunk()
            if chunk == 0:
                return None, span, waiter
            outcome = waiter.run(chunk)
            if outcome == "held":
                return (span.elapsed() if span.inside() else None), span, waiter
            if outcome == "stopsys":
                return None, span, waiter


def assert_within(
    machine: Machine,
    condition: Condition,
    cycles: int | None = None,
    *,
    seconds: float | None = None,
    ms: float | None = None,
    us: float | None = None,
    every: int | None = None,
    what: str | None = None,
) -> int:
    """Run until `condition` holds and return the cycles that took; fail with an
    `ExpectationError` (an AssertionError) when it does not hold within the span (one of
    `cycles`, `seconds`, `ms`, `us`). `what` describes the condition in the message
    (default: the condition itself)."""
    __tracebackhide__ = True
    found, span, waiter = _wait(machine, condition, cycles, seconds, ms, us, every)
    if found is not None:
        return found
    label = what if what is not None else waiter.describe()
    ended = " (the chip sleeps in stopsys and no pin change is pending)" * (
        machine.mode == "stopsys"
    )
    message = (
        f"{label} did not hold within {span.describe()}: {_ran(span)}{ended}\n"
        f"  {state_text(machine)}"
    )
    values = waiter.values()
    if values:
        message += f"\n  {values}"
    raise ExpectationError(message, span.elapsed(), machine)


def assert_never(
    machine: Machine,
    condition: Condition,
    cycles: int | None = None,
    *,
    seconds: float | None = None,
    ms: float | None = None,
    us: float | None = None,
    every: int | None = None,
    what: str | None = None,
) -> None:
    """Run the whole span (one of `cycles`, `seconds`, `ms`, `us`) and fail with an
    `ExpectationError` at the first point where `condition` holds (the machine stays
    there, for the test to look at)."""
    __tracebackhide__ = True
    found, span, waiter = _wait(machine, condition, cycles, seconds, ms, us, every)
    if found is None:
        return
    label = what if what is not None else waiter.describe()
    message = (
        f"{label} held after {found:,} cycles, within the {span.describe()} it must not: "
        f"{_ran(span)}\n  {state_text(machine)}"
    )
    values = waiter.values()
    if values:
        message += f"\n  {values}"
    raise ExpectationError(message, found, machine)


# -- messages ----------------------------------------------------------------------------


def _seconds_text(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:g} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:g} ms"
    return f"{seconds * 1e6:g} us"


def _ran(span: _Span) -> str:
    m = span.machine
    took = m.time_s - span.start_time
    return (
        f"ran {span.elapsed():,} cycles (cycle {span.start_cycles:,} to {m.cycles:,}, "
        f"{_seconds_text(took)} of simulated time)"
    )


def state_text(machine: Machine) -> str:
    """One line of where `machine` is: pc with its function and source line, A, the
    flags, SP, the mode, the clock and the pins."""
    m = machine
    symbols = m.symbols
    where = f"pc=0x{m.pc:03x}"
    function = symbols.function_at(m.pc)
    if function is not None:
        where += f" in {function.c_name or function.name}"
    line = symbols.lines.get(m.pc) or symbols.asm_lines.get(m.pc)
    if line is not None:
        where += f" ({line.filename}:{line.line}: {line.text.strip()[:60]})"
    flags = int(m.flags)
    named = " ".join(n for n, bit in (("Z", 0), ("C", 1), ("AC", 2), ("OV", 3)) if flags >> bit & 1)
    return (
        f"{where}; a=0x{m.a:02x} flags={named or '-'} sp=0x{m.sp:02x}, {m.mode}, "
        f"clock {_hertz(m.clock_hz)}, pins=0x{m.pins:02x}"
    )


def _hertz(hz: float) -> str:
    if hz >= 1e6:
        return f"{hz / 1e6:g} MHz"
    if hz >= 1e3:
        return f"{hz / 1e3:g} kHz"
    return f"{hz:g} Hz"


# -- data conditions, evaluated by the core's own functions --------------------------------


def _core_args(m) -> tuple:
    return (m._ram, m._io, m._regs, m.a, int(m.flags), m.sp, m.pc, m.cycles)


def _data_holds(machine, condition, rows) -> bool:
    from .. import core
    from ..debug.conditions import stack_rows

    (stacked, _mask), _owners = stack_rows([(condition, rows)], machine._clean)
    return core._cond_hit(stacked, *_core_args(machine)) >= 0


def _data_values(machine, condition) -> list[tuple[object, int]]:
    from .. import core

    out, seen = [], set()
    for group, rows in zip(condition.groups, condition.rows(machine), strict=True):
        for (loc, _op, _value), row in zip(group, rows, strict=True):
            if repr(loc) in seen:
                continue
            seen.add(repr(loc))
            out.append((loc, int(core._cond_value(row, *_core_args(machine)))))
    return out
