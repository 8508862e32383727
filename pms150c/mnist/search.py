"""The design-space search behind the shipped model, chosen on validation accuracy only.

It runs in stages, each fixing the best setting found so far (by validation accuracy on the
last 10,000 training images) and varying one group of choices:

  A. preprocessing of the 64-40-10 net: crop size and brightness gain;
  B. integer arithmetic: hidden shift and clip ceiling;
  C. architecture within the 1024-word ROM: input size, width, depth, weight set;
  D. training: translation augmentation and epochs, over several seeds;
  F. the finalist shift/hmax pairs over 8 seeds (the shipped main model is chosen here);
  E. the BitNetPDK shape with the training setting of D, over 8 seeds.

`python -m pms150c.mnist.search --data DIR --out results.json` runs stages A-C and writes
every run's figures; with `--final DIR` it runs D, F and E instead and writes the package
data (both models and the preprocessed test set) into DIR;
`--table results.json` prints the markdown table used in docs/mnist.md. The test accuracy is
computed for every run so the table can show it, but no choice ever reads it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from pms150c.errors import Pms150cError
from pms150c.mnist.data import PreprocessSpec, load_mnist, preprocess
from pms150c.mnist.export import MAIN_HMAX_LIMIT
from pms150c.mnist.model import (
    BITNET_MODEL_FILE,
    CYCLES_PER_WEIGHT_ESTIMATE,
    MODEL_FILE,
    TEST_SET_FILE,
    ram_bytes_estimate,
    rom_words_estimate,
)
from pms150c.mnist.train import TrainConfig, split_validation, train

ROM_BUDGET = 1024
RAM_BUDGET = 64


class Search:
    def __init__(self, folder: str, epochs: int = 40):
        images, labels = load_mnist(folder, "train")
        (self.train_images, self.train_labels), (self.val_images, self.val_labels) = (
            split_validation(images, labels)
        )
        self.test_images, self.test_labels = load_mnist(folder, "test")
        self.epochs = epochs
        self.results: list[dict] = []

    def run(self, stage: str, name: str, config: TrainConfig) -> dict:
        spec = config.spec
        val_x = preprocess(self.val_images, spec)
        start = time.perf_counter()
        net, _ = train(config, self.train_images, self.train_labels)
        seconds = time.perf_counter() - start
        shape = (spec.n_inputs, *config.hidden, 10)
        n_weights = sum(a * b for a, b in zip(shape[:-1], shape[1:], strict=False))
        result = {
            "stage": stage,
            "name": name,
            "shape": "-".join(map(str, shape)),
            "weights": config.weights,
            "crop": spec.crop,
            "gain": f"{spec.gain_num}/{spec.gain_den}",
            "xmax": spec.xmax,
            "shifts": list(config.shifts),
            "hmax": list(config.hmax),
            "augment": config.augment,
            "epochs": config.epochs,
            "seed": config.seed,
            "val_accuracy": net.accuracy(val_x, self.val_labels),
            "test_accuracy": net.accuracy(preprocess(self.test_images, spec), self.test_labels),
            "n_weights": n_weights,
            "rom_words": rom_words_estimate(shape, xmax=spec.xmax),
            "ram_bytes": ram_bytes_estimate(shape),
            "cycles_estimate": n_weights * CYCLES_PER_WEIGHT_ESTIMATE,
            "train_seconds": round(seconds, 1),
        }
        self.results.append(result)
        print(json.dumps(result), flush=True)
        return result

    def best(self, stage: str) -> dict:
        return max(
            (r for r in self.results if r["stage"] == stage), key=lambda r: r["val_accuracy"]
        )


def fits(shape: tuple[int, ...]) -> bool:
    return rom_words_estimate(shape) <= ROM_BUDGET and ram_bytes_estimate(shape) <= RAM_BUDGET


def run_search(s: Search) -> None:
    base = TrainConfig(epochs=s.epochs)
    configs = {}

    # A: preprocessing
    for crop in (16, 18, 20, 22, 24):
        for gain in ((1, 1), (3, 2), (2, 1)):
            top = (28 - crop) // 2
            spec = PreprocessSpec(top, top, crop, 8, 15, *gain)
            name = f"crop{crop} gain{gain[0]}/{gain[1]}"
            configs[name] = replace(base, spec=spec)
            s.run("A", name, configs[name])
    base = configs[s.best("A")["name"]]

    # B: arithmetic
    for shift in (2, 3, 4):
        for hmax in (15, 31, 127):
            name = f"shift{shift} hmax{hmax}"
            configs[name] = replace(base, shifts=(shift,), hmax=(hmax,))
            s.run("B", name, configs[name])
    base = configs[s.best("B")["name"]]
    shift, hmax = base.shifts[0], base.hmax[0]

    # C: architecture within the budget
    for size, widths in ((8, (24,)), (8, (32,)), (8, (40,)), (8, (41,))):
        name = f"{size}x{size} {widths}"
        s.run("C", name, replace(base, hidden=widths))
    for widths in ((32, 16), (28, 20), (24, 24)):
        for s2 in (2, 3):
            name = f"8x8 {widths} s2={s2}"
            s.run("C", name, replace(base, hidden=widths, shifts=(shift, s2), hmax=(hmax, hmax)))
    for size, width in ((7, 50), (9, 32), (10, 26)):
        crop = base.spec.crop
        spec = replace(base.spec, size=size)
        shape = (size * size, width, 10)
        if fits(shape):
            s.run(
                "C",
                f"{size}x{size} ({width},) crop{crop}",
                replace(base, spec=spec, hidden=(width,)),
            )
    s.run("C", "8x8 (40,) ternary", replace(base, weights="ternary"))
    best_c = s.best("C")
    print(f"# best architecture on validation: {best_c['name']}", flush=True)


# What stages A-C chose (docs/mnist.md shows the runs): crop 20, gain 1, shift 3, hmax 31.
# Among the architectures, 8x8-41 and 9x9-32 scored 0.1 point above 8x8-40 on validation, within
# seed noise; 8x8-40 keeps the kernel's 64-pixel input and a 32-word margin under the estimated
# ROM budget (the kernel, measured, fills its 1008 words exactly at 40 neurons).
CHOSEN = TrainConfig(hidden=(40,), shifts=(3,), hmax=(31,), spec=PreprocessSpec(4, 4, 20, 8, 15))
BITNET = TrainConfig(
    hidden=(16, 16, 16),
    shifts=(3, 3, 3),
    hmax=(127, 127, 127),
    spec=PreprocessSpec(4, 4, 20, 8, 31),
)
SEEDS = (0, 1, 2)
MORE_SEEDS = tuple(range(8))
ARITHMETIC = ((3, 31), (2, 127), (3, 127))  # (shift, hmax) finalists of stages B and F-explore


def best_run_of_best_pair(results: list[dict], stage: str, max_hmax: int) -> dict:
    """The best run on validation of the stage's (shift, hmax) pair with the best mean
    validation accuracy, among the pairs with hmax <= max_hmax (what the kernel can run)."""
    by_pair: dict[tuple[int, int], list[dict]] = {}
    for r in results:
        if r["stage"] == stage and r["hmax"][0] <= max_hmax:
            by_pair.setdefault((r["shifts"][0], r["hmax"][0]), []).append(r)
    if not by_pair:
        raise ValueError(f"stage {stage} has no run with hmax <= {max_hmax}")
    pair = max(by_pair, key=lambda p: np.mean([r["val_accuracy"] for r in by_pair[p]]))
    return max(by_pair[pair], key=lambda r: r["val_accuracy"])


def run_final(s: Search, out_dir: str) -> None:
    """Stages D and F for the main net, E for the BitNetPDK shape; writes package data.

    D picks the training setting (augmentation, epochs) on seeds 0-2. F compares the
    finalist shift/hmax pairs of 64-40-10 over 8 seeds by their mean validation accuracy
    (single seeds differ by up to 0.4 points); the best seed of the best pair that the main
    kernel runs (hmax <= 85, `export.MAIN_HMAX_LIMIT`) is shipped. E trains the published
    shape with the same training setting over the same 8 seeds. The trainer is
    deterministic, so retraining a selected run gives exactly the selected weights.
    """
    runs = {}
    for augment in (0, 1):
        for epochs in (40, 80):
            for seed in SEEDS:
                name = f"64-40-10 augment{augment} epochs{epochs} seed{seed}"
                runs[name] = replace(CHOSEN, augment=augment, epochs=epochs, seed=seed)
                s.run("D", name, runs[name])
    setting = runs[s.best("D")["name"]]
    for shift, hmax in ARITHMETIC:
        accs = []
        for seed in MORE_SEEDS:
            name = f"64-40-10 shift{shift} hmax{hmax} seed{seed}"
            runs[name] = replace(setting, shifts=(shift,), hmax=(hmax,), seed=seed)
            accs.append(s.run("F", name, runs[name])["val_accuracy"])
        print(f"# shift {shift} hmax {hmax}: mean validation {np.mean(accs):.4f}")
    best = runs[best_run_of_best_pair(s.results, "F", MAIN_HMAX_LIMIT)["name"]]
    for seed in MORE_SEEDS:
        name = f"BitNetPDK shape augment{setting.augment} epochs{setting.epochs} seed{seed}"
        runs[name] = replace(BITNET, augment=setting.augment, epochs=setting.epochs, seed=seed)
        s.run("E", name, runs[name])
    best_bitnet = runs[s.best("E")["name"]]
    out = Path(out_dir)
    main_model = train(best, s.train_images, s.train_labels)[0].to_int_model()
    main_model.save(out / MODEL_FILE)
    bitnet = train(best_bitnet, s.train_images, s.train_labels)[0].to_int_model()
    bitnet.save(out / BITNET_MODEL_FILE)
    np.savez_compressed(
        out / TEST_SET_FILE,
        x=preprocess(s.test_images, main_model.spec),
        x_bitnet=preprocess(s.test_images, bitnet.spec),
        labels=s.test_labels,
    )
    for label, config, model in (("main", best, main_model), ("bitnet", best_bitnet, bitnet)):
        x = preprocess(s.test_images, model.spec)
        print(f"# {label}: {config}")
        print(f"# {label}: shape {model.shape}, test accuracy {model.accuracy(x, s.test_labels)}")


def _rom(result: dict) -> int:
    shape = tuple(int(n) for n in result["shape"].split("-"))
    return rom_words_estimate(shape, xmax=result["xmax"])


def _ram(shape: str) -> int:
    return ram_bytes_estimate(tuple(int(n) for n in shape.split("-")))


def table(results: list[dict]) -> str:
    head = (
        "| stage | run | shape | weights | val acc | test acc | n weights | ROM words est. "
        "| RAM bytes est. | cycles est. |\n|---|---|---|---|---:|---:|---:|---:|---:|---:|"
    )
    rows = [
        f"| {r['stage']} | {r['name']} | {r['shape']} | {r['weights']} | "
        f"{100 * r['val_accuracy']:.2f} | {100 * r['test_accuracy']:.2f} | {r['n_weights']} | "
        f"{_rom(r)} | {_ram(r['shape'])} | {r['cycles_estimate']} |"
        for r in results
    ]
    return "\n".join([head, *rows])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pms150c.mnist.search")
    ap.add_argument("--data", help="folder with the four MNIST IDX files")
    ap.add_argument("--out", help="write all results as JSON here")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--final", help="run stages D, F, E and write the package data to this folder")
    ap.add_argument("--table", help="print the markdown table of a results JSON file and exit")
    args = ap.parse_args(argv)
    try:
        if args.table:
            with open(args.table) as f:
                print(table(json.load(f)))
            return 0
        if not args.data or not args.out:
            raise Pms150cError("--data and --out are required to run the search")
        s = Search(args.data, args.epochs)
        try:
            if args.final:
                run_final(s, args.final)
            else:
                run_search(s)
        finally:
            with open(args.out, "w") as f:
                json.dump(s.results, f, indent=1)
    except (Pms150cError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
