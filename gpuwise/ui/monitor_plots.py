"""Rolling line plots for the live monitor: time runs right to left up to "now", phases of a run are shaded.

The x axis is seconds relative to now (0 = now, -60 = a minute ago), so the newest value is always at the
right edge and the window length is the only x setting. Plots follow the system palette (light or dark).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QGraphicsItem, QSizePolicy, QWidget

from gpuwise.ui.plain_text import html_text
from gpuwise.ui.qt import pg

# Distinguishable on light and dark backgrounds (mid lightness, saturated).
COLORS = {
    "blue": "#3b82f6",
    "green": "#22a35a",
    "orange": "#f08c00",
    "purple": "#9d5cf0",
    "red": "#e5484d",
    "teal": "#12a5a5",
}
PHASE_COLORS = {
    "warmup": (240, 140, 0, 55),
    "measuring": (34, 163, 90, 45),
    "micro": (157, 92, 240, 45),
}
PHASE_NAMES = {"warmup": "warm-up", "measuring": "measuring", "micro": "micro-benchmarks"}


def format_ago(seconds: float) -> str:
    """Tick label for a time ``seconds`` before now (negative or zero)."""
    s = -seconds
    if abs(s) < 0.5:
        return "now"
    if s < 120:
        return f"−{s:.0f} s"
    if s < 3600:
        return f"−{s / 60:.3g} min"
    return f"−{s / 3600:.3g} h"


class AgoAxis(pg.AxisItem):
    """Bottom axis labelled "−30 s", "−2 min", "now"."""

    def tickStrings(self, values: Sequence[float], scale: float, spacing: float) -> list[str]:
        return [format_ago(v * scale) for v in values]

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:
        # Round spacings people read at a glance: 10 s, 30 s, 1 min, 5 min, 10 min, 15 min.
        # The smallest spacing that leaves ~70 px per label, and at least two labels however narrow the plot.
        span = maxVal - minVal
        for major in (5, 10, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600):
            if span / major <= max(2.5, size / 70):
                return [(float(major), 0.0)]
        return [(span / 3, 0.0)]


@dataclass
class PhaseSpan:
    phase: str
    start: float  # time.time() seconds
    end: float | None  # None while the phase is still running


def apply_palette(plot: pg.PlotWidget, palette: QPalette) -> None:
    """Use the widget palette's base and text colours instead of pyqtgraph's fixed black background."""
    if plot.getPlotItem() is None:
        return  # still inside pyqtgraph's constructor
    plot.setBackground(palette.color(QPalette.ColorRole.Base))
    text = palette.color(QPalette.ColorRole.Text)
    muted = QColor(text)
    muted.setAlpha(150)
    for name in ("left", "bottom", "right"):
        axis = plot.getPlotItem().getAxis(name)
        axis.setPen(pg.mkPen(muted))
        axis.setTextPen(pg.mkPen(text))
    plot.getPlotItem().titleLabel.setAttr("color", text.name())
    title = plot.getPlotItem().titleLabel.text
    if title:
        plot.getPlotItem().setTitle(title, color=text.name(), size="9pt")


class RollingPlot(pg.PlotWidget):
    """One rolling plot with named curves. ``update_series`` takes absolute times and redraws relative to now."""

    def __init__(
        self,
        title: str,
        unit: str,
        *,
        y_range: tuple[float, float] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent=parent, axisItems={"bottom": AgoAxis(orientation="bottom")})
        self._window_s = 300.0
        self._fixed_y = y_range
        self._curves: dict[str, pg.PlotDataItem] = {}
        item = self.getPlotItem()
        item.setTitle(title, size="9pt")
        item.setLabel("left", unit)
        item.getAxis("left").setWidth(44)
        item.showGrid(x=True, y=True, alpha=0.15)
        item.setMenuEnabled(False)
        item.hideButtons()
        item.setMouseEnabled(x=False, y=False)  # a rolling view that zooms would stop rolling
        # Draw at most ~one point per pixel however long the window: keeps an hour of 4 Hz data cheap.
        item.setClipToView(True)
        item.setDownsampling(auto=True, mode="peak")
        self._title = title
        self._dashed: set[str] = set()
        self._bands_of: dict[str, pg.PlotDataItem] = {}  # key -> its min–max band (add_curve(band=True))
        self._labels: dict[str, tuple[str, str]] = {}  # key -> (label, colour)
        # The axes (with their grid, which spans the plot) and the title rarely change, but the
        # curves under them move on every redraw: keep each as a cached pixmap instead of replaying its text.
        # (Halves the cost of a redraw here; an item's cache is refreshed whenever the item itself changes.)
        for cached in (item.getAxis("left"), item.getAxis("bottom"), item.titleLabel):
            cached.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setMinimumSize(120, 80)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setXRange(-self._window_s, 0, padding=0)
        if y_range is not None:
            self.setYRange(*y_range, padding=0.02)
        else:
            item.enableAutoRange(axis="y", enable=True)
        self._bands = PhaseBands()
        item.addItem(self._bands, ignoreBounds=True)
        apply_palette(self, self.palette())

    def sizeHint(self) -> QSize:
        return QSize(260, 160)  # pyqtgraph asks for 640×480: far too much for one of many small plots

    def changeEvent(self, ev: QEvent) -> None:
        if ev.type() == QEvent.Type.PaletteChange and self.getPlotItem() is not None:
            apply_palette(self, self.palette())
        super().changeEvent(ev)

    # -- curves ------------------------------------------------------------------------------------------

    def add_curve(
        self, key: str, label: str, color: str, *, width: float = 2.0, dashed: bool = False, band: bool = False
    ) -> None:
        """``band``: a noisy series (CPU load) is drawn as its mean per pixel over a light band of its min–max.
        Peak-downsampled alone, a load that swings 0–100 % within a pixel paints the plot solid."""
        style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
        pen = pg.mkPen(color, width=width, style=style)
        # No antialiasing: on a rolling plot redrawn for hours it costs CPU and hardly shows on near-flat lines.
        curve = self.getPlotItem().plot([], [], pen=pen, connect="finite", antialias=False)
        if band:
            light = QColor(color)
            light.setAlpha(60)
            spread = self.getPlotItem().plot([], [], pen=pg.mkPen(light, width=1), connect="finite", antialias=False)
            spread.setDownsampling(auto=True, method="peak")
            spread.setZValue(curve.zValue() - 1)
            self._bands_of[key] = spread
            curve.setDownsampling(auto=True, method="mean")
        self._curves[key] = curve
        if dashed:
            self._dashed.add(key)
        self._labels[key] = (label, color)
        # Several curves: the title names each in its colour. A legend would cover most of a plot this small.
        if len(self._curves) > 1:
            names = " · ".join(
                f"<span style='color: {c}'>{'┄ ' if k in self._dashed else '— '}{html_text(t)}</span>"
                for k, (t, c) in self._labels.items()
            )
            self.getPlotItem().setTitle(f"{self._title}: {names}" if self._title else names, size="9pt")
            apply_palette(self, self.palette())

    def curve_keys(self) -> list[str]:
        return list(self._curves)

    def curve(self, key: str) -> pg.PlotDataItem:
        return self._curves[key]

    def set_window(self, seconds: float) -> None:
        self._window_s = float(seconds)
        self.setXRange(-self._window_s, 0, padding=0)

    def window(self) -> float:
        return self._window_s

    def update_series(
        self,
        now: float,
        series: dict[str, tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]],
        y_max: float | None = None,
    ) -> None:
        for key, (t, y) in series.items():
            curve = self._curves.get(key)
            if curve is None:
                continue
            spread = self._bands_of.get(key)
            if spread is not None:
                # only where several samples share a pixel is there a spread to show
                dense = len(t) > max(1, self.getPlotItem().vb.width())
                if dense:
                    self._set_curve(spread, t - now, y)
                elif spread.xData is not None and len(spread.xData):
                    spread.setData([], [])
            self._set_curve(curve, t - now, y)
        if y_max is not None and self._fixed_y is None and math.isfinite(y_max) and y_max > 0:
            self.setYRange(0, y_max, padding=0.02)
        self.setXRange(-self._window_s, 0, padding=0)

    def band(self, key: str) -> pg.PlotDataItem | None:
        return self._bands_of.get(key)

    @staticmethod
    def _set_curve(curve: pg.PlotDataItem, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> None:
        finite = np.isfinite(y)
        if len(x) == 0 or not finite.any():
            curve.setData([], [])  # all-NaN data would make auto-range warn; show nothing instead
        elif finite.all():
            curve.setData(x, y, connect="all", skipFiniteCheck=True)
        else:
            curve.setData(x, y, connect="finite")  # gaps where a reading was missing

    # -- phases ------------------------------------------------------------------------------------------

    def update_phases(self, now: float, spans: Sequence[PhaseSpan]) -> None:
        """Shade ``spans`` (the visible ones) in one item: a hundred phases cost one paint, not two hundred
        line items (pyqtgraph's LinearRegionItem made a long run's redraws several times slower)."""
        bands = []
        for span in spans:
            end = span.end if span.end is not None else now
            if end < now - self._window_s:
                continue
            bands.append((max(span.start - now, -self._window_s), end - now, span.phase))
        self._bands.set_bands(bands)

    def region_count(self) -> int:
        return len(self._bands.bands())


class PhaseBands(pg.GraphicsObject):
    """Vertical shaded bands (x0, x1, phase) that span the plot's whole height, drawn behind the curves."""

    def __init__(self) -> None:
        super().__init__()
        self._bands: list[tuple[float, float, str]] = []
        self._brushes = {k: pg.mkBrush(v) for k, v in PHASE_COLORS.items()}
        self._other = pg.mkBrush(128, 128, 128, 40)
        self.setZValue(-10)

    def bands(self) -> list[tuple[float, float, str]]:
        return list(self._bands)

    def set_bands(self, bands: list[tuple[float, float, str]]) -> None:
        if bands != self._bands:
            self.prepareGeometryChange()
            self._bands = bands
            self.update()

    def boundingRect(self) -> QRectF:
        if not self._bands:
            return QRectF()
        view = self.viewRect()
        if view is None:
            return QRectF()
        x0 = min(b[0] for b in self._bands)
        x1 = max(b[1] for b in self._bands)
        return QRectF(x0, view.top(), max(x1 - x0, 0.0), view.height())

    def viewRangeChanged(self) -> None:
        self.prepareGeometryChange()  # the bands span the visible height, which just changed
        super().viewRangeChanged()

    def paint(self, p: QPainter, *args: object) -> None:
        view = self.viewRect()
        if view is None:
            return
        p.setPen(Qt.PenStyle.NoPen)
        for x0, x1, phase in self._bands:
            p.fillRect(QRectF(x0, view.top(), x1 - x0, view.height()), self._brushes.get(phase, self._other))


class CoreBars(QWidget):
    """One small bar per logical CPU: per-core load at a glance, cheap to paint for any core count."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._values: tuple[float, ...] = ()
        self.setMinimumHeight(24)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("Load of each CPU core (logical CPUs), 0–100 %")

    def set_values(self, values: Sequence[float]) -> None:
        new = tuple(float(v) for v in values)
        if new != self._values:
            self._values = new
            self.setToolTip("Load per core:\n" + "\n".join(f"core {i}: {v:.0f} %" for i, v in enumerate(new[:64])))
            self.update()

    def values(self) -> tuple[float, ...]:
        return self._values

    def paintEvent(self, event: object) -> None:
        n = len(self._values)
        if n == 0:
            return
        p = QPainter(self)
        try:
            pal = self.palette()
            w, h = self.width(), self.height()
            gap = 2 if w / n > 6 else 0
            bar_w = max(1.0, (w - gap * (n - 1)) / n)
            frame = QColor(pal.color(QPalette.ColorRole.Text))
            frame.setAlpha(40)
            fill = QColor(COLORS["blue"])
            fill.setAlpha(150)  # the label stays readable over a full bar
            fm = self.fontMetrics()
            labelled = bar_w >= fm.horizontalAdvance("00 100 %") + 6
            p.setPen(pal.color(QPalette.ColorRole.Text))
            for i, v in enumerate(self._values):
                x = i * (bar_w + gap)
                p.fillRect(QRectF(x, 0, bar_w, h), frame)
                bh = h * max(0.0, min(100.0, v)) / 100.0
                p.fillRect(QRectF(x, h - bh, bar_w, bh), fill)
                if labelled:  # few cores: each bar says which core and how busy, no tooltip needed
                    text = (
                        f"{i}  {v:.0f} %"
                        if bar_w < fm.horizontalAdvance("core 00  100 %") + 6
                        else (f"core {i}  {v:.0f} %")
                    )
                    p.drawText(QRectF(x, 0, bar_w, h), int(Qt.AlignmentFlag.AlignCenter), text)
        finally:
            p.end()
