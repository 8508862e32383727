"""The Machine API: construction, state access, breakpoints, hooks, errors, batch runs."""

from __future__ import annotations

import numpy as np
import pytest

import pms150c
from pms150c import assemble, core
from pms150c.errors import BlankWordError, InvalidOpcode, Pms150cError, StackOverflow
from pms150c.image import Image
from pms150c.isa import BY_OP
from pms150c.machine import Machine, StopReason

COUNTER = """
    .area CODE (ABS)
    .org 0
start:
    mov a, #0x30
    mov.io 0x02, a
    clear 0x10
again:
    inc 0x10
    mov a, 0x10
    mov 0x11, a
    goto again
"""


def word(op: str, *operands: int) -> int:
    return BY_OP[op].encode(*operands)


def test_machine_and_stop_reason_are_public():
    assert pms150c.Machine is Machine
    assert pms150c.StopReason is StopReason


def test_power_on_state():
    m = Machine(Image([word("NOP")]))
    assert (m.a, m.pc, m.sp, int(m.flags), m.gie, m.cycles, m.mode) == (0, 0, 0, 0, 0, 0, "running")
    assert m.io_peek(0x03) == 0xF6 and m.io_peek(0x0D) == 0xF9
    assert m.io_peek(0x00) == 0xF0
    assert m.rom.shape == (1024,) and m.rom[1] == 0x1FFF
    assert m.ram.dtype == np.uint8 and m.ram.shape == (64,)
    # time since power-on counts the boot-up time before cycle 0: 32 ILRC clocks (fast boot
    # by the factory fuse word)
    assert m.clock_hz == 59_000 and m.time_s == pytest.approx(32 / 59_000, rel=1e-12)


def test_snapshot_has_the_contract_keys_and_types():
    m = Machine(Image([word("NOP")]))
    snap = m.snapshot()
    assert set(snap) == {"a", "pc", "sp", "flags", "gie", "cycles", "mode", "ram", "io"} | {
        "t16",
        "pins",
        "resets",
        "time_fs",
        "ihrc_hz",
        "ilrc_hz",
    }
    boot_fs = 32 * 10**15 // 59_000
    assert (snap["time_fs"], snap["ihrc_hz"], snap["ilrc_hz"]) == (boot_fs, 16_000_000, 59_000)
    assert isinstance(snap["ram"], bytes) and len(snap["ram"]) == 64
    assert isinstance(snap["io"], bytes) and snap["io"][0] == 0xF0 and snap["io"][3] == 0xF6


def test_flags_view_reads_and_writes_single_bits():
    m = Machine(Image([word("NOP")]))
    m.flags.c = 1
    m.flags.ov = 1
    assert (int(m.flags), m.flags.z, m.flags.c, m.flags.ac, m.flags.ov) == (0b1010, 0, 1, 0, 1)
    assert m.io_peek("flag") == 0xFA
    m.flags = 0x1F
    assert int(m.flags) == 0xF
    with pytest.raises(AttributeError):
        m.flags.q = 1


def test_ram_is_a_writable_view_the_program_sees():
    m = Machine(Image([word("MOV_A_M", 5), word("STOPSYS")]))
    m.ram[5] = 0x42
    m.run()
    assert m.a == 0x42


def test_io_poke_has_no_side_effects_and_peek_reads_as_the_cpu():
    m = Machine(Image([word("NOP")]))
    m.io_poke("sp", 0x22)
    m.io_poke(0x00, 0xFF)
    m.io_poke(0x06, 0x20)  # T16M: no prescaler reset, nothing runs until the CPU does
    assert (m.sp, int(m.flags), m.io_peek(0x06), m.cycles) == (0x22, 0xF, 0x20, 0)
    with pytest.raises(Pms150cError):
        m.io_peek("nonsense")


def test_breakpoints_accept_addresses_and_labels_and_resume():
    m = Machine(assemble(COUNTER))
    m.breakpoints.add("again")
    assert "again" in m.breakpoints and m.image.labels["again"] in m.breakpoints
    reason = m.run()
    assert (reason.kind, reason.pc, reason.cycles) == (StopReason.BREAKPOINT, 3, 3)
    reason = m.run()  # resumes: executes the instruction at the breakpoint first
    assert (reason.pc, reason.cycles, int(m.ram[0x10])) == (3, 8, 1)
    m.breakpoints.discard("again")
    assert m.run(100) == StopReason.MAX_CYCLES
    with pytest.raises(Pms150cError):
        m.breakpoints.add("nowhere")


def test_step_ignores_breakpoints_and_counts_one_instruction():
    m = Machine(assemble(COUNTER))
    m.breakpoints.add(0)
    m.step()
    assert (m.pc, m.cycles) == (1, 1)


def test_invalid_opcode_reports_pc_and_cycles_with_state_intact():
    m = Machine(Image([word("NOP"), word("NOP"), 0x0001]))
    with pytest.raises(InvalidOpcode) as err:
        m.run()
    assert (err.value.word, err.value.pc, err.value.cycles) == (0x0001, 2, 2)
    assert (m.pc, m.cycles) == (2, 2)


def test_stack_max_records_the_high_water_mark():
    m = Machine(
        assemble(
            ".area CODE (ABS)\n.org 0\n mov a,#0x20\n mov.io 0x02,a\n call helper\n"
            " stopsys\nhelper: pushaf\n popaf\n ret\n"
        )
    )
    assert m.run() == StopReason.STOPSYS
    assert (m.sp, m.stack_max) == (0x20, 0x24)
    m.reset()
    assert (m.stack_max, m.cycles, int(m.ram.sum())) == (0, 0, 0)


def test_reset_keeps_pending_pin_changes_and_does_not_replay_applied_ones():
    m = Machine(assemble("loop: goto loop\n"))
    m.schedule_pin(10, 0, 1)
    m.schedule_pin(1000, 3, 1)
    m.run(100)
    assert m.pins & 0x09 == 0x01  # PA0 rose at cycle 10; PA3's change is still pending
    m.set_pin(0, 0)
    m.reset()
    m.run(100)
    assert m.pins & 0x09 == 0x00  # the change at cycle 10 was applied before the reset
    m.run(1000)
    assert m.pins & 0x09 == 0x08  # the pending one came at cycle 1000 of the new run


def test_run_without_limit_is_interruptible(monkeypatch):
    m = Machine(assemble(COUNTER))
    real_run, calls = core.run, []

    def run_then_interrupt(*args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_run(*args)

    monkeypatch.setattr(core, "run", run_then_interrupt)
    reason = m.run()
    assert reason == StopReason.INTERRUPTED
    assert reason.cycles == m.cycles >= 20_000_000  # one whole chunk ran, state kept
    monkeypatch.setattr(core, "run", real_run)
    before = m.cycles
    m.run(10)
    assert m.cycles >= before + 10


def test_watchpoint_stops_after_the_writing_instruction():
    m = Machine(assemble(COUNTER))
    m.watch_ram(0x11, write=True)
    reason = m.run(1000)
    assert reason == StopReason.WATCHPOINT
    assert (reason.address, reason.access, reason.instruction_pc) == (0x11, "write", 5)
    assert (reason.pc, int(m.ram[0x11])) == (6, 1)
    m.unwatch(0x11)
    assert not m.watch_mask.any()
    assert m.run(100) == StopReason.MAX_CYCLES


def test_trace_and_profile_record_each_instruction():
    m = Machine(assemble(COUNTER))
    m.enable_trace(8)
    m.enable_profile()
    m.run(13)  # setup at 0, 1, 2; passes of inc, mov, mov, goto at 3..7 and 8..12
    rows = m.trace()
    assert len(rows) == 8  # 11 instructions ran, the ring keeps the last 8
    last = rows[-1]
    assert (last["pc"], last["cycles"], last["word"]) == (6, m.cycles - 2, m.rom[6])
    counts = m.profile_counts
    assert counts[0, 3] == 2 and counts[1, 6] == 2 * counts[0, 6] > 0


def test_pins_api_rejects_missing_pins_and_bad_levels():
    m = Machine(Image([word("NOP")]))
    with pytest.raises(Pms150cError):
        m.set_pin(1, 1)
    with pytest.raises(ValueError):
        m.set_pin(0, 5)
    m.set_pin(0, 1)
    assert m.pins == 0x01
    m.set_pin(0, None)
    assert m.pins == 0x00


@pytest.mark.parametrize(
    "misuse, message",
    [
        (lambda m: m.watch_ram(0x99), "RAM address 0x99 is outside 0..0x3f"),
        (lambda m: m.watch_ram(-1), "RAM address -0x1 is outside 0..0x3f"),
        (lambda m: m.watch_io(0x40), "IO address 0x40 is outside 0..0x1f"),
        (lambda m: m.io_peek(0x20), "IO address 0x20 is outside 0..0x1f"),
        (lambda m: m.io_poke(0x23, 1), "IO address 0x23 is outside 0..0x1f"),
        (lambda m: m.io_peek("nonsense"), "no IO register named 'nonsense'"),
    ],
)
def test_addresses_the_chip_lacks_are_refused_not_wrapped(misuse, message):
    m = Machine(Image([word("NOP")]))
    with pytest.raises(pms150c.AddressError, match=message) as info:
        misuse(m)
    assert isinstance(info.value, Pms150cError) and isinstance(info.value, ValueError)
    assert not m.watch_mask.any()  # nothing else got watched in its place
    m.watch_ram(0x3F)
    m.watch_io("pa", read=True, write=False)
    assert m.watch_mask[0x3F] == 2 and m.watch_mask[0x40 + 0x10] == 1


@pytest.mark.parametrize("cycle", [2**63, 2**70, -1])
def test_schedule_pin_refuses_cycles_outside_int64(cycle):
    m = Machine(Image([word("NOP"), word("GOTO", 0)]))
    with pytest.raises(pms150c.PinError, match="outside 0..2\\*\\*63-1"):
        m.schedule_pin(cycle, 0, 1)
    m.schedule_pin(2**63 - 1, 0, 1)  # the last cycle that fits is accepted
    m.run(10)
    assert m.pins == 0x00


def test_from_ihx_and_from_asm(tmp_path):
    image = assemble(COUNTER)
    ihx = tmp_path / "counter.ihx"
    ihx.write_text(image.to_ihx())
    src = tmp_path / "counter.asm"
    src.write_text(COUNTER)
    for m in (Machine.from_ihx(ihx), Machine.from_asm(src)):
        m.run(100)
        assert int(m.ram[0x11]) == (100 - 3) // 5


def test_run_batch_matches_single_runs():
    # the slot at word 0x40 holds "ret #k"; the program sums k into RAM 0x20 k times
    text = """
        .area CODE (ABS)
        .org 0
        call 0x40
        mov 0x21, a
    loop:
        add 0x20, a
        dzsn 0x21
        goto loop
        stopsys
        .org 0x80
        ret #0
    """
    image = assemble(text)
    literals = (1, 7, 15, 0)
    ks = np.array([[word("RET_K", k)] for k in literals])
    m = Machine(image)
    result = m.run_batch(0x40, ks, max_cycles=10_000)
    for i, ((slot,), k) in enumerate(zip(ks, literals, strict=True)):
        single = Machine(Image(np.where(np.arange(1024) == 0x40, slot, image.words)))
        reason = single.run(10_000)
        assert result["status"][i] == reason.kind.value
        assert result["cycles"][i] == single.cycles
        assert bytes(result["ram"][i]) == bytes(single.ram)
        assert result["stack_max"][i] == single.stack_max
        # on paper: n = k passes (256 for k = 0) of add + dzsn, n - 1 gotos; call, ret k,
        # mov and stopsys around them; the last dzsn skips (2 cycles)
        n = k or 256
        assert result["status"][i] == "stopsys"
        assert result["ram"][i][0x20] == (k * k) & 0xFF
        assert result["instructions"][i] == 2 * n + (n - 1) + 4
        assert result["cycles"][i] == 2 + 2 + 1 + 2 * n + 2 * (n - 1) + 1 + 1
    assert m.cycles == 0  # the Machine itself did not run


@pytest.mark.parametrize(
    ("bad_word", "error"),
    [(0x0001, InvalidOpcode), (word("CALL", 1), StackOverflow), (word("GOTO", 9), BlankWordError)],
)
def test_run_batch_reports_a_failing_run_like_a_single_run_with_its_index(bad_word, error):
    # slot at word 1; run 1 holds the bad word: an invalid opcode, or `call 1` recursing
    # until the stack leaves RAM. A single run of the same ROM raises the same error.
    image = assemble("\tnop\n\tnop\n\tstopsys\n")
    rows = np.array([[word("NOP")], [bad_word], [word("NOP")]])
    with pytest.raises(error) as batch:
        Machine(image).run_batch(1, rows, max_cycles=10_000)
    with pytest.raises(error) as single:
        slot = np.arange(1024) == 1
        Machine(Image(np.where(slot, bad_word, image.words), written=image.written | slot)).run(
            10_000
        )
    got, want = batch.value, single.value
    assert got.run == 1 and want.run is None
    assert (got.pc, got.cycles) == (want.pc, want.cycles)
    assert getattr(got, "word", None) == getattr(want, "word", None)
    assert getattr(got, "sp", None) == getattr(want, "sp", None)
    assert str(got) == f"batch run 1: {want}"
