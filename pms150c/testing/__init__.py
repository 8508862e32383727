"""Testing PMS150C firmware with pytest and hypothesis: the helpers behind the plugin.

``pip install pms150c`` registers the pytest plugin (`pms150c.testing.plugin`: the
``pms150c_machine`` and ``pms150c_sdcc`` fixtures). What the fixtures use is here, for
tests without pytest's fixtures too:

* `load`: an Image, an .ihx, an .asm, assembly text or a .c file -> Machine;
* `SdccBuilder`: ``sdcc -mpdk13`` builds, once per set of sources and flags;
* `assert_within`, `assert_never`, `run_until`: "this holds within N cycles / ms";
* `call`: one C function or routine with arguments -> return value and exact cycles;
* `pms150c.testing.strategies` (needs hypothesis): ROM words, instruction text, RAM.

docs/firmware.md ("Testing with pytest") shows complete test files.
"""

from __future__ import annotations

from .calls import Called, boot_state, call
from .expect import ExpectationError, assert_never, assert_within, run_until, state_text
from .load import find_file, is_file_name, load
from .sdcc import SdccBuilder, SdccError, SdccNotFoundError, sdcc_missing

__all__ = [
    "Called",
    "ExpectationError",
    "SdccBuilder",
    "SdccError",
    "SdccNotFoundError",
    "assert_never",
    "assert_within",
    "boot_state",
    "call",
    "find_file",
    "is_file_name",
    "load",
    "run_until",
    "sdcc_missing",
    "state_text",
]
