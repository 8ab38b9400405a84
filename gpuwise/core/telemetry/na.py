"""The not-available sentinel :data:`NA` and how every front end shows a reading that may be missing.

A metric one GPU does not offer (power on some laptops, processes inside a container) is :data:`NA`; a host
reading psutil cannot give is ``None``; a gap in a history is NaN. All three read as "n/a" through the
functions below, which ``gpuwise monitor`` and the desktop monitor panel both use, so the two never disagree.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from typing import Final, Literal

from gpuwise.core.units import format_bytes

NOT_AVAILABLE_TEXT: Final = "n/a"


class NotAvailable(enum.Enum):
    """The type of :data:`NA`. An enum member so that it stays a singleton through copy and pickle, and so
    that ``value is NA`` narrows types for mypy."""

    NA = "n/a"

    def __repr__(self) -> str:
        return NOT_AVAILABLE_TEXT

    def __str__(self) -> str:
        return NOT_AVAILABLE_TEXT

    def __bool__(self) -> Literal[False]:  # Literal lets mypy narrow ``value or default``
        return False


NA: Final = NotAvailable.NA
"""A metric this GPU (or driver) does not report. Falsy, prints as ``n/a``, becomes ``null`` in JSON."""

Reading = float | int | NotAvailable | None


def as_float(value: Reading) -> float:
    """The reading as a float, NaN when it is missing (a plot then shows a gap, not a fake zero)."""
    if value is None or value is NA:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def format_reading(value: Reading, fmt: Callable[[float], str]) -> str:
    """``fmt(value)``, or "n/a" for NA, None, NaN and infinities."""
    v = as_float(value)
    return fmt(v) if math.isfinite(v) else NOT_AVAILABLE_TEXT


def format_pct(value: Reading) -> str:
    return format_reading(value, lambda v: f"{v:.0f} %")


def format_number(value: Reading, unit: str) -> str:
    """A whole number with its unit: "1410 MHz", "62 °C"."""
    return format_reading(value, lambda v: f"{v:.0f} {unit}")


def format_size(value: Reading) -> str:
    return format_reading(value, format_bytes)


def format_pair(used: Reading, total: Reading, fmt: Callable[[float], str], unit: str = "") -> str:
    """ "used / total unit"; just "used unit" when the total is missing; "n/a" when ``used`` is."""
    a, b = format_reading(used, fmt), format_reading(total, fmt)
    if a == NOT_AVAILABLE_TEXT:
        return NOT_AVAILABLE_TEXT
    return f"{a} / {b}{unit}" if b != NOT_AVAILABLE_TEXT else f"{a}{unit}"
