"""Disassembly: words -> text -> the same words, for every word a 13-bit ROM can hold."""

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pms150c import assemble, disassemble, isa
from pms150c.toolchain.disassembler import disassemble_listing, disassemble_word, listing_rows


def reassemble(lines):
    image = assemble("\n".join(lines) + "\n")
    return [int(w) for w in image.words[image.written]]


def test_every_valid_word_reassembles_to_itself():
    valid = isa.valid_words()
    for start in range(0, len(valid), 1024):
        chunk = [int(w) for w in valid[start : start + 1024]]
        assert reassemble(disassemble(chunk)) == chunk


def test_invalid_words_become_marked_data_that_reassembles():
    invalid = [w for w in range(0x60) if isa.lookup(w) is None] + [0x0BC0, 0x1300, 0x003C]
    lines = disassemble(invalid)
    assert all(line.startswith(".dw 0x") and line.endswith("; invalid") for line in lines)
    assert reassemble(lines) == invalid


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, isa.WORD_MASK), min_size=1, max_size=64))
def test_random_words_round_trip(words):
    assert reassemble(disassemble(words)) == words


@st.composite
def instruction_text(draw):
    instr = draw(st.sampled_from([i for i in isa.INSTRUCTIONS if i.pms150c]))
    values = []
    for kind in instr.fields:
        value = draw(st.integers(0, kind.max_value))
        values.append(value & ~1 if kind.even else value)
    return instr, instr.encode(*values)


@settings(max_examples=300, deadline=None)
@given(instruction_text())
def test_disassembled_text_is_the_canonical_spelling(case):
    instr, word = case
    text = disassemble_word(word)
    assert text.split(" ", 1)[0] == instr.mnemonic
    image = assemble(text)
    assert int(image.words[0]) == word
    assert disassemble([image.words[0]]) == [text]


NOTATIONS = (str, hex, bin, oct, lambda v: f"0h{v:X}", lambda v: f"({v} + 0)")


@st.composite
def written_instruction(draw):
    """Source text for a random instruction: any spelling the table gives (aliases too), any
    letter case of the mnemonic, operands in any number notation the assembler reads."""
    instr = draw(st.sampled_from([i for i in isa.INSTRUCTIONS if i.pms150c]))
    syntax = draw(st.sampled_from((instr.syntax, *instr.aliases)))
    mnemonic = syntax.split(" ", 1)[0]
    mnemonic = draw(st.sampled_from((mnemonic, mnemonic.upper())))
    values, parts = [], []
    for name in isa.operands_of(syntax):
        kind = isa.KINDS[name]
        if kind.literal:
            parts.append(name)
            continue
        value = draw(st.integers(0, kind.max_value))
        value = value & ~1 if kind.even else value
        values.append(value)
        notation = draw(st.sampled_from(NOTATIONS))
        parts.append(kind.prefix + notation(value).replace("0o", "0q"))
    return instr, values, f"{mnemonic} {', '.join(parts)}".strip()


@settings(max_examples=300, deadline=None)
@given(written_instruction())
def test_written_instruction_disassembles_to_the_same_instruction(case):
    instr, values, text = case
    word = int(assemble(text).words[0])
    mnemonic, _, operands = disassemble([word])[0].partition(" ")
    assert mnemonic == instr.mnemonic
    numbers = re.findall(r"#?(0x[0-9a-f]+|[0-9]+)", operands)
    assert [int(n, 0) for n in numbers] == values


def test_goto_text_is_a_numeric_word_address_valid_anywhere():
    lines = disassemble([0x1812, 0x1C05])
    assert lines == ["goto 0x012", "call 0x005"]
    image = assemble("\t.area V (ABS)\n\t.org 0x100\n" + "\n".join(lines))
    assert [int(w) for w in image.words[0x80:0x82]] == [0x1812, 0x1C05]


def test_operand_formatting():
    assert disassemble([0x0F70, 0x02E1, 0x1712, 0x00E5, 0x0017]) == [
        "set1.io 0x10, #3",
        "t0sn 0x01, #7",
        "mov a, #0x12",
        "idxm a, 0x04",
        "pcadd a",
    ]


def test_listing_shows_addresses_words_and_labels():
    image = assemble(
        "\t.area V (ABS)\n\t.org 0x20\nisr:\tpush af\n\tpop af\n\treti\nmain:\tgoto isr\n"
    )
    lines = disassemble_listing(image)
    assert lines[0] == "isr:"
    assert lines[1].split() == ["010:", "0032", "pushaf"]
    assert "main:" in lines
    assert lines[-1].split()[:4] == ["013:", "1810", "goto", "0x010"]
    assert lines[-1].endswith("; isr")


def test_listing_of_plain_words_starts_at_start():
    lines = disassemble_listing(np.array([0x0000, 0x003A]), start=0x20)
    assert [line.split()[0] for line in lines] == ["020:", "021:"]


def test_image_listing_quotes_the_source():
    image = assemble("start:\tmov a, #1 ; one\n\tgoto start\n", "demo.asm")
    text = image.listing()
    assert "demo.asm:1: start:\tmov a, #1 ; one" in text
    assert "goto 0x000  ; start" in text


def test_listing_rows_pair_each_line_with_its_word_address():
    image = assemble("\t.area V (ABS)\n\t.org 0x20\nisr:\treti\nmain:\tgoto isr\n")
    rows = list(listing_rows(image))
    assert [address for address, _ in rows] == [None, 0x10, None, 0x11]
    assert [text for _, text in rows] == disassemble_listing(image)
