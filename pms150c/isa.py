"""The PDK13 instruction set, once, as data.

Every other part of pms150c reads this table: the assembler matches operand templates,
the disassembler formats them, the core's decoder builds its lookup arrays, and the docs
table is generated from it. A row is one *form* (mnemonic plus operand template); the
encoding of a word is ``base | field(operand) ...`` where each operand kind fixes the
position and width of its field. Source: pdk13-reference.md section 2.3, checked against
SDCC 4.2.0's ``sdaspdk13`` (see tests/test_isa.py and tests/test_sdcc_differential.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np

WORD_BITS = 13
WORD_MASK = (1 << WORD_BITS) - 1


@dataclass(frozen=True)
class OperandKind:
    """How one operand is written in source and where its value sits in the word.

    ``literal`` kinds (``a``, ``af``) are fixed words with no field. ``prefix`` is ``#`` for
    immediates. ``even`` kinds (word operands of stt16/ldt16/idxm) require an even value
    whose bit 0 belongs to the opcode.
    """

    name: str
    shift: int = 0
    width: int = 0
    prefix: str = ""
    even: bool = False
    literal: bool = False
    description: str = ""

    @property
    def max_value(self) -> int:
        return (1 << self.width) - 1 if not self.even else ((1 << self.width) - 2)

    def check(self, value: int) -> str | None:
        """Return why `value` does not fit this operand, or None when it does."""
        if value < 0 or value > self.max_value:
            return f"{self.description} 0x{value:x} out of range 0..0x{self.max_value:x}"
        if self.even and value & 1:
            return f"{self.description} 0x{value:x} must be even"
        return None

    @property
    def bits(self) -> int:
        """The bits of the word this operand's field owns (bit 0 of an even kind is opcode)."""
        field = ((1 << self.width) - 1) << self.shift
        return field & ~(1 << self.shift) if self.even else field

    def encode(self, value: int) -> int:
        return (value << self.shift) if not self.literal else 0

    def extract(self, word):
        """The operand's value in `word` (an int, or a numpy array of words)."""
        return (word & self.bits) >> self.shift


KINDS: dict[str, OperandKind] = {
    k.name: k
    for k in (
        OperandKind("a", literal=True, description="accumulator"),
        OperandKind("af", literal=True, description="accumulator and flags"),
        OperandKind("M", 0, 6, description="RAM address"),
        OperandKind("M4", 0, 4, description="RAM address for a bit operation"),
        OperandKind("MW", 0, 5, even=True, description="RAM word address"),
        OperandKind("IO", 0, 5, description="IO address"),
        OperandKind("k", 0, 8, prefix="#", description="immediate"),
        OperandKind("n", 5, 3, prefix="#", description="bit number"),
        OperandKind("K", 0, 10, description="ROM word address"),
    )
}

# Flag names in FLAG register bit order (IO 0x00).
FLAG_BITS = {"Z": 0, "C": 1, "AC": 2, "OV": 3}

ARITH = "Z C AC OV"


@dataclass(frozen=True)
class Instr:
    """One instruction form.

    ``syntax`` is the canonical SDCC spelling with operand kinds in place of values
    (``"mov a, M"``, ``"t0sn.io IO, n"``); a kind is written without its ``#`` prefix, the
    prefix comes from the kind. ``aliases`` are other spellings ``sdaspdk13`` accepts for the
    same word. ``skip_cycles`` is the cost when a skip instruction skips; ``None`` for
    instructions that never skip. ``pms150c`` is False for PDK13 encodings the PMS150C
    datasheet does not list (the assembler rejects them, the core traps on them).
    """

    op: str
    syntax: str
    base: int
    cycles: int
    flags: str = ""
    skip_cycles: int | None = None
    pms150c: bool = True
    aliases: tuple[str, ...] = ()
    effect: str = ""

    # Derived from `syntax` once per row (the disassembler asks for them on every word).
    @cached_property
    def mnemonic(self) -> str:
        return self.syntax.split(" ", 1)[0]

    @cached_property
    def operands(self) -> tuple[str, ...]:
        return operands_of(self.syntax)

    @cached_property
    def fields(self) -> tuple[OperandKind, ...]:
        """The operand kinds that carry a field in the word, in source order."""
        return tuple(KINDS[o] for o in self.operands if not KINDS[o].literal)

    @cached_property
    def mask(self) -> int:
        """Bits of the word fixed by the opcode (everything not covered by a field)."""
        m = WORD_MASK
        for kind in self.fields:
            m &= ~kind.bits
        return m

    def encode(self, *values: int) -> int:
        """The word for this form with the given operand values (no range checks)."""
        word = self.base
        for kind, value in zip(self.fields, values, strict=True):
            word |= kind.encode(value)
        return word

    def decode(self, word: int) -> tuple[int, ...]:
        return tuple(kind.extract(word) for kind in self.fields)


def operands_of(syntax: str) -> tuple[str, ...]:
    parts = syntax.split(" ", 1)
    if len(parts) == 1:
        return ()
    return tuple(p.strip() for p in parts[1].split(","))


S = 2  # cost of a taken skip

INSTRUCTIONS: tuple[Instr, ...] = (
    # -- no operand, accumulator and system group -------------------------------------
    Instr("NOP", "nop", 0x0000, 1, effect="nothing"),
    Instr("LDSPTL", "ldsptl", 0x0006, 1, pms150c=False, effect="A <- low byte of ROM[SP]"),
    Instr("LDSPTH", "ldspth", 0x0007, 1, pms150c=False, effect="A <- high bits of ROM[SP]"),
    Instr("ADDC_A", "addc a", 0x0010, 1, ARITH, effect="A <- A + C"),
    Instr("SUBC_A", "subc a", 0x0011, 1, ARITH, effect="A <- A - C"),
    Instr("IZSN_A", "izsn a", 0x0012, 1, ARITH, S, effect="A <- A + 1, skip if 0"),
    Instr("DZSN_A", "dzsn a", 0x0013, 1, ARITH, S, effect="A <- A - 1, skip if 0"),
    Instr("PCADD_A", "pcadd a", 0x0017, 2, aliases=("pcadd",), effect="PC <- PC + A"),
    Instr("NOT_A", "not a", 0x0018, 1, "Z", effect="A <- ~A"),
    Instr("NEG_A", "neg a", 0x0019, 1, "Z", effect="A <- -A"),
    Instr("SR_A", "sr a", 0x001A, 1, "C", effect="C <- A.0, A <- A >> 1"),
    Instr("SL_A", "sl a", 0x001B, 1, "C", effect="C <- A.7, A <- A << 1"),
    Instr("SRC_A", "src a", 0x001C, 1, "C", effect="rotate A right through C"),
    Instr("SLC_A", "slc a", 0x001D, 1, "C", effect="rotate A left through C"),
    Instr("SWAP_A", "swap a", 0x001E, 1, effect="swap nibbles of A"),
    Instr("WDRESET", "wdreset", 0x0030, 1, effect="clear the watchdog"),
    Instr("PUSHAF", "pushaf", 0x0032, 1, aliases=("push af",), effect="push A, FLAG"),
    Instr("POPAF", "popaf", 0x0033, 1, ARITH, aliases=("pop af",), effect="pop FLAG, A"),
    Instr("RESET", "reset", 0x0035, 1, effect="reset the chip"),
    Instr("STOPSYS", "stopsys", 0x0036, 1, effect="power down until a pin wakes it"),
    Instr("STOPEXE", "stopexe", 0x0037, 1, effect="stop the CPU, timers run"),
    Instr("ENGINT", "engint", 0x0038, 1, effect="GIE <- 1"),
    Instr("DISGINT", "disgint", 0x0039, 1, effect="GIE <- 0"),
    Instr("RET", "ret", 0x003A, 2, effect="pop PC"),
    Instr("RETI", "reti", 0x003B, 2, effect="pop PC, GIE <- 1"),
    Instr("MUL", "mul", 0x003C, 1, pms150c=False, effect="multiply (no multiplier)"),
    # -- IO byte group -------------------------------------------------------------------
    Instr("XOR_IO_A", "xor.io IO, a", 0x0060, 1, effect="IO <- IO ^ A"),
    Instr("MOV_IO_A", "mov.io IO, a", 0x0080, 1, effect="IO <- A"),
    Instr("MOV_A_IO", "mov.io a, IO", 0x00A0, 1, "Z", effect="A <- IO"),
    # -- word operand group --------------------------------------------------------------
    Instr("STT16", "stt16 MW", 0x00C0, 1, effect="T16 <- word at M"),
    Instr("LDT16", "ldt16 MW", 0x00C1, 1, effect="word at M <- T16"),
    Instr("IDXM_M_A", "idxm MW, a", 0x00E0, 2, effect="RAM[RAM[M]] <- A"),
    Instr("IDXM_A_M", "idxm a, MW", 0x00E1, 2, effect="A <- RAM[RAM[M]]"),
    # -- return with literal -------------------------------------------------------------
    Instr("RET_K", "ret k", 0x0100, 2, effect="A <- k, pop PC"),
    # -- RAM bit group -------------------------------------------------------------------
    Instr("T0SN_M", "t0sn M4, n", 0x0200, 1, "", S, effect="skip if M.n = 0"),
    Instr("T1SN_M", "t1sn M4, n", 0x0210, 1, "", S, effect="skip if M.n = 1"),
    Instr("SET0_M", "set0 M4, n", 0x0300, 1, effect="M.n <- 0"),
    Instr("SET1_M", "set1 M4, n", 0x0310, 1, effect="M.n <- 1"),
    # -- A <-> RAM byte group ------------------------------------------------------------
    Instr("ADD_M_A", "add M, a", 0x0400, 1, ARITH, effect="M <- M + A"),
    Instr("SUB_M_A", "sub M, a", 0x0440, 1, ARITH, effect="M <- M - A"),
    Instr("ADDC_M_A", "addc M, a", 0x0480, 1, ARITH, effect="M <- M + A + C"),
    Instr("SUBC_M_A", "subc M, a", 0x04C0, 1, ARITH, effect="M <- M - A - C"),
    Instr("AND_M_A", "and M, a", 0x0500, 1, "Z", effect="M <- M & A"),
    Instr("OR_M_A", "or M, a", 0x0540, 1, "Z", effect="M <- M | A"),
    Instr("XOR_M_A", "xor M, a", 0x0580, 1, "Z", effect="M <- M ^ A"),
    Instr("MOV_M_A", "mov M, a", 0x05C0, 1, effect="M <- A"),
    Instr("ADD_A_M", "add a, M", 0x0600, 1, ARITH, effect="A <- A + M"),
    Instr("SUB_A_M", "sub a, M", 0x0640, 1, ARITH, effect="A <- A - M"),
    Instr("ADDC_A_M", "addc a, M", 0x0680, 1, ARITH, effect="A <- A + M + C"),
    Instr("SUBC_A_M", "subc a, M", 0x06C0, 1, ARITH, effect="A <- A - M - C"),
    Instr("AND_A_M", "and a, M", 0x0700, 1, "Z", effect="A <- A & M"),
    Instr("OR_A_M", "or a, M", 0x0740, 1, "Z", effect="A <- A | M"),
    Instr("XOR_A_M", "xor a, M", 0x0780, 1, "Z", effect="A <- A ^ M"),
    Instr("MOV_A_M", "mov a, M", 0x07C0, 1, "Z", effect="A <- M"),
    # -- RAM single-operand group --------------------------------------------------------
    Instr("ADDC_M", "addc M", 0x0800, 1, ARITH, effect="M <- M + C"),
    Instr("SUBC_M", "subc M", 0x0840, 1, ARITH, effect="M <- M - C"),
    Instr("IZSN_M", "izsn M", 0x0880, 1, ARITH, S, effect="M <- M + 1, skip if 0"),
    Instr("DZSN_M", "dzsn M", 0x08C0, 1, ARITH, S, effect="M <- M - 1, skip if 0"),
    Instr("INC_M", "inc M", 0x0900, 1, ARITH, effect="M <- M + 1"),
    Instr("DEC_M", "dec M", 0x0940, 1, ARITH, effect="M <- M - 1"),
    Instr("CLEAR_M", "clear M", 0x0980, 1, effect="M <- 0"),
    Instr("XCH_M", "xch M", 0x09C0, 1, aliases=("xch a, M",), effect="swap A and M"),
    Instr("NOT_M", "not M", 0x0A00, 1, "Z", effect="M <- ~M"),
    Instr("NEG_M", "neg M", 0x0A40, 1, "Z", effect="M <- -M"),
    Instr("SR_M", "sr M", 0x0A80, 1, "C", effect="C <- M.0, M <- M >> 1"),
    Instr("SL_M", "sl M", 0x0AC0, 1, "C", effect="C <- M.7, M <- M << 1"),
    Instr("SRC_M", "src M", 0x0B00, 1, "C", effect="rotate M right through C"),
    Instr("SLC_M", "slc M", 0x0B40, 1, "C", effect="rotate M left through C"),
    Instr("CEQSN_A_M", "ceqsn a, M", 0x0B80, 1, ARITH, S, effect="flags of A - M, skip if equal"),
    Instr("CNEQSN_A_M", "cneqsn a, M", 0x0BC0, 1, ARITH, S, pms150c=False, effect="skip if A != M"),
    # -- IO bit group --------------------------------------------------------------------
    Instr("T0SN_IO", "t0sn.io IO, n", 0x0C00, 1, "", S, effect="skip if IO.n = 0"),
    Instr("T1SN_IO", "t1sn.io IO, n", 0x0D00, 1, "", S, effect="skip if IO.n = 1"),
    Instr("SET0_IO", "set0.io IO, n", 0x0E00, 1, effect="IO.n <- 0"),
    Instr("SET1_IO", "set1.io IO, n", 0x0F00, 1, effect="IO.n <- 1"),
    # -- A <-> literal group -------------------------------------------------------------
    Instr("ADD_A_K", "add a, k", 0x1000, 1, ARITH, effect="A <- A + k"),
    Instr("SUB_A_K", "sub a, k", 0x1100, 1, ARITH, effect="A <- A - k"),
    Instr("CEQSN_A_K", "ceqsn a, k", 0x1200, 1, ARITH, S, effect="flags of A - k, skip if equal"),
    Instr("CNEQSN_A_K", "cneqsn a, k", 0x1300, 1, ARITH, S, pms150c=False, effect="skip if A != k"),
    Instr("AND_A_K", "and a, k", 0x1400, 1, "Z", effect="A <- A & k"),
    Instr("OR_A_K", "or a, k", 0x1500, 1, "Z", effect="A <- A | k"),
    Instr("XOR_A_K", "xor a, k", 0x1600, 1, "Z", effect="A <- A ^ k"),
    Instr("MOV_A_K", "mov a, k", 0x1700, 1, effect="A <- k"),
    # -- control transfer ----------------------------------------------------------------
    Instr("GOTO", "goto K", 0x1800, 2, effect="PC <- K"),
    Instr("CALL", "call K", 0x1C00, 2, effect="push PC + 1, PC <- K"),
)

BY_OP: dict[str, Instr] = {i.op: i for i in INSTRUCTIONS}
OP_ID: dict[str, int] = {i.op: n for n, i in enumerate(INSTRUCTIONS)}
INVALID = 255  # op id of a word that is not an instruction of the PMS150C


def format_syntax(syntax: str) -> str:
    """Human form of a template: ``t0sn.io IO, n`` -> ``t0sn.io IO, #n``."""
    mnemonic, *rest = syntax.split(" ", 1)
    if not rest:
        return mnemonic
    ops = [KINDS[o].prefix + o for o in operands_of(syntax)]
    return f"{mnemonic} {', '.join(ops)}"


def _check_table() -> None:
    """Refuse a table where two rows claim the same word (import-time guard)."""
    owner = np.full(1 << WORD_BITS, -1, dtype=np.int32)
    for n, instr in enumerate(INSTRUCTIONS):
        words = _words_of(instr)
        clash = owner[words][owner[words] >= 0]
        if clash.size:
            other = INSTRUCTIONS[int(clash[0])].op
            raise AssertionError(f"isa: {instr.op} overlaps {other}")
        owner[words] = n
        if instr.base & ~instr.mask:
            raise AssertionError(f"isa: {instr.op} base has bits inside a field")


def _words_of(instr: Instr) -> np.ndarray:
    all_words = np.arange(1 << WORD_BITS)
    return all_words[(all_words & instr.mask) == instr.base]


@cache
def decode_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arrays indexed by a 13-bit word: op id, first operand value, second operand value.

    Words that no PMS150C instruction owns get op id ``INVALID``; the PDK13 encodings the
    PMS150C lacks are INVALID too. The arrays are read-only and shared.
    """
    size = 1 << WORD_BITS
    op_of = np.full(size, INVALID, dtype=np.uint8)
    arg1 = np.zeros(size, dtype=np.int16)
    arg2 = np.zeros(size, dtype=np.int16)
    for n, instr in enumerate(INSTRUCTIONS):
        if not instr.pms150c:
            continue
        words = _words_of(instr)
        op_of[words] = n
        for slot, kind in zip((arg1, arg2), instr.fields, strict=False):
            slot[words] = kind.extract(words)
    for a in (op_of, arg1, arg2):
        a.flags.writeable = False
    return op_of, arg1, arg2


def lookup(word: int) -> Instr | None:
    """The PMS150C instruction form of `word`, or None if it is not one."""
    op = decode_tables()[0][word & WORD_MASK]
    return None if op == INVALID else INSTRUCTIONS[op]


def valid_words() -> np.ndarray:
    """Every 13-bit word that is a PMS150C instruction."""
    return np.flatnonzero(decode_tables()[0] != INVALID)


_check_table()
