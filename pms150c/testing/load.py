"""One call from whatever a test has to a Machine: an Image, an .ihx, assembly, or C.

`load` is what the `pms150c_machine` fixture calls. It decides by the type and the file
suffix, never by guessing at contents:

* an `Image` runs as it is;
* a path (a `Path`, or a str of one line ending in a known suffix) loads the file:
  ``.ihx``/``.hex`` with the SDCC symbols beside it, ``.asm``/``.s`` through the bundled
  assembler, ``.c`` built with ``sdcc -mpdk13`` first (`SdccBuilder`, once per process);
* any other str is assembly source (so ``load("mov a, #1\\nstopsys")`` works).

A relative path is looked up in `base` (the pytest fixture passes the test file's
folder) and then in the current directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .. import validate
from ..errors import ArgumentError, FileError, printable
from ..image import Image

if TYPE_CHECKING:
    from ..machine import Machine
    from .sdcc import SdccBuilder

HEX_SUFFIXES = (".ihx", ".hex")
ASM_SUFFIXES = (".asm", ".s")
C_SUFFIXES = (".c",)
SUFFIXES = HEX_SUFFIXES + ASM_SUFFIXES + C_SUFFIXES

Target = Image | str | os.PathLike


def is_file_name(text: str) -> bool:
    """Whether the str `text` names a file for `load` (one line with a known suffix)
    rather than holding assembly source."""
    return "\n" not in text and text.strip().lower().endswith(SUFFIXES)


def find_file(name: str | os.PathLike, base: str | os.PathLike | None = None) -> Path:
    """`name` itself when absolute; else the first of `base`/name and ./name that exists
    (`FileError` naming both places when neither does)."""
    path = validate.path(name, "the file name")
    if path.is_absolute():
        return path
    places = [] if base is None else [validate.path(base, "the base folder") / path]
    places.append(Path.cwd() / path)
    for place in places:
        if place.exists():
            return place
    where = " or ".join(printable(str(p.parent)) for p in places)
    raise FileError(f"{printable(str(path))}: no such file in {where}")


def load(
    target: Target,
    *,
    base: str | os.PathLike | None = None,
    builder: SdccBuilder | None = None,
    symbols=None,
    include_dirs: Iterable[str | os.PathLike] = (),
    strict: bool = True,
    predefine_io: bool = False,
    filename: str = "<asm>",
    modules: Iterable[str | os.PathLike] = (),
    flags: Iterable[str] | None = None,
    defines: Mapping[str, object] | None = None,
    stack_checks: bool = True,
    blank_checks: bool = True,
    translate: bool | None = None,
) -> Machine:
    """A power-on `Machine` running `target` (see the module docstring for what it may be).

    `symbols` is `Machine.from_ihx`'s (an .ihx or a .c build only); `include_dirs`,
    `strict` and `predefine_io` go to the assembler, `filename` names assembly source in
    its messages; `modules`, `flags` and `defines` go to the SDCC build (`builder`, a
    `SdccBuilder`; the process's own when None), `include_dirs` too. `stack_checks`,
    `blank_checks` and `translate` are the Machine's."""
    __tracebackhide__ = True  # a failing test shows its own line and the error
    from ..machine import Machine

    options = {"stack_checks": stack_checks, "blank_checks": blank_checks, "translate": translate}
    build_options = {"modules": modules, "flags": flags, "defines": defines}
    asked = [k for k, v in build_options.items() if v not in (None, ())]
    if isinstance(target, Image):
        _refuse(asked + _given(symbols=symbols), "an Image")
        return Machine(target, **options)
    if isinstance(target, str) and not is_file_name(target):
        _refuse(asked + _given(symbols=symbols), "assembly source")
        return Machine(_assemble(target, filename, include_dirs, strict, predefine_io), **options)
    if not isinstance(target, str | os.PathLike):
        raise ArgumentError(
            "load needs an Image, a file name (.ihx, .hex, .asm, .s, .c) or assembly source, "
            f"not {validate.describe(target)}"
        )
    path = find_file(target, base)
    suffix = path.suffix.lower()
    if suffix in HEX_SUFFIXES:
        _refuse(asked, "an Intel HEX file")
        return Machine.from_ihx(path, symbols=symbols, **options)
    if suffix in ASM_SUFFIXES:
        _refuse(asked + _given(symbols=symbols), "an assembly file")
        from ..toolchain.assembler import assemble_file

        image = assemble_file(
            path, include_dirs=_dirs(include_dirs), strict=strict, predefine_io=predefine_io
        )
        return Machine(image, **options)
    if suffix in C_SUFFIXES:
        if builder is None:
            from .sdcc import default_builder

            builder = default_builder()
        extra = {} if flags is None else {"flags": flags}
        ihx = builder(
            path,
            modules=[find_file(m, base) for m in validate_sequence(modules, "modules")],
            defines=defines,
            include_dirs=_dirs(include_dirs),
            **extra,
        )
        return Machine.from_ihx(ihx, symbols=symbols, **options)
    raise FileError(
        f"{printable(str(path))}: cannot load a '{printable(suffix)}' file: give an .ihx or "
        ".hex (Intel HEX), an .asm or .s (assembly) or a .c file (built with sdcc -mpdk13)"
    )


def validate_sequence(value, what: str) -> list:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ArgumentError(f"{what} must be a list or tuple, not {validate.describe(value)}")
    return list(value)


def _dirs(include_dirs) -> list[Path]:
    return [
        validate.path(d, "an include directory")
        for d in validate_sequence(include_dirs, "include_dirs")
    ]


def _given(**values) -> list[str]:
    return [k for k, v in values.items() if v is not None]


def _refuse(names: list[str], what: str) -> None:
    if names:
        raise ArgumentError(f"{', '.join(names)} cannot apply to {what}")


def _assemble(source: str, filename, include_dirs, strict, predefine_io) -> Image:
    from ..toolchain.assembler import assemble

    return assemble(
        source,
        filename=filename,
        include_dirs=_dirs(include_dirs),
        strict=strict,
        predefine_io=predefine_io,
    )
