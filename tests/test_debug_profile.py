"""The cycle profiler: cycles per source line and label add up to the run's cycles."""

import pytest

from pms150c import Machine, assemble
from pms150c.debug.profile import NO_LABEL, OUTSIDE
from pms150c.errors import Pms150cError

# start: 4 one-cycle instructions                                      =  4
# loop (3 passes): call 2*3, dzsn 1+1+2 (skips the last time), goto 2*2,
#                  stopsys 1                                           = 15
# work (3 calls): nop 1*3, ret 2*3                                     =  9
# total                                                                = 28
PROGRAM = """
\t.area CODE (ABS)
\t.org 0
start:
\tmov a, #0x30
\tmov.io 0x02, a
\tmov a, #3
\tmov 0x20, a
loop:
\tcall work
\tdzsn 0x20
\tgoto loop
\tstopsys
work:
\tnop
\tret
"""


@pytest.fixture
def profile():
    m = Machine(assemble(PROGRAM, filename="p.asm"))
    m.enable_profile()
    m.run(10_000)
    assert m.cycles == 28
    return m.profile()


def test_per_line_cycles_add_up_to_the_total(profile):
    rows = profile.by_line()
    assert sum(r.cycles for r in rows) == profile.total_cycles == 28
    assert profile.outside_cycles == 0


def test_per_line_counts_and_cycles(profile):
    rows = {r.line: (r.executions, r.cycles, r.function) for r in profile.by_line()}
    assert rows[10] == (3, 6, "loop")  # call work
    assert rows[11] == (3, 4, "loop")  # dzsn: 1 + 1 + 2
    assert rows[12] == (2, 4, "loop")  # goto loop
    assert rows[16] == (3, 6, "work")  # ret


def test_per_label_cycles(profile):
    assert profile.by_label() == {"loop": 15, "work": 9, "start": 4}


def test_annotated_listing_and_hot_spot_table(profile):
    listing = profile.annotated_listing()
    line = next(x for x in listing.splitlines() if "dzsn" in x)
    assert line.split()[:2] == ["3", "4"]
    assert listing.splitlines()[-1].split() == ["28", "total"]
    report = profile.report(limit=2)
    assert "call work" in report and "ret" in report
    assert "nop" not in report.split("cycles per label")[0]  # only the top 2 lines


def test_interrupt_entry_cycles_are_their_own_row():
    # PA0 rises at cycle 10; the first boundary at or after it is 11 (gotos from 3),
    # entry 11 -> 13, ISR 13 -> 16. Instructions: 3 + 4 gotos * 2 + 3 = 14, entry 2.
    src = """
\t.area CODE (ABS)
\t.org 0
\tmov a, #0x01
\tmov.io 0x04, a
\tengint
loop:
\tgoto loop
\t.org 0x20
isr:
\tmov a, #0
\tmov.io 0x05, a
\tstopsys
"""
    m = Machine(assemble(src))
    m.schedule_pin(10, 0, 1)
    m.enable_profile()
    m.run(1000)
    p = m.profile()
    assert m.cycles == 16
    assert p.outside_cycles == 2
    assert sum(r.cycles for r in p.by_line()) == 14
    assert p.by_label() == {"loop": 8, NO_LABEL: 3, "isr": 3, OUTSIDE: 2}


def test_profile_needs_enable_profile():
    m = Machine(assemble(PROGRAM))
    m.run(100)
    with pytest.raises(Pms150cError, match="enable_profile"):
        m.profile()
