"""A plain-Python PMS150C interpreter, written to be read, used to check the fast core.

It implements docs/timing-model.md independently of pms150c/core.py: it shares only the
instruction *encodings* (``pms150c.isa``), never the core's semantics. Everything is done the
slow, obvious way: one handler per instruction in a dict keyed by the ISA table's op name,
the two ALU primitives of pdk13-reference.md 2.2 written out literally, and the peripherals
(Timer16, Timer2, watchdog) advanced by one ``tick()`` per system cycle instead of by
scheduled events. The hypothesis tests in tests/test_differential.py run random programs in
both interpreters and require identical ``snapshot()`` dicts. Where the contract leaves a
choice open, the section "Clarifications" of docs/timing-model.md says what both do.
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Callable
from fractions import Fraction

from . import isa
from .device import (
    IHRC_HZ,
    ILRC_HZ,
    INTERRUPT_VECTOR,
    IO_NAMES,
    IO_REGS,
    IO_RESET,
    PA_PINS,
    PC_MASK,
    RAM_BYTES,
)
from .errors import InvalidOpcode, StackOverflow
from .factory import FUSE_ADDRESS, decode_fuse, system_area
from .machine import StopKind, StopReason
from .undefined import seed_state

FLAG = IO_NAMES["flag"]
SP = IO_NAMES["sp"]
CLKMD = IO_NAMES["clkmd"]
INTEN = IO_NAMES["inten"]
INTRQ = IO_NAMES["intrq"]
T16M = IO_NAMES["t16m"]
TM2B = IO_NAMES["tm2b"]
INTEGS = IO_NAMES["integs"]
PADIER = IO_NAMES["padier"]
PA = IO_NAMES["pa"]
PAC = IO_NAMES["pac"]
PAPH = IO_NAMES["paph"]
TM2S = IO_NAMES["tm2s"]
MISC = IO_NAMES["misc"]
TM2C = IO_NAMES["tm2c"]
TM2CT = IO_NAMES["tm2ct"]
GPCC = IO_NAMES["gpcc"]
GPCS = IO_NAMES["gpcs"]
EOSCR = IO_NAMES["eoscr"]
IHRCR = IO_NAMES["ihrcr"]
ILRCR = IO_NAMES["ilrcr"]

# INTRQ / INTEN bits.
IRQ_PA0 = 0x01
IRQ_T16 = 0x04
IRQ_TM2 = 0x40
IRQ_CMP = 0x10

RUNNING, STOPSYS, STOPEXE = "running", "stopsys", "stopexe"
CLOCK_STOPPED = "clock_stopped"  # no running oscillator drives the system clock
WAKING = "waking"  # woken from a sleep: the CPU waits the wake-up time tWUP
BOOTING = "booting"  # after a reset: the CPU waits the boot-up time tSBP, nothing ticks
# tSBP and tWUP in ILRC clocks (DS 5.2, 5.10.3 Table 5, 6.13 MISC.5): fast or slow
FAST_ILRC_CLOCKS, SLOW_ILRC_CLOCKS = 32, 2048

# Clock sources a peripheral can count. "clk" is the system clock itself.
CLK, IHRC, ILRC = "clk", "ihrc", "ilrc"

# System clock per CLKMD (DS 6.3): (oscillator, divider) by CLKMD[7:5], for type 0
# (CLKMD.3 = 0) and type 1. Type 0 code 010 is IHRC/1: reserved in the DS, but its example
# 9.2.3 uses it and pdk-includes names it CLKMD_IHRC. A code missing here is reserved: no
# oscillator drives the system clock (the chip has only the two, DS 5.4).
_CLOCK_TYPE0 = {
    0b000: (IHRC, 4),
    0b001: (IHRC, 2),
    0b010: (IHRC, 1),
    0b110: (ILRC, 4),
    0b111: (ILRC, 1),
}
_CLOCK_TYPE1 = {
    0b000: (IHRC, 16),
    0b001: (IHRC, 8),
    0b010: (ILRC, 16),
    0b011: (IHRC, 32),
    0b100: (IHRC, 64),
}
_OSC_ENABLE = {IHRC: 0x10, ILRC: 0x04}  # CLKMD.4, CLKMD.2 (DS 5.4)
# Trim registers: the oscillator, and the codes per its reset-code frequency (one code moves
# it by that fraction; our choice, docs/timing-model.md).
_TRIMS = {IHRCR: (IHRC, 1024), ILRCR: (ILRC, 512)}
FS = 10**15  # time is kept in femtoseconds

# Timer16 clock source by T16M[7:5]; pin sources are (pin, edge). Missing codes = stopped.
_T16_SOURCES = {0b001: CLK, 0b011: (4, "falling"), 0b100: IHRC, 0b110: ILRC, 0b111: (0, "falling")}
_PRESCALE = (1, 4, 16, 64)
# Timer2 clock source by TM2C[7:4]. Missing codes (incl. the comparator) = off.
_TM2_SOURCES = {
    0b0001: CLK,
    0b0010: IHRC,
    0b0100: ILRC,
    0b1000: (0, "rising"),
    0b1001: (0, "falling"),
    0b1100: (4, "rising"),
    0b1101: (4, "falling"),
}
# The registers DS chapter 6 marks write-only (WO): TM2B, EOSCR, INTEGS, PADIER, TM2S, MISC, GPCS.
_WRITE_ONLY = frozenset((TM2B, IO_NAMES["eoscr"], INTEGS, PADIER, TM2S, MISC, IO_NAMES["gpcs"]))
# Timer2 output pin by TM2C[3:2].
_TM2_PIN = {0b10: 3, 0b11: 4}
_WATCHDOG_PERIOD = (8192, 16384, 65536, 262144)


# -- the two ALU primitives (pdk13-reference.md 2.2), returning (result, Z, C, AC, OV) -----------


def alu_add(a: int, b: int, c: int) -> tuple[int, int, int, int, int]:
    """a + b + c with the PDK13 flags."""
    s = a + b + c
    r = s & 0xFF
    z = int(r == 0)
    carry = int(s > 0xFF)
    ac = int((a & 0xF) + (b & 0xF) + c > 0xF)
    ov = int((a ^ r) & (b ^ r) & 0x80 != 0)
    return r, z, carry, ac, ov


def alu_sub(a: int, b: int, c: int) -> tuple[int, int, int, int, int]:
    """a - b - c with the PDK13 flags (C and AC are borrows)."""
    r = (a - b - c) & 0xFF
    z = int(r == 0)
    borrow = int(a < b + c)
    ac = int((a & 0xF) < (b & 0xF) + c)
    ov = int((a ^ b) & (a ^ r) & 0x80 != 0)
    return r, z, borrow, ac, ov


class ReferenceMachine:
    """The PMS150C as docs/timing-model.md describes it, one cycle at a time.

    Same observable API as `pms150c.Machine` where the differential tests need it.
    """

    def __init__(
        self,
        image,
        *,
        stack_checks: bool = True,
        bgtr=None,
        fuse=None,
        undefined: str = "zero",
        seed: int | None = None,
        vdd: float = 5.0,
        ihrc_hz: float = IHRC_HZ,
        ilrc_hz: float = ILRC_HZ,
    ):
        words, _ = system_area(image.words, image.written, bgtr=bgtr, fuse=fuse)
        self.rom = [int(w) for w in words]  # the chip's ROM: factory words where blank
        self.fuse = decode_fuse(self.rom[FUSE_ADDRESS])
        self.stack_checks = stack_checks
        # undefined="random": what the DS leaves undefined comes from xorshift32, written
        # out here from pms150c/undefined.py's description (draw order included)
        self.random = undefined == "random"
        self.seed = seed
        self._rng = seed_state(seed) if self.random else 0
        self.ram = bytearray(RAM_BYTES)
        self.cycles = 0
        self.resets = 0
        self._base_hz = {IHRC: round(ihrc_hz), ILRC: round(ilrc_hz)}  # at the reset trims
        self._time_fs = 0  # time at the start of the current segment
        self._segment: tuple[int, int, int] = (0, 0, 1)  # (start cycle, f_osc, divider)
        self._clock: tuple[int, int] = (0, 1)  # the system clock: (f_osc, divider)
        self._boot_fast = self.fuse.fast_boot  # the fuse word's boot-up time (DS 8)
        self._hold_end: int | None = None  # booting/waking: the cycle the CPU resumes at
        self._host: list[int | None] = [None] * 8  # levels the host drives; None = undriven
        self.vdd_uv = round(vdd * 1e6)  # VDD and the analog levels the host drives, in uV
        self._analog: dict[int, int] = {}
        self._schedule: list[tuple[int, int, int, int | None]] = []  # (cycle, seq, pin, level)
        self._seq = 0
        self._decoded = [_decode(w) for w in self.rom]
        self._signal_mask: int | None = None  # see record_signals
        self._reset_chip()
        if self.random:
            self.ram = bytearray(self._random_byte() for _ in range(RAM_BYTES))
        # power-on: tSBP at the reset clock passes before cycle 0 (time counts it, cycles not)
        self._time_fs = self._ilrc_cycles(self._boot_clocks()) * FS // self._hz[ILRC]

    def _random_byte(self) -> int:
        x = self._rng
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self._rng = x
        return x >> 24

    # -- reset ----------------------------------------------------------------------------------

    def _reset_chip(self, at: int = 0) -> None:
        """Power-on / watchdog / `reset` state, except RAM and `cycles` (callers decide);
        the reset clock runs from cycle `at`."""
        self._fold_time(at)
        self.a = 0
        self.pc = 0
        self.z = self.c = self.ac = self.ov = 0
        self.gie = 0
        self.mode = RUNNING
        self.io = bytearray(IO_REGS)
        for addr, value in IO_RESET.items():
            self.io[addr] = value
        self.t16 = 0
        self._t16_prescale = 0
        self._t16_phase = 0
        self._tm2_prescale = 0
        self._tm2_phase = 0
        self._tm2_toggle = 0
        self._wdt_count = 0
        self._wdt_phase = 0
        self._hz = dict(self._base_hz)
        self._clock = self._system_clock()
        if self.random:  # no reset value (DS 6.1-6.5): A, FLAG, SP, INTEN, INTRQ in that order
            self.a = self._random_byte()
            self.flags = self._random_byte() & 0x0F
            self.sp = self._random_byte()
            self.io[INTEN] = self._random_byte()
            self.io[INTRQ] = self._random_byte()
        self._segment = (at, *self._clock)

    def _chip_reset(self, at: int) -> None:
        """A watchdog time-out or the `reset` instruction: RAM kept, time goes on; the
        reset clock runs from cycle `at`, where the boot-up time begins."""
        self._reset_chip(at)
        self.mode = BOOTING
        self._hold_end = at + self._ilrc_cycles(self._boot_clocks())
        self.resets += 1

    def _boot_clocks(self) -> int:
        return FAST_ILRC_CLOCKS if self._boot_fast else SLOW_ILRC_CLOCKS

    def _ilrc_cycles(self, clocks: int) -> int:
        """System cycles at the clock in force that `clocks` ILRC periods take (rounded up:
        the CPU resumes at the first boundary after them)."""
        f_osc, divider = self._clock
        if not f_osc:
            return clocks
        return -(-clocks * f_osc // (self._hz[ILRC] * divider))

    def _wake(self) -> None:
        """A wake-up event: the wake-up time counts from the boundary that ends this cycle."""
        self.mode = WAKING
        self._hold_end = None

    # -- registers ------------------------------------------------------------------------------

    @property
    def flags(self) -> int:
        return self.z | self.c << 1 | self.ac << 2 | self.ov << 3

    @flags.setter
    def flags(self, value: int) -> None:
        self.z, self.c, self.ac, self.ov = (
            value & 1,
            value >> 1 & 1,
            value >> 2 & 1,
            value >> 3 & 1,
        )

    @property
    def sp(self) -> int:
        return self.io[SP]

    @sp.setter
    def sp(self, value: int) -> None:
        self.io[SP] = value & 0xFF

    def _set_arith(self, result: tuple[int, int, int, int, int]) -> int:
        r, self.z, self.c, self.ac, self.ov = result
        return r

    def _set_z(self, r: int) -> int:
        self.z = int(r == 0)
        return r

    # -- IO space -------------------------------------------------------------------------------

    def io_read(self, addr: int) -> int:
        """What an instruction reading IO `addr` sees: with undefined="random" a register the
        DS marks write-only (WO) reads back a random byte."""
        if self.random and addr in _WRITE_ONLY:
            return self._random_byte()
        return self._io_value(addr)

    def _io_value(self, addr: int) -> int:
        """IO `addr` without side effects (a write-only register: the last value written)."""
        if addr == FLAG:
            return 0xF0 | self.flags
        if addr == PA:  # an input reads its pad through the PADIER gate (DS Fig. 13)
            latch = self.io[PA]
            seen = self._pin_levels() & (self.io[PAC] | self.io[PADIER])
            return (seen & 0xF9) | (latch & 0x06)
        return self.io[addr]

    def io_write(self, addr: int, value: int) -> None:
        """An instruction writing IO `addr`, with the side effects the model gives it."""
        value &= 0xFF
        if addr == FLAG:
            self.flags = value & 0x0F
            return
        before = self._input_levels()
        if addr == CLKMD and self._stop_cause(self.io[CLKMD], value):
            self.io[CLKMD] = value
            self.mode = CLOCK_STOPPED  # the open time segment keeps the old clock
            return
        if addr in _TRIMS:
            self._trim(addr, value)
        if addr == GPCC:  # GPCC.6 is the comparator's result: read-only (DS 6.14)
            old = self.io[GPCC]
            self.io[GPCC] = (value & ~0x40) | (old & 0x40)
            self._comparator_update(quiet=bool((old ^ value) & 0x80))  # (dis)abling: no edge
            return
        self.io[addr] = value
        if addr in (GPCS, EOSCR):  # the resistor ladder, the band-gap's power
            self._comparator_update()
        if addr == CLKMD:
            self._clock = self._system_clock()
            self._fold_time(self.cycles)
            self._t16_phase = self._tm2_phase = self._wdt_phase = 0
        elif addr == T16M:
            self._t16_prescale = 0
        elif addr == TM2S:
            self._tm2_prescale = 0
        elif addr == TM2C:
            self._tm2_prescale = 0
            self._tm2_toggle = 0
        elif addr == PAPH:
            self._input_edges(before)
            self._comparator_update()  # a floating pin sits at VDD or at 0 V

    def io_peek(self, addr: int) -> int:
        """IO `addr` as the CPU would read it, without side effects."""
        return self._io_value(addr & 0x1F)

    def io_poke(self, addr: int, value: int) -> None:
        """Store `value` into IO `addr` (FLAG: the low 4 bits) without resetting counters."""
        addr &= 0x1F
        value &= 0xFF
        if addr == FLAG:
            self.flags = value & 0x0F
        elif addr in _TRIMS:
            self._trim(addr, value)
        else:
            self.io[addr] = value
            if addr == CLKMD:
                self._clock = self._system_clock()
                self._fold_time(self.cycles)
                if self._stop_cause(value, value):  # no clock: the CPU cannot run
                    self.mode = CLOCK_STOPPED

    # -- RAM and stack --------------------------------------------------------------------------

    def _push(self, low: int, high: int) -> None:
        sp = self.sp
        self.ram[sp & 0x3F] = low & 0xFF
        self.ram[(sp + 1) & 0x3F] = high & 0xFF
        self.sp = sp + 2

    def _pop(self) -> tuple[int, int]:
        self.sp = self.sp - 2
        sp = self.sp
        return self.ram[sp & 0x3F], self.ram[(sp + 1) & 0x3F]

    def _check_push(self) -> None:
        if self.stack_checks and self.sp + 1 > 0x3F:
            raise StackOverflow(self.sp, self.pc, self.cycles)

    def _check_pop(self) -> None:
        if self.stack_checks and self.sp < 2:
            raise StackOverflow(self.sp, self.pc, self.cycles)

    # -- port A -----------------------------------------------------------------------------------

    def _input_level(self, pin: int) -> int:
        """The level outside drives on `pin`: the host's, else the pull-up (PAPH) or 0."""
        level = self._host[pin]
        if level is None:
            return self.io[PAPH] >> pin & 1
        return level

    def _input_levels(self) -> int:
        return sum(self._input_level(p) << p for p in PA_PINS)

    def _tm2_output(self) -> int:
        tm2c = self.io[TM2C]
        if tm2c & 0x02:  # PWM
            level = int(self.io[TM2CT] <= self.io[TM2B])
        else:
            level = self._tm2_toggle
        return level ^ (tm2c & 1)

    def _pin_levels(self) -> int:
        """Port A as seen from outside: TM2 output if routed, else the latch (output) or input."""
        tm2_pin = _TM2_PIN.get(self.io[TM2C] >> 2 & 3)
        pac, latch = self.io[PAC], self.io[PA]
        levels = 0
        for p in PA_PINS:
            if p == tm2_pin:
                level = self._tm2_output()
            elif p == 0 and self.io[GPCS] & 0x80:  # the comparator's output forced on PA0
                level = self.io[GPCC] >> 6 & 1
            elif pac >> p & 1:
                level = latch >> p & 1
                if p == 5:  # open drain: it pulls low or lets the outside decide (DS 5.11)
                    level &= self._input_level(p)
            else:
                level = self._input_level(p)
            levels |= level << p
        return levels

    def set_pin(self, pin: int, level: int | None) -> None:
        """Drive input `pin` of port A to `level` (0/1), or None to leave it to the pull-up."""
        if pin not in PA_PINS:
            raise ValueError(f"PA{pin} does not exist (pins: {PA_PINS})")
        self._analog.pop(pin, None)
        self._set_input(pin, level)
        self._comparator_update()

    def _set_input(self, pin: int, level: int | None) -> None:
        before = self._input_levels()
        self._host[pin] = None if level is None else int(bool(level))
        changed = before ^ self._input_levels()
        if self.mode == BOOTING:
            return  # held in reset: the level changes, nothing reacts to it
        if changed >> pin & 1 and not self.io[PAC] >> pin & 1 and self.io[PADIER] >> pin & 1:
            if self.mode in (STOPSYS, STOPEXE):
                self._wake()  # a pin change wakes stopsys and stopexe, not a hang
        self._input_edges(before)

    def schedule_pin(self, cycle: int, pin: int, level: int | None) -> None:
        """Change `pin` at the first instruction boundary with `cycles >= cycle`."""
        if pin not in PA_PINS:
            raise ValueError(f"PA{pin} does not exist (pins: {PA_PINS})")
        heapq.heappush(self._schedule, (cycle, self._seq, pin, level))
        self._seq += 1

    def _apply_due_pins(self) -> None:
        while self._schedule and self._schedule[0][0] <= self.cycles:
            _, _, pin, level = heapq.heappop(self._schedule)
            if pin == "vdd":
                self.vdd = level
            elif isinstance(pin, str):
                self.set_analog(pin, level)
            else:
                self.set_pin(pin, level)

    # -- analog levels and the comparator (DS 5.5, Fig. 3-7, 6.14, 6.15) ------------------------

    @property
    def vdd(self) -> float:
        return self.vdd_uv / 1e6

    @vdd.setter
    def vdd(self, volts: float) -> None:
        self.vdd_uv = round(volts * 1e6)
        for pin in PA_PINS:  # an analog level is read by the input against the new VDD
            if pin in self._analog:
                self._set_input(pin, self._schmitt(pin, self._analog[pin]))
        self._comparator_update()

    def set_analog(self, pin, volts: float | None) -> None:
        """Put `volts` on `pin` (4 or "pa4"; "vdd" sets VDD), None releases the pin."""
        if isinstance(pin, str) and pin.lower() == "vdd":
            self.vdd = volts
            return
        number = int(pin[2:]) if isinstance(pin, str) else pin
        if volts is None:
            self.set_pin(number, None)
            return
        microvolts = round(volts * 1e6)
        self._analog[number] = microvolts
        self._set_input(number, self._schmitt(number, microvolts))
        self._comparator_update()

    def schedule_analog(self, cycle: int, pin, volts: float | None) -> None:
        name = pin.lower() if isinstance(pin, str) else f"pa{pin}"
        heapq.heappush(self._schedule, (cycle, self._seq, name, volts))
        self._seq += 1

    def _schmitt(self, pin: int, microvolts: int) -> int:
        """The Schmitt-trigger input: 1 from VIH = 0.6 VDD (0.8 VDD on PA5), 0 up to VIL =
        0.1 VDD (DS 4.1), and the level it had in between."""
        vih = Fraction(8 if pin == 5 else 6, 10) * self.vdd_uv
        if microvolts >= vih:
            return 1
        if microvolts <= Fraction(self.vdd_uv, 10):
            return 0
        return self._input_level(pin)

    def _pin_microvolts(self, pin: int) -> int:
        if pin in self._analog:
            return self._analog[pin]
        return self.vdd_uv if self._input_level(pin) else 0

    def _internal_reference(self) -> Fraction:
        """V_R by the DS's four cases (Fig. 4-7), n = GPCS[3:0]."""
        gpcs = self.io[GPCS]
        n, high, low = gpcs & 15, gpcs >> 5 & 1, gpcs >> 4 & 1
        vdd = self.vdd_uv
        if (high, low) == (0, 0):
            return Fraction(1, 4) * vdd + Fraction(n + 1, 32) * vdd
        if (high, low) == (0, 1):
            return Fraction(n + 1, 24) * vdd
        if (high, low) == (1, 0):
            return Fraction(1, 5) * vdd + Fraction(n + 1, 40) * vdd
        return Fraction(n + 1, 32) * vdd

    def _comparator_result(self) -> int:
        gpcc = self.io[GPCC]
        if not gpcc & 0x80:
            return 0  # disabled
        minus_select = gpcc >> 1 & 7
        if minus_select > 5:
            return 0  # reserved
        plus = self._pin_microvolts(4) if gpcc & 1 else self._internal_reference()
        bandgap = 0 if self.io[EOSCR] & 1 else 1_200_000
        minus = {
            0: lambda: self._pin_microvolts(3),
            1: lambda: self._pin_microvolts(4),
            2: lambda: bandgap,
            3: self._internal_reference,
            4: lambda: self._pin_microvolts(6),
            5: lambda: self._pin_microvolts(7),
        }[minus_select]()
        return int(plus > minus) ^ (gpcc >> 4 & 1)

    def _comparator_update(self, quiet: bool = False) -> None:
        new = self._comparator_result()
        if new == self.io[GPCC] >> 6 & 1:
            return
        self.io[GPCC] ^= 0x40
        if quiet:
            return
        edge = self.io[INTEGS] >> 6 & 3
        if edge == 0 or (edge == 1 and new) or (edge == 2 and not new):
            self.io[INTRQ] |= IRQ_CMP
        mode = self.mode
        if self.io[GPCS] & 0x40 and mode == STOPEXE:
            self._wake()  # comparator wake-up (GPCC.7 and GPCS.6, DS 5.10.1)
        if new and self.io[TM2C] >> 4 == 0b0101 and mode != STOPSYS:
            self._tm2_source_ticks(1)  # Timer2 clocked by the comparator's rising edges

    def _input_edges(self, before: int) -> None:
        """React to changes of the input levels of PA0 and PA4: counting edges, PA0 interrupt."""
        after = self._input_levels()
        for pin in (0, 4):  # through the PADIER gate: a disabled input passes no edge
            if (before ^ after) >> pin & 1 and self.io[PADIER] >> pin & 1:
                edge = "rising" if after >> pin & 1 else "falling"
                self._pin_edge(pin, edge)

    def _pin_edge(self, pin: int, edge: str) -> None:
        if pin == 0:
            integs = self.io[INTEGS] & 3
            if (
                integs == 0
                or (integs == 1 and edge == "rising")
                or (integs == 2 and edge == "falling")
            ):
                self._request(IRQ_PA0)
        if self.mode == STOPSYS:
            return  # no timer runs in power-down
        if _T16_SOURCES.get(self.io[T16M] >> 5) == (pin, edge):
            self._t16_source_ticks(1)
        if _TM2_SOURCES.get(self.io[TM2C] >> 4) == (pin, edge):
            self._tm2_source_ticks(1)

    # -- clocks -----------------------------------------------------------------------------------

    @staticmethod
    def _selected(clkmd: int) -> tuple[str | None, int]:
        """(oscillator or None for a reserved code, divider) that CLKMD selects."""
        table = _CLOCK_TYPE1 if clkmd & 0x08 else _CLOCK_TYPE0
        return table.get(clkmd >> 5, (None, 1))

    @staticmethod
    def _oscillator_on(clkmd: int, osc: str | None) -> bool:
        return osc is not None and bool(clkmd & _OSC_ENABLE[osc])

    def _system_clock(self) -> tuple[int, int]:
        """(oscillator frequency, divider); frequency 0 when no running oscillator drives it."""
        clkmd = self.io[CLKMD]
        osc, divider = self._selected(clkmd)
        if not self._oscillator_on(clkmd, osc):
            return 0, divider
        return self._hz[osc], divider

    def _stop_cause(self, old: int, new: int) -> str | None:
        """Why CLKMD `new` written over `old` leaves no clock (DS 6.3, 9.2.3), or None."""
        osc, _ = self._selected(new)
        if osc is None:
            return "reserved code"
        if not self._oscillator_on(new, osc):
            return "oscillator disabled"
        before, _ = self._selected(old)
        if before not in (None, osc) and not self._oscillator_on(new, before):
            return "switched and stopped the old oscillator"
        return None

    def _trim(self, addr: int, code: int) -> None:
        """IHRCR/ILRCR: the oscillator moves by base/steps per code from the reset code."""
        osc, steps = _TRIMS[addr]
        self.io[addr] = code
        before = self._clock[0]
        self._hz[osc] = self._base_hz[osc] * (steps + code - IO_RESET[addr]) // steps
        self._clock = self._system_clock()
        after = self._clock[0]
        if after != before:  # the system clock changed with it: same fraction of a tick
            self._fold_time(self.cycles)
            if before and after:
                self._t16_phase = self._t16_phase * after // before
                self._tm2_phase = self._tm2_phase * after // before
                self._wdt_phase = self._wdt_phase * after // before
            else:
                self._t16_phase = self._tm2_phase = self._wdt_phase = 0

    def _clock_ticks(self, source: str, phase: int) -> tuple[int, int]:
        """Source ticks in one system cycle and the new phase (exact rational accumulator)."""
        if source == CLK:
            return 1, phase
        f_osc, divider = self._clock
        if f_osc == 0 or not self.io[CLKMD] & _OSC_ENABLE[source]:
            return 0, phase  # a stopped oscillator: no ticks, the phase waits
        phase += self._hz[source] * divider
        return divmod(phase, f_osc)

    # -- time -------------------------------------------------------------------------------------

    def _fold_time(self, at: int) -> None:
        """Add the segment that ends at cycle `at` (at its own clock, floored to whole fs)
        and start the next one there, at the clock in force now."""
        start, f_osc, divider = self._segment
        if f_osc and at > start:
            self._time_fs += (at - start) * divider * FS // f_osc
        self._segment = (at, *self._clock)

    @property
    def time_fs(self) -> int:
        start, f_osc, divider = self._segment
        if not f_osc or self.cycles <= start:
            return self._time_fs
        return self._time_fs + (self.cycles - start) * divider * FS // f_osc

    # -- peripherals, one system cycle at a time ---------------------------------------------------

    def tick(self) -> None:
        """Advance every peripheral by one system cycle.

        In stopexe the system clock is off (DS 5.10.1): a timer clocked by it does not
        count. The mode is the one the cycle started in, even if a timer wakes the chip
        during it. Nothing ticks in stopsys, while booting or once the clock has stopped;
        while waking from a sleep the system clock is still off."""
        if self.mode in (STOPSYS, CLOCK_STOPPED, BOOTING):
            return
        io = self.io
        sysclk = self.mode not in (STOPEXE, WAKING)
        if io[T16M] & 0xE0:  # not stopped
            self._tick_t16(sysclk)
        if io[TM2C] & 0xF0:  # not off
            self._tick_tm2(sysclk)
        if io[CLKMD] & 0x06 == 0x06:  # watchdog and ILRC enabled
            self._tick_watchdog()

    def _request(self, bit: int) -> None:
        """A peripheral raises an interrupt request; any request wakes `stopexe`."""
        self.io[INTRQ] |= bit
        if self.mode == STOPEXE:
            self._wake()

    def _tick_t16(self, sysclk: bool) -> None:
        source = _T16_SOURCES.get(self.io[T16M] >> 5)
        if source in (IHRC, ILRC) or (source == CLK and sysclk):
            ticks, self._t16_phase = self._clock_ticks(source, self._t16_phase)
            self._t16_source_ticks(ticks)

    def _t16_source_ticks(self, ticks: int) -> None:
        prescale = _PRESCALE[self.io[T16M] >> 3 & 3]
        counts, self._t16_prescale = divmod(self._t16_prescale + ticks, prescale)
        if counts == 0:
            return
        # The counter steps through old+1 .. old+counts (one cycle can hold hundreds of IHRC
        # ticks). The selected bit b rises at each value = 2**b (mod 2**(b+1)) and falls at
        # each value = 0 (mod 2**(b+1)); count those values in the range instead of stepping.
        bit = 8 + (self.io[T16M] & 7)
        period, half = 1 << (bit + 1), 1 << bit
        old, new = self.t16, self.t16 + counts
        if self.io[INTEGS] & 0x10:  # falling edge
            edges = new // period - old // period
        else:
            edges = (new - half) // period - (old - half) // period
        self.t16 = new & 0xFFFF
        if edges:
            self._request(IRQ_T16)

    def _tick_tm2(self, sysclk: bool) -> None:
        source = _TM2_SOURCES.get(self.io[TM2C] >> 4)
        if source in (IHRC, ILRC) or (source == CLK and sysclk):
            before = self._tm2_phase
            ticks, self._tm2_phase = self._clock_ticks(source, before)
            if self._signal_mask is None:
                self._tm2_source_ticks(ticks)
                return
            for k in range(1, ticks + 1):  # recording: one tick at a time, flips timed
                level = self._tm2_output()
                self._tm2_source_ticks(1)
                if self._tm2_output() != level:
                    self._tm2_flip = self._tick_lead(source, before, k)

    def _tm2_source_ticks(self, ticks: int) -> None:
        tm2s = self.io[TM2S]
        divide = _PRESCALE[tm2s >> 5 & 3] * ((tm2s & 0x1F) + 1)
        counts, self._tm2_prescale = divmod(self._tm2_prescale + ticks, divide)
        if counts:
            self._tm2_counts(counts)

    def _tm2_count(self) -> None:
        """One Timer2 count, in period or PWM mode: the definition `_tm2_counts` follows."""
        ct = self.io[TM2CT]
        if self.io[TM2C] & 0x02:  # PWM: the request is the output's falling edge, the
            mask = 0x3F if self.io[TM2S] & 0x80 else 0xFF  # count that passes the bound
            self.io[TM2CT] = (ct + 1) & mask
            if self.io[TM2B] < mask and self.io[TM2CT] == self.io[TM2B] + 1:
                self._request(IRQ_TM2)
        elif ct == self.io[TM2B]:
            self.io[TM2CT] = 0
            self._tm2_toggle ^= 1
            self._request(IRQ_TM2)
        else:
            self.io[TM2CT] = (ct + 1) & 0xFF

    def _tm2_counts(self, n: int) -> None:
        """`n` calls of `_tm2_count` at once (a cycle can hold hundreds of IHRC ticks);
        tests/test_reference.py checks the two against each other."""
        ct, bound = self.io[TM2CT], self.io[TM2B]
        if self.io[TM2C] & 0x02:  # PWM: the counter runs modulo 64 or 256, requests at K + 1
            size = 64 if self.io[TM2S] & 0x80 else 256
            self.io[TM2CT] = (ct + n) & (size - 1)
            if bound < size - 1:  # else 100 % duty: the output never falls
                to_crossing = (bound + 1 - ct) % size or size
                if n >= to_crossing:
                    self._request(IRQ_TM2)
            return
        # period mode: the count that finds TM2CT == TM2B is a match; then every bound + 1
        to_match = ((bound - ct) & 0xFF) + 1
        if n < to_match:
            self.io[TM2CT] = (ct + n) & 0xFF
            return
        after = n - to_match
        matches = 1 + after // (bound + 1)
        self.io[TM2CT] = after % (bound + 1)
        self._tm2_toggle ^= matches & 1
        self._request(IRQ_TM2)

    def _tick_watchdog(self) -> None:
        ticks, self._wdt_phase = self._clock_ticks(ILRC, self._wdt_phase)
        self._wdt_count += ticks
        if self._wdt_count >= _WATCHDOG_PERIOD[self.io[MISC] & 3]:
            self._chip_reset(self.cycles + 1)  # the reset clock runs from the next cycle

    def _tick_lead(self, source: str, phase: int, k: int) -> tuple[int, int]:
        """How long before the end of this cycle its k-th tick of `source` happens, as
        (numerator, denominator) of a cycle: with the phase `phase` at the cycle's start and
        n added per cycle, tick k falls where the phase reaches k * f_osc."""
        if source == CLK:
            return 0, 1
        f_osc, divider = self._clock
        n = self._hz[source] * divider
        if n == f_osc:  # the source runs at the system clock: ticks at the cycle's end
            return 0, 1
        return n + phase - k * f_osc, n

    # -- the signal log (docs/api.md, pms150c/peripherals/signals.py) -----------------------------

    def record_signals(self, mask: int) -> list[tuple[int, int, int, int, int]]:
        """Log changes of the signal-word bits in `mask` (pins 0..7, the Timer2 output 8,
        INTRQ 16..23, CLKMD 24..31, IHRCR 32..39, ILRCR 40..47) as (cycle, bit, level,
        sub, den) rows into the list
        returned, from now on."""
        self._signal_mask = mask
        self._signal_last = self._signal_word() & mask
        self._signal_rows: list[tuple[int, int, int, int, int]] = []
        self._tm2_flip: tuple[int, int] | None = None
        return self._signal_rows

    def _signal_word(self) -> int:
        return (
            (self._pin_levels() & 0xF9)
            | self._tm2_output() << 8
            | self.io[INTRQ] << 16
            | self.io[CLKMD] << 24
            | self.io[IHRCR] << 32
            | self.io[ILRCR] << 40
        )

    def _log_signals(self, bits: int = -1, lead: tuple[int, int] = (0, 1)) -> None:
        """Rows for the bits (of `bits`, within the mask) that changed since logged."""
        if self._signal_mask is None:
            return
        bits &= self._signal_mask
        now = self._signal_word() & bits
        diff = (now ^ self._signal_last) & bits
        for b in range(48):
            if diff >> b & 1:
                self._signal_rows.append((self.cycles, b, now >> b & 1, *lead))
        self._signal_last = (self._signal_last & ~diff) | now

    def _tm2_bits(self) -> int:
        pin = _TM2_PIN.get(self.io[TM2C] >> 2 & 3)
        return 1 << 8 | (0 if pin is None else 1 << pin)

    # -- running -----------------------------------------------------------------------------------

    def _elapse(self, cycles: int) -> None:
        for _ in range(cycles):
            if self._signal_mask is None:
                self.tick()
                self.cycles += 1
                continue
            resets, self._tm2_flip = self.resets, None
            tm2_bits = self._tm2_bits()
            self.tick()
            self.cycles += 1
            if self._tm2_flip is not None and self.resets == resets:
                self._log_signals(tm2_bits, self._tm2_flip)  # a flip inside the cycle
            self._log_signals()

    def _interrupt_pending(self) -> bool:
        return bool(self.gie and self.io[INTEN] & self.io[INTRQ])

    def _enter_interrupt(self) -> None:
        self._check_push()
        ret = self.pc
        self._push(ret & 0xFF, ret >> 8)
        self.gie = 0
        self.pc = INTERRUPT_VECTOR
        self._elapse(2)

    def _execute(self) -> None:
        """Fetch, decode and execute the instruction at PC, then let its cycles pass."""
        decoded = self._decoded[self.pc]
        if decoded is None:
            raise InvalidOpcode(self.rom[self.pc], self.pc, self.cycles)
        instr, handler, args = decoded
        self.next_pc = (self.pc + 1) & PC_MASK
        skipped = handler(self, *args)
        self._log_signals()  # an IO write lands at the cycle the instruction starts
        if skipped:
            self.pc = (self.pc + 2) & PC_MASK
            cost = instr.skip_cycles
        else:
            self.pc = self.next_pc
            cost = instr.cycles
        self._elapse(cost)
        if self.mode == CLOCK_STOPPED:
            self._clock_stopped()
            self._log_signals()  # a watchdog reset out of it, where the instruction ends

    def _clock_stopped(self) -> None:
        """The instruction just done stopped the clock (its cycles ran at the old clock,
        with no peripheral ticks). A watchdog on a running ILRC counts on and resets the
        chip after the rest of its period: time passes at the ILRC, cycles do not."""
        clkmd = self.io[CLKMD]
        if clkmd & 0x06 != 0x06:
            return  # it hangs
        self._fold_time(self.cycles)  # the writing instruction ran at the old clock
        ticks = max(_WATCHDOG_PERIOD[self.io[MISC] & 3] - self._wdt_count, 1)
        self._time_fs += ticks * FS // self._hz[ILRC]
        self._segment = (self.cycles, 0, 1)
        self._chip_reset(self.cycles)

    def step(self) -> None:
        """One unit of progress: an instruction, an interrupt entry, or one sleeping cycle.

        Scheduled pin changes due at this boundary are applied first.
        """
        self._log_signals()  # what the host changed since the last step
        if self._schedule:
            self._apply_due_pins()
            self._log_signals()
        if self.mode in (STOPSYS, CLOCK_STOPPED):
            return
        if self.mode in (WAKING, BOOTING):
            if self._hold_end is None:  # woken in the cycle that ended here
                fast = self.io[MISC] & 0x20 or self._boot_fast
                clocks = FAST_ILRC_CLOCKS if fast else SLOW_ILRC_CLOCKS
                self._hold_end = self.cycles + self._ilrc_cycles(clocks)
            if self.cycles < self._hold_end:
                self._elapse(1)
                return
            self.mode = RUNNING
        if self.mode == STOPEXE:
            self._elapse(1)
        elif self._interrupt_pending():
            self._enter_interrupt()
        else:
            self._execute()

    def run(self, max_cycles: int | None = None):
        """Run until `stopsys` or until `max_cycles` have passed; return why it stopped."""
        limit = None if max_cycles is None else self.cycles + max_cycles
        while limit is None or self.cycles < limit:
            self.step()
            if self.mode == STOPSYS:
                return StopReason(StopKind.STOPSYS, self.pc, self.cycles)
            if self.mode == CLOCK_STOPPED:
                return StopReason(StopKind.CLOCK_STOPPED, self.pc, self.cycles)
        return StopReason(StopKind.MAX_CYCLES, self.pc, self.cycles)

    # -- observation ------------------------------------------------------------------------------

    def snapshot(self) -> dict:
        return {
            "a": self.a,
            "pc": self.pc,
            "sp": self.sp,
            "flags": self.flags,
            "gie": self.gie,
            "cycles": self.cycles,
            "mode": self.mode,
            "ram": bytes(self.ram),
            "io": bytes(self._io_value(addr) for addr in range(IO_REGS)),
            "t16": self.t16,
            "pins": self._pin_levels() & 0xF9,
            "resets": self.resets,
            "time_fs": self.time_fs,
            "ihrc_hz": self._hz[IHRC],
            "ilrc_hz": self._hz[ILRC],
        }


@functools.cache
def _decode(word: int):
    """(instruction form, handler, operands) of a ROM word, or None if it is not one."""
    instr = isa.lookup(word)
    if instr is None:
        return None
    return instr, SEMANTICS[instr.op], instr.decode(word)


# -- instruction semantics, keyed by the ISA table's op name --------------------------------------
# A handler gets the machine and the decoded operands; it returns True when it skips the next
# word. Jumps set `m.next_pc`. Cycles come from the table.


def _ram_op(fn: Callable[[ReferenceMachine, int], int]):
    """M <- fn(m, M): read-modify-write of a RAM byte."""

    def handler(m: ReferenceMachine, addr: int) -> None:
        m.ram[addr] = fn(m, m.ram[addr])

    return handler


def _acc_op(fn: Callable[[ReferenceMachine, int], int]):
    """A <- fn(m, A)."""

    def handler(m: ReferenceMachine) -> None:
        m.a = fn(m, m.a)

    return handler


def _a_from_m(fn: Callable[[ReferenceMachine, int, int], int]):
    """A <- fn(m, A, M)."""

    def handler(m: ReferenceMachine, addr: int) -> None:
        m.a = fn(m, m.a, m.ram[addr])

    return handler


def _m_from_a(fn: Callable[[ReferenceMachine, int, int], int]):
    """M <- fn(m, M, A)."""

    def handler(m: ReferenceMachine, addr: int) -> None:
        m.ram[addr] = fn(m, m.ram[addr], m.a)

    return handler


def _a_with_k(fn: Callable[[ReferenceMachine, int, int], int]):
    """A <- fn(m, A, k)."""

    def handler(m: ReferenceMachine, k: int) -> None:
        m.a = fn(m, m.a, k)

    return handler


# Shared operations on plain values; each sets exactly the flags the instruction sets.
def _add(m, x, y):
    return m._set_arith(alu_add(x, y, 0))


def _addc(m, x, y):
    return m._set_arith(alu_add(x, y, m.c))


def _sub(m, x, y):
    return m._set_arith(alu_sub(x, y, 0))


def _subc(m, x, y):
    return m._set_arith(alu_sub(x, y, m.c))


def _and(m, x, y):
    return m._set_z(x & y)


def _or(m, x, y):
    return m._set_z(x | y)


def _xor(m, x, y):
    return m._set_z(x ^ y)


def _plus_carry(m, x):
    return m._set_arith(alu_add(x, 0, m.c))


def _minus_carry(m, x):
    return m._set_arith(alu_sub(x, 0, m.c))


def _inc(m, x):
    return m._set_arith(alu_add(x, 1, 0))


def _dec(m, x):
    return m._set_arith(alu_sub(x, 1, 0))


def _not(m, x):
    return m._set_z(~x & 0xFF)


def _neg(m, x):
    return m._set_z(-x & 0xFF)


def _sr(m, x):
    m.c = x & 1
    return x >> 1


def _sl(m, x):
    m.c = x >> 7
    return (x << 1) & 0xFF


def _src(m, x):
    carry_in = m.c
    m.c = x & 1
    return carry_in << 7 | x >> 1


def _slc(m, x):
    carry_in = m.c
    m.c = x >> 7
    return (x << 1 | carry_in) & 0xFF


def _swap(m, x):
    return (x << 4 | x >> 4) & 0xFF


# -- handlers that do not fit the shapes above -----------------------------------------------------


def _izsn_a(m):
    m.a = _inc(m, m.a)
    return m.a == 0


def _dzsn_a(m):
    m.a = _dec(m, m.a)
    return m.a == 0


def _izsn_m(m, addr):
    m.ram[addr] = _inc(m, m.ram[addr])
    return m.ram[addr] == 0


def _dzsn_m(m, addr):
    m.ram[addr] = _dec(m, m.ram[addr])
    return m.ram[addr] == 0


def _pcadd(m):
    m.next_pc = (m.pc + m.a) & PC_MASK


def _pushaf(m):
    m._check_push()
    m._push(m.a, 0xF0 | m.flags)


def _popaf(m):
    m._check_pop()
    m.a, flags = m._pop()
    m.flags = flags & 0x0F


def _ret(m):
    m._check_pop()
    low, high = m._pop()
    m.next_pc = (low | high << 8) & PC_MASK


def _reti(m):
    _ret(m)
    m.gie = 1


def _ret_k(m, k):
    m._check_pop()
    m.a = k
    low, high = m._pop()
    m.next_pc = (low | high << 8) & PC_MASK


def _call(m, target):
    m._check_push()
    ret = (m.pc + 1) & PC_MASK
    m._push(ret & 0xFF, ret >> 8)
    m.next_pc = target


def _goto(m, target):
    m.next_pc = target


def _reset(m):
    m._chip_reset(m.cycles)
    m.next_pc = 0


def _stopsys(m):
    m.mode = STOPSYS


def _stopexe(m):
    m.mode = STOPEXE


def _wdreset(m):
    m._wdt_count = 0


def _mov_a_io(m, io):
    m.a = m._set_z(m.io_read(io))


def _xor_io_a(m, io):
    m.io_write(io, m.io_read(io) ^ m.a)


def _set0_io(m, io, n):
    m.io_write(io, m.io_read(io) & ~(1 << n))


def _set1_io(m, io, n):
    m.io_write(io, m.io_read(io) | 1 << n)


def _t0sn_io(m, io, n):
    return not m.io_read(io) >> n & 1


def _t1sn_io(m, io, n):
    return bool(m.io_read(io) >> n & 1)


def _stt16(m, addr):
    m.t16 = m.ram[addr] | m.ram[addr + 1] << 8


def _ldt16(m, addr):
    m.ram[addr] = m.t16 & 0xFF
    m.ram[addr + 1] = m.t16 >> 8


def _idxm_m_a(m, addr):
    m.ram[m.ram[addr] & 0x3F] = m.a


def _idxm_a_m(m, addr):
    m.a = m.ram[m.ram[addr] & 0x3F]


def _xch(m, addr):
    m.a, m.ram[addr] = m.ram[addr], m.a


def _ceqsn(m, x, y):
    m._set_arith(alu_sub(x, y, 0))
    return x == y


def _set_bit(m, addr, n, value):
    m.ram[addr] = (m.ram[addr] & ~(1 << n) | value << n) & 0xFF


SEMANTICS: dict[str, Callable[..., bool | None]] = {
    "NOP": lambda m: None,
    "ADDC_A": _acc_op(_plus_carry),
    "SUBC_A": _acc_op(_minus_carry),
    "IZSN_A": _izsn_a,
    "DZSN_A": _dzsn_a,
    "PCADD_A": _pcadd,
    "NOT_A": _acc_op(_not),
    "NEG_A": _acc_op(_neg),
    "SR_A": _acc_op(_sr),
    "SL_A": _acc_op(_sl),
    "SRC_A": _acc_op(_src),
    "SLC_A": _acc_op(_slc),
    "SWAP_A": _acc_op(_swap),
    "WDRESET": _wdreset,
    "PUSHAF": _pushaf,
    "POPAF": _popaf,
    "RESET": _reset,
    "STOPSYS": _stopsys,
    "STOPEXE": _stopexe,
    "ENGINT": lambda m: setattr(m, "gie", 1),
    "DISGINT": lambda m: setattr(m, "gie", 0),
    "RET": _ret,
    "RETI": _reti,
    "XOR_IO_A": _xor_io_a,
    "MOV_IO_A": lambda m, io: m.io_write(io, m.a),
    "MOV_A_IO": _mov_a_io,
    "STT16": _stt16,
    "LDT16": _ldt16,
    "IDXM_M_A": _idxm_m_a,
    "IDXM_A_M": _idxm_a_m,
    "RET_K": _ret_k,
    "T0SN_M": lambda m, addr, n: not m.ram[addr] >> n & 1,
    "T1SN_M": lambda m, addr, n: bool(m.ram[addr] >> n & 1),
    "SET0_M": lambda m, addr, n: _set_bit(m, addr, n, 0),
    "SET1_M": lambda m, addr, n: _set_bit(m, addr, n, 1),
    "ADD_M_A": _m_from_a(_add),
    "SUB_M_A": _m_from_a(_sub),
    "ADDC_M_A": _m_from_a(_addc),
    "SUBC_M_A": _m_from_a(_subc),
    "AND_M_A": _m_from_a(_and),
    "OR_M_A": _m_from_a(_or),
    "XOR_M_A": _m_from_a(_xor),
    "MOV_M_A": lambda m, addr: m.ram.__setitem__(addr, m.a),
    "ADD_A_M": _a_from_m(_add),
    "SUB_A_M": _a_from_m(_sub),
    "ADDC_A_M": _a_from_m(_addc),
    "SUBC_A_M": _a_from_m(_subc),
    "AND_A_M": _a_from_m(_and),
    "OR_A_M": _a_from_m(_or),
    "XOR_A_M": _a_from_m(_xor),
    "MOV_A_M": lambda m, addr: setattr(m, "a", m._set_z(m.ram[addr])),
    "ADDC_M": _ram_op(_plus_carry),
    "SUBC_M": _ram_op(_minus_carry),
    "IZSN_M": _izsn_m,
    "DZSN_M": _dzsn_m,
    "INC_M": _ram_op(_inc),
    "DEC_M": _ram_op(_dec),
    "CLEAR_M": lambda m, addr: m.ram.__setitem__(addr, 0),
    "XCH_M": _xch,
    "NOT_M": _ram_op(_not),
    "NEG_M": _ram_op(_neg),
    "SR_M": _ram_op(_sr),
    "SL_M": _ram_op(_sl),
    "SRC_M": _ram_op(_src),
    "SLC_M": _ram_op(_slc),
    "CEQSN_A_M": lambda m, addr: _ceqsn(m, m.a, m.ram[addr]),
    "T0SN_IO": _t0sn_io,
    "T1SN_IO": _t1sn_io,
    "SET0_IO": _set0_io,
    "SET1_IO": _set1_io,
    "ADD_A_K": _a_with_k(_add),
    "SUB_A_K": _a_with_k(_sub),
    "CEQSN_A_K": lambda m, k: _ceqsn(m, m.a, k),
    "AND_A_K": _a_with_k(_and),
    "OR_A_K": _a_with_k(_or),
    "XOR_A_K": _a_with_k(_xor),
    "MOV_A_K": lambda m, k: setattr(m, "a", k),
    "GOTO": _goto,
    "CALL": _call,
}

_missing = {i.op for i in isa.INSTRUCTIONS if i.pms150c} - SEMANTICS.keys()
if _missing:  # pragma: no cover - import-time guard: every PMS150C instruction has a handler
    raise AssertionError(f"reference: no semantics for {sorted(_missing)}")
