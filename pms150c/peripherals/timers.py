"""Timer16, Timer2 (period and PWM) and the watchdog, advanced by whole numbers of ticks.

Each `*_count` applies source ticks arithmetically (no loop over ticks); each
`*_event_cycles` says how many system cycles from now the next *observable* event happens,
i.e. an INTRQ bit going 0 -> 1 or the watchdog time-out, or -1 when there is none. A request
bit that is already set cannot change again, so while the CPU runs a timer whose INTRQ bit is
set schedules nothing (a program that never clears INTRQ pays nothing for its timers); in
stopexe every request wakes the CPU, so there ``any_request`` asks for the next one anyway.
"""

from __future__ import annotations

from numba import njit

from ..device import (
    IO_CLKMD,
    IO_INTEGS,
    IO_INTRQ,
    IO_MISC,
    IO_T16M,
    IO_TM2B,
    IO_TM2C,
    IO_TM2CT,
    IO_TM2S,
)
from ..state import (
    MODE_STOPEXE,
    MODE_WAKING,
    R_HOLD_END,
    R_MODE,
    R_SYNC,
    R_T16,
    R_T16_ACC,
    R_T16_PRE,
    R_TM2_ACC,
    R_TM2_OUT,
    R_TM2_PRE,
    R_WDT,
    R_WDT_ACC,
)
from .clock import SRC_CLK, SRC_IHRC, SRC_ILRC, cycles_for_ticks, rate, ticks_after

INT_PA0 = 0x01
INT_T16 = 0x04
INT_TM2 = 0x40


@njit(cache=True, _nrt=False)
def sysclk_gated(regs):
    """True in stopexe and while waking from it: the system clock is off (DS 5.10.1), so a
    timer clocked by it (SRC_CLK) neither counts nor wakes the chip; IHRC, ILRC and pin
    clocks go on."""
    return regs[R_MODE] == MODE_STOPEXE or regs[R_MODE] == MODE_WAKING


@njit(cache=True, _nrt=False)
def wake(regs):
    """A wake-up event: the CPU wakes after the wake-up time, which the next boundary
    service counts from there (R_HOLD_END = -1)."""
    regs[R_MODE] = MODE_WAKING
    regs[R_HOLD_END] = -1


@njit(cache=True, _nrt=False)
def request(regs, io, bit):
    """Set an INTRQ bit; any request (even of a bit already set) wakes a CPU in stopexe."""
    io[IO_INTRQ] |= bit
    if regs[R_MODE] == MODE_STOPEXE:
        wake(regs)


# -- Timer16 -----------------------------------------------------------------------------


@njit(cache=True, _nrt=False)
def t16_time_source(t16m):
    """SRC_* of a time-driven T16M clock selection, -1 for stopped or pin-driven."""
    sel = (t16m >> 5) & 7
    if sel == 1:
        return SRC_CLK
    if sel == 4:
        return SRC_IHRC
    if sel == 6:
        return SRC_ILRC
    return -1


@njit(cache=True, _nrt=False)
def _t16_edge_geometry(io):
    """(log2 period, residue): the selected bit makes its edge when the counter reaches a
    value congruent to `residue` modulo the period (the 0xFFFF -> 0 wrap included); powers
    of two, so shifts and masks replace divisions."""
    t16m = io[IO_T16M]
    b = 8 + (t16m & 7)
    residue = (1 << b) if io[IO_INTEGS] & 0x10 == 0 else 0
    return b + 1, residue


@njit(cache=True, _nrt=False)
def t16_count(regs, io, ticks):
    shift = 2 * ((io[IO_T16M] >> 3) & 3)  # prescaler 1, 4, 16, 64
    total = regs[R_T16_PRE] + ticks
    inc = total >> shift
    regs[R_T16_PRE] = total & ((1 << shift) - 1)
    if inc:
        cnt = regs[R_T16]
        log_period, residue = _t16_edge_geometry(io)
        if (cnt + inc - residue) >> log_period != (cnt - residue) >> log_period:
            request(regs, io, INT_T16)
        regs[R_T16] = (cnt + inc) & 0xFFFF


@njit(cache=True, _nrt=False)
def t16_event_cycles(regs, io, any_request):
    if io[IO_INTRQ] & INT_T16 and not any_request:
        return -1
    source = t16_time_source(io[IO_T16M])
    if source < 0 or (source == SRC_CLK and sysclk_gated(regs)):
        return -1
    prescale = 1 << (2 * ((io[IO_T16M] >> 3) & 3))
    cnt = regs[R_T16]
    log_period, residue = _t16_edge_geometry(io)
    increments = 1 + ((residue - cnt - 1) & ((1 << log_period) - 1))
    ticks = increments * prescale - regs[R_T16_PRE]
    n_num, d_den = rate(regs, io[IO_CLKMD], source)
    return cycles_for_ticks(regs[R_T16_ACC], n_num, d_den, ticks)


# -- Timer2 ------------------------------------------------------------------------------


@njit(cache=True, _nrt=False)
def tm2_time_source(tm2c):
    sel = (tm2c >> 4) & 15
    if sel == 1:
        return SRC_CLK
    if sel == 2:
        return SRC_IHRC
    if sel == 4:
        return SRC_ILRC
    return -1


@njit(cache=True, _nrt=False)
def tm2_divider(io):
    """Source ticks per count: prescaler S1 times scaler S2 + 1."""
    tm2s = io[IO_TM2S]
    return (1 << (2 * ((tm2s >> 5) & 3))) * ((tm2s & 31) + 1)


@njit(cache=True, _nrt=False)
def _tm2_counts_to_request(io):
    """Counts until the next INTRQ.6 (DS Fig. 10), -1 for none: in PWM mode the count that
    takes TM2CT from the bound K to K + 1, the output's falling edge (none when K is the
    top of the counter's range or above it: 100 % duty has no falling edge); in period mode
    the count that finds TM2CT == TM2B."""
    ct = io[IO_TM2CT]
    bound = io[IO_TM2B]
    if io[IO_TM2C] & 2:
        mask = 0x3F if io[IO_TM2S] & 0x80 else 0xFF
        if bound >= mask:
            return -1
        return ((bound - ct) & mask) + 1
    return ((bound - ct) & 0xFF) + 1


@njit(cache=True, _nrt=False)
def tm2_count(regs, io, ticks):
    divider = tm2_divider(io)
    total = regs[R_TM2_PRE] + ticks
    n = total // divider
    regs[R_TM2_PRE] = total - n * divider
    if n == 0:
        return
    ct = io[IO_TM2CT]
    first = _tm2_counts_to_request(io)
    if io[IO_TM2C] & 2:
        mask = 0x3F if io[IO_TM2S] & 0x80 else 0xFF
        io[IO_TM2CT] = (ct + n) & mask
        if 0 < first <= n:
            request(regs, io, INT_TM2)
    else:
        bound = io[IO_TM2B]
        if n < first:
            io[IO_TM2CT] = (ct + n) & 0xFF
        else:
            after = n - first  # counts after the first match
            matches = 1 + after // (bound + 1)
            io[IO_TM2CT] = after % (bound + 1)
            regs[R_TM2_OUT] ^= matches & 1
            request(regs, io, INT_TM2)


@njit(cache=True, _nrt=False)
def tm2_event_cycles(regs, io, any_request):
    if io[IO_INTRQ] & INT_TM2 and not any_request:
        return -1
    source = tm2_time_source(io[IO_TM2C])
    if source < 0 or (source == SRC_CLK and sysclk_gated(regs)):
        return -1
    counts = _tm2_counts_to_request(io)
    if counts < 0:
        return -1
    ticks = counts * tm2_divider(io) - regs[R_TM2_PRE]
    n_num, d_den = rate(regs, io[IO_CLKMD], source)
    return cycles_for_ticks(regs[R_TM2_ACC], n_num, d_den, ticks)


@njit(cache=True, _nrt=False)
def tm2_level(regs, io):
    """Timer2 output level (after TM2C.0 inversion)."""
    tm2c = io[IO_TM2C]
    if tm2c & 2:
        level = 1 if io[IO_TM2CT] <= io[IO_TM2B] else 0
    else:
        level = regs[R_TM2_OUT] & 1
    return level ^ (tm2c & 1)


# -- Watchdog ----------------------------------------------------------------------------


@njit(cache=True, _nrt=False)
def wdt_enabled(io):
    return io[IO_CLKMD] & 6 == 6


@njit(cache=True, _nrt=False)
def wdt_timeout(io):
    return 8192 << (0, 1, 3, 5)[io[IO_MISC] & 3]


@njit(cache=True, _nrt=False)
def wdt_event_cycles(regs, io):
    if not wdt_enabled(io):
        return -1
    ticks = max(wdt_timeout(io) - regs[R_WDT], 1)
    n_num, d_den = rate(regs, io[IO_CLKMD], SRC_ILRC)
    return cycles_for_ticks(regs[R_WDT_ACC], n_num, d_den, ticks)


# -- advancing all of them ---------------------------------------------------------------


@njit(cache=True, _nrt=False)
def advance(regs, io, cycles):
    """Advance every time-driven peripheral by `cycles` system cycles (no time-out check:
    the caller splits the interval at the watchdog's time-out). The mode is read once, at
    the start: an interval in stopexe ends at the cycle whose event wakes the chip, so
    the whole interval was asleep even if a timer below wakes it."""
    clkmd = io[IO_CLKMD]
    gated = sysclk_gated(regs)
    source = t16_time_source(io[IO_T16M])
    if source >= 0 and not (source == SRC_CLK and gated):
        n_num, d_den = rate(regs, clkmd, source)
        ticks, regs[R_T16_ACC] = ticks_after(regs[R_T16_ACC], n_num, d_den, cycles)
        t16_count(regs, io, ticks)
    source = tm2_time_source(io[IO_TM2C])
    if source >= 0 and not (source == SRC_CLK and gated):
        n_num, d_den = rate(regs, clkmd, source)
        ticks, regs[R_TM2_ACC] = ticks_after(regs[R_TM2_ACC], n_num, d_den, cycles)
        tm2_count(regs, io, ticks)
    if wdt_enabled(io):
        n_num, d_den = rate(regs, clkmd, SRC_ILRC)
        ticks, regs[R_WDT_ACC] = ticks_after(regs[R_WDT_ACC], n_num, d_den, cycles)
        regs[R_WDT] += ticks
    regs[R_SYNC] += cycles
