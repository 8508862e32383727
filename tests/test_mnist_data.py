"""The IDX loader accepts good files (gzip or raw) and names the file and reason for bad ones."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from pms150c.errors import DataError, Pms150cError
from pms150c.mnist.data import (
    PreprocessSpec,
    load_idx_pair,
    load_mnist,
    overlap_matrix,
    preprocess,
    read_idx,
)

MNIST = Path(__file__).resolve().parent.parent.parent / "shared" / "mnist"
needs_mnist = pytest.mark.skipif(
    not MNIST.is_dir(), reason="MNIST IDX folder ../shared/mnist absent"
)


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    array = np.asarray(array, np.uint8)
    head = (magic if magic is not None else 0x800 + array.ndim).to_bytes(4, "big")
    dims = b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return head + dims + array.tobytes()


def write(path: Path, data: bytes, compress: bool) -> Path:
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@pytest.fixture
def sample():
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, (3, 28, 28), dtype=np.uint8), np.array([7, 0, 9], np.uint8)


@pytest.mark.parametrize("compress", [True, False])
def test_reads_gzip_and_raw_files_by_content_not_name(tmp_path, sample, compress):
    images, labels = sample
    # Deliberately misleading names: the raw file is called .gz and the gzip one is not.
    ipath = write(tmp_path / ("imgs" if compress else "imgs.gz"), idx_bytes(images), compress)
    lpath = write(tmp_path / ("labs" if compress else "labs.gz"), idx_bytes(labels), compress)
    got_images, got_labels = load_idx_pair(ipath, lpath)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_load_mnist_finds_split_files_in_a_folder(tmp_path, sample):
    images, labels = sample
    write(tmp_path / "t10k-images-idx3-ubyte.gz", idx_bytes(images), True)
    write(tmp_path / "t10k-labels-idx1-ubyte", idx_bytes(labels), False)
    got_images, got_labels = load_mnist(tmp_path, "test")
    assert got_images.shape == (3, 28, 28)
    np.testing.assert_array_equal(got_labels, labels)


def corrupt_cases(images, labels):
    good_i, good_l = idx_bytes(images), idx_bytes(labels)
    return {
        "bad image magic": (idx_bytes(images, magic=2049), good_l, "magic number 2049"),
        "bad label magic": (good_i, idx_bytes(labels, magic=2051), "magic number 2051"),
        "not idx": (b"\x12\x34" + good_i[2:], good_l, "not an IDX file"),
        "wrong element type": (good_i[:2] + b"\x0d" + good_i[3:], good_l, "element type 0x0d"),
        "truncated data": (good_i[:-5], good_l, "truncated data"),
        "truncated header": (good_i[:9], good_l, "truncated IDX header"),
        "tiny file": (good_i[:2], good_l, "truncated IDX header"),
        "trailing bytes": (good_i + b"\x00", good_l, "bytes after the data"),
        "count mismatch": (good_i, idx_bytes(labels[:2]), "2 labels for 3 images"),
        "bad label": (good_i, idx_bytes(np.array([1, 10, 2])), "label 10 at index 1"),
        "wrong image size": (idx_bytes(images[:, :27, :]), good_l, "27x28"),
    }


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("case", list(corrupt_cases(np.zeros((3, 28, 28)), np.zeros(3)).keys()))
def test_rejects_corrupt_files_with_data_error_naming_the_file(tmp_path, sample, case, compress):
    image_data, label_data, reason = corrupt_cases(*sample)[case]
    ipath = write(tmp_path / "my-images.idx", image_data, compress)
    lpath = write(tmp_path / "my-labels.idx", label_data, compress)
    with pytest.raises(DataError) as info:
        load_idx_pair(ipath, lpath)
    message = str(info.value)
    assert reason in message
    assert "my-images.idx" in message or "my-labels.idx" in message


def test_rejects_broken_gzip_stream(tmp_path, sample):
    data = gzip.compress(idx_bytes(sample[0]))
    path = tmp_path / "cut.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="cut.gz"):
        read_idx(path, 2051)


def test_missing_file_and_folder_raise_data_error(tmp_path):
    with pytest.raises(DataError, match="nothing.gz"):
        read_idx(tmp_path / "nothing.gz", 2051)
    with pytest.raises(DataError, match="missing"):
        load_mnist(tmp_path, "train")
    with pytest.raises(DataError, match="not found"):
        load_mnist(tmp_path / "absent", "train")
    with pytest.raises(DataError, match="split"):
        load_mnist(tmp_path, "validation")


def test_data_error_is_a_pms150c_error():
    assert issubclass(DataError, Pms150cError)


@pytest.mark.parametrize("crop,size", [(20, 8), (24, 8), (16, 8), (21, 9), (28, 7), (8, 8)])
def test_overlap_matrix_covers_every_pixel_exactly_once(crop, size):
    m = overlap_matrix(crop, size)
    assert (m.sum(axis=1) == crop).all()  # each cell spans crop/size pixels
    assert (m.sum(axis=0) == size).all()  # each pixel's whole area is shared out


def test_preprocess_shape_range_and_determinism(sample):
    images, _ = sample
    spec = PreprocessSpec(top=4, left=4, crop=20, size=8, xmax=15)
    x = preprocess(images, spec)
    assert x.shape == (3, 64) and x.dtype == np.uint8
    assert x.max() <= 15
    np.testing.assert_array_equal(x, preprocess(images.copy(), spec))


def test_preprocess_maps_black_and_white_to_the_ends():
    images = np.stack([np.zeros((28, 28), np.uint8), np.full((28, 28), 255, np.uint8)])
    for xmax in (15, 31):
        x = preprocess(images, PreprocessSpec(xmax=xmax))
        assert (x[0] == 0).all() and (x[1] == xmax).all()


def test_preprocess_averages_boxes_of_an_integer_grid():
    # crop 24 -> 8x8 cells of exactly 3x3 pixels: a cell's level is floor(mean * 16 / 256).
    rng = np.random.default_rng(5)
    images = rng.integers(0, 256, (4, 28, 28), dtype=np.uint8)
    spec = PreprocessSpec(top=2, left=2, crop=24, size=8, xmax=15)
    region = images[:, 2:26, 2:26].astype(np.int64).reshape(4, 8, 3, 8, 3)
    expected = region.sum(axis=(2, 4)) * 16 // (256 * 9)
    np.testing.assert_array_equal(preprocess(images, spec), expected.reshape(4, 64))


def test_preprocess_gain_brightens_and_saturates():
    images = np.full((1, 28, 28), 128, np.uint8)
    plain = preprocess(images, PreprocessSpec(xmax=15))
    bright = preprocess(images, PreprocessSpec(xmax=15, gain_num=2, gain_den=1))
    assert (plain == 8).all() and (bright == 15).all()


def test_bad_spec_is_rejected():
    with pytest.raises(DataError):
        PreprocessSpec(top=10, left=4, crop=20)
    with pytest.raises(DataError):
        PreprocessSpec(crop=6, size=8)


@needs_mnist
def test_real_mnist_test_split_loads_with_known_labels():
    images, labels = load_mnist(MNIST, "test")
    assert images.shape == (10000, 28, 28)
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_preprocess_of_one_image_equals_its_row_in_a_batch(sample):
    images, _ = sample
    spec = PreprocessSpec()
    np.testing.assert_array_equal(preprocess(images[1], spec), preprocess(images, spec)[1])
    with pytest.raises(DataError, match="28, 28"):
        preprocess(images[:, :20, :], spec)


def test_train_cli_reports_bad_data_folder_in_one_line(tmp_path, capsys):
    from pms150c.mnist.train import main

    assert main(["--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "m.npz")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "not found" in err and err.count("\n") == 1
