"""pms150c.testing.call on SDCC-built C functions (tests/firmware/routines.c) and on an
assembly routine: the arguments land where SDCC's convention puts them, the return value
comes back by its C type, and the cycles are Machine.call's, exactly."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pms150c import Machine, assemble
from pms150c.errors import AddressError, ArgumentError, CallError, LabelError
from pms150c.state import R_SP
from pms150c.testing import boot_state, call

# mul8: p16 (0x10, 0x11) <- x (0x12) * y (0x13), shift and add; returns the high byte in A
MUL8 = """
    .area DATA (ABS)
    .org 0x10
product: .ds 2
x: .ds 1
y: .ds 1
count: .ds 1
    .area CODE (ABS)
    .org 0
main:
    stopsys
mul8:
    clear product
    clear product+1
    mov a, #8
    mov count, a
next:
    sl product
    slc product+1
    sl x
    t1sn.io flag, #1
    goto skip
    mov a, y
    add product, a
    addc product+1
skip:
    dzsn count
    goto next
    mov a, product+1
    ret
"""


@pytest.fixture(scope="module")
def routines(sdcc_build) -> Machine:
    return Machine.from_ihx(sdcc_build("routines"))


@pytest.mark.sdcc
@settings(max_examples=300, deadline=None)
@given(st.integers(0, 255), st.integers(0, 255))
def test_add_sat_saturates_at_255(routines, x, y):
    assert call(routines, "add_sat", x, y).value == min(x + y, 255)


@pytest.mark.sdcc
@settings(max_examples=200, deadline=None)
@given(st.integers(-(2**15), 2**15 - 1), st.integers(-128, 127))
def test_mix_returns_a_signed_int_in_a_and_p(routines, a, b):
    expected = (a * 3 + b + 2**15) % 2**16 - 2**15  # C int arithmetic wraps at 16 bits
    assert call(routines, "mix", a, b).value == expected


@pytest.mark.sdcc
@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_add32_returns_through_the_pointer_the_caller_pushes(routines, x, y):
    assert call(routines, "add32", x, y).value == (x + y) % 2**32


@pytest.mark.sdcc
def test_the_cdb_gives_each_functions_return_type(routines):
    functions = routines.symbols.functions
    returns = {name: (f.ctype, f.signed) for name, f in functions.items()}
    assert returns["_add_sat"] == ("unsigned char", False)
    assert returns["_mix"] == ("int", True)
    assert returns["_add32"] == ("unsigned long", False)
    assert returns["_negate"] == ("char", True)
    assert returns["_bump"][0] == "void"


@pytest.mark.sdcc
def test_signed_char_results_and_arguments_keep_their_sign(routines):
    assert call(routines, "negate", 5).value == -5
    assert call(routines, "negate", -128).value == -128  # -(-128) wraps in a signed char
    assert call(routines, "negate", 0xFB).value == 5  # the byte 0xFB is -5


@pytest.mark.sdcc
def test_calls_start_after_the_start_up_code_and_read_variables(routines):
    ready = boot_state(routines)
    assert ready.ram[routines.ram_of("counter")] == 7  # main has not run: the initialiser has
    r = call(routines, "bump")
    assert r.value is None and r.var("counter") == 8
    assert call(routines, "bump", ram={"counter": 41}).var("counter") == 42
    assert r.sp == ready.regs[R_SP]  # returned: the stack is where it started


@pytest.mark.sdcc
def test_cycles_are_machine_calls_exactly(routines):
    ready = boot_state(routines)
    x, y = routines.ram_of("add_sat_PARM_1"), routines.ram_of("add_sat_PARM_2")
    for a, b in [(0, 0), (200, 100), (255, 255), (1, 2)]:
        plain = routines.call("add_sat", ram={x: a, y: b}, state=ready)
        helped = call(routines, "add_sat", a, b)
        assert helped.cycles == plain.cycles and helped.a == plain.a and helped.ram == plain.ram


@pytest.mark.sdcc
def test_wrong_arguments_are_pms150c_errors(routines):
    with pytest.raises(ArgumentError, match=r"'add_sat' takes 2 argument\(s\) in the build"):
        call(routines, "add_sat", 1)
    with pytest.raises(ArgumentError, match="the argument _add_sat_PARM_1 256 is outside"):
        call(routines, "add_sat", 256, 0)
    with pytest.raises(ArgumentError, match="must be an integer"):
        call(routines, "mix", 1.5, 0)
    with pytest.raises(LabelError, match="nosuch"):
        call(routines, "nosuch")
    with pytest.raises(LabelError, match="nosuch"):
        call(routines, "bump", ram={"nosuch": 1})
    with pytest.raises(AddressError, match="RAM address 64"):
        call(routines, "bump", ram={64: 1})
    with pytest.raises(ArgumentError, match="state must be"):
        call(routines, "bump", state=3)


def test_an_assembly_routine_returns_a_and_its_ram():
    m = Machine(assemble(MUL8, predefine_io=True))
    for x, y in [(0, 0), (255, 255), (12, 34), (1, 200)]:
        r = call(m, "mul8", ram={0x12: x, 0x13: y}, sp=0x20)
        assert r.u16(0x10) == x * y and r.value == r.a == x * y >> 8


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 255), st.integers(0, 255))
def test_mul8_cycles_follow_the_bits_of_x(x, y):
    """Per bit: sl, slc, sl (3), then t1sn skipping (2) and mov, add, addc (3) when the
    bit is 1, or t1sn (1) and goto (2) when it is 0; dzsn and goto (3) except the last
    round, where dzsn skips (2). Around them: 4 cycles of set-up, mov a and ret (3)."""
    m = _mul8()
    r = call(m, "mul8", ram={0x12: x, 0x13: y}, sp=0x20)
    ones = bin(x).count("1")
    rounds = 8 * 3 + ones * (2 + 3) + (8 - ones) * (1 + 2) + 7 * 3 + 2
    assert r.cycles == 4 + rounds + 3


_MUL8 = []


def _mul8() -> Machine:
    if not _MUL8:
        _MUL8.append(Machine(assemble(MUL8, predefine_io=True)))
    return _MUL8[0]


def test_a_routine_that_does_not_return_is_a_call_error():
    m = Machine(assemble("stopsys\nspin:\n goto spin"))
    with pytest.raises(CallError, match="ran 1000 cycles without returning"):
        call(m, "spin", max_cycles=1000)


def test_a_start_up_that_never_reaches_main_is_a_call_error():
    m = Machine(assemble("stopsys\nmain:\n ret"))
    with pytest.raises(CallError, match="did not reach main"):
        call(m, "main")
