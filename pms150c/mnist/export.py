"""Trained weights in, assembly includes out: the `ret k` tables the kernels in asm/ read.

Both kernels store a 2-bit weight w in {-2, -1, +1, +2} as the bit pair (u, v) with
w = 3u + v - 2: (u, v) = (0, 0) is -2, (0, 1) -1, (1, 0) +1, (1, 1) +2. A dot product then
splits into two masked sums and one shared total, sum(w*x) = 3*sum_u(x) + sum_v(x) - 2*sum(x),
which is what lets the kernels test one weight bit per `t0sn` and add a whole input with one
`add`.

The byte order of each table is the order in which the kernel consumes it; the functions
`main_table_bytes` and `bitnet_table_bytes` are the single description of that order, and the
kernel tests assemble random tables through them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from pms150c.errors import DataError
from pms150c.mnist.model import IntModel

GROUP = 4  # hidden neurons the main kernel computes together (one pass over the image)
MAIN_HMAX_LIMIT = 85  # the main kernel adds 3*h as one byte
MAIN_MAX_HIDDEN = 64  # RAM is fine up to here; ROM is checked by the assembler


def weight_bits(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(u, v) bit arrays of a weight array with entries in {-2, -1, 1, 2}."""
    w = np.asarray(w, dtype=np.int64)
    if not np.isin(w, (-2, -1, 1, 2)).all():
        raise DataError("weights must be in {-2, -1, +1, +2}")
    code = np.where(w < 0, w + 2, w + 1)  # -2 -> 0, -1 -> 1, +1 -> 2, +2 -> 3
    return code >> 1, code & 1


def _check_main(model: IntModel) -> None:
    model.validate()
    if len(model.layers) != 2:
        raise DataError(f"the main kernel runs one hidden layer, the model has {model.shape}")
    w1 = model.layers[0].weights
    if w1.shape[1] != 64 or model.xmax > 15:
        raise DataError("the main kernel takes 64 inputs of 0..15 (two pixels per image byte)")
    hidden = w1.shape[0]
    if hidden % GROUP or not 0 < hidden <= MAIN_MAX_HIDDEN:
        raise DataError(f"hidden width {hidden}: the main kernel needs a multiple of {GROUP}")
    if model.layers[0].hmax > MAIN_HMAX_LIMIT:
        raise DataError(f"hmax {model.layers[0].hmax}: the main kernel allows at most 85")


def main_table_bytes(model: IntModel) -> list[int]:
    """The main kernel's weight stream, one byte per `ret k` word, in consumption order.

    Per group of four hidden neurons (a, b, c, d): for each image byte q (pixels 2q in the
    low nibble, 2q+1 in the high nibble) two bytes, [a b] then [c d], each with the bits
    u(n0,2q) v(n0,2q) u(n1,2q) v(n1,2q) u(n0,2q+1) v(n0,2q+1) u(n1,2q+1) v(n1,2q+1) from bit 7
    down; then for each pair of neurons (a, b), (c, d) five bytes of their output weights as
    (u, v) pairs: [a8 a9 b8 b9] [a0..a3] [a4..a7] [b0..b3] [b4..b7].
    """
    _check_main(model)
    u1, v1 = weight_bits(model.layers[0].weights)
    u2, v2 = weight_bits(model.layers[1].weights)  # (10, hidden)
    out: list[int] = []
    for g in range(u1.shape[0] // GROUP):
        rows = range(GROUP * g, GROUP * g + GROUP)
        for q in range(32):
            for pair in ((rows[0], rows[1]), (rows[2], rows[3])):
                bits = []
                for pixel in (2 * q, 2 * q + 1):
                    for n in pair:
                        bits += [u1[n, pixel], v1[n, pixel]]
                out.append(_pack(bits))
        for first in (rows[0], rows[2]):
            a, b = ([(u2[k, j], v2[k, j]) for k in range(10)] for j in (first, first + 1))
            out.append(_pack([*a[8], *a[9], *b[8], *b[9]]))
            for outputs in (a[0:4], a[4:8], b[0:4], b[4:8]):
                out.append(_pack([bit for pair in outputs for bit in pair]))
    return out


def bitnet_table_bytes(model: IntModel) -> list[list[int]]:
    """Per layer of the BitNetPDK-shape kernel: for each output neuron, its weights over the
    inputs in order, four per byte, (u, v) of input 4i from bits 7, 6 down to input 4i+3."""
    _check_bitnet(model)
    tables = []
    for layer in model.layers:
        u, v = weight_bits(layer.weights)
        rows = []
        for n in range(u.shape[0]):
            bits = [b for i in range(u.shape[1]) for b in (u[n, i], v[n, i])]
            rows += [_pack(bits[k : k + 8]) for k in range(0, len(bits), 8)]
        tables.append(rows)
    return tables


def _check_bitnet(model: IntModel) -> None:
    model.validate()
    if model.shape != (64, 16, 16, 16, 10):
        raise DataError(f"the BitNetPDK kernel is 64-16-16-16-10, the model is {model.shape}")
    if model.xmax > 31:
        raise DataError("the BitNetPDK kernel takes inputs of 0..31")
    if any(lay.hmax > 127 for lay in model.layers[:-1]):
        raise DataError("the BitNetPDK kernel keeps hidden values below 128")


def _pack(bits) -> int:
    value = 0
    for b in bits:
        value = value << 1 | int(b)
    return value


def _ret_lines(values: list[int]) -> list[str]:
    return [f"        ret #0x{v:02x}" for v in values]


def main_include(model: IntModel, source: str = "") -> str:
    """The text of asm/mnist_weights.inc for `model`."""
    data = main_table_bytes(model)
    lay = model.layers[0]
    lines = [
        "; Generated by pms150c.mnist.export from the trained model; do not edit.",
        f"; model: {source or 'in memory'}, shape {'-'.join(map(str, model.shape))}",
        "; Layout and bit order: pms150c/mnist/export.py main_table_bytes().",
        f"HIDDEN = {lay.weights.shape[0]}",
        f"NGROUPS = {lay.weights.shape[0] // GROUP}",
        f"SHIFT1 = {lay.shift}",
        f"HMAX1 = {lay.hmax}",
        "",
        "w_table:",
    ]
    lines += _ret_lines(data)
    return "\n".join(lines) + "\n"


def bitnet_include(model: IntModel, source: str = "") -> str:
    """The text of asm/mnist_bitnet_weights.inc for `model`."""
    tables = bitnet_table_bytes(model)
    lines = [
        "; Generated by pms150c.mnist.export from the trained model; do not edit.",
        f"; model: {source or 'in memory'}, shape {'-'.join(map(str, model.shape))}",
        "; Layout and bit order: pms150c/mnist/export.py bitnet_table_bytes().",
    ]
    for k, lay in enumerate(model.layers[:-1], start=1):
        lines += [f"SHIFT{k} = {lay.shift}", f"HMAX{k} = {lay.hmax}"]
    for k, rows in enumerate(tables, start=1):
        lines += ["", f"w{k}_table:"] + _ret_lines(rows)
    return "\n".join(lines) + "\n"


def write_includes(asm_dir: str | Path) -> list[Path]:
    """Regenerate both includes in `asm_dir` from the shipped models."""
    from pms150c.mnist.model import bitnet_model, default_model

    asm_dir = Path(asm_dir)
    written = []
    for name, model, make, src in (
        ("mnist_weights.inc", default_model, main_include, "pms150c/data/mnist_model.npz"),
        (
            "mnist_bitnet_weights.inc",
            bitnet_model,
            bitnet_include,
            "pms150c/data/mnist_bitnet_model.npz",
        ),
    ):
        path = asm_dir / name
        path.write_text(make(model(), src))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write the kernels' weight includes into asm/.")
    ap.add_argument("--asm-dir", default=str(Path(__file__).resolve().parents[2] / "asm"))
    args = ap.parse_args(argv)
    for path in write_includes(args.asm_dir):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
