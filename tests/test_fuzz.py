"""Whatever is in ROM, RAM and IO, both interpreters survive it and agree.

tests/test_differential.py draws well-formed programs; here the chip gets garbage: all 1024
ROM words arbitrary 13-bit values (invalid encodings included), RAM, A, the flags, SP, the
PC and all 32 IO registers random. Both the Numba core (`Machine`) and the plain-Python
`ReferenceMachine` run it for up to 100,000 cycles and must end the same way (same
StopReason, or the same error at the same pc and cycle) in the same state. An invalid
opcode must stop with `InvalidOpcode` naming the word, its pc and the cycle.

Property tests on the fast core alone check the invariants: `cycles` only grows, a push or
pop outside RAM raises `StackOverflow` (stack checks on), and the RAM and IO arrays keep
their shape, dtype and identity whatever the program writes.

Example counts scale with PMS150C_FUZZ_SCALE (e.g. 0.1 while iterating, 10 for a soak).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pms150c import isa
from pms150c.device import IO_REGS, RAM_BYTES, ROM_WORDS
from pms150c.errors import InvalidOpcode, Pms150cError, StackOverflow
from pms150c.image import Image
from pms150c.reference import ReferenceMachine

# random programs stop their clocks often; the warning is tested in tests/test_clocks.py
pytestmark = pytest.mark.filterwarnings("ignore::pms150c.machine.ClockWarning")

Machine = pytest.importorskip("pms150c.machine").Machine

SCALE = float(os.environ.get("PMS150C_FUZZ_SCALE", "1"))
CYCLES = 100_000

ALL_WORDS = np.arange(1 << 13)
VALID_WORDS = np.array([w for w in ALL_WORDS if isa.lookup(int(w)) is not None])
INVALID_WORDS = np.setdiff1d(ALL_WORDS, VALID_WORDS)


def examples(n: int) -> settings:
    return settings(
        max_examples=max(1, int(n * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@st.composite
def roms(draw) -> np.ndarray:
    """1024 words: a seeded random fill, then words hypothesis places (and can shrink).

    The fill is either any 13-bit words (about 5% invalid: runs end early) or valid words
    with invalid ones sprinkled at a chosen rate (runs go on for the full budget).
    """
    seed = draw(st.integers(0, 2**32 - 1))
    invalid_rate = draw(st.sampled_from([None, 0.0, 0.0, 0.0005, 0.002, 0.01]))
    rng = np.random.default_rng(seed)
    if invalid_rate is None:
        words = rng.integers(0, 1 << 13, ROM_WORDS)
    else:
        words = rng.choice(VALID_WORDS, ROM_WORDS)
        sprinkle = rng.random(ROM_WORDS) < invalid_rate
        words[sprinkle] = rng.choice(INVALID_WORDS, int(sprinkle.sum()))
    placed = draw(
        st.dictionaries(
            st.integers(0, ROM_WORDS - 1),
            st.one_of(st.integers(0, (1 << 13) - 1), st.sampled_from(INVALID_WORDS.tolist())),
            max_size=8,
        )
    )
    for address, word in placed.items():
        words[address] = word
    return words.astype(np.uint16)


@st.composite
def start_states(draw) -> dict:
    return {
        "rom": draw(roms()),
        "ram": draw(st.binary(min_size=RAM_BYTES, max_size=RAM_BYTES)),
        "io": draw(st.binary(min_size=IO_REGS, max_size=IO_REGS)),
        # SP (IO 0x02) as drawn, or, more often, a stack that has room to grow
        "sp": draw(st.one_of(st.none(), st.integers(0, 0x1E).map(lambda n: 2 * n))),
        "a": draw(st.integers(0, 255)),
        "pc": draw(st.one_of(st.just(0), st.integers(0, ROM_WORDS - 1))),
        "gie": draw(st.integers(0, 1)),
        "stack_checks": draw(st.booleans()),
    }


def build(state: dict, cls):
    m = cls(Image(state["rom"]), stack_checks=state["stack_checks"])
    m.ram[:] = list(state["ram"])
    for addr, value in enumerate(state["io"]):
        # CLKMD with both oscillators on: a random byte mostly selects a stopped one, and a
        # machine without a clock runs nothing (a reserved code still stops it)
        m.io_poke(addr, value | 0x14 if addr == 0x03 else value)
    if state["sp"] is not None:
        m.io_poke(0x02, state["sp"])
    m.a = state["a"]
    m.pc = state["pc"]
    m.gie = state["gie"]
    return m


def outcome(m, max_cycles: int):
    """The StopReason's kind, or the error's type, pc and cycles (checked for consistency)."""
    try:
        reason = m.run(max_cycles)
    except InvalidOpcode as err:
        assert isa.lookup(err.word) is None, f"{err}: the word is a valid instruction"
        assert err.word == int(m.rom[err.pc])
        assert (err.pc, err.cycles) == (m.pc, m.cycles), "InvalidOpcode must leave pc, cycles"
        return ("InvalidOpcode", err.word, err.pc, err.cycles)
    except StackOverflow as err:
        assert m.stack_checks
        assert err.sp + 1 > 0x3F or err.sp < 2, f"{err}: SP 0x{err.sp:02x} is a valid stack"
        assert (err.pc, err.cycles) == (m.pc, m.cycles)
        return ("StackOverflow", err.sp, err.pc, err.cycles)
    return (getattr(reason, "kind", reason), m.cycles)


def kind_name(result) -> str:
    head = result[0]
    return head if isinstance(head, str) else head.name


def run_to_budget(m, budget: int = CYCLES) -> tuple:
    """Run until `budget` cycles have passed since power-on, a stop, or an error."""
    while True:
        remaining = budget - m.cycles
        if remaining <= 0:
            return ("MAX_CYCLES", m.cycles)
        result = outcome(m, remaining)
        if kind_name(result) != "MAX_CYCLES":
            return (kind_name(result), *result[1:])


@pytest.mark.slow
@examples(400)
@given(start_states())
def test_garbage_rom_and_state_runs_identically_in_both_interpreters(state):
    fast, ref = build(state, Machine), build(state, ReferenceMachine)
    assert fast.snapshot() == ref.snapshot(), "the start states differ"
    got_fast, got_ref = run_to_budget(fast), run_to_budget(ref)
    assert got_fast == got_ref
    a, b = fast.snapshot(), ref.snapshot()
    assert a == b, {k: (a[k], b[k]) for k in a if a[k] != b[k]}


def test_every_invalid_word_stops_both_interpreters_with_its_pc_and_cycle():
    """Each of the invalid encodings, placed after a nop slide, is refused where it sits."""
    for n, word in enumerate(INVALID_WORDS):
        at = 1 + n % 50
        rom = np.zeros(ROM_WORDS, dtype=np.uint16)  # 0x0000 is nop
        rom[at] = word
        for cls in (Machine, ReferenceMachine):
            m = cls(Image(rom))
            with pytest.raises(InvalidOpcode) as info:
                m.run(1000)
            assert (info.value.word, info.value.pc, info.value.cycles) == (word, at, at)
            assert m.pc == at and m.cycles == at, "the refused word must not execute"


# -- invariants of the fast core --------------------------------------------------------------


@examples(500)
@given(start_states(), st.lists(st.integers(1, 20_000), min_size=1, max_size=12))
def test_fast_core_invariants_hold_whatever_the_program_does(state, chunks):
    m = build(state, Machine)
    ram, io, regs = m.ram, m._io, m._regs  # the arrays the jitted core writes into
    before = m.cycles
    for chunk in chunks:
        try:
            m.run(chunk)
        except InvalidOpcode as err:
            assert isa.lookup(err.word) is None and err.pc == m.pc
            break
        except StackOverflow as err:
            assert m.stack_checks, "StackOverflow with stack checks off"
            assert err.sp + 1 > 0x3F or err.sp < 2
            break
        finally:
            assert m.cycles >= before, "cycles went backwards"
            before = m.cycles
            assert m.ram is ram and ram.shape == (RAM_BYTES,) and ram.dtype == np.uint8
            assert m._io is io and io.shape == (IO_REGS,) and io.dtype == np.uint8
            assert m._regs is regs
            snap = m.snapshot()
            assert len(snap["ram"]) == RAM_BYTES and len(snap["io"]) == IO_REGS
            assert 0 <= snap["pc"] < ROM_WORDS and 0 <= snap["sp"] <= 0xFF
        if m.mode in ("stopsys", "clock_stopped"):
            break
    if m.stack_checks:
        # a push needs SP + 1 <= 0x3F, so the highest SP a push leaves is 0x40
        assert m.stack_max <= 0x40, f"a push went past RAM (stack_max 0x{m.stack_max:x})"


@examples(100)
@given(start_states())
def test_step_never_moves_cycles_backwards_or_raises_anything_but_pms150c_errors(state):
    m = build(state, Machine)
    for _ in range(200):
        before = m.cycles
        try:
            m.step()
        except Pms150cError:
            assert m.cycles == before
            break
        assert m.cycles >= before
        assert m.cycles > before or m.mode in ("stopsys", "clock_stopped")


# -- the core with Numba's bounds checks ----------------------------------------------------------

BOUNDSCHECK_SCRIPT = """
import sys
import numba
import numpy as np

assert numba.config.BOUNDSCHECK == 1, "NUMBA_BOUNDSCHECK did not take effect"


@numba.njit
def past_the_end(a):
    return a[len(a)]


try:
    past_the_end(np.zeros(3))
    sys.exit("bounds checks are off: an index past the end did not raise")
except IndexError:
    pass

sys.path.insert(0, "tests")
import test_fuzz

test_fuzz.test_fast_core_invariants_hold_whatever_the_program_does()
test_fuzz.test_step_never_moves_cycles_backwards_or_raises_anything_but_pms150c_errors()
test_fuzz.test_garbage_rom_and_state_runs_identically_in_both_interpreters()
print("bounds-checked fuzz passed")
"""


@pytest.mark.slow
def test_fuzz_passes_with_numba_bounds_checks_on(tmp_path):
    """The CI job of issue 9: the jitted core compiled with NUMBA_BOUNDSCHECK=1 (into its own
    cache folder, so nothing compiled without checks is reused) survives a short fuzz."""
    repo = Path(__file__).resolve().parent.parent
    env = dict(
        os.environ,
        NUMBA_BOUNDSCHECK="1",
        NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"),
        PMS150C_FUZZ_SCALE="0.1",
        PYTHONPATH=str(repo) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    proc = subprocess.run(
        [sys.executable, "-c", BOUNDSCHECK_SCRIPT],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "bounds-checked fuzz passed" in proc.stdout
    assert any((tmp_path / "numba-cache").rglob("*.nbi")), "the core was not compiled afresh"


# -- the parsers: any input ends in the input or a Pms150cError, never another exception --------

ASM_VOCABULARY = (
    "mov a , # 0x 0b 0o 0q 0d 0h 1 255 256 -129 99999999999999999999 - + ( ) * / % << >> | & ^ ~"
    " < > goto call .org .area HOME (ABS) CODE .db .dw .ascii .asciz .include .equ .ds .blkw"
    " .even .optsdcc .module .globl x: x:: 1$: 1$ . = == =: set0 set1 t0sn idxm stt16 ldt16 ret"
    " reti pcadd mov.io sp f z c ac ov af push pop xch s_CODE l_CODE ldsptl mul cneqsn ; '"
    " .macro .endm .rept .irp .irpc .if .ifeq .else .endif .mexit .narg .nchr .mdelete ^/ ?x"
).split() + ['"', "\n", "\r", "\r\n", "\t", "\x00", "\x0c", "\x85", "\u2028", "\xff", "²", "A"]


@examples(1500)
@given(st.lists(st.sampled_from(ASM_VOCABULARY), max_size=40).map(" ".join) | st.text(max_size=80))
def test_the_assembler_never_raises_anything_but_a_located_error(source):
    from pms150c import AssemblerError, assemble

    try:
        image = assemble(source)
    except AssemblerError as err:
        assert err.line >= 0 and err.column >= 0 and "\n" not in str(err)
    else:
        assert image.words.shape == (ROM_WORDS,)


GOOD_HEX = Image(list(range(60))).to_ihx()


@st.composite
def damaged_hex(draw) -> str:
    text = list(GOOD_HEX)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        char = draw(st.sampled_from(list("0123456789ABCDEFabcdef:\n\r G\x00\xff")))
        action = draw(st.sampled_from(["replace", "insert", "delete"]))
        if action == "insert":
            text.insert(at, char)
        elif at < len(text):
            text[at : at + 1] = [char] if action == "replace" else []
    return "".join(text)


@examples(1500)
@given(damaged_hex() | st.text(max_size=100).map(lambda t: ":" + t))
def test_damaged_intel_hex_reads_or_raises_hex_error(text):
    from pms150c import HexError

    try:
        image = Image.from_ihx(text)
    except HexError as err:
        assert "\n" not in str(err)
    else:
        assert image.words.max() <= 0x1FFF


IDX_HEADER = bytes([0, 0, 8, 3]) + (2).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2


@examples(1500)
@given(
    st.binary(max_size=64)
    | st.tuples(st.integers(0, 16), st.binary(min_size=1, max_size=6), st.integers(0, 1600)).map(
        lambda t: IDX_HEADER[: t[0]] + t[1] + IDX_HEADER[t[0] + len(t[1]) :] + bytes(t[2])
    )
)
def test_damaged_idx_files_read_or_raise_data_error(tmp_path_factory, data):
    from pms150c import DataError
    from pms150c.mnist.data import IMAGE_MAGIC, read_idx

    path = tmp_path_factory.mktemp("idx") / "t10k-images-idx3-ubyte"
    path.write_bytes(data)
    try:
        images = read_idx(path, IMAGE_MAGIC)
    except DataError as err:
        assert str(err).startswith(path.name)
    else:
        assert images.dtype == np.uint8 and images.size == len(data) - 16
