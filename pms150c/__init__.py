"""pms150c: a cycle-accurate simulator, assembler and debugger for the Padauk PMS150C."""

from __future__ import annotations

from .errors import (
    AssemblerError,
    DataError,
    HexError,
    ImageError,
    InvalidOpcode,
    Pms150cError,
    SimulationError,
    StackOverflow,
)

__version__ = "0.1.0"

__all__ = [
    "AssemblerError",
    "DataError",
    "HexError",
    "ImageError",
    "InvalidOpcode",
    "Pms150cError",
    "SimulationError",
    "StackOverflow",
    "__version__",
]

# The public objects below live in modules written by different parts of the project;
# each import is guarded only while the tree is being built up.
try:
    from .image import Image  # noqa: F401

    __all__.append("Image")
except ImportError:  # pragma: no cover
    pass
try:
    from .toolchain.assembler import assemble, assemble_file  # noqa: F401

    __all__ += ["assemble", "assemble_file"]
except ImportError:  # pragma: no cover
    pass
try:
    from .toolchain.disassembler import disassemble  # noqa: F401

    __all__.append("disassemble")
except ImportError:  # pragma: no cover
    pass
try:
    from .machine import Machine, StopReason  # noqa: F401

    __all__ += ["Machine", "StopReason"]
except ImportError:  # pragma: no cover
    pass
