"""The jitted PMS150C core: one interpreter loop over a predecoded ROM.

State
    ``prog``  int32[1024]  the ROM predecoded by `predecode` (op id, operands, cycles packed
                           in one word, see `pack`); breakpoints are words whose op id is
                           ``OP_BREAK``, so checking them costs nothing.
    ``ram``   uint8[64]    data memory (the stack lives here).
    ``io``    uint8[32]    IO registers except FLAG (0x00) and SP (0x02), which live in regs.
    ``regs``  int64[32]    everything else, slots named in pms150c/state.py.
    ``sched`` int64[n, 3]  host pin changes (cycle, pin, level or -1 = release), sorted by
                           cycle; ``regs[R_SCHED_HEAD]`` is the next pending row.

The loop keeps A, PC, FLAGS, SP, GIE and cycles in locals. Peripherals are not touched per
instruction: `service` (the boundary service) runs only when ``cycles >= next_event``, where
``next_event`` is the earliest of the next timer request, the watchdog time-out, the next
scheduled pin change and the run's end; instructions that change what the service would
decide (IO writes to timer/interrupt registers, engint, reti, stt16, wdreset, stopsys,
stopexe, reset) set ``next_event = 0``. Reads of TM2CT, of PA while Timer2 drives a pin,
and ldt16 catch the peripherals up to the exact cycle first (arithmetically, see
peripherals/timers.py); INTRQ needs no catch-up, since no request bit can rise before
``next_event`` (see ``READ_SYNC`` in peripherals/bus.py).

Debug hooks (the ``dbg`` argument)
    ``dbg`` is None in the fast variant; Numba prunes every ``if dbg is not None`` branch
    so the fast loop carries no hook code. The debug variant gets a tuple
    ``(watch, trace, profile)``:

    ``watch``   uint8[96]     per address (RAM 0..63, IO 64..95) bit 0 = stop on read,
                              bit 1 = stop on write. The core stops *after* the instruction
                              that made the access (status ST_WATCHPOINT); regs[R_WATCH_INFO]
                              = address | kind << 8 (kind 1 read, 2 write), regs[R_WATCH_PC]
                              = the instruction's pc. Stack bytes touched by call/ret/
                              pushaf/popaf count as RAM accesses; interrupt entry does not.
    ``trace``   int64[n, 6]   ring buffer of (pc, word, a, flags, sp, cycles) before each
                              instruction; row = regs[R_TRACE_COUNT] % n; n = 0 disables.
    ``profile`` int64[2, 1024] row 0: executions per pc, row 1: cycles per pc (interrupt
                              entry cycles are not attributed to any pc).

Every jitted function here and in pms150c/peripherals/ is compiled with ``_nrt=False``: none
allocates, and without Numba's reference counting a call that passes the state arrays costs
no atomic increments (they were half the time of a peripheral-heavy program). Only
`run_batch`, which allocates its result arrays, keeps the runtime.

Errors leave the core as status codes (ST_INVALID, ST_STACK) with the state as it was
before the refused instruction; pms150c.machine raises the exceptions.
"""

from __future__ import annotations

import sys

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from . import isa
from .device import (
    INTERRUPT_VECTOR,
    IO_FLAG,
    IO_INTEN,
    IO_INTRQ,
    IO_PA,
    IO_REGS,
    IO_SP,
    IO_TM2CT,
    PC_MASK,
    RAM_BYTES,
)
from .peripherals.bus import (
    WRITE_REPLAN,
    apply_schedule,
    catch_up,
    chip_reset,
    io_read,
    io_write,
    next_event,
    wake_cycles,
    watchdog_ends_clock_stop,
)
from .peripherals.port import pa_read, pin_levels, tm2_pin_bit
from .peripherals.signals import (
    M_HIT,
    M_NEXT,
    M_RESERVE,
    M_STOP,
    TM2_BIT,
    catch_up_logged,
    has_room,
    has_room_for_writes,
    log_signals,
    plan_flips,
)
from .peripherals.timers import wdt_enabled
from .state import (
    CHECK_SP_OUTSIDE,
    CHECK_UNINITIALISED,
    COND_ADDRESS,
    COND_GROUP,
    COND_MASK,
    COND_OP,
    COND_OPERAND,
    COND_SHIFT,
    COND_SIGNED,
    COND_SIZE,
    COND_SPACE,
    MODE_BOOTING,
    MODE_CLOCK_STOPPED,
    MODE_RUNNING,
    MODE_STOPEXE,
    MODE_STOPSYS,
    MODE_WAKING,
    N_REGS,
    OP_EQ,
    OP_GE,
    OP_GT,
    OP_LE,
    OP_LT,
    R_A,
    R_CHECK_COUNT,
    R_CLOCK_STOP_PC,
    R_CYCLES,
    R_FLAGS,
    R_GIE,
    R_HOLD_END,
    R_INSTRUCTIONS,
    R_MODE,
    R_NEXT_EVENT,
    R_PC,
    R_RESETS,
    R_SCHED_HEAD,
    R_SP,
    R_STACK_MAX,
    R_SYNC,
    R_T16,
    R_TRACE_COUNT,
    R_WATCH_INFO,
    R_WATCH_PC,
    R_WDT,
    SPACE_A,
    SPACE_FLAGS,
    SPACE_GIE,
    SPACE_IO,
    SPACE_PC,
    SPACE_RAM,
    SPACE_SP,
    ST_BREAKPOINT,
    ST_CHECK_FULL,
    ST_CLOCK_STOPPED,
    ST_CONDITION,
    ST_EDGE_STOP,
    ST_EDGES_FULL,
    ST_INVALID,
    ST_LIMIT,
    ST_RUN,
    ST_STACK,
    ST_STOPSYS,
    ST_WATCHPOINT,
)


def _skip_numba_blas_probe() -> None:
    """Numba's first compile or cache load imports numba.np.arraymath, whose import probes
    for BLAS by importing scipy.linalg when SciPy is installed: 0.2-0.5 s of every start,
    for a library this core never uses. Import arraymath now with that one submodule
    masked, so the probe fails fast. The only effect on other Numba code in the process:
    np.convolve/np.correlate use Numba's plain loop instead of BLAS (np.dot and np.linalg
    still import SciPy when first compiled). Nothing changes if Numba or SciPy's linalg
    is already loaded."""
    if "numba.np.arraymath" in sys.modules or "scipy.linalg" in sys.modules:
        return
    probe = "scipy.linalg.cython_blas"
    sys.modules[probe] = None  # makes `import scipy.linalg.cython_blas` fail at once
    try:
        import numba.np.arraymath  # noqa: F401
    finally:
        del sys.modules[probe]


_skip_numba_blas_probe()


OP_BREAK = 254
OP_INVALID = isa.INVALID

_ID = isa.OP_ID
OP_NOP = _ID["NOP"]
OP_ADDC_A = _ID["ADDC_A"]
OP_SUBC_A = _ID["SUBC_A"]
OP_IZSN_A = _ID["IZSN_A"]
OP_DZSN_A = _ID["DZSN_A"]
OP_PCADD_A = _ID["PCADD_A"]
OP_NOT_A = _ID["NOT_A"]
OP_NEG_A = _ID["NEG_A"]
OP_SR_A = _ID["SR_A"]
OP_SL_A = _ID["SL_A"]
OP_SRC_A = _ID["SRC_A"]
OP_SLC_A = _ID["SLC_A"]
OP_SWAP_A = _ID["SWAP_A"]
OP_WDRESET = _ID["WDRESET"]
OP_PUSHAF = _ID["PUSHAF"]
OP_POPAF = _ID["POPAF"]
OP_RESET = _ID["RESET"]
OP_STOPSYS = _ID["STOPSYS"]
OP_STOPEXE = _ID["STOPEXE"]
OP_ENGINT = _ID["ENGINT"]
OP_DISGINT = _ID["DISGINT"]
OP_RET = _ID["RET"]
OP_RETI = _ID["RETI"]
OP_XOR_IO_A = _ID["XOR_IO_A"]
OP_MOV_IO_A = _ID["MOV_IO_A"]
OP_MOV_A_IO = _ID["MOV_A_IO"]
OP_STT16 = _ID["STT16"]
OP_LDT16 = _ID["LDT16"]
OP_IDXM_M_A = _ID["IDXM_M_A"]
OP_IDXM_A_M = _ID["IDXM_A_M"]
OP_RET_K = _ID["RET_K"]
OP_T0SN_M = _ID["T0SN_M"]
OP_T1SN_M = _ID["T1SN_M"]
OP_SET0_M = _ID["SET0_M"]
OP_SET1_M = _ID["SET1_M"]
OP_ADD_M_A = _ID["ADD_M_A"]
OP_SUB_M_A = _ID["SUB_M_A"]
OP_ADDC_M_A = _ID["ADDC_M_A"]
OP_SUBC_M_A = _ID["SUBC_M_A"]
OP_AND_M_A = _ID["AND_M_A"]
OP_OR_M_A = _ID["OR_M_A"]
OP_XOR_M_A = _ID["XOR_M_A"]
OP_MOV_M_A = _ID["MOV_M_A"]
OP_ADD_A_M = _ID["ADD_A_M"]
OP_SUB_A_M = _ID["SUB_A_M"]
OP_ADDC_A_M = _ID["ADDC_A_M"]
OP_SUBC_A_M = _ID["SUBC_A_M"]
OP_AND_A_M = _ID["AND_A_M"]
OP_OR_A_M = _ID["OR_A_M"]
OP_XOR_A_M = _ID["XOR_A_M"]
OP_MOV_A_M = _ID["MOV_A_M"]
OP_ADDC_M = _ID["ADDC_M"]
OP_SUBC_M = _ID["SUBC_M"]
OP_IZSN_M = _ID["IZSN_M"]
OP_DZSN_M = _ID["DZSN_M"]
OP_INC_M = _ID["INC_M"]
OP_DEC_M = _ID["DEC_M"]
OP_CLEAR_M = _ID["CLEAR_M"]
OP_XCH_M = _ID["XCH_M"]
OP_NOT_M = _ID["NOT_M"]
OP_NEG_M = _ID["NEG_M"]
OP_SR_M = _ID["SR_M"]
OP_SL_M = _ID["SL_M"]
OP_SRC_M = _ID["SRC_M"]
OP_SLC_M = _ID["SLC_M"]
OP_CEQSN_A_M = _ID["CEQSN_A_M"]
OP_T0SN_IO = _ID["T0SN_IO"]
OP_T1SN_IO = _ID["T1SN_IO"]
OP_SET0_IO = _ID["SET0_IO"]
OP_SET1_IO = _ID["SET1_IO"]
OP_ADD_A_K = _ID["ADD_A_K"]
OP_SUB_A_K = _ID["SUB_A_K"]
OP_CEQSN_A_K = _ID["CEQSN_A_K"]
OP_AND_A_K = _ID["AND_A_K"]
OP_OR_A_K = _ID["OR_A_K"]
OP_XOR_A_K = _ID["XOR_A_K"]
OP_MOV_A_K = _ID["MOV_A_K"]
OP_GOTO = _ID["GOTO"]
OP_CALL = _ID["CALL"]

INTERRUPT_ENTRY_CYCLES = 2

# -- predecoding -------------------------------------------------------------------------
#  bits 0..7 op id | 8..17 first operand | 18..25 bit mask (1 << n) | 26..27 cycles |
#  28..29 cycles when the instruction skips


def pack(op: int, arg1: int, arg2: int) -> int:
    if op == OP_INVALID:
        return OP_INVALID
    instr = isa.INSTRUCTIONS[op]
    has_bit = "n" in instr.operands
    skip = instr.skip_cycles if instr.skip_cycles is not None else instr.cycles
    return (
        op
        | (arg1 << 8)
        | (((1 << arg2) if has_bit else 0) << 18)
        | (instr.cycles << 26)
        | (skip << 28)
    )


def _packed_table() -> np.ndarray:
    op_of, arg1, arg2 = isa.decode_tables()
    table = np.array(
        [pack(int(o), int(x), int(y)) for o, x, y in zip(op_of, arg1, arg2, strict=True)],
        dtype=np.int32,
    )
    table.flags.writeable = False
    return table


PACKED = _packed_table()  # packed predecoded form of every 13-bit word


def predecode(words: np.ndarray) -> np.ndarray:
    """int32[len(words)] packed words for the core."""
    return PACKED[np.asarray(words, dtype=np.int64) & isa.WORD_MASK].copy()


# Memory access of each op for watchpoints (data, built from the op names).
ACC_RAM_R, ACC_RAM_W, ACC_IO_R, ACC_IO_W = 1, 2, 4, 8
ACC_WORD_R, ACC_WORD_W, ACC_IND_R, ACC_IND_W, ACC_PUSH, ACC_POP = 16, 32, 64, 128, 256, 512


def _access_table() -> np.ndarray:
    table = np.zeros(256, dtype=np.int64)
    for instr in isa.INSTRUCTIONS:
        name, ops = instr.op, instr.operands
        acc = 0
        if name == "STT16":
            acc = ACC_WORD_R
        elif name == "LDT16":
            acc = ACC_WORD_W
        elif name == "IDXM_A_M":
            acc = ACC_IND_R
        elif name == "IDXM_M_A":
            acc = ACC_IND_W
        elif name in ("CALL", "PUSHAF"):
            acc = ACC_PUSH
        elif name in ("RET", "RETI", "RET_K", "POPAF"):
            acc = ACC_POP
        elif "IO" in ops:
            reads = name not in ("MOV_IO_A",)
            writes = name in ("MOV_IO_A", "XOR_IO_A", "SET0_IO", "SET1_IO")
            acc = (ACC_IO_R if reads else 0) | (ACC_IO_W if writes else 0)
        elif "M" in ops or "M4" in ops:
            reads = name not in ("MOV_M_A", "CLEAR_M")
            writes = ops[0] in ("M", "M4") and name not in ("T0SN_M", "T1SN_M", "CEQSN_A_M")
            writes = writes or name == "XCH_M"
            acc = (ACC_RAM_R if reads else 0) | (ACC_RAM_W if writes else 0)
        table[isa.OP_ID[name]] = acc
    return table


ACCESS = _access_table()


SIG_IO, SIG_CATCH_UP, SIG_LOG, SIG_CHANGES = 1, 2, 4, 8


def _signal_ops() -> np.ndarray:
    """What the signal log needs around each op: SIG_CATCH_UP (catch the peripherals up
    through the log first: the op may catch them up itself, or act on their present),
    SIG_LOG (log what it changed after it), SIG_CHANGES (it may change what the
    peripherals do next: forget meta[M_NEXT]), SIG_IO (an IO access: FLAG, SP and the
    reserved 0x01 need none of this, the core checks ``m > IO_SP``)."""
    table = np.zeros(256, dtype=np.uint8)
    for instr in isa.INSTRUCTIONS:
        op = isa.OP_ID[instr.op]
        if ACCESS[op] & ACC_IO_R:
            table[op] = SIG_IO | SIG_CATCH_UP
        if ACCESS[op] & ACC_IO_W:  # SIG_CHANGES by address: see signal_words
            table[op] = SIG_IO | SIG_CATCH_UP | SIG_LOG
    for name in ("LDT16", "STOPSYS", "WDRESET"):  # wdreset only delays a time-out
        table[isa.OP_ID[name]] = SIG_CATCH_UP
    for name in ("STT16", "STOPEXE"):
        table[isa.OP_ID[name]] = SIG_CATCH_UP | SIG_CHANGES
    table[OP_RESET] = SIG_CATCH_UP | SIG_LOG | SIG_CHANGES
    return table


SIGNAL_OPS = _signal_ops()


def signal_words(prog: np.ndarray) -> np.ndarray:
    """SIGNAL_OPS per ROM word of the predecoded `prog` (uint8[len(prog)]), 0 for IO
    accesses of FLAG, SP and 0x01: the third array of the core's `edges` argument."""
    op = prog & 0xFF
    address = (prog.astype(np.int64) >> 8) & 0x3FF  # int64: WRITE_REPLAN has bit 31 (ILRCR)
    table = SIGNAL_OPS[op].astype(np.int64)
    is_io = table & SIG_IO != 0
    # a write of a register that changes peripheral timing (the core re-plans after it)
    replan = is_io & (table & SIG_LOG != 0) & ((WRITE_REPLAN >> (address & 0x1F)) & 1 == 1)
    table = np.where(replan, table | SIG_CHANGES, table)
    return np.where(is_io & (address <= IO_SP), 0, table).astype(np.uint8)


@njit(cache=True, _nrt=False)
def _watch_hit(op, m, ram, sp, watch):
    """address | kind << 8 of the first watched access op is about to make, else -1."""
    acc = ACCESS[op]
    if acc == 0:
        return -1
    if acc & (ACC_RAM_R | ACC_RAM_W):
        if acc & ACC_RAM_R and watch[m] & 1:
            return m | 1 << 8
        if acc & ACC_RAM_W and watch[m] & 2:
            return m | 2 << 8
    elif acc & (ACC_IO_R | ACC_IO_W):
        if acc & ACC_IO_R and watch[64 + m] & 1:
            return (64 + m) | 1 << 8
        if acc & ACC_IO_W and watch[64 + m] & 2:
            return (64 + m) | 2 << 8
    elif acc & (ACC_WORD_R | ACC_WORD_W):
        kind = 1 if acc & ACC_WORD_R else 2
        for addr in (m, m + 1):
            if watch[addr] & kind:
                return addr | kind << 8
    elif acc & (ACC_IND_R | ACC_IND_W):
        if watch[m] & 1:
            return m | 1 << 8
        ptr = ram[m] & 0x3F
        kind = 1 if acc & ACC_IND_R else 2
        if watch[ptr] & kind:
            return ptr | kind << 8
    elif acc & ACC_PUSH:
        for addr in (sp & 0x3F, (sp + 1) & 0x3F):
            if watch[addr] & 2:
                return addr | 2 << 8
    else:
        for addr in ((sp - 2) & 0x3F, (sp - 1) & 0x3F):
            if watch[addr] & 1:
                return addr | 1 << 8
    return -1


# -- firmware checks and data conditions (debug variants, see the module docstring) --------


@njit(cache=True, _nrt=False, inline="always")
def _log_check(log, regs, kind, pc, value, t):
    """Append a finding of the instruction at `pc` that starts at cycle `t`."""
    n = regs[R_CHECK_COUNT]
    log[n, 0] = kind
    log[n, 1] = pc
    log[n, 2] = value
    log[n, 3] = t
    regs[R_CHECK_COUNT] = n + 1


@njit(cache=True, _nrt=False, inline="always")
def _first_read(addr, shadow, log, regs, pc, t):
    """1 (and a finding) when RAM `addr` was never written since the check began; a byte
    is reported once: after its first read it counts as settled."""
    if shadow[addr]:
        return 0
    shadow[addr] = 1
    _log_check(log, regs, CHECK_UNINITIALISED, pc, addr, t)
    return 1


@njit(cache=True, _nrt=False, inline="always")
def _check_access(op, m, ram, sp, shadow, log, armed, regs, pc, t, stack_checks):
    """The firmware checks of what `op` at `pc`, starting at cycle `t`, is about to touch
    (RAM and state as they are before it executes): a read of a byte never written is a
    finding, a write settles the byte. Returns the findings logged, or -1 when the log has
    no room for the two rows an instruction may need (the core then stops before it; the
    Machine empties the log).

    Only words whose ``armed`` byte is set come here: every word with a RAM access and
    every IO write of SP, at first. A word that addresses RAM directly has nothing more to
    report once its bytes are settled, so it is disarmed then; indirect and stack accesses
    stay armed."""
    acc = ACCESS[op]
    if regs[R_CHECK_COUNT] + 2 > log.shape[0]:
        return -1
    n = 0
    if acc & (ACC_RAM_R | ACC_RAM_W):
        if acc & ACC_RAM_R:
            n += _first_read(m & 0x3F, shadow, log, regs, pc, t)
        shadow[m & 0x3F] = 1
        armed[pc] = 0
    elif acc & ACC_WORD_R:
        n += _first_read(m & 0x3F, shadow, log, regs, pc, t)
        n += _first_read((m + 1) & 0x3F, shadow, log, regs, pc, t)
        armed[pc] = 0
    elif acc & ACC_WORD_W:
        shadow[m & 0x3F] = 1
        shadow[(m + 1) & 0x3F] = 1
        armed[pc] = 0
    elif acc & (ACC_IND_R | ACC_IND_W):
        n += _first_read(m & 0x3F, shadow, log, regs, pc, t)
        ptr = ram[m & 0x3F] & 0x3F
        if acc & ACC_IND_R:
            n += _first_read(ptr, shadow, log, regs, pc, t)
        else:
            shadow[ptr] = 1
    elif acc & ACC_PUSH:
        if not (stack_checks and sp > 0x3E):  # else refused: nothing is written
            shadow[sp & 0x3F] = 1
            shadow[(sp + 1) & 0x3F] = 1
    elif acc & ACC_POP:
        if not (stack_checks and sp < 2):
            n += _first_read((sp - 2) & 0x3F, shadow, log, regs, pc, t)
            n += _first_read((sp - 1) & 0x3F, shadow, log, regs, pc, t)
    # an IO write of SP: the room above is for its finding (the IO branch of run logs it)
    return n


@njit(cache=True, _nrt=False, inline="always")
def _cond_value(row, ram, io, regs, a, flags, sp, pc, t):
    """The value a condition row looks at, after its shift and mask."""
    space = row[COND_SPACE]
    addr = row[COND_ADDRESS]
    if space == SPACE_RAM:
        size = row[COND_SIZE]
        v = np.int64(0)
        for i in range(size):
            v |= np.int64(ram[(addr + i) & 0x3F]) << (8 * i)
        if row[COND_SIGNED] and size < 8 and v >> (8 * size - 1) & 1:
            v -= np.int64(1) << (8 * size)
    elif space == SPACE_IO:
        if addr == IO_FLAG:
            v = 0xF0 | flags
        elif addr == IO_SP:
            v = sp
        elif addr == IO_PA:
            catch_up(regs, io, t)  # exact: nothing observable happens before next_event
            v = pa_read(regs, io)
        else:
            if addr == IO_TM2CT:
                catch_up(regs, io, t)
            v = np.int64(io[addr & 0x1F])
    elif space == SPACE_A:
        v = a
    elif space == SPACE_FLAGS:
        v = flags
    elif space == SPACE_SP:
        v = sp
    elif space == SPACE_PC:
        v = pc
    elif space == SPACE_GIE:
        v = regs[R_GIE]
    else:  # SPACE_PINS
        catch_up(regs, io, t)
        v = pin_levels(regs, io)
    return (v >> row[COND_SHIFT]) & row[COND_MASK]


@njit(cache=True, _nrt=False, inline="always")
def _cond_holds(row, v):
    k = row[COND_OPERAND]
    op = row[COND_OP]
    if op == OP_EQ:
        return v == k
    if op == OP_LT:
        return v < k
    if op == OP_LE:
        return v <= k
    if op == OP_GT:
        return v > k
    if op == OP_GE:
        return v >= k
    return v != k


@njit(cache=True, _nrt=False, inline="always")
def _cond_hit(conds, ram, io, regs, a, flags, sp, pc, t):
    """The group number of the first conjunction of rows that all hold, else -1."""
    n = conds.shape[0]
    i = 0
    while i < n:
        group = conds[i, COND_GROUP]
        holds = True
        while i < n and conds[i, COND_GROUP] == group:
            if holds:
                v = _cond_value(conds[i], ram, io, regs, a, flags, sp, pc, t)
                holds = _cond_holds(conds[i], v)
            i += 1
        if holds:
            return group
    return -1


# -- ALU ---------------------------------------------------------------------------------


@njit(cache=True, _nrt=False)
def alu_add(x, y, c):
    """(result, flags) of x + y + c, flags = OV AC C Z (pdk13-reference 2.2)."""
    s = x + y + c
    r = s & 0xFF
    z = 1 if r == 0 else 0
    ac = ((x & 0xF) + (y & 0xF) + c) >> 4
    ov = (((x ^ r) & (y ^ r)) >> 7) & 1
    return r, z | (s >> 8) << 1 | ac << 2 | ov << 3


@njit(cache=True, _nrt=False)
def alu_sub(x, y, c):
    """(result, flags) of x - y - c; C and AC are borrows."""
    d = x - y - c
    r = d & 0xFF
    z = 1 if r == 0 else 0
    cy = 1 if d < 0 else 0
    ac = 1 if (x & 0xF) - (y & 0xF) - c < 0 else 0
    ov = (((x ^ y) & (x ^ r)) >> 7) & 1
    return r, z | cy << 1 | ac << 2 | ov << 3


@njit(cache=True, _nrt=False)
def _count(regs, profile, pc, cyc):
    profile[0, pc] += 1
    profile[1, pc] += cyc
    regs[R_INSTRUCTIONS] += 1


@njit(cache=True, _nrt=False)
def _io_value(regs, io, addr, flags, sp, t):
    """IO register `addr` as an instruction at cycle `t` reads it; FLAG and SP are the
    core's locals, passed in."""
    if addr == IO_FLAG:
        return np.int64(0xF0 | flags)
    if addr == IO_SP:
        return np.int64(sp)
    return np.int64(io_read(regs, io, addr, t))


@njit(cache=True, _nrt=False)
def _edges_before(regs, io, edges, t):
    """Before an op of SIGNAL_OPS at cycle `t` >= meta[M_NEXT] (before it nothing
    logged can have happened): log what the peripherals changed up to t, so the op's own
    catch-up crosses no logged change. True when a stop signal changed (the service
    plans the flips a device answers as events, so this is a safety net)."""
    catch_up_logged(regs, io, t, edges)
    return edges[1][M_HIT] != 0


@njit(cache=True, _nrt=False)
def _log_write(regs, io, edges, t, sig):
    """After an IO write or reset at cycle `t` (its SIGNAL_OPS word `sig`): forget the
    planned quiet time if the write changes peripheral timing, log the changed signals.
    True when the core must see its service at the next boundary: a stop signal changed,
    or the rows left besides those kept for planned flips fall below EDGE_ROOM (the
    service then plans again, or returns ST_EDGES_FULL; one write logs at most 25 rows)."""
    meta = edges[1]
    if sig & SIG_CHANGES:
        meta[M_NEXT] = 0
    if sig & SIG_LOG:
        log_signals(regs, io, edges, t)
    return meta[M_HIT] != 0 or not has_room_for_writes(edges)


# -- the boundary service -----------------------------------------------------------------


@njit(cache=True, _nrt=False)
def service(regs, io, ram, sched, end, stack_checks, edges=None, entry_is_a_step=False):
    """Everything that happens at an instruction boundary besides executing: catch the
    peripherals up, stop at the run's end, apply due pin changes, enter an interrupt, sleep
    through stopexe; then plan the next event. Returns ST_RUN to let the CPU execute.

    With `entry_is_a_step` (the data-condition variant) it returns right after an interrupt
    entry, with the next event due at once: the entry is a step of its own, as
    Machine.step makes it, so the next boundary's pin changes come after the core has
    looked at the state the entry left.

    With the signal log (`edges`, see peripherals/signals.py) every change on the way is
    logged; the service returns ST_EDGES_FULL before it does anything when the log has too
    little room, and ST_EDGE_STOP after a change of a stop signal. Both are safe to call
    again at the same cycle: what was done is not done twice."""
    while True:
        t = regs[R_CYCLES]
        if edges is not None:
            if not has_room(edges):
                return ST_EDGES_FULL
            catch_up_logged(regs, io, t, edges)
            if edges[1][M_HIT]:
                return ST_EDGE_STOP
        catch_up(regs, io, t)
        if t >= end:
            return ST_LIMIT
        if edges is not None:
            head = regs[R_SCHED_HEAD]
        apply_schedule(regs, io, sched, t)
        if edges is not None:
            if regs[R_SCHED_HEAD] != head:  # host changes: pins, maybe timer counts
                edges[1][M_NEXT] = 0
                log_signals(regs, io, edges, t)
                if edges[1][M_HIT]:
                    return ST_EDGE_STOP
        mode = regs[R_MODE]
        if mode == MODE_STOPSYS:
            return ST_STOPSYS
        if mode == MODE_CLOCK_STOPPED:
            return ST_CLOCK_STOPPED
        if mode == MODE_WAKING or mode == MODE_BOOTING:  # the CPU waits tWUP or tSBP
            hold = regs[R_HOLD_END]
            if hold < 0:  # woken in the cycle that ended here: tWUP counts from now
                hold = t + wake_cycles(regs, io)
                regs[R_HOLD_END] = hold
            if t < hold:
                nxt = next_event(regs, io, sched, end, False)
                regs[R_CYCLES] = min(nxt, hold)
                continue
            regs[R_MODE] = MODE_RUNNING
            mode = MODE_RUNNING
        if mode == MODE_RUNNING and regs[R_GIE] and io[IO_INTEN] & io[IO_INTRQ]:
            sp = regs[R_SP]
            if stack_checks and sp > 0x3E:
                return ST_STACK
            pc = regs[R_PC] & PC_MASK
            ram[sp & 0x3F] = pc & 0xFF
            ram[(sp + 1) & 0x3F] = pc >> 8
            sp = (sp + 2) & 0xFF
            regs[R_SP] = sp
            if sp > regs[R_STACK_MAX]:
                regs[R_STACK_MAX] = sp
            regs[R_GIE] = 0
            regs[R_PC] = INTERRUPT_VECTOR
            regs[R_CYCLES] = t + INTERRUPT_ENTRY_CYCLES
            if entry_is_a_step:
                regs[R_NEXT_EVENT] = 0
                return ST_RUN
            continue
        nxt = next_event(regs, io, sched, end, mode == MODE_STOPEXE)
        if edges is not None:
            # nothing logged happens before the first flip or the core's next event; the
            # core looks again before the flips could fill the log
            first, bound, flips = plan_flips(regs, io, edges)
            if edges[1][M_STOP] & (TM2_BIT | tm2_pin_bit(io)):
                bound = first  # a device answers each flip: every one is an event
                flips = 1
            edges[1][M_RESERVE] = 2 * flips
            sync = regs[R_SYNC]
            edges[1][M_NEXT] = nxt if first < 0 else min(nxt, sync + first)
            if mode == MODE_STOPEXE:
                edges[1][M_NEXT] = 0  # a wake-up may change what the timers do
            if bound >= 0 and sync + bound < nxt:
                nxt = sync + bound
        if mode == MODE_STOPEXE:
            regs[R_CYCLES] = nxt
            continue
        regs[R_NEXT_EVENT] = nxt
        return ST_RUN


# -- translated code (pms150c/translator.py) ----------------------------------------------


@intrinsic
def _enter_translation(typingctx, address, ram, regs, prog, limit, checks):
    """Call the translated function at `address`, a run-time value, so the compiled
    interpreter holds no address and its cache serves every ROM. The function runs whole
    stretches of compiled code while ``cycles + remaining[pc] <= limit``, with the CPU
    state in ``regs`` (R_A, R_PC, R_FLAGS, R_SP, R_CYCLES in and out)."""
    sig = types.void(address, ram, regs, prog, limit, checks)

    def codegen(context, builder, signature, args):
        addr, ram_v, regs_v, prog_v, lim, chk = args
        pointers = [
            context.make_array(signature.args[i])(context, builder, v).data
            for i, v in ((1, ram_v), (2, regs_v), (3, prog_v))
        ]
        i64 = ir.IntType(64)
        argtypes = [
            ir.IntType(8).as_pointer(),
            i64.as_pointer(),
            ir.IntType(32).as_pointer(),
            i64,
            ir.IntType(1),
        ]
        fn = builder.inttoptr(addr, ir.FunctionType(ir.VoidType(), argtypes).as_pointer())
        values = [builder.bitcast(p, t) for p, t in zip(pointers, argtypes, strict=False)]
        values += [lim, context.cast(builder, chk, signature.args[5], types.boolean)]
        builder.call(fn, values)
        return context.get_dummy_value()

    return sig, codegen


# -- the interpreter loop ----------------------------------------------------------------


@njit(cache=True, _nrt=False)
def run(
    prog, ram, io, regs, sched, end, stack_checks, dbg, blocks=None, checks=None, conds=None,
    edges=None,
):  # fmt: skip
    """Run until cycles >= end, stopsys, a breakpoint/watchpoint or an error; return ST_*.

    `blocks` is None (the plain interpreter: Numba prunes the branch) or a translation's
    ``(address, remaining)`` (pms150c/translator.py), entered wherever a whole stretch of
    compiled code ends before the next event; the instructions it leaves out run here.
    `checks` (the firmware checks) and `conds` (data conditions) are None or the arrays of
    the module docstring; each is pruned when None, so every combination is its own
    variant and the plain one carries none of them. `edges` is None or the signal log
    ``(rows, meta, signal_words(prog))`` of peripherals/signals.py: the service logs the
    peripherals' changes (and plans an event before flips could fill the log); the ops
    of SIGNAL_OPS, in their own branches (no cost per instruction), catch up through the
    log first and log what they wrote. The service returns ST_EDGES_FULL when the log is
    nearly full and ST_EDGE_STOP after a stop signal changed; an op that leaves either
    condition behind sends the core to the service at the next boundary."""
    a = regs[R_A]
    pc = regs[R_PC] & PC_MASK  # in range: no negative-index fix-up on prog[pc]
    flags = regs[R_FLAGS]
    sp = regs[R_SP]
    cycles = regs[R_CYCLES]
    next_ev = 0
    status = ST_LIMIT
    hit = -1
    steps = 0  # instructions executed by the fast variant (the debug one counts in _count)
    force = 1  # conds variant: evaluate after the next instruction whatever its word
    if edges is not None:
        edges[1][M_NEXT] = 0  # the host may have changed anything since the last run
        log_signals(regs, io, edges, cycles)  # and what it changed is logged now
    while True:
        if cycles >= next_ev:
            regs[R_A] = a
            regs[R_PC] = pc
            regs[R_FLAGS] = flags
            regs[R_SP] = sp
            regs[R_CYCLES] = cycles
            gie = 0  # GIE before the service: an interrupt entry clears it
            if checks is not None:
                gie = regs[R_GIE]
            if conds is not None:
                gie = regs[R_GIE]
            st = service(regs, io, ram, sched, end, stack_checks, edges, conds is not None)
            a = regs[R_A]
            pc = regs[R_PC] & PC_MASK
            flags = regs[R_FLAGS]
            sp = regs[R_SP]
            cycles = regs[R_CYCLES]
            entered = gie != 0 and regs[R_GIE] == 0 and pc == INTERRUPT_VECTOR
            if checks is not None:
                if entered:  # the entry pushed the return address: those bytes are written
                    checks[0][(sp - 2) & 0x3F] = 1
                    checks[0][(sp - 1) & 0x3F] = 1
            if conds is not None:
                force = 1  # the service may have changed anything (a reset, pins, time)
                if entered:  # an entry is a step of its own, as an instruction is
                    group = _cond_hit(conds[0], ram, io, regs, a, flags, sp, pc, cycles)
                    if group >= 0:
                        regs[R_WATCH_INFO] = group
                        regs[R_WATCH_PC] = -1  # no instruction: the interrupt entry
                        status = ST_CONDITION
                        break
                    next_ev = 0  # the service returned after the entry: its boundary next
                    continue
            if st != ST_RUN:
                status = st
                break
            next_ev = regs[R_NEXT_EVENT]

        if blocks is not None:
            address, remaining = blocks
            r = remaining[pc]
            if r != 0 and cycles + r <= next_ev:
                regs[R_A] = a
                regs[R_PC] = pc
                regs[R_FLAGS] = flags
                regs[R_SP] = sp
                regs[R_CYCLES] = cycles
                _enter_translation(address, ram, regs, prog, next_ev, stack_checks)
                a = regs[R_A]
                pc = regs[R_PC]
                flags = regs[R_FLAGS]
                sp = regs[R_SP]
                cycles = regs[R_CYCLES]
                if cycles >= next_ev:
                    continue

        code = prog[pc]
        op = code & 0xFF
        m = (code >> 8) & 0x3FF
        old = pc
        pc = (pc + 1) & PC_MASK
        cyc = (code >> 26) & 3
        if dbg is not None:
            watch, trace, profile, rom = dbg
            if trace.shape[0]:
                row = regs[R_TRACE_COUNT] % trace.shape[0]
                trace[row, 0] = old
                trace[row, 1] = rom[old]
                trace[row, 2] = a
                trace[row, 3] = flags
                trace[row, 4] = sp
                trace[row, 5] = cycles
                regs[R_TRACE_COUNT] += 1
            if op < OP_BREAK:
                hit = _watch_hit(op, m, ram, sp, watch)
        if checks is not None:
            shadow, log, armed = checks
            if armed[old]:
                room = _check_access(
                    op, m, ram, sp, shadow, log, armed, regs, old, cycles, stack_checks
                )
                if room < 0:
                    pc = old
                    status = ST_CHECK_FULL
                    break

        # ---- data movement and arithmetic on RAM (the common case first) ----
        if op == OP_MOV_A_M:
            a = np.int64(ram[m])
            flags = (flags & 0xE) | (1 if a == 0 else 0)
        elif op == OP_MOV_M_A:
            ram[m] = a
        elif op == OP_MOV_A_K:
            a = m & 0xFF
        elif op == OP_ADD_M_A:
            r, flags = alu_add(np.int64(ram[m]), a, 0)
            ram[m] = r
        elif op == OP_ADDC_M_A:
            r, flags = alu_add(np.int64(ram[m]), a, (flags >> 1) & 1)
            ram[m] = r
        elif op == OP_ADD_A_M:
            a, flags = alu_add(a, np.int64(ram[m]), 0)
        elif op == OP_ADDC_A_M:
            a, flags = alu_add(a, np.int64(ram[m]), (flags >> 1) & 1)
        elif op == OP_GOTO:
            pc = m
        elif op == OP_DZSN_M:
            r, flags = alu_sub(np.int64(ram[m]), 1, 0)
            ram[m] = r
            if r == 0:
                pc = (pc + 1) & PC_MASK
                cyc = (code >> 28) & 3
        elif op == OP_IZSN_M:
            r, flags = alu_add(np.int64(ram[m]), 1, 0)
            ram[m] = r
            if r == 0:
                pc = (pc + 1) & PC_MASK
                cyc = (code >> 28) & 3
        elif op == OP_IDXM_A_M:
            a = np.int64(ram[ram[m] & 0x3F])
        elif op == OP_IDXM_M_A:
            ram[ram[m] & 0x3F] = a
        elif op == OP_T0SN_M:
            if ram[m] & (code >> 18) & 0xFF == 0:
                pc = (pc + 1) & PC_MASK
                cyc = (code >> 28) & 3
        elif op == OP_T1SN_M:
            if ram[m] & (code >> 18) & 0xFF != 0:
                pc = (pc + 1) & PC_MASK
                cyc = (code >> 28) & 3
        elif op == OP_SET0_M:
            ram[m] = ram[m] & ~((code >> 18) & 0xFF)
        elif op == OP_SET1_M:
            ram[m] = ram[m] | ((code >> 18) & 0xFF)
        elif op == OP_INC_M:
            r, flags = alu_add(np.int64(ram[m]), 1, 0)
            ram[m] = r
        elif op == OP_DEC_M:
            r, flags = alu_sub(np.int64(ram[m]), 1, 0)
            ram[m] = r
        elif op == OP_ADDC_M:
            r, flags = alu_add(np.int64(ram[m]), 0, (flags >> 1) & 1)
            ram[m] = r
        elif op == OP_SUBC_M:
            r, flags = alu_sub(np.int64(ram[m]), 0, (flags >> 1) & 1)
            ram[m] = r
        elif op == OP_SUB_M_A:
            r, flags = alu_sub(np.int64(ram[m]), a, 0)
            ram[m] = r
        elif op == OP_SUBC_M_A:
            r, flags = alu_sub(np.int64(ram[m]), a, (flags >> 1) & 1)
            ram[m] = r
        elif op == OP_SUB_A_M:
            a, flags = alu_sub(a, np.int64(ram[m]), 0)
        elif op == OP_SUBC_A_M:
            a, flags = alu_sub(a, np.int64(ram[m]), (flags >> 1) & 1)
        elif op == OP_AND_M_A:
            r = ram[m] & a
            ram[m] = r
            flags = (flags & 0xE) | (1 if r == 0 else 0)
        elif op == OP_OR_M_A:
            r = ram[m] | a
            ram[m] = r
            flags = (flags & 0xE) | (1 if r == 0 else 0)
        elif op == OP_XOR_M_A:
            r = ram[m] ^ a
            ram[m] = r
            flags = (flags & 0xE) | (1 if r == 0 else 0)
        elif op == OP_AND_A_M:
            a = a & ram[m]
            flags = (flags & 0xE) | (1 if a == 0 else 0)
        elif op == OP_OR_A_M:
            a = a | ram[m]
            flags = (flags & 0xE) | (1 if a == 0 else 0)
        elif op == OP_XOR_A_M:
            a = a ^ ram[m]
            flags = (flags & 0xE) | (1 if a == 0 else 0)
        elif op == OP_CLEAR_M:
            ram[m] = 0
        elif op == OP_XCH_M:
            r = np.int64(ram[m])
            ram[m] = a
            a = r
        elif op == OP_NOT_M:
            r = ~np.int64(ram[m]) & 0xFF
            ram[m] = r
            flags = (flags & 0xE) | (1 if r == 0 else 0)
        elif op == OP_NEG_M:
            r = -np.int64(ram[m]) & 0xFF
            ram[m] = r
            flags = (flags & 0xE) | (1 if r == 0 else 0)
        elif op == OP_SR_M:
            r = np.int64(ram[m])
            flags = (flags & 0xD) | (r & 1) << 1
            ram[m] = r >> 1
        elif op == OP_SL_M:
            r = np.int64(ram[m])
            flags = (flags & 0xD) | (r >> 7) << 1
            ram[m] = (r << 1) & 0xFF
        elif op == OP_SRC_M:
            r = np.int64(ram[m])
            ram[m] = (r >> 1) | (flags & 2) << 6
            flags = (flags & 0xD) | (r & 1) << 1
        elif op == OP_SLC_M:
            r = np.int64(ram[m])
            ram[m] = ((r << 1) & 0xFF) | (flags >> 1) & 1
            flags = (flags & 0xD) | (r >> 7) << 1
        elif op == OP_CEQSN_A_M:
            r, flags = alu_sub(a, np.int64(ram[m]), 0)
            if r == 0:
                pc = (pc + 1) & PC_MASK
                cyc = (code >> 28) & 3
        # ---- accumulator and literal ----
        elif op == OP_ADD_A_K:
            a, flags = alu_add(a, m & 0xFF, 0)
        elif op == OP_SUB_A_K:
            a, flags = alu_sub(a, m & 0xFF, 0)
        elif op == OP_CEQSN_A_K:
            r, flags = alu_sub(a, m & 0xFF, 0)
            if r == 0:
                pc = (pc + 1) & PC_MASK
                cyc = (code >> 28) & 3
        elif op == OP_AND_A_K:
            a = a & m
            flags = (flags & 0xE) | (1 if a == 0 else 0)
        elif op == OP_OR_A_K:
            a = a | (m & 0xFF)
            flags = (flags & 0xE) | (1 if a == 0 else 0)
        elif op == OP_XOR_A_K:
            a = a ^ (m & 0xFF)
            flags = (flags & 0xE) | (1 if a == 0 else 0)
        elif op == OP_ADDC_A:
            a, flags = alu_add(a, 0, (flags >> 1) & 1)
        elif op == OP_SUBC_A:
            a, flags = alu_sub(a, 0, (flags >> 1) & 1)
        elif op == OP_IZSN_A:
            a, flags = alu_add(a, 1, 0)
            if a == 0:
                pc = (pc + 1) & PC_MASK
                cyc = (code >> 28) & 3
        elif op == OP_DZSN_A:
            a, flags = alu_sub(a, 1, 0)
            if a == 0:
                pc = (pc + 1) & PC_MASK
                cyc = (code >> 28) & 3
        elif op == OP_NOT_A:
            a = ~a & 0xFF
            flags = (flags & 0xE) | (1 if a == 0 else 0)
        elif op == OP_NEG_A:
            a = -a & 0xFF
            flags = (flags & 0xE) | (1 if a == 0 else 0)
        elif op == OP_SR_A:
            flags = (flags & 0xD) | (a & 1) << 1
            a = a >> 1
        elif op == OP_SL_A:
            flags = (flags & 0xD) | (a >> 7) << 1
            a = (a << 1) & 0xFF
        elif op == OP_SRC_A:
            r = a
            a = (a >> 1) | (flags & 2) << 6
            flags = (flags & 0xD) | (r & 1) << 1
        elif op == OP_SLC_A:
            r = a
            a = ((a << 1) & 0xFF) | (flags >> 1) & 1
            flags = (flags & 0xD) | (r >> 7) << 1
        elif op == OP_SWAP_A:
            a = ((a << 4) & 0xF0) | (a >> 4)
        elif op == OP_PCADD_A:
            pc = (old + a) & PC_MASK
        elif op == OP_NOP:
            pass
        # ---- calls and the stack ----
        elif op == OP_CALL:
            if stack_checks and sp > 0x3E:
                pc = old
                status = ST_STACK
                break
            ram[sp & 0x3F] = pc & 0xFF
            ram[(sp + 1) & 0x3F] = pc >> 8
            sp = (sp + 2) & 0xFF
            if sp > regs[R_STACK_MAX]:
                regs[R_STACK_MAX] = sp
            pc = m
        elif op == OP_RET or op == OP_RET_K or op == OP_RETI:
            if stack_checks and sp < 2:
                pc = old
                status = ST_STACK
                break
            sp = (sp - 2) & 0xFF
            pc = (ram[sp & 0x3F] | np.int64(ram[(sp + 1) & 0x3F]) << 8) & PC_MASK
            if op == OP_RET_K:
                a = m & 0xFF
            elif op == OP_RETI:
                regs[R_GIE] = 1
                if io[IO_INTEN] & io[IO_INTRQ]:  # INTRQ is exact before next_ev
                    next_ev = 0
        elif op == OP_PUSHAF:
            if stack_checks and sp > 0x3E:
                pc = old
                status = ST_STACK
                break
            ram[sp & 0x3F] = a
            ram[(sp + 1) & 0x3F] = 0xF0 | flags
            sp = (sp + 2) & 0xFF
            if sp > regs[R_STACK_MAX]:
                regs[R_STACK_MAX] = sp
        elif op == OP_POPAF:
            if stack_checks and sp < 2:
                pc = old
                status = ST_STACK
                break
            sp = (sp - 2) & 0xFF
            a = np.int64(ram[sp & 0x3F])
            flags = np.int64(ram[(sp + 1) & 0x3F]) & 0xF
        # ---- IO ----
        elif op == OP_MOV_A_IO:
            if edges is not None:
                if edges[2][old] and cycles >= edges[1][M_NEXT]:
                    if _edges_before(regs, io, edges, cycles):
                        next_ev = 0  # a device answers at the next boundary
            a = _io_value(regs, io, m, flags, sp, cycles)
            flags = (flags & 0xE) | (1 if a == 0 else 0)
        elif op == OP_MOV_IO_A or op == OP_XOR_IO_A or op == OP_SET0_IO or op == OP_SET1_IO:
            if edges is not None:
                if edges[2][old] and cycles >= edges[1][M_NEXT]:
                    if _edges_before(regs, io, edges, cycles):
                        next_ev = 0  # a device answers at the next boundary
            if op == OP_MOV_IO_A:
                v = a
            else:
                v = _io_value(regs, io, m, flags, sp, cycles)
                if op == OP_XOR_IO_A:
                    v = v ^ a
                elif op == OP_SET0_IO:
                    v = v & ~((code >> 18) & 0xFF)
                else:
                    v = v | ((code >> 18) & 0xFF)
            if m == IO_FLAG:
                flags = v & 0xF
            elif m == IO_SP:
                sp = v & 0xFF
                if checks is not None:
                    if sp > RAM_BYTES:  # room was made by _check_access
                        _log_check(checks[1], regs, CHECK_SP_OUTSIDE, old, sp, cycles)
            elif io_write(regs, io, m, v, cycles):
                next_ev = 0
                if regs[R_MODE] == MODE_CLOCK_STOPPED:  # the write left no system clock
                    if edges is not None:  # the write, at the cycle the instruction starts
                        _log_write(regs, io, edges, cycles, edges[2][old])
                    regs[R_SYNC] = cycles + cyc  # it completes, with no peripheral ticks
                    regs[R_CLOCK_STOP_PC] = old
                    if watchdog_ends_clock_stop(regs, io, cycles + cyc):
                        a = regs[R_A]  # 0, or drawn with undefined="random"; as `reset`
                        pc = 0
                        flags = regs[R_FLAGS]
                        sp = regs[R_SP]
                        if edges is not None:  # the reset, where the instruction ends
                            log_signals(regs, io, edges, cycles + cyc)
                    else:  # a hang ends the run as stopsys does
                        cycles += cyc
                        if dbg is not None:
                            _count(regs, dbg[2], old, cyc)
                        else:
                            steps += 1
                        status = ST_CLOCK_STOPPED
                        break
            if edges is not None:
                if _log_write(regs, io, edges, cycles, edges[2][old]):
                    next_ev = 0  # the next boundary's service stops or empties the log
        elif op == OP_T0SN_IO or op == OP_T1SN_IO:
            if edges is not None:
                if edges[2][old] and cycles >= edges[1][M_NEXT]:
                    if _edges_before(regs, io, edges, cycles):
                        next_ev = 0  # a device answers at the next boundary
            v = _io_value(regs, io, m, flags, sp, cycles)
            bit = 1 if v & ((code >> 18) & 0xFF) else 0
            if bit == (1 if op == OP_T1SN_IO else 0):
                pc = (pc + 1) & PC_MASK
                cyc = (code >> 28) & 3
        elif op == OP_LDT16:
            if edges is not None:
                if edges[2][old] and cycles >= edges[1][M_NEXT]:
                    if _edges_before(regs, io, edges, cycles):
                        next_ev = 0  # a device answers at the next boundary
            catch_up(regs, io, cycles)
            t16 = regs[R_T16]
            ram[m] = t16 & 0xFF
            ram[m + 1] = t16 >> 8
        elif op == OP_STT16:
            if edges is not None:
                if edges[2][old] and cycles >= edges[1][M_NEXT]:
                    if _edges_before(regs, io, edges, cycles):
                        next_ev = 0  # a device answers at the next boundary
            catch_up(regs, io, cycles)
            regs[R_T16] = ram[m] | np.int64(ram[m + 1]) << 8
            next_ev = 0
            if edges is not None:
                edges[1][M_NEXT] = 0  # a Timer16 request may come sooner
        # ---- system ----
        elif op == OP_ENGINT:
            regs[R_GIE] = 1
            if io[IO_INTEN] & io[IO_INTRQ]:  # else the planned next event still holds
                next_ev = 0
        elif op == OP_DISGINT:
            regs[R_GIE] = 0
        elif op == OP_WDRESET:
            if edges is not None:
                if edges[2][old] and cycles >= edges[1][M_NEXT]:
                    if _edges_before(regs, io, edges, cycles):
                        next_ev = 0  # a device answers at the next boundary
            if wdt_enabled(io):
                catch_up(regs, io, cycles)
                next_ev = 0
            regs[R_WDT] = 0  # a stopped watchdog does not count: nothing to catch up
        elif op == OP_STOPSYS:
            if edges is not None:
                if edges[2][old] and cycles >= edges[1][M_NEXT]:
                    if _edges_before(regs, io, edges, cycles):
                        next_ev = 0  # a device answers at the next boundary
            # run() returns right after stopsys, before the next boundary's pin changes
            # no clock runs in power-down, not even during stopsys's own cycle
            catch_up(regs, io, cycles)
            regs[R_MODE] = MODE_STOPSYS
            cycles += cyc
            regs[R_SYNC] = cycles
            if dbg is not None:
                _count(regs, dbg[2], old, cyc)
            else:
                steps += 1
            status = ST_STOPSYS
            break
        elif op == OP_STOPEXE:
            if edges is not None:
                if edges[2][old] and cycles >= edges[1][M_NEXT]:
                    if _edges_before(regs, io, edges, cycles):
                        next_ev = 0  # a device answers at the next boundary
            # requests made while running (lazily pending) must not wake the sleep
            catch_up(regs, io, cycles)
            regs[R_MODE] = MODE_STOPEXE
            next_ev = 0
            if edges is not None:
                edges[1][M_NEXT] = 0  # asleep, the timers may act otherwise
        elif op == OP_RESET:
            if edges is not None:
                if edges[2][old] and cycles >= edges[1][M_NEXT]:
                    if _edges_before(regs, io, edges, cycles):
                        next_ev = 0  # a device answers at the next boundary
            catch_up(regs, io, cycles)
            chip_reset(regs, io)  # clears GIE in regs
            a = regs[R_A]  # 0, or drawn with undefined="random"
            pc = 0
            flags = regs[R_FLAGS]
            sp = regs[R_SP]
            next_ev = 0
            if edges is not None:
                _log_write(regs, io, edges, cycles, edges[2][old])  # next_ev is 0 already
        elif op == OP_BREAK:
            pc = old
            status = ST_BREAKPOINT
            break
        else:
            pc = old
            status = ST_INVALID
            break

        cycles += cyc
        if dbg is None:
            steps += 1
        if dbg is not None:
            profile = dbg[2]
            _count(regs, profile, old, cyc)
            if hit >= 0:
                regs[R_WATCH_INFO] = hit
                regs[R_WATCH_PC] = old
                status = ST_WATCHPOINT
                break
        if conds is not None:
            rows, when = conds
            evaluate = force or when[old]
            if cycles >= next_ev:
                # an event is due at this boundary: catch up now, as Machine.step does at
                # the end of its instruction, so a watchdog reset belongs to this step and
                # the condition sees the reset chip (a catch-up inside the evaluation
                # would reset it behind the locals' back)
                resets = regs[R_RESETS]
                regs[R_A] = a
                regs[R_PC] = pc
                regs[R_FLAGS] = flags
                regs[R_SP] = sp
                regs[R_CYCLES] = cycles
                if edges is not None:
                    catch_up_logged(regs, io, cycles, edges)
                catch_up(regs, io, cycles)
                if regs[R_RESETS] != resets:
                    a = regs[R_A]
                    pc = regs[R_PC] & PC_MASK
                    flags = regs[R_FLAGS]
                    sp = regs[R_SP]
                    evaluate = True
            if evaluate:
                force = 0
                if edges is not None:  # a condition on pins catches up: through the log
                    catch_up_logged(regs, io, cycles, edges)
                    if edges[1][M_HIT]:
                        next_ev = 0
                group = _cond_hit(rows, ram, io, regs, a, flags, sp, pc, cycles)
            else:
                group = -1
            if group >= 0:
                regs[R_WATCH_INFO] = group
                regs[R_WATCH_PC] = old
                status = ST_CONDITION
                break

    regs[R_A] = a
    regs[R_PC] = pc
    regs[R_FLAGS] = flags
    regs[R_SP] = sp
    regs[R_CYCLES] = cycles
    regs[R_INSTRUCTIONS] += steps
    if edges is not None:
        catch_up_logged(regs, io, cycles, edges)
    catch_up(regs, io, cycles)
    return status


# -- a routine called from the host (Machine.call) ----------------------------------------


@njit(cache=True, _nrt=False)
def restore(ram, io, regs, start_ram, start_io, start_regs):
    """Copy a saved state (Machine.save_state's arrays) into the core's arrays."""
    for i in range(ram.size):  # loops: a slice copy would need Numba's runtime
        ram[i] = start_ram[i]
    for i in range(io.size):
        io[i] = start_io[i]
    for i in range(regs.size):
        regs[i] = start_regs[i]


@njit(cache=True, _nrt=False)
def call_routine(
    prog, ram, io, regs, sched, start_ram, start_io, start_regs, pokes, entry, a, flags, sp,
    sentinel, max_cycles, stack_checks,
):  # fmt: skip
    """Machine.call in one jitted call: restore the start state (three array copies), store
    the `pokes` pairs (address, byte, ...) in RAM, set A, FLAG, SP where >= 0, push
    `sentinel` as the return address as a `call` would, and run (the CPU running) from
    `entry` until the routine returns to the sentinel (a BREAK word in `prog`) or
    `max_cycles` pass. Returns the run's status."""
    restore(ram, io, regs, start_ram, start_io, start_regs)
    for i in range(0, pokes.size - 1, 2):
        ram[pokes[i] & (RAM_BYTES - 1)] = pokes[i + 1]
    if a >= 0:
        regs[R_A] = a
    if flags >= 0:
        regs[R_FLAGS] = flags
    if sp >= 0:
        regs[R_SP] = sp
    top = regs[R_SP]
    if stack_checks and top > 0x3E:
        return ST_STACK
    ram[top & 0x3F] = sentinel & 0xFF
    ram[(top + 1) & 0x3F] = sentinel >> 8
    top = (top + 2) & 0xFF
    regs[R_SP] = top
    if top > regs[R_STACK_MAX]:
        regs[R_STACK_MAX] = top
    regs[R_PC] = entry
    regs[R_MODE] = MODE_RUNNING  # a CPU that executes a call is running
    return run(prog, ram, io, regs, sched, regs[R_CYCLES] + max_cycles, stack_checks, None)


# -- batch entry point -------------------------------------------------------------------


@njit(cache=True, nogil=True)
def run_batch(
    template,
    packed_table,
    slot_address,
    slot_words,
    max_cycles,
    stack_checks,
    start_ram,
    start_io,
    start_regs,
    blocks=None,
):
    """Run one program per row of `slot_words` (written at `slot_address` into a copy of
    the predecoded `template`), each from the power-on state `start_*` (the Machine's,
    with no pins driven) until stopsys (or a clock stop) or
    `max_cycles`.

    Releases the GIL (Machine.run_batch runs parts of a batch in threads). Returns
    (status int64[n], cycles int64[n], ram uint8[n, 64], stack_max int64[n],
    instructions int64[n], pc int64[n], sp int64[n]); pc and sp are where each run ended,
    so a run stopped by an invalid opcode or a stack overflow can be reported."""
    n = slot_words.shape[0]
    statuses = np.zeros(n, dtype=np.int64)
    cycles = np.zeros(n, dtype=np.int64)
    rams = np.zeros((n, RAM_BYTES), dtype=np.uint8)
    stack_max = np.zeros(n, dtype=np.int64)
    instructions = np.zeros(n, dtype=np.int64)
    pcs = np.zeros(n, dtype=np.int64)
    sps = np.zeros(n, dtype=np.int64)
    prog = template.copy()
    ram = np.zeros(RAM_BYTES, dtype=np.uint8)
    io = np.zeros(IO_REGS, dtype=np.uint8)
    regs = np.zeros(N_REGS, dtype=np.int64)
    sched = np.zeros((0, 3), dtype=np.int64)
    for i in range(n):
        for j in range(slot_words.shape[1]):
            prog[(slot_address + j) & PC_MASK] = packed_table[slot_words[i, j] & isa.WORD_MASK]
        restore(ram, io, regs, start_ram, start_io, start_regs)
        statuses[i] = run(prog, ram, io, regs, sched, max_cycles, stack_checks, None, blocks)
        cycles[i] = regs[R_CYCLES]
        rams[i, :] = ram
        stack_max[i] = regs[R_STACK_MAX]
        instructions[i] = regs[R_INSTRUCTIONS]
        pcs[i] = regs[R_PC]
        sps[i] = regs[R_SP]
    return statuses, cycles, rams, stack_max, instructions, pcs, sps
