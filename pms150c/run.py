"""`python -m pms150c.run`: MNIST test images through the emulated PMS150C kernel.

Each image is burnt into the kernel's ROM image slot and the chip runs from power-on to
`stopsys`, many images per jitted batch call. The summary compares the chip's digits with the
labels (accuracy) and with the integer reference model (agreement, digits and logits), and
reports cycles per inference, ROM, RAM and stack use and the emulation speed (executed
instructions per second of wall time, counted exactly by the core).

The reference is the shipped model when the firmware's ROM (outside the image slot) is the
shipped kernel's, the model given with --model otherwise; without one, agreement is "n/a".

Without arguments it runs the shipped main kernel on the 10,000 preprocessed MNIST test
images shipped as package data (MNIST by Yann LeCun, Corinna Cortes and Christopher J.C.
Burges, CC BY-SA 3.0; see pms150c/data/README.md).

`--jobs` threads run the chunks, at most one per CPU this process may use and one per
chunk. Ctrl-C (handled by the main thread) cancels the chunks not started, waits for those
in flight and exits 130 with one line; an error in any chunk ends the run with its line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from pms150c.errors import Pms150cError, interrupted, printable

CHUNK = 250  # images per batch with one job (the progress bar moves per chunk)
# with several jobs, each thread's Python work per chunk (encoding the images, a Machine,
# unpacking the results: about 0.5 ms) holds the GIL while the other thread's batch runs;
# a few large chunks per job keep that a few per cent of the simulation time
CHUNKS_PER_JOB = 4
CLOCK_HZ = 8_000_000


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not usage + message
        print(f"pms150c.run: error: {printable(message)}", file=sys.stderr)
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="python -m pms150c.run", description=__doc__.splitlines()[0])
    ap.add_argument("--data", metavar="DIR", help="folder with the MNIST IDX files (test split)")
    ap.add_argument("--limit", type=int, metavar="N", help="only the first N test images")
    ap.add_argument(
        "--firmware", metavar="FILE", help="kernel .asm or .ihx (default: asm/mnist.asm)"
    )
    ap.add_argument(
        "--model", metavar="FILE", help="reference model .npz for a firmware with other weights"
    )
    ap.add_argument("--jobs", type=int, default=1, metavar="N", help="threads (one per core)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    return ap


def _load_kernel(firmware: str | None):
    from pms150c.mnist.kernel import assemble_kernel, shipped_kernel

    return shipped_kernel() if firmware is None else assemble_kernel(firmware)


def _reference_model(kernel, model_file: str | None):
    """(model for preprocessing, reference model or None)."""
    from pms150c.mnist import export
    from pms150c.mnist.kernel import BITNET_FIRMWARE, MAIN_FIRMWARE, same_rom, shipped_kernel
    from pms150c.mnist.model import IntModel, bitnet_model, default_model

    shipped = default_model() if kernel.kind == "main" else bitnet_model()
    if model_file is not None:
        from pms150c.files import kind

        if kind(model_file) == "missing":
            raise Pms150cError(f"--model {printable(model_file)}: no such file")
        model = IntModel.load(model_file)
        check = export.main_table_bytes if kernel.kind == "main" else export.bitnet_table_bytes
        try:
            check(model)  # the model's shape and ranges must be ones this kernel runs
        except Pms150cError as exc:
            raise Pms150cError(f"--model {printable(model_file)}: {exc}") from None
        return model, model
    firmware = MAIN_FIRMWARE if kernel.kind == "main" else BITNET_FIRMWARE
    return shipped, (shipped if same_rom(kernel, shipped_kernel(firmware)) else None)


def _load_data(args, kind: str, model) -> tuple[np.ndarray, np.ndarray]:
    if args.data is None:
        from pms150c.mnist.model import bitnet_model, default_model, shipped_test_set

        shipped = default_model() if kind == "main" else bitnet_model()
        if model.spec != shipped.spec:
            raise Pms150cError(
                "--model preprocesses differently from the shipped test set: add --data"
            )
        return shipped_test_set(kind)
    from pms150c.mnist.data import load_mnist, preprocess

    images, labels = load_mnist(Path(args.data), "test")
    return preprocess(images, model.spec), labels


def _run_chunk(kernel, x: np.ndarray) -> dict[str, np.ndarray]:
    out = kernel.run(x)
    del out["ram"]
    return out


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def run(args) -> dict:
    from pms150c.files import kind

    if args.limit is not None and args.limit < 1:
        raise Pms150cError("--limit must be at least 1")
    if args.jobs < 1:
        raise Pms150cError("--jobs must be at least 1")
    if args.data is not None and kind(args.data) != "directory":
        raise Pms150cError(f"--data {printable(args.data)}: not a folder")
    kernel = _load_kernel(args.firmware)
    model, reference = _reference_model(kernel, args.model)
    x, labels = _load_data(args, kernel.kind, model)
    if args.limit is not None:
        x, labels = x[: args.limit], labels[: args.limit]
    if len(x) == 0:
        raise Pms150cError("no test images to run")
    jobs = min(args.jobs, usable_cpus(), -(-len(x) // CHUNK))
    size = max(CHUNK, -(-len(x) // (CHUNKS_PER_JOB * jobs))) if jobs > 1 else CHUNK
    chunks = [x[i : i + size] for i in range(0, len(x), size)]

    # load (or compile) the jitted core and the ROM's translation before the clock starts:
    # a batch of AUTO_TRANSLATE_RUNS runs is translated, as the chunks will be
    from pms150c.machine import AUTO_TRANSLATE_RUNS

    kernel.run(x[:AUTO_TRANSLATE_RUNS])
    start = time.perf_counter()
    with _results(kernel, chunks, jobs) as outputs:  # workers start before any thread
        results = list(_progress(chunks, outputs, args))
    wall = time.perf_counter() - start
    digits = np.concatenate([r["digits"] for r in results])
    logits = np.concatenate([r["logits"] for r in results])
    cycles = np.concatenate([r["cycles"] for r in results])
    instructions = int(sum(int(r["instructions"].sum()) for r in results))
    stack_max = max(int(r["stack_max"].max()) for r in results)

    agree = logits_agree = ref_accuracy = None
    if reference is not None:
        ref_digits, inter = reference.forward(x)
        agree = float(np.mean(digits == ref_digits))
        logits_agree = float(np.mean((logits == inter[-1]).all(axis=1)))
        ref_accuracy = float(np.mean(ref_digits == labels))
    footprint = kernel.ram_footprint(x[0])
    confusion = np.zeros((10, 10), dtype=np.int64)
    np.add.at(confusion, (labels.astype(np.int64), digits), 1)
    return {
        "firmware": args.firmware or "asm/mnist.asm",
        "images": int(len(x)),
        "accuracy": float(np.mean(digits == labels)),
        "reference_accuracy": ref_accuracy,
        "agree_with_reference": agree,
        "logits_agree": logits_agree,
        "cycles_min": int(cycles.min()),
        "cycles_mean": float(cycles.mean()),
        "cycles_max": int(cycles.max()),
        "ms_mean_8mhz": float(cycles.mean() / CLOCK_HZ * 1000),
        "rom_words": kernel.rom_words(),
        "rom_top": kernel.rom_top(),
        "ram_bytes": footprint["ram_bytes"],
        "ram_top": footprint["ram_top"],
        "stack_max": max(stack_max, footprint["stack_max"]),
        "instructions": instructions,
        "mips": float(instructions / wall / 1e6),
        "wall_s": wall,
        "jobs": jobs,
        "confusion": confusion.tolist(),
    }


def _progress(chunks, outputs: Iterator, args):
    if args.json or not sys.stderr.isatty():
        yield from outputs
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    total = sum(len(c) for c in chunks)
    columns = (*Progress.get_default_columns()[:2], MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns[:1], BarColumn(), *columns[2:], transient=True) as bar:
        task = bar.add_task("images", total=total)
        for chunk, out in zip(chunks, outputs, strict=True):
            bar.advance(task, len(chunk))
            yield out


@contextlib.contextmanager
def _results(kernel, chunks, jobs: int) -> Iterator[Iterator[dict]]:
    """Chunk results in order. With jobs > 1, threads run chunks at once: the jitted batch
    releases the GIL, so they use as many cores, and share the loaded core and kernel.

    On leaving (done, an error, Ctrl-C) the chunks not started are cancelled and those in
    flight are waited for (a jitted batch cannot stop half-way), so no thread outlives
    the run and an error in one chunk ends it."""
    if jobs == 1:
        yield (_run_chunk(kernel, chunk) for chunk in chunks)
        return
    pool = ThreadPoolExecutor(jobs)
    try:
        futures = [pool.submit(_run_chunk, kernel, chunk) for chunk in chunks]
        yield (future.result() for future in futures)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _print_summary(r: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    t = Table(title=f"MNIST on the PMS150C ({r['firmware']}, {r['images']} images)")
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_row("accuracy (emulated chip)", f"{100 * r['accuracy']:.2f}%")
    t.add_row("agreement with the integer reference", _percent(r["agree_with_reference"]))
    t.add_row("logits equal to the reference", _percent(r["logits_agree"]))
    t.add_row(
        "cycles per inference (min / mean / max)",
        f"{r['cycles_min']} / {r['cycles_mean']:.0f} / {r['cycles_max']}",
    )
    t.add_row("time per inference at 8 MHz (mean)", f"{r['ms_mean_8mhz']:.3f} ms")
    t.add_row(
        "ROM words used",
        f"{r['rom_words']} of 1024 (highest 0x{r['rom_top']:03x}; 0x3f0-0x3ff blank)",
    )
    t.add_row("RAM bytes used (incl. stack)", f"{r['ram_bytes']} of 64")
    t.add_row("stack high-water (SP)", f"0x{r['stack_max']:02x}")
    t.add_row("emulation speed", f"{r['mips']:.1f} MIPS ({r['wall_s']:.1f} s, {r['jobs']} jobs)")
    t.add_row("instructions executed", f"{r['instructions']:,}")
    console.print(t)
    c = Table(title="confusion matrix (rows: label, columns: chip's digit)")
    c.add_column("")
    for d in range(10):
        c.add_column(str(d), justify="right")
    for label, row in enumerate(r["confusion"]):
        c.add_row(str(label), *(str(v) for v in row))
    console.print(c)


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.2f}%"


def main(argv: list[str] | None = None) -> int:
    from pms150c.cli import InterruptGuard

    with InterruptGuard() as guard:
        return _main(argv, guard)


def _main(argv: list[str] | None, guard) -> int:
    try:
        args = _parser().parse_args(argv)
        result = run(args)
        if guard.swallowed:  # a Ctrl-C that Numba swallowed while compiling
            raise KeyboardInterrupt
        if args.json:
            print(json.dumps(result))
        else:
            _print_summary(result)
    except Pms150cError as exc:
        _say(f"error: {printable(str(exc))}")
        return 1
    except KeyboardInterrupt:
        guard.interrupted = True
        _say("interrupted")
        return 130
    except BrokenPipeError:  # `... | head`
        from pms150c.cli import quiet_stdout

        quiet_stdout()
        return 0
    except Exception as exc:  # a Ctrl-C that Numba turned into another error while compiling
        if not (interrupted(exc) or guard.swallowed):
            raise
        guard.interrupted = True
        _say("interrupted")
        return 130
    return 0


def _say(text: str) -> None:
    try:
        print(f"pms150c.run: {text}", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    from pms150c.cli import exit_process

    exit_process(main())
