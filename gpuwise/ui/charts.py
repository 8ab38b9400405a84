"""The charts panel: four tabs (epoch time, throughput, speedup, micro-benchmarks) over one set of results.

The main window feeds it a whole report (``set_report``) or points as they are measured (``add_point``); the
verdict feeds estimated catalog-GPU curves (``set_estimates``) and the price ratio. Feeding only marks charts
stale and schedules one redraw for the next event-loop turn, so a point and the estimates that follow it cost one
redraw, and only of the visible chart; the others are redrawn when shown, exported or read (``plot_widget``,
``model``).

A row above a chart picks what it shows, so its legend stays one entry per device: the epoch-time chart shows
one model size (the largest measured by default) and either the epoch time or the time to train; the speedup
chart, when both sizes were swept, one dataset size.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from gpuwise.charts.build import build_model
from gpuwise.charts.model import DEFAULT_PRICE_RATIO, METRICS, ChartInputs, ChartModel, Crossover, Metric
from gpuwise.charts.names import CHART_NAMES, check_chart_name
from gpuwise.charts.selection import (
    epoch_model_sizes,
    selected_model_size,
    selected_speedup_samples,
    speedup_dataset_sizes,
)
from gpuwise.core.decide import PriceBook
from gpuwise.core.report import MicroResult, Point, Report
from gpuwise.core.scaling import is_data_parallel
from gpuwise.core.units import format_count
from gpuwise.ui.chart_style import DeviceColors
from gpuwise.ui.chart_view import ChartView
from gpuwise.ui.qt import QtCore, QtWidgets

TAB_TITLES = {
    "epoch-time": "Epoch time",
    "throughput": "Throughput",
    "speedup": "Speedup",
    "matmul": "Micro-benchmarks",
    "scaling": "Scaling",
}
TAB_TIPS = {
    "epoch-time": "How long one epoch and the whole training take on each device, by dataset size",
    "throughput": "Training samples per second on each device, by model size",
    "speedup": "How many times faster the GPU trains than the CPU, against the price ratio that makes it pay",
    "matmul": "Raw matrix-multiply speed and memory bandwidth of each device",
    "scaling": "Data-parallel training: throughput and efficiency against the number of processes, ideal dashed",
}
_POINT_CHARTS = ("epoch-time", "throughput", "speedup", "scaling")
METRIC_LABELS = {"epoch": "Time per epoch", "train": "Time to train (all epochs)"}


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
        self._pricing = PriceBook.flat(DEFAULT_PRICE_RATIO)
        self._job_epochs: int | None = None
        self._measuring = False
        self._models: dict[str, ChartModel] = {}
        self._dirty: set[str] = set(CHART_NAMES)  # models to recompute
        self._stale_views: set[str] = set(CHART_NAMES)  # views to redraw from their model
        self._new_data: set[str] = set(CHART_NAMES)  # views whose zoom resets to the data when next drawn
        self._model_size: int | None = None
        self._metric: Metric = "epoch"
        self._speedup_samples: int | None = None
        self._views: dict[str, ChartView] = {}
        self._control_rows: dict[str, QtWidgets.QWidget] = {}
        self.size_combo = QtWidgets.QComboBox()
        self.size_combo.setObjectName("chart-model-size")
        self.size_combo.setToolTip("Which model size the curves show (one curve per device)")
        self.size_combo.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.size_combo.activated.connect(self._on_size_chosen)
        self.metric_combo = QtWidgets.QComboBox()
        self.metric_combo.setObjectName("chart-metric")
        self.metric_combo.setToolTip("One epoch, or the whole training (all epochs plus the fixed start-up cost)")
        for metric in METRICS:
            self.metric_combo.addItem(METRIC_LABELS[metric], metric)
        self.metric_combo.activated.connect(self._on_metric_chosen)
        self.samples_combo = QtWidgets.QComboBox()
        self.samples_combo.setObjectName("chart-dataset-size")
        self.samples_combo.setToolTip("Which dataset size the speedup curves are for (one curve per GPU)")
        self.samples_combo.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.samples_combo.activated.connect(self._on_samples_chosen)
        controls = {
            "epoch-time": [("Model size:", self.size_combo), ("Show:", self.metric_combo)],
            "speedup": [("Dataset size:", self.samples_combo)],
        }
        for name in CHART_NAMES:
            view = ChartView(name, self.device_colors)
            view.setObjectName(f"chart-{name}")
            self._views[name] = view
            index = self.addTab(self._page(name, view, controls.get(name, [])), TAB_TITLES[name])
            self.setTabToolTip(index, TAB_TIPS[name])
        # Feeding data only schedules a redraw: a point and the estimates that follow it are drawn once.
        self._redraw_timer = QtCore.QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(0)
        self._redraw_timer.timeout.connect(self._refresh_current)
        self.currentChanged.connect(self._refresh_current)
        self._refresh_current()

    def _page(self, name: str, view: ChartView, controls: list[tuple[str, QtWidgets.QComboBox]]) -> QtWidgets.QWidget:
        if not controls:
            return view
        page = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        row = QtWidgets.QWidget()
        row.setObjectName(f"chart-controls-{name}")
        row_layout = QtWidgets.QHBoxLayout(row)
        row_layout.setContentsMargins(8, 4, 8, 0)
        for text, widget in controls:
            label = QtWidgets.QLabel(text)
            label.setBuddy(widget)
            row_layout.addWidget(label)
            row_layout.addWidget(widget)
            row_layout.addSpacing(12)
        row_layout.addStretch(1)
        row.setVisible(False)  # shown once there is something to choose
        self._control_rows[name] = row
        layout.addWidget(row)
        layout.addWidget(view, 1)
        return page

    # ------------------------------------------------------------ feeding data

    def set_report(self, report: Report) -> None:
        """Show a whole report (replaces measured points and micro-benchmarks; estimates stay until replaced)."""
        self._points = list(report.points)
        self._micro = list(report.micro)
        self._machine = dict(report.machine)
        self._changed(CHART_NAMES)

    def add_point(self, point: Point) -> None:
        """Add one measured (or failed) point; a point re-measured at the same settings replaces the old one."""
        key = point.settings_key
        self._points = [p for p in self._points if p.settings_key != key]
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
        """Every GPU at k times the CPU's hourly price: one break-even line on the speedup chart."""
        if not (isinstance(k, (int, float)) and math.isfinite(k) and k > 0):
            raise ValueError(f"price ratio must be a positive number, not {k!r}")
        self.set_pricing(PriceBook.flat(k))

    def set_pricing(self, book: PriceBook) -> None:
        """The prices as the verdict resolved them: each GPU's break-even line at its own price ratio."""
        if book != self._pricing:
            self._pricing = book
            self._changed(("speedup",))

    def pricing(self) -> PriceBook:
        return self._pricing

    def price_ratio(self, device: str = "") -> float:
        """The price ratio of ``device`` (default: of a GPU the verdict did not price)."""
        return self._pricing.ratio(device)

    # ------------------------------------------------------------ what the charts show

    def model_sizes(self) -> list[int]:
        """The model sizes (parameters) the epoch-time chart can show."""
        return epoch_model_sizes(self.inputs())

    def model_size(self) -> int | None:
        """The model size the epoch-time chart shows now (the largest measured unless one was chosen)."""
        return selected_model_size(self.inputs())

    def set_model_size(self, params: int | None) -> None:
        """Show ``params`` on the epoch-time chart; None goes back to the largest measured size."""
        self._model_size = params
        self._changed(("epoch-time",))

    def epoch_metric(self) -> Metric:
        return self._metric

    def set_epoch_metric(self, metric: Metric) -> None:
        """``"epoch"``: time per epoch; ``"train"``: time to train (all epochs plus fixed overhead)."""
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r} (one of {', '.join(METRICS)})")
        self._metric = metric
        self._changed(("epoch-time",))

    def speedup_dataset_sizes(self) -> list[int]:
        """Dataset sizes the speedup chart can pick from (empty when it plots against dataset size)."""
        return speedup_dataset_sizes(self.inputs())

    def speedup_samples(self) -> int | None:
        return selected_speedup_samples(self.inputs())

    def set_speedup_samples(self, samples: int | None) -> None:
        self._speedup_samples = samples
        self._changed(("speedup",))

    def set_job_epochs(self, epochs: int | None) -> None:
        """Compare times to train ``epochs`` epochs on the speedup chart (the job the verdict prices)."""
        if epochs != self._job_epochs:
            self._job_epochs = epochs
            self._changed(("speedup",))

    def set_measuring(self, measuring: bool) -> None:
        """A run is under way (or over): empty charts say their points are coming."""
        if measuring != self._measuring:
            self._measuring = measuring
            self._changed(CHART_NAMES, new_data=False)

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
        self.setCurrentIndex(CHART_NAMES.index(check_chart_name(name)))

    def plot_widget(self, name: str) -> ChartView:
        """The chart's on-screen widget (a pyqtgraph GraphicsLayoutWidget), brought up to date."""
        self._refresh(check_chart_name(name))
        return self._views[name]

    def model(self, name: str) -> ChartModel:
        """What the chart plots, as plain values (series, failures, reference lines, crossovers, CSV rows)."""
        name = check_chart_name(name)
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
            points=[p for p in self._points if not is_data_parallel(p)],
            estimates=list(self._estimates),
            micro=list(self._micro),
            machine=dict(self._machine),
            pricing=self._pricing,
            model_size=self._model_size,
            metric=self._metric,
            speedup_samples=self._speedup_samples,
            job_epochs=self._job_epochs,
            scaling_points=[p for p in self._points if p.backend],
            measuring=self._measuring,
        )

    # ------------------------------------------------------------ internals

    def _changed(self, names: tuple[str, ...], *, new_data: bool = True) -> None:
        if new_data:
            self._new_data.update(names)
        self._dirty.update(names)
        self._redraw_timer.start()

    def _refresh_current(self, *_: object) -> None:
        self._redraw_timer.stop()
        self._refresh(self.current_chart_name())

    def _refresh(self, name: str) -> None:
        model = self.model(name)
        if name in self._stale_views:
            self._views[name].set_model(model, reset_range=name in self._new_data)
            self._stale_views.discard(name)
            self._new_data.discard(name)
            self._sync_controls(name)

    def _sync_controls(self, name: str) -> None:
        """Refill a chart's choice row from the data (cheap: only when the choices changed)."""
        row = self._control_rows.get(name)
        if row is None:
            return
        if name == "epoch-time":
            sizes = self.model_sizes()
            _fill(self.size_combo, [(f"{format_count(n)} params", n) for n in sizes], self.model_size())
            self.size_combo.setEnabled(len(sizes) > 1)
            epochs = {p.epochs for p in self.inputs().all_points}
            train = f"Time to train ({next(iter(epochs))} epochs)" if len(epochs) == 1 else METRIC_LABELS["train"]
            if self.metric_combo.itemText(1) != train:
                self.metric_combo.setItemText(1, train)
            self.metric_combo.setCurrentIndex(METRICS.index(self._metric))
            row.setVisible(bool(sizes))
        elif name == "speedup":
            options = self.speedup_dataset_sizes()
            _fill(self.samples_combo, [(f"{format_count(n)} samples", n) for n in options], self.speedup_samples())
            row.setVisible(len(options) > 1)

    def _on_size_chosen(self, index: int) -> None:
        self.set_model_size(self.size_combo.itemData(index))
        self._refresh_current()

    def _on_metric_chosen(self, index: int) -> None:
        self.set_epoch_metric(self.metric_combo.itemData(index))
        self._refresh_current()

    def _on_samples_chosen(self, index: int) -> None:
        self.set_speedup_samples(self.samples_combo.itemData(index))
        self._refresh_current()


def _fill(combo: QtWidgets.QComboBox, items: list[tuple[str, int]], current: int | None) -> None:
    if [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())] != items:
        combo.clear()
        for text, value in items:
            combo.addItem(text, value)
    index = combo.findData(current)
    if index >= 0 and index != combo.currentIndex():
        combo.setCurrentIndex(index)
