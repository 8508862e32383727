"""SDCC's symbols and source lines for an .ihx: what `Machine.from_ihx` finds beside it.

Each build runs `sdcc -mpdk13` on tests/firmware/checksum.c (or a small program given
here) in its own directory and loads the .ihx; the variants remove files to check each
source of names alone (.map, .rst, .lst, .noi, .cdb) against the full set.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from pms150c import Image, LabelError, Machine, StopReason
from pms150c.debug.commands import load_machine
from pms150c.sdcc import SymbolFileError, load_sdcc_symbols

pytestmark = pytest.mark.sdcc

TWO_MODULES = {
    "main.c": """
#include "pms150c.h"
extern unsigned char twice(unsigned char);
volatile unsigned char r;
volatile signed char s = -3;
STARTUP(CLKMD_IHRC_DIV2)
void main(void)
{
    r = twice(r + 1);
    s = s * 2;
    __asm__("stopsys");
}
""",
    "lib.c": """
unsigned int scratch;
static unsigned char add(unsigned char a, unsigned char b) { return a + b; }
unsigned char twice(unsigned char x)
{
    scratch = x;
    return add(x, x);
}
""",
}


def variant(ihx, tmp_path, remove=()):
    """A copy of the build's directory without the files of the given suffixes."""
    out = tmp_path / "copy"
    shutil.copytree(ihx.parent, out)
    for suffix in remove:
        for path in out.glob(f"*{suffix}"):
            path.unlink()
    return out / ihx.name


def table_of(ihx):
    return Image.from_ihx(ihx).symbol_table


def line_of(ihx, text: str) -> int:
    """The number of the C line of the build's source that contains `text`."""
    lines = ihx.with_suffix(".c").read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line)


# -- what each file gives -------------------------------------------------------------------


def test_without_debug_the_map_and_rst_give_labels_variables_and_c_lines(sdcc_build):
    image = Image.from_ihx(sdcc_build("checksum", flags=()))
    table = image.symbol_table
    assert {"_main", "_copy", "_djb2", "__sdcc_program_startup"} <= set(table.code)  # statics too
    assert image.labels["_main"] == table.code["_main"]
    sizes = {n: table.variables[n].size for n in ("_hash", "_total", "_lowest", "_buffer")}
    assert sizes == {"_hash": 4, "_total": 2, "_lowest": 2, "_buffer": 6}  # the .ds after each
    assert table.variables["_pa"].space == "io" and table.variables["_pa"].address == 0x10
    loop = [pc for pc, line in table.lines.items() if "h = (h << 5) + h + *p++;" in line.text]
    assert loop and all(table.lines[pc].filename == "checksum.c" for pc in loop)
    assert image.source[loop[0]] == table.lines[loop[0]]  # the image's source map is C


def test_debug_adds_types_locals_and_function_ranges_with_the_same_lines(sdcc_build):
    plain = table_of(sdcc_build("checksum", flags=()))
    debug = table_of(sdcc_build("checksum", flags=("--debug",)))
    # --debug moves some code by a word, so compare what is named, not where
    assert {(s.line, s.text) for s in debug.lines.values()} == {
        (s.line, s.text) for s in plain.lines.values()
    }
    assert set(debug.code) == set(plain.code)
    lowest = debug.variables["_lowest"]
    assert (lowest.size, lowest.ctype, lowest.signed) == (2, "int", True)
    assert debug.variables["_hash"].ctype == "unsigned long"
    assert debug.variables["_buffer"].ctype == "unsigned char[6]"
    djb2 = debug.functions["_djb2"]
    assert djb2.c_name == "djb2" and djb2.start == debug.code["_djb2"] and djb2.end > djb2.start
    assert debug.function_at(djb2.start + 1) == djb2
    assert "djb2.n" in debug.variables  # a parameter, at its fixed address


def test_each_file_alone_gives_the_same_names_and_lines(sdcc_build, tmp_path):
    ihx = sdcc_build("checksum", flags=("--debug", "-Wl-j"))
    full = table_of(ihx)
    written = Image.from_ihx(ihx, symbols=False).written
    for n, remove in enumerate([(".rst",), (".map",), (".rst", ".lst", ".sym")]):
        copy = variant(ihx, tmp_path / str(n), remove)
        table = load_sdcc_symbols(copy, written)
        assert table.lines == full.lines, remove  # .lst, .noi + listing, .cdb records alone
        if remove != (".rst", ".lst", ".sym"):
            assert table.code == full.code and table.variables == full.variables, remove
    cdb_only = load_sdcc_symbols(variant(ihx, tmp_path / "cdb", (".rst", ".lst", ".sym")))
    assert cdb_only.variables["_total"] == full.variables["_total"]


def test_two_modules_each_with_its_listing(sdcc_build, tmp_path):
    ihx = sdcc_build("two", sources=TWO_MODULES)
    for table in (table_of(ihx), table_of(variant(ihx, tmp_path, (".rst",)))):
        assert {"_main", "_twice", "_add"} <= set(table.code)
        files = {line.filename for line in table.lines.values()}
        assert files == {"main.c", "lib.c"}
        adds = [pc for pc, line in table.lines.items() if "static unsigned char add" in line.text]
        assert min(adds) == table.code["_add"]
        assert table.variables["_scratch"].size == 2


# -- finding and naming the files -----------------------------------------------------------


def test_symbols_false_or_elsewhere_or_missing(sdcc_build, tmp_path):
    ihx = sdcc_build("checksum")
    assert Image.from_ihx(ihx, symbols=False).labels == {}
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(ihx, alone / "fw.ihx")
    assert Image.from_ihx(alone / "fw.ihx").labels == {}  # no files beside it: no names
    image = Image.from_ihx(alone / "fw.ihx", symbols=ihx.with_suffix(".map"))
    assert image.labels == table_of(ihx).code
    with pytest.raises(SymbolFileError, match="no .map"):
        Image.from_ihx(ihx, symbols=tmp_path / "nothing")
    assert np.array_equal(Image.from_ihx(ihx).words, Image.from_ihx(ihx, symbols=False).words)


# -- the Machine by names -------------------------------------------------------------------


def test_breakpoints_on_c_functions_and_lines_and_variables_by_name(sdcc_build):
    m = Machine.from_ihx(sdcc_build("checksum"))
    m.breakpoints.add("djb2")  # a static C function, by its C name
    assert m.run(1_000_000) == StopReason.BREAKPOINT
    assert m.pc == m.symbols.code["_djb2"]
    m.breakpoints.clear()
    stop = line_of(sdcc_build("checksum"), '__asm__("stopsys");')
    m.breakpoints.add(f"checksum.c:{stop}")
    assert m.run(1_000_000) == StopReason.BREAKPOINT
    assert m.symbols.lines[m.pc].line == stop
    assert m.read_var("total") == 1 + 2 + 3 + 250 + 251 + 252
    assert (m.read_var("lowest"), m.read_var("highest")) == (1, 247)
    assert m.read_var("lowest", signed=False) == 1 and m.ram_of("_hash") == m.ram_of("hash")
    h = 5381
    for c in (1, 2, 3, 250, 251, 252):
        h = (h * 33 + c) & 0xFFFFFFFF
    assert m.read_var("hash") == h
    m.write_var("lowest", -2)
    assert m.read_var("lowest") == -2 and m.ram[m.ram_of("lowest") + 1] == 0xFF
    with pytest.raises(LabelError, match="no label"):
        m.breakpoints.add("nowhere")
    with pytest.raises(LabelError, match="no variable"):
        m.read_var("nothing")


def test_watch_a_multibyte_c_variable_by_name_and_value(sdcc_build):
    m = Machine.from_ihx(sdcc_build("checksum"))
    m.watch("total", value=6)  # 1 + 2 + 3: after the third byte is added
    assert m.run(1_000_000) == StopReason.WATCHPOINT
    assert m.read_var("total") == 6
    m.unwatch("total")
    assert m.run(1_000_000) == StopReason.STOPSYS


def test_profile_per_c_line_and_function_and_trace_with_c_source(sdcc_build):
    m = Machine.from_ihx(sdcc_build("checksum"))
    m.enable_profile()
    m.enable_trace(64)
    assert m.run(1_000_000) == StopReason.STOPSYS
    profile = m.profile()
    rows = profile.by_line()
    assert sum(r.cycles for r in rows) + profile.outside_cycles == profile.total_cycles
    hot = max(rows, key=lambda r: r.cycles)
    assert (hot.filename, hot.function) == ("checksum.c", "_djb2")
    assert hot.text == "h = (h << 5) + h + *p++;"
    assert {"_main", "_djb2", "_copy", "__gptrget"} <= set(profile.by_label())
    asm_rows = profile.by_line(asm=True)
    assert {r.filename for r in asm_rows} == {"checksum.asm", "<rom>"}  # <rom>: library code
    assert sum(r.cycles for r in asm_rows) == sum(r.cycles for r in rows)
    from pms150c.debug.trace import format_trace

    listing = format_trace(m.trace(), m.image)
    stop = line_of(sdcc_build("checksum"), '__asm__("stopsys");')
    assert f'stopsys{" " * 19}; checksum.c:{stop}: __asm__("stopsys");' in listing


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["exec", "{ihx}", "-b", "djb2"], "(_djb2)"),
        (["exec", "{ihx}", "-w", "total"], "watchpoint: write of RAM"),
        (["exec", "{ihx}", "-w", "djb2.n=6"], "watchpoint: write of RAM"),  # a C parameter
        (["trace", "{ihx}", "--last", "5"], "stopsys                   ; checksum.c:"),
        (["profile", "{ihx}"], "h = (h << 5) + h + *p++"),
        (["profile", "{ihx}", "--asm"], "checksum.asm:"),
        (["vcd", "{ihx}", "-o", "{tmp}/run.vcd", "-n", "2000"], "stopped in mode stopsys"),
    ],
)
def test_cli_finds_the_symbols_beside_the_ihx(sdcc_build, capsys, tmp_path, argv, expected):
    from pms150c.cli import main

    ihx = sdcc_build("checksum")
    code = main([a.format(ihx=ihx, tmp=tmp_path) for a in argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert expected in out + err
    assert load_machine(ihx).symbols.code["_main"] == table_of(ihx).code["_main"]
