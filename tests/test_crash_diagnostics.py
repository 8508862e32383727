"""A run that ends in an error keeps what was gathered: the trace up to the failing
instruction, the profile, the state; the message names the cause (a blank word)."""

from __future__ import annotations

import pytest

from pms150c import BlankWordError, InvalidOpcode, Machine, StackOverflow, assemble
from pms150c.cli import main
from pms150c.debug.trace import format_trace, record_trace

RUNS_OFF = (
    "\tmov a, #0x30\n\tmov.io sp, a\nloop:\tinc 0x20\n\tmov a, 0x20\n\tceqsn a, #3\n\tgoto loop\n"
)
# cycles: 2 setup + 3 turns of inc/mov/ceqsn (the last skips: 4 cycles) = 2 + 6 + 6 + 4 = 16,
# then the blank word after `goto loop`, word 6
RECURSES = "\tmov a, #0x3c\n\tmov.io sp, a\nrec:\tcall rec\n"
INVALID = "\tnop\n\t.dw 0x0001\n"


def test_blank_word_error_names_the_first_blank_word_and_keeps_trace_and_profile():
    m = Machine(assemble(RUNS_OFF))
    m.enable_trace(16)
    m.enable_profile()
    with pytest.raises(BlankWordError) as err:
        m.run(1_000)
    assert str(err.value) == "executed blank (unprogrammed) word 0x1FFF at 0x006, cycle 16"
    last = m.trace()[-1]
    assert (int(last["pc"]), int(last["word"]), int(last["cycles"])) == (6, 0x1FFF, 16)
    assert "; blank (unprogrammed) word" in format_trace(m.trace()[-1:], m.image)
    profile = m.profile()
    assert profile.total_cycles == 16 and profile.by_label()["loop"] == 14


@pytest.mark.parametrize(
    ("source", "error", "pc"), [(RECURSES, StackOverflow, 2), (INVALID, InvalidOpcode, 1)]
)
def test_record_trace_raises_with_every_instruction_up_to_the_error(source, error, pc):
    m = Machine(assemble(source))
    with pytest.raises(error) as err:
        record_trace(m, 10_000, chunk=4)  # several chunks before the failure
    records = err.value.trace
    assert int(records["pc"][-1]) == pc and int(records["cycles"][-1]) == m.cycles
    assert len(records) == (5 if error is StackOverflow else 2)  # the failing one too
    with pytest.raises(error) as err:
        record_trace(Machine(assemble(source)), 10_000, last=2)
    assert len(err.value.trace) == 2 and int(err.value.trace["pc"][-1]) == pc


def test_blank_checks_off_runs_blank_rom_as_the_silicon_does():
    # the blank word 6 (cycle 16) is call 0x3ff (2 cycles); 0x3FF holds the factory fuse
    # word 0x0FFD, set1.io 0x1d, #7 (1 cycle), after which the PC wraps to 0x000
    m = Machine(assemble(RUNS_OFF), blank_checks=False)
    m.run(19)
    assert (m.pc, m.cycles, m.sp, m.io_peek("tm2ct")) == (0x000, 19, 0x32, 0x80)
    m = Machine(assemble(RUNS_OFF), blank_checks=False, fuse=0x1FFF)  # 0x3FF: call 0x3ff
    with pytest.raises(StackOverflow) as err:  # call 0x3ff until the stack leaves RAM
        m.run(1_000)
    assert err.value.pc == 0x3FF


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        ("exec", "pc 0x006 (loop)"),
        ("trace", "call 0x3ff                ; blank (unprogrammed) word"),
        ("profile", "ceqsn a, #3"),
    ],
)
def test_cli_prints_what_was_gathered_then_the_error(tmp_path, capsys, command, shown):
    (tmp_path / "off.asm").write_text(RUNS_OFF)
    assert main([command, str(tmp_path / "off.asm")]) == 1
    out, err = capsys.readouterr()
    assert shown in out
    assert err == (
        f"pms150c {command}: executed blank (unprogrammed) word 0x1FFF at 0x006, cycle 16\n"
    )
