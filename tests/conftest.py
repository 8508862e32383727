"""Shared fixtures: the C firmware of tests/firmware built with Debian's `sdcc -mpdk13`,
once per session, through the pytest plugin's builder (pms150c/testing/sdcc.py)."""

from __future__ import annotations

from pathlib import Path

# pytester's in-process runs (tests/test_plugin.py, tests/test_docs_firmware.py) drop the
# modules first imported inside them when they end; Numba imports numba.core.boxing lazily,
# at the first compile that unboxes an argument, and cannot import it a second time
# ("duplicate registration for Boolean"). Imported here, it outlives every inner run, so
# those tests pass whatever ran before them.
import numba.core.boxing  # noqa: F401
import pytest

from pms150c.testing.sdcc import DEFAULT_FLAGS

FIRMWARE_DIR = Path(__file__).parent / "firmware"


@pytest.fixture(scope="session")
def sdcc_build(pms150c_sdcc_builder):
    """``sdcc_build(name, flags=, defines=, sources=, modules=)``: the .ihx of
    tests/firmware/NAME.c (linked with the tests/firmware `modules`), or of `sources`
    (file name -> text, the first is the main module; tests/firmware's headers are found).
    Skips without sdcc (the plugin's `pms150c_sdcc_builder` does)."""

    def build(
        name: str,
        *,
        flags: tuple[str, ...] = DEFAULT_FLAGS,
        defines: dict | None = None,
        sources: dict[str, str] | None = None,
        modules: tuple[str, ...] = (),
    ) -> Path:
        if sources:
            return pms150c_sdcc_builder(
                sources=sources, flags=flags, defines=defines, include_dirs=[FIRMWARE_DIR]
            )
        return pms150c_sdcc_builder(
            FIRMWARE_DIR / f"{name}.c",
            modules=[FIRMWARE_DIR / f"{m}.c" for m in modules],
            flags=flags,
            defines=defines,
        )

    return build


@pytest.fixture(scope="session")
def warm_numba():
    """Numba's lazily imported parts, loaded in this process before a pytester run.

    pytester's in-process runs drop the modules a run imported when it ends; Numba
    registers types when some of its modules are first imported, and a second import
    after such a drop fails ("duplicate registration"). A Machine that runs, stops on a
    data condition and makes a call here loads them all once, outside any inner run."""
    from pms150c import Machine, assemble
    from pms150c.debug.conditions import a

    m = Machine(assemble("main:\n mov a, #1\n ret\n"))
    m.break_when(a == 1)
    m.run(10)
    m.remove_break_when()
    m.call("main", sp=0x20)
