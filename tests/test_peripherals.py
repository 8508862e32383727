"""Timers, interrupts, watchdog, sleep and port A on the fast core, at exact cycles computed
on paper from docs/timing-model.md (the comments show the arithmetic)."""

from __future__ import annotations

import math

import pytest

from pms150c import assemble
from pms150c.machine import Machine, StopReason
from pms150c.reference import ReferenceMachine

NOPS = "\tnop\n" * 900


def machine(body: str, **options) -> Machine:
    return Machine(assemble("\t.area CODE (ABS)\n\t.org 0\n" + body), **options)


T16_ISR_PROGRAM = """
    goto main               ; cycles 0-1
    .org 0x20               ; word 0x010
isr:
    inc 0x20
    set0.io 0x05, #2        ; acknowledge T16
    reti
main:
    mov a, #0x30            ; 2
    mov.io 0x02, a          ; 3   SP = 0x30
    mov a, #0x04            ; 4
    mov.io 0x04, a          ; 5   INTEN = T16
    mov a, #{integs}        ; 6
    mov.io 0x0C, a          ; 7   INTEGS (bit 4: falling edge)
    engint                  ; 8
    mov a, #0x20            ; 9
    mov.io 0x06, a          ; 10  T16M = CLK, /1, bit 8: first count in cycle 10
loop:
    goto loop               ; 11, 13, 15, ... (boundaries at odd cycles)
"""


def test_t16_interrupt_is_taken_at_the_exact_cycle():
    m = machine(T16_ISR_PROGRAM.format(integs=0))
    m.breakpoints.add("isr")
    # bit 8 rises when the counter reaches 0x100: after the count of cycle 10 + 255, i.e.
    # visible at cycle 266. The first boundary at or after it is 267 (gotos at odd cycles);
    # the entry takes 2 cycles, so the ISR's first instruction starts at 269.
    assert m.run(10_000) == StopReason.BREAKPOINT
    assert (m.pc, m.cycles, m.gie) == (0x010, 269, 0)
    assert m.t16 == 269 - 10
    loop = m.image.labels["loop"]
    assert bytes(m.ram[0x30:0x32]) == bytes([loop & 0xFF, loop >> 8])
    # ISR: inc 1 + set0.io 1 + reti 2 -> back at 273 (odd again). The next rising edge of
    # bit 8 is at 0x300: visible at 10 + 0x300 = 778, boundary 779, ISR at 781.
    assert m.run(10_000) == StopReason.BREAKPOINT
    assert (m.cycles, int(m.ram[0x20])) == (781, 1)


def test_t16_falling_edge_interrupt():
    m = machine(T16_ISR_PROGRAM.format(integs=0x10))
    m.breakpoints.add("isr")
    # bit 8 falls when the counter reaches 0x200: visible at 10 + 512 = 522, boundary 523,
    # ISR at 525.
    assert m.run(10_000) == StopReason.BREAKPOINT
    assert m.cycles == 525


def test_ldt16_reads_the_exact_count_with_two_ihrc_ticks_per_cycle():
    m = machine(
        """
        mov a, #0x34
        mov.io 0x03, a      ; 1: system clock IHRC/2 = 8 MHz
        mov a, #0x80
        mov.io 0x06, a      ; 3: T16 counts IHRC (16 MHz) = 2 ticks per system cycle
        """
        + "\tnop\n" * 10
        + """
        ldt16 0x10          ; 14: the ticks of cycles 3..13 = 11 cycles * 2 = 22
        stopsys
        """
    )
    assert m.run() == StopReason.STOPSYS
    assert int(m.ram[0x10]) | int(m.ram[0x11]) << 8 == 22
    assert m.clock_hz == 8_000_000


def test_stopexe_stops_a_timer16_on_the_system_clock():
    # DS 5.10.1 (p. 40): in stopexe "Timer counter: Stop counting if its clock source is
    # system clock"; only a timer not on SYSCLK wakes the chip.
    m = machine(
        """
        mov a, #0xF4
        mov.io 0x03, a      ; 1: ILRC, watchdog off (DS 5.10.1: off before stopexe)
        mov a, #0x20
        mov.io 0x06, a      ; 3: T16 from CLK, /1, bit 8: counts in cycle 3
        stopexe             ; 4: the system clock is off from this cycle on
    after:
        inc 0x20
        stopsys
        """
    )
    assert m.run(100_000) == StopReason.MAX_CYCLES
    assert (m.mode, m.t16, int(m.ram[0x20])) == ("stopexe", 1, 0)
    assert m.io_peek(0x05) & 0x04 == 0  # no request either
    m.set_pin(7, 1)  # a pin toggle wakes it: after the wake-up time the timer counts again
    assert m.mode == "waking"
    assert m.run() == StopReason.STOPSYS
    # the wake-up time (32 ILRC clocks = 32 cycles of ILRC/1) still has the clock off;
    # then the count of `inc`'s cycle (stopsys's own cycle has no clock)
    assert (m.t16, m.cycles) == (1 + 1, 100_000 + 32 + 2)


@pytest.mark.parametrize("kind", [Machine, ReferenceMachine])
def test_stopexe_is_woken_by_timer16_on_the_ilrc(kind):
    # The DS 5.10.1 example (p. 40): T16M = ILRC, /1, bit 8, counter 0, stopexe: "the system
    # will be waken up after the Timer16 counts 256 ILRC clocks". System clock IHRC/2 =
    # 8 MHz: one ILRC tick per 8e6 / 59e3 cycles; the phase accumulator starts with the
    # T16M write at cycle 3, so the 256th tick ends cycle 3 + ceil(256 * 16e6 / (2 * 59e3))
    # - 1 = 3 + 34712 - 1 = 34714: the wake-up event. The CPU runs `inc` after the wake-up
    # time, 32 ILRC clocks (DS 5.10.3 Table 5; fast: the factory fuse's fast boot-up):
    # ceil(32 * 16e6 / (2 * 59e3)) = 4339 cycles, at 34715 + 4339. T16 counts on meanwhile.
    m = kind(
        assemble(
            """
            mov a, #0x34
            mov.io 0x03, a      ; 1: IHRC/2, watchdog off (DS: off before stopexe)
            mov a, #0xC0
            mov.io 0x06, a      ; 3: T16 from ILRC, /1, bit 8
            stopexe             ; 4
            inc 0x20            ; 39054
            stopsys             ; 39055
            """
        )
    )
    assert m.run(100_000) == StopReason.STOPSYS
    wake = 3 + math.ceil(256 * 16_000_000 / (2 * 59_000)) - 1 + 1
    resume = wake + math.ceil(32 * 16_000_000 / (2 * 59_000))
    ticks = (resume + 1 - 3) * 2 * 59_000 // 16_000_000  # cycles 3 .. resume (inc's cycle)
    assert (m.cycles, m.t16, int(m.ram[0x20])) == (resume + 2, ticks, 1)
    assert ticks == 256 + 32


@pytest.mark.parametrize("kind", [Machine, ReferenceMachine])
@pytest.mark.parametrize("source, wakes", [(0x1, False), (0x2, True)])
def test_stopexe_timer2_wakes_only_when_not_on_the_system_clock(kind, source, wakes):
    # TM2C[7:4] = 0001 CLK or 0010 IHRC; period mode, TM2B = 99: counts 1..99 take TM2CT
    # to 99 and the 100th finds TM2CT == TM2B (the match). System clock IHRC/4 (4 MHz):
    # the IHRC gives 4 ticks per cycle from the TM2C write at cycle 5, so the match ends
    # cycle 5 + ceil(100 / 4) - 1 = 29: the wake-up event at 30; after the wake-up time
    # of ceil(32 * 16e6 / (4 * 59e3)) = 2170 cycles `inc` runs, then stopsys. On the system
    # clock Timer2 stops in stopexe (DS 5.10.1).
    m = kind(
        assemble(
            f"""
            mov a, #0x14
            mov.io 0x03, a      ; 1: IHRC/4, watchdog off
            mov a, #99
            mov.io 0x09, a      ; 3: TM2B
            mov a, #0x{source:x}0
            mov.io 0x1C, a      ; 5: source, period mode, no output
            stopexe             ; 6
            inc 0x20
            stopsys
            """
        )
    )
    reason = m.run(10_000)
    if wakes:
        assert reason == StopReason.STOPSYS
        resume = 5 + math.ceil(100 / 4) + math.ceil(32 * 16_000_000 / (4 * 59_000))
        assert (m.cycles, int(m.ram[0x20])) == (resume + 2, 1)
    else:
        assert reason == StopReason.MAX_CYCLES
        assert m.mode == "stopexe" and int(m.ram[0x20]) == 0
        assert m.io_peek(0x1D) == 1  # the count of cycle 5 only


def test_stopexe_without_events_sleeps_until_the_limit():
    m = machine("stopexe\n inc 0x20\n")
    assert m.run(1000) == StopReason.MAX_CYCLES
    assert (m.cycles, m.mode, int(m.ram[0x20])) == (1000, "stopexe", 0)
    m.schedule_pin(1500, 0, 1)  # PA0: input, PADIER.0 = 1 after reset -> wakes at 1500
    m.breakpoints.add(1)
    assert m.run(10_000) == StopReason.BREAKPOINT
    # then the wake-up time: 32 ILRC clocks (fast, by the factory fuse) at ILRC/1
    assert (m.cycles, m.mode) == (1500 + 32, "running")


def test_pa0_interrupt_from_a_scheduled_rising_edge():
    m = machine(
        """
        goto main           ; 0-1
        .org 0x20
    isr:
        inc 0x20
        set0.io 0x05, #0    ; acknowledge PA0
        reti
    main:
        mov a, #0x30
        mov.io 0x02, a      ; 2, 3
        mov a, #0x01
        mov.io 0x04, a      ; 4, 5  INTEN.0 (PA0)
        mov a, #0x01
        mov.io 0x0C, a      ; 6, 7  INTEGS: rising edge only
        engint              ; 8
    loop:
        goto loop           ; 9, 11, ...
        """
    )
    m.schedule_pin(100, 0, 1)  # applied at the first boundary >= 100: 101
    m.schedule_pin(300, 0, 0)  # a falling edge: no request
    m.breakpoints.add("isr")
    assert m.run(10_000) == StopReason.BREAKPOINT
    assert m.cycles == 101 + 2
    assert m.run(1000) == StopReason.MAX_CYCLES
    assert int(m.ram[0x20]) == 1
    assert m.pins & 1 == 0  # the falling edge did happen


def test_watchdog_resets_at_the_exact_cycle_and_keeps_ram():
    # After power-on CLKMD = 0xF6: system clock = ILRC, watchdog on, one ILRC tick per
    # cycle; MISC = 0: time-out at 8192 ticks, reached in cycle 8191.
    m = machine(
        """
        inc 0x20            ; 0, and again after every reset
    loop:
        goto loop           ; 1, 3, ..., 8189, 8191
        """
    )
    m.run(8191)
    assert (m.cycles, m.resets, m.pc) == (8191, 0, 1)
    m.step()  # the goto at 8191: the reset happens in its first cycle
    assert (m.cycles, m.resets, m.pc, int(m.ram[0x20])) == (8193, 1, 0, 1)
    # then the boot-up time tSBP (DS 5.2, Fig. 11): 32 ILRC clocks (the factory fuse word's
    # fast boot-up) at the reset clock ILRC/1, from 8192: the CPU resumes at 8224
    assert m.mode == "booting"
    m.run(8224 - m.cycles)
    assert (m.cycles, int(m.ram[0x20])) == (8224, 1)
    m.step()
    assert int(m.ram[0x20]) == 2
    # nothing ticks while booting: the count restarts with the tick of cycle 8224, next
    # time-out in cycle 8224 + 8191 = 16415. inc at 8224, gotos at odd cycles 8225, ...
    m.run(16415 - m.cycles)
    assert (m.cycles, m.resets) == (16415, 1)
    m.step()
    assert (m.cycles, m.resets, m.pc) == (16417, 2, 0)


def test_wdreset_keeps_the_watchdog_quiet():
    m = machine("loop:\n wdreset\n goto loop\n")
    m.run(100_000)
    assert m.resets == 0


def test_watchdog_period_follows_misc():
    m = machine("mov a, #1\n mov.io 0x1B, a\nloop:\n goto loop\n")  # MISC = 1: 16384 ticks
    m.run(16380)
    assert m.resets == 0
    m.run(10)
    assert m.resets == 1


def _sample_pin(m: Machine, pin: int, cycles: int) -> list[int]:
    levels = []
    for _ in range(cycles):
        levels.append(m.pins >> pin & 1)
        m.step()
    return levels


def _runs(levels: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for level in levels:
        if runs and runs[-1][0] == level:
            runs[-1] = (level, runs[-1][1] + 1)
        else:
            runs.append((level, 1))
    return runs


def test_tm2_pwm_duty_measured_on_the_pin():
    m = machine(
        """
        mov a, #63
        mov.io 0x09, a      ; TM2B = 63: duty (63 + 1) / 256 = 25 %
        mov a, #0x1A
        mov.io 0x1C, a      ; 3: TM2C = CLK source, output on PA3, PWM, not inverted
        """
        + NOPS
    )
    m.run(4)
    assert m.pin_directions & 0x08
    levels = _sample_pin(m, 3, 3 * 256)  # every cycle from 4 on: three whole periods
    assert sum(levels) == 3 * 64
    # at cycle 4 TM2CT = 1 (count of cycle 3); high while TM2CT <= 63: cycles 4..65 (62)
    runs = _runs(levels)
    assert runs[0] == (1, 63)
    assert runs[1:6] == [(0, 192), (1, 64), (0, 192), (1, 64), (0, 192)]
    assert m.io_peek(0x05) & 0x40  # the bound crossing requested the TM2 interrupt


# -- Timer2 interrupt in PWM mode: at the bound crossing, the output's falling edge --------

# DS Fig. 10 (p. 33): in PWM mode the "time out and interrupt request" arrows sit where the
# rising counter passes the bound, where the output falls; period mode requests where the
# counter reaches the bound and clears. Setup: TM2B = K, TM2S = S, TM2C written by the
# instruction at cycle 5 (CLK source, PWM, output on PA3): counts happen in cycles 5, 6, ...,
# the k-th count's effect is seen at boundary 5 + k. Then only nops.
PWM_SETUP = """
        mov a, #{bound}
        mov.io 0x09, a      ; 1: TM2B = K
        mov a, #{tm2s}
        mov.io 0x17, a      ; 3: TM2S
        mov a, #0x1A
        mov.io 0x1C, a      ; 5: TM2C = CLK, PA3, PWM
"""


def _pwm(kind, bound: int, tm2s: int = 0):
    source = "\t.area CODE (ABS)\n\t.org 0\n" + PWM_SETUP.format(bound=bound, tm2s=tm2s)
    m = kind(assemble(source + NOPS))
    m.io_poke(0x03, 0xF4)  # the watchdog off (ILRC system clock, 1 count per cycle)
    return m


def _tm2_request_cycles(m, until: int) -> list[int]:
    """The boundaries at which INTRQ.6 is found set, the host clearing it each time."""
    found = []
    while m.cycles < until:
        m.run(1)
        if m.io_peek(0x05) & 0x40:
            found.append(m.cycles)
            m.io_poke(0x05, 0)
    return found


@pytest.mark.parametrize("kind", [Machine, ReferenceMachine], ids=["core", "reference"])
@pytest.mark.parametrize(
    ("bound", "tm2s", "size"),
    [(127, 0, 256), (9, 0, 256), (0, 0, 256), (254, 0, 256), (31, 0x80, 64), (0, 0x80, 64)],
)
def test_tm2_pwm_requests_at_the_bound_crossing_not_at_the_wrap(kind, bound, tm2s, size):
    # From TM2CT = 0 the count that takes it from K to K + 1 is the (K + 1)-th: seen at
    # 5 + K + 1; then every period of `size` counts (256 for 8-bit, 64 for 6-bit PWM).
    m = _pwm(kind, bound, tm2s)
    first = 5 + bound + 1
    found = _tm2_request_cycles(m, first + 2 * size + size // 2)
    assert found == [first, first + size, first + 2 * size]
    # the pin falls at the same boundaries: high while TM2CT <= K (in the second period:
    # with K = 0 the first high count lies inside the TM2C write's own cycle)
    m = _pwm(kind, bound, tm2s)
    m.run(first + size - 1)
    assert m.snapshot()["pins"] & 0x08
    m.run(1)
    assert not m.snapshot()["pins"] & 0x08


@pytest.mark.parametrize("kind", [Machine, ReferenceMachine], ids=["core", "reference"])
@pytest.mark.parametrize(("bound", "tm2s"), [(255, 0), (63, 0x80), (200, 0x80)])
def test_tm2_pwm_at_100_percent_duty_never_requests(kind, bound, tm2s):
    # K at the top of the range (or above, in 6-bit mode): the output never falls (DS 5.7.2
    # example 3: duty (255 + 1) / 256 = 100 %), so there is no crossing (our choice: no
    # request either, the DS shows none)
    m = _pwm(kind, bound, tm2s)
    assert _tm2_request_cycles(m, 5 + 2 * 256 + 2) == []
    assert m.snapshot()["pins"] & 0x08


@pytest.mark.parametrize("kind", [Machine, ReferenceMachine], ids=["core", "reference"])
def test_tm2_period_mode_requests_where_the_counter_reaches_the_bound(kind):
    # DS Fig. 10 period mode: the counter climbs to K and clears, the output toggles and the
    # request comes there: every K + 1 counts (half of DS 5.7.1's period 2(K + 1)).
    source = "\t.area CODE (ABS)\n\t.org 0\n" + PWM_SETUP.format(bound=9, tm2s=0)
    m = kind(assemble(source.replace("0x1A", "0x18") + NOPS))  # period mode, PA3
    m.io_poke(0x03, 0xF4)
    found = _tm2_request_cycles(m, 5 + 40 + 2)
    assert found == [5 + 10, 5 + 20, 5 + 30, 5 + 40]


def test_tm2_period_mode_toggles_every_bound_plus_one_counts():
    m = machine(
        """
        mov a, #9
        mov.io 0x09, a      ; TM2B = 9: match every 10 counts
        mov a, #0x19
        mov.io 0x1C, a      ; 3: CLK, PA3, period mode, inverted output
        """
        + NOPS
    )
    m.run(4)
    levels = _sample_pin(m, 3, 200)
    runs = _runs(levels)
    # inverted: starts high. Counts in cycles 3..11 take TM2CT to 9; the count of cycle 12
    # finds TM2CT == TM2B, clears it and toggles: visible at 13, so the first run is 4..12
    # (9 samples) and every later half period is 10 counts.
    assert runs[0] == (1, 9)
    assert all(length == 10 for _, length in runs[1:-1])
    assert [level for level, _ in runs[:4]] == [1, 0, 1, 0]


def test_tm2_prescaler_and_scaler_divide_the_count_clock():
    m = machine(
        """
        mov a, #0xFF
        mov.io 0x09, a      ; TM2B = 255: no match in this test
        mov a, #0x22        ; TM2S: prescaler /4 (01), scaler S2 = 2 -> 12 cycles per count
        mov.io 0x17, a
        mov a, #0x10
        mov.io 0x1C, a      ; 5: CLK, no output, period mode
        """
        + NOPS
    )
    m.run(126)  # ticks of cycles 5..125: 121 ticks = 10 counts and 1 tick
    assert (m.cycles, m.io_peek(0x1D)) == (126, 10)


def test_stopsys_halts_and_a_pin_change_wakes_it():
    m = machine(
        """
        stopsys             ; 0
        inc 0x20            ; 1, after the wake-up
        stopsys
        """
    )
    assert m.run() == StopReason.STOPSYS
    assert (m.cycles, m.mode) == (1, "stopsys")
    assert m.run(1000) == StopReason.STOPSYS  # nothing runs, no time passes
    assert (m.cycles, int(m.ram[0x20])) == (1, 0)
    m.set_pin(7, 1)  # PA7: input, PADIER.7 = 1 after reset
    assert m.mode == "waking"  # the wake-up time: 32 ILRC clocks at ILRC/1 (DS 5.10.3)
    assert m.run() == StopReason.STOPSYS
    assert (m.cycles, int(m.ram[0x20])) == (1 + 32 + 2, 1)


def test_stopsys_is_not_woken_by_a_pin_with_its_wake_up_disabled():
    m = machine("mov a, #0\n mov.io 0x0D, a\n stopsys\n inc 0x20\n")
    assert m.run() == StopReason.STOPSYS
    m.set_pin(0, 1)
    assert m.mode == "stopsys"
    assert m.io_peek(0x05) & 1 == 0  # PADIER.0 = 0: no PA0 request either


def test_port_a_levels_latch_direction_and_pull_up():
    m = machine(
        """
        mov a, #0x88
        mov.io 0x11, a      ; PAC: PA7, PA3 outputs
        mov a, #0x8E
        mov.io 0x10, a      ; PA latch = 1000 1110
        mov a, #0x10
        mov.io 0x12, a      ; PAPH: pull-up on PA4
        mov.io a, 0x10      ; read PA
        stopsys
        """
    )
    m.set_pin(0, 1)
    m.run()
    # outputs PA7 = 1, PA3 = 1; PA4 floating with pull-up = 1; PA0 driven 1; PA5/6 = 0;
    # bits 1, 2 read the latch (1, 1)
    assert m.a == 0x80 | 0x08 | 0x10 | 0x01 | 0x06
    assert m.pins == 0x99
    assert m.pin_directions == 0x88
    m.set_pin(4, 0)  # the host overrides the pull-up
    assert m.pins == 0x89


def test_clock_switch_sets_clock_and_time():
    m = machine("mov a, #0x34\n mov.io 0x03, a\nloop:\n goto loop\n")
    assert m.clock_hz == 59_000
    m.run(1001)
    # cycle 0 ran at ILRC (59 kHz); from the write at cycle 1 on, IHRC/2 = 8 MHz
    assert m.cycles == 1002
    assert m.clock_hz == 8_000_000
    # plus the power-on boot-up time before cycle 0: 32 ILRC clocks (fast, factory fuse)
    assert m.time_s == pytest.approx(33 / 59_000 + 1001 / 8_000_000, rel=1e-12)


# -- PADIER gates the pad's digital input (DS Fig. 13, p. 42; pin table, pp. 10-11) ---------

BOTH = pytest.mark.parametrize("kind", [Machine, ReferenceMachine], ids=["core", "reference"])


def _program(kind, body: str):
    return kind(assemble("\t.area CODE (ABS)\n\t.org 0\n" + body))


@BOTH
@pytest.mark.parametrize("padier", [0x00, 0x08, 0xF9])
def test_an_input_whose_padier_bit_is_0_reads_0(kind, padier):
    m = _program(kind, f"mov a, #0x{padier:02x}\n mov.io 0x0D, a\n mov.io a, 0x10\n stopsys\n")
    for pin in (0, 3, 4, 5, 6, 7):
        m.set_pin(pin, 1)
    m.run(10)
    assert m.a == padier & 0xF9  # the pad is high on every pin; PADIER decides what reads
    assert m.snapshot()["pins"] == 0xF9  # outside, the pins stay high


@BOTH
def test_an_output_reads_its_latch_whatever_padier_says(kind):
    m = _program(
        kind,
        "mov a, #0x00\n mov.io 0x0D, a\n mov a, #0x88\n mov.io 0x11, a\n mov.io 0x10, a\n"
        " mov.io a, 0x10\n stopsys\n",
    )
    m.run(10)
    assert m.a == 0x88  # PA3, PA7 outputs driving 1; the inputs read 0 (PADIER = 0)


@BOTH
@pytest.mark.parametrize(("padier", "requested"), [(0x00, 0), (0x01, 1)])
def test_pa0_raises_its_interrupt_only_through_padier(kind, padier, requested):
    m = _program(kind, f"mov a, #0x{padier:02x}\n mov.io 0x0D, a\n" + "nop\n" * 20)
    m.run(4)
    m.set_pin(0, 1)  # INTEGS = 0: both edges
    m.run(4)
    m.set_pin(0, 0)
    assert (m.io_peek(0x05) & 1) == requested


@BOTH
@pytest.mark.parametrize(("padier", "wakes"), [(0xE9, False), (0xF9, True)])
def test_a_pin_whose_padier_bit_is_0_cannot_wake_stopsys(kind, padier, wakes):
    m = _program(kind, f"mov a, #0x{padier:02x}\n mov.io 0x0D, a\n stopsys\n inc 0x20\n stopsys\n")
    assert m.run(100) == StopReason.STOPSYS and m.cycles == 3
    m.set_pin(4, 1)  # PA4 toggles: PADIER.4 decides
    m.run(100)
    # woken: the wake-up time, 32 ILRC clocks at ILRC/1, then inc and stopsys
    assert (int(m.ram[0x20]), m.cycles) == ((1, 3 + 32 + 2) if wakes else (0, 3))


@BOTH
def test_a_pin_whose_padier_bit_is_0_cannot_wake_stopexe(kind):
    m = _program(kind, "mov a, #0xE9\n mov.io 0x0D, a\n stopexe\n inc 0x20\n stopsys\n")
    m.run(10)
    m.set_pin(4, 1)
    assert m.run(100) == StopReason.MAX_CYCLES and int(m.ram[0x20]) == 0
    m.set_pin(3, 1)  # PADIER.3 = 1: wakes
    assert m.run(100) == StopReason.STOPSYS and int(m.ram[0x20]) == 1


@BOTH
@pytest.mark.parametrize(("padier", "counts"), [(0x00, 0), (0x01, 3)])
def test_timer16_on_pa0_counts_only_edges_through_padier(kind, padier, counts):
    # our choice: the timers' pin clocks come through the same gated input
    m = _program(
        kind,
        f"mov a, #0x{padier:02x}\n mov.io 0x0D, a\n mov a, #0xE0\n mov.io 0x06, a\n" + "nop\n" * 40,
    )
    m.run(4)  # T16M = PA0 falling, /1
    for _ in range(3):
        m.set_pin(0, 1)
        m.run(2)
        m.set_pin(0, 0)
        m.run(2)
    assert m.t16 == counts


@BOTH
def test_writing_padier_is_no_pin_toggle(kind):
    # our choice: enabling or disabling the gate under a high pin requests nothing
    m = _program(kind, "mov a, #0x00\n mov.io 0x0D, a\n mov a, #0x01\n mov.io 0x0D, a\n stopsys\n")
    m.run(2)  # PADIER = 0
    m.set_pin(0, 1)  # no edge through the closed gate
    m.run(10)  # PADIER = 1 with the pad high
    assert m.io_peek(0x05) & 1 == 0 and m.mode == "stopsys"
