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
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import isa
from ..device import BLANK_WORD, IO_FLAG, IO_NAMES, IO_SP, ROM_WORDS
from ..errors import AssemblerError
from ..image import Image, SourceLine
from .expr import Expr, Parser, Value
from .lexer import Location, Token, tokenize

ROM_BYTES = 2 * ROM_WORDS

# The base addresses `sdcc -mpdk13` hands to sdldpdk (-b HOME=0x22 -b DATA=0x02).
SDCC_BASES = {"HOME": 0x22, "DATA": 0x02}

# Keywords sdaspdk13 reads in operand position: IO registers and FLAG bit numbers.
IO_KEYWORDS = {"f": IO_FLAG, "sp": IO_SP}
BIT_KEYWORDS = {name.lower(): bit for name, bit in isa.FLAG_BITS.items()}

_IGNORED_DIRECTIVES = set(".globl .module .optsdcc .title .sbttl .page .list .nlist".split())


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


class Assembler:
    def __init__(
        self, include_dirs: Iterable[str | os.PathLike] = (), bases=None, predefine_io: bool = False
    ):
        self.include_dirs = [Path(d) for d in include_dirs]
        self.user_bases = dict(bases) if bases is not None else None
        self.sdcc = False
        self.areas: dict[str, Area] = {}
        self.area = self._area("_CODE", False, Location("<asm>", 0, ""), 1)
        self.symbols: dict[str, Symbol] = {}
        self.locals: dict[tuple[int, str], Symbol] = {}
        self.scope = 0
        self.items: list[Item] = []
        self.include_stack: list[Path] = []
        if predefine_io:
            for name, address in IO_NAMES.items():
                expr = Expr(("num", Token("number", str(address), 1, address)), 1)
                self.symbols[name] = Symbol(name, Location("<io>", 0, ""), 1, expr=expr)

    # -- pass 1 -------------------------------------------------------------------------
    def feed(self, source: str, filename: str, directory: Path | None) -> None:
        for number, text in enumerate(source.splitlines(), 1):
            where = Location(filename, number, text)
            self._statement(tokenize(text, where), where, directory)

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
        self._check_new(self.symbols.get(tok.text), tok, where)
        self.symbols[tok.text] = Symbol(tok.text, where, tok.column, expr=expr, scope=self.scope)

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
            data = string.text.encode("latin-1") + (b"\0" if name.endswith("z") else b"")
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

    def _include(self, parser: Parser, where: Location, directory: Path | None) -> None:
        tok = parser.token
        if tok.kind != "string":
            raise where.error(".include expects a quoted file name", tok.column)
        parser.pos += 1
        candidates = [(directory or Path.cwd()) / tok.text]
        candidates += [d / tok.text for d in self.include_dirs]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            raise where.error(f"include file '{tok.text}' not found", tok.column)
        resolved = path.resolve()
        if resolved in self.include_stack:
            raise where.error(f"'{tok.text}' includes itself", tok.column)
        try:
            text = path.read_text(encoding="latin-1")
        except OSError as exc:
            raise where.error(f"cannot read '{tok.text}': {exc.strerror}", tok.column) from None
        self.include_stack.append(resolved)
        self.feed(text, str(path), path.parent)
        self.include_stack.pop()

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
        return Image(
            words,
            symbols=self._symbol_values(),
            source=source,
            written=written,
            labels=self._rom_labels(),
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
                    raise item.where.error(f"byte 0x{value:x} out of range", expr.column)
                out.append(value & 0xFF)
        return bytes(out)

    def _encode(self, item: Item, address: int) -> int:
        form = item.form
        values = []
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
                        raise item.where.error(
                            f"jump target is the odd byte address 0x{value:x}, not a word",
                            operand.column,
                        )
                    value >>= 1
                if kind.prefix == "#" and kind.width == 8 and -0x80 <= value < 0:
                    value &= 0xFF
            problem = kind.check(value)
            if problem and value < 0:
                low = "-0x80" if kind.prefix == "#" and kind.width == 8 else "0"
                problem = f"{kind.description} {value} out of range {low}..0x{kind.max_value:x}"
            if problem:
                raise item.where.error(problem, operand.column)
            values.append(value)
        return form.instr.encode(*values)

    def _value(self, expr: Expr, item: Item, address: int, scale: int = 1) -> Value:
        def resolve(tok: Token) -> Value:
            if tok.text == ".":
                return Value(address, 1)
            return self._resolve(tok, item.scope, item.where)

        return expr.evaluate(resolve, item.where, scale)

    def _lookup(self, tok: Token, scope: int) -> Symbol | None:
        """The symbol `tok` names: a local label of `scope`, or a global name."""
        if tok.kind == "local":
            return self.locals.get((scope, _local_key(tok.text)))
        return self.symbols.get(tok.text)

    def _resolve(self, tok: Token, scope: int, where: Location) -> Value:
        sym = self._lookup(tok, scope)
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
                        lambda tok, top=top: self._resolve(tok, top.scope, top.where), top.where
                    )
                    top.busy = False
                    stack.pop()
        finally:
            for pending in stack:
                pending.busy = False
        return sym.value

    def _constant_dependencies(self, sym: Symbol) -> list[Symbol]:
        """The constants without a value yet that `sym`'s expression names."""
        found = []
        for tok in sym.expr.symbols():
            dep = self._lookup(tok, sym.scope)
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

    def _symbol_values(self) -> dict[str, int]:
        values: dict[str, int] = {}
        for name, sym in self.symbols.items():
            if sym.where.filename == "<io>" and sym.value is None:
                continue
            values[name] = self._constant(sym).value if sym.expr is not None else sym.address
        return values


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
    return operand.shape == "expr"


def assemble(
    source: str, filename: str = "<asm>", include_dirs=(), *, bases=None, predefine_io: bool = False
) -> Image:
    """Assemble sdaspdk13 source text into an absolute `Image`.

    ``.include`` files are looked up next to `filename` (when it names a real file; in the
    current directory otherwise), then in `include_dirs`. ``bases`` maps relocatable area
    names to byte addresses like sdldpdk's ``-b NAME=addr``; by default areas start at 0,
    or at SDCC's bases for ``.optsdcc`` output. ``predefine_io`` defines the datasheet IO
    register names (``pa``, ``t16m``...) as symbols.
    """
    asm = Assembler(include_dirs, bases, predefine_io)
    path = Path(filename)
    directory = path.parent if path.is_file() else None
    if directory is not None:
        asm.include_stack.append(path.resolve())
    asm.feed(source, filename, directory)
    return asm.link()


def assemble_file(path, include_dirs=(), **options) -> Image:
    """Assemble a source file; its ``.include`` files are found relative to it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="latin-1")
    except OSError as exc:
        raise AssemblerError(f"cannot read source: {exc.strerror}", str(path), 0, 0) from None
    return assemble(text, str(path), include_dirs, **options)
