"""The `python -m pms150c` command line.

Subcommands live in `SUBCOMMANDS`: each entry names a module path and a function
``register(subparsers)`` that adds its parser and sets ``func`` (taking the parsed args,
returning an exit code). Another part of the project adds a command by adding one entry;
modules are imported lazily, so a command whose module is missing is simply absent.
Every `Pms150cError` becomes one line on stderr and exit code 1; argparse's own usage
errors exit with 2; Ctrl-C anywhere ends with one line and exit code 130. Outputs are
written atomically and never over an input or another output (pms150c/files.py).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from .errors import Pms150cError, interrupted, printable

EXIT_INTERRUPTED = 130  # the shell's status for a run ended by SIGINT (128 + 2)

# name -> (module, function that registers the subcommand's parser)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "asm": ("pms150c.cli", "register_asm"),
    "disasm": ("pms150c.cli", "register_disasm"),
    "exec": ("pms150c.debug.commands", "register_exec"),
    "trace": ("pms150c.debug.commands", "register_trace"),
    "profile": ("pms150c.debug.commands", "register_profile"),
    "vcd": ("pms150c.debug.commands", "register_vcd"),
}


def register_asm(subparsers) -> None:
    p = subparsers.add_parser("asm", help="assemble sdaspdk13 source to Intel HEX")
    p.add_argument("source", type=Path, help="assembly source (.asm)")
    p.add_argument("-o", "--output", type=Path, help="Intel HEX output (default: SOURCE.ihx)")
    p.add_argument("--listing", type=Path, help="also write a listing to this file")
    p.add_argument(
        "-I",
        "--include",
        action="append",
        default=[],
        type=Path,
        help="extra directory searched by .include",
    )
    p.add_argument(
        "--no-strict",
        dest="strict",
        action="store_false",
        help="cut operands that do not fit to their field as sdaspdk13 does, with a warning "
        "(default: an error)",
    )
    p.set_defaults(func=_asm)


def register_disasm(subparsers) -> None:
    p = subparsers.add_parser("disasm", help="list an Intel HEX image as assembly")
    p.add_argument("hexfile", type=Path, help="Intel HEX input (.ihx)")
    p.add_argument(
        "-s",
        "--source",
        action="store_true",
        help="print reassemblable source (.org + instructions) instead of a listing",
    )
    p.set_defaults(func=_disasm)


def _asm(args) -> int:
    import warnings

    from .files import refuse_clobber
    from .toolchain.assembler import assemble_file

    inputs: list[Path] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image = assemble_file(
            args.source, include_dirs=args.include, strict=args.strict, inputs=inputs
        )
    for warning in caught:
        print(printable(str(warning.message)), file=sys.stderr)
    output = args.output or default_output(args.source, ".ihx")
    outputs = [output] + ([args.listing] if args.listing else [])
    refuse_clobber(inputs, outputs, CliError)  # a source named x.ihx: its default output
    _write(output, image.to_ihx())
    if args.listing:
        _write(args.listing, image.listing())
    print(f"{printable(str(output))}: {image.used_words} words", file=sys.stderr)
    return 0


def default_output(source: Path, suffix: str) -> Path:
    """SOURCE with its suffix replaced (a name without a stem gets the suffix added)."""
    try:
        return source.with_suffix(suffix)
    except ValueError:  # "..", "/": no name to give a suffix
        return Path(str(source) + suffix)


def _disasm(args) -> int:
    from .files import kind
    from .image import Image

    where = kind(args.hexfile)
    if where == "directory":
        raise CliError(f"{printable(str(args.hexfile))}: is a directory, not an Intel HEX file")
    if where == "missing":
        raise CliError(f"{printable(str(args.hexfile))}: no such file")
    image = Image.from_ihx(args.hexfile)
    if args.source:
        from .toolchain.disassembler import disassemble_source

        sys.stdout.write("\n".join(disassemble_source(image)) + "\n")
    else:
        sys.stdout.write(image.listing())
    return 0


class CliError(Pms150cError):
    """A command-line problem outside any file format (missing or unwritable file)."""


def _write(path: Path, text: str) -> None:
    """Write an output atomically: on any failure the old file stays as it was."""
    from .files import write_text

    shown = printable(str(path))
    write_text(path, text, lambda reason: CliError(f"{shown}: cannot write: {reason}"))


class _Parser(argparse.ArgumentParser):
    """argparse's parser, its error line escaped (a bad argument may hold a newline)."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {printable(message)}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pms150c", description="PMS150C simulator, assembler and debugger")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name, function in SUBCOMMANDS.values():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        getattr(module, function)(subparsers)
    return parser


class InterruptGuard:
    """For the length of a command: a Ctrl-C that a library swallows is still a Ctrl-C.

    Numba's finalizers run Python code; a KeyboardInterrupt raised there is 'unraisable':
    Python prints 'Exception ignored ...' with a traceback and goes on as if nothing had
    happened. Here such an interrupt is not printed but remembered (`swallowed`), and the
    command then ends as interrupted."""

    def __enter__(self) -> InterruptGuard:
        self.swallowed = False
        self.interrupted = False  # the command ended as interrupted
        self._hook = sys.unraisablehook
        sys.unraisablehook = self._unraisable
        return self

    def _unraisable(self, info) -> None:
        if interrupted(info.exc_value):
            self.swallowed = True
        else:
            self._hook(info)

    def __exit__(self, *exc_info) -> None:
        # after a Ctrl-C, objects of an interrupted compilation may yet finalize with errors
        # that mean nothing: they stay unprinted (the one line has been said)
        sys.unraisablehook = _ignore if self.interrupted or self.swallowed else self._hook


def _ignore(info) -> None:
    """An unraisable-exception hook that prints nothing."""


def main(argv: list[str] | None = None) -> int:
    with InterruptGuard() as guard:
        return _main(argv, guard)


def _main(argv: list[str] | None, guard: InterruptGuard) -> int:
    command = "pms150c"
    try:
        args = build_parser().parse_args(argv)
        command = f"pms150c {args.command}"
        code = int(args.func(args) or 0)
        if guard.swallowed and code != EXIT_INTERRUPTED:
            raise KeyboardInterrupt
        guard.interrupted = code == EXIT_INTERRUPTED
        return code
    except Pms150cError as exc:
        report(command, exc)
        return 1
    except KeyboardInterrupt:
        guard.interrupted = True
        report(command, "interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `... | head` closed the pipe: not an error worth a traceback
        quiet_stdout()
        return 0
    except Exception as exc:  # a Ctrl-C that Numba turned into another error while compiling
        if not (interrupted(exc) or guard.swallowed):
            raise
        guard.interrupted = True
        report(command, "interrupted")
        return EXIT_INTERRUPTED


def exit_process(code: int) -> None:
    """End a command-line process with `code`. After Ctrl-C it ends at once (streams
    flushed, no interpreter shutdown): an interrupted Numba compilation leaves objects
    whose finalizers would print tracebacks after the one line already said."""
    if code == EXIT_INTERRUPTED:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)
    sys.exit(code)


def quiet_stdout() -> None:
    """Point stdout at /dev/null after a broken pipe, so the flush at exit does not print
    'Exception ignored ... BrokenPipeError'."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real stdout (captured in tests)
        pass


def report(command: str, message: object) -> None:
    """One line on stderr, whatever the message holds (a file name with a newline, say)."""
    try:
        print(f"{command}: {printable(str(message))}", file=sys.stderr, flush=True)
    except (OSError, ValueError):  # stderr closed: nowhere left to say it
        pass


if __name__ == "__main__":  # pragma: no cover
    exit_process(main())
