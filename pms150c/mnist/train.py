"""Quantization-aware training of the integer MLP, in plain numpy.

Each layer keeps float "shadow" weights. The forward pass rounds them to the chip's weight
set ({-2, -1, +1, +2}, or {-1, 0, +1} for the ternary experiment) and then runs the exact
integer arithmetic of `pms150c.mnist.model`: integer matrix products (exact in float32,
every value stays far below 2**24), `floor(acc / 2**s)` and the clip to `0..hmax`. So the
network that is trained is the network that ships: after training, the integer model gives
the same logits as the training forward pass, not an approximation of them.

Gradients cross the two non-differentiable steps with straight-through estimators: the
weight rounding passes the gradient to the shadow weight (shadow weights are clipped to
±2.5 so they cannot drift away), and the floor counts as identity, so the hidden unit's
gradient is `1 / 2**s` inside the clip window and zero outside. The softmax loss sees the
logits times a learned temperature, which does not change the argmax.

Adam with a cosine-decayed learning rate, fixed seeds: the same command gives the same
weights. Models are chosen on a validation split held out from the training set (the last
10,000 training images); the test set is only used for the reported figures.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from pms150c.errors import Pms150cError
from pms150c.mnist.data import PreprocessSpec, load_mnist, preprocess
from pms150c.mnist.model import IntModel, Layer

VALIDATION_SIZE = 10_000


@dataclass
class TrainConfig:
    hidden: tuple[int, ...] = (40,)
    shifts: tuple[int, ...] = (3,)
    hmax: tuple[int, ...] = (15,)
    weights: str = "2bit"  # "2bit": {-2,-1,1,2}; "ternary": {-1,0,1} (experiment only)
    epochs: int = 40
    batch: int = 128
    lr: float = 0.01
    lr_min: float = 0.0
    seed: int = 0
    augment: int = 0  # random translation of the 28x28 image by up to this many pixels
    distill: float = 0.0  # weight of the distillation loss from a float teacher (0: none)
    distill_temp: float = 4.0  # softmax temperature of the distillation loss
    teacher_hidden: int = 256  # width of the float teacher MLP (same inputs as the student)
    spec: PreprocessSpec = field(default_factory=PreprocessSpec)


def quantize(w: np.ndarray, kind: str) -> np.ndarray:
    """Round shadow weights to the weight set; ties and zero go to the positive side."""
    if kind == "2bit":
        mag = np.where(np.abs(w) < 1.5, 1.0, 2.0).astype(np.float32)
        return np.where(w >= 0, mag, -mag)
    if kind == "ternary":
        return np.clip(np.floor(w + 0.5), -1, 1).astype(np.float32)
    raise ValueError(f"unknown weight set {kind!r}")


def softmax(s: np.ndarray) -> np.ndarray:
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def train_teacher(x: np.ndarray, y: np.ndarray, config: TrainConfig) -> np.ndarray:
    """A float MLP (one ReLU layer) on the same inputs; returns its softened probabilities.

    Only its soft targets are used: they tell the 2-bit student which wrong digits are
    nearly right, which the one-hot labels cannot.
    """
    rng = np.random.default_rng(config.seed + 1000)
    xf = x.astype(np.float32) / config.spec.xmax
    n_in, width = xf.shape[1], config.teacher_hidden
    w1 = (rng.standard_normal((n_in, width)) * np.sqrt(2 / n_in)).astype(np.float32)
    b1 = np.zeros(width, np.float32)
    w2 = (rng.standard_normal((width, 10)) * np.sqrt(1 / width)).astype(np.float32)
    b2 = np.zeros(10, np.float32)
    params = [w1, b1, w2, b2]
    opt = Adam(params)
    epochs, batch = 30, 128
    steps = math.ceil(len(y) / batch)
    total, step = epochs * steps, 0
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for b in range(steps):
            idx = order[b * batch : (b + 1) * batch]
            h = np.maximum(xf[idx] @ w1 + b1, 0)
            p = softmax(h @ w2 + b2)
            p[np.arange(len(idx)), y[idx]] -= 1
            p /= len(idx)
            dh = (p @ w2.T) * (h > 0)
            grads = [xf[idx].T @ dh, dh.sum(0), h.T @ p, p.sum(0)]
            opt.step(grads, 0.002 * 0.5 * (1 + math.cos(math.pi * step / total)))
            step += 1
    logits = np.maximum(xf @ w1 + b1, 0) @ w2 + b2
    return softmax(logits / config.distill_temp).astype(np.float32)


class Adam:
    def __init__(self, params: list[np.ndarray], b1: float = 0.9, b2: float = 0.999):
        self.params = params
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.b1, self.b2, self.t = b1, b2, 0

    def step(self, grads: list[np.ndarray], lr: float) -> None:
        self.t += 1
        c1 = 1 - self.b1**self.t
        c2 = 1 - self.b2**self.t
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m *= self.b1
            m += (1 - self.b1) * g
            v *= self.b2
            v += (1 - self.b2) * g * g
            p -= lr * (m / c1) / (np.sqrt(v / c2) + 1e-8)


class QatNet:
    """The float shadow network; `forward` is integer-exact, `backward` uses the STEs."""

    def __init__(self, config: TrainConfig, rng: np.random.Generator):
        self.config = config
        sizes = (config.spec.n_inputs, *config.hidden, 10)
        limit = 2.0 if config.weights == "2bit" else 1.0
        self.shadow = [
            rng.uniform(-limit, limit, size=(n_out, n_in)).astype(np.float32)
            for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=False)
        ]
        self.log_temp = np.array([math.log(0.05)], np.float32)
        self.clip = 2.5 if config.weights == "2bit" else 1.5

    def quantized(self) -> list[np.ndarray]:
        return [quantize(w, self.config.weights) for w in self.shadow]

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, list]:
        cfg = self.config
        wq = self.quantized()
        h = x.astype(np.float32)
        cache = []
        for k, w in enumerate(wq[:-1]):
            acc = h @ w.T
            z = np.floor(acc * np.float32(2.0 ** -cfg.shifts[k]))
            out = np.clip(z, 0, cfg.hmax[k])
            cache.append((h, (z >= 0) & (z <= cfg.hmax[k])))
            h = out
        logits = h @ wq[-1].T
        cache.append((h, None))
        return logits, (wq, cache)

    def loss_and_grads(self, x: np.ndarray, y: np.ndarray, soft: np.ndarray | None = None):
        """Cross-entropy (plus distillation towards `soft` if given) and its gradients."""
        cfg = self.config
        logits, (wq, cache) = self.forward(x)
        temp = np.exp(self.log_temp[0])
        s = logits * temp
        p = softmax(s)
        n = len(y)
        loss = -np.mean(np.log(p[np.arange(n), y] + 1e-12))
        ds = p
        ds[np.arange(n), y] -= 1
        if soft is not None:
            t = cfg.distill_temp
            p_t = softmax(s / t)
            loss = (1 - cfg.distill) * loss - cfg.distill * t * t * np.mean(
                np.sum(soft * np.log(p_t + 1e-12), axis=1)
            )
            ds = (1 - cfg.distill) * ds + cfg.distill * t * (p_t - soft)
        ds /= n
        g_logtemp = np.array([np.sum(ds * logits) * temp], np.float32)
        grad = (ds * temp).astype(np.float32)
        grads = [None] * len(wq)
        for k in range(len(wq) - 1, -1, -1):
            h_in, mask = cache[k]
            if mask is not None:
                grad = grad * mask * np.float32(2.0 ** -cfg.shifts[k])
            grads[k] = grad.T @ h_in
            if k:
                grad = grad @ wq[k]
        return loss, grads, g_logtemp

    def int_forward(self, x: np.ndarray) -> np.ndarray:
        """Exact integer logits (works for ternary weights too, which IntModel refuses)."""
        h = x.astype(np.int64)
        wq = [w.astype(np.int64) for w in self.quantized()]
        for k, w in enumerate(wq[:-1]):
            h = np.clip((h @ w.T) >> self.config.shifts[k], 0, self.config.hmax[k])
        return h @ wq[-1].T

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(np.argmax(self.int_forward(x), axis=1) == y))

    def to_int_model(self) -> IntModel:
        cfg = self.config
        wq = [w.astype(np.int8) for w in self.quantized()]
        layers = [Layer(w, s, h) for w, s, h in zip(wq[:-1], cfg.shifts, cfg.hmax, strict=True)]
        layers.append(Layer(wq[-1]))
        model = IntModel(cfg.spec, layers)
        model.validate()
        return model


def translate(images: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Shift each 28x28 image by a random (dy, dx) in -max_shift..max_shift, zero-filled."""
    n = len(images)
    pad = np.pad(images, ((0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    dy = rng.integers(0, 2 * max_shift + 1, n)
    dx = rng.integers(0, 2 * max_shift + 1, n)
    rows = dy[:, None] + np.arange(28)
    cols = dx[:, None] + np.arange(28)
    return pad[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]


def train(
    config: TrainConfig,
    train_images: np.ndarray,
    train_labels: np.ndarray,
    val_x: np.ndarray | None = None,
    val_labels: np.ndarray | None = None,
    log=None,
) -> tuple[QatNet, list[dict]]:
    """Train on raw 28x28 images (preprocessed here, so augmentation can act on pixels)."""
    rng = np.random.default_rng(config.seed)
    net = QatNet(config, rng)
    opt = Adam([*net.shadow, net.log_temp])
    x_fixed = preprocess(train_images, config.spec) if not config.augment else None
    y = train_labels.astype(np.int64)
    soft = None
    if config.distill:
        if config.augment:
            raise ValueError("distillation needs fixed inputs; use augment=0")
        soft = train_teacher(x_fixed, y, config)
    n = len(y)
    steps_per_epoch = math.ceil(n / config.batch)
    total = steps_per_epoch * config.epochs
    step = 0
    history = []
    for epoch in range(config.epochs):
        if config.augment:
            x_all = preprocess(translate(train_images, config.augment, rng), config.spec)
        else:
            x_all = x_fixed
        order = rng.permutation(n)
        losses = []
        for b in range(steps_per_epoch):
            idx = order[b * config.batch : (b + 1) * config.batch]
            loss, grads, g_temp = net.loss_and_grads(
                x_all[idx], y[idx], None if soft is None else soft[idx]
            )
            lr = config.lr_min + 0.5 * (config.lr - config.lr_min) * (
                1 + math.cos(math.pi * step / total)
            )
            opt.step([*grads, g_temp], lr)
            for w in net.shadow:
                np.clip(w, -net.clip, net.clip, out=w)
            losses.append(loss)
            step += 1
        record = {"epoch": epoch + 1, "loss": float(np.mean(losses))}
        if val_x is not None:
            record["val_accuracy"] = net.accuracy(val_x, val_labels)
        history.append(record)
        if log:
            log(record)
    return net, history


def split_validation(images: np.ndarray, labels: np.ndarray, size: int = VALIDATION_SIZE):
    """The last `size` training images form the validation split."""
    return (images[:-size], labels[:-size]), (images[-size:], labels[-size:])


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(t) for t in text.split(",") if t)


def _per_layer(values: tuple[int, ...], n: int) -> tuple[int, ...]:
    return values * n if len(values) == 1 else values


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m pms150c.mnist.train", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--data", required=True, help="folder with the four MNIST IDX files")
    ap.add_argument("--out", required=True, help="output .npz model file")
    ap.add_argument(
        "--hidden", default="40", help="hidden widths, comma separated (40 or 16,16,16)"
    )
    ap.add_argument("--shift", default="3", help="shift per hidden layer (one value for all)")
    ap.add_argument("--hmax", default="15", help="clip ceiling per hidden layer")
    ap.add_argument("--xmax", type=int, default=15, help="input levels 0..xmax")
    ap.add_argument("--crop", type=int, default=20, help="central square crop of the 28x28 image")
    ap.add_argument("--gain", default="1/1", help="brightness gain before quantization, as a/b")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--augment", type=int, default=0, help="random translation in pixels")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--distill", type=float, default=0.0, help="weight of teacher distillation")
    ap.add_argument("--all", action="store_true", help="train on all 60,000 (no validation)")
    args = ap.parse_args(argv)
    try:
        hidden = _ints(args.hidden)
        gain_num, gain_den = (int(t) for t in args.gain.split("/"))
        top = (28 - args.crop) // 2
        spec = PreprocessSpec(top, top, args.crop, 8, args.xmax, gain_num, gain_den)
        config = TrainConfig(
            hidden=hidden,
            shifts=_per_layer(_ints(args.shift), len(hidden)),
            hmax=_per_layer(_ints(args.hmax), len(hidden)),
            epochs=args.epochs,
            batch=args.batch,
            lr=args.lr,
            seed=args.seed,
            augment=args.augment,
            distill=args.distill,
            spec=spec,
        )
        images, labels = load_mnist(args.data, "train")
        test_images, test_labels = load_mnist(args.data, "test")
        if args.all:
            val = None
        else:
            (images, labels), (vi, vl) = split_validation(images, labels)
            val = (preprocess(vi, spec), vl)
        start = time.perf_counter()
        net, history = train(
            config, images, labels, *(val or (None, None)), log=lambda r: print(r, flush=True)
        )
        elapsed = time.perf_counter() - start
        model = net.to_int_model()
        model.save(args.out)
        test_acc = model.accuracy(preprocess(test_images, spec), test_labels)
        print(f"trained in {elapsed:.1f} s; shape {model.shape}; test accuracy {test_acc:.4f}")
    except (Pms150cError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
