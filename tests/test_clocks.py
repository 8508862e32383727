"""The clock system against figures computed from the datasheet (DS v1.07), in both the fast
core and the reference interpreter: the CLKMD codes (DS 6.3, p. 44), the oscillator enables
CLKMD.4/CLKMD.2 (DS 5.4, p. 23), clock switching (DS 9.2.3, p. 65), the host's oscillator
frequencies and the trims IHRCR/ILRCR (docs/timing-model.md, "Clocks")."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from pms150c import Machine, assemble
from pms150c.debug.conditions import pin
from pms150c.debug.vcd import read_vcd, record_vcd
from pms150c.errors import ArgumentError, CallError
from pms150c.machine import ClockWarning, StopKind, StopReason
from pms150c.reference import ReferenceMachine

CORES = [Machine, ReferenceMachine]
FS = 10**15


def boot_fs(ilrc_hz: int = 59_000) -> int:
    """The power-on boot-up time, counted before cycle 0: 32 ILRC clocks (the factory fuse
    word selects the fast boot-up; DS 5.2, 8)."""
    return 32 * FS // ilrc_hz


def program(body: str):
    return assemble("\t.area CODE (ABS)\n\t.org 0\n" + body)


def run_both(body: str, cycles: int, **options) -> tuple[StopReason, dict]:
    """Run `body` in both cores for `cycles`; they must agree. Returns the reason and the
    snapshot (the fast core's warnings are silenced here; tests of them look themselves)."""
    image = program(body)
    results = []
    for kind in CORES:
        m = kind(image, **options)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ClockWarning)
            reason = m.run(cycles)
        results.append((reason, m.snapshot()))
    (fast_reason, fast), (ref_reason, ref) = results
    assert fast == ref
    assert (fast_reason.kind, fast_reason.pc, fast_reason.cycles) == (
        ref_reason.kind,
        ref_reason.pc,
        ref_reason.cycles,
    )
    return fast_reason, fast


# -- CLKMD codes (DS 6.3) ----------------------------------------------------------------------

# (CLKMD written from the reset clock, oscillator, divider): every code the DS lists, and
# type 0 code 010 = IHRC/1. Each value keeps both oscillators on and the watchdog off.
CLOCK_CODES = [
    (0x14, "ihrc", 4),
    (0x34, "ihrc", 2),
    (0x54, "ihrc", 1),  # undocumented: DS 9.2.3 example 0x50, pdk-includes CLKMD_IHRC
    (0xD4, "ilrc", 4),
    (0xF4, "ilrc", 1),
    (0x1C, "ihrc", 16),
    (0x3C, "ihrc", 8),
    (0x5C, "ilrc", 16),
    (0x7C, "ihrc", 32),
    (0x9C, "ihrc", 64),
]


@pytest.mark.parametrize("clkmd, osc, divider", CLOCK_CODES)
def test_every_clock_code_runs_at_its_oscillator_over_its_divider(clkmd, osc, divider):
    # cycle 0 at the reset clock (ILRC), cycles 1..1001 at the new one (gotos at even cycles)
    body = f"mov a, #0x{clkmd:02x}\n mov.io 0x03, a\nloop: goto loop\n"
    reason, snap = run_both(body, 1002)
    f_osc = {"ihrc": 16_000_000, "ilrc": 59_000}[osc]
    assert reason == StopReason.MAX_CYCLES and snap["cycles"] == 1002
    expected = boot_fs() + FS // 59_000 + 1001 * divider * FS // f_osc  # each floored to 1 fs
    assert snap["time_fs"] == expected


def test_ihrc_over_1_runs_the_system_clock_at_16_mhz():
    m = Machine(program("mov a, #0x54\n mov.io 0x03, a\n" + "nop\n" * 20))
    m.run(2)
    assert m.clock_hz == 16_000_000
    m.run(16)  # cycles 1..17 of 62.5 ns after the ILRC's cycle 0
    assert m.time_s == pytest.approx(32 / 59_000 + 1 / 59_000 + 17 / 16e6, rel=1e-12)


# -- clock stops (DS 6.3 enables, DS 9.2.3) -------------------------------------------------

# CLKMD written after `before` (both valid clocks), and why the clock stops.
STOPS = [
    # DS 9.2.3: from ILRC to IHRC with the ILRC turned off in the same write: "MCU will hang"
    (0xF6, 0x50, "switches oscillator and disables the old one"),
    # from IHRC/2 to ILRC with the IHRC off at once
    (0x34, 0xE4, "switches oscillator and disables the old one"),
    # the running IHRC/2 loses its own oscillator
    (0x34, 0x24, "selects an oscillator it disables"),
    # IHRC/4 selected while the IHRC is off (from the reset clock)
    (0xF4, 0x04, "selects an oscillator it disables"),
    # reserved codes: type 0 011, 100, 101 and type 1 101, 110, 111
    (0x34, 0x74, "reserved"),
    (0x34, 0x94, "reserved"),
    (0x34, 0xB4, "reserved"),
    (0x34, 0xBC, "reserved"),
    (0x34, 0xDC, "reserved"),
    (0x34, 0xFC, "reserved"),
]


@pytest.mark.parametrize("before, clkmd, why", STOPS)
def test_a_write_that_leaves_no_clock_stops_the_cpu_with_a_reason(before, clkmd, why):
    body = f"""
        mov a, #0x{before:02x}
        mov.io 0x03, a      ; 1: a valid clock (watchdog off)
        mov a, #0x{clkmd:02x}
        mov.io 0x03, a      ; 3: no clock after this write
        inc 0x20            ; never runs
        stopsys
    """
    reason, snap = run_both(body, 10_000)
    assert reason == StopReason.CLOCK_STOPPED
    assert (reason.pc, reason.cycles, snap["mode"]) == (4, 4, "clock_stopped")
    assert snap["ram"][0x20] == 0 and snap["io"][0x03] == clkmd
    m = Machine(program(body))
    with pytest.warns(ClockWarning, match=why):
        reason = m.run(10_000)
    assert reason.instruction_pc == 3
    assert len(m.warnings) == 1 and "0x003" in m.warnings[0] and "cycle 4" in m.warnings[0]
    assert m.run(10_000) == StopReason.CLOCK_STOPPED and m.cycles == 4  # nothing moves
    assert m.clock_hz == 0.0
    m.set_pin(0, 1)  # a pin toggle wakes a sleep, not a hung CPU
    assert m.mode == "clock_stopped"


def test_the_writing_instructions_cycle_runs_at_the_old_clock():
    # 0x34 at cycle 1: cycles 1..3 at 8 MHz (125 ns); the hang at 3 completes that cycle
    _, snap = run_both("mov a, #0x34\n mov.io 0x03, a\n mov a, #0x24\n mov.io 0x03, a\n", 100)
    assert snap["time_fs"] == boot_fs() + FS // 59_000 + 3 * 2 * FS // 16_000_000


def test_switching_first_and_stopping_the_old_oscillator_after_runs():
    # DS 9.2.3's correct sequence: CLKMD = 0x36 (IHRC/2, the ILRC kept), then CLKMD.2 = 0
    reason, snap = run_both(
        """
        mov a, #0x36
        mov.io 0x03, a      ; 1: ILRC -> IHRC/2
        set0.io 0x03, #2    ; 2: the ILRC off; the watchdog (CLKMD.1) goes with it
        inc 0x20
        stopsys
        """,
        1000,
    )
    assert reason == StopReason.STOPSYS and snap["ram"][0x20] == 1
    assert snap["io"][0x03] == 0x32


def test_the_watchdog_resets_a_chip_whose_clock_stopped():
    # From reset (CLKMD 0xF6: ILRC, watchdog on) the write of 0x26 selects IHRC/2 with the
    # IHRC off: the CPU hangs at the end of cycle 1; the watchdog, on the running ILRC,
    # has counted the tick of cycle 0 and resets the chip 8191 ILRC ticks later. Time goes
    # on at the ILRC; cycles do not (no system clock): the chip boots again from cycle 2
    # (32 ILRC clocks at the reset clock, ILRC/1: the first instruction at cycle 34).
    body = "mov a, #0x26\n mov.io 0x03, a\n"
    image = program(body)
    for kind in CORES:
        m = kind(image)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ClockWarning)
            m.run(2)
        snap = m.snapshot()
        assert (snap["cycles"], snap["pc"], snap["resets"], snap["mode"]) == (2, 0, 1, "booting")
        assert snap["io"][0x03] == 0xF6
        assert snap["time_fs"] == boot_fs() + 2 * FS // 59_000 + 8191 * FS // 59_000
        m.run(33)  # the boot-up, then `mov a` at 34
        assert (m.snapshot()["mode"], m.snapshot()["a"], m.cycles) == ("running", 0x26, 35)
    m = Machine(image)
    with pytest.warns(ClockWarning, match="the watchdog reset the chip"):
        m.run(2)


def test_io_poke_of_a_clock_that_does_not_run_stops_the_machine():
    for kind in CORES:
        m = kind(program("inc 0x20\n stopsys\n"))
        m.io_poke(0x03, 0xE0)  # ILRC selected, both oscillators off
        assert m.snapshot()["mode"] == "clock_stopped"
        with warnings.catch_warnings():
            warnings.simplefilter("error", ClockWarning)  # the host did it: no warning
            assert m.run(100) == StopReason.CLOCK_STOPPED and m.cycles == 0
        assert m.ram[0x20] == 0


def test_a_batch_run_and_a_call_report_the_clock_stop():
    m = Machine(program("mov a, #0x50\n mov.io 0x03, a\n stopsys\n"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ClockWarning)
        out = m.run_batch(2, np.array([[0x0036]]), 1000)  # slot: the stopsys word stays
        assert list(out["status"]) == ["clock_stopped"] and list(out["cycles"]) == [2]
        with pytest.raises(CallError, match="stopped the system clock"):
            m.call(0)


# -- stopped oscillators stop what they clock (DS 5.4, 5.10.1, 6.3) -----------------------------


@pytest.mark.parametrize(
    "clkmd, t16m, tm2c",
    [
        (0x30, 0xC0, 0x40),  # IHRC/2 with the ILRC off: T16 and TM2 on the ILRC
        (0xE4, 0x80, 0x20),  # ILRC with the IHRC off: T16 and TM2 on the IHRC
    ],
)
def test_a_timer_on_a_stopped_oscillator_does_not_count(clkmd, t16m, tm2c):
    _, snap = run_both(
        f"""
        mov a, #0x{clkmd:02x}
        mov.io 0x03, a
        mov a, #0x{t16m:02x}
        mov.io 0x06, a      ; T16 from the stopped oscillator
        mov a, #0x{tm2c:02x}
        mov.io 0x1C, a      ; TM2 from it too, period mode
        """
        + "nop\n" * 400,
        400,
    )
    assert snap["t16"] == 0 and snap["io"][0x1D] == 0 and snap["io"][0x05] == 0


def test_stopexe_with_its_only_timer_on_a_stopped_oscillator_sleeps_on():
    reason, snap = run_both(
        """
        mov a, #0x34
        mov.io 0x03, a      ; IHRC/2 (switch first, DS 9.2.3) ...
        mov a, #0x30
        mov.io 0x03, a      ; ... then the ILRC off
        mov a, #0xC0
        mov.io 0x06, a      ; T16 from the ILRC: stopped
        stopexe
        inc 0x20
        """,
        50_000,
    )
    assert reason == StopReason.MAX_CYCLES and snap["mode"] == "stopexe"
    assert snap["t16"] == 0


@pytest.mark.parametrize("ilrc_off, resets", [(False, 1), (True, 0)])
def test_the_watchdog_stops_with_the_ilrc(ilrc_off, resets):
    # DS 6.3 CLKMD.2: "If ILRC is disabled, watchdog timer is also disabled". At IHRC/64
    # (250 kHz, CLKMD 0x9E: watchdog on) the 8192 ILRC ticks of a time-out take
    # ceil(8192 * 250e3 / 59e3) = 34712 cycles; with CLKMD 0x9A (the ILRC off, the
    # watchdog bit still set) there is none.
    second = "mov a, #0x9A\n mov.io 0x03, a\n" if ilrc_off else "nop\n nop\n"
    _, snap = run_both(f"mov a, #0x9E\n mov.io 0x03, a\n{second}loop: goto loop\n", 40_000)
    assert snap["resets"] == resets


# -- the host's frequencies and the trims ------------------------------------------------------


@pytest.mark.parametrize("ihrc_hz", [15_667_200, 16_384_000, 16_777_000])
def test_firmware_runs_at_the_ihrc_the_host_gives(ihrc_hz):
    # IHRC/2 from cycle 1: each cycle is 2 / ihrc_hz s; T16 on the IHRC counts 2 a cycle
    body = "mov a, #0x34\n mov.io 0x03, a\n mov a, #0x80\n mov.io 0x06, a\nloop: goto loop\n"
    _, snap = run_both(body, 1004, ihrc_hz=ihrc_hz)
    assert snap["ihrc_hz"] == ihrc_hz
    assert snap["time_fs"] == boot_fs() + FS // 59_000 + 1003 * 2 * FS // ihrc_hz
    assert snap["t16"] == 2 * 1001  # the ticks of cycles 3..1003
    m = Machine(program(body), ihrc_hz=ihrc_hz)
    m.run(2)
    assert m.clock_hz == ihrc_hz / 2 and m.ihrc_hz == ihrc_hz


def test_the_ilrc_the_host_gives_clocks_the_watchdog():
    # reset clock = ILRC, watchdog on: a time-out after 8192 ticks = 8192 cycles whatever
    # the frequency; in seconds 8192 / 62 kHz after the power-on boot-up of 32 / 62 kHz
    m = Machine(program("loop: goto loop\n"), ilrc_hz=62_000)
    m.run(8192)
    assert m.resets == 1
    assert m.time_s == pytest.approx((32 + 8192) / 62_000, rel=1e-12)


def test_ihrcr_moves_the_ihrc_by_1_1024_of_its_frequency_per_code():
    # reset code 0x80 = the host's frequency; code 0x90 = +16/1024; 0x00 = -128/1024
    for code, hz in [
        (0x80, 16_000_000),
        (0x90, 16_250_000),
        (0x00, 14_000_000),
        (0xFF, 17_984_375),
    ]:
        body = f"mov a, #0x34\n mov.io 0x03, a\n mov a, #0x{code:02x}\n mov.io 0x0B, a\n"
        _, snap = run_both(body + "loop: goto loop\n", 1004)
        assert snap["ihrc_hz"] == hz
        # cycles 1..2 at 8 MHz, the trim write at 3: cycles 3.. at hz / 2
        steps = boot_fs() + FS // 59_000 + 2 * 2 * FS // 16_000_000 + 1001 * 2 * FS // hz
        assert snap["time_fs"] == steps


def test_ilrcr_moves_the_ilrc_by_1_512_of_its_frequency_per_code():
    _, snap = run_both("mov a, #0x90\n mov.io 0x1F, a\nloop: goto loop\n", 502)
    assert snap["ilrc_hz"] == 59_000 * (512 + 16) // 512
    # the system clock is the ILRC: cycle 0 at 59 kHz, cycles 1..501 at the trimmed one
    assert snap["time_fs"] == boot_fs() + FS // 59_000 + 501 * FS // snap["ilrc_hz"]


def test_a_watchdog_reset_restores_the_trims():
    # both trims to code 0 (IHRC 14 MHz, ILRC 44.25 kHz); the watchdog (reset clock ILRC,
    # one tick a cycle) resets the chip, and the trims with it (DS 5.12: "all the
    # registers ... set to default values")
    image = program("mov a, #0x00\n mov.io 0x0B, a\n mov.io 0x1F, a\nloop: goto loop\n")
    snaps = []
    for kind in CORES:
        m = kind(image)
        m.run(100)
        assert (m.snapshot()["ihrc_hz"], m.snapshot()["ilrc_hz"]) == (14_000_000, 44_250)
        while m.snapshot()["resets"] == 0:
            m.step()
        snaps.append(m.snapshot())
    assert snaps[0] == snaps[1]
    snap = snaps[0]
    assert snap["pc"] == 0 and snap["io"][0x0B] == 0x80 and snap["io"][0x1F] == 0x80
    assert (snap["ihrc_hz"], snap["ilrc_hz"]) == (16_000_000, 59_000)


def test_a_trim_of_the_timer_source_changes_its_rate():
    # T16 on the IHRC (system clock ILRC/1): 16e6 / 59e3 = 271.2 ticks a cycle; after
    # IHRCR = 0x00 the IHRC is 14 MHz: 237.3 ticks a cycle
    body = (
        """
        mov a, #0x80
        mov.io 0x06, a      ; 1: T16 from the IHRC
        mov a, #0x00
        mov.io 0x0B, a      ; 3: IHRC 14 MHz from here
    """
        + "nop\n" * 20
    )
    _, snap = run_both(body, 13)
    # cycles 1, 2 at 16 MHz, cycles 3..12 at 14 MHz; the phase carries over, so the count
    # is the floor of the whole: (2 * 16e6 + 10 * 14e6) / 59e3 = 2915.25
    assert snap["t16"] == (2 * 16_000_000 + 10 * 14_000_000) // 59_000 == 2915


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"ihrc_hz": "16 MHz"}, "number of Hz"),
        ({"ihrc_hz": float("nan")}, "finite"),
        ({"ihrc_hz": 500_000}, "outside"),
        ({"ilrc_hz": 10**7}, "outside"),
        ({"ilrc_hz": True}, "number of Hz"),
    ],
)
def test_bad_oscillator_frequencies_are_argument_errors(kwargs, match):
    with pytest.raises(ArgumentError, match=match):
        Machine(program("nop\n"), **kwargs)


def test_a_fractional_frequency_is_rounded_to_whole_hz():
    assert Machine(program("nop\n"), ilrc_hz=61_999.6).ilrc_hz == 62_000


def test_stop_kind_has_a_clock_stop():
    assert StopKind.CLOCK_STOPPED.value == "clock_stopped"
    assert math.isclose(Machine(program("nop\n")).clock_hz, 59_000)


# -- C firmware at its real clock (sdcc -mpdk13) -----------------------------------------------


def _run_until_pa3(m: Machine, level: int) -> tuple[float, int]:
    """Run to the instruction after which PA3 is at `level`: (time_s, cycles) there."""
    condition = m.break_when(pin(3) == level)
    reason = m.run(1_000_000)
    m.remove_break_when(condition)
    assert reason == StopReason.CONDITION
    return m.time_s, m.cycles


def _rising_edge(m: Machine) -> tuple[float, int]:
    _run_until_pa3(m, 0)
    return _run_until_pa3(m, 1)


def _loop_period(m: Machine) -> tuple[float, int]:
    """Seconds and cycles between two rising edges of PA3 (PA4 low: no trim step)."""
    t0, c0 = _rising_edge(m)
    t1, c1 = _rising_edge(m)
    return t1 - t0, c1 - c0


@pytest.mark.sdcc
def test_easy_pdk_style_calibration_converges_to_the_target(sdcc_build):
    # A slow chip: 15.2 MHz at the reset trim (DS 4.1's lower bound over VDD and
    # temperature). The firmware starts at code 0 (15.2e6 * 896 / 1024 = 13.3 MHz); the
    # host, as the programmer, steps the code while the measured IHRC is below 16 MHz. By
    # the trim model (15.2e6 * (1024 + c - 128) / 1024) the first code at or above the
    # target is c = ceil(16e6 * 1024 / 15.2e6) - 896 = 182: 16,001,562 Hz.
    m = Machine.from_ihx(sdcc_build("calibrate_ihrc"), ihrc_hz=15_200_000)
    m.set_pin(4, 0)
    period_s, period_cycles = _loop_period(m)
    steps = 0
    while 2 * period_cycles / period_s < 16_000_000:  # the system clock is IHRC/2
        m.set_pin(4, 1)  # just after a rising edge: the next `if` reads PA4
        _run_until_pa3(m, 0)
        m.set_pin(4, 0)
        steps += 1
        assert steps <= 256, "the calibration did not converge"
        period_s, period_cycles = _loop_period(m)
    assert m.read_var("code") == 182 == steps
    assert m.ihrc_hz == 15_200_000 * (1024 + 182 - 128) // 1024 == 16_001_562
    assert 2 * period_cycles / period_s == pytest.approx(m.ihrc_hz, rel=1e-9)
    assert 15_200_000 * (1024 + 181 - 128) // 1024 < 16_000_000  # one code less is below


@pytest.mark.sdcc
@pytest.mark.parametrize("ihrc_hz", [15_667_200, 16_384_000, 16_777_000])
def test_uart_firmware_sends_at_the_baud_rate_of_the_real_clock(sdcc_build, ihrc_hz):
    # uart_hello.c: one bit every 69 cycles of IHRC/2, i.e. 138 IHRC periods: at
    # 16.384 MHz that is 118,725 baud (the firmware's 115200 assumes 16 MHz)
    m = Machine.from_ihx(sdcc_build("uart_hello"), ihrc_hz=ihrc_hz)
    m.watch("pa")
    times = []
    while m.run(2_000_000) == StopReason.WATCHPOINT:
        times.append((m.time_s, m.cycles))
    bits = times[2:]  # main's `pa = TX`, the idle bit
    for (ta, ca), (tb, cb) in zip(bits, bits[1:], strict=False):
        assert tb - ta == pytest.approx((cb - ca) * 2 / ihrc_hz, rel=1e-9)
    # edges 69 +- 1 cycles apart on the timer's grid (the entry waits for the instruction
    # in progress): the baud rate over the message is 69 cycles a bit within 1 cycle
    span_s, span_cycles = bits[-1][0] - bits[0][0], bits[-1][1] - bits[0][1]
    assert abs(span_cycles - 69 * (len(bits) - 1)) <= 1
    baud = (len(bits) - 1) / span_s
    assert baud == pytest.approx(ihrc_hz / 2 / 69, rel=1 / (69 * (len(bits) - 1)))
    assert m.read_var("sent") == 6


@pytest.mark.parametrize(
    "trim, ihrc_hz, expected_hz",
    [
        (None, 16_384_000, 16_384_000),
        (0x00, 16_000_000, 14_000_000),
        (0x90, 16_000_000, 16_250_000),
    ],
)
def test_vcd_times_follow_the_actual_clock_and_its_trims(trim, ihrc_hz, expected_hz):
    # PA3 toggles every 4 cycles of IHRC/2 (xor.io, nop, goto): 8 / f_IHRC seconds apart,
    # at the host's IHRC or at the one a trim write made of it
    write_trim = "" if trim is None else f"mov a, #0x{trim:02x}\n mov.io 0x0B, a\n"
    m = Machine(
        program(
            "mov a, #0x34\n mov.io 0x03, a\n"
            + write_trim
            + "mov a, #0x08\n mov.io 0x11, a\nloop: xor.io 0x10, a\n nop\n goto loop\n"
        ),
        ihrc_hz=ihrc_hz,
    )
    edges = [t for t, _ in read_vcd(record_vcd(m, 4000, unit="ns"))["PA3"][1:]]
    assert len(edges) > 900
    gaps = {b - a for a, b in zip(edges, edges[1:], strict=False)}
    period_ns = 8e9 / expected_hz
    assert gaps <= {math.floor(period_ns), math.ceil(period_ns)}  # each rounded to 1 ns
    assert (edges[-1] - edges[0]) / (len(edges) - 1) == pytest.approx(period_ns, abs=1e-3)
    assert 0 <= m.time_s * 1e9 - edges[-1] <= period_ns + 1  # the same clock as time_s
