"""pms150c: a cycle-accurate simulator, assembler and debugger for the Padauk PMS150C.

The public face is small: `assemble` source to an `Image`, run it in a `Machine`,
`disassemble` words back to source. Every error a user can cause is a `Pms150cError`.
"""

from __future__ import annotations

from .errors import (
    AddressError,
    AssemblerError,
    AssemblerWarning,
    BlankWordError,
    CallError,
    DataError,
    HexError,
    ImageError,
    InvalidOpcode,
    LabelError,
    PinError,
    Pms150cError,
    SimulationError,
    StackOverflow,
    SymbolFileError,
)
from .image import Image
from .symbols import SymbolTable
from .toolchain.assembler import assemble, assemble_file
from .toolchain.disassembler import disassemble, disassemble_listing

__version__ = "0.1.0"

# The simulator pulls in Numba (about half a second); the assembler and disassembler do
# not need it, so `Machine` and its stop reasons are imported on first use.
_LAZY = {"CallResult", "Machine", "MachineState", "StopKind", "StopReason"}


def __getattr__(name: str):
    if name in _LAZY:
        from . import machine

        value = getattr(machine, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pms150c' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY)


__all__ = [
    "AddressError",
    "AssemblerError",
    "AssemblerWarning",
    "BlankWordError",
    "CallError",
    "CallResult",
    "DataError",
    "HexError",
    "Image",
    "ImageError",
    "InvalidOpcode",
    "LabelError",
    "Machine",
    "MachineState",
    "PinError",
    "Pms150cError",
    "SimulationError",
    "StackOverflow",
    "StopKind",
    "StopReason",
    "SymbolFileError",
    "SymbolTable",
    "__version__",
    "assemble",
    "assemble_file",
    "disassemble",
    "disassemble_listing",
]
