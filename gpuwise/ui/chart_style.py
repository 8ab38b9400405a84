"""How charts look: one stable colour per device, line and marker styles per kind of number, human log axes."""

from __future__ import annotations

import math
from typing import Any

from gpuwise.core.units import format_count
from gpuwise.ui.qt import ChartTheme, QtCore, QtGui, pg

# Measured devices keep the same colour in every chart and every run: people learn "blue is my CPU".
_FIXED = {
    "cpu": "#1f77b4",  # blue
    "cuda:0": "#2ca02c",  # green
    "mps": "#2ca02c",  # a Mac has one GPU: same role as cuda:0
    "cuda:1": "#9467bd",
    "cuda:2": "#8c564b",
    "cuda:3": "#17becf",
}
_OTHER_MEASURED = ("#7f7f7f", "#1a55a8", "#5b8c2a", "#6a3d9a")
# Estimated catalog GPUs: hues no measured device uses (and never red, which marks failures).
_ESTIMATE_HUES = ("#ff7f0e", "#e377c2", "#bcbd22", "#b8860b", "#00a6a6", "#a0522d", "#c71585", "#6b8e23")
FAILED_COLOR = "#d62728"

# Symbols tell precisions apart when a report mixes them; colour stays the device's.
_PRECISION_SYMBOL = {"fp32": "o", "tf32": "d", "bf16": "s", "fp16": "t"}

LINE_WIDTH = 2.2
SYMBOL_SIZE = 9.0


class DeviceColors:
    """Assigns each device a colour once and keeps it, so a device looks the same in every chart."""

    def __init__(self) -> None:
        self._assigned: dict[tuple[str, bool], str] = {}

    def color(self, device: str, estimated: bool = False) -> str:
        key = (device, estimated)
        if key not in self._assigned:
            if not estimated and device in _FIXED:
                self._assigned[key] = _FIXED[device]
            else:
                pool = _ESTIMATE_HUES if estimated else _OTHER_MEASURED
                used = {c for (_, est), c in self._assigned.items() if est == estimated}
                free = [c for c in pool if c not in used]
                self._assigned[key] = free[0] if free else pool[len(self._assigned) % len(pool)]
        return self._assigned[key]

    def clear_estimates(self) -> None:
        self._assigned = {k: c for k, c in self._assigned.items() if not k[1]}


def device_qcolor(hex_color: str, theme: ChartTheme, variant: int = 0) -> QtGui.QColor:
    """The device colour adjusted for the background; ``variant`` shades curves of one device apart."""
    c = QtGui.QColor(hex_color)
    if theme.dark:
        c = c.lighter(135)
    if variant:
        # Alternate darker/lighter so neighbouring model sizes of one device stay distinguishable.
        step = (variant + 1) // 2
        c = c.darker(100 + 28 * step) if variant % 2 else c.lighter(100 + 28 * step)
    return c


def precision_symbol(precision: str) -> str:
    return _PRECISION_SYMBOL.get(precision, "o")


def line_pen(color: QtGui.QColor, *, style: str = "solid", width: float = LINE_WIDTH, scale: float = 1.0) -> Any:
    qt_style = {
        "solid": QtCore.Qt.PenStyle.SolidLine,
        "dash": QtCore.Qt.PenStyle.DashLine,
        "dot": QtCore.Qt.PenStyle.DotLine,
    }[style]
    pen = pg.mkPen(color, width=width * scale, style=qt_style)
    pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap if style != "dash" else QtCore.Qt.PenCapStyle.FlatCap)
    return pen


def tick_label(value: float) -> str:
    """A tick value for people: 1k, 10k, 2.5M for large numbers; 0.01, 0.5 for small ones."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else ""
    if abs(value) >= 1000:
        return format_count(value)
    if abs(value) >= 0.001:
        return f"{value:.3g}"
    return f"{value:.0e}".replace("e-0", "e-")


X_LABEL_OVERHANG_PX = 10.0


class HumanAxis(pg.AxisItem):
    """An axis whose log-mode ticks read 1k, 10k, 1M instead of 10³, 10⁴, 10⁶.

    Charts draw log10 of their data themselves (so error bars, reference lines and markers all share one space)
    and put only the axis in log mode, which makes pyqtgraph label ticks with 10**value.
    """

    def logTickValues(self, minVal: float, maxVal: float, size: float, stdTicks: Any) -> list[tuple[Any, list[float]]]:
        """Labelled ticks at every mantissa, or 1, 2, 5, or 1 × 10^k (every decade, or every n-th), the richest
        set whose labels do not touch; the other mantissas as unlabelled grid ticks. pyqtgraph's own log ticks
        put the 2…9 labels on a minor level that it drops when text crowds, which hid the ends of short ranges
        ("5k" on the matmul plot). The labelled level has a spacing (its decade step), the grid level None: that
        is how :meth:`logTickStrings` tells them apart."""
        lo, hi = sorted((minVal, maxVal))
        decades = range(math.floor(lo), math.ceil(hi) + 1)

        def inside(mantissas: tuple[int, ...], step: int = 1) -> list[float]:
            values = (d + math.log10(m) for d in decades if d % step == 0 for m in mantissas)
            return [v for v in values if lo <= v <= hi]

        candidates = [(tuple(range(1, 10)), 1), ((1, 2, 5), 1)] + [((1,), step) for step in range(1, 12)]
        labelled: list[float] = []
        step = 1
        for keep, step in candidates:
            labelled = inside(keep, step)
            if self._labels_fit(labelled, lo, hi, size):
                break
        grid = [v for v in inside(tuple(range(1, 10))) if all(abs(v - u) > 1e-9 for u in labelled)]
        return [(float(step), labelled), (None, grid)]

    def _labels_fit(self, values: list[float], lo: float, hi: float, size: float) -> bool:
        if len(values) < 2 or hi <= lo:
            return True
        fm = QtGui.QFontMetricsF(self.style["tickFont"] or self.font())
        vertical = self.orientation in ("left", "right")
        extents = [fm.height() if vertical else fm.horizontalAdvance(tick_label(10**v)) for v in values]
        at = [(v - lo) / (hi - lo) * size for v in values]
        gap = 4.0 if vertical else 16.0
        return all(b - a >= (ea + eb) / 2 + gap for a, b, ea, eb in zip(at, at[1:], extents, extents[1:], strict=False))

    def boundingRect(self) -> QtCore.QRectF:
        # pyqtgraph drops a tick label that reaches past this rectangle, and with a grid it ignores its own
        # tolerance: a label at either end of the x range ("5k" on the matmul plot) vanished. Allow half a label.
        rect = super().boundingRect()
        if self.orientation in ("bottom", "top"):
            return rect.adjusted(-X_LABEL_OVERHANG_PX, 0, X_LABEL_OVERHANG_PX, 0)
        return rect

    def logTickStrings(self, values: list[float], scale: float, spacing: float | None) -> list[str]:
        if spacing is None:  # the unlabelled grid level of logTickValues
            return [""] * len(values)
        return [tick_label(10 ** (v * scale)) if math.isfinite(v) else "" for v in values]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if self.logMode:
            return self.logTickStrings(values, scale, spacing)
        return [tick_label(v * scale) for v in values]
