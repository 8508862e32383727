"""The IO bus between the CPU and the peripherals: side effects of IO reads and writes,
catching peripherals up to the present, chip reset, and the next-event prediction.

FLAG (0x00) and SP (0x02) are CPU registers kept in the core's locals; the core handles
them itself and never calls these functions for them.
"""

from __future__ import annotations

from numba import njit

from ..device import (
    IO_CLKMD,
    IO_EOSCR,
    IO_GPCC,
    IO_GPCS,
    IO_IHRCR,
    IO_ILRCR,
    IO_INTEGS,
    IO_INTEN,
    IO_INTRQ,
    IO_MISC,
    IO_PA,
    IO_PADIER,
    IO_PAPH,
    IO_RESET,
    IO_T16M,
    IO_TM2B,
    IO_TM2C,
    IO_TM2CT,
    IO_TM2S,
)
from ..factory import BOOT_FAST_BITS
from ..state import (
    CLOCK_STOP_DISABLED,
    CLOCK_STOP_RESERVED,
    CLOCK_STOP_SWITCH,
    MODE_BOOTING,
    MODE_CLOCK_STOPPED,
    MODE_RUNNING,
    R_A,
    R_AN_BASE,
    R_AN_DRIVEN,
    R_CLK_SINCE,
    R_CLOCK_STOP,
    R_CLOCK_STOPS,
    R_FLAGS,
    R_FUSE,
    R_GIE,
    R_HOLD_END,
    R_IHRC_BASE_HZ,
    R_IHRC_HZ,
    R_ILRC_BASE_HZ,
    R_ILRC_HZ,
    R_MODE,
    R_PC,
    R_PIN_IN,
    R_RESETS,
    R_RNG,
    R_SCHED_HEAD,
    R_SP,
    R_SYNC,
    R_T16,
    R_T16_ACC,
    R_T16_PRE,
    R_TIME_DIV,
    R_TIME_HZ,
    R_TM2_ACC,
    R_TM2_OUT,
    R_TM2_PRE,
    R_UNDEFINED,
    R_VDD_UV,
    R_WDT,
    R_WDT_ACC,
)
from ..undefined import WRITE_ONLY_MASK, next_state
from .analog import (
    CODE_ANALOG,
    CODE_VDD,
    GPCC_ENABLE,
    GPCC_RESULT,
    comparator_update,
    schmitt_level,
)
from .clock import (
    IHRC_TRIM_STEPS,
    IHRCR_RESET,
    ILRC_TRIM_STEPS,
    ILRCR_RESET,
    OSC_NONE,
    clock_select,
    close_time,
    ilrc_periods_in_cycles,
    open_time,
    osc_enabled,
    rescale_phase,
    system_clock,
    trimmed_hz,
)
from .port import drive, input_changed, input_level, pa_read, set_input, tm2_pin_bit
from .timers import (
    advance,
    t16_event_cycles,
    tm2_event_cycles,
    wdt_enabled,
    wdt_event_cycles,
    wdt_timeout,
)

CLKMD_RESET = IO_RESET[IO_CLKMD]
PADIER_RESET = IO_RESET[IO_PADIER]
# Boot-up (tSBP) and wake-up (tWUP) times in ILRC clocks (DS 5.2, 5.10.3 Table 5, 6.13).
FAST_ILRC_CLOCKS = 32
SLOW_ILRC_CLOCKS = 2048

# Registers whose value at read time depends on peripheral progress. INTRQ is not among
# them: a request bit cannot go 0 -> 1 before the core's next event (`next_event` plans
# every request and the watchdog time-out), and the core reads IO only before that event.
# PA depends on the timers only when Timer2 drives a pin.
READ_SYNC = 1 << IO_TM2CT
# Registers whose write changes peripheral timing: catch up before, re-plan after.
WRITE_SYNC = (
    (1 << IO_CLKMD)
    | (1 << IO_INTRQ)
    | (1 << IO_T16M)
    | (1 << IO_TM2B)
    | (1 << IO_INTEGS)
    | (1 << IO_PAPH)
    | (1 << IO_TM2S)
    | (1 << IO_MISC)
    | (1 << IO_TM2C)
    | (1 << IO_TM2CT)
    | (1 << IO_GPCC)
    | (1 << IO_GPCS)
    | (1 << IO_EOSCR)
    | (1 << IO_IHRCR)
    | (1 << IO_ILRCR)
)
# Writes that only need the core to re-plan (an interrupt may have become pending).
WRITE_REPLAN = WRITE_SYNC | (1 << IO_INTEN)


@njit(cache=True, _nrt=False)
def set_clkmd(regs, io, value):
    """Switch the system clock at the present sync time (time bookkeeping, accumulators)."""
    close_time(regs, regs[R_SYNC])
    io[IO_CLKMD] = value
    open_time(regs, value)
    regs[R_T16_ACC] = 0
    regs[R_TM2_ACC] = 0
    regs[R_WDT_ACC] = 0


@njit(cache=True, _nrt=False)
def random_byte(regs):
    """The next byte of the undefined-state generator (pms150c/undefined.py)."""
    x = next_state(regs[R_RNG])
    regs[R_RNG] = x
    return x >> 24


@njit(cache=True, _nrt=False)
def random_registers(regs, io):
    """A, FLAG, SP, INTEN, INTRQ: the registers with no reset value (DS 6.1-6.5), drawn."""
    regs[R_A] = random_byte(regs)
    regs[R_FLAGS] = random_byte(regs) & 0x0F
    regs[R_SP] = random_byte(regs)
    io[IO_INTEN] = random_byte(regs)
    io[IO_INTRQ] = random_byte(regs)


@njit(cache=True, _nrt=False)
def clock_stop_cause(old, new):
    """Why writing CLKMD `new` over `old` leaves the CPU without a clock (CLOCK_STOP_*), or
    0: a reserved code, a selected oscillator it disables (DS 6.3), or a switch of
    oscillator that disables the old one in the same write ("MCU will hang", DS 9.2.3)."""
    osc, _ = clock_select(new)
    if osc == OSC_NONE:
        return CLOCK_STOP_RESERVED
    if not osc_enabled(new, osc):
        return CLOCK_STOP_DISABLED
    before, _ = clock_select(old)
    if before != osc and before != OSC_NONE and not osc_enabled(new, before):
        return CLOCK_STOP_SWITCH
    return 0


@njit(cache=True, _nrt=False)
def stop_clock(regs, io, value, cause):
    """CLKMD `value` leaves no system clock: it is stored and the CPU hangs. The open time
    segment keeps the old clock, which the writing instruction's own cycles still use."""
    io[IO_CLKMD] = value
    regs[R_MODE] = MODE_CLOCK_STOPPED
    regs[R_CLOCK_STOP] = cause | value << 8
    regs[R_CLOCK_STOPS] += 1


@njit(cache=True, _nrt=False)
def watchdog_ends_clock_stop(regs, io, t):
    """A clock stop with the watchdog on and its ILRC running: the watchdog counts on and
    resets the chip after the rest of its period. That time passes (at the ILRC), cycles do
    not (there is no system clock); the chip restarts at cycle `t`. False: it hangs."""
    if not wdt_enabled(io):
        return False
    ticks = max(wdt_timeout(io) - regs[R_WDT], 1)
    regs[R_SYNC] = t
    close_time(regs, t)
    regs[R_TIME_HZ] = regs[R_ILRC_HZ]
    regs[R_TIME_DIV] = 1
    regs[R_CLK_SINCE] = t - ticks  # a segment of `ticks` ILRC periods, ending at t
    close_time(regs, t)
    chip_reset(regs, io)
    return True


@njit(cache=True, _nrt=False)
def set_trim(regs, io, addr, value):
    """IHRCR or ILRCR written at the sync time: the oscillator's new frequency. When the
    system clock changes with it, the time segment is split there and the timers' phases
    keep their fraction of a tick under the new denominator."""
    clkmd = io[IO_CLKMD]
    before, _ = system_clock(regs, clkmd)
    io[addr] = value
    if addr == IO_IHRCR:
        regs[R_IHRC_HZ] = trimmed_hz(regs[R_IHRC_BASE_HZ], value, IHRCR_RESET, IHRC_TRIM_STEPS)
    else:
        regs[R_ILRC_HZ] = trimmed_hz(regs[R_ILRC_BASE_HZ], value, ILRCR_RESET, ILRC_TRIM_STEPS)
    after, _ = system_clock(regs, clkmd)
    if after != before:
        close_time(regs, regs[R_SYNC])
        open_time(regs, clkmd)
        for slot in (R_T16_ACC, R_TM2_ACC, R_WDT_ACC):
            regs[slot] = rescale_phase(regs[slot], before, after)


@njit(cache=True, _nrt=False)
def fast_boot(regs):
    """The fuse word's boot-up time (bits 11:10, pms150c/factory.py): fast only when both
    bits are set."""
    return regs[R_FUSE] & BOOT_FAST_BITS == BOOT_FAST_BITS


@njit(cache=True, _nrt=False)
def boot_ilrc_clocks(regs):
    """tSBP in ILRC clocks: fast or slow boot-up by the fuse word (DS 5.2, 8)."""
    return FAST_ILRC_CLOCKS if fast_boot(regs) else SLOW_ILRC_CLOCKS


@njit(cache=True, _nrt=False)
def wake_cycles(regs, io):
    """tWUP in cycles of the clock in force: 32 ILRC clocks with MISC.5 (fast wake-up) or
    the fast boot-up, else 2048 (DS 6.13, 5.10.3 Table 5)."""
    fast = io[IO_MISC] & 0x20 or fast_boot(regs)
    ticks = FAST_ILRC_CLOCKS if fast else SLOW_ILRC_CLOCKS
    return ilrc_periods_in_cycles(regs, io[IO_CLKMD], ticks)


@njit(cache=True, _nrt=False)
def chip_reset(regs, io):
    """Watchdog or `reset` instruction: power-on state except RAM, time and pins (with
    undefined="random", A, FLAG, SP, INTEN and INTRQ drawn again); the CPU then waits the
    boot-up time (mode booting, nothing ticks) at the reset clock."""
    set_clkmd(regs, io, CLKMD_RESET)
    for i in range(io.size):
        io[i] = 0
    io[IO_CLKMD] = CLKMD_RESET
    io[IO_PADIER] = PADIER_RESET
    io[IO_IHRCR] = IHRCR_RESET
    io[IO_ILRCR] = ILRCR_RESET
    regs[R_IHRC_HZ] = regs[R_IHRC_BASE_HZ]
    regs[R_ILRC_HZ] = regs[R_ILRC_BASE_HZ]
    open_time(regs, CLKMD_RESET)  # at the untrimmed frequencies
    for slot in (R_A, R_PC, R_FLAGS, R_SP, R_GIE, R_T16, R_T16_PRE, R_TM2_PRE, R_TM2_OUT, R_WDT):
        regs[slot] = 0
    if regs[R_UNDEFINED]:
        random_registers(regs, io)
    regs[R_MODE] = MODE_BOOTING
    regs[R_HOLD_END] = regs[R_SYNC] + ilrc_periods_in_cycles(
        regs, CLKMD_RESET, boot_ilrc_clocks(regs)
    )
    regs[R_RESETS] += 1
    regs[R_PIN_IN] = input_level(regs, io)  # pull-ups off: no edge effects


@njit(cache=True, _nrt=False)
def catch_up(regs, io, to):
    """Advance the peripherals to cycle `to`; a watchdog time-out on the way resets the chip
    at the exact cycle, and the peripherals go on from the reset state once it has booted
    (nothing ticks while it boots)."""
    while True:
        n = to - regs[R_SYNC]
        if n <= 0:
            return
        if regs[R_MODE] == MODE_BOOTING:
            if to <= regs[R_HOLD_END]:
                regs[R_SYNC] = to
                return
            regs[R_SYNC] = max(regs[R_SYNC], regs[R_HOLD_END])
            regs[R_MODE] = MODE_RUNNING  # booted
            continue
        e = wdt_event_cycles(regs, io)
        if 0 <= e <= n:
            advance(regs, io, e)
            chip_reset(regs, io)
        else:
            advance(regs, io, n)
            return


@njit(cache=True, _nrt=False)
def io_read(regs, io, addr, t):
    """Value of IO register `addr` (not FLAG/SP) read by an instruction at cycle `t`."""
    if (READ_SYNC >> addr) & 1:
        catch_up(regs, io, t)
    elif addr == IO_PA:
        if tm2_pin_bit(io):
            catch_up(regs, io, t)
        return pa_read(regs, io)
    elif (WRITE_ONLY_MASK >> addr) & 1 and regs[R_UNDEFINED]:
        return random_byte(regs)  # a write-only register reads back undefined (DS 6.x: WO)
    return io[addr]


@njit(cache=True, _nrt=False)
def io_write(regs, io, addr, value, t):
    """Write IO register `addr` (not FLAG/SP) at cycle `t`; True if the core must re-plan."""
    value &= 0xFF
    if (WRITE_SYNC >> addr) & 1:
        catch_up(regs, io, t)
        if addr == IO_CLKMD:
            cause = clock_stop_cause(io[IO_CLKMD], value)
            if cause:
                stop_clock(regs, io, value, cause)
            else:
                set_clkmd(regs, io, value)
        elif addr == IO_IHRCR or addr == IO_ILRCR:
            set_trim(regs, io, addr, value)
        elif addr == IO_GPCC:  # GPCC.6, the result, is read-only (DS 6.14)
            enabling = (io[IO_GPCC] ^ value) & GPCC_ENABLE
            io[IO_GPCC] = (value & ~GPCC_RESULT) | (io[IO_GPCC] & GPCC_RESULT)
            comparator_update(regs, io, enabling != 0)
        else:
            io[addr] = value
        if addr == IO_GPCS or addr == IO_EOSCR:  # the ladder, the band-gap
            comparator_update(regs, io, False)
        elif addr == IO_T16M:
            regs[R_T16_PRE] = 0
        elif addr == IO_TM2S:
            regs[R_TM2_PRE] = 0
        elif addr == IO_TM2C:
            regs[R_TM2_PRE] = 0
            regs[R_TM2_OUT] = 0
        elif addr == IO_PAPH:
            input_changed(regs, io, False)
            comparator_update(regs, io, False)  # a floating pin is at VDD or 0 V
        return True
    io[addr] = value
    return (WRITE_REPLAN >> addr) & 1 == 1


@njit(cache=True, _nrt=False)
def drive_analog(regs, io, pin, microvolts):
    """The host puts `microvolts` on `pin` (< 0: releases it): the comparator sees the level,
    the digital input its Schmitt-trigger reading (peripherals/analog.py)."""
    if microvolts < 0:
        drive(regs, io, pin, -1)
        return
    regs[R_AN_BASE + pin] = microvolts
    regs[R_AN_DRIVEN] |= 1 << pin
    set_input(regs, io, pin, schmitt_level(regs, pin, microvolts))
    comparator_update(regs, io, False)


@njit(cache=True, _nrt=False)
def set_vdd(regs, io, microvolts):
    """The host sets VDD: the ladder and every pin at 0 V/VDD follow; the analog levels the
    host drives are read by the inputs again."""
    regs[R_VDD_UV] = microvolts
    for pin in (0, 3, 4, 5, 6, 7):
        if (regs[R_AN_DRIVEN] >> pin) & 1:
            set_input(regs, io, pin, schmitt_level(regs, pin, regs[R_AN_BASE + pin]))
    comparator_update(regs, io, False)


@njit(cache=True, _nrt=False)
def host_change(regs, io, code, level):
    """One row of the host's schedule (peripherals/analog.py, CODE_*)."""
    if code < CODE_ANALOG:
        drive(regs, io, code, level)
    elif code < CODE_VDD:
        drive_analog(regs, io, code - CODE_ANALOG, level)
    else:
        set_vdd(regs, io, level)


@njit(cache=True, _nrt=False)
def apply_schedule(regs, io, sched, t):
    """Apply the host's pin and analog changes due at or before cycle `t`."""
    h = regs[R_SCHED_HEAD]
    while h < sched.shape[0] and sched[h, 0] <= t:
        host_change(regs, io, sched[h, 1], sched[h, 2])
        h += 1
    regs[R_SCHED_HEAD] = h


@njit(cache=True, _nrt=False)
def next_event(regs, io, sched, end, any_request):
    """Earliest cycle (absolute) at which something observable happens, at most `end`."""
    t = regs[R_SYNC]
    nxt = end
    for e in (
        t16_event_cycles(regs, io, any_request),
        tm2_event_cycles(regs, io, any_request),
        wdt_event_cycles(regs, io),
    ):
        if e >= 0 and t + e < nxt:
            nxt = t + e
    h = regs[R_SCHED_HEAD]
    if h < sched.shape[0] and sched[h, 0] < nxt:
        nxt = max(sched[h, 0], t + 1)
    return nxt
