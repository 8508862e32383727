"""Debugging without hardware: conditional stops, traces, waveforms, profiles, checks.

The jitted core provides the cheap hooks (breakpoint words, watch masks, a trace ring, per-pc
counters; see pms150c/core.py); the modules here turn them into what a firmware author
reads: `conditions` (watchpoints with a value, predicate breakpoints), `trace` (a
structured array rendered as a listing), `vcd` (waveforms for GTKWave), `profile`
(cycles per source line and per label), `checks` (stack and uninitialised-RAM findings)
and `commands` (the exec/trace/profile/vcd subcommands).
"""
