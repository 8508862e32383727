"""Speed figures of the pms150c simulator, printed as one table (or JSON with --json).

    python benchmarks/bench.py [--json] [--quick] [--skip-harness]

What it measures (docs/performance.md explains each figure and records the last run):

* simulated instructions/s and cycles/s of the jitted core on a tight delay loop, on
  benchmarks/mixed.asm (every instruction class, timers and interrupts running) and on the
  MNIST kernel asm/mnist.asm (many images per jitted call, `Machine.run_batch`);
* the same for the plain-Python reference interpreter, and the ratio between the two;
* cold compile (a new process with NUMBA_CACHE_DIR pointed at an empty directory) and warm
  start (a new process with the cache filled: import, load firmware, run one instruction);
* observation against the plain interpreter on the same runs: firmware checks,
  break_when data conditions and predicates, the debug variant (benchmarks/observe.py);
* wall time and images/s of the full 10,000-image test set through
  ``python -m pms150c.run`` with 1 and 2 jobs.

Instruction counts come from the core's debug variant (its per-pc profile) on the very same
runs; timed runs use the fast variant. Every timing is the best of several repeats because
the machine is shared; the load average at the start is recorded with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # run from a checkout without installing

MIXED_ASM = REPO / "benchmarks" / "mixed.asm"
TEST_IMAGES = 10_000

# A delay loop as firmware writes it: 8 MHz, watchdog off, an inner dzsn/goto loop.
TIGHT_LOOP = """
        .area CODE (ABS)
        .org 0
        mov a, #0x34
        mov.io 0x03, a
outer:  mov a, #200
        mov 0x10, a
inner:  dzsn 0x10
        goto inner
        goto outer
"""

# Run in a fresh interpreter for the cold/warm start figures: import, load firmware, run
# the first instruction (then, separately timed, the batch and debug variants).
START_SCRIPT = r"""
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, sys.argv[1])
import pms150c
t1 = time.perf_counter()
m = pms150c.Machine.from_asm(sys.argv[2])
t2 = time.perf_counter()
m.step()
t3 = time.perf_counter()
out = {"import_s": t1 - t0, "load_s": t2 - t1, "first_step_s": t3 - t2, "start_s": t3 - t0}
if sys.argv[3] == "all":
    import numpy as np
    m.run_batch(0x40, np.zeros((1, 1), dtype=np.int64), 100)
    t4 = time.perf_counter()
    m.enable_profile()
    m.step()
    t5 = time.perf_counter()
    pms150c.Machine.from_asm(sys.argv[2], translate=True).run(1000)
    t6 = time.perf_counter()
    out.update(batch_compile_s=t4 - t3, debug_compile_s=t5 - t4, translator_s=t6 - t5)
print(json.dumps(out))
"""


# -- the machine -------------------------------------------------------------------------


def machine_info() -> dict:
    import numba
    import numpy

    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "commit": commit or "unknown",
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "numba": numba.__version__,
        "platform": platform.platform(),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }


def best_time(fn, repeats: int) -> float:
    return best_times(fn, repeats)[0]


def best_times(fn, repeats: int) -> tuple[float, float]:
    """(best wall seconds, best CPU seconds of this process) over `repeats` calls. On a
    shared machine the CPU time is the steadier figure: it leaves out the time the process
    waited for a core."""
    wall = cpu = float("inf")
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall = min(wall, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
    return wall, cpu


# -- programs ----------------------------------------------------------------------------


def tight_image():
    from pms150c import assemble

    return assemble(TIGHT_LOOP, "tight-loop")


def mixed_image():
    from pms150c import assemble_file

    return assemble_file(MIXED_ASM)


def mnist_kernel():
    """(image, image_slot word address, slot words [n, 32]) or a reason it is not there."""
    from pms150c.mnist.kernel import shipped_kernel
    from pms150c.mnist.model import shipped_test_set

    try:
        kernel = shipped_kernel()
        x, _labels = shipped_test_set(kernel.kind)
        return (kernel.image, kernel.slot, kernel.encode(x)), ""
    except Exception as exc:  # noqa: BLE001 - any failure means "no kernel to measure"
        return None, f"the MNIST kernel does not build: {exc}"


# -- core and reference throughput ---------------------------------------------------------


def count_loop(image, cycles: int) -> tuple[int, int, dict]:
    """(instructions, cycles, snapshot) of a run from power-on, counted by the debug core."""
    from pms150c import Machine

    m = Machine(image, translate=False)
    m.enable_profile()
    m.run(cycles)
    return int(m.profile_counts[0].sum()), m.cycles, m.snapshot()


def measure_loop(image, cycles: int, repeats: int) -> dict:
    from pms150c import Machine

    Machine(image, translate=False).run(1000)  # load or compile the fast variant outside the timing
    instructions, done, snap = count_loop(image, cycles)
    machines = [Machine(image, translate=False) for _ in range(repeats)]
    it = iter(machines)
    seconds, cpu = best_times(lambda: next(it).run(cycles), repeats)
    if any(m.snapshot() != snap for m in machines):
        raise RuntimeError("the fast and debug variants disagree")
    return rate(instructions, done, seconds, cpu)


def measure_reference_loop(image, cycles: int) -> dict:
    from pms150c.reference import ReferenceMachine

    instructions, done, snap = count_loop(image, cycles)
    r = ReferenceMachine(image)
    seconds = best_time(lambda: r.run(cycles), 1)
    if r.snapshot() != snap:
        raise RuntimeError("the reference and the core disagree")
    return rate(instructions, done, seconds)


def image_with_slot(image, slot: int, words):
    from pms150c import Image

    rom = image.words.copy()
    rom[slot : slot + len(words)] = words
    return Image(rom)


def count_mnist(image, slot: int, words) -> tuple[int, int]:
    from pms150c import Machine, StopReason

    instructions = cycles = 0
    for row in words:
        m = Machine(image_with_slot(image, slot, row), translate=False)
        m.enable_profile()
        if m.run(10_000_000) != StopReason.STOPSYS:
            raise RuntimeError("the MNIST kernel did not stop")
        instructions += int(m.profile_counts[0].sum())
        cycles += m.cycles
    return instructions, cycles


def measure_mnist(kernel, n_images: int, n_checked: int, repeats: int) -> dict:
    """All `n_images` in one run_batch call; the instruction count is the batch's own
    counter, checked against the debug variant's profile on the first `n_checked` images."""
    from pms150c import Machine

    image, slot, words = kernel
    words = words[:n_images]
    m = Machine(image, translate=False)
    m.run_batch(slot, words[:1], 10_000_000)  # load or compile outside the timing
    result = {}

    def batch():
        result.update(m.run_batch(slot, words, 10_000_000))

    seconds, cpu = best_times(batch, repeats)
    cycles = int(result["cycles"].sum())
    instructions = int(result["instructions"].sum())
    checked = count_mnist(image, slot, words[:n_checked])
    batch_count = (
        int(result["instructions"][:n_checked].sum()),
        int(result["cycles"][:n_checked].sum()),
    )
    if checked != batch_count:
        raise RuntimeError("run_batch and the debug variant disagree")
    out = rate(instructions, cycles, seconds, cpu)
    out.update(images=len(words), cycles_per_image=cycles / len(words))
    return out


def measure_reference_mnist(kernel, n_images: int) -> dict:
    from pms150c.reference import ReferenceMachine

    image, slot, words = kernel
    words = words[:n_images]
    instructions, cycles = count_mnist(image, slot, words)
    machines = [ReferenceMachine(image_with_slot(image, slot, row)) for row in words]
    t = time.perf_counter()
    for r in machines:
        r.run(10_000_000)
    seconds = time.perf_counter() - t
    if sum(r.cycles for r in machines) != cycles:
        raise RuntimeError("the reference and the core disagree on cycles")
    return rate(instructions, cycles, seconds)


def rate(instructions: int, cycles: int, seconds: float, cpu: float | None = None) -> dict:
    out = {
        "instructions": instructions,
        "cycles": cycles,
        "seconds": seconds,
        "minstr_per_s": instructions / seconds / 1e6,
        "mcycles_per_s": cycles / seconds / 1e6,
    }
    if cpu is not None:
        out.update(cpu_seconds=cpu, minstr_per_cpu_s=instructions / cpu / 1e6)
    return out


# -- the block translator ------------------------------------------------------------------


def dense_source(words: int = 1000, seed: int = 1) -> str:
    """A ROM-filling program of real code, for the translator's compile time: loops of ALU,
    RAM, bit and skip instructions, each counting a RAM byte down and calling one of four
    small subroutines; the loops run one after the other, the last jumps back to the first."""
    import numpy as np

    rng = np.random.default_rng(seed)
    body = [
        "add 0x{m:02x}, a", "addc a, 0x{m:02x}", "sub a, #0x{k:02x}", "xor 0x{m:02x}, a",
        "sl 0x{m:02x}", "src a", "t0sn 0x{b:02x}, #{n}", "inc 0x{m:02x}", "mov a, 0x{m:02x}",
        "and a, #0x{k:02x}", "ceqsn a, 0x{m:02x}", "idxm a, 0x{w:02x}", "swap a",
        "set1 0x{b:02x}, #{n}", "t1sn 0x{b:02x}, #{n}", "neg 0x{m:02x}",
    ]  # fmt: skip
    start = [".area CODE (ABS)", ".org 0", "mov a, #0x34", "mov.io 0x03, a", "mov a, #0x30"]
    lines = ["        " + line for line in start + ["mov.io 0x02, a"]]
    n, loop = 6, 0
    while n < words - 40:
        lines += [f"        mov a, #{rng.integers(2, 9)}", "        mov 0x3a, a", f"loop{loop}:"]
        for _ in range(int(rng.integers(12, 30))):
            fields = {
                "m": int(rng.integers(0, 0x28)), "k": int(rng.integers(256)),
                "b": int(rng.integers(0, 15)), "n": int(rng.integers(8)),
                "w": 2 * int(rng.integers(0, 15)),
            }  # fmt: skip
            lines.append("        " + body[rng.integers(len(body))].format(**fields))
            n += 1
        lines += [f"        call sub{loop % 4}", "        dzsn 0x3a", f"        goto loop{loop}"]
        n += 6
        loop += 1
    lines.append("        goto loop0")
    for i in range(4):
        lines += [f"sub{i}:", f"        add a, #{i + 1}", "        xch 0x20", "        ret"]
    return "\n".join(lines) + "\n"


def dense_image():
    from pms150c import assemble

    return assemble(dense_source(), "dense-1k")


def _run_cpu(image, cycles: int, translate: bool) -> tuple[float, int, dict]:
    """(CPU seconds, instructions, snapshot) of one run from power-on."""
    from pms150c import Machine
    from pms150c.state import R_INSTRUCTIONS

    m = Machine(image, translate=translate)
    c = time.process_time()
    m.run(cycles)
    cpu = time.process_time() - c
    return cpu, int(m._regs[R_INSTRUCTIONS]), m.snapshot()


def measure_translated_loop(image, cycles: int, repeats: int) -> dict:
    """The interpreter and the translation on the same run, alternating, best CPU time of
    each; both must end in the same state after the same instructions."""
    _run_cpu(image, 1000, False), _run_cpu(image, 1000, True)  # compile outside the timing
    best = {False: float("inf"), True: float("inf")}
    ends = {}
    for _ in range(repeats):
        for translate in (False, True):
            cpu, instructions, snap = _run_cpu(image, cycles, translate)
            best[translate] = min(best[translate], cpu)
            ends[translate] = (instructions, snap)
    instructions = ends[False][0]
    return {
        "instructions": instructions,
        "interp_minstr_per_cpu_s": instructions / best[False] / 1e6,
        "translated_minstr_per_cpu_s": instructions / best[True] / 1e6,
        "ratio": best[False] / best[True],
        "identical": ends[False] == ends[True],
    }


def measure_translated_mnist(kernel, n_images: int, repeats: int) -> dict:
    """All `n_images` through run_batch interpreted and translated (alternating, best CPU
    time); every output of every run must be equal."""
    import numpy as np

    from pms150c import Machine

    image, slot, words = kernel
    words = words[:n_images]
    machines = {t: Machine(image, translate=t) for t in (False, True)}
    for m in machines.values():
        m.run_batch(slot, words[:1], 10_000_000)
    best = {False: float("inf"), True: float("inf")}
    outs = {}
    for _ in range(repeats):
        for translate, m in machines.items():
            c = time.process_time()
            outs[translate] = m.run_batch(slot, words, 10_000_000)
            best[translate] = min(best[translate], time.process_time() - c)
    a, b = outs[False], outs[True]
    mismatched = np.zeros(len(words), dtype=bool)
    for key in a:
        differs = a[key] != b[key]
        mismatched |= differs.reshape(len(words), -1).any(axis=1)
    instructions = int(a["instructions"].sum())
    return {
        "images": len(words),
        "instructions": instructions,
        "interp_minstr_per_cpu_s": instructions / best[False] / 1e6,
        "translated_minstr_per_cpu_s": instructions / best[True] / 1e6,
        "ratio": best[False] / best[True],
        "identical": not mismatched.any(),
        "mismatched_images": int(mismatched.sum()),
    }


def measure_translation_compile(images: dict, slots: dict, repeats: int) -> dict:
    """Translate + compile each ROM into an empty cache (cold), then load it from the disk
    cache with the in-memory cache emptied (cached); best of `repeats`. The interpreter's
    translated variant is compiled (or loaded by Numba) before the timing."""
    from pms150c import Machine, translator

    out = {}
    old = os.environ.get("PMS150C_CACHE_DIR")
    try:
        for name, image in images.items():
            m = Machine(image, translate=True)
            volatile = slots.get(name)
            written = m._written()
            if volatile is not None:
                written[volatile[0] : volatile[1]] = True
            cold = cached = float("inf")
            for _ in range(repeats):
                with tempfile.TemporaryDirectory(prefix="pms150c-translations-") as folder:
                    os.environ["PMS150C_CACHE_DIR"] = folder
                    translator._loaded.clear()
                    t = time.perf_counter()
                    translator.translate(m._clean, volatile, written)
                    cold = min(cold, time.perf_counter() - t)
                    translator._loaded.clear()
                    t = time.perf_counter()
                    translator.translate(m._clean, volatile, written)
                    cached = min(cached, time.perf_counter() - t)
            plan = translator.plan(m._clean, volatile, written)
            out[name] = {
                "words": int(image.used_words),
                "compiled": int(plan.compiled.sum()),
                "cold_s": cold,
                "cached_s": cached,
            }
    finally:
        translator._loaded.clear()
        if old is None:
            os.environ.pop("PMS150C_CACHE_DIR", None)
        else:
            os.environ["PMS150C_CACHE_DIR"] = old
    return out


# -- calls -------------------------------------------------------------------------------

# A 10-instruction routine: a 16-bit add and a few moves, called with four RAM inputs.
CALL_SOURCE = """
        .area CODE (ABS)
        .org 0
        goto main
main:   stopsys
add16:  mov a, 0x12
        add 0x10, a
        mov a, 0x13
        addc 0x11, a
        mov a, 0x10
        xor a, #0x00
        mov 0x14, a
        mov a, 0x11
        nop
        ret
"""


def measure_calls(n: int, examples: int) -> dict:
    """Machine.call against the same done with the ordinary API (reset, set the inputs and
    a return address, run to a breakpoint, read the outputs), per call; and a hypothesis
    test of the routine (two 16-bit inputs per example), examples per second."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from pms150c import Machine, assemble

    image = assemble(CALL_SOURCE)
    m = Machine(image)
    entry = image.labels["add16"]
    ram = {0x10: 0xF0, 0x11: 1, 0x12: 0x20, 0x13: 2}

    def fast():
        r = m.call("add16", ram=ram, sp=0x30)
        return r.a, r.ram[0x10], r.cycles

    by_hand_machine = Machine(image, blank_checks=False)
    by_hand_machine.breakpoints.add(0x3FF)

    def by_hand():
        h = by_hand_machine
        h.reset()
        h.ram[0x10], h.ram[0x11], h.ram[0x12], h.ram[0x13] = 0xF0, 1, 0x20, 2
        h.ram[0x30], h.ram[0x31] = 0xFF, 0x03  # the return address
        h.sp, h.pc = 0x32, entry
        h.run(1000)
        return h.a, int(h.ram[0x10]), h.cycles

    from pms150c.testing import call

    def helper():  # pms150c.testing.call: names, C arguments and results on top
        r = call(m, "add16", ram=ram, sp=0x30)
        return r.a, r.ram[0x10], r.cycles

    if not fast() == by_hand() == helper():
        raise RuntimeError("Machine.call, testing.call and the call by hand disagree")
    timings = {}
    for name, fn in (("call", fast), ("helper", helper), ("by_hand", by_hand)):
        count = n if name != "by_hand" else n // 4
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            for _ in range(count):
                fn()
            best = min(best, (time.perf_counter() - t) / count)
        timings[name] = best

    @settings(max_examples=examples, deadline=None, database=None)
    @given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF))
    def add16_adds(x, y):
        r = m.call("add16", ram={0x10: x & 0xFF, 0x11: x >> 8, 0x12: y & 0xFF, 0x13: y >> 8})
        assert r.u16(0x10) == (x + y) & 0xFFFF

    @settings(max_examples=examples, deadline=None, database=None)
    @given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF))
    def add16_adds_by_helper(x, y):
        r = call(m, "add16", ram={0x10: x & 0xFF, 0x11: x >> 8, 0x12: y & 0xFF, 0x13: y >> 8})
        assert r.u16(0x10) == (x + y) & 0xFFFF

    @settings(max_examples=examples, deadline=None, database=None)
    @given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF))
    def no_simulation(x, y):  # hypothesis's own cost per example, for comparison
        assert (x + y) & 0xFFFF >= 0

    rates = {}
    tests = (("routine", add16_adds), ("helper", add16_adds_by_helper), ("empty", no_simulation))
    for name, test in tests:
        test()  # hypothesis warms up
        t = time.perf_counter()
        test()
        rates[name] = examples / (time.perf_counter() - t)
    return {
        "call_us": timings["call"] * 1e6,
        "helper_call_us": timings["helper"] * 1e6,
        "by_hand_us": timings["by_hand"] * 1e6,
        "ratio": timings["by_hand"] / timings["call"],
        "hypothesis_examples": examples,
        "hypothesis_examples_per_s": rates["routine"],
        "hypothesis_empty_examples_per_s": rates["empty"],
        "hypothesis_helper_examples_per_s": rates["helper"],
    }


# -- two cores ---------------------------------------------------------------------------


def measure_batch_scaling(kernel, n_images: int, repeats: int) -> dict:
    """Machine.run_batch over `n_images` with jobs=1 and jobs=2 (threads), alternating, best
    wall time of each, interpreted and translated; the results must be equal."""
    import numpy as np

    from pms150c import Machine

    image, slot, words = kernel
    words = words[:n_images]
    out = {}
    for translate in (False, True):
        m = Machine(image, translate=translate)
        m.run_batch(slot, words[:100], 10_000_000, jobs=2)
        best = {1: float("inf"), 2: float("inf")}
        cpu = {}
        results = {}
        for _ in range(repeats):
            for jobs in (1, 2):
                t, c = time.perf_counter(), time.process_time()
                results[jobs] = m.run_batch(slot, words, 10_000_000, jobs=jobs)
                wall = time.perf_counter() - t
                if wall < best[jobs]:
                    best[jobs], cpu[jobs] = wall, time.process_time() - c
        same = all(np.array_equal(results[1][k], results[2][k]) for k in results[1])
        out["translated" if translate else "interpreted"] = {
            "jobs1_wall_s": best[1],
            "jobs2_wall_s": best[2],
            "jobs1_cpu_s": cpu[1],
            "jobs2_cpu_s": cpu[2],
            "scaling": best[1] / best[2],
            "identical": same,
        }
    return out


# -- start-up ----------------------------------------------------------------------------


def start_process(cache_dir: str | None, what: str) -> dict:
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", START_SCRIPT, str(REPO), str(MIXED_ASM), what],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t
    if proc.returncode:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1])
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_wall_s"] = wall
    return out


def measure_cold(repeats: int) -> dict:
    best = None
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="pms150c-numba-") as cache:
            out = start_process(cache, "all")
        if best is None or out["start_s"] < best["start_s"]:
            best = out
    return best


def measure_warm(repeats: int) -> dict:
    start_process(None, "all")  # fill the cache (a no-op when it is already filled)
    best = None
    for _ in range(repeats):
        out = start_process(None, "first")
        if best is None or out["process_wall_s"] < best["process_wall_s"]:
            best = out
    return best


# -- the harness --------------------------------------------------------------------------


def measure_harness(jobs: int) -> dict:
    """The whole process's wall time, and the harness's own simulation wall time (its
    --json "wall_s": the batches, without start-up, data loading and the reference)."""
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pms150c.run", "--jobs", str(jobs), "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t
    if proc.returncode:
        tail = (proc.stderr or proc.stdout).strip().splitlines()
        raise RuntimeError(tail[-1] if tail else f"exit status {proc.returncode}")
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    return {
        "jobs": jobs,
        "wall_s": wall,
        "images_per_s": TEST_IMAGES / wall,
        "simulation_s": report["wall_s"],
        "accuracy": report["accuracy"],
    }


# -- driver ------------------------------------------------------------------------------


def run_all(quick: bool, harness: bool, log) -> dict:
    repeats = 2 if quick else 5
    loop_cycles = 20_000_000 if quick else 200_000_000
    ref_cycles = 100_000 if quick else 400_000
    mnist_images = 1000 if quick else 10_000
    mnist_checked = 50 if quick else 300
    ref_images = 1 if quick else 3
    results: dict = {"machine": machine_info(), "quick": quick, "notes": []}
    notes = results["notes"]

    log("cold and warm start (new processes)")
    results["cold"] = measure_cold(1 if quick else 2)
    results["warm"] = measure_warm(3 if quick else 5)

    log("core and reference: tight loop, mixed program")
    core, ref = {}, {}
    for name, image in (("tight loop", tight_image()), ("mixed", mixed_image())):
        core[name] = measure_loop(image, loop_cycles, repeats)
        ref[name] = measure_reference_loop(image, ref_cycles)
    log("core and reference: MNIST kernel")
    kernel, why = mnist_kernel()
    if kernel is None:
        notes.append(f"MNIST kernel skipped: {why}")
    else:
        core["mnist"] = measure_mnist(kernel, mnist_images, mnist_checked, repeats)
        ref["mnist"] = measure_reference_mnist(kernel, ref_images)
    results["core"], results["reference"] = core, ref
    results["ratio"] = {k: core[k]["minstr_per_s"] / ref[k]["minstr_per_s"] for k in core}

    log("block translator: the same runs interpreted and translated")
    programs = {"tight loop": tight_image(), "mixed": mixed_image(), "dense 1K ROM": dense_image()}
    translated = {
        name: measure_translated_loop(image, loop_cycles, repeats)
        for name, image in programs.items()
    }
    compile_images = {"mixed": programs["mixed"], "dense 1K ROM": programs["dense 1K ROM"]}
    slots = {}
    if kernel is not None:
        translated["mnist"] = measure_translated_mnist(kernel, TEST_IMAGES, repeats)
        compile_images["MNIST kernel"] = kernel[0]
        slots["MNIST kernel"] = (kernel[1], kernel[1] + kernel[2].shape[1])
    log("block translator: compile and cache load")
    results["translator"] = translated
    results["translation_compile"] = measure_translation_compile(
        compile_images, slots, 2 if quick else 3
    )

    log("calls: Machine.call and hypothesis")
    results["calls"] = measure_calls(20_000 if quick else 100_000, 2000 if quick else 5000)
    if kernel is not None:
        log("two cores: run_batch with 1 and 2 threads")
        results["scaling"] = measure_batch_scaling(kernel, TEST_IMAGES, repeats)

    log("observation: checks, break_when, edges and VCD against the plain interpreter")
    import observe

    results["observation"] = observe.measure_all(quick, log)

    results["harness"] = []
    if not harness:
        notes.append("harness skipped (--skip-harness)")
    else:
        best: dict[int, dict] = {}
        for _ in range(2 if quick else 3):  # alternating; the best simulation time of each
            for jobs in (1, 2):
                log(f"full test set through python -m pms150c.run --jobs {jobs}")
                try:
                    row = measure_harness(jobs)
                except RuntimeError as exc:
                    notes.append(f"harness with {jobs} job(s) failed: {exc}")
                    continue
                if jobs not in best or row["simulation_s"] < best[jobs]["simulation_s"]:
                    best[jobs] = row
        results["harness"] = [best[j] for j in sorted(best)]
    results["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    return results


def print_table(results: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console() if sys.stdout.isatty() else Console(width=120)
    mi = results["machine"]
    console.print(
        f"[bold]{mi['cpu']}[/], {mi['cores']} cores, Python {mi['python']}, commit {mi['commit']}, "
        f"numpy {mi['numpy']}, numba {mi['numba']}; load average "
        f"{' '.join(map(str, mi['loadavg_start']))} at start, "
        f"{' '.join(map(str, mi['loadavg_end']))} at end"
        + (" [yellow](--quick)[/]" if results["quick"] else "")
    )
    table = Table(title="Simulated throughput (best of repeats)")
    for col in ("program", "core Minstr/s", "core Mcyc/s", "core Minstr/CPU-s", "ref Minstr/s",
                "ref Mcyc/s", "core/ref"):  # fmt: skip
        table.add_column(col, justify="left" if col == "program" else "right")
    for name, c in results["core"].items():
        r = results["reference"][name]
        label = {"mnist": "MNIST kernel"}.get(name, name)
        table.add_row(
            label,
            f"{c['minstr_per_s']:.0f}",
            f"{c['mcycles_per_s']:.0f}",
            f"{c['minstr_per_cpu_s']:.0f}" if "minstr_per_cpu_s" in c else "-",
            f"{r['minstr_per_s']:.3f}",
            f"{r['mcycles_per_s']:.3f}",
            f"{results['ratio'][name]:.0f}x",
        )
    if "mnist" in results["core"]:
        c = results["core"]["mnist"]
        table.caption = (
            f"MNIST kernel: {c['images']} test images in one run_batch call, "
            f"{c['cycles_per_image']:.0f} cycles each on average. "
            "Minstr/CPU-s: per second of CPU time the process got (leaves out waiting for a core)"
        )
    console.print(table)

    start = Table(
        title="Start-up (new processes)",
        caption="start: import + load firmware + first instruction, inside the process; "
        "process: the whole process (interpreter start and exit included)",
    )
    for col in ("", "process s", "start s", "import s", "load s", "1st instr s", "batch s",
                "debug s", "translator s"):  # fmt: skip
        start.add_column(col, justify="right")
    for name, key in (("cold (empty cache)", "cold"), ("warm (cache filled)", "warm")):
        s = results[key]
        start.add_row(
            name,
            f"{s['process_wall_s']:.2f}",
            f"{s['start_s']:.2f}",
            f"{s['import_s']:.2f}",
            f"{s['load_s']:.2f}",
            f"{s['first_step_s']:.2f}",
            f"{s['batch_compile_s']:.2f}" if "batch_compile_s" in s else "-",
            f"{s['debug_compile_s']:.2f}" if "debug_compile_s" in s else "-",
            f"{s['translator_s']:.2f}" if "translator_s" in s else "-",
        )
    console.print(start)
    print_translator(console, results)
    if "observation" in results:
        import observe

        observe.print_tables(console, results["observation"])

    if results["harness"]:
        h = Table(
            title=f"Full test set ({TEST_IMAGES} images) through python -m pms150c.run",
            caption="wall: the whole process; simulation: the harness's own timing of its "
            "batches (its --json wall_s); best of the alternating runs",
        )
        for col in ("jobs", "wall s", "simulation s", "images/s (wall)", "sim. speed-up"):
            h.add_column(col, justify="right")
        one = results["harness"][0]["simulation_s"]
        for row in results["harness"]:
            h.add_row(
                str(row["jobs"]),
                f"{row['wall_s']:.2f}",
                f"{row['simulation_s']:.3f}",
                f"{row['images_per_s']:.0f}",
                f"{one / row['simulation_s']:.2f}x",
            )
        console.print(h)
    for note in results["notes"]:
        console.print(f"[yellow]note:[/] {note}")


def print_translator(console, results: dict) -> None:
    from rich.table import Table

    t = Table(
        title="Block translator against the interpreter (same runs, best CPU time)",
        caption="identical: same final state and instruction count (MNIST: every output of "
        "every image)",
    )
    for col in ("program", "interpreter Minstr/CPU-s", "translated Minstr/CPU-s",
                "translated/interp", "identical"):  # fmt: skip
        t.add_column(col, justify="left" if col == "program" else "right")
    for name, r in results["translator"].items():
        label = f"MNIST kernel ({r['images']} images)" if name == "mnist" else name
        t.add_row(
            label,
            f"{r['interp_minstr_per_cpu_s']:.0f}",
            f"{r['translated_minstr_per_cpu_s']:.0f}",
            f"{r['ratio']:.2f}x",
            "yes" if r["identical"] else f"NO ({r.get('mismatched_images', '?')} differ)",
        )
    console.print(t)

    c = Table(
        title="Translation of one ROM",
        caption="cold: plan, IR, LLVM -O2 and load, into an empty cache; cached: from the "
        "disk cache with the memory cache emptied",
    )
    for col in ("ROM", "words used", "words compiled", "cold s", "cached s"):
        c.add_column(col, justify="left" if col == "ROM" else "right")
    for name, r in results["translation_compile"].items():
        c.add_row(
            name, str(r["words"]), str(r["compiled"]), f"{r['cold_s']:.3f}", f"{r['cached_s']:.4f}"
        )
    console.print(c)

    k = results["calls"]
    calls = Table(
        title="A 10-instruction routine called from Python",
        caption="by hand: reset, set 4 RAM bytes and a return address, run to a breakpoint, "
        "read A and RAM; hypothesis: a test of the routine with two 16-bit inputs, and the "
        "same test with an empty body (hypothesis's own cost)",
    )
    for col in ("Machine.call us", "testing.call us", "by hand us", "by hand/call",
                "hypothesis examples/s", "with testing.call", "empty test examples/s"):  # fmt: skip
        calls.add_column(col, justify="right")
    calls.add_row(
        f"{k['call_us']:.2f}",
        f"{k['helper_call_us']:.2f}",
        f"{k['by_hand_us']:.2f}",
        f"{k['ratio']:.1f}x",
        f"{k['hypothesis_examples_per_s']:.0f}",
        f"{k['hypothesis_helper_examples_per_s']:.0f}",
        f"{k['hypothesis_empty_examples_per_s']:.0f}",
    )
    console.print(calls)

    if "scaling" in results:
        sc = Table(
            title=f"Machine.run_batch, {TEST_IMAGES} MNIST images, 1 and 2 threads",
            caption="best wall time of alternating runs; CPU: of that run (both threads)",
        )
        for col in ("core", "jobs=1 wall s", "jobs=2 wall s", "scaling", "jobs=1 CPU s",
                    "jobs=2 CPU s", "identical"):  # fmt: skip
            sc.add_column(col, justify="left" if col == "core" else "right")
        for name, r in results["scaling"].items():
            sc.add_row(
                name,
                f"{r['jobs1_wall_s']:.3f}",
                f"{r['jobs2_wall_s']:.3f}",
                f"{r['scaling']:.2f}x",
                f"{r['jobs1_cpu_s']:.3f}",
                f"{r['jobs2_cpu_s']:.3f}",
                "yes" if r["identical"] else "NO",
            )
        console.print(sc)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print the results as JSON only")
    ap.add_argument("--quick", action="store_true", help="shorter runs, fewer repeats")
    ap.add_argument("--skip-harness", action="store_true", help="skip the full test set runs")
    args = ap.parse_args(argv)

    def log(msg: str) -> None:
        if not args.json:
            print(f"... {msg}", file=sys.stderr, flush=True)

    results = run_all(args.quick, not args.skip_harness, log)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_table(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
