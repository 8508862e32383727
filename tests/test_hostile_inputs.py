"""Hostile inputs that a static corpus cannot hold (tests/bad_inputs has the rest).

Each class of issue 14 in turn: source text (line ends, encodings, what reaches listings and
traces), unbounded input (include chains a thousand deep, FIFOs, devices, names the OS
refuses), outputs that would overwrite inputs (symlinks, hard links, other spellings) and
atomic writing. In-process first; the cases that need a real process (exit status, the one
line on stderr, files unchanged) run at the end, several per process where they can.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pms150c import AssemblerError, HexError, Image, Pms150cError, assemble, assemble_file
from pms150c.cli import main
from pms150c.errors import ArgumentError, FileError
from pms150c.toolchain.assembler import MAX_INCLUDE_DEPTH
from pms150c.toolchain.lexer import source_lines

REPO = Path(__file__).resolve().parent.parent
PROGRAM = "\tnop\n\tstopsys\n"


def error_of(source, **options) -> AssemblerError:
    with pytest.raises(AssemblerError) as info:
        assemble(source, **options)
    return info.value


# -- 1. source text --------------------------------------------------------------------------

# Bytes that str.splitlines() (and so the old reader) took for line breaks, none of which
# ends a line for sdaspdk13 4.2.0 (checked by running it: only LF does, a CR before it is
# part of the line end).
NOT_LINE_BREAKS = [b"\r", b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\xc2\x85", b"\xe2\x80\xa8"]


@pytest.mark.parametrize("byte", NOT_LINE_BREAKS, ids=lambda b: b.hex())
def test_a_byte_that_is_no_line_break_stays_inside_its_comment(byte):
    source = b"\tnop ; comment " + byte + b" frob\n\tnop\n\tfrob2\n"
    assert error_of(source).line == 3  # frob stayed in the comment; line 3 is line 3
    assert assemble(source.replace(b"\tfrob2\n", b"")).used_words == 2


@pytest.mark.parametrize("byte", NOT_LINE_BREAKS, ids=lambda b: b.hex())
def test_a_byte_that_is_no_line_break_is_an_error_in_code(byte):
    err = error_of(b"\tnop" + byte + b"nop\n")
    assert (err.line, err.column) == (1, 5)
    assert "unexpected character" in err.reason and "\n" not in str(err)
    assert not any(c in str(err) for c in "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028")


def test_lines_split_only_at_line_feeds_crlf_included():
    assert source_lines(b"a\r\nb\rc\n\nd") == ["a", "b\rc", "", "d"]
    assert source_lines("a\u2028b\x85c\n") == ["a\u2028b\x85c"]
    assert source_lines(b"\xef\xbb\xbf\tnop\n") == ["\tnop"]  # a UTF-8 BOM is skipped
    assert source_lines(b"") == [] and source_lines(b"\n") == [""]


def test_utf8_and_raw_bytes_in_strings_are_the_files_bytes():
    image = assemble(b'\t.ascii "\xc3\x1f"\n\t.ascii "\x80\x01"\n')  # bytes 0xC3 0x1F 0x80 0x01
    assert image.words[:2].tolist() == [0x1FC3, 0x0180]
    text = assemble('\t.ascii "\x05\x0b"\n')  # str sources: the UTF-8 of the text
    assert text.words[0] == 0x0B05
    assert "no file can" in error_of('\t.ascii "\ud800"\n').reason  # a lone surrogate


def test_a_character_constant_is_one_byte():
    assert assemble(b"\tmov a, #'\xff'\n").words[0] & 0xFF == 0xFF  # a raw byte
    assert assemble("\tmov a, #'\udcff'\n").words[0] & 0xFF == 0xFF  # the same, as text
    assert "first byte 0xe2" in error_of("\tmov a, #'€'\n").reason


def test_true_line_numbers_reach_listing_trace_and_profile():
    from pms150c.debug.trace import format_trace
    from pms150c.machine import Machine

    source = b"; \xc3\x85 caf\xc3\xa9 \xe2\x80\xa8\n\tnop ; \x0c\x1c\r\n\tnop\n\tstopsys\n"
    image = assemble(source, "prog.asm")
    assert [image.source[w].line for w in range(3)] == [2, 3, 4]
    listing = image.listing()
    assert "prog.asm:2: nop ; \\x0c\\x1c" in listing and len(listing.splitlines()) == 3
    m = Machine(image)
    m.enable_trace(16)
    m.enable_profile()
    m.run(100)
    trace = format_trace(m.trace(), image)
    assert "prog.asm:3: nop" in trace and "\x0c" not in trace
    assert [row.line for row in m.profile().by_line()] == [2, 3, 4]


def test_messages_escape_what_would_reach_the_terminal():
    err = error_of("\tfrob ; \x1b[2J\x07\u202e\n")
    assert "\x1b" not in str(err) and "\\x1b[2J\\x07\\u202e" in str(err)
    err = error_of("\tnop\n\tfrob\n", filename="a\nb\r.asm")
    assert str(err).startswith("a\\nb\\r.asm:2:2:")


# -- 2. unbounded input ----------------------------------------------------------------------


def test_an_include_chain_deeper_than_the_recursion_limit_is_a_located_error(tmp_path):
    depth = MAX_INCLUDE_DEPTH + 5
    assert depth > sys.getrecursionlimit()
    for i in range(depth):
        body = f'\t.include "i{i + 1}.inc"\n' if i < depth - 1 else "\tnop\n"
        (tmp_path / f"i{i}.inc").write_text(body)
    (tmp_path / "main.asm").write_text('\t.include "i0.inc"\n')
    start = time.monotonic()
    with pytest.raises(AssemblerError, match=f"nested deeper than {MAX_INCLUDE_DEPTH}") as info:
        assemble_file(tmp_path / "main.asm")
    assert info.value.filename.endswith(f"i{MAX_INCLUDE_DEPTH - 2}.inc")  # the 1000th file
    # a chain as deep as allowed assembles, without recursion
    (tmp_path / f"i{MAX_INCLUDE_DEPTH - 2}.inc").write_text("\tnop\n")
    inputs: list = []
    assert assemble_file(tmp_path / "main.asm", inputs=inputs).used_words == 1
    assert len(inputs) == MAX_INCLUDE_DEPTH and time.monotonic() - start < 30


def test_a_file_included_over_and_over_stops_at_the_byte_budget(tmp_path, monkeypatch):
    from pms150c.toolchain import assembler

    monkeypatch.setattr(assembler, "MAX_TOTAL_BYTES", 10_000)
    (tmp_path / "big.inc").write_text("; padding\n" * 300)
    (tmp_path / "main.asm").write_text('\t.include "big.inc"\n' * 10)
    with pytest.raises(AssemblerError, match="read more than") as info:
        assemble_file(tmp_path / "main.asm")
    assert info.value.line == 4  # 3 x 3000 bytes fit, the fourth does not


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "fifo.asm"
    os.mkfifo(path)
    return path


def test_a_fifo_never_blocks_a_reader(fifo, tmp_path):
    with pytest.raises(AssemblerError, match="Not a regular file"):
        assemble_file(fifo)
    (tmp_path / "main.asm").write_text('\t.include "fifo.asm"\n')
    with pytest.raises(AssemblerError, match="Not a regular file") as info:
        assemble_file(tmp_path / "main.asm")
    assert info.value.line == 1
    hexfifo = tmp_path / "fifo.ihx"
    os.mkfifo(hexfifo)
    with pytest.raises(HexError, match="Not a regular file"):
        Image.from_ihx(hexfifo)


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom"])
def test_devices_are_refused_by_name_and_through_a_symlink(target, tmp_path):
    link = tmp_path / "dev.ihx"
    link.symlink_to(target)
    with pytest.raises(HexError, match="Not a regular file"):
        Image.from_ihx(link)
    with pytest.raises(AssemblerError, match="Not a regular file"):
        assemble_file(target)


def test_a_file_larger_than_the_bound_is_refused_without_reading_it_all(tmp_path, monkeypatch):
    from pms150c.toolchain import assembler

    monkeypatch.setattr(assembler, "MAX_SOURCE_BYTES", 1000)
    path = tmp_path / "big.asm"
    path.write_text("; x\n" * 1000)
    with pytest.raises(AssemblerError, match="File larger than 1000 bytes"):
        assemble_file(path)


@pytest.mark.parametrize(
    "name", ["a\0b.asm", "x" * 300 + ".asm", "d/" * 3000 + "x.asm", b"\xff\xfe.asm", ""]
)
def test_names_the_os_refuses_are_errors(name):
    with pytest.raises(Pms150cError) as info:
        assemble_file(name)
    assert "\n" not in str(info.value) and len(str(info.value)) < 7000
    with pytest.raises(Pms150cError):
        Image.from_ihx(Path(os.fsdecode(name)) if name else Path("."))


@pytest.mark.parametrize("value", [None, 5, 1.5, float("nan"), ["a.asm"], object()])
def test_paths_of_the_wrong_type_are_argument_errors(value):
    with pytest.raises(ArgumentError):
        assemble_file(value)
    with pytest.raises(ArgumentError):
        assemble(PROGRAM, value)
    with pytest.raises(Pms150cError):
        Image.from_ihx(value)


# -- 3. outputs that would overwrite inputs --------------------------------------------------


@pytest.fixture
def program(tmp_path):
    (tmp_path / "part.inc").write_text("\tnop\n")
    path = tmp_path / "prog.asm"
    path.write_text('\t.include "part.inc"\n\tstopsys\n')
    return path


def snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and not p.is_symlink()}


def run_cli(argv, capsys) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


def assert_refused(argv, capsys, folder: Path, message: str) -> None:
    before = snapshot(folder)
    code, err = run_cli(argv, capsys)
    assert code == 1 and len(err.splitlines()) == 1 and message in err, err
    assert snapshot(folder) == before  # nothing changed, nothing left behind


@pytest.mark.parametrize("command", ["asm", "trace", "profile", "vcd"])
def test_an_output_through_a_symlink_or_hard_link_to_an_input_is_refused(
    command, program, tmp_path, capsys
):
    (tmp_path / "soft.txt").symlink_to(program)
    os.link(tmp_path / "part.inc", tmp_path / "hard.txt")
    for output in ("soft.txt", "hard.txt"):
        argv = [command, program, "-o", tmp_path / output]
        assert_refused(argv, capsys, tmp_path, "refusing to overwrite the input file")


def test_two_outputs_that_are_one_file_are_refused(program, tmp_path, capsys):
    (tmp_path / "link.lst").symlink_to(tmp_path / "out.ihx")  # dangling: out.ihx is new
    argv = ["asm", program, "-o", tmp_path / "out.ihx", "--listing", tmp_path / "link.lst"]
    assert_refused(argv, capsys, tmp_path, "the same file as the output")


def test_an_output_to_dev_null_is_allowed(program, capsys):
    code, err = run_cli(["asm", program, "-o", os.devnull, "--listing", os.devnull], capsys)
    assert code == 0, err
    assert Path(os.devnull).is_char_device()


def test_a_failed_write_leaves_the_old_output_and_no_temporary_file(program, tmp_path, capsys):
    from pms150c import files

    out = tmp_path / "out.ihx"
    out.write_text("old contents\n")
    before = snapshot(tmp_path)

    def fails_half_way(*args, **kwargs):
        raise OSError(28, "No space left on device")

    with pytest.MonkeyPatch.context() as mp:
        real = files.os.replace
        mp.setattr(files.os, "replace", fails_half_way)
        code, err = run_cli(["asm", program, "-o", out], capsys)
        mp.setattr(files.os, "replace", real)
    assert code == 1 and "cannot write: No space left on device" in err
    assert snapshot(tmp_path) == before


def test_an_output_keeps_the_permissions_of_the_file_it_replaces(program, tmp_path, capsys):
    out = tmp_path / "out.ihx"
    out.write_text("old\n")
    out.chmod(0o640)
    assert run_cli(["asm", program, "-o", out], capsys)[0] == 0
    assert out.stat().st_mode & 0o777 == 0o640 and out.read_text().startswith(":")


def test_ctrl_c_while_writing_leaves_no_partial_file(tmp_path):
    from pms150c.files import atomic_output

    with pytest.raises(KeyboardInterrupt), atomic_output(tmp_path / "out.txt") as f:
        f.write("half")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_an_output_into_a_missing_folder_or_a_directory_is_a_file_error(tmp_path):
    from pms150c.files import write_text

    with pytest.raises(FileError, match="No such file or directory"):
        write_text(tmp_path / "no" / "out.txt", "x")
    with pytest.raises(FileError, match="Is a directory"):
        write_text(tmp_path, "x")


# -- through real processes ------------------------------------------------------------------


def python(args, cwd, timeout=120) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_hostile_files_through_one_real_process(program, fifo, tmp_path):
    """Several commands, each in its own `main` call, in one process: the exit status,
    exactly one line on stderr each, no traceback, and the inputs untouched."""
    (tmp_path / "soft.ihx").symlink_to(program)
    script = f"""
import sys
from pms150c.cli import main
cases = [
    ["asm", {str(program)!r}, "-o", {str(tmp_path / "soft.ihx")!r}],
    ["asm", {str(fifo)!r}],
    ["disasm", "/dev/zero"],
    ["exec", {str(tmp_path / "deep" / ("x" * 300 + ".asm"))!r}],
    ["vcd", {str(program)!r}, "-o", {str(tmp_path / "part.inc")!r}],
]
for argv in cases:
    print(main(argv), flush=True)
    print("--", file=sys.stderr, flush=True)
"""
    before = snapshot(tmp_path)
    proc = python(["-c", script], tmp_path)
    assert proc.stdout.split() == ["1"] * 5, proc.stderr
    assert "Traceback" not in proc.stderr
    messages = proc.stderr.split("--\n")[:-1]
    assert all(len(m.splitlines()) == 1 for m in messages), messages
    assert snapshot(tmp_path) == before
