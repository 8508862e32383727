"""The instruction trace as a numpy structured array, and its listing.

The core writes int64 rows (pc, word, a, flags, sp, cycles) into a ring before each
instruction; here they become named fields so that a test can say
``trace["pc"][trace["cycles"] == 40]`` and a person can read them next to the source.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import Pms150cError
from ..state import TRACE_COLUMNS
from ..toolchain.disassembler import disassemble_word

TRACE_DTYPE = np.dtype(
    [
        ("pc", np.uint16),
        ("word", np.uint16),
        ("a", np.uint8),
        ("flags", np.uint8),
        ("sp", np.uint8),
        ("cycles", np.int64),
    ]
)
assert TRACE_DTYPE.names == TRACE_COLUMNS


def as_records(rows: np.ndarray) -> np.ndarray:
    """int64[n, 6] trace rows -> structured array with fields pc, word, a, flags, sp, cycles."""
    rows = np.asarray(rows, dtype=np.int64).reshape(-1, len(TRACE_COLUMNS))
    records = np.zeros(len(rows), dtype=TRACE_DTYPE)
    for i, name in enumerate(TRACE_COLUMNS):
        records[name] = rows[:, i]
    return records


def _flag_text(flags: int) -> str:
    return "".join(
        c if flags >> b & 1 else "." for c, b in (("V", 3), ("A", 2), ("C", 1), ("Z", 0))
    )


def format_trace(records: np.ndarray, image=None) -> str:
    """One line per executed instruction: cycle, pc, word, state before it, disassembly,
    and the source line when the image has a source map. The state columns show A, the
    flags (V = OV, A = AC, C, Z; '.' for a clear bit) and SP *before* the instruction."""
    source = getattr(image, "source", {}) or {}
    labels: dict[int, list[str]] = {}
    for name, address in (getattr(image, "labels", {}) or {}).items():
        labels.setdefault(int(address), []).append(name)
    lines = [f"{'cycle':>10}  pc   word  a   flags sp  instruction"]
    for row in records:
        pc = int(row["pc"])
        for name in labels.get(pc, ()):
            lines.append(f"{'':>10}  {name}:")
        text = disassemble_word(int(row["word"]))
        line = (
            f"{int(row['cycles']):>10}  {pc:03x}  {int(row['word']):04x}  "
            f"{int(row['a']):02x}  {_flag_text(int(row['flags']))}  {int(row['sp']):02x}  {text}"
        )
        src = source.get(pc)
        if src is not None:
            line = f"{line:<62} ; {src.filename}:{src.line}: {src.text.strip()}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def write_trace(records: np.ndarray, path: str | Path, image=None) -> None:
    """Write the listing (any suffix) or the raw array (``.npy``) to `path`."""
    path = Path(path)
    try:
        if path.suffix == ".npy":
            np.save(path, records)
        else:
            path.write_text(format_trace(records, image))
    except OSError as exc:
        raise Pms150cError(f"{path}: cannot write: {exc.strerror}") from None


def record_trace(machine, max_cycles: int, *, last: int | None = None, chunk: int = 1 << 16):
    """Run up to `max_cycles` and return (records, StopReason): the last `last`
    instructions, or with ``last=None`` every instruction of the run (the ring is drained
    every `chunk` cycles, so nothing is lost; memory grows with the run)."""
    from ..machine import StopKind
    from ..state import R_TRACE_COUNT
    from .conditions import breakpoint_here

    if last is not None:
        if last <= 0:
            raise Pms150cError("the trace depth must be positive")
        machine.enable_trace(int(last))
        reason = machine.run(max_cycles)
        return machine.trace(), reason
    machine.enable_trace(chunk + 2)  # one chunk of cycles holds at most chunk + 1 starts
    end = machine.cycles + int(max_cycles)
    parts = []
    while True:
        reason = machine.run(min(chunk, end - machine.cycles))
        parts.append(machine.trace())
        machine._regs[R_TRACE_COUNT] = 0
        if reason != StopKind.MAX_CYCLES or machine.cycles >= end:
            break
        parked = breakpoint_here(machine)  # a chunk that ended on a breakpoint
        if parked is not None:
            reason = parked
            break
    return np.concatenate(parts), reason
