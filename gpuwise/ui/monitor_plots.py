"""Rolling line plots for the live monitor: time runs right to left up to "now", phases of a run are shaded.

The x axis is seconds relative to now (0 = now, -60 = a minute ago), so the newest value is always at the
right edge and the window length is the only x setting. Plots follow the system palette (light or dark).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

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


def ago_tick_spacing(window_s: float, width_px: float, label_px: float = 70.0) -> float:
    """Round spacings people read at a glance (10 s, 30 s, 1 min, 5 min...): the smallest that leaves
    ``label_px`` between labels; on a plot too narrow for any, just "now" and the window's start."""
    for major in (5, 10, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600):
        if major <= window_s / 2 and major / window_s * width_px >= label_px:
            return float(major)
    return float(window_s)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k at or above ``value``: a y-axis top that moves only when it must."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    scale = 10.0 ** math.floor(math.log10(value))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= m * scale * (1 + 1e-9):
            return m * scale
    return 10.0 * scale


def y_ticks(top: float, height_px: float) -> list[float]:
    """Ticks from 0 to ``top`` at a 1-2-5 step, about one per 35 px."""
    wanted = max(1, min(5, int(height_px // 35)))
    raw = top / wanted
    scale = 10.0 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next((m * scale for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * scale >= raw * (1 - 1e-9)), 10 * scale)
    return [i * step for i in range(int(top / step + 1e-9) + 1)]


def bucket_edges(x: npt.NDArray[np.float64], x0: float, span: float, pixels: int) -> npt.NDArray[np.intp]:
    """Start index of each non-empty pixel column over sorted ``x`` in [x0, x0 + span]."""
    column = np.minimum(((x - x0) / span * pixels).astype(np.intp), pixels - 1)
    return np.flatnonzero(np.r_[True, column[1:] != column[:-1]])


def decimate(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], x0: float, span: float, pixels: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per pixel column of sorted data: (x, mean, min, max). A column with a missing reading is NaN (a gap)."""
    starts = bucket_edges(x, x0, span, pixels)
    counts = np.diff(np.r_[starts, len(x)])
    xs = np.add.reduceat(x, starts) / counts
    return xs, np.add.reduceat(y, starts) / counts, np.minimum.reduceat(y, starts), np.maximum.reduceat(y, starts)


@dataclass
class PhaseSpan:
    phase: str
    start: float  # time.time() seconds
    end: float | None  # None while the phase is still running


@dataclass
class Curve:
    """One named series of a :class:`RollingPlot`: its style, and the data last drawn (seconds before now)."""

    label: str
    color: str
    width: float = 2.0
    dashed: bool = False
    band: bool = False  # dense data: the mean per pixel over a light band of the min–max
    xData: npt.NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    yData: npt.NDArray[np.float64] = field(default_factory=lambda: np.empty(0))

    def pen(self) -> QPen:
        pen = QPen(QColor(self.color), self.width)
        if self.dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        return pen


class RollingPlot(QWidget):
    """A rolling plot of named curves, painted directly: time runs right to left up to "now".

    The x axis is seconds before now, so its labels never change: the axes, grid and title are drawn once into
    a pixmap, and a redraw only paints that pixmap, the phase bands and the curves (decimated to one point per
    pixel column). A general plotting widget (pyqtgraph) cost several times more CPU per redraw here, which
    mattered for a monitor that redraws every second for hours.
    """

    def __init__(
        self,
        title: str,
        unit: str,
        *,
        y_range: tuple[float, float] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._title = title
        self._unit = unit
        self._fixed_y = y_range
        self._window_s = 300.0
        self._y_top = y_range[1] if y_range is not None else 1.0
        self._curves: dict[str, Curve] = {}
        self._bands: list[tuple[float, float, str]] = []
        self._brushes = {k: QColor(*v) for k, v in PHASE_COLORS.items()}
        self._background: QPixmap | None = None
        self.setMinimumSize(120, 80)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        # Opaque: a repaint stops here instead of first repainting the parents' background.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)

    def sizeHint(self) -> QSize:
        return QSize(260, 160)

    # -- curves ------------------------------------------------------------------------------------------

    def add_curve(
        self, key: str, label: str, color: str, *, width: float = 2.0, dashed: bool = False, band: bool = False
    ) -> None:
        """``band``: a noisy series (CPU load) is drawn as its mean per pixel over a light band of its min–max.
        Its extremes alone, a load that swings 0–100 % within a pixel paints the plot solid."""
        self._curves[key] = Curve(label, color, width, dashed, band)
        self._invalidate_background()

    def curve(self, key: str) -> Curve:
        return self._curves[key]

    def set_window(self, seconds: float) -> None:
        self._window_s = float(seconds)
        self._invalidate_background()

    def window_seconds(self) -> float:
        return self._window_s

    def y_range(self) -> tuple[float, float]:
        return (0.0, self._y_top) if self._fixed_y is None else self._fixed_y

    def update_series(
        self,
        now: float,
        series: dict[str, tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]],
        y_max: float | None = None,
    ) -> None:
        """Show ``series`` (absolute times, values) up to ``now``; ``y_max``: the axis top (else the data's)."""
        for key, (t, y) in series.items():
            curve = self._curves.get(key)
            if curve is not None:
                curve.xData = np.asarray(t, dtype=np.float64) - now
                curve.yData = np.asarray(y, dtype=np.float64)
        if self._fixed_y is None:
            if y_max is not None and math.isfinite(y_max) and y_max > 0:
                top = float(y_max)
            else:
                highest = [float(np.nanmax(c.yData)) for c in self._curves.values() if np.isfinite(c.yData).any()]
                top = nice_ceiling(max(highest, default=1.0))
            if top != self._y_top:
                self._y_top = top
                self._invalidate_background()
        self.update()

    # -- phases ------------------------------------------------------------------------------------------

    def update_phases(self, now: float, spans: Sequence[PhaseSpan]) -> None:
        """Shade the visible ``spans`` of a run behind the curves."""
        bands = []
        for span in spans:
            end = span.end if span.end is not None else now
            if end < now - self._window_s:
                continue
            bands.append((max(span.start - now, -self._window_s), end - now, span.phase))
        if bands != self._bands:
            self._bands = bands
            self.update()

    def region_count(self) -> int:
        return len(self._bands)

    # -- painting ----------------------------------------------------------------------------------------

    def changeEvent(self, ev: QEvent) -> None:
        if ev.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._invalidate_background()
        super().changeEvent(ev)

    def resizeEvent(self, ev: QResizeEvent) -> None:
        self._invalidate_background()
        super().resizeEvent(ev)

    def _invalidate_background(self) -> None:
        self._background = None
        self.update()

    def plot_rect(self) -> QRectF:
        """Where the data goes, inside the axes and the title."""
        fm = self.fontMetrics()
        label_w = max(fm.horizontalAdvance(self._tick_label(v)) for v in (self.y_range()[1], 0.0))
        left = fm.height() + label_w + 8  # the rotated unit, the tick labels
        top = fm.height() + 4
        return QRectF(left, top, max(10.0, self.width() - left - 8), max(10.0, self.height() - top - fm.height() - 6))

    @staticmethod
    def _tick_label(value: float) -> str:
        return f"{value:.4g}"

    def _build_background(self) -> QPixmap:
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(round(self.width() * ratio), round(self.height() * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pal = self.palette()
        pixmap.fill(pal.color(QPalette.ColorRole.Base))
        text = pal.color(QPalette.ColorRole.Text)
        muted = QColor(text)
        muted.setAlpha(150)
        grid = QColor(text)
        grid.setAlpha(38)
        rect = self.plot_rect()
        fm = self.fontMetrics()
        p = QPainter(pixmap)
        try:
            y0, y1 = self.y_range()
            p.setPen(grid)
            ticks = [v for v in y_ticks(y1 - y0, rect.height()) if v + y0 <= y1]
            for v in ticks:
                y = rect.bottom() - v / (y1 - y0) * rect.height()
                p.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            label_px = fm.horizontalAdvance(format_ago(-self._window_s)) + 16
            spacing = ago_tick_spacing(self._window_s, rect.width(), label_px)
            x_ticks = [-i * spacing for i in range(int(self._window_s / spacing + 1e-9) + 1)]
            for x in x_ticks:
                px = rect.right() + x / self._window_s * rect.width()
                p.drawLine(QPointF(px, rect.top()), QPointF(px, rect.bottom()))
            p.setPen(muted)
            p.drawRect(rect)
            p.setPen(text)
            h = fm.height()
            for v in ticks:
                y = rect.bottom() - v / (y1 - y0) * rect.height()
                box = QRectF(h + 2, y - h / 2, rect.left() - h - 6, h)
                p.drawText(
                    box, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), self._tick_label(v + y0)
                )
            for x in x_ticks:
                px = rect.right() + x / self._window_s * rect.width()
                label = format_ago(x)
                w = fm.horizontalAdvance(label)
                left = min(max(px - w / 2, rect.left()), self.width() - w - 2)
                p.drawText(QRectF(left, rect.bottom() + 2, w + 2, h), int(Qt.AlignmentFlag.AlignLeft), label)
            if self._unit:  # rotated along the left edge, as plots label their y axis
                p.save()
                p.translate(1, rect.center().y())
                p.rotate(-90)
                p.drawText(
                    QRectF(-rect.height() / 2, 0, rect.height(), h), int(Qt.AlignmentFlag.AlignCenter), self._unit
                )
                p.restore()
            self._paint_title(p, fm, text)
        finally:
            p.end()
        return pixmap

    def _paint_title(self, p: QPainter, fm: QFontMetrics, text: QColor) -> None:
        x, h, room = 4.0, fm.height(), self.width() - 8.0
        pieces: list[tuple[str, QColor]] = []
        if len(self._curves) <= 1:
            pieces.append((self._title, text))
        else:
            if self._title:
                pieces.append((self._title + ": ", text))
            for i, c in enumerate(self._curves.values()):
                sep = " · " if i else ""
                pieces.append((sep + ("┄ " if c.dashed else "— ") + c.label, QColor(c.color)))
        for piece, color in pieces:
            shown = fm.elidedText(piece, Qt.TextElideMode.ElideRight, int(room - (x - 4)))
            p.setPen(color)
            p.drawText(QRectF(x, 1, room, h), int(Qt.AlignmentFlag.AlignLeft), shown)
            x += fm.horizontalAdvance(shown)
            if shown != piece:
                break

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._background is None or self._background.size() != self.size() * self.devicePixelRatioF():
            self._background = self._build_background()
        p = QPainter(self)
        try:
            p.drawPixmap(0, 0, self._background)
            rect = self.plot_rect()
            p.setClipRect(rect)
            p.setPen(Qt.PenStyle.NoPen)
            for x0, x1, phase in self._bands:
                left = rect.right() + x0 / self._window_s * rect.width()
                right = rect.right() + x1 / self._window_s * rect.width()
                p.fillRect(QRectF(left, rect.top(), right - left, rect.height()), self._brushes.get(phase, _OTHER))
            for curve in self._curves.values():
                self._paint_curve(p, rect, curve)
        finally:
            p.end()

    def _paint_curve(self, p: QPainter, rect: QRectF, curve: Curve) -> None:
        x, y = curve.xData, curve.yData
        first = int(np.searchsorted(x, -self._window_s))
        if first > 0:
            first -= 1  # one point left of the edge, so the line reaches it
        x, y = x[first:], y[first:]
        if len(x) == 0:
            return
        y0, y1 = self.y_range()
        pixels = max(1, int(rect.width()))

        def to_px(xs: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
            return rect.right() + xs / self._window_s * rect.width()

        def to_py(ys: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
            return rect.bottom() - (np.clip(ys, y0, y1) - y0) / (y1 - y0) * rect.height()

        if len(x) > pixels:  # several samples a pixel column: one point (and one min–max stroke) each
            xs, mean, low, high = decimate(x, y, -self._window_s, self._window_s, pixels)
            if curve.band:
                light = QColor(curve.color)
                light.setAlpha(60)
                p.setPen(QPen(light, 1))
                ok = np.isfinite(low) & np.isfinite(high)
                px = to_px(xs[ok])
                p.drawPath(_path(np.repeat(px, 2), np.column_stack((to_py(low[ok]), to_py(high[ok]))).ravel(), "pairs"))
                x, y = xs, mean
            else:  # the extremes, so a spike never disappears between pixels
                x, y = np.repeat(xs, 2), np.column_stack((low, high)).ravel()
        p.setPen(curve.pen())
        p.drawPath(_path(to_px(x), to_py(y), "finite"))


_OTHER = QColor(128, 128, 128, 40)


def _path(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], connect: str) -> QPainterPath:
    if len(x) == 0:
        return QPainterPath()
    return pg.functions.arrayToQPath(x, y, connect=connect)


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
