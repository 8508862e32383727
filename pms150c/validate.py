"""Checks of the arguments users pass in: one place, so every entry point agrees.

Python's own conversions are too forgiving or fail with the wrong exception for a
simulator's API: ``int(1.5)`` silently truncates, ``int(nan)`` raises ValueError, an int
too wide for int64 becomes an OverflowError (or a Numba TypingError) deep inside the core,
and ``Path(None)`` a TypeError. Here an integer argument must be an integer (a Python int,
a bool or a numpy integer: anything with ``__index__``), a path a str or os.PathLike, and
every refusal is a `Pms150cError` subclass chosen by the caller (AddressError for an
address, PinError for a pin, ...) whose message names the argument.
"""

from __future__ import annotations

import math
import operator
import os
from pathlib import Path

from .errors import ArgumentError, FileError, Pms150cError, printable, shorten

INT64_MAX = 2**63 - 1


def describe(value: object) -> str:
    """A short description of a value for a message: its type, and the value when small."""
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else f"the float {value!r}"
    if isinstance(value, int):
        return show_int(value)
    if value is None:
        return "None"
    if isinstance(value, str | bytes):
        return f"the {type(value).__name__} {shorten(printable(repr(value)), 40)}"
    return f"a {type(value).__name__}"


def show_int(value: int, hexadecimal: bool = False) -> str:
    """An int for a message, abbreviated when it is too wide to be worth printing (and
    Python refuses to print ints of more than 4300 digits in decimal)."""
    if value == INT64_MAX:
        return "2**63-1"
    if value.bit_length() > 192:  # more than 57 digits: a runaway value, not a number to read
        sign = "-" if value < 0 else ""
        return f"{sign}a {value.bit_length()}-bit number"
    if hexadecimal and value:
        return f"-0x{-value:x}" if value < 0 else f"0x{value:x}"
    return str(value)


def integer(
    value: object,
    what: str,
    low: int | None = None,
    high: int | None = None,
    *,
    error: type[Pms150cError] = ArgumentError,
    hexadecimal: bool = False,
    region: str = "",
) -> int:
    """`value` as a Python int, or `error` when it is not an integer or lies outside
    ``low..high`` (either bound may be None; `region` names the range: "ROM")."""
    try:
        number = operator.index(value)
    except TypeError:
        raise error(f"{what} must be an integer, not {describe(value)}") from None
    if (low is not None and number < low) or (high is not None and number > high):
        lo = "" if low is None else show_int(low, hexadecimal)
        hi = "" if high is None else show_int(high, hexadecimal)
        span = f"{region} ({lo}..{hi})" if region else f"{lo}..{hi}"
        raise error(f"{what} {show_int(number, hexadecimal)} is outside {span}")
    return number


def flag(value: object, what: str, *, error: type[Pms150cError] = ArgumentError) -> bool:
    """A yes/no argument: a bool, or the integers 0 and 1."""
    if isinstance(value, bool):
        return value
    return bool(integer(value, what, 0, 1, error=error))


def number(
    value: object,
    what: str,
    low: float | None = None,
    high: float | None = None,
    *,
    error: type[Pms150cError] = ArgumentError,
) -> float:
    """`value` (an int or a float, not a bool, finite) as a float inside ``low..high``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            value = float(operator.index(value))  # a numpy integer
        except TypeError:
            if not (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") == "f"):
                raise error(f"{what} must be a number, not {describe(value)}") from None
    result = float(value)
    if not math.isfinite(result):
        raise error(f"{what} must be a finite number, not {describe(result)}")
    if (low is not None and result < low) or (high is not None and result > high):
        lo = "" if low is None else f"{low:g}"
        hi = "" if high is None else f"{high:g}"
        raise error(f"{what} {result:g} is outside {lo}..{hi}")
    return result


def path(value: object, what: str = "file name", *, error: type[Pms150cError] = FileError) -> Path:
    """`value` as a Path: a str, bytes (decoded as the OS does) or os.PathLike; not None,
    not a number, not empty and without a NUL character (no OS accepts one)."""
    try:
        raw = os.fspath(value)  # str, bytes, or what __fspath__ returns
    except TypeError:
        raise error(f"{what} must be a str or a path, not {describe(value)}") from None
    text = os.fsdecode(raw)
    if not text:
        raise error(f"{what} is empty")
    if "\0" in text:
        raise error(f"{what} {shorten(printable(repr(text)), 80)} contains a NUL character")
    return Path(text)


def frequency(value: object, what: str, low: int, high: int) -> int:
    """A frequency in Hz (an int or a finite float, within ``low..high``), rounded to a
    whole Hz: the core keeps oscillator frequencies as integers."""
    if isinstance(value, bool):
        raise ArgumentError(f"{what} must be a number of Hz, not {describe(value)}")
    if not isinstance(value, int | float):
        try:
            value = operator.index(value)  # numpy integers
        except TypeError:
            raise ArgumentError(f"{what} must be a number of Hz, not {describe(value)}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ArgumentError(f"{what} must be a finite number of Hz, not {describe(value)}")
    if not low <= value <= high:
        raise ArgumentError(f"{what} {value!r} Hz is outside {low}..{high} Hz")
    return round(value)
