"""`python -m pms150c asm` and `disasm`: files in, files out, one-line errors."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pms150c import Image, assemble
from pms150c.cli import main

PROGRAM = """\
        .area   HEADER (ABS)
        .org    0x0000
        goto    main
        .org    0x0020
        reti
main:   mov     a, #0x20
        mov.io  sp, a
1$:     goto    1$
"""


def test_asm_writes_hex_and_listing(tmp_path, capsys):
    (tmp_path / "p.asm").write_text(PROGRAM)
    out, lst = tmp_path / "p.ihx", tmp_path / "p.lst"
    assert main(["asm", str(tmp_path / "p.asm"), "-o", str(out), "--listing", str(lst)]) == 0
    assert out.read_text() == assemble(PROGRAM).to_ihx()
    assert "011:  1720  mov a, #0x20" in lst.read_text()
    assert "5 words" in capsys.readouterr().err


def test_asm_default_output_name(tmp_path):
    (tmp_path / "p.asm").write_text(PROGRAM)
    assert main(["asm", str(tmp_path / "p.asm")]) == 0
    assert (tmp_path / "p.ihx").is_file()


def test_asm_error_is_one_line_with_location(tmp_path, capsys):
    (tmp_path / "bad.asm").write_text("\tnop\n\tgoto 0x400\n")
    assert main(["asm", str(tmp_path / "bad.asm"), "-o", str(tmp_path / "bad.ihx")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "bad.asm:2:7: error: ROM word address 0x400 out of range" in err
    assert not (tmp_path / "bad.ihx").exists()


def test_asm_no_strict_cuts_like_sdaspdk13_and_warns_on_stderr(tmp_path, capsys):
    (tmp_path / "cal.asm").write_text("\tand a, #((8000000)>>8)\n\tnop\n")
    assert main(["asm", str(tmp_path / "cal.asm")]) == 1
    assert "error: immediate 0x7a12 out of range" in capsys.readouterr().err
    assert main(["asm", str(tmp_path / "cal.asm"), "--no-strict"]) == 0
    err = capsys.readouterr().err
    assert "cal.asm:1:9: warning: immediate 0x7a12 out of range 0..0xff: kept 0x12" in err
    assert int(Image.from_ihx(tmp_path / "cal.ihx").words[0]) == 0x1412


@pytest.mark.parametrize("command", ["asm", "disasm"])
def test_missing_input_is_one_line(tmp_path, capsys, command):
    assert main([command, str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "none" in err


def test_bad_hex_is_one_line(tmp_path, capsys):
    (tmp_path / "x.ihx").write_text(":020020003B00A4\n:00000001FF\n")
    assert main(["disasm", str(tmp_path / "x.ihx")]) == 1
    assert "line 1: bad checksum" in capsys.readouterr().err


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["asm"])
    assert info.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_disasm_source_reassembles_to_the_same_words(tmp_path, capsys):
    (tmp_path / "p.ihx").write_text(assemble(PROGRAM).to_ihx())
    assert main(["disasm", "--source", str(tmp_path / "p.ihx")]) == 0
    text = capsys.readouterr().out
    again = assemble(text)
    original = assemble(PROGRAM)
    assert np.array_equal(again.written, original.written)
    assert np.array_equal(again.words, original.words)


def test_module_entry_point_runs(tmp_path):
    (tmp_path / "p.asm").write_text(PROGRAM)
    run = subprocess.run(
        [sys.executable, "-m", "pms150c", "disasm", "nothing.ihx"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    assert run.returncode == 1
    assert run.stderr.strip() == "pms150c disasm: nothing.ihx: no such file"


@pytest.mark.sdcc
@pytest.mark.skipif(shutil.which("sdaspdk13") is None, reason="sdaspdk13 is not installed")
def test_cli_round_trips_an_ihx_made_by_sdldpdk(tmp_path, capsys):
    (tmp_path / "p.asm").write_text(PROGRAM)
    for command in (["sdaspdk13", "-plosgff", "p.asm"], ["sdldpdk", "-n", "-i", "p.ihx", "p.rel"]):
        subprocess.run(command, cwd=tmp_path, capture_output=True, check=False)
    theirs = Image.from_ihx(tmp_path / "p.ihx")
    assert main(["disasm", "-s", str(tmp_path / "p.ihx")]) == 0
    (tmp_path / "back.asm").write_text(capsys.readouterr().out)
    assert main(["asm", str(tmp_path / "back.asm"), "-o", str(tmp_path / "back.ihx")]) == 0
    ours = Image.from_ihx(tmp_path / "back.ihx")
    assert np.array_equal(ours.words, theirs.words)
    assert np.array_equal(ours.written, theirs.written)
    assert theirs.used_words == 5
