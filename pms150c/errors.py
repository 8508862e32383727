"""Every error a user can cause derives from `Pms150cError`.

The command line catches this one base class, prints the message on one line and exits
non-zero, so a new error only needs a subclass here to be reported cleanly.
"""

from __future__ import annotations

import unicodedata

# Characters a message shows as escapes: controls (C0, DEL, C1 such as NEL 0x85), format
# characters (bidi overrides, zero-width), line and paragraph separators, and surrogates
# (bytes that were not UTF-8, kept by the surrogateescape decoding).
_UNPRINTABLE = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}
MAX_REASON = 300  # characters of a message's reason; a longer one keeps its two ends


def printable(text: str) -> str:
    """`text` with every control, format or separator character escaped (``\\r``,
    ``\\x85``, ``\\u2028``; a byte that was not UTF-8 as ``\\xNN``), so it prints as
    one line that shows what is there. Tabs stay."""
    if text.isprintable():
        return text
    out = []
    for c in text:
        if c == "\t" or unicodedata.category(c) not in _UNPRINTABLE:
            out.append(c)
        elif 0xDC80 <= ord(c) <= 0xDCFF:  # a raw byte kept by surrogateescape
            out.append(f"\\x{ord(c) - 0xDC00:02x}")
        else:
            out.append(repr(c)[1:-1] if ord(c) < 0x10000 else f"\\U{ord(c):08x}")
    return "".join(out)


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, its middle replaced by '...' when too long."""
    if len(text) <= limit:
        return text
    keep = limit - 3
    return text[: keep - keep // 3] + "..." + text[len(text) - keep // 3 :]


def _rebuild(cls, args: tuple, state: dict) -> Pms150cError:
    """Unpickle an error without calling its __init__ (whose arguments differ per class)."""
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


def interrupted(exc: BaseException) -> bool:
    """Whether `exc` is a Ctrl-C or was caused by one: a SIGINT handled while Numba compiles
    or boxes a result comes out as a RuntimeError or SystemError with the KeyboardInterrupt
    somewhere in its chain of causes."""
    seen = 0
    while exc is not None and seen < 100:
        if isinstance(exc, KeyboardInterrupt):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


class Pms150cError(Exception):
    """Base class of every error raised by pms150c on bad input or a failing program.

    Every subclass pickles (a worker process of `python -m pms150c.run` sends its error to
    the parent): the message and the attributes travel, the constructor is not called
    again, so a subclass may take any arguments."""

    def __reduce__(self):
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class ArgumentError(Pms150cError, TypeError, ValueError):
    """A function argument of the wrong type (a float, None or bytes where an integer is
    expected) or out of its range. Also a TypeError and a ValueError, as Python would
    raise for such an argument."""


class FileError(Pms150cError):
    """A file that cannot be read or written, or an output that would overwrite an input
    or another output of the same command."""


class AssemblerError(Pms150cError):
    """A located error in assembly source: `file:line:col: error: reason`.

    The message is one line whatever the source holds: control characters in the reason,
    the file name and the quoted source line are escaped, and both are cut to a readable
    length."""

    def __init__(self, reason: str, filename: str, line: int, column: int, text: str = ""):
        self.reason = reason
        self.filename = filename
        self.line = line
        self.column = column
        self.text = text
        shown = printable(text.strip(" \t"))
        if len(shown) > 72:  # a runaway line (10,000 parentheses) stays readable
            shown = shown[:69] + "..."
        quoted = f" in '{shown}'" if shown else ""
        where = shorten(printable(str(filename)), 160)
        reason = shorten(printable(reason), MAX_REASON)
        super().__init__(f"{where}:{line}:{column}: error: {reason}{quoted}")


class AssemblerWarning(UserWarning):
    """Source that sdaspdk13 accepts silently and that `assemble(..., strict=False)`
    accepts with this warning (an operand cut to its field, as sdaspdk13 cuts it):
    `file:line:col: warning: reason`. Not an error: issued with `warnings.warn`."""

    def __init__(self, reason: str, filename: str, line: int, column: int, text: str = ""):
        self.reason = reason
        self.filename = filename
        self.line = line
        self.column = column
        self.text = text
        shown = text.strip()
        if len(shown) > 72:
            shown = shown[:69] + "..."
        quoted = f" in '{shown}'" if shown else ""
        super().__init__(f"{filename}:{line}:{column}: warning: {reason}{quoted}")


class HexError(Pms150cError):
    """Malformed or out-of-range Intel HEX input."""


class SymbolFileError(Pms150cError):
    """A symbol file (SDCC's .map, .rst, .cdb, ...) that was asked for and cannot be read."""


class DataError(Pms150cError):
    """A corrupt, truncated or missing data file (IDX images, model files)."""


class ImageError(Pms150cError):
    """A ROM image that cannot be built (too many words, words wider than 13 bits)."""


class PinError(Pms150cError, ValueError):
    """A pin that port A does not have, a level that is not 0/1/None, or a pin change
    scheduled at a cycle that does not fit in int64."""


class AddressError(Pms150cError, ValueError):
    """A RAM or IO address the chip does not have."""


class LabelError(Pms150cError, KeyError):
    """A label (for a breakpoint, say) that the image does not define."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class SimulationError(Pms150cError):
    """A program did something the simulator refuses to continue from.

    `run` is the row of a `Machine.run_batch` call that failed (None outside a batch)."""

    def __init__(self, message: str, pc: int, cycles: int, run: int | None = None):
        self.pc = pc
        self.cycles = cycles
        self.run = run
        where = "" if run is None else f"batch run {run}: "
        super().__init__(f"{where}{message} at pc=0x{pc:03x}, cycle {cycles}")


class InvalidOpcode(SimulationError):
    """The CPU fetched a word that is not a PMS150C instruction."""

    def __init__(self, word: int, pc: int, cycles: int, run: int | None = None):
        self.word = word
        super().__init__(f"invalid opcode 0x{word:04x}", pc, cycles, run)


class StackOverflow(SimulationError):
    """A push or pop would leave the 64 bytes of RAM."""

    def __init__(self, sp: int, pc: int, cycles: int, run: int | None = None):
        self.sp = sp
        super().__init__(f"stack pointer 0x{sp:02x} leaves RAM", pc, cycles, run)


class CallError(SimulationError):
    """A routine run by `Machine.call` that did not return to its caller: it stopped
    (stopsys, a breakpoint) or used up `max_cycles` first."""


class BlankWordError(SimulationError):
    """The CPU fetched a word the image does not program: blank OTP reads 0x1FFF, which the
    silicon executes as `call 0x3ff` (and 0x3FF calls itself until the stack overflows).
    Raised at the first such word, so the message names where the program went astray;
    `Machine(image, blank_checks=False)` executes it as the silicon does."""

    def __init__(self, pc: int, cycles: int, run: int | None = None):
        self.word = 0x1FFF
        self.pc = pc
        self.cycles = cycles
        self.run = run
        where = "" if run is None else f"batch run {run}: "
        Pms150cError.__init__(
            self,
            f"{where}executed blank (unprogrammed) word 0x1FFF at 0x{pc:03X}, cycle {cycles}",
        )
