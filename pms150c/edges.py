"""Pin-edge recording: the core's signal log seen from the host.

The jitted core writes every change of a watched signal into a preallocated array as
(cycle, bit, level, sub, den) rows (pms150c/peripherals/signals.py); a Machine keeps one
such log (`SignalLog`) while anything listens to it, empties it whenever the core returns
(the core returns by itself when the log is nearly full, so nothing is lost) and hands
each listener the rows of its bits. Listeners are `PinRecording` (what
`Machine.record_pins` returns), the VCD writer (pms150c/debug/vcd.py) and the devices on
the pins (pms150c/devices.py).

A change's exact time is ``cycle - sub/den`` system cycles since power-on: ``cycle`` is
the first instruction boundary at which the new level holds, and ``sub/den`` is 0 except
for Timer2 flips clocked by IHRC or ILRC, which fall inside a cycle. Pulse widths, periods
and duty cycles are computed from those exact times in rational arithmetic, so a PWM duty
of 11/256 at two Timer2 counts per cycle comes out as 11/256, not as a rounded ratio of
whole cycles.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from . import core
from .device import PA_PINS
from .errors import Pms150cError
from .peripherals.clock import clock_word, clock_word_hz, time_units_at
from .peripherals.signals import (
    CLOCK_BITS,
    M_COUNT,
    M_HIT,
    M_LAST,
    M_MASK,
    M_STOP,
    META_SLOTS,
    SIG_CLKMD,
    log_signals,
    signal_word,
)
from .state import R_CYCLES, TIME_UNITS_PER_S

LOG_ROWS = 1 << 16  # rows of the core's log (40 bytes each) between two drains

# the core's rows as they are (five int64 columns), so a recording is a view, not a copy
EDGE_DTYPE = np.dtype([(name, np.int64) for name in ("cycle", "pin", "level", "sub", "den")])


class EdgeError(Pms150cError):
    """A recording asked for something it cannot give (a pin it does not record, a period
    of a pin with fewer than two rising edges, ...)."""


class SignalLog:
    """The core's log of one Machine and the listeners it feeds.

    A listener has ``bits`` (signal-word bits it wants), ``stop_bits`` (bits whose change
    must return control to the host at the next boundary, for devices that answer),
    ``receive(rows)`` (an int64 [k, 5] array, oldest first) and ``restart()`` (the
    Machine's time went back: reset, restore_state, call)."""

    def __init__(self, machine, rows: int = LOG_ROWS):
        self.machine = machine
        self.rows = np.zeros((rows, 5), dtype=np.int64)
        self.meta = np.zeros(META_SLOTS, dtype=np.int64)
        self.arrays = (self.rows, self.meta, core.signal_words(machine._clean))
        self.listeners: list = []

    def add(self, listener) -> None:
        self.sync()
        self.listeners.append(listener)
        self._update_masks()

    def remove(self, listener) -> None:
        self.sync()
        self.listeners = [x for x in self.listeners if x is not listener]
        self._update_masks()

    def _update_masks(self) -> None:
        mask = stop = 0
        for listener in self.listeners:
            mask |= listener.bits
            stop |= listener.stop_bits
        m = self.machine
        self.meta[M_MASK] = mask
        self.meta[M_STOP] = stop
        self.meta[M_LAST] = int(signal_word(m._regs, m._io)) & mask

    def sync(self) -> None:
        """Log what the host changed since the core last ran (set_pin, io_poke) at the
        present cycle, then hand every row to its listeners."""
        m = self.machine
        log_signals(m._regs, m._io, self.arrays, m._regs[R_CYCLES])
        self.drain()

    def drain(self) -> None:
        """Hand the rows to the listeners (a view of the core's array: a listener copies
        what it keeps) and empty the log."""
        n = int(self.meta[M_COUNT])
        self.meta[M_HIT] = 0
        if n == 0:
            return
        rows = self.rows[:n]
        mask = int(self.meta[M_MASK])
        try:
            for listener in list(self.listeners):
                if listener.bits & mask == mask:  # every row is the listener's
                    listener.receive(rows)
                    continue
                mine = rows[(listener.bits >> rows[:, 1]) & 1 == 1]
                if len(mine):
                    listener.receive(mine)
        finally:
            self.meta[M_COUNT] = 0

    def restart(self) -> None:
        """The Machine's time went back: listeners start over from the present state."""
        self.meta[M_COUNT] = 0
        self.meta[M_HIT] = 0
        for listener in list(self.listeners):
            listener.restart()
        self._update_masks()


def seconds_per_cycle(machine, word: int) -> Fraction:
    """The length of one system cycle under clock word `word` (CLKMD | IHRCR << 8 |
    ILRCR << 16, peripherals/clock.clock_word) at the machine's oscillators, exactly; 0
    when the clock stands."""
    f_osc, divider = clock_word_hz(machine._ihrc_base, machine._ilrc_base, word)
    return Fraction(divider, f_osc) if f_osc else Fraction(0)


class Timeline:
    """Cycles to seconds since power-on, across the clock changes (CLKMD and the trims)
    seen in the log."""

    def __init__(self, machine):
        cycle = machine.cycles
        self.machine = machine
        self.cycles = [cycle]
        self.seconds = [
            Fraction(time_units_at(machine._regs, machine._io, cycle), TIME_UNITS_PER_S)
        ]
        self.words = [clock_word(machine._io)]

    def clock_row(self, cycle: int, bit: int, level: int) -> None:
        """A bit of the clock word changed at `cycle` (rows of one write arrive one bit at a
        time)."""
        value = self.words[-1]
        value = (value | 1 << bit) if level else (value & ~(1 << bit))
        if cycle == self.cycles[-1]:
            self.words[-1] = value
            return
        self.seconds.append(self.at(cycle))
        self.cycles.append(cycle)
        self.words.append(value)

    def at(self, cycle) -> Fraction:
        """Seconds since power-on at (exact, possibly fractional) `cycle`."""
        i = max(0, int(np.searchsorted(self.cycles, int(np.ceil(cycle)), side="right")) - 1)
        i = min(i, len(self.cycles) - 1)
        return self.seconds[i] + (Fraction(cycle) - self.cycles[i]) * seconds_per_cycle(
            self.machine, self.words[i]
        )

    def hz(self, cycle: int) -> Fraction:
        """The system clock in force at `cycle` (0 when it stands)."""
        i = max(0, int(np.searchsorted(self.cycles, cycle, side="right")) - 1)
        period = seconds_per_cycle(self.machine, self.words[i])
        return 1 / period if period else Fraction(0)


class PinRecording:
    """Changes of port A pins since `Machine.record_pins`: ``edges`` is a numpy structured
    array (cycle, pin, level, sub, den), oldest first; the helpers measure pulses, periods,
    frequency and duty from the exact times. Stop with `stop()` (or use it as a context
    manager); the rows recorded stay readable."""

    stop_bits = 0

    def __init__(self, machine, pins):
        self.machine = machine
        self.pins = tuple(pins)
        self.bits = sum(1 << p for p in self.pins) | CLOCK_BITS
        self.recording = False
        self.restart()

    def restart(self) -> None:
        m = self.machine
        self.start_cycle = m.cycles
        levels = m.pins
        self.initial = {p: levels >> p & 1 for p in self.pins}
        self.timeline = Timeline(m)
        empty = np.zeros(0, dtype=EDGE_DTYPE)
        empty.flags.writeable = False
        self._chunks: list[np.ndarray] = [empty]

    def receive(self, rows: np.ndarray) -> None:
        clock = rows[:, 1] >= SIG_CLKMD
        if clock.any():
            for cycle, bit, level, _sub, _den in rows[clock].tolist():
                self.timeline.clock_row(cycle, bit - SIG_CLKMD, level)
            rows = rows[~clock]
        if len(rows):
            self._chunks.append(np.ascontiguousarray(rows).copy().view(EDGE_DTYPE)[:, 0])

    # -- control -------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop recording (the rows so far stay)."""
        if self.recording:
            self.machine._signal_listener(self, add=False)
            self.recording = False

    def __enter__(self) -> PinRecording:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _sync(self) -> None:
        if self.recording:
            self.machine._signals.sync()

    # -- the rows ------------------------------------------------------------------------

    @property
    def edges(self) -> np.ndarray:
        """Every change recorded, oldest first (read-only)."""
        self._sync()
        if len(self._chunks) > 1:
            self._chunks = [np.concatenate(self._chunks)]
            self._chunks[0].flags.writeable = False
        return self._chunks[0]

    def of(self, pin: int) -> np.ndarray:
        """The changes of one pin."""
        pin = self._pin(pin)
        edges = self.edges
        return edges[edges["pin"] == pin]

    def _pin(self, pin) -> int:
        from .validate import integer

        number = integer(pin, "pin", error=EdgeError)
        if number not in self.pins:
            raise EdgeError(f"PA{number} is not recorded (recorded: {list(self.pins)})")
        return number

    def times(self, pin: int, level: int | None = None) -> list[Fraction]:
        """Exact times (in cycles since power-on) of the changes of `pin`, or only of those
        to `level` (1: rising edges, 0: falling)."""
        rows = self.of(pin)
        if level is not None:
            rows = rows[rows["level"] == level]
        return [_exact(r) for r in rows]

    def level_at(self, pin: int, cycle: int) -> int:
        """The level of `pin` at boundary `cycle` (within the recording)."""
        rows = self.of(pin)
        before = rows[rows["cycle"] <= cycle]
        return int(before["level"][-1]) if len(before) else self.initial[self._pin(pin)]

    # -- measurements --------------------------------------------------------------------

    def pulse_widths(self, pin: int, level: int = 1) -> list[Fraction]:
        """Durations in cycles of every complete pulse at `level` (from a change to
        `level` to the next change away), in order."""
        rows = self.of(pin)
        out = []
        for a, b in zip(rows[:-1], rows[1:], strict=True):
            if a["level"] == level:
                out.append(_exact(b) - _exact(a))
        return out

    def period(self, pin: int) -> Fraction:
        """Mean period in cycles between the first and the last rising edge (exact)."""
        rises = self.times(pin, 1)
        if len(rises) < 2:
            raise EdgeError(f"PA{pin} has {len(rises)} rising edge(s): no period to measure")
        return (rises[-1] - rises[0]) / (len(rises) - 1)

    def frequency(self, pin: int) -> Fraction:
        """Mean frequency in Hz over the whole periods recorded, from the simulated clock
        (CLKMD changes during the recording included)."""
        rises = self.times(pin, 1)
        if len(rises) < 2:
            raise EdgeError(f"PA{pin} has {len(rises)} rising edge(s): no frequency to measure")
        seconds = self.timeline.at(rises[-1]) - self.timeline.at(rises[0])
        return (len(rises) - 1) / seconds

    def duty(self, pin: int) -> Fraction:
        """High time over total time across the whole periods between the first and the
        last rising edge, exactly (cycle sums of exact edge times)."""
        rows = self.of(pin)
        rises = np.flatnonzero(rows["level"] == 1)
        if len(rises) < 2:
            raise EdgeError(f"PA{pin} has {len(rises)} rising edge(s): no duty to measure")
        first, last = int(rises[0]), int(rises[-1])
        high = Fraction(0)
        for i in range(first, last):
            if rows[i]["level"] == 1:
                high += _exact(rows[i + 1]) - _exact(rows[i])
        return high / (_exact(rows[last]) - _exact(rows[first]))

    def seconds(self, cycle) -> Fraction:
        """Seconds since power-on at `cycle` (exact; clock changes in the recording count)."""
        self._sync()
        return self.timeline.at(cycle)

    def __repr__(self) -> str:
        state = "recording" if self.recording else "stopped"
        return f"PinRecording(pins={list(self.pins)}, {state}, from cycle {self.start_cycle})"


class SignalRecording:
    """The raw rows (cycle, bit, level, sub, den) of any signal-word bits (see
    pms150c/peripherals/signals.py), for tools that show more than pins (the VCD writer)
    and for tests that compare the two interpreters."""

    stop_bits = 0

    def __init__(self, machine, bits: int):
        self.machine = machine
        self.bits = int(bits)
        self.rows: list[tuple[int, int, int, int, int]] = []
        machine._signal_listener(self, add=True)

    def receive(self, rows: np.ndarray) -> None:
        self.rows += [tuple(int(x) for x in row) for row in rows]

    def restart(self) -> None:
        self.rows = []

    def stop(self) -> list[tuple[int, int, int, int, int]]:
        self.machine._signal_listener(self, add=False)
        return self.rows


def _exact(row) -> Fraction:
    return Fraction(int(row["cycle"])) - Fraction(int(row["sub"]), int(row["den"]))


def check_pins(pins) -> tuple[int, ...]:
    """The recorded pins: all of port A for None, else a pin or an iterable of pins."""
    from .errors import PinError
    from .validate import describe, integer

    if pins is None:
        return PA_PINS
    if hasattr(pins, "__index__"):
        pins = [pins]
    try:
        pins = list(pins)
    except TypeError:
        raise PinError(f"pins must be a pin or a list of pins, not {describe(pins)}") from None
    out = set()
    for pin in pins:
        number = integer(pin, "pin", error=PinError)
        if number not in PA_PINS:
            raise PinError(f"PA{number} does not exist (pins: {PA_PINS})")
        out.add(number)
    return tuple(sorted(out))
