"""Virtual devices on the pins (pms150c/devices.py), without firmware: the devices drive
pins of a machine running an idle loop and decode what they (or other devices) drive, so
each protocol detail is checked against bytes and times computed here."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pms150c import Machine, assemble
from pms150c.devices import (
    Button,
    Device,
    DeviceError,
    I2cEeprom,
    PulseGenerator,
    SpiFlash,
    SpiSlave,
    Uart,
    Waveform,
    Ws2812,
)
from pms150c.errors import PinError
from pms150c.peripherals.clock import time_units_at
from pms150c.state import TIME_UNITS_PER_S

IDLE_8MHZ = "\tmov a, #0x34\n\tmov.io 0x03, a\nloop:\n\tgoto loop\n"  # IHRC/2, no watchdog
IDLE_4MHZ = IDLE_8MHZ.replace("#0x34", "#0x14")  # IHRC/4


def idle(source: str = IDLE_8MHZ) -> Machine:
    m = Machine(assemble(source))
    m.run(10)  # the clock is set
    return m


def uart_steps(data: bytes, baud: int, start: Fraction, stop_bit: int = 1) -> list:
    """(seconds, level) of 8N1 frames back to back from `start`."""
    bit = Fraction(1, baud)
    steps = []
    for k, byte in enumerate(data):
        t = start + 10 * k * bit
        levels = [0] + [byte >> n & 1 for n in range(8)] + [stop_bit]
        steps += [(t + n * bit, level) for n, level in enumerate(levels)]
    return steps


# -- UART ----------------------------------------------------------------------------------


def test_uart_decodes_frames_on_any_pin_with_their_start_times():
    m = idle()
    m.set_pin(5, 1)  # an idle line
    uart = m.attach(Uart(tx=5, baud=9600))
    m.attach(Waveform(5, uart_steps(b"Hi!", 9600, Fraction(1, 1000))))
    m.run(8000 * 5)  # 5 ms
    assert uart.received == b"Hi!"
    starts = [f.time for f in uart.frames]
    # each start bit lands on the first boundary at or after its time (gotos: 2 cycles)
    assert all(
        0 <= t - s < Fraction(2, 8_000_000)
        for t, s in zip(
            starts, [Fraction(1, 1000) + k * Fraction(10, 9600) for k in range(3)], strict=True
        )
    )
    assert all(uart.timeline.at(f.cycle) == f.time for f in uart.frames)


def test_uart_reports_a_framing_error_and_keeps_decoding():
    m = idle()
    m.set_pin(5, 1)
    uart = m.attach(Uart(tx=5, baud=19200))
    # from 1 ms: time since power-on starts after the boot-up time (32 ILRC clocks, 0.54 ms)
    steps = uart_steps(b"A", 19200, Fraction(1, 1000), stop_bit=0)
    steps += [(steps[-1][0] + Fraction(2, 19200), 1)]  # the line idles again
    steps += uart_steps(b"B", 19200, Fraction(2, 1000))
    m.attach(Waveform(5, steps))
    m.run(8000 * 4)
    assert [(f.value, f.framing_error) for f in uart.frames] == [
        (ord("A"), True),
        (ord("B"), False),
    ]
    assert uart.received == b"B" and len(uart.framing_errors) == 1


def test_uart_send_puts_its_bits_at_the_baud_from_the_real_clock():
    """The same 9600-baud byte at 8 MHz and at 4 MHz: 833.3 and 416.7 cycles per bit, the
    same times in seconds."""
    for source, hz in ((IDLE_8MHZ, 8_000_000), (IDLE_4MHZ, 4_000_000)):
        m = idle(source)
        rec = m.record_pins([0])
        uart = m.attach(Uart(rx=0, baud=9600))
        end = uart.send(b"\x55", cycle=1000)
        m.run(end + 100 - m.cycles)
        changes = rec.times(0)[1:]  # the first is the line going idle (high) at attach
        expected = [1000 + k * Fraction(hz, 9600) for k in range(10)]  # 0x55: every bit flips
        assert len(changes) == 10
        assert all(0 <= c - e < 2 for c, e in zip(changes, expected, strict=True))


def test_uart_read_until_times_out_with_what_it_got():
    m = idle()
    m.set_pin(5, 1)
    uart = m.attach(Uart(tx=5, baud=9600))
    m.attach(Waveform(5, uart_steps(b"ab", 9600, Fraction(1, 1000))))
    with pytest.raises(DeviceError, match="received b'ab'"):
        uart.read_until(b"\n", timeout=0.01)


def frame_steps(levels: str, baud: int, start: Fraction) -> list:
    """(seconds, level) of a frame written out by hand as a string of 0s and 1s."""
    return [(start + Fraction(n, baud), int(c)) for n, c in enumerate(levels)]


@pytest.mark.parametrize(
    ("options", "levels", "value", "parity_error"),
    [
        # 'A' = 0x41, LSB first 1000 0010: two ones, so the even parity bit is 0
        ({"parity": "even"}, "0" + "10000010" + "0" + "1", 0x41, False),
        ({"parity": "odd"}, "0" + "10000010" + "1" + "1", 0x41, False),
        ({"parity": "even"}, "0" + "10000010" + "1" + "1", 0x41, True),
        # 7 data bits, 0x55 = 101 0101; two stop bits
        ({"data_bits": 7, "stop_bits": 2}, "0" + "1010101" + "11", 0x55, False),
        # 9 data bits: 0x1A5 = 1 1010 0101, LSB first 101001011
        ({"data_bits": 9}, "0" + "101001011" + "1", 0x1A5, False),
        # 5 data bits and odd parity: 0x13 = 10011 (three ones): parity bit 0
        ({"data_bits": 5, "parity": "odd"}, "0" + "11001" + "0" + "1", 0x13, False),
    ],
)
def test_uart_decodes_other_frame_formats(options, levels, value, parity_error):
    m = idle()
    m.set_pin(5, 1)
    uart = m.attach(Uart(tx=5, baud=9600, **options))
    assert uart.frame_bits == len(levels)
    steps = frame_steps(levels, 9600, Fraction(1, 1000))
    m.attach(Waveform(5, steps + [(steps[-1][0] + Fraction(1, 9600), 1)]))
    m.run(8000 * 4)
    (frame,) = uart.frames
    assert (frame.value, frame.parity_error, frame.framing_error) == (value, parity_error, False)
    assert uart.received == (b"" if parity_error else bytes([value & 0xFF]))
    assert uart.parity_errors == ([frame] if parity_error else [])


def test_uart_with_two_stop_bits_flags_a_frame_whose_second_stop_bit_is_0():
    m = idle()
    m.set_pin(5, 1)
    uart = m.attach(Uart(tx=5, baud=9600, stop_bits=2))
    steps = frame_steps("0" + "10000010" + "10" + "1", 9600, Fraction(1, 1000))
    m.attach(Waveform(5, steps))
    m.run(8000 * 4)
    assert [(f.value, f.framing_error) for f in uart.frames] == [(0x41, True)]


def test_uart_sends_its_format_bit_by_bit():
    """send() in 7E2 puts the start bit, 7 data bits, the even parity bit and two stop bits
    on the line, each at its time: read back as levels at the middle of each bit."""
    m = idle()
    uart = m.attach(Uart(rx=6, baud=9600, data_bits=7, parity="even", stop_bits=2))
    rec = m.record_pins([6])
    start = Fraction(1, 1000)
    uart.send(b"\x55", at=start)
    m.run(8000 * 3)
    expected = "0" + "1010101" + "0" + "11"  # four ones: even parity bit 0
    levels = ""
    for n in range(len(expected)):
        middle = start + Fraction(2 * n + 1, 2 * 9600)
        before = [c for c in rec.times(6, 0) + rec.times(6, 1) if rec.seconds(c) <= middle]
        last = max(before)
        levels += "0" if last in rec.times(6, 0) else "1"
    assert levels == expected


def test_uart_formats_are_checked():
    for options in ({"data_bits": 4}, {"data_bits": 10}, {"stop_bits": 3}, {"parity": "mark"}):
        with pytest.raises(DeviceError):
            Uart(tx=5, **options)
    m = idle()
    uart = m.attach(Uart(rx=6, data_bits=7))
    with pytest.raises(DeviceError, match="does not fit"):
        uart.send(b"\x80")
    with pytest.raises(DeviceError):
        uart.send([1, True])


def test_uart_needs_a_pin_and_bytes():
    with pytest.raises(DeviceError):
        Uart()
    with pytest.raises(PinError):
        Uart(tx=2)
    uart = idle().attach(Uart(rx=0))
    with pytest.raises(DeviceError):
        uart.send("text")


# -- buttons and generators ----------------------------------------------------------------


def test_button_press_and_release_land_at_their_times():
    m = idle()
    m.io_poke("paph", 0x01)  # the pull-up holds the released button high
    rec = m.record_pins([0])
    button = m.attach(Button(0))
    button.press(cycle=8000)
    button.release(cycle=12000)
    m.run(8000 * 2)
    assert rec.times(0, 0) == [8000] and rec.times(0, 1) == [12000]
    with pytest.raises(DeviceError):
        button.press(at=0.001, cycle=9000)
    with pytest.raises(DeviceError):
        button.press(cycle=20_000, duration=0.001)
    with pytest.raises(DeviceError):
        button.press(cycle=5)  # in the past


def test_pulse_generator_makes_count_pulses_of_the_given_widths():
    m = idle()
    rec = m.record_pins([4])
    m.attach(PulseGenerator(4, high=10e-6, low=Fraction(15, 1_000_000), count=5, start=0.001))
    m.run(8000 * 2)
    widths = rec.pulse_widths(4, 1)
    assert len(rec.times(4, 1)) == 5 and set(widths) <= {80, 81, 79}
    assert rec.period(4) == 200  # 25 us at 8 MHz


def test_attaching_twice_or_a_non_device_is_an_error():
    m = idle()
    button = m.attach(Button(0))
    with pytest.raises(DeviceError):
        m.attach(button)
    with pytest.raises(DeviceError):
        m.attach("a button")
    assert m.devices == (button,)
    m.detach(button)
    assert m.devices == () and m._signals is None


# -- SPI -----------------------------------------------------------------------------------

# mode-0 SPI master in assembly: CS PA0, SCK PA3, MOSI PA4, MISO PA6; sends the bytes in
# RAM 0x08 then 0x0B in one selection, MSB first, and keeps the 16 bits read in RAM 0x0C
# (first byte) and 0x09 (second), then stops
SPI_MASTER = """
    mov a, #0x34
    mov.io 0x03, a
    mov a, #0x01
    mov.io 0x10, a        ; CS high, SCK low
    mov a, #0x19
    mov.io 0x11, a        ; CS, SCK, MOSI outputs
    set0.io 0x10, #0      ; select
    mov a, #16
    mov 0x0a, a
bit:
    set0.io 0x10, #4
    t0sn 0x08, #7
    set1.io 0x10, #4      ; MOSI = the next bit out
    sl 0x0b
    slc 0x08
    set1.io 0x10, #3      ; SCK rises: the slave samples
    sl 0x09
    slc 0x0c
    t0sn.io 0x10, #6
    set1 0x09, #0         ; the bit on MISO
    set0.io 0x10, #3      ; SCK falls: the slave shifts
    dzsn 0x0a
    goto bit
    set1.io 0x10, #0      ; deselect
    stopsys
"""


def test_scripted_spi_slave_answers_each_byte_during_the_next_one():
    slave = SpiSlave(cs=0, sck=3, mosi=4, miso=6, respond=lambda byte, i: byte ^ 0xFF)
    m = Machine(assemble(SPI_MASTER))
    m.attach(slave)
    m.ram[0x08], m.ram[0x0B] = 0xA5, 0x3C
    assert m.run(10_000) == "stopsys" or m.mode == "stopsys"
    assert [bytes(t) for t in slave.transactions] == [b"\xa5\x3c"]
    assert (m.ram[0x0C], m.ram[0x09]) == (0x00, 0xA5 ^ 0xFF)  # MISO undriven at first


def test_spi_flash_answers_jedec_id_read_and_page_program():
    """The command protocol alone (the firmware test drives it through the pins)."""
    flash = SpiFlash(cs=0, sck=3, mosi=4, miso=6, data=bytes(range(16)), jedec_id=b"\x01\x02\x03")
    flash.on_select()
    answers = [flash.on_byte(b, i) for i, b in enumerate([0x9F, 0, 0, 0])]
    assert answers[:3] == [1, 2, 3]
    flash.on_select()
    answers = [flash.on_byte(b, i) for i, b in enumerate([0x03, 0, 0, 5, 0, 0])]
    assert answers[3:] == [5, 6, 7]  # the byte after the address byte is data[5]
    flash.on_select()
    assert flash.on_byte(0x06, 0) is None and flash.write_enabled
    flash.on_select()
    for i, b in enumerate([0x02, 0, 0, 0xFE, 0x0F, 0xF0]):
        flash.on_byte(b, i)
    assert flash.memory[0xFE] == 0x0F & 0xFF and flash.memory[0xFF] == 0xF0


# -- I2C -----------------------------------------------------------------------------------


def test_eeprom_rejects_pins_and_sizes_it_cannot_have():
    with pytest.raises(DeviceError):
        I2cEeprom(scl=3, sda=3)
    with pytest.raises(DeviceError):
        I2cEeprom(scl=3, sda=4, data=bytes(300))


# -- WS2812 --------------------------------------------------------------------------------


def test_ws2812_decodes_bits_from_pulse_widths_and_frames_at_the_reset_gap():
    m = idle()
    ws = m.attach(Ws2812(3))
    us = Fraction(1, 1_000_000)
    steps, t = [], Fraction(1, 1000)
    for byte in (0x81, 0x3C, 0xFF):
        for n in range(8):
            high = Fraction(8, 10) if byte >> (7 - n) & 1 else Fraction(4, 10)
            steps += [(t, 1), (t + high * us, 0)]
            t += Fraction(125, 100) * us
    m.attach(Waveform(3, steps))
    m.run(8000 * 2)
    assert ws.frames == [bytes([0x81, 0x3C, 0xFF])] and ws.leds == [(0x81, 0x3C, 0xFF)]
    assert not ws.errors


def test_a_device_subclass_sees_changes_with_exact_times():
    class Recorder(Device):
        pins = (6,)

        def __init__(self):
            super().__init__()
            self.seen = []

        def on_edge(self, cycle, pin, level, time):
            self.seen.append((cycle, level, time))

    m = idle()
    dev = m.attach(Recorder())
    m.schedule_pin(1001, 6, 1)
    m.run(2000)
    at_1002 = Fraction(time_units_at(m._regs, m._io, 1002), TIME_UNITS_PER_S)
    assert dev.seen == [(1002, 1, at_1002)]  # the gotos end at even cycles


def test_times_in_seconds_hold_when_the_firmware_switches_the_clock():
    """At power-on the chip runs from the ILRC (59 kHz); a press scheduled for 2 ms then
    is counted again when the program switches to 8 MHz, and lands at 2 ms."""
    m = Machine(assemble("\tnop\n\tnop\n" + IDLE_8MHZ))
    m.io_poke("paph", 0x01)
    rec = m.record_pins([0])
    m.attach(Button(0)).press(at=0.002, duration=0.001)
    m.run(40_000)
    press, release = rec.times(0, 0)[0], rec.times(0, 1)[0]
    assert 0 <= rec.seconds(press) - Fraction(2, 1000) < Fraction(2, 8_000_000)
    assert 0 <= rec.seconds(release) - Fraction(3, 1000) < Fraction(2, 8_000_000)


# -- properties ----------------------------------------------------------------------------

WIRE = """
    mov a, #{clkmd}
    mov.io 0x03, a
    mov a, #0x80
    mov.io 0x11, a        ; PA7 output
loop:
    t1sn.io 0x10, #0
    set0.io 0x10, #7
    t0sn.io 0x10, #0
    set1.io 0x10, #7      ; PA7 follows PA0 (within 6 cycles)
    goto loop
"""


@settings(max_examples=40, deadline=None)
@given(
    data=st.binary(min_size=1, max_size=6),
    baud=st.sampled_from([2400, 9600, 19200, 38400]),
    clkmd=st.sampled_from([0x34, 0x14, 0x1C]),  # 8, 4 and 1 MHz
    gap=st.sampled_from([0, Fraction(1, 10_000)]),
    fmt=st.sampled_from([(8, "none", 1), (7, "even", 1), (8, "odd", 2), (5, "none", 2)]),
)
@example(data=b"\x00\xff", baud=9600, clkmd=0x34, gap=0, fmt=(9, "odd", 2))
def test_bytes_sent_through_a_wire_are_decoded_as_sent(data, baud, clkmd, gap, fmt):
    data_bits, parity, stop_bits = fmt
    m = Machine(assemble(WIRE.format(clkmd=clkmd)))
    uart = m.attach(
        Uart(tx=7, rx=0, baud=baud, data_bits=data_bits, parity=parity, stop_bits=stop_bits)
    )
    values = [v & ((1 << data_bits) - 1) for v in data]
    uart.send(values, at=0.001, gap=gap)
    end = 0.0012 + len(data) * (uart.frame_bits / baud + float(gap))
    while m.time_s < end:  # the clock starts slow (ILRC), so run by simulated time
        m.run(10_000)
    assert [f.value for f in uart.frames] == values
    assert not uart.framing_errors and not uart.parity_errors


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255))
def test_the_spi_master_reads_back_what_the_slave_answers(first, second, key):
    slave = SpiSlave(cs=0, sck=3, mosi=4, miso=6, respond=lambda byte, i: byte ^ key)
    m = Machine(assemble(SPI_MASTER))
    m.attach(slave)
    m.ram[0x08], m.ram[0x0B] = first, second
    m.run(10_000)
    assert bytes(slave.transactions[0]) == bytes([first, second])
    assert m.ram[0x09] == first ^ key
