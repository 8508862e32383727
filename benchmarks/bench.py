"""Speed figures of the pms150c simulator, printed as one table (or JSON with --json).

    python benchmarks/bench.py [--json] [--quick] [--skip-harness]

What it measures (docs/performance.md explains each figure and records the last run):

* simulated instructions/s and cycles/s of the jitted core on a tight delay loop, on
  benchmarks/mixed.asm (every instruction class, timers and interrupts running) and on the
  MNIST kernel asm/mnist.asm (many images per jitted call, `Machine.run_batch`);
* the same for the plain-Python reference interpreter, and the ratio between the two;
* cold compile (a new process with NUMBA_CACHE_DIR pointed at an empty directory) and warm
  start (a new process with the cache filled: import, load firmware, run one instruction);
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
    out.update(batch_compile_s=t4 - t3, debug_compile_s=t5 - t4)
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

    m = Machine(image)
    m.enable_profile()
    m.run(cycles)
    return int(m.profile_counts[0].sum()), m.cycles, m.snapshot()


def measure_loop(image, cycles: int, repeats: int) -> dict:
    from pms150c import Machine

    Machine(image).run(1000)  # load or compile the fast variant outside the timing
    instructions, done, snap = count_loop(image, cycles)
    machines = [Machine(image) for _ in range(repeats)]
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
        m = Machine(image_with_slot(image, slot, row))
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
    m = Machine(image)
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
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pms150c.run", "--jobs", str(jobs)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t
    if proc.returncode:
        tail = (proc.stderr or proc.stdout).strip().splitlines()
        raise RuntimeError(tail[-1] if tail else f"exit status {proc.returncode}")
    return {
        "jobs": jobs,
        "wall_s": wall,
        "images_per_s": TEST_IMAGES / wall,
        "output_tail": proc.stdout.strip().splitlines()[-3:],
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

    results["harness"] = []
    if not harness:
        notes.append("harness skipped (--skip-harness)")
    else:
        for jobs in (1, 2):
            log(f"full test set through python -m pms150c.run --jobs {jobs}")
            try:
                results["harness"].append(measure_harness(jobs))
            except RuntimeError as exc:
                notes.append(f"harness with {jobs} job(s) failed: {exc}")
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
                "debug s"):  # fmt: skip
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
        )
    console.print(start)

    if results["harness"]:
        h = Table(title=f"Full test set ({TEST_IMAGES} images) through python -m pms150c.run")
        for col in ("jobs", "wall s", "images/s"):
            h.add_column(col, justify="right")
        for row in results["harness"]:
            h.add_row(str(row["jobs"]), f"{row['wall_s']:.2f}", f"{row['images_per_s']:.0f}")
        console.print(h)
    for note in results["notes"]:
        console.print(f"[yellow]note:[/] {note}")


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
