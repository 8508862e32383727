"""Reading inputs and writing outputs so that neither can hang, exhaust memory or destroy.

Reading: a file is opened without blocking (a FIFO does not wait for a writer), must be a
regular file (not a directory, a device such as /dev/zero, a FIFO or a socket) and may be
at most `limit` bytes; anything else is one error naming the file.

Writing: an output goes to a temporary file in the same folder, renamed over the target
only when complete, so an error or Ctrl-C half-way leaves the old file as it was and no
partial file behind. Outputs that are not regular files (/dev/null, /dev/stdout, a FIFO
with a reader) are written directly. `refuse_clobber` stops a command before it runs when
an output is one of its inputs or another output: the same file by any spelling, symlink
or hard link.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

from .errors import FileError, Pms150cError, printable
from .validate import path as as_path

MiB = 1 << 20

Fail = Callable[[str], Pms150cError]


def _file_error(path: Path, verb: str) -> Fail:
    return lambda reason: FileError(f"{printable(str(path))}: cannot {verb}: {reason}")


def _oserror_reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def read_bytes(path, limit: int, fail: Fail | None = None) -> bytes:
    """The contents of the regular file `path`, at most `limit` bytes.

    `fail(reason)` builds the exception raised (default: FileError "PATH: cannot read:
    reason"); reasons are the OS's ("No such file or directory", "File name too long"),
    "Is a directory", "Not a regular file" and "File larger than N bytes"."""
    path = as_path(path, error=FileError) if not isinstance(path, Path) else path
    fail = fail or _file_error(path, "read")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise fail(_oserror_reason(exc)) from None
    except ValueError:  # a NUL in the name
        raise fail("the file name contains a NUL character") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise fail("Is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise fail("Not a regular file (a device, FIFO or socket)")
        if info.st_size > limit:
            raise fail(f"File larger than {_size(limit)}")
        chunks, total = [], 0
        while True:  # st_size may be 0 (/proc) or change: read to the end, bounded
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise fail(f"File larger than {_size(limit)}")
    except OSError as exc:
        raise fail(_oserror_reason(exc)) from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def _size(limit: int) -> str:
    return f"{limit // MiB} MiB" if limit % MiB == 0 else f"{limit} bytes"


def kind(path) -> str:
    """ "file", "directory", "missing" or "other" (a device, FIFO, socket; or a name the
    OS refuses, too long or with a NUL), without raising."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        try:
            os.lstat(path)  # a dangling symlink, an over-long name: not simply missing
        except FileNotFoundError:
            return "missing"
        except (OSError, ValueError):
            return "other"
        return "missing"
    if stat.S_ISREG(info.st_mode):
        return "file"
    return "directory" if stat.S_ISDIR(info.st_mode) else "other"


# -- the same file -------------------------------------------------------------------------


def _identity(path: Path) -> tuple:
    """What makes two paths one file: (device, inode) of an existing file, else the
    absolute path with symlinks resolved (for an output that does not exist yet)."""
    try:
        info = os.stat(path)
        return ("inode", info.st_dev, info.st_ino)
    except (OSError, ValueError):
        return ("path", os.path.normcase(os.path.realpath(os.path.abspath(path))))


def refuse_clobber(inputs: Iterable, outputs: Iterable, fail: Fail | None = None) -> None:
    """Raise (default FileError) when an output names an input or two outputs name the
    same file. Character devices (/dev/null) may be named more than once."""
    fail = fail or FileError
    seen: dict[tuple, tuple[str, Path]] = {}
    for p in inputs:
        seen.setdefault(_identity(Path(p)), ("input", Path(p)))
    for p in outputs:
        p = Path(p)
        key = _identity(p)
        if key[0] == "inode" and kind(p) == "other":
            continue  # /dev/null, /dev/stdout on a terminal: writing there destroys nothing
        if key in seen:
            role, other = seen[key]
            shown, first = printable(str(p)), printable(str(other))
            if role == "input":
                raise fail(f"{shown}: refusing to overwrite the input file {first}")
            raise fail(f"{shown}: the same file as the output {first}")
        seen[key] = ("output", p)


# -- writing -------------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_output(path, *, binary: bool = False, fail: Fail | None = None) -> Iterator[IO]:
    """A file object to write `path` through; the file appears (or replaces the old one)
    only when the block ends without an exception. A symlink is followed: its target is
    replaced. OSErrors become `fail(reason)` (default FileError "PATH: cannot write: ...")."""
    path = as_path(path, error=FileError) if not isinstance(path, Path) else path
    fail = fail or _file_error(path, "write")
    target = Path(os.path.realpath(path)) if os.path.islink(path) else path
    where = kind(target)
    if where == "directory":
        raise fail("Is a directory")
    if where == "other" and os.path.exists(target):  # a device or FIFO: no rename over it
        with _direct(target, binary, fail) as f:
            yield f
        return
    folder = target.parent
    temp = folder / f".pms150c-{secrets.token_hex(6)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(temp, flags, 0o666)  # the umask applies, as for any new file
    except OSError as exc:
        raise fail(_oserror_reason(exc)) from None
    except ValueError:
        raise fail("the file name contains a NUL character") from None
    try:
        with contextlib.suppress(OSError):  # keep the permissions of the file replaced
            os.chmod(temp, stat.S_IMODE(os.stat(target).st_mode))
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as f:
            try:
                yield f
            except OSError as exc:
                raise fail(_oserror_reason(exc)) from None
        os.replace(temp, target)
    except OSError as exc:
        _remove(temp)
        raise fail(_oserror_reason(exc)) from None
    except BaseException:
        _remove(temp)
        raise


@contextlib.contextmanager
def _direct(target: Path, binary: bool, fail: Fail) -> Iterator[IO]:
    flags = os.O_WRONLY | getattr(os, "O_NONBLOCK", 0)  # a FIFO without reader: ENXIO now
    try:
        fd = os.open(target, flags)
        os.set_blocking(fd, True)
        f = os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8")
    except OSError as exc:
        raise fail(_oserror_reason(exc)) from None
    try:
        with f:
            yield f
    except OSError as exc:
        raise fail(_oserror_reason(exc)) from None


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def write_text(path, text: str, fail: Fail | None = None) -> None:
    """Write `text` to `path` atomically (see `atomic_output`)."""
    with atomic_output(path, fail=fail) as f:
        f.write(text)


def write_bytes(path, data: bytes, fail: Fail | None = None) -> None:
    with atomic_output(path, binary=True, fail=fail) as f:
        f.write(data)
