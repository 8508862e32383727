"""What the datasheet leaves undefined: deterministic by default, seeded random on request
(`Machine(image, undefined="random", seed=n)`, pms150c/undefined.py), in both interpreters."""

from __future__ import annotations

import numpy as np
import pytest

from pms150c import Machine, assemble
from pms150c.errors import ArgumentError
from pms150c.reference import ReferenceMachine
from pms150c.undefined import WRITE_ONLY, next_state, power_on_values, seed_state

BOTH = pytest.mark.parametrize("kind", [Machine, ReferenceMachine], ids=["core", "reference"])
# The DS's write-only registers (chapter 6, "WO"): TM2B 6.18, EOSCR 6.7, INTEGS 6.8,
# PADIER 6.9, TM2S 6.19, MISC 6.13, GPCS 6.15.
DS_WRITE_ONLY = {0x09, 0x0A, 0x0C, 0x0D, 0x17, 0x1B, 0x1E}


def xorshift32(y: int) -> int:
    """Marsaglia, "Xorshift RNGs" (2003), the 32-bit generator with shifts 13, 17, 5."""
    y ^= (y << 13) & 0xFFFFFFFF
    y ^= y >> 17
    y ^= (y << 5) & 0xFFFFFFFF
    return y


def stream(seed: int, n: int) -> list[int]:
    """The first `n` random bytes for `seed`: bits 31..24 of each new state."""
    x, out = seed_state(seed), []
    for _ in range(n):
        x = xorshift32(x)
        out.append(x >> 24)
    return out


def test_the_generator_is_marsaglias_xorshift32():
    # the paper's example starts from y = 2463534242; its first output is 723471715
    assert xorshift32(2463534242) == 723471715
    x = 2463534242
    for _ in range(1000):
        assert next_state(x) == xorshift32(x)  # the jitted copy the core uses
        x = xorshift32(x)


def test_the_write_only_registers_are_the_datasheets():
    assert set(WRITE_ONLY) == DS_WRITE_ONLY


READS = """
        mov.io a, 0x09      ; TM2B (write-only)
        mov 0x30, a
        mov.io a, 0x09
        mov 0x31, a
        mov a, #0x5a
        mov.io 0x17, a      ; TM2S = 0x5A
        mov.io a, 0x17
        mov 0x32, a
        mov.io a, 0x10      ; PA: readable, never random
        mov 0x33, a
        stopsys
"""


@BOTH
def test_by_default_power_on_is_zero_and_write_only_registers_read_back(kind):
    m = kind(assemble(READS))
    assert bytes(m.ram) == bytes(64)
    assert (m.a, m.sp, m.io_peek(0x04), m.io_peek(0x05)) == (0, 0, 0, 0)
    m.run(100)
    assert bytes(m.ram[0x30:0x34]) == bytes([0, 0, 0x5A, 0])


@BOTH
def test_random_power_on_state_is_the_seeds_stream_in_the_documented_order(kind):
    drawn = stream(1234, 5 + 64)
    m = kind(assemble(READS), undefined="random", seed=1234)
    snap = m.snapshot()
    assert (snap["a"], snap["flags"], snap["sp"]) == (drawn[0], drawn[1] & 0x0F, drawn[2])
    assert (snap["io"][0x04], snap["io"][0x05]) == (drawn[3], drawn[4])
    assert snap["ram"] == bytes(drawn[5:])
    registers, ram, _ = power_on_values(1234)
    assert ram == bytes(drawn[5:]) and registers["intrq"] == drawn[4]


@BOTH
def test_each_read_of_a_write_only_register_draws_a_byte(kind):
    m = kind(assemble(READS), undefined="random", seed=99)
    m.run(100)
    after = stream(99, 5 + 64 + 3)[5 + 64 :]  # three reads of write-only registers
    assert list(m.ram[0x30:0x33]) == after
    assert m.ram[0x33] == 0  # PA reads its pins
    assert m.io_peek(0x17) == 0x5A  # a peek has no side effects: the value written


def test_the_same_seed_gives_the_same_chip_and_another_seed_another():
    image = assemble(READS)
    a, b, c = (Machine(image, undefined="random", seed=s) for s in (5, 5, 6))
    assert a.snapshot() == b.snapshot() != c.snapshot()
    a.reset()  # a power-on again: the same values
    assert a.snapshot() == b.snapshot()


@BOTH
def test_a_reset_draws_the_registers_again_and_keeps_ram(kind):
    # `reset` (DS: as a hardware reset): A, FLAG, SP, INTEN, INTRQ have no reset value
    m = kind(assemble("mov a, #0x11\n mov 0x20, a\n reset\n"), undefined="random", seed=3)
    m.run(3)  # mov, mov, reset (1 cycle each)
    drawn = stream(3, 5 + 64 + 5)[5 + 64 :]
    snap = m.snapshot()
    assert (snap["pc"], snap["resets"], snap["ram"][0x20]) == (0, 1, 0x11)
    assert (snap["a"], snap["flags"], snap["sp"]) == (drawn[0], drawn[1] & 0x0F, drawn[2])
    assert (snap["io"][0x04], snap["io"][0x05]) == (drawn[3], drawn[4])


def test_both_interpreters_agree_through_watchdog_resets_and_write_only_reads():
    # ILRC/16 with the watchdog on: 16 ILRC ticks a cycle, so it bites every ~512 cycles
    source = (
        " mov a, #0x5e\n mov.io 0x03, a\n"
        "loop:\n mov.io a, 0x1e\n xor 0x21, a\n set1.io 0x0d, #1\n goto loop\n"
    )
    fast = Machine(assemble(source), undefined="random", seed=2024)
    ref = ReferenceMachine(assemble(source), undefined="random", seed=2024)
    for m in (fast, ref):
        m.run(3000)
    assert fast.snapshot() == ref.snapshot()
    assert fast.resets == ref.resets >= 5


def test_run_batch_starts_every_run_from_the_machines_power_on_state():
    image = assemble("mov a, 0x10\n mov 0x20, a\n stopsys\n")
    m = Machine(image, undefined="random", seed=8)
    batch = m.run_batch(0x3E0, np.zeros((2, 1), dtype=np.int64), 100)
    m.run(100)
    assert bytes(batch["ram"][0]) == bytes(batch["ram"][1]) == bytes(m.ram)
    assert m.ram[0x20] == m.ram[0x10] == stream(8, 5 + 64)[5 + 0x10]


def test_without_a_seed_one_is_drawn_and_shown():
    m = Machine(assemble("nop"), undefined="random")
    again = Machine(assemble("nop"), undefined="random", seed=m.seed)
    assert isinstance(m.seed, int) and m.snapshot() == again.snapshot()
    assert Machine(assemble("nop")).seed is None and Machine(assemble("nop")).undefined == "zero"


@pytest.mark.parametrize(
    "options",
    [{"undefined": "chaos"}, {"undefined": None}, {"seed": 3}, {"undefined": "random", "seed": -1}],
)
def test_bad_undefined_options_are_argument_errors(options):
    with pytest.raises(ArgumentError):
        Machine(assemble("nop"), **options)


ISR_COUNT = """
#include "pms150c.h"
volatile unsigned char isr_runs;
STARTUP(CLKMD_IHRC_DIV2)
void isr(void) __interrupt(0)
{
    isr_runs++;
    intrq = 0;
}
void main(void)
{
    inten = INT_T16;  /* the bug: INTRQ is not cleared before engint (DS 9.2.2 step 2) */
    __asm__("engint");
    for (;;)
        __asm__("stopsys");
}
"""


def test_firmware_that_enables_interrupts_before_clearing_intrq_is_found(sdcc_build):
    """DS 9.2.2 (2): INTEN and INTRQ have no initial values. The firmware never starts a
    timer, so an interrupt can only come from the undefined INTRQ: never with the default
    zeros, and on the seeds whose power-on INTRQ has bit 2 (T16) set."""
    ihx = sdcc_build("isr_count", sources={"isr_count.c": ISR_COUNT})
    plain = Machine.from_ihx(ihx)
    plain.run(20_000)
    assert plain.read_var("isr_runs") == 0
    for seed in range(8):
        m = Machine.from_ihx(ihx, undefined="random", seed=seed)
        t16_requested = stream(seed, 5)[4] & 0x04
        m.run(20_000)
        assert m.mode == "stopsys"
        assert m.read_var("isr_runs") == (1 if t16_requested else 0)
