"""C firmware for the PMS150C, compiled by `sdcc -mpdk13` and run from its .ihx.

The sources are in tests/firmware/ (a blinker on the Timer16 interrupt, a bit-banged UART
"Hello", a button lighting an LED, a switch compiled to a jump table, an SPI master, an
I2C master, a WS2812 writer, a PWM, a wire). Each test loads the .ihx with the symbols
SDCC wrote beside it and checks the behaviour through the virtual devices on the pins
(pms150c/devices.py), the pin-edge recording, RAM variables by their C names,
breakpoints on C functions and the profile, against periods counted by hand from the
source.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from pms150c import Machine, StopReason
from pms150c.devices import Button, I2cEeprom, SpiFlash, Uart, Ws2812

pytestmark = pytest.mark.sdcc

CLOCK_HZ = 8_000_000  # the firmware runs the system clock at IHRC/2


# -- blinker -------------------------------------------------------------------------------


@pytest.mark.parametrize("ticks", [1, 4])
def test_blinker_toggles_the_led_every_ticks_times_16384_cycles(sdcc_build, ticks):
    """T16: source IHRC (2 ticks per cycle), /16 prescaler, interrupt on bit 10 = every
    2**11 * 16 / 2 cycles; the ISR toggles the LED every `ticks` interrupts (blink.c)."""
    m = Machine.from_ihx(sdcc_build("blink", defines={"TICKS_PER_TOGGLE": ticks}))
    led = m.record_pins(4)
    m.run(8 * ticks * 16384)
    assert len(led.times(4)) >= 7
    assert set(led.pulse_widths(4, 1) + led.pulse_widths(4, 0)) == {ticks * 16384}
    assert m.read_var("toggles") == len(led.times(4))


def test_blinker_isr_is_a_breakpoint_by_its_c_name(sdcc_build):
    m = Machine.from_ihx(sdcc_build("blink", defines={"TICKS_PER_TOGGLE": 4}))
    m.breakpoints.add("timer_isr")
    hits = []
    for _ in range(3):
        assert m.run(100_000) == StopReason.BREAKPOINT
        hits.append(m.cycles)
    assert hits[2] - hits[1] == hits[1] - hits[0] == 16384
    assert m.symbols.functions["_timer_isr"].interrupt


# -- UART ----------------------------------------------------------------------------------


def test_uart_sends_hello_at_115200_baud(sdcc_build):
    m = Machine.from_ihx(sdcc_build("uart_hello"))
    uart = m.attach(Uart(tx=7, baud=115200))
    assert uart.read_until(b"\n", timeout=0.001) == b"Hello\n"
    assert not uart.framing_errors and m.read_var("sent") == 6


def test_uart_bits_are_69_cycles_apart(sdcc_build):
    """Timer2 period mode on the IHRC through the scaler /2 with TM2B = 68: an interrupt
    every 69 cycles exactly (uart_hello.c); 8 MHz / 69 = 115942 baud. main waits awake (a
    sleep's wake-up time is far longer than a bit), so each entry, and edge, waits for
    the instruction in progress: on the timer's 69-cycle grid, at most 1 cycle late."""
    m = Machine.from_ihx(sdcc_build("uart_hello"))
    tx = m.record_pins(7)
    m.run(2_000_000)
    assert m.mode == "stopsys"
    times = tx.times(7)[1:]  # after main's first write (the idle level)
    offsets = [(t - times[0]) % 69 for t in times]
    offsets = [o - 69 if o > 34 else o for o in offsets]  # early or late against the first
    assert max(offsets) - min(offsets) <= 1 and len(times) > 30  # "Hello\n": 38 changes


@pytest.mark.parametrize("clock", ["CLKMD_IHRC_DIV2", "CLKMD_IHRC_DIV4"])
def test_uart_decodes_at_the_baud_whatever_the_system_clock(sdcc_build, clock):
    """Timer2 counts the IHRC, so the bit time (138 counts = 17.25 us, 57971 baud) does
    not follow the system clock: 138 cycles a bit at 8 MHz, 69 at 4 MHz. The decoder works
    in simulated seconds: the same text either way, and garbage at twice the baud."""
    firmware = sdcc_build("uart_hello", defines={"CLOCK": clock, "BIT_CYCLES": 138})
    m = Machine.from_ihx(firmware)
    right, wrong = m.attach(Uart(tx=7, baud=57600)), m.attach(Uart(tx=7, baud=115200))
    assert right.read_until(b"\n", timeout=0.002) == b"Hello\n"
    assert wrong.received != b"Hello\n" and wrong.framing_errors


def test_hello_follows_a_button_press(sdcc_build):
    m = Machine.from_ihx(sdcc_build("uart_hello", defines={"WAIT_BUTTON": 1}))
    uart = m.attach(Uart(tx=7, baud=115200))
    m.attach(Button(5)).press(at=0.010)
    assert uart.read_until(b"\n", timeout=0.050) == b"Hello\n"
    assert Fraction(10, 1000) < uart.frames[0].time < Fraction(11, 1000)


def test_a_wire_carries_what_the_uart_sends(sdcc_build):
    """mirror.c copies PA0 to PA7: bytes sent into PA0 come out decoded on PA7."""
    m = Machine.from_ihx(sdcc_build("mirror"))
    uart = m.attach(Uart(tx=7, rx=0, baud=9600))
    uart.send(b"ping?", at=0.001)
    assert uart.read_until(b"?", timeout=0.010) == b"ping?"


# -- button --------------------------------------------------------------------------------


def test_led_follows_the_button_and_presses_are_counted(sdcc_build):
    m = Machine.from_ihx(sdcc_build("button"))
    led, button = m.record_pins(4), m.attach(Button(0))
    for down, up in [(1_000, 3_000), (6_000, 6_500), (9_000, 12_000)]:
        button.press(cycle=2_000 + down)
        button.release(cycle=2_000 + up)
    m.run(16_000)
    lit = led.pulse_widths(4, 1)
    assert [round(w, -1) for w in lit] == [2000, 500, 3000]  # give or take a loop turn
    assert m.read_var("presses") == 3


def test_led_latency_is_the_hand_count_of_the_polling_loop(sdcc_build):
    """button.c's loop as SDCC compiles it. Released: mov.io a, pa / mov p, a / t1sn p, #0
    (skips: 2) / set0.io pa, #4 / clear / goto (2) = 8 cycles a turn. The pressed path to
    the LED: mov.io, mov, t1sn (no skip), goto (2), then set1.io, whose write lands 5
    cycles after the read. A press lands at one of the 8 cycles of a turn: the LED's edge
    comes 5 to 5 + 8 - 1 = 12 cycles later."""
    latencies = set()
    for offset in range(8):
        m = Machine.from_ihx(sdcc_build("button"))
        led = m.record_pins(4)
        m.attach(Button(0)).press(cycle=2_000 + offset)
        m.run(2_100)
        latencies.add(led.times(4, 1)[0] - (2_000 + offset))
    assert latencies == set(range(5, 13))


# -- switch --------------------------------------------------------------------------------


def test_switch_jump_table_decodes_every_command(sdcc_build):
    m = Machine.from_ihx(sdcc_build("switch", defines={"COMMANDS": '"0123456789"'}))
    m.breakpoints.add("decode")
    calls = 0
    while m.run(100_000) == StopReason.BREAKPOINT:
        calls += 1
    assert calls == 10
    results = m.ram_of("results")
    assert list(m.ram[results : results + 10]) == [0, 10, 20, 30, 40, 11, 21, 31, 255, 255]
    assert m.read_var("decoded") == 10


def test_switch_cycles_per_case_are_the_hand_count(sdcc_build):
    """decode() in switch.c, as SDCC compiles it: mov, sub, ceqsn (no skip), t1sn.io f, c
    (skips: 2), add, pcadd (2), goto #case (2), ret #k (2) = 12 cycles for '0'..'7';
    '8' and '9' take mov, sub, ceqsn/t1sn (3 cycles either way), goto (2), ret #k (2) = 8."""
    m = Machine.from_ihx(sdcc_build("switch", defines={"COMMANDS": '"0123456789"'}))
    m.enable_profile()
    assert m.run(1_000_000) == StopReason.STOPSYS
    profile = m.profile()
    assert profile.by_label()["_decode"] == 8 * 12 + 2 * 8
    switch_line = [r for r in profile.by_line() if r.text.startswith("switch")]
    assert len(switch_line) == 1 and switch_line[0].filename == "switch.c"
    assert switch_line[0].function == "_decode"


# -- SPI -----------------------------------------------------------------------------------


def test_spi_master_reads_the_jedec_id_from_a_flash(sdcc_build):
    m = Machine.from_ihx(sdcc_build("spi_master"))
    flash = m.attach(SpiFlash(cs=0, sck=3, mosi=4, miso=6, jedec_id=b"\xef\x40\x16"))
    assert m.run(1_000_000) == StopReason.STOPSYS
    assert bytes(m.ram[m.ram_of("id") : m.ram_of("id") + 3]) == b"\xef\x40\x16"
    assert [bytes(t) for t in flash.transactions] == [b"\x9f\x00\x00\x00"]


# -- I2C EEPROM ----------------------------------------------------------------------------


def test_i2c_master_writes_and_reads_back_an_eeprom(sdcc_build):
    """i2c_eeprom.c writes DE AD BE EF at 0x10, then reads 8 bytes from 0x0E."""
    m = Machine.from_ihx(sdcc_build("i2c_eeprom"))
    eeprom = m.attach(I2cEeprom(scl=3, sda=4, data=bytes(14) + b"\x11\x22"))
    assert m.run(2_000_000) == StopReason.STOPSYS
    assert eeprom.memory[0x10:0x14] == b"\xde\xad\xbe\xef"
    got = bytes(m.ram[m.ram_of("got") : m.ram_of("got") + 8])
    assert got == b"\x11\x22\xde\xad\xbe\xef\xff\xff"
    assert m.read_var("acks") == 9  # 2 + 4 bytes written, 2 + 1 for the random read


# -- WS2812 --------------------------------------------------------------------------------


def test_ws2812_writer_sets_three_leds(sdcc_build):
    m = Machine.from_ihx(sdcc_build("ws2812"))
    leds = m.attach(Ws2812(3))
    assert m.run(1_000_000) == StopReason.STOPSYS
    assert leds.leds == [(0xFF, 0x00, 0x00), (0x00, 0x80, 0x01), (0x12, 0x34, 0x56)]
    assert set(leds.high_times) == {Fraction(3, 8_000_000), Fraction(6, 8_000_000)}


# -- PWM -----------------------------------------------------------------------------------


def test_pwm_duty_is_exact_at_half_cycles(sdcc_build):
    """pwm.c: Timer2 PWM from the 16 MHz IHRC at an 8 MHz system clock, TM2B = 10: high
    11 of 256 counts = 5.5 cycles of every 128, 62.5 kHz."""
    m = Machine.from_ihx(sdcc_build("pwm"))
    out = m.record_pins(3)
    m.run(100_000)
    assert out.duty(3) == Fraction(11, 256) and out.frequency(3) == 62_500
    assert out.period(3) == 128


def test_pwm_edge_log_is_the_same_in_both_interpreters(sdcc_build):
    from pms150c.edges import SignalRecording
    from pms150c.image import Image
    from pms150c.reference import ReferenceMachine

    image = Image.from_ihx(sdcc_build("pwm", defines={"DUTY": 100}))
    fast, ref = Machine(image), ReferenceMachine(image)
    fast_log, ref_rows = SignalRecording(fast, 0xFFFF_01F9), ref.record_signals(0xFFFF_01F9)
    fast.run(3_000)
    ref.run(3_000)
    fast._signals.sync()
    assert fast_log.rows == ref_rows and len(ref_rows) > 40
