"""sdaspdk13's macros as text: definitions, call arguments and argument substitution.

asxxxx macros work on source text, before any token is read, so this module does too:

* ``.macro name a, b, ?l`` starts a definition that ends at the matching ``.endm``;
  ``.rept n`` and ``.irp sym, x, y`` record a body the same way and expand it at once.
* A call ``name x, y`` splits its arguments at commas; ``^/x, y/`` (any character after
  ``^``) passes text with commas as one argument. Missing arguments are empty.
* In each body line every whole symbol that names a parameter is replaced by its
  argument, in strings too but not in the comment; an apostrophe next to a replaced
  parameter is removed, joining it to its neighbour (``x'1`` with x = v gives ``v1``, and
  ``#'x`` gives ``#v``, not a character constant).
* A ``?name`` parameter that the call leaves empty becomes a fresh local label, 10000$,
  10001$, ... in the order they are made, numbered across the whole assembly.

Measured against sdaspdk13 4.2.0 (tests/test_sdcc_differential.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .lexer import Location

FIRST_LOCAL = 10000  # sdaspdk13 numbers the labels of ?parameters from 10000$

_SYMBOL_RUN = re.compile(r"[A-Za-z0-9_.$]+")
_PARAMETER = re.compile(r"\??[A-Za-z_.$][A-Za-z0-9_.$]*")
# leading labels, then the first word of a statement (a directive or a macro name); blanks
# are spaces and tabs only, as for the lexer (a form feed is not one)
_HEAD = re.compile(
    r"[ \t]*((?:(?:[A-Za-z_.$][A-Za-z0-9_.$]*|[0-9]+\$)[ \t]*::?[ \t]*)*)"
    r"([A-Za-z_.$][A-Za-z0-9_.$]*)?"
)


@dataclass
class Macro:
    """A recorded body: a `.macro` (called later by name) or a `.rept`/`.irp` block."""

    kind: str  # ".macro", ".rept", ".irp"
    name: str
    parameters: list[str]
    where: Location
    body: list[str] = field(default_factory=list)
    count: int = 0  # .rept repetitions
    values: list[str] = field(default_factory=list)  # .irp arguments
    depth: int = 1  # nesting of .macro/.rept/.irp while recording


def statement_head(text: str) -> tuple[str, str, int]:
    """(labels text, first word, column after the word) of a source line; the word is ''
    when the line has no statement (blank, comment, labels only)."""
    code = strip_comment(text)
    match = _HEAD.match(code)
    word = match.group(2) or ""
    return match.group(1), word, match.end()


def strip_comment(text: str) -> str:
    """The line up to its `;` comment (a `;` inside a string or a character constant
    does not start one)."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            end = text.find('"', i + 1)
            if end < 0:
                return text
            i = end + 1
            continue
        if c == "'":  # a character constant ('a' or 'a): the next character is data
            i += 3 if text.startswith("'", i + 2) else 2
            continue
        if c == ";":
            return text[:i]
        i += 1
    return text


def parse_parameters(text: str, where: Location, column: int) -> list[str]:
    """The parameter names after `.macro name` (commas or blanks between them)."""
    names = [p for p in re.split(r"[ \t,]+", text.strip(" \t")) if p]  # sdaspdk13's blanks
    for name in names:
        if not _PARAMETER.fullmatch(name):
            raise where.error(f"bad macro parameter '{name}'", column)
    bare = [n.lstrip("?") for n in names]
    for n, name in enumerate(bare):
        if name in bare[:n]:
            raise where.error(f"macro parameter '{name}' given twice", column)
    return names


def split_arguments(text: str, where: Location, column: int) -> list[str]:
    """The arguments of a macro call (or an .irp list): comma separated, each stripped;
    ``^/.../`` delimits an argument that contains commas."""
    text = strip_comment(text)
    if not text.strip():
        return []
    arguments: list[str] = []
    current = ""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "^" and i + 1 < n and not current.strip():
            delimiter = text[i + 1]
            end = text.find(delimiter, i + 2)
            if end < 0:
                raise where.error(f"argument delimiter '^{delimiter}' is not closed", column + i)
            current = text[i + 2 : end]
            i = end + 1
            continue
        if c == '"':
            end = text.find('"', i + 1)
            end = n - 1 if end < 0 else end
            current += text[i : end + 1]
            i = end + 1
            continue
        if c == ",":
            arguments.append(current.strip())
            current = ""
        else:
            current += c
        i += 1
    arguments.append(current.strip())
    return arguments


def substitute(line: str, values: dict[str, str]) -> str:
    """`line` with each parameter replaced by its argument (see the module docstring)."""
    if not values:
        return line
    code = strip_comment(line)
    comment = line[len(code) :]
    out: list[str] = []
    pos = 0
    for match in _SYMBOL_RUN.finditer(code):
        word = match.group()
        if word[0].isdigit() or word not in values:
            continue
        start, end = match.span()
        gap = code[pos:start]
        out.append(gap[:-1] if gap.endswith("'") else gap)  # 'x: joined to what precedes
        out.append(values[word])
        pos = end + 1 if code.startswith("'", end) else end  # x': joined to what follows
    out.append(code[pos:])
    return "".join(out) + comment
