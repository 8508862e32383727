"""Every error a user can cause derives from `Pms150cError`.

The command line catches this one base class, prints the message on one line and exits
non-zero, so a new error only needs a subclass here to be reported cleanly.
"""

from __future__ import annotations


class Pms150cError(Exception):
    """Base class of every error raised by pms150c on bad input or a failing program."""


class AssemblerError(Pms150cError):
    """A located error in assembly source: `file:line:col: error: reason`."""

    def __init__(self, reason: str, filename: str, line: int, column: int, text: str = ""):
        self.reason = reason
        self.filename = filename
        self.line = line
        self.column = column
        self.text = text
        shown = text.strip()
        if len(shown) > 72:  # a runaway line (10,000 parentheses) stays readable
            shown = shown[:69] + "..."
        quoted = f" in '{shown}'" if shown else ""
        super().__init__(f"{filename}:{line}:{column}: error: {reason}{quoted}")


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
