"""The assembler: syntax, directives, layout, and every error located to file:line:col."""

import warnings

import numpy as np
import pytest

from pms150c import AssemblerError, AssemblerWarning, assemble, assemble_file


def words(source, **options):
    image = assemble(source, **options)
    return [int(w) for w in image.words[image.written]]


# -- errors: (source, line, column, part of the reason) ---------------------------------
ERRORS = {
    "unknown_mnemonic": ("\tnop\n\tfoo a", 2, 2, "unknown mnemonic 'foo'"),
    "immediate_too_big": ("\tmov a, #256", 1, 9, "immediate 0x100 out of range"),
    "immediate_too_negative": ("\tmov a, #-129", 1, 9, "immediate -129 out of range"),
    "ram_address": ("\tmov a, 0x40", 1, 9, "RAM address 0x40 out of range"),
    "io_address": ("\tmov.io a, 0x20", 1, 12, "IO address 0x20 out of range"),
    "io_bit_address": ("\tt0sn.io 0x20, #1", 1, 10, "IO address 0x20 out of range"),
    "bit_ram_address": ("\tset0 0x10, #1", 1, 7, "bit operation 0x10 out of range"),
    "bit_number": ("\tset0 0x0f, #8", 1, 13, "bit number 0x8 out of range"),
    "odd_word_operand": ("\tstt16 0x05", 1, 8, "must be even"),
    "odd_idxm_operand": ("\tidxm 0x05, a", 1, 7, "must be even"),
    "goto_beyond_rom": ("\tgoto 0x400", 1, 7, "ROM word address 0x400 out of range"),
    "call_beyond_rom": ("x = 1\n  call 0x7fe", 2, 8, "0x7fe out of range"),
    "cneqsn": ("\tcneqsn a, #1", 1, 2, "'cneqsn' is not available on the PMS150C"),
    "mul": ("start:\tmul", 1, 8, "'mul' is not available on the PMS150C"),
    "ldsptl": ("\tLDSPTL", 1, 2, "'ldsptl' is not available on the PMS150C"),
    "ret_without_hash": ("\tret 0x12", 1, 6, "expected an immediate '#k'"),
    "push_a": ("\tpush a", 1, 7, "expected 'af'"),
    "uppercase_accumulator": ("\tmov A, #1", 1, 6, "expected 'a'"),
    "mov_a_a": ("\tmov a, a", 1, 9, "expected a RAM address or an immediate '#k'"),
    "operand_count": ("\tnop a", 1, 6, "wrong number of operands"),
    "undefined_label": ("\tnop\n\tgoto nowhere", 2, 7, "undefined symbol 'nowhere'"),
    "undefined_library_call": ("\tcall __mulint", 1, 7, "undefined symbol '__mulint'"),
    "duplicate_label": ("x:\tnop\n  x:\tnop", 2, 3, "duplicate symbol 'x'"),
    "label_named_like_a_constant": ("n = 1\nn:\tnop", 2, 1, "duplicate symbol 'n'"),
    "constant_named_like_a_label": ("n:\tnop\nn = 2", 2, 1, "duplicate symbol 'n'"),
    "duplicate_local_label": ("1$:\tnop\n00001$:\tnop", 2, 1, "duplicate symbol '00001$'"),
    "local_label_out_of_scope": ("1$:\tnop\nx:\tgoto 1$", 2, 9, "undefined symbol '1$'"),
    "past_rom": ("\t.area C (ABS)\n\t.org 0x7fe\n\tnop\n\tnop", 4, 2, "past the end of ROM"),
    "overlap": ("\t.area C (ABS)\n\t.org 0x20\n\tnop\n\t.org 0x20\n\tnop", 5, 2, "overlaps"),
    "overlap_rel_and_abs": ("\t.area H (ABS)\n\tnop\n\t.area CODE\n\tnop", 4, 2, "overlaps"),
    "misaligned_by_db": ("\t.db 1\n\tnop", 2, 2, "odd byte address"),
    "org_in_relocatable_area": ("\t.org 0", 1, 2, ".org in relocatable area"),
    "unsupported_directive": ("\t.radix 10", 1, 2, "unsupported directive '.radix'"),
    "macro_without_endm": ("\t.macro x\n\tnop", 1, 1, "'.macro' without '.endm'"),
    "else_without_if": ("\tnop\n\t.else", 2, 2, "'.else' without '.if'"),
    "location_set_to_a_number": ("\t. = 4", 1, 6, "use '. = . + n'"),
    "narg_outside_a_macro": ("\t.narg n", 1, 2, ".narg outside a macro"),
    "too_many_macro_arguments": ("\t.macro m a\n\t.endm\n\tm 1, 2", 3, 4, "takes 1 arguments"),
    "immediate_too_wide": ("\tand a, #((8000000))", 1, 9, "immediate 0x7a1200 out of range"),
    "bit_operation_address": ("\tset0 0x1f, #3", 1, 7, "bit operation 0x1f out of range"),
    "if_without_endif": ("\tnop\n\t.if 1\n\tnop", 2, 2, "'.if' without '.endif'"),
    "endm_without_macro": ("\t.endm", 1, 2, "'.endm' without '.macro'"),
    "runaway_macro": ("\t.macro m\n\tm\n\t.endm\n\tm", 4, 1, "nested deeper than 64"),
    "missing_paren": ("\tmov a, #(1+2", 1, 14, "missing ')'"),
    "junk_after_operand": ("\tmov a, #1 2", 1, 12, "unexpected '2'"),
    "malformed_number": ("\tmov a, #0x", 1, 10, "malformed number"),
    "label_times_two": ("\tmov a, #lab*2\nlab:\tnop", 1, 13, "cannot be applied to a label"),
    "wide_data_word": ("\t.dw 1, 0x2000", 1, 9, "data word 0x2000 out of range"),
    "odd_jump_target": ("Y = 3\n\tgoto Y", 2, 7, "odd byte address 0x3"),
    "self_reference": ("A = B\nB = A\n\tmov a, #A", 1, 1, "defined in terms of itself"),
    "bad_character": ("\tmov a, @", 1, 9, "unexpected character '@'"),
    "division_by_zero": ("\tsub a, #(5/0)", 1, 12, "division by zero"),
    "missing_include": ('\t.include "nope.inc"', 1, 11, "include file 'nope.inc' not found"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_error_is_located(name):
    source, line, column, reason = ERRORS[name]
    with pytest.raises(AssemblerError) as info:
        assemble(source, "prog.asm")
    error = info.value
    assert (error.filename, error.line, error.column) == ("prog.asm", line, column)
    assert reason in error.reason
    message = str(error)
    assert message.startswith(f"prog.asm:{line}:{column}: error: ")
    assert "\n" not in message
    assert error.text == source.splitlines()[line - 1]


def test_error_in_an_included_file_names_that_file(tmp_path):
    (tmp_path / "bad.inc").write_text("\tnop\n\tmov a, #300\n")
    (tmp_path / "main.asm").write_text('\tnop\n\t.include "bad.inc"\n')
    with pytest.raises(AssemblerError) as info:
        assemble_file(tmp_path / "main.asm")
    assert info.value.filename.endswith("bad.inc")
    assert (info.value.line, info.value.column) == (2, 9)


def test_include_cycle_is_reported_at_the_include_line(tmp_path):
    (tmp_path / "a.inc").write_text('\t.include "b.inc"\n')
    (tmp_path / "b.inc").write_text('\tnop\n\t.include "a.inc"\n')
    (tmp_path / "main.asm").write_text('\t.include "a.inc"\n')
    with pytest.raises(AssemblerError, match="includes itself") as info:
        assemble_file(tmp_path / "main.asm")
    assert info.value.filename.endswith("b.inc")
    assert (info.value.line, info.value.column) == (2, 11)


def test_missing_source_file_is_an_assembler_error(tmp_path):
    with pytest.raises(AssemblerError, match="cannot read"):
        assemble_file(tmp_path / "none.asm")


# -- accepted syntax ---------------------------------------------------------------------


def test_include_is_resolved_relative_to_the_including_file(tmp_path):
    sub = tmp_path / "lib"
    sub.mkdir()
    (sub / "regs.inc").write_text('COUNTER = 0x21\n\t.include "more.inc"\n')
    (sub / "more.inc").write_text("LIMIT = 7\n")
    (tmp_path / "main.asm").write_text(
        '\t.include "lib/regs.inc"\n\tmov a, #LIMIT\n\tmov COUNTER, a\n'
    )
    image = assemble_file(tmp_path / "main.asm")
    assert [int(w) for w in image.words[:2]] == [0x1707, 0x05E1]
    assert image.source[1].line == 3


def test_include_dirs_are_searched_after_the_source_directory(tmp_path):
    (tmp_path / "defs.inc").write_text("K = 0x42\n")
    assert words('\t.include "defs.inc"\n\tret #K', include_dirs=[tmp_path]) == [0x0142]


def test_include_from_source_text_without_a_file_is_looked_up_in_the_current_directory(
    tmp_path, monkeypatch
):
    (tmp_path / "defs.inc").write_text("K = 0x43\n")
    monkeypatch.chdir(tmp_path)
    assert words('\t.include "defs.inc"\n\tret #K') == [0x0143]


def test_labels_are_byte_addresses_and_goto_encodes_word_addresses():
    image = assemble("\t.area CODE\n\tnop\n\tnop\nhere:\tgoto here\n\tgoto 2\n")
    assert image.symbols["here"] == 4
    assert image.labels["here"] == 2
    assert [int(w) for w in image.words[2:4]] == [0x1802, 0x1802]


def test_org_counts_bytes():
    image = assemble("\t.area V (ABS)\n\t.org 0x20\n\treti\n")
    assert int(image.words[0x10]) == 0x003B
    assert image.used_words == 1


def test_relocatable_areas_follow_each_other_in_order_of_appearance():
    source = "\t.area ONE\n\tnop\n\t.area TWO\n\treti\n\t.area ONE\n\tret\n"
    assert words(source) == [0x0000, 0x003A, 0x003B]


def test_bases_place_areas_like_sdldpdk_b_option():
    image = assemble("\t.area CODE\n\treti\n", bases={"CODE": 0x40})
    assert int(image.words[0x20]) == 0x003B and image.used_words == 1


def test_optsdcc_source_gets_sdcc_link_bases():
    source = "\t.optsdcc -mpdk13\n\t.area DATA\nv:\t.ds 1\n\t.area HOME\n\tmov a, v\n"
    image = assemble(source)
    assert int(image.words[0x11]) == 0x07C2  # HOME at byte 0x22, DATA at 0x02


def test_linker_area_symbols():
    source = "\t.area CODE\n\tmov a, #l_DATA\n\tgoto s_DATA\n\t.area DATA\nv:\t.ds 3\n"
    assert words(source) == [0x1703, 0x1802]


def test_local_labels_are_scoped_between_normal_labels():
    source = "a1:\n1$:\tgoto 1$\nb1:\n1$:\tgoto 1$\n\tgoto 00001$\n"
    assert words(source) == [0x1800, 0x1801, 0x1801]


def test_constants_equ_and_forward_references():
    source = "\tmov a, #LATER\nLATER = BASE + 2\nBASE == 0x10\n\t.equ E, BASE*2\n\tret #E\n"
    assert words(source) == [0x1712, 0x0120]


@pytest.mark.parametrize("length", [150, 5000])
def test_constant_chains_of_any_length_evaluate_in_order_or_forward(length):
    in_order = "\n".join(["a0 = 1"] + [f"a{i} = a{i - 1} + 1" for i in range(1, length)])
    forward = "\n".join(
        [f"b{i} = b{i + 1} + 1" for i in range(length - 1)] + [f"b{length - 1} = 1"]
    )
    source = f"{in_order}\n{forward}\n\tmov a, #a{length - 1} & 0xff\n\tmov a, #b0 & 0xff\n"
    assert words(source) == [0x1700 | (length & 0xFF)] * 2


def test_a_long_cycle_of_constants_is_reported_where_it_closes():
    lines = ["X0 = X999 + 1"] + [f"X{i} = X{i - 1} + 1" for i in range(1, 1000)]
    with pytest.raises(AssemblerError, match="'X999' is defined in terms of itself") as info:
        assemble("\n".join(lines) + "\n\tmov a, #X999 & 0xff\n", "prog.asm")
    assert (info.value.line, info.value.column) == (1000, 1)


def test_number_formats_and_characters():
    source = "\n".join(
        f"\tmov a, #{n}" for n in ("10", "010", "0d10", "0x0a", "0h0A", "0b1010", "0o12", "0q12")
    )
    assert words(source + "\n\tmov a, #'a'") == [0x170A] * 8 + [0x1761]


def test_operator_precedence_is_c_like():
    assert words("\tmov a, #1+2*3\n\tmov a, #1|6&3\n\tmov a, #(1+2)*3\n\tmov a, #~0x0f") == [
        0x1707,
        0x1703,
        0x1709,
        0x17F0,
    ]


def test_negative_immediates_wrap_to_a_byte():
    assert words("\tmov a, #-1\n\tadd a, #-128") == [0x17FF, 0x1080]


def test_byte_selectors_follow_sdaspdk13():
    source = "\t.area CODE\n\t.ds 0x300\nlab:\tmov a, #<lab\n\tmov a, #>lab\n\tmov a, #<0x1234\n"
    assert words(source) == [0x1780, 0x1701, 0x1768]


def test_mnemonics_are_case_insensitive():
    assert words("\tMOV a, #1\n\tMov.IO 0x10, a\n\tNOP") == [0x1701, 0x0090, 0x0000]


def test_flag_keywords_in_operands():
    assert words("\tt0sn.io f, z\n\tset1.io f, ov\n\tmov.io sp, a") == [0x0C00, 0x0F60, 0x0082]


def test_data_directives():
    source = '\t.dw 0x1234 & 0xfff, 7\n\t.db 0x34, 0x12\n\t.ascii "A"\n\t.db 5\n\t.blkw 1\n\tnop\n'
    image = assemble(source)
    assert [int(w) for w in image.words[:5]] == [0x0234, 0x0007, 0x1234, 0x0541, 0x1FFF]
    assert not image.written[4] and image.written[5]


def test_even_realigns_after_bytes():
    assert words("\t.db 1\n\t.even\n\tnop") == [0x0001, 0x0000]


def test_ignored_bookkeeping_directives():
    source = "\t.module m\n\t.optsdcc -mpdk13\n\t.globl x, y\n\t.area HOME\n\tnop ; comment\n"
    assert words(source) == [0x0000]


def test_io_names_are_not_predefined_unless_asked():
    with pytest.raises(AssemblerError, match="undefined symbol 'pa'"):
        assemble("\tmov.io a, pa")
    assert words("\tmov.io a, pa\n\tset1.io t16m, #0", predefine_io=True) == [0x00B0, 0x0F06]


def test_user_symbol_may_not_redefine_an_io_name_when_predefined():
    with pytest.raises(AssemblerError, match="duplicate symbol 'pa'"):
        assemble("pa = 3", predefine_io=True)


def test_source_map_and_unwritten_words():
    image = assemble("\t.area V (ABS)\n\t.org 4\n\tnop\n\tret\n", "demo.asm")
    assert image.source[3].filename == "demo.asm" and image.source[3].line == 4
    assert image.written.sum() == 2 and np.all(image.words[:2] == 0x1FFF)


# -- what SDCC output and free-pdk sources contain --------------------------------------


def test_goto_hash_label_is_goto_label_as_in_sdcc_jump_tables():
    source = "start:\tgoto #start\n\tgoto #3\n\tcall #(start + 2)\n"
    assert words(source) == [0x1800, 0x1803, 0x1C02]


def test_location_counter_moves_with_dot_equals_dot_plus_n():
    image = assemble("\tnop\nlab:\t. = . + 4\n\tnop\n\t. = lab + 8\n\tnop\n")
    assert list(np.flatnonzero(image.written)) == [0, 3, 5]


def test_a_constant_may_be_reassigned_and_each_use_sees_the_value_before_it():
    source = "x = 1\n\tmov a, #x\nx = x + 1\n\tmov a, #x\n\tmov a, #y\ny = 7\ny = 9\n"
    assert words(source) == [0x1701, 0x1702, 0x1709]  # a use before any: the last value


def test_dot_in_a_constant_is_where_the_assignment_stands():
    source = "\tnop\nhere == .\n\tnop\n\tgoto here\nsame == .\nsame == .\n"
    image = assemble(source)
    assert words(source)[2] == 0x1801
    assert image.symbols["here"] == 2 and image.symbols["same"] == 6


def test_macro_arguments_and_generated_local_labels():
    source = (
        "\t.macro delay n, reg, ?loop\n"
        "\tmov a, #n\n\tmov reg, a\nloop:\tdzsn reg\n\tgoto loop\n\t.endm\n"
        "\tdelay 10, 0x20\n\tdelay 20, 0x21\n"
    )
    assert words(source) == [0x170A, 0x05E0, 0x08E0, 0x1802, 0x1714, 0x05E1, 0x08E1, 0x1806]


def test_macro_narg_mexit_and_conditionals():
    source = (
        "\t.macro count a1, a2\n\t.narg n\n\tmov a, #n\n"
        "\t.ifeq n\n\t.mexit\n\t.endif\n\tret #a1\n\t.endm\n"
        "\tcount\n\tcount 5\n\tcount 7, 8\n"
    )
    assert words(source) == [0x1700, 0x1701, 0x0105, 0x1702, 0x0107]


def test_a_caret_delimited_argument_keeps_its_commas():
    source = "\t.macro data v\n\t.db v\n\t.endm\n\tdata ^/0x34, 0x12/\n"
    assert words(source) == [0x1234]


def test_macro_concatenation_and_arguments_in_strings():
    source = '\t.macro name x\nxx = 3\n\tmov a, #x\'x\n\t.ascii "x"\n\t.endm\n\tname x\n'
    image = assemble(source)
    assert [int(w) for w in image.words[:2]] == [0x1703, 0x0078]


def test_rept_irp_and_irpc_expand_at_once():
    source = "\t.rept 2\n\tnop\n\t.endm\n\t.irp r, 1, 2\n\tret #r\n\t.endm\n"
    source += "\t.irpc c, 34\n\tret #c\n\t.endm\n"
    assert words(source) == [0, 0, 0x0101, 0x0102, 0x0103, 0x0104]


def test_each_section_of_an_overlay_area_starts_at_its_offset_0():
    source = "\t.area O (OVR)\na1:\t.ds 2\na2:\t.ds 1\n\t.area O (OVR)\nb1:\t.ds 4\n"
    source += "\t.area CODE\n\tmov a, #a2\n\tmov a, #b1\n\t.area O\nc1:\t.ds 1\n"
    image = assemble(source)
    assert (image.symbols["a2"], image.symbols["b1"], image.symbols["c1"]) == (2, 0, 0)
    assert [int(w) for w in image.words[2:4]] == [0x1702, 0x1700]  # CODE after O's 4 bytes


def test_a_false_branch_is_skipped_unread():
    source = "\t.if 0\n\tgarbage @@@\n\t.if 1\n\tmore\n\t.endif\n\t.else\n\tnop\n\t.endif\n"
    assert words(source) == [0x0000]


# -- strict (the default) and strict=False ------------------------------------------------

CUT = {  # source line: (word sdaspdk13 writes, part of the warning)
    "and a, #((8000000))": (0x1400, "immediate 0x7a1200 out of range"),
    "and a, #((8000000)>>8)": (0x1412, "kept 0x12"),
    "set0 0x1f, #3": (0x036F, "RAM address for a bit operation 0x1f out of range 0..0xf"),
    "idxm a, 0x40": (0x00E1, "kept 0x0"),
    "mov.io a, 0x25": (0x00A5, "IO address 0x25 out of range"),
    "stt16 0x20": (0x00E0, "which is 'idxm 0x00, a'"),
    "goto 0x400": (0x1C00, "which is 'call 0x000'"),
    "set1.io 0x10, #9": (0x0F30, "bit number 0x9 out of range"),
}


@pytest.mark.parametrize("line", CUT)
def test_strict_refuses_what_sdaspdk13_cuts(line):
    with pytest.raises(AssemblerError, match="out of range"):
        assemble(f"\t{line}\n")


@pytest.mark.parametrize("line", CUT)
def test_strict_false_writes_sdaspdk13s_word_with_a_located_warning(line):
    word, reason = CUT[line]
    with pytest.warns(AssemblerWarning) as caught:
        image = assemble(f"\t{line}\n", "cal.asm", strict=False)
    assert int(image.words[0]) == word
    (warning,) = caught
    assert reason in str(warning.message)
    assert str(warning.message).startswith("cal.asm:1:")
    assert ": warning: " in str(warning.message)


def test_strict_false_is_silent_on_what_fits():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert words("\tmov a, #0xff\n\tset0 0x0f, #7\n", strict=False) == [0x17FF, 0x03EF]
