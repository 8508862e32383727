"""The README's library example runs as written and prints what its comment promises."""

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_library_example_prints_what_its_comment_says():
    (example,) = python_blocks(README.read_text())
    promised = re.search(r"print\(.*\)\s*#\s*(.+)$", example, flags=re.M).group(1).strip()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(example, str(README), "exec"), {})
    assert out.getvalue().strip() == promised


def test_readme_example_is_at_most_ten_lines_of_code():
    (example,) = python_blocks(README.read_text())
    code = [line for line in example.splitlines() if line.strip()]
    # the embedded assembly is data, not code lines
    asm = re.search(r'"""(.*?)"""', example, flags=re.S).group(1)
    assert len(code) - len([x for x in asm.splitlines() if x.strip()]) <= 10


def test_readme_test_command_is_the_one_ci_runs():
    readme = README.read_text()
    ci = (README.parent / ".ci" / "run").read_text()
    assert "pip install -q '.[test]'" in readme and "python -m pytest -q" in readme
    assert "'.[test]'" in ci and "python -m pytest -q" in ci
