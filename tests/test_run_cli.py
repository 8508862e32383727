"""`python -m pms150c.run`: JSON summary on a few images, one-line errors on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pms150c.mnist.kernel import firmware_dir
from pms150c.mnist.model import bitnet_model, default_model, shipped_test_set

REPO = Path(__file__).resolve().parents[1]
KEYS = {"accuracy", "images", "agree_with_reference", "cycles_mean", "cycles_max"}
KEYS |= {"rom_words", "ram_bytes", "stack_max", "mips"}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pms150c.run", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )


def check_summary(result: dict, model, kind: str, n: int) -> None:
    assert KEYS <= result.keys()
    x, labels = shipped_test_set(kind)
    ref = model.predict(x[:n])
    assert result["images"] == n
    assert result["accuracy"] == pytest.approx(float(np.mean(ref == labels[:n])))
    assert result["agree_with_reference"] == 1.0
    assert result["logits_agree"] == 1.0
    assert 0 < result["cycles_mean"] <= result["cycles_max"]
    # the system area 0x3f0-0x3ff stays blank; the stack never reaches the weight pointer
    assert result["rom_words"] <= 0x3F0 and result["rom_top"] < 0x3F0
    assert result["ram_bytes"] <= result["ram_top"] + 1 <= 64
    assert result["stack_max"] == 0x3C and result["mips"] > 0
    assert sum(map(sum, result["confusion"])) == n


def test_json_summary_of_the_bitnet_kernel_on_50_images():
    firmware = str(firmware_dir() / "mnist_bitnet.asm")
    proc = run_cli("--firmware", firmware, "--limit", "50", "--json")
    assert proc.returncode == 0, proc.stderr
    check_summary(json.loads(proc.stdout), bitnet_model(), "bitnet", 50)


def test_json_summary_of_the_default_kernel_on_50_images_with_two_jobs():
    proc = run_cli("--limit", "50", "--jobs", "2", "--json")
    assert proc.returncode == 0, proc.stderr
    check_summary(json.loads(proc.stdout), default_model(), "main", 50)


def random_weight_firmware(tmp_path: Path):
    """An .ihx of the main kernel built with random weights, with no .asm next to it, and
    the model (.npz) it was built from."""
    from pms150c.mnist.kernel import build_kernel
    from pms150c.mnist.model import IntModel, Layer

    rng = np.random.default_rng(21)
    values = np.array([-2, -1, 1, 2], dtype=np.int8)
    layers = [Layer(rng.choice(values, (36, 64)), 3, 31), Layer(rng.choice(values, (10, 36)))]
    model = IntModel(default_model().spec, layers)
    (tmp_path / "random.ihx").write_text(build_kernel(model).image.to_ihx())
    model.save(tmp_path / "random.npz")
    return model, tmp_path / "random.ihx", tmp_path / "random.npz"


def test_ihx_without_its_asm_runs_with_the_shipped_kernels_layout(tmp_path):
    from pms150c.mnist.kernel import shipped_kernel

    (tmp_path / "main.ihx").write_text(shipped_kernel().image.to_ihx())
    proc = run_cli("--firmware", str(tmp_path / "main.ihx"), "--limit", "30", "--json")
    assert proc.returncode == 0, proc.stderr
    check_summary(json.loads(proc.stdout), default_model(), "main", 30)


def test_other_weights_have_no_agreement_figure_unless_their_model_is_given(tmp_path):
    model, ihx, npz = random_weight_firmware(tmp_path)
    proc = run_cli("--firmware", str(ihx), "--limit", "30", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["agree_with_reference"] is None and result["logits_agree"] is None
    proc = run_cli("--firmware", str(ihx), "--model", str(npz), "--limit", "30", "--json")
    assert proc.returncode == 0, proc.stderr
    check_summary(json.loads(proc.stdout), model, "main", 30)


def test_mips_is_the_exact_instruction_count_over_the_wall_time():
    proc = run_cli("--limit", "20", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert 20 * 15_000 < result["instructions"] < 20 * result["cycles_mean"]
    assert result["mips"] == pytest.approx(result["instructions"] / result["wall_s"] / 1e6)
    assert result["rom_top"] < 0x3F0


def test_table_output_names_every_figure():
    firmware = str(firmware_dir() / "mnist_bitnet.asm")
    proc = run_cli("--firmware", firmware, "--limit", "20")
    assert proc.returncode == 0, proc.stderr
    for word in ("accuracy", "agreement", "cycles", "ROM", "RAM", "stack", "MIPS", "confusion"):
        assert word in proc.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--limit", "0"], "--limit"),
        (["--limit", "many"], "invalid int"),
        (["--jobs", "0"], "--jobs"),
        (["--firmware", "no/such/file.asm"], "no such firmware"),
        (["--firmware", "pyproject.toml"], ".asm or .ihx"),
        (["--data", "no/such/folder"], "not a folder"),
        (["--model", "no/such/model.npz"], "no such file"),
        (["--model", "pyproject.toml"], "pyproject.toml"),
        (["--model", "pms150c/data/mnist_bitnet_model.npz"], "one hidden layer"),
        (["--bogus"], "unrecognized"),
    ],
)
def test_bad_arguments_give_one_line_and_non_zero_exit(args, message):
    proc = run_cli(*args)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
    assert "Traceback" not in proc.stderr


def test_corrupt_data_folder_gives_one_line(tmp_path):
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03garbage")
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00")
    firmware = str(firmware_dir() / "mnist_bitnet.asm")
    proc = run_cli("--firmware", firmware, "--data", str(tmp_path), "--limit", "5")
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "t10k" in lines[0]
