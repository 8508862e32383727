"""The instruction trace as a numpy structured array, and its listing.

The core writes int64 rows (pc, word, a, flags, sp, cycles) into a ring before each
instruction; here they become named fields so that a test can say
``trace["pc"][trace["cycles"] == 40]`` and a person can read them next to the source.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np

from ..factory import BGTR_ADDRESS, FUSE_ADDRESS
from ..state import TRACE_COLUMNS
from ..toolchain.disassembler import disassemble_word

# The most rows a trace keeps (a ring of 48-byte rows: 192 MiB). `enable_trace`, `--last`
# and a whole-run `record_trace` are bounded by it, so a huge depth is an error, not an
# attempt to allocate terabytes.
MAX_TRACE_DEPTH = 1 << 22

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


# Words a Machine loads where the image leaves them blank (pms150c/factory.py).
FACTORY_WORDS = {BGTR_ADDRESS: "factory band-gap trim", FUSE_ADDRESS: "fuse word"}


def format_trace(records: np.ndarray, image=None) -> str:
    """One line per executed instruction: cycle, pc, word, state before it, disassembly,
    and the source line when the image has a source map. The state columns show A, the
    flags (V = OV, A = AC, C, Z; '.' for a clear bit) and SP *before* the instruction."""
    return "".join(line + "\n" for line in trace_lines(records, image))


def trace_lines(records: np.ndarray, image=None) -> Iterator[str]:
    """The lines of `format_trace` one at a time (a long trace is written as it is
    formatted, never held as one string)."""
    source = getattr(image, "source", {}) or {}
    written = getattr(image, "written", None)
    labels: dict[int, list[str]] = {}
    for name, address in (getattr(image, "labels", {}) or {}).items():
        labels.setdefault(int(address), []).append(name)
    yield f"{'cycle':>10}  pc   word  a   flags sp  instruction"
    for row in records:
        pc = int(row["pc"])
        for name in labels.get(pc, ()):
            yield f"{'':>10}  {name}:"
        text = disassemble_word(int(row["word"]))
        line = (
            f"{int(row['cycles']):>10}  {pc:03x}  {int(row['word']):04x}  "
            f"{int(row['a']):02x}  {_flag_text(int(row['flags']))}  {int(row['sp']):02x}  {text}"
        )
        src = source.get(pc)
        if src is not None:
            line = f"{line:<62} ; {src.shown()}"
        elif written is not None and not written[pc]:
            note = FACTORY_WORDS.get(pc, "blank (unprogrammed) word")
            line = f"{line:<62} ; {note}"
        yield line


def write_trace(records: np.ndarray, path, image=None, *, fail=None) -> None:
    """Write the listing (any suffix) or the raw array (``.npy``) to `path` atomically
    (pms150c/files.py), or the listing to an open text file such as sys.stdout."""
    if hasattr(path, "write"):
        for line in trace_lines(records, image):
            path.write(line + "\n")
        return
    from ..files import atomic_output
    from ..validate import path as as_path

    path = as_path(path, "the trace file name")
    if path.suffix == ".npy":
        buffer = io.BytesIO()
        np.save(buffer, records)
        with atomic_output(path, binary=True, fail=fail) as f:
            f.write(buffer.getbuffer())
        return
    with atomic_output(path, fail=fail) as f:
        for line in trace_lines(records, image):
            f.write(line + "\n")


def record_trace(machine, max_cycles: int, *, last: int | None = None, chunk: int = 1 << 16):
    """Run up to `max_cycles` and return (records, StopReason): the last `last`
    instructions, or with ``last=None`` every instruction of the run (the ring is drained
    every `chunk` cycles, so nothing is lost; memory grows with the run), at most the last
    MAX_TRACE_DEPTH of them.

    A run that ends in an error (`InvalidOpcode`, `StackOverflow`, `BlankWordError`)
    raises it with the records so far, the failing instruction last, as its ``trace``."""
    from ..errors import SimulationError
    from ..machine import StopKind
    from ..state import R_TRACE_COUNT
    from ..validate import INT64_MAX, integer
    from .conditions import breakpoint_here

    max_cycles = integer(max_cycles, "max_cycles", 1, INT64_MAX - machine.cycles)
    if last is not None:
        last = integer(last, "the trace depth", 1, MAX_TRACE_DEPTH)
        machine.enable_trace(min(last, max_cycles + 2))  # n cycles: at most n + 1 starts
        try:
            reason = machine.run(max_cycles)
        except SimulationError as exc:
            exc.trace = machine.trace()
            raise
        return machine.trace(), reason
    chunk = integer(chunk, "chunk", 1, MAX_TRACE_DEPTH - 2)
    machine.enable_trace(chunk + 2)  # one chunk of cycles holds at most chunk + 1 starts
    end = machine.cycles + max_cycles
    parts, kept = [], 0
    while True:
        try:
            reason = machine.run(min(chunk, end - machine.cycles))
        except SimulationError as exc:
            exc.trace = np.concatenate([*parts, machine.trace()])[-MAX_TRACE_DEPTH:]
            raise
        parts.append(machine.trace())
        kept += len(parts[-1])
        while kept - len(parts[0]) >= MAX_TRACE_DEPTH:  # the oldest part is not needed
            kept -= len(parts.pop(0))
        machine._regs[R_TRACE_COUNT] = 0
        if reason != StopKind.MAX_CYCLES or machine.cycles >= end:
            break
        parked = breakpoint_here(machine)  # a chunk that ended on a breakpoint
        if parked is not None:
            reason = parked
            break
    return np.concatenate(parts)[-MAX_TRACE_DEPTH:], reason
