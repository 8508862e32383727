"""The signal log: every change of a port A pin (and of the other signals a VCD shows),
written by the jitted core into a preallocated array with its exact cycle.

Signals are the bits of one *signal word* (`signal_word`):

    bits 0..7    port A pin levels as seen from outside (`pin_levels`; bits 1, 2 are 0)
    bit 8        the Timer2 output (after TM2C.0), routed to a pin or not
    bits 16..23  INTRQ
    bits 24..31  CLKMD, bits 32..39 IHRCR, bits 40..47 ILRCR (the clock word: so a reader
                 can convert cycles to time across clock switches and trims)

The core gets ``edges = (rows, meta, words)``: ``rows`` int64[n, 5], one change per row as
(cycle, bit, level, sub, den), and ``meta`` int64[5] (M_* below). Only bits in
``meta[M_MASK]`` are logged. A row says: at the boundary ``cycle`` the bit has the new
``level``, and its last change happened ``sub/den`` of a cycle before that boundary
(0/1 for changes made by an instruction, the host or a reset, which happen at a boundary;
a Timer2 count clocked by IHRC or ILRC falls inside a cycle). A row is a *net* change from
one boundary to the next: a Timer2 pulse that starts and ends inside one system cycle
(possible only when Timer2 counts faster than the system clock) leaves no row.

Where rows come from: IO instructions (logged at the cycle the instruction starts, when its
write lands), the host's pin changes (at the boundary they apply), watchdog and `reset`
resets, and the peripherals' own changes (Timer2 output flips, interrupt requests), which
`catch_up_logged` finds arithmetically between events so each lands on its exact cycle.
The core keeps at least EDGE_ROOM rows free before each step that may log; when fewer are
left it returns ST_EDGES_FULL and the Machine empties the log (pms150c/edges.py). Bits in
``meta[M_STOP]`` also set ``meta[M_HIT]`` when they change, and the core then returns
ST_EDGE_STOP at the next boundary so a device on the pins can answer at once.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..device import IO_CLKMD, IO_IHRCR, IO_ILRCR, IO_INTRQ, IO_TM2B, IO_TM2C, IO_TM2CT, IO_TM2S
from ..state import R_NEXT_EVENT, R_SYNC, R_TM2_ACC, R_TM2_PRE
from .bus import catch_up
from .clock import SRC_CLK, cycles_for_ticks, rate
from .port import pin_levels, tm2_pin_bit
from .timers import (
    sysclk_gated,
    t16_event_cycles,
    tm2_divider,
    tm2_event_cycles,
    tm2_level,
    tm2_time_source,
    wdt_event_cycles,
)

SIG_TM2 = 8
SIG_INTRQ = 16
SIG_CLKMD = 24
TM2_BIT = 1 << SIG_TM2
INTRQ_BITS = 0xFF << SIG_INTRQ
CLKMD_BITS = 0xFF << SIG_CLKMD
CLOCK_BITS = 0xFFFFFF << SIG_CLKMD  # CLKMD, IHRCR, ILRCR (peripherals/clock.clock_word)

# meta slots
M_COUNT = 0  # rows written
M_LAST = 1  # the signal word (masked) as last logged
M_MASK = 2  # bits to log
M_STOP = 3  # bits whose change stops the core at the next boundary
M_HIT = 4  # set to 1 by a change of a stop bit; the host clears it
M_NEXT = 5  # no logged peripheral change before this cycle (0: unknown, see catch_up_logged)
M_RESERVE = 6  # rows kept free for the Timer2 flips the core planned (see plan_flips)
META_SLOTS = 7
NEVER = 1 << 62
ROW_COLUMNS = ("cycle", "bit", "level", "sub", "den")

# Rows the log must have free before a step that may log. Between two such checks the
# core logs at most: the rows of one log call per segment of `catch_up_logged` (at most
# three segments: the next Timer2 flip is an event of the core, so a step overshoots it
# by at most one cycle, and interrupt requests are events too) plus the write of one
# instruction, each at most one row per signal bit (25 bits). 256 leaves room to spare.
EDGE_ROOM = 256


@njit(cache=True, _nrt=False)
def signal_word(regs, io):
    return (
        pin_levels(regs, io)
        | tm2_level(regs, io) << SIG_TM2
        | np.int64(io[IO_INTRQ]) << SIG_INTRQ
        | np.int64(io[IO_CLKMD]) << SIG_CLKMD
        | np.int64(io[IO_IHRCR]) << (SIG_CLKMD + 8)
        | np.int64(io[IO_ILRCR]) << (SIG_CLKMD + 16)
    )


@njit(cache=True, _nrt=False, inline="always")
def _signals(regs, io, bits):
    """The signal word's `bits`, computing only the parts they need."""
    word = np.int64(0)
    if bits & 0xFF:
        word = pin_levels(regs, io)
    if bits & TM2_BIT:
        word |= tm2_level(regs, io) << SIG_TM2
    if bits & (INTRQ_BITS | CLOCK_BITS):
        word |= np.int64(io[IO_INTRQ]) << SIG_INTRQ | np.int64(io[IO_CLKMD]) << SIG_CLKMD
        word |= np.int64(io[IO_IHRCR]) << (SIG_CLKMD + 8)
        word |= np.int64(io[IO_ILRCR]) << (SIG_CLKMD + 16)
    return word & bits


@njit(cache=True, _nrt=False)
def log_bits(regs, io, edges, t, bits, sub, den):
    """Append a row for every bit of `bits` (within the log's mask) whose level differs
    from the last logged one, at boundary `t`, each `sub/den` of a cycle early."""
    rows, meta = edges[0], edges[1]
    bits &= meta[M_MASK]
    if bits == 0:
        return
    now = _signals(regs, io, bits)
    last = meta[M_LAST]
    diff = (now ^ last) & bits
    if diff == 0:
        return
    n = meta[M_COUNT]
    b = 0
    rest = diff
    while rest:
        if rest & 1 and n < rows.shape[0]:  # EDGE_ROOM keeps n below the end
            rows[n, 0] = t
            rows[n, 1] = b
            rows[n, 2] = (now >> b) & 1
            rows[n, 3] = sub
            rows[n, 4] = den
            n += 1
        rest >>= 1
        b += 1
    meta[M_COUNT] = n
    meta[M_LAST] = (last & ~diff) | now
    if diff & meta[M_STOP]:
        meta[M_HIT] = 1


@njit(cache=True, _nrt=False)
def log_signals(regs, io, edges, t):
    """Log every change of a watched signal at boundary `t` (an instruction's write, a pin
    change of the host, a reset: all happen at a boundary)."""
    log_bits(regs, io, edges, t, edges[1][M_MASK], 0, 1)


@njit(cache=True, _nrt=False)
def has_room(edges):
    """Whether the log has room for whatever the core may log before its next check."""
    return edges[1][M_COUNT] + EDGE_ROOM <= edges[0].shape[0]


@njit(cache=True, _nrt=False)
def has_room_for_writes(edges):
    """Whether instructions may go on writing: room left besides the planned flips'."""
    return edges[1][M_COUNT] + EDGE_ROOM + edges[1][M_RESERVE] <= edges[0].shape[0]


# -- Timer2 output flips, computed from the counter state --------------------------------


@njit(cache=True, _nrt=False)
def _counts_to_flip(ct, level, bound, pwm, mask):
    """(counts until the Timer2 output flips from this state, TM2CT just after), counts
    -1 when it never flips. The output before TM2C.0 inversion is `level`; PWM mode: high
    while TM2CT <= TM2B, the counter runs modulo mask + 1; period mode: a toggle at each
    match (see timers.tm2_count)."""
    if not pwm:
        return ((bound - ct) & 0xFF) + 1, 0
    low_bits = ct & mask
    if level:  # falls when the counter first exceeds the bound
        if bound >= mask:
            return -1, 0
        return bound + 1 - low_bits, bound + 1
    nxt = (low_bits + 1) & mask
    d = 1 if nxt <= bound else mask + 1 - low_bits  # the next count, or the wrap to 0
    return d, (low_bits + d) & mask


@njit(cache=True, _nrt=False)
def _tm2_flip_setup(regs, io):
    """The Timer2 state the flip arithmetic needs: (source, pwm, mask, bound, ct, level
    before inversion, divider, prescaler count, accumulator, N, D); source < 0: no time
    source, the output changes only at boundaries (pin clocks, writes)."""
    tm2c = io[IO_TM2C]
    source = tm2_time_source(tm2c)
    if source == SRC_CLK and sysclk_gated(regs):
        source = -1  # stopped with the system clock in stopexe (see timers.advance)
    pwm = tm2c & 2 != 0
    mask = 0x3F if io[IO_TM2S] & 0x80 else 0xFF
    level = tm2_level(regs, io) ^ (tm2c & 1)
    n_num, d_den = rate(regs, io[IO_CLKMD], source if source >= 0 else 0)
    if n_num == 0:
        source = -1  # its oscillator (or the system clock) is stopped: no flips
    return (
        source,
        pwm,
        np.int64(mask),
        np.int64(io[IO_TM2B]),
        np.int64(io[IO_TM2CT]),
        np.int64(level),
        tm2_divider(io),
        regs[R_TM2_PRE],
        regs[R_TM2_ACC],
        n_num,
        d_den,
    )


@njit(cache=True, _nrt=False, inline="always")
def _write_row(rows, meta, n, t, bit, level, sub, den):
    if n < rows.shape[0]:  # EDGE_ROOM keeps n below the end
        rows[n, 0] = t
        rows[n, 1] = bit
        rows[n, 2] = level
        rows[n, 3] = sub
        rows[n, 4] = den
        n += 1
    return n


@njit(cache=True, _nrt=False)
def _log_flip(regs, io, edges, t, tbits, level, sub, den):
    """Rows for the Timer2 bits `tbits` taking `level` (after inversion) at boundary t."""
    rows, meta = edges[0], edges[1]
    n = meta[M_COUNT]
    last = meta[M_LAST]
    for b in (3, 4, SIG_TM2):  # the pins Timer2 can drive (TM2C[3:2]) and its own bit
        if tbits >> b & 1 and (last >> b & 1) != level:
            n = _write_row(rows, meta, n, t, b, level, sub, den)
            last ^= np.int64(1) << b
            if meta[M_STOP] >> b & 1:
                meta[M_HIT] = 1
    meta[M_COUNT] = n
    meta[M_LAST] = last


@njit(cache=True, _nrt=False)
def log_tm2_flips(regs, io, edges, limit, tbits):
    """Log the net changes of the Timer2 output bits `tbits` in each of the next `limit`
    cycles from R_SYNC, computed from the counter state (which is left as it is): one row
    per bit for a cycle with an odd number of flips, timed by its last flip. Returns the
    cycle (from R_SYNC) of the first flip after those, or -1 when the output stays."""
    source, pwm, mask, bound, ct, level, divider, pre, acc, n_num, d_den = _tm2_flip_setup(regs, io)
    if source < 0:
        return -1
    inverted = io[IO_TM2C] & 1
    sync = regs[R_SYNC]
    den = 1 if n_num == d_den else n_num  # at the system clock: ticks at a cycle's end
    j = 0  # counts from now
    open_g = -1  # the cycle whose flips are being counted
    odd = 0
    open_level = 0
    open_sub = 0
    after_limit = -1
    while True:
        d, after = _counts_to_flip(ct, level, bound, pwm, mask)
        if d < 0:
            break
        k = (j + d) * divider - pre  # the tick of the flip, counted from now
        g = cycles_for_ticks(acc, n_num, d_den, k)
        if g > limit:
            after_limit = g
            break
        j += d
        ct = after
        level ^= 1
        if g != open_g:
            if odd:
                _log_flip(regs, io, edges, sync + open_g, tbits, open_level, open_sub, den)
            open_g = g
            odd = 1
        else:
            odd ^= 1
        open_level = level ^ inverted
        # how long before the end of cycle g the tick falls (0 for the system clock)
        open_sub = 0 if n_num == d_den else g * n_num - (k * d_den - acc)
    if odd:
        _log_flip(regs, io, edges, sync + open_g, tbits, open_level, open_sub, den)
    return after_limit


MAX_PLANNED_FLIPS = 1 << 15


@njit(cache=True, _nrt=False)
def plan_flips(regs, io, edges):
    """(first, bound, flips): cycles from R_SYNC to the cycle of the next flip of a
    watched Timer2 bit (-1: none), and to the cycle by which at most `flips` flips have
    happened (-1: no bound needed), for half the free rows (two rows a flip; the other
    half is for the instructions' writes). Requests and time-outs are events already."""
    rows, meta = edges[0], edges[1]
    if (tm2_pin_bit(io) | TM2_BIT) & meta[M_MASK] == 0:
        return -1, -1, 0
    source, pwm, mask, bound, ct, level, divider, pre, acc, n_num, d_den = _tm2_flip_setup(regs, io)
    if source < 0:
        return -1, -1, 0
    first, _ = _counts_to_flip(ct, level, bound, pwm, mask)
    if first < 0:
        return -1, -1, 0
    g = cycles_for_ticks(acc, n_num, d_den, first * divider - pre)
    flips = min((rows.shape[0] - meta[M_COUNT] - EDGE_ROOM) // 4, MAX_PLANNED_FLIPS)
    if flips < 2:
        return g, g, 1
    if pwm and bound >= mask:
        return g, -1, 1  # one flip up, then high for good
    closest = min(bound + 1, mask - bound) if pwm else bound + 1  # counts between flips
    count = first + 1 + (flips - 2) * closest  # after the second flip
    return g, cycles_for_ticks(acc, n_num, d_den, count * divider - pre), flips


@njit(cache=True, _nrt=False)
def catch_up_logged(regs, io, to, edges):
    """`catch_up` to cycle `to`, logging every watched change of a peripheral on the way:
    in segments that end at an interrupt request or a watchdog reset (whose changes are
    logged at the segment's end), with the Timer2 flips inside a segment computed
    arithmetically. In the cycle of a watchdog reset the Timer2 bits are logged with the
    rest (lead 0).

    ``meta[M_NEXT]`` caches the first cycle at which a logged change can happen: catching
    up to before it logs nothing (the plain catch_up of an instruction is then exact), so
    the core skips the call. It is set here and by the service, never later than the
    core's next event, and the core forgets it (0) after any instruction that changes
    peripheral state."""
    meta = edges[1]
    while True:
        now = regs[R_SYNC]
        n = to - now
        e = wdt_event_cycles(regs, io)
        split = e
        if meta[M_MASK] & INTRQ_BITS:
            for r in (t16_event_cycles(regs, io, False), tm2_event_cycles(regs, io, False)):
                if r >= 0 and (split < 0 or r < split):
                    split = r
        step = split if 0 <= split < n else n  # requests and resets end a segment
        flip = -1
        tbits = (tm2_pin_bit(io) | TM2_BIT) & meta[M_MASK]
        if tbits and step > 0:
            flip = log_tm2_flips(regs, io, edges, step - 1 if e == step else step, tbits)
        if step > 0:
            catch_up(regs, io, now + step)
            log_bits(regs, io, edges, regs[R_SYNC], meta[M_MASK], 0, 1)
        if step == n or step <= 0:
            # quiet until the first flip after `to`, the split event, the core's event
            quiet = regs[R_NEXT_EVENT]
            if e == step and step > 0:
                quiet = 0  # reset just now: plan again next time
            if flip >= 0:
                quiet = min(quiet, now + flip)
            if split >= 0:
                quiet = min(quiet, now + split)
            meta[M_NEXT] = quiet
            return
