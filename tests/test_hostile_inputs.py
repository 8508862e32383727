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

import numpy as np
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


# -- 4. the harness: errors across processes, --jobs, Ctrl-C, data -------------------------


def all_error_classes() -> list[type]:
    """Every Pms150cError subclass of the package, whatever module defines it."""
    import importlib
    import pkgutil

    import pms150c

    for info in pkgutil.walk_packages(pms150c.__path__, "pms150c."):
        if not info.name.endswith("__main__"):  # importing that one runs the command line
            importlib.import_module(info.name)
    found, todo = [], [Pms150cError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += [c for c in cls.__subclasses__() if c.__module__.startswith("pms150c")]
    return sorted(set(found), key=lambda c: (c.__module__, c.__qualname__))


def example_of(cls: type) -> Exception:
    """An instance built from the constructor's own signature: ints where it wants ints."""
    import inspect

    args = []
    for p in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.default is not p.empty:
            continue
        args.append(0x123 if "int" in str(p.annotation) else f"{p.name} text")
    return cls(*(args or ["a message"]))


def test_every_error_class_survives_a_round_trip_through_pickle():
    import pickle

    classes = all_error_classes()
    assert len(classes) >= 15  # the base, errors.py's classes and those of other modules
    for cls in classes:
        error = example_of(cls)
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is cls and str(copy) == str(error), cls
        assert copy.args == error.args and vars(copy) == vars(error), cls


def test_errors_with_extra_arguments_keep_them_across_pickle():
    import pickle

    from pms150c.errors import InvalidOpcode, StackOverflow

    for error in (
        InvalidOpcode(0x1FFF, 5, 100, run=3),
        StackOverflow(0x40, 7, 9),
        AssemblerError("bad", "f.asm", 3, 4, "mov a, b"),
    ):
        copy = pickle.loads(pickle.dumps(error))
        assert (str(copy), vars(copy)) == (str(error), vars(error))


FAILS_ON_WHITE = """\
; an MNIST kernel shape that runs an invalid word when the first two pixels are 15
DIGIT = 0x10
L0 = 0x00
        call    image_slot      ; A = pixel 0 | pixel 1 << 4
        ceqsn   a, #0xff
        goto    ok
        .dw     0x0001
ok:     mov     a, #3
        mov     DIGIT, a
        stopsys
image_slot:
        .ds     64
image_end:
"""


@pytest.fixture
def failing_kernel():
    from pms150c.mnist.kernel import Kernel

    return Kernel(assemble(FAILS_ON_WHITE), "fails_on_white")


def test_an_error_in_a_worker_process_ends_the_run_with_that_error(failing_kernel):
    import numpy as np

    from pms150c.errors import InvalidOpcode
    from pms150c.run import _results

    chunks = [np.zeros((4, 64), np.uint8) for _ in range(6)]
    chunks[4][2, :2] = 15  # the third image of the fifth chunk
    start = time.monotonic()
    with pytest.raises(InvalidOpcode) as info, _results(failing_kernel, chunks, 2) as out:
        list(out)
    assert (info.value.run, info.value.pc, info.value.word) == (2, 3, 0x0001)
    assert time.monotonic() - start < 60


def test_jobs_are_bounded_by_cpus_and_chunks():
    import json

    from pms150c.run import CHUNK, usable_cpus

    proc = python(
        ["-m", "pms150c.run", "--limit", str(3 * CHUNK), "--jobs", "100000", "--json"], REPO
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["jobs"] == min(usable_cpus(), 3)


SLOW_KERNEL = """\
; an MNIST kernel shape that takes 1.58 M cycles per image (a run worth interrupting)
DIGIT = 0x10
L0 = 0x00
        mov     a, #0x34        ; 8 MHz, watchdog off
        mov.io  0x03, a
        mov     a, #8
        mov     0x22, a
l3:     clear   0x20
l2:     clear   0x21
l1:     dzsn    0x21
        goto    l1
        dzsn    0x20
        goto    l2
        dzsn    0x22
        goto    l3
        mov     a, #3
        mov     DIGIT, a
        stopsys
image_slot:
        .ds     64
image_end:
"""


def threads_of(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/task").iterdir()))


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc")
@pytest.mark.parametrize("jobs", [2, 1])
def test_ctrl_c_during_a_run_gives_one_line_and_exit_130(jobs, tmp_path):
    """SIGINT to the whole process group, as a terminal sends it, while the chunks run (in
    the pool's threads, or in the main thread): one line, status 130, no process left."""
    import signal

    (tmp_path / "slow.asm").write_text(SLOW_KERNEL)
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    argv = ["-m", "pms150c.run", "--firmware", "slow.asm", "--jobs", str(jobs), "--json"]
    proc = subprocess.Popen(
        [sys.executable, *argv],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        baseline = None
        while time.monotonic() < deadline and proc.poll() is None:  # until chunks run
            n = threads_of(proc.pid)
            baseline = n if baseline is None else min(baseline, n)
            if jobs == 1 or n >= baseline + jobs:  # the pool's threads have started
                break
            time.sleep(0.05)
        time.sleep(3 if jobs == 1 else 1)  # one process: past start-up, into the chunks
        assert proc.poll() is None, proc.communicate()
        os.killpg(proc.pid, signal.SIGINT)
        sent = time.monotonic()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert (proc.returncode, err) == (130, "pms150c.run: interrupted\n"), err
    assert out == "" and time.monotonic() - sent < 30
    with pytest.raises(ProcessLookupError):  # nothing outlived the run
        os.killpg(proc.pid, 0)


def test_ctrl_c_during_exec_check_gives_one_line_and_exit_130(tmp_path, capsys):
    import signal
    import threading

    from pms150c.machine import Machine

    program = tmp_path / "endless.asm"
    program.write_text("loop:   inc     0x10\n        goto    loop\n")
    Machine(assemble_file(program)).run(1000)  # compiled before the clock starts
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(1.0, signal.pthread_kill, (threading.get_ident(), signal.SIGINT))
    timer.start()
    try:
        code = main(["exec", str(program), "--check", "--max-cycles", str(10**15)])
    finally:
        timer.cancel()
        timer.join()
        signal.signal(signal.SIGINT, previous)
    err = capsys.readouterr().err
    assert code == 130 and len(err.splitlines()) == 1 and "interrupted" in err, err


# -- 5. the Machine API ----------------------------------------------------------------------


def test_the_arrays_the_core_indexes_cannot_be_replaced_or_reshaped():
    from pms150c.machine import Machine

    m = Machine(assemble(PROGRAM))
    m.enable_profile()
    for name in ("rom", "ram", "watch_mask", "profile_counts", "image", "breakpoints"):
        with pytest.raises(AttributeError):
            setattr(m, name, None)
    view = m.ram
    view.shape = (8, 8)  # reshapes the view handed out, not the core's RAM
    m.rom.shape = (32, 32)
    with pytest.raises(ValueError):
        m.watch_mask[0] = 3  # read-only: watches go through watch()
    with pytest.raises(ValueError):
        m.rom.flags.writeable = True
    assert m.run(100).kind.name == "STOPSYS"
    assert m._ram.shape == (64,) and m._rom.shape == (1024,) and m.ram is m.ram


def test_a_replaced_image_words_array_is_checked_again():
    from pms150c.errors import ImageError
    from pms150c.machine import Machine

    image = assemble(PROGRAM)
    image.words = np.zeros(5, np.uint16)  # public: a Machine must not index past it
    assert Machine(image).rom.shape == (1024,)
    image.words = np.full(1024, 0xFFFF, np.uint16)
    with pytest.raises(ImageError):
        Machine(image)


@pytest.mark.parametrize(
    "value", [1.5, float("nan"), float("inf"), None, b"\x01", "1", 2**64, np.float64(2.0)]
)
def test_non_integers_are_refused_where_the_machine_wants_an_integer(value):
    from pms150c.machine import Machine

    m = Machine(assemble(PROGRAM))
    uses = [
        lambda: m.io_peek(value),
        lambda: m.watch_ram(value),
        lambda: m.schedule_pin(value, 0, 1),
        lambda: m.set_pin(value, 1),
        lambda: m.enable_trace(value),
        lambda: m.run_batch(value, [[0]], 10),
        lambda: m.run_batch(0, [[value]], 10),
    ]
    if value is not None:  # run(None) runs to the end
        uses.append(lambda: m.run(value))
    if not isinstance(value, int):  # a register or IO value keeps the low bits of any int
        uses += [lambda: m.io_poke(0x10, value), lambda: setattr(m, "a", value)]
    for use in uses:
        with pytest.raises(Pms150cError):
            use()


def test_run_batch_refuses_slot_words_image_refuses():
    from pms150c.errors import ImageError
    from pms150c.machine import Machine

    m = Machine(assemble(PROGRAM))
    for words in ([[0x2000]], [[-1]], [[1.0]], [[0xFFFF]], np.array([[70000]], np.int64)):
        with pytest.raises(ImageError):
            m.run_batch(8, words, 100)
    assert m.run_batch(8, [[0x36]], 100)["status"][0] == "stopsys"


def test_negative_bases_are_refused():
    with pytest.raises(ArgumentError, match="outside"):
        assemble("\t.area CODE\n\tnop\n", bases={"CODE": -2})


def test_a_breakpoint_on_a_symbol_outside_rom_is_an_error_not_word_zero():
    from pms150c.errors import LabelError
    from pms150c.machine import Machine

    m = Machine(assemble("FAR = 0x900\nNEAR = 0x10\n\tnop\n\tstopsys\n"))
    with pytest.raises(LabelError, match="outside ROM"):
        m.breakpoints.add("FAR")
    m.breakpoints.add("NEAR")  # byte 0x10: word 8
    assert list(m.breakpoints) == [8]


def test_the_profile_restarts_after_reset():
    from pms150c.machine import Machine

    m = Machine(assemble(PROGRAM))
    m.enable_profile()
    m.run(50)
    m.reset()
    assert m.profile().total_cycles == 0 and m.profile().outside_cycles == 0
    m.run(2)
    assert m.profile().total_cycles == m.cycles == int(m.profile_counts[1].sum())


def test_schedule_pin_in_any_order_applies_by_cycle_then_call_order():
    import random

    from pms150c.machine import Machine

    m = Machine(assemble("loop:\tgoto loop\n"))
    rng = random.Random(5)
    changes = [(rng.randrange(0, 400), n % 2) for n in range(3000)]  # many share a cycle
    for cycle, level in changes:
        m.schedule_pin(cycle, 0, level)
    expected = sorted(changes, key=lambda c: c[0])  # stable: same cycle keeps call order
    assert [(c, lv) for c, _, lv in m._pending_pins()] == expected
    m.run(1000)
    assert m.pin(0) == expected[-1][1] and m._pending_pins() == []


def test_applied_pin_changes_do_not_pile_up_in_the_schedule():
    from pms150c.machine import Machine

    m = Machine(assemble("loop:\tgoto loop\n"))
    for cycle in range(0, 200_000, 20):  # schedule ahead, run past, over and over
        m.schedule_pin(cycle + 10, 0, (cycle // 20) & 1)
        if cycle % 2000 == 0:
            m.run(2000)
    m.run(300_000)
    assert m._pending_pins() == [] and len(m._sched_buffer) <= 512


def test_8000_scheduled_edges_take_well_under_a_second():
    from pms150c.machine import Machine

    m = Machine(assemble("loop:\tgoto loop\n"))
    start = time.perf_counter()
    for i in range(8000):
        m.schedule_pin(8000 - i, 0, i & 1)  # the worst order: every one before the others
    assert time.perf_counter() - start < 5  # quadratic re-sorting took about 30 s
    assert [c for c, _, _ in m._pending_pins()] == list(range(1, 8001))


# -- 6. memory caps --------------------------------------------------------------------------


def test_a_huge_trace_depth_is_refused_before_any_allocation():
    from pms150c.debug.trace import MAX_TRACE_DEPTH, record_trace
    from pms150c.machine import Machine

    m = Machine(assemble(PROGRAM))
    with pytest.raises(ArgumentError, match="outside"):
        m.enable_trace(10_000_000_000_000)
    with pytest.raises(ArgumentError):
        record_trace(m, 100, last=MAX_TRACE_DEPTH + 1)
    records, _ = record_trace(m, 100, last=MAX_TRACE_DEPTH)  # a ring of 101 rows, not 4 M
    assert len(records) < 100 and m._trace_buffer.shape[0] <= 102


def test_write_vcd_streams_to_the_file_and_matches_record_vcd(tmp_path):
    from pms150c.debug.vcd import record_vcd, write_vcd
    from pms150c.machine import Machine

    toggler = "\tmov a, #0x34\n\tmov.io 0x03, a\n\tset1.io 0x11, #3\nloop:\tset1.io 0x10, #3\n"
    toggler += "\tset0.io 0x10, #3\n\tgoto loop\n"
    image = assemble(toggler)
    text = record_vcd(Machine(image), 3000)
    write_vcd(Machine(image), 3000, tmp_path / "w.vcd")
    assert (tmp_path / "w.vcd").read_text() == text and text.count('\n1"') > 100  # PA3
    assert [p.name for p in tmp_path.iterdir()] == ["w.vcd"]  # no temporary file left


def test_record_vcd_refuses_to_hold_more_changes_than_its_cap(monkeypatch):
    from pms150c.debug import vcd
    from pms150c.machine import Machine

    monkeypatch.setattr(vcd, "MAX_TEXT_CHANGES", 50)
    toggler = "\tmov a, #0x34\n\tmov.io 0x03, a\n\tset1.io 0x11, #3\nloop:\tset1.io 0x10, #3\n"
    toggler += "\tset0.io 0x10, #3\n\tgoto loop\n"
    with pytest.raises(vcd.VcdError, match="write_vcd streams"):
        vcd.record_vcd(Machine(assemble(toggler)), 10_000)


# -- SDCC builds: C sources as SDCC counts their lines, symbol files as inputs -------------

ODD_C = (
    "unsigned char x;\r"  # a lone CR ends a C line for SDCC
    "/* \f \v NEL \x85 \u00c5 \u2028: none of these ends a line */\n"
    "void main(void) {\n"
    "\tx = 1;\n"
    "\twhile (1) {}\n"
    "}\n"
)


def test_c_lines_of_an_sdcc_build_are_counted_as_sdcc_counts_them(sdcc_build):
    from pms150c.sdcc import c_source_lines

    assert c_source_lines(ODD_C.encode())[:4] == [
        "unsigned char x;",
        "/* \f \v NEL \x85 \u00c5 \u2028: none of these ends a line */",
        "void main(void) {",
        "\tx = 1;",
    ]
    image = Image.from_ihx(sdcc_build("odd", sources={"odd.c": ODD_C}))
    lines = {(src.line, src.text) for src in image.source.values() if src.filename == "odd.c"}
    assert (4, "x = 1;") in lines  # the text of line 4 of the file, as SDCC numbered it


def test_outputs_over_the_symbol_files_or_c_source_of_a_build_are_refused(sdcc_build, capsys):
    ihx = sdcc_build("odd", sources={"odd.c": ODD_C})
    folder = ihx.parent
    assert (folder / "odd.map").exists() and (folder / "odd.cdb").exists()
    for target in ("odd.map", "odd.rst", "odd.cdb", "odd.c"):
        before = (folder / target).read_bytes()
        code, err = run_cli(["trace", ihx, "-n", "100", "-o", folder / target], capsys)
        assert code == 1 and "refusing to overwrite the input file" in err, (target, err)
        assert (folder / target).read_bytes() == before


def test_a_symbol_file_that_is_a_fifo_or_a_device_is_not_read(tmp_path):
    image_text = assemble(PROGRAM).to_ihx()
    (tmp_path / "p.ihx").write_text(image_text)
    os.mkfifo(tmp_path / "p.map")
    (tmp_path / "p.rst").symlink_to("/dev/zero")
    start = time.monotonic()
    image = Image.from_ihx(tmp_path / "p.ihx")  # neither blocks nor reads forever
    assert image.used_words == 2 and time.monotonic() - start < 10


def test_a_runaway_rept_stops_at_the_line_budget(monkeypatch):
    from pms150c.toolchain import assembler

    monkeypatch.setattr(assembler, "MAX_LINES", 20_000)
    start = time.monotonic()
    err = error_of("\t.rept 65535\n\t.rept 65535\nx = 1\n\t.endm\n\t.endm\n")
    assert "more than 20000 lines" in err.reason and time.monotonic() - start < 10
