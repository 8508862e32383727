"""The assembly kernels compute IntModel.forward bit for bit, within the chip's budget.

Random weight tables are exported and assembled into the kernels, so the kernels are checked
for any weights in range, not only for the trained ones; images are random and adversarial
(all white, all black, checkerboards, single bright pixels).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pms150c.errors import AssemblerError, DataError
from pms150c.mnist import export
from pms150c.mnist.data import PreprocessSpec
from pms150c.mnist.kernel import (
    BITNET_FIRMWARE,
    MAIN_FIRMWARE,
    SYSTEM_AREA,
    Kernel,
    build_kernel,
    firmware_dir,
)
from pms150c.mnist.model import IntModel, Layer, bitnet_model, default_model

VALUES = np.array([-2, -1, 1, 2], dtype=np.int8)
MAIN_CYCLE_BUDGET = 30_000  # issue target: mean <= 30,000 per inference over the test set
# The main kernel skips black pixel pairs and zero hidden values, so its time depends on the
# image; with no zeros to skip (all pixels and hidden values non-zero) it takes about 38,600.
MAIN_WORST_CYCLES = 40_000


def random_main(seed: int, hidden: int, shift: int = 3, hmax: int = 31) -> IntModel:
    rng = np.random.default_rng(seed)
    return IntModel(
        PreprocessSpec(),
        [
            Layer(rng.choice(VALUES, (hidden, 64)), shift, hmax),
            Layer(rng.choice(VALUES, (10, hidden))),
        ],
    )


def random_bitnet(seed: int, shifts=(3, 3, 3), hmax=(127, 127, 127)) -> IntModel:
    rng = np.random.default_rng(seed)
    sizes = [64, 16, 16, 16, 10]
    layers = [
        Layer(rng.choice(VALUES, (sizes[k + 1], sizes[k])), shifts[k], hmax[k]) for k in range(3)
    ]
    layers.append(Layer(rng.choice(VALUES, (10, 16))))
    return IntModel(PreprocessSpec(xmax=31), layers)


def sparse(rng, n: int) -> np.ndarray:
    """Random images with about half of their pixels black, as in MNIST: the main kernel
    skips image bytes of 0 (both pixels black), so these exercise both of its paths."""
    return rng.integers(0, 16, (n, 64)) * (rng.random((n, 64)) < 0.5)


def adversarial(xmax: int) -> np.ndarray:
    grid = np.indices((8, 8)).sum(axis=0) % 2
    rows = [
        np.full(64, xmax),
        np.zeros(64),
        (grid * xmax).ravel(),
        ((1 - grid) * xmax).ravel(),
        np.tile([xmax, 0], 32),
        np.repeat([xmax, 0], 32),
    ]
    rows += [np.eye(64, dtype=np.int64)[i] * xmax for i in (0, 27, 63)]
    return np.array(rows, dtype=np.int64)


def declared_ram_top(kernel) -> int:
    """Highest RAM address the kernel's source names (its constants below 0x40, not labels)."""
    image = kernel.image
    return max(v for k, v in image.symbols.items() if k not in image.labels and 0 <= v < 0x40)


@lru_cache(maxsize=8)
def main_kernel(seed: int, hidden: int, shift: int = 3, hmax: int = 31):
    model = random_main(seed, hidden, shift, hmax)
    return model, build_kernel(model, MAIN_FIRMWARE)


@lru_cache(maxsize=4)
def bitnet_kernel(seed: int, shifts=(3, 3, 3), hmax=(127, 127, 127)):
    model = random_bitnet(seed, shifts, hmax)
    return model, build_kernel(model, BITNET_FIRMWARE)


def assert_same(model: IntModel, kernel, x: np.ndarray) -> dict:
    digits, inter = model.forward(x)
    out = kernel.run(x)
    np.testing.assert_array_equal(out["logits"], inter[-1])
    np.testing.assert_array_equal(out["digits"], digits)
    return out


# --- the main kernel (64-H-10) ----------------------------------------------------------------


@pytest.mark.parametrize(
    "seed, hidden, shift, hmax",
    [(1, 40, 3, 31), (2, 8, 0, 85), (3, 12, 5, 7), (4, 4, 15, 1), (5, 20, 1, 63), (6, 2, 2, 85)],
)
def test_main_kernel_matches_reference_for_random_weights(seed, hidden, shift, hmax):
    model, kernel = main_kernel(seed, hidden, shift, hmax)
    rng = np.random.default_rng(seed + 100)
    x = np.concatenate([rng.integers(0, 16, (60, 64)), sparse(rng, 60), adversarial(15)])
    assert_same(model, kernel, x)


def test_main_kernel_exercises_both_clip_ends_and_ties():
    # with small hmax most hidden values saturate and many logits tie: argmax must pick the
    # first index, and negative sums must give 0
    model, kernel = main_kernel(3, 12, 5, 7)
    rng = np.random.default_rng(7)
    x = rng.integers(0, 16, (200, 64))
    _, inter = model.forward(x)
    hidden = inter[0]
    assert (hidden == 0).any() and (hidden == 7).any()
    logits = inter[-1]
    assert ((logits == logits.max(axis=1, keepdims=True)).sum(axis=1) > 1).any()
    assert_same(model, kernel, x)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 15), min_size=64, max_size=64))
def test_main_kernel_matches_reference_for_any_image(pixels):
    model, kernel = main_kernel(1, 40)
    assert_same(model, kernel, np.array([pixels]))


def test_main_kernel_cycles_and_memory_within_budget():
    model, kernel = main_kernel(1, 40)
    rng = np.random.default_rng(11)
    x = np.concatenate([rng.integers(0, 16, (40, 64)), sparse(rng, 40), adversarial(15)])
    out = assert_same(model, kernel, x)
    assert out["cycles"].max() <= MAIN_WORST_CYCLES
    # black pixel pairs are skipped: the all-black image is the fastest, all-white slower
    black, white = out["cycles"][-8], out["cycles"][-9]
    assert black == out["cycles"].min() and white > out["cycles"][40:80].max()
    assert kernel.rom_words() <= SYSTEM_AREA and kernel.rom_top() < SYSTEM_AREA
    for image in (x[0], adversarial(15)[0], adversarial(15)[1]):
        foot = kernel.ram_footprint(image)
        # nothing is written above the highest variable the source declares (PHI, 0x3d)
        assert foot["ram_top"] == declared_ram_top(kernel) == 0x3D
        assert foot["stack_max"] == kernel.image.symbols["STACK"] + 2
    # the stack is one level: SP never goes past the return address at 0x3a/0x3b
    assert int(out["stack_max"].max()) == 0x3C


def test_main_kernel_digit_is_on_port_a():
    from pms150c.machine import Machine

    model, kernel = main_kernel(2, 8, 0, 85)
    x = np.random.default_rng(3).integers(0, 16, (5, 64))
    digits, _ = model.forward(x)
    for row, digit in zip(x, digits, strict=True):
        m = Machine(kernel.rom_with(row))
        m.run(100_000)
        assert m.mode == "stopsys"
        assert m.pins >> 4 == digit
        assert m.io_peek("pac") == 0xF0


def test_main_kernel_does_not_read_uninitialised_ram():
    # a run from RAM full of 0xff must give the same result as from zeros
    from pms150c.machine import Machine

    model, kernel = main_kernel(5, 20, 1, 63)
    row = np.random.default_rng(4).integers(0, 16, 64)
    results = []
    for poison in (0x00, 0xFF):
        m = Machine(kernel.rom_with(row))
        m.ram[:] = poison
        m.run(100_000)
        results.append((m.ram[kernel.digit_address], bytes(m.ram[0x20:0x34]), m.cycles))
    assert results[0] == results[1]


def test_main_kernel_worst_case_has_no_zero_to_skip():
    # all weights +2 and a white image: every hidden value is non-zero (the clip ceiling)
    model = IntModel(
        PreprocessSpec(),
        [Layer(np.full((40, 64), 2, np.int8), 0, 85), Layer(np.full((10, 40), 2, np.int8))],
    )
    kernel = build_kernel(model, MAIN_FIRMWARE)
    out = assert_same(model, kernel, adversarial(15)[:1])
    assert (model.forward(adversarial(15)[:1])[1][0] == 85).all()
    assert out["cycles"][0] <= MAIN_WORST_CYCLES


def test_shipped_main_kernel_mean_cycles_on_the_test_set_within_budget():
    from pms150c.mnist.kernel import shipped_kernel
    from pms150c.mnist.model import shipped_test_set

    x, _ = shipped_test_set("main")
    out = assert_same(default_model(), shipped_kernel(MAIN_FIRMWARE), x)
    assert out["cycles"].mean() <= MAIN_CYCLE_BUDGET
    assert out["cycles"].max() <= MAIN_WORST_CYCLES


def test_export_rejects_models_the_main_kernel_cannot_run():
    with pytest.raises(DataError, match="even width"):
        export.main_include(random_main(0, 7))
    with pytest.raises(DataError, match="hmax"):
        export.main_include(random_main(0, 8, hmax=86))
    with pytest.raises(DataError, match="one hidden layer"):
        export.main_include(random_bitnet(0))


def assert_system_area_blank(kernel) -> None:
    assert not kernel.image.written[SYSTEM_AREA:].any()
    assert (kernel.image.words[SYSTEM_AREA:] == 0x1FFF).all()


@pytest.mark.parametrize("firmware", [MAIN_FIRMWARE, BITNET_FIRMWARE])
def test_shipped_kernels_leave_the_system_area_blank(firmware):
    from pms150c.mnist.kernel import shipped_kernel

    kernel = shipped_kernel(firmware)
    assert_system_area_blank(kernel)
    assert kernel.rom_top() < SYSTEM_AREA


def test_random_weight_kernels_leave_the_system_area_blank():
    assert_system_area_blank(main_kernel(1, 40)[1])
    assert_system_area_blank(bitnet_kernel(1)[1])


def test_main_kernel_too_wide_for_the_rom_fails_at_the_system_area_guard():
    # 64-40-10 fills the 1008 usable words exactly; two more neurons need 37 words more
    with pytest.raises(AssemblerError, match=r"\.ds 2 \* 0x3f0"):
        build_kernel(random_main(0, 42), MAIN_FIRMWARE)


def test_kernel_rejects_an_image_that_writes_the_system_area():
    _, kernel = main_kernel(2, 8, 0, 85)
    written = kernel.image.written.copy()
    written[SYSTEM_AREA + 5] = True
    image = type(kernel.image)(
        kernel.image.words, kernel.image.symbols, None, written, kernel.image.labels
    )
    with pytest.raises(DataError, match="0x3f5"):
        Kernel(image, "bad")


def test_weight_bits_encode_w_as_3u_plus_v_minus_2():
    w = np.array([-2, -1, 1, 2])
    u, v = export.weight_bits(w)
    np.testing.assert_array_equal(3 * u + v - 2, w)
    with pytest.raises(DataError):
        export.weight_bits(np.array([0]))


# --- the BitNetPDK-shape kernel (64-16-16-16-10) ------------------------------------------------


@pytest.mark.parametrize(
    "seed, shifts, hmax", [(1, (3, 3, 3), (127, 127, 127)), (2, (0, 5, 2), (3, 100, 9))]
)
def test_bitnet_kernel_matches_reference_for_random_weights(seed, shifts, hmax):
    model, kernel = bitnet_kernel(seed, shifts, hmax)
    rng = np.random.default_rng(seed + 200)
    x = np.concatenate([rng.integers(0, 32, (60, 64)), adversarial(31)])
    out = assert_same(model, kernel, x)
    assert kernel.rom_words() <= 1024
    foot = kernel.ram_footprint(x[0])
    # nothing above the declared variables; the stack (two levels) stops below the weight pointer
    assert foot["ram_top"] <= declared_ram_top(kernel)
    assert foot["stack_max"] == kernel.image.symbols["STACK"] + 4 == kernel.image.symbols["PLO"]
    assert out["cycles"].max() < 40_000


# --- the shipped firmware ---------------------------------------------------------------------


def test_committed_includes_are_what_the_export_command_writes(tmp_path):
    # `python -m pms150c.mnist.export` writes both includes from the shipped models
    written = export.write_includes(tmp_path)
    assert sorted(p.name for p in written) == ["mnist_bitnet_weights.inc", "mnist_weights.inc"]
    for path in written:
        committed = firmware_dir() / path.name
        assert committed.is_file(), f"asm/{path.name} missing: run python -m pms150c.mnist.export"
        assert committed.read_text() == path.read_text(), (
            f"asm/{path.name} is not the export of the shipped model: "
            "run python -m pms150c.mnist.export"
        )


def test_export_cli_reports_a_missing_folder_in_one_line(tmp_path, capsys):
    assert export.main(["--asm-dir", str(tmp_path / "absent")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "absent" in err and err.count("\n") == 1


def test_includes_hold_the_shipped_models_weight_tables():
    main = (firmware_dir() / "mnist_weights.inc").read_text()
    bitnet = (firmware_dir() / "mnist_bitnet_weights.inc").read_text()
    assert main == export.main_include(default_model(), "pms150c/data/mnist_model.npz")
    assert bitnet == export.bitnet_include(bitnet_model(), "pms150c/data/mnist_bitnet_model.npz")


def test_shipped_kernels_agree_with_the_shipped_models_on_test_images():
    from pms150c.mnist.kernel import shipped_kernel
    from pms150c.mnist.model import shipped_test_set

    for firmware, model, kind in (
        (BITNET_FIRMWARE, bitnet_model(), "bitnet"),
        (MAIN_FIRMWARE, default_model(), "main"),
    ):
        x, _ = shipped_test_set(kind)
        assert_same(model, shipped_kernel(firmware), x[:100])


def test_classify_takes_a_28x28_image_or_64_pixels():
    from pms150c import mnist
    from pms150c.mnist import kernel as kernel_module
    from pms150c.mnist.data import preprocess

    assert mnist.classify is kernel_module.classify  # the library's entry point

    rng = np.random.default_rng(0)
    image = (rng.random((28, 28)) > 0.7).astype(np.uint8) * 255
    digit, cycles = kernel_module.classify(image)
    x = preprocess(image[None], default_model().spec)
    assert digit == int(default_model().predict(x)[0])
    assert 0 < cycles <= MAIN_WORST_CYCLES  # a random 28x28 image is no digit: few zeros
    assert kernel_module.classify(x[0]) == (digit, cycles)
    with pytest.raises(DataError):
        kernel_module.classify(np.zeros((3, 3)))


def test_firmware_dir_holds_both_kernels():
    d = firmware_dir()
    assert (d / MAIN_FIRMWARE).is_file() and (d / BITNET_FIRMWARE).is_file()
    assert Path(d).name in ("asm", "_asm")


def test_batch_instruction_counts_equal_the_profiled_machine():
    # the harness's MIPS figure uses these counts: they must be exact per image
    from pms150c.machine import Machine

    model, kernel = main_kernel(5, 20, 1, 63)
    x = np.concatenate([np.random.default_rng(8).integers(0, 16, (3, 64)), adversarial(15)[:2]])
    out = Machine(kernel.image).run_batch(kernel.slot, kernel.encode(x), 100_000)
    for row, count, cycles in zip(x, out["instructions"], out["cycles"], strict=True):
        m = Machine(kernel.rom_with(row))
        m.enable_profile()
        m.run(100_000)
        assert (int(m.profile_counts[0].sum()), m.cycles) == (count, cycles)
    assert (out["instructions"] < out["cycles"]).all()


@pytest.mark.parametrize("firmware", [MAIN_FIRMWARE, BITNET_FIRMWARE])
def test_shipped_kernels_read_no_ram_before_writing_it(firmware):
    from pms150c.debug.checks import check_firmware
    from pms150c.machine import Machine
    from pms150c.mnist.kernel import shipped_kernel

    kernel = shipped_kernel(firmware)
    row = np.random.default_rng(6).integers(0, 16 if kernel.kind == "main" else 32, 64)
    report = check_firmware(Machine(kernel.rom_with(row)), 100_000)
    assert report.uninitialised_reads == [] and report.stack_problems == []
    assert report.stack_max == 0x3C
