"""Random bytes and random argument types into every public function and command line.

Whatever comes in, a call returns or raises a `Pms150cError`: never another exception
(TypeError, OverflowError, a Numba TypingError), never a crash of the process, and a
command line ends with its exit status and, for an error, exactly one line on stderr.
Example counts scale with PMS150C_FUZZ_SCALE like tests/test_fuzz.py.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pms150c import Image, Pms150cError, assemble, assemble_file, disassemble, disassemble_listing
from pms150c.machine import Machine

SCALE = float(os.environ.get("PMS150C_FUZZ_SCALE", "1"))
REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "bad_inputs"


def examples(n: int) -> settings:
    return settings(
        max_examples=max(1, int(n * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


# Anything a caller might pass where an int, a flag, a path or an array is expected.
ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 70),
    st.integers(-(2**80), 2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), -0.0, 1.5, 2**63, -(2**63) - 1, 2**64]),
    st.text(max_size=12),
    st.sampled_from(["pa", "PA", "t16m", "main", "loop", "a\0b", "", "0x10"]),
    st.binary(max_size=12),
    st.lists(st.integers(-5, 300), max_size=4),
    st.sampled_from([np.int64(5), np.uint8(200), np.float64("nan"), np.array([1, 2])]),
    st.builds(object),
    st.dictionaries(st.text(max_size=3), st.integers(-5, 5000), max_size=3),
)

PROGRAM = assemble(
    """\
        mov     a, #0x34
        mov.io  0x03, a
main:   inc     0x10
        mov     a, 0x10
        mov     0x11, a
loop:   goto    main
        stopsys
"""
)


def call(function, *args, **kwargs):
    """Call and allow only a normal return or a Pms150cError."""
    try:
        return function(*args, **kwargs)
    except Pms150cError as err:
        assert "\n" not in str(err), err
        return err


def short(cycles):
    """A cycle count as drawn, unless it would run the endless PROGRAM for long (None or
    a large int is a valid request to run until Ctrl-C: not one a test can wait for)."""
    if cycles is None or (isinstance(cycles, int | np.integer) and cycles > 100_000):
        return 1000
    return cycles


MACHINE_CALLS = {
    "a": lambda m, x, y, z: setattr(m, "a", x),
    "pc": lambda m, x, y, z: setattr(m, "pc", x),
    "sp": lambda m, x, y, z: setattr(m, "sp", x),
    "gie": lambda m, x, y, z: setattr(m, "gie", x),
    "flags": lambda m, x, y, z: setattr(m, "flags", x),
    "flag_c": lambda m, x, y, z: setattr(m.flags, "c", x),
    "t16": lambda m, x, y, z: setattr(m, "t16", x),
    "stack_checks": lambda m, x, y, z: setattr(m, "stack_checks", x),
    "io_peek": lambda m, x, y, z: m.io_peek(x),
    "io_poke": lambda m, x, y, z: m.io_poke(x, y),
    "set_pin": lambda m, x, y, z: m.set_pin(x, y),
    "schedule_pin": lambda m, x, y, z: m.schedule_pin(x, y, z),
    "pin": lambda m, x, y, z: m.pin(x),
    "watch_ram": lambda m, x, y, z: m.watch_ram(x, read=y, write=z),
    "watch_io": lambda m, x, y, z: m.watch_io(x, read=y, write=z),
    "watch": lambda m, x, y, z: m.watch(x, value=y, io=z),
    "unwatch": lambda m, x, y, z: m.unwatch(x, io=y),
    "enable_trace": lambda m, x, y, z: m.enable_trace(x),
    "run": lambda m, x, y, z: m.run(short(x)),
    "run_batch": lambda m, x, y, z: m.run_batch(x, y, short(z)),
    "run_batch_words": lambda m, x, y, z: m.run_batch(6, [[x, 0x36]], 100),
    "break_add": lambda m, x, y, z: m.breakpoints.add(x),
    "break_discard": lambda m, x, y, z: m.breakpoints.discard(x),
    "break_in": lambda m, x, y, z: x in m.breakpoints,
    "break_when": lambda m, x, y, z: m.break_when(x),
    "remove_break_when": lambda m, x, y, z: m.remove_break_when(x),
    "ram_of": lambda m, x, y, z: m.ram_of(x),
    "read_var": lambda m, x, y, z: m.read_var(x, y),
    "write_var": lambda m, x, y, z: m.write_var(x, y, z),
    "machine": lambda m, x, y, z: Machine(x, stack_checks=y),
    "from_asm": lambda m, x, y, z: Machine.from_asm(x),
    "from_ihx": lambda m, x, y, z: Machine.from_ihx(x, symbols=y),
    "machine_options": lambda m, x, y, z: Machine(PROGRAM, blank_checks=x, translate=y),
    "translate": lambda m, x, y, z: setattr(m, "translate", x),
    "run_batch_jobs": lambda m, x, y, z: m.run_batch(6, [[0x36]] * 3, 100, jobs=x),
    "call": lambda m, x, y, z: m.call(x, a=y, max_cycles=short(z)),
    "call_ram": lambda m, x, y, z: m.call("main", ram=x, flags=y, sp=z, max_cycles=500),
    "call_state": lambda m, x, y, z: m.call("main", state=x, max_cycles=500),
    "restore_state": lambda m, x, y, z: m.restore_state(x),
    "made_up_state": lambda m, x, y, z: m.restore_state(made_up_state(m, x, y)),
    "call_made_up_state": lambda m, x, y, z: m.call(0, state=made_up_state(m, x, y)),
    "cond_ram": lambda m, x, y, z: m.break_when(conditions().ram(x, size=y) == z),
    "cond_io": lambda m, x, y, z: m.break_when(conditions().io(x) & y != z),
    "cond_pin": lambda m, x, y, z: m.break_when(conditions().pin(x) >= y),
    "cond_bit": lambda m, x, y, z: m.break_when(
        (conditions().a.bit(x) == y) | (conditions().sp < z)
    ),
    "cond_location": lambda m, x, y, z: m.break_when(conditions().Location(x, y, shift=z) > 0),
    "cond_join": lambda m, x, y, z: m.break_when((conditions().gie == 1) & x),
}


def conditions():
    from pms150c.debug import conditions as module

    return module


def made_up_state(m, x, y):
    """A MachineState built by hand: one field replaced by something drawn."""
    from dataclasses import replace

    fields = ["ram", "io", "regs", "schedule"]
    name = fields[hash(repr(type(y))) % 4]
    value = np.asarray(x) if isinstance(x, list) else x
    if isinstance(y, int) and not isinstance(y, bool):
        value = np.array([[abs(y) % 9, y % 8, y % 3 - 1]], np.int64)  # a pin change
        name = "schedule"
    return replace(m.save_state(), **{name: value})


@examples(600)
@given(
    st.lists(
        st.tuples(st.sampled_from(sorted(MACHINE_CALLS)), ANYTHING, ANYTHING, ANYTHING),
        min_size=1,
        max_size=6,
    )
)
def test_any_argument_to_the_machine_api_is_a_result_or_a_pms150c_error(calls):
    m = Machine(PROGRAM)
    m.enable_profile()
    for name, x, y, z in calls:
        call(MACHINE_CALLS[name], m, x, y, z)
        call(m.run, 200)  # whatever was set, the core runs on without crashing
    call(m.trace)
    call(m.profile)
    m.reset()
    assert call(m.profile).total_cycles == 0  # the profile restarts with the machine
    assert m.snapshot()["cycles"] == 0


TOOLCHAIN_CALLS = {
    "assemble": lambda x, y: assemble(x),
    "assemble_name": lambda x, y: assemble("\tnop\n", x),
    "assemble_dirs": lambda x, y: assemble('\t.include "x.inc"\n', "<asm>", x),
    "assemble_bases": lambda x, y: assemble("\tnop\n", bases=x),
    "assemble_bases_value": lambda x, y: assemble("\tnop\n", bases={"CODE": x}),
    "assemble_flags": lambda x, y: assemble("\tnop\n", predefine_io=x, strict=y),
    "assemble_file": lambda x, y: assemble_file(x),
    "disassemble": lambda x, y: disassemble(x, y if isinstance(y, int) else 0),
    "disassemble_start": lambda x, y: disassemble([0], x),
    "disassemble_listing": lambda x, y: disassemble_listing(x, 0),
    "listing_start": lambda x, y: disassemble_listing([0, 1], x),
    "image": lambda x, y: Image(x),
    "image_parts": lambda x, y: Image([0], symbols=x, labels=y).listing(),
    "attach_symbols": lambda x, y: Image([0]).attach_symbols(x),
    "image_source": lambda x, y: Image([0], source={0: x}).listing(),
    "image_written": lambda x, y: Image([0], written=x),
    "from_ihx": lambda x, y: Image.from_ihx(x, symbols=y),
}


@examples(600)
@given(st.sampled_from(sorted(TOOLCHAIN_CALLS)), ANYTHING, ANYTHING)
def test_any_argument_to_the_toolchain_is_a_result_or_a_pms150c_error(name, x, y):
    call(TOOLCHAIN_CALLS[name], x, y)


@examples(800)
@given(st.binary(max_size=300))
def test_random_bytes_as_source_hex_and_text_never_escape_as_another_exception(data):
    call(assemble, data)
    call(Image.from_ihx, data)
    call(assemble, data.decode("latin-1"))


def npz_bytes(draw_meta: bytes, arrays: dict) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, meta=np.frombuffer(draw_meta, np.uint8), **arrays)
    return buffer.getvalue()


JSON_BITS = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)


@examples(300)
@given(
    st.one_of(
        st.binary(max_size=400),
        st.builds(
            lambda meta, shifts, hmax, spec: npz_bytes(
                __import__("json")
                .dumps(
                    {
                        "format": "pms150c-intmodel-1",
                        **meta,
                        "shifts": shifts,
                        "hmax": hmax,
                        "spec": spec,
                    }
                )
                .encode(),
                {"w0": np.ones((4, 64), np.int8), "w1": np.ones((10, 4), np.int8)},
            ),
            st.dictionaries(st.text(max_size=6), JSON_BITS, max_size=2),
            JSON_BITS,
            JSON_BITS,
            JSON_BITS,
        ),
    )
)
def test_random_model_files_load_or_raise_data_error(tmp_path_factory, data):
    from pms150c.mnist.model import IntModel

    path = tmp_path_factory.mktemp("model") / "m.npz"
    path.write_bytes(data)
    call(IntModel.load, path)


@examples(300)
@given(st.binary(max_size=200), st.sampled_from([".map", ".noi", ".cdb", ".rst", ".sym"]))
def test_random_sdcc_symbol_files_load_or_raise_a_pms150c_error(tmp_path_factory, data, suffix):
    folder = tmp_path_factory.mktemp("sdcc")
    (folder / "prog.ihx").write_text(PROGRAM.to_ihx())
    (folder / ("prog" + suffix)).write_bytes(data)
    image = call(Image.from_ihx, folder / "prog.ihx")
    if isinstance(image, Image):
        m = Machine(image)
        call(m.run, 100)


MNIST_CALLS = {
    "load_mnist": lambda x, y: __import__("pms150c.mnist.data").mnist.data.load_mnist(x, y),
    "read_idx": lambda x, y: __import__("pms150c.mnist.data").mnist.data.read_idx(x, 2051),
    "spec": lambda x, y: __import__("pms150c.mnist.data").mnist.data.PreprocessSpec(top=x),
    "preprocess": lambda x, y: __import__("pms150c.mnist.data").mnist.data.preprocess(
        x, __import__("pms150c.mnist.data").mnist.data.PreprocessSpec()
    ),
    "model_load": lambda x, y: __import__("pms150c.mnist.model").mnist.model.IntModel.load(x),
    "assemble_kernel": lambda x, y: __import__("pms150c.mnist.kernel").mnist.kernel.assemble_kernel(
        x
    ),
}


@examples(300)
@given(st.sampled_from(sorted(MNIST_CALLS)), ANYTHING, ANYTHING)
def test_any_argument_to_the_mnist_helpers_is_a_result_or_a_pms150c_error(name, x, y):
    call(MNIST_CALLS[name], x, y)


# -- command lines ---------------------------------------------------------------------------

WORDS = [
    "asm",
    "disasm",
    "exec",
    "trace",
    "profile",
    "vcd",
    "-o",
    "--listing",
    "-I",
    "-n",
    "-b",
    "-w",
    "--pin",
    "--last",
    "--top",
    "--check",
    "--unit",
    "ns",
    "cycle",
    "-s",
    "--source",
    "--asm",
    "--no-strict",
    "0",
    "1",
    "-1",
    "0x10",
    "99999999999999999999",
    "1e3",
    "main",
    "io:pa",
    "0x10:rw=5",
    "PA0=1",
    "PA9=1",
    "nan",
    "",
    "\0",
    "\n",
    "é",
    "--",
    "-",
]


@st.composite
def command_lines(draw, folder: Path) -> list[str]:
    names = ["prog.asm", "prog.ihx", "junk.asm", "junk.ihx", "out.ihx", "out.vcd", "sub", "nope"]
    parts = draw(
        st.lists(
            st.one_of(
                st.sampled_from(WORDS),
                st.sampled_from([str(folder / n) for n in names]),
                st.text(max_size=8),
            ),
            max_size=7,
        )
    )
    head = draw(st.sampled_from(["asm", "disasm", "exec", "trace", "profile", "vcd", ""]))
    argv = ([head] if head else []) + parts
    if head in ("exec", "trace", "profile", "vcd"):
        argv += ["-n", "3000"]  # the last -n wins: every run is short
    return argv


@pytest.fixture(scope="module")
def cli_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    (folder / "prog.asm").write_text("\tnop\n\tstopsys\n")
    (folder / "prog.ihx").write_text(PROGRAM.to_ihx())
    (folder / "junk.asm").write_bytes(b"\tnop ; \x85\x0c\r\n\tmov a, #\xff\n")
    (folder / "junk.ihx").write_bytes(b":0200000000\x1c00FE\n")
    (folder / "sub").mkdir()
    return folder


@examples(400)
@given(data=st.data())
def test_any_command_line_ends_with_a_status_and_at_most_one_error_line(cli_folder, data, capsys):
    from pms150c.cli import build_parser, main

    originals = {p: p.read_bytes() for p in cli_folder.iterdir() if p.is_file()}
    argv = data.draw(command_lines(cli_folder))
    try:
        args = build_parser().parse_args(argv)
        given = getattr(args, "source", None) or getattr(args, "program", None)
    except SystemExit:
        given = None
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse: usage errors and --help
        code = exc.code
    err = capsys.readouterr().err
    changed = {p for p, data in originals.items() if p.read_bytes() != data}
    for p in cli_folder.iterdir():  # the next example starts from the same files
        if p not in originals and p.is_file():
            p.unlink()
    for p in changed:
        p.write_bytes(originals[p])
    assert code in (0, 1, 2, 3, 4, 130), (argv, code)
    assert "Traceback" not in err
    if code == 1:
        assert len(err.strip().splitlines()) == 1, (argv, err)
    if given is not None and "\0" not in str(given):
        assert Path(given).resolve() not in {p.resolve() for p in changed}, argv  # an input


@examples(60)
@given(
    argv=st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "--limit",
                    "--jobs",
                    "--firmware",
                    "--model",
                    "--data",
                    "--json",
                    "0",
                    "2",
                    "-1",
                    "100000",
                    "",
                    "\0",
                    "nan",
                    str(CORPUS / "run"),
                    str(CORPUS / "model"),
                    str(CORPUS / "run" / "kernel_digit_not_a_digit.asm"),
                    str(CORPUS / "model" / "meta_is_a_list.npz"),
                    "/dev/zero",
                ]
            ),
            st.text(max_size=6),
        ),
        max_size=6,
    )
)
def test_any_harness_command_line_ends_with_a_status_and_one_error_line(argv, capsys):
    from pms150c.run import main

    argv = [*argv, "--limit", "2", "--json"]  # short runs, whatever else is asked
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code in (0, 1, 2, 130), (argv, code)
    assert "Traceback" not in err
    if code in (1, 2):
        assert len(err.strip().splitlines()) == 1, (argv, err)


def test_the_zip_bound_is_checked_before_an_array_inflates(tmp_path):
    from pms150c.errors import DataError
    from pms150c.mnist.model import MAX_ARRAY_BYTES, IntModel

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("w0.npy", b"\0" * (MAX_ARRAY_BYTES + 1))
    (tmp_path / "bomb.npz").write_bytes(buffer.getvalue())
    assert len(buffer.getvalue()) < MAX_ARRAY_BYTES // 100
    with pytest.raises(DataError, match="more than"):
        IntModel.load(tmp_path / "bomb.npz")
