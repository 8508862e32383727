"""Building C firmware with SDCC (``sdcc -mpdk13``) for a test, once per set of inputs.

A firmware test wants the .ihx of its C source and the files SDCC writes beside it (.map,
.rst, .cdb, ...: `Machine.from_ihx` reads them for names and C lines). `SdccBuilder`
compiles each source into a directory of its own, as a user would run SDCC beside the
sources, and keeps the result for the rest of the process: the same sources with the same
flags are compiled once (the key is the sources' text, so an edited file is built again).

It needs Debian's ``sdcc`` package (SDCC 4.2.0 with the pdk13 port: ``sdcc``,
``sdaspdk13``, ``sdldpdk``). Without it, building raises `SdccNotFoundError`, which the
pytest plugin turns into a skip; a compile error is an `SdccError` carrying SDCC's output.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from .. import validate
from ..errors import ArgumentError, FileError, Pms150cError, printable

DEFAULT_FLAGS = ("--debug",)  # the .cdb: C types, locals, parameters and function ranges
SOURCE_LIMIT = 4 << 20  # bytes of one C source file
TIMEOUT_S = 300  # one sdcc command; a compile of a 1 K-word program takes about a second


class SdccError(Pms150cError):
    """SDCC failed to build the firmware: the message holds the command and its output."""


class SdccNotFoundError(SdccError):
    """SDCC with the pdk13 port is not installed (or not where it was said to be)."""


def sdcc_missing(sdcc: str = "sdcc") -> str | None:
    """Why `sdcc` cannot build PDK13 firmware here (a sentence for a skip), or None when the
    compiler and the pdk13 assembler and linker it runs are all on the PATH."""
    missing = [tool for tool in (sdcc, "sdaspdk13", "sdldpdk") if shutil.which(tool) is None]
    if not missing:
        return None
    return (
        f"SDCC with the pdk13 port is not installed ({', '.join(missing)} not found on the "
        "PATH; Debian/Ubuntu: apt-get install sdcc)"
    )


class SdccBuilder:
    """Compile C sources with ``sdcc -mpdk13`` into directories under `root` (a temporary
    directory by default), each build once per process.

    ``builder("main.c")`` returns the path of ``main.ihx``, with main.map, main.rst,
    main.cdb, ... beside it. `sdcc` names the compiler (default ``sdcc`` on the PATH)."""

    def __init__(self, root: str | os.PathLike | None = None, *, sdcc: str = "sdcc"):
        if not isinstance(sdcc, str) or not sdcc:
            raise ArgumentError(f"sdcc must be a command name, not {validate.describe(sdcc)}")
        if root is None:
            root = tempfile.mkdtemp(prefix="pms150c-sdcc-")
        self.root = validate.path(root, "the build directory")
        self.sdcc = sdcc
        self._cache: dict[str, Path] = {}

    def __call__(
        self,
        source: str | os.PathLike | None = None,
        *,
        modules: Iterable[str | os.PathLike] = (),
        sources: Mapping[str, str] | None = None,
        flags: Iterable[str] = DEFAULT_FLAGS,
        defines: Mapping[str, object] | None = None,
        include_dirs: Iterable[str | os.PathLike] = (),
    ) -> Path:
        """The .ihx built from the C file `source` (linked with the C files `modules`), or
        from `sources` (file name -> C text; the first is the main module) instead.

        `flags` go to every sdcc command (``--debug`` by default, for the .cdb with C
        types and locals; ``flags=()`` builds exactly what ``sdcc -mpdk13 main.c``
        would); `defines` become ``-DNAME=value`` (``-DNAME`` for None). Headers are found
        beside `source` and in `include_dirs`."""
        __tracebackhide__ = True  # pytest shows the test's line and the error, not ours
        files, search = self._inputs(source, modules, sources, include_dirs)
        args = [*self._flags(flags), *self._defines(defines)]
        args += [f"-I{d}" for d in search]
        key = hashlib.sha256(repr((self.sdcc, args, files)).encode()).hexdigest()[:16]
        if key in self._cache:
            return self._cache[key]
        stem = Path(files[0][0]).stem
        out = self.root / f"{stem}-{key}"
        out.mkdir(parents=True, exist_ok=True)
        for name, text in files:
            (out / name).write_bytes(text)
        names = [name for name, _ in files]
        command = [self.sdcc, "-mpdk13", *args]
        if len(names) == 1:
            self._run([*command, names[0]], out)
        else:  # compile each module, then link them with the main one first
            for name in names:
                self._run([*command, "-c", name], out)
            self._run([*command, *(Path(n).with_suffix(".rel").name for n in names)], out)
        ihx = out / Path(names[0]).with_suffix(".ihx").name
        if not ihx.is_file():
            raise SdccError(f"sdcc wrote no {ihx.name} in {out}")
        self._cache[key] = ihx
        return ihx

    # -- inputs ------------------------------------------------------------------------

    def _inputs(self, source, modules, sources, include_dirs) -> tuple[list, list[str]]:
        """[(file name, text)] with the main module first, and the header directories."""
        if (source is None) == (sources is None):
            raise ArgumentError("give the C file to build or sources={name: text}, not both")
        search = [str(_directory(d)) for d in _sequence(include_dirs, "include_dirs")]
        if sources is not None:
            if not isinstance(sources, Mapping) or not sources:
                raise ArgumentError(
                    "sources must be a dict {file name: C text}, not " + validate.describe(sources)
                )
            files = []
            for name, text in sources.items():
                if not isinstance(name, str) or not _plain_name(name):
                    raise ArgumentError(f"source name {name!r} must be a plain file name (main.c)")
                if not isinstance(text, str):
                    raise ArgumentError(
                        f"the text of {name} must be a str, not {validate.describe(text)}"
                    )
                files.append((name, text.encode("utf-8", errors="surrogateescape")))
            if _sequence(modules, "modules"):
                raise ArgumentError("modules go with a C file; with sources= list them all there")
            return files, search
        paths = [
            validate.path(source, "the C source"),
            *(validate.path(m, "a C module") for m in _sequence(modules, "modules")),
        ]
        files = [(p.name, _read_source(p)) for p in paths]
        if len({name for name, _ in files}) != len(files):
            raise ArgumentError("two C files with the same name cannot be built together")
        for directory in dict.fromkeys(str(p.resolve().parent) for p in paths):
            search.insert(0, directory)
        return files, list(dict.fromkeys(search))

    @staticmethod
    def _flags(flags) -> list[str]:
        flags = _sequence(flags, "flags")
        for flag in flags:
            if not isinstance(flag, str) or not flag.startswith("-"):
                raise ArgumentError(f"an sdcc flag must be a str starting with '-', not {flag!r}")
        return flags

    @staticmethod
    def _defines(defines) -> list[str]:
        if defines is None:
            return []
        if not isinstance(defines, Mapping):
            raise ArgumentError(f"defines must be a dict, not {validate.describe(defines)}")
        out = []
        for name, value in defines.items():
            if not isinstance(name, str) or not name.isidentifier():
                raise ArgumentError(f"a define's name must be a C identifier, not {name!r}")
            if value is None:
                out.append(f"-D{name}")
            elif isinstance(value, bool) or not isinstance(value, int | str):
                raise ArgumentError(f"the value of {name} must be an int or a str, not {value!r}")
            else:
                out.append(f"-D{name}={value}")
        return out

    # -- running -----------------------------------------------------------------------

    def _run(self, args: list[str], cwd: Path) -> None:
        __tracebackhide__ = True
        why = sdcc_missing(self.sdcc)
        if why:
            raise SdccNotFoundError(why)
        try:
            done = subprocess.run(
                args, cwd=cwd, capture_output=True, text=True, errors="replace", timeout=TIMEOUT_S
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SdccError(f"{' '.join(args)}: {exc}") from None
        if done.returncode != 0:
            output = (done.stdout + done.stderr).strip()
            raise SdccError(f"{' '.join(args)} failed in {cwd} (exit {done.returncode}):\n{output}")


_DEFAULT: list[SdccBuilder] = []


def default_builder() -> SdccBuilder:
    """The process's own `SdccBuilder` (in a temporary folder), for builds outside pytest:
    `pms150c.testing.load("main.c")` builds each source once per process with it."""
    if not _DEFAULT:
        _DEFAULT.append(SdccBuilder())
    return _DEFAULT[0]


def _sequence(value, what: str) -> list:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ArgumentError(f"{what} must be a list or tuple, not {validate.describe(value)}")
    return list(value)


def _plain_name(name: str) -> bool:
    return name not in ("", ".", "..") and "/" not in name and "\\" not in name and "\0" not in name


def _directory(value) -> Path:
    path = validate.path(value, "an include directory")
    if not path.is_dir():
        raise FileError(f"{printable(str(path))}: include directory does not exist")
    return path.resolve()


def _read_source(path: Path) -> bytes:
    from ..files import read_bytes

    return read_bytes(path, SOURCE_LIMIT)
