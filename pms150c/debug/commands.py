"""The debugging subcommands: exec, trace, profile, vcd (registered in pms150c/cli.py).

Each takes an .asm source or an Intel HEX file. Exit status: 0 when the program stopped
(stopsys, a breakpoint, a watchpoint), 3 when the cycle limit was reached first (with a
message saying so), 130 after Ctrl-C, 1 on an error (one line on stderr), 2 on a usage error.
`vcd` records for its cycle count by design: 0 at the limit and after Ctrl-C as well.
An output (-o) is written atomically and never over the program, a file it includes or
another output (pms150c/files.py).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from ..errors import Pms150cError, SimulationError, printable

EXIT_LIMIT = 3
EXIT_INTERRUPTED = 130  # the shell's status for a run ended by SIGINT (128 + 2)
DEFAULT_EXEC_CYCLES = 10_000_000
DEFAULT_TRACE_CYCLES = 100_000
DEFAULT_VCD_CYCLES = 100_000
# A trace without --last keeps at most this many instructions (the last ones): a whole-run
# trace of a huge -n would otherwise grow until the process is killed.
MAX_WHOLE_TRACE = 1_000_000
MAX_CLI_CYCLES = 2**62  # -n: far beyond any run, well inside the core's int64


class DebugCliError(Pms150cError):
    """A bad command-line value for the debugging subcommands."""


# -- shared ------------------------------------------------------------------------------


def load_machine(path: Path, include_dirs=(), inputs: list | None = None):
    """A Machine for an .asm source or an .ihx/.hex image; every file read is appended to
    `inputs` when given (the outputs must not overwrite them)."""
    from ..files import kind
    from ..image import Image
    from ..machine import Machine
    from ..toolchain.assembler import assemble_file

    where = kind(path)
    shown = printable(str(path))
    if where == "directory":
        raise DebugCliError(f"{shown}: is a directory, not a program")
    if where == "missing":
        raise DebugCliError(f"{shown}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".asm", ".s"):
        return Machine(assemble_file(path, include_dirs=list(include_dirs), inputs=inputs))
    if suffix in (".ihx", ".hex"):
        machine = Machine(Image.from_ihx(path))  # with the symbols SDCC wrote beside it
        if inputs is not None:  # the HEX file, the symbol files and the C sources read
            inputs.append(path)
            table = machine.image.symbol_table
            inputs += [Path(name) for name in getattr(table, "files", ())]
        return machine
    raise DebugCliError(f"{shown}: expected an .asm source or an .ihx/.hex image")


def _refuse_clobber(inputs: list, outputs: list) -> None:
    from ..files import refuse_clobber

    refuse_clobber(inputs, [p for p in outputs if p is not None], DebugCliError)


def _shown(text: str) -> str:
    """A command-line value quoted for a message: escaped, at most about 40 characters."""
    return printable(repr(text if len(text) <= 40 else text[:37] + "..."))


def _cycles(text: str) -> int:
    try:
        value = int(text.replace("_", ""), 0)
    except ValueError:  # not a number, or more than 4300 digits
        raise argparse.ArgumentTypeError(f"not a cycle count: {_shown(text)}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"the cycle count must be positive, not {value}")
    if value > MAX_CLI_CYCLES:
        raise argparse.ArgumentTypeError(
            f"the cycle count must be at most 2**62, not {_shown(text)[1:-1]}"
        )
    return value


def _positive(text: str, limit: int | None = None) -> int:
    try:
        value = int(text, 0)
    except ValueError:  # not a number, or more than 4300 digits
        raise argparse.ArgumentTypeError(f"not a number: {_shown(text)}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {value}")
    if limit is not None and value > limit:
        raise argparse.ArgumentTypeError(f"must be at most {limit}, not {_shown(text)[1:-1]}")
    return value


def _trace_depth(text: str) -> int:
    from .trace import MAX_TRACE_DEPTH

    return _positive(text, MAX_TRACE_DEPTH)


def _common(p, default_cycles: int) -> None:
    p.add_argument("program", type=Path, help="assembly source (.asm) or Intel HEX (.ihx)")
    p.add_argument(
        "-n",
        "--max-cycles",
        type=_cycles,
        default=default_cycles,
        metavar="N",
        help=f"stop after N cycles if the program has not stopped (default {default_cycles})",
    )
    p.add_argument(
        "-I",
        "--include",
        action="append",
        default=[],
        type=Path,
        metavar="DIR",
        help="extra directory searched by .include (for .asm programs)",
    )


def _breakpoint(machine, spec: str) -> None:
    try:
        where: int | str = int(spec, 0)
    except ValueError:
        where = spec
    try:
        machine.breakpoints.add(where)
    except KeyError as exc:  # LabelError
        raise DebugCliError(str(exc.args[0]) if exc.args else str(exc)) from None


# numbers of at most 16 hex or 20 decimal digits: the Machine checks their range
_WATCH = re.compile(
    r"^(?:(?P<io>io):)?(?P<addr>[A-Za-z_][\w.$]{0,63}|0[xX][0-9a-fA-F]{1,16}|\d{1,20})"
    r"(?::(?P<kind>r|w|rw|wr))?(?:=(?P<value>0[xX][0-9a-fA-F]{1,16}|\d{1,20}))?$"
)


def parse_watch(spec: str) -> dict:
    """``ADDR[:r|w|rw][=VALUE]``, ``io:ADDR...`` or an IO name: the arguments of Machine.watch."""
    match = _WATCH.match(spec.strip())
    if match is None:
        raise DebugCliError(
            f"bad watch {_shown(spec)}: use ADDR[:r|w|rw][=VALUE], io:ADDR or an IO name "
            "(e.g. 0x22:w=5)"
        )
    addr = match["addr"]
    io = bool(match["io"]) or not addr[0].isdigit()
    kind = match["kind"] or "w"
    return {
        "address": int(addr, 0) if addr[0].isdigit() else addr,
        "read": "r" in kind,
        "write": "w" in kind,
        "io": io,
        "value": None if match["value"] is None else int(match["value"], 0),
    }


def _arm(machine, args) -> None:
    for spec in getattr(args, "breakpoint", None) or []:
        _breakpoint(machine, spec)
    for spec in getattr(args, "watch", None) or []:
        machine.watch(**parse_watch(spec))
    for spec in getattr(args, "pin", None) or []:
        match = re.fullmatch(r"(?:PA)?(\d)=([01])", spec.strip(), re.IGNORECASE)
        if match is None:
            raise DebugCliError(f"bad pin {_shown(spec)}: use PAn=0 or PAn=1 (e.g. PA0=1)")
        machine.set_pin(int(match[1]), int(match[2]))


def _add_stops(p) -> None:
    p.add_argument(
        "-b",
        "--break",
        dest="breakpoint",
        action="append",
        metavar="WHERE",
        help="stop before the instruction at a word address or label (repeatable)",
    )
    p.add_argument(
        "-w",
        "--watch",
        action="append",
        metavar="SPEC",
        help="stop after an access: ADDR[:r|w|rw][=VALUE] for RAM, io:ADDR or an IO name "
        "(pa, tm2c, ...) for IO; default access w (repeatable)",
    )
    p.add_argument(
        "--pin",
        action="append",
        metavar="PAn=L",
        help="drive input pin PAn to level L before the run (repeatable)",
    )


def _describe(reason, limit: int) -> str:
    from ..machine import StopKind

    kind = reason.kind
    if kind is StopKind.MAX_CYCLES:
        return f"cycle limit of {limit} reached before stopsys (raise it with --max-cycles)"
    if kind is StopKind.WATCHPOINT:
        from .conditions import IO_SLOT

        where = (
            f"RAM 0x{reason.address:02x}"
            if reason.address < IO_SLOT
            else f"IO 0x{reason.address - IO_SLOT:02x}"
        )
        return (
            f"watchpoint: {reason.access} of {where} by the instruction at "
            f"0x{reason.instruction_pc:03x}, cycle {reason.cycles}"
        )
    if kind is StopKind.BREAKPOINT:
        return f"breakpoint at 0x{reason.pc:03x}, cycle {reason.cycles}"
    return f"{kind.value} at pc 0x{reason.pc:03x}, cycle {reason.cycles}"


def _status(reason) -> int:
    from ..machine import StopKind

    if reason.kind is StopKind.MAX_CYCLES:
        return EXIT_LIMIT
    return EXIT_INTERRUPTED if reason.kind is StopKind.INTERRUPTED else 0


def _report_stop(command: str, reason, limit: int) -> int:
    """The stop on stderr, with the `pms150c COMMAND:` prefix of every message when the
    run did not end by itself (cycle limit, Ctrl-C); returns the exit status."""
    status = _status(reason)
    prefix = f"pms150c {command}: " if status else ""
    print(f"{prefix}{_describe(reason, limit)}", file=sys.stderr)
    return status


def format_state(machine) -> str:
    """Registers, flags, the stack high-water mark and a RAM dump."""
    f = machine.flags
    label = _label_at(machine)
    lines = [
        f"pc 0x{machine.pc:03x}{label}  a 0x{machine.a:02x}  sp 0x{machine.sp:02x}  "
        f"flags z={f.z} c={f.c} ac={f.ac} ov={f.ov}  gie {machine.gie}  mode {machine.mode}",
        f"cycles {machine.cycles}  time {machine.time_s * 1e3:.6f} ms  "
        f"stack high-water 0x{machine.stack_max:02x}  pins 0x{machine.pins:02x}",
        "RAM   " + " ".join(f"{i:2x}" for i in range(16)),
    ]
    for row in range(0, 64, 16):
        lines.append(f"  {row:02x}: " + " ".join(f"{b:02x}" for b in machine.ram[row : row + 16]))
    return "\n".join(lines)


def _label_at(machine) -> str:
    from .profile import label_before

    name = label_before(machine.image, machine.pc)
    return "" if name is None else f" ({name})"


def _write_fail(path: Path):
    shown = printable(str(path))
    return lambda reason: DebugCliError(f"{shown}: cannot write: {reason}")


# -- exec --------------------------------------------------------------------------------


def register_exec(subparsers) -> None:
    p = subparsers.add_parser(
        "exec",
        help="run a program until stopsys, a breakpoint/watchpoint or a cycle limit",
        description="Run a program (.asm or .ihx) from power-on and print registers, a RAM "
        "dump and cycles. Exit status 3 when the cycle limit is reached first.",
    )
    _common(p, DEFAULT_EXEC_CYCLES)
    _add_stops(p)
    p.add_argument(
        "--check",
        action="store_true",
        help="also report reads of never-written RAM and stack problems "
        "(breakpoints and watchpoints are ignored then)",
    )
    p.set_defaults(func=_exec)


def _exec(args) -> int:
    machine = load_machine(args.program, args.include)
    _arm(machine, args)
    if args.check:
        from .checks import check_firmware

        report = check_firmware(machine, args.max_cycles)
        print(format_state(machine))
        print(report)
        from ..machine import StopReason

        reason = report.stop if isinstance(report.stop, StopReason) else None
        if reason is not None and _status(reason):
            return _report_stop("exec", reason, args.max_cycles)
        return 0 if report.ok else 4
    try:
        reason = machine.run(args.max_cycles)
    except SimulationError:
        print(format_state(machine))  # the state where it failed; the error goes to stderr
        raise
    print(_describe(reason, args.max_cycles))
    print(format_state(machine))
    if _status(reason):
        return _report_stop("exec", reason, args.max_cycles)
    return 0


# -- trace -------------------------------------------------------------------------------


def register_trace(subparsers) -> None:
    p = subparsers.add_parser(
        "trace",
        help="list every executed instruction (or the last N) with state and source",
        description="Run a program and print the instructions it executed: cycle, pc, word, "
        "A, flags and SP before each, disassembly and source line.",
    )
    _common(p, DEFAULT_TRACE_CYCLES)
    _add_stops(p)
    p.add_argument(
        "--last",
        type=_trace_depth,
        metavar="N",
        help="keep only the last N instructions (without it, at most the last "
        f"{MAX_WHOLE_TRACE} are kept)",
    )
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        help="write to this file instead of stdout (.npy: the structured array)",
    )
    p.set_defaults(func=_trace)


def _trace(args) -> int:
    from ..state import R_TRACE_COUNT
    from .trace import record_trace

    inputs: list[Path] = []
    machine = load_machine(args.program, args.include, inputs)
    _refuse_clobber(inputs, [args.output])
    _arm(machine, args)
    last = args.last
    capped = last is None and args.max_cycles >= MAX_WHOLE_TRACE  # n cycles: <= n + 1 starts
    if capped:
        last = MAX_WHOLE_TRACE
    try:
        records, reason = record_trace(machine, args.max_cycles, last=last)
    except SimulationError as exc:  # the trace up to the failing instruction, then the error
        _write_records(args, exc.trace, machine)
        raise
    _write_records(args, records, machine)
    executed = int(machine._regs[R_TRACE_COUNT])
    if capped and executed > MAX_WHOLE_TRACE:
        print(
            f"pms150c trace: kept only the last {MAX_WHOLE_TRACE} of {executed} instructions "
            "(a whole-run trace is capped; use --last N to choose how many)",
            file=sys.stderr,
        )
    return _report_stop("trace", reason, args.max_cycles)


def _write_records(args, records, machine) -> None:
    from .trace import write_trace

    if args.output:
        write_trace(records, args.output, machine.image, fail=_write_fail(args.output))
        print(f"{printable(str(args.output))}: {len(records)} instructions", file=sys.stderr)
    else:
        write_trace(records, sys.stdout, machine.image)


# -- profile -----------------------------------------------------------------------------


def register_profile(subparsers) -> None:
    p = subparsers.add_parser(
        "profile",
        help="cycles per source line and per label, as hot spots or an annotated listing",
        description="Run a program and show where its cycles went.",
    )
    _common(p, DEFAULT_EXEC_CYCLES)
    _add_stops(p)
    p.add_argument("--top", type=_positive, default=15, metavar="N", help="hot spots to show")
    p.add_argument(
        "--listing", action="store_true", help="print the annotated listing instead of tables"
    )
    p.add_argument(
        "--asm",
        action="store_true",
        help="hot spots per line of the compiler's .asm, not per C line (SDCC builds)",
    )
    p.add_argument("-o", "--output", type=Path, help="write the report to this file")
    p.set_defaults(func=_profile)


def _profile(args) -> int:
    inputs: list[Path] = []
    machine = load_machine(args.program, args.include, inputs)
    _refuse_clobber(inputs, [args.output])
    _arm(machine, args)
    machine.enable_profile()
    try:
        reason = machine.run(args.max_cycles)
    except SimulationError:  # the profile up to the failure, then the error
        _write_profile(args, machine)
        raise
    _write_profile(args, machine)
    return _report_stop("profile", reason, args.max_cycles)


def _write_profile(args, machine) -> None:
    from ..files import write_text

    profile = machine.profile()
    text = profile.annotated_listing() if args.listing else profile.report(args.top, asm=args.asm)
    if args.output:
        write_text(args.output, text, _write_fail(args.output))
    else:
        sys.stdout.write(text)


# -- vcd ---------------------------------------------------------------------------------


def register_vcd(subparsers) -> None:
    p = subparsers.add_parser(
        "vcd",
        help="record port A, the TM2 output and INTRQ as a VCD waveform (GTKWave)",
        description="Run a program for a number of cycles (or until stopsys) and write the "
        "waveforms of PA0, PA3..PA7, TM2_OUT and the INTRQ bits.",
    )
    _common(p, DEFAULT_VCD_CYCLES)
    p.add_argument(
        "--pin",
        action="append",
        metavar="PAn=L",
        help="drive input pin PAn to level L before the run (repeatable)",
    )
    p.add_argument("-o", "--output", type=Path, help="VCD file (default: PROGRAM.vcd)")
    p.add_argument(
        "--unit",
        choices=("cycle", "ns"),
        default="cycle",
        help="time axis: system cycles (default) or ns at the clock in force",
    )
    p.set_defaults(func=_vcd)


def _vcd(args) -> int:
    from ..cli import default_output
    from .vcd import write_vcd

    inputs: list[Path] = []
    machine = load_machine(args.program, args.include, inputs)
    output = args.output or default_output(args.program, ".vcd")
    _refuse_clobber(inputs, [output])
    _arm(machine, args)
    write_vcd(machine, args.max_cycles, output, unit=args.unit, fail=_write_fail(output))
    print(
        f"{printable(str(output))}: {machine.cycles} cycles, stopped in mode {machine.mode}",
        file=sys.stderr,
    )
    return 0
