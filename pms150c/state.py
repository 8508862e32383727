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
R_CLK_SINCE = 23  # cycle at which the current CLKMD took effect
R_TIME_BASE = 24  # time at R_CLK_SINCE in TIME_UNITS_PER_S units
# -- debug -------------------------------------------------------------------------------
R_TRACE_COUNT = 25  # instructions written to the trace ring so far
R_WATCH_INFO = 26  # last watchpoint hit: address (0..63 RAM, 64..95 IO) | kind << 8
R_WATCH_PC = 27  # pc of the instruction that hit the watchpoint
R_INSTRUCTIONS = 28  # instructions executed (debug variant only)

N_REGS = 32

MODE_RUNNING = 0
MODE_STOPSYS = 1
MODE_STOPEXE = 2
MODE_NAMES = ("running", "stopsys", "stopexe")

# Status codes returned by the core.
ST_LIMIT = 0
ST_STOPSYS = 1
ST_BREAKPOINT = 2
ST_WATCHPOINT = 3
ST_INVALID = 4
ST_STACK = 5
ST_RUN = 6  # internal: the boundary service lets the CPU execute

# Time is kept exactly as an integer count of 1/944e6 s: 944e6 is the least common
# multiple of the IHRC (16 MHz) and ILRC (59 kHz) frequencies, so one system cycle is a
# whole number of units at every CLKMD setting.
TIME_UNITS_PER_S = 944_000_000

# Watch mask bits (uint8[96]: RAM 0..63, IO 64..95).
WATCH_READ = 1
WATCH_WRITE = 2

# Columns of the trace ring (int64[n, 6]), state before the instruction executes.
TRACE_COLUMNS = ("pc", "word", "a", "flags", "sp", "cycles")


def new_regs() -> np.ndarray:
    return np.zeros(N_REGS, dtype=np.int64)
