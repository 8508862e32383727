"""Firmware-author checks: stack high-water mark, reads of never-written RAM, SP leaving RAM.

The checks run inside the jitted core (its checks variant, pms150c/core.py): before each
instruction the core looks up the instruction's RAM access class (the same table the
watchpoints use), reports a read of a byte that nothing has written since the check
began (each byte once), and marks written bytes; a write of SP above the 64 bytes of RAM
is reported where it happens. Findings go to a log array that the Machine empties when
it fills, so the run never returns to Python for them: SDCC code, which moves SP on every
call that passes a long or a struct, checks at the core's speed.

Bytes pushed by an interrupt entry count as written, so `reti` pops are judged like `ret`.
Real RAM powers up with unknown contents; the simulator's zeros would hide such a read.
RAM the host sets before the check (``m.ram[...] = ...``) does not count as written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import core
from ..device import IO_SP, RAM_BYTES
from ..errors import StackOverflow
from ..state import CHECK_SP_OUTSIDE, CHECK_UNINITIALISED, R_CHECK_COUNT

CHECK_LOG_ROWS = 256  # findings the core keeps before the Machine empties its log


class FirmwareChecks:
    """The core's check state for the predecoded ROM `prog`: which RAM bytes count as
    written, which words may still find something (``armed``), and the findings log."""

    def __init__(self, prog: np.ndarray):
        self.written = np.zeros(RAM_BYTES, dtype=np.uint8)
        self.log = np.zeros((CHECK_LOG_ROWS, 4), dtype=np.int64)
        op = prog & 0xFF
        operand = (prog >> 8) & 0x3FF
        access = core.ACCESS[op]
        ram_access = access & ~(core.ACC_IO_R | core.ACC_IO_W) != 0
        sp_write = (access & core.ACC_IO_W != 0) & (operand == IO_SP)
        self.armed = (ram_access | sp_write).astype(np.uint8)
        self.arrays = (self.written, self.log, self.armed)
        self.findings: list[tuple[int, int, int, int]] = []  # (kind, pc, value, cycles)

    def drain(self, regs: np.ndarray) -> None:
        """Move the core's log rows to `findings` and empty the log."""
        n = int(regs[R_CHECK_COUNT])
        self.findings += [tuple(int(x) for x in row) for row in self.log[:n]]
        regs[R_CHECK_COUNT] = 0


@dataclass(frozen=True)
class UninitialisedRead:
    pc: int
    address: int
    cycles: int

    def __str__(self) -> str:
        return (
            f"pc 0x{self.pc:03x} reads RAM 0x{self.address:02x}, never written "
            f"(cycle {self.cycles})"
        )


@dataclass(frozen=True)
class StackProblem:
    pc: int
    sp: int
    cycles: int
    what: str

    def __str__(self) -> str:
        return f"pc 0x{self.pc:03x}: {self.what} (SP 0x{self.sp:02x}, cycle {self.cycles})"


@dataclass
class CheckReport:
    stop: object  # the StopReason, or the StackOverflow that ended the run
    cycles: int
    stack_max: int
    uninitialised_reads: list[UninitialisedRead] = field(default_factory=list)
    stack_problems: list[StackProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.uninitialised_reads and not self.stack_problems

    def __str__(self) -> str:
        lines = [
            f"run: {self.stop} after {self.cycles} cycles",
            f"stack high-water: SP reached 0x{self.stack_max:02x}",
        ]
        lines += [f"uninitialised read: {r}" for r in self.uninitialised_reads]
        lines += [f"stack: {p}" for p in self.stack_problems]
        if self.ok:
            lines.append("no problems found")
        return "\n".join(lines)


def ram_accesses(word: int, ram: np.ndarray, sp_after: int) -> tuple[set[int], set[int]]:
    """(bytes read, bytes written) by the instruction `word`, given RAM before it (the
    pointer byte of idxm is all that is looked at) and SP after it: the access classes
    of core.ACCESS, as the core's checks and watchpoints see them."""
    packed = int(core.PACKED[int(word) & 0x1FFF])
    op, m = packed & 0xFF, (packed >> 8) & 0x3FF
    acc = int(core.ACCESS[op]) if op < len(core.ACCESS) else 0
    reads: set[int] = set()
    writes: set[int] = set()
    if acc & core.ACC_RAM_R:
        reads.add(m & 0x3F)
    if acc & core.ACC_RAM_W:
        writes.add(m & 0x3F)
    if acc & core.ACC_WORD_R:
        reads |= {m & 0x3F, (m + 1) & 0x3F}
    if acc & core.ACC_WORD_W:
        writes |= {m & 0x3F, (m + 1) & 0x3F}
    if acc & core.ACC_IND_R:
        reads |= {m & 0x3F, int(ram[m & 0x3F]) & 0x3F}
    if acc & core.ACC_IND_W:
        reads.add(m & 0x3F)
        writes.add(int(ram[m & 0x3F]) & 0x3F)
    if acc & core.ACC_PUSH:
        writes |= {(sp_after - 2) & 0x3F, (sp_after - 1) & 0x3F}
    if acc & core.ACC_POP:
        reads |= {sp_after & 0x3F, (sp_after + 1) & 0x3F}
    return reads, writes


def check_firmware(machine, max_cycles: int) -> CheckReport:
    """Run `machine` up to `max_cycles` (or stopsys) watching for firmware mistakes.

    Breakpoints, watchpoints and break_when conditions are suspended during the run, and
    stack checks are on even for a machine made with ``stack_checks=False``. Ctrl-C ends
    the run with the report so far (its stop is INTERRUPTED), as `Machine.run` does."""
    from ..validate import INT64_MAX, integer

    max_cycles = integer(max_cycles, "max_cycles", 1, INT64_MAX - machine.cycles)
    saved_mask = machine._watch_mask.copy()
    saved = (
        machine._watch_values,
        machine._conditions,
        machine._cond_rows,
        machine._cond_owners,
        machine.stack_checks,
        set(machine.breakpoints),
    )
    report = CheckReport(stop=None, cycles=0, stack_max=0)
    checks = FirmwareChecks(machine._clean)
    machine._watch_mask[:] = 0
    machine._watch_values, machine._conditions = {}, []
    machine._cond_rows, machine._cond_owners = None, []
    machine.stack_checks = True  # so the run stops at the push or pop that leaves RAM
    machine.breakpoints.clear()
    machine._checks = checks
    machine._regs[R_CHECK_COUNT] = 0
    try:
        report.stop = machine.run(int(max_cycles))
    except StackOverflow as exc:
        report.stop = exc
    finally:
        checks.drain(machine._regs)
        machine._checks = None
        machine._watch_mask[:] = saved_mask
        machine._watch_values, machine._conditions = saved[0], saved[1]
        machine._cond_rows, machine._cond_owners = saved[2], saved[3]
        machine.stack_checks = saved[4]
        for pc in saved[5]:
            machine.breakpoints.add(pc)
    for kind, pc, value, cycles in checks.findings:
        if kind == CHECK_UNINITIALISED:
            report.uninitialised_reads.append(UninitialisedRead(pc, value, cycles))
        elif kind == CHECK_SP_OUTSIDE:
            report.stack_problems.append(StackProblem(pc, value, cycles, "SP set outside RAM"))
    if isinstance(report.stop, StackOverflow):
        exc = report.stop
        report.stack_problems.append(
            StackProblem(exc.pc, exc.sp, exc.cycles, "a push or pop would leave RAM")
        )
    report.cycles = machine.cycles
    report.stack_max = machine.stack_max
    return report
