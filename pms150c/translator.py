"""The block translator: a ROM compiled to native code, entered by the interpreter.

The interpreter (`pms150c.core.run`) stays the one definition of everything a peripheral or
the bus can observe. This module compiles what no peripheral can see (RAM, A, FLAG, SP,
the stack, skips, jumps, calls) into one LLVM function per ROM, generated as IR text and
compiled by llvmlite, Numba's own LLVM binding (no Numba typing, and nothing of the
interpreter is compiled again):

* every compiled word is a basic block with A, FLAG, SP, the cycle count and the
  instruction count in registers; straight code falls through from block to block, and a
  skip followed by a simple instruction becomes one block with that instruction predicated
  (an if/else without a branch);
* static jumps (goto, call, fall-through) branch directly; computed ones (ret, ret k,
  pcadd) go through a dispatcher, a jump table over the *entries*: the words control can
  arrive at from elsewhere (jump targets, return addresses, tables, the reset and interrupt
  vectors, the words after one left to the interpreter);
* the function runs *whole stretches only*. A stretch goes from an entry or a jump target
  to the next check (the next jump target, or a cut every `CUT_CYCLES`); ``reach[pc]`` is
  the most cycles it can take from `pc`, and code goes on only while ``cycles + reach <=
  limit``, where `limit` is the interpreter's next event. So every instruction boundary
  inside a stretch comes before the next event, where the interpreter too would only have
  executed instructions;
* the rest is left to the interpreter: the function returns with the state written back
  into ``regs`` before an instruction it does not compile (an IO access, ``stt16``,
  ``engint``, ...) or a stretch that does not fit before the event; the interpreter runs
  on and enters the function again at the next entry where a whole stretch fits.

Left to the interpreter: IO instructions on any register but FLAG and SP, ``stt16``,
``ldt16``, ``engint``, ``reti``, ``wdreset``, ``stopsys``, ``stopexe``, ``reset``, words that
are not instructions and words the image does not write (blank ROM). A push or pop that
would leave RAM with stack checks on returns before the instruction, and the interpreter
raises. Breakpoints, watchpoints, traces, profiles and ``break_when`` do not use
translations at all (pms150c.machine interprets those runs).

``volatile`` words (the image slot of `Machine.run_batch`, rewritten for every run) and
`ret k` words reached only through computed jumps (tables) run in one shared handler that
reads the word from the predecoded ROM at run time: it executes a ``ret k`` and leaves any
other instruction to the interpreter.

Translations are cached in memory per ROM and on disk as object files (`cache_dir`), keyed
by the ROM, the volatile range, the written mask, this module, the ISA table and the CPU.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import core, isa
from .device import INTERRUPT_VECTOR, IO_FLAG, IO_SP, PC_MASK, RAM_BYTES, ROM_WORDS
from .state import R_A, R_CYCLES, R_FLAGS, R_GIE, R_INSTRUCTIONS, R_PC, R_SP, R_STACK_MAX

CUT_CYCLES = 32
FUNCTION = "pms150c_blocks"

_ID = isa.OP_ID
_NAME = {n: i.op for n, i in enumerate(isa.INSTRUCTIONS)}
_RET_K = _ID["RET_K"]
_RET_K_CYCLES = isa.BY_OP["RET_K"].cycles

# What a peripheral or the bus can observe, left to the interpreter (IO instructions: unless
# on FLAG or SP, which are CPU registers).
_INTERPRETED = {"ENGINT", "RETI", "WDRESET", "STOPSYS", "STOPEXE", "RESET", "STT16", "LDT16"}
_IO_OPS = {"XOR_IO_A", "MOV_IO_A", "MOV_A_IO", "T0SN_IO", "T1SN_IO", "SET0_IO", "SET1_IO"}


# -- which words are translated, and how far each may run ---------------------------------


@dataclass(frozen=True)
class _Word:
    code: int  # the predecoded word (pms150c.core.pack)
    op: str  # "" for a word that is not an instruction
    m: int  # first operand (RAM/IO address, literal, target)
    bit: int  # bit mask of bit instructions
    cycles: int
    skip_cycles: int


def _unpack(code: int) -> _Word:
    op_id = code & 0xFF
    if op_id not in _NAME:
        return _Word(code, "", 0, 0, 0, 0)
    m, bit = (code >> 8) & 0x3FF, (code >> 18) & 0xFF
    return _Word(code, _NAME[op_id], m, bit, (code >> 26) & 3, (code >> 28) & 3)


def translatable(w: _Word) -> bool:
    if not w.op or w.op in _INTERPRETED:
        return False
    return w.op not in _IO_OPS or w.m in (IO_FLAG, IO_SP)


def _is_skip(w: _Word) -> bool:
    return bool(w.op) and isa.BY_OP[w.op].skip_cycles is not None


def _static_successors(p: int, w: _Word) -> tuple[int, ...]:
    """Where control goes after `p` without a computed jump (fall-through, skip, goto and
    call targets); for the words left to the interpreter too."""
    if not w.op or w.op in ("RET", "RET_K", "RETI", "PCADD_A"):
        return ()
    if w.op in ("GOTO", "CALL"):
        return (w.m,)
    if w.op == "RESET":
        return (0,)
    if _is_skip(w):
        return ((p + 1) & PC_MASK, (p + 2) & PC_MASK)
    return ((p + 1) & PC_MASK,)


def _seeds(words: list[_Word]) -> list[int]:
    """Where control arrives other than by static flow: reset, the interrupt vector (when
    the ROM can enable interrupts) and the targets of computed jumps that code idioms make
    likely: every `ret k` (tables read through `pcadd` or a pushed pointer) and the
    `goto`/`ret k` words that follow a `pcadd`. Return addresses are seeded by their call."""
    seeds = [0]
    if any(w.op in ("ENGINT", "RETI") for w in words):
        seeds.append(INTERRUPT_VECTOR)
    for p, w in enumerate(words):
        if w.op == "RET_K":
            seeds.append(p)
        elif w.op == "PCADD_A":
            q = (p + 1) & PC_MASK
            seeds.append(q)
            while words[q].op in ("GOTO", "RET_K") and q != p:
                seeds.append(q)
                q = (q + 1) & PC_MASK
    return seeds


def _reachable(words: list[_Word], seeds: list[int]) -> np.ndarray:
    """Words control can reach from the seeds along static flow (a call's return address
    included). Unreachable words (blank ROM, data) are not compiled; if control gets there
    anyway, the interpreter runs them."""
    seen = np.zeros(ROM_WORDS, dtype=bool)
    work = list(seeds)
    while work:
        p = work.pop()
        if seen[p] or not words[p].op:
            continue
        seen[p] = True
        work += _static_successors(p, words[p])
        if words[p].op == "CALL":
            work.append((p + 1) & PC_MASK)
    return seen


# Instructions that can run predicated (as the skipped half of a skip pair): no control flow,
# no stack check, nothing outside A, FLAG, SP and RAM.
_UNPREDICABLE = {"PUSHAF", "POPAF", "DISGINT", "PCADD_A", "RET", "RET_K", "GOTO", "CALL"}


def _predicable(w: _Word) -> bool:
    return translatable(w) and not _is_skip(w) and w.op not in _UNPREDICABLE


@dataclass
class Plan:
    words: list[_Word]
    compiled: np.ndarray  # bool: native code of its own
    shared: np.ndarray  # bool: run by the shared handler (volatile words, table `ret k`)
    entry: np.ndarray  # bool: the dispatcher (and the interpreter) may enter here
    heads: np.ndarray  # bool: a static branch here checks the budget first
    paired: np.ndarray  # bool: a skip whose next word is compiled into it, predicated
    reach: np.ndarray  # int64: most cycles from the word to its next check
    remaining: np.ndarray  # int16: `reach` at entries, 0 elsewhere (the interpreter runs)


def plan(
    packed: np.ndarray,
    volatile: tuple[int, int] | None = None,
    written: np.ndarray | None = None,
) -> Plan:
    """Decide which words are compiled, where code may be entered, where the budget checks
    go and how far each entry may run. Words outside `written` (blank ROM) are left to the
    interpreter like words that are not instructions."""
    words = [_unpack(int(c)) for c in packed[:ROM_WORDS]]
    words += [_Word(core.OP_INVALID, "", 0, 0, 0, 0)] * (ROM_WORDS - len(words))
    if written is not None:
        blank = _Word(core.OP_INVALID, "", 0, 0, 0, 0)
        words = [w if written[p] else blank for p, w in enumerate(words)]
    vol = np.zeros(ROM_WORDS, dtype=bool)
    if volatile is not None:
        vol[volatile[0] : volatile[1]] = True
    seeds = _seeds(words)
    reachable = _reachable(words, seeds)
    compiled = np.array([translatable(w) for w in words]) & ~vol & reachable

    preds: list[list[int]] = [[] for _ in range(ROM_WORDS)]  # static predecessors
    for p, w in enumerate(words):
        if reachable[p]:
            for q in _static_successors(p, w):
                preds[q].append(p)
    # a `ret k` reached only by computed jumps runs in the shared handler (less code)
    shared = vol | (compiled & np.array([w.op == "RET_K" for w in words]))
    shared &= np.array([vol[p] or not preds[p] for p in range(ROM_WORDS)])
    compiled &= ~shared

    heads = np.zeros(ROM_WORDS, dtype=bool)
    for p, w in enumerate(words):
        if not compiled[p]:
            continue
        if w.op in ("GOTO", "CALL"):
            heads[w.m] = True
        if w.op == "CALL":
            heads[(p + 1) & PC_MASK] = True  # the return address
        for q in _static_successors(p, w):
            if q <= p:  # wrapping round the ROM: a check breaks the cycle
                heads[q] = True
    reach = np.zeros(ROM_WORDS, dtype=np.int64)
    for p in range(ROM_WORDS - 1, -1, -1):
        w = words[p]
        if shared[p]:
            reach[p] = _RET_K_CYCLES  # the most the shared handler does at once
            continue
        if not compiled[p]:
            continue
        own = max(w.cycles, w.skip_cycles) if _is_skip(w) else w.cycles
        after = 0
        for q in _static_successors(p, w):
            if compiled[q] and not heads[q]:
                if own + reach[q] > CUT_CYCLES:
                    heads[q] = True  # cut the stretch here
                else:
                    after = max(after, int(reach[q]))
        reach[p] = own + after

    entry = shared.copy()
    for p in seeds:
        entry[p] |= compiled[p]
    for p in range(ROM_WORDS):
        if compiled[p]:
            # loop heads and return addresses; words the interpreter hands back to
            entry[p] |= heads[p] or any(not compiled[q] for q in preds[p])
    paired = np.zeros(ROM_WORDS, dtype=bool)
    for p in range(ROM_WORDS - 1):
        q = p + 1
        if compiled[p] and _is_skip(words[p]) and compiled[q] and _predicable(words[q]):
            paired[p] = preds[q] == [p] and not entry[q] and not heads[q]
    remaining = np.where(entry, reach, 0).astype(np.int16)
    return Plan(words, compiled, shared, entry, heads, paired, reach, remaining)


# -- LLVM IR ------------------------------------------------------------------------------

_LOCALS = ("a", "f", "sp", "cy", "pc", "st", "smax")
_SLOT = {"a": R_A, "f": R_FLAGS, "sp": R_SP, "cy": R_CYCLES, "pc": R_PC, "smax": R_STACK_MAX}

_HELPERS = """
define internal { i64, i64 } @add8(i64 %x, i64 %y, i64 %c) alwaysinline {
  %s0 = add i64 %x, %y
  %s = add i64 %s0, %c
  %r = and i64 %s, 255
  %z = icmp eq i64 %r, 0
  %zf = zext i1 %z to i64
  %cy = lshr i64 %s, 8
  %xl = and i64 %x, 15
  %yl = and i64 %y, 15
  %h0 = add i64 %xl, %yl
  %h = add i64 %h0, %c
  %ac = lshr i64 %h, 4
  %xr = xor i64 %x, %r
  %yr = xor i64 %y, %r
  %o0 = and i64 %xr, %yr
  %o1 = lshr i64 %o0, 7
  %ov = and i64 %o1, 1
  %f1 = shl i64 %cy, 1
  %f2 = shl i64 %ac, 2
  %f3 = shl i64 %ov, 3
  %g0 = or i64 %zf, %f1
  %g1 = or i64 %g0, %f2
  %g2 = or i64 %g1, %f3
  %v0 = insertvalue { i64, i64 } undef, i64 %r, 0
  %v1 = insertvalue { i64, i64 } %v0, i64 %g2, 1
  ret { i64, i64 } %v1
}

define internal { i64, i64 } @sub8(i64 %x, i64 %y, i64 %c) alwaysinline {
  %d0 = sub i64 %x, %y
  %d = sub i64 %d0, %c
  %r = and i64 %d, 255
  %z = icmp eq i64 %r, 0
  %zf = zext i1 %z to i64
  %b = icmp slt i64 %d, 0
  %cy = zext i1 %b to i64
  %xl = and i64 %x, 15
  %yl = and i64 %y, 15
  %h0 = sub i64 %xl, %yl
  %h = sub i64 %h0, %c
  %hb = icmp slt i64 %h, 0
  %ac = zext i1 %hb to i64
  %xy = xor i64 %x, %y
  %xr = xor i64 %x, %r
  %o0 = and i64 %xy, %xr
  %o1 = lshr i64 %o0, 7
  %ov = and i64 %o1, 1
  %f1 = shl i64 %cy, 1
  %f2 = shl i64 %ac, 2
  %f3 = shl i64 %ov, 3
  %g0 = or i64 %zf, %f1
  %g1 = or i64 %g0, %f2
  %g2 = or i64 %g1, %f3
  %v0 = insertvalue { i64, i64 } undef, i64 %r, 0
  %v1 = insertvalue { i64, i64 } %v0, i64 %g2, 1
  ret { i64, i64 } %v1
}
"""


class _Emitter:
    """IR text of one function: temporaries, locals (allocas, promoted by LLVM's SROA),
    RAM access and the ALU helpers."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.n = 0
        self.pred: str | None = None  # i1: while set, effects apply only where it is true

    def emit(self, text: str) -> None:
        self.lines.append("  " + text)

    def label(self, name: str) -> None:
        self.lines.append(f"{name}:")

    def op(self, text: str) -> str:
        self.n += 1
        name = f"%t{self.n}"
        self.lines.append(f"  {name} = {text}")
        return name

    def get(self, var: str) -> str:
        return self.op(f"load i64, ptr %{var}")

    def set(self, var: str, value) -> None:
        if self.pred is not None:
            value = self.op(f"select i1 {self.pred}, i64 {value}, i64 {self.get(var)}")
        self.emit(f"store i64 {value}, ptr %{var}")

    def bin(self, kind: str, x, y) -> str:
        return self.op(f"{kind} i64 {x}, {y}")

    def ram(self, index) -> str:
        p = self.op(f"getelementptr i8, ptr %ram, i64 {index}")
        v = self.op(f"load i8, ptr {p}")
        return self.op(f"zext i8 {v} to i64")

    def put(self, index, value) -> None:
        if self.pred is not None:
            value = self.op(f"select i1 {self.pred}, i64 {value}, i64 {self.ram(index)}")
        p = self.op(f"getelementptr i8, ptr %ram, i64 {index}")
        v = self.op(f"trunc i64 {value} to i8")
        self.emit(f"store i8 {v}, ptr {p}")

    def alu(self, name: str, x, y, c) -> tuple[str, str]:
        pair = self.op(f"call {{ i64, i64 }} @{name}(i64 {x}, i64 {y}, i64 {c})")
        return self.op(f"extractvalue {{ i64, i64 }} {pair}, 0"), self.op(
            f"extractvalue {{ i64, i64 }} {pair}, 1"
        )

    def carry(self) -> str:
        return self.bin("and", self.bin("lshr", self.get("f"), 1), 1)

    def set_z(self, value) -> None:
        """FLAG.Z <- (value == 0), the other flags kept."""
        z = self.op(f"zext i1 {self.op(f'icmp eq i64 {value}, 0')} to i64")
        self.set("f", self.bin("or", self.bin("and", self.get("f"), 0xE), z))

    def set_c(self, bit) -> None:
        """FLAG.C <- bit (0/1), the other flags kept."""
        self.set("f", self.bin("or", self.bin("and", self.get("f"), 0xD), self.bin("shl", bit, 1)))

    def is_zero(self, value) -> str:
        return self.op(f"icmp eq i64 {value}, 0")

    def is_nonzero(self, value) -> str:
        return self.op(f"icmp ne i64 {value}, 0")


# Each handler emits one instruction's effect on the locals and RAM and returns its flow:
# None (falls through), ("skip", i1 condition), ("jump", target) or ("computed",) (pc stored).


def _alu_m(name, carry_in, with_a=True, store=True):
    def h(e: _Emitter, w: _Word, p: int):
        x = e.ram(w.m)
        y = e.get("a") if with_a else 0
        r, f = e.alu(name, x, y, e.carry() if carry_in else 0)
        e.set("f", f)
        if store:
            e.put(w.m, r)
        else:
            e.set("a", r)

    return h


def _alu_a_m(name, carry_in):
    def h(e, w, p):
        r, f = e.alu(name, e.get("a"), e.ram(w.m), e.carry() if carry_in else 0)
        e.set("a", r)
        e.set("f", f)

    return h


def _alu_a(name, y, carry_in):
    def h(e, w, p):
        r, f = e.alu(name, e.get("a"), y(w), e.carry() if carry_in else 0)
        e.set("a", r)
        e.set("f", f)

    return h


def _alu_m1(name, y, carry_in, skip):
    """inc/dec/addc/subc M, izsn/dzsn M: M <- M op y (+/- C); skip on zero."""

    def h(e, w, p):
        r, f = e.alu(name, e.ram(w.m), y, e.carry() if carry_in else 0)
        e.put(w.m, r)
        e.set("f", f)
        return ("skip", e.is_zero(r)) if skip else None

    return h


def _alu_a1(name, y, carry_in, skip):
    def h(e, w, p):
        r, f = e.alu(name, e.get("a"), y, e.carry() if carry_in else 0)
        e.set("a", r)
        e.set("f", f)
        return ("skip", e.is_zero(r)) if skip else None

    return h


def _logic_m_a(kind):
    def h(e, w, p):
        r = e.bin(kind, e.ram(w.m), e.get("a"))
        e.put(w.m, r)
        e.set_z(r)

    return h


def _logic_a_m(kind):
    def h(e, w, p):
        r = e.bin(kind, e.get("a"), e.ram(w.m))
        e.set("a", r)
        e.set_z(r)

    return h


def _logic_a_k(kind):
    def h(e, w, p):
        r = e.bin(kind, e.get("a"), w.m & 0xFF)
        e.set("a", r)
        e.set_z(r)

    return h


def _ceqsn(operand):
    def h(e, w, p):
        r, f = e.alu("sub8", e.get("a"), operand(e, w), 0)
        e.set("f", f)
        return ("skip", e.is_zero(r))

    return h


def _mov_a_m(e, w, p):
    v = e.ram(w.m)
    e.set("a", v)
    e.set_z(v)


def _mov_m_a(e, w, p):
    e.put(w.m, e.get("a"))


def _mov_a_k(e, w, p):
    e.set("a", w.m & 0xFF)


def _xch(e, w, p):
    v = e.ram(w.m)
    e.put(w.m, e.get("a"))
    e.set("a", v)


def _clear(e, w, p):
    e.put(w.m, 0)


def _not_m(e, w, p):
    r = e.bin("xor", e.ram(w.m), 0xFF)
    e.put(w.m, r)
    e.set_z(r)


def _neg_m(e, w, p):
    r = e.bin("and", e.bin("sub", 0, e.ram(w.m)), 0xFF)
    e.put(w.m, r)
    e.set_z(r)


def _not_a(e, w, p):
    r = e.bin("xor", e.get("a"), 0xFF)
    e.set("a", r)
    e.set_z(r)


def _neg_a(e, w, p):
    r = e.bin("and", e.bin("sub", 0, e.get("a")), 0xFF)
    e.set("a", r)
    e.set_z(r)


def _shift(left: bool, through_carry: bool, load, store):
    """sr/sl/src/slc on A or M: C <- the bit shifted out."""

    def h(e, w, p):
        x = load(e, w)
        out = e.bin("lshr", x, 7) if left else e.bin("and", x, 1)
        if left:
            r = e.bin("and", e.bin("shl", x, 1), 0xFF)
            if through_carry:
                r = e.bin("or", r, e.carry())
        else:
            r = e.bin("lshr", x, 1)
            if through_carry:
                r = e.bin("or", r, e.bin("shl", e.carry(), 7))
        store(e, w, r)
        e.set_c(out)

    return h


def _load_a(e, w):
    return e.get("a")


def _store_a(e, w, v):
    e.set("a", v)


def _load_m(e, w):
    return e.ram(w.m)


def _store_m(e, w, v):
    e.put(w.m, v)


def _swap(e, w, p):
    a = e.get("a")
    e.set("a", e.bin("or", e.bin("and", e.bin("shl", a, 4), 0xF0), e.bin("lshr", a, 4)))


def _bit_test(set_skips: bool):
    def h(e, w, p):
        b = e.bin("and", e.ram(w.m), w.bit)
        return ("skip", e.is_nonzero(b) if set_skips else e.is_zero(b))

    return h


def _bit_set(value: int):
    def h(e, w, p):
        x = e.ram(w.m)
        e.put(w.m, e.bin("or", x, w.bit) if value else e.bin("and", x, 0xFF & ~w.bit))

    return h


def _idxm_a_m(e, w, p):
    e.set("a", e.ram(e.bin("and", e.ram(w.m), RAM_BYTES - 1)))


def _idxm_m_a(e, w, p):
    e.put(e.bin("and", e.ram(w.m), RAM_BYTES - 1), e.get("a"))


def _pcadd(e, w, p):
    e.set("pc", e.bin("and", e.bin("add", e.get("a"), p), PC_MASK))
    return ("computed",)


def _nop(e, w, p):
    return None


def _disgint(e, w, p):
    slot = e.op(f"getelementptr i64, ptr %regs, i64 {R_GIE}")
    e.emit(f"store i64 0, ptr {slot}")


def _stack_check(e: _Emitter, p: int, push: bool) -> None:
    """With stack checks on, a push past RAM or a pop below 0 leaves to the interpreter
    before the instruction (which then raises StackOverflow)."""
    sp = e.get("sp")
    bad = e.op(f"icmp {'sgt' if push else 'slt'} i64 {sp}, {0x3E if push else 2}")
    fail = e.op(f"and i1 {bad}, %checks")
    e.emit(f"br i1 {fail}, label %u_{p}, label %ok_{p}")
    e.label(f"ok_{p}")


def _push(e: _Emitter, lo, hi) -> None:
    sp = e.get("sp")
    e.put(e.bin("and", sp, RAM_BYTES - 1), lo)
    e.put(e.bin("and", e.bin("add", sp, 1), RAM_BYTES - 1), hi)
    new = e.bin("and", e.bin("add", sp, 2), 0xFF)
    e.set("sp", new)
    old = e.get("smax")
    e.set("smax", e.op(f"select i1 {e.op(f'icmp sgt i64 {new}, {old}')}, i64 {new}, i64 {old}"))


def _pop(e: _Emitter) -> tuple[str, str]:
    sp = e.bin("and", e.bin("sub", e.get("sp"), 2), 0xFF)
    e.set("sp", sp)
    lo = e.ram(e.bin("and", sp, RAM_BYTES - 1))
    hi = e.ram(e.bin("and", e.bin("add", sp, 1), RAM_BYTES - 1))
    return lo, hi


def _call(e, w, p):
    _stack_check(e, p, push=True)
    ret = (p + 1) & PC_MASK
    _push(e, ret & 0xFF, ret >> 8)
    return ("jump", w.m)


def _ret(with_k: bool):
    def h(e, w, p):
        _stack_check(e, p, push=False)
        lo, hi = _pop(e)
        e.set("pc", e.bin("and", e.bin("or", lo, e.bin("shl", hi, 8)), PC_MASK))
        if with_k:
            e.set("a", w.m & 0xFF)
        return ("computed",)

    return h


def _pushaf(e, w, p):
    _stack_check(e, p, push=True)
    _push(e, e.get("a"), e.bin("or", e.get("f"), 0xF0))


def _popaf(e, w, p):
    _stack_check(e, p, push=False)
    lo, hi = _pop(e)
    e.set("a", lo)
    e.set("f", e.bin("and", hi, 0xF))


def _goto(e, w, p):
    return ("jump", w.m)


# IO instructions on FLAG and SP, the CPU's own registers (never seen by a peripheral).


def _io_value(e: _Emitter, w: _Word) -> str:
    return e.bin("or", e.get("f"), 0xF0) if w.m == IO_FLAG else e.get("sp")


def _io_store(e: _Emitter, w: _Word, v) -> None:
    if w.m == IO_FLAG:
        e.set("f", e.bin("and", v, 0xF))
    else:
        e.set("sp", e.bin("and", v, 0xFF))


def _mov_a_io(e, w, p):
    v = _io_value(e, w)
    e.set("a", v)
    e.set_z(v)


def _mov_io_a(e, w, p):
    _io_store(e, w, e.get("a"))


def _xor_io_a(e, w, p):
    _io_store(e, w, e.bin("xor", _io_value(e, w), e.get("a")))


def _set_io(value: int):
    def h(e, w, p):
        v = _io_value(e, w)
        _io_store(e, w, e.bin("or", v, w.bit) if value else e.bin("and", v, 0xFF & ~w.bit))

    return h


def _test_io(set_skips: bool):
    def h(e, w, p):
        b = e.bin("and", _io_value(e, w), w.bit)
        return ("skip", e.is_nonzero(b) if set_skips else e.is_zero(b))

    return h


def _k(w):
    return w.m & 0xFF


HANDLERS = {
    "NOP": _nop,
    "ADDC_A": _alu_a1("add8", 0, True, False),
    "SUBC_A": _alu_a1("sub8", 0, True, False),
    "IZSN_A": _alu_a1("add8", 1, False, True),
    "DZSN_A": _alu_a1("sub8", 1, False, True),
    "PCADD_A": _pcadd,
    "NOT_A": _not_a,
    "NEG_A": _neg_a,
    "SR_A": _shift(False, False, _load_a, _store_a),
    "SL_A": _shift(True, False, _load_a, _store_a),
    "SRC_A": _shift(False, True, _load_a, _store_a),
    "SLC_A": _shift(True, True, _load_a, _store_a),
    "SWAP_A": _swap,
    "PUSHAF": _pushaf,
    "POPAF": _popaf,
    "DISGINT": _disgint,
    "RET": _ret(False),
    "XOR_IO_A": _xor_io_a,
    "MOV_IO_A": _mov_io_a,
    "MOV_A_IO": _mov_a_io,
    "IDXM_M_A": _idxm_m_a,
    "IDXM_A_M": _idxm_a_m,
    "RET_K": _ret(True),
    "T0SN_M": _bit_test(False),
    "T1SN_M": _bit_test(True),
    "SET0_M": _bit_set(0),
    "SET1_M": _bit_set(1),
    "ADD_M_A": _alu_m("add8", False),
    "SUB_M_A": _alu_m("sub8", False),
    "ADDC_M_A": _alu_m("add8", True),
    "SUBC_M_A": _alu_m("sub8", True),
    "AND_M_A": _logic_m_a("and"),
    "OR_M_A": _logic_m_a("or"),
    "XOR_M_A": _logic_m_a("xor"),
    "MOV_M_A": _mov_m_a,
    "ADD_A_M": _alu_a_m("add8", False),
    "SUB_A_M": _alu_a_m("sub8", False),
    "ADDC_A_M": _alu_a_m("add8", True),
    "SUBC_A_M": _alu_a_m("sub8", True),
    "AND_A_M": _logic_a_m("and"),
    "OR_A_M": _logic_a_m("or"),
    "XOR_A_M": _logic_a_m("xor"),
    "MOV_A_M": _mov_a_m,
    "ADDC_M": _alu_m1("add8", 0, True, False),
    "SUBC_M": _alu_m1("sub8", 0, True, False),
    "IZSN_M": _alu_m1("add8", 1, False, True),
    "DZSN_M": _alu_m1("sub8", 1, False, True),
    "INC_M": _alu_m1("add8", 1, False, False),
    "DEC_M": _alu_m1("sub8", 1, False, False),
    "CLEAR_M": _clear,
    "XCH_M": _xch,
    "NOT_M": _not_m,
    "NEG_M": _neg_m,
    "SR_M": _shift(False, False, _load_m, _store_m),
    "SL_M": _shift(True, False, _load_m, _store_m),
    "SRC_M": _shift(False, True, _load_m, _store_m),
    "SLC_M": _shift(True, True, _load_m, _store_m),
    "CEQSN_A_M": _ceqsn(lambda e, w: e.ram(w.m)),
    "T0SN_IO": _test_io(False),
    "T1SN_IO": _test_io(True),
    "SET0_IO": _set_io(0),
    "SET1_IO": _set_io(1),
    "ADD_A_K": _alu_a("add8", _k, False),
    "SUB_A_K": _alu_a("sub8", _k, False),
    "CEQSN_A_K": _ceqsn(lambda e, w: w.m & 0xFF),
    "AND_A_K": _logic_a_k("and"),
    "OR_A_K": _logic_a_k("or"),
    "XOR_A_K": _logic_a_k("xor"),
    "MOV_A_K": _mov_a_k,
    "GOTO": _goto,
    "CALL": _call,
}


def generate_ir(pl: Plan) -> str:
    """The LLVM IR module of one translation: ``void pms150c_blocks(ram, regs, prog, limit,
    checks)``."""
    e = _Emitter()
    exits: set[int] = set()
    heads: set[int] = set()

    def target(q: int) -> str:
        """The label that goes on at `q` after static flow."""
        if pl.shared[q]:
            return f"d_{q}"  # through the dispatcher, which checks the budget
        if not pl.compiled[q]:
            exits.add(q)
            return f"u_{q}"  # the interpreter goes on
        if pl.heads[q]:
            heads.add(q)
            return f"h_{q}"  # check the budget first
        return f"p_{q}"

    e.label("entry")
    for var in _LOCALS:
        e.emit(f"%{var} = alloca i64")
    for var, slot in _SLOT.items():
        ptr = e.op(f"getelementptr i64, ptr %regs, i64 {slot}")
        e.set(var, e.op(f"load i64, ptr {ptr}"))
    e.set("st", 0)
    e.emit("br label %dispatch")

    # the dispatcher: the entry and computed jumps
    e.label("dispatch")
    pc = e.bin("and", e.get("pc"), PC_MASK)
    r_ptr = e.op(f"getelementptr [{ROM_WORDS} x i16], ptr @remaining, i64 0, i64 {pc}")
    r = e.op(f"zext i16 {e.op(f'load i16, ptr {r_ptr}')} to i64")
    fits = e.op(f"icmp sle i64 {e.bin('add', e.get('cy'), r)}, %limit")
    ok = e.op(f"and i1 {fits}, {e.op(f'icmp ne i64 {r}, 0')}")
    e.emit(f"br i1 {ok}, label %switch, label %exit")
    e.label("switch")
    cases = []
    for p in np.flatnonzero(pl.entry):
        if pl.shared[p]:
            cases.append(f"i64 {p}, label %shared")
        elif pl.heads[p]:  # a loop head keeps one way in: LLVM optimises only such loops
            heads.add(int(p))
            cases.append(f"i64 {p}, label %h_{p}")
        else:
            cases.append(f"i64 {p}, label %p_{p}")
    e.emit(f"switch i64 {pc}, label %exit [ " + " ".join(cases) + " ]")

    for p in range(ROM_WORDS):
        if not pl.compiled[p] or (p > 0 and pl.paired[p - 1]):
            continue
        w = pl.words[p]
        e.label(f"p_{p}")
        flow = HANDLERS[w.op](e, w, p)
        e.set("st", e.bin("add", e.get("st"), 1))
        if flow is None:
            e.set("cy", e.bin("add", e.get("cy"), w.cycles))
            e.emit(f"br label %{target((p + 1) & PC_MASK)}")
        elif flow[0] == "skip" and pl.paired[p]:
            # skip + instruction as if/else: the next word runs where the skip is not taken
            skip = flow[1]
            e.set("cy", e.bin("add", e.get("cy"), e.op(
                f"select i1 {skip}, i64 {w.skip_cycles}, i64 {w.cycles}")))  # fmt: skip
            nxt = pl.words[p + 1]
            e.pred = e.op(f"xor i1 {skip}, true")
            HANDLERS[nxt.op](e, nxt, p + 1)
            e.set("st", e.bin("add", e.get("st"), 1))
            e.set("cy", e.bin("add", e.get("cy"), nxt.cycles))
            e.pred = None
            e.emit(f"br label %{target((p + 2) & PC_MASK)}")
        elif flow[0] == "skip":
            skip = flow[1]
            e.set("cy", e.bin("add", e.get("cy"), e.op(
                f"select i1 {skip}, i64 {w.skip_cycles}, i64 {w.cycles}")))  # fmt: skip
            skip_to, next_to = target((p + 2) & PC_MASK), target((p + 1) & PC_MASK)
            e.emit(f"br i1 {skip}, label %{skip_to}, label %{next_to}")
        elif flow[0] == "jump":
            e.set("cy", e.bin("add", e.get("cy"), w.cycles))
            e.emit(f"br label %{target(flow[1])}")
        else:  # computed: the handler stored pc
            e.set("cy", e.bin("add", e.get("cy"), w.cycles))
            e.emit("br label %dispatch")
        if w.op in ("CALL", "RET", "RET_K", "PUSHAF", "POPAF"):
            exits.add(p)  # a failed stack check leaves before the instruction

    for q in sorted(heads):
        e.label(f"h_{q}")
        # the empty asm hides the cycle count from LLVM's loop analysis: else it rewrites
        # a loop whose only exit is this check into a closed form with a 128-bit division
        # (a call to __udivti3, which the JIT cannot link)
        cy = e.op(f'call i64 asm "", "=r,0"(i64 {e.get("cy")})')
        fits = e.op(f"icmp sle i64 {e.bin('add', cy, int(pl.reach[q]))}, %limit")
        exits.add(q)
        e.emit(f"br i1 {fits}, label %p_{q}, label %u_{q}")
    for q in sorted(exits):
        e.label(f"u_{q}")  # leave to the interpreter at q
        e.set("pc", q)
        e.emit("br label %exit")
    for q in range(ROM_WORDS):
        if pl.shared[q]:
            e.label(f"d_{q}")
            e.set("pc", q)
            e.emit("br label %dispatch")

    if pl.shared.any():  # `ret k` read from the ROM at run time; anything else interpreted
        e.label("shared")
        vpc = e.bin("and", e.get("pc"), PC_MASK)
        code = e.op(f"load i32, ptr {e.op(f'getelementptr i32, ptr %prog, i64 {vpc}')}")
        code = e.op(f"zext i32 {code} to i64")
        is_ret = e.op(f"icmp eq i64 {e.bin('and', code, 0xFF)}, {_RET_K}")
        can_pop = e.op(f"icmp sge i64 {e.get('sp')}, 2")
        can = e.op(f"or i1 {can_pop}, {e.op('xor i1 %checks, true')}")
        e.emit(f"br i1 {e.op(f'and i1 {is_ret}, {can}')}, label %shared_ret, label %exit")
        e.label("shared_ret")
        lo, hi = _pop(e)
        e.set("pc", e.bin("and", e.bin("or", lo, e.bin("shl", hi, 8)), PC_MASK))
        e.set("a", e.bin("and", e.bin("lshr", code, 8), 0xFF))
        e.set("st", e.bin("add", e.get("st"), 1))
        e.set("cy", e.bin("add", e.get("cy"), e.bin("and", e.bin("lshr", code, 26), 3)))
        e.emit("br label %dispatch")

    e.label("exit")
    for var, slot in _SLOT.items():
        ptr = e.op(f"getelementptr i64, ptr %regs, i64 {slot}")
        value = e.get(var)
        if var == "pc":
            value = e.bin("and", value, PC_MASK)
        e.emit(f"store i64 {value}, ptr {ptr}")
    ptr = e.op(f"getelementptr i64, ptr %regs, i64 {R_INSTRUCTIONS}")
    e.emit(f"store i64 {e.bin('add', e.op(f'load i64, ptr {ptr}'), e.get('st'))}, ptr {ptr}")
    e.emit("ret void")

    table = ", ".join(f"i16 {int(v)}" for v in pl.remaining)
    head = (
        f"@remaining = internal constant [{ROM_WORDS} x i16] [{table}]\n"
        + _HELPERS
        + f"\ndefine void @{FUNCTION}(ptr noalias %ram, ptr noalias %regs,"
        " ptr noalias readonly %prog, i64 %limit, i1 %checks) {\n"
    )
    return head + "\n".join(e.lines) + "\n}\n"


# -- compiling and caching ---------------------------------------------------------------

_lock = threading.Lock()
_target = None
MEMORY_CACHE = 64  # translations kept loaded (a Machine keeps its own alive)
DISK_CACHE = 512  # object files kept on disk; the oldest go first
_loaded: OrderedDict[str, Translation] = OrderedDict()


@dataclass
class Translation:
    """A compiled ROM: the function's address and its `remaining` table (the interpreter
    enters the function only where ``cycles + remaining[pc] <= next event``)."""

    address: int
    remaining: np.ndarray
    key: str
    engine: object  # the llvmlite execution engine that owns the code

    @property
    def blocks(self) -> tuple[int, np.ndarray]:
        """The argument `pms150c.core.run` takes to use this translation."""
        return (self.address, self.remaining)


def unavailable() -> str | None:
    """Why translations cannot be made with this llvmlite, or None when they can."""
    try:
        import llvmlite.binding as llvm
    except ImportError as exc:  # pragma: no cover - Numba depends on llvmlite
        return f"llvmlite does not import: {exc}"
    if llvm.llvm_version_info < (15,) or not hasattr(llvm, "create_pass_builder"):
        return f"needs llvmlite 0.45 or later (LLVM 15+), have LLVM {llvm.llvm_version_info}"
    return None


def _new_target_machine():
    import llvmlite.binding as llvm

    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    return llvm.Target.from_default_triple().create_target_machine(
        cpu=llvm.get_host_cpu_name(),
        features=llvm.get_host_cpu_features().flatten(),
        opt=2,
        codemodel="jitdefault",
    )


def _target_machine():
    """The target machine that compiles (an execution engine owns one of its own)."""
    global _target
    if _target is None:
        _target = _new_target_machine()
    return _target


def cache_dir() -> Path | None:
    """Where object files are kept: $PMS150C_CACHE_DIR, else a folder in $NUMBA_CACHE_DIR,
    else $XDG_CACHE_HOME/pms150c/translations (~/.cache/...); None when it cannot be made.
    PMS150C_CACHE_DIR=off keeps translations in memory only."""
    chosen = os.environ.get("PMS150C_CACHE_DIR")
    if chosen == "off":
        return None
    if chosen:
        path = Path(chosen)
    elif os.environ.get("NUMBA_CACHE_DIR"):
        path = Path(os.environ["NUMBA_CACHE_DIR"]) / "pms150c-translations"
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        path = Path(base) / "pms150c" / "translations"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path


_source_digest: list[bytes] = []


def _key(packed: np.ndarray, volatile, written) -> str:
    """What the generated code depends on: the ROM, the volatile range, the written mask,
    this module and the ISA table, llvmlite and the CPU."""
    if not _source_digest:
        import llvmlite
        import llvmlite.binding as llvm

        parts = [Path(__file__).read_bytes(), Path(isa.__file__).read_bytes()]
        parts += [llvmlite.__version__, str(_target_machine().triple)]
        parts += [llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten()]
        raw = b"\0".join(p if isinstance(p, bytes) else p.encode() for p in parts)
        _source_digest.append(hashlib.sha256(raw).digest())
    h = hashlib.sha256(_source_digest[0])
    h.update(np.ascontiguousarray(packed, dtype=np.int32).tobytes())
    h.update(repr(volatile).encode())
    h.update(b"-" if written is None else np.packbits(written).tobytes())
    return h.hexdigest()[:32]


def compile_ir(ir: str) -> bytes:
    """Object code of an IR module, optimised at -O2."""
    import llvmlite.binding as llvm

    tm = _target_machine()
    module = llvm.parse_assembly(ir)
    module.verify()
    pto = llvm.create_pipeline_tuning_options(speed_level=2)
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(module, pb)
    return tm.emit_object(module)


def _load(obj: bytes):
    import llvmlite.binding as llvm

    engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), _new_target_machine())
    engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
    engine.finalize_object()
    return engine, engine.get_function_address(FUNCTION)


def _store(folder: Path, path: Path, obj: bytes) -> None:
    """Write an object file atomically; keep the folder at DISK_CACHE files."""
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        tmp.write_bytes(obj)
        os.replace(tmp, path)
        files = list(folder.glob("*.o"))
        if len(files) > DISK_CACHE:
            files.sort(key=lambda f: f.stat().st_mtime)
            for old in files[: len(files) - DISK_CACHE]:
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a cache that cannot be written only costs time


def translate(
    packed: np.ndarray,
    volatile: tuple[int, int] | None = None,
    written: np.ndarray | None = None,
) -> Translation:
    """The translation of a predecoded ROM (`pms150c.core.predecode`), from memory, from
    the disk cache, or compiled now. `volatile` = (start, stop): words rewritten between
    runs (read at run time); `written`: the words the image defines (others stay blank)."""
    packed = np.ascontiguousarray(packed[:ROM_WORDS], dtype=np.int32)
    with _lock:
        key = _key(packed, volatile, written)
        if key in _loaded:
            _loaded.move_to_end(key)
            return _loaded[key]
        pl = plan(packed, volatile, written)
        folder = cache_dir()
        path = folder / f"{key}.o" if folder is not None else None
        obj = None
        if path is not None and path.is_file():
            try:
                obj = path.read_bytes()
                os.utime(path)
            except OSError:
                obj = None
        if obj is None:
            obj = compile_ir(generate_ir(pl))
            if path is not None:
                _store(folder, path, obj)
        engine, address = _load(obj)
        remaining = pl.remaining.copy()
        remaining.flags.writeable = False
        t = Translation(address, remaining, key, engine)
        _loaded[key] = t
        while len(_loaded) > MEMORY_CACHE:
            _loaded.popitem(last=False)
        return t
