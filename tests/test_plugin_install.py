"""`pip install .` (a wheel, not an editable checkout) gives users the pytest plugin.

The wheel is built from this repository, installed into a new virtual environment with
pip, and a user's test file is run there by that environment's pytest, in a folder far from
the repository. The environment borrows numpy, Numba, pytest, ... from the running one (a
.pth line) so nothing is downloaded but the build backend pip fetches for any build; the
pms150c it imports is the installed copy (the test checks where it comes from). Slow: the
wheel build, and Numba compiling the core afresh for the installed copy (about 30 s).
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

USER_TEST = """
import pms150c

def test_pms150c_is_the_installed_copy():
    assert "site-packages" in pms150c.__file__, pms150c.__file__

def test_machine_fixture(pms150c_machine):
    m = pms150c_machine("mov a, #5\\nstopsys")
    m.run(100)
    assert m.a == 5

def test_fails_as_users_see_it(pms150c_machine):
    m = pms150c_machine("mov a, #5\\nstopsys")
    m.run(100)
    assert m.a == 6
"""


def run(args: list, **options) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, env=env, timeout=900, **options
    )


@pytest.mark.slow
def test_pip_install_registers_the_plugin_in_a_new_environment(tmp_path):
    wheels = tmp_path / "wheels"
    built = run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", wheels, REPO])
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = wheels.glob("pms150c-*.whl")
    venv = tmp_path / "venv"
    made = run([sys.executable, "-m", "venv", venv])
    assert made.returncode == 0, made.stderr
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    installed = run([python, "-m", "pip", "install", "-q", "--no-deps", wheel])
    assert installed.returncode == 0, installed.stdout + installed.stderr
    purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    # numpy, numba, pytest, ... from this environment, after the new one's own packages
    borrowed = [p for p in site.getsitepackages() if Path(p).is_dir()]
    Path(purelib.stdout.strip(), "borrowed.pth").write_text("\n".join(borrowed) + "\n")
    user = tmp_path / "user"
    user.mkdir()
    (user / "test_user.py").write_text(USER_TEST)
    result = run([python, "-m", "pytest", "-p", "no:cacheprovider", "test_user.py"], cwd=user)
    out = result.stdout
    assert "plugins:" in out and "pms150c-" in out, out
    assert "1 failed, 2 passed" in out, out + result.stderr
    assert "assert 5 == 6" in out
