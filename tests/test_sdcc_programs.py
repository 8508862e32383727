"""Real firmware nobody here wrote: C compiled by SDCC (`sdcc -mpdk13`), run from its .ihx.

The C sources are in tests/c/. Each test compiles one with the inputs it chooses (as -D
macros), runs the image until the program's `stopsys`, reads the results from RAM at the
addresses of the C globals (from the symbols SDCC wrote beside the .ihx, pms150c/sdcc.py),
and checks them against the same computation done in Python. SDCC's start-up code, its ROM
tables (`ret k` through `pcadd`), its runtime library (_mulint, _divuint, _moduint,
_divsint, _modsint) and its interrupt entry code run unchanged. Every program runs in both
the fast Machine and the reference interpreter, which must agree exactly (cycles included).
"""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from pms150c.image import Image
from pms150c.machine import Machine
from pms150c.reference import ReferenceMachine, StopReason

C_DIR = Path(__file__).parent / "c"
HAVE_SDCC = shutil.which("sdcc") is not None and shutil.which("sdaspdk13") is not None
pytestmark = [
    pytest.mark.sdcc,
    pytest.mark.skipif(not HAVE_SDCC, reason="sdcc with the pdk13 port (Debian 'sdcc') not found"),
]
MAX_CYCLES = 2_000_000


class Firmware:
    """A compiled program: its image and the RAM address of each C variable."""

    def __init__(self, ihx: Path):
        self.image = Image.from_ihx(ihx)
        variables = self.image.symbol_table.variables
        self.symbols = {name: v.address for name, v in variables.items() if v.space == "ram"}


def compile_c(name: str, tmp_path: Path, **defines: str | int) -> Firmware:
    args = ["sdcc", "-mpdk13", "-o", str(tmp_path / f"{name}.ihx")]
    args += [f"-D{key}={value}" for key, value in defines.items()]
    args.append(str(C_DIR / f"{name}.c"))
    done = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return Firmware(tmp_path / f"{name}.ihx")


class Run:
    """A program run to its `stopsys` in the fast core, checked against the reference."""

    def __init__(self, firmware: Firmware):
        self.symbols = firmware.symbols
        reference = ReferenceMachine(firmware.image)
        assert reference.run(MAX_CYCLES) == StopReason.STOPSYS
        self.snapshot = reference.snapshot()
        fast = Machine(firmware.image)
        assert fast.run(MAX_CYCLES) == StopReason.STOPSYS
        assert fast.snapshot() == self.snapshot
        self.ram = self.snapshot["ram"]

    def byte(self, symbol: str, offset: int = 0) -> int:
        return self.ram[self.symbols[symbol] + offset]

    def word(self, symbol: str) -> int:
        return self.byte(symbol) | self.byte(symbol, 1) << 8

    def signed_word(self, symbol: str) -> int:
        value = self.word(symbol)
        return value - 0x10000 if value & 0x8000 else value


# -- CRC-8 ------------------------------------------------------------------------------------


def crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


@pytest.mark.parametrize(
    "message", ["123456789", "", "Hello, PMS150C!", "The quick brown fox jumps over 13 dogs"]
)
def test_crc8_of_a_string_in_rom(message, tmp_path):
    run = Run(compile_c("crc8", tmp_path, MESSAGE=f'"{message}"'))
    assert run.byte("_length") == len(message)
    assert run.byte("_crc") == crc8(message.encode())


def test_crc8_check_value_is_the_published_one():
    """CRC-8/SMBUS check value for "123456789" (catalogue of parametrised CRCs): 0xF4."""
    assert crc8(b"123456789") == 0xF4


# -- sort -------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_insertion_sort_in_ram(seed, tmp_path):
    rng = random.Random(seed)
    values = [rng.randrange(256) for _ in range(rng.randrange(1, 17))]
    run = Run(compile_c("sort", tmp_path, VALUES=",".join(map(str, values))))
    start = run.symbols["_values"]
    assert list(run.ram[start : start + len(values)]) == sorted(values)
    assert run.byte("_done") == 1


# -- 16-bit arithmetic through the runtime library ---------------------------------------------


@pytest.mark.parametrize(
    "x, y", [(1234, 56), (65535, 65535), (65535, 1), (7, 300), (40000, 255), (0, 3)]
)
def test_unsigned_16bit_multiply_divide_modulo(x, y, tmp_path):
    run = Run(compile_c("muldiv", tmp_path, X=x, Y=y))
    assert run.word("_product") == (x * y) & 0xFFFF
    assert run.word("_quotient") == x // y
    assert run.word("_remainder") == x % y


def c_divide(x: int, y: int) -> tuple[int, int]:
    """C's division: quotient truncated toward zero, remainder with the dividend's sign."""
    q = abs(x) // abs(y)
    if (x < 0) != (y < 0):
        q = -q
    return q, x - q * y


def wrap16(value: int) -> int:
    value &= 0xFFFF
    return value - 0x10000 if value & 0x8000 else value


@pytest.mark.parametrize(
    "x, y", [(-1234, 56), (1234, -56), (-32768, 7), (32767, -1), (-5, -3), (300, 300)]
)
def test_signed_16bit_multiply_divide_modulo(x, y, tmp_path):
    run = Run(compile_c("smuldiv", tmp_path, X=f"({x})", Y=f"({y})"))
    quotient, remainder = c_divide(x, y)
    assert run.signed_word("_product") == wrap16(x * y)
    assert run.signed_word("_quotient") == quotient
    assert run.signed_word("_remainder") == remainder


# -- an interrupt routine in C -----------------------------------------------------------------


@pytest.mark.parametrize("ticks", [1, 5, 12])
def test_timer16_interrupt_routine_in_c(ticks, tmp_path):
    """T16 counts the system clock from 0; bit 8 rises at 256 counts, then every 512, so the
    ISR's n-th interrupt is at 256 + 512 (n - 1) counts. main then needs a few dozen cycles to
    notice and stop (stopsys freezes T16)."""
    run = Run(compile_c("t16_isr", tmp_path, TICKS=ticks))
    assert run.byte("_ticks") == ticks
    last_edge = 256 + 512 * (ticks - 1)
    assert last_edge <= run.snapshot["t16"] < last_edge + 64
