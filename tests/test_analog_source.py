"""The analog source device (pms150c.devices.AnalogSource): voltages on a comparator input
or on the supply at times in seconds, steps and ramps, through clock switches, driving
assembly and sdcc -mpdk13 firmware."""

from __future__ import annotations

from fractions import Fraction

import pytest

from pms150c import Machine, assemble
from pms150c.devices import AnalogSource, DeviceError
from pms150c.errors import PinError
from pms150c.peripherals.clock import time_units_at
from pms150c.state import TIME_UNITS_PER_S

# PA4 (plus) against PA3 (minus), the result on PA0 (GPCS.7); two nops at the reset clock
# first, so the switch to 8 MHz comes after the source has scheduled its steps.
COMPARE_TO_PA0 = """
    nop
    nop
    mov a, #0x34
    mov.io 0x03, a
    mov a, #0x80
    mov.io 0x1e, a
    mov a, #0x81
    mov.io 0x1a, a
loop:
    goto loop
"""
TICK = Fraction(1, 8_000_000)


def seconds_now(m: Machine) -> Fraction:
    """The exact time since power-on (Machine.time_s is its float)."""
    return Fraction(time_units_at(m._regs, m._io, m.cycles), TIME_UNITS_PER_S)


def comparator_machine() -> Machine:
    m = Machine(assemble(COMPARE_TO_PA0))
    m.set_analog("pa3", 2.5)
    return m


def test_steps_move_the_comparator_output_at_their_times_across_a_clock_switch():
    m = comparator_machine()
    rec = m.record_pins([0])
    m.attach(AnalogSource("pa4", [(0, 1.0), (0.001, 4.0), (0.0025, 1.0)]))
    m.run(40_000)
    (rise,), (fall,) = rec.times(0, 1), rec.times(0, 0)
    # the loop's boundaries are 2 cycles apart: a level lands at the first one at its time
    assert 0 <= rec.seconds(rise) - Fraction(1, 1000) < 2 * TICK
    assert 0 <= rec.seconds(fall) - Fraction(25, 10_000) < 2 * TICK


def test_set_adds_a_level_now_or_later():
    m = comparator_machine()
    source = m.attach(AnalogSource("pa4"))
    m.run(2000)
    assert m.pins & 1 == 0
    source.set(3.0)
    assert m.pins & 1 == 1
    source.set(2.0, at=source.now() + Fraction(1, 10_000))
    m.run(400)  # 50 us: not yet
    assert m.pins & 1 == 1
    m.run(800)
    assert m.pins & 1 == 0


def test_a_ramp_crosses_the_threshold_on_the_first_stair_above_it():
    m = comparator_machine()
    rec = m.record_pins([0])
    source = AnalogSource("pa4")
    # 0 V to 5 V in 50 stairs of 0.1 V, 0.1 ms each, from 1 ms: 2.6 V (> 2.5 V) at 3.6 ms
    source.ramp(0.0, 5.0, at=0.001, duration=0.005, steps=50)
    m.attach(source)
    m.run(60_000)
    (rise,) = rec.times(0, 1)
    assert 0 <= rec.seconds(rise) - Fraction(36, 10_000) < 2 * TICK
    assert len(rec.times(0, 0)) == 0  # the ramp ends at 5 V: no way back below 2.5 V


def test_a_source_on_vdd_changes_the_supply_at_its_time():
    m = comparator_machine()
    m.attach(AnalogSource("vdd", [(0.001, 3.3)]))
    while m.vdd == 5.0:  # two cycles (one loop boundary) at a time
        before = seconds_now(m)
        m.run(2)
    # applied at the boundary the last run started from: the first one at or after 1 ms
    # (time_s counts the boot-up time before cycle 0, as the device's times do)
    assert 0 <= before - Fraction(1, 1000) < 2 * TICK
    assert m.vdd == pytest.approx(3.3)


def test_bad_pins_voltages_and_times_are_errors():
    with pytest.raises(PinError):
        AnalogSource("pa9")
    with pytest.raises(PinError):
        AnalogSource("pa4", [(0, 99.0)])
    with pytest.raises(PinError):
        AnalogSource("vdd", [(0, None)])
    with pytest.raises(DeviceError):
        AnalogSource("pa4", [(-1, 1.0)])
    with pytest.raises(DeviceError):
        AnalogSource("pa4").set(1.0)  # not attached: no "now"
    with pytest.raises(DeviceError):
        AnalogSource("pa4").ramp(0, 1, at=0, duration=1, steps=0)


# -- sdcc -mpdk13 firmware -------------------------------------------------------------------


def test_threshold_firmware_lights_the_led_while_the_ramp_is_above_v_r(sdcc_build):
    """tests/firmware/threshold.c: V_R = 8/32 x 5 V = 1.25 V (DS 5.5.1 Fig. 7). Up from 0 to
    2.5 V over 2 ms from 1 ms in 100 stairs of 25 mV: the first stair above 1.25 V is the
    51st (1.275 V), at 2.02 ms; down again from 4 ms, the result falls at the 50th stair
    (1.25 V, not above V_R), at 5 ms."""
    m = Machine.from_ihx(sdcc_build("threshold"))
    led = m.record_pins([6])
    source = AnalogSource("pa4", [(0, 0.0)])
    source.ramp(0.0, 2.5, at=0.001, duration=0.002, steps=100)
    source.ramp(2.5, 0.0, at=0.004, duration=0.002, steps=100)
    m.attach(source)
    m.run(64_000)
    (on,), (off,) = led.times(6, 1), led.times(6, 0)[-1:]
    latency = Fraction(30, 8_000_000)  # the polling loop, a few instructions at 8 MHz
    assert 0 <= led.seconds(on) - Fraction(202, 100_000) < latency
    assert 0 <= led.seconds(off) - Fraction(5, 1000) < latency
    assert m.read_var("crossings") == 1
