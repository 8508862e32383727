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
    assert result["rom_words"] <= 1024 and result["ram_bytes"] <= 64
    assert result["stack_max"] < 64 and result["mips"] > 0
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
