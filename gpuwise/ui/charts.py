"""The charts panel: four tabs (epoch time, throughput, speedup, micro-benchmarks) over one set of results.

The main window feeds it a whole report (``set_report``) or points as they are measured (``add_point``); the
verdict feeds estimated catalog-GPU curves (``set_estimates``) and the price ratio. Only the visible chart is
redrawn on a change; the others are marked stale and redrawn when shown or exported.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from gpuwise.core.report import MicroResult, Point, Report
from gpuwise.ui.chart_data import (
    CHART_NAMES,
    DEFAULT_PRICE_RATIO,
    ChartInputs,
    ChartModel,
    Crossover,
    build_model,
)
from gpuwise.ui.chart_style import DeviceColors
from gpuwise.ui.chart_view import ChartView
from gpuwise.ui.qt import QtWidgets

TAB_TITLES = {
    "epoch-time": "Epoch time",
    "throughput": "Throughput",
    "speedup": "Speedup",
    "matmul": "Micro-benchmarks",
}
TAB_TIPS = {
    "epoch-time": "How long one epoch and the whole training take on each device, by dataset size",
    "throughput": "Training samples per second on each device, by model size",
    "speedup": "How many times faster the GPU trains than the CPU, against the price ratio that makes it pay",
    "matmul": "Raw matrix-multiply speed and memory bandwidth of each device",
}
_POINT_CHARTS = ("epoch-time", "throughput", "speedup")


def _identity(p: Point) -> tuple[Any, ...]:
    return (p.device, p.estimated, p.family, p.params, p.samples, p.batch_size, p.epochs, p.precision, p.optimizer)


class ChartsWidget(QtWidgets.QTabWidget):
    """Tabs of charts over measured points, catalog estimates and micro-benchmarks.

    Chart names (stable, used by the CLI and exports): ``epoch-time``, ``throughput``, ``speedup``, ``matmul``.
    """

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("charts")
        self.setDocumentMode(True)
        self.device_colors = DeviceColors()
        self._points: list[Point] = []
        self._estimates: list[Point] = []
        self._micro: list[MicroResult] = []
        self._machine: dict[str, Any] = {}
        self._price_ratio = DEFAULT_PRICE_RATIO
        self._models: dict[str, ChartModel] = {}
        self._dirty: set[str] = set(CHART_NAMES)  # models to recompute
        self._stale_views: set[str] = set(CHART_NAMES)  # views to redraw from their model
        self._new_data: set[str] = set(CHART_NAMES)  # views whose zoom resets to the data when next drawn
        self._views: dict[str, ChartView] = {}
        for name in CHART_NAMES:
            view = ChartView(name, self.device_colors)
            view.setObjectName(f"chart-{name}")
            self._views[name] = view
            index = self.addTab(view, TAB_TITLES[name])
            self.setTabToolTip(index, TAB_TIPS[name])
        self.currentChanged.connect(self._refresh_current)
        self._refresh_current()

    # ------------------------------------------------------------ feeding data

    def set_report(self, report: Report) -> None:
        """Show a whole report (replaces measured points and micro-benchmarks; estimates stay until replaced)."""
        self._points = list(report.points)
        self._micro = list(report.micro)
        self._machine = dict(report.machine)
        self._changed(CHART_NAMES)

    def add_point(self, point: Point) -> None:
        """Add one measured (or failed) point; a point re-measured at the same settings replaces the old one."""
        ident = _identity(point)
        self._points = [p for p in self._points if _identity(p) != ident]
        self._points.append(point)
        self._changed(_POINT_CHARTS, new_data=False)

    def add_micro(self, result: MicroResult) -> None:
        key = (result.device, result.kind, result.precision, result.size)
        self._micro = [m for m in self._micro if (m.device, m.kind, m.precision, m.size) != key]
        self._micro.append(result)
        self._changed(("matmul",), new_data=False)

    def set_machine(self, machine: dict[str, Any]) -> None:
        """The machine description (for the CPU's theoretical peak) when points arrive one by one."""
        self._machine = dict(machine)
        self._changed(("matmul",))

    def set_estimates(self, points: list[Point]) -> None:
        """Replace the estimated curves (catalog GPUs). They are drawn dotted and named "(estimate)"."""
        self._estimates = [p if p.estimated else dataclasses.replace(p, estimated=True) for p in points]
        self.device_colors.clear_estimates()
        self._changed(_POINT_CHARTS)

    def set_price_ratio(self, k: float) -> None:
        """How many times the GPU's hourly price is the CPU's: the speedup chart's break-even line."""
        if not (isinstance(k, (int, float)) and math.isfinite(k) and k > 0):
            raise ValueError(f"price ratio must be a positive number, not {k!r}")
        self._price_ratio = float(k)
        self._changed(("speedup",))

    def price_ratio(self) -> float:
        return self._price_ratio

    def clear(self) -> None:
        self._points, self._estimates, self._micro, self._machine = [], [], [], {}
        self.device_colors = DeviceColors()
        for view in self._views.values():
            view.colors = self.device_colors
        self._changed(CHART_NAMES)

    # ------------------------------------------------------------ reading back

    def chart_names(self) -> list[str]:
        return list(CHART_NAMES)

    def current_chart_name(self) -> str:
        return CHART_NAMES[max(self.currentIndex(), 0)]

    def set_current_chart(self, name: str) -> None:
        self.setCurrentIndex(CHART_NAMES.index(self._check(name)))

    def plot_widget(self, name: str) -> ChartView:
        """The chart's on-screen widget (a pyqtgraph GraphicsLayoutWidget), brought up to date."""
        self._refresh(self._check(name))
        return self._views[name]

    def model(self, name: str) -> ChartModel:
        """What the chart plots, as plain values (series, failures, reference lines, crossovers, CSV rows)."""
        name = self._check(name)
        if name in self._dirty or name not in self._models:
            self._models[name] = build_model(name, self.inputs())
            self._dirty.discard(name)
            self._stale_views.add(name)
        return self._models[name]

    def chart_data(self, name: str) -> list[dict[str, Any]]:
        """The plotted data as rows (one dict per plotted point, failure or crossover), in CSV column order."""
        m = self.model(name)
        return [{c: row.get(c, "") for c in m.columns} for row in m.rows]

    def chart_columns(self, name: str) -> tuple[str, ...]:
        return self.model(name).columns

    def crossovers(self) -> list[Crossover]:
        """Where each GPU's speedup crosses the break-even price ratio."""
        return list(self.model("speedup").crossovers)

    def has_data(self, name: str) -> bool:
        return self.model(name).has_data

    def inputs(self) -> ChartInputs:
        return ChartInputs(
            points=list(self._points), estimates=list(self._estimates), micro=list(self._micro),
            machine=dict(self._machine), price_ratio=self._price_ratio,
        )  # fmt: skip

    # ------------------------------------------------------------ internals

    def _check(self, name: str) -> str:
        if name not in CHART_NAMES:
            raise KeyError(f"unknown chart {name!r} (one of {', '.join(CHART_NAMES)})")
        return name

    def _changed(self, names: tuple[str, ...], *, new_data: bool = True) -> None:
        if new_data:
            self._new_data.update(names)
        self._dirty.update(names)
        self._refresh_current()

    def _refresh_current(self, *_: object) -> None:
        self._refresh(self.current_chart_name())

    def _refresh(self, name: str) -> None:
        model = self.model(name)
        if name in self._stale_views:
            self._views[name].set_model(model, reset_range=name in self._new_data)
            self._stale_views.discard(name)
            self._new_data.discard(name)
