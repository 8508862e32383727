"""Shared fixtures: C firmware built with Debian's `sdcc -mpdk13`, once per session."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

FIRMWARE_DIR = Path(__file__).parent / "firmware"
HAVE_SDCC = shutil.which("sdcc") is not None and shutil.which("sdaspdk13") is not None
NO_SDCC = "sdcc with the pdk13 port (Debian package 'sdcc') is not installed"


class SdccBuild:
    """Compile C sources from tests/firmware (or given text) into a directory of their
    own, as a user would: ``sdcc -mpdk13 [flags] main.c`` run beside the sources, so
    SDCC writes its .ihx, .map, .rst, .lst, .sym (and .cdb with --debug) there."""

    def __init__(self, root: Path):
        self.root = root
        self.cache: dict[tuple, Path] = {}

    def __call__(
        self,
        name: str,
        *,
        flags: tuple[str, ...] = ("--debug",),
        defines: dict | None = None,
        sources: dict[str, str] | None = None,
        modules: tuple[str, ...] = (),
    ) -> Path:
        """The .ihx of tests/firmware/NAME.c (or of `sources`: file name -> text, the first
        is the main module; `modules` are more tests/firmware files to link)."""
        defines = dict(defines or {})
        key = (
            name,
            flags,
            tuple(sorted(defines.items())),
            tuple(sorted((sources or {}).items())),
            modules,
        )
        if key in self.cache:
            return self.cache[key]
        out = self.root / f"{name}-{len(self.cache)}"
        out.mkdir(parents=True)
        shutil.copy(FIRMWARE_DIR / "pms150c.h", out)
        if sources:
            for filename, text in sources.items():
                (out / filename).write_text(text)
            files = list(sources)
        else:
            files = [f"{name}.c", *(f"{m}.c" for m in modules)]
            for filename in files:
                shutil.copy(FIRMWARE_DIR / filename, out)
        args = ["sdcc", "-mpdk13", *flags, *(f"-D{k}={v}" for k, v in defines.items())]
        if len(files) == 1:
            self._run([*args, files[0]], out)
        else:  # compile each module, then link them (the first is the main one)
            for filename in files:
                self._run([*args, "-c", filename], out)
            self._run([*args, *(Path(f).with_suffix(".rel").name for f in files)], out)
        ihx = out / Path(files[0]).with_suffix(".ihx").name
        self.cache[key] = ihx
        return ihx

    @staticmethod
    def _run(args: list[str], cwd: Path) -> None:
        done = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
        assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout}{done.stderr}"


@pytest.fixture(scope="session")
def sdcc_build(tmp_path_factory) -> SdccBuild:
    """Build C firmware with sdcc -mpdk13 (cached per session); skips without sdcc."""
    if not HAVE_SDCC:
        pytest.skip(NO_SDCC)
    return SdccBuild(tmp_path_factory.mktemp("sdcc"))
