"""Whole programs on the fast core with cycle totals computed on paper (in the comments)."""

from __future__ import annotations

import pytest

from pms150c import assemble
from pms150c.errors import BlankWordError, StackOverflow
from pms150c.machine import Machine, StopReason


def machine(body: str, **options) -> Machine:
    return Machine(assemble("\t.area CODE (ABS)\n\t.org 0\n" + body), **options)


@pytest.mark.parametrize("n, total", [(1, 4), (2, 7), (200, 601), (255, 766), (0, 769)])
def test_delay_loop_costs_3n_plus_1_cycles(n, total):
    # mov a,#N (1) + mov M,a (1) + (N-1) passes of dzsn (1) + goto (2) + a last dzsn that
    # skips (2) = 3N + 1 (pdk13-reference.md 6.3); N = 0 counts 256 passes: 3*256 + 1 = 769.
    m = machine(
        f"""
        mov a, #{n}
        mov 0x20, a
    loop:
        dzsn 0x20
        goto loop
    done:
        stopsys
    """
    )
    m.breakpoints.add("done")
    reason = m.run()
    assert reason == StopReason.BREAKPOINT
    assert (m.cycles, m.pc) == (total, m.image.labels["done"])
    assert m.run() == StopReason.STOPSYS
    assert m.cycles == total + 1


def test_nested_calls_leave_exact_stack_bytes():
    m = machine(
        """
        mov a, #0x10
        mov.io 0x02, a      ; SP = 0x10
        call outer          ; pushes 0x0003 at 0x10/0x11
        stopsys
    outer:
        call inner          ; pushes the address after this call
        ret
    inner:
        pushaf              ; A = 0x10, FLAG read value 0xF0
        mov a, #0x77
        mov 0x30, a
    restore:
        popaf
        ret
    """
    )
    outer = m.image.labels["outer"]
    m.breakpoints.add("restore")
    assert m.run() == StopReason.BREAKPOINT
    # return addresses little-endian, then A and FLAG from pushaf
    assert bytes(m.ram[0x10:0x16]) == bytes([0x03, 0x00, outer + 1, 0x00, 0x10, 0xF0])
    assert (m.sp, m.stack_max) == (0x16, 0x16)
    assert m.run() == StopReason.STOPSYS
    # cycles: 1 + 1 + call 2 + call 2 + pushaf 1 + 1 + 1 + popaf 1 + ret 2 + ret 2 + stopsys 1
    assert (m.cycles, m.sp, m.a, int(m.ram[0x30])) == (15, 0x10, 0x10, 0x77)


@pytest.mark.parametrize("case, value", [(0, 0xA0), (1, 0xA1), (2, 0xA2)])
def test_pcadd_jump_table_reaches_each_case_in_6_cycles(case, value):
    m = machine(
        """
        mov a, 0x21         ; A = case index
        add a, #1
        pcadd a             ; PC = address of pcadd + A
        goto case0
        goto case1
        goto case2
    case0:
        mov a, #0xA0
        stopsys
    case1:
        mov a, #0xA1
        stopsys
    case2:
        mov a, #0xA2
        stopsys
    """
    )
    m.ram[0x21] = case
    m.breakpoints.add(f"case{case}")
    assert m.run() == StopReason.BREAKPOINT
    assert m.cycles == 1 + 1 + 2 + 2  # pdk13-reference.md 6.4
    assert m.run() == StopReason.STOPSYS
    assert m.a == value


def test_running_off_the_program_overflows_the_stack_at_a_known_cycle():
    # Blank words are 0x1FFF = call 0x3FF; with a fuse word of all ones (fuse=0x1FFF), 0x3FF
    # itself calls 0x3FF. Each call pushes 2 bytes: the calls at SP = 0x30, 0x32, ..., 0x3E
    # (8 calls) succeed, the one at SP = 0x40 is refused (SP + 1 > 0x3F) before it changes
    # anything. (With the factory fuse word there, see tests/test_factory.py.)
    m = machine("mov a, #0x30\n mov.io 0x02, a\n", blank_checks=False, fuse=0x1FFF)
    with pytest.raises(StackOverflow) as err:
        m.run()
    # 2 setup cycles + calls at SP = 0x30, 0x32, ..., 0x3E (8 calls, 16 cycles)
    assert (err.value.pc, err.value.cycles, err.value.sp) == (0x3FF, 18, 0x40)
    assert (m.pc, m.cycles, m.sp) == (0x3FF, 18, 0x40)


def test_running_off_the_program_is_reported_at_the_first_blank_word():
    m = machine("mov a, #0x30\n mov.io 0x02, a\n")
    with pytest.raises(BlankWordError) as err:
        m.run()
    assert (err.value.pc, err.value.cycles, err.value.word) == (2, 2, 0x1FFF)
    assert str(err.value) == "executed blank (unprogrammed) word 0x1FFF at 0x002, cycle 2"
    assert (m.pc, m.cycles, m.sp) == (2, 2, 0x30)  # the blank word did not run
    with pytest.raises(BlankWordError):
        m.step()


def test_without_stack_checks_the_stack_wraps_inside_ram():
    m = machine(
        "mov a, #0x3E\n mov.io 0x02, a\n call 0x100\n", stack_checks=False, blank_checks=False
    )
    m.run(max_cycles=6)
    # cycles 0, 1: setup; 2-3: call 0x100 at SP = 0x3E pushes 0x0003 at 0x3E/0x3F;
    # 4-5: the blank word at 0x100 (call 0x3FF) at SP = 0x40 pushes 0x0101 at 0x00/0x01
    assert (m.sp, m.pc, m.cycles) == (0x42, 0x3FF, 6)
    assert bytes(m.ram[0x3E:0x40]) == b"\x03\x00"
    assert bytes(m.ram[0x00:0x02]) == b"\x01\x01"


def test_pop_below_zero_is_refused():
    m = machine("ret\n")
    with pytest.raises(StackOverflow) as err:
        m.run(10)
    assert (err.value.pc, err.value.cycles, m.sp) == (0, 0, 0)


def test_max_cycles_may_overshoot_by_one_for_a_two_cycle_instruction():
    m = machine("loop: goto loop\n")
    assert m.run(max_cycles=5) == StopReason.MAX_CYCLES
    assert m.cycles == 6  # gotos start at 0, 2, 4: the one at 4 completes
    m.run(max_cycles=1)
    assert m.cycles == 8
