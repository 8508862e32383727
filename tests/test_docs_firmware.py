"""docs/firmware.md's examples run as written: its test files through pytester, as a user
runs them beside the sources in docs/examples, and its snippets on a real SDCC build."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import pms150c.testing
import pms150c.testing.strategies
from pms150c.testing import SdccBuilder, sdcc_missing

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGE = DOCS / "firmware.md"
EXAMPLES = DOCS / "examples"
TEST_FILE = re.compile(r"^# (test_\w+\.py)\n")

pytestmark = pytest.mark.usefixtures("warm_numba")  # see tests/conftest.py


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.S)


def example_test_files() -> dict[str, str]:
    return {m[1]: block for block in python_blocks() if (m := TEST_FILE.match(block))}


def snippets() -> list[str]:
    return [block for block in python_blocks() if not TEST_FILE.match(block)]


def test_the_page_has_a_test_file_for_a_c_firmware_and_for_an_assembly_routine():
    files = example_test_files()
    assert set(files) == {"test_blinky.py", "test_mul8.py"}
    assert '"blinky.c"' in files["test_blinky.py"] and '"mul8.asm"' in files["test_mul8.py"]


def test_every_example_the_page_links_to_exists():
    linked = set(re.findall(r"\]\(examples/([\w.]+)\)", PAGE.read_text()))
    assert linked == {"blinky.c", "mul8.asm"}
    assert all((EXAMPLES / name).is_file() for name in linked)


def test_each_test_is_at_most_ten_lines_of_user_code():
    for text in example_test_files().values():
        for body in re.findall(r"^def test_\w+\(.*?\):\n((?:    .*\n|\n)+)", text, flags=re.M):
            code = [line for line in body.splitlines() if line.strip()]
            assert 1 <= len(code) <= 10, body


@pytest.mark.sdcc
def test_the_test_files_pass_beside_the_examples(pytester):
    if sdcc_missing():
        pytest.skip(sdcc_missing())
    for source in EXAMPLES.iterdir():
        shutil.copy(source, pytester.path)
    files = example_test_files()
    for name, text in files.items():
        (pytester.path / name).write_text(text)
    tests = sum(len(re.findall(r"^def test_", text, flags=re.M)) for text in files.values())
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=tests)


def test_the_assembly_test_file_passes_without_sdcc(pytester, monkeypatch):
    monkeypatch.setenv("PATH", str(pytester.path))  # no sdcc: the C example is skipped
    for source in EXAMPLES.iterdir():
        shutil.copy(source, pytester.path)
    for name, text in example_test_files().items():
        (pytester.path / name).write_text(text)
    result = pytester.runpytest("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["SKIPPED*SDCC with the pdk13 port is not installed*"])


@pytest.mark.sdcc
def test_the_snippets_run_on_the_build_they_name(tmp_path, monkeypatch):
    if sdcc_missing():
        pytest.skip(sdcc_missing())
    builder = SdccBuilder(tmp_path / "builds")
    for snippet in snippets():
        names = set(re.findall(r'"build/(\w+)\.ihx"', snippet))
        assert names, f"a snippet of firmware.md names no build/NAME.ihx:\n{snippet}"
        work = tmp_path / "work"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        for name in names:
            shutil.copytree(builder(EXAMPLES / f"{name}.c").parent, work / "build")
        monkeypatch.chdir(work)
        exec(compile(snippet, str(PAGE), "exec"), {})


def test_the_tables_name_what_the_modules_export():
    text = PAGE.read_text()
    helpers = re.findall(r"^\| `(\w+)\(", text.split("### Helpers")[1].split("###")[0], re.M)
    assert set(helpers) <= set(pms150c.testing.__all__) and len(helpers) >= 6
    strategies = text.split("### Strategies")[1].split("###")[0]
    for name in re.findall(r"`(\w+)\(", strategies):
        assert callable(getattr(pms150c.testing.strategies, name, None)), name
