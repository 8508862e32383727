"""Port A: host-driven inputs, the output latch, pull-ups and the Timer2 pin override.

The *input level* of a pin is what the host drives, or the pull-up (PAPH) when the host
leaves it floating. The *pin level* seen from outside is the Timer2 output when routed to
the pin, else the PA latch when PAC makes it an output, else the input level. PADIER gates
the pad's digital input (DS Fig. 13): a pin whose PADIER bit is 0 reads 0 as an input, and
its edges reach nothing. Edges of the gated input level drive the PA0 interrupt, the pin
clock sources of the timers and the wake-up.
"""

from __future__ import annotations

from numba import njit

from ..device import (
    IO_GPCC,
    IO_INTEGS,
    IO_PA,
    IO_PAC,
    IO_PADIER,
    IO_PAPH,
    IO_T16M,
    IO_TM2C,
    PA_PIN_MASK,
)
from ..state import (
    MODE_BOOTING,
    MODE_STOPEXE,
    MODE_STOPSYS,
    R_AN_DRIVEN,
    R_MODE,
    R_PIN_DRIVEN,
    R_PIN_HOST,
    R_PIN_IN,
)
from .analog import comparator_on_pa0, comparator_update
from .timers import INT_PA0, request, t16_count, tm2_count, tm2_level, wake

PA5_BIT = 0x20


@njit(cache=True, _nrt=False)
def input_level(regs, io):
    driven = regs[R_PIN_DRIVEN]
    return ((regs[R_PIN_HOST] & driven) | (io[IO_PAPH] & ~driven)) & PA_PIN_MASK


@njit(cache=True, _nrt=False)
def tm2_pin_bit(io):
    route = (io[IO_TM2C] >> 2) & 3
    if route == 2:
        return 0x08
    if route == 3:
        return 0x10
    return 0


@njit(cache=True, _nrt=False)
def pin_levels(regs, io):
    """The level of each pin seen from outside. PA5 is open drain as an output (DS 5.11,
    9.2.1 (3)): it pulls low or lets go, so its level is the latch AND the outside level."""
    pac = io[IO_PAC]
    outside = regs[R_PIN_IN]
    level = (outside & ~pac) | (io[IO_PA] & pac & ~PA5_BIT) | (io[IO_PA] & pac & outside & PA5_BIT)
    bit = tm2_pin_bit(io)
    if bit:
        level = (level & ~bit) | (bit if tm2_level(regs, io) else 0)
    if comparator_on_pa0(io):  # GPCS.7: the comparator's output forced onto PA0
        level = (level & ~1) | ((io[IO_GPCC] >> 6) & 1)
    return level & PA_PIN_MASK


@njit(cache=True, _nrt=False)
def pin_directions(io):
    forced = tm2_pin_bit(io) | (1 if comparator_on_pa0(io) else 0)
    return (io[IO_PAC] | forced) & PA_PIN_MASK


@njit(cache=True, _nrt=False)
def pa_read(regs, io):
    """PA as an instruction reads it: an output's level (its latch, or the Timer2 output),
    an input's pad level through its PADIER gate, the latch for the pinless bits 1, 2."""
    seen = pin_levels(regs, io) & (io[IO_PAC] | io[IO_PADIER])
    return seen | (io[IO_PA] & 0x06)


@njit(cache=True, _nrt=False)
def input_changed(regs, io, by_host):
    """Recompute the input level and apply the effects of its edges."""
    new = input_level(regs, io)
    old = regs[R_PIN_IN]
    diff = new ^ old
    if diff == 0:
        return
    regs[R_PIN_IN] = new
    diff &= io[IO_PADIER]  # a disabled digital input passes no edge (DS Fig. 13)
    if regs[R_MODE] == MODE_BOOTING:
        return  # the chip is held in reset: no request, no count, no wake-up
    asleep = regs[R_MODE] == MODE_STOPSYS or regs[R_MODE] == MODE_STOPEXE
    if by_host and asleep and diff & ~io[IO_PAC] & PA_PIN_MASK:
        wake(regs)  # a pin change wakes stopsys and stopexe (not a hang)
    timers_run = regs[R_MODE] != MODE_STOPSYS  # no timer counts in power-down
    if diff & 1:
        rising = new & 1
        edge = io[IO_INTEGS] & 3
        if edge == 0 or (edge == 1 and rising) or (edge == 2 and not rising):
            request(regs, io, INT_PA0)
        t16_sel = (io[IO_T16M] >> 5) & 7
        if timers_run and t16_sel == 7 and not rising:
            t16_count(regs, io, 1)
        tm2_sel = (io[IO_TM2C] >> 4) & 15
        if timers_run and ((tm2_sel == 8 and rising) or (tm2_sel == 9 and not rising)):
            tm2_count(regs, io, 1)
    if diff & 0x10 and timers_run:
        rising = (new >> 4) & 1
        if (io[IO_T16M] >> 5) & 7 == 3 and not rising:
            t16_count(regs, io, 1)
        tm2_sel = (io[IO_TM2C] >> 4) & 15
        if (tm2_sel == 12 and rising) or (tm2_sel == 13 and not rising):
            tm2_count(regs, io, 1)


@njit(cache=True, _nrt=False)
def drive(regs, io, pin, level):
    """The host drives `pin` to `level` (0/1), or releases it (level < 0)."""
    regs[R_AN_DRIVEN] &= ~(1 << pin)  # a digital level (or none) replaces an analog one
    set_input(regs, io, pin, level)
    comparator_update(regs, io, False)


@njit(cache=True, _nrt=False)
def set_input(regs, io, pin, level):
    """`pin`'s input driven to `level` (0/1) or released (< 0), with the effects of its edge;
    the caller brings the comparator up to date."""
    bit = 1 << pin
    if level < 0:
        regs[R_PIN_DRIVEN] &= ~bit
    else:
        regs[R_PIN_DRIVEN] |= bit
        if level:
            regs[R_PIN_HOST] |= bit
        else:
            regs[R_PIN_HOST] &= ~bit
    input_changed(regs, io, True)
