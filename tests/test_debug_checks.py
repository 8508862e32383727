"""Firmware-author checks: uninitialised RAM reads, stack high-water, SP leaving RAM."""

from pms150c import Machine, StopReason, assemble
from pms150c.debug.checks import check_firmware, ram_accesses

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
