"""Testing PMS150C firmware with pytest and hypothesis: the helpers behind the plugin.

``pip install pms150c`` registers the pytest plugin (`pms150c.testing.plugin`: the
``pms150c_machine`` and ``pms150c_sdcc`` fixtures). What the fixtures use is here, for
tests without pytest's fixtures too:

* `load`: an Image, an .ihx, an .asm, assembly text or a .c file -> Machine;
* `SdccBuilder`: ``sdcc -mpdk13`` builds, once per set of sources and flags;

docs/firmware.md ("Testing with pytest") shows complete test files.
"""

from __future__ import annotations

from .load import find_file, is_file_name, load
from .sdcc import SdccBuilder, SdccError, SdccNotFoundError, sdcc_missing

__all__ = [
    "SdccBuilder",
    "SdccError",
    "SdccNotFoundError",
    "find_file",
    "is_file_name",
    "load",
    "sdcc_missing",
]
