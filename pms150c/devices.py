"""Virtual devices on the pins: a UART, a button, pulse and waveform generators, an analog
source (a pin's voltage or the supply), SPI slaves (an SPI flash), an I2C EEPROM and a
WS2812 LED chain.

The protocol: a `Device` is attached to a Machine (``m.attach(device)``, which returns
the device). It may change pins (through `Machine.schedule_pin` for what it knows in
advance, `Machine.set_pin` for an answer) and it sees every change of its `pins` with its
cycle through the machine's signal log (pms150c/edges.py): the jitted core records the
changes, the Machine hands them to `on_edge` in order each time the core returns. A
device that must answer a change before the firmware's next instruction (an SPI slave
putting its next bit on MISO after SCK falls) lists those pins in `answers`: the core then
returns at the boundary after each change of them, so the answer lands one instruction
after the edge at the latest. Everything else runs at the core's speed.

Time: devices work in seconds of simulated time, converted with the clock the firmware
really runs at (CLKMD changes included), never a nominal one: a UART at 115200 baud
samples at 1/115200 s whether the chip runs at 8 MHz, 4 MHz or on a slow ILRC, so a
firmware whose bit time is off shows framing errors as on a real line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .device import PA_PINS
from .edges import Timeline
from .errors import PinError, Pms150cError
from .peripherals.signals import CLKMD_BITS, SIG_CLKMD


class DeviceError(Pms150cError):
    """A device used wrongly (a bad pin, a time in the past, a bad byte) or a device
    expectation that failed (`Uart.read_until` timing out)."""


def _pin(pin, what: str = "pin") -> int:
    from .validate import integer

    number = integer(pin, what, error=PinError)
    if number not in PA_PINS:
        raise PinError(f"{what} PA{number} does not exist (pins: {PA_PINS})")
    return number


def _analog_row(pin, volts) -> tuple[int, int]:
    """The machine's schedule row (code, microvolts) for `volts` on `pin`, checked."""
    from .machine import Machine

    return Machine._analog_row(pin, volts)


def _seconds(value, what: str) -> Fraction:
    """A duration or moment in seconds, as an exact Fraction. A float is read as the
    decimal it prints as (0.0005 is 1/2000, not the binary fraction just above it)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Fraction):
        from .validate import describe

        raise DeviceError(f"{what} must be a number of seconds, not {describe(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise DeviceError(f"{what} must be finite, not {value}")
    if value < 0:
        raise DeviceError(f"{what} must not be negative ({value})")
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


class Device:
    """Something on the pins. Subclasses set `pins` (the pins whose changes they see) and
    `answers` (those whose changes must stop the core so `on_edge` can answer at once),
    and override `on_edge` and, when they keep state, `restart`."""

    pins: tuple[int, ...] = ()
    answers: tuple[int, ...] = ()

    def __init__(self) -> None:
        self.machine = None
        self.levels: dict[int, int] = {}
        self.timeline: Timeline | None = None
        self._timed: list[list] = []  # [seconds, pin, level, cycle scheduled] pending

    # -- the signal-log listener (pms150c/edges.py) -----------------------------------------

    @property
    def bits(self) -> int:
        return sum(1 << p for p in self.pins) | CLKMD_BITS

    @property
    def stop_bits(self) -> int:
        """The answered pins, and CLKMD: after a clock switch the device converts the
        times of what it scheduled again, at the new clock."""
        return sum(1 << p for p in self.answers) | CLKMD_BITS

    def receive(self, rows: np.ndarray) -> None:
        clock_changed = False
        for cycle, bit, level, sub, den in rows.tolist():
            if bit >= SIG_CLKMD:
                self.timeline.clock_row(cycle, bit - SIG_CLKMD, level)
                clock_changed = True
                continue
            if self.levels.get(bit) == level:
                continue
            self.levels[bit] = level
            exact = cycle if sub == 0 else Fraction(cycle) - Fraction(sub, den)
            self.on_edge(cycle, bit, level, self.timeline.at(exact))
        if clock_changed and self._timed:
            self._reschedule()

    # -- pin changes at times in seconds ------------------------------------------------------

    def schedule(self, seconds, pin: int, level: int | None) -> None:
        """Change `pin` to `level` (None: release) at `seconds` since power-on. The cycle is
        counted at the clock in force now, and counted again whenever the firmware switches
        the clock before it, so the change happens at that time whatever the clock does."""
        when = _seconds(seconds, "the time")
        level = self.machine._check_pin(pin, level)
        self._schedule_row(when, int(pin), level)

    def schedule_analog(self, seconds, pin: int | str, volts: float | None) -> None:
        """Put `volts` on `pin` (``"vdd"``: the supply; None releases the pin) at `seconds`
        since power-on, kept at that time through clock switches as `schedule` is."""
        when = _seconds(seconds, "the time")
        self._schedule_row(when, *self.machine._analog_row(pin, volts))

    def _schedule_row(self, when: Fraction, code: int, level: int) -> None:
        """One row of the machine's pin schedule (a pin, an analog level or VDD) at `when`."""
        cycle = self.cycle_at(when)
        self.machine._schedule_row(cycle, code, level)
        self._timed.append([when, code, level, cycle])

    def _reschedule(self) -> None:
        m = self.machine
        now = m.cycles
        keep = []
        for entry in self._timed:
            when, code, level, cycle = entry
            if cycle < now:
                continue  # applied already
            new = self.cycle_at(when)
            if new != cycle and m._unschedule(cycle, code, level):
                m._schedule_row(new, code, level)
                entry[3] = new
            keep.append(entry)
        self._timed = keep

    def restart(self) -> None:
        """The machine's time went back (reset, restore_state, call): start over."""
        self._start()

    # -- attaching ---------------------------------------------------------------------------

    def attach(self, machine) -> Device:
        """Attach to `machine` (what ``machine.attach(device)`` does)."""
        if self.machine is not None:
            raise DeviceError(f"{type(self).__name__} is attached to a machine already")
        self.machine = machine
        self._start()
        machine._signal_listener(self, add=True)
        machine._devices.append(self)
        self.attached()
        return self

    def detach(self) -> None:
        m = self.machine
        if m is None:
            return
        m._signal_listener(self, add=False)
        m._devices.remove(self)
        self.machine = None

    def _start(self) -> None:
        m = self.machine
        levels = m.pins
        self.levels = {p: levels >> p & 1 for p in self.pins}
        self.timeline = Timeline(m)

    def attached(self) -> None:
        """Called once attached: drive idle levels, schedule what is known in advance."""

    def on_edge(self, cycle: int, pin: int, level: int, time: Fraction) -> None:
        """`pin` took `level` at boundary `cycle`; `time` is its exact time in seconds."""

    # -- time ---------------------------------------------------------------------------------

    def now(self) -> Fraction:
        """Simulated seconds since power-on, now."""
        return self.timeline.at(self.machine.cycles)

    def cycle_at(self, seconds) -> int:
        """The first boundary at or after `seconds` since power-on, at the clock in force
        now (a later CLKMD change does not move a change scheduled before it)."""
        seconds = _seconds(seconds, "the time")
        m = self.machine
        now = m.cycles
        per = Fraction(1) / self.timeline.hz(now)
        ahead = (seconds - self.timeline.at(now)) / per
        return now + max(0, math.ceil(ahead))

    def _when(self, at, cycle) -> int:
        """A moment given as `at` (seconds since power-on), `cycle`, or neither (now)."""
        if at is not None and cycle is not None:
            raise DeviceError("give the time as at= (seconds) or cycle=, not both")
        if cycle is not None:
            from .validate import INT64_MAX, integer

            return integer(cycle, "cycle", self.machine.cycles, INT64_MAX, error=DeviceError)
        if at is None:
            return self.machine.cycles
        return self.cycle_at(at)

    def _check_attached(self) -> None:
        if self.machine is None:
            raise DeviceError(f"{type(self).__name__} is not attached: machine.attach() it first")


# -- buttons and generators --------------------------------------------------------------


class Button(Device):
    """A push button on `pin`: pressed it drives `pressed` (0: to ground, the usual), when
    released it leaves the pin to the pull-up (``released=None``) or drives that level."""

    def __init__(self, pin: int, *, pressed: int = 0, released: int | None = None):
        super().__init__()
        self.pin = _pin(pin)
        self.pressed = int(pressed) & 1
        self.released = None if released is None else int(released) & 1

    def press(self, at=None, *, cycle: int | None = None, duration=None) -> None:
        """Press at `at` seconds since power-on (or at `cycle`, or now); with `duration`
        (seconds; not with `cycle`) release it that much later."""
        self._change(self.pressed, at, cycle)
        if duration is not None:
            if cycle is not None:
                raise DeviceError("press(cycle=...) takes no duration: release(cycle=...)")
            start = self.now() if at is None else _seconds(at, "the time")
            self.schedule(start + _seconds(duration, "duration"), self.pin, self.released)

    def release(self, at=None, *, cycle: int | None = None) -> None:
        self._change(self.released, at, cycle)

    def _change(self, level, at, cycle) -> None:
        self._check_attached()
        if at is not None and cycle is not None:
            raise DeviceError("give the time as at= (seconds) or cycle=, not both")
        if at is not None:
            self.schedule(at, self.pin, level)
        else:
            self.machine.schedule_pin(self._when(None, cycle), self.pin, level)


class Waveform(Device):
    """Drives `pin` through `steps`, (seconds since power-on, level) pairs in time order
    (level None releases the pin), from the moment it is attached."""

    def __init__(self, pin: int, steps):
        super().__init__()
        self.pin = _pin(pin)
        self.steps = []
        last = Fraction(-1)
        for when, level in steps:
            when = _seconds(when, "a step's time")
            if when < last:
                raise DeviceError("waveform steps must be in time order")
            if level is not None and level not in (0, 1):
                raise DeviceError(f"a step's level must be 0, 1 or None, not {level!r}")
            self.steps.append((when, level))
            last = when

    def attached(self) -> None:
        for when, level in self.steps:
            self.schedule(when, self.pin, level)


class PulseGenerator(Waveform):
    """`count` pulses on `pin`: high for `high` seconds, then low for `low`, starting at
    `start` seconds since power-on (default: when attached)."""

    def __init__(self, pin: int, *, high, low, count: int, start=None):
        from .validate import integer

        count = integer(count, "count", 1, 1_000_000, error=DeviceError)
        high, low = _seconds(high, "high"), _seconds(low, "low")
        self.start = None if start is None else _seconds(start, "start")
        steps = []
        for k in range(count):
            t = k * (high + low)
            steps += [(t, 1), (t + high, 0)]
        super().__init__(pin, steps)

    def attached(self) -> None:
        origin = self.now() if self.start is None else self.start
        for when, level in self.steps:
            self.schedule(origin + when, self.pin, level)


# -- analog levels -------------------------------------------------------------------------


class AnalogSource(Device):
    """A voltage source on an analog-capable pin (PA0, PA3, PA4, PA6, PA7) or on the supply
    (``"vdd"``): `steps` are (seconds since power-on, volts) pairs, volts None
    releasing the pin, applied from the moment it is attached; `set` and `ramp` add more.

    The comparator sees each level exactly (pms150c/peripherals/analog.py); a pin's digital
    input sees its Schmitt-trigger reading; a supply below the fuse's LVR level resets the
    chip. The times stay times through clock switches, as every device's do."""

    def __init__(self, pin: int | str = 4, steps=()):
        super().__init__()
        self.pin = pin
        _analog_row(pin, 0.0)  # the pin is checked now, not when the first level is due
        self.steps: list[tuple[Fraction, float | None]] = []
        self._rows: list[tuple[Fraction, int, int]] = []  # the steps as schedule rows
        for when, volts in steps:
            self._add(when, volts)

    def _add(self, when, volts) -> tuple[Fraction, int, int]:
        """Record a step, checked once: (time, schedule code, level in microvolts)."""
        row = (_seconds(when, "a step's time"), *_analog_row(self.pin, volts))
        self.steps.append((row[0], volts))
        self._rows.append(row)
        return row

    def attached(self) -> None:
        for row in self._rows:
            self._schedule_row(*row)

    def set(self, volts: float | None, at=None) -> None:
        """`volts` on the pin at `at` seconds since power-on (default: at once, as
        `Machine.set_analog` does)."""
        if at is None:
            if self.machine is None:
                raise DeviceError("give the time (at=) of a level set before attaching")
            self._add(self.now(), volts)
            self.machine.set_analog(self.pin, volts)
            return
        row = self._add(at, volts)
        if self.machine is not None:
            self._schedule_row(*row)

    def ramp(self, start: float, end: float, *, at, duration, steps: int = 64) -> None:
        """A linear ramp from `start` to `end` volts over `duration` seconds from `at`,
        as `steps` equal stairs (the last one reaches `end` exactly at ``at + duration``):
        a slow input crossing a comparator threshold, or a supply browning out."""
        from .validate import integer

        steps = integer(steps, "steps", 1, 100_000, error=DeviceError)
        begin, length = _seconds(at, "at"), _seconds(duration, "duration")
        for k in range(steps + 1):
            volts = start + (end - start) * k / steps
            self.set(volts, at=begin + length * k / steps)


# -- UART ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UartFrame:
    """One received character: its value, when its start bit began (seconds and cycle),
    whether a stop bit was 0 (a framing error; `value` is then what was sampled) and
    whether its parity bit was wrong (always False without parity)."""

    value: int
    time: Fraction
    cycle: int
    framing_error: bool = False
    parity_error: bool = False

    @property
    def bad(self) -> bool:
        """A framing or a parity error."""
        return self.framing_error or self.parity_error


PARITIES = ("none", "even", "odd")


class Uart(Device):
    """A serial line at `baud`, LSB first, idle high: by default 8N1 (8 data bits, no
    parity, 1 stop bit); `data_bits` 5-9, `parity` "none", "even" or "odd", `stop_bits` 1 or 2.

    `tx` is the chip's transmit pin: its changes are decoded into `frames` (each sampled at
    the middle of its bits, timed by the simulated clock; every stop bit must be 1, or the
    frame has a framing error); `received` is the bytes of the frames without a framing or
    parity error. `rx` is the chip's receive pin: `send(data, at=...)` schedules the bit
    changes there (the line idles high once attached)."""

    def __init__(
        self,
        tx: int | None = None,
        rx: int | None = None,
        baud: int = 115200,
        *,
        data_bits: int = 8,
        parity: str = "none",
        stop_bits: int = 1,
    ):
        super().__init__()
        if tx is None and rx is None:
            raise DeviceError("a Uart needs a tx pin (to decode) or an rx pin (to send)")
        self.tx = None if tx is None else _pin(tx, "tx")
        self.rx = None if rx is None else _pin(rx, "rx")
        from .validate import integer

        self.baud = integer(baud, "baud", 1, 100_000_000, error=DeviceError)
        self.data_bits = integer(data_bits, "data_bits", 5, 9, error=DeviceError)
        self.stop_count = integer(stop_bits, "stop_bits", 1, 2, error=DeviceError)
        if parity not in PARITIES:
            raise DeviceError(f"parity must be one of {PARITIES}, not {parity!r}")
        self.parity = parity
        self.pins = () if self.tx is None else (self.tx,)

    @property
    def frame_bits(self) -> int:
        """Bits in one frame: start, data, parity, stop."""
        return 1 + self.data_bits + (self.parity != "none") + self.stop_count

    def _parity_bit(self, value: int) -> int:
        ones = bin(value).count("1") & 1
        return ones if self.parity == "even" else ones ^ 1

    def _levels(self, value: int) -> list[int]:
        """The line levels of one frame carrying `value`, start bit first."""
        levels = [0] + [value >> n & 1 for n in range(self.data_bits)]
        if self.parity != "none":
            levels.append(self._parity_bit(value))
        return levels + [1] * self.stop_count

    def _start(self) -> None:
        super()._start()
        self._frames: list[UartFrame] = []
        self._edges: list[tuple[Fraction, int, int]] = []  # tx changes not decoded yet
        self._line = 1 if self.tx is None else self.levels[self.tx]
        self._free_at = Fraction(-1)  # no start bit before this time (inside a frame)

    def attached(self) -> None:
        if self.rx is not None:
            self.machine.set_pin(self.rx, 1)

    def on_edge(self, cycle: int, pin: int, level: int, time: Fraction) -> None:
        self._edges.append((time, level, cycle))
        self._decode(time)

    # -- decoding -----------------------------------------------------------------------------

    def _level_at(self, when: Fraction, start: int) -> int:
        """The line level at `when` from the pending edges from index `start` on."""
        level = self._line_before(start)
        for time, lvl, _ in self._edges[start:]:
            if time > when:
                break
            level = lvl
        return level

    def _line_before(self, index: int) -> int:
        return self._edges[index - 1][1] if index > 0 else self._line

    def _decode(self, known_until: Fraction) -> None:
        """Decode every frame whose stop bit lies before `known_until` (the line is known
        up to there)."""
        bit = Fraction(1, self.baud)
        last = self.frame_bits - Fraction(1, 2)  # the middle of the last stop bit
        i = 0
        edges = self._edges
        while i < len(edges):
            time, level, cycle = edges[i]
            if level != 0 or self._line_before(i) != 1 or time < self._free_at:
                i += 1
                continue
            if time + bit * last > known_until:
                break  # the frame is not over yet
            if self._level_at(time + bit / 2, i) != 0:  # a glitch, not a start bit
                i += 1
                continue
            levels = [
                self._level_at(time + bit * (Fraction(1, 2) + n), i)
                for n in range(1, self.frame_bits)
            ]
            value = sum(level << n for n, level in enumerate(levels[: self.data_bits]))
            parity_error = self.parity != "none" and levels[self.data_bits] != self._parity_bit(
                value
            )
            framing_error = any(level != 1 for level in levels[-self.stop_count :])
            self._frames.append(UartFrame(value, time, cycle, framing_error, parity_error))
            self._free_at = time + bit * last
            i += 1
        if i:
            self._line = edges[i - 1][1]
            del edges[:i]

    def _sync(self) -> None:
        if self.machine is not None:
            self.machine._signals.sync()
            self._decode(_known_until(self))

    @property
    def frames(self) -> list[UartFrame]:
        """Every frame decoded up to now, in order."""
        self._sync()
        return list(self._frames)

    @property
    def received(self) -> bytes:
        """The bytes decoded so far (frames with a framing or parity error left out; with 9
        data bits, the low 8 of each)."""
        return bytes(f.value & 0xFF for f in self.frames if not f.bad)

    @property
    def framing_errors(self) -> list[UartFrame]:
        return [f for f in self.frames if f.framing_error]

    @property
    def parity_errors(self) -> list[UartFrame]:
        return [f for f in self.frames if f.parity_error]

    def read_until(self, terminator: bytes = b"\n", *, timeout) -> bytes:
        """Run the machine until `terminator` has been received (at most `timeout`
        seconds of simulated time from now) and return everything received up to and
        including it. A firmware that stops (stopsys) or runs out of time first is a
        DeviceError naming what did arrive."""
        self._check_attached()
        if not isinstance(terminator, bytes | bytearray) or not terminator:
            raise DeviceError("the terminator must be non-empty bytes")
        m = self.machine
        deadline = self.now() + _seconds(timeout, "timeout")
        while True:
            data = self.received
            found = data.find(terminator)
            if found >= 0:
                return data[: found + len(terminator)]
            now = self.now()
            if now >= deadline or m.mode == "stopsys":
                why = "stopped (stopsys)" if m.mode == "stopsys" else f"ran {timeout} s"
                raise DeviceError(f"the firmware {why} before {terminator!r}: received {data!r}")
            # at most 1 ms at a time, counted at the clock in force (the firmware may
            # switch it: the deadline is in seconds, not in cycles)
            hz = self.timeline.hz(m.cycles)
            ahead = min(deadline - now, Fraction(1, 1000)) * hz
            reason = m.run(max(1, math.ceil(ahead)))
            if reason.kind.value not in ("max_cycles", "stopsys"):
                raise DeviceError(f"the run stopped early ({reason!r}): received {self.received!r}")

    # -- sending -------------------------------------------------------------------------------

    def send(self, data: bytes, at=None, *, cycle: int | None = None, gap=0) -> int:
        """Schedule `data` on the rx pin from `at` seconds since power-on (or `cycle`, or
        now), each byte (or, with 9 data bits, each item of a list of ints up to 0x1FF) a
        frame in the Uart's format, with `gap` idle seconds between frames; every bit at its
        time in seconds (see `Device.schedule`). Returns the cycle at which the last stop bit
        ends, at the clock in force now."""
        self._check_attached()
        if self.rx is None:
            raise DeviceError("this Uart has no rx pin to send on")
        data = self._values(data)
        if at is not None and cycle is not None:
            raise DeviceError("give the time as at= (seconds) or cycle=, not both")
        if cycle is not None:
            t = self.timeline.at(self._when(None, cycle))
        else:
            t = self.now() if at is None else _seconds(at, "the time")
        bit, gap = Fraction(1, self.baud), _seconds(gap, "gap")
        for value in data:
            for k, level in enumerate(self._levels(value)):
                self.schedule(t + k * bit, self.rx, level)
            t += self.frame_bits * bit + gap
        return self.cycle_at(t)

    def _values(self, data) -> list[int]:
        """What `send` sends: bytes, or a list of ints that fit the data bits."""
        ints = isinstance(data, list | tuple) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in data
        )
        if not (ints or isinstance(data, bytes | bytearray)):
            raise DeviceError(f"send takes bytes or a list of ints, not {type(data).__name__}")
        top = (1 << self.data_bits) - 1
        for v in data:
            if not 0 <= v <= top:
                raise DeviceError(f"{v} does not fit in {self.data_bits} data bits")
        return list(data)


# -- SPI -----------------------------------------------------------------------------------


class SpiSlave(Device):
    """An SPI slave in mode 0 (SCK idle low, data sampled on the rising edge, changed on the
    falling one), MSB first, selected while `cs` is low.

    Every byte the master clocks in goes to `on_byte(byte, index)` (index counts from 0 at
    each selection); what it returns (an int, or None for 0xFF) is the byte shifted out on
    MISO during the next 8 clocks. Subclass it, or pass `respond=` a function of the same
    shape. `transactions` keeps the MOSI bytes of each selection."""

    def __init__(self, *, cs: int, sck: int, mosi: int, miso: int, respond=None):
        super().__init__()
        self.cs, self.sck = _pin(cs, "cs"), _pin(sck, "sck")
        self.mosi, self.miso = _pin(mosi, "mosi"), _pin(miso, "miso")
        if len({self.cs, self.sck, self.mosi, self.miso}) != 4:
            raise DeviceError("cs, sck, mosi and miso must be four different pins")
        self.respond = respond
        self.pins = (self.cs, self.sck, self.mosi)
        self.answers = (self.cs, self.sck)

    def _start(self) -> None:
        super()._start()
        self.transactions: list[bytearray] = []
        self.selected = False
        self._shift = self._count = 0
        self._out: list[int] = []

    def on_byte(self, byte: int, index: int) -> int | None:
        return None if self.respond is None else self.respond(byte, index)

    def on_select(self) -> None:
        """Called when cs falls (a new command begins)."""

    def on_edge(self, cycle: int, pin: int, level: int, time: Fraction) -> None:
        m = self.machine
        if pin == self.cs:
            if level == 0:
                self.selected = True
                self._shift = self._count = 0
                self._out = []
                self.transactions.append(bytearray())
                self.on_select()
            else:
                self.selected = False
                m.set_pin(self.miso, None)
            return
        if not self.selected or pin != self.sck:
            return
        if level == 1:  # rising: sample MOSI
            self._shift = (self._shift << 1 | self.levels[self.mosi]) & 0xFF
            self._count += 1
            if self._count % 8 == 0:
                byte = self._shift
                self.transactions[-1].append(byte)
                out = self.on_byte(byte, self._count // 8 - 1)
                out = 0xFF if out is None else int(out) & 0xFF
                self._out = [out >> (7 - n) & 1 for n in range(8)]
        elif self._out:  # falling: the next bit out
            m.set_pin(self.miso, self._out.pop(0))


class SpiFlash(SpiSlave):
    """A serial NOR flash (25-series): 0x9F JEDEC ID (`jedec_id`, 3 bytes), 0x03 read and
    0x0B fast read (24-bit address, one dummy byte for 0x0B) from `data` (wrapping at its
    size), 0x05 status (bit 1: write enable), 0x06/0x04 write enable/disable, 0x02 page
    program (bits can only be cleared; the address wraps within its 256-byte page)."""

    def __init__(
        self,
        *,
        cs: int,
        sck: int,
        mosi: int,
        miso: int,
        data: bytes = b"",
        size: int = 1 << 16,
        jedec_id: bytes = b"\xef\x40\x16",
    ):
        super().__init__(cs=cs, sck=sck, mosi=mosi, miso=miso)
        if len(jedec_id) != 3:
            raise DeviceError("jedec_id must be 3 bytes")
        if len(data) > size:
            raise DeviceError(f"{len(data)} bytes of data do not fit a {size}-byte flash")
        self.memory = bytearray(b"\xff" * size)
        self.memory[: len(data)] = data
        self.jedec_id = bytes(jedec_id)
        self.write_enabled = False

    def on_select(self) -> None:
        self._command = None
        self._address = 0

    def on_byte(self, byte: int, index: int) -> int | None:
        if index == 0:
            self._command = byte
            if byte == 0x06:
                self.write_enabled = True
            elif byte == 0x04:
                self.write_enabled = False
        command = self._command
        if command == 0x9F:
            return self.jedec_id[index] if index < 3 else 0
        if command == 0x05:
            return 0x02 if self.write_enabled else 0x00
        if command in (0x03, 0x0B, 0x02):
            if 1 <= index <= 3:
                self._address = (self._address << 8 | byte) & 0xFFFFFF
            first = 4 if command != 0x0B else 5
            if command == 0x02 and index >= 4 and self.write_enabled:
                page = self._address & ~0xFF
                at = (page | (self._address + index - 4) & 0xFF) % len(self.memory)
                self.memory[at] &= byte
            if command != 0x02 and index >= first - 1:
                return self.memory[(self._address + index - first + 1) % len(self.memory)]
        return None


# -- I2C -----------------------------------------------------------------------------------


class I2cEeprom(Device):
    """A 24C02-style I2C EEPROM at 7-bit `address` (0x50): `size` bytes of `memory`,
    written in pages of `page` bytes (the address wraps within the page).

    A write is the address byte (R/W = 0), a word address, then data; a read is the
    address byte with R/W = 1 from the current word address (a random read writes the word
    address first, then a repeated start). The device acknowledges its own address and
    every byte written; writes take effect at the STOP (the 5 ms write cycle is not
    modelled). `pull_up` (default): the device stands for the bus's pull-up resistors,
    driving SCL and SDA high whenever neither side pulls them low."""

    def __init__(
        self,
        *,
        scl: int,
        sda: int,
        address: int = 0x50,
        size: int = 256,
        page: int = 8,
        data: bytes = b"",
        pull_up: bool = True,
    ):
        super().__init__()
        self.scl, self.sda = _pin(scl, "scl"), _pin(sda, "sda")
        if self.scl == self.sda:
            raise DeviceError("scl and sda must be different pins")
        from .validate import integer

        self.address = integer(address, "address", 0x08, 0x77, error=DeviceError)
        self.memory = bytearray(b"\xff" * integer(size, "size", 1, 1 << 16, error=DeviceError))
        if len(data) > len(self.memory):
            raise DeviceError("the data does not fit the EEPROM")
        self.memory[: len(data)] = data
        self.page = integer(page, "page", 1, len(self.memory), error=DeviceError)
        self.pull_up = bool(pull_up)
        self.pins = self.answers = (self.scl, self.sda)
        self.pointer = 0

    def _start(self) -> None:
        super()._start()
        self._state = "idle"  # idle, address, write, read
        self._bits = 0
        self._shift = 0
        self._first = True  # the next written byte is the word address
        self._pending: list[tuple[int, int]] = []
        self._acked = True
        self.log: list[tuple[str, int]] = []  # ("start"|"stop"|"write"|"read", byte)

    def attached(self) -> None:
        self._release()
        if self.pull_up:
            self.machine.set_pin(self.scl, 1)

    def _drive(self, level: int) -> None:
        self.machine.set_pin(self.sda, level)

    def _release(self) -> None:
        self.machine.set_pin(self.sda, 1 if self.pull_up else None)

    def on_edge(self, cycle: int, pin: int, level: int, time: Fraction) -> None:
        scl = self.levels[self.scl]
        if pin == self.sda and scl == 1:  # START or STOP
            if level == 0:
                self._commit()
                self._state, self._bits, self._shift = "address", 0, 0
                self.log.append(("start", 0))
            else:
                self._commit()
                self._state = "idle"
                self.log.append(("stop", 0))
                self._release()
            return
        if pin != self.scl or self._state == "idle":
            return
        if level == 1:
            self._clock_high()
        else:
            self._clock_low()

    def _clock_high(self) -> None:
        sda = self.levels[self.sda]
        if self._bits < 8:
            if self._state != "read":
                self._shift = (self._shift << 1 | sda) & 0xFF
            self._bits += 1
        elif self._state == "read":  # the master's acknowledge of our byte
            self._acked = sda == 0
            self._bits += 1
        else:
            self._bits += 1

    def _clock_low(self) -> None:
        if self._bits == 8:  # the 8th bit is in: acknowledge, or let the master do it
            if self._state == "address":
                if self._shift >> 1 == self.address:
                    self._state = "read" if self._shift & 1 else "write"
                    self._first = self._state == "write"
                    self._drive(0)
                else:
                    self._state = "idle"
            elif self._state == "write":
                self._written(self._shift)
                self._drive(0)
            else:
                self._release()
        elif self._bits == 9:  # the acknowledge clock is over
            self._bits = 0
            self._shift = 0
            if self._state == "read":
                if not self._acked and self._sent_any:
                    self._state = "idle"
                    self._release()
                    return
                self._load()
                self._send_bit()
            else:
                self._release()
        elif self._state == "read" and 1 <= self._bits < 8:
            self._send_bit()

    def _load(self) -> None:
        self._byte = self.memory[self.pointer]
        self.log.append(("read", self._byte))
        self.pointer = (self.pointer + 1) % len(self.memory)
        self._sent_any = True

    def _send_bit(self) -> None:
        self._drive(self._byte >> (7 - self._bits) & 1)

    def _written(self, byte: int) -> None:
        self.log.append(("write", byte))
        if self._first:
            self.pointer = byte % len(self.memory)
            self._first = False
            return
        self._pending.append((self.pointer, byte))
        base = self.pointer - self.pointer % self.page
        self.pointer = base + (self.pointer + 1 - base) % self.page

    def _commit(self) -> None:
        for at, byte in self._pending:
            self.memory[at] = byte
        self._pending = []
        self._sent_any = False

    _sent_any = False
    _byte = 0


# -- WS2812 --------------------------------------------------------------------------------


class Ws2812(Device):
    """A chain of WS2812 LEDs on `pin`: each high pulse is a bit (1 when longer than
    `threshold` seconds: T0H is 0.4 us, T1H 0.8 us in the datasheet), bits MSB first in
    bytes, a low time of `reset` seconds or more ends a frame. `frames` is the list of
    frames (bytes), `leds` the last frame as (green, red, blue) triples; pulses shorter
    than `glitch` seconds or frames with a partial byte are kept in `errors`."""

    def __init__(self, pin: int, *, threshold=0.6e-6, reset=50e-6, glitch=0.1e-6):
        super().__init__()
        self.pin = _pin(pin)
        self.pins = (self.pin,)
        self.threshold = _seconds(threshold, "threshold")
        self.reset_time = _seconds(reset, "reset")
        self.glitch = _seconds(glitch, "glitch")

    def _start(self) -> None:
        super()._start()
        self._frames: list[bytes] = []
        self.errors: list[str] = []
        self._bits: list[int] = []
        self._rise: Fraction | None = None
        self._fall: Fraction | None = None
        self.high_times: list[Fraction] = []  # every high pulse seen, in seconds

    def on_edge(self, cycle: int, pin: int, level: int, time: Fraction) -> None:
        if level == 1:
            if self._fall is not None and time - self._fall >= self.reset_time:
                self._end_frame()
            self._rise = time
            return
        if self._rise is None:
            return
        width = time - self._rise
        self._fall = time
        if width < self.glitch:
            self.errors.append(f"a {float(width) * 1e9:.0f} ns pulse at {float(time):.9f} s")
            return
        self.high_times.append(width)
        self._bits.append(1 if width > self.threshold else 0)

    def _end_frame(self) -> None:
        bits = self._bits
        if bits:
            if len(bits) % 8:
                self.errors.append(f"a frame of {len(bits)} bits (not whole bytes)")
            data = bytes(
                sum(b << (7 - n) for n, b in enumerate(bits[i : i + 8]))
                for i in range(0, len(bits) - len(bits) % 8, 8)
            )
            self._frames.append(data)
        self._bits = []

    def _sync(self) -> None:
        self.machine._signals.sync()
        if self._fall is not None and self.levels[self.pin] == 0:
            if _known_until(self) - self._fall >= self.reset_time:
                self._end_frame()
                self._fall = None

    @property
    def frames(self) -> list[bytes]:
        """The frames received (each ended by a reset gap), oldest first."""
        self._sync()
        return list(self._frames)

    @property
    def leds(self) -> list[tuple[int, int, int]]:
        """The colours of the last complete frame, (green, red, blue) per LED."""
        frames = self.frames
        if not frames:
            return []
        data = frames[-1]
        return [tuple(data[i : i + 3]) for i in range(0, len(data) - 2, 3)]


def _known_until(device: Device) -> Fraction:
    """Up to when the device's pins are known: now, or for ever once the chip sleeps in
    stopsys (nothing it drives changes then)."""
    if device.machine.mode == "stopsys":
        return Fraction(1 << 62)
    return device.now()


def attach(machine, device: Device) -> Device:
    """`machine.attach(device)`: check it is a Device, attach it, return it."""
    if not isinstance(device, Device):
        from .validate import describe

        raise DeviceError(f"attach takes a pms150c.devices.Device, not {describe(device)}")
    return device.attach(machine)
