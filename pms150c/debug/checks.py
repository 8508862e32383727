"""Firmware-author checks: stack high-water mark, reads of never-written RAM, SP leaving RAM.

The uninitialised-read check rides on the core's watch mask: every RAM byte not yet
written is watched for reads and writes, so the run stops only at the first touches of
each byte (a few hundred stops at most, whatever the run's length). At each stop the
instruction's full RAM access set is worked out here from the instruction table's access
classes, so an instruction touching several bytes (idxm, call, ldt16) is judged whole.
Real RAM powers up with unknown contents; the simulator's zeros would hide such a read.

Not seen: bytes written by interrupt entry (the core does not report them), so `reti`'s
own pops are not judged; a later ordinary read of those stack bytes may be reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import core
from ..device import IO_SP, RAM_BYTES
from ..errors import StackOverflow
from ..state import WATCH_READ, WATCH_WRITE
from .conditions import IO_SLOT

SP_SLOT = IO_SLOT + IO_SP
OP_RETI = core.OP_RETI


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
    pointer byte of idxm is all that is looked at) and SP after it."""
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
    if acc & core.ACC_POP and op != OP_RETI:
        reads |= {sp_after & 0x3F, (sp_after + 1) & 0x3F}
    return reads, writes


def check_firmware(machine, max_cycles: int) -> CheckReport:
    """Run `machine` up to `max_cycles` (or stopsys) watching for firmware mistakes.

    Breakpoints and the machine's own watchpoints are suspended during the run, and stack
    checks are on even for a machine made with ``stack_checks=False``. Ctrl-C ends the
    run with the report so far (its stop is INTERRUPTED), as `Machine.run` does."""
    from ..machine import StopKind, StopReason
    from ..validate import INT64_MAX, integer

    max_cycles = integer(max_cycles, "max_cycles", 1, INT64_MAX - machine.cycles)

    saved_mask = machine._watch_mask.copy()
    saved_values, saved_conditions = machine._watch_values, machine._conditions
    saved_breakpoints = set(machine.breakpoints)
    saved_stack_checks = machine.stack_checks
    machine.stack_checks = True  # so the run stops at the push or pop that leaves RAM
    settled = np.zeros(RAM_BYTES, dtype=bool)  # written, or its uninitialised read reported
    ram_start = machine.ram.copy()
    report = CheckReport(stop=None, cycles=0, stack_max=0)
    mask = machine._watch_mask
    mask[:] = 0
    mask[:RAM_BYTES] = WATCH_READ | WATCH_WRITE
    mask[SP_SLOT] = WATCH_WRITE
    machine._watch_values, machine._conditions = {}, []
    machine.breakpoints.clear()
    end = machine.cycles + int(max_cycles)
    try:
        while True:
            try:
                reason = machine.run(end - machine.cycles)
            except StackOverflow as exc:
                report.stack_problems.append(
                    StackProblem(exc.pc, exc.sp, exc.cycles, "a push or pop would leave RAM")
                )
                report.stop = exc
                break
            if reason != StopKind.WATCHPOINT:
                report.stop = reason
                break
            pc = reason.instruction_pc
            if reason.address == SP_SLOT:
                if machine.sp > RAM_BYTES:
                    report.stack_problems.append(
                        StackProblem(pc, machine.sp, machine.cycles, "SP set outside RAM")
                    )
                continue
            # RAM before the instruction where ram_accesses looks (the idxm pointer byte):
            # a byte not yet settled has not been touched since the check began, and a
            # settled pointer byte was not this instruction's write (that would not stop)
            before = np.where(settled, machine.ram, ram_start)
            reads, writes = ram_accesses(int(machine.rom[pc]), before, machine.sp)
            for address in sorted(reads):
                if not settled[address]:
                    report.uninitialised_reads.append(UninitialisedRead(pc, address, reason.cycles))
            settled[list(reads | writes)] = True
            mask[:RAM_BYTES][settled] = 0  # nothing more to learn about these bytes
    except KeyboardInterrupt:  # between two runs: the same stop a run would report
        report.stop = StopReason(StopKind.INTERRUPTED, machine.pc, machine.cycles)
    finally:
        machine._watch_mask[:] = saved_mask
        machine.stack_checks = saved_stack_checks
        machine._watch_values, machine._conditions = saved_values, saved_conditions
        for pc in saved_breakpoints:
            machine.breakpoints.add(pc)
    report.cycles = machine.cycles
    report.stack_max = machine.stack_max
    return report
