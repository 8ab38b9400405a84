"""One chart on screen: draws a ChartModel with pyqtgraph, with legend, hover tooltips and a placeholder.

Data are drawn as log10 values with only the axes in log mode, so curves, error bars, reference lines, failure
markers and hover hit-testing all live in one coordinate space (pyqtgraph's ErrorBarItem and InfiniteLine do not
follow a PlotItem's log mode by themselves).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from gpuwise.charts.model import ChartModel, HLine, Mark, Series
from gpuwise.core.decide import format_ratio
from gpuwise.ui.chart_style import (
    FAILED_COLOR,
    LINE_WIDTH,
    SYMBOL_SIZE,
    DeviceColors,
    HumanAxis,
    device_qcolor,
    line_pen,
    precision_symbol,
)
from gpuwise.ui.plain_text import plain_tooltip
from gpuwise.ui.qt import ChartTheme, QtCore, QtGui, QtWidgets, current_theme, pg

drawSymbol = pg.graphicsItems.ScatterPlotItem.drawSymbol

QWIDGETSIZE_MAX = (1 << 24) - 1
HOVER_RADIUS_PX = 14.0
NOTES_WIDTH_PX = 260
NARROW_NOTES = 3  # notes shown under a narrow plot
WIDE_LAYOUT_PX = 860  # narrower views put the legend under the plot, so the plot keeps its width


@dataclass
class SeriesItems:
    """The graphics items drawing one series."""

    main: Any  # pg.PlotDataItem: solid (or dotted for estimates) line, markers
    dashed: Any  # pg.PlotDataItem: dashed segments that touch an extrapolated point
    hollow: Any  # pg.ScatterPlotItem: hollow markers over extrapolated points
    errors: Any  # pg.ErrorBarItem


@dataclass
class _Target:
    """Something the mouse can hover: a point (view coordinates) with its tooltip; bars add a hit rectangle."""

    plot: Any
    x: np.ndarray
    y: np.ndarray
    tips: list[str]
    rects: list[QtCore.QRectF] | None = None


class ChartView(pg.GraphicsLayoutWidget):
    """A chart page: the plot, a legend column on its right, and (for micro-benchmarks) a bandwidth bar plot."""

    def __init__(
        self,
        name: str,
        colors: DeviceColors,
        *,
        scale: float = 1.0,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.name = name
        self.colors = colors
        self.scale = scale
        self.model: ChartModel | None = None
        self.theme: ChartTheme = current_theme(self)
        self.ci.setContentsMargins(6, 6, 6, 6)
        self.plot = self._new_plot(0, 0)
        self.bar_plot = self._new_plot(0, 1) if name == "matmul" else None
        if self.bar_plot is not None:
            # as wide as the matmul plot: its four bar names need ~55 px each at 1280×800
            self.ci.layout.setColumnStretchFactor(0, 1)
            self.ci.layout.setColumnStretchFactor(1, 1)
            # Bar names take two lines ("host → cuda:0" over "(pinned copy)").
            line = QtGui.QFontMetricsF(QtGui.QFont()).height()
            self.bar_plot.getAxis("bottom").setHeight(int(2 * line + 12))
        # The legend and the notes sit beside the plot (or under it when the view is narrow), never on it, so
        # they never hide a curve.
        self.side = self.ci.addLayout(row=0, col=len(self.plot_items()))
        self._side_beside = True
        self.legend = pg.LegendItem(labelTextSize="9pt", verSpacing=-4, frame=False, sampleType=_LegendSample)
        self.legend.symbol_scale = scale
        # pyqtgraph makes legends ignore transformations (they float over a zoomable view); this one sits in a
        # layout cell and must scale with the rest of the chart when an export draws it larger.
        self.legend.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, False)
        self._notes = pg.LabelItem("", justify="left", size="9pt")
        self._notes.item.setTextWidth(NOTES_WIDTH_PX)
        for row, item in enumerate((self.legend, self._notes)):
            # Natural height at the top of the column, instead of spread over the plot's height.
            item.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Fixed)
            self.side.addItem(item, row=row, col=0)
        self.side.layout.setRowStretchFactor(2, 1)
        spacer = pg.GraphicsWidget()
        spacer.setMinimumHeight(0)
        spacer.setPreferredHeight(0)
        self.side.addItem(spacer, row=2, col=0)
        self.side.layout.setColumnAlignment(0, QtCore.Qt.AlignmentFlag.AlignTop | QtCore.Qt.AlignmentFlag.AlignLeft)
        if self.bar_plot is None:
            self.ci.layout.setColumnStretchFactor(0, 1)
        self._style_side(beside=True)
        self._series: dict[tuple[Any, ...], SeriesItems] = {}
        # What each series' items were last drawn from: an unchanged series is not redrawn (setData is costly).
        self._drawn: dict[tuple[Any, ...], tuple[Series, str, str]] = {}
        self._axes_drawn: tuple[Any, ...] | None = None
        self._notes_drawn: tuple[Any, ...] | None = None
        self._legend_keys: list[tuple[Any, ...]] = []
        # (plot, item) pairs redrawn on every model: reference lines, crossover stars and labels, bars.
        self._extras: list[tuple[Any, Any]] = []
        self._targets: list[_Target] = []
        self._tip_shown = False
        self._failures = pg.ScatterPlotItem(
            symbol="x", size=13 * scale, pen=pg.mkPen(FAILED_COLOR, width=2.2 * scale), brush=pg.mkBrush(FAILED_COLOR)
        )
        self._failures.setZValue(20)
        self.plot.addItem(self._failures)
        self._hover = pg.ScatterPlotItem(symbol="o", size=18 * scale, brush=None)
        self._hover.setZValue(30)
        self.plot.addItem(self._hover, ignoreBounds=True)
        self._placeholder = pg.LabelItem("", justify="center", size="12pt")
        self._placeholder.setParentItem(self.plot.vb)
        self._placeholder.anchor(itemPos=(0.5, 0.5), parentPos=(0.5, 0.5))
        # pyqtgraph's own "Export…" entry offers its SVG exporter, which crashes with PySide6 ≥ 6.11; gpuwise's
        # export actions (gpuwise.ui.export) take its place in the context menu.
        self.scene().contextMenu = []
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.apply_theme(self.theme)

    # ------------------------------------------------------------ public

    def plot_items(self) -> list[Any]:
        return [p for p in (self.plot, self.bar_plot) if p is not None]

    def curve_items(self) -> dict[str, Any]:
        """Legend name -> the PlotDataItem drawing that series (what tests and exports inspect)."""
        return {self._series_name(k): items.main for k, items in self._series.items()}

    def series_items(self) -> dict[str, SeriesItems]:
        """Legend name -> every item drawing that series (line, dashes, hollow markers, error bars)."""
        return {self._series_name(k): items for k, items in self._series.items()}

    def failure_positions(self) -> list[tuple[float, float]]:
        """Where the failure markers are, in view coordinates (log10 where the axis is logarithmic)."""
        x, y = self._failures.getData()
        return [(float(a), float(b)) for a, b in zip(x, y, strict=True)]

    def reference_lines(self) -> list[Any]:
        return [item for _, item in self._extras if isinstance(item, pg.InfiniteLine)]

    def placeholder_text(self) -> str:
        return self._placeholder.text if self._placeholder.isVisible() else ""

    def set_model(self, model: ChartModel, *, reset_range: bool = True) -> None:
        """Show ``model``: existing curves are updated in place, new ones added, vanished ones removed.

        ``reset_range=False`` (a point added during a run) leaves a view the person zoomed as it is; an untouched
        view keeps auto-ranging to the data either way.
        """
        if any(not s.marks for s in model.series):
            model = dataclasses.replace(model, series=[s for s in model.series if s.marks])
        self.model = model
        self._configure_axes(model)
        keys = [s.key for s in model.series]
        for key in list(self._series):
            if key not in keys:
                self._remove_series(key)
        for s in model.series:
            self._draw_series(s)
        self._draw_extras(model)
        self._draw_failures(model)
        self._update_legend(model)
        self._rebuild_targets(model)
        has_data = model.has_data
        self._placeholder.setText(model.placeholder if not has_data else "", color=self.theme.muted.name())
        self._placeholder.setVisible(not has_data)
        self._show_tick_values(has_data)
        self._draw_notes(model)
        if reset_range:
            self.plot.enableAutoRange()
        if self.bar_plot is not None and model.bars:
            # Bars start at zero and leave headroom for their value labels.
            self.bar_plot.setYRange(0, max(b.value for b in model.bars) * 1.15, padding=0)
            self.bar_plot.setXRange(-0.6, len(model.bars) - 0.4, padding=0)

    def _show_tick_values(self, show: bool) -> None:
        # Numbers on empty axes (1, 2, 5, 10 "samples") mean nothing: an empty chart shows its labels only.
        for side in ("left", "bottom"):
            axis = self.plot.getAxis(side)
            if axis.style["showValues"] != show:  # a style change re-lays the chart out: only on a change
                axis.setStyle(showValues=show)

    def tick_values_shown(self) -> bool:
        return bool(self.plot.getAxis("bottom").style["showValues"])

    def notes_text(self) -> str:
        """The notes beside the chart as plain text (e.g. where the GPU starts to pay)."""
        return "\n".join(n.text for n in self.model.notes) if self.model else ""

    def apply_theme(self, theme: ChartTheme | None = None) -> None:
        """Recolour for ``theme`` (the current palette by default); every item is redrawn in the new colours."""
        self.theme = theme or current_theme(self)
        t = self.theme
        self.setBackground(t.background)
        for plot in self.plot_items():
            for side in ("left", "bottom"):
                axis = plot.getAxis(side)
                axis.setPen(pg.mkPen(t.muted))
                axis.setTextPen(pg.mkPen(t.foreground))
                axis.label.setDefaultTextColor(t.foreground)
            plot.showGrid(x=True, y=True, alpha=0.12 if t.dark else 0.11)
        self.legend.setLabelTextColor(t.foreground)
        self._hover.setPen(pg.mkPen(t.foreground, width=1.5 * self.scale))
        self._axes_drawn = self._notes_drawn = None
        self._legend_keys = []  # the legend holds the items about to be replaced
        if self.model is not None:
            for key in list(self._series):
                self._remove_series(key)
            self.set_model(self.model)

    def resizeEvent(self, event: Any) -> None:
        # Re-lay the legend and notes for the new width BEFORE pyqtgraph sizes the scene to the view: a scene
        # item cannot shrink below the minimum width its old layout had.
        if hasattr(self, "_side_beside"):  # pyqtgraph resizes once while it builds the view
            self._place_side(beside=self.width() >= WIDE_LAYOUT_PX)
            if not self._side_beside:
                self._fit_legend_columns()
                self._notes.item.setTextWidth(max(120, self.width() - 60))  # never wider than the view
                # LabelItem keeps the minimum width of its last text layout: without this a window that shrank
                # keeps a layout wider than the view, and the plot's right side is cut off.
                self._notes.updateMin()
        super().resizeEvent(event)

    def legend_beside(self) -> bool:
        """True when the legend is right of the plot; False when the view is narrow and it sits underneath."""
        return self._side_beside

    def _place_side(self, *, beside: bool) -> None:
        if beside == self._side_beside:
            return
        self._side_beside = beside
        n = len(self.plot_items())
        self.ci.removeItem(self.side)
        if beside:
            self.ci.addItem(self.side, row=0, col=n)
        else:
            self.ci.addItem(self.side, row=1, col=0, colspan=n)
        self._style_side(beside=beside)
        if self.model is not None:
            self._update_legend(self.model)

    def _style_side(self, *, beside: bool) -> None:
        fixed, preferred = QtWidgets.QSizePolicy.Policy.Fixed, QtWidgets.QSizePolicy.Policy.Preferred
        n = len(self.plot_items())
        if beside:
            # Plots take the spare width; the side column only what its legend and notes need.
            self.side.setSizePolicy(fixed, preferred)
            self.side.setContentsMargins(4, 24, 0, 0)
            self.ci.layout.setColumnStretchFactor(n, 0)
            self.legend.setColumnCount(1)
            self._notes.item.setTextWidth(NOTES_WIDTH_PX)
        else:
            self.side.setSizePolicy(preferred, fixed)
            self.side.setContentsMargins(40, 0, 0, 0)
            self.ci.layout.setRowStretchFactor(0, 1)
            self.ci.layout.setRowStretchFactor(1, 0)
            self._fit_legend_columns()
            self._notes.item.setTextWidth(max(120, self.width() - 60))  # never wider than the view
        if self.model is not None:
            self._notes_drawn = None  # a new text width needs the text set again to re-lay the label out
            self._draw_notes(self.model)

    def _fit_legend_columns(self) -> None:
        """Under the plot, as many legend columns as the width holds (1 to 3)."""
        if self._side_beside:
            return
        # The text's own width: a label's widget width is stretched to its column's.
        widest = max((30 + label.item.boundingRect().width() for _, label in self.legend.items), default=1.0)
        self.legend.setColumnCount(int(max(1, min(3, (self.width() - 50) // widest))))

    def changeEvent(self, event: QtCore.QEvent) -> None:
        # Follow the system's dark/light switch while running (each view gets the event once its palette changed).
        palette_events = (QtCore.QEvent.Type.PaletteChange, QtCore.QEvent.Type.ApplicationPaletteChange)
        if event.type() in palette_events and hasattr(self, "theme"):  # not while pyqtgraph builds the view
            theme = current_theme(self)
            if theme != self.theme:
                self.apply_theme(theme)
        super().changeEvent(event)

    def tooltip_at(self, scene_pos: QtCore.QPointF) -> str | None:
        hit = self._hit(scene_pos)
        return hit[3] if hit else None

    def view_to_scene(self, plot: Any, x: float, y: float) -> QtCore.QPointF:
        """Scene position of view coordinates (log10 on log axes) in ``plot``: lets tests hover a point."""
        return plot.vb.mapViewToScene(QtCore.QPointF(x, y))

    # ------------------------------------------------------------ drawing

    def _new_plot(self, row: int, col: int) -> Any:
        axes = {"bottom": HumanAxis("bottom"), "left": HumanAxis("left")}
        plot = self.ci.addPlot(row=row, col=col, axisItems=axes)
        plot.setMenuEnabled(True)
        for side in ("left", "bottom"):
            axis = plot.getAxis(side)
            axis.enableAutoSIPrefix(False)
            axis.setStyle(tickTextOffset=4, autoExpandTextSpace=True)
        plot.vb.setDefaultPadding(0.06)
        plot.titleLabel.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        return plot

    def _configure_axes(self, model: ChartModel) -> None:
        state = (
            model.title,
            model.x_label,
            model.y_label,
            model.x_log,
            model.y_log,
            model.bar_y_label,
            self.theme.foreground.name(),
        )
        if state == self._axes_drawn:
            return  # titles and labels re-lay the whole chart out: set them only when they change
        self._axes_drawn = state
        label_style = {"color": self.theme.foreground.name(), "font-size": "10pt"}
        # "What – shared settings": the settings go on a second, smaller line so a long title never forces the
        # plot wider than the window (a title's width is the plot's minimum width).
        head, _, sub = model.title.partition(" — ")
        title = _html(head) + (f'<br><span style="font-size:9pt">{_html(sub)}</span>' if sub else "")
        self.plot.setTitle(title, color=self.theme.foreground.name(), size="11pt")
        _center_lines(self.plot.titleLabel)
        self.plot.setLabel("bottom", model.x_label, **label_style)
        self.plot.setLabel("left", model.y_label, **label_style)
        self.plot.getAxis("bottom").setLogMode(model.x_log)
        self.plot.getAxis("left").setLogMode(model.y_log)
        if self.bar_plot is not None:
            self.bar_plot.setLabel("left", model.bar_y_label, **label_style)
            # two lines, like the main title: a title's width is its plot's minimum width
            self.bar_plot.setTitle(
                'Memory bandwidth<br><span style="font-size:9pt">best over sizes</span>',
                color=self.theme.foreground.name(),
                size="11pt",
            )
            _center_lines(self.bar_plot.titleLabel)

    def _vx(self, x: float) -> float:
        assert self.model is not None
        return _log(x) if self.model.x_log else x

    def _vy(self, y: float) -> float:
        assert self.model is not None
        return _log(y) if self.model.y_log else y

    def _series_color(self, s: Series) -> QtGui.QColor:
        return device_qcolor(self.colors.color(s.device, s.estimated), self.theme, s.variant)

    def _draw_series(self, s: Series) -> None:
        color = self._series_color(s)
        drawn = (s, color.name(), self.theme.background.name())
        if s.key in self._series and self._drawn.get(s.key) == drawn:
            return
        self._drawn[s.key] = drawn
        secondary = s.role == "secondary"
        if secondary:
            color.setAlphaF(0.75)
        x = np.array([self._vx(m.x) for m in s.marks], dtype=float)
        y = np.array([self._vy(m.y) for m in s.marks], dtype=float)
        kinds = [m.kind for m in s.marks]
        width = (LINE_WIDTH * 0.7 if secondary else LINE_WIDTH) * self.scale
        estimate = s.estimated or all(k == "estimate" for k in kinds)
        style = "dot" if estimate else "solid"
        # Solid segments join two measured points; any segment touching an extrapolated point is dashed.
        solid_connect = np.array(
            [_solid(a, b) for a, b in zip(kinds, [*kinds[1:], kinds[-1]], strict=True)], dtype=bool
        )
        if len(kinds) == 1:
            solid_connect[:] = False
        dashed_connect = np.array([not c for c in solid_connect], dtype=bool)
        if len(dashed_connect):
            dashed_connect[-1] = False
        size = (SYMBOL_SIZE * (0.75 if secondary else 1.0)) * self.scale
        symbol = precision_symbol(s.symbol_key) if not secondary else "+"
        symbol_pen = pg.mkPen(color, width=1.6 * self.scale)
        # One brush for the whole curve keeps the legend sample right: filled for measured curves, hollow for
        # estimates. Extrapolated points of a measured curve get hollow markers drawn over them.
        fill = pg.mkBrush(self.theme.background) if estimate else pg.mkBrush(color)
        pen = line_pen(color, style=style, width=width / self.scale, scale=self.scale)
        items = self._series.get(s.key)
        if items is None:
            main = pg.PlotDataItem()
            self.plot.addItem(main)
            items = SeriesItems(main=main, dashed=None, hollow=None, errors=None)
            self._series[s.key] = items
            main.visibleChanged.connect(lambda key=s.key: self._follow_visibility(key))
        items.main.setData(
            x=x,
            y=y,
            connect=solid_connect,
            pen=pen,
            symbol=symbol,
            symbolSize=size,
            symbolBrush=fill,
            symbolPen=symbol_pen,
            name=s.name,
        )
        items.main.setZValue(5 if not secondary else 4)
        if dashed_connect.any():
            if items.dashed is None:
                items.dashed = pg.PlotDataItem()
                self.plot.addItem(items.dashed)
            dash = line_pen(color, style="dash", width=width / self.scale, scale=self.scale)
            items.dashed.setData(x=x, y=y, connect=dashed_connect, pen=dash)
        elif items.dashed is not None:
            self.plot.removeItem(items.dashed)
            items.dashed = None
        hollow = [i for i, m in enumerate(s.marks) if m.kind == "extrapolated"] if not estimate else []
        if hollow:
            if items.hollow is None:
                items.hollow = pg.ScatterPlotItem()
                items.hollow.setZValue(6)
                self.plot.addItem(items.hollow)
            items.hollow.setData(
                x=x[hollow],
                y=y[hollow],
                symbol=symbol,
                size=size,
                pen=symbol_pen,
                brush=pg.mkBrush(self.theme.background),
            )
        elif items.hollow is not None:
            self.plot.removeItem(items.hollow)
            items.hollow = None
        self._draw_errors(s, items, x, y, color)

    def _draw_errors(self, s: Series, items: SeriesItems, x: np.ndarray, y: np.ndarray, color: Any) -> None:
        with_ci = [(i, m) for i, m in enumerate(s.marks) if m.lo is not None and m.hi is not None]
        if not with_ci:
            if items.errors is not None:
                self.plot.removeItem(items.errors)
                items.errors = None
            return
        idx = np.array([i for i, _ in with_ci])
        top = np.array([self._vy(m.hi or m.y) for _, m in with_ci]) - y[idx]
        bottom = y[idx] - np.array([self._vy(m.lo or m.y) for _, m in with_ci])
        pen = pg.mkPen(color, width=1.3 * self.scale)
        beam = 0.05 if self.model is not None and self.model.x_log else None  # caps 0.05 decade wide
        if items.errors is None:
            items.errors = pg.ErrorBarItem()
            self.plot.addItem(items.errors)
        items.errors.setData(
            x=x[idx], y=y[idx], top=np.maximum(top, 0), bottom=np.maximum(bottom, 0), pen=pen, beam=beam
        )

    def _remove_series(self, key: tuple[Any, ...]) -> None:
        items = self._series.pop(key)
        self._drawn.pop(key, None)
        for item in (items.main, items.dashed, items.hollow, items.errors):
            if item is not None:
                self.plot.removeItem(item)

    def _follow_visibility(self, key: tuple[Any, ...]) -> None:
        """Clicking a legend entry hides its curve; its dashes, markers and error bars go with it."""
        items = self._series.get(key)
        if items is not None:
            for item in (items.dashed, items.hollow, items.errors):
                if item is not None:
                    item.setVisible(items.main.isVisible())

    def _series_name(self, key: tuple[Any, ...]) -> str:
        items = self._series[key]
        return str(items.main.name())

    def _draw_extras(self, model: ChartModel) -> None:
        for plot, item in self._extras:
            plot.removeItem(item)
        self._extras = []
        xs = [self._vx(m.x) for s in model.series for m in s.marks] + [self._vx(f.x) for f in model.failures]
        x_mid = (min(xs) + max(xs)) / 2 if xs else 0.0
        for line in model.hlines:
            y = self._vy(line.y)
            color = self._line_color(line)
            pen = pg.mkPen(color, width=1.6 * self.scale, style=QtCore.Qt.PenStyle.DashDotLine)
            short = line.short or ("break-even" if line.role == "break-even" else "CPU peak (theory)")
            inf = pg.InfiniteLine(
                pos=y,
                angle=0,
                pen=pen,
                label=short,
                labelOpts={"position": 0.01, "anchors": [(0, 1), (0, 1)], "color": color, "fill": None},
            )
            inf.setZValue(3)
            self._add_extra(self.plot, inf)
            # Reference lines are not part of auto-range; an invisible point at their height makes them so.
            anchor = pg.ScatterPlotItem(x=[x_mid], y=[y], size=1, pen=None, brush=pg.mkBrush(0, 0, 0, 0))
            self._add_extra(self.plot, anchor)
        x_lo, x_hi = (min(xs), max(xs)) if xs else (0.0, 1.0)
        for i, c in enumerate(model.crossovers):
            color = device_qcolor(self.colors.color(c.device, c.series_estimated), self.theme, c.variant)
            x, y = self._vx(c.x), self._vy(c.y)
            star = pg.ScatterPlotItem(
                x=[x],
                y=[y],
                symbol="star",
                size=17 * self.scale,
                pen=pg.mkPen(self.theme.foreground, width=1.0 * self.scale),
                brush=pg.mkBrush(color),
            )
            star.setZValue(25)
            self._add_extra(self.plot, star)
            below = i % 2 == 1
            # One crossover: the whole sentence at the star; several: the x value there, sentences in the notes.
            label = c.text if len(model.crossovers) == 1 else "~" + c.text.rsplit("~", 1)[-1].split(" (")[0]
            frac = (x - x_lo) / (x_hi - x_lo) if x_hi > x_lo else 0.5
            text = pg.TextItem(label, color=color, anchor=(min(max(frac, 0.0), 1.0), -0.35 if below else 1.35))
            font = QtGui.QFont()
            font.setPointSizeF(10)
            font.setBold(True)
            text.setFont(font)
            text.setPos(x, y)
            text.setZValue(26)
            self._add_extra(self.plot, text)
        if self.bar_plot is not None:
            self._draw_bars(model)

    def _line_color(self, line: HLine) -> QtGui.QColor:
        if line.device is not None:
            return device_qcolor(self.colors.color(line.device, line.estimated), self.theme, line.variant)
        return self.theme.foreground if line.role == "break-even" else self.theme.muted

    def _draw_bars(self, model: ChartModel) -> None:
        assert self.bar_plot is not None
        ticks = [(i, b.label) for i, b in enumerate(model.bars)]
        self.bar_plot.getAxis("bottom").setTicks([ticks, []])
        if not model.bars:
            return
        brushes = [pg.mkBrush(device_qcolor(self.colors.color(b.device), self.theme)) for b in model.bars]
        bars = pg.BarGraphItem(
            x=np.arange(len(model.bars)),
            height=[b.value for b in model.bars],
            width=0.6,
            brushes=brushes,
            pen=pg.mkPen(self.theme.background, width=1),
        )
        self._add_extra(self.bar_plot, bars)
        for i, b in enumerate(model.bars):
            label = pg.TextItem(b.value_text or f"{b.value:.3g}", color=self.theme.foreground, anchor=(0.5, 1.1))
            label.setPos(i, b.value)
            self._add_extra(self.bar_plot, label)
        # Headroom above the tallest bar for its value label.
        top = pg.ScatterPlotItem(
            x=[0], y=[max(b.value for b in model.bars) * 1.12], size=1, pen=None, brush=pg.mkBrush(0, 0, 0, 0)
        )
        self._add_extra(self.bar_plot, top)

    def _add_extra(self, plot: Any, item: Any) -> None:
        plot.addItem(item)
        self._extras.append((plot, item))

    def _draw_failures(self, model: ChartModel) -> None:
        if not model.failures:
            self._failures.setData(x=[], y=[])
            return
        ys = [self._vy(v) for s in model.series for m in s.marks for v in (m.y, m.lo) if v is not None and v > 0]
        ys += [self._vy(h.y) for h in model.hlines]
        if ys:
            span = max(max(ys) - min(ys), 0.5 if model.y_log else abs(max(ys)) or 1.0)
            bottom = min(ys) - 0.08 * span
        else:
            bottom = 0.0
        # Failed points sit on the bottom edge of the data, at their x: visible, never a silent gap.
        self._failures.setData(x=[self._vx(f.x) for f in model.failures], y=[bottom] * len(model.failures))

    def _update_legend(self, model: ChartModel) -> None:
        keys = [s.key for s in model.series]
        kinds = {m.kind for s in model.series for m in s.marks}
        # Under a narrow plot every legend row costs plot height; reference lines carry their own label on the plot.
        hlines = model.hlines if self._side_beside else []
        wanted = [*keys, *(("line", h.label) for h in hlines)]
        wanted += [("key", k) for k in ("extrapolated", "estimate") if k in kinds]
        if model.failures:
            wanted.append(("key", "failed"))
        if wanted == self._legend_keys:
            return
        self.legend.clear()
        for s in model.series:
            self.legend.addItem(self._series[s.key].main, _html(s.name))
        muted = self.theme.foreground
        for line in hlines:
            color = self._line_color(line)
            pen = pg.mkPen(color, width=1.6 * self.scale, style=QtCore.Qt.PenStyle.DashDotLine)
            self.legend.addItem(pg.PlotDataItem([0, 1], [0, 1], pen=pen), _html(line.label))
        for k in ("extrapolated", "estimate"):
            if k in kinds:
                style = "dash" if k == "extrapolated" else "dot"
                sample = pg.PlotDataItem(
                    [0, 1],
                    [0, 1],
                    pen=line_pen(muted, style=style, scale=self.scale),
                    symbol="o",
                    symbolBrush=pg.mkBrush(self.theme.background),
                    symbolPen=pg.mkPen(muted, width=1.6 * self.scale),
                    symbolSize=SYMBOL_SIZE * self.scale,
                )
                text = "extrapolated (hollow, dashed)" if k == "extrapolated" else "estimate, not measured (dotted)"
                self.legend.addItem(sample, text)
        if model.failures:
            self.legend.addItem(self._failures, "failed or skipped (hover for why)")
        self._legend_keys = wanted
        self._fit_legend_columns()

    def _rebuild_targets(self, model: ChartModel) -> None:
        targets = []
        marks: list[Mark] = [m for s in model.series for m in s.marks]
        if marks or model.failures:
            fx, fy = self._failures.getData()
            xs = [self._vx(m.x) for m in marks] + [float(v) for v in fx]
            ys = [self._vy(m.y) for m in marks] + [float(v) for v in fy]
            tips = [m.tip for m in marks] + [f.tip for f in model.failures]
            targets.append(_Target(self.plot, np.array(xs), np.array(ys), tips))
        if self.bar_plot is not None and model.bars:
            rects = [QtCore.QRectF(i - 0.3, 0.0, 0.6, b.value) for i, b in enumerate(model.bars)]
            targets.append(
                _Target(
                    self.bar_plot,
                    np.arange(len(model.bars), dtype=float),
                    np.array([b.value for b in model.bars]),
                    [b.tip for b in model.bars],
                    rects,
                )
            )
        self._targets = targets

    # ------------------------------------------------------------ hover

    def _hit(self, scene_pos: QtCore.QPointF) -> tuple[Any, float, float, str] | None:
        best: tuple[float, Any, float, float, str] | None = None
        for t in self._targets:
            vb = t.plot.vb
            if not vb.sceneBoundingRect().contains(scene_pos):
                continue
            tr = vb.childGroup.sceneTransform()
            sx = tr.m11() * t.x + tr.m21() * t.y + tr.dx()
            sy = tr.m12() * t.x + tr.m22() * t.y + tr.dy()
            d = np.hypot(sx - scene_pos.x(), sy - scene_pos.y())
            i = int(np.argmin(d))
            if d[i] <= HOVER_RADIUS_PX * self.scale and (best is None or d[i] < best[0]):
                best = (float(d[i]), t.plot, float(t.x[i]), float(t.y[i]), t.tips[i])
            if t.rects is not None:
                view = vb.mapSceneToView(scene_pos)
                for j, r in enumerate(t.rects):
                    if r.contains(view) and best is None:
                        best = (HOVER_RADIUS_PX, t.plot, float(t.x[j]), float(t.y[j]), t.tips[j])
        return None if best is None else best[1:]

    def _on_mouse_moved(self, scene_pos: QtCore.QPointF) -> None:
        hit = self._hit(scene_pos)
        if hit is None:
            if self._tip_shown:  # hide only our own tooltip, not one Qt shows for the notes
                self._hover.setData(x=[], y=[])
                QtWidgets.QToolTip.hideText()
                self._tip_shown = False
            return
        plot, x, y, tip = hit
        self._hover.setData(x=[x], y=[y]) if plot is self.plot else self._hover.setData(x=[], y=[])
        global_pos = self.viewport().mapToGlobal(self.mapFromScene(scene_pos))
        QtWidgets.QToolTip.showText(global_pos, tip, self)
        self._tip_shown = True

    def _draw_notes(self, model: ChartModel) -> None:
        notes = list(model.notes)
        hidden = 0
        if not self._side_beside and len(notes) > NARROW_NOTES:
            # Under a narrow plot every line costs plot height: keep the crossovers, count the rest.
            notes = sorted(notes, key=lambda n: -n.priority)[:NARROW_NOTES]
            hidden = len(model.notes) - len(notes)
        lines = []
        for n in notes:
            color = self.theme.foreground
            if n.device is not None:
                color = device_qcolor(self.colors.color(n.device, n.estimated), self.theme, n.variant)
            lines.append(f'<span style="color:{color.name()}">{_html(n.text)}</span>')
        if hidden:
            lines.append(f"…and {hidden} more (widen the window, or hover here)")
        head = ""
        ratios = [h.y for h in model.hlines if h.role == "break-even"]
        if len(ratios) == 1 and model.series:
            head = f"<b>At a price ratio of {_html(format_ratio(ratios[0]))}:</b><br>"
        elif ratios and model.series:
            head = "<b>Each GPU at its own price ratio:</b><br>"
        state = (head, tuple(lines), hidden, self.theme.foreground.name())
        if state == self._notes_drawn:
            return
        self._notes_drawn = state
        self._notes.setText(head + "<br>".join(lines) if lines else "", color=self.theme.foreground.name())
        self._notes.setToolTip(plain_tooltip("\n".join(n.text for n in model.notes)) if hidden else "")
        self._notes.setVisible(bool(lines))
        # A hidden item still takes its room in a graphics layout; an empty note takes none.
        self._notes.setMaximumHeight(QWIDGETSIZE_MAX if lines else 0)


class _LegendSample(pg.ItemSample):
    """A legend sample whose marker scales like the rest of the legend in an enlarged export.

    Plot markers keep a fixed pixel size under the export's scaling, so exports enlarge them by hand; the legend
    is scaled as a whole, so its samples must draw the marker at the unenlarged size.
    """

    def paint(self, p: QtGui.QPainter, *args: Any) -> None:
        opts = self.item.opts
        if not self.item.isVisible():
            super().paint(p, *args)  # pyqtgraph's "hidden" eye icon
            return
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        if not isinstance(self.item, pg.ScatterPlotItem):
            p.setPen(pg.mkPen(opts["pen"]))
            p.drawLine(0, 11, 20, 11)
        symbol = opts.get("symbol")
        if symbol is not None:
            sopts = self.item.scatter.opts if isinstance(self.item, pg.PlotDataItem) else opts
            scale = getattr(self.parentItem(), "symbol_scale", 1.0)
            p.translate(10, 11)
            drawSymbol(p, symbol, sopts["size"] / scale, pg.mkPen(sopts["pen"]), pg.mkBrush(sopts["brush"]))


def _center_lines(label: Any) -> None:
    """Centre each line of a multi-line LabelItem (Qt aligns lines only within a fixed text width)."""
    item = label.item
    item.setTextWidth(-1)
    item.setTextWidth(item.boundingRect().width())
    option = item.document().defaultTextOption()
    option.setAlignment(QtCore.Qt.AlignmentFlag.AlignHCenter)
    item.document().setDefaultTextOption(option)


def _solid(a: str, b: str) -> bool:
    return a != "extrapolated" and b != "extrapolated"


def _log(v: float) -> float:
    return math.log10(v) if v > 0 else float("nan")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br>")
