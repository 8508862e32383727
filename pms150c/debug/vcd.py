"""VCD waveforms of port A, the Timer2 output and the interrupt requests, for GTKWave.

The run records through the core's signal log (pms150c/peripherals/signals.py,
pms150c/edges.py): the jitted core writes every change of a signal into an array at its
exact cycle, even inside a multi-cycle instruction (a PWM edge in the second cycle of a
`goto`), and this module turns the rows into VCD text in batches (a jitted formatter), so
a recording runs at most a few times slower than a plain run. A change written at time t
means the new level holds from cycle t on; an instruction's IO write shows at the cycle
the instruction starts (docs/timing-model.md: every write lands at t).

Time units: ``"cycle"`` (the default) writes the system cycle count as the time, under a
``1 ns`` timescale with a comment saying so (GTKWave then shows "ns" that are cycles);
``"ns"`` writes real time in ns at the clock in force (CLKMD changes included: the log
carries them), rounded to the nearest ns; a Timer2 flip clocked by IHRC or ILRC shows at
its exact time inside the cycle (exact at IHRC-derived clocks: 125 ns per cycle at 8 MHz).

Memory: `write_vcd` streams the changes to the file as the core returns them (through a
temporary file renamed at the end, pms150c/files.py), so a recording of any length holds
one batch. `record_vcd` returns the text and so keeps it: it refuses to grow past
MAX_TEXT_CHANGES value changes (use `write_vcd` for longer recordings).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO

import numpy as np
from numba import njit

from ..errors import Pms150cError
from ..peripherals.clock import clock_word, clock_word_hz, time_units_at
from ..peripherals.signals import CLOCK_BITS, SIG_CLKMD, SIG_INTRQ, signal_word
from ..peripherals.timers import INT_PA0, INT_T16, INT_TM2
from ..state import ST_LIMIT, ST_STOPSYS, TIME_UNITS_PER_S


class VcdError(Pms150cError):
    """A VCD file that cannot be read back, or a bad recording request."""


@dataclass(frozen=True)
class Signal:
    name: str
    bit: int  # bit of the core's signal word


# Bits of the core's signal word (pms150c/peripherals/signals.py): 0..7 port A pins,
# 8 the TM2 output, 16..23 INTRQ.
SIGNALS = (
    Signal("PA0", 0),
    Signal("PA3", 3),
    Signal("PA4", 4),
    Signal("PA5", 5),
    Signal("PA6", 6),
    Signal("PA7", 7),
    Signal("TM2_OUT", 8),
    Signal("INTRQ_PA0", SIG_INTRQ + INT_PA0.bit_length() - 1),
    Signal("INTRQ_T16", SIG_INTRQ + INT_T16.bit_length() - 1),
    Signal("INTRQ_TM2", SIG_INTRQ + INT_TM2.bit_length() - 1),
)
SIGNAL_BITS = sum(1 << s.bit for s in SIGNALS)


def _ns(units: int) -> int:
    """Time units (TIME_UNITS_PER_S per second) to the nearest ns."""
    return (units * 1_000_000_000 + TIME_UNITS_PER_S // 2) // TIME_UNITS_PER_S


def _ident(i: int) -> str:
    return chr(33 + i)


MAX_TEXT_CHANGES = 2_000_000  # signal changes `record_vcd` keeps in its returned text


class _Lines:
    """Where the writer's lines go: an open file, written a few thousand lines at a time
    (bounded memory, few write calls), and a count of the value changes."""

    BATCH = 4096

    def __init__(self, out: IO[str], limit: int | None):
        self.out = out
        self.limit = limit
        self.changes = 0
        self.pending: list[str] = []

    def append(self, line: str) -> None:
        self.pending.append(line)
        if len(self.pending) >= self.BATCH:
            self.flush()

    def __iadd__(self, lines: list[str]):
        for line in lines:
            self.append(line)
        return self

    def flush(self) -> None:
        if self.pending:
            self.out.write("\n".join(self.pending) + "\n")
            self.pending.clear()


class _Writer:
    def __init__(self, unit: str, out: IO[str], limit: int | None = None):
        self.unit = unit
        self.lines = _Lines(out, limit)
        self.last_time: int | None = None

    def header(self) -> None:
        comment = (
            "time unit: one system cycle (shown as ns)"
            if self.unit == "cycle"
            else "time unit: ns at the system clock in force"
        )
        self.lines += [
            "$version pms150c simulator $end",
            f"$comment {comment} $end",
            "$timescale 1 ns $end",
            "$scope module pms150c $end",
        ]
        for i, s in enumerate(SIGNALS):
            self.lines.append(f"$var wire 1 {_ident(i)} {s.name} $end")
        self.lines += ["$upscope $end", "$enddefinitions $end"]

    def dump(self, time: int, value: int) -> None:
        """The initial value of every signal (`value`: a signal word) at `time`."""
        self.lines += [f"#{time}", "$dumpvars"]
        self.lines += [f"{value >> s.bit & 1}{_ident(i)}" for i, s in enumerate(SIGNALS)]
        self.lines.append("$end")
        self.last_time = time


@njit(cache=True)
def _format(times, idents, levels, last_time, out):
    """VCD lines for changes (time, ident character, level) into the byte buffer `out`:
    a ``#time`` line where the time moves on, then ``<level><ident>``. Returns (bytes
    written, the last time written)."""
    n = 0
    digits = np.zeros(20, dtype=np.uint8)
    for i in range(times.size):
        t = times[i]
        if t != last_time:
            out[n] = 35  # '#'
            n += 1
            k = 0
            v = t
            while True:
                digits[k] = 48 + v % 10
                v //= 10
                k += 1
                if v == 0:
                    break
            for j in range(k):
                out[n + j] = digits[k - 1 - j]
            n += k
            out[n] = 10
            n += 1
            last_time = t
        out[n] = 48 + levels[i]
        out[n + 1] = idents[i]
        out[n + 2] = 10
        n += 3
    return n, last_time


IDENTS = np.zeros(32, dtype=np.uint8)  # signal-word bit -> ident character
for _i, _s in enumerate(SIGNALS):
    IDENTS[_s.bit] = ord(_ident(_i))


class _Recorder:
    """A listener of the Machine's signal log that writes VCD value changes."""

    stop_bits = 0

    def __init__(self, machine, writer: _Writer, unit: str):
        self.machine = machine
        self.writer = writer
        self.unit = unit
        self.bits = SIGNAL_BITS | (CLOCK_BITS if unit == "ns" else 0)
        regs, io_regs = machine._regs, machine._io
        self.base_cycle = machine.cycles  # ns: the clock in force since base_cycle
        self.base_units = time_units_at(regs, io_regs, self.base_cycle)
        self.word = clock_word(io_regs)  # CLKMD, IHRCR, ILRCR: the clock since base_cycle
        self.buffer = np.zeros(0, dtype=np.uint8)

    def time_of(self, cycle: int) -> int:
        if self.unit == "cycle":
            return cycle
        return _ns(self._units_at(cycle))

    def _clock(self) -> tuple[int, int]:
        """(f_osc, divider) in force since base_cycle, at the machine's oscillators."""
        m = self.machine
        return clock_word_hz(m._ihrc_base, m._ilrc_base, self.word)

    def _units_at(self, cycle: int) -> int:
        f_osc, divider = self._clock()
        if not f_osc:
            return self.base_units
        return self.base_units + (cycle - self.base_cycle) * divider * TIME_UNITS_PER_S // f_osc

    def receive(self, rows: np.ndarray) -> None:
        lines = self.writer.lines
        lines.changes += len(rows) - int(np.count_nonzero(rows[:, 1] >= SIG_CLKMD))
        if lines.limit is not None and lines.changes > lines.limit:
            raise VcdError(
                f"more than {lines.limit} value changes to keep in memory: "
                "write_vcd streams a recording of any length to a file"
            )
        if self.unit == "cycle":
            self._write(rows[:, 0], rows)
            return
        clock = np.flatnonzero(rows[:, 1] >= SIG_CLKMD)
        start = 0
        for i in [*clock.tolist(), len(rows)]:  # segments of one clock setting
            if i > start:
                self._write(self._ns_times(rows[start:i]), rows[start:i])
            if i < len(rows):
                self._clock_change(rows[i])
            start = i + 1

    def _ns_times(self, rows: np.ndarray) -> np.ndarray:
        f_osc, divider = self._clock()
        if not f_osc:
            return np.full(len(rows), _ns(self.base_units), dtype=np.int64)
        base, start = self.base_units, self.base_cycle
        cycles = rows[:, 0].tolist()
        times = [_ns(base + (c - start) * divider * TIME_UNITS_PER_S // f_osc) for c in cycles]
        for k in np.flatnonzero(rows[:, 3]).tolist():  # a flip inside a cycle: exact
            sub, den = int(rows[k, 3]), int(rows[k, 4])
            # base + ((cycle - start) - sub / den) cycles, in units * den * f_osc
            exact = base * den * f_osc + ((cycles[k] - start) * den - sub) * divider * (
                TIME_UNITS_PER_S
            )
            scale = den * f_osc * (TIME_UNITS_PER_S // 1_000_000_000)
            times[k] = (exact + scale // 2) // scale
        return np.array(times, dtype=np.int64)

    def _clock_change(self, row: np.ndarray) -> None:
        cycle, bit, level = int(row[0]), int(row[1]) - SIG_CLKMD, int(row[2])
        self.base_units = self._units_at(cycle)
        self.base_cycle = cycle
        self.word = (self.word | 1 << bit) if level else (self.word & ~(1 << bit))

    def _write(self, times: np.ndarray, rows: np.ndarray) -> None:
        if not len(rows):
            return
        need = len(rows) * 25
        if len(self.buffer) < need:
            self.buffer = np.zeros(max(need, 1 << 16), dtype=np.uint8)
        writer = self.writer
        last = -1 if writer.last_time is None else writer.last_time
        idents = IDENTS[rows[:, 1]]
        levels = rows[:, 2].astype(np.uint8)
        n, last = _format(np.ascontiguousarray(times), idents, levels, last, self.buffer)
        writer.last_time = int(last)
        writer.lines.flush()
        writer.lines.out.write(self.buffer[:n].tobytes().decode("ascii"))

    def restart(self) -> None:  # the recording runs the machine itself: no reset inside
        pass


def record_vcd(machine, max_cycles: int, *, unit: str = "cycle") -> str:
    """Run `machine` for up to `max_cycles` cycles (or until stopsys) and return the VCD text.

    Breakpoints do not stop the recording, Ctrl-C ends it early (the text so far is
    returned); an invalid opcode or a stack error raises as in `Machine.run`. More than
    MAX_TEXT_CHANGES value changes raise VcdError: `write_vcd` has no such limit."""
    buffer = io.StringIO()
    _record(machine, max_cycles, unit, buffer, MAX_TEXT_CHANGES)
    return buffer.getvalue()


def _record(machine, max_cycles: int, unit: str, out: IO[str], limit: int | None) -> None:
    from ..validate import INT64_MAX, integer

    if unit not in ("cycle", "ns"):
        raise VcdError(f"unknown time unit {unit!r} (use 'cycle' or 'ns')")
    max_cycles = integer(max_cycles, "max_cycles", 1, INT64_MAX - machine.cycles, error=VcdError)
    writer = _Writer(unit, out, limit)
    writer.header()
    recorder = _Recorder(machine, writer, unit)
    start = machine.cycles
    writer.dump(recorder.time_of(start), int(signal_word(machine._regs, machine._io)))
    end = start + int(max_cycles)
    machine._signal_listener(recorder, add=True)
    try:
        while machine.cycles < end:
            before = machine.cycles
            # the clean ROM: breakpoints do not stop a recording; watchpoints and data
            # conditions return here, and the recording goes on
            status = machine._call(machine._clean, end)
            if status == ST_STOPSYS or (status != ST_LIMIT and machine.cycles == before):
                break
    except KeyboardInterrupt:  # Ctrl-C ends the recording; what was recorded is kept
        pass
    finally:
        machine._signal_listener(recorder, add=False)  # the last rows are written first
    writer.lines.append(f"#{recorder.time_of(machine.cycles)}")
    writer.lines.flush()


def write_vcd(machine, max_cycles: int, path, *, unit: str = "cycle", fail=None) -> None:
    """Record as `record_vcd` does, straight into the file `path` (atomically: the file
    appears complete or not at all), whatever the number of changes."""
    from ..errors import printable
    from ..files import atomic_output
    from ..validate import path as as_path

    path = as_path(path, "the VCD file name", error=VcdError)
    shown = printable(str(path))
    fail = fail or (lambda reason: VcdError(f"{shown}: cannot write: {reason}"))
    with atomic_output(path, fail=fail) as f:
        _record(machine, max_cycles, unit, f, None)


def read_vcd(text: str) -> dict[str, list[tuple[int, int]]]:
    """Value changes per signal name, [(time, value), ...], from VCD text (scalars and
    binary vectors; enough to check what `record_vcd` writes, and other simple dumps)."""
    names: dict[str, str] = {}
    changes: dict[str, list[tuple[int, int]]] = {}
    tokens = text.split()
    time = 0
    i = 0
    try:
        while i < len(tokens):
            tok = tokens[i]
            if tok == "$var":
                ident, name = tokens[i + 3], tokens[i + 4]
                names[ident] = name
                changes[name] = []
                i = tokens.index("$end", i) + 1
                continue
            if tok in ("$dumpvars", "$end", "$enddefinitions"):
                i += 1
                continue
            if tok.startswith("$"):
                i = tokens.index("$end", i) + 1
                continue
            if tok.startswith("#"):
                time = int(tok[1:])
            elif tok[0] in "bB":
                changes[names[tokens[i + 1]]].append((time, int(tok[1:], 2)))
                i += 1
            elif tok[0] in "01xXzZ":
                value = int(tok[0]) if tok[0] in "01" else -1
                changes[names[tok[1:]]].append((time, value))
            else:
                raise VcdError(f"unexpected VCD token {tok!r}")
            i += 1
    except (ValueError, KeyError, IndexError) as exc:
        raise VcdError(f"malformed VCD near token {i}: {exc}") from None
    return changes
