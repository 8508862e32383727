"""The pytest plugin of pms150c: fixtures for firmware tests.

Installed with the package (entry point ``pytest11``: ``pms150c``), so any project that
``pip install``s pms150c gets, without a conftest:

* ``pms150c_machine``: a factory, ``pms150c_machine(target, **options) -> Machine`` for an
  Image, an .ihx/.hex (with the SDCC symbols beside it), an .asm/.s file, assembly source
  text or a .c file built with ``sdcc -mpdk13``. Relative paths are found beside the test
  file first, then in the current directory (see `pms150c.testing.load`).
* ``pms150c_sdcc``: builds C with ``sdcc -mpdk13`` into the session's temporary folder,
  once per set of sources and flags for the whole session, and returns the .ihx path. A
  test that asks for it is skipped, with the reason, when SDCC is not installed.

The helpers the fixtures go with (``assert_within``, ``call``, the hypothesis strategies)
are plain functions in `pms150c.testing`, usable without pytest. Importing this module
costs no Numba start-up: the simulator loads when a test first makes a Machine.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

from .load import Target, find_file, load
from .sdcc import SdccBuilder, sdcc_missing


def pytest_report_header(config) -> str:
    """One line at the top of a run: the pms150c version and the SDCC the fixtures use."""
    import shutil

    from .. import __version__

    found = shutil.which("sdcc")
    why = sdcc_missing()
    sdcc = f"sdcc -mpdk13 from {found}" if not why else "no sdcc: tests that build C skip"
    return f"pms150c {__version__}: {sdcc}"


class SdccFixture:
    """The ``pms150c_sdcc`` fixture: `SdccBuilder` with paths found beside the test file.

    ``pms150c_sdcc("firmware/main.c", defines={"BAUD": 9600}) -> Path`` of main.ihx;
    ``pms150c_sdcc(sources={"main.c": text})`` builds text. The builds are shared by the
    whole session."""

    def __init__(self, builder: SdccBuilder, base: Path):
        self.builder = builder
        self.base = base

    def __call__(
        self,
        source: str | os.PathLike | None = None,
        *,
        modules: Iterable[str | os.PathLike] = (),
        sources: Mapping[str, str] | None = None,
        flags: Iterable[str] | None = None,
        defines: Mapping[str, object] | None = None,
        include_dirs: Iterable[str | os.PathLike] = (),
    ) -> Path:
        __tracebackhide__ = True
        from .load import validate_sequence

        if source is not None:
            source = find_file(source, self.base)
        modules = [find_file(m, self.base) for m in validate_sequence(modules, "modules")]
        include_dirs = [
            find_file(d, self.base) for d in validate_sequence(include_dirs, "include_dirs")
        ]
        extra = {} if flags is None else {"flags": flags}
        return self.builder(
            source,
            modules=modules,
            sources=sources,
            defines=defines,
            include_dirs=include_dirs,
            **extra,
        )


@pytest.fixture(scope="session")
def pms150c_sdcc_builder(tmp_path_factory) -> SdccBuilder:
    """The session's `SdccBuilder` (skips when SDCC with the pdk13 port is missing)."""
    why = sdcc_missing()
    if why:
        pytest.skip(why)
    return SdccBuilder(tmp_path_factory.mktemp("pms150c-sdcc"))


@pytest.fixture(scope="module")
def pms150c_sdcc(pms150c_sdcc_builder, request) -> SdccFixture:
    """Build C with ``sdcc -mpdk13``: ``pms150c_sdcc("main.c", **options) -> Path`` of the
    .ihx (see `pms150c.testing.SdccBuilder`); paths are found beside the test file.
    Module-scoped (it keeps no state of its own), so hypothesis tests may use it."""
    return SdccFixture(pms150c_sdcc_builder, _test_folder(request))


class MachineFactory:
    """The ``pms150c_machine`` fixture: ``pms150c_machine(target, **options) -> Machine``
    (`pms150c.testing.load` with paths found beside the test file, assembly text named
    after the test module in messages, and .c files built by the session's builder)."""

    def __init__(self, request):
        self._request = request
        self.base = _test_folder(request)
        self.filename = f"<{Path(str(getattr(request, 'path', 'test'))).name}>"

    def __call__(self, target: Target, **options):
        __tracebackhide__ = True
        if _is_c_file(target) and "builder" not in options:  # skips without SDCC
            options["builder"] = self._request.getfixturevalue("pms150c_sdcc_builder")
        options.setdefault("base", self.base)
        if isinstance(target, str):
            options.setdefault("filename", self.filename)
        return load(target, **options)

    def __repr__(self) -> str:
        return f"<pms150c_machine factory for tests in {self.base}>"


@pytest.fixture(scope="module")
def pms150c_machine(request) -> MachineFactory:
    """A factory: ``pms150c_machine(target, **options) -> Machine`` at power-on, for an
    Image, an .ihx/.hex, an .asm/.s, assembly source text or a .c (built with sdcc; the
    test is skipped when SDCC is missing). Options are `pms150c.testing.load`'s. Each
    call makes a new Machine; the factory itself is module-scoped, so hypothesis tests
    may use it."""
    return MachineFactory(request)


def _is_c_file(target: object) -> bool:
    from .load import C_SUFFIXES, is_file_name

    if isinstance(target, str):
        return is_file_name(target) and target.strip().lower().endswith(C_SUFFIXES)
    if isinstance(target, os.PathLike):
        return os.fsdecode(os.fspath(target)).lower().endswith(C_SUFFIXES)
    return False


def _test_folder(request) -> Path:
    path = getattr(request, "path", None)  # pytest >= 7
    return Path(path).parent if path is not None else Path.cwd()
