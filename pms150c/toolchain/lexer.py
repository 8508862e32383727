"""Source text into lines, and one line of sdaspdk13-style assembly into tokens that
remember their column.

Lines end where sdaspdk13's end: at a line feed only (a carriage return right before it
belongs to the line end). Every other byte, a lone CR, form feed, vertical tab, 0x1C-0x1E,
NEL (0x85) or U+2028 included, is a character of the line: in a comment it is comment
text, in a string it is a byte of the string, elsewhere an error. A file is read as bytes
and decoded as UTF-8, bytes that are not UTF-8 kept as they are (surrogateescape), so a
comment or string may hold any text and a string's bytes are the file's bytes.

Columns are 1-based character positions in the decoded line, so every error can point
at the offending token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import AssemblerError, printable


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
_BLANKS = re.compile(r"[ \t]+")  # sdaspdk13's white space: spaces and tabs, nothing else
_WORD_CHAR = re.compile(r"[0-9A-Za-z_$.]")

MAX_TOKEN_CHARS = 255  # a name or number longer than this is a mistake, not a symbol
MAX_LINE_TOKENS = 1 << 16  # a line with more tokens is refused (its tokens are kept)
MAX_LITERAL = 0xFFFF_FFFF  # sdaspdk13 keeps 32 bits of a number and drops the rest
MAX_LOCAL_LABEL = 65535  # sdaspdk13's reusable symbols are 0$ .. 65535$
BOM = "\ufeff"
_LONG_WORD = re.compile(f"[0-9A-Za-z_$.]{{{MAX_TOKEN_CHARS + 1}}}")


def source_lines(source: str | bytes) -> list[str]:
    """The lines of a source, split where sdaspdk13 splits them (see the module docstring).

    Bytes are decoded as UTF-8 with surrogateescape; a UTF-8 byte-order mark at the start
    is skipped. A final line feed ends the last line rather than starting an empty one."""
    if isinstance(source, bytes | bytearray | memoryview):
        source = bytes(source).decode("utf-8", "surrogateescape")
    if source.startswith(BOM):
        source = source[1:]
    lines = source.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def string_bytes(text: str) -> bytes | None:
    """The bytes of a string token as the file held them, or None when the text holds a
    character no file could (a lone surrogate from a `str` source)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return None


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


def _word(text: str, i: int, col: int, kind: str, where: Location) -> None:
    """Refuse a name or number longer than MAX_TOKEN_CHARS (before int() sees it)."""
    if _LONG_WORD.match(text, i):
        raise where.error(f"{kind} longer than {MAX_TOKEN_CHARS} characters", col)


def _character(text: str, i: int, col: int, where: Location) -> Token:
    """`'c'` or `'c`: the value of one byte, as sdaspdk13 reads it."""
    if i + 1 >= len(text):
        raise where.error("character constant without a character", col)
    c = text[i + 1]
    end = i + 3 if i + 2 < len(text) and text[i + 2] == "'" else i + 2
    data = string_bytes(c)
    if c == "\0" or data is None or len(data) != 1:
        first = f" (sdaspdk13 would take its first byte 0x{data[0]:02x})" if data else ""
        raise where.error(f"character constant '{printable(c)}' is not one byte{first}", col)
    return Token("number", text[i:end], col, data[0])


def tokenize(text: str, where: Location) -> list[Token]:
    """Tokens of one source line, comment removed, ending with an `eol` token."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        col = i + 1
        if c == " " or c == "\t":
            i = _BLANKS.match(text, i).end()
            continue
        if c == ";":
            break
        if len(tokens) >= MAX_LINE_TOKENS:
            raise where.error(f"line has more than {MAX_LINE_TOKENS} tokens", col)
        if "0" <= c <= "9":  # not str.isdigit(): "²" is a digit to Python, not to us
            _word(text, i, col, "number", where)
        m = _LOCAL.match(text, i)
        if m:
            if int(m.group()[:-1]) > MAX_LOCAL_LABEL:
                raise where.error(
                    f"local label '{m.group()}' out of range 0$..{MAX_LOCAL_LABEL}$", col
                )
            tokens.append(Token("local", m.group(), col))
            i = m.end()
            continue
        if "0" <= c <= "9":
            m = _NUMBER.match(text, i)
            end = m.end()
            if end < n and _WORD_CHAR.match(text, end):
                bad = _BAD_NUMBER.match(text, i).group()
                raise where.error(f"malformed number '{bad}'", col)
            value = parse_number(m.group())
            if value > MAX_LITERAL:
                raise where.error(
                    f"number {m.group()} does not fit in 32 bits (sdaspdk13 would cut it)", col
                )
            tokens.append(Token("number", m.group(), col, value))
            i = end
            continue
        m = _NAME.match(text, i)
        if m:
            if m.end() - i > MAX_TOKEN_CHARS:
                raise where.error(f"name longer than {MAX_TOKEN_CHARS} characters", col)
            tokens.append(Token("name", m.group(), col))
            i = m.end()
            continue
        if c == "'":
            token = _character(text, i, col, where)
            tokens.append(token)
            i += len(token.text)
            continue
        if c == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise where.error("string without a closing quote", col)
            body = text[i + 1 : end]
            if "\0" in body:
                raise where.error("NUL character in a string (sdaspdk13 ends the line there)", col)
            tokens.append(Token("string", body, col))
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
                raise where.error(f"unexpected character '{printable(c)}'{_hint(c)}", col)
    tokens.append(Token("eol", "", len(text.rstrip(" \t")) + 1))
    return tokens


_BAD_NUMBER = re.compile(r"[0-9A-Za-z_$.]+")


def _hint(c: str) -> str:
    if c == "\r":
        return " (a carriage return not followed by a line feed does not end a line)"
    if c in "\f\v\x1c\x1d\x1e\x85\u2028\u2029":
        return " (only a line feed ends a line)"
    return ""
