"""`python -m pms150c.run`: MNIST test images through the emulated PMS150C kernel.

Each image is burnt into the kernel's ROM image slot and the chip runs from power-on to
`stopsys`, many images per jitted batch call. The summary compares the chip's digits with the
labels (accuracy) and with the integer reference model (agreement, digits and logits), and
reports cycles per inference, ROM, RAM and stack use and the emulation speed.

Without arguments it runs the shipped main kernel on the 10,000 preprocessed MNIST test
images shipped as package data (MNIST by Yann LeCun, Corinna Cortes and Christopher J.C.
Burges, CC BY-SA 3.0; see pms150c/data/README.md).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from pathlib import Path

import numpy as np

from pms150c.errors import Pms150cError

CHUNK = 250
CLOCK_HZ = 8_000_000


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not usage + message
        print(f"pms150c.run: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="python -m pms150c.run", description=__doc__.splitlines()[0])
    ap.add_argument("--data", metavar="DIR", help="folder with the MNIST IDX files (test split)")
    ap.add_argument("--limit", type=int, metavar="N", help="only the first N test images")
    ap.add_argument(
        "--firmware", metavar="FILE", help="kernel .asm or .ihx (default: asm/mnist.asm)"
    )
    ap.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    return ap


def _load_kernel(firmware: str | None):
    from pms150c.mnist.kernel import assemble_kernel, shipped_kernel

    return shipped_kernel() if firmware is None else assemble_kernel(firmware)


def _reference_model(kind: str):
    from pms150c.mnist.model import bitnet_model, default_model

    return default_model() if kind == "main" else bitnet_model()


def _load_data(args, kind: str, model) -> tuple[np.ndarray, np.ndarray]:
    if args.data is None:
        from pms150c.mnist.model import shipped_test_set

        return shipped_test_set(kind)
    from pms150c.mnist.data import load_mnist, preprocess

    images, labels = load_mnist(Path(args.data), "test")
    return preprocess(images, model.spec), labels


def _run_chunk(task: tuple[str | None, np.ndarray]) -> dict[str, np.ndarray]:
    firmware, x = task
    out = _load_kernel(firmware).run(x)
    del out["ram"]
    return out


def run(args) -> dict:
    if args.limit is not None and args.limit < 1:
        raise Pms150cError("--limit must be at least 1")
    if args.jobs < 1:
        raise Pms150cError("--jobs must be at least 1")
    if args.data is not None and not Path(args.data).is_dir():
        raise Pms150cError(f"--data {args.data}: not a folder")
    kernel = _load_kernel(args.firmware)
    model = _reference_model(kernel.kind)
    x, labels = _load_data(args, kernel.kind, model)
    if args.limit is not None:
        x, labels = x[: args.limit], labels[: args.limit]
    ref_digits, inter = model.forward(x)
    chunks = [(args.firmware, x[i : i + CHUNK]) for i in range(0, len(x), CHUNK)]

    start = time.perf_counter()
    results = list(_progress(chunks, args))
    wall = time.perf_counter() - start
    digits = np.concatenate([r["digits"] for r in results])
    logits = np.concatenate([r["logits"] for r in results])
    cycles = np.concatenate([r["cycles"] for r in results])
    stack_max = max(int(r["stack_max"].max()) for r in results)

    footprint = kernel.ram_footprint(x[0])
    ipc = kernel.instructions_per_cycle(x[0])
    confusion = np.zeros((10, 10), dtype=np.int64)
    np.add.at(confusion, (labels.astype(np.int64), digits), 1)
    return {
        "firmware": args.firmware or "asm/mnist.asm",
        "images": int(len(x)),
        "accuracy": float(np.mean(digits == labels)),
        "reference_accuracy": float(np.mean(ref_digits == labels)),
        "agree_with_reference": float(np.mean(digits == ref_digits)),
        "logits_agree": float(np.mean((logits == inter[-1]).all(axis=1))),
        "cycles_min": int(cycles.min()),
        "cycles_mean": float(cycles.mean()),
        "cycles_max": int(cycles.max()),
        "ms_mean_8mhz": float(cycles.mean() / CLOCK_HZ * 1000),
        "rom_words": kernel.rom_words(),
        "ram_bytes": footprint["ram_bytes"],
        "ram_top": footprint["ram_top"],
        "stack_max": max(stack_max, footprint["stack_max"]),
        "mips": float(cycles.sum() * ipc / wall / 1e6),
        "wall_s": wall,
        "jobs": args.jobs,
        "confusion": confusion.tolist(),
    }


def _progress(chunks, args):
    if args.json or not sys.stderr.isatty():
        yield from _results(chunks, args.jobs)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    total = sum(len(c[1]) for c in chunks)
    columns = (*Progress.get_default_columns()[:2], MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns[:1], BarColumn(), *columns[2:], transient=True) as bar:
        task = bar.add_task("images", total=total)
        for chunk, out in zip(chunks, _results(chunks, args.jobs), strict=True):
            bar.advance(task, len(chunk[1]))
            yield out


def _results(chunks, jobs: int):
    if jobs == 1 or len(chunks) == 1:
        for chunk in chunks:
            yield _run_chunk(chunk)
        return
    with multiprocessing.get_context("spawn").Pool(jobs) as pool:
        yield from pool.imap(_run_chunk, chunks)


def _print_summary(r: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    t = Table(title=f"MNIST on the PMS150C ({r['firmware']}, {r['images']} images)")
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_row("accuracy (emulated chip)", f"{100 * r['accuracy']:.2f}%")
    t.add_row("agreement with the integer reference", f"{100 * r['agree_with_reference']:.2f}%")
    t.add_row("logits equal to the reference", f"{100 * r['logits_agree']:.2f}%")
    t.add_row(
        "cycles per inference (min / mean / max)",
        f"{r['cycles_min']} / {r['cycles_mean']:.0f} / {r['cycles_max']}",
    )
    t.add_row("time per inference at 8 MHz (mean)", f"{r['ms_mean_8mhz']:.3f} ms")
    t.add_row("ROM words used", f"{r['rom_words']} of 1024")
    t.add_row("RAM bytes used (incl. stack)", f"{r['ram_bytes']} of 64")
    t.add_row("stack high-water (SP)", f"0x{r['stack_max']:02x}")
    t.add_row("emulation speed", f"{r['mips']:.1f} MIPS ({r['wall_s']:.1f} s, {r['jobs']} jobs)")
    console.print(t)
    c = Table(title="confusion matrix (rows: label, columns: chip's digit)")
    c.add_column("")
    for d in range(10):
        c.add_column(str(d), justify="right")
    for label, row in enumerate(r["confusion"]):
        c.add_row(str(label), *(str(v) for v in row))
    console.print(c)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        result = run(args)
    except Pms150cError as exc:
        print(f"pms150c.run: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("pms150c.run: interrupted", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(result))
    else:
        _print_summary(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
