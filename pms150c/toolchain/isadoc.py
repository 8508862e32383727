"""Write docs/isa.md from the instruction table: ``python -m pms150c.toolchain.isadoc``.

The document is generated so it cannot drift from pms150c/isa.py; tests/test_isa.py
(test_docs_isa_md_is_generated_from_the_table) fails when the committed file differs
from this output.
"""

from __future__ import annotations

import sys

from .. import isa


def _pattern(instr: isa.Instr) -> str:
    """The 13 bits of the word: fixed bits as 0/1, operand bits as the kind's letter."""
    letters = {"M": "m", "M4": "m", "MW": "m", "IO": "i", "k": "k", "n": "n", "K": "K"}
    bits = []
    for bit in range(isa.WORD_BITS - 1, -1, -1):
        if instr.mask >> bit & 1:
            bits.append(str(instr.base >> bit & 1))
            continue
        bits += [letters[name] for name in instr.operands if isa.KINDS[name].bits >> bit & 1]
    text = "".join(bits)
    return f"{text[0]} {text[1:5]} {text[5:9]} {text[9:]}"


def render() -> str:
    lines = [
        "# PDK13 instruction set (PMS150C)",
        "",
        "Generated from `pms150c/isa.py` by `python -m pms150c.toolchain.isadoc > docs/isa.md`;",
        "do not edit by hand. Syntax is SDCC's `sdaspdk13`; operand kinds:",
        "",
        "| Kind | Written | Field | Range |",
        "|---|---|---|---|",
    ]
    for kind in isa.KINDS.values():
        if kind.literal:
            continue
        field = f"bits {kind.shift + kind.width - 1}..{kind.shift}"
        rng = f"0..0x{kind.max_value:x}" + (", even" if kind.even else "")
        lines.append(
            f"| `{kind.name}` {kind.description} | `{kind.prefix}{kind.name}` | {field} | {rng} |"
        )
    lines += [
        "",
        "Cycles: the second figure is the cost when a skip instruction skips.",
        "",
        "| Syntax | Word | Bits | Cycles | Flags | Effect | PMS150C |",
        "|---|---|---|---|---|---|---|",
    ]
    for instr in isa.INSTRUCTIONS:
        spellings = [isa.format_syntax(s) for s in (instr.syntax, *instr.aliases)]
        syntax = " / ".join(f"`{s}`" for s in spellings)
        cycles = f"{instr.cycles}/{instr.skip_cycles}" if instr.skip_cycles else str(instr.cycles)
        word = f"0x{instr.base:04X}"
        lines.append(
            f"| {syntax} | {word} | `{_pattern(instr)}` | {cycles} | {instr.flags or '-'} "
            f"| {instr.effect.replace('|', chr(92) + '|')} | {'yes' if instr.pms150c else 'no'} |"
        )
    valid = len(isa.valid_words())
    lines += [
        "",
        f"{sum(i.pms150c for i in isa.INSTRUCTIONS)} forms on the PMS150C, "
        f"{sum(not i.pms150c for i in isa.INSTRUCTIONS)} PDK13 forms it lacks (the assembler "
        f"refuses them, the core traps on them); {valid} of the 8192 13-bit words are "
        "PMS150C instructions.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.stdout.write(render())
