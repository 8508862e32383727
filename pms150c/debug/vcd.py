"""VCD waveforms of port A, the Timer2 output and the interrupt requests, for GTKWave.

The run goes one step (instruction, interrupt entry or stopexe cycle) at a time and samples
after each. Peripherals change inside multi-cycle instructions too (a PWM edge can fall in
the second cycle of a `goto`), so for the cycles inside a step the peripherals of a copy of
the state before it are caught up to each cycle and sampled: edges land on their exact
cycle. A change written at time t means the new level holds from cycle t on; an
instruction starting at cycle c and taking n cycles shows its IO effect at c + n.

Time units: ``"cycle"`` (the default) writes the system cycle count as the time, under a
``1 ns`` timescale with a comment saying so (GTKWave then shows "ns" that are cycles);
``"ns"`` writes real time in ns at the clock in force (CLKMD changes included), rounded
to the nearest ns (exact at IHRC-derived clocks: 125 ns per cycle at 8 MHz).

Memory: `write_vcd` streams each change to the file as it is found (through a temporary
file renamed at the end, pms150c/files.py), so a recording of any length holds only the
current sample. `record_vcd` returns the text and so keeps it: it refuses to grow past
MAX_TEXT_CHANGES value changes (use `write_vcd` for longer recordings).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO

import numpy as np
from numba import njit

from ..device import IO_INTRQ
from ..errors import Pms150cError
from ..peripherals.bus import catch_up
from ..peripherals.clock import time_units_at
from ..peripherals.port import pin_levels
from ..peripherals.timers import INT_PA0, INT_T16, INT_TM2, tm2_level
from ..state import ST_STOPSYS, TIME_UNITS_PER_S


class VcdError(Pms150cError):
    """A VCD file that cannot be read back, or a bad recording request."""


@dataclass(frozen=True)
class Signal:
    name: str
    bit: int  # bit of the packed sample word (see _sample)


# Packed sample: bits 0..7 port A pin levels, bit 8 TM2 output, bits 16..23 INTRQ.
SIGNALS = (
    Signal("PA0", 0),
    Signal("PA3", 3),
    Signal("PA4", 4),
    Signal("PA5", 5),
    Signal("PA6", 6),
    Signal("PA7", 7),
    Signal("TM2_OUT", 8),
    Signal("INTRQ_PA0", 16 + INT_PA0.bit_length() - 1),
    Signal("INTRQ_T16", 16 + INT_T16.bit_length() - 1),
    Signal("INTRQ_TM2", 16 + INT_TM2.bit_length() - 1),
)


@njit(cache=True)
def _sample(regs, io):
    return pin_levels(regs, io) | tm2_level(regs, io) << 8 | np.int64(io[IO_INTRQ]) << 16


def _time_ns(regs, io, cycle: int) -> int:
    units = time_units_at(regs, io, cycle)
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
        self.last: int | None = None
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

    def sample(self, time: int, value: int) -> None:
        if self.last is not None and value == self.last:
            return
        lines = self.lines
        lines.changes += 1
        if lines.limit is not None and lines.changes > lines.limit:
            raise VcdError(
                f"more than {lines.limit} value changes to keep in memory: "
                "write_vcd streams a recording of any length to a file"
            )
        if time != self.last_time:
            self.lines.append(f"#{time}")
            self.last_time = time
        first = self.last is None
        if first:
            self.lines.append("$dumpvars")
        for i, s in enumerate(SIGNALS):
            bit = value >> s.bit & 1
            if first or bit != (self.last >> s.bit & 1):
                self.lines.append(f"{bit}{_ident(i)}")
        if first:
            self.lines.append("$end")
        self.last = value


def record_vcd(machine, max_cycles: int, *, unit: str = "cycle") -> str:
    """Run `machine` for up to `max_cycles` cycles (or until stopsys) and return the VCD text.

    Breakpoints do not stop the recording, Ctrl-C ends it early (the text so far is
    returned); an invalid opcode or a stack error raises as in `Machine.run`. More than
    MAX_TEXT_CHANGES value changes raise VcdError: `write_vcd` has no such limit."""
    buffer = io.StringIO()
    _record(machine, max_cycles, unit, buffer, MAX_TEXT_CHANGES)
    return buffer.getvalue()


def _record(machine, max_cycles: int, unit: str, out: IO[str], limit: int | None) -> None:
    from ..machine import jitted
    from ..validate import INT64_MAX, integer

    if unit not in ("cycle", "ns"):
        raise VcdError(f"unknown time unit {unit!r} (use 'cycle' or 'ns')")
    max_cycles = integer(max_cycles, "max_cycles", 1, INT64_MAX - machine.cycles, error=VcdError)
    regs, io = machine._regs, machine._io
    writer = _Writer(unit, out, limit)
    writer.header()

    def time_of(r, i, cycle):
        return cycle if unit == "cycle" else _time_ns(r, i, cycle)

    writer.sample(time_of(regs, io, machine.cycles), int(_sample(regs, io)))
    end = machine.cycles + int(max_cycles)
    try:
        while machine.cycles < end:
            t0 = machine.cycles
            regs0, io0 = regs.copy(), io.copy()
            status = machine._call(machine._clean, t0 + 1)
            t1 = machine.cycles
            for c in range(t0 + 1, t1):
                jitted(catch_up, regs0, io0, c)
                writer.sample(time_of(regs0, io0, c), int(jitted(_sample, regs0, io0)))
            writer.sample(time_of(regs, io, t1), int(jitted(_sample, regs, io)))
            if status == ST_STOPSYS or t1 == t0:
                break
    except KeyboardInterrupt:  # Ctrl-C ends the recording; what was recorded is kept
        pass
    writer.lines.append(f"#{time_of(regs, io, machine.cycles)}")
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
