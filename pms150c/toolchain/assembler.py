"""An assembler for SDCC's sdaspdk13 syntax that writes an absolute PMS150C image.

It reads the same source sdaspdk13 reads and produces the words that ``sdaspdk13`` followed
by ``sdldpdk`` produce for a single module, but straight to an `Image` (no object files,
no separate link) and with range checks sdaspdk13 leaves out. Conventions kept from
sdaspdk13: the location counter counts bytes (two per instruction word), a label's value
is its byte address, `goto`/`call` encode a label as its word address but take a plain
number as a word address already. Relocatable areas are laid out like sdldpdk lays out
one module: in order of first appearance, each after the previous one, from byte 0 (or
from a base given with ``bases=``; SDCC's own link bases when the source says
``.optsdcc``). See docs/assembler.md.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import files, isa, validate
from ..device import BLANK_WORD, IO_FLAG, IO_NAMES, IO_SP, ROM_WORDS
from ..errors import ArgumentError, AssemblerError, AssemblerWarning, printable
from ..image import Image, SourceLine
from ..symbols import SymbolTable, Variable
from .expr import Expr, Parser, Value
from .lexer import Location, Token, source_lines, string_bytes, tokenize
from .macros import (
    FIRST_LOCAL,
    Macro,
    parse_parameters,
    split_arguments,
    statement_head,
    substitute,
)

ROM_BYTES = 2 * ROM_WORDS
# Bounds on what one assembly may read: no source is near them, and a runaway include
# chain, a runaway .rept or a device file (/dev/zero) ends in an error instead of
# exhausting memory or time.
MAX_SOURCE_BYTES = 16 * files.MiB  # one file
MAX_TOTAL_BYTES = 64 * files.MiB  # all files of one assembly, includes counted each time
MAX_INCLUDE_DEPTH = 1000  # open .include levels (sdaspdk13 has no limit of its own)
MAX_LINES = 1_000_000  # lines assembled, macro and .rept expansions included (~10 s)
MAX_BASE = 0xFFFFFF  # a relocatable area's base, as an .org

# The base addresses `sdcc -mpdk13` hands to sdldpdk (-b HOME=0x22 -b DATA=0x02).
SDCC_BASES = {"HOME": 0x22, "DATA": 0x02}

# Keywords sdaspdk13 reads in operand position: IO registers and FLAG bit numbers.
IO_KEYWORDS = {"f": IO_FLAG, "sp": IO_SP}
BIT_KEYWORDS = {name.lower(): bit for name, bit in isa.FLAG_BITS.items()}

_IGNORED_DIRECTIVES = set(".globl .module .optsdcc .title .sbttl .page .list .nlist".split())
_RECORDING = (".macro", ".rept", ".irp", ".irpc")
# the conditionals sdaspdk13 4.2.0 knows (it has no .ifdef, .ifb, .iif, .ifidn)
_CONDITIONALS = set(".if .ifeq .ifne .ifgt .ifge .iflt .ifle .else .endif".split())
_COMPARISONS = {
    ".if": lambda v: v != 0,
    ".ifne": lambda v: v != 0,
    ".ifeq": lambda v: v == 0,
    ".ifgt": lambda v: v > 0,
    ".ifge": lambda v: v >= 0,
    ".iflt": lambda v: v < 0,
    ".ifle": lambda v: v <= 0,
}
MAX_MACRO_DEPTH = 64
_C_COMMENT = re.compile(r"^;\s*(?P<file>[^:;]+?):\s*(?P<line>\d+):\s?(?P<text>.*)$")

# The bits of an operand value that sdaspdk13 and sdldpdk keep when the value does not fit
# its field (measured on SDCC 4.2.0, tests/test_sdcc_differential.py): the field's own bits,
# except where they reach into the opcode and change the instruction (stt16/ldt16 0x20 is
# an idxm, ceqsn a, 0x40 a cneqsn, goto 0x400 a call).
SDAS_KEEPS = {
    ("STT16", "MW"): 0x3E,
    ("LDT16", "MW"): 0x3E,
    ("CEQSN_A_M", "M"): 0xFF,
    ("GOTO", "K"): 0x7FF,
    ("CALL", "K"): 0x7FF,
}


def sdas_keeps(instr: isa.Instr, kind: isa.OperandKind) -> int:
    """The mask sdaspdk13 applies to an operand value of `kind` in `instr`."""
    return SDAS_KEEPS.get((instr.op, kind.name), kind.bits >> kind.shift)


@dataclass(frozen=True)
class Form:
    """One way of writing an instruction: mnemonic and operand templates."""

    instr: isa.Instr
    mnemonic: str
    operands: tuple[str, ...]


def _forms() -> dict[str, list[Form]]:
    table: dict[str, list[Form]] = {}
    for instr in isa.INSTRUCTIONS:
        for syntax in (instr.syntax, *instr.aliases):
            mnemonic = syntax.split(" ", 1)[0]
            table.setdefault(mnemonic, []).append(Form(instr, mnemonic, isa.operands_of(syntax)))
    return table


FORMS = _forms()
UNAVAILABLE = {m for m, forms in FORMS.items() if all(not f.instr.pms150c for f in forms)}


@dataclass
class Area:
    name: str
    absolute: bool
    order: int
    loc: int = 0  # location counter: byte offset in the area (absolute areas: byte address)
    size: int = 0  # bytes, for relocatable areas
    base: int = 0
    overlay: bool = False  # OVR: every `.area` of it starts again at offset 0


@dataclass
class Symbol:
    name: str
    where: Location
    column: int
    area: Area | None = None  # labels
    offset: int = 0
    expr: Expr | None = None  # constants
    scope: int = 0
    value: Value | None = None
    busy: bool = False
    bindings: dict | None = None  # constants its expression names, as defined at that point
    dot_area: Area | None = None  # where `.` was when the constant was defined
    dot: int = 0

    @property
    def address(self) -> int:
        """A label's byte address, once its area is laid out."""
        return self.area.base + self.offset


@dataclass
class Operand:
    shape: str  # "a", "af", "#", "expr"
    column: int
    expr: Expr | None = None
    keyword: str = ""


@dataclass
class Item:
    """Something that puts bytes into ROM, kept from pass 1 for pass 2."""

    kind: str  # "instr", "dw", "db"
    area: Area
    offset: int
    size: int
    where: Location
    column: int
    scope: int
    form: Form | None = None
    operands: list[Operand] = field(default_factory=list)
    exprs: list[Expr] = field(default_factory=list)
    data: bytes = b""
    bindings: dict | None = None
    c_line: SourceLine | None = None


@dataclass
class SourceFile:
    """A file (or text) pass 1 is reading, one entry of `Assembler.sources`."""

    filename: str
    directory: Path | None
    lines: list[str]
    resolved: Path | None = None  # for the include-cycle check
    next: int = 0  # index of the next line to read

    def next_line(self) -> tuple[str, Location, Path | None] | None:
        if self.next >= len(self.lines):
            return None
        text = self.lines[self.next]
        self.next += 1
        return text, Location(self.filename, self.next, text), self.directory


@dataclass
class Expansion:
    """A macro (or .rept/.irp block) being expanded: what `.narg` and `.mexit` act on,
    and, as an entry of `Assembler.sources`, the body lines still to read (each run of
    `runs` substitutes one set of parameter values), all located at the calling line."""

    macro: Macro
    arguments: int
    conditions: int  # depth of the .if stack when the expansion began
    exited: bool = False
    runs: list[dict] = field(default_factory=list)
    where: Location | None = None
    directory: Path | None = None
    run: int = 0
    body: int = 0

    def next_line(self) -> tuple[str, Location, Path | None] | None:
        if self.exited or not self.macro.body:
            return None
        if self.body >= len(self.macro.body):
            self.run, self.body = self.run + 1, 0
        if self.run >= len(self.runs):
            return None
        text = substitute(self.macro.body[self.body], self.runs[self.run])
        self.body += 1
        return text, Location(self.where.filename, self.where.line, text), self.directory


@dataclass
class Condition:
    """One open `.if`: whether its enclosing lines are assembled, whether a branch was
    taken, whether this branch is assembled, whether `.else` was seen."""

    outer: bool
    taken: bool
    active: bool
    where: Location
    column: int
    has_else: bool = False


class Assembler:
    def __init__(
        self,
        include_dirs: Iterable[str | os.PathLike] = (),
        bases=None,
        predefine_io: bool = False,
        strict: bool = True,
    ):
        self.include_dirs = _include_dirs(include_dirs)
        self.strict = validate.flag(strict, "strict")
        self.warnings: list[AssemblerWarning] = []
        self.macros: dict[str, Macro] = {}
        self.recording: Macro | None = None
        self.expansions: list[Expansion] = []
        self.conditions: list[Condition] = []
        self.next_local = FIRST_LOCAL
        self.c_line: SourceLine | None = None  # the C line of SDCC's last `;	f.c: N:` comment
        self.user_bases = _bases(bases)
        self.sdcc = False
        self.areas: dict[str, Area] = {}
        self.area = self._area("_CODE", False, Location("<asm>", 0, ""), 1)
        self.symbols: dict[str, Symbol] = {}
        self.locals: dict[tuple[int, str], Symbol] = {}
        self.scope = 0
        self.items: list[Item] = []
        # what pass 1 reads from, innermost last: files and macro expansions. One loop in
        # `feed` reads the top entry, so neither .include nor a macro call recurses, and
        # nesting depth is bounded by MAX_INCLUDE_DEPTH / MAX_MACRO_DEPTH, not the stack.
        self.sources: list[SourceFile | Expansion] = []
        self.inputs: list[Path] = []  # every file read, for tools that track inputs
        self.bytes_read = 0
        self.lines_read = 0
        if validate.flag(predefine_io, "predefine_io"):
            for name, address in IO_NAMES.items():
                expr = Expr(("num", Token("number", str(address), 1, address)), 1)
                self.symbols[name] = Symbol(name, Location("<io>", 0, ""), 1, expr=expr)

    # -- pass 1 -------------------------------------------------------------------------
    def feed(
        self,
        source: str | bytes,
        filename: str,
        directory: Path | None,
        resolved: Path | None = None,
    ) -> None:
        """Pass 1 over `source` and, where they occur, the files it includes and the
        macros it expands (`_include` and `_expand` push them on `self.sources`)."""
        base = len(self.sources)
        self.sources.append(SourceFile(filename, directory, source_lines(source), resolved))
        while len(self.sources) > base:
            top = self.sources[-1]
            line = top.next_line()
            if line is None:
                self.sources.pop()
                if isinstance(top, Expansion):
                    self._expanded(top)
                continue
            self.lines_read += 1
            text, where, directory = line
            if self.lines_read > MAX_LINES:
                raise where.error(
                    f"more than {MAX_LINES} lines assembled (a runaway .rept or macro?)"
                )
            self._line(text, where, directory)

    def _line(self, text: str, where: Location, directory: Path | None) -> None:
        """One source line: recorded into a macro body, skipped by a false `.if`, expanded
        as a macro call, or assembled."""
        if self.recording is not None:
            self._record(text)
            return
        labels, word, after = statement_head(text)
        if not word and ";" in text:
            comment = _C_COMMENT.match(text.strip())
            if comment:  # SDCC's note of the C line whose code follows
                self.c_line = SourceLine(comment["file"], int(comment["line"]), comment["text"])
        lowered = word.lower()
        if lowered in _CONDITIONALS:
            self._conditional(lowered, text, after, where, after - len(word) + 1)
            return
        if self.conditions and not self.conditions[-1].active:
            return
        if word in self.macros or lowered in _RECORDING:
            if labels.strip():
                self._statement(tokenize(labels, where), where, directory)
            if lowered in _RECORDING:
                self._begin_recording(lowered, text[after:], where, after - len(word) + 1)
            else:
                rest = text[after:]
                column = after + 1 + len(rest) - len(rest.lstrip())
                self._call_macro(self.macros[word], rest, where, column, directory)
            return
        self._statement(tokenize(text, where), where, directory)

    def finish(self) -> None:
        """Refuse a source that ends inside a macro definition or an `.if`."""
        if self.recording is not None:
            m = self.recording
            raise m.where.error(f"'{m.kind}' without '.endm'")
        if self.conditions:
            top = self.conditions[-1]
            raise top.where.error("'.if' without '.endif'", top.column)

    # -- macros -------------------------------------------------------------------------
    def _begin_recording(self, kind: str, rest: str, where: Location, column: int) -> None:
        if kind == ".macro":
            name, *params = rest.strip(" \t").split(None, 1) or [""]
            if not name or not name[0].isalpha() and name[0] not in "_.$":
                raise where.error(".macro expects a name", column)
            parameters = parse_parameters(params[0] if params else "", where, column)
            self.recording = Macro(kind, name, parameters, where)
        elif kind == ".rept":
            parser = Parser(tokenize(rest, where), 0, where)
            count = self._pass1_value(parser.expression(), where, 0, 0xFFFF)
            self._expect_end(parser)
            self.recording = Macro(kind, ".rept", [], where, count=count)
        else:  # .irp sym, values... / .irpc sym, characters
            arguments = split_arguments(rest, where, column)
            if not arguments or not arguments[0]:
                raise where.error(f"{kind} expects 'symbol, ...'", column)
            symbol = arguments[0]
            parse_parameters(symbol, where, column)
            values = arguments[1:]
            if kind == ".irpc":
                values = list(",".join(values))
            self.recording = Macro(kind, kind, [symbol], where, values=values)

    def _record(self, text: str) -> None:
        macro = self.recording
        word = statement_head(text)[1].lower()
        if word in _RECORDING:
            macro.depth += 1
        elif word == ".endm":
            macro.depth -= 1
            if macro.depth == 0:
                self.recording = None
                self._recorded(macro)
                return
        macro.body.append(text)

    def _recorded(self, macro: Macro) -> None:
        where = macro.where
        directory = Path(where.filename).parent if files.kind(where.filename) == "file" else None
        if macro.kind == ".macro":
            self.macros[macro.name] = macro
        elif macro.kind == ".rept":
            self._expand(macro, [{}] * macro.count, 0, where, directory)
        else:
            runs = [{macro.parameters[0]: value} for value in macro.values]
            self._expand(macro, runs, len(macro.values), where, directory)

    def _call_macro(
        self, macro: Macro, rest: str, where: Location, column: int, directory: Path | None
    ) -> None:
        arguments = split_arguments(rest, where, column)
        if len(arguments) > len(macro.parameters):
            raise where.error(
                f"macro '{macro.name}' takes {len(macro.parameters)} arguments, "
                f"not {len(arguments)}",
                column,
            )
        values = {}
        for n, parameter in enumerate(macro.parameters):
            given = arguments[n] if n < len(arguments) else ""
            if parameter.startswith("?"):
                parameter = parameter[1:]
                if not given:
                    given = f"{self.next_local}$"
                    self.next_local += 1
            values[parameter] = given
        self._expand(macro, [values], len(arguments), where, directory)

    def _expand(
        self, macro: Macro, runs: list[dict], arguments: int, where: Location, directory
    ) -> None:
        """Read the body once per entry of `runs` (parameter values), at `where`'s line:
        pushed on `self.sources`, read next by `feed`, finished by `_expanded`."""
        if len(self.expansions) >= MAX_MACRO_DEPTH:
            raise where.error(
                f"macros nested deeper than {MAX_MACRO_DEPTH} (does '{macro.name}' call "
                "itself without end?)"
            )
        frame = Expansion(macro, arguments, len(self.conditions), False, runs, where, directory)
        self.expansions.append(frame)
        self.sources.append(frame)

    def _expanded(self, frame: Expansion) -> None:
        """The checks at the end of an expansion (`.mexit` or its last body line)."""
        self.expansions.remove(frame)
        macro, where = frame.macro, frame.where
        if frame.exited:
            del self.conditions[frame.conditions :]
        elif len(self.conditions) > frame.conditions:
            raise where.error(f"'.if' without '.endif' in '{macro.name}'")
        if self.recording is not None and self.recording.where.line == where.line:
            raise where.error(f"'{self.recording.kind}' without '.endm' in '{macro.name}'")

    def _conditional(self, word: str, text: str, after: int, where: Location, column: int) -> None:
        """`.if` and its relatives, `.else`, `.endif`: kept on a stack, so that the lines
        of a false branch are skipped without being read."""
        outer = not self.conditions or self.conditions[-1].active
        if word == ".endif":
            if not self.conditions:
                raise where.error("'.endif' without '.if'", column)
            self.conditions.pop()
            return
        if word == ".else":
            if not self.conditions:
                raise where.error("'.else' without '.if'", column)
            top = self.conditions[-1]
            if top.has_else:
                raise where.error("second '.else' for one '.if'", column)
            top.has_else = True
            top.active = top.outer and not top.taken
            return
        value = False
        if outer:  # a false branch's .if is not read: its expression may name anything
            tokens = tokenize(text, where)
            pos = next(i for i, t in enumerate(tokens) if t.text.lower() == word) + 1
            parser = Parser(tokens, pos, where)
            number = self._pass1_value(parser.expression(), where, -(2**63), 2**63)
            self._expect_end(parser)
            value = _COMPARISONS[word](number)
        self.conditions.append(Condition(outer, value, outer and value, where, column))

    def _statement(self, tokens: list[Token], where: Location, directory: Path | None) -> None:
        i = 0
        while (
            tokens[i].kind in ("name", "local")
            and tokens[i + 1].kind == "op"
            and tokens[i + 1].text in (":", "::")
        ):
            self._define_label(tokens[i], where)
            i += 2
        tok = tokens[i]
        if tok.kind == "eol":
            return
        nxt = tokens[i + 1]
        if tok.kind == "name" and nxt.kind == "op" and nxt.text in ("=", "==", "=:"):
            parser = Parser(tokens, i + 2, where)
            if tok.text == ".":
                self._set_location(parser.expression(), where)
            else:
                self._define_constant(tok, parser.expression(), where)
            self._expect_end(parser)
            return
        if tok.kind != "name":
            raise where.error(f"expected a mnemonic or directive, found '{tok.text}'", tok.column)
        if tok.text.startswith("."):
            self._directive(tok, tokens, i + 1, where, directory)
        else:
            self._instruction(tok, tokens, i + 1, where)

    def _define_label(self, tok: Token, where: Location) -> None:
        sym = Symbol(tok.text, where, tok.column, area=self.area, offset=self.area.loc)
        if tok.kind == "local":
            key = (self.scope, _local_key(tok.text))
            self._check_new(self.locals.get(key), tok, where)
            sym.scope = self.scope
            self.locals[key] = sym
            return
        self._check_new(self.symbols.get(tok.text), tok, where)
        self.scope += 1
        self.symbols[tok.text] = sym

    def _define_constant(self, tok: Token, expr: Expr, where: Location) -> None:
        """A direct assignment. As in sdaspdk13 a constant may be assigned again: each use
        sees the value assigned last before it (a use before any assignment, the last one);
        `.` in the expression is the location counter at the assignment."""
        old = self.symbols.get(tok.text)
        if old is None or old.expr is None or old.where.filename == "<io>":
            self._check_new(old, tok, where)
        self.symbols[tok.text] = Symbol(
            tok.text,
            where,
            tok.column,
            expr=expr,
            scope=self.scope,
            bindings=self._bind([expr]),
            dot_area=self.area,
            dot=self.area.loc,
        )

    def _bind(self, exprs: list[Expr]) -> dict[str, Symbol] | None:
        """The constants the expressions name, as they are defined now (a later assignment
        of the same name must not change them)."""
        bound = {}
        for expr in exprs:
            for tok in expr.symbols():
                sym = self.symbols.get(tok.text) if tok.kind == "name" else None
                if sym is not None and sym.expr is not None:
                    bound[tok.text] = sym
        return bound or None

    def _set_location(self, expr: Expr, where: Location) -> None:
        """`. = . + n` (or `. = label + n`, a label of this area): move the location
        counter. A plain number is refused as sdaspdk13 refuses it."""

        def resolve(tok: Token) -> Value:
            if tok.text == ".":
                return Value(self.area.loc, 1)
            sym = self._lookup(tok, self.scope)
            if sym is not None and sym.expr is not None:
                return Value(self._pass1_value(sym.expr, sym.where, -(2**63), 2**63))
            if sym is not None and sym.area is self.area:
                return Value(sym.offset, 1)
            raise where.error(
                f"'{tok.text}' must be a label of this area or a constant defined before this line",
                tok.column,
            )

        value = expr.evaluate(resolve, where)
        if value.rel != 1:
            raise where.error("use '. = . + n', not '. = n' (as sdaspdk13 says)", expr.column)
        if not 0 <= value.value <= 0xFFFFFF:
            raise where.error(f"location 0x{value.value:x} out of range", expr.column)
        self.area.loc = value.value
        self.area.size = max(self.area.size, self.area.loc)

    @staticmethod
    def _check_new(old: Symbol | None, tok: Token, where: Location) -> None:
        if old is not None:
            first = f"{old.where.filename}:{old.where.line}"
            raise where.error(
                f"duplicate symbol '{tok.text}' (first defined at {first})", tok.column
            )

    def _expect_end(self, parser: Parser) -> None:
        tok = parser.token
        if tok.kind != "eol":
            raise parser.where.error(f"unexpected '{tok.text}' after the operands", tok.column)

    def _area(self, name: str, absolute: bool, where: Location, column: int) -> Area:
        area = self.areas.get(name)
        if area is None:
            area = self.areas[name] = Area(name, absolute, len(self.areas))
        elif area.absolute != absolute and absolute:
            raise where.error(f"area '{name}' was declared relocatable before", column)
        return area

    def _directive(
        self, tok: Token, tokens: list[Token], i: int, where: Location, directory: Path | None
    ) -> None:
        name = tok.text.lower()
        parser = Parser(tokens, i, where)
        if name in _IGNORED_DIRECTIVES:
            if name == ".optsdcc":
                self.sdcc = True
            return
        if name == ".area":
            self._area_directive(parser, where)
        elif name == ".org":
            if not self.area.absolute:
                raise where.error(
                    f".org in relocatable area '{self.area.name}' (declare it '(ABS)')",
                    tok.column,
                )
            self.area.loc = self._pass1_value(parser.expression(), where, 0, 0xFFFFFF)
        elif name in (".dw", ".word"):
            exprs = self._expr_list(parser)
            self._emit("dw", 2 * len(exprs), where, tok.column, exprs=exprs)
        elif name in (".db", ".byte", ".fcb"):
            exprs = self._expr_list(parser)
            self._emit("db", len(exprs), where, tok.column, exprs=exprs)
        elif name in (".ascii", ".asciz", ".str", ".strz"):
            string = parser.token
            if string.kind != "string":
                raise where.error(f"{name} expects a quoted string", string.column)
            parser.pos += 1
            data = string_bytes(string.text)
            if data is None:
                raise where.error(f"{name} string holds a character no file can", string.column)
            data += b"\0" if name.endswith("z") else b""
            self._emit("db", len(data), where, tok.column, data=data)
        elif name in (".ds", ".blkb", ".rmb", ".blkw"):
            count = self._pass1_value(parser.expression(), where, 0, ROM_BYTES)
            self._advance(count * (2 if name == ".blkw" else 1))
        elif name == ".even":
            self._advance(self.area.loc & 1)
        elif name == ".equ":
            target = parser.token
            if target.kind != "name" or tokens[parser.pos + 1].text != ",":
                raise where.error(".equ expects 'name, expression'", target.column)
            parser.pos += 2
            self._define_constant(target, parser.expression(), where)
        elif name == ".include":
            self._include(parser, where, directory)
        elif name == ".narg":
            if not self.expansions or self.expansions[-1].macro.kind != ".macro":
                raise where.error(".narg outside a macro", tok.column)
            target = parser.token
            if target.kind != "name":
                raise where.error(".narg expects a symbol", target.column)
            parser.pos += 1
            count = self.expansions[-1].arguments
            number = Expr(("num", Token("number", str(count), target.column, count)), 1)
            self._define_constant(target, number, where)
        elif name == ".nchr":
            target = parser.token
            if target.kind != "name" or tokens[parser.pos + 1].text != ",":
                raise where.error(".nchr expects 'symbol, text'", target.column)
            comma = tokens[parser.pos + 1].column
            text = split_arguments(where.text[comma:], where, comma + 1)
            count = len(",".join(text))
            number = Expr(("num", Token("number", str(count), target.column, count)), 1)
            self._define_constant(target, number, where)
            return
        elif name == ".mdelete":
            while parser.token.kind == "name":
                self.macros.pop(parser.token.text, None)
                parser.pos += 1
                if parser.token.text == ",":
                    parser.pos += 1
        elif name == ".mexit":
            if not self.expansions:
                raise where.error(".mexit outside a macro", tok.column)
            self.expansions[-1].exited = True
        elif name == ".endm":
            raise where.error("'.endm' without '.macro'", tok.column)
        else:
            raise where.error(f"unsupported directive '{tok.text}'", tok.column)
        self._expect_end(parser)

    def _area_directive(self, parser: Parser, where: Location) -> None:
        tok = parser.token
        if tok.kind != "name":
            raise where.error(".area expects an area name", tok.column)
        parser.pos += 1
        flags: list[str] = []
        if parser.token.text == "(":
            parser.pos += 1
            while parser.token.kind == "name":
                flags.append(parser.token.text.upper())
                parser.pos += 1
                if parser.token.text == ",":
                    parser.pos += 1
            if parser.token.text != ")":
                raise where.error("missing ')' after the area flags", parser.token.column)
            parser.pos += 1
        for flag in flags:
            if flag not in ("ABS", "REL", "CON", "OVR", "DATA", "CODE", "PAG", "NOPAG"):
                raise where.error(f"unknown area flag '{flag}'", tok.column)
        self.area = self._area(tok.text, "ABS" in flags, where, tok.column)
        self.area.overlay = self.area.overlay or "OVR" in flags
        self.c_line = None
        if self.area.overlay:  # as sdaspdk13: SDCC puts each function's temporaries there
            self.area.loc = 0

    def _include(self, parser: Parser, where: Location, directory: Path | None) -> None:
        tok = parser.token
        if tok.kind != "string":
            raise where.error(".include expects a quoted file name", tok.column)
        parser.pos += 1
        name = printable(tok.text)
        if not tok.text or "\0" in tok.text:
            raise where.error(".include expects a file name", tok.column)
        candidates = [(directory or Path.cwd()) / tok.text]
        candidates += [d / tok.text for d in self.include_dirs]
        kinds = [files.kind(p) for p in candidates]
        if "file" in kinds:
            path = candidates[kinds.index("file")]
        elif any(k != "missing" for k in kinds):  # a folder, /dev/zero, a FIFO, too long
            path = next(p for p, k in zip(candidates, kinds, strict=True) if k != "missing")
        else:
            raise where.error(f"include file '{name}' not found", tok.column)
        resolved = path.resolve()
        open_files = [f for f in self.sources if isinstance(f, SourceFile)]
        if any(f.resolved == resolved for f in open_files):
            raise where.error(f"'{name}' includes itself", tok.column)
        if len(open_files) >= MAX_INCLUDE_DEPTH:
            raise where.error(f"includes nested deeper than {MAX_INCLUDE_DEPTH}", tok.column)
        data = self._read(
            path, lambda reason: where.error(f"cannot read '{name}': {reason}", tok.column)
        )
        # read next by the loop in `feed`, from its first line; then this file goes on
        self.sources.append(SourceFile(str(path), path.parent, source_lines(data), resolved))

    def _read(self, path: Path, fail) -> bytes:
        """A source file's bytes, within the per-file and per-assembly bounds."""
        data = files.read_bytes(path, MAX_SOURCE_BYTES, fail)
        self.bytes_read += len(data)
        if self.bytes_read > MAX_TOTAL_BYTES:
            raise fail(f"the assembly read more than {MAX_TOTAL_BYTES // files.MiB} MiB")
        self.inputs.append(path)
        return data

    def _expr_list(self, parser: Parser) -> list[Expr]:
        exprs = [parser.expression()]
        while parser.token.text == "," and parser.token.kind == "op":
            parser.pos += 1
            exprs.append(parser.expression())
        return exprs

    def _pass1_value(self, expr: Expr, where: Location, low: int, high: int) -> int:
        def resolve(tok: Token) -> Value:
            sym = self.symbols.get(tok.text) if tok.kind == "name" else None
            if sym is not None and sym.expr is not None:
                return self._constant(sym)
            if sym is not None and sym.area is not None and sym.area.absolute:
                return Value(sym.offset)
            if tok.text == ".":
                return Value(self.area.loc)
            raise where.error(
                f"'{tok.text}' must be a constant defined before this line", tok.column
            )

        value = expr.evaluate(resolve, where).value
        if not low <= value <= high:
            raise where.error(f"value {value:#x} out of range", expr.column)
        return value

    def _advance(self, count: int) -> None:
        self.area.loc += count
        self.area.size = max(self.area.size, self.area.loc)

    def _emit(self, kind: str, size: int, where: Location, column: int, **contents) -> None:
        """Keep an item of `size` bytes at the location counter for pass 2, and step past it."""
        item = Item(kind, self.area, self.area.loc, size, where, column, self.scope, **contents)
        exprs = list(item.exprs) + [o.expr for o in item.operands if o.expr is not None]
        item.bindings = self._bind(exprs)
        item.c_line = self.c_line
        self.items.append(item)
        self._advance(size)

    def _instruction(self, tok: Token, tokens: list[Token], i: int, where: Location) -> None:
        mnemonic = tok.text.lower()
        operands = self._operands(tokens, i, where)
        form = self._match(tok, mnemonic, operands, where)
        self._emit("instr", 2, where, tok.column, form=form, operands=operands)

    def _operands(self, tokens: list[Token], i: int, where: Location) -> list[Operand]:
        operands: list[Operand] = []
        if tokens[i].kind == "eol":
            return operands
        while True:
            if tokens[i].kind == "eol":
                raise where.error("operand expected after ','", tokens[i].column)
            tok, nxt = tokens[i], tokens[i + 1]
            single = nxt.kind == "eol" or (nxt.kind == "op" and nxt.text == ",")
            if tok.kind == "name" and single and tok.text in ("a", "af"):
                operands.append(Operand(tok.text, tok.column))
                i += 1
            elif tok.kind == "name" and single and tok.text in (*IO_KEYWORDS, *BIT_KEYWORDS):
                operands.append(Operand("expr", tok.column, keyword=tok.text))
                i += 1
            elif tok.kind == "op" and tok.text == "#":
                parser = Parser(tokens, i + 1, where)
                operands.append(Operand("#", tok.column, parser.expression()))
                i = parser.pos
            else:
                parser = Parser(tokens, i, where)
                operands.append(Operand("expr", tok.column, parser.expression()))
                i = parser.pos
            if tokens[i].kind == "eol":
                return operands
            if tokens[i].text != ",":
                raise where.error(f"unexpected '{tokens[i].text}' in operand", tokens[i].column)
            i += 1

    def _match(self, tok: Token, mnemonic: str, operands: list[Operand], where: Location) -> Form:
        try:
            return self._match_form(tok, mnemonic, operands, where)
        except AssemblerError:
            for operand in operands:
                tree = operand.expr.tree if operand.expr is not None else ()
                if tree and tree[0] == "sym" and tree[1].text in ("A", "AF"):
                    expected = tree[1].text.lower()
                    raise where.error(
                        f"expected '{expected}' (sdaspdk13 spells registers lowercase)",
                        operand.column,
                    ) from None
            raise

    def _match_form(
        self, tok: Token, mnemonic: str, operands: list[Operand], where: Location
    ) -> Form:
        if mnemonic in UNAVAILABLE:
            raise where.error(f"'{mnemonic}' is not available on the PMS150C", tok.column)
        forms = [f for f in FORMS.get(mnemonic, ()) if f.instr.pms150c]
        if not forms:
            raise where.error(f"unknown mnemonic '{tok.text}'", tok.column)
        counted = [f for f in forms if len(f.operands) == len(operands)]
        if not counted:
            spellings = " or ".join(sorted({_spelling(f) for f in forms}))
            column = operands[0].column if operands else tok.column
            if any(len(f.operands) < len(operands) for f in forms) and operands:
                shortest = min(len(f.operands) for f in forms)
                column = operands[min(shortest, len(operands) - 1)].column
            raise where.error(f"wrong number of operands, expected {spellings}", column)
        for n, operand in enumerate(operands):
            fitting = [f for f in counted if _fits(f.operands[n], operand)]
            if not fitting:
                wanted = " or ".join(sorted({_expected(f.operands[n]) for f in counted}))
                raise where.error(f"expected {wanted}", operand.column)
            counted = fitting
        return counted[0]

    # -- pass 2 -------------------------------------------------------------------------
    def link(self) -> Image:
        self._layout()
        rom: dict[int, tuple[int, Item]] = {}
        source: dict[int, SourceLine] = {}
        for item in self.items:
            address = item.area.base + item.offset
            data = self._bytes(item, address)
            for n, byte in enumerate(data):
                self._place(rom, address + n, byte, item)
            for word in range(address // 2, (address + len(data) + 1) // 2):
                source.setdefault(
                    word, SourceLine(item.where.filename, item.where.line, item.where.text)
                )
        words = np.full(ROM_WORDS, BLANK_WORD, dtype=np.int64)
        written = np.zeros(ROM_WORDS, dtype=bool)
        for address in sorted(rom):
            byte, item = rom[address]
            word = address // 2
            if not written[word]:
                words[word] = 0
                written[word] = True
            words[word] |= byte << (8 * (address & 1))
            if words[word] > isa.WORD_MASK:
                raise item.where.error(
                    f"word 0x{words[word]:04x} at 0x{word:03x} is wider than 13 bits", item.column
                )
        labels = self._rom_labels()
        values = self._symbol_values()
        return Image(
            words,
            symbols=values,
            source=source,
            written=written,
            labels=labels,
            symbol_table=self._symbol_table(labels, values, source),
        )

    def _layout(self) -> None:
        bases = self.user_bases
        if bases is None:
            bases = SDCC_BASES if self.sdcc else {}
        cursor = 0
        for area in sorted(self.areas.values(), key=lambda a: a.order):
            if area.absolute:
                continue
            cursor = bases.get(area.name, cursor)
            area.base = cursor
            cursor += area.size

    def _place(self, rom: dict, address: int, byte: int, item: Item) -> None:
        if address >= ROM_BYTES:
            raise item.where.error(
                f"code past the end of ROM (word 0x{address // 2:x} > 0x{ROM_WORDS - 1:x})",
                item.column,
            )
        old = rom.get(address)
        if old is not None:
            first = old[1].where
            hint = ""
            if old[1].area.absolute != item.area.absolute:
                hint = (
                    " (relocatable areas start at byte 0 as with sdldpdk; put the code in "
                    "an (ABS) area after an .org, or pass bases=)"
                )
            raise item.where.error(
                f"overlaps word 0x{address // 2:03x} already written at "
                f"{first.filename}:{first.line}{hint}",
                item.column,
            )
        rom[address] = (byte, item)

    def _bytes(self, item: Item, address: int) -> bytes:
        if item.kind == "instr":
            if address & 1:
                raise item.where.error(
                    f"instruction at odd byte address 0x{address:x} (misaligned by .db)",
                    item.column,
                )
            word = self._encode(item, address)
            return bytes((word & 0xFF, word >> 8))
        if item.data:
            return item.data
        out = bytearray()
        for expr in item.exprs:
            value = self._value(expr, item, address).value
            if item.kind == "dw":
                if not 0 <= value <= isa.WORD_MASK:
                    raise item.where.error(
                        f"data word 0x{value:x} out of range 0..0x1fff (13-bit ROM)", expr.column
                    )
                out += bytes((value & 0xFF, value >> 8))
            else:
                if not -0x80 <= value <= 0xFF:
                    self._lenient(
                        item,
                        expr.column,
                        f"byte 0x{value:x} out of range",
                        f"kept 0x{value & 0xFF:02x} (the low byte), as sdaspdk13 does",
                    )
                out.append(value & 0xFF)
        return bytes(out)

    def _encode(self, item: Item, address: int) -> int:
        form = item.form
        values = []
        cut: list[tuple[int, str, isa.OperandKind]] = []  # operands cut to sdaspdk13's bits
        kinds = [isa.KINDS[o] for o in form.operands]
        for kind, operand in zip(kinds, item.operands, strict=True):
            if kind.literal:
                continue
            if operand.keyword:
                value = IO_KEYWORDS.get(operand.keyword, BIT_KEYWORDS.get(operand.keyword))
            else:
                code_address = kind.name == "K"
                val = self._value(operand.expr, item, address, 2 if code_address else 1)
                value = val.value
                if val.rel not in (0, 1):
                    raise item.where.error("expression is a sum of labels", operand.column)
                if code_address:
                    # sdaspdk13 reads the target in bytes (number literals doubled, labels
                    # as they are) and the linker halves it into a word address.
                    if value & 1:
                        self._lenient(
                            item,
                            operand.column,
                            f"jump target is the odd byte address 0x{value:x}, not a word",
                            f"kept word 0x{value >> 1:x} (the linker drops bit 0)",
                        )
                    value >>= 1
                if kind.prefix == "#" and kind.width == 8 and -0x80 <= value < 0:
                    value &= 0xFF
            problem = kind.check(value)
            if problem and value < 0:
                low = "-0x80" if kind.prefix == "#" and kind.width == 8 else "0"
                problem = f"{kind.description} {value} out of range {low}..0x{kind.max_value:x}"
            if problem:
                if self.strict:
                    raise item.where.error(problem, operand.column)
                value &= sdas_keeps(form.instr, kind)
                cut.append((operand.column, problem, kind))
            values.append(value)
        word = form.instr.encode(*values)
        for column, problem, kind in cut:
            became = isa.lookup(word)
            if became is form.instr:
                kept = f"kept 0x{kind.extract(word):x}, as sdaspdk13 does"
            elif became is None:
                kept = f"sdaspdk13 writes 0x{word:04x}, which is not a PMS150C instruction"
            else:
                from .disassembler import disassemble_word

                kept = f"sdaspdk13 writes 0x{word:04x}, which is '{disassemble_word(word)}'"
            self._lenient(item, column, problem, kept)
        return word

    def _lenient(self, item: Item, column: int, problem: str, kept: str) -> None:
        """An operand sdaspdk13 cuts silently: an error when strict, else a warning saying
        what was kept."""
        if self.strict:
            raise item.where.error(problem, column)
        where = item.where
        self.warnings.append(
            AssemblerWarning(f"{problem}: {kept}", where.filename, where.line, column, where.text)
        )

    def _value(self, expr: Expr, item: Item, address: int, scale: int = 1) -> Value:
        def resolve(tok: Token) -> Value:
            if tok.text == ".":
                return Value(address, 1)
            return self._resolve(tok, item.scope, item.where, item.bindings)

        return expr.evaluate(resolve, item.where, scale)

    def _lookup(self, tok: Token, scope: int, bindings: dict | None = None) -> Symbol | None:
        """The symbol `tok` names: a local label of `scope`, the constant `bindings` fixed
        for the name, or the global name as last defined."""
        if tok.kind == "local":
            return self.locals.get((scope, _local_key(tok.text)))
        if bindings and tok.text in bindings:
            return bindings[tok.text]
        return self.symbols.get(tok.text)

    def _resolve(
        self, tok: Token, scope: int, where: Location, bindings: dict | None = None
    ) -> Value:
        sym = self._lookup(tok, scope, bindings)
        if sym is None:
            linker = self._linker_symbol(tok.text)
            if linker is not None:
                # s_AREA is an address (relocated like a label), l_AREA a plain length.
                return Value(linker, 1) if tok.text[0] == "s" else Value(linker)
            raise where.error(f"undefined symbol '{tok.text}'", tok.column)
        if sym.expr is not None:
            return self._constant(sym)
        return Value(sym.address, 1)

    def _constant(self, sym: Symbol) -> Value:
        """The value of a constant, after the constants it refers to.

        Walks the dependencies with an explicit stack, not recursion, so a chain of
        constants of any length (`a1 = a0 + 1`, `a2 = a1 + 1`, ...), in order or with
        forward references, evaluates; a constant met again while its own dependencies are
        pending is a true cycle.
        """
        stack = [sym]
        try:
            while stack:
                top = stack[-1]
                if top.value is not None:
                    stack.pop()
                elif not top.busy:  # first visit: its pending dependencies go first
                    top.busy = True
                    for dep in self._constant_dependencies(top):
                        if dep.busy:
                            raise dep.where.error(
                                f"'{dep.name}' is defined in terms of itself", dep.column
                            )
                        stack.append(dep)
                else:  # every dependency has its value: no recursion below
                    top.value = top.expr.evaluate(
                        lambda tok, top=top: self._resolve_in(top, tok), top.where
                    )
                    top.busy = False
                    stack.pop()
        finally:
            for pending in stack:
                pending.busy = False
        return sym.value

    def _resolve_in(self, sym: Symbol, tok: Token) -> Value:
        """A name in constant `sym`'s expression; `.` is where the constant was defined."""
        if tok.text == "." and sym.dot_area is not None:
            return Value(sym.dot_area.base + sym.dot, 1)
        return self._resolve(tok, sym.scope, sym.where, sym.bindings)

    def _constant_dependencies(self, sym: Symbol) -> list[Symbol]:
        """The constants without a value yet that `sym`'s expression names."""
        found = []
        for tok in sym.expr.symbols():
            dep = self._lookup(tok, sym.scope, sym.bindings)
            if dep is not None and dep.expr is not None and dep.value is None:
                found.append(dep)
        return found

    def _linker_symbol(self, name: str) -> int | None:
        """sdldpdk's `s_AREA` (start) and `l_AREA` (length in bytes) symbols."""
        if name[:2] in ("s_", "l_"):
            area = self.areas.get(name[2:])
            if area is not None:
                return area.base if name[0] == "s" else area.size
        return None

    def _rom_labels(self) -> dict[str, int]:
        """Labels in areas that hold ROM contents, as word addresses."""
        rom_areas = {id(item.area) for item in self.items}
        return {
            name: sym.address // 2
            for name, sym in self.symbols.items()
            if sym.area is not None and id(sym.area) in rom_areas and not sym.address & 1
        }

    def _symbol_table(self, labels: dict, values: dict, source: dict) -> SymbolTable:
        """Labels, RAM variables (labels of areas that hold no ROM contents; a variable
        reaches to the next label of its area, or the area's end), IO registers (constants
        assigned in an RSEG area, as SDCC declares `__sfr`) and the other constants."""
        rom_areas = {id(item.area) for item in self.items}
        table = SymbolTable(code=dict(labels), asm_lines=dict(source))
        for item in self.items:  # the C lines of SDCC output, from its comments
            if item.c_line is not None and item.kind == "instr":
                table.lines.setdefault((item.area.base + item.offset) // 2, item.c_line)
        data = sorted(
            (sym.address, name, sym.area)
            for name, sym in self.symbols.items()
            if sym.area is not None and id(sym.area) not in rom_areas
        )
        for n, (address, name, area) in enumerate(data):
            later = [a for a, _, other in data[n + 1 :] if other is area and a > address]
            end = later[0] if later else area.base + area.size
            size = end - address if end > address else None
            table.variables[name] = Variable(name, address, size)
        for name, sym in self.symbols.items():
            if sym.expr is None or sym.where.filename == "<io>" or "$" in name:
                continue
            if sym.dot_area is not None and sym.dot_area.name.upper().startswith("RSEG"):
                table.variables[name] = Variable(name, values[name], 1, space="io")
            else:
                table.constants[name] = values[name]
        return table

    def _symbol_values(self) -> dict[str, int]:
        values: dict[str, int] = {}
        for name, sym in self.symbols.items():
            if sym.where.filename == "<io>" and sym.value is None:
                continue
            values[name] = self._constant(sym).value if sym.expr is not None else sym.address
        return values


def _include_dirs(dirs) -> list[Path]:
    """The -I folders: an iterable of paths, or a single path."""
    if isinstance(dirs, str | bytes | os.PathLike):
        dirs = [dirs]
    try:
        dirs = list(dirs)
    except TypeError:
        raise ArgumentError(
            f"include_dirs must be a list of folders, not {validate.describe(dirs)}"
        ) from None
    return [validate.path(d, "an include folder", error=ArgumentError) for d in dirs]


def _bases(bases) -> dict[str, int] | None:
    """sdldpdk's -b NAME=addr: area names to byte addresses 0..MAX_BASE."""
    if bases is None:
        return None
    try:
        items = list(dict(bases).items())
    except (TypeError, ValueError):
        raise ArgumentError(
            f"bases must map area names to addresses, not {validate.describe(bases)}"
        ) from None
    checked = {}
    for name, base in items:
        if not isinstance(name, str):
            raise ArgumentError(f"bases: an area name must be a str, not {validate.describe(name)}")
        checked[name] = validate.integer(
            base, f"the base of area {name!r}", 0, MAX_BASE, hexadecimal=True
        )
    return checked


def _local_key(text: str) -> str:
    return str(int(text[:-1]))


def _spelling(form: Form) -> str:
    syntax = " ".join((form.mnemonic, ", ".join(form.operands))).strip()
    return "'" + isa.format_syntax(syntax) + "'"


def _expected(template: str) -> str:
    kind = isa.KINDS[template]
    if kind.literal:
        return f"'{template}'"
    if kind.prefix:
        return (
            f"an immediate '{kind.prefix}{template}'"
            if template == "k"
            else f"a {kind.description} '{kind.prefix}{template}'"
        )
    return f"a {kind.description}"


def _fits(template: str, operand: Operand) -> bool:
    kind = isa.KINDS[template]
    if kind.literal:
        return operand.shape == template
    if operand.keyword:
        table = IO_KEYWORDS if template == "IO" else BIT_KEYWORDS if template == "n" else {}
        return operand.keyword in table
    if kind.prefix == "#":
        return operand.shape == "#"
    if kind.name == "K":  # sdaspdk13 reads `goto #label` (SDCC's jump tables) as `goto label`
        return operand.shape in ("expr", "#")
    return operand.shape == "expr"


def assemble(
    source: str | bytes,
    filename: str = "<asm>",
    include_dirs=(),
    *,
    bases=None,
    predefine_io: bool = False,
    strict: bool = True,
) -> Image:
    """Assemble sdaspdk13 source (text, or the bytes of a file) into an absolute `Image`.

    ``.include`` files are looked up next to `filename` (when it names a real file; in the
    current directory otherwise), then in `include_dirs`. ``bases`` maps relocatable area
    names to byte addresses like sdldpdk's ``-b NAME=addr``; by default areas start at 0,
    or at SDCC's bases for ``.optsdcc`` output. ``predefine_io`` defines the datasheet IO
    register names (``pa``, ``t16m``...) as symbols.

    ``strict`` (the default) refuses an operand that does not fit its field, which
    sdaspdk13 silently cuts to the field's bits (`and a, #((8000000))` keeps 0x00,
    `set0 0x1f, #3` writes `set0 0x0f, #3`). With ``strict=False`` the words are exactly
    sdaspdk13's and each cut is an `AssemblerWarning` (via `warnings.warn`).
    """
    image, _ = _assemble(source, filename, include_dirs, bases, predefine_io, strict)
    return image


def _assemble(source, filename, include_dirs, bases, predefine_io, strict, path_read=None):
    if not isinstance(source, str | bytes | bytearray):
        raise ArgumentError(f"source must be text or bytes, not {validate.describe(source)}")
    filename = str(validate.path(filename, "the source's file name", error=ArgumentError))
    asm = Assembler(include_dirs, bases, predefine_io, strict)
    path = Path(filename)
    directory, resolved = None, None
    if files.kind(path) == "file":
        directory, resolved = path.parent, path.resolve()
    if path_read is not None:
        asm.inputs.append(path_read)
        asm.bytes_read = len(source)
    asm.feed(source, filename, directory, resolved)
    asm.finish()
    image = asm.link()
    for warning in asm.warnings:
        warnings.warn(warning, stacklevel=3)
    return image, asm.inputs


def assemble_file(path, include_dirs=(), *, inputs: list | None = None, **options) -> Image:
    """Assemble a source file; its ``.include`` files are found relative to it.

    When `inputs` is a list, every file the assembly read is appended to it (the source,
    then each included file as it is read), for a tool that must not overwrite them or
    that tracks dependencies."""
    path = validate.path(path, "the source file", error=ArgumentError)
    name = str(path)
    data = files.read_bytes(
        path,
        MAX_SOURCE_BYTES,
        lambda reason: AssemblerError(f"cannot read source: {reason}", name, 0, 0),
    )
    bases = options.pop("bases", None)
    predefine_io = options.pop("predefine_io", False)
    strict = options.pop("strict", True)
    if options:
        raise ArgumentError(f"assemble_file() got an unknown option {sorted(options)[0]!r}")
    image, read = _assemble(data, name, include_dirs, bases, predefine_io, strict, path_read=path)
    if inputs is not None:
        inputs.extend(read)
    return image
