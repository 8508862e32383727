"""Random straight-line programs: trace, profile and the instruction table agree."""

from hypothesis import given, settings
from hypothesis import strategies as st

from pms150c import Machine, assemble, isa

TEMPLATES = [
    "mov a, #{k}",
    "add a, #{k}",
    "ceqsn a, #{k}",  # skips: 2 cycles when it does
    "mov {m}, a",
    "inc {m}",
    "dzsn {m}",
    "xch {m}",
    "sl a",
    "nop",
]

line = st.builds(
    lambda t, k, m: t.format(k=k, m=hex(0x10 + m)),
    st.sampled_from(TEMPLATES),
    st.integers(0, 255),
    st.integers(0, 15),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(line, min_size=1, max_size=30))
def test_trace_profile_and_table_cycles_agree(lines):
    # a skip in the last line jumps the nop, never the stopsys
    image = assemble("".join(f"\t{x}\n" for x in lines) + "\tnop\n\tstopsys\n")
    m = Machine(image)
    m.enable_trace(256)
    m.enable_profile()
    m.run(10_000)
    trace = m.trace()
    profile = m.profile()
    assert m.mode == "stopsys"
    assert sum(r.cycles for r in profile.by_line()) == profile.total_cycles == m.cycles
    assert len(trace) == int(m.profile_counts[0].sum())
    # every instruction costs its table cycles, or its skip cycles when the next row
    # shows it skipped
    ends = list(trace["cycles"][1:]) + [m.cycles]
    for row, end, nxt in zip(trace, ends, list(trace["pc"][1:]) + [m.pc], strict=True):
        instr = isa.lookup(int(row["word"]))
        skipped = instr.op == "STOPSYS" or nxt == row["pc"] + 2
        expected = instr.skip_cycles if skipped and instr.skip_cycles else instr.cycles
        assert end - row["cycles"] == expected
