"""Intel HEX in sdldpdk's layout: word w at byte 2w, low byte first, 32 bytes per record."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pms150c import HexError, Image, ImageError, assemble


def record(address, kind, data):
    raw = bytes((len(data), address >> 8, address & 0xFF, kind)) + bytes(data)
    return ":" + (raw + bytes(((-sum(raw)) & 0xFF,))).hex().upper()


EOF_RECORD = ":00000001FF"


def test_reti_at_the_interrupt_vector_is_the_reference_example():
    # pdk13-reference.md section 4: ':020020003B00A3' = word 0x010 holds 0x003B.
    image = Image.from_ihx(":020020003B00A3\n:00000001FF\n")
    assert int(image.words[0x10]) == 0x003B
    assert image.used_words == 1 and int(image.words[0]) == 0x1FFF
    assert image.to_ihx() == ":020020003B00A3\n:00000001FF\n"


def test_records_hold_32_bytes_and_skip_gaps():
    image = assemble("\t.area V (ABS)\n" + "\tnop\n" * 20 + "\t.org 0x100\n\tret\n")
    lines = image.to_ihx().splitlines()
    assert lines == [
        record(0, 0, [0] * 32),
        record(32, 0, [0] * 8),
        record(0x100, 0, [0x3A, 0x00]),
        EOF_RECORD,
    ]


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.integers(0, 1023), st.integers(0, 0x1FFF), max_size=200))
def test_round_trip_is_exact(contents):
    words = np.full(1024, 0x1FFF)
    written = np.zeros(1024, dtype=bool)
    for address, value in contents.items():
        words[address] = value
        written[address] = True
    image = Image(words, written=written)
    again = Image.from_ihx(image.to_ihx())
    assert np.array_equal(again.words, image.words)
    assert np.array_equal(again.written, image.written)


def test_from_ihx_reads_a_path(tmp_path):
    path = tmp_path / "x.ihx"
    path.write_text(":020020003B00A3\n:00000001FF\n")
    assert int(Image.from_ihx(path).words[0x10]) == 0x3B
    assert int(Image.from_ihx(str(path)).words[0x10]) == 0x3B


BAD = {
    "bad_checksum": (":020020003B00A4", 1, "bad checksum"),
    "record_type": (record(0, 2, [0, 0]), 1, "unsupported record type 02"),
    "odd_byte_count": (record(0, 0, [0, 0, 0]), 1, "whole 16-bit words"),
    "odd_address": (record(1, 0, [0, 0]), 1, "whole 16-bit words"),
    "beyond_rom": (record(0x800, 0, [0, 0]), 1, "word address 0x400 beyond ROM"),
    "wide_word": (record(0, 0, [0xFF, 0x20]), 1, "wider than 13 bits"),
    "not_hex": (":02zz", 1, "not hexadecimal"),
    "no_colon": ("020020003B00A3", 1, "does not start with ':'"),
    "length_mismatch": (":040020003B00A3", 1, "length does not match"),
}


@pytest.mark.parametrize("name", BAD)
def test_malformed_hex_names_the_line(name):
    line, number, reason = BAD[name]
    text = record(0x40, 0, [1, 0]) + "\n" + line + "\n" + EOF_RECORD + "\n"
    with pytest.raises(HexError, match=reason) as info:
        Image.from_ihx(text)
    assert str(info.value).startswith(f"line {number + 1}:")


def test_missing_end_record():
    with pytest.raises(HexError, match="missing end-of-file"):
        Image.from_ihx(record(0, 0, [0, 0]) + "\n")


def test_data_after_end_record():
    with pytest.raises(HexError, match="line 2: data after the end-of-file"):
        Image.from_ihx(EOF_RECORD + "\n" + record(0, 0, [0, 0]) + "\n")


def test_conflicting_rewrite_of_a_word():
    text = record(0, 0, [1, 0]) + "\n" + record(0, 0, [2, 0]) + "\n" + EOF_RECORD
    with pytest.raises(HexError, match="line 2: word 0x000 written twice"):
        Image.from_ihx(text)


def test_parse_ihx_leaves_unwritten_words_blank():
    from pms150c.toolchain.ihex import parse_ihx

    words, written = parse_ihx(record(2, 0, [0x3B, 0x00]) + "\n" + EOF_RECORD)
    assert list(words[:3]) == [0x1FFF, 0x003B, 0x1FFF]
    assert list(written[:3]) == [False, True, False]


def test_error_in_a_hex_file_names_the_file(tmp_path):
    path = tmp_path / "bad.ihx"
    path.write_text(":020020003B00A4\n" + EOF_RECORD + "\n")
    with pytest.raises(HexError) as info:
        Image.from_ihx(path)
    assert str(info.value).startswith(f"{path}: line 1: bad checksum")


def test_missing_file_is_a_hex_error(tmp_path):
    with pytest.raises(HexError, match="cannot read"):
        Image.from_ihx(tmp_path / "none.ihx")


@pytest.mark.parametrize(
    "words, message",
    [
        ([1.5], "must be integers, not float values"),
        (np.zeros(3), "must be integers, not float values"),
        (["nop"], "must be integers, not str values"),
        ([True], "must be integers, not bool values"),
        ([1, "x", 2**70], "must be integers"),
        ([2**70], "13-bit values"),
        (np.array([2**63], dtype=np.uint64), "13-bit values"),
        ([[1, 2], [3]], "array of integers"),
    ],
)
def test_image_refuses_words_that_are_not_13_bit_integers(words, message):
    with pytest.raises(ImageError, match=message):
        Image(words)


def test_image_keeps_integer_words_of_any_integer_type():
    for words in ([1, 0x1FFF], np.array([1, 0x1FFF], dtype=np.uint16), [np.int64(1), 0x1FFF]):
        assert list(Image(words).words[:3]) == [1, 0x1FFF, 0x1FFF]


def test_images_compare_by_contents():
    assert assemble("\tnop\n\tret") == assemble("\tnop\n\tret")
    assert assemble("\tnop") != assemble("\tret")
    assert Image([1]) != Image([1], written=np.ones(1024, dtype=bool))
    assert Image.from_ihx(assemble("\tret").to_ihx()) == Image([0x003A])
