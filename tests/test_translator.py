"""The block translator (pms150c/translator.py) against the interpreter it stands in for.

The interpreter is the reference here: every run is made twice, once with
``Machine(translate=False)`` and once with ``translate=True``, and both must end in the same
`snapshot()`, with the same StopReason or error (pc and cycle), the same instruction count
and stack high-water mark. The random programs are those of tests/test_differential.py
(timers, interrupts, sleep, pin changes); each ROM is compiled once and run from several
start states, so the suite runs more than 10,000 translated runs per CI run while compiling
a few thousand small ROMs. PMS150C_DIFF_SCALE scales the example counts as there.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_differential import PLAIN_IO, SCALE, SETUP_REGS, outcome, scenarios, set_up, word

from pms150c import core, translator
from pms150c.device import IO_NAMES, PA_PINS
from pms150c.errors import InvalidOpcode, StackOverflow
from pms150c.image import Image
from pms150c.isa import INSTRUCTIONS
from pms150c.machine import AUTO_TRANSLATE_CYCLES, Machine
from pms150c.state import R_INSTRUCTIONS

STATES_PER_ROM = 5


@pytest.fixture(autouse=True, scope="module")
def _memory_only_cache():
    """Thousands of throw-away ROMs: keep their object files out of the user's cache."""
    old = os.environ.get("PMS150C_CACHE_DIR")
    os.environ["PMS150C_CACHE_DIR"] = "off"
    yield
    if old is None:
        del os.environ["PMS150C_CACHE_DIR"]
    else:
        os.environ["PMS150C_CACHE_DIR"] = old


def examples(n: int) -> settings:
    return settings(
        max_examples=max(1, int(n * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def record(m: Machine) -> dict:
    """Everything a run may differ in."""
    snap = m.snapshot()
    snap["instructions"] = int(m._regs[R_INSTRUCTIONS])
    snap["stack_max"] = m.stack_max
    return snap


def assert_same(plain: Machine, fast: Machine, where: str) -> None:
    a, b = record(plain), record(fast)
    if a != b:
        diff = {k: (a[k], b[k]) for k in a if a[k] != b.get(k)}
        raise AssertionError(f"{where}: interpreter vs translation differ in {diff}")


def pair(rom, stack_checks: bool = True, blank_checks: bool = True) -> tuple[Machine, Machine]:
    image = Image(rom)
    options = {"stack_checks": stack_checks, "blank_checks": blank_checks}
    return Machine(image, translate=False, **options), Machine(image, translate=True, **options)


def run_pair(s: dict) -> None:
    # random programs run into unprogrammed ROM: execute it as the silicon does (it stays
    # interpreted: the translator compiles only programmed words)
    plain, fast = pair(s["rom"], s["stack_checks"], blank_checks=False)
    for m in (plain, fast):
        set_up(m, s)
    wakes = list(s["wake_pins"])
    end = s["cycles"]
    while plain.cycles < end:
        got = outcome(plain.run, end - plain.cycles), outcome(fast.run, end - fast.cycles)
        assert got[0] == got[1], f"run up to {end} from cycle {plain.cycles}"
        assert_same(plain, fast, f"after a run to cycle {plain.cycles}")
        if got[0][0] != "ok" or plain.mode != "stopsys" or not wakes:
            break
        pin, level = wakes.pop()
        plain.set_pin(pin, level)
        fast.set_pin(pin, level)


SETUP_ADDRESSES = {IO_NAMES[r] for r in SETUP_REGS}
RESTART_BYTES = 126


def restart(first: dict, b: bytes) -> dict:
    """Another start for the ROM of scenario `first`, decoded from one byte string (cheap to
    draw, still shrinkable): new RAM, A, T16, plain IO values, FLAG, SP, pins, pin changes,
    run length and stack checks, in the ranges of `scenarios`; `first`'s peripheral set-up
    is kept."""
    pokes = dict(zip(PLAIN_IO, b[67 : 67 + len(PLAIN_IO)], strict=True))
    pokes |= {k: v for k, v in first["pokes"].items() if k in SETUP_ADDRESSES}
    pokes[IO_NAMES["flag"]] = b[90] & 15
    pokes[IO_NAMES["sp"]] = 0x28 + 2 * (b[91] % 12)
    pins = dict(zip(PA_PINS, b[92:98], strict=True))
    length, value = b[98] % 100, b[99] << 8 | b[100]
    if length < 2:
        cycles = 8000 + value % 10001
    elif length < 20:
        cycles = 800 + value % 3201
    else:
        cycles = 1 + value % 800
    schedule = []
    for i in range(b[101] % 7):
        c0, c1, c2 = b[102 + 3 * i : 105 + 3 * i]
        schedule.append(((c0 << 8 | c1) % (cycles + 1), PA_PINS[c2 % 6], c2 >> 4 & 1))
    wakes = [(PA_PINS[x % 6], x >> 4 & 1) for x in b[122 : 122 + b[121] % 4]]
    return {
        "rom": first["rom"],
        "ram": b[:64],
        "a": b[64],
        "t16": (b[65] | b[66] << 8) if b[65] & 1 else b[66],
        "pokes": pokes,
        "pins": {pin: level & 1 for pin, level in pins.items() if level & 2},
        "schedule": schedule,
        "cycles": cycles,
        "stack_checks": bool(b[120] & 1),
        "wake_pins": wakes,
    }


@st.composite
def shared_rom(draw, peripherals: bool) -> list[dict]:
    """Several starts of one ROM: one compile serves them all."""
    first = draw(scenarios(peripherals))
    blobs = draw(
        st.lists(
            st.binary(min_size=RESTART_BYTES, max_size=RESTART_BYTES),
            min_size=STATES_PER_ROM - 1,
            max_size=STATES_PER_ROM - 1,
        )
    )
    return [first, *(restart(first, b) for b in blobs)]


@examples(1000)
@given(shared_rom(peripherals=False))
def test_random_programs_run_the_same_translated(group):
    for s in group:
        run_pair(s)


@examples(1100)
@given(shared_rom(peripherals=True))
def test_random_programs_with_peripherals_run_the_same_translated(group):
    for s in group:
        run_pair(s)


@examples(300)
@given(scenarios(peripherals=True), st.lists(st.integers(1, 60), min_size=1, max_size=30))
def test_translated_runs_in_pieces_match_one_interpreted_run(s, pieces):
    """Pieces end the translated stretches at arbitrary cycles (the run's end is an event)."""
    plain, fast = pair(s["rom"], s["stack_checks"], blank_checks=False)
    for m in (plain, fast):
        set_up(m, s)
    end = sum(pieces)
    reference = outcome(plain.run, end)
    got, target = ("ok", None), 0
    for piece in pieces:
        target += piece
        if fast.cycles < target:
            got = outcome(fast.run, target - fast.cycles)
        if got[0] != "ok" or fast.mode == "stopsys":
            break
    if reference[0] == "ok":
        assert got[0] == "ok", got
    else:
        assert got == reference
    assert_same(plain, fast, f"after {len(pieces)} pieces")


# -- instruction by instruction, from the ISA table ---------------------------------------

BLOCK = 3  # words per test block: the instruction, a follower, stopsys
TABLE = 1  # word 0 is `pcadd a`, the `goto block` table follows (its words are entries)
FOLLOWERS = ["XOR_A_K", "ADD_M_A", "INC_M", "MOV_A_M", "SL_A", "SET1_M"]


def _operands(instr, block: int, variant: int) -> tuple[int, ...]:
    """Operand values for one test block: targets inside the block, the rest spread."""
    values = []
    for kind in instr.fields:
        if kind.name == "K":
            values.append(block + 2)  # the block's own stopsys
        elif kind.name == "IO":  # the CPU registers FLAG and SP (compiled) or others
            values.append((IO_NAMES["flag"], IO_NAMES["sp"], IO_NAMES["intrq"])[variant % 3])
        elif kind.name == "n":
            values.append((3 * variant + 1) % 8)
        elif kind.name == "k":
            values.append((0x5A * (variant + 1)) & 0xFF)
        else:  # RAM addresses: low, middle, the top (under the stack), odd/even words
            choices = (0x02, 0x21, 0x0E, 0x3E) if kind.name in ("M", "MW") else (0x02, 0x0B)
            values.append(choices[variant % len(choices)] & kind.max_value)
    return tuple(values)


def _table_rom() -> tuple[list[int], list[int]]:
    """Every PMS150C instruction form with a few operand sets, each in its own block."""
    forms = [i for i in INSTRUCTIONS if i.pms150c and i.op not in ("STOPSYS",)]
    blocks: list[tuple] = [(i, v) for i in forms for v in range(3)]
    first = TABLE + len(blocks)
    rom = [word("PCADD_A")]
    starts = []
    for n in range(len(blocks)):
        starts.append(first + BLOCK * n)
        rom.append(word("GOTO", first + BLOCK * n))
    for n, (instr, variant) in enumerate(blocks):
        start = first + BLOCK * n
        follower = INSTRUCTIONS[[i.op for i in INSTRUCTIONS].index(FOLLOWERS[n % len(FOLLOWERS)])]
        follower_word = follower.encode(*_operands(follower, start, variant))
        rom += [instr.encode(*_operands(instr, start, variant)), follower_word, word("STOPSYS")]
    assert len(rom) <= 0x3F0
    return rom, starts


TABLE_ROM, TABLE_STARTS = _table_rom()


@examples(2000)
@given(
    st.integers(0, len(TABLE_STARTS) - 1),
    st.binary(min_size=64, max_size=64),
    st.integers(0, 255),
    st.integers(0, 15),
    st.sampled_from(range(0x04, 0x3F, 2)),
    st.booleans(),
)
def test_each_instruction_form_runs_the_same_translated(block, ram, a, flags, sp, stack_checks):
    """One ROM holds every instruction form (a skip followed by a compiled follower, so
    skip pairs run as if/else); a run starts at the block's `goto` in the table, from a
    random state, with the return address of a `ret` pointing back into the block."""
    plain, fast = pair(TABLE_ROM, stack_checks)
    start = TABLE_STARTS[block]
    for m in (plain, fast):
        m.ram[:] = list(ram)
        m.ram[(sp - 2) & 0x3F] = (start + 2) & 0xFF  # where `ret` goes back to
        m.ram[(sp - 1) & 0x3F] = (start + 2) >> 8
        m.a, m.flags, m.sp, m.pc = a, flags, sp, TABLE + block
    got = outcome(plain.run, 200), outcome(fast.run, 200)
    assert got[0] == got[1]
    assert_same(plain, fast, f"block {block} at 0x{start:03x}")


def test_the_table_rom_is_compiled_where_it_should_be():
    """The check above means something only if the compiled code runs: the interpreter's
    copy of every compiled word is made invalid, so a word the interpreter executed
    itself would stop the run with InvalidOpcode."""
    image = Image(TABLE_ROM)
    m = Machine(image, translate=True)
    t = translator.translate(m._clean, written=image.written)
    pl = translator.plan(m._clean, written=image.written)
    compiled = np.flatnonzero(pl.compiled)
    assert len(compiled) > 200  # most forms compile; IO, stt16, engint... do not
    poisoned = m._clean.copy()
    poisoned[compiled] = core.OP_INVALID
    for block, start in enumerate(TABLE_STARTS):
        if not pl.compiled[start] or pl.words[start].op in ("RET", "RET_K", "PCADD_A"):
            continue  # computed jumps go wherever the state says
        probe = Machine(image, translate=True)
        probe.sp = 0x30
        probe.pc = TABLE + block
        status = core.run(
            poisoned, probe._ram, probe._io, probe._regs, probe._sched, 200, True, None, t.blocks
        )
        assert status != core.ST_INVALID, f"block {block}: the interpreter ran a compiled word"


# -- whole programs ----------------------------------------------------------------------


def test_a_stack_overflow_in_compiled_code_stops_where_the_interpreter_stops():
    rom = [word("MOV_A_K", 0x10), word("MOV_IO_A", IO_NAMES["sp"]), word("CALL", 2)]
    plain, fast = pair(rom)
    errors = []
    for m in (plain, fast):
        with pytest.raises(StackOverflow) as info:
            m.run(10_000)
        errors.append((info.value.pc, info.value.cycles, info.value.sp))
    assert errors[0] == errors[1] == (2, 2 + 24 * 2, 0x40)
    assert_same(plain, fast, "after the overflow")


def test_a_delay_loop_ends_on_the_cycle_of_its_limit():
    """A dzsn/goto loop runs translated between events; every limit ends the same way."""
    rom = [
        word("MOV_A_K", 0x34),
        word("MOV_IO_A", IO_NAMES["clkmd"]),  # 8 MHz, watchdog off
        word("MOV_A_K", 200),
        word("MOV_M_A", 0x10),
        word("DZSN_M", 0x10),
        word("GOTO", 4),
        word("GOTO", 2),
    ]
    for limit in (1, 7, 100, 601, 602, 603, 10_000, 123_457):
        plain, fast = pair(rom)
        assert plain.run(limit) == fast.run(limit)
        assert_same(plain, fast, f"run({limit})")


MNIST_CI_IMAGES = 400


def _mnist_batches(n: int):
    from pms150c.mnist.kernel import shipped_kernel
    from pms150c.mnist.model import shipped_test_set

    kernel = shipped_kernel()
    x, _ = shipped_test_set(kernel.kind)
    words = kernel.encode(x[:n])
    outs = []
    for translate in (False, True):
        m = Machine(kernel.image, translate=translate)
        outs.append(m.run_batch(kernel.slot, words, 2_000_000))
    return outs


def _assert_batches_agree(plain: dict, fast: dict) -> None:
    assert plain.keys() == fast.keys()
    for key in plain:
        assert np.array_equal(plain[key], fast[key]), key


def test_mnist_kernel_batches_agree_on_the_first_test_images():
    """The image slot is rewritten per run: the translation reads it at run time."""
    plain, fast = _mnist_batches(MNIST_CI_IMAGES)
    _assert_batches_agree(plain, fast)
    assert (plain["status"] == "stopsys").all()


@pytest.mark.slow
def test_mnist_kernel_batches_agree_on_all_10000_test_images():
    plain, fast = _mnist_batches(10_000)
    _assert_batches_agree(plain, fast)


# -- the Machine's choice and the caches --------------------------------------------------


def test_auto_mode_interprets_short_runs_and_translates_long_ones():
    rom = [word("MOV_A_K", 0x34), word("MOV_IO_A", IO_NAMES["clkmd"]), word("GOTO", 2)]
    m = Machine(Image(rom))
    m.run(1_000_000)
    assert m._translation is None
    m.run(AUTO_TRANSLATE_CYCLES)
    m.run(1000)
    assert m._translation is not None
    reference = Machine(Image(rom), translate=False)
    reference.run(m.cycles)
    assert_same(reference, m, "after the auto switch")


def test_breakpoints_and_watchpoints_stop_translated_machines_as_before():
    rom = [word("NOP"), word("INC_M", 5), word("NOP"), word("GOTO", 0)]
    m = Machine(Image(rom), translate=True)
    m.breakpoints.add(2)
    assert m.run(1000).pc == 2
    m.breakpoints.discard(2)
    m.watch_ram(5)
    reason = m.run(1000)
    assert (reason.address, reason.instruction_pc, m.ram[5]) == (5, 1, 2)


def test_translate_must_be_a_bool_or_none():
    from pms150c.errors import ArgumentError

    with pytest.raises(ArgumentError, match="translate"):
        Machine(Image([0]), translate="yes")
    m = Machine(Image([0]), translate=1)
    assert m.translate is True
    m.translate = None
    with pytest.raises(ArgumentError, match="translate"):
        m.translate = 2


def test_a_translation_is_compiled_once_and_loaded_from_disk_after(tmp_path, monkeypatch):
    monkeypatch.setenv("PMS150C_CACHE_DIR", str(tmp_path))
    image = Image([word("INC_M", 3), word("GOTO", 0)])
    machine = Machine(image)  # what a Machine translates: blank words are BREAK, and the
    packed, written = machine._clean, machine._written()  # factory words count as written
    first = translator.translate(packed, written=written)
    assert translator.translate(packed, written=written) is first  # in memory
    assert len(list(tmp_path.glob("*.o"))) == 1
    translator._loaded.clear()

    def no_compiling(ir):
        raise AssertionError("compiled again")

    monkeypatch.setattr(translator, "compile_ir", no_compiling)
    again = translator.translate(packed, written=written)  # from disk
    assert again is not first and np.array_equal(again.remaining, first.remaining)
    m = Machine(image, translate=True)
    m.run(3000)
    assert m.ram[3] == 3000 // 3 % 256


def test_the_cache_key_covers_the_volatile_words_and_the_written_mask():
    packed = core.predecode(Image([word("INC_M", 3), word("GOTO", 0)]).words)
    written = np.zeros(1024, dtype=bool)
    written[:2] = True
    keys = {
        translator._key(packed, None, None),
        translator._key(packed, (0, 1), None),
        translator._key(packed, None, written),
    }
    assert len(keys) == 3


# -- batches in threads -------------------------------------------------------------------


def test_a_batch_split_over_threads_gives_the_results_of_one_call():
    plain, fast = _mnist_batches(300)
    from pms150c.mnist.kernel import shipped_kernel
    from pms150c.mnist.model import shipped_test_set

    kernel = shipped_kernel()
    x, _ = shipped_test_set(kernel.kind)
    words = kernel.encode(x[:300])
    for translate, reference in ((False, plain), (True, fast)):
        m = Machine(kernel.image, translate=translate)
        for jobs in (2, 3):
            _assert_batches_agree(reference, m.run_batch(kernel.slot, words, 2_000_000, jobs=jobs))


def test_a_failing_run_in_a_later_thread_is_named_by_its_row():
    image = Image([word("MOV_A_K", 0x30), word("MOV_IO_A", IO_NAMES["sp"]), word("GOTO", 3), 0])
    words = np.array([[word("STOPSYS")]] * 9 + [[0x0001]] + [[word("STOPSYS")]] * 4)
    assert (
        Machine(image).run_batch(3, words[:9], 1000, jobs=2)["status"].tolist() == ["stopsys"] * 9
    )
    with pytest.raises(InvalidOpcode) as info:
        Machine(image).run_batch(3, words, 1000, jobs=2)
    assert (info.value.run, info.value.pc, info.value.word) == (9, 3, 0x0001)
