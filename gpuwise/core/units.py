"""Human numbers: parse "25M", "670k", "1.5e6"; format counts, bytes and durations for people."""

from __future__ import annotations

import math
import re

from gpuwise.core.errors import UserInputError

_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12}
_NUMBER = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([kKmMbBgGtT]?)\s*$")


def parse_count(text: str, *, what: str = "number") -> int:
    """Parse a human count such as ``25M``, ``670k``, ``1.5e6`` or ``2000`` into an int."""
    m = _NUMBER.match(text)
    if not m:
        raise UserInputError(f"{what} {text!r} is not a number (examples: 2000, 670k, 25M, 1.5e6, 10B)")
    value = float(m.group(1)) * _SUFFIX[m.group(2).lower()]
    if not math.isfinite(value):
        raise UserInputError(f"{what} {text!r} is too large")
    return round(value)


def parse_count_list(text: str, *, what: str = "number") -> list[int]:
    parts = [p for p in text.split(",") if p.strip()]
    if not parts:
        raise UserInputError(f"{what} list {text!r} is empty")
    return [parse_count(p, what=what) for p in parts]


def format_count(n: float) -> str:
    """``25_000_000`` -> ``25M``; ``670_000`` -> ``670k``; ``1_234`` -> ``1.2k``; small numbers as they are."""
    a = abs(float(f"{n:.3g}"))  # choose the scale after rounding: 999.7 is "1k", not "1e+03"
    scales = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))
    for i, (factor, suffix) in enumerate(scales):
        if a >= factor:
            v = float(f"{n / factor:.3g}")
            if abs(v) >= 1000 and i > 0:  # 999.7k rounds to 1000k: say 1M
                factor, suffix = scales[i - 1]
                v = float(f"{n / factor:.3g}")
            return f"{v:g}{suffix}"
    if float(n).is_integer():
        return str(int(n))
    return f"{n:.3g}"


def _g3(v: float) -> str:
    """Three significant digits without exponent notation (``.3g`` prints 1023.9 as ``1.02e+03``)."""
    return f"{v:.0f}" if abs(v) >= 999.5 else f"{v:.3g}"


_BYTE_UNITS = (
    (1 << 60, "EiB"),
    (1 << 50, "PiB"),
    (1 << 40, "TiB"),
    (1 << 30, "GiB"),
    (1 << 20, "MiB"),
    (1 << 10, "KiB"),
)


def format_bytes(n: float) -> str:
    a = abs(n)
    for i, (factor, suffix) in enumerate(_BYTE_UNITS):
        if a >= factor:
            if a / factor >= 999.5 and i > 0:  # 1023.9 KiB reads better as 1 MiB than as 1020 KiB
                factor, suffix = _BYTE_UNITS[i - 1]
            return f"{_g3(n / factor)} {suffix}"
    return f"{int(n)} B"


def format_duration(seconds: float) -> str:
    """Seconds for people: ``3.2 ms``, ``41 s``, ``2.5 h``, ``3.1 days``, ``12 years``."""
    if not math.isfinite(seconds):
        return "n/a"
    seconds = float(f"{seconds:.3g}")  # round first so 0.9999 s is "1 s", not "1e+03 ms"
    s = abs(seconds)
    if s < 1e-3:
        return f"{seconds * 1e6:.3g} µs"
    if s < 1:
        return f"{seconds * 1e3:.3g} ms"
    if s < 120:
        return f"{seconds:.3g} s"
    if s < 7200:
        return f"{seconds / 60:.3g} min"
    if s < 2 * 86400:
        return f"{seconds / 3600:.3g} h"
    if s < 365.25 * 86400:
        return f"{seconds / 86400:.3g} days"
    return f"{_g3(seconds / (365.25 * 86400))} years"


def format_rate(per_s: float, unit: str = "samples/s") -> str:
    return f"{format_count(per_s)} {unit}" if abs(float(f"{per_s:.3g}")) >= 1000 else f"{per_s:.3g} {unit}"


def count_of(n: int, noun: str, plural: str | None = None) -> str:
    """``count_of(1, "point")`` -> ``"1 point"``, ``count_of(3, "point")`` -> ``"3 points"``."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"
