"""The MNIST kernels on the emulated chip: find, assemble, feed an image, read the digit.

A kernel is an assembly program in asm/ with a reserved ROM table `image_slot` .. `image_end`
of `ret #k` words. The host writes the image there (as a programmer would burn it into the
OTP ROM: the host never touches RAM), powers the chip on and runs it to `stopsys`. The
kernel leaves the digit in RAM at `DIGIT` (also on pins PA4..PA7) and the ten logits as
int16 at `L0`. Two slot formats exist: 32 words with two 4-bit pixels each (pixel 2q in the
low nibble of word q; the main kernel) and 64 words with one pixel each (the BitNetPDK-shape
kernel, whose pixels go up to 31).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from pms150c.device import RAM_BYTES, ROM_WORDS
from pms150c.errors import DataError, Pms150cError, printable
from pms150c.image import Image

MAIN_FIRMWARE = "mnist.asm"
BITNET_FIRMWARE = "mnist_bitnet.asm"
RET_K = 0x0100
MAX_CYCLES = 2_000_000  # a stuck kernel stops here instead of running forever
# Words 0x3F0..0x3FF of the real chip are the system area: the writer programs the IHRC and
# bandgap calibration there and the fuse word at 0x3FF, so firmware must leave them blank.
SYSTEM_AREA = 0x3F0
DIGITS = 10


def firmware_dir() -> Path:
    """asm/ next to the package in a source checkout, or pms150c/_asm inside a wheel."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package.parent / "asm", package / "_asm"):
        if (candidate / MAIN_FIRMWARE).is_file():
            return candidate
    raise DataError("the kernel sources (asm/mnist.asm) are not installed with this package")


@dataclass
class Kernel:
    """An assembled kernel and where its image slot, digit and logits are."""

    image: Image
    name: str = "kernel"
    slot: int = field(init=False)
    slot_words: int = field(init=False)
    digit_address: int = field(init=False)
    logits_address: int = field(init=False)

    def __post_init__(self) -> None:
        labels = self.image.labels
        symbols = self.image.symbols
        try:
            self.slot = int(labels["image_slot"])
            self.slot_words = int(labels["image_end"]) - self.slot
            self.digit_address = int(symbols["DIGIT"])
            self.logits_address = int(symbols["L0"])
        except KeyError as exc:
            raise DataError(f"{self.name}: not an MNIST kernel (no symbol {exc})") from None
        if self.slot_words not in (32, 64):
            raise DataError(f"{self.name}: image slot of {self.slot_words} words, expected 32/64")
        if not 0 <= self.slot <= ROM_WORDS - self.slot_words:
            raise DataError(f"{self.name}: image slot at 0x{self.slot:x} leaves ROM")
        # DIGIT is one byte of RAM, L0 the first of ten int16 logits: all of them in RAM
        if not 0 <= self.digit_address < RAM_BYTES:
            raise DataError(
                f"{self.name}: DIGIT = 0x{self.digit_address:x} is outside RAM (0..0x3f)"
            )
        if not 0 <= self.logits_address <= RAM_BYTES - 2 * DIGITS:
            raise DataError(
                f"{self.name}: L0 = 0x{self.logits_address:x}: the ten int16 logits from "
                f"there leave RAM (L0 must be 0..0x{RAM_BYTES - 2 * DIGITS:x})"
            )
        system = np.flatnonzero(self.image.written[SYSTEM_AREA:])
        if system.size:
            raise DataError(
                f"{self.name}: writes word 0x{SYSTEM_AREA + int(system[0]):03x}; words "
                f"0x{SYSTEM_AREA:03x}-0x3ff are the chip's calibration and fuse area"
            )

    @property
    def xmax(self) -> int:
        """Largest pixel value the slot format holds."""
        return 15 if self.slot_words == 32 else 255

    @property
    def kind(self) -> str:
        return "main" if self.slot_words == 32 else "bitnet"

    def rom_words(self) -> int:
        """ROM words the kernel occupies: code, tables and the image slot."""
        return self.image.used_words

    def rom_top(self) -> int:
        """Highest ROM word address the kernel writes (below SYSTEM_AREA)."""
        return int(np.flatnonzero(self.image.written).max())

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Slot words for a batch of input vectors `x` int[N, 64]."""
        x = np.atleast_2d(np.asarray(x))
        if x.shape[1:] != (64,):
            raise DataError(f"input vectors must have 64 pixels, got shape {x.shape}")
        if x.size and (x.min() < 0 or x.max() > self.xmax):
            raise DataError(f"pixels must be 0..{self.xmax} for this kernel")
        x = x.astype(np.int64)
        data = x[:, 0::2] | (x[:, 1::2] << 4) if self.slot_words == 32 else x
        return RET_K | data

    def rom_with(self, x: np.ndarray) -> Image:
        """The ROM image with one input vector burnt into the slot."""
        words = self.image.words.astype(np.int64)
        words[self.slot : self.slot + self.slot_words] = self.encode(x)[0]
        img = self.image
        return Image(words, img.symbols, img.source, img.written, img.labels)

    def run(self, x: np.ndarray, max_cycles: int = MAX_CYCLES) -> dict[str, np.ndarray]:
        """Run a batch from power-on; returns digits, logits, cycles, instructions (executed),
        stack_max, ram."""
        from pms150c.machine import Machine

        words = self.encode(x)
        out = Machine(self.image).run_batch(self.slot, words, max_cycles)
        if (out["status"] != "stopsys").any():
            i = int(np.flatnonzero(out["status"] != "stopsys")[0])
            raise Pms150cError(f"{self.name}: run {i} did not reach stopsys in {max_cycles} cycles")
        ram = np.asarray(out["ram"], dtype=np.uint8)
        lo = self.logits_address
        logits = ram[:, lo : lo + 2 * DIGITS].copy().view("<i2").astype(np.int64)
        digits = ram[:, self.digit_address].astype(np.int64)
        wild = np.flatnonzero(digits >= DIGITS)
        if wild.size:
            i = int(wild[0])
            raise DataError(
                f"{self.name}: run {i} left {digits[i]} at DIGIT (0x{self.digit_address:02x}), "
                "not a digit 0..9"
            )
        return {
            "digits": digits,
            "logits": logits,
            "cycles": np.asarray(out["cycles"], dtype=np.int64),
            "instructions": np.asarray(out["instructions"], dtype=np.int64),
            "stack_max": np.asarray(out["stack_max"], dtype=np.int64),
            "ram": ram,
        }

    def ram_footprint(self, x: np.ndarray) -> dict[str, int]:
        """RAM the kernel writes for one input, found by poisoning RAM before power-on runs.

        Three runs start with every RAM byte at 0x00, 0xFF and 0x5A; a byte counts as used
        when it ends different from its poison in any run. Returns the count, the highest
        used address and the stack high-water mark (SP after the deepest push)."""
        from pms150c.machine import Machine

        image = self.rom_with(x)
        used = np.zeros(64, dtype=bool)
        stack_max = 0
        from pms150c.machine import StopKind

        for poison in (0x00, 0xFF, 0x5A):
            m = Machine(image)
            m.ram[:] = poison
            if m.run(MAX_CYCLES) == StopKind.INTERRUPTED:  # Ctrl-C: not a result to keep
                raise KeyboardInterrupt
            used |= m.ram != poison
            stack_max = max(stack_max, m.stack_max)
        addresses = np.flatnonzero(used)
        return {
            "ram_bytes": int(used.sum()),
            "ram_top": int(addresses.max()) if addresses.size else -1,
            "stack_max": stack_max,
        }


def assemble_kernel(path: str | Path) -> Kernel:
    """Assemble an .asm kernel, or load an .ihx built from one.

    An Intel HEX file carries no symbols, so the slot, DIGIT and L0 come from the .asm of the
    same name next to it if there is one, else from the shipped kernel (main or BitNetPDK)
    whose code the .ihx has (`same_layout`): both kernels' code and addresses do not depend on
    the weights, so an .ihx of a shipped kernel built with any model's include is recognised.
    """
    from pms150c.files import kind
    from pms150c.toolchain.assembler import assemble_file
    from pms150c.validate import path as as_path

    path = as_path(path, "the firmware file name", error=DataError)
    if kind(path) == "missing":
        raise DataError(f"{printable(str(path))}: no such firmware file")
    suffix = path.suffix.lower()
    if suffix == ".asm":
        return Kernel(assemble_file(path), path.name)
    if suffix not in (".ihx", ".hex"):
        raise DataError(f"{path.name}: firmware must be .asm or .ihx")
    loaded = Image.from_ihx(path)
    candidates = []
    if kind(path.with_suffix(".asm")) == "file":
        candidates.append(Kernel(assemble_file(path.with_suffix(".asm")), path.name))
    candidates += [shipped_kernel(MAIN_FIRMWARE), shipped_kernel(BITNET_FIRMWARE)]
    for kernel in candidates:
        if same_layout(kernel, loaded):
            img = kernel.image
            image = Image(loaded.words, img.symbols, None, loaded.written, img.labels)
            return Kernel(image, path.name)
    raise DataError(
        f"{path.name}: not a build of asm/mnist.asm or asm/mnist_bitnet.asm; "
        "pass its .asm (or put the .asm of the same name next to it)"
    )


def same_layout(kernel: Kernel, loaded: Image) -> bool:
    """Whether `loaded` has the code of `kernel` with any weights: the words before the image
    slot agree in their opcode bits (immediates such as SHIFT1 and table addresses may
    differ) and the slot holds `ret k` words."""
    a = kernel.image.words[: kernel.slot].astype(np.int64)
    b = loaded.words[: kernel.slot].astype(np.int64)
    slot = loaded.words[kernel.slot : kernel.slot + kernel.slot_words].astype(np.int64)
    return bool((a >> 8 == b >> 8).all() and (slot & 0x1F00 == RET_K).all())


def same_rom(kernel: Kernel, other: Kernel) -> bool:
    """Whether two kernels have the same ROM apart from the image slot (same code and
    weights), e.g. whether a firmware file is the shipped kernel with the shipped model."""
    a = kernel.image.words.astype(np.int64)
    b = other.image.words.astype(np.int64)
    if kernel.slot != other.slot or kernel.slot_words != other.slot_words:
        return False
    mask = np.ones(a.shape, dtype=bool)
    mask[kernel.slot : kernel.slot + kernel.slot_words] = False
    return bool((a[mask] == b[mask]).all())


def build_kernel(model=None, firmware: str = MAIN_FIRMWARE) -> Kernel:
    """Assemble a shipped kernel; with `model`, with that model's weights instead of the
    committed include (the include is generated into a temporary copy of asm/)."""
    from pms150c.mnist import export
    from pms150c.toolchain.assembler import assemble_file

    src = firmware_dir() / firmware
    if model is None:
        return Kernel(assemble_file(src), firmware)
    inc_name, make_include = export.INCLUDES[firmware]
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(src, Path(tmp) / firmware)
        (Path(tmp) / inc_name).write_text(make_include(model))
        return Kernel(assemble_file(Path(tmp) / firmware), firmware)


@lru_cache(maxsize=2)
def shipped_kernel(firmware: str = MAIN_FIRMWARE) -> Kernel:
    return build_kernel(None, firmware)


def classify(image: np.ndarray) -> tuple[int, int]:
    """Classify one digit on the emulated PMS150C with the shipped main kernel.

    `image` is a 28x28 grey MNIST-style image (uint8, 0..255), which is preprocessed as the
    shipped model expects, or the model's 64-pixel input vector (values 0..15). Returns
    `(digit, cycles)`; the chip runs at 8 MHz, so cycles / 8000 is the time in ms.
    """
    from pms150c.mnist.data import preprocess
    from pms150c.mnist.model import default_model

    arr = np.asarray(image)
    if arr.shape == (28, 28):
        arr = preprocess(arr[None].astype(np.uint8), default_model().spec)[0]
    elif arr.size == 64:
        arr = arr.reshape(64)
    else:
        raise DataError(f"classify takes a 28x28 image or 64 pixels, got shape {arr.shape}")
    out = shipped_kernel().run(arr[None])
    return int(out["digits"][0]), int(out["cycles"][0])
