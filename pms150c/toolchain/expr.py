"""Expressions as sdaspdk13 reads them: C-like precedence, labels that relocate.

A value carries a *relocation count*: 0 for a plain number, 1 for a label (or a label plus a
number), 0 again for the difference of two labels. The count tells `goto`/`call` whether
an operand is a label (a byte address, halved into a word address) or a number (already a
word address), exactly as sdaspdk13 and sdldpdk treat them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .lexer import Location, Token

# Binary operator precedence, loosest first (the same order as C and asxxxx).
_PRECEDENCE = {"|": 1, "^": 2, "&": 3, "<<": 4, ">>": 4, "+": 5, "-": 5, "*": 6, "/": 6, "%": 6}
_UNARY = ("-", "~", "<", ">", "+")


@dataclass(frozen=True)
class Value:
    value: int
    rel: int = 0  # how many relocatable (label) terms the value holds


@dataclass(frozen=True)
class Expr:
    """A parsed expression: a tree of tuples, plus the column where it starts."""

    tree: tuple
    column: int

    def evaluate(self, resolve: Callable[[Token], Value], where: Location, scale: int = 1) -> Value:
        """The value, with every number literal multiplied by `scale`.

        sdaspdk13 reads the literals of a code-address expression (a goto/call target, the
        operand of `<`/`>`) as word addresses and converts them to bytes (scale 2); symbols
        keep their value (labels are byte addresses already).
        """
        return _evaluate(self.tree, resolve, where, scale)

    def symbols(self) -> list[Token]:
        """Every symbol token the expression refers to."""
        found: list[Token] = []
        _collect(self.tree, found)
        return found


def _collect(node: tuple, found: list[Token]) -> None:
    if node[0] == "sym":
        found.append(node[1])
    for child in node[2:]:
        if isinstance(child, tuple):
            _collect(child, found)


MAX_EXPRESSION_TOKENS = 200


class Parser:
    """Reads expressions from a token list starting at `pos`."""

    def __init__(self, tokens: list[Token], pos: int, where: Location):
        self.tokens = tokens
        self.pos = pos
        self.where = where

    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def expression(self) -> Expr:
        column = self.token.column
        self.start = self.pos
        return Expr(self._binary(1), column)

    def _binary(self, level: int) -> tuple:
        left = self._unary()
        while True:
            tok = self.token
            prec = _PRECEDENCE.get(tok.text) if tok.kind == "op" else None
            if prec is None or prec < level:
                return left
            self.pos += 1
            right = self._binary(prec + 1)
            left = ("bin", tok, left, right)

    def _unary(self) -> tuple:
        tok = self.token
        if self.pos - self.start > MAX_EXPRESSION_TOKENS:  # parse and evaluate recurse per token
            raise self.where.error(
                f"expression longer than {MAX_EXPRESSION_TOKENS} tokens", tok.column
            )
        if tok.kind == "op" and tok.text in _UNARY:
            self.pos += 1
            return ("un", tok, self._unary())
        if tok.kind == "op" and tok.text == "(":
            self.pos += 1
            inner = self._binary(1)
            if self.token.text != ")" or self.token.kind != "op":
                raise self.where.error("missing ')'", self.token.column)
            self.pos += 1
            return inner
        if tok.kind == "number":
            self.pos += 1
            return ("num", tok)
        if tok.kind in ("name", "local"):
            self.pos += 1
            return ("sym", tok)
        if tok.kind == "eol":
            raise self.where.error("expression expected", tok.column)
        raise self.where.error(f"unexpected '{tok.text}' in expression", tok.column)


MAX_VALUE_BITS = 64  # values beyond are a runaway expression (sdaspdk13 keeps 32 bits)


def _evaluate(node: tuple, resolve, where: Location, scale: int) -> Value:
    value = _evaluate_node(node, resolve, where, scale)
    if value.value.bit_length() > MAX_VALUE_BITS:
        raise where.error(f"value does not fit in {MAX_VALUE_BITS} bits", node[1].column)
    return value


def _evaluate_node(node: tuple, resolve, where: Location, scale: int) -> Value:
    kind = node[0]
    if kind == "num":
        return Value(node[1].value * scale)
    if kind == "sym":
        return resolve(node[1])
    if kind == "un":
        op = node[1]
        if op.text in "<>":
            return _select_byte(op, _evaluate(node[2], resolve, where, 2), where)
        return _unary(op, _evaluate(node[2], resolve, where, scale), where)
    op = node[1]
    left = _evaluate(node[2], resolve, where, scale)
    right = _evaluate(node[3], resolve, where, scale)
    return _binary(op, left, right, where)


def _select_byte(op: Token, x: Value, where: Location) -> Value:
    """sdaspdk13's `<x` / `>x`: low or high byte of a code address.

    The operand is read as a code address (number literals doubled into bytes); when it
    holds a label, the linker halves the whole sum into a word address, otherwise the
    doubled value stays. So `<0x1234` is 0x68 and `>(lab + 0x8000)` is the high byte of
    lab's word address with bit 7 set.
    """
    if x.rel not in (0, 1):
        raise where.error("byte selector of a sum of labels", op.column)
    v = x.value >> 1 if x.rel else x.value
    return Value(v & 0xFF if op.text == "<" else (v >> 8) & 0xFF)


def _unary(op: Token, x: Value, where: Location) -> Value:
    if op.text == "+":
        return x
    if op.text == "-":
        return Value(-x.value, -x.rel)
    if x.rel:
        raise where.error(f"operator '{op.text}' cannot be applied to a label", op.column)
    return Value(~x.value)


def _binary(op: Token, a: Value, b: Value, where: Location) -> Value:
    t = op.text
    if t == "+":
        return Value(a.value + b.value, a.rel + b.rel)
    if t == "-":
        return Value(a.value - b.value, a.rel - b.rel)
    if a.rel or b.rel:
        raise where.error(f"operator '{t}' cannot be applied to a label", op.column)
    x, y = a.value, b.value
    if t in "/%" and y == 0:
        raise where.error("division by zero", op.column)
    if t == "/":
        return Value(x // y)  # floor division: -7/2 = -4, as sdaspdk13 computes it
    if t == "%":
        return Value(x % y)
    if t in ("<<", ">>") and not 0 <= y < 64:
        raise where.error(f"shift count {y} out of range", op.column)
    result = {
        "*": lambda: x * y,
        "&": lambda: x & y,
        "|": lambda: x | y,
        "^": lambda: x ^ y,
        "<<": lambda: x << y,
        ">>": lambda: x >> y,
    }[t]()
    return Value(result)
