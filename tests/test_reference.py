"""The reference interpreter on its own: flags, cycles and hand-computed programs.

Expected values come from pdk13-reference.md (sections 2.2, 6.x) and docs/timing-model.md,
worked out by hand here, never read back from the interpreter under test.
"""

from __future__ import annotations

import random

import pytest

from pms150c.errors import InvalidOpcode, StackOverflow
from pms150c.image import Image
from pms150c.isa import BY_OP, INSTRUCTIONS
from pms150c.reference import ReferenceMachine, StopReason, alu_add, alu_sub

FLAG, SP, CLKMD, INTEN, INTRQ, T16M = 0x00, 0x02, 0x03, 0x04, 0x05, 0x06
TM2B, INTEGS, PADIER, PA, PAC, PAPH = 0x09, 0x0C, 0x0D, 0x10, 0x11, 0x12
TM2S, MISC, TM2C, TM2CT = 0x17, 0x1B, 0x1C, 0x1D
Z, C, AC, OV = 1, 2, 4, 8


def words(*program) -> list[int]:
    """Words from (op, operand, ...) tuples, e.g. ("MOV_A_K", 5); a bare int is a raw word."""
    out = []
    for item in program:
        if isinstance(item, int):
            out.append(item)
        else:
            op, *args = item
            out.append(BY_OP[op].encode(*args))
    return out


def machine(*program, at: dict[int, tuple] | None = None, **kw) -> ReferenceMachine:
    """A machine whose ROM holds `program` from word 0 and `at` = {address: instruction}."""
    rom = words(*program)
    for addr, instr in (at or {}).items():
        rom += [BY_OP["NOP"].encode()] * (addr + 1 - len(rom))
        rom[addr] = words(instr)[0]
    return ReferenceMachine(Image(rom), **kw)


# -- ALU primitives --------------------------------------------------------------------------


def ripple(a: int, b: int, c: int, subtract: bool) -> tuple[int, int, int, int, int]:
    """A bit-serial adder (a + ~b + !c for subtraction), the flag definitions of DS 6.1."""
    if subtract:
        b, c = ~b & 0xFF, 1 - c
    result, carry, carry_into = 0, c, []
    for bit in range(8):
        carry_into.append(carry)
        total = (a >> bit & 1) + (b >> bit & 1) + carry
        result |= (total & 1) << bit
        carry = total >> 1
    carry_out_3, carry_out_7 = carry_into[4], carry
    if subtract:  # borrows are inverted carries
        carry_out_3, carry_out_7 = 1 - carry_out_3, 1 - carry_out_7
        ov = carry_into[7] ^ carry
    else:
        ov = carry_into[7] ^ carry_out_7
    return result, int(result == 0), carry_out_7, carry_out_3, ov


@pytest.mark.parametrize("subtract", [False, True], ids=["add", "sub"])
def test_alu_primitive_matches_a_ripple_carry_adder_for_all_inputs(subtract):
    primitive = alu_sub if subtract else alu_add
    for a in range(256):
        for b in range(256):
            for c in (0, 1):
                assert primitive(a, b, c) == ripple(a, b, c, subtract), (a, b, c)


# -- flags, pdk13-reference.md 6.2 ----------------------------------------------------------

SPOT_CHECKS = [
    # (name, program, RAM 0x20, carry in, A, flags) per pdk13-reference.md 6.2
    ("add 7f+01", [("MOV_A_K", 0x7F), ("ADD_A_K", 0x01)], 0, 0, 0x80, AC | OV),
    ("add ff+01", [("MOV_A_K", 0xFF), ("ADD_A_K", 0x01)], 0, 0, 0x00, Z | C | AC),
    ("add 80+80", [("MOV_A_K", 0x80), ("ADD_A_M", 0x20)], 0x80, 0, 0x00, Z | C | OV),
    ("addc 0f+00+c", [("MOV_A_K", 0x0F), ("ADDC_A",)], 0, 1, 0x10, AC),
    ("sub 00-01", [("MOV_A_K", 0x00), ("SUB_A_K", 0x01)], 0, 0, 0xFF, C | AC),
    ("sub 80-01", [("MOV_A_K", 0x80), ("SUB_A_M", 0x20)], 0x01, 0, 0x7F, AC | OV),
    ("sub 10-10", [("MOV_A_K", 0x10), ("SUB_A_K", 0x10)], 0, 0, 0x00, Z),
    ("subc 10-0f-c", [("MOV_A_K", 0x10), ("SUBC_A_M", 0x20)], 0x0F, 1, 0x00, Z | AC),
]


@pytest.mark.parametrize(
    "name, program, m20, carry, a, flags", SPOT_CHECKS, ids=[s[0] for s in SPOT_CHECKS]
)
def test_flag_spot_checks(name, program, m20, carry, a, flags):
    m = machine(*program)
    m.ram[0x20] = m20
    m.io_poke(FLAG, C if carry else 0)
    m.step()
    m.step()
    assert (m.a, m.flags) == (a, flags)


def test_neg_sets_only_z():
    m = machine(("MOV_A_K", 0x38), ("NEG_A",))
    m.io_poke(FLAG, C | AC | OV | Z)
    m.run(2)
    assert (m.a, m.flags) == (0xC8, C | AC | OV)


def test_mov_a_k_keeps_z_but_mov_a_m_sets_it():
    m = machine(("MOV_A_K", 0x00), ("MOV_A_M", 0x20))
    m.ram[0x20] = 0
    m.step()
    assert m.flags == 0
    m.step()
    assert m.flags == Z


def test_sixteen_bit_addition_example():
    """pdk13-reference.md 6.1: 0x12FF + 0x0001 = 0x1300 in 4 cycles."""
    m = machine(("MOV_A_M", 0x12), ("ADD_M_A", 0x10), ("MOV_A_M", 0x13), ("ADDC_M_A", 0x11))
    m.ram[0x10:0x14] = bytes([0xFF, 0x12, 0x01, 0x00])
    m.step()
    m.step()
    assert m.ram[0x10] == 0x00 and m.flags == Z | C | AC
    m.run(2)
    assert (m.ram[0x11], m.flags, m.cycles) == (0x13, 0, 4)


def test_shifts_and_rotates_go_through_carry():
    m = machine(("MOV_A_K", 0x81), ("SR_A",), ("SRC_A",), ("SLC_A",), ("SL_A",))
    m.step()
    m.step()  # sr: 0x81 -> 0x40, C = 1
    assert (m.a, m.flags) == (0x40, C)
    m.step()  # src: C into bit 7 -> 0xA0, C = 0
    assert (m.a, m.flags) == (0xA0, 0)
    m.step()  # slc: 0xA0 -> 0x40 | old C 0, C = 1
    assert (m.a, m.flags) == (0x40, C)
    m.step()  # sl: 0x40 -> 0x80, C = 0
    assert (m.a, m.flags) == (0x80, 0)


def test_flag_register_reads_upper_nibble_as_ones_and_ignores_writes_to_it():
    m = machine(("MOV_A_K", 0x5B), ("MOV_IO_A", FLAG), ("MOV_A_IO", FLAG))
    m.run(2)
    assert m.flags == 0x0B
    m.step()
    assert m.a == 0xFB
    assert m.flags == 0x0A  # mov a, IO sets Z from 0xFB: cleared


# -- cycles -----------------------------------------------------------------------------------

TWO_CYCLE = {"GOTO", "CALL", "RET", "RET_K", "RETI", "PCADD_A", "IDXM_M_A", "IDXM_A_M"}
SKIPS = {"T0SN_M", "T1SN_M", "IZSN_A", "DZSN_A", "IZSN_M", "DZSN_M", "CEQSN_A_M", "CEQSN_A_K"}
SKIPS |= {"T0SN_IO", "T1SN_IO"}


def run_one(op: str, operands: tuple[int, ...], setup=None) -> ReferenceMachine:
    m = machine((op, *operands))
    m.io_poke(SP, 0x10)
    m.io_poke(CLKMD, 0xF4)  # no watchdog
    if setup:
        setup(m)
    m.step()
    return m


PMS150C_OPS = [i.op for i in INSTRUCTIONS if i.pms150c and i.op not in {"STOPSYS", "RESET"}]


@pytest.mark.parametrize("op", PMS150C_OPS)
def test_instruction_costs_its_documented_cycles_when_not_skipping(op):
    instr = BY_OP[op]
    operands = tuple(2 if k.even else 1 for k in instr.fields)

    def no_skip(m):  # make every skip condition false
        m.ram[1] = 0x02 if op == "T0SN_M" else 0x00  # bit 1 set only for t0sn
        m.a = 0x05
        m.io_poke(1, 0x02 if op == "T0SN_IO" else 0x00)

    m = run_one(op, operands, no_skip)
    assert m.cycles == (2 if op in TWO_CYCLE else 1)


@pytest.mark.parametrize(
    "op, operands, setup",
    [
        ("T0SN_M", (1, 1), lambda m: None),
        ("T1SN_M", (1, 1), lambda m: m.ram.__setitem__(1, 0x02)),
        ("T0SN_IO", (1, 1), lambda m: None),
        ("T1SN_IO", (1, 1), lambda m: m.io_poke(1, 0x02)),
        ("IZSN_A", (), lambda m: setattr(m, "a", 0xFF)),
        ("DZSN_A", (), lambda m: setattr(m, "a", 0x01)),
        ("IZSN_M", (1,), lambda m: m.ram.__setitem__(1, 0xFF)),
        ("DZSN_M", (1,), lambda m: m.ram.__setitem__(1, 0x01)),
        ("CEQSN_A_M", (1,), lambda m: m.ram.__setitem__(1, m.a)),
        ("CEQSN_A_K", (0x00,), lambda m: setattr(m, "a", 0x00)),
    ],
)
def test_taken_skip_costs_two_cycles_and_skips_one_word(op, operands, setup):
    assert op in SKIPS
    m = run_one(op, operands, setup)
    assert (m.cycles, m.pc) == (2, 2)


def test_delay_loop_takes_3n_plus_1_cycles():
    """pdk13-reference.md 6.3, N = 200: 601 cycles to the word after the loop."""
    m = machine(("MOV_A_K", 200), ("MOV_M_A", 0x20), ("DZSN_M", 0x20), ("GOTO", 2), ("STOPSYS",))
    assert m.run() == StopReason.STOPSYS
    assert m.cycles == 3 * 200 + 1 + 1  # + the stopsys


def test_pcadd_jump_table():
    """pdk13-reference.md 6.4: index 2 lands on case 2 in 1+1+2+2 cycles."""
    m = machine(
        ("MOV_A_M", 0x21),
        ("ADD_A_K", 1),
        ("PCADD_A",),
        ("GOTO", 10),
        ("GOTO", 11),
        ("GOTO", 12),
    )
    m.ram[0x21] = 2
    for _ in range(4):
        m.step()
    assert (m.pc, m.cycles) == (12, 6)


def test_nested_calls_store_little_endian_return_addresses_and_return():
    m = machine(
        ("CALL", 0x105),  # 0x000
        ("STOPSYS",),  # 0x001
        at={0x105: ("CALL", 0x2F0), 0x106: ("RET",), 0x2F0: ("RET_K", 0x77)},
    )
    m.io_poke(SP, 0x30)
    m.step()
    m.step()
    assert m.sp == 0x34
    assert bytes(m.ram[0x30:0x34]) == bytes([0x01, 0x00, 0x06, 0x01])
    assert m.run() == StopReason.STOPSYS
    assert (m.a, m.sp, m.pc, m.cycles) == (0x77, 0x30, 0x002, 2 + 2 + 2 + 2 + 1)


def test_pushaf_popaf_round_trip_with_flag_upper_bits():
    m = machine(("MOV_A_K", 0x3C), ("PUSHAF",), ("MOV_A_K", 0), ("POPAF",))
    m.io_poke(FLAG, C | OV)
    m.io_poke(SP, 0x20)
    m.run(2)
    assert bytes(m.ram[0x20:0x22]) == bytes([0x3C, 0xF0 | C | OV])
    m.io_poke(FLAG, 0)
    m.run(2)
    assert (m.a, m.flags, m.sp) == (0x3C, C | OV, 0x20)


def test_idxm_uses_the_low_six_bits_of_the_pointer():
    m = machine(("MOV_A_K", 0x99), ("IDXM_M_A", 0x04), ("IDXM_A_M", 0x06))
    m.ram[0x04] = 0x40 | 0x25  # -> RAM[0x25]
    m.ram[0x06] = 0x25
    m.run(5)
    assert m.ram[0x25] == 0x99 and m.a == 0x99 and m.cycles == 5


def test_stt16_ldt16_move_little_endian_words():
    m = machine(("STT16", 0x10), ("LDT16", 0x12))
    m.ram[0x10:0x12] = bytes([0x34, 0x12])
    m.run(2)
    assert m.t16 == 0x1234 and bytes(m.ram[0x12:0x14]) == bytes([0x34, 0x12])


# -- errors -----------------------------------------------------------------------------------


def test_invalid_opcode_raises_with_pc_and_cycles_and_leaves_state():
    m = machine(("MOV_A_K", 7), ("GOTO", 3), 0x0000, 0x0001)
    with pytest.raises(InvalidOpcode) as err:
        m.run(100)
    assert (err.value.pc, err.value.cycles, err.value.word) == (3, 3, 0x0001)
    assert (m.pc, m.cycles, m.a) == (3, 3, 7)


@pytest.mark.parametrize("op", ["CNEQSN_A_M", "CNEQSN_A_K", "MUL", "LDSPTL", "LDSPTH"])
def test_pdk13_words_the_pms150c_lacks_are_invalid(op):
    m = machine((op, *(0 for _ in BY_OP[op].fields)))
    with pytest.raises(InvalidOpcode):
        m.step()


def test_call_past_the_top_of_ram_raises_stack_overflow_before_changing_anything():
    m = machine(("CALL", 1), ("CALL", 2), ("NOP",))
    m.io_poke(SP, 0x3E)
    m.step()  # pushes at 0x3E, 0x3F
    with pytest.raises(StackOverflow) as err:
        m.step()
    assert (err.value.pc, err.value.cycles, err.value.sp) == (1, 2, 0x40)
    assert (m.sp, m.pc) == (0x40, 1)


def test_ret_with_empty_stack_raises_but_wraps_when_checks_are_off():
    with pytest.raises(StackOverflow):
        machine(("RET",)).step()
    m = machine(("RET",), stack_checks=False)
    m.ram[0x3E:0x40] = bytes([0x05, 0x01])
    m.step()
    assert (m.sp, m.pc) == (0xFE, 0x105)


# -- peripherals ------------------------------------------------------------------------------


def test_t16_interrupt_enters_at_the_first_boundary_after_the_bit_rises():
    # T16 counts CLK from the tick after the T16M write (cycle 1): T16 = 256 at time 257,
    # bit 8 rises then; the loop's boundaries are even (nop at 5 shifts them), so the entry
    # happens at 258, and the ISR's stopsys at 260.
    m = machine(
        ("MOV_A_K", 0x20),  # 0: CLK, /1, bit 8
        ("MOV_IO_A", T16M),  # 1
        ("MOV_A_K", 0x04),  # 2
        ("MOV_IO_A", INTEN),  # 3
        ("ENGINT",),  # 4
        ("NOP",),  # 5
        ("GOTO", 6),  # 6
        at={0x10: ("STOPSYS",)},
    )
    m.io_poke(CLKMD, 0xF4)
    m.io_poke(SP, 0x20)
    assert m.run(10_000) == StopReason.STOPSYS
    assert m.cycles == 258 + 2 + 1
    assert m.io_peek(INTRQ) == 0x04 and m.gie == 0
    assert bytes(m.ram[0x20:0x22]) == bytes([6, 0]) and m.sp == 0x22


def test_t16_falling_edge_and_prescaler():
    # /4 prescaler, bit 8, falling edge: counts every 4 cycles; bit 8 falls at 0x200 = 512
    # counts = 2048 cycles after the T16M write.
    m = machine(("MOV_A_K", 0x28), ("MOV_IO_A", T16M), ("GOTO", 2))
    m.io_poke(CLKMD, 0xF4)
    m.io_poke(INTEGS, 0x10)
    m.run(2)  # write lands at cycle 1
    m.run(2048 - 1 - 2)
    assert m.io_peek(INTRQ) == 0 and m.t16 == (m.cycles - 1) // 4 == 0x1FF
    m.run(2)
    assert m.io_peek(INTRQ) == 0x04
    assert m.t16 == (m.cycles - 1) // 4 == 0x200


def test_watchdog_resets_after_8192_ilrc_cycles_and_keeps_ram():
    m = machine(("INC_M", 0x20), ("GOTO", 0))  # a 3-cycle loop from reset (ILRC, WDT on)
    m.run(8191)  # inc at 0, 3, ..., 8190
    assert (m.resets, m.cycles, m.ram[0x20]) == (0, 8191, 2731 & 0xFF)
    m.run(1)  # the goto's first cycle is the 8192nd: reset
    assert (m.resets, m.pc, m.cycles, m.ram[0x20]) == (1, 0, 8193, 2731 & 0xFF)


def test_watchdog_period_from_misc_and_off_with_clkmd():
    m = machine(("GOTO", 0))
    m.io_poke(MISC, 0x01)
    m.run(16382)
    assert m.resets == 0
    m.run(2)
    assert m.resets == 1
    off = machine(("GOTO", 0))
    off.io_poke(CLKMD, 0xF4)
    off.run(300_000)
    assert off.resets == 0


def test_wdreset_clears_the_watchdog():
    m = machine(("WDRESET",), ("GOTO", 0))
    m.run(50_000)
    assert m.resets == 0


def test_tm2_pwm_duty_on_pa3():
    # TM2 from CLK, /1, 8-bit PWM on PA3, bound 63: high for 64 of every 256 cycles.
    setup = [
        ("MOV_A_K", 63),
        ("MOV_IO_A", TM2B),
        ("MOV_A_K", 0x1A),  # CLK source, PA3, PWM
        ("MOV_IO_A", TM2C),
    ]
    m = machine(*setup, *[("NOP",)] * 1000)
    m.io_poke(CLKMD, 0xF4)
    m.run(4)
    levels = []
    for _ in range(512):
        m.step()
        levels.append(m.snapshot()["pins"] >> 3 & 1)
    assert sum(levels) == 128
    assert sum(levels[:256]) == 64
    # high from the wrap to 0 until the counter passes 63
    assert m.io_peek(TM2CT) == 513 % 256 and levels[-1] == 1


def test_tm2_period_mode_toggles_and_requests_at_each_match():
    # bound 9: the counter matches every 10 counts; output toggles, INTRQ.6 set.
    setup = [("MOV_A_K", 9), ("MOV_IO_A", TM2B), ("MOV_A_K", 0x18), ("MOV_IO_A", TM2C)]
    m = machine(*setup, *[("NOP",)] * 20)
    m.io_poke(CLKMD, 0xF4)
    m.run(4)  # TM2C write landed at cycle 3, counting from the tick of cycle 3
    m.run(9)  # 10 counts, the 10th matches (counter was 9)
    assert m.io_peek(INTRQ) == 0x40 and m.io_peek(TM2CT) == 0
    assert m.snapshot()["pins"] == 0x08


def test_stopsys_halts_time_and_a_pin_change_wakes_it():
    m = machine(("STOPSYS",), ("INC_M", 0x20), ("STOPSYS",))
    assert m.run(1000) == StopReason.STOPSYS
    assert (m.cycles, m.mode) == (1, "stopsys")
    assert m.run(1000) == StopReason.STOPSYS and m.cycles == 1
    m.set_pin(0, 1)  # PA0: input, PADIER.0 = 1 after reset
    assert m.mode == "waking"  # the wake-up time: 32 ILRC clocks (fast: factory fuse)
    assert m.run(1000) == StopReason.STOPSYS
    assert (m.ram[0x20], m.cycles) == (1, 1 + 32 + 2)


def test_pin_without_digital_input_does_not_wake():
    m = machine(("STOPSYS",))
    m.run(10)
    m.io_poke(PADIER, 0x00)
    m.set_pin(0, 1)
    assert m.mode == "stopsys"


def test_stopexe_wakes_on_scheduled_pin_at_its_cycle():
    m = machine(("MOV_A_K", 0xF4), ("MOV_IO_A", CLKMD), ("STOPEXE",), ("INC_M", 0x20), ("STOPSYS",))
    m.schedule_pin(100, 4, 1)
    assert m.run(1000) == StopReason.STOPSYS
    assert (m.ram[0x20], m.cycles) == (1, 100 + 32 + 2)  # + the wake-up time at ILRC/1


def test_pa0_edge_sets_intrq_and_enters_the_interrupt():
    m = machine(
        ("MOV_A_K", 1), ("MOV_IO_A", INTEN), ("ENGINT",), ("GOTO", 3), at={0x10: ("STOPSYS",)}
    )
    m.io_poke(INTEGS, 0x02)  # falling edges only
    m.io_poke(SP, 0x30)
    m.set_pin(0, 1)
    m.schedule_pin(40, 0, 0)
    assert m.run(1000) == StopReason.STOPSYS
    # goto loop boundaries: 3, 5, ..., 41 is the first >= 40; entry 2 cycles; stopsys 1
    assert m.cycles == 41 + 2 + 1 and m.io_peek(INTRQ) == 0x01


def test_pa_reads_pins_for_inputs_and_the_latch_for_outputs():
    m = machine(("MOV_A_IO", PA))
    m.io_poke(PAC, 0x08)
    m.io_poke(PA, 0x0E)  # latch bit 3 = 1 (output), bits 1, 2 latch only
    m.io_poke(PAPH, 0x80)  # PA7 pulled up
    m.set_pin(0, 1)
    m.step()
    assert m.a == 0x80 | 0x08 | 0x06 | 0x01
    assert m.snapshot()["pins"] == 0x80 | 0x08 | 0x01


def test_reset_instruction_keeps_ram_and_counts():
    m = machine(("INC_M", 0x20), ("MOV_A_K", 3), ("RESET",))
    m.io_poke(SP, 0x10)
    # `reset` is a hardware reset (DS 7.7): the boot-up time follows, 32 ILRC clocks at
    # ILRC/1. Resets at 2 and 36 (3 instructions + 32 cycles apart); `inc` again at 68
    m.run(69)
    assert (m.resets, m.ram[0x20], m.sp, m.a, m.pc) == (2, 3, 0, 0, 1)


def test_t16_counts_ihrc_ticks_with_exact_rational_phase():
    # System clock ILRC (59 kHz), T16 from the IHRC (16 MHz): 59 cycles hold exactly 16000
    # IHRC ticks.
    m = machine(("MOV_A_K", 0x80), ("MOV_IO_A", T16M), *[("NOP",)] * 200)
    m.io_poke(CLKMD, 0xF4)
    m.run(59)  # ticks counted from cycle 1, the write: 58 cycles so far
    assert m.t16 == 16000 * 58 // 59
    m.run(1)
    assert m.t16 == 16000
    m.run(59)
    assert m.t16 == 32000


def test_timer2_bulk_counts_equal_single_counts():
    """The reference advances Timer2 by many counts per cycle arithmetically; that must be
    the same as counting one at a time, in every mode, from every kind of state."""
    rng = random.Random(7)
    for _ in range(3000):
        tm2c = rng.choice([0x10, 0x12, 0x11, 0x13]) | rng.choice([0, 8, 12])
        tm2s, tm2b, tm2ct = rng.choice([0, 0x80]), rng.randrange(256), rng.randrange(256)
        n = rng.choice([1, 2, rng.randrange(1, 600)])
        bulk, single = machine(), machine()
        for m in (bulk, single):
            m.io_poke(TM2C, tm2c)
            m.io_poke(TM2S, tm2s)
            m.io_poke(TM2B, tm2b)
            m.io_poke(TM2CT, tm2ct)
            m.mode = "stopexe"
        bulk._tm2_counts(n)
        for _ in range(n):
            single._tm2_count()
        assert bulk.snapshot() == single.snapshot(), (hex(tm2c), tm2s, tm2b, tm2ct, n)
        assert bulk._tm2_toggle == single._tm2_toggle
