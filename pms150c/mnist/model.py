"""The integer reference model: bit for bit what the PMS150C kernel computes.

The arithmetic contract (the kernel in asm/ implements exactly this):

    x = the input vector: n_in integers in 0..xmax (8x8 image, row-major)
    for each hidden layer l:
        W_l is an int matrix (n_out, n_in), every entry in {-2, -1, +1, +2}, no bias
        acc = W_l @ x                      exact integer; the kernel keeps it in a 16-bit signed
                                           accumulator, and `validate` guarantees
                                           sum(|W_l[j]|) * max(x) < 32768 for every row j,
                                           so it never overflows
        x = clip(acc >> s_l, 0, hmax_l)    arithmetic shift right by s_l (floor division by
                                           2**s_l, so -1 >> 1 == -1), then saturate to 0..hmax_l
                                           (this is the ReLU)
    logits = W_out @ x                     exact integer, entries of W_out in {-2, -1, +1, +2};
                                           also proven to fit in int16 by `validate`
    digit = the smallest index among the maximal logits   (argmax, ties go to the lowest index)

The output layer has no shift and no clip. There is no rounding anywhere: the only
non-linear steps are the floor of the shift and the saturation.

`IntModel.forward` computes this for a whole batch with int64 numpy; the training code
(`pms150c.mnist.train`) trains through the same shift and clip, so its float forward agrees
with this one.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
import zlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from pms150c.errors import DataError, printable
from pms150c.mnist.data import PreprocessSpec

WEIGHT_VALUES = (-2, -1, 1, 2)
ACC_LIMIT = 32768  # 16-bit signed accumulator: |acc| must stay below this
WEIGHTS_PER_WORD = 4  # four 2-bit weights per `ret k` word (8-bit immediate)
# Budget estimates for the design search, made before the kernel existed (docs/mnist.md has
# the kernel's measured figures: 64-40-10 takes 1008 words, 60 RAM bytes, 28,761 cycles mean).
CODE_WORDS_ESTIMATE = 220  # kernel code
CYCLES_PER_WEIGHT_ESTIMATE = 10  # a rough guess
RAM_OVERHEAD_ESTIMATE = 13  # accumulator, loop counters, pointers, argmax state, stack


@dataclass
class Layer:
    """One fully connected layer; `shift` and `hmax` are None for the output (logit) layer."""

    weights: np.ndarray  # int8 (n_out, n_in), entries in WEIGHT_VALUES
    shift: int | None = None
    hmax: int | None = None

    @property
    def is_output(self) -> bool:
        return self.shift is None


@dataclass
class IntModel:
    """An integer MLP plus the preprocessing that produces its inputs."""

    spec: PreprocessSpec
    layers: list[Layer] = field(default_factory=list)

    @property
    def xmax(self) -> int:
        return self.spec.xmax

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.layers[0].weights.shape[1],) + tuple(
            lay.weights.shape[0] for lay in self.layers
        )

    @property
    def n_weights(self) -> int:
        return sum(lay.weights.size for lay in self.layers)

    def validate(self) -> None:
        """Raise DataError unless the model obeys the arithmetic contract."""
        if not self.layers:
            raise DataError("model has no layers")
        n_in = self.spec.n_inputs
        in_max = self.spec.xmax
        for k, lay in enumerate(self.layers):
            w = lay.weights
            last = k == len(self.layers) - 1
            if w.ndim != 2 or w.shape[1] != n_in:
                raise DataError(f"layer {k}: weights of shape {w.shape}, expected (n, {n_in})")
            if not np.isin(w, WEIGHT_VALUES).all():
                raise DataError(f"layer {k}: weights outside {{-2, -1, 1, 2}}")
            if last != lay.is_output:
                raise DataError(f"layer {k}: only the last layer may (and must) lack shift/hmax")
            if not last and not (0 <= lay.shift <= 15 and 1 <= lay.hmax <= 255):
                raise DataError(f"layer {k}: shift {lay.shift} / hmax {lay.hmax} out of range")
            worst = int(np.abs(w.astype(np.int64)).sum(axis=1).max()) * in_max
            if worst >= ACC_LIMIT:
                raise DataError(f"layer {k}: accumulator may reach {worst}, beyond int16")
            n_in = w.shape[0]
            in_max = lay.hmax if not last else 0
        if n_in != 10:
            raise DataError(f"output layer has {n_in} outputs, expected 10")

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """Classify a batch: `x` int[N, n_in] in 0..xmax (or a single vector).

        Returns `(digits int64[N], intermediates)`, where intermediates holds, per layer, the
        values the kernel keeps: the clipped hidden activations of each hidden layer and, last,
        the logits (all int64[N, n_out]).
        """
        x = np.asarray(x)
        single = x.ndim == 1
        h = np.atleast_2d(x).astype(np.int64)
        if h.min(initial=0) < 0 or h.max(initial=0) > self.xmax:
            raise DataError(f"input values outside 0..{self.xmax}")
        intermediates = []
        for lay in self.layers:
            acc = h @ lay.weights.astype(np.int64).T
            if lay.is_output:
                h = acc
            else:
                h = np.clip(acc >> lay.shift, 0, lay.hmax)
            intermediates.append(h)
        digits = np.argmax(h, axis=1)  # numpy's argmax returns the first maximum
        if single:
            return digits[:1], [m[0] for m in intermediates]
        return digits, intermediates

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)[0]

    def accuracy(self, x: np.ndarray, labels: np.ndarray) -> float:
        return float(np.mean(self.predict(x) == np.asarray(labels)))

    # --- budget estimates of the design search ---

    def rom_words_estimate(self, code_words: int = CODE_WORDS_ESTIMATE) -> int:
        """Weights packed 4 per `ret k` word + image slot (2 pixels per word) + code."""
        return rom_words_estimate(self.shape, code_words, self.xmax)

    def ram_bytes_estimate(self) -> int:
        return ram_bytes_estimate(self.shape)

    # --- files ---

    def save(self, path: str | Path) -> None:
        arrays = {f"w{k}": lay.weights.astype(np.int8) for k, lay in enumerate(self.layers)}
        meta = {
            "format": "pms150c-intmodel-1",
            "spec": self.spec.as_dict(),
            "shifts": [lay.shift for lay in self.layers],
            "hmax": [lay.hmax for lay in self.layers],
        }
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
        with open(path, "wb") as f:
            np.savez_compressed(f, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> IntModel:
        """Read a model saved by `save`. Anything else, however it is made, is a DataError
        naming the file: the file is read whole (at most MAX_MODEL_BYTES) and never
        unpickled, each array is bounded before it inflates, and the metadata must have
        exactly the types `save` writes."""
        from pms150c.files import read_bytes
        from pms150c.validate import path as as_path

        path = as_path(path, "the model file name", error=DataError)
        name = printable(path.name)
        data = read_bytes(
            path, MAX_MODEL_BYTES, lambda reason: DataError(f"{name}: cannot read ({reason})")
        )
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist():
                    if info.file_size > MAX_ARRAY_BYTES:
                        raise DataError(
                            f"an array ({info.filename}) of {info.file_size} bytes, more than "
                            f"{MAX_ARRAY_BYTES >> 20} MiB"
                        )
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                raw = npz["meta"]
                if raw.dtype != np.uint8 or raw.ndim != 1:
                    raise DataError("its metadata is not a JSON byte string")
                meta = _checked_meta(json.loads(bytes(raw).decode("utf-8")))
                shifts, hmaxes = meta["shifts"], meta["hmax"]
                weights = [npz[f"w{k}"] for k in range(len(shifts))]
                spec = PreprocessSpec(**meta["spec"])
        except DataError as exc:
            raise DataError(f"{name}: {exc}") from None
        except (
            OSError,
            ValueError,  # also json's and UnicodeDecodeError
            KeyError,
            TypeError,
            AttributeError,
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
            NotImplementedError,  # a zip compression method Python lacks
            RecursionError,  # JSON nested thousands deep
        ) as exc:
            kind = type(exc).__name__
            raise DataError(f"{name}: corrupt model file ({kind}: {_short(str(exc))})") from None
        if any(w.dtype != np.int8 for w in weights):
            raise DataError(f"{name}: inconsistent layer data")
        layers = [Layer(w, s, h) for w, s, h in zip(weights, shifts, hmaxes, strict=True)]
        model = cls(spec, layers)
        try:
            model.validate()
        except DataError as exc:
            raise DataError(f"{name}: {exc}") from None
        return model


MAX_MODEL_BYTES = 16 << 20  # the shipped models are a few KB
MAX_ARRAY_BYTES = 16 << 20  # what one array of a model file may inflate to
MAX_LAYERS = 64


def _short(text: str, limit: int = 120) -> str:
    from pms150c.errors import shorten

    return shorten(printable(text), limit)


def _checked_meta(meta) -> dict:
    """The metadata `save` writes, refusing any other shape or type: a dict with format,
    spec (names to ints), shifts and hmax (lists of ints or null, one per layer)."""
    if not isinstance(meta, dict):
        raise DataError(f"its metadata is a JSON {type(meta).__name__}, not an object")
    if meta.get("format") != "pms150c-intmodel-1":
        raise DataError(f"unknown model format {_short(repr(meta.get('format')), 60)}")
    spec = meta.get("spec")
    if not isinstance(spec, dict) or not all(isinstance(k, str) for k in spec):
        raise DataError("its preprocessing spec is not an object of names")
    for key in ("shifts", "hmax"):
        values = meta.get(key)
        if not isinstance(values, list) or not 1 <= len(values) <= MAX_LAYERS:
            raise DataError(f"'{key}' is not a list of 1..{MAX_LAYERS} layers")
        for v in values:
            if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
                raise DataError(f"'{key}' holds {_short(repr(v), 40)}, not an integer or null")
    if len(meta["shifts"]) != len(meta["hmax"]):
        raise DataError("inconsistent layer data")
    return meta


def rom_words_estimate(
    shape: tuple[int, ...], code_words: int = CODE_WORDS_ESTIMATE, xmax: int = 15
) -> int:
    """Packed weights + image slot (two 4-bit pixels per word, one if xmax > 15) + code."""
    n_weights = sum(a * b for a, b in zip(shape[:-1], shape[1:], strict=False))
    pixels_per_word = 2 if xmax <= 15 else 1
    image_words = math.ceil(shape[0] / pixels_per_word)
    return math.ceil(n_weights / WEIGHTS_PER_WORD) + image_words + code_words


def ram_bytes_estimate(shape: tuple[int, ...]) -> int:
    """Two consecutive hidden layers' activations (a layer reads one, writes the next) + overhead.

    The input lives in the ROM image slot and the logits are reduced to a running argmax,
    so neither needs a RAM array.
    """
    hidden = shape[1:-1]
    pairs = [a + b for a, b in zip(hidden[:-1], hidden[1:], strict=False)] or list(hidden)
    return max(pairs) + RAM_OVERHEAD_ESTIMATE


MODEL_FILE = "mnist_model.npz"
BITNET_MODEL_FILE = "mnist_bitnet_model.npz"
TEST_SET_FILE = "mnist_test_8x8.npz"


def _package_file(name: str):
    return resources.files("pms150c.data").joinpath(name)


def default_model() -> IntModel:
    """The trained model shipped as package data."""
    with resources.as_file(_package_file(MODEL_FILE)) as path:
        return IntModel.load(path)


def bitnet_model() -> IntModel:
    """The published BitNetPDK shape (64-16-16-16-10), trained by our trainer."""
    with resources.as_file(_package_file(BITNET_MODEL_FILE)) as path:
        return IntModel.load(path)


def shipped_test_set(kind: str = "main") -> tuple[np.ndarray, np.ndarray]:
    """The preprocessed MNIST test set shipped as package data: `(x uint8[N, 64], labels)`.

    `kind` is "main" (the default model's inputs) or "bitnet" (the BitNetPDK-shape inputs).
    """
    key = {"main": "x", "bitnet": "x_bitnet"}.get(kind)
    if key is None:
        raise DataError(f"unknown test set kind {kind!r}, expected 'main' or 'bitnet'")
    with resources.as_file(_package_file(TEST_SET_FILE)) as path:
        try:
            with np.load(path, allow_pickle=False) as npz:
                return npz[key].copy(), npz["labels"].copy()
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            raise DataError(f"{TEST_SET_FILE}: corrupt test set ({exc})") from None
