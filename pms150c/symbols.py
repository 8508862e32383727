"""Names of a ROM image: code labels, C functions, RAM variables, IO registers, source lines.

A `SymbolTable` is what a test or a debugger asks "where is `_main`", "how wide is
`counter`", "which C line is word 0x47". The assembler makes one for the programs it builds
(`Image.symbol_table`); for an SDCC build, `load_sdcc_symbols` reads what `sdcc -mpdk13`
writes beside the .ihx (see pms150c/sdcc.py for the file formats). Code addresses are
*word* addresses here (the files hold byte addresses, as sdaspdk13 counts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import LabelError
from .image import SourceLine


@dataclass(frozen=True)
class Variable:
    """A named byte range in RAM (``space="ram"``) or an IO register (``space="io"``).

    ``size`` is in bytes (None when no file says it); ``ctype`` the C type when the
    .cdb gives one (``"unsigned int"``), ``signed`` from the same. ``function`` names the
    C function of a local variable (SDCC keeps them at fixed addresses)."""

    name: str
    address: int
    size: int | None = None
    space: str = "ram"
    ctype: str = ""
    signed: bool = False
    function: str | None = None


@dataclass(frozen=True)
class Function:
    """A C function (from the .cdb) or an assembly routine: its label, its C name, its
    first word and the word of its final `ret` (``end``, inclusive; None when unknown).
    ``ctype`` is the C type it returns (``"unsigned int"``, ``"void"``; "" when no file
    says) and ``signed`` that type's signedness."""

    name: str
    start: int
    end: int | None = None
    c_name: str | None = None
    interrupt: bool = False
    ctype: str = ""
    signed: bool = False


_FILE_LINE = re.compile(r"^(?P<file>.+):(?P<line>\d+)$")


@dataclass
class SymbolTable:
    """Everything an image's build says about its names.

    ``code``: label -> word address (global and local labels; never the `$`-bearing
    names SDCC generates for its debug records). ``variables``: name -> `Variable` (RAM
    and IO; C globals under their assembler name, ``_counter``; C locals as
    ``function.name``). ``constants``: absolute symbols that are neither. ``functions``:
    name -> `Function`. ``lines``: word -> the C `SourceLine` it was compiled from;
    ``asm_lines``: word -> the assembly `SourceLine` (.rst/.lst). ``files``: what was read.
    """

    code: dict[str, int] = field(default_factory=dict)
    variables: dict[str, Variable] = field(default_factory=dict)
    constants: dict[str, int] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    lines: dict[int, SourceLine] = field(default_factory=dict)
    asm_lines: dict[int, SourceLine] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    # -- lookups -----------------------------------------------------------------------

    def _name(self, table: dict, name: str) -> str | None:
        """`name` as the table spells it: exactly, or a C name with SDCC's underscore."""
        if not isinstance(name, str):
            from .validate import describe

            raise LabelError(f"a symbol name must be a str, not {describe(name)}")
        if name in table:
            return name
        if "_" + name in table:
            return "_" + name
        return None

    def code_address(self, where: str) -> int:
        """The word address of a label, a C function (``main`` or ``_main``) or a source
        line (``main.c:17``: its first word)."""
        name = self._name(self.code, where)
        if name is not None:
            return self.code[name]
        name = self._name(self.functions, where)
        if name is not None:
            return self.functions[name].start
        match = _FILE_LINE.match(where)
        if match:
            words = self.words_of_line(match["file"], int(match["line"]))
            if words:
                return words[0]
            raise LabelError(f"no code for source line {where!r}")
        raise LabelError(f"no label {where!r} in the image")

    def words_of_line(self, filename: str, line: int) -> list[int]:
        """The words compiled from `filename`:`line` (C lines first, then assembly lines),
        in address order. `filename` may be given without its directory."""
        for table in (self.lines, self.asm_lines):
            found = [
                pc
                for pc, src in table.items()
                if src.line == line and _same_file(src.filename, filename)
            ]
            if found:
                return sorted(found)
        return []

    def variable(self, name: str) -> Variable:
        """The variable `name` (``_counter`` or ``counter``, ``main.i`` for a local)."""
        key = self._name(self.variables, name)
        if key is None:
            if self._name(self.constants, name) is not None:
                value = self.constants[self._name(self.constants, name)]
                raise LabelError(
                    f"{name!r} is a constant (0x{value:x}), not a variable: give its address "
                    "(with io=True for an IO register)"
                )
            if self._name(self.code, name) is not None:
                raise LabelError(f"{name!r} is a code label, not a variable")
            raise LabelError(f"no variable {name!r} in the image")
        return self.variables[key]

    def function_at(self, pc: int) -> Function | None:
        """The function whose words include `pc` (by its recorded range), or None."""
        best = None
        for f in self.functions.values():
            if f.start <= pc and (f.end is None or pc <= f.end):
                if best is None or f.start > best.start:
                    best = f
        return best

    # -- building ----------------------------------------------------------------------

    @classmethod
    def from_image(cls, image) -> SymbolTable:
        """What a bare image knows: its labels and its source map."""
        table = cls(code=dict(getattr(image, "labels", {}) or {}))
        table.asm_lines = dict(getattr(image, "source", {}) or {})
        return table


def _same_file(recorded: str, asked: str) -> bool:
    if recorded == asked:
        return True
    tail = recorded.replace("\\", "/").rsplit("/", 1)[-1]
    return tail == asked.replace("\\", "/").rsplit("/", 1)[-1] and "/" not in asked
