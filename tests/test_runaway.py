"""Firmware that never stops: Ctrl-C ends `Machine.run()` cleanly; the CLI has a cycle limit.

`run()` without a limit goes on until the program stops. A user who presses Ctrl-C must get
``StopReason.INTERRUPTED`` back with the machine in a consistent state, from which it can
run on. The test sends a real SIGINT to the main thread from a timer thread.
"""

from __future__ import annotations

import signal
import threading
import time

import pytest

from pms150c import assemble

machine = pytest.importorskip("pms150c.machine")
Machine, StopReason = machine.Machine, machine.StopReason

COUNTER_LOOP = """\
loop:   inc     0x10            ; RAM 0x10 counts, so the state moves all the time
        goto    loop
"""
SLEEP_FOREVER = """\
        stopexe                 ; no timer or pin is enabled: nothing ever wakes it
        goto    0
"""


@pytest.fixture(autouse=True)
def sigint_raises_keyboard_interrupt():
    """Python's own SIGINT handler for each test, whatever the process inherited: a
    process started in the background by a non-interactive shell (or under nohup) has
    SIGINT ignored, and the endless runs here would then never end."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def run_until_sigint(m, delay_s: float = 0.5):
    """`m.run()` with a SIGINT delivered to this thread after `delay_s`; (reason, seconds)."""
    timer = threading.Timer(delay_s, signal.pthread_kill, (threading.get_ident(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    try:
        reason = m.run()
    finally:
        timer.cancel()
        timer.join()
    return reason, time.monotonic() - start


@pytest.mark.parametrize("source", [COUNTER_LOOP, SLEEP_FOREVER], ids=["busy_loop", "stopexe"])
def test_ctrl_c_stops_an_endless_run_with_the_state_intact(source):
    image = assemble(source)
    m = Machine(image)
    m.run(1000)  # compile before the clock starts
    reason, seconds = run_until_sigint(m)
    assert reason == StopReason.INTERRUPTED
    assert (reason.pc, reason.cycles) == (m.pc, m.cycles)
    assert m.cycles > 1000 and seconds < 30
    # the interrupted machine is exactly where an uninterrupted one is after as many cycles
    fresh = Machine(image)
    fresh.run(m.cycles)
    assert fresh.snapshot() == m.snapshot()
    # and it runs on from there like the uninterrupted one
    m.run(5000)
    fresh.run(5000)
    assert m.snapshot() == fresh.snapshot()


def test_run_with_a_limit_on_an_endless_program_returns_max_cycles():
    m = Machine(assemble(COUNTER_LOOP))
    reason = m.run(3_000_000)
    assert reason == StopReason.MAX_CYCLES
    assert 3_000_000 <= m.cycles <= 3_000_001


@pytest.mark.parametrize("command", ["exec", "profile", "trace"])
def test_ctrl_c_ends_an_endless_cli_run_with_a_message(command, tmp_path, capsys):
    from pms150c.cli import main

    program = tmp_path / "endless.asm"
    program.write_text(COUNTER_LOOP)
    Machine(assemble(COUNTER_LOOP)).run(1000)  # compiled before the clock starts
    argv = [command, str(program), "--max-cycles", str(10**15)]
    if command == "trace":
        argv += ["--last", "8"]
    timer = threading.Timer(1.0, signal.pthread_kill, (threading.get_ident(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    try:
        code = main(argv)
    finally:
        timer.cancel()
        timer.join()
    out, err = capsys.readouterr()
    assert time.monotonic() - start < 30
    assert "interrupted at pc 0x" in out + err
    assert "Traceback" not in out + err
    assert code == 130  # the shell's status after Ctrl-C


class SwallowedCtrlC:
    """An object whose finalizer gets the Ctrl-C: Python reports it as unraisable and goes
    on, as it does when a real SIGINT lands inside one of Numba's finalizers."""

    def __del__(self):
        raise KeyboardInterrupt


def test_ctrl_c_swallowed_by_a_finalizer_still_stops_the_run(monkeypatch):
    m = Machine(assemble(COUNTER_LOOP))
    real_call = m._call
    calls = []

    def call_then_finalize(*args):
        status = real_call(*args)
        calls.append(m.cycles)
        SwallowedCtrlC()  # finalized at once: the KeyboardInterrupt goes nowhere
        return status

    monkeypatch.setattr(m, "_call", call_then_finalize)
    reason = m.run(50 * machine.RUN_CHUNK_CYCLES)
    assert reason == StopReason.INTERRUPTED
    assert len(calls) == 1 and reason.cycles == m.cycles == calls[0]


def test_ctrl_c_swallowed_inside_a_predicate_still_stops_the_run():
    m = Machine(assemble(COUNTER_LOOP))
    evaluated = []

    def never_true(machine_):
        evaluated.append(machine_.cycles)
        if len(evaluated) == 100:
            SwallowedCtrlC()
        return False

    m.break_when(never_true)
    reason = m.run(10**6)
    assert reason == StopReason.INTERRUPTED
    assert len(evaluated) == 100


def test_a_swallowed_ctrl_c_does_not_outlive_the_run_it_stopped(monkeypatch):
    m = Machine(assemble(COUNTER_LOOP))
    real_call = m._call

    def call_then_finalize(*args):
        SwallowedCtrlC()
        return real_call(*args)

    monkeypatch.setattr(m, "_call", call_then_finalize)
    assert m.run(10**6) == StopReason.INTERRUPTED
    monkeypatch.setattr(m, "_call", real_call)
    assert m.run(1000) == StopReason.MAX_CYCLES  # the next run is not interrupted
