"""Wake-up time tWUP after stopsys/stopexe and boot-up time tSBP after a reset, against the
datasheet's figures (DS 4.1 p. 13, 5.2 p. 21, 5.10.3 Table 5 p. 41, 6.13 MISC.5 p. 47,
8 p. 63), in both the fast core and the reference interpreter, and in C firmware built
with sdcc -mpdk13."""

from __future__ import annotations

import math

import pytest

from pms150c import Machine, StopReason, assemble
from pms150c.image import Image
from pms150c.reference import ReferenceMachine

CORES = [Machine, ReferenceMachine]
FS = 10**15
# fuse words (pdk-includes): reserved bits 0x0260, security off, LVR 2.0 V, normal drive
FUSE_SLOW = 0x0260 | 0x01 | 7 << 2 | 0x80  # boot-up bits 11:10 = 00: slow
FUSE_FAST = FUSE_SLOW | 3 << 10  # 11: fast (the factory fuse 0x0FFD has them set too)


def image(body: str, fuse: int | None = None) -> Image:
    words = assemble("\t.area CODE (ABS)\n\t.org 0\n" + body).words.copy()
    if fuse is not None:
        words[0x3FF] = fuse
    return Image(words)


def both(img: Image, **options):
    return [kind(img, **options) for kind in CORES]


def same(machines) -> dict:
    snaps = [m.snapshot() for m in machines]
    assert snaps[0] == snaps[1]
    return snaps[0]


def wake_cycles(ilrc_clocks: int, f_osc: int, divider: int, ilrc_hz: int = 59_000) -> int:
    """The wake-up time in system cycles: `ilrc_clocks` ILRC periods, rounded up."""
    return math.ceil(ilrc_clocks * f_osc / (ilrc_hz * divider))


# -- boot-up (tSBP) ---------------------------------------------------------------------------


@pytest.mark.parametrize("fuse, clocks", [(FUSE_FAST, 32), (FUSE_SLOW, 2048), (None, 32)])
def test_boot_up_time_is_32_or_2048_ilrc_clocks_by_the_fuse(fuse, clocks):
    # `reset` (DS 7.7: "same as hardware reset") at cycle 1: its own cycle already boots;
    # at the reset clock ILRC/1 the boot-up takes `clocks` cycles: `inc` again at 1 + clocks
    machines = both(image("inc 0x20\n reset\n", fuse))
    for m in machines:
        assert m.snapshot()["time_fs"] == clocks * FS // 59_000  # power-on: before cycle 0
        m.run(1 + clocks)
    snap = same(machines)
    assert (snap["cycles"], snap["ram"][0x20], snap["mode"]) == (1 + clocks, 1, "booting")
    for m in machines:
        m.run(1)
    snap = same(machines)
    assert (snap["ram"][0x20], snap["mode"], snap["resets"]) == (2, "running", 1)
    # each stretch at one clock floored to 1 fs: the power-on boot-up, cycle 0 (closed by
    # the reset at 1), cycles 1 .. 1 + clocks (the open one)
    assert snap["time_fs"] == clocks * FS // 59_000 + FS // 59_000 + (1 + clocks) * FS // 59_000


def test_nothing_ticks_and_no_pin_reacts_while_booting():
    # a watchdog reset at 8192 (reset clock, 8192 ILRC ticks) boots until 8224; a PA0 edge
    # during the boot sets no INTRQ.0 (PADIER.0 = 1, INTEGS = both edges after reset)
    machines = both(image("loop: goto loop\n"))
    for m in machines:
        m.schedule_pin(8200, 0, 1)
        m.run(8210)
    snap = same(machines)
    assert (snap["resets"], snap["mode"], snap["io"][0x05], snap["pins"] & 1) == (
        1,
        "booting",
        0,
        1,
    )
    for m in machines:
        m.schedule_pin(9000, 0, 0)  # running again: this edge requests
        m.run(1000)
    assert same(machines)["io"][0x05] & 1


# -- wake-up (tWUP) ---------------------------------------------------------------------------

STOPSYS_AT_8MHZ = """
    mov a, #0x34
    mov.io 0x03, a      ; 1: IHRC/2, watchdog off
    mov a, #0x{misc:02x}
    mov.io 0x1B, a      ; 3: MISC (bit 5: fast wake-up)
    stopsys             ; 4: cycles stand still at 5
    inc 0x20
    stopsys
"""


@pytest.mark.parametrize(
    "fuse, misc, clocks",
    [(FUSE_SLOW, 0x00, 2048), (FUSE_SLOW, 0x20, 32), (FUSE_FAST, 0x00, 32), (FUSE_FAST, 0x20, 32)],
)
def test_wake_up_time_follows_misc5_and_the_boot_up_fuse(fuse, misc, clocks):
    # DS 6.13: MISC.5 = 0 is 2048 ILRC clocks after a normal (slow) boot-up and 32 after a
    # fast one; MISC.5 = 1 is 32 either way. At IHRC/2: ceil(clocks * 8e6 / 59e3) cycles.
    machines = both(image(STOPSYS_AT_8MHZ.format(misc=misc), fuse))
    for m in machines:
        assert m.run(10_000) == StopReason.STOPSYS
        m.set_pin(7, 1)  # PA7 (input, PADIER.7 = 1) toggles: the wake-up at cycle 5
        assert m.snapshot()["mode"] == "waking"
        assert m.run(10**6) == StopReason.STOPSYS
    snap = same(machines)
    assert snap["cycles"] == 5 + wake_cycles(clocks, 16_000_000, 2) + 2
    assert snap["ram"][0x20] == 1


@pytest.mark.parametrize("ilrc_hz", [59_000, 62_000, 44_000])
def test_wake_up_time_is_counted_at_the_ilrc_the_host_gives(ilrc_hz):
    machines = both(image(STOPSYS_AT_8MHZ.format(misc=0)), ilrc_hz=ilrc_hz)
    for m in machines:
        m.run(10_000)
        m.set_pin(7, 1)
        m.run(10**6)
    snap = same(machines)
    assert snap["cycles"] == 5 + wake_cycles(32, 16_000_000, 2, ilrc_hz) + 2


def test_while_waking_the_system_clock_is_off_and_ihrc_timers_count():
    # T16 on CLK and Timer2 on the IHRC (period mode, TM2B = 255: no match), then stopexe.
    # A pin wakes it at 1000; during the wake-up time (ceil(32 * 8e6 / 59e3) = 4339 cycles)
    # T16 stands still and Timer2 counts the IHRC: 2 counts a cycle
    body = """
        mov a, #0x34
        mov.io 0x03, a      ; 1: IHRC/2, watchdog off
        mov a, #0xFF
        mov.io 0x09, a      ; 3: TM2B
        mov a, #0x20
        mov.io 0x06, a      ; 5: T16 on CLK: counts in cycle 5
        stopexe             ; 6
        stopsys             ; after the wake-up
    """
    machines = both(image(body))
    for m in machines:
        m.schedule_pin(1000, 7, 1)
        m.run(1000)
    before = same(machines)
    for m in machines:
        m.io_poke(0x1C, 0x20)  # Timer2 on the IHRC from cycle 1000 (no phase reset)
        m.run(10_000)
    snap = same(machines)
    waking = wake_cycles(32, 16_000_000, 2)
    assert snap["cycles"] == 1000 + waking + 1
    assert snap["t16"] == before["t16"] == 1
    assert snap["io"][0x1D] == (2 * waking) % 256  # the stopsys cycle itself has no clock


def test_an_interrupt_waits_for_the_end_of_the_wake_up_time():
    # PA0 enabled in INTEN, GIE on; stopsys; a PA0 edge wakes the chip and requests INTRQ.0
    # at the same boundary: the entry comes after the wake-up time and costs 2 cycles
    body = """
        goto main
        .org 0x20
    isr:
        stopsys
    main:
        mov a, #0x30
        mov.io 0x02, a
        mov a, #0x01
        mov.io 0x04, a      ; INTEN.0
        engint
        stopsys             ; cycles stand at 8
    """
    machines = both(image(body))
    for m in machines:
        assert m.run(1000) == StopReason.STOPSYS
        m.set_pin(0, 1)
        assert m.run(10_000) == StopReason.STOPSYS
    snap = same(machines)
    assert snap["pc"] == 0x11  # after the stopsys in the ISR
    assert snap["cycles"] == 8 + 32 + 2 + 1  # wake-up at ILRC/1, entry, the ISR's stopsys


@pytest.mark.sdcc
def test_sleeping_c_firmware_lights_the_led_a_wake_up_time_after_the_press(sdcc_build):
    # sleep_wake.c: stopsys, then wakeups++ and the LED toggle. From the press to the LED
    # write: the wake-up time plus the instructions after stopsys, whatever SDCC made of
    # them; so the latency at 59 kHz and at 62 kHz differs by exactly the wake-up times'
    # difference, ceil(32 * 8e6 / 59e3) - ceil(32 * 8e6 / 62e3) = 4339 - 4130 cycles.
    latencies = {}
    for ilrc_hz in (59_000, 62_000):
        m = Machine.from_ihx(sdcc_build("sleep_wake"), ilrc_hz=ilrc_hz)
        assert m.run(100_000) == StopReason.STOPSYS
        for press in range(3):
            pressed = m.cycles
            m.set_pin(0, press % 2)  # 0: pressed, 1: released (both edges wake it)
            assert m.mode == "waking"
            m.watch("pa")
            assert m.run(100_000) == StopReason.WATCHPOINT
            m.unwatch("pa")
            latencies.setdefault(ilrc_hz, set()).add(m.cycles - pressed)
            assert m.pin(4) == (press + 1) % 2
            assert m.run(100_000) == StopReason.STOPSYS
        assert m.read_var("wakeups") == 3
    (slow,), (fast,) = latencies[59_000], latencies[62_000]
    assert slow - fast == wake_cycles(32, 16_000_000, 2) - wake_cycles(32, 16_000_000, 2, 62_000)
    assert slow - fast == 4339 - 4130
