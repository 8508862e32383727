"""The hypothesis strategies of pms150c.testing.strategies give what they promise: words
the table decodes (or refuses), lines the assembler turns into exactly the generated word,
and RAM states over the whole range of each byte or variable."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pms150c import assemble, disassemble, isa
from pms150c.device import IO_NAMES
from pms150c.errors import AddressError, ArgumentError, LabelError
from pms150c.symbols import SymbolTable, Variable
from pms150c.testing import strategies as pst

PMS150C_FORMS = [f for f in isa.INSTRUCTIONS if f.pms150c]


@given(pst.rom_words())
def test_rom_words_are_pms150c_instructions_that_disassemble_and_assemble_back(word):
    assert isa.lookup(word) is not None
    assert assemble(disassemble([word])[0]).words[0] == word


@given(pst.rom_words(invalid=True))
def test_invalid_rom_words_are_words_no_pms150c_instruction_owns(word):
    assert 0 <= word <= isa.WORD_MASK
    assert isa.lookup(word) is None


@settings(max_examples=300)
@given(pst.rom_words(invalid=0.5))
def test_a_share_of_invalid_words_mixes_both(word):
    assert 0 <= word <= isa.WORD_MASK


def test_a_share_of_invalid_words_gives_both_kinds():
    seen = set()

    @settings(max_examples=200, database=None)
    @given(pst.rom_words(invalid=0.5))
    def collect(word):
        seen.add(isa.lookup(word) is None)

    collect()
    assert seen == {True, False}


@pytest.mark.parametrize("form", PMS150C_FORMS, ids=lambda f: f.op)
@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_form_generates_lines_that_assemble_to_the_generated_word(form, data):
    instr = data.draw(pst.instructions(ops=[form.op], io_names=True))
    assert instr.form is form and isa.lookup(instr.word) is form
    image = assemble(instr.text, predefine_io=True)
    assert image.words[0] == instr.word, instr.text
    assert image.used_words == 1


@given(pst.instructions(aliases=False))
def test_without_aliases_lines_use_the_tables_spelling(instr):
    mnemonic = instr.text.split(" ", 1)[0].lower()
    assert mnemonic == instr.form.mnemonic


def test_io_names_are_the_datasheets():
    names = set()

    @settings(max_examples=300, database=None)
    @given(pst.instructions(ops=["mov.io"], io_names=True))
    def collect(instr):
        names.update(t.strip().lower() for t in instr.text.split(" ", 1)[1].split(","))

    collect()
    assert names & set(IO_NAMES)


@given(pst.programs(max_size=16, exclude=pst.CONTROL))
def test_programs_assemble_word_for_word_and_leave_out_control_transfer(program):
    image = assemble("\n".join(i.text for i in program))
    assert list(image.words[: len(program)]) == [i.word for i in program]
    assert not {i.form.op for i in program} & set(pst.CONTROL)


@given(pst.rom_words(ops=["goto", "ADD_A_K"]))
def test_ops_choose_forms_by_mnemonic_or_row(word):
    assert isa.lookup(word).op in ("GOTO", "ADD_A_K")


@given(pst.ram_states())
def test_ram_states_give_every_byte(state):
    assert sorted(state) == list(range(64))
    assert all(0 <= v <= 255 for v in state.values())


@given(pst.ram_states(range(0x10, 0x14)))
def test_ram_states_of_some_addresses(state):
    assert sorted(state) == [0x10, 0x11, 0x12, 0x13]


def test_variable_values_span_each_variables_size_and_sign():
    table = SymbolTable(
        variables={
            "_counter": Variable("_counter", 0x10, 2),
            "_delta": Variable("_delta", 0x12, 1, ctype="signed char", signed=True),
        }
    )
    seen = set()

    @settings(max_examples=300, database=None)
    @given(pst.variable_values(table, ["counter", "_delta"]))
    def collect(values):
        assert set(values) == {"counter", "_delta"}
        assert 0 <= values["counter"] <= 0xFFFF and -128 <= values["_delta"] <= 127
        seen.add(("wide", values["counter"] > 0xFF))
        seen.add(("negative", values["_delta"] < 0))

    collect()
    assert {("wide", True), ("negative", True)} <= seen


def test_variable_values_of_an_unknown_name_is_a_label_error():
    with pytest.raises(LabelError, match="no variable 'nosuch'"):
        pst.variable_values(SymbolTable(), ["nosuch"])


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: pst.rom_words(ops=["nosuch"]), LabelError, "no instruction 'nosuch'"),
        (lambda: pst.rom_words(ops="add"), ArgumentError, "must be a list of names"),
        (lambda: pst.rom_words(ops=[1]), ArgumentError, "must be a str"),
        (lambda: pst.rom_words(ops=["nop"], exclude=["nop"]), ArgumentError, "no PMS150C"),
        (lambda: pst.rom_words(invalid=2.0), ArgumentError, "a bool or a share"),
        (lambda: pst.rom_words(invalid=True, ops=["nop"]), ArgumentError, "not with invalid"),
        (lambda: pst.instructions(ops=["mul"]), ArgumentError, "no PMS150C"),
        (lambda: pst.instructions(aliases=2), ArgumentError, "aliases"),
        (lambda: pst.programs(5, 2), ArgumentError, "max_size"),
        (lambda: pst.ram_states([64]), AddressError, "RAM address 64"),
        (lambda: pst.ram_states("ab"), ArgumentError, "addresses must be"),
        (lambda: pst.variable_values(None, ["x"]), ArgumentError, "needs a SymbolTable"),
    ],
)
def test_bad_arguments_are_pms150c_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()
