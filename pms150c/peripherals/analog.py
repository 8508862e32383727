"""Analog levels on the pins and the comparator (GPCC 0x1A, GPCS 0x1E; DS 5.5, Fig. 3-7, 6.14,
6.15), in integer microvolts so both interpreters compare exactly.

The host sets VDD and the voltage on any pin (`Machine.vdd`, `set_analog`, `schedule_analog`).
A pin the host drives digitally is at 0 V or VDD, a floating one at VDD with its pull-up
(PAPH) and 0 V without (our choice). An analog level also drives the pin's Schmitt-trigger
input (DS 3, "ST"): it reads 1 from 0.6 VDD up (0.8 VDD on PA5), 0 from 0.1 VDD down (DS 4.1
VIH min / VIL max) and keeps its level in between (our choice: the thresholds at the DS's
guarantees). The comparator sees the pad as the host drives it (not the chip's own output
drivers) and is not gated by PADIER (DS Fig. 13: the analog module sits before the gate).

Comparator (DS Fig. 3): plus input GPCC.0 (0 V_R, 1 PA4), minus input GPCC[3:1] (000 PA3, 001
PA4, 010 the 1.20 V band-gap, 011 V_R, 100 PA6, 101 PA7; 11x reserved: our choice, the result
is 0). V_R = VDD * k / d from the GPCS ladder (Fig. 4-7): GPCS[5:4] = 00: (n + 9) / 32,
01: (n + 1) / 24, 10: (n + 9) / 40, 11: (n + 1) / 32, n = GPCS[3:0]. The result is 1 when
plus > minus (6.14; equal gives 0: our choice), inverted by GPCC.4, 0 while GPCC.7 is off
(our choice); it reads as GPCC.6 (read-only). EOSCR.0 powers the band-gap down (6.7): it then
reads 0 V (our choice). Each change of the result, at the host change or IO write that
causes it, requests INTRQ.4 by INTEGS[7:6] (00 both edges, 01 rising, 10 falling, 11 none),
wakes stopexe when GPCS.6 is set (DS 5.10.1 c), and clocks Timer2 on a rising edge when
TM2C[7:4] = 0101 (our choice of edge); GPCS.7 drives it onto PA0. Enabling or disabling the
comparator requests nothing (our choice: its output is not settled then, DS 4.1 CPmc).
Not modelled: the offset (±10 mV), the response and settling times, sampling by TM2_CLK
(GPCC.5; the result is always direct).
"""

from __future__ import annotations

from numba import njit

from ..device import IO_EOSCR, IO_GPCC, IO_GPCS, IO_INTEGS, IO_INTRQ, IO_TM2C
from ..state import (
    MODE_STOPEXE,
    MODE_STOPSYS,
    R_AN_BASE,
    R_AN_DRIVEN,
    R_MODE,
    R_PIN_IN,
    R_VDD_UV,
)
from .timers import tm2_count, wake

BANDGAP_UV = 1_200_000  # DS 5.5.3: the internal band-gap reference, 1.20 V
VDD_DEFAULT_UV = 5_000_000  # our choice: the DS's characterisation supply (4.1: VDD = 5.0 V)
INT_CMP = 0x10  # INTEN/INTRQ bit 4 (DS 6.4, 6.5)
GPCC_ENABLE, GPCC_RESULT, GPCC_INVERT = 0x80, 0x40, 0x10
GPCS_TO_PA0, GPCS_WAKE = 0x80, 0x40
TM2_SOURCE_COMPARATOR = 0b0101  # TM2C[7:4] (DS 6.16)
# Rows of the host's schedule: column 1 is the pin (a digital level), CODE_ANALOG + pin (an
# analog level in microvolts, -1 releases the pin) or CODE_VDD (VDD in microvolts).
CODE_ANALOG = 8
CODE_VDD = 16


@njit(cache=True, _nrt=False)
def pin_microvolts(regs, pin):
    """The voltage the host puts on `pin`: its analog level, else its input level x VDD."""
    if (regs[R_AN_DRIVEN] >> pin) & 1:
        return regs[R_AN_BASE + pin]
    return regs[R_VDD_UV] if (regs[R_PIN_IN] >> pin) & 1 else 0


@njit(cache=True, _nrt=False)
def schmitt_level(regs, pin, microvolts):
    """The digital level an analog voltage gives the pin's input (keeps it in between)."""
    vdd = regs[R_VDD_UV]
    high = 8 if pin == 5 else 6  # VIH min: 0.8 VDD on PA5, 0.6 VDD on the others
    if 10 * microvolts >= high * vdd:
        return 1
    if 10 * microvolts <= vdd:  # VIL max: 0.1 VDD
        return 0
    return (regs[R_PIN_IN] >> pin) & 1


@njit(cache=True, _nrt=False)
def _ladder(regs, io):
    """(numerator, denominator) of V_R in microvolts (DS Fig. 4-7)."""
    gpcs = io[IO_GPCS]
    n = gpcs & 15
    case = (gpcs >> 4) & 3
    k = n + 1 if case & 1 else n + 9
    d = (32, 24, 40, 32)[case]
    return regs[R_VDD_UV] * k, d


@njit(cache=True, _nrt=False)
def comparator_output(regs, io):
    """The comparator's output now (after GPCC.4's inversion), 0 while it is off."""
    gpcc = io[IO_GPCC]
    if not gpcc & GPCC_ENABLE:
        return 0
    minus = (gpcc >> 1) & 7
    if minus >= 6:
        return 0  # reserved minus input
    r_num, r_den = _ladder(regs, io)
    if gpcc & 1:
        p_num, p_den = pin_microvolts(regs, 4), 1
    else:
        p_num, p_den = r_num, r_den
    m_den = 1
    if minus == 0:
        m_num = pin_microvolts(regs, 3)
    elif minus == 1:
        m_num = pin_microvolts(regs, 4)
    elif minus == 2:
        m_num = 0 if io[IO_EOSCR] & 1 else BANDGAP_UV
    elif minus == 3:
        m_num, m_den = r_num, r_den
    elif minus == 4:
        m_num = pin_microvolts(regs, 6)
    else:
        m_num = pin_microvolts(regs, 7)
    raw = 1 if p_num * m_den > m_num * p_den else 0
    return raw ^ ((gpcc >> 4) & 1)


@njit(cache=True, _nrt=False)
def comparator_update(regs, io, quiet):
    """Bring GPCC.6 to the comparator's output; a change (unless `quiet`) requests INTRQ.4,
    wakes stopexe and clocks Timer2 as the module docstring says."""
    new = comparator_output(regs, io)
    gpcc = io[IO_GPCC]
    if new == (gpcc >> 6) & 1:
        return
    io[IO_GPCC] = gpcc ^ GPCC_RESULT
    if quiet:
        return
    mode = regs[R_MODE]
    edge = (io[IO_INTEGS] >> 6) & 3
    if edge == 0 or (edge == 1 and new) or (edge == 2 and not new):
        io[IO_INTRQ] |= INT_CMP  # not `request`: only GPCS.6 lets the comparator wake
    if io[IO_GPCS] & GPCS_WAKE and mode == MODE_STOPEXE:
        wake(regs)  # after the wake-up time, as any wake-up
    if new and (io[IO_TM2C] >> 4) & 15 == TM2_SOURCE_COMPARATOR and mode != MODE_STOPSYS:
        tm2_count(regs, io, 1)


@njit(cache=True, _nrt=False)
def comparator_on_pa0(io):
    """1 when GPCS.7 forces the comparator's output onto PA0."""
    return io[IO_GPCS] & GPCS_TO_PA0
