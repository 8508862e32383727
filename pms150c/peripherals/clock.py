"""System clock selection (CLKMD) and exact tick arithmetic for clocked peripherals.

A peripheral fed by a source of frequency f_src counts ticks through a phase accumulator:
per system cycle ``acc += N`` and every time ``acc`` reaches ``D`` one tick happens, with
``N = f_src * d`` and ``D = f_osc`` (``f_sys = f_osc / d``). The functions below advance an
accumulator by many cycles at once and invert that to find when the k-th tick happens, so
timers never need per-cycle work.
"""

from __future__ import annotations

from numba import njit

from ..device import IHRC_HZ, ILRC_HZ, IO_CLKMD
from ..state import R_CLK_SINCE, R_TIME_BASE, TIME_UNITS_PER_S

SRC_CLK = 0
SRC_IHRC = 1
SRC_ILRC = 2


@njit(cache=True, _nrt=False)
def system_clock(clkmd):
    """(f_osc, divider) of the system clock selected by CLKMD (DS 5.2)."""
    sel = (clkmd >> 5) & 7
    if clkmd & 8 == 0:
        if sel == 0:
            return IHRC_HZ, 4
        if sel == 1:
            return IHRC_HZ, 2
        if sel == 6:
            return ILRC_HZ, 4
        return ILRC_HZ, 1  # 111 = ILRC; reserved codes behave as ILRC too
    if sel == 0:
        return IHRC_HZ, 16
    if sel == 1:
        return IHRC_HZ, 8
    if sel == 2:
        return ILRC_HZ, 16
    if sel == 3:
        return IHRC_HZ, 32
    if sel == 4:
        return IHRC_HZ, 64
    return ILRC_HZ, 1


@njit(cache=True, _nrt=False)
def rate(clkmd, source):
    """(N, D) of a peripheral clocked by `source` (SRC_*) under the given CLKMD."""
    f_osc, d = system_clock(clkmd)
    if source == SRC_CLK:
        return f_osc, f_osc
    f = IHRC_HZ if source == SRC_IHRC else ILRC_HZ
    return f * d, f_osc


@njit(cache=True, _nrt=False)
def ticks_after(acc, n_num, d_den, cycles):
    """(ticks, new acc) after `cycles` system cycles; split so nothing overflows int64."""
    if n_num == d_den:  # a source at the system clock (acc < d_den stays as it is)
        return cycles, acc
    q = cycles // d_den
    r = cycles - q * d_den
    t = acc + r * n_num
    return q * n_num + t // d_den, t % d_den


@njit(cache=True, _nrt=False)
def cycles_for_ticks(acc, n_num, d_den, k):
    """Smallest number of cycles after which `k` (>= 1) ticks have happened."""
    need = k * d_den - acc
    return (need + n_num - 1) // n_num


@njit(cache=True, _nrt=False)
def time_units_per_cycle(clkmd):
    f_osc, d = system_clock(clkmd)
    return TIME_UNITS_PER_S // f_osc * d


def time_units_at(regs, io, cycle: int) -> int:
    """Time since power-on at `cycle` in TIME_UNITS_PER_S units, in Python ints (host side).

    `cycle` is at or after the last CLKMD change; earlier settings are summed in
    R_TIME_BASE by set_clkmd."""
    units = int(time_units_per_cycle(int(io[IO_CLKMD])))
    return int(regs[R_TIME_BASE]) + (int(cycle) - int(regs[R_CLK_SINCE])) * units
