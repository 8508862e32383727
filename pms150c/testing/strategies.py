"""Hypothesis strategies for PMS150C tests: ROM words, instruction text, RAM states.

Everything is generated from the instruction table (pms150c/isa.py): a word is a form of
the table with a value drawn for each operand field within that field's range, so a new
or corrected row changes what is generated and nothing here restates an encoding. They
shrink towards the first form of the table with zero operands (``nop``).

    from hypothesis import given
    from pms150c.testing import strategies as pst

    @given(pst.instructions())
    def test_assembles(instr):
        assert assemble(instr.text).words[0] == instr.word

Needs hypothesis (``pip install 'pms150c[test]'`` or ``pip install hypothesis``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from hypothesis import strategies as st

from .. import isa, validate
from ..device import IO_NAMES, RAM_BYTES
from ..errors import ArgumentError, LabelError

# Forms that leave straight-line code (jump, call, return, stop, reset): `exclude=CONTROL`
# keeps a random program running from one word to the next. Names of isa.INSTRUCTIONS rows.
CONTROL = ("GOTO", "CALL", "RET", "RETI", "RET_K", "PCADD_A", "RESET", "STOPSYS", "STOPEXE")

_IO_NAME_OF = {}
for _name, _address in sorted(IO_NAMES.items()):
    _IO_NAME_OF.setdefault(_address, _name)


class Instruction(NamedTuple):
    """A generated instruction: the source `text` (one line), the `word` it assembles
    to, and its `form` (the isa.Instr row)."""

    text: str
    word: int
    form: isa.Instr


def _forms(ops: Iterable[str] | None, exclude: Iterable[str]) -> list[isa.Instr]:
    """The PMS150C rows named by `ops` (all when None) less `exclude`; a name is a row's
    op (``"ADD_A_K"``) or a mnemonic (``"add"``: every form of it)."""

    def pick(names, what: str) -> set[str]:
        if isinstance(names, str) or not isinstance(names, Iterable):
            raise ArgumentError(f"{what} must be a list of names, not {validate.describe(names)}")
        chosen = set()
        for name in names:
            if not isinstance(name, str):
                raise ArgumentError(f"{what}: an instruction name must be a str, not {name!r}")
            found = {
                f.op for f in isa.INSTRUCTIONS if name in (f.op, f.mnemonic) or name == f.syntax
            }
            if not found:
                raise LabelError(f"{what}: no instruction {name!r} in pms150c/isa.py")
            chosen |= found
        return chosen

    table = [f for f in isa.INSTRUCTIONS if f.pms150c]
    if ops is not None:
        wanted = pick(ops, "ops")
        table = [f for f in table if f.op in wanted]
    unwanted = pick(exclude, "exclude")
    table = [f for f in table if f.op not in unwanted]
    if not table:
        raise ArgumentError("no PMS150C instruction is left to generate from")
    return table


def _field(kind: isa.OperandKind) -> st.SearchStrategy[int]:
    if kind.even:
        return st.integers(0, kind.max_value // 2).map(lambda v: 2 * v)
    return st.integers(0, kind.max_value)


def _encoded(form: isa.Instr) -> st.SearchStrategy[int]:
    return st.tuples(*(_field(k) for k in form.fields)).map(lambda values: form.encode(*values))


def rom_words(
    *,
    ops: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    invalid: bool | float = False,
) -> st.SearchStrategy[int]:
    """13-bit ROM words: PMS150C instructions (of the forms `ops`, less `exclude`; see
    `CONTROL`). ``invalid=True`` gives only words that are not PMS150C instructions
    (the core raises InvalidOpcode on them: unassigned encodings and the PDK13 forms the
    PMS150C lacks); a float between 0 and 1 mixes them in at about that share."""
    if isinstance(invalid, bool) or invalid in (0, 1):
        only_invalid = bool(invalid)
        share = 0.0
    elif isinstance(invalid, float) and 0.0 < invalid < 1.0:
        only_invalid, share = False, invalid
    else:
        raise ArgumentError(f"invalid must be a bool or a share 0..1, not {invalid!r}")
    bad = st.sampled_from([int(w) for w in _invalid_words()])
    if only_invalid:
        if ops is not None or tuple(exclude):
            raise ArgumentError("ops and exclude choose valid forms: not with invalid=True")
        return bad
    good = st.sampled_from(_forms(ops, exclude)).flatmap(_encoded)
    if not share:
        return good
    return st.floats(0.0, 1.0).flatmap(lambda x: bad if x < share else good)


def _invalid_words():
    import numpy as np

    return np.flatnonzero(isa.decode_tables()[0] == isa.INVALID)


def _number(value: int, style: str) -> str:
    return f"0x{value:x}" if style == "hex" else str(value)


def _operand_text(kind: isa.OperandKind, value: int, style: str, io_names: bool) -> str:
    if kind.literal:
        return kind.name
    if kind.name == "IO" and io_names and value in _IO_NAME_OF:
        return _IO_NAME_OF[value]
    return kind.prefix + _number(value, style)


@st.composite
def _instruction(draw, forms, aliases: bool, io_names: bool) -> Instruction:
    form = draw(st.sampled_from(forms))
    values = [draw(_field(k)) for k in form.fields]
    spellings = [form.syntax, *form.aliases] if aliases else [form.syntax]
    syntax = draw(st.sampled_from(spellings))
    style = draw(st.sampled_from(("hex", "decimal")))
    mnemonic, *rest = syntax.split(" ", 1)
    if draw(st.booleans()):
        mnemonic = mnemonic.upper()
    given = iter(values)
    operands = []
    for name in isa.operands_of(syntax) if rest else ():
        kind = isa.KINDS.get(name)
        if kind is None:  # a fixed word of an alias spelling ("push af")
            operands.append(name)
        else:
            operands.append(
                _operand_text(kind, 0 if kind.literal else next(given), style, io_names)
            )
    separator = draw(st.sampled_from((", ", ",", " , ")))
    text = mnemonic if not operands else f"{mnemonic} {separator.join(operands)}"
    return Instruction(text, form.encode(*values), form)


def instructions(
    *,
    ops: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    aliases: bool = True,
    io_names: bool = False,
) -> st.SearchStrategy[Instruction]:
    """Assembler source lines that assemble, each with the word it gives: every
    PMS150C form of isa.py (`ops`, less `exclude`), operands anywhere in their fields'
    ranges written in hex or decimal, the mnemonic in either case, the other spellings
    sdaspdk13 accepts (``push af``, ``xch a, M``) when `aliases`, IO registers by their
    datasheet names when `io_names` (assemble those with ``predefine_io=True``)."""
    forms = _forms(ops, exclude)
    return _instruction(
        forms, validate.flag(aliases, "aliases"), validate.flag(io_names, "io_names")
    )


def instruction_text(**options) -> st.SearchStrategy[str]:
    """The text of `instructions(**options)` alone."""
    return instructions(**options).map(lambda instr: instr.text)


def programs(
    min_size: int = 1, max_size: int = 32, **options
) -> st.SearchStrategy[list[Instruction]]:
    """Lists of `instructions(**options)`; ``"\\n".join(i.text for i in program)``
    assembles to ``[i.word for i in program]`` from word 0."""
    min_size = validate.integer(min_size, "min_size", 0, 1024)
    max_size = validate.integer(max_size, "max_size", min_size, 1024)
    return st.lists(instructions(**options), min_size=min_size, max_size=max_size)


def ram_states(addresses: Iterable[int] | None = None) -> st.SearchStrategy[dict[int, int]]:
    """RAM contents as ``{address: byte}`` for every address of `addresses` (all 64
    bytes by default), the form `Machine.call` takes as ``ram=``."""
    if addresses is None:
        chosen = list(range(RAM_BYTES))
    else:
        if isinstance(addresses, str | bytes) or not isinstance(addresses, Iterable):
            raise ArgumentError(
                f"addresses must be a list or range, not {validate.describe(addresses)}"
            )
        from ..errors import AddressError

        chosen = [
            validate.integer(a, "RAM address", 0, RAM_BYTES - 1, error=AddressError)
            for a in addresses
        ]
    chosen = list(dict.fromkeys(chosen))
    return st.lists(st.integers(0, 255), min_size=len(chosen), max_size=len(chosen)).map(
        lambda values: dict(zip(chosen, values, strict=True))
    )


def variable_values(symbols, names: Iterable[str]) -> st.SearchStrategy[dict[str, int]]:
    """Values for the C variables `names` of a build (a `SymbolTable`, or a Machine's
    ``symbols``): ``{name: value}`` across each variable's whole range, by its size
    (1 byte when the build does not say) and its C signedness; the form
    `Machine.call` and `pms150c.testing.call` take as ``ram=``."""
    if hasattr(symbols, "symbols") and not hasattr(symbols, "variable"):
        symbols = symbols.symbols  # a Machine
    if not hasattr(symbols, "variable"):
        raise ArgumentError(
            f"variable_values needs a SymbolTable, not {validate.describe(symbols)}"
        )
    if isinstance(names, str) or not isinstance(names, Iterable):
        raise ArgumentError(
            f"names must be a list of variable names, not {validate.describe(names)}"
        )
    ranges = {}
    for name in names:
        variable = symbols.variable(name)  # LabelError for an unknown name
        bits = 8 * (variable.size or 1)
        if variable.signed:
            ranges[name] = st.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
        else:
            ranges[name] = st.integers(0, (1 << bits) - 1)
    return st.fixed_dictionaries(ranges)
