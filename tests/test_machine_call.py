"""`Machine.call`: a routine run as if called, from the power-on state or a saved one."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pms150c import CallError, Image, Machine, assemble
from pms150c.errors import AddressError, ArgumentError, StackOverflow

ROUTINES = """
        .area DATA
x:      .ds 2
y:      .ds 2
        .area CODE (ABS)
        .org 0
        goto main
main:   mov a, #0x30
        mov.io 0x02, a          ; SP = 0x30
        mov a, #0x55
        mov 0x20, a             ; the "initialised global" a saved state keeps
        stopsys
add16:  mov a, 0x12             ; (0x10, 0x11) += (0x12, 0x13); A = the high byte
        add 0x10, a
        mov a, 0x13
        addc 0x11, a
        mov a, 0x11
        ret
addxy:  mov a, y                ; x += y (16 bits), by name
        add x, a
        mov a, y+1
        addc x+1, a
        ret
times3: mov 0x15, a             ; A = 3 * A, through a nested call
        call twice
        add a, 0x15
        ret
twice:  sl a
        ret
spin:   goto spin
sleep:  stopsys
deep:   call deep
"""


@pytest.fixture(scope="module")
def machine() -> Machine:
    return Machine(assemble(ROUTINES))


def test_a_call_returns_the_routines_outputs_and_its_cycles(machine):
    r = machine.call("add16", ram={0x10: 0xF0, 0x11: 0x01, 0x12: 0x20, 0x13: 0x02}, sp=0x30)
    assert (r.ram[0x10], r.ram[0x11], r.a) == (0x10, 0x04, 0x04)
    assert r.u16(0x10) == 0x0410
    assert r.cycles == 5 + 2  # five 1-cycle instructions and ret
    assert r.sp == 0x30 and r.flags == 0  # the return popped; 1 + 2 + 1 leaves no carry


def test_the_machine_keeps_the_state_the_routine_ended_in(machine):
    r = machine.call("times3", a=7, sp=0x30)
    assert r.a == 21 and machine.a == 21 and machine.pc == 0x3FF
    assert machine.stack_max == 0x34  # the pushed return address and the nested call
    assert r.cycles == 1 + 2 + 1 + 2 + 1 + 2  # mov, call, sl, ret, add, ret


def test_each_call_starts_from_power_on_unless_given_a_state(machine):
    machine.call("add16", ram={0x12: 1}, sp=0x30)
    again = machine.call("add16", sp=0x30)
    assert again.ram[0x10] == 0  # nothing left over from the first call
    machine.restore_state(machine._power_on)
    machine.run()  # main: SP = 0x30, a global set, stopsys
    initialised = machine.save_state()
    r = machine.call("add16", ram={0x12: 1}, state=initialised)
    assert r.ram[0x20] == 0x55 and r.sp == 0x30 and r.ram[0x10] == 1
    assert r.cycles == 7  # counted from the routine's start, not from power-on


def test_the_return_address_goes_where_sp_points(machine):
    r = machine.call("add16")  # power-on: SP = 0
    assert (r.ram[0], r.ram[1], r.sp) == (0xFF, 0x03, 0)  # 0x3FF, popped again


def test_variables_can_be_given_by_name(machine):
    r = machine.call("addxy", ram={"x": 1000, "y": 2345, 0x30: 9}, sp=0x32)
    x = machine.ram_of("x")
    assert r.u16(x) == 3345 and r.ram[0x30] == 9


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF))
def test_add16_adds_modulo_65536(machine, a, b):
    r = machine.call(
        "add16", ram={0x10: a & 0xFF, 0x11: a >> 8, 0x12: b & 0xFF, 0x13: b >> 8}, sp=0x30
    )
    assert r.u16(0x10) == (a + b) & 0xFFFF


@given(st.integers(0, 255))
@settings(max_examples=50, deadline=None)
def test_a_call_matches_the_same_call_made_by_hand(a):
    """The fast path against reset + push + run with the ordinary API."""
    image = assemble(ROUTINES)
    fast = Machine(image).call("times3", a=a, sp=0x30)
    m = Machine(image, blank_checks=False)  # 0x3FF holds the fuse: stop there at a breakpoint
    m.ram[0x30], m.ram[0x31] = 0xFF, 0x03
    m.sp, m.a, m.pc = 0x32, a, image.labels["times3"]
    m.breakpoints.add(0x3FF)
    reason = m.run(1000)
    assert (reason.pc, m.a, m.cycles, bytes(m.ram)) == (0x3FF, fast.a, fast.cycles, fast.ram)


def test_a_routine_that_does_not_return_is_a_call_error(machine):
    with pytest.raises(CallError, match="ran 500 cycles without returning"):
        machine.call("spin", max_cycles=500, sp=0x30)
    with pytest.raises(CallError, match="stopsys"):
        machine.call("sleep", sp=0x30)
    with pytest.raises(StackOverflow):
        machine.call("deep", sp=0x30)


def test_bad_call_arguments_are_refused(machine):
    with pytest.raises(AddressError):
        machine.call("add16", ram={64: 1})
    with pytest.raises(ArgumentError):
        machine.call("add16", ram={0x10: 256})
    with pytest.raises(ArgumentError):
        machine.call("add16", ram=[1, 2])
    with pytest.raises(ArgumentError):
        machine.call("add16", state="the start")
    with pytest.raises(ArgumentError):
        machine.call("add16", max_cycles=0)


# -- SDCC's calling convention: parameters in static RAM (NAME_PARM_n), results in A and p --

HAVE_SDCC = shutil.which("sdcc") is not None and shutil.which("sdaspdk13") is not None


@pytest.fixture(scope="module")
def sdcc_machine(tmp_path_factory) -> tuple[Machine, object]:
    if not HAVE_SDCC:
        pytest.skip("sdcc with the pdk13 port (Debian 'sdcc') not found")
    out = tmp_path_factory.mktemp("call") / "call_routines.ihx"
    source = Path(__file__).parent / "c" / "call_routines.c"
    done = subprocess.run(["sdcc", "-mpdk13", "-o", str(out), str(source)], capture_output=True)
    assert done.returncode == 0, done.stderr
    m = Machine(Image.from_ihx(out))
    m.breakpoints.add("main")
    m.run(100_000)  # the start-up code: SP and the initialised globals
    m.breakpoints.discard("main")
    return m, m.save_state()


@pytest.mark.sdcc
@settings(max_examples=200, deadline=None)
@given(st.integers(0, 255), st.integers(0, 255))
def test_sdcc_add_sat_saturates(sdcc_machine, x, y):
    m, ready = sdcc_machine
    r = m.call("add_sat", ram={"add_sat_PARM_1": x, "add_sat_PARM_2": y}, state=ready)
    assert r.a == min(x + y, 255) and r.sp == ready.regs[3]


@pytest.mark.sdcc
@settings(max_examples=100, deadline=None)
@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF))
def test_sdcc_mul16_returns_the_low_16_bits_in_a_and_p(sdcc_machine, x, y):
    m, ready = sdcc_machine
    r = m.call("mul16", ram={"mul16_PARM_1": x, "mul16_PARM_2": y}, state=ready)
    assert r.a | m.read_var("p") << 8 == (x * y) & 0xFFFF


@pytest.mark.sdcc
def test_sdcc_table_lookup_reads_its_rom_table(sdcc_machine):
    """A const table read through SDCC's __gptrget (a computed jump into ROM)."""
    m, ready = sdcc_machine
    got = [m.call("table_lookup", ram={"table_lookup_PARM_1": i}, state=ready).a for i in range(9)]
    assert got == [i * i for i in range(8)] + [0]
