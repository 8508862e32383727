"""The `python -m pms150c` command line.

Subcommands live in `SUBCOMMANDS`: each entry names a module path and a function
``register(subparsers)`` that adds its parser and sets ``func`` (taking the parsed args,
returning an exit code). Another part of the project adds a command by adding one entry;
modules are imported lazily, so a command whose module is missing is simply absent.
Every `Pms150cError` becomes one line on stderr and exit code 1; argparse's own usage
errors exit with 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from .errors import Pms150cError

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

    from .toolchain.assembler import assemble_file

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image = assemble_file(args.source, include_dirs=args.include, strict=args.strict)
    for warning in caught:
        print(warning.message, file=sys.stderr)
    output = args.output or args.source.with_suffix(".ihx")
    _write(output, image.to_ihx())
    if args.listing:
        _write(args.listing, image.listing())
    print(f"{output}: {image.used_words} words", file=sys.stderr)
    return 0


def _disasm(args) -> int:
    from .image import Image

    if args.hexfile.is_dir():
        raise CliError(f"{args.hexfile}: is a directory, not an Intel HEX file")
    if not args.hexfile.is_file():
        raise CliError(f"{args.hexfile}: no such file")
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
    try:
        path.write_text(text)
    except OSError as exc:
        raise CliError(f"{path}: cannot write: {exc.strerror}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pms150c", description="PMS150C simulator, assembler and debugger"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name, function in SUBCOMMANDS.values():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        getattr(module, function)(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except Pms150cError as exc:
        print(f"pms150c {args.command}: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `... | head` closed the pipe: not an error worth a traceback
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
