"""MNIST IDX files in, small quantized input vectors out.

The loader trusts nothing: it reads the whole file, decides gzip or raw from the gzip magic
bytes (never from the file name), and checks the IDX header, the element type, the
dimensions and the byte count before it builds an array. Anything wrong becomes a
`DataError` that names the file and the reason, so a user with a damaged download gets one
clear line instead of a numpy traceback.

`preprocess` turns 28x28 grey images into what the chip sees: a square crop, an exact
area-weighted box average down to `size x size`, and quantization to `0..xmax`. It is done in
integer arithmetic only, so the result is the same on every machine and BLAS.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from pms150c.errors import DataError, printable

IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049
UNSIGNED_BYTE = 0x08
GZIP_MAGIC = b"\x1f\x8b"
# The MNIST training images are 47,040,016 bytes: a file, or what its gzip holds, may be
# a few times that, no more (a gzip that inflates to gigabytes is refused as it inflates).
MAX_IDX_BYTES = 256 << 20

SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _read_bytes(path: Path) -> bytes:
    from pms150c.files import read_bytes

    name = printable(path.name)
    raw = read_bytes(
        path, MAX_IDX_BYTES, lambda reason: DataError(f"{name}: cannot read file ({reason})")
    )
    if raw[:2] == GZIP_MAGIC:
        raw = _gunzip(raw, name)
    return raw


def _gunzip(raw: bytes, name: str) -> bytes:
    """The data of every gzip member in `raw`, refused as soon as it passes the bound."""
    out, total = [], 0
    while raw:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            chunk = inflater.decompress(raw, MAX_IDX_BYTES + 1 - total)
        except zlib.error as exc:
            raise DataError(f"{name}: corrupt gzip data ({exc})") from None
        total += len(chunk)
        out.append(chunk)
        if total > MAX_IDX_BYTES or inflater.unconsumed_tail:
            raise DataError(f"{name}: gzip data inflates to more than {MAX_IDX_BYTES >> 20} MiB")
        if not inflater.eof:
            raise DataError(
                f"{name}: corrupt gzip data (Compressed file ended before the end-of-stream "
                "marker was reached)"
            )
        raw = inflater.unused_data
        if raw and raw[:2] != GZIP_MAGIC:
            break  # trailing bytes after the last member (gzip tolerates zero padding)
    return b"".join(out)


def read_idx(path: str | Path, magic: int) -> np.ndarray:
    """Read one IDX file of unsigned bytes whose magic number must be `magic`."""
    from pms150c.validate import path as as_path

    path = as_path(path, "the IDX file name", error=DataError)
    raw = _read_bytes(path)
    name = printable(path.name)
    if len(raw) < 4:
        raise DataError(f"{name}: truncated IDX header ({len(raw)} bytes)")
    if raw[0] != 0 or raw[1] != 0:
        raise DataError(f"{name}: not an IDX file (first bytes {raw[:2].hex()}, expected 0000)")
    if raw[2] != UNSIGNED_BYTE:
        raise DataError(f"{name}: element type 0x{raw[2]:02x}, expected 0x08 (unsigned byte)")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise DataError(f"{name}: magic number {found}, expected {magic}")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{name}: truncated IDX header ({len(raw)} of {header} bytes)")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + math.prod(shape)  # Python ints: no int64 overflow to wrap around
    if len(raw) != expected:
        from pms150c.errors import shorten
        from pms150c.validate import show_int

        dims = shorten(str(shape), 80)
        if len(raw) < expected:
            raise DataError(
                f"{name}: truncated data ({len(raw)} of {show_int(expected)} bytes for {dims})"
            )
        raise DataError(f"{name}: {len(raw) - expected} bytes after the data for {dims}")
    return np.frombuffer(raw, np.uint8, offset=header).reshape(shape).copy()


def _find(folder: Path, stem: str) -> Path:
    from pms150c.files import kind

    for candidate in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem + ".raw"):
        path = folder / candidate
        if kind(path) != "missing":  # a file; or a device, a folder: its reader says so
            return path
    shown = printable(str(folder))
    raise DataError(f"{stem}: missing in {shown} (looked for {stem} and {stem}.gz)")


def load_idx_pair(
    images_path: str | Path, labels_path: str | Path
) -> tuple[np.ndarray, np.ndarray]:
    """Load and cross-check one image file and its label file."""
    images = read_idx(images_path, IMAGE_MAGIC)
    labels = read_idx(labels_path, LABEL_MAGIC)
    iname, lname = printable(Path(images_path).name), printable(Path(labels_path).name)
    if images.ndim != 3:
        raise DataError(f"{iname}: {images.ndim} dimensions, expected 3 (count, rows, cols)")
    if labels.ndim != 1:
        raise DataError(f"{lname}: {labels.ndim} dimensions, expected 1 (count)")
    if images.shape[1:] != (28, 28):
        raise DataError(f"{iname}: images are {images.shape[1]}x{images.shape[2]}, expected 28x28")
    if len(images) == 0:
        raise DataError(f"{iname}: a valid IDX file with no images in it")
    if len(images) != len(labels):
        raise DataError(f"{lname}: {len(labels)} labels for {len(images)} images in {iname}")
    if len(labels) and labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise DataError(f"{lname}: label {labels[bad]} at index {bad} is not a digit 0..9")
    return images, labels


def load_mnist(folder: str | Path, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Return `(images uint8[N, 28, 28], labels uint8[N])` of one split from an IDX folder."""
    from pms150c.files import kind
    from pms150c.validate import path as as_path

    if not isinstance(split, str) or split not in SPLIT_FILES:
        raise DataError(f"unknown MNIST split {split!r}, expected 'train' or 'test'")
    folder = as_path(folder, "the MNIST data folder", error=DataError)
    if kind(folder) != "directory":
        raise DataError(f"{printable(str(folder))}: MNIST data folder not found")
    image_stem, label_stem = SPLIT_FILES[split]
    return load_idx_pair(_find(folder, image_stem), _find(folder, label_stem))


MAX_GAIN = 1024  # gain_num / gain_den: far brighter than any stroke needs, and int64-safe


@dataclass(frozen=True)
class PreprocessSpec:
    """How a 28x28 image becomes the chip's input vector.

    The crop is the square `rows top..top+crop-1`, `cols left..left+crop-1`. It is split
    into `size x size` equal cells (fractional cell edges are fine: each source pixel counts
    with the exact share of its area that lies in the cell), each cell is averaged, and the
    average `a` in 0..255 becomes `min(xmax, floor(a * gain * (xmax + 1) / 256))`.
    `gain` (a rational `gain_num / gain_den`) brightens the thin strokes that box averaging
    dims; `xmax + 1` levels then cover 0..255/gain evenly.
    """

    top: int = 4
    left: int = 4
    crop: int = 20
    size: int = 8
    xmax: int = 15
    gain_num: int = 1
    gain_den: int = 1

    def __post_init__(self) -> None:
        from pms150c.validate import integer

        for name in ("top", "left", "crop", "size", "xmax", "gain_num", "gain_den"):
            value = getattr(self, name)
            if isinstance(value, bool):  # True is an int to Python, not a pixel count
                raise DataError(f"preprocessing {name} must be an integer, not {value!r}")
            limit = MAX_GAIN if name.startswith("gain") else 255
            checked = integer(value, f"preprocessing {name}", -limit, limit, error=DataError)
            object.__setattr__(self, name, checked)
        if not (0 <= self.top and 0 <= self.left and self.top + self.crop <= 28):
            raise DataError(f"crop {self.crop} at ({self.top}, {self.left}) leaves the image")
        if self.left + self.crop > 28 or not (1 <= self.size <= self.crop):
            raise DataError(f"bad crop/size {self.crop}/{self.size}")
        if not (1 <= self.xmax <= 255 and self.gain_num >= 1 and self.gain_den >= 1):
            raise DataError(
                f"bad quantization xmax={self.xmax} gain={self.gain_num}/{self.gain_den}"
            )

    @property
    def n_inputs(self) -> int:
        return self.size * self.size

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def overlap_matrix(crop: int, size: int) -> np.ndarray:
    """Integer areas: entry (j, i) is how much of pixel i falls in cell j, in units of 1/size.

    On a line scaled by `size`, pixel i covers [i*size, (i+1)*size) and cell j covers
    [j*crop, (j+1)*crop); their overlap is an integer, and each row sums to `crop`.
    """
    i = np.arange(crop)
    j = np.arange(size)[:, None]
    lo = np.maximum(i * size, j * crop)
    hi = np.minimum((i + 1) * size, (j + 1) * crop)
    return np.maximum(hi - lo, 0).astype(np.int64)


def box_sums(images: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """Area-weighted sums per cell, int64[N, size, size]; divide by crop**2 for the mean."""
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(f"expected images of shape (N, 28, 28), got {images.shape}")
    region = images[:, spec.top : spec.top + spec.crop, spec.left : spec.left + spec.crop]
    overlap = overlap_matrix(spec.crop, spec.size)
    region = region.astype(np.int64)
    return np.einsum("ji,nik,lk->njl", overlap, region, overlap, optimize=True)


def preprocess(images: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """Crop, box-average and quantize: uint8[N, size*size] with values 0..xmax, row-major.

    A single 28x28 image gives a single vector of `size*size` values.
    """
    images = np.asarray(images)
    if images.shape == (28, 28):
        return preprocess(images[None], spec)[0]
    sums = box_sums(images, spec)
    scale = 256 * spec.crop * spec.crop * spec.gain_den
    q = sums * (spec.gain_num * (spec.xmax + 1)) // scale
    return np.minimum(q, spec.xmax).astype(np.uint8).reshape(len(sums), -1)
