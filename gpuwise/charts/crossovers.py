"""The break-even lines of the speedup chart, and where a curve crosses a level (log–log interpolation)."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from typing import Literal

from gpuwise.charts.model import HLine
from gpuwise.core.decide import format_ratio


def log_interp(xs: list[float], ys: list[float], x: float) -> float:
    """y at x on the curve (xs ascending), linear in log–log space; the nearest end outside the range."""
    pts = [(math.log(a), math.log(b)) for a, b in zip(xs, ys, strict=True) if a > 0 and b > 0]
    lx = math.log(x)
    for (x0, y0), (x1, y1) in itertools.pairwise(pts):
        if x0 <= lx <= x1 and x1 > x0:
            return math.exp(y0 + (lx - x0) / (x1 - x0) * (y1 - y0))
    return math.exp(min(pts, key=lambda p: abs(p[0] - lx))[1]) if pts else 1.0


def break_even_lines(lines: list[HLine]) -> list[HLine]:
    """One break-even line per price ratio, named by the GPUs it is for (one line for all: no names needed)."""
    out = []
    for h in lines:
        who = f" ({h.label})" if len(lines) > 1 else ""
        out.append(
            replace(
                h,
                label=f"break-even: GPU price/hour = {format_ratio(h.y)} CPU's{who}",
                short=f"break-even {format_ratio(h.y)}{who}",
                device=h.device if len(lines) > 1 else None,
            )
        )
    return out


def find_crossovers(xs: list[float], ys: list[float], level: float) -> list[tuple[float, Literal["up", "down"]]]:
    """Where the curve (xs ascending) crosses ``level``, interpolated in log–log space.

    "up": the curve rises through the level (GPU pays above that x); "down": it falls through it.
    """
    out: list[tuple[float, Literal["up", "down"]]] = []
    if level <= 0:
        return out
    lk = math.log10(level)
    pts = [(math.log10(x), math.log10(y) - lk) for x, y in zip(xs, ys, strict=True) if x > 0 and y > 0]
    for (x0, f0), (x1, f1) in itertools.pairwise(pts):
        if f0 < 0 <= f1 or f0 >= 0 > f1:
            t = f0 / (f0 - f1)
            out.append((10 ** (x0 + t * (x1 - x0)), "up" if f0 < 0 else "down"))
    return out
