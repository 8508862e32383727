"""A Ctrl-C that a finalizer swallows is still a Ctrl-C.

Python runs a SIGINT handler at the next bytecode boundary of the main thread. When that
boundary lies inside a finalizer (a ``__del__``, a weakref callback: Numba's dispatcher and
its temporaries run such code on every call), the KeyboardInterrupt it raises is
'unraisable': Python prints "Exception ignored ..." and goes on, so an endless
``Machine.run()`` would never see the key press. While `watching()` is active, such an
interrupt is recorded instead of printed, and `raise_if_pressed()` raises it again where
the run can stop cleanly (between two jitted calls).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import interrupted

_depth = 0  # nesting of `watching` blocks (a run inside a run, conditions inside run)
_pressed = False
_saved_hook = None


def _record(info) -> None:
    global _pressed
    if interrupted(info.exc_value):
        _pressed = True
    elif _saved_hook is not None:
        _saved_hook(info)


@contextmanager
def watching() -> Iterator[None]:
    """Record swallowed Ctrl-Cs for the length of the block (main thread only: signal
    handlers run nowhere else). Leaving the outermost block with one recorded and no
    exception under way raises it."""
    global _depth, _pressed, _saved_hook
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if _depth == 0:
        _saved_hook, _pressed = sys.unraisablehook, False
        sys.unraisablehook = _record
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            sys.unraisablehook = _saved_hook
            _saved_hook = None
    if _depth == 0:
        raise_if_pressed()


def raise_if_pressed() -> None:
    """Raise KeyboardInterrupt if a swallowed Ctrl-C was recorded (and forget it)."""
    global _pressed
    if _pressed:
        _pressed = False
        raise KeyboardInterrupt
