"""Cycle profile: where a run's cycles went, per source line and per label.

The core counts executions and cycles per pc (``Machine.profile_counts``); here they are
summed per source line (words the assembler did not map to a line count as their own
disassembly) and per label, a label standing for everything from it up to the next one,
which is what a function is in hand-written assembly and in SDCC output (C functions are
labels there; SDCC's local labels, ``00101$``, are not). For an SDCC build the source
lines are C lines, and `by_line(asm=True)` sums per line of the compiler's .asm instead.
Interrupt entries and `stopexe` sleep belong to no instruction; they are one explicit row,
so the rows always add up to the cycles that passed since `enable_profile`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from ..errors import Pms150cError, printable
from ..toolchain.disassembler import disassemble_word

OUTSIDE = "(interrupt entry / stopexe sleep)"
NO_LABEL = "(before any label)"


@dataclass(frozen=True)
class LineCost:
    filename: str
    line: int
    text: str
    function: str
    executions: int
    cycles: int


def label_before(image, pc: int) -> str | None:
    """The nearest label at or before `pc` (the first by name among several at one
    address), or None when `pc` lies before every label or the image has none."""
    best, name = -1, None
    for label, address in (getattr(image, "labels", {}) or {}).items():
        if best < address <= pc or (address == best and label < name):
            best, name = address, label
    return name


class Profile:
    """Executions and cycles per pc of one run, read against an image's source and labels."""

    def __init__(self, executions, cycles, total_cycles: int, image=None):
        self.executions = np.asarray(executions, dtype=np.int64)
        self.cycles = np.asarray(cycles, dtype=np.int64)
        self.total_cycles = int(total_cycles)
        self.image = image
        self.outside_cycles = self.total_cycles - int(self.cycles.sum())

    @classmethod
    def from_machine(cls, machine) -> Profile:
        counts = machine._profile_counts
        if counts is None:
            raise Pms150cError("profiling is off: call enable_profile() before the run")
        total = machine.cycles - machine._profile_start
        return cls(counts[0].copy(), counts[1].copy(), total, machine.image)

    # -- attribution -----------------------------------------------------------------------

    def function_of(self, pc: int) -> str:
        """The nearest label at or before `pc`."""
        return label_before(self.image, pc) or NO_LABEL

    def _words(self, asm: bool = False):
        """(pc, filename, line, text) of every executed pc, in address order."""
        source = getattr(self.image, "source", {}) or {}
        table = getattr(self.image, "symbol_table", None)
        if asm and table is not None and table.asm_lines:
            source = table.asm_lines
        for pc in np.flatnonzero(self.executions):
            pc = int(pc)
            src = source.get(pc)
            if src is None:
                word = int(self.image.words[pc]) if self.image is not None else 0
                yield pc, "<rom>", pc, disassemble_word(word)
            else:
                yield pc, printable(src.filename), src.line, printable(src.text.strip(" \t"))

    def by_line(self, asm: bool = False) -> list[LineCost]:
        """One row per executed source line, in file and line order (with `asm`, lines of
        the assembly source where the image knows them apart from its C lines)."""
        rows: dict[tuple[str, int], list] = {}
        for pc, filename, line, text in self._words(asm):
            row = rows.setdefault((filename, line), [text, self.function_of(pc), 0, 0])
            row[2] += int(self.executions[pc])
            row[3] += int(self.cycles[pc])
        return [
            LineCost(f, n, text, func, ex, cyc)
            for (f, n), (text, func, ex, cyc) in sorted(rows.items())
        ]

    def by_label(self) -> dict[str, int]:
        """Cycles per label (function), most expensive first, plus the unattributed row."""
        totals: dict[str, int] = {}
        for pc in np.flatnonzero(self.executions):
            name = self.function_of(int(pc))
            totals[name] = totals.get(name, 0) + int(self.cycles[pc])
        if self.outside_cycles:
            totals[OUTSIDE] = self.outside_cycles
        return dict(sorted(totals.items(), key=lambda kv: -kv[1]))

    # -- reports -----------------------------------------------------------------------------

    def annotated_listing(self) -> str:
        """The image's listing with executions, cycles and share of the total on each word."""
        from ..toolchain.disassembler import disassemble_listing

        total = max(self.total_cycles, 1)
        out = [f"{'count':>9} {'cycles':>10} {'%':>6}  listing"]
        source = getattr(self.image, "source", {}) or {}
        for text in disassemble_listing(self.image):
            if not (text.startswith("  ") and ":" in text):
                out.append(f"{'':>27}  {text}")
                continue
            pc = int(text.split(":", 1)[0], 16)
            src = source.get(pc)
            if src is not None:
                text = f"{text:<40} ; {src.shown()}"
            n, cyc = int(self.executions[pc]), int(self.cycles[pc])
            if n:
                out.append(f"{n:>9} {cyc:>10} {100 * cyc / total:>6.2f}  {text}")
            else:
                out.append(f"{'.':>9} {'.':>10} {'':>6}  {text}")
        out.append(f"{'':>9} {self.outside_cycles:>10} {'':>6}  {OUTSIDE}")
        out.append(f"{'':>9} {self.total_cycles:>10} {'':>6}  total")
        return "\n".join(out) + "\n"

    def hot_spots(self, limit: int = 15, asm: bool = False):
        """A rich Table of the most expensive source lines."""
        from rich.table import Table

        total = max(self.total_cycles, 1)
        table = Table(title=f"hot spots ({self.total_cycles} cycles)")
        for name, justify in (
            ("cycles", "right"),
            ("%", "right"),
            ("count", "right"),
            ("function", "left"),
            ("line", "left"),
            ("source", "left"),
        ):
            table.add_column(name, justify=justify)
        rows = sorted(self.by_line(asm), key=lambda r: -r.cycles)[:limit]
        for r in rows:
            table.add_row(
                str(r.cycles),
                f"{100 * r.cycles / total:.2f}",
                str(r.executions),
                r.function,
                f"{r.filename}:{r.line}",
                r.text.split(";", 1)[0].strip(),
            )
        return table

    def label_table(self):
        """A rich Table of cycles per label (function)."""
        from rich.table import Table

        total = max(self.total_cycles, 1)
        table = Table(title="cycles per label")
        table.add_column("label")
        table.add_column("cycles", justify="right")
        table.add_column("%", justify="right")
        for name, cyc in self.by_label().items():
            table.add_row(name, str(cyc), f"{100 * cyc / total:.2f}")
        return table

    def report(self, limit: int = 15, width: int = 110, asm: bool = False) -> str:
        """Hot spots and the per-label table as plain text."""
        from rich.console import Console

        buffer = io.StringIO()
        console = Console(file=buffer, width=width, color_system=None)
        console.print(self.hot_spots(limit, asm))
        console.print(self.label_table())
        return buffer.getvalue()
