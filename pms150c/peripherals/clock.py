"""System clock selection (CLKMD), the two oscillators and exact tick arithmetic.

The oscillators' frequencies live in the state (R_IHRC_HZ, R_ILRC_HZ, whole Hz): the host
chooses them (``Machine(image, ihrc_hz=..., ilrc_hz=...)``) and the trim registers move
them. A peripheral fed by a source of frequency f_src counts ticks through a phase
accumulator: per system cycle ``acc += N`` and every time ``acc`` reaches ``D`` one tick
happens, with ``N = f_src * d`` and ``D = f_osc`` (``f_sys = f_osc / d``). The functions
below advance an accumulator by many cycles at once and invert that to find when the k-th
tick happens, so timers never need per-cycle work. A source whose oscillator is stopped
has ``N = 0``: no ticks, no event.
"""

from __future__ import annotations

from numba import njit

from ..device import IO_CLKMD, IO_IHRCR, IO_ILRCR, IO_RESET
from ..state import (
    R_CLK_SINCE,
    R_IHRC_HZ,
    R_ILRC_HZ,
    R_TIME_DIV,
    R_TIME_FS,
    R_TIME_HZ,
    R_TIME_S,
    TIME_UNITS_PER_S,
)

SRC_CLK = 0
SRC_IHRC = 1
SRC_ILRC = 2

OSC_NONE = 0  # a reserved CLKMD code: no oscillator drives the system clock
OSC_IHRC = 1
OSC_ILRC = 2

CLKMD_IHRC_ON = 0x10  # CLKMD.4 (DS 5.4, 6.3)
CLKMD_ILRC_ON = 0x04  # CLKMD.2

IHRCR_RESET = IO_RESET[IO_IHRCR]
ILRCR_RESET = IO_RESET[IO_ILRCR]
# The trims (our choice, docs/timing-model.md): each IHRCR code moves the IHRC by 1/1024 of
# its frequency at the reset code (16 MHz: 15625 Hz, 14.0 to 17.98 MHz over the 256 codes,
# the DS 5.4.2 calibration range of 14 to 18 MHz); each ILRCR code the ILRC by 1/512.
IHRC_TRIM_STEPS = 1024
ILRC_TRIM_STEPS = 512


@njit(cache=True, _nrt=False)
def trimmed_hz(base, code, reset_code, steps):
    """An oscillator's frequency at trim `code`: `base` at `reset_code`, base/steps a code."""
    return base * (steps + code - reset_code) // steps


@njit(cache=True, _nrt=False)
def clock_select(clkmd):
    """(oscillator OSC_*, divider) that CLKMD selects (DS 6.3). Type 0 code 010 is IHRC/1:
    reserved in the DS, but its own example 9.2.3 writes 0x50 to switch to the IHRC and
    pdk-includes names it CLKMD_IHRC (16 MHz). Every other reserved code selects no
    oscillator (OSC_NONE): the PMS150C has only the two (DS 5.4)."""
    sel = (clkmd >> 5) & 7
    if clkmd & 8 == 0:
        if sel == 0:
            return OSC_IHRC, 4
        if sel == 1:
            return OSC_IHRC, 2
        if sel == 2:
            return OSC_IHRC, 1
        if sel == 6:
            return OSC_ILRC, 4
        if sel == 7:
            return OSC_ILRC, 1
        return OSC_NONE, 1
    if sel == 0:
        return OSC_IHRC, 16
    if sel == 1:
        return OSC_IHRC, 8
    if sel == 2:
        return OSC_ILRC, 16
    if sel == 3:
        return OSC_IHRC, 32
    if sel == 4:
        return OSC_IHRC, 64
    return OSC_NONE, 1


@njit(cache=True, _nrt=False)
def osc_enabled(clkmd, osc):
    """Whether CLKMD keeps oscillator `osc` running (CLKMD.4 IHRC, CLKMD.2 ILRC)."""
    if osc == OSC_IHRC:
        return clkmd & CLKMD_IHRC_ON != 0
    if osc == OSC_ILRC:
        return clkmd & CLKMD_ILRC_ON != 0
    return False


@njit(cache=True, _nrt=False)
def osc_hz(regs, osc):
    return regs[R_IHRC_HZ] if osc == OSC_IHRC else regs[R_ILRC_HZ]


@njit(cache=True, _nrt=False)
def system_clock(regs, clkmd):
    """(f_osc, divider) of the system clock; f_osc = 0 when no running oscillator drives it."""
    osc, d = clock_select(clkmd)
    if not osc_enabled(clkmd, osc):
        return 0, d
    return osc_hz(regs, osc), d


@njit(cache=True, _nrt=False)
def rate(regs, clkmd, source):
    """(N, D) of a peripheral clocked by `source` (SRC_*) under the given CLKMD; N = 0 when
    its oscillator (or the system clock) is stopped."""
    f_osc, d = system_clock(regs, clkmd)
    if f_osc == 0:
        return 0, 1
    if source == SRC_CLK:
        return f_osc, f_osc
    osc = OSC_IHRC if source == SRC_IHRC else OSC_ILRC
    if not osc_enabled(clkmd, osc):
        return 0, 1
    return osc_hz(regs, osc) * d, f_osc


@njit(cache=True, _nrt=False)
def ticks_after(acc, n_num, d_den, cycles):
    """(ticks, new acc) after `cycles` system cycles; split so nothing overflows int64."""
    if n_num == d_den:  # a source at the system clock (acc < d_den stays as it is)
        return cycles, acc
    if n_num == 0:  # a stopped source: the phase waits
        return 0, acc
    q = cycles // d_den
    r = cycles - q * d_den
    t = acc + r * n_num
    return q * n_num + t // d_den, t % d_den


@njit(cache=True, _nrt=False)
def cycles_for_ticks(acc, n_num, d_den, k):
    """Smallest number of cycles after which `k` (>= 1) ticks have happened; -1 never."""
    if n_num == 0:
        return -1
    need = k * d_den - acc
    return (need + n_num - 1) // n_num


@njit(cache=True, _nrt=False)
def rescale_phase(acc, old_den, new_den):
    """The phase `acc` of a tick under denominator `old_den`, as the same fraction of a
    tick under `new_den` (a trim changed the system oscillator's frequency)."""
    if old_den <= 0 or new_den <= 0:
        return 0
    return acc * new_den // old_den


@njit(cache=True, _nrt=False)
def ilrc_periods_in_cycles(regs, clkmd, ticks):
    """System cycles (at CLKMD's clock) that `ticks` ILRC periods take, the ILRC's phase
    starting at 0: the boot-up and wake-up times, counted in ILRC clocks (DS 4.1), pass
    in cycles of the clock that runs then. With no clock, `ticks` cycles."""
    f_osc, d = system_clock(regs, clkmd)
    if f_osc == 0:
        return ticks
    return cycles_for_ticks(0, regs[R_ILRC_HZ] * d, f_osc, ticks)


# -- time --------------------------------------------------------------------------------

FS_PER_S = TIME_UNITS_PER_S


@njit(cache=True, _nrt=False)
def close_time(regs, t):
    """Fold the open time segment (R_CLK_SINCE .. t at the clock it began with) into the
    time base, exact to 1 fs (floor), and start the next segment at `t`."""
    n = t - regs[R_CLK_SINCE]
    hz = regs[R_TIME_HZ]
    if n > 0 and hz > 0:
        periods = n * regs[R_TIME_DIV]  # oscillator periods
        whole = periods // hz
        rem = periods - whole * hz  # < hz < 10**8: the products below fit in int64
        x = rem * 100_000_000
        q1 = x // hz
        fs = q1 * 10_000_000 + ((x - q1 * hz) * 10_000_000) // hz
        total = regs[R_TIME_FS] + fs
        regs[R_TIME_S] += whole + total // FS_PER_S
        regs[R_TIME_FS] = total % FS_PER_S
    regs[R_CLK_SINCE] = t


@njit(cache=True, _nrt=False)
def open_time(regs, clkmd):
    """Let the segment that began at R_CLK_SINCE run at the clock CLKMD now selects."""
    f_osc, d = system_clock(regs, clkmd)
    regs[R_TIME_HZ] = f_osc
    regs[R_TIME_DIV] = d


def clock_word(io) -> int:
    """CLKMD | IHRCR << 8 | ILRCR << 16: what the system clock's frequency depends on
    besides the host's oscillator frequencies (the signal log carries it, bits 24..47)."""
    return int(io[IO_CLKMD]) | int(io[IO_IHRCR]) << 8 | int(io[IO_ILRCR]) << 16


def clock_word_hz(ihrc_hz: int, ilrc_hz: int, word: int) -> tuple[int, int]:
    """(f_osc, divider) of the system clock under clock word `word` for oscillators that
    run at `ihrc_hz`/`ilrc_hz` at the reset trims; f_osc = 0 when it stands (host side)."""
    clkmd = word & 0xFF
    osc, divider = clock_select(clkmd)
    if not osc_enabled(clkmd, osc):
        return 0, int(divider)
    if osc == OSC_IHRC:
        f = trimmed_hz(ihrc_hz, (word >> 8) & 0xFF, IHRCR_RESET, IHRC_TRIM_STEPS)
    else:
        f = trimmed_hz(ilrc_hz, (word >> 16) & 0xFF, ILRCR_RESET, ILRC_TRIM_STEPS)
    return int(f), int(divider)


def time_units_at(regs, io, cycle: int) -> int:
    """Time since power-on at `cycle` in TIME_UNITS_PER_S units (fs), exact, in Python ints
    (host side). `cycle` is at or after the start of the open segment (the last change of
    clock or trim); `io` is unused, kept for callers."""
    base = int(regs[R_TIME_S]) * FS_PER_S + int(regs[R_TIME_FS])
    hz = int(regs[R_TIME_HZ])
    n = int(cycle) - int(regs[R_CLK_SINCE])
    if hz <= 0 or n <= 0:
        return base
    return base + n * int(regs[R_TIME_DIV]) * FS_PER_S // hz
