"""C firmware for the PMS150C, compiled by `sdcc -mpdk13` and run from its .ihx.

The sources are in tests/firmware/ (a blinker on the Timer16 interrupt, a bit-banged UART
"Hello", a button lighting an LED, a switch compiled to a jump table, an SPI master). Each
test loads the .ihx with the symbols SDCC wrote beside it and checks the behaviour through
the pins, RAM variables by their C names, breakpoints on C functions and the profile,
against periods counted by hand from the source.
"""

from __future__ import annotations

import pytest

from pms150c import Machine, StopReason

pytestmark = pytest.mark.sdcc

CLOCK_HZ = 8_000_000  # the firmware runs the system clock at IHRC/2


def pa_writes(machine: Machine, max_cycles: int, pin: int) -> list[tuple[int, int]]:
    """(cycle, level of `pin`) after every write to PA until the run stops by itself."""
    machine.watch("pa")
    edges = []
    end = machine.cycles + max_cycles
    while machine.run(end - machine.cycles) == StopReason.WATCHPOINT:
        edges.append((machine.cycles, machine.pin(pin)))
    machine.unwatch("pa")
    return edges


# -- blinker -------------------------------------------------------------------------------


@pytest.mark.parametrize("ticks", [1, 4])
def test_blinker_toggles_the_led_every_ticks_times_16384_cycles(sdcc_build, ticks):
    """T16: source IHRC (2 ticks per cycle), /16 prescaler, interrupt on bit 10 = every
    2**11 * 16 / 2 cycles; the ISR toggles the LED every `ticks` interrupts (blink.c)."""
    m = Machine.from_ihx(sdcc_build("blink", defines={"TICKS_PER_TOGGLE": ticks}))
    edges = pa_writes(m, 8 * ticks * 16384, pin=4)
    toggles = edges[1:]  # the first write is main's `pa = 0`
    assert len(toggles) >= 7
    assert [level for _, level in toggles] == [(n + 1) % 2 for n in range(len(toggles))]
    periods = {b - a for (a, _), (b, _) in zip(toggles, toggles[1:], strict=False)}
    assert periods == {ticks * 16384}
    assert m.read_var("toggles") == len(toggles)
    assert m.read_var("uptime") == ticks * len(toggles) + m.read_var("ticks")


def test_blinker_isr_is_a_breakpoint_by_its_c_name(sdcc_build):
    m = Machine.from_ihx(sdcc_build("blink", defines={"TICKS_PER_TOGGLE": 4}))
    m.breakpoints.add("timer_isr")
    hits = []
    for _ in range(3):
        assert m.run(100_000) == StopReason.BREAKPOINT
        hits.append(m.cycles)
    assert hits[2] - hits[1] == hits[1] - hits[0] == 16384
    assert m.symbols.functions["_timer_isr"].interrupt


# -- UART ----------------------------------------------------------------------------------


def decode_uart(levels: list[int]) -> bytes:
    """8N1 frames from one level per bit time (idle high, start 0, LSB first, stop 1)."""
    out, i = bytearray(), 0
    while i + 9 < len(levels):
        if levels[i] == 0:
            data = levels[i + 1 : i + 9]
            assert levels[i + 9] == 1, f"framing error at bit {i}"
            out.append(sum(bit << n for n, bit in enumerate(data)))
            i += 10
        else:
            i += 1
    return bytes(out)


def test_uart_sends_hello_at_69_cycles_per_bit(sdcc_build):
    """Timer2 period mode on the IHRC through the scaler /2 with TM2B = 68: an interrupt,
    and an edge, every 69 cycles (uart_hello.c); 8 MHz / 69 = 115942 baud."""
    m = Machine.from_ihx(sdcc_build("uart_hello"))
    writes = pa_writes(m, 2_000_000, pin=7)
    assert m.mode == "stopsys"
    bits = writes[2:]  # main's `pa = TX` (before PAC makes PA7 an output), the idle bit
    times = [t for t, _ in bits]
    assert {b - a for a, b in zip(times, times[1:], strict=False)} == {69}
    assert decode_uart([level for _, level in bits]) == b"Hello\n"
    assert CLOCK_HZ // 69 == 115942
    assert m.read_var("sent") == 6


# -- button --------------------------------------------------------------------------------


def test_led_follows_the_button_and_presses_are_counted(sdcc_build):
    m = Machine.from_ihx(sdcc_build("button"))
    m.run(2_000)  # start-up and the first loop turns
    assert m.pin(0) == 1 and m.pin(4) == 0  # released: the pull-up holds PA0 high
    start = m.cycles
    for down, up in [(1_000, 3_000), (6_000, 6_500), (9_000, 12_000)]:
        m.schedule_pin(start + down, 0, 0)
        m.schedule_pin(start + up, 0, None)  # released to the pull-up
    lit = []
    for t in range(250, 14_000, 500):  # sampled between the changes
        m.run(start + t - m.cycles)
        if m.pin(4):
            lit.append(t)
    assert lit == [1250, 1750, 2250, 2750, 6250, 9250, 9750, 10250, 10750, 11250, 11750]
    assert m.read_var("presses") == 3


def test_led_latency_is_the_hand_count_of_the_polling_loop(sdcc_build):
    """button.c's loop as SDCC compiles it. Released: mov.io a, pa / mov p, a / t1sn p, #0
    (skips: 2) / set0.io pa, #4 / clear / goto (2) = 8 cycles a turn. The pressed path to
    the LED: mov.io, mov, t1sn (no skip), goto (2), set1.io = 6 cycles. A press lands at
    one of the 8 cycles of a turn: the LED lights 6 to 6 + 8 - 1 = 13 cycles later."""
    latencies = set()
    for offset in range(8):
        m = Machine.from_ihx(sdcc_build("button"))
        pressed = 2_000 + offset
        m.schedule_pin(pressed, 0, 0)
        m.run(1_900)
        while not m.pin(4):
            m.step()
        latencies.add(m.cycles - pressed)
    assert latencies == set(range(6, 14))


# -- switch --------------------------------------------------------------------------------


def test_switch_jump_table_decodes_every_command(sdcc_build):
    m = Machine.from_ihx(sdcc_build("switch", defines={"COMMANDS": '"0123456789"'}))
    m.breakpoints.add("decode")
    calls = 0
    while m.run(100_000) == StopReason.BREAKPOINT:
        calls += 1
    assert calls == 10
    results = m.ram_of("results")
    assert list(m.ram[results : results + 10]) == [0, 10, 20, 30, 40, 11, 21, 31, 255, 255]
    assert m.read_var("decoded") == 10


def test_switch_cycles_per_case_are_the_hand_count(sdcc_build):
    """decode() in switch.c, as SDCC compiles it: mov, sub, ceqsn (no skip), t1sn.io f, c
    (skips: 2), add, pcadd (2), goto #case (2), ret #k (2) = 12 cycles for '0'..'7';
    '8' and '9' take mov, sub, ceqsn/t1sn (3 cycles either way), goto (2), ret #k (2) = 8."""
    m = Machine.from_ihx(sdcc_build("switch", defines={"COMMANDS": '"0123456789"'}))
    m.enable_profile()
    assert m.run(1_000_000) == StopReason.STOPSYS
    profile = m.profile()
    assert profile.by_label()["_decode"] == 8 * 12 + 2 * 8
    switch_line = [r for r in profile.by_line() if r.text.startswith("switch")]
    assert len(switch_line) == 1 and switch_line[0].filename == "switch.c"
    assert switch_line[0].function == "_decode"


# -- SPI -----------------------------------------------------------------------------------


class SpiFlash:
    """A mode-0 SPI slave answering the JEDEC ID command (0x9F) with three bytes, driven
    from the master's writes to PA (a watchpoint per write): it samples MOSI on SCK's
    rising edge and puts its next bit on MISO after the falling one."""

    CS, SCK, MOSI, MISO = 0, 3, 4, 6

    def __init__(self, machine: Machine, answer: bytes):
        self.m = machine
        self.answer = answer
        self.received = bytearray()
        self.out_bits: list[int] = []
        self.shift = self.count = 0
        self.sck = 0
        self.selected = False

    def bits_of(self, data: bytes) -> list[int]:
        return [byte >> (7 - n) & 1 for byte in data for n in range(8)]

    def on_write(self) -> None:
        cs, sck = self.m.pin(self.CS), self.m.pin(self.SCK)
        if not cs and not self.selected:  # selected: the first bit goes out at once
            self.selected = True
            self.out_bits = [0] * 8 + self.bits_of(self.answer)
            self.m.set_pin(self.MISO, self.out_bits.pop(0))
        elif cs:
            self.selected = False
        if self.selected and sck and not self.sck:  # rising: sample MOSI
            self.shift = (self.shift << 1 | self.m.pin(self.MOSI)) & 0xFF
            self.count += 1
            if self.count % 8 == 0:
                self.received.append(self.shift)
        if self.selected and not sck and self.sck and self.out_bits:  # falling: next bit
            self.m.set_pin(self.MISO, self.out_bits.pop(0))
        self.sck = sck


def test_spi_master_reads_the_jedec_id_from_a_scripted_slave(sdcc_build):
    m = Machine.from_ihx(sdcc_build("spi_master"))
    flash = SpiFlash(m, bytes([0xEF, 0x40, 0x16]))
    m.watch("pa")
    while m.run(1_000_000) == StopReason.WATCHPOINT:
        flash.on_write()
    assert m.mode == "stopsys"
    assert bytes(flash.received) == bytes([0x9F, 0, 0, 0])
    assert bytes(m.ram[m.ram_of("id") : m.ram_of("id") + 3]) == bytes([0xEF, 0x40, 0x16])
    assert m.read_var("transfers") == 4
    assert m.pin(flash.CS) == 1  # deselected at the end
