"""The instruction table, form by form, against words, cycles and flags written by hand.

Expected values come from pdk13-reference.md section 2.3 (cross-checked against sdaspdk13 in
test_sdcc_differential.py), not from pms150c.isa, so a wrong row in the table fails here.
"""

import numpy as np
import pytest

from pms150c import AssemblerError, assemble, isa

ARITH = "Z C AC OV"

# source text: (table row, word, cycles, cycles when it skips or None, flags written)
FORMS = {
    "nop": ("NOP", 0x0000, 1, None, ""),
    "addc a": ("ADDC_A", 0x0010, 1, None, ARITH),
    "subc a": ("SUBC_A", 0x0011, 1, None, ARITH),
    "izsn a": ("IZSN_A", 0x0012, 1, 2, ARITH),
    "dzsn a": ("DZSN_A", 0x0013, 1, 2, ARITH),
    "pcadd a": ("PCADD_A", 0x0017, 2, None, ""),
    "pcadd": ("PCADD_A", 0x0017, 2, None, ""),
    "not a": ("NOT_A", 0x0018, 1, None, "Z"),
    "neg a": ("NEG_A", 0x0019, 1, None, "Z"),
    "sr a": ("SR_A", 0x001A, 1, None, "C"),
    "sl a": ("SL_A", 0x001B, 1, None, "C"),
    "src a": ("SRC_A", 0x001C, 1, None, "C"),
    "slc a": ("SLC_A", 0x001D, 1, None, "C"),
    "swap a": ("SWAP_A", 0x001E, 1, None, ""),
    "wdreset": ("WDRESET", 0x0030, 1, None, ""),
    "pushaf": ("PUSHAF", 0x0032, 1, None, ""),
    "push af": ("PUSHAF", 0x0032, 1, None, ""),
    "popaf": ("POPAF", 0x0033, 1, None, ARITH),
    "pop af": ("POPAF", 0x0033, 1, None, ARITH),
    "reset": ("RESET", 0x0035, 1, None, ""),
    "stopsys": ("STOPSYS", 0x0036, 1, None, ""),
    "stopexe": ("STOPEXE", 0x0037, 1, None, ""),
    "engint": ("ENGINT", 0x0038, 1, None, ""),
    "disgint": ("DISGINT", 0x0039, 1, None, ""),
    "ret": ("RET", 0x003A, 2, None, ""),
    "reti": ("RETI", 0x003B, 2, None, ""),
    "xor.io 0x1b, a": ("XOR_IO_A", 0x007B, 1, None, ""),
    "mov.io 0x10, a": ("MOV_IO_A", 0x0090, 1, None, ""),
    "mov.io sp, a": ("MOV_IO_A", 0x0082, 1, None, ""),
    "mov.io a, 0x1f": ("MOV_A_IO", 0x00BF, 1, None, "Z"),
    "stt16 0x06": ("STT16", 0x00C6, 1, None, ""),
    "ldt16 0x1e": ("LDT16", 0x00DF, 1, None, ""),
    "idxm 0x04, a": ("IDXM_M_A", 0x00E4, 2, None, ""),
    "idxm a, 0x1e": ("IDXM_A_M", 0x00FF, 2, None, ""),
    "ret #0x34": ("RET_K", 0x0134, 2, None, ""),
    "t0sn 0x01, #7": ("T0SN_M", 0x02E1, 1, 2, ""),
    "t1sn 0x0f, #0": ("T1SN_M", 0x021F, 1, 2, ""),
    "set0 0x03, #2": ("SET0_M", 0x0343, 1, None, ""),
    "set1 0x0a, #5": ("SET1_M", 0x03BA, 1, None, ""),
    "add 0x3f, a": ("ADD_M_A", 0x043F, 1, None, ARITH),
    "sub 0x01, a": ("SUB_M_A", 0x0441, 1, None, ARITH),
    "addc 0x11, a": ("ADDC_M_A", 0x0491, 1, None, ARITH),
    "subc 0x20, a": ("SUBC_M_A", 0x04E0, 1, None, ARITH),
    "and 0x2a, a": ("AND_M_A", 0x052A, 1, None, "Z"),
    "or 0x15, a": ("OR_M_A", 0x0555, 1, None, "Z"),
    "xor 0x07, a": ("XOR_M_A", 0x0587, 1, None, "Z"),
    "mov 0x05, a": ("MOV_M_A", 0x05C5, 1, None, ""),
    "add a, 0x12": ("ADD_A_M", 0x0612, 1, None, ARITH),
    "sub a, 0x3e": ("SUB_A_M", 0x067E, 1, None, ARITH),
    "addc a, 0x13": ("ADDC_A_M", 0x0693, 1, None, ARITH),
    "subc a, 0x00": ("SUBC_A_M", 0x06C0, 1, None, ARITH),
    "and a, 0x21": ("AND_A_M", 0x0721, 1, None, "Z"),
    "or a, 0x30": ("OR_A_M", 0x0770, 1, None, "Z"),
    "xor a, 0x0c": ("XOR_A_M", 0x078C, 1, None, "Z"),
    "mov a, 0x05": ("MOV_A_M", 0x07C5, 1, None, "Z"),
    "addc 0x11": ("ADDC_M", 0x0811, 1, None, ARITH),
    "subc 0x11": ("SUBC_M", 0x0851, 1, None, ARITH),
    "izsn 0x20": ("IZSN_M", 0x08A0, 1, 2, ARITH),
    "dzsn 0x20": ("DZSN_M", 0x08E0, 1, 2, ARITH),
    "inc 0x30": ("INC_M", 0x0930, 1, None, ARITH),
    "dec 0x01": ("DEC_M", 0x0941, 1, None, ARITH),
    "clear 0x3f": ("CLEAR_M", 0x09BF, 1, None, ""),
    "xch 0x10": ("XCH_M", 0x09D0, 1, None, ""),
    "xch a, 0x10": ("XCH_M", 0x09D0, 1, None, ""),
    "not 0x02": ("NOT_M", 0x0A02, 1, None, "Z"),
    "neg 0x2f": ("NEG_M", 0x0A6F, 1, None, "Z"),
    "sr 0x03": ("SR_M", 0x0A83, 1, None, "C"),
    "sl 0x3c": ("SL_M", 0x0AFC, 1, None, "C"),
    "src 0x08": ("SRC_M", 0x0B08, 1, None, "C"),
    "slc 0x09": ("SLC_M", 0x0B49, 1, None, "C"),
    "ceqsn a, 0x21": ("CEQSN_A_M", 0x0BA1, 1, 2, ARITH),
    "t0sn.io 0x00, #1": ("T0SN_IO", 0x0C20, 1, 2, ""),
    "t0sn.io f, c": ("T0SN_IO", 0x0C20, 1, 2, ""),
    "t1sn.io 0x05, #2": ("T1SN_IO", 0x0D45, 1, 2, ""),
    "set0.io 0x05, #2": ("SET0_IO", 0x0E45, 1, None, ""),
    "set1.io 0x10, #3": ("SET1_IO", 0x0F70, 1, None, ""),
    "add a, #0x01": ("ADD_A_K", 0x1001, 1, None, ARITH),
    "sub a, #0xff": ("SUB_A_K", 0x11FF, 1, None, ARITH),
    "ceqsn a, #0x0a": ("CEQSN_A_K", 0x120A, 1, 2, ARITH),
    "and a, #0xfe": ("AND_A_K", 0x14FE, 1, None, "Z"),
    "or a, #0x80": ("OR_A_K", 0x1580, 1, None, "Z"),
    "xor a, #0x55": ("XOR_A_K", 0x1655, 1, None, "Z"),
    "mov a, #0x12": ("MOV_A_K", 0x1712, 1, None, ""),
    "goto 0x3ff": ("GOTO", 0x1BFF, 2, None, ""),
    "call 0x155": ("CALL", 0x1D55, 2, None, ""),
}

# PDK13 rows the PMS150C lacks: the table keeps their encodings, the assembler refuses them.
MISSING = {
    "cneqsn a, #0x12": ("CNEQSN_A_K", 0x1312),
    "cneqsn a, 0x12": ("CNEQSN_A_M", 0x0BD2),
    "mul": ("MUL", 0x003C),
    "ldsptl": ("LDSPTL", 0x0006),
    "ldspth": ("LDSPTH", 0x0007),
}


def test_every_table_row_has_a_hand_written_case():
    covered = {row for row, *_ in FORMS.values()} | {row for row, _ in MISSING.values()}
    assert covered == {instr.op for instr in isa.INSTRUCTIONS}


@pytest.mark.parametrize("text", FORMS)
def test_form_assembles_to_its_word(text):
    row, word, *_ = FORMS[text]
    assert int(assemble(text).words[0]) == word
    assert isa.lookup(word) is isa.BY_OP[row]


@pytest.mark.parametrize("text", FORMS)
def test_form_cycles_and_flags_match_the_table(text):
    row, _, cycles, skip_cycles, flags = FORMS[text]
    instr = isa.BY_OP[row]
    assert instr.cycles == cycles
    assert instr.skip_cycles == skip_cycles
    assert set(instr.flags.split()) == set(flags.split())


@pytest.mark.parametrize("text", MISSING)
def test_missing_instruction_is_refused_but_encoded_in_the_table(text):
    row, word = MISSING[text]
    instr = isa.BY_OP[row]
    assert not instr.pms150c
    assert instr.encode(*instr.decode(word)) == word
    assert isa.lookup(word) is None
    with pytest.raises(AssemblerError, match="not available on the PMS150C") as info:
        assemble(text)
    assert (info.value.line, info.value.column) == (1, 1)


def test_decode_tables_invert_encode_for_every_valid_word():
    op_of, arg1, arg2 = isa.decode_tables()
    for word in isa.valid_words():
        instr = isa.INSTRUCTIONS[op_of[word]]
        args = (int(arg1[word]), int(arg2[word]))[: len(instr.fields)]
        assert instr.encode(*args) == word


def test_valid_words_count_matches_the_field_sizes():
    # 26 fixed words + 3 IO forms * 32 + 4 word forms * 16 + ret 256 + 4 bit forms * 128
    # + 31 RAM forms * 64 + 4 IO bit forms * 256 + 7 literal forms * 256 + 2 * 1024,
    # minus the 3 fixed words of ldsptl, ldspth and mul; the 7 literal and 31 RAM forms
    # already leave out cneqsn.
    fixed = 26 - 3
    expected = fixed + 3 * 32 + 4 * 16 + 256 + 4 * 128 + 31 * 64 + 4 * 256 + 7 * 256 + 2 * 1024
    assert len(isa.valid_words()) == expected


def test_unassigned_words_are_invalid():
    for word in (0x0001, 0x0005, 0x0014, 0x001F, 0x0020, 0x0031, 0x0034, 0x003D, 0x005F):
        assert isa.lookup(word) is None
    assert np.all(isa.decode_tables()[0][[0x0BC0, 0x1300]] == isa.INVALID)


def test_format_syntax_puts_the_hash_on_immediates():
    assert isa.format_syntax("t0sn.io IO, n") == "t0sn.io IO, #n"
    assert isa.format_syntax("mov a, k") == "mov a, #k"


def test_docs_isa_md_is_generated_from_the_table():
    from pathlib import Path

    from pms150c.toolchain.isadoc import render

    committed = Path(__file__).resolve().parents[1] / "docs" / "isa.md"
    assert committed.read_text() == render(), (
        "docs/isa.md is stale: python -m pms150c.toolchain.isadoc > docs/isa.md"
    )
