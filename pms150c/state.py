"""Where the machine state lives: slot numbers of the ``regs`` int64 array and the codes
the jitted core returns.

The core keeps everything that is not RAM or IO in one int64 array so that a jitted call
takes few arguments and nothing can wrap silently. The slot numbers are module-level ints,
which Numba folds into constants.
"""

from __future__ import annotations

import numpy as np

# -- CPU ---------------------------------------------------------------------------------
R_A = 0
R_PC = 1
R_FLAGS = 2  # OV AC C Z in bits 3..0 (FLAG reads 0xF0 | flags)
R_SP = 3  # IO 0x02 lives here, not in the io array
R_GIE = 4
R_CYCLES = 5
R_MODE = 6  # MODE_* below
R_STACK_MAX = 7  # highest SP reached by a push since power-on / Machine.reset()
R_RESETS = 8  # watchdog time-outs and `reset` instructions
R_NEXT_EVENT = 9  # cycle at which the core must next run its boundary service
# -- peripherals (all advanced up to R_SYNC cycles) ---------------------------------------
R_SYNC = 10
R_T16 = 11  # Timer16 counter
R_T16_PRE = 12  # Timer16 prescaler counter (source ticks)
R_T16_ACC = 13  # Timer16 phase accumulator
R_TM2_PRE = 14  # Timer2 prescaler*scaler counter (source ticks)
R_TM2_ACC = 15
R_TM2_OUT = 16  # period-mode output toggle state (before inversion)
R_WDT = 17  # watchdog count (ILRC ticks)
R_WDT_ACC = 18
# -- port A ------------------------------------------------------------------------------
R_PIN_DRIVEN = 19  # mask of pins the host drives
R_PIN_HOST = 20  # levels the host drives
R_PIN_IN = 21  # current input level byte (host level, or pull-up on undriven pins)
R_SCHED_HEAD = 22  # index of the next pending row of the pin schedule
# -- time --------------------------------------------------------------------------------
R_CLK_SINCE = 23  # cycle at which the open time segment (the clock in force) began
R_TIME_FS = 24  # time at R_CLK_SINCE: the femtoseconds within the second (< 10**15) ...
# -- debug -------------------------------------------------------------------------------
R_TRACE_COUNT = 25  # instructions written to the trace ring so far
R_WATCH_INFO = 26  # last watchpoint hit: address (0..63 RAM, 64..95 IO) | kind << 8
R_WATCH_PC = 27  # pc of the instruction that hit the watchpoint
R_INSTRUCTIONS = 28  # instructions executed (debug variant only)
R_CHECK_COUNT = 29  # rows written to the firmware-check log (pms150c/debug/checks.py)
# -- the chip's options ------------------------------------------------------------------
R_FUSE = 30  # the fuse word at ROM 0x3FF (pms150c/factory.py), set at power-on, kept by resets
# -- undefined state (pms150c/undefined.py) ----------------------------------------------
R_UNDEFINED = 52  # 1: what the DS leaves undefined is random (Machine(undefined="random"))
R_RNG = 53  # the xorshift32 state those random values come from
# -- analog levels (pms150c/peripherals/analog.py), kept by resets like the host's pins ------
R_VDD_UV = 64  # VDD in microvolts
R_AN_DRIVEN = 65  # mask of pins the host drives with an analog level
R_AN_BASE = 72  # R_AN_BASE + n: the analog level on PAn in microvolts (slots 72..79)

# -- clocks (pms150c/peripherals/clock.py); slots from 40 leave 30..39 to other state ----
R_TIME_S = 40  # ... and whole seconds at R_CLK_SINCE
R_TIME_HZ = 41  # the open time segment's clock: oscillator frequency (0: no clock) ...
R_TIME_DIV = 42  # ... and divider, fixed when the segment began
R_IHRC_HZ = 43  # the IHRC's frequency now (whole Hz, trimmed by IHRCR)
R_ILRC_HZ = 44  # the ILRC's frequency now (whole Hz, trimmed by ILRCR)
R_IHRC_BASE_HZ = 45  # the IHRC's frequency at the reset trim code (Machine(ihrc_hz=...))
R_ILRC_BASE_HZ = 46  # the ILRC's frequency at the reset trim code (Machine(ilrc_hz=...))
R_CLOCK_STOP = 47  # the last clock stop: cause (CLOCK_STOP_*) | CLKMD written << 8
R_CLOCK_STOP_PC = 48  # pc of the instruction whose CLKMD write stopped the clock
R_CLOCK_STOPS = 49  # clock stops so far (a watchdog may reset the chip out of one)
R_HOLD_END = 50  # booting/waking: the cycle the CPU resumes at (-1: set at the next boundary)

N_REGS = 80

MODE_RUNNING = 0
MODE_STOPSYS = 1
MODE_STOPEXE = 2
MODE_CLOCK_STOPPED = 3  # no running oscillator drives the system clock: the CPU hangs
MODE_WAKING = 4  # woken from stopsys/stopexe, the CPU waits the wake-up time (tWUP)
MODE_BOOTING = 5  # after a reset the CPU waits the boot-up time (tSBP); nothing ticks
MODE_NAMES = ("running", "stopsys", "stopexe", "clock_stopped", "waking", "booting")

# Causes of a clock stop (R_CLOCK_STOP & 0xFF), DS 6.3 and 9.2.3.
CLOCK_STOP_RESERVED = 1  # CLKMD selects a reserved code: no oscillator
CLOCK_STOP_DISABLED = 2  # CLKMD selects an oscillator it disables
CLOCK_STOP_SWITCH = 3  # CLKMD switches oscillator and disables the old one in one write

# Status codes returned by the core.
ST_LIMIT = 0
ST_STOPSYS = 1
ST_BREAKPOINT = 2
ST_WATCHPOINT = 3
ST_INVALID = 4
ST_STACK = 5
ST_RUN = 6  # internal: the boundary service lets the CPU execute
ST_CONDITION = 10  # a data condition of break_when holds (R_WATCH_INFO = its group)
ST_CHECK_FULL = 11  # internal: the check log is full; the Machine empties it and goes on
ST_EDGES_FULL = 20  # internal: the signal log is nearly full (pms150c/peripherals/signals.py)
ST_EDGE_STOP = 21  # internal: a signal a device answers changed (pms150c/devices.py)
ST_CLOCK_STOPPED = 22  # a CLKMD write stopped the system clock (R_CLOCK_STOP says how)

# Time is kept in femtoseconds (whole seconds and the femtoseconds within the second in
# two slots, so no run is long enough to overflow them). Within a stretch at one clock the
# host computes it exactly from the cycles; each change of clock or trim folds the
# stretch in, exact to 1 fs (docs/timing-model.md, "Clocks").
TIME_UNITS_PER_S = 10**15

# Watch mask bits (uint8[96]: RAM 0..63, IO 64..95).
WATCH_READ = 1
WATCH_WRITE = 2

# Columns of the trace ring (int64[n, 6]), state before the instruction executes.
TRACE_COLUMNS = ("pc", "word", "a", "flags", "sp", "cycles")


def new_regs() -> np.ndarray:
    return np.zeros(N_REGS, dtype=np.int64)


# Firmware-check log (int64[n, 4] rows: kind, pc, value, cycle at which the instruction starts).
CHECK_UNINITIALISED = 1  # value: the RAM address read before any write
CHECK_SP_OUTSIDE = 2  # value: the SP written, above the 64 bytes of RAM
CHECK_COLUMNS = ("kind", "pc", "value", "cycles")

# Data conditions of break_when (int64[n, 9] rows, pms150c/debug/conditions.py): a row
# holds when ((value of location) >> shift) & mask  OP  operand; rows with the same group
# number form a conjunction, and the core stops when every row of some group holds.
COND_GROUP, COND_SPACE, COND_ADDRESS, COND_SIZE, COND_SIGNED = 0, 1, 2, 3, 4
COND_SHIFT, COND_MASK, COND_OP, COND_OPERAND = 5, 6, 7, 8
COND_COLUMNS = 9
SPACE_RAM = 0  # `size` bytes little-endian from RAM `address`, signed when COND_SIGNED
SPACE_IO = 1  # IO register `address` as an instruction reads it (FLAG, SP, PA: pins)
SPACE_A = 2
SPACE_FLAGS = 3  # OV AC C Z in bits 3..0
SPACE_SP = 4
SPACE_PC = 5  # the next instruction's address
SPACE_GIE = 6
SPACE_PINS = 7  # port A levels as seen from outside
OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE = 0, 1, 2, 3, 4, 5
