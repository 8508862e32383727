"""The instruction trace: a structured array of the state before each instruction."""

import numpy as np
import pytest

from pms150c import Machine, StopReason, assemble
from pms150c.debug.trace import TRACE_DTYPE, format_trace, record_trace, write_trace
from pms150c.errors import Pms150cError

# word  instruction       cycle before   A before  Z before
#  0    mov a, #7          0              0         0
#  1    nop                1              7         0
#  2    mov 0x22, a        2              7         0
#  3    mov a, 0x22        3              7         0
#  4    goto next          4              7         0
#  5    clear 0x23         6              7         0
#  6    mov a, 0x23        7              7         0   (sets Z: A becomes 0)
#  7    stopsys            8              0         1
PROGRAM = """
\t.area CODE (ABS)
\t.org 0
\tmov a, #7
\tnop
\tmov 0x22, a
\tmov a, 0x22
\tgoto next
next:
\tclear 0x23
\tmov a, 0x23
\tstopsys
"""


def test_whole_run_trace_holds_every_instruction_with_the_state_before_it():
    m = Machine(assemble(PROGRAM))
    records, reason = record_trace(m, 1000)
    assert reason == StopReason.STOPSYS
    assert records.dtype == TRACE_DTYPE
    assert records["pc"].tolist() == [0, 1, 2, 3, 4, 5, 6, 7]
    assert records["cycles"].tolist() == [0, 1, 2, 3, 4, 6, 7, 8]
    assert records["a"].tolist() == [0, 7, 7, 7, 7, 7, 7, 0]
    assert (records["flags"] & 1).tolist() == [0, 0, 0, 0, 0, 0, 0, 1]
    assert records["word"].tolist() == m.rom[:8].tolist()


def test_whole_run_trace_survives_many_ring_refills():
    # a 2-instruction loop of 3 cycles run for 3000 cycles: 2000 rows, ring of 64 cycles
    m = Machine(assemble("\tmov a, #0\nloop:\n\tadd a, #1\n\tgoto loop\n"))
    records, reason = record_trace(m, 3001, chunk=64)
    assert reason == StopReason.MAX_CYCLES
    assert len(records) == 1 + 2 * 1000
    assert (np.diff(records["cycles"]) > 0).all()
    assert records["a"][1::2].tolist() == [i & 0xFF for i in range(1000)]


def test_last_n_keeps_the_newest_rows():
    m = Machine(assemble(PROGRAM))
    records, _ = record_trace(m, 1000, last=3)
    assert records["pc"].tolist() == [5, 6, 7]


def test_machine_trace_is_the_same_structured_array():
    m = Machine(assemble(PROGRAM))
    m.enable_trace(16)
    m.run(1000)
    assert m.trace()["pc"].tolist() == [0, 1, 2, 3, 4, 5, 6, 7]


def test_listing_shows_labels_state_and_source_lines():
    m = Machine(assemble(PROGRAM, filename="prog.asm"))
    records, _ = record_trace(m, 1000)
    text = format_trace(records, m.image)
    lines = text.splitlines()
    assert "next:" in lines[6]
    assert lines[7].split()[:4] == ["6", "005", m.rom[5].item().__format__("04x"), "07"]
    assert "prog.asm:10: clear 0x23" in lines[7]
    assert lines[-1].split()[4] == "...Z"  # flags before stopsys


def test_trace_writes_a_listing_or_an_array(tmp_path):
    m = Machine(assemble(PROGRAM))
    records, _ = record_trace(m, 1000)
    write_trace(records, tmp_path / "t.txt", m.image)
    write_trace(records, tmp_path / "t.npy")
    assert (tmp_path / "t.txt").read_text() == format_trace(records, m.image)
    assert np.array_equal(np.load(tmp_path / "t.npy"), records)
    with pytest.raises(Pms150cError, match="cannot write"):
        write_trace(records, tmp_path / "missing" / "t.txt")


def test_whole_run_trace_stops_at_a_breakpoint_on_a_chunk_boundary():
    # ten one-cycle nops: with 4-cycle chunks the first chunk ends at pc 4, cycle 4, right
    # on the breakpoint; the next chunk must not execute it
    m = Machine(assemble("\tnop\n" * 10 + "\tstopsys\n"))
    m.breakpoints.add(4)
    records, reason = record_trace(m, 1000, chunk=4)
    assert reason == StopReason.BREAKPOINT
    assert (reason.pc, reason.cycles) == (4, 4)
    assert records["pc"].tolist() == [0, 1, 2, 3]
