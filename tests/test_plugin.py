"""The pytest plugin as its users meet it: test files run through pytester, with the
outcomes and the messages those users see. The plugin comes from the package's
``pytest11`` entry point (nothing here registers it by hand)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import pms150c
from pms150c import Pms150cError, assemble
from pms150c.errors import ArgumentError, FileError
from pms150c.testing import SdccBuilder, SdccError, SdccNotFoundError, load, sdcc_missing

FIRMWARE = Path(__file__).parent / "firmware"
pytestmark = pytest.mark.usefixtures("warm_numba")  # see tests/conftest.py
needs_sdcc = pytest.mark.skipif(sdcc_missing() is not None, reason=str(sdcc_missing()))

COUNTER_ASM = """\
    mov a, #0
loop:
    add a, #3
    ceqsn a, #12
    goto loop
    stopsys
"""


def test_the_plugin_is_registered_by_the_entry_point(pytester):
    result = pytester.runpytest("--fixtures")
    result.stdout.fnmatch_lines(["*fixtures defined from pms150c.testing.plugin*"])
    assert "pms150c_machine" in result.stdout.str() and "pms150c_sdcc " in result.stdout.str()


def test_the_report_header_names_the_version_and_sdcc(pytester, monkeypatch):
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest()
    expected = "no sdcc: tests that build C skip" if sdcc_missing() else "sdcc -mpdk13 from */sdcc"
    result.stdout.fnmatch_lines([f"pms150c {pms150c.__version__}: {expected}"])
    monkeypatch.setenv("PATH", str(pytester.path))
    pytester.runpytest().stdout.fnmatch_lines(["pms150c *: no sdcc: tests that build C skip"])


def test_the_plugin_can_be_turned_off_by_its_name(pytester):
    pytester.makepyfile("def test_uses(pms150c_machine):\n    pass\n")
    result = pytester.runpytest("-p", "no:pms150c")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'pms150c_machine' not found*"])


def test_machine_fixture_runs_assembly_source_and_reports_failures(pytester):
    pytester.makepyfile(
        f"""
        SOURCE = {COUNTER_ASM!r}

        def test_counts_to_twelve(pms150c_machine):
            m = pms150c_machine(SOURCE)
            m.run(1000)
            assert m.a == 12

        def test_wrong_expectation(pms150c_machine):
            m = pms150c_machine(SOURCE)
            m.run(1000)
            assert m.a == 13
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*assert 12 == 13*"])


def test_assembly_errors_name_the_test_file(pytester):
    pytester.makepyfile(
        """
        def test_typo(pms150c_machine):
            pms150c_machine("mov a, #1\\nmvo a, #2\\n")
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*AssemblerError: <test_assembly_errors_name_the_test_file.py>:2:1: error:*mvo*"]
    )


def test_machine_fixture_loads_files_beside_the_test_and_images(pytester):
    pytester.mkdir("tests")
    (pytester.path / "tests" / "count.asm").write_text(COUNTER_ASM)
    (pytester.path / "tests" / "count.ihx").write_text(assemble(COUNTER_ASM).to_ihx())
    (pytester.path / "tests" / "test_files.py").write_text(
        "from pathlib import Path\n"
        "from pms150c import assemble\n"
        "def test_asm_file(pms150c_machine):\n"
        "    m = pms150c_machine('count.asm')\n"
        "    m.run(1000)\n"
        "    assert m.a == 12 and 'loop' in m.symbols.code\n"
        "def test_hex_file_as_path(pms150c_machine):\n"
        "    m = pms150c_machine(Path('count.ihx'), symbols=False)\n"
        "    m.run(1000)\n"
        "    assert m.a == 12\n"
        "def test_image(pms150c_machine):\n"
        "    m = pms150c_machine(assemble('mov a, #7\\nstopsys'), stack_checks=False)\n"
        "    m.run(100)\n"
        "    assert m.a == 7 and not m.stack_checks\n"
        "def test_missing(pms150c_machine):\n"
        "    pms150c_machine('nothere.ihx')\n"
    )
    result = pytester.runpytest("tests")  # run from the parent: files are found beside the test
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*FileError: nothere.ihx: no such file in */tests or *"])


def test_load_refuses_what_it_cannot_load():
    with pytest.raises(ArgumentError, match="needs an Image, a file name"):
        load(42)
    with pytest.raises(ArgumentError, match="defines cannot apply to assembly source"):
        load("stopsys", defines={"X": 1})
    with pytest.raises(ArgumentError, match="symbols cannot apply to an Image"):
        load(assemble("stopsys"), symbols=False)


def test_load_names_an_unknown_suffix(tmp_path):
    (tmp_path / "rom.bin").write_bytes(b"\0")
    with pytest.raises(FileError, match=r"rom.bin: cannot load a '\.bin' file: give an \.ihx"):
        load(tmp_path / "rom.bin")


# -- SDCC --------------------------------------------------------------------------------


def test_sdcc_fixture_skips_with_its_reason_when_sdcc_is_missing(pytester, monkeypatch):
    monkeypatch.setenv("PATH", str(pytester.path))  # no sdcc there
    pytester.makepyfile(
        """
        def test_build(pms150c_sdcc):
            pms150c_sdcc("main.c")

        def test_machine_from_c(pms150c_machine):
            pms150c_machine("main.c")

        def test_assembly_still_runs(pms150c_machine):
            pms150c_machine("stopsys").run(10)
        """
    )
    result = pytester.runpytest("-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["SKIPPED*SDCC with the pdk13 port is not installed (sdcc*"])


def test_builder_without_sdcc_raises_sdcc_not_found(tmp_path):
    (tmp_path / "main.c").write_text("void main(void) {}\n")
    builder = SdccBuilder(tmp_path / "out", sdcc="no-such-sdcc-here")
    with pytest.raises(SdccNotFoundError, match="no-such-sdcc-here"):
        builder(tmp_path / "main.c")


@needs_sdcc
def test_machine_fixture_builds_c_beside_the_test_with_its_symbols(pytester):
    shutil.copy(FIRMWARE / "pms150c.h", pytester.path)
    pytester.makefile(
        ".c",
        counter="""
        #include "pms150c.h"
        volatile unsigned char count;
        STARTUP(CLKMD_IHRC_DIV2)
        void main(void) { for (count = 0; count < LIMIT; count++) ; __asm__("stopsys"); }
        """,
    )
    pytester.makepyfile(
        """
        def test_counts(pms150c_machine):
            m = pms150c_machine("counter.c", defines={"LIMIT": 5})
            m.run(100_000)
            assert m.read_var("count") == 5 and m.symbols.functions["_main"].c_name == "main"

        def test_same_build_is_cached(pms150c_sdcc):
            first = pms150c_sdcc("counter.c", defines={"LIMIT": 5})
            assert pms150c_sdcc("counter.c", defines={"LIMIT": 5}) == first
            assert pms150c_sdcc("counter.c", defines={"LIMIT": 6}) != first
            assert first.with_suffix(".map").is_file() and first.with_suffix(".cdb").is_file()

        def test_compile_error(pms150c_sdcc):
            pms150c_sdcc(sources={"bad.c": "void main(void) { nosuch(; }"})
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["E *SdccError: sdcc -mpdk13 --debug *bad.c failed in * (exit 1):"])
    result.stdout.fnmatch_lines(["E * bad.c:1: syntax error*"])
    assert "def _run" not in result.stdout.str()  # the plugin's frames are hidden


@needs_sdcc
def test_load_builds_c_once_per_process(tmp_path):
    source = tmp_path / "main.c"
    source.write_text('volatile unsigned char r;\nvoid main(void) { r = 3; __asm__("stopsys"); }\n')
    first, second = load(source), load(source)
    assert first.image.symbol_table.files == second.image.symbol_table.files  # the same build
    first.run(10_000)
    assert first.read_var("r") == 3


@needs_sdcc
def test_builder_links_modules_and_rebuilds_an_edited_source(tmp_path):
    (tmp_path / "lib.c").write_text("unsigned char twice(unsigned char x) { return x + x; }\n")
    main = tmp_path / "main.c"
    main.write_text(
        "unsigned char twice(unsigned char x);\nvolatile unsigned char r;\n"
        'void main(void) { r = twice(21); __asm__("stopsys"); }\n'
    )
    builder = SdccBuilder(tmp_path / "out")
    ihx = builder(main, modules=[tmp_path / "lib.c"])
    m = load(ihx)
    m.run(100_000)
    assert m.read_var("r") == 42 and "_twice" in m.symbols.code
    main.write_text(main.read_text().replace("21", "5"))
    again = builder(main, modules=[tmp_path / "lib.c"])
    assert again != ihx
    m = load(again)
    m.run(100_000)
    assert m.read_var("r") == 10


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({}, "give the C file to build or sources="),
        ({"source": "a.c", "sources": {"a.c": ""}}, "not both"),
        ({"sources": {"../a.c": ""}}, "plain file name"),
        ({"sources": {"a.c": b"x"}}, "must be a str"),
        ({"sources": {"a.c": ""}, "flags": "--debug"}, "flags must be a list"),
        ({"sources": {"a.c": ""}, "flags": ["debug"]}, "starting with '-'"),
        ({"sources": {"a.c": ""}, "defines": {"1X": 1}}, "C identifier"),
        ({"sources": {"a.c": ""}, "defines": {"X": 1.5}}, "an int or a str"),
        ({"sources": {"a.c": ""}, "defines": [("X", 1)]}, "defines must be a dict"),
    ],
)
def test_builder_refuses_bad_arguments(tmp_path, arguments, message):
    builder = SdccBuilder(tmp_path)
    with pytest.raises(ArgumentError, match=message):
        builder(**arguments)


def test_builder_errors_are_pms150c_errors(tmp_path):
    assert issubclass(SdccError, Pms150cError) and issubclass(SdccNotFoundError, SdccError)
    with pytest.raises(FileError, match="missing.c"):
        SdccBuilder(tmp_path)(tmp_path / "missing.c")
    with pytest.raises(ArgumentError, match="sdcc must be a command name"):
        SdccBuilder(tmp_path, sdcc=None)


# -- the helpers in a user's test file ------------------------------------------------------

BLINK_ASM = """\
    mov a, #0x10
    mov.io pac, a
loop:
    set1.io pa, #4
    set0.io pa, #4
    goto loop
"""


def test_helpers_in_a_users_test_file_pass_and_fail_readably(pytester):
    pytester.makepyfile(
        f"""
        from hypothesis import given
        from pms150c.debug.conditions import pin
        from pms150c.testing import assert_within, call, strategies as pst

        BLINK = {BLINK_ASM!r}

        def test_led_lights(pms150c_machine):
            m = pms150c_machine(BLINK, predefine_io=True)
            assert assert_within(m, pin(4) == 1, cycles=10) == 3

        def test_led_on_pin_5(pms150c_machine):
            m = pms150c_machine(BLINK, predefine_io=True)
            assert_within(m, pin(5) == 1, us=500, what="PA5 high")

        @given(pst.ram_states([0x10]))
        def test_routine(pms150c_machine, ram):
            m = pms150c_machine("main:\\n stopsys\\nget:\\n mov a, 0x10\\n ret")
            assert call(m, "get", ram=ram, sp=0x20).value == ram[0x10]
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *ExpectationError: PA5 high did not hold within 500 us: ran 30 cycles *",
            "E * pc=0x002 (<test_helpers_in_a_users*.py>:4: set1.io pa, #4); a=0x10 flags=- *",
            "E * ((pins >> 5) & 0x1) = 0",
        ]
    )
    assert "def _wait" not in result.stdout.str()  # the helper's frames are hidden
