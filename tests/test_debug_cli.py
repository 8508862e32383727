"""The exec, trace, profile and vcd subcommands: output, exit codes, one-line errors."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pms150c import assemble
from pms150c.cli import main
from pms150c.debug.vcd import read_vcd

REPO = Path(__file__).resolve().parent.parent

# start: 6 one-cycle instructions, cycles 0..5. Loop pass k (0x20 = 3, 2, 1):
#   pass 1: mov 6, xor 7 -> 8, dzsn 8 -> 9, goto 9 -> 11
#   pass 2: mov 11, xor 12 -> 13, dzsn 13 -> 14 (0x20 = 1), goto 14 -> 16
#   pass 3: mov 16, xor 17 -> 18, dzsn 18 -> 20 (0x20 = 0, skips), stopsys 20 -> 21
BLINK = """\
\t.area CODE (ABS)
\t.org 0
start:
\tmov a, #0x34
\tmov.io 0x03, a
\tmov a, #0x08
\tmov.io 0x11, a
\tmov a, #3
\tmov 0x20, a
loop:
\tmov a, #0x08
\txor.io 0x10, a
\tdzsn 0x20
\tgoto loop
\tstopsys
"""


@pytest.fixture
def blink(tmp_path):
    path = tmp_path / "blink.asm"
    path.write_text(BLINK)
    return path


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.mark.parametrize("command", ["exec", "trace", "profile", "vcd"])
def test_every_command_has_help(capsys, command):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: pms150c {command}" in capsys.readouterr().out


def test_exec_runs_to_stopsys_and_prints_registers_ram_and_cycles(capsys, blink):
    code, out, _ = run_cli(capsys, "exec", blink)
    assert code == 0
    assert "stopsys at pc 0x00b, cycle 21" in out
    assert "cycles 21" in out
    assert "  20: 00 00" in out  # the counter ended at 0
    assert "pins 0x08" in out  # PA3 toggled three times: high


def test_exec_reads_intel_hex_too(capsys, blink, tmp_path):
    hexfile = tmp_path / "blink.ihx"
    hexfile.write_text(assemble(BLINK).to_ihx())
    code, out, _ = run_cli(capsys, "exec", hexfile)
    assert code == 0 and "cycle 21" in out


def test_exec_break_and_watch(capsys, blink):
    code, out, _ = run_cli(capsys, "exec", blink, "--break", "loop")
    assert code == 0 and "breakpoint at 0x006, cycle 6" in out
    # the second dzsn (pc 8) leaves 0x20 = 1 at cycle 14
    code, out, _ = run_cli(capsys, "exec", blink, "--watch", "0x20:w=1")
    assert code == 0 and "write of RAM 0x20 by the instruction at 0x008, cycle 14" in out
    code, out, _ = run_cli(capsys, "exec", blink, "-w", "pa")
    assert code == 0 and "write of IO 0x10 by the instruction at 0x007, cycle 8" in out


def test_exec_cycle_limit_has_its_own_exit_code_and_message(capsys, blink):
    code, out, err = run_cli(capsys, "exec", blink, "--max-cycles", "5")
    assert code == 3
    assert "cycle limit of 5 reached" in err
    assert "cycles 5" in out


def test_exec_check_reports_uninitialised_reads(capsys, tmp_path):
    path = tmp_path / "u.asm"
    path.write_text("\tmov a, 0x05\n\tstopsys\n")
    code, out, _ = run_cli(capsys, "exec", path, "--check")
    assert code == 4
    assert "pc 0x000 reads RAM 0x05, never written" in out


def test_trace_lists_every_instruction_or_the_last_n(capsys, blink, tmp_path):
    code, out, err = run_cli(capsys, "trace", blink)
    assert code == 0
    rows = [line for line in out.splitlines()[1:] if not line.strip().endswith(":")]
    assert len(rows) == 6 + 4 + 4 + 3 + 1  # set-up, 3 passes (last without goto), stopsys
    assert "blink.asm:12: xor.io 0x10, a" in out
    code, out, _ = run_cli(capsys, "trace", blink, "--last", "2")
    assert [line.split()[1] for line in out.splitlines()[1:]] == ["008", "00a"]
    npy = tmp_path / "t.npy"
    code, _, _ = run_cli(capsys, "trace", blink, "-o", npy)
    assert np.load(npy)["pc"][-1] == 0x00A


def test_whole_run_trace_is_capped_to_the_last_records_with_a_note(capsys, blink, monkeypatch):
    from pms150c.debug import commands

    monkeypatch.setattr(commands, "MAX_WHOLE_TRACE", 5)
    code, out, err = run_cli(capsys, "trace", blink, "-n", "1000")
    assert code == 0
    rows = [line for line in out.splitlines()[1:] if not line.strip().endswith(":")]
    assert [row.split()[1] for row in rows] == ["009", "006", "007", "008", "00a"]  # goto, pass 3
    lines = err.splitlines()
    assert lines[0] == (
        "pms150c trace: kept only the last 5 of 18 instructions "
        "(a whole-run trace is capped; use --last N to choose how many)"
    )
    assert lines[-1] == "stopsys at pc 0x00b, cycle 21"
    # below the cap (n cycles start at most n + 1 instructions) nothing is dropped or said
    code, out, err = run_cli(capsys, "trace", blink, "-n", "4")
    assert code == 3 and "kept only" not in err


@pytest.mark.parametrize("command", ["trace", "profile"])
def test_trace_and_profile_cycle_limit_message_has_the_command_prefix(capsys, blink, command):
    code, _, err = run_cli(capsys, command, blink, "--max-cycles", "5")
    assert code == 3
    assert err.splitlines()[-1] == (
        f"pms150c {command}: cycle limit of 5 reached before stopsys (raise it with --max-cycles)"
    )


@pytest.mark.parametrize("command", ["exec", "trace", "profile", "vcd"])
def test_a_directory_as_program_is_named_a_directory(capsys, tmp_path, command):
    code, _, err = run_cli(capsys, command, tmp_path)
    assert code == 1
    assert err.strip() == f"pms150c {command}: {tmp_path}: is a directory, not a program"


def test_profile_tables_and_listing(capsys, blink):
    code, out, _ = run_cli(capsys, "profile", blink)
    assert code == 0
    assert "hot spots (21 cycles)" in out and "cycles per label" in out
    code, out, _ = run_cli(capsys, "profile", blink, "--listing")
    assert out.splitlines()[-1].split() == ["21", "total"]


def test_vcd_writes_a_parseable_file(capsys, blink, tmp_path):
    output = tmp_path / "w.vcd"
    code, _, err = run_cli(capsys, "vcd", blink, "-o", output)
    assert code == 0 and "21 cycles" in err
    # the xors start (and write PA) at 7, 12 and 17
    assert read_vcd(output.read_text())["PA3"] == [(0, 0), (7, 1), (12, 0), (17, 1)]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["exec", "{missing}"], "no such file"),
        (["exec", "{tmp}/prog.txt"], "expected an .asm source"),
        (["exec", "{blink}", "--watch", "0x20:x"], "bad watch"),
        (["exec", "{blink}", "--watch", "0x99"], "outside"),
        (["exec", "{blink}", "--break", "nowhere"], "no label 'nowhere'"),
        (["exec", "{blink}", "--pin", "PA9=1"], "PA9 does not exist"),
        (["exec", "{bad_asm}"], "error: unknown"),
        (["exec", "{bad_hex}"], "line 1"),
        (["exec", "{runaway}"], "executed blank (unprogrammed) word 0x1FFF at 0x001"),
        (["trace", "{blink}", "-o", "{tmp}/no/dir/t.txt"], "cannot write"),
        (["profile", "{blink}", "-o", "{tmp}/no/dir/p.txt"], "cannot write"),
        (["vcd", "{blink}", "-o", "{tmp}/no/dir/w.vcd"], "cannot write"),
    ],
)
def test_bad_input_gives_one_line_and_exit_1(capsys, blink, tmp_path, argv, message):
    (tmp_path / "prog.txt").write_text("nop\n")
    (tmp_path / "bad.asm").write_text("\tfrobnicate a\n")
    (tmp_path / "bad.ihx").write_text("not hex\n")
    (tmp_path / "runaway.asm").write_text("\tnop\n")  # then blank words
    names = {
        "missing": tmp_path / "missing.asm",
        "tmp": tmp_path,
        "blink": blink,
        "bad_asm": tmp_path / "bad.asm",
        "bad_hex": tmp_path / "bad.ihx",
        "runaway": tmp_path / "runaway.asm",
    }
    code, out, err = run_cli(capsys, *[a.format(**names) for a in argv])
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    assert message in err


@pytest.mark.parametrize("argv", [["exec", "x.asm", "-n", "-5"], ["vcd", "x.asm", "--unit", "s"]])
def test_usage_errors_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_real_process_prints_no_traceback(tmp_path):
    bad = tmp_path / "bad.ihx"
    bad.write_text(":00000001FE\n:zz\n")
    result = subprocess.run(
        [sys.executable, "-m", "pms150c", "exec", str(bad)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("pms150c exec: ")


def test_vcd_at_the_cycle_limit_exits_0_with_what_it_recorded(capsys, blink, tmp_path):
    # the goto starting at cycle 9 (< 10) completes at 11; the only xor so far writes at 7
    output = tmp_path / "w.vcd"
    code, _, err = run_cli(capsys, "vcd", blink, "-n", "10", "-o", output)
    assert code == 0
    assert err.strip() == f"{output}: 11 cycles, stopped in mode running"
    assert read_vcd(output.read_text())["PA3"] == [(0, 0), (7, 1)]
