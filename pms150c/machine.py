"""`Machine`: a PMS150C running an `Image`, the public face of the jitted core.

The Machine owns the state arrays (see pms150c/state.py) and hands them to
`pms150c.core.run`; everything here is bookkeeping around that call: breakpoints become
BREAK words in a private copy of the predecoded ROM, errors coming back as status codes
become exceptions, and `run()` without a limit runs in chunks so Ctrl-C stops it cleanly.

The jitted core indexes its arrays without bounds checks, so every array it gets is
private (RAM, ROM and the debug arrays are handed out as views that cannot reshape the
core's own) and every argument is checked here first (pms150c/validate.py): a wrong type
or a value out of range is a `Pms150cError`, never a crash or a Numba typing error.
"""

from __future__ import annotations

import enum
import sys
import warnings
from collections.abc import Iterator, MutableSet
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import core, ctrl_c, validate
from .device import (
    IHRC_HZ,
    ILRC_HZ,
    IO_CLKMD,
    IO_FLAG,
    IO_IHRCR,
    IO_ILRCR,
    IO_INTEN,
    IO_INTRQ,
    IO_NAMES,
    IO_PA,
    IO_PAPH,
    IO_REGS,
    IO_RESET,
    IO_SP,
    PA_PINS,
    RAM_BYTES,
    ROM_WORDS,
)
from .errors import (
    AddressError,
    ArgumentError,
    BlankWordError,
    CallError,
    InvalidOpcode,
    LabelError,
    PinError,
    StackOverflow,
    interrupted,
    printable,
    shorten,
)
from .factory import FUSE_ADDRESS, Fuse, decode_fuse, system_area
from .image import Image, check_words
from .peripherals.analog import CODE_ANALOG, CODE_VDD, VDD_DEFAULT_UV
from .peripherals.bus import (
    boot_ilrc_clocks,
    clock_stop_cause,
    host_change,
    set_clkmd,
    set_trim,
    set_vdd,
)
from .peripherals.clock import (
    close_time,
    ilrc_periods_in_cycles,
    open_time,
    system_clock,
    time_units_at,
)
from .peripherals.port import drive, input_level, pa_read, pin_directions, pin_levels
from .state import (
    CLOCK_STOP_DISABLED,
    CLOCK_STOP_RESERVED,
    CLOCK_STOP_SWITCH,
    MODE_CLOCK_STOPPED,
    MODE_NAMES,
    R_A,
    R_AN_BASE,
    R_AN_DRIVEN,
    R_CLK_SINCE,
    R_CLOCK_STOP,
    R_CLOCK_STOP_PC,
    R_CLOCK_STOPS,
    R_CYCLES,
    R_FLAGS,
    R_FUSE,
    R_GIE,
    R_IHRC_BASE_HZ,
    R_IHRC_HZ,
    R_ILRC_BASE_HZ,
    R_ILRC_HZ,
    R_MODE,
    R_PC,
    R_PIN_DRIVEN,
    R_PIN_HOST,
    R_PIN_IN,
    R_RESETS,
    R_RNG,
    R_SCHED_HEAD,
    R_SP,
    R_STACK_MAX,
    R_T16,
    R_T16_ACC,
    R_TM2_ACC,
    R_TRACE_COUNT,
    R_UNDEFINED,
    R_VDD_UV,
    R_WATCH_INFO,
    R_WATCH_PC,
    R_WDT_ACC,
    ST_BREAKPOINT,
    ST_CHECK_FULL,
    ST_CLOCK_STOPPED,
    ST_CONDITION,
    ST_EDGE_STOP,
    ST_EDGES_FULL,
    ST_INVALID,
    ST_LIMIT,
    ST_STACK,
    ST_STOPSYS,
    ST_WATCHPOINT,
    TIME_UNITS_PER_S,
    new_regs,
)
from .undefined import check_mode, power_on_values

# Oscillator frequencies a Machine accepts (Hz): wide margins around the DS's 16 MHz and
# 59 kHz, bounded so the core's integer time arithmetic cannot overflow.
IHRC_RANGE_HZ = (1_000_000, 64_000_000)
ILRC_RANGE_HZ = (1_000, 1_000_000)
RUN_CHUNK_CYCLES = 20_000_000  # cycles per jitted call when run() has no limit
MAX_TRACE_DEPTH = 1 << 22  # trace ring rows (48 bytes each); pms150c/debug/trace.py
# translate=None ("auto"): a Machine switches to the block translator once its runs have
# interpreted this many cycles, and run_batch uses it for batches of this many runs or more.
AUTO_TRANSLATE_CYCLES = 50_000_000
AUTO_TRANSLATE_RUNS = 64


class StopKind(enum.Enum):
    STOPSYS = "stopsys"
    BREAKPOINT = "breakpoint"
    WATCHPOINT = "watchpoint"
    MAX_CYCLES = "max_cycles"
    INTERRUPTED = "interrupted"
    CONDITION = "condition"
    CLOCK_STOPPED = "clock_stopped"


class ClockWarning(UserWarning):
    """The firmware did something to its clocks the datasheet warns about (a clock stop);
    also recorded in `Machine.warnings`."""


@dataclass(frozen=True, eq=False)
class StopReason:
    """Why `Machine.run` returned. Compares equal to its kind: ``r == StopReason.STOPSYS``.

    For a watchpoint, ``address`` is the RAM address (0..63) or 0x40 + the IO address,
    ``access`` is ``"read"`` or ``"write"`` and ``instruction_pc`` the pc of the instruction
    that made the access (``pc`` is already the next one).
    """

    kind: StopKind
    pc: int
    cycles: int
    address: int | None = None
    access: str | None = None
    instruction_pc: int | None = None
    condition: object = None  # the predicate of a `break_when` stop

    STOPSYS = StopKind.STOPSYS
    BREAKPOINT = StopKind.BREAKPOINT
    WATCHPOINT = StopKind.WATCHPOINT
    MAX_CYCLES = StopKind.MAX_CYCLES
    INTERRUPTED = StopKind.INTERRUPTED
    CONDITION = StopKind.CONDITION
    CLOCK_STOPPED = StopKind.CLOCK_STOPPED

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StopKind):
            return self.kind is other
        if isinstance(other, StopReason):
            return (self.kind, self.pc, self.cycles) == (other.kind, other.pc, other.cycles)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.kind, self.pc, self.cycles))

    def __repr__(self) -> str:
        extra = f", address=0x{self.address:02x}, {self.access}" if self.address is not None else ""
        return f"StopReason({self.kind.name}, pc=0x{self.pc:03x}, cycles={self.cycles}{extra})"


@dataclass(frozen=True, eq=False)
class MachineState:
    """Everything a Machine holds that a run changes (RAM, IO, the CPU and peripheral
    registers, pending pin changes), saved by `Machine.save_state` as read-only copies;
    `Machine.restore_state` and `Machine.call` start from one."""

    ram: np.ndarray
    io: np.ndarray
    regs: np.ndarray
    schedule: np.ndarray


class CallResult(NamedTuple):
    """What a routine left after `Machine.call`: A, FLAG (0..15), SP, the RAM, and the
    cycles from its first instruction up to and including its return (a caller's own
    `call` instruction would add 2)."""

    a: int
    flags: int
    sp: int
    cycles: int
    ram: bytes

    def u16(self, address: int) -> int:
        """The little-endian 16-bit value at RAM `address` (an SDCC int)."""
        return self.ram[address] | self.ram[(address + 1) % RAM_BYTES] << 8


def _frozen_copy(array: np.ndarray) -> np.ndarray:
    copy = array.copy()
    copy.flags.writeable = False
    return copy


CALL_RETURN = ROM_WORDS - 1  # Machine.call's return address: the fuse word, never executed


class Flags:
    """FLAG as named bits of a Machine: ``m.flags.c = 1``; ``int(m.flags)`` is 0..15."""

    _BITS = {"z": 0, "c": 1, "ac": 2, "ov": 3}

    def __init__(self, machine: Machine):
        object.__setattr__(self, "_regs", machine._regs)

    def __getattr__(self, name: str) -> int:
        if name in Flags._BITS:
            return int(self._regs[R_FLAGS] >> Flags._BITS[name] & 1)
        raise AttributeError(name)

    def __setattr__(self, name: str, value: int) -> None:
        if name not in Flags._BITS:
            raise AttributeError(f"FLAG has no bit {name!r}")
        bit = 1 << Flags._BITS[name]
        on = validate.flag(value, f"flag {name}")
        self._regs[R_FLAGS] = (self._regs[R_FLAGS] & ~bit) | (bit if on else 0)

    def __int__(self) -> int:
        return int(self._regs[R_FLAGS])

    def __index__(self) -> int:
        return int(self._regs[R_FLAGS])

    def __eq__(self, other: object) -> bool:
        return int(self) == other if isinstance(other, int) else NotImplemented

    def __repr__(self) -> str:
        return "Flags(" + " ".join(f"{n}={getattr(self, n)}" for n in Flags._BITS) + ")"


class Breakpoints(MutableSet):
    """Word addresses where `run()` stops before executing; labels are accepted on add."""

    def __init__(self, machine: Machine):
        self._machine = machine
        self._pcs: set[int] = set()

    def _resolve(self, where: int | str) -> int:
        """The word address of a breakpoint: a ROM word, a ROM label, or a symbol whose
        (byte) value lies in ROM; anything else is refused, never masked into ROM."""
        if isinstance(where, str):  # a label, a C function (main or _main), main.c:17
            shown = shorten(printable(repr(where)), 60)
            table = self._machine.symbols
            try:
                pc, what = table.code_address(where), f"label {shown} (word address)"
            except LabelError:
                symbols = self._machine.image.symbols
                if where not in symbols or where in table.variables:
                    raise LabelError(f"no label {shown} in the image") from None
                value = validate.integer(symbols[where], f"symbol {shown}", error=LabelError)
                pc, what = value // 2, f"symbol {shown} = {validate.show_int(value, True)} (bytes)"
            pc = validate.integer(pc, what, error=LabelError)
            if not 0 <= pc < ROM_WORDS:  # masking would stop somewhere else silently
                raise LabelError(
                    f"breakpoint at {what}: word {validate.show_int(pc, True)} is outside "
                    f"ROM (0..0x{ROM_WORDS - 1:x})"
                )
            return pc
        return validate.integer(
            where, "breakpoint", 0, ROM_WORDS - 1, error=LabelError, hexadecimal=True, region="ROM"
        )

    def __contains__(self, where: object) -> bool:
        try:
            return self._resolve(where) in self._pcs  # type: ignore[arg-type]
        except (LabelError, ArgumentError):
            return False

    def __iter__(self) -> Iterator[int]:
        return iter(sorted(self._pcs))

    def __len__(self) -> int:
        return len(self._pcs)

    def add(self, where: int | str) -> None:
        self._pcs.add(self._resolve(where))
        self._machine._prog_dirty = True

    def discard(self, where: int | str) -> None:
        self._pcs.discard(self._resolve(where))
        self._machine._prog_dirty = True

    def __repr__(self) -> str:
        return "Breakpoints({" + ", ".join(f"0x{pc:03x}" for pc in self) + "})"


class Machine:
    """A PMS150C with `image` in its ROM, at power-on.

    ``stack_checks`` (default on) makes a push past RAM or a pop below 0 raise
    `StackOverflow`; off, stack addresses wrap modulo 64 as the silicon would.
    ``blank_checks`` (default on) makes fetching a word the image does not program (blank
    OTP, 0x1FFF) raise `BlankWordError` at that word; off, it runs as the silicon runs it,
    `call 0x3ff`.

    ``bgtr`` and ``fuse`` set the factory system area (pms150c/factory.py): the chip's
    ROM holds ``ret #bgtr`` at 0x3F6 (the band-gap trim firmware reads with ``call
    0x3f6``) and the fuse word (an int or a `Fuse`) at 0x3FF. Left None, each is the
    factory default (trim 0x80, fuse 0x0FFD: LVR 2.0 V, fast boot-up) unless the image
    programs that word itself; given, it replaces the image's. Both count as programmed
    words.

    ``undefined`` says what the datasheet leaves undefined at power-on (RAM, A, FLAG, SP,
    INTEN, INTRQ) and what a write-only register reads back: ``"zero"`` (default: zeros,
    and the last value written) or ``"random"`` (values from a generator seeded with
    ``seed``, drawn at every power-on and reset and at every read of a write-only register;
    pms150c/undefined.py). Without a seed one is chosen at random and kept in `seed`.

    ``translate`` chooses the block translator (pms150c/translator.py: the ROM compiled to
    native code, same state and cycles as the interpreter): True for every run, False
    never, None (default) once this Machine has run `AUTO_TRANSLATE_CYCLES` cycles and for
    `run_batch` calls of `AUTO_TRANSLATE_RUNS` runs or more. Runs with breakpoints,
    watchpoints, traces, profiles or `break_when` conditions always interpret.

    ``ihrc_hz`` and ``ilrc_hz`` are the oscillators' actual frequencies (whole Hz) at
    power-on, as the writer calibrated them: 16 MHz and 59 kHz by default; the trim
    registers IHRCR and ILRCR move them from there (docs/timing-model.md, "Clocks").
    Time (`time_s`, VCD times) and every timer follow the actual frequencies.
    """

    def __init__(
        self,
        image: Image,
        *,
        stack_checks: bool = True,
        blank_checks: bool = True,
        translate: bool | None = None,
        bgtr: int | None = None,
        fuse: int | Fuse | None = None,
        undefined: str = "zero",
        seed: int | None = None,
        vdd: float = VDD_DEFAULT_UV / 1e6,
        ihrc_hz: float = IHRC_HZ,
        ilrc_hz: float = ILRC_HZ,
    ):
        if not isinstance(image, Image):
            raise ArgumentError(f"Machine needs an Image, not {validate.describe(image)}")
        self._image = image
        self._random, self._seed = check_mode(undefined, seed)
        self._ihrc_base = validate.frequency(ihrc_hz, "ihrc_hz", *IHRC_RANGE_HZ)
        self._ilrc_base = validate.frequency(ilrc_hz, "ilrc_hz", *ILRC_RANGE_HZ)
        self.warnings: list[str] = []  # what the firmware did that the DS warns about
        self.stack_checks = stack_checks
        self.translate = translate
        self._translation = None  # pms150c.translator.Translation of the ROM, when made
        self._batch_translation = None  # (slot range, Translation) of the last batch
        self._interpreted = 0  # cycles run by the interpreter (the auto rule counts them)
        # the words checked again: `image.words` is a public array a user may have replaced
        words = Image(check_words(image.words, "the image's words")).words
        written = np.asarray(image.written, dtype=bool)
        if written.shape != (ROM_WORDS,):
            raise ArgumentError(f"the image's written mask must have {ROM_WORDS} entries")
        self._rom, written = system_area(words, written, bgtr=bgtr, fuse=fuse)
        self._fuse = decode_fuse(int(self._rom[FUSE_ADDRESS]))
        self._rom.flags.writeable = False
        self._rom_view = _frozen_view(self._rom)
        self._clean = core.predecode(self._rom)
        # blank_checks: a word the image does not program is a BREAK that _call reports
        blank_checks = validate.flag(blank_checks, "blank_checks")
        self._blank = ~written if blank_checks else None
        self._programmed = written.copy()  # what the translator compiles
        if self._blank is not None:
            self._clean[self._blank] = core.OP_BREAK
        self._prog = self._clean.copy()
        self._prog_dirty = False
        self._ram = np.zeros(RAM_BYTES, dtype=np.uint8)
        self._ram_view = self._ram.view()  # reshaping the view leaves the core's array alone
        self._io = np.zeros(IO_REGS, dtype=np.uint8)
        self._regs = new_regs()
        # pin changes: rows [R_SCHED_HEAD, _sched_len) of a growable buffer are pending,
        # sorted by cycle; the core gets the view `_sched` of the used rows
        self._sched_buffer = np.zeros((16, 3), dtype=np.int64)
        self._sched_len = 0
        self._sched = self._sched_buffer[:0]
        self._breakpoints = Breakpoints(self)
        self._watch_mask = np.zeros(96, dtype=np.uint8)  # see core.py: bit 0 read, bit 1 write
        self._watch_values: dict[int, int] = {}  # watch slot -> byte value (pms150c/debug)
        self._conditions: list = []  # break_when predicates (pms150c/debug)
        # break_when data conditions: (Condition, its rows) in the order given, the core's
        # rows (None when there are none) and the Condition of each row group
        self._data_conditions: list = []
        self._cond_rows: np.ndarray | None = None
        self._cond_owners: list = []
        self._checks = None  # pms150c.debug.checks.FirmwareChecks during check_firmware
        self._signals = None  # pms150c.edges.SignalLog while anything records the pins
        self._devices: list = []  # pms150c.devices.Device attached, in attach order
        self._trace_buffer: np.ndarray | None = None
        self._profile_counts: np.ndarray | None = None
        self._profile_start = 0
        self._flags = Flags(self)
        self._regs[R_VDD_UV] = _vdd_microvolts(vdd)
        self.reset()
        # Machine.call: the power-on state, and the ROM with a BREAK at the return address
        self._power_on = self.save_state()
        self._call_prog = self._clean.copy()
        self._call_prog[CALL_RETURN] = core.OP_BREAK
        self._call_entries: dict = {}

    @classmethod
    def from_asm(cls, path: str | Path, **options) -> Machine:
        from .toolchain.assembler import assemble_file

        return cls(assemble_file(path), **options)

    @classmethod
    def from_ihx(cls, path: str | Path, *, symbols=None, **options) -> Machine:
        """Load an Intel HEX file with the symbols SDCC wrote beside it (``symbols=None``),
        from elsewhere (a path), or none (``symbols=False``); see `Image.from_ihx`."""
        from .errors import HexError

        path = validate.path(path, "the HEX file name", error=HexError)
        return cls(Image.from_ihx(path, symbols=symbols), **options)

    # -- names -------------------------------------------------------------------------------

    @property
    def symbols(self):
        """The image's `SymbolTable` (pms150c/symbols.py): labels, C functions, variables
        with their sizes, C and assembly lines. An image without one gets its labels."""
        table = getattr(self.image, "symbol_table", None)
        if table is None:
            from .symbols import SymbolTable

            table = self.image.symbol_table = SymbolTable.from_image(self.image)
        return table

    def ram_of(self, name: str) -> int:
        """The RAM address of variable `name` (``_counter``, ``counter``, ``main.i``)."""
        variable = self.symbols.variable(name)
        if variable.space != "ram":
            raise AddressError(f"{name!r} is IO register 0x{variable.address:02x}, not RAM")
        return variable.address

    def read_var(self, name: str, size: int | None = None, *, signed: bool | None = None) -> int:
        """The value of variable `name`: `size` bytes little-endian (default: its size from
        the build, else 1), signed as its C type says unless `signed` is given."""
        variable = self.symbols.variable(name)
        size = self._var_size(variable, size)
        if variable.space == "io":
            raw = bytes(self.io_peek(variable.address + i) for i in range(size))
        else:
            raw = bytes(self._ram[variable.address : variable.address + size])
        signed = variable.signed if signed is None else signed
        return int.from_bytes(raw, "little", signed=signed)

    def write_var(self, name: str, value: int, size: int | None = None) -> None:
        """Store `value` in variable `name` (little-endian; negative values in two's
        complement). A value that does not fit the variable is an `AddressError`."""
        variable = self.symbols.variable(name)
        size = self._var_size(variable, size)
        value = validate.integer(value, f"the value of {name!r}", error=AddressError)
        if not -(1 << (8 * size - 1)) <= value < 1 << (8 * size):
            raise AddressError(f"{value} does not fit the {size} bytes of {name!r}")
        raw = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
        if variable.space == "io":
            for i, byte in enumerate(raw):
                self.io_poke(variable.address + i, byte)
        else:
            self._ram[variable.address : variable.address + size] = np.frombuffer(raw, np.uint8)

    def _var_size(self, variable, size: int | None) -> int:
        if size is not None:
            size = validate.integer(size, "size", error=AddressError)
        else:
            size = variable.size or 1
        limit = IO_REGS if variable.space == "io" else RAM_BYTES
        if size <= 0 or variable.address + size > limit:
            raise AddressError(
                f"{variable.name!r}: {size} bytes at 0x{variable.address:02x} leave "
                f"{'IO' if variable.space == 'io' else 'RAM'}"
            )
        return size

    # -- what the core reads: private, handed out read-only ---------------------------------

    @property
    def image(self) -> Image:
        """The image the Machine was made with (its words were copied into ROM then)."""
        return self._image

    @property
    def rom(self) -> np.ndarray:
        """The 1024 ROM words (read-only): the image's, with the factory system area."""
        return self._rom_view

    @property
    def undefined(self) -> str:
        """``"zero"`` or ``"random"``: what the undefined power-on state and write-only
        reads are (see the class)."""
        return "random" if self._random else "zero"

    @property
    def seed(self) -> int | None:
        """The seed of the undefined state (None with ``undefined="zero"``)."""
        return self._seed

    @property
    def fuse(self) -> Fuse:
        """The fuse word at 0x3FF decoded (security, LVR level, boot-up time, drive)."""
        return self._fuse

    @property
    def breakpoints(self) -> Breakpoints:
        """Word addresses where `run()` stops (add labels or addresses; a set)."""
        return self._breakpoints

    @property
    def translate(self) -> bool | None:
        """Use the block translator: True, False, or None (auto; see the class)."""
        return self._translate

    @translate.setter
    def translate(self, value: bool | None) -> None:
        self._translate = None if value is None else validate.flag(value, "translate")

    def _written(self) -> np.ndarray:
        """The words the image programs (the translator compiles only those)."""
        return self._programmed.copy()

    @property
    def stack_checks(self) -> bool:
        """Whether a push past RAM or a pop below 0 raises `StackOverflow`."""
        return self._stack_checks

    @stack_checks.setter
    def stack_checks(self, value: bool) -> None:
        self._stack_checks = validate.flag(value, "stack_checks")

    @property
    def watch_mask(self) -> np.ndarray:
        """The core's watch bits, uint8[96] (read-only: set them with `watch`)."""
        return _frozen_view(self._watch_mask)

    @property
    def profile_counts(self) -> np.ndarray | None:
        """Executions (row 0) and cycles (row 1) per pc since `enable_profile` (read-only),
        or None while profiling is off."""
        if self._profile_counts is None:
            return None
        return _frozen_view(self._profile_counts)

    # -- reset -------------------------------------------------------------------------------

    def reset(self) -> None:
        """Power-on: registers, IO and RAM as docs/timing-model.md says; cycles = 0.

        Pins the host drives stay driven and VDD and the analog levels stay (they are outside
        the chip); pending scheduled changes are kept (the ones already applied are not
        replayed)."""
        self._compact_schedule()
        driven, host = self._regs[R_PIN_DRIVEN], self._regs[R_PIN_HOST]
        outside = self._regs[HOST_SLOTS].copy()
        self._ram[:] = 0
        self._io[:] = 0
        for addr, value in IO_RESET.items():
            self._io[addr] = value
        self._regs[:] = 0
        self._regs[R_FUSE] = self._fuse.word
        if self._random:  # what the DS leaves undefined at power-on (pms150c/undefined.py)
            registers, ram, state = power_on_values(self._seed)
            self._ram[:] = np.frombuffer(ram, dtype=np.uint8)
            self._regs[R_A], self._regs[R_FLAGS] = registers["a"], registers["flags"]
            self._regs[R_SP] = registers["sp"]
            self._io[IO_INTEN], self._io[IO_INTRQ] = registers["inten"], registers["intrq"]
            self._regs[R_UNDEFINED], self._regs[R_RNG] = 1, state
        self._regs[R_PIN_DRIVEN], self._regs[R_PIN_HOST] = driven, host
        self._regs[HOST_SLOTS] = outside
        self._regs[R_PIN_IN] = input_level(self._regs, self._io)
        for slot in (R_IHRC_BASE_HZ, R_IHRC_HZ):
            self._regs[slot] = self._ihrc_base
        for slot in (R_ILRC_BASE_HZ, R_ILRC_HZ):
            self._regs[slot] = self._ilrc_base
        # the boot-up time tSBP at the reset clock (ILRC/1) passes before the first
        # instruction: in time_s, not in cycles (which count from that instruction)
        boot = ilrc_periods_in_cycles(
            self._regs, int(self._io[IO_CLKMD]), boot_ilrc_clocks(self._regs)
        )
        self._regs[R_CLK_SINCE] = -boot
        open_time(self._regs, int(self._io[IO_CLKMD]))
        close_time(self._regs, 0)
        if self._signals is not None:  # recordings start over at cycle 0
            self._signals.restart()
        if self._profile_counts is not None:  # a profile counts from power-on again
            self._profile_counts[:] = 0
        self._profile_start = 0

    # -- registers ---------------------------------------------------------------------------

    def _reg(slot: int, mask: int, name: str, doc: str):  # noqa: N805 - property factory
        def get(self) -> int:
            return int(self._regs[slot])

        def put(self, value: int) -> None:
            number = validate.integer(value, name)
            self._regs[slot] = number & mask if mask >= 0 else number

        return property(get, put, doc=doc)

    a = _reg(R_A, 0xFF, "a", "The accumulator (an int, kept modulo 256).")
    pc = _reg(R_PC, 0x3FF, "pc", "The program counter (word address, kept modulo 1024).")
    sp = _reg(R_SP, 0xFF, "sp", "The stack pointer (IO 0x02, kept modulo 256).")
    gie = _reg(R_GIE, 1, "gie", "Global interrupt enable (0/1; kept modulo 2).")
    del _reg

    @property
    def flags(self) -> Flags:
        """FLAG bits as attributes (z, c, ac, ov); assign an int 0..15 to set all four."""
        return self._flags

    @flags.setter
    def flags(self, value: int) -> None:
        self._regs[R_FLAGS] = validate.integer(value, "flags") & 0x0F

    @property
    def cycles(self) -> int:
        """System cycles since power-on (never wraps)."""
        return int(self._regs[R_CYCLES])

    @property
    def mode(self) -> str:
        """``"running"``, ``"stopsys"``, ``"stopexe"``, ``"waking"`` (the wake-up time after
        a sleep), ``"booting"`` (the boot-up time after a reset) or ``"clock_stopped"``."""
        return MODE_NAMES[int(self._regs[R_MODE])]

    @property
    def ram(self) -> np.ndarray:
        """The 64 bytes of RAM (a writable view)."""
        return self._ram_view

    @property
    def stack_max(self) -> int:
        """Highest SP reached by a push (call, pushaf, interrupt entry) since power-on."""
        return int(self._regs[R_STACK_MAX])

    @property
    def resets(self) -> int:
        """Watchdog time-outs and `reset` instructions so far."""
        return int(self._regs[R_RESETS])

    @property
    def t16(self) -> int:
        """The Timer16 counter."""
        return int(self._regs[R_T16])

    @t16.setter
    def t16(self, value: int) -> None:
        self._regs[R_T16] = validate.integer(value, "t16") & 0xFFFF

    # -- IO ----------------------------------------------------------------------------------

    def io_peek(self, addr: int | str) -> int:
        """IO register as an instruction would read it, without side effects."""
        addr = self._io_address(addr)
        if addr == IO_FLAG:
            return 0xF0 | int(self._regs[R_FLAGS])
        if addr == IO_SP:
            return int(self._regs[R_SP])
        if addr == IO_PA:
            return int(pa_read(self._regs, self._io))
        return int(self._io[addr])

    def io_poke(self, addr: int | str, value: int) -> None:
        """Store a raw IO value: no prescaler resets, no pin edges (FLAG keeps bits 3..0)."""
        addr = self._io_address(addr)
        value = validate.integer(value, "IO value") & 0xFF
        if addr == IO_FLAG:
            self._regs[R_FLAGS] = value & 0x0F
        elif addr == IO_SP:
            self._regs[R_SP] = value
        elif addr == IO_CLKMD:
            # keep the time bookkeeping right but leave the phase accumulators alone; a
            # value that selects no running oscillator stops the clock (not the switching
            # rule of DS 9.2.3: that is about writes by the firmware)
            cause = clock_stop_cause(value, value)
            accumulators = self._regs[[R_T16_ACC, R_TM2_ACC, R_WDT_ACC]]
            set_clkmd(self._regs, self._io, value)
            self._regs[[R_T16_ACC, R_TM2_ACC, R_WDT_ACC]] = accumulators
            if cause and self.mode != "clock_stopped":
                self._regs[R_MODE] = MODE_CLOCK_STOPPED
                self._regs[R_CLOCK_STOP] = cause | value << 8
                self._regs[R_CLOCK_STOP_PC] = -1  # the host's poke
        elif addr in (IO_IHRCR, IO_ILRCR):
            set_trim(self._regs, self._io, addr, value)
        else:
            self._io[addr] = value
            if addr == IO_PAPH:
                self._regs[R_PIN_IN] = input_level(self._regs, self._io)

    @staticmethod
    def _io_address(addr: int | str) -> int:
        if isinstance(addr, str):
            try:
                return IO_NAMES[addr.lower()]
            except KeyError:
                raise AddressError(f"no IO register named {addr!r}") from None
        return validate.integer(
            addr, "IO address", 0, IO_REGS - 1, error=AddressError, hexadecimal=True
        )

    # -- pins --------------------------------------------------------------------------------

    @staticmethod
    def _pin_number(pin: int) -> int:
        number = validate.integer(pin, "pin", error=PinError)
        if number not in PA_PINS:
            raise PinError(f"PA{validate.show_int(number)} does not exist (pins: {PA_PINS})")
        return number

    @classmethod
    def _check_pin(cls, pin: int, level) -> int:
        cls._pin_number(pin)
        if level is None:
            return -1
        try:
            return int(validate.flag(level, "pin level", error=PinError))
        except PinError:
            raise PinError(
                f"pin level must be 0, 1 or None, not {validate.describe(level)}"
            ) from None

    def set_pin(self, pin: int, level: int | None) -> None:
        """Drive input `pin` of port A to `level` now; None releases it to the pull-up."""
        level = self._check_pin(pin, level)
        drive(self._regs, self._io, int(pin), level)

    def schedule_pin(self, cycle: int, pin: int, level: int | None) -> None:
        """Change `pin` at the first instruction boundary with ``cycles >= cycle``.

        Changes at one cycle apply in call order. Scheduling in cycle order costs O(1)
        (amortised), out of order a shift of the later pending rows."""
        level = self._check_pin(pin, level)
        self._schedule_row(cycle, int(pin), level)

    # -- analog levels (pms150c/peripherals/analog.py) ------------------------------------------

    @property
    def vdd(self) -> float:
        """The supply voltage the host sets (volts; default 5.0 V). The comparator's resistor
        ladder, the pins at VDD and (with its fuse level) the LVR follow it."""
        return int(self._regs[R_VDD_UV]) / 1e6

    @vdd.setter
    def vdd(self, volts: float) -> None:
        set_vdd(self._regs, self._io, _vdd_microvolts(volts))

    def set_analog(self, pin: int | str, volts: float | None) -> None:
        """Put `volts` on `pin` now (``"pa4"`` or 4; ``"vdd"`` sets VDD); None releases the
        pin. The comparator sees the level, the pin's digital input its Schmitt-trigger
        reading (1 from 0.6 VDD, 0 below 0.1 VDD, unchanged between)."""
        code, level = self._analog_row(pin, volts)
        host_change(self._regs, self._io, code, level)

    def schedule_analog(self, cycle: int, pin: int | str, volts: float | None) -> None:
        """`set_analog` at the first instruction boundary with ``cycles >= cycle``, in order
        with the scheduled pin changes."""
        code, level = self._analog_row(pin, volts)
        self._schedule_row(cycle, code, level)

    @staticmethod
    def _analog_row(pin: int | str, volts) -> tuple[int, int]:
        """The pin schedule's row (code, level in microvolts; -1 releases) for `volts` on
        `pin` or on ``"vdd"``, checked."""
        if isinstance(pin, str) and pin.lower() == "vdd":
            if volts is None:
                raise PinError("VDD cannot be released: give it a voltage")
            return CODE_VDD, _vdd_microvolts(volts)
        number = _analog_pin(pin)
        if volts is None:
            return CODE_ANALOG + number, -1
        low, high = ANALOG_RANGE
        level = validate.number(volts, f"the voltage on PA{number}", low, high, error=PinError)
        return CODE_ANALOG + number, round(level * 1e6)

    def _schedule_row(self, cycle: int, code: int, level: int) -> None:
        cycle = validate.integer(
            cycle, "pin change cycle", 0, validate.INT64_MAX, error=PinError
        )  # the core keeps cycles in int64
        pin = code
        head = int(self._regs[R_SCHED_HEAD])
        if head and head >= self._sched_len // 2:  # applied rows: drop them, amortised O(1)
            self._compact_schedule()
            head = 0
        n = self._sched_len
        if n == len(self._sched_buffer):
            grown = np.zeros((2 * n, 3), dtype=np.int64)
            grown[:n] = self._sched_buffer[:n]
            self._sched_buffer = grown
        buffer = self._sched_buffer
        # after every pending row at the same or an earlier cycle (the common case: last)
        at = n if n == head or buffer[n - 1, 0] <= cycle else None
        if at is None:
            at = head + int(np.searchsorted(buffer[head:n, 0], cycle, side="right"))
            buffer[at + 1 : n + 1] = buffer[at:n]  # numpy copies overlapping rows safely
        buffer[at] = (cycle, pin, level)
        self._sched_len = n + 1
        self._sched = buffer[: n + 1]

    def _unschedule(self, cycle: int, pin: int, level: int) -> bool:
        """Drop the first pending pin change (cycle, pin, level; level -1 = release), for a
        device that moves what it scheduled (pms150c/devices.py). False if none pends."""
        head, n = int(self._regs[R_SCHED_HEAD]), self._sched_len
        rows = self._sched_buffer
        hits = np.flatnonzero(
            (rows[head:n, 0] == cycle) & (rows[head:n, 1] == pin) & (rows[head:n, 2] == level)
        )
        if not hits.size:
            return False
        at = head + int(hits[0])
        rows[at : n - 1] = rows[at + 1 : n].copy()
        self._sched_len = n - 1
        self._sched = rows[: n - 1]
        return True

    def _compact_schedule(self) -> None:
        """Drop the pin changes the core has applied (rows before R_SCHED_HEAD)."""
        head, n = int(self._regs[R_SCHED_HEAD]), self._sched_len
        self._sched_buffer[: n - head] = self._sched_buffer[head:n]
        self._sched_len = n - head
        self._sched = self._sched_buffer[: n - head]
        self._regs[R_SCHED_HEAD] = 0

    def _pending_pins(self) -> list[tuple[int, ...]]:
        """The scheduled pin changes the core has not applied yet, as (cycle, pin, level)."""
        rows = self._sched_buffer[int(self._regs[R_SCHED_HEAD]) : self._sched_len]
        return [tuple(int(x) for x in row) for row in rows]

    @property
    def pins(self) -> int:
        """Port A levels as seen from outside (bit n = PAn; bits 1, 2 are 0)."""
        return int(pin_levels(self._regs, self._io))

    @property
    def pin_directions(self) -> int:
        """Bit n = 1 when PAn is an output (PAC, or the routed Timer2 output)."""
        return int(pin_directions(self._io))

    def pin(self, n: int) -> int:
        """The level of PAn as seen from outside (0 or 1)."""
        return self.pins >> self._pin_number(n) & 1

    def record_pins(self, pins=None):
        """Record every change of the port A `pins` (default: all) from now on, at its
        exact cycle, whatever made it: IO writes, Timer2/PWM output, host pin changes,
        resets. Returns a `pms150c.edges.PinRecording` (``.edges``, ``pulse_widths``,
        ``period``, ``frequency``, ``duty``; ``stop()`` or a ``with`` block ends it). The
        jitted core writes the changes into an array the Machine empties whenever the core
        returns, so recording runs near the plain speed (docs/performance.md).
        `reset`, `restore_state` and `call` start a recording over."""
        from .edges import PinRecording, check_pins

        recording = PinRecording(self, check_pins(pins))
        self._signal_listener(recording, add=True)
        recording.recording = True
        return recording

    def attach(self, device):
        """Put a virtual device on the pins (pms150c/devices.py: Uart, Button, SpiFlash,
        I2cEeprom, Ws2812, ...) and return it. It sees the pins' changes with their cycles
        and drives pins from then on; `detach` (or ``device.detach()``) takes it off."""
        from .devices import attach

        return attach(self, device)

    def detach(self, device) -> None:
        if device not in self._devices:
            from .devices import DeviceError

            raise DeviceError(f"{device!r} is not attached to this machine")
        device.detach()

    @property
    def devices(self) -> tuple:
        """The devices attached, in attach order."""
        return tuple(self._devices)

    def _signal_listener(self, listener, *, add: bool) -> None:
        """Add a listener to the signal log (made on the first one) or remove it (the log
        goes when the last one does, and runs take the plain path again)."""
        from .edges import SignalLog

        if add:
            if self._signals is None:
                self._signals = SignalLog(self)
            self._signals.add(listener)
        elif self._signals is not None:
            self._signals.remove(listener)
            if not self._signals.listeners:
                self._signals = None

    # -- time --------------------------------------------------------------------------------

    @property
    def clock_hz(self) -> float:
        """System clock frequency selected by CLKMD now, at the actual oscillator
        frequencies (0.0 when no running oscillator drives it)."""
        if self.mode == "clock_stopped":
            return 0.0
        f_osc, divider = system_clock(self._regs, int(self._io[IO_CLKMD]))
        return f_osc / divider

    @property
    def ihrc_hz(self) -> int:
        """The IHRC's actual frequency now (whole Hz; IHRCR trims it)."""
        return int(self._regs[R_IHRC_HZ])

    @property
    def ilrc_hz(self) -> int:
        """The ILRC's actual frequency now (whole Hz; ILRCR trims it)."""
        return int(self._regs[R_ILRC_HZ])

    @property
    def time_s(self) -> float:
        """Seconds since power-on, summed over the clock settings in force."""
        return time_units_at(self._regs, self._io, self.cycles) / TIME_UNITS_PER_S

    # -- debug hooks -------------------------------------------------------------------------

    @classmethod
    def _watch_slot(cls, address: int | str, io: bool = False) -> int:
        """Index into `watch_mask`: RAM byte n at n, IO register n (or its name) at 64 + n."""
        if validate.flag(io, "io") or isinstance(address, str):
            return RAM_BYTES + cls._io_address(address)
        return validate.integer(
            address, "RAM address", 0, RAM_BYTES - 1, error=AddressError, hexadecimal=True
        )

    def watch_ram(self, address: int, *, read: bool = False, write: bool = True) -> None:
        slot = self._watch_slot(address)
        self._watch_mask[slot] = _access_bits(read, write)

    def watch_io(self, address: int | str, *, read: bool = False, write: bool = True) -> None:
        slot = self._watch_slot(address, io=True)
        self._watch_mask[slot] = _access_bits(read, write)

    def enable_trace(self, depth: int = 4096) -> None:
        """Record (pc, word, a, flags, sp, cycles) before each instruction in a ring of
        `depth` rows (1..MAX_TRACE_DEPTH, 48 bytes each)."""
        depth = validate.integer(depth, "the trace depth", 1, MAX_TRACE_DEPTH)
        self._trace_buffer = np.zeros((depth, 6), dtype=np.int64)
        self._regs[R_TRACE_COUNT] = 0

    def trace(self) -> np.ndarray:
        """The recorded trace, oldest first, as a structured array (pms150c/debug/trace.py)."""
        from .debug.trace import as_records

        ring = self._trace_buffer
        if ring is None:
            return as_records(np.zeros((0, 6), dtype=np.int64))
        n, depth = int(self._regs[R_TRACE_COUNT]), ring.shape[0]
        if n <= depth:
            return as_records(ring[:n])
        start = n % depth
        return as_records(np.concatenate([ring[start:], ring[:start]]))

    def enable_profile(self) -> None:
        """Count executions (row 0) and cycles (row 1) per pc in ``self.profile_counts``
        from now on (and from power-on again after `reset`)."""
        self._profile_counts = np.zeros((2, ROM_WORDS), dtype=np.int64)
        self._profile_start = self.cycles

    def profile(self):
        """Cycles per source line and label since `enable_profile` (pms150c/debug/profile.py)."""
        from .debug.profile import Profile

        return Profile.from_machine(self)

    def watch(
        self,
        address: int | str,
        *,
        read: bool = False,
        write: bool = True,
        io: bool = False,
        value: int | None = None,
    ) -> None:
        """Stop right after an instruction reads/writes RAM `address` (IO with ``io=True``
        or an IO name); with `value`, only when the byte then holds that value. A variable
        name (``"_counter"``, ``"counter"``) watches all its bytes, and `value` is then the
        whole variable's value after the access (little-endian, as SDCC stores it)."""
        from .debug.conditions import add_watch

        add_watch(self, address, read=read, write=write, io=io, value=value)

    def unwatch(self, address: int | str, *, io: bool = False) -> None:
        from .debug.conditions import remove_watch

        remove_watch(self, address, io=io)

    def break_when(self, predicate):
        """Stop after the first instruction (or interrupt entry) after which `predicate`
        holds. A data condition built from the locations of pms150c/debug/conditions.py
        (``ram("_counter") >= 10``, ``(a == 0x42) & (flags.c == 1)``, ``pin(3) == 1``) is
        evaluated inside the core, at the debug variant's speed; any other callable is
        called as ``predicate(machine)`` after every instruction (the slow path). Returns
        `predicate`, the handle `remove_break_when` takes."""
        from .debug.conditions import Condition

        if isinstance(predicate, Condition):
            rows = predicate.rows(self)  # names resolved now: a bad one is an error here
            self._data_conditions.append((predicate, rows))
            self._build_conditions()
            return predicate
        if not callable(predicate):
            raise ArgumentError(
                "break_when needs a data condition or a function of the Machine, not "
                f"{validate.describe(predicate)}"
            )
        self._conditions.append(predicate)
        return predicate

    def remove_break_when(self, predicate=None) -> None:
        """Forget a `break_when` condition (every one with no argument); runs go back to
        the fast path when none is left. One that was not added is a `ConditionError`
        (pms150c/debug/conditions.py)."""
        if predicate is None:
            self._conditions.clear()
            self._data_conditions.clear()
            self._build_conditions()
            return
        for n, known in enumerate(self._conditions):
            if known is predicate:
                del self._conditions[n]
                return
        for n, (known, _rows) in enumerate(self._data_conditions):
            if known is predicate:
                del self._data_conditions[n]
                self._build_conditions()
                return
        from .debug.conditions import ConditionError

        raise ConditionError(f"{predicate!r} is not a break_when condition of this machine")

    def _build_conditions(self) -> None:
        """The core's condition rows: every conjunction of every data condition numbered
        as one group (see state.py, COND_*)."""
        from .debug.conditions import stack_rows

        self._cond_rows, self._cond_owners = stack_rows(self._data_conditions, self._clean)

    def _debug_hooks(self):
        trace, profile = self._trace_buffer, self._profile_counts
        if trace is None and profile is None and not self._watch_mask.any():
            return None
        if trace is None:
            trace = np.zeros((0, 6), np.int64)
        if profile is None:
            profile = np.zeros((2, ROM_WORDS), np.int64)
        return (self._watch_mask, trace, profile, self._rom)

    # -- running -----------------------------------------------------------------------------

    def _program(self) -> np.ndarray:
        if self._prog_dirty:
            self._prog = self._clean.copy()
            for pc in self.breakpoints:
                self._prog[pc] = core.OP_BREAK
            self._prog_dirty = False
        return self._prog

    def _translated(self) -> tuple | None:
        """The translation's argument for `core.run`, or None when this run interprets."""
        if self.translate is False or self.breakpoints:
            return None
        if self.translate is None and self._interpreted < AUTO_TRANSLATE_CYCLES:
            return None
        if self._translation is None:
            if not self._can_translate():
                return None
            from .translator import translate

            self._translation = translate(self._clean, written=self._written())
        return self._translation.blocks

    def _can_translate(self) -> bool:
        """Whether this llvmlite can translate; an explicit translate=True insists."""
        from .translator import unavailable

        why = unavailable()
        if why is not None and self.translate:
            raise ArgumentError(f"translate=True, but the block translator is not available: {why}")
        if why is not None:
            self.translate = False  # auto: interpret from now on
        return why is None

    def _call(self, prog: np.ndarray, end: int, blocks: tuple | None = None) -> int:
        hooks = self._debug_hooks()
        checks = None if self._checks is None else self._checks.arrays
        conds = self._cond_rows
        signals = self._signals
        edges = None if signals is None else signals.arrays
        observed = hooks is not None or checks is not None or conds is not None
        observed = observed or edges is not None
        start = self.cycles
        stops = int(self._regs[R_CLOCK_STOPS])
        while True:
            status = jitted(
                core.run,
                prog,
                self._ram,
                self._io,
                self._regs,
                self._sched,
                end,
                self.stack_checks,
                hooks,
                None if observed else blocks,
                checks,
                conds,
                edges,
            )
            if signals is not None:  # listeners see the rows (devices may answer now)
                signals.drain()
            if status == ST_EDGES_FULL or status == ST_EDGE_STOP:
                continue  # go on from where the core returned
            if status != ST_CHECK_FULL:
                break
            self._checks.drain(self._regs)  # then go on from the instruction it stopped at
        if blocks is None or observed:
            self._interpreted += self.cycles - start
        if int(self._regs[R_CLOCK_STOPS]) != stops:
            self._warn_clock_stop(int(self._regs[R_CLOCK_STOPS]) - stops, status)
        if status == ST_INVALID:
            raise InvalidOpcode(int(self._rom[self.pc]), self.pc, self.cycles)
        if status == ST_STACK:
            raise StackOverflow(self.sp, self.pc, self.cycles)
        if status == ST_BREAKPOINT and self._blank is not None and self._blank[self.pc]:
            raise BlankWordError(self.pc, self.cycles)
        return status

    _STOP_CAUSES = {
        CLOCK_STOP_RESERVED: "selects a reserved clock code (no oscillator)",
        CLOCK_STOP_DISABLED: "selects an oscillator it disables",
        CLOCK_STOP_SWITCH: "switches oscillator and disables the old one in the same write "
        "(DS 9.2.3: the MCU hangs)",
    }

    def _warn_clock_stop(self, count: int, status: int) -> None:
        """Record (and warn about) the clock stops of the last jitted call."""
        info = int(self._regs[R_CLOCK_STOP])
        pc = int(self._regs[R_CLOCK_STOP_PC])
        where = "the host's io_poke" if pc < 0 else f"the instruction at 0x{pc:03x}"
        text = (
            f"CLKMD = 0x{info >> 8:02x} written by {where} "
            f"{self._STOP_CAUSES.get(info & 0xFF, 'stops the clock')}: "
        )
        if status == ST_CLOCK_STOPPED:
            text += f"the system clock stopped at cycle {self.cycles}"
        else:
            text += "the system clock stopped and the watchdog reset the chip"
        if count > 1:
            text += f" ({count} clock stops in this run, the last one described)"
        self.warnings.append(text)
        warnings.warn(text, ClockWarning, stacklevel=_caller_level())

    def _reason(self, status: int) -> StopReason:
        if status == ST_CONDITION:
            pc = int(self._regs[R_WATCH_PC])
            return StopReason(
                StopKind.CONDITION,
                self.pc,
                self.cycles,
                instruction_pc=None if pc < 0 else pc,
                condition=self._cond_owners[int(self._regs[R_WATCH_INFO])],
            )
        if status == ST_WATCHPOINT:
            info = int(self._regs[R_WATCH_INFO])
            return StopReason(
                StopKind.WATCHPOINT,
                self.pc,
                self.cycles,
                address=info & 0xFF,
                access="read" if info >> 8 == 1 else "write",
                instruction_pc=int(self._regs[R_WATCH_PC]),
            )
        if status == ST_CLOCK_STOPPED:
            pc = int(self._regs[R_CLOCK_STOP_PC])
            return StopReason(
                StopKind.CLOCK_STOPPED,
                self.pc,
                self.cycles,
                instruction_pc=None if pc < 0 else pc,
            )
        kind = {
            ST_STOPSYS: StopKind.STOPSYS,
            ST_BREAKPOINT: StopKind.BREAKPOINT,
            ST_LIMIT: StopKind.MAX_CYCLES,
        }[status]
        return StopReason(kind, self.pc, self.cycles)

    def step(self) -> None:
        """One unit of progress: an instruction, an interrupt entry, or one cycle of stopexe;
        nothing in stopsys. Breakpoints and watchpoints do not stop a step."""
        self._call(self._clean, self.cycles + 1)

    def run(self, max_cycles: int | None = None) -> StopReason:
        """Run until stopsys, a breakpoint or watchpoint, or `max_cycles` cycles have passed.

        An instruction or interrupt entry that starts before the limit completes, so the
        run may end up to one cycle past it. Without a limit the run goes on until the
        program stops, in chunks, and Ctrl-C returns ``StopReason.INTERRUPTED`` with the
        state intact. A run that starts on a breakpoint executes that instruction first.
        """
        if max_cycles is not None:
            max_cycles = validate.integer(
                max_cycles, "max_cycles", high=validate.INT64_MAX - self.cycles
            )
        if max_cycles is not None and max_cycles <= 0:
            return StopReason(StopKind.MAX_CYCLES, self.pc, self.cycles)
        try:
            with ctrl_c.watching():
                if self._watch_values or self._conditions:
                    from .debug.conditions import run_with_conditions

                    return run_with_conditions(self, max_cycles)
                return self._run_chunks(max_cycles)
        except KeyboardInterrupt:
            return StopReason(StopKind.INTERRUPTED, self.pc, self.cycles)

    def _run_chunks(self, max_cycles: int | None) -> StopReason:
        """`run` in jitted calls of at most RUN_CHUNK_CYCLES; a Ctrl-C swallowed during
        one (see pms150c/ctrl_c.py) ends the run after it."""
        end_total = None if max_cycles is None else self.cycles + max_cycles
        if self.breakpoints and self.pc in self.breakpoints and self.mode == "running":
            status = self._call(self._clean, self.cycles + 1)
            if status != ST_LIMIT or (end_total is not None and self.cycles >= end_total):
                return self._reason(status)
        while True:
            end = self.cycles + RUN_CHUNK_CYCLES
            if end_total is not None:
                end = min(end, end_total)
            status = self._call(self._program(), end, self._translated())
            if status != ST_LIMIT or (end_total is not None and self.cycles >= end_total):
                return self._reason(status)
            ctrl_c.raise_if_pressed()

    def run_batch(
        self, slot_address: int, slot_words: np.ndarray, max_cycles: int, *, jobs: int = 1
    ) -> dict[str, np.ndarray]:
        """Run the image once per row of `slot_words`, each row written into ROM at word
        `slot_address`, each run from this Machine's power-on state (no pins driven; with
        undefined="random" the same drawn values every run) until stopsys or `max_cycles`,
        all in one jitted call. Returns arrays ``status`` (kind names), ``cycles``, ``ram`` [n, 64],
        ``stack_max``, ``instructions`` (executed). The Machine's own state is not touched.
        With the translator (see ``translate``), the slot's words are read at run time.
        ``jobs`` > 1 splits the rows over that many threads (the jitted batch releases the
        GIL, so they run on as many cores); the results are the same."""
        words = np.ascontiguousarray(check_words(slot_words, "slot words"))
        if words.ndim != 2:
            raise ArgumentError("slot_words must be a 2-D array [runs, words]")
        slot_address = validate.integer(slot_address, "slot_address", 0, ROM_WORDS - 1)
        if slot_address + words.shape[1] > ROM_WORDS:
            raise ArgumentError("the slot does not fit in ROM")
        max_cycles = validate.integer(max_cycles, "max_cycles", 0, validate.INT64_MAX)
        jobs = validate.integer(jobs, "jobs", 1, 1024)
        blocks = self._batch_blocks(slot_address, words.shape)

        def batch(rows: np.ndarray) -> tuple:
            return jitted(
                core.run_batch,
                self._clean,
                core.PACKED,
                slot_address,
                rows,
                max_cycles,
                self.stack_checks,
                self._power_on.ram,
                self._power_on.io,
                self._power_on.regs,
                blocks,
            )

        parts = np.array_split(words, min(jobs, max(1, len(words))))
        if len(parts) == 1:
            results = batch(words)
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(len(parts)) as pool:
                done = list(pool.map(batch, parts))
            results = tuple(np.concatenate(column) for column in zip(*done, strict=True))
        status, cycles, ram, stack_max, instructions, pcs, sps = results
        failed = np.flatnonzero(
            (status == ST_INVALID) | (status == ST_STACK) | (status == ST_BREAKPOINT)
        )
        if failed.size:
            i = int(failed[0])
            pc, cycle = int(pcs[i]), int(cycles[i])
            if status[i] == ST_STACK:
                raise StackOverflow(int(sps[i]), pc, cycle, run=i)
            if status[i] == ST_BREAKPOINT:  # the only BREAK words of a batch: blank ROM
                raise BlankWordError(pc, cycle, run=i)
            in_slot = slot_address <= pc < slot_address + words.shape[1]
            word = words[i, pc - slot_address] if in_slot else self._rom[pc]
            raise InvalidOpcode(int(word), pc, cycle, run=i)
        kinds = (status == ST_STOPSYS).astype(int) + 2 * (status == ST_CLOCK_STOPPED)
        names = np.array(["max_cycles", "stopsys", "clock_stopped"])[kinds]
        return {
            "status": names,
            "cycles": cycles,
            "ram": ram,
            "stack_max": stack_max,
            "instructions": instructions,
        }

    def _batch_blocks(self, slot_address: int, shape: tuple[int, int]) -> tuple | None:
        """The translation of the ROM with the slot left volatile, or None to interpret."""
        runs, width = shape
        if self.translate is False or (self.translate is None and runs < AUTO_TRANSLATE_RUNS):
            return None
        slot = (slot_address, slot_address + width)
        if self._batch_translation is None or self._batch_translation[0] != slot:
            if not self._can_translate():
                return None
            from .translator import translate

            written = self._written()
            written[slot[0] : slot[1]] = True
            self._batch_translation = (slot, translate(self._clean, volatile=slot, written=written))
        return self._batch_translation[1].blocks

    # -- states and calls ----------------------------------------------------------------------

    def save_state(self) -> MachineState:
        """A copy of the whole state, for `restore_state` or as the start of `call`s."""
        self._compact_schedule()
        return MachineState(
            _frozen_copy(self._ram),
            _frozen_copy(self._io),
            _frozen_copy(self._regs),
            _frozen_copy(self._sched),
        )

    def restore_state(self, state: MachineState) -> None:
        """Go back to a state `save_state` made (of this Machine or one of the same ROM)."""
        self._check_state(state)
        self._ram[:] = state.ram
        self._io[:] = state.io
        self._regs[:] = state.regs
        self._load_schedule(state.schedule)
        if self._signals is not None:
            self._signals.restart()

    def _check_state(self, state) -> None:
        """A state the core may copy from: the arrays `save_state` makes, with their dtypes
        and shapes (a MachineState is a plain dataclass: anyone can build one), and pin
        changes the Machine could have scheduled."""
        if not isinstance(state, MachineState):
            raise ArgumentError(f"state must be a MachineState, not {validate.describe(state)}")
        if not isinstance(state.regs, np.ndarray) or state.regs.shape != self._regs.shape:
            raise ArgumentError("the state was saved by a different version of pms150c")
        for name, mine in (("ram", self._ram), ("io", self._io), ("regs", self._regs)):
            theirs = getattr(state, name)
            if not (
                isinstance(theirs, np.ndarray)
                and theirs.dtype == mine.dtype
                and theirs.shape == mine.shape
                and theirs.flags.c_contiguous
            ):
                raise ArgumentError(f"state.{name} is not a {mine.dtype}{list(mine.shape)} array")
        rows = state.schedule
        if not (isinstance(rows, np.ndarray) and rows.dtype == np.int64 and rows.ndim == 2):
            raise ArgumentError("state.schedule is not an int64 [n, 3] array")
        if rows.shape[1] != 3 or (
            len(rows)
            and (
                not _valid_schedule_rows(rows)
                or (rows[:, 0] < 0).any()
                or (np.diff(rows[:, 0]) < 0).any()
            )
        ):
            raise ArgumentError("state.schedule holds pin changes no Machine could schedule")

    def _load_schedule(self, rows: np.ndarray) -> None:
        n = len(rows)
        if n > len(self._sched_buffer):
            self._sched_buffer = np.zeros((2 * n, 3), dtype=np.int64)
        self._sched_buffer[:n] = rows
        self._sched_len = n
        self._sched = self._sched_buffer[:n]

    def call(
        self,
        routine: int | str,
        *,
        a: int | None = None,
        ram: dict | None = None,
        flags: int | None = None,
        sp: int | None = None,
        state: MachineState | None = None,
        max_cycles: int = 1_000_000,
    ) -> CallResult:
        """Run `routine` (a ROM address, label or C function) as if called, from `state`
        (default: this Machine's power-on state, no pins driven) with A, FLAG, SP and the
        RAM bytes of `ram` ({address or variable name: value}; a name takes its size from
        the build) set first; return what it left once it returns.

        The return address is pushed at SP (the start state's unless `sp` is given; at
        power-on SP is 0, so it lands in RAM 0 and 1) and points at the fuse word 0x3FF,
        where the run stops. The Machine keeps the state the routine ended in. A routine
        that stops or runs `max_cycles` cycles without returning raises `CallError`.
        Calls interpret (no translator) and ignore breakpoints and watchpoints; with a
        saved `state` and plain RAM addresses one call costs a few microseconds."""
        entry = self._call_entry(routine)
        if state is None:
            start = self._power_on
        else:
            self._check_state(state)
            start = state
        pokes, named = self._call_pokes(ram)
        if named:  # variables by name: stored with write_var into the start state
            self.restore_state(start)
            for key, value in ram.items():
                if isinstance(key, str):
                    self.write_var(key, value)
            start = self.save_state()
        elif len(start.schedule) or self._sched_len:
            self._load_schedule(start.schedule)
        status = core.call_routine(
            self._call_prog,
            self._ram,
            self._io,
            self._regs,
            self._sched,
            start.ram,
            start.io,
            start.regs,
            pokes,
            entry,
            -1 if a is None else validate.integer(a, "a") & 0xFF,
            -1 if flags is None else validate.integer(flags, "flags") & 0x0F,
            -1 if sp is None else validate.integer(sp, "sp", 0, 0xFF),
            CALL_RETURN,
            validate.integer(max_cycles, "max_cycles", 1, validate.INT64_MAX),
            self.stack_checks,
        )
        if self._signals is not None:  # a call is not recorded: its state is not the run's
            self._signals.restart()
        return self._call_result(status, int(start.regs[R_CYCLES]), max_cycles)

    def _call_result(self, status: int, start_cycles: int, max_cycles: int) -> CallResult:
        regs = self._regs
        pc, cycles = int(regs[R_PC]), int(regs[R_CYCLES])
        if status == ST_BREAKPOINT and pc == CALL_RETURN:
            return CallResult(
                int(regs[R_A]),
                int(regs[R_FLAGS]),
                int(regs[R_SP]),
                cycles - start_cycles,
                self._ram.tobytes(),
            )
        if status == ST_INVALID:
            raise InvalidOpcode(int(self._rom[pc]), pc, cycles)
        if status == ST_STACK:
            raise StackOverflow(int(regs[R_SP]), pc, cycles)
        if status == ST_BREAKPOINT and self._blank is not None and self._blank[pc]:
            raise BlankWordError(pc, cycles)
        why = {
            ST_STOPSYS: "executed stopsys",
            ST_CLOCK_STOPPED: "stopped the system clock",
            ST_LIMIT: f"ran {max_cycles} cycles",
            ST_BREAKPOINT: "stopped at a BREAK word",
        }[status]
        raise CallError(f"the routine {why} without returning", pc, cycles)

    _NO_POKES = np.zeros(0, dtype=np.int64)

    def _call_pokes(self, ram: dict | None) -> tuple[np.ndarray, bool]:
        """(address, byte, address, byte, ...) of `ram`, and whether it names variables."""
        if ram is None or (isinstance(ram, dict) and not ram):
            return self._NO_POKES, False
        if not isinstance(ram, dict):
            raise ArgumentError(
                f"ram must be a dict {{address: byte}}, not {validate.describe(ram)}"
            )
        flat: list[int] = []
        named = False
        for key, value in ram.items():
            if type(key) is not int or not 0 <= key < RAM_BYTES:  # the fast path: plain ints
                if isinstance(key, str):
                    named = True
                    continue
                key = validate.integer(key, "RAM address", 0, RAM_BYTES - 1, error=AddressError)
            if type(value) is not int or not -128 <= value <= 255:
                value = validate.integer(value, f"the byte at RAM 0x{key:02x}", -128, 255)
            flat.append(key)
            flat.append(value & 0xFF)
        return np.array(flat, dtype=np.int64), named

    def _call_entry(self, routine: int | str) -> int:
        if not isinstance(routine, str):
            routine = validate.integer(routine, "routine", error=LabelError)
        key = (type(routine), routine)  # 1 and True are different routines to a dict
        if key not in self._call_entries:
            self._call_entries[key] = self._breakpoints._resolve(routine)
        return self._call_entries[key]

    # -- observation -------------------------------------------------------------------------

    def snapshot(self) -> dict:
        """The observable state as docs/timing-model.md defines it (compared with ==)."""
        return {
            "a": self.a,
            "pc": self.pc,
            "sp": self.sp,
            "flags": int(self._regs[R_FLAGS]),
            "gie": self.gie,
            "cycles": self.cycles,
            "mode": self.mode,
            "ram": bytes(self._ram),
            "io": bytes(self.io_peek(i) for i in range(IO_REGS)),
            "t16": self.t16,
            "pins": self.pins,
            "resets": self.resets,
            "time_fs": time_units_at(self._regs, self._io, self.cycles),
            "ihrc_hz": self.ihrc_hz,
            "ilrc_hz": self.ilrc_hz,
        }

    def __repr__(self) -> str:
        return (
            f"Machine(pc=0x{self.pc:03x}, a=0x{self.a:02x}, sp=0x{self.sp:02x}, "
            f"flags={int(self.flags):04b}, cycles={self.cycles}, {self.mode})"
        )


# Host-side registers a power-on keeps: VDD and the analog levels on the pins.
HOST_SLOTS = [R_VDD_UV, R_AN_DRIVEN, *range(R_AN_BASE, R_AN_BASE + 8)]
ANALOG_RANGE = (-0.3, 5.8)  # a pin's voltage: DS 4.1 VIN -0.3 V .. VDD + 0.3 V at 5.5 V
VDD_RANGE = (0.0, 5.5)  # DS 4.2: the maximum rating is 5.5 V


def _vdd_microvolts(volts) -> int:
    low, high = VDD_RANGE
    return round(validate.number(volts, "vdd", low, high) * 1e6)


def _analog_pin(pin) -> int:
    """A pin given as 4 or "pa4"."""
    if isinstance(pin, str):
        name = pin.strip().lower()
        if not (name.startswith("pa") and name[2:].isdigit()):
            raise PinError(f"no pin named {shorten(printable(repr(pin)), 20)} (pa0, pa3..pa7, vdd)")
        pin = int(name[2:])
    return Machine._pin_number(pin)


def _valid_schedule_rows(rows: np.ndarray) -> bool:
    """Rows the Machine could have scheduled: a pin and 0/1/-1, an analog pin and
    microvolts (or -1), or VDD and microvolts."""
    code, level = rows[:, 1], rows[:, 2]
    digital = np.isin(code, PA_PINS)
    analog = np.isin(code, [CODE_ANALOG + p for p in PA_PINS])
    vdd = code == CODE_VDD
    high = round(ANALOG_RANGE[1] * 1e6)
    ok = (
        (digital & np.isin(level, (-1, 0, 1)))
        | (analog & ((level == -1) | ((level >= 0) & (level <= high))))
        | (vdd & (level >= 0) & (level <= round(VDD_RANGE[1] * 1e6)))
    )
    return bool(ok.all())


def _caller_level() -> int:
    """The `stacklevel` of warnings.warn, called from here, that names the first frame
    outside this package (the user's run() or step() call)."""
    package = str(Path(__file__).parent)
    frame, level = sys._getframe(2), 2  # 1: the function that warns
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def jitted(function, *args):
    """``function(*args)`` for a jitted function, with Ctrl-C as KeyboardInterrupt.

    A SIGINT whose handler runs while Numba boxes a jitted function's result makes the call
    fail with SystemError ("returned a result with an exception set"), caused by the
    KeyboardInterrupt (through Numba's own helpers, a chain of such SystemErrors): that is
    a Ctrl-C, and it is raised as one."""
    try:
        return function(*args)
    except (SystemError, RuntimeError) as exc:
        if interrupted(exc):  # Numba may wrap it several times over
            raise KeyboardInterrupt from None
        raise


def _frozen_view(array: np.ndarray) -> np.ndarray:
    """A read-only view: its flags and shape are its own, the core's array stays as it is."""
    view = array.view()
    view.flags.writeable = False
    return view


def _access_bits(read: bool, write: bool) -> int:
    return (1 if validate.flag(read, "read") else 0) | (2 if validate.flag(write, "write") else 0)
