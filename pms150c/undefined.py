"""What the datasheet leaves undefined, made random on request: `Machine(undefined="random")`.

The DS gives no power-on value for RAM (5.12: "uncertain state" after power-up and LVR), A,
FLAG and SP (6.1, 6.2: reset "-"), INTEN and INTRQ (6.4, 6.5; 9.2.2: "INTEN and INTRQ have
no initial values"), and says nothing of what a write-only register (6.7-6.19: EOSCR,
INTEGS, PADIER, MISC, GPCS, TM2B, TM2S) reads back. By default the simulator makes all of
them deterministic (zero, and the last value written); with ``undefined="random"`` and a
``seed`` they come from a seeded generator instead, so firmware that depends on them
(reads RAM it never wrote, enables interrupts before clearing INTRQ, reads back TM2B) is
found by a test rather than on silicon.

The generator is xorshift32 (Marsaglia 2003: x ^= x << 13; x ^= x >> 17; x ^= x << 5,
modulo 2**32), one state in ``regs[R_RNG]``, advanced once per random byte, whose byte is
bits 31..24 of the new state. Both interpreters implement it (pms150c/reference.py has its
own copy); tests/test_undefined.py checks them against each other. Draw order at power-on:
A, FLAG (low 4 bits), SP, INTEN, INTRQ, then RAM 0..63; a reset (watchdog, `reset`, LVR,
PRSTB) draws A, FLAG, SP, INTEN, INTRQ again (and RAM after an LVR reset); each read of a
write-only register draws one byte.
"""

from __future__ import annotations

import secrets

from numba import njit

from . import validate
from .device import IO_EOSCR, IO_GPCS, IO_INTEGS, IO_MISC, IO_PADIER, IO_TM2B, IO_TM2S
from .errors import ArgumentError

MODES = ("zero", "random")
STATE_MASK = 0xFFFFFFFF
# The registers the DS marks write-only (WO) in chapter 6: reads return a random byte.
WRITE_ONLY = (IO_TM2B, IO_EOSCR, IO_INTEGS, IO_PADIER, IO_TM2S, IO_MISC, IO_GPCS)
WRITE_ONLY_MASK = sum(1 << addr for addr in WRITE_ONLY)


def check_mode(undefined: str, seed) -> tuple[bool, int | None]:
    """(random?, seed) for Machine's arguments; a random mode without a seed gets one drawn
    from the OS (Machine.seed shows it, so a failure can be run again)."""
    if undefined not in MODES:
        raise ArgumentError(
            f"undefined must be 'zero' or 'random', not {validate.describe(undefined)}"
        )
    if undefined == "zero":
        if seed is not None:
            raise ArgumentError("a seed needs undefined='random'")
        return False, None
    if seed is None:
        seed = secrets.randbits(32)
    return True, validate.integer(seed, "seed", 0, 2**64 - 1)


def seed_state(seed: int) -> int:
    """The generator's first state for a seed (never 0, which xorshift cannot leave)."""
    x = (seed ^ (seed >> 32)) & STATE_MASK
    x = (x * 0x9E3779B1 + 0x7F4A7C15) & STATE_MASK
    return x or 0x6D2B79F5


@njit(cache=True, _nrt=False)
def next_state(x):
    """xorshift32: the state after `x` (both in 1 .. 2**32 - 1)."""
    x ^= (x << 13) & 0xFFFFFFFF
    x ^= x >> 17
    x ^= (x << 5) & 0xFFFFFFFF
    return x


def power_on_values(seed: int) -> tuple[dict, bytes, int]:
    """The random power-on registers ({"a", "flags", "sp", "inten", "intrq"}), RAM, and the
    generator state after them, for `seed`."""
    x = seed_state(seed)
    drawn = []
    for _ in range(5 + 64):
        x = int(next_state(x))
        drawn.append(x >> 24)
    a, flags, sp, inten, intrq = drawn[:5]
    registers = {"a": a, "flags": flags & 0x0F, "sp": sp, "inten": inten, "intrq": intrq}
    return registers, bytes(drawn[5:]), x
