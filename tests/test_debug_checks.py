"""Firmware-author checks: uninitialised RAM reads, stack high-water, SP leaving RAM."""

import pytest
from hypothesis import given
from test_differential import examples, scenarios, set_up

from pms150c import Machine, StopReason, assemble
from pms150c.debug.checks import CHECK_LOG_ROWS, check_firmware, ram_accesses
from pms150c.device import IO_SP, RAM_BYTES
from pms150c.errors import StackOverflow
from pms150c.image import Image
from pms150c.reference import ReferenceMachine

# random programs stop their clocks often; the warning is tested in tests/test_clocks.py
pytestmark = pytest.mark.filterwarnings("ignore::pms150c.machine.ClockWarning")

# word  instruction
#  0    mov a, #0x30
#  1    mov.io 0x02, a     SP = 0x30
#  2    mov a, 0x21        reads 0x21, never written          -> reported (pc 2, 0x21)
#  3    mov 0x22, a
#  4    mov a, 0x22        written: fine
#  5    mov a, #0x22
#  6    mov 0x14, a        pointer 0x14 -> 0x22
#  7    idxm a, 0x14       reads 0x14 and 0x22: both written
#  8    mov a, #0x25
#  9    mov 0x16, a        pointer 0x16 -> 0x25
# 10    idxm a, 0x16       reads 0x16 (written) and 0x25 (never) -> reported (pc 10, 0x25)
# 11    mov a, 0x21        0x21 again: reported once only
# 12    call sub           pushes 0x30, 0x31: SP 0x32 is the high-water mark
# 13    stopsys
# 14    ret                pops what call wrote: fine
PROGRAM = """
\t.area CODE (ABS)
\t.org 0
\tmov a, #0x30
\tmov.io 0x02, a
\tmov a, 0x21
\tmov 0x22, a
\tmov a, 0x22
\tmov a, #0x22
\tmov 0x14, a
\tidxm a, 0x14
\tmov a, #0x25
\tmov 0x16, a
\tidxm a, 0x16
\tmov a, 0x21
\tcall sub
\tstopsys
sub:
\tret
"""


def test_reads_of_never_written_ram_are_reported_with_pc_and_address():
    m = Machine(assemble(PROGRAM))
    report = check_firmware(m, 1000)
    assert [(r.pc, r.address) for r in report.uninitialised_reads] == [(2, 0x21), (10, 0x25)]
    assert report.stop == StopReason.STOPSYS
    assert not report.ok
    assert "pc 0x00a reads RAM 0x25" in str(report)


def test_stack_high_water_mark():
    report = check_firmware(Machine(assemble(PROGRAM)), 1000)
    assert report.stack_max == 0x32
    assert report.stack_problems == []


def test_clean_program_passes_and_user_watchpoints_come_back():
    m = Machine(assemble("\tmov a, #1\n\tmov 0x10, a\n\tmov a, 0x10\n\tstopsys\n"))
    m.watch(0x10)
    m.breakpoints.add(2)
    report = check_firmware(m, 100)
    assert report.ok and "no problems found" in str(report)
    assert m.watch_mask[0x10] == 2 and 2 in m.breakpoints


def test_runaway_recursion_is_reported_where_sp_would_leave_ram():
    # SP 0x3C: the first call pushes 0x3C..0x3D, the second 0x3E..0x3F (SP 0x40, RAM
    # full), the third would write 0x40..0x41, outside RAM: refused at SP 0x40
    src = "\tmov a, #0x3c\n\tmov.io 0x02, a\nrec:\n\tcall rec\n"
    report = check_firmware(Machine(assemble(src)), 1000)
    assert [(p.pc, p.sp) for p in report.stack_problems] == [(2, 0x40)]
    assert report.stack_max == 0x40


def test_stack_overflow_is_found_even_when_the_machine_wraps_the_stack():
    src = "\tmov a, #0x3c\n\tmov.io 0x02, a\nrec:\n\tcall rec\n"
    m = Machine(assemble(src), stack_checks=False)
    report = check_firmware(m, 1000)
    assert [(p.pc, p.sp) for p in report.stack_problems] == [(2, 0x40)]
    assert m.stack_checks is False


def test_sp_written_outside_ram_is_reported():
    src = "\tmov a, #0x50\n\tmov.io 0x02, a\n\tstopsys\n"
    report = check_firmware(Machine(assemble(src)), 100)
    assert [(p.pc, p.sp, p.what) for p in report.stack_problems] == [
        (1, 0x50, "SP set outside RAM")
    ]


def test_access_sets_of_indirect_and_stack_instructions():
    import numpy as np

    ram = np.zeros(64, dtype=np.uint8)
    ram[0x14] = 0x31
    idxm_write, call = assemble("\tidxm 0x14, a\n\tcall 0x100\n").words[:2]
    assert ram_accesses(idxm_write, ram, 0) == ({0x14}, {0x31})
    assert ram_accesses(call, ram, 0x12) == (set(), {0x10, 0x11})


def test_self_pointing_idxm_write_marks_the_pointer_byte_written_not_the_value():
    # ram[0x14] = 0x14 (set by hand, never written by the program): idxm 0x14, a writes
    # 0x31 into 0x14 itself, so 0x31 stays unwritten and its read is reported
    m = Machine(assemble("\tmov a, #0x31\n\tidxm 0x14, a\n\tmov a, 0x31\n\tstopsys\n"))
    m.ram[0x14] = 0x14
    report = check_firmware(m, 100)
    assert m.ram[0x14] == 0x31
    assert [(r.pc, r.address) for r in report.uninitialised_reads] == [(1, 0x14), (2, 0x31)]


def test_stack_bytes_popped_without_a_push_are_uninitialised():
    # SP = 0x32 set by hand: ret pops 0x30..0x31, which nothing wrote
    src = "\tmov a, #0x32\n\tmov.io 0x02, a\n\tret\n"
    report = check_firmware(Machine(assemble(src)), 20)
    assert [(r.pc, r.address) for r in report.uninitialised_reads] == [(2, 0x30), (2, 0x31)]


def test_pushaf_then_popaf_is_clean():
    src = "\tmov a, #0x30\n\tmov.io 0x02, a\n\tpushaf\n\tpopaf\n\tstopsys\n"
    report = check_firmware(Machine(assemble(src)), 100)
    assert report.ok and report.stack_max == 0x32


# -- the checks inside the core against an independent model ----------------------------------
#
# The reference interpreter knows nothing of the checks. Its RAM is replaced by a bytearray
# that sees every byte the interpreter really reads and writes (push, pop, idxm and the
# interrupt entry included), so the expected findings come from the instruction semantics,
# not from the core's access table.


class CheckedReference(ReferenceMachine):
    """The reference interpreter noting what the checks should find, as it runs."""

    def __init__(self, image):
        super().__init__(image, stack_checks=True)
        self.findings: list[tuple] = []
        self.settled = [False] * RAM_BYTES
        self.high_water = 0
        self.ram = _TrackedRam(self)

    def io_write(self, addr: int, value: int) -> None:
        super().io_write(addr, value)
        if addr == IO_SP and value & 0xFF > RAM_BYTES:
            self.findings.append(("sp", self.pc, value & 0xFF, self.cycles))

    def _push(self, low: int, high: int) -> None:
        super()._push(low, high)
        self.high_water = max(self.high_water, self.sp)


class _TrackedRam(bytearray):
    def __init__(self, machine: CheckedReference):
        super().__init__(RAM_BYTES)
        self.machine = machine

    def __getitem__(self, i):
        if isinstance(i, int):
            m = self.machine
            if not m.settled[i & 0x3F]:
                m.settled[i & 0x3F] = True
                m.findings.append(("read", m.pc, i & 0x3F, m.cycles))
        return super().__getitem__(i)

    def __setitem__(self, i, value):
        if isinstance(i, int):  # the program's writes; the host's slice assignments do not count
            self.machine.settled[i & 0x3F] = True
        super().__setitem__(i, value)


def expected_report(s: dict):
    ref = CheckedReference(Image(s["rom"]))
    set_up(ref, s)
    try:
        stop = ("stop", ref.run(s["cycles"]).kind.value, ref.pc, ref.cycles)
    except StackOverflow as exc:
        stop = ("overflow", exc.pc, exc.sp, exc.cycles)
    return stop, ref.findings, ref.high_water, ref.snapshot()


def core_report(s: dict):
    m = Machine(Image(s["rom"]), blank_checks=False)
    set_up(m, s)
    report = check_firmware(m, s["cycles"])
    if isinstance(report.stop, StackOverflow):
        exc = report.stop
        stop = ("overflow", exc.pc, exc.sp, exc.cycles)
    else:
        stop = ("stop", report.stop.kind.value, report.stop.pc, report.stop.cycles)
    findings = [("read", r.pc, r.address, r.cycles) for r in report.uninitialised_reads]
    findings += [("sp", p.pc, p.sp, p.cycles) for p in report.stack_problems if "SP set" in p.what]
    return stop, findings, report.stack_max, m.snapshot()


def _ordered(findings):
    return sorted(findings, key=lambda f: (f[3], f[0] == "sp"))


@examples(400)
@given(scenarios(peripherals=True))
def test_checks_in_the_core_find_what_the_reference_interpreter_really_reads(scenario):
    """Random programs with timers, interrupts (reti included) and stack wreckage: the same
    findings at the same pc and start cycle, the same high-water mark and the same stop."""
    want_stop, want, want_high, want_state = expected_report(scenario)
    got_stop, got, got_high, got_state = core_report(scenario)
    assert got_stop == want_stop
    assert _ordered(got) == _ordered(want)
    assert got_state == want_state
    if want_stop[0] == "stop":  # the core counts pushes since power-on, the reference here
        assert got_high >= want_high


def test_a_finding_carries_the_cycle_its_instruction_starts_at_as_the_trace_does():
    m = Machine(assemble(PROGRAM))
    m.enable_trace(100)
    report = check_firmware(m, 1000)
    starts = dict(zip(m.trace()["pc"].tolist(), m.trace()["cycles"].tolist(), strict=False))
    assert [(r.pc, r.cycles) for r in report.uninitialised_reads] == [
        (2, starts[2]),
        (10, starts[10]),
    ]


# SDCC returns a long through a pointer pushed on the stack and drops it by writing SP:
# `push af; call _f; mov.io a, sp; add a, #-2; mov.io sp, a` on every call.
LONG_CALLS = r"""
__sfr __at(0x03) clkmd;
volatile unsigned long total;
volatile unsigned char rounds;
unsigned char _sdcc_external_startup(void) { clkmd = 0x34; return 0; }
static unsigned long step(unsigned long h, unsigned char c) { return (h << 5) + h + c; }
void main(void)
{
    unsigned long h = 5381;
    for (unsigned char i = 0; i < ROUNDS; i++) {
        h = step(h, i);
        rounds = i;
    }
    total = h;
    __asm__("stopsys");
}
"""


@pytest.mark.sdcc
def test_sdcc_code_that_moves_sp_on_every_call_is_checked_without_leaving_the_core(
    sdcc_build, monkeypatch
):
    from pms150c import core

    ihx = sdcc_build("longcalls", sources={"longcalls.c": LONG_CALLS}, defines={"ROUNDS": 200})
    m = Machine.from_ihx(ihx)
    calls = []
    run = core.run
    monkeypatch.setattr(core, "run", lambda *args: calls.append(1) or run(*args))
    report = check_firmware(m, 10_000_000)
    assert report.stop == StopReason.STOPSYS and report.ok, str(report)
    assert m.read_var("rounds") == 199
    assert len(calls) == 1  # 200 SP writes, not one of them a return to Python


def test_more_findings_than_the_log_holds_are_all_reported():
    # SP = 0x50 written 2 * 150 times (more than the log holds), then stopsys
    assert 2 * 150 > CHECK_LOG_ROWS
    src = """
\tmov a, #2
\tmov 0x11, a
outer:
\tmov a, #150
\tmov 0x10, a
\tmov a, #0x50
inner:
\tmov.io 0x02, a
\tdzsn 0x10
\tgoto inner
\tdzsn 0x11
\tgoto outer
\tstopsys
"""
    report = check_firmware(Machine(assemble(src)), 100_000)
    assert report.stop == StopReason.STOPSYS
    assert [(p.pc, p.sp) for p in report.stack_problems] == [(5, 0x50)] * 300
    cycles = [p.cycles for p in report.stack_problems]
    # the first pass starts at cycle 5; 4 cycles a pass (mov.io 1, dzsn 1, goto 2); the
    # second outer pass starts 5 cycles after the first ends (its dzsn skips: 2 + 1 + ...)
    assert cycles[:150] == [5 + 4 * k for k in range(150)]
    gap = cycles[150] - cycles[149]
    assert cycles[150:] == [cycles[150] + 4 * k for k in range(150)] and gap > 4


def test_an_interrupt_routine_returning_with_reti_is_clean():
    # Timer16 on the system clock interrupts; the ISR clears INTRQ and returns with reti:
    # the bytes reti pops were written by the interrupt entry
    src = """
\t.area CODE (ABS)
\t.org 0
\tgoto main
\t.org 0x20  ; byte address: word 0x10, the interrupt vector
\tmov a, #0
\tmov.io 0x05, a
\treti
main:
\tmov a, #0x30
\tmov.io 0x02, a
\tmov a, #0x04
\tmov.io 0x04, a
\tmov a, #0x20
\tmov.io 0x06, a
\tengint
loop:
\tgoto loop
"""
    report = check_firmware(Machine(assemble(src)), 5000)
    assert report.ok, str(report)
    assert report.stack_max == 0x32


@pytest.mark.parametrize("rows", [1, 3])
def test_host_ram_is_not_counted_as_written(rows):
    m = Machine(assemble("\tmov a, 0x20\n\tmov a, 0x21\n\tmov a, 0x22\n\tstopsys\n"))
    m.ram[0x20 : 0x20 + rows] = 7
    report = check_firmware(m, 100)
    assert [r.address for r in report.uninitialised_reads] == [0x20, 0x21, 0x22]


def test_checks_on_a_machine_stopped_in_the_middle_go_on_from_there():
    """A second check_firmware starts afresh: bytes written before it do not count."""
    m = Machine(assemble("\tmov a, #1\n\tmov 0x20, a\nloop:\n\tmov a, 0x20\n\tgoto loop\n"))
    first = check_firmware(m, 10)
    assert first.ok
    second = check_firmware(m, 10)
    assert [r.address for r in second.uninitialised_reads] == [0x20]
