"""Split one line of sdaspdk13-style assembly into tokens that remember their column.

Columns are 1-based character positions in the original line, so every error can point
at the offending token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import AssemblerError


@dataclass(frozen=True)
class Token:
    kind: str  # "name", "local", "number", "string", "op", "eol"
    text: str
    column: int
    value: int = 0


_NAME = re.compile(r"[A-Za-z_.$][A-Za-z0-9_.$]*")
_LOCAL = re.compile(r"[0-9]+\$")
_NUMBER = re.compile(r"0[xXhH][0-9A-Fa-f]+|0[bB][01]+|0[oOqQ][0-7]+|0[dD][0-9]+|[0-9]+")
_OPERATORS = ("==", "<<", ">>", "::", "=:", "+", "-", "*", "/", "%", "&", "|", "^", "~")
_SINGLE = "#,:=()<>!"
_RADIX = {"x": 16, "h": 16, "b": 2, "o": 8, "q": 8, "d": 10}


def parse_number(text: str) -> int:
    """Value of an sdaspdk13 number literal (`0x1F`, `0h1F`, `0b101`, `0o17`, `0q17`, `12`)."""
    if len(text) > 2 and text[0] == "0" and text[1].lower() in _RADIX:
        return int(text[2:], _RADIX[text[1].lower()])
    return int(text, 10)


class Location:
    """Where a line came from, for error messages."""

    __slots__ = ("filename", "line", "text")

    def __init__(self, filename: str, line: int, text: str):
        self.filename = filename
        self.line = line
        self.text = text

    def error(self, reason: str, column: int = 1) -> AssemblerError:
        return AssemblerError(reason, self.filename, self.line, column, self.text)


def tokenize(text: str, where: Location) -> list[Token]:
    """Tokens of one source line, comment removed, ending with an `eol` token."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        col = i + 1
        if c in " \t\r\f\v":
            i += 1
            continue
        if c == ";":
            break
        m = _LOCAL.match(text, i)
        if m:
            tokens.append(Token("local", m.group(), col))
            i = m.end()
            continue
        if "0" <= c <= "9":  # not str.isdigit(): "²" is a digit to Python, not to us
            m = _NUMBER.match(text, i)
            end = m.end()
            if end < n and (text[end].isalnum() or text[end] in "_$."):
                bad = re.match(r"[0-9A-Za-z_$.]+", text[i:]).group()
                raise where.error(f"malformed number '{bad}'", col)
            tokens.append(Token("number", m.group(), col, parse_number(m.group())))
            i = end
            continue
        m = _NAME.match(text, i)
        if m:
            tokens.append(Token("name", m.group(), col))
            i = m.end()
            continue
        if c == "'":
            if i + 1 >= n:
                raise where.error("character constant without a character", col)
            end = i + 3 if i + 2 < n and text[i + 2] == "'" else i + 2
            tokens.append(Token("number", text[i:end], col, ord(text[i + 1])))
            i = end
            continue
        if c == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise where.error("string without a closing quote", col)
            tokens.append(Token("string", text[i + 1 : end], col))
            i = end + 1
            continue
        for op in _OPERATORS:
            if text.startswith(op, i):
                tokens.append(Token("op", op, col))
                i += len(op)
                break
        else:
            if c in _SINGLE:
                tokens.append(Token("op", c, col))
                i += 1
            else:
                raise where.error(f"unexpected character '{c}'", col)
    tokens.append(Token("eol", "", len(text.rstrip()) + 1))
    return tokens
