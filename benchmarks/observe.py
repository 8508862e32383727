"""Observation at full speed: firmware checks, break_when, edge recording and VCD, each as
a ratio against the plain interpreter on the same run (issue 15, item 2).

Every mode runs the same program for the same number of cycles from power-on as the
plain run (`Machine(image, translate=False).run(n)`, the fast variant of the interpreter),
alternating plain and observed runs; each figure is the best CPU time of the repeats
(`time.process_time`, which leaves out waiting for a core on a shared machine), and the
ratio is plain CPU time / observed CPU time, so 0.5 means "half the plain speed".

Programs:

* **SDCC firmware** (`FIRMWARE` below, built with `sdcc -mpdk13` at benchmark time):
  a djb2-style hash over a RAM buffer by a function returning `unsigned long`, which SDCC
  compiles as ``push af; call; mov.io a, sp; add a, #-2; mov.io sp, a``: an SP write on
  every call, as SDCC code does wherever a long or a struct is returned. A Timer16
  interrupt toggles PA4 every 2,048 cycles and Timer2 drives a PWM on PA3.
* **mixed** (benchmarks/mixed.asm): every instruction class, timers and interrupts.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

FIRMWARE = r"""
__sfr __at(0x03) clkmd;
__sfr __at(0x04) inten;
__sfr __at(0x05) intrq;
__sfr __at(0x06) t16m;
__sfr __at(0x09) tm2b;
__sfr __at(0x10) pa;
__sfr __at(0x11) pac;
__sfr __at(0x17) tm2s;
__sfr __at(0x1c) tm2c;

unsigned char buffer[8];
volatile unsigned long total;
volatile unsigned char rounds;
volatile unsigned char ticks;

unsigned char _sdcc_external_startup(void) { clkmd = 0x34; return 0; }

void timer_isr(void) __interrupt(0)
{
    intrq = 0;
    pa ^= 0x10;
    ticks++;
}

static unsigned long step(unsigned long h, unsigned char c) { return (h << 5) + h + c; }

void main(void)
{
    for (unsigned char i = 0; i < sizeof buffer; i++)
        buffer[i] = i * 37;
    pac = 0x10;
    tm2b = 100;
    tm2s = 0;
    tm2c = 0x1A; /* system clock, PWM on PA3 */
    t16m = 0x28; /* system clock, /4, interrupt on bit 8: every 2048 cycles */
    inten = 0x04;
    intrq = 0;
    __asm__("engint");
    for (;;) {
        unsigned long h = 5381;
        for (unsigned char i = 0; i < sizeof buffer; i++)
            h = step(h, buffer[i]);
        total = h;
        rounds++;
    }
}
"""


def build_firmware(folder: Path):
    """The SDCC program's Image, or None without sdcc."""
    from pms150c import Image

    if shutil.which("sdcc") is None:
        return None
    source = folder / "observe.c"
    source.write_text(FIRMWARE)
    done = subprocess.run(
        ["sdcc", "-mpdk13", "--debug", source.name], cwd=folder, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"sdcc failed: {done.stderr.strip()}")
    return Image.from_ihx(folder / "observe.ihx")


# -- the modes -----------------------------------------------------------------------------


def _plain(m, n):
    return m.run(n)


def _checks(m, n):
    from pms150c.debug.checks import check_firmware

    return check_firmware(m, n).stop


def _never_ram(m, n):
    """A RAM condition that never holds: evaluated only after writes to its bytes."""
    from pms150c.debug.conditions import ram

    m.break_when(ram(m._bench_ram, size=2) == 0xFFFF)
    return m.run(n)


def _never_a(m, n):
    """A condition on A (and SP): evaluated after every instruction."""
    from pms150c.debug.conditions import a, sp

    m.break_when((a == 0x42) & (sp == 0xFF))
    return m.run(n)


def _predicate(m, n):
    """The slow path: a Python predicate asked after every instruction."""
    m.break_when(lambda machine: machine.sp == 0xFF)
    return m.run(n)


def _watch(m, n):
    """The debug variant (a watchpoint on an IO register nothing writes), for comparison."""
    m.watch(0x1F, io=True)
    return m.run(n)


def _edges(m, n):
    """Every pin change recorded by the core's signal log (Machine.record_pins)."""
    recording = m.record_pins()
    reason = m.run(n)
    m._bench_edges = len(recording.edges)
    return reason


def _vcd(m, n):
    """A VCD of every signal written to a file (pms150c.debug.vcd.write_vcd)."""
    from pms150c.debug.vcd import write_vcd

    with tempfile.TemporaryDirectory(prefix="pms150c-vcd-") as folder:
        write_vcd(m, n, Path(folder) / "bench.vcd")
    return "recorded"


MODES = {
    "record_pins (edge log of every pin)": (_edges, 1),
    "write_vcd (VCD of every signal to a file)": (_vcd, 1),
    "check_firmware (exec --check)": (_checks, 1),
    "break_when(ram(...) == v), never true": (_never_ram, 1),
    "break_when((a == v) & (sp == w)), never true": (_never_a, 1),
    "break_when(Python predicate), never true": (_predicate, 1000),
    "watchpoint that never fires (debug variant)": (_watch, 1),
}


def _cpu(image, mode, cycles: int, ram_address: int) -> tuple[float, object, int]:
    from pms150c import Machine

    m = Machine(image, translate=False)
    m._bench_ram = ram_address
    c = time.process_time()
    reason = mode(m, cycles)
    return time.process_time() - c, reason, m.cycles


def measure_program(image, cycles: int, repeats: int, ram_address: int, log) -> dict:
    """Plain and every mode on `image`, alternating; best CPU time of each."""
    for mode, _scale in MODES.values():  # compile or load every variant outside the timing
        _cpu(image, mode, 1000, ram_address)
    best = {"plain": float("inf")} | {name: float("inf") for name in MODES}
    ends = {}
    for _ in range(repeats):
        for name, (mode, scale) in [("plain", (_plain, 1)), *MODES.items()]:
            seconds, reason, done = _cpu(image, mode, cycles // scale, ram_address)
            best[name] = min(best[name], seconds * scale)
            ends[name] = (getattr(getattr(reason, "kind", None), "value", str(reason)), done)
    plain = best["plain"]
    out = {"cycles": cycles, "plain_mcycles_per_cpu_s": cycles / plain / 1e6, "modes": {}}
    for name in MODES:
        out["modes"][name] = {
            "mcycles_per_cpu_s": cycles / best[name] / 1e6,
            "ratio": plain / best[name],
            "stop": ends[name][0],
            "scaled_from": cycles // MODES[name][1],
        }
    return out


def measure_all(quick: bool, log) -> dict:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench import mixed_image

    cycles = 20_000_000 if quick else 100_000_000
    repeats = 2 if quick else 4
    results: dict = {"programs": {}, "notes": []}
    with tempfile.TemporaryDirectory(prefix="pms150c-observe-") as folder:
        firmware = build_firmware(Path(folder))
    programs = {"mixed (benchmarks/mixed.asm)": (mixed_image(), 0x20)}
    if firmware is None:
        results["notes"].append("SDCC firmware skipped: sdcc not found")
    else:
        total = firmware.symbol_table.variables["_total"].address
        programs = {"SDCC firmware (SP written on every call)": (firmware, total)} | programs
    for name, (image, ram_address) in programs.items():
        log(f"observation: {name}")
        results["programs"][name] = measure_program(image, cycles, repeats, ram_address, log)
    return results


def print_tables(console, results: dict) -> None:
    from rich.table import Table

    for name, program in results["programs"].items():
        table = Table(
            title=f"Observation at full speed: {name}",
            caption=f"{program['cycles']:,} cycles from power-on; plain interpreter "
            f"{program['plain_mcycles_per_cpu_s']:.0f} Mcycles/CPU-s in the same run; "
            "ratio = plain CPU time / observed CPU time (goal >= 0.5 for checks, VCD, edges)",
        )
        for col in ("mode", "Mcycles/CPU-s", "ratio vs plain", "stop"):
            table.add_column(col, justify="left" if col in ("mode", "stop") else "right")
        for mode, row in program["modes"].items():
            scaled = "" if row["scaled_from"] == program["cycles"] else " (shorter run)"
            table.add_row(
                mode,
                f"{row['mcycles_per_cpu_s']:.2f}",
                f"{row['ratio']:.3f}",
                row["stop"] + scaled,
            )
        console.print(table)
    for note in results["notes"]:
        console.print(f"[yellow]note:[/] {note}")


if __name__ == "__main__":
    import argparse
    import json
    import sys

    from rich.console import Console

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    found = measure_all(args.quick, lambda msg: print(f"... {msg}", file=sys.stderr))
    if args.json:
        print(json.dumps(found, indent=2))
    else:
        print_tables(Console(width=120), found)
