"""Every instruction of the fast core: results, each flag and cycles, against hand-computed
cases (pdk13-reference.md 2.2 and 6.2) and against the cycle columns of pms150c.isa."""

from __future__ import annotations

import pytest

from pms150c.errors import InvalidOpcode
from pms150c.image import Image
from pms150c.isa import BY_OP, INSTRUCTIONS
from pms150c.machine import Machine

Z, C, AC, OV = 1, 2, 4, 8


def word(op: str, *operands: int) -> int:
    return BY_OP[op].encode(*operands)


def execute(words, *, a=0, flags=0, ram=None, sp=0x30, io=None) -> Machine:
    """Run the first instruction of `words` (followed by nops) once from a prepared state."""
    m = Machine(Image(list(words) + [word("NOP")] * 4))
    m.a = a
    m.flags = flags
    m.sp = sp
    for addr, value in (ram or {}).items():
        m.ram[addr] = value
    for addr, value in (io or {}).items():
        m.io_poke(addr, value)
    m.step()
    return m


# -- ALU flags: the spot-check table (pdk13-reference.md 6.2) ---------------------------------

SPOT_CHECKS = [
    # (op, A, M, carry in, result, flags)
    ("ADD_A_M", 0x7F, 0x01, 0, 0x80, AC | OV),
    ("ADD_A_M", 0xFF, 0x01, 0, 0x00, Z | C | AC),
    ("ADD_A_M", 0x80, 0x80, 0, 0x00, Z | C | OV),
    ("ADDC_A_M", 0x0F, 0x00, 1, 0x10, AC),
    ("SUB_A_M", 0x00, 0x01, 0, 0xFF, C | AC),
    ("SUB_A_M", 0x80, 0x01, 0, 0x7F, AC | OV),
    ("SUB_A_M", 0x10, 0x10, 0, 0x00, Z),
    ("SUBC_A_M", 0x10, 0x0F, 1, 0x00, Z | AC),
    # addc of 0xFF + 0x00 with carry in: 0x100 -> 0, carry out, half carry 0xF + 0 + 1
    ("ADDC_A_M", 0xFF, 0x00, 1, 0x00, Z | C | AC),
    # subc borrow: 0 - 0 - 1 borrows out of bit 7 and bit 3, no signed overflow
    ("SUBC_A_M", 0x00, 0x00, 1, 0xFF, C | AC),
    # AC from bit 3 alone: 0x08 + 0x08 = 0x10
    ("ADD_A_M", 0x08, 0x08, 0, 0x10, AC),
    # OV on signed overflow the other way: -128 + -1 = +127
    ("ADD_A_M", 0x80, 0xFF, 0, 0x7F, C | OV),
]


@pytest.mark.parametrize("op, a, m, carry, result, flags", SPOT_CHECKS)
def test_alu_spot_checks_into_a(op, a, m, carry, result, flags):
    machine = execute([word(op, 0x10)], a=a, flags=carry * C, ram={0x10: m})
    assert (machine.a, int(machine.flags)) == (result, flags)
    assert machine.cycles == 1


@pytest.mark.parametrize("op, a, m, carry, result, flags", SPOT_CHECKS)
def test_alu_spot_checks_into_memory(op, a, m, carry, result, flags):
    # "M <- M op A" forms compute M - A: swap the operands to get the same arithmetic
    to_m = {"ADD_A_M": "ADD_M_A", "ADDC_A_M": "ADDC_M_A", "SUB_A_M": "SUB_M_A"}
    to_m["SUBC_A_M"] = "SUBC_M_A"
    machine = execute([word(to_m[op], 0x10)], a=m, flags=carry * C, ram={0x10: a})
    assert (int(machine.ram[0x10]), int(machine.flags)) == (result, flags)
    assert machine.a == m


def test_addc_sets_carry_on_overflow_with_carry_in():
    m = execute([word("ADDC_A")], a=0xFF, flags=C)
    assert (m.a, m.flags.z, m.flags.c, m.flags.ac, m.flags.ov) == (0, 1, 1, 1, 0)


def test_subc_a_borrows_from_zero():
    m = execute([word("SUBC_A")], a=0x00, flags=C)
    assert (m.a, int(m.flags)) == (0xFF, C | AC)


def test_add_with_literal_sets_every_flag():
    m = execute([word("ADD_A_K", 0x01)], a=0xFF)
    assert (m.a, int(m.flags)) == (0x00, Z | C | AC)


def test_sub_literal_borrow():
    m = execute([word("SUB_A_K", 0x81)], a=0x01)
    # 0x01 - 0x81 = 0x80 with a borrow; no nibble borrow (1 - 1); signed 1 - (-127) = 128
    # overflows: OV = (0x01^0x81) & (0x01^0x80) & 0x80 = 0x80
    assert (m.a, int(m.flags)) == (0x80, C | OV)


def test_inc_dec_use_the_add_and_sub_primitives():
    m = execute([word("INC_M", 5)], ram={5: 0x7F})
    assert (int(m.ram[5]), int(m.flags)) == (0x80, AC | OV)
    m = execute([word("DEC_M", 5)], ram={5: 0x80})
    assert (int(m.ram[5]), int(m.flags)) == (0x7F, AC | OV)
    m = execute([word("DEC_M", 5)], ram={5: 0x00})
    assert (int(m.ram[5]), int(m.flags)) == (0xFF, C | AC)


def test_addc_m_and_subc_m_propagate_the_carry():
    m = execute([word("ADDC_M", 7)], ram={7: 0xFF}, flags=C)
    assert (int(m.ram[7]), int(m.flags)) == (0x00, Z | C | AC)
    m = execute([word("SUBC_M", 7)], ram={7: 0x00}, flags=C)
    assert (int(m.ram[7]), int(m.flags)) == (0xFF, C | AC)
    m = execute([word("SUBC_M", 7)], ram={7: 0x05}, flags=0)
    assert (int(m.ram[7]), int(m.flags)) == (0x05, 0)


# -- logic, moves and Z-only instructions ----------------------------------------------------


@pytest.mark.parametrize(
    "op, a, m, result",
    [("AND_A_M", 0xF0, 0x0F, 0x00), ("OR_A_M", 0xF0, 0x0F, 0xFF), ("XOR_A_M", 0xFF, 0xFF, 0x00)],
)
def test_logic_sets_only_z(op, a, m, result):
    machine = execute([word(op, 3)], a=a, ram={3: m}, flags=C | AC | OV)
    assert machine.a == result
    assert int(machine.flags) == C | AC | OV | (Z if result == 0 else 0)


@pytest.mark.parametrize(
    "op, a, m, result",
    [("AND_M_A", 0xF0, 0x0F, 0x00), ("OR_M_A", 0x0F, 0x30, 0x3F), ("XOR_M_A", 0x0F, 0x0F, 0x00)],
)
def test_logic_into_memory_sets_only_z(op, a, m, result):
    machine = execute([word(op, 3)], a=a, ram={3: m}, flags=OV)
    assert int(machine.ram[3]) == result
    assert int(machine.flags) == OV | (Z if result == 0 else 0)


def test_logic_with_literals():
    assert execute([word("AND_A_K", 0x0F)], a=0x3C).a == 0x0C
    assert execute([word("OR_A_K", 0x01)], a=0x80).a == 0x81
    m = execute([word("XOR_A_K", 0x55)], a=0x55)
    assert (m.a, m.flags.z) == (0, 1)


def test_mov_a_k_does_not_touch_z_but_mov_a_m_does():
    m = execute([word("MOV_A_K", 0)], a=5, flags=0)
    assert (m.a, int(m.flags)) == (0, 0)
    m = execute([word("MOV_A_M", 9)], a=5, ram={9: 0}, flags=C)
    assert (m.a, int(m.flags)) == (0, C | Z)
    m = execute([word("MOV_A_M", 9)], a=0, ram={9: 7}, flags=Z)
    assert (m.a, int(m.flags)) == (7, 0)


def test_mov_a_io_sets_z():
    m = execute([word("MOV_A_IO", 0x01)], a=5, io={0x01: 0}, flags=0)
    assert (m.a, m.flags.z) == (0, 1)


def test_mov_m_a_xch_clear_swap_set_no_flags():
    m = execute([word("MOV_M_A", 0x3F)], a=0, flags=0)
    assert (int(m.ram[0x3F]), int(m.flags)) == (0, 0)
    m = execute([word("XCH_M", 4)], a=0x12, ram={4: 0x34})
    assert (m.a, int(m.ram[4]), int(m.flags)) == (0x34, 0x12, 0)
    m = execute([word("CLEAR_M", 4)], ram={4: 0x34})
    assert (int(m.ram[4]), int(m.flags)) == (0, 0)
    m = execute([word("SWAP_A")], a=0x1E)
    assert (m.a, int(m.flags)) == (0xE1, 0)


def test_not_and_neg_set_only_z():
    m = execute([word("NEG_A")], a=0x38, flags=C | AC | OV)
    assert (m.a, int(m.flags)) == (0xC8, C | AC | OV)
    m = execute([word("NOT_A")], a=0xFF, flags=C)
    assert (m.a, int(m.flags)) == (0x00, C | Z)
    m = execute([word("NEG_M", 1)], ram={1: 0})
    assert (int(m.ram[1]), m.flags.z) == (0, 1)
    m = execute([word("NOT_M", 1)], ram={1: 0x0F})
    assert (int(m.ram[1]), m.flags.z) == (0xF0, 0)


@pytest.mark.parametrize(
    "op, value, carry_in, result, carry_out",
    [
        ("SR", 0x81, 0, 0x40, 1),
        ("SL", 0x81, 0, 0x02, 1),
        ("SRC", 0x02, 1, 0x81, 0),
        ("SLC", 0x40, 1, 0x81, 0),
        ("SRC", 0x01, 0, 0x00, 1),
        ("SLC", 0x80, 0, 0x00, 1),
    ],
)
def test_shifts_set_only_carry(op, value, carry_in, result, carry_out):
    m = execute([word(op + "_A")], a=value, flags=carry_in * C | OV)
    assert (m.a, int(m.flags)) == (result, carry_out * C | OV)  # Z untouched even at 0
    m = execute([word(op + "_M", 2)], ram={2: value}, flags=carry_in * C | Z)
    assert (int(m.ram[2]), int(m.flags)) == (result, carry_out * C | Z)


def test_bit_set_and_clear_on_ram_and_io():
    m = execute([word("SET1_M", 3, 7)], ram={3: 0x01})
    assert int(m.ram[3]) == 0x81
    m = execute([word("SET0_M", 3, 0)], ram={3: 0x81})
    assert int(m.ram[3]) == 0x80
    m = execute([word("SET1_IO", 0x01, 4)], io={0x01: 0})
    assert m.io_peek(0x01) == 0x10
    m = execute([word("SET0_IO", 0x00, 1)], flags=C | Z)  # FLAG through the IO space
    assert int(m.flags) == Z


def test_flag_register_reads_high_nibble_as_ones():
    m = execute([word("MOV_A_IO", 0x00)], flags=C)
    assert m.a == 0xF2
    m = execute([word("MOV_IO_A", 0x00)], a=0xFF)
    assert int(m.flags) == 0xF


def test_xor_io_sets_no_flags():
    m = execute([word("XOR_IO_A", 0x01)], a=0x0F, io={0x01: 0x0F}, flags=0)
    assert (m.io_peek(0x01), int(m.flags)) == (0, 0)


def test_idxm_uses_the_low_six_bits_of_the_pointer():
    m = execute([word("IDXM_A_M", 4)], ram={4: 0x47, 5: 0xFF, 7: 0x99})
    assert m.a == 0x99  # 0x47 & 0x3F = 0x07; the high byte at 5 is ignored
    m = execute([word("IDXM_M_A", 4)], a=0x77, ram={4: 0x21})
    assert (int(m.ram[0x21]), m.cycles) == (0x77, 2)


def test_ceqsn_sets_arith_flags_and_skips_on_equal():
    m = execute([word("CEQSN_A_K", 0x10)], a=0x10)
    assert (m.pc, m.cycles, int(m.flags)) == (2, 2, Z)
    m = execute([word("CEQSN_A_M", 1)], a=0x00, ram={1: 0x01})
    assert (m.pc, m.cycles, int(m.flags), m.a) == (1, 1, C | AC, 0)


def test_pushaf_and_popaf_round_trip_through_the_stack():
    m = Machine(Image([word("PUSHAF"), word("POPAF")]))
    m.sp, m.a, m.flags = 0x20, 0x5A, C | OV
    m.step()
    assert (bytes(m.ram[0x20:0x22]), m.sp) == (bytes([0x5A, 0xF0 | C | OV]), 0x22)
    m.a, m.flags = 0, 0
    m.step()
    assert (m.a, int(m.flags), m.sp, m.cycles) == (0x5A, C | OV, 0x20, 2)


def test_stt16_and_ldt16_move_the_timer_word():
    m = Machine(Image([word("STT16", 4), word("LDT16", 6)]))
    m.ram[4], m.ram[5] = 0x34, 0x12
    m.step()
    assert m.t16 == 0x1234
    m.step()  # Timer16 is stopped after reset, so the value reads back unchanged
    assert (int(m.ram[6]), int(m.ram[7])) == (0x34, 0x12)


def test_engint_disgint_toggle_gie():
    m = Machine(Image([word("ENGINT"), word("DISGINT")]))
    m.step()
    assert m.gie == 1
    m.step()
    assert m.gie == 0


# -- cycles of every row, executed and skipping ----------------------------------------------

PMS150C_ROWS = [i for i in INSTRUCTIONS if i.pms150c]


def _operands(instr, skip: bool) -> tuple[int, ...]:
    values = []
    for kind in instr.fields:
        values.append({"M": 8, "M4": 8, "MW": 8, "IO": 0x01, "k": 0x21, "n": 0, "K": 5}[kind.name])
    return tuple(values)


def _state_for(instr, skip: bool) -> dict:
    """RAM/A so that a skip instruction skips (or not); a sane stack for returns."""
    op = instr.op
    ram = {8: 0x00}
    a = 0x21
    if op in ("T0SN_M", "T0SN_IO"):
        value = 0x00 if skip else 0x01
    elif op in ("T1SN_M", "T1SN_IO"):
        value = 0x01 if skip else 0x00
    elif op in ("IZSN_M",):
        value = 0xFF if skip else 0x00
    elif op in ("DZSN_M",):
        value = 0x01 if skip else 0x05
    elif op == "CEQSN_A_M":
        value = 0x21 if skip else 0x22
    else:
        value = 0
    ram[8] = value
    if op == "IZSN_A":
        a = 0xFF if skip else 0x00
    elif op == "DZSN_A":
        a = 0x01 if skip else 0x05
    elif op == "CEQSN_A_K":
        a = 0x21 if skip else 0x22
    return {"ram": ram, "a": a, "io": {0x01: value}}


@pytest.mark.parametrize("instr", PMS150C_ROWS, ids=lambda i: i.op)
def test_every_instruction_costs_its_table_cycles(instr):
    w = instr.encode(*_operands(instr, False))
    state = _state_for(instr, skip=False)
    m = execute([w], a=state["a"], ram=state["ram"], io=state["io"], sp=0x30)
    assert m.cycles == instr.cycles


@pytest.mark.parametrize(
    "instr", [i for i in PMS150C_ROWS if i.skip_cycles is not None], ids=lambda i: i.op
)
def test_skip_instructions_cost_their_skip_cycles_when_they_skip(instr):
    w = instr.encode(*_operands(instr, True))
    state = _state_for(instr, skip=True)
    m = execute([w], a=state["a"], ram=state["ram"], io=state["io"])
    assert (m.pc, m.cycles) == (2, instr.skip_cycles)
    state = _state_for(instr, skip=False)
    m = execute([w], a=state["a"], ram=state["ram"], io=state["io"])
    assert (m.pc, m.cycles) == (1, instr.cycles)


@pytest.mark.parametrize("instr", [i for i in INSTRUCTIONS if not i.pms150c], ids=lambda i: i.op)
def test_pdk13_words_the_pms150c_lacks_raise_invalid_opcode(instr):
    w = instr.encode(*(0 for _ in instr.fields))
    m = Machine(Image([word("NOP"), w]))
    m.step()
    with pytest.raises(InvalidOpcode) as err:
        m.step()
    assert (err.value.pc, err.value.cycles, err.value.word) == (1, 1, w)
    assert (m.pc, m.cycles) == (1, 1)  # state intact


def test_control_transfers():
    m = execute([word("GOTO", 0x123)])
    assert (m.pc, m.cycles) == (0x123, 2)
    m = execute([word("CALL", 0x3F0)], sp=0x10)
    assert (m.pc, m.sp, bytes(m.ram[0x10:0x12]), m.cycles) == (0x3F0, 0x12, b"\x01\x00", 2)
    m = execute([word("RET_K", 0x42)], sp=0x12, ram={0x10: 0x34, 0x11: 0x02})
    assert (m.pc, m.sp, m.a, m.cycles) == (0x234, 0x10, 0x42, 2)
    m = execute([word("RETI")], sp=0x12, ram={0x10: 0x05, 0x11: 0x00})
    assert (m.pc, m.gie) == (5, 1)
    m = execute([word("PCADD_A")], a=3)
    assert (m.pc, m.cycles) == (3, 2)


def test_call_at_the_last_word_pushes_zero():
    m = Machine(Image([word("NOP")] * 1023 + [word("CALL", 0x100)]))
    m.pc, m.sp = 0x3FF, 0x10
    m.step()
    assert (m.pc, int(m.ram[0x10]), int(m.ram[0x11])) == (0x100, 0, 0)


def test_pcadd_wraps_at_the_end_of_rom():
    m = Machine(Image([word("NOP")] * 1022 + [word("PCADD_A")]))
    m.pc, m.a = 0x3FE, 0x05
    m.step()
    assert m.pc == 0x003
