"""Every malformed input in tests/bad_inputs/ ends in its one-line message, never a traceback.

tests/bad_inputs/cases.toml lists each case: the tool (`python -m pms150c` or
`python -m pms150c.run`), its arguments (relative to the corpus folder), the exit status and
the last line the tool must print on stderr. A case may `stage` corpus files into its
temporary folder (the cases that try to overwrite their inputs write only there) and list
the staged files that must come out `unchanged`. The cases run in-process through each
tool's `main(argv)` for speed; a sample of them also runs in a real subprocess, to show that
no "Traceback" reaches the terminal end to end.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import tomllib

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "bad_inputs"
CASES = tomllib.loads((CORPUS / "cases.toml").read_text())["case"]
CATEGORIES = ("asm", "hex", "idx", "model", "cli", "run")
# cases that also run through a real `python -m ...` process: one or two per category
SUBPROCESS_CASES = [
    "asm/deep_parentheses",
    "asm/include_self",
    "hex/bad_checksum_data",
    "idx/images_data_truncated",
    "cli/no_command",
    "cli/exec_pin_garbage",
    "run/exec_invalid_opcode",
    "asm/utf8_comments_keep_line_numbers",
    "asm/number_5000_digits",
    "cli/asm_dev_zero",
    "cli/asm_output_is_the_source",
    "cli/vcd_default_output_is_an_included_file",
]


# The IDX cases are tiny hand-made files, not MNIST data; they are stored under neutral
# names and each case gets a copy under the names the loader looks for.
IDX_FILE_NAMES = {"test-images": "t10k-images-idx3-ubyte", "test-labels": "t10k-labels-idx1-ubyte"}


def working_folder(case: dict, tmp_path: Path) -> Path:
    """The folder a case runs in: the corpus, or for IDX cases a staged copy of it."""
    if case["category"] != "idx":
        return CORPUS
    staged = tmp_path / "corpus"
    for source in (CORPUS / "idx").rglob("*"):
        if source.is_file() and f"idx/{source.parent.name}" in case["argv"]:
            stem, _, suffix = source.name.partition(".")
            target = staged / "idx" / source.parent.name / IDX_FILE_NAMES[stem]
            target = target.with_name(target.name + ("." + suffix if suffix else ""))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    (staged / "idx").mkdir(parents=True, exist_ok=True)
    return staged


def stage(case: dict, tmp_path: Path) -> None:
    """Copy the case's `stage` files from the corpus into {tmp}, same relative paths."""
    for name in case.get("stage", []):
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CORPUS / name, target)


def check_unchanged(case: dict, tmp_path: Path) -> None:
    """The staged inputs a case names are byte for byte the corpus files, and nothing
    else (no half-written output, no temporary file) appeared next to them."""
    for name in case.get("unchanged", []):
        assert (tmp_path / name).read_bytes() == (CORPUS / name).read_bytes(), name
    staged = {tmp_path / name for name in case.get("stage", [])}
    for folder in {p.parent for p in staged}:
        extra = set(folder.iterdir()) - staged
        assert not extra, f"{case_id(case)}: left {sorted(p.name for p in extra)}"


def case_id(case: dict) -> str:
    return f"{case['category']}/{case['name']}"


BY_ID = {case_id(c): c for c in CASES}


def expand(text: str, tmp_path: Path) -> str:
    return text.replace("{tmp}", str(tmp_path)).replace("{repo}", str(REPO))


def entry_point(tool: str):
    if tool == "pms150c":
        from pms150c.cli import main
    elif tool == "pms150c.run":
        from pms150c.run import main
    else:
        raise AssertionError(f"unknown tool {tool!r} in cases.toml")
    return main


def check_stderr(case: dict, code: int, err: str, tmp_path: Path) -> None:
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, f"{case_id(case)}: nothing on stderr"
    expected = expand(case["message"], tmp_path)
    match = case.get("match", "exact")
    if match == "prefix":
        assert lines[-1].startswith(expected), lines[-1]
    elif match == "regex":
        assert re.fullmatch(expected, lines[-1]), lines[-1]
    else:
        assert lines[-1] == expected
    if code in (1, 130):  # an error or Ctrl-C: one line (usage errors also print the usage)
        assert len(lines) == 1, err
    assert code == case["exit"] != 0


def test_corpus_covers_every_category_with_at_least_60_cases():
    counts = Counter(case["category"] for case in CASES)
    assert set(counts) == set(CATEGORIES), counts
    assert sum(counts.values()) >= 60
    assert all(counts[c] >= 4 for c in CATEGORIES), counts
    assert len(BY_ID) == len(CASES), "duplicate case names"


def test_every_corpus_file_is_used_by_a_case():
    used = " ".join(" ".join(case["argv"] + case.get("stage", [])) for case in CASES)
    for path in CORPUS.rglob("*"):
        if path.is_file() and path.suffix in (".asm", ".ihx", ".npz"):
            assert str(path.relative_to(CORPUS)) in used, f"{path.name} has no case"
    for folder in (CORPUS / "idx").iterdir():
        assert f"idx/{folder.name}" in used, f"{folder.name} has no case"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_gives_its_one_line_message(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(working_folder(case, tmp_path))
    stage(case, tmp_path)
    argv = [expand(arg, tmp_path) for arg in case["argv"]]
    try:
        code = entry_point(case["tool"])(argv)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    check_stderr(case, code, capsys.readouterr().err, tmp_path)
    check_unchanged(case, tmp_path)
    assert not (CORPUS / "asm" / "out.ihx").exists()


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_bad_input_through_a_real_process_prints_no_traceback(name, tmp_path):
    case = BY_ID[name]
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    stage(case, tmp_path)
    argv = [expand(arg, tmp_path) for arg in case["argv"]]
    proc = subprocess.run(
        [sys.executable, "-m", case["tool"], *argv],
        cwd=working_folder(case, tmp_path),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    check_stderr(case, proc.returncode, proc.stderr, tmp_path)
    check_unchanged(case, tmp_path)
    assert "Traceback" not in proc.stdout
