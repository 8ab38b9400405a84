"""The main window: workload panel (left), charts with the verdict beside them (centre), live monitor (bottom).

It wires the panels together and owns the run: Run hands the workload panel's SweepPlan to a
:class:`~gpuwise.ui.worker.SweepRunner`, whose signals feed the charts, the verdict card, the monitor's phase
shading and the status bar. Nothing here imports torch: the sweep imports it on its thread, and device discovery
imports it on another one after the window has shown.

Start-up is two-phase when ``deferred=True`` (the app does this): the window shell and the workload panel need only
PySide6 and appear at once; pyqtgraph (~0.5 s to import here) and the charts and monitor built on it follow right
after the first paint.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from PySide6 import QtCore, QtGui, QtWidgets

import gpuwise
from gpuwise.core.bench.events import Progress
from gpuwise.core.bench.sweep import SweepPlan
from gpuwise.core.decide import PriceBook, Verdict
from gpuwise.core.devices import DeviceInventory, cpu_info
from gpuwise.core.errors import UserInputError
from gpuwise.core.history import DB_NAME, History, HistoryError, data_dir, verdict_headline
from gpuwise.core.machine_text import machine_short, machine_summary, tagged_device
from gpuwise.core.report import MicroResult, Point, Report, atomic_write_text, save_report
from gpuwise.core.resources import resource_path
from gpuwise.core.units import count_of, format_duration
from gpuwise.ui.elided_label import ElidedLabel
from gpuwise.ui.history_view import HistoryView
from gpuwise.ui.monitor_sampler import SamplerLike
from gpuwise.ui.plain_text import plain_label, plain_message_box
from gpuwise.ui.report_loader import ReportLoad
from gpuwise.ui.settings import Settings
from gpuwise.ui.status_progress import StatusProgressBar
from gpuwise.ui.thread_worker import FunctionWorker
from gpuwise.ui.worker import RunSweep, SweepRunner, readable_error
from gpuwise.ui.workload_panel import WorkloadPanel

if TYPE_CHECKING:
    from gpuwise.ui.verdict_card import VerdictCard

Qt = QtCore.Qt
_log = logging.getLogger(__name__)

DEFAULT_SIZE = (1360, 860)
PHASE_WORDS = {
    "preparing": "Preparing",
    "init": "Starting the device",
    "warmup": "Warming up",
    "measuring": "Measuring",
    "micro": "Micro-benchmarks",
    "done": "Finishing",
}
AUTOSAVE_NAME = "last-run.json"
VERDICT_INTERVAL_MS = 1000
REPORT_FILTER = "gpuwise reports (*.json);;All files (*)"
HTML_FILTER = "HTML page (*.html);;All files (*)"


def default_data_dir() -> Path:
    return data_dir()


def app_icon() -> QtGui.QIcon:
    return QtGui.QIcon(str(resource_path("gpuwise.svg")))


class MainWindow(QtWidgets.QMainWindow):
    """The gpuwise window. Every collaborator that touches the outside world is injectable for tests."""

    runStateChanged = QtCore.Signal(bool)
    readyChanged = QtCore.Signal(bool)  # the charts and the monitor exist (see ``deferred``)
    reportShown = QtCore.Signal(object)  # the Report now on the charts
    reportCompared = QtCore.Signal(object)  # a Report overlaid on the charts
    reportLoadStopped = QtCore.Signal()  # a report load ended (shown, refused or cancelled)

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        sampler: SamplerLike | None = None,
        monitor_threaded: bool = True,
        run_sweep: RunSweep | None = None,
        discover: Callable[[], DeviceInventory] | None = None,
        data_dir: Path | None = None,
        deferred: bool = False,
        freeze_gc: bool = False,
    ) -> None:
        super().__init__()
        self._freeze_gc = freeze_gc
        self._sampler = sampler
        self._monitor_threaded = monitor_threaded
        self._ready = False
        self._pending_open: Path | None = None
        self.settings = settings if settings is not None else Settings()
        self._discover = discover
        self._data_dir = data_dir
        self._inventory: DeviceInventory | None = None
        self._report: Report | None = None  # what the charts show (a finished run or an opened file)
        self._report_path: Path | None = None
        self._run_points: list[Point] = []
        self._run_micro: list[MicroResult] = []
        self._run_plan: SweepPlan | None = None
        self._run_started = 0.0
        self._close_pending = False
        # The run history (opened on first use): every point is committed as it arrives; a cancelled or failed run
        # is its own run, and the screen goes back to what it showed before (self._before_run).
        self._history: History | None = None
        self._history_error = ""
        self._run_id: int | None = None
        self._shown_run: int | None = None  # the history run on the charts, if the charts show one
        self._before_run: tuple[Report | None, Path | None, int | None] = (None, None, None)
        self._overlay_tags: list[str] = []
        # The verdict (and its estimated curves) takes ~10-25 ms of GUI-thread time to recompute: during a run
        # it follows the points at most every VERDICT_INTERVAL_MS, so the window stays responsive.
        self._verdict_timer = QtCore.QTimer(self)
        self._verdict_timer.setSingleShot(True)
        self._verdict_timer.setInterval(VERDICT_INTERVAL_MS)
        self._verdict_timer.timeout.connect(lambda: self._update_verdict(self._partial_report()))
        self._shown_once = False
        self._discovery: FunctionWorker | None = None
        self._loading: ReportLoad | None = None
        self.last_message_box: QtWidgets.QMessageBox | None = None

        self.setWindowTitle("gpuwise")
        self.setWindowIcon(app_icon())
        self.setObjectName("gpuwise-main")
        self.setDockOptions(
            QtWidgets.QMainWindow.DockOption.AnimatedDocks | QtWidgets.QMainWindow.DockOption.AllowTabbedDocks
        )

        # Centre: charts and the verdict side by side (built in _finish_ui; a placeholder until then).
        self.verdict: VerdictCard | None = None
        self.export_actions: list[QtGui.QAction] = []
        loading = QtWidgets.QLabel("Loading charts…")
        loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(loading)

        # Left: the workload. Bottom: the monitor. The left dock owns both left corners, so the panel keeps the
        # full height at 1280×800 and the monitor spans only under the charts.
        self.workload = WorkloadPanel(self.settings)
        self.workload_dock = self._dock("Workload", "workload-dock", self.workload)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.workload_dock)
        self.monitor_dock = self._dock("Live monitor", "monitor-dock", QtWidgets.QLabel("Starting the monitor…"))
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.monitor_dock)
        self.history_view = HistoryView(self.history_store)
        self.history_dock = self._dock("History", "history-dock", self.history_view)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.history_dock)
        self.tabifyDockWidget(self.monitor_dock, self.history_dock)
        self.monitor_dock.raise_()
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.TopLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)

        self.runner = SweepRunner(run_sweep, self)
        self._build_actions()
        self._build_menus()
        self._build_status_bar()
        self._connect()
        self._restore_window()
        self._update_run_state()
        if not deferred:
            self._finish_ui()

    def _finish_ui(self) -> None:
        """Build what needs pyqtgraph: the charts, the verdict card and the live monitor."""
        if self._ready:
            return
        from gpuwise.ui.charts import ChartsWidget
        from gpuwise.ui.export import install_export_actions
        from gpuwise.ui.monitor_panel import MonitorPanel
        from gpuwise.ui.verdict_card import VerdictCard

        self.charts = ChartsWidget()
        self.verdict = VerdictCard(self)
        self.splitter = QtWidgets.QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("centre-splitter")
        self.splitter.addWidget(self.charts)
        self.splitter.setCollapsible(0, False)
        self.splitter.addWidget(self.verdict)  # the card sets its own minimum width (its table's five columns)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.setCentralWidget(self.splitter)
        self.monitor = MonitorPanel(self._sampler, threaded=self._monitor_threaded, settings=self.settings)
        self.monitor_dock.setWidget(self.monitor)
        self.monitor_dock.dockLocationChanged.connect(self._on_monitor_area)
        self._on_monitor_area(self.dockWidgetArea(self.monitor_dock))

        self.export_actions = list(install_export_actions(self.charts, self))
        if self.export_actions:
            export_menu = QtWidgets.QMenu("&Export chart", self)
            for a in self.export_actions:
                export_menu.addAction(a)
            self.file_menu.insertMenu(self.file_separator, export_menu)
            self.toolbar.addSeparator()
            for a in self.export_actions:
                self.toolbar.addAction(a)
        self._connect_verdict(self.verdict)

        # Dock sizes were laid out around the placeholders: lay them out again around the real panels.
        # (on the next loop turn: resizeDocks is ignored until the dock layout has taken the new widget in).
        QtCore.QTimer.singleShot(0, self._restore_docks)
        splitter = self.settings.get_bytes("window/splitter")
        if splitter is None or not self.splitter.restoreState(splitter):
            self.splitter.setSizes([640, 360])
        tab = self.settings.get_str("window/chart", "", choices=self.charts.chart_names())
        if tab:
            self.charts.set_current_chart(tab)

        self._ready = True
        self._on_plan_changed(None)
        self._update_run_state()
        if self._shown_once:
            self._start_background_work()
        self.history_view.refresh()
        if self._pending_open is not None:
            path, self._pending_open = self._pending_open, None
            self.open_report(path)
        else:
            self._show_last_complete_run()
        self.readyChanged.emit(True)

    def is_ready(self) -> bool:
        return self._ready

    # -- construction --------------------------------------------------------------------------------------

    def _dock(self, title: str, name: str, widget: QtWidgets.QWidget) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(name)  # saveState/restoreState find docks by object name
        dock.setWidget(widget)
        dock.setFeatures(
            QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        return dock

    def _action(
        self,
        text: str,
        slot: Callable[[], Any],
        shortcut: QtGui.QKeySequence | QtGui.QKeySequence.StandardKey | str | None = None,
        tip: str = "",
    ) -> QtGui.QAction:
        action = QtGui.QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QtGui.QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)  # shortcuts work even when the toolbar is hidden
        return action

    def _build_actions(self) -> None:
        style = self.style()
        sp = QtWidgets.QStyle.StandardPixmap
        self.run_action = self._action(
            "&Run", self.start_run, "Ctrl+R", "Measure the workload on every chosen device (Ctrl+R)"
        )
        self.run_action.setIcon(style.standardIcon(sp.SP_MediaPlay))
        self.cancel_action = self._action(
            "&Cancel", self.cancel_run, "Esc", "Stop the run; completed points are kept (Esc)"
        )
        self.cancel_action.setIcon(style.standardIcon(sp.SP_MediaStop))
        self.open_action = self._action(
            "&Open report…",
            lambda: self.open_report(),
            QtGui.QKeySequence.StandardKey.Open,
            "Open a saved gpuwise report (Ctrl+O)",
        )
        self.open_action.setIcon(style.standardIcon(sp.SP_DialogOpenButton))
        self.save_action = self._action(
            "&Save report as…",
            lambda: self.save_report_as(),
            "Ctrl+Shift+S",
            "Save the results shown as a JSON report (Ctrl+Shift+S)",
        )
        self.save_action.setIcon(style.standardIcon(sp.SP_DialogSaveButton))
        self.compare_action = self._action(
            "Co&mpare with report…",
            lambda: self.compare_report(),
            None,
            "Overlay the points of another report (another machine, another day)",
        )
        self.export_report_action = self._action(
            "Export &report (HTML)…",
            lambda: self.export_report_html(),
            None,
            "Write one HTML file to share: the verdict, the charts, the machine and every point (no network needed)",
        )
        self.quit_action = self._action("&Quit", self.close, QtGui.QKeySequence.StandardKey.Quit, "Quit gpuwise")
        self.quit_action.setMenuRole(QtGui.QAction.MenuRole.QuitRole)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.open_action)
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.compare_action)
        file_menu.addAction(self.export_report_action)
        self.file_menu = file_menu
        self.file_separator = file_menu.addSeparator()  # the Export submenu goes above it (_finish_ui)
        file_menu.addAction(self.quit_action)
        run_menu = bar.addMenu("&Run")
        run_menu.addAction(self.run_action)
        run_menu.addAction(self.cancel_action)
        view_menu = bar.addMenu("&View")
        view_menu.addAction(self.workload_dock.toggleViewAction())
        view_menu.addAction(self.monitor_dock.toggleViewAction())
        view_menu.addAction(self.history_dock.toggleViewAction())
        # Ctrl+H brings the History forward and into the filter box (a toggle would hide a dock behind a tab)
        self.show_history_action = self._action(
            "Show &history",
            self.show_history,
            "Ctrl+H",
            "Every run measured here or imported: open, overlay, rename, tag, delete (Ctrl+H)",
        )
        view_menu.addAction(self.show_history_action)
        view_menu.addSeparator()
        self.reset_layout_action = self._action("Reset layout", self.reset_layout, None, "Put every panel back")
        view_menu.addAction(self.reset_layout_action)
        help_menu = bar.addMenu("&Help")
        self.about_action = self._action("&About gpuwise", self.show_about)
        self.about_action.setMenuRole(QtGui.QAction.MenuRole.AboutRole)
        help_menu.addAction(self.about_action)

        self.toolbar = QtWidgets.QToolBar("Main toolbar", self)
        self.toolbar.setObjectName("main-toolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toolbar.addAction(self.open_action)
        self.toolbar.addAction(self.save_action)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        ready = "Ready. Choose a workload on the left and press Run (Ctrl+R)."
        if self.settings.problem:  # a settings file that could not be read: say so once, where it is seen
            ready = f"Settings not loaded: {self.settings.problem}."
        # Paths and report strings: elided in the middle when the bar is narrow, the whole text in the tooltip.
        self.status_label = ElidedLabel(ready)
        self.machine_label = plain_label(QtWidgets.QLabel())  # a report's machine: any text
        self.machine_label.setEnabled(False)
        self.progress = StatusProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("Idle")
        self.progress.setMinimumWidth(260)
        self.progress.setMaximumWidth(420)
        self.run_button = QtWidgets.QToolButton()
        self.run_button.setDefaultAction(self.run_action)
        self.run_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.cancel_button = QtWidgets.QToolButton()
        self.cancel_button.setDefaultAction(self.cancel_action)
        self.cancel_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        sb.addWidget(self.status_label, 1)
        sb.addPermanentWidget(self.machine_label)
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.run_button)
        sb.addPermanentWidget(self.cancel_button)

    def _connect(self) -> None:
        self.workload.runRequested.connect(self.start_run)
        self.workload.validityChanged.connect(lambda _v: self._update_run_state())
        self.workload.planChanged.connect(self._on_plan_changed)
        r = self.runner
        r.started.connect(self._on_started)
        r.progressed.connect(self._on_progress)
        r.pointMeasured.connect(self._on_point)
        r.microMeasured.connect(self._on_micro)
        r.finished.connect(self._on_finished)
        r.cancelled.connect(self._on_cancelled)
        r.failed.connect(self._on_failed)
        r.stopped.connect(self._on_stopped)
        self.history_view.openRequested.connect(self.open_run)
        self.history_view.overlayRequested.connect(self.overlay_run)
        # runs added meanwhile by `gpuwise bench` or `gpuwise import` show up when the History comes forward (not
        # before the first paint: start-up opens the history in _finish_ui)
        self.history_dock.visibilityChanged.connect(self._on_history_visible)

    def _restore_window(self) -> None:
        geometry = self.settings.get_bytes("window/geometry")
        restored = geometry is not None and self.restoreGeometry(geometry)
        if not restored:
            w, h = DEFAULT_SIZE
            screen = QtGui.QGuiApplication.primaryScreen()
            if screen is not None:
                avail = screen.availableGeometry()
                w, h = min(w, int(avail.width() * 0.95)), min(h, int(avail.height() * 0.95))
            self.resize(w, h)
        state = self.settings.get_bytes("window/state")
        if state is None or not self.restoreState(state):
            self._default_dock_sizes()

    def _restore_docks(self) -> None:
        state = self.settings.get_bytes("window/state")
        if state is None or not self.restoreState(state):
            self._default_dock_sizes()

    def _default_dock_sizes(self) -> None:
        self.resizeDocks([self.workload_dock], [360], Qt.Orientation.Horizontal)
        self.resizeDocks([self.monitor_dock], [250], Qt.Orientation.Vertical)

    def save_window_state(self) -> None:
        s = self.settings
        self.workload.save_settings()
        s.set("window/geometry", self.saveGeometry())
        s.set("window/state", self.saveState())
        if self._ready:
            s.set("window/splitter", self.splitter.saveState())
            s.set("window/chart", self.charts.current_chart_name())
        s.sync()

    def reset_layout(self) -> None:
        for dock, area in (
            (self.workload_dock, Qt.DockWidgetArea.LeftDockWidgetArea),
            (self.monitor_dock, Qt.DockWidgetArea.BottomDockWidgetArea),
        ):
            dock.setFloating(False)
            self.addDockWidget(area, dock)
            dock.show()
        self._default_dock_sizes()

    # -- start-up work after the window shows --------------------------------------------------------------

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            # Keyboard users start where a run starts: the model size (arrow keys step it, Ctrl+R runs).
            self.workload.model_slider.setFocus(Qt.FocusReason.ActiveWindowFocusReason)
            if self._ready:
                self._start_background_work()
            else:
                # Let the shell paint first; then import pyqtgraph and build the charts and the monitor.
                QtCore.QTimer.singleShot(30, self._finish_ui)

    def _start_background_work(self) -> None:
        self.monitor.start()
        # Let the first frame paint, then import torch and look for GPUs in the background.
        QtCore.QTimer.singleShot(150, self._start_discovery)

    def _start_discovery(self) -> None:
        if self._discovery is not None or self._inventory is not None or self._close_pending or not self.isVisible():
            return  # (a window closed before this timer fired must not start a thread nobody waits for)
        discover = self._discover
        if discover is None:
            from gpuwise.core.devices import discover_devices

            discover = discover_devices
        call = FunctionWorker(discover, name="gpuwise-discovery")
        call.returned.connect(self._on_inventory)
        call.errored.connect(self._on_discovery_failed)
        call.finished.connect(self._on_discovery_stopped)
        self._discovery = call
        call.start()

    def _on_inventory(self, inventory: DeviceInventory) -> None:
        self._inventory = inventory
        self.workload.set_inventory(inventory)
        if self._report is None:
            self.machine_label.setText(f"This machine: {machine_summary(self._this_machine())}")

    def _on_discovery_failed(self, error: BaseException) -> None:
        self.workload.set_discovery_failed(readable_error(error))

    def _on_discovery_stopped(self) -> None:
        self._discovery = None
        if self._freeze_gc:
            # Start-up is over (Qt, pyqtgraph and torch are loaded: ~220k objects). A full garbage collection
            # walks all of them, ~90 ms with the GIL held, and the sweep calls gc.collect() twice a point: the
            # window froze for that long each time. Frozen start-up objects are skipped by every collection.
            gc.freeze()
        if self._close_pending:
            self.close()

    def inventory(self) -> DeviceInventory | None:
        return self._inventory

    def is_busy(self) -> bool:
        """A run, a report load or the background device discovery is in flight (closing waits for them)."""
        return self.runner.is_running() or self._discovery is not None or self._loading is not None

    # -- running -------------------------------------------------------------------------------------------

    def is_running(self) -> bool:
        return self.runner.is_running()

    def start_run(self, plan: SweepPlan | None = None) -> bool:
        """Start measuring ``plan`` (default: the workload panel's). False when a run is already going."""
        if self.runner.is_running() or self._close_pending or not self._ready or self._loading is not None:
            return False
        if plan is None:
            self.workload.refresh_estimates()
            if not self.workload.is_valid():
                self.show_message("Cannot run yet", self.workload.error(), warning=True)
                return False
            try:
                plan = self.workload.plan()
            except UserInputError as e:
                self.show_message("Cannot run yet", str(e), warning=True)
                return False
        self._run_plan = plan
        self._run_points, self._run_micro = [], []
        self._run_started = time.monotonic()
        self._before_run = (self._report, self._report_path, self._shown_run)
        self._run_id = self._record(
            lambda h: h.begin_run(
                self._this_machine(), plan.to_dict(), source="app", gpuwise_version=gpuwise.__version__
            )
        )
        self._report, self._report_path, self._shown_run = None, None, None
        self._overlay_tags = []
        self.charts.clear()
        self.charts.set_machine(self._this_machine())
        self.charts.set_measuring(True)
        self._set_title(None)
        self.progress.setValue(0)
        self.progress.setFormat("Starting…")
        self.status_label.setText("Starting the run…")
        self.runner.start(plan)
        self._update_run_state()
        return True

    def cancel_run(self) -> None:
        if self.runner.is_running():
            self.runner.cancel()
            self.progress.setFormat("Cancelling… (completed points are kept)")
            self.status_label.setText("Cancelling: stopping after the current step…")
            self.cancel_action.setEnabled(False)

    def _this_machine(self) -> dict[str, Any]:
        inv = self._inventory
        cpu = inv.cpu if inv is not None else cpu_info()
        return {"cpu": cpu.to_dict(), "gpus": [g.to_dict() for g in inv.gpus] if inv is not None else []}

    def _update_run_state(self) -> None:
        running = self.runner.is_running()
        loading = self._loading is not None
        self.run_action.setEnabled(
            self._ready and not running and not loading and self.workload.is_valid() and not self._close_pending
        )
        self.cancel_action.setEnabled(running and not self.runner.cancel_requested)
        self.workload.set_running(running)
        self.open_action.setEnabled(not running and not loading)
        self.compare_action.setEnabled(not running and not loading)
        self.runStateChanged.emit(running)

    def _on_started(self) -> None:
        self.status_label.setText("Running: the first point loads torch and builds the model…")

    def _on_progress(self, p: Progress) -> None:
        self.progress.setValue(int(1000 * max(0.0, min(1.0, p.fraction))))
        phase = PHASE_WORDS.get(p.phase, p.phase)
        where = f"point {p.point_index + 1}/{p.point_count}" if p.point_index >= 0 else "micro-benchmarks"
        eta = f" · ~{format_duration(p.eta_s)} left" if p.eta_s > 0 else ""
        if not self.runner.cancel_requested:
            self.progress.setFormat(f"{phase} · {where}{eta}")
            self.status_label.setText(f"{phase}: {p.label}")
        self.monitor.begin_phase(p.phase)

    def _on_point(self, point: Point) -> None:
        self._run_points.append(point)
        run_id = self._run_id
        if run_id is not None:  # committed now: a crash or a kill after this keeps the point
            self._record(lambda h: h.add_point(run_id, point))
        self.charts.add_point(point)
        if point.status != "ok":
            self.status_label.setText(f"{point.device}: {point.status} — {point.message}")
        if not self._verdict_timer.isActive():
            self._verdict_timer.start()

    def _on_micro(self, result: MicroResult) -> None:
        self._run_micro.append(result)
        run_id = self._run_id
        if run_id is not None:
            self._record(lambda h: h.add_micro(run_id, result))
        self.charts.add_micro(result)

    def _partial_report(self, cancelled: bool = False) -> Report:
        settings = self._run_plan.to_dict() if isinstance(self._run_plan, SweepPlan) else {}
        return Report(
            machine=self._this_machine(),
            points=list(self._run_points),
            micro=list(self._run_micro),
            created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            settings=settings,
            cancelled=cancelled,
            gpuwise_version=gpuwise.__version__,
        )

    def _on_finished(self, report: Report) -> None:
        self._show_run_report(report, "Finished")

    def _on_cancelled(self, report: Report) -> None:
        self._show_run_report(report, "Cancelled")

    def _show_run_report(self, report: Report, how: str) -> None:
        self._verdict_timer.stop()
        self.monitor.end_phases()
        complete = how == "Finished"
        run_id = self._end_run(report, "complete" if complete else "cancelled")
        elapsed = format_duration(time.monotonic() - self._run_started)
        points = count_of(len(report.points), "point")
        # A cancelled run never replaces what was on screen: its points are a run of their own in the history.
        restored = not complete and self._restore_before_run()
        if not restored:
            self._report, self._shown_run = report, run_id
            self.charts.set_report(report)
            self._update_verdict(report)
        saved = self._autosave(report) if complete else None
        where = f" Saved to {saved}." if saved else ""
        if complete:
            kept = f" Run {run_id} in the history." if run_id is not None else ""
            self.status_label.setText(f"{how}: {points} in {elapsed}.{kept}{where}")
        else:
            kept = f"; kept as run {run_id} in the history" if run_id is not None else ""
            still = " Still showing the previous results; open the run from History to see it." if restored else ""
            self.status_label.setText(f"{how}: {points} in {elapsed} (completed points kept{kept}).{still}")
        self.progress.setValue(1000 if complete else self.progress.value())
        self.progress.setFormat(f"{how} · {points}")
        self.reportShown.emit(self._report)

    def _on_failed(self, error: BaseException) -> None:
        message = readable_error(error)
        self._verdict_timer.stop()
        self.monitor.end_phases()
        kept = ""
        report = self._partial_report()
        run_id = self._end_run(report, "failed")
        if self._run_points:
            if not self._restore_before_run():
                self._report, self._shown_run = report, run_id
                self._update_verdict(report)
            where = f" (run {run_id} in the history)" if run_id is not None else ""
            verb = "is" if len(self._run_points) == 1 else "are"
            measured = count_of(len(self._run_points), "point")
            kept = f"\n\nThe {measured} measured before the failure {verb} kept{where}."
        else:
            self._restore_before_run()
        self.progress.setFormat("Failed")
        self.status_label.setText(f"The run failed: {message}")
        self.show_message("The run failed", message + kept, warning=True)

    def _on_stopped(self) -> None:
        self.charts.set_measuring(False)
        self._update_run_state()
        if self._close_pending:
            self.close()

    def _autosave(self, report: Report) -> Path | None:
        """Keep the last run's results even if the user never saves: nothing measured is lost."""
        try:
            folder = self._data_dir if self._data_dir is not None else default_data_dir()
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / AUTOSAVE_NAME
            save_report(report, path)
            return path
        except (OSError, UserInputError) as e:
            _log.warning("autosave failed: %s", e)
            return None

    # -- the run history -----------------------------------------------------------------------------------

    def history_store(self) -> History | None:
        """The run history (opened on first use); None, with the reason in the status bar, when it cannot be."""
        if self._history is None and not self._history_error:
            path = self._data_dir / DB_NAME if self._data_dir is not None else None
            try:
                self._history = History(path)
            except HistoryError as e:
                self._history_error = str(e)
                _log.warning("run history unavailable: %s", e)
                self.status_label.setText(f"Runs are not kept in the history: {e}")
        return self._history

    def _record(self, write: Callable[[History], Any]) -> Any:
        """Write to the history; a failure (full disk, locked file) is said once and never stops a run."""
        h = self.history_store()
        if h is None:
            return None
        try:
            return write(h)
        except (sqlite3.Error, OSError, HistoryError) as e:
            _log.warning("run history write failed: %s", e)
            self.status_label.setText(f"Could not write to the run history: {e}")
            return None

    def _end_run(self, report: Report, status: Literal["complete", "cancelled", "failed"]) -> int | None:
        run_id, self._run_id = self._run_id, None
        if run_id is None:
            return None
        # a partial run gets no verdict in the list: one point is not a basis for one
        headline = _headline(report) if status == "complete" else ""
        self._record(
            lambda h: h.finish_run(
                run_id, status, headline=headline, machine=report.machine, settings=report.settings or None
            )
        )
        self.history_view.refresh()
        return run_id

    def _restore_before_run(self) -> bool:
        """Show again what was on screen before the run (False when the screen was empty)."""
        report, path, run_id = self._before_run
        self._before_run = (None, None, None)
        if report is None:
            return False
        self._report, self._report_path, self._shown_run = report, path, run_id
        self.charts.clear()
        self.charts.set_report(report)
        self._update_verdict(report)
        return True

    def _show_last_complete_run(self) -> None:
        h = self.history_store()
        last = h.last_complete() if h is not None else None
        if last is not None and self._report is None and self.open_run(last.id):
            when = last.created[:16].replace("T", " ")
            self.status_label.setText(
                f"Showing the last complete run (run {last.id}, {when} UTC). Run (Ctrl+R) "
                "measures again; History (Ctrl+H) has every run."
            )

    def _on_history_visible(self, visible: bool) -> None:
        if visible and self._ready:
            self.history_view.refresh()

    def show_history(self) -> None:
        self.history_dock.show()
        self.history_dock.raise_()
        self.history_view.filter_edit.setFocus()

    def open_run(self, run_id: int) -> bool:
        """Show a run of the history on the charts and in the verdict (a partial one too, when asked for)."""
        if self.runner.is_running() or not self._ready:
            return False
        h = self.history_store()
        if h is None:
            self.show_message("No run history", self._history_error, warning=True)
            return False
        try:
            report, summary = h.load(run_id), h.get(run_id)
        except UserInputError as e:
            self.show_message("Cannot open the run", str(e), warning=True)
            return False
        self._report, self._report_path, self._shown_run = report, None, run_id
        self._overlay_tags = []
        self.charts.clear()
        self.charts.set_report(report)
        self._update_verdict(report)
        self.setWindowTitle(f"gpuwise — {summary.title} ({machine_summary(report.machine)})")
        self.machine_label.setText(f"Run {run_id}: {machine_summary(report.machine)}")
        partial = f" ({summary.status}: only the points measured before it stopped)" if summary.partial else ""
        self.status_label.setText(f"Opened run {run_id}{partial}: {count_of(len(report.points), 'point')}.")
        self.history_view.select_run(run_id)
        self.reportShown.emit(report)
        return True

    def overlay_run(self, run_id: int) -> bool:
        """Add a run's curves to the charts, each named by its device and machine ("NVIDIA H200 · 16-core …")."""
        if self.runner.is_running() or not self._ready:
            return False
        if self._report is None:
            return self.open_run(run_id)
        if run_id == self._shown_run:
            self.status_label.setText(f"Run {run_id} is the run shown.")
            return False
        h = self.history_store()
        if h is None:
            return False
        try:
            other = h.load(run_id)
        except UserInputError as e:
            self.show_message("Cannot overlay the run", str(e), warning=True)
            return False
        if not self._overlay_tags:
            # the run shown gets its machine's name too, so every legend entry says whose curve it is
            mine = machine_short(self._report.machine)
            self._overlay_tags.append(mine)
            self.charts.set_report(_tagged(self._report, mine))
        tag = machine_short(other.machine)
        if tag in self._overlay_tags:
            tag += f" #{run_id}"
        if tag in self._overlay_tags:
            return False  # already on the charts
        self._overlay_tags.append(tag)
        tagged = _tagged(other, tag)
        for point in tagged.points:
            self.charts.add_point(point)
        for m in tagged.micro:
            self.charts.add_micro(m)
        self.status_label.setText(
            f"Overlaying run {run_id} ({machine_summary(other.machine)}): its curves end in “· {tag}”."
        )
        return True

    def autosave_path(self) -> Path:
        return (self._data_dir if self._data_dir is not None else default_data_dir()) / AUTOSAVE_NAME

    # -- verdict -------------------------------------------------------------------------------------------

    def _on_plan_changed(self, _plan: Any) -> None:
        if not self._ready or self.verdict is None:
            return
        w = self.workload
        self.verdict.set_workload(w.family(), w.params(), w.samples(), w.epochs(), w.batch_size(), w.precision())
        self.charts.set_job_epochs(w.epochs())  # the speedup chart prices the same job as the verdict

    def _update_verdict(self, report: Report) -> None:
        if self.verdict is not None:
            from gpuwise.core.scaling import single_process_report

            # N-process points are one job on N processes, not another CPU: the scaling chart shows them
            self.verdict.set_report(single_process_report(report))

    def _connect_verdict(self, card: VerdictCard) -> None:
        card.pricesChanged.connect(self._on_prices)
        card.estimatesChanged.connect(self._on_estimates)
        card.verdictChanged.connect(self._on_verdict)
        prices = card.prices()  # the card remembers the user's prices itself (core.prices)
        self._on_prices(prices.cpu_per_hour, prices.gpu_per_hour)

    def _on_prices(self, cpu_per_h: float, gpu_per_h: float) -> None:
        # until a verdict prices each GPU (then _on_verdict), every GPU at the price in the box
        if cpu_per_h > 0 and gpu_per_h > 0 and (self.verdict is None or self.verdict.verdict() is None):
            billing = self.verdict.prices().billing if self.verdict is not None else "per_second"
            self.charts.set_pricing(PriceBook(cpu_per_h, gpu_per_h, billing))  # type: ignore[arg-type]

    def _on_verdict(self, verdict: Verdict | None) -> None:
        """The speedup chart draws each GPU's break-even line at the price the verdict gave it."""
        if verdict is not None:
            self.charts.set_pricing(verdict.price_book())

    def _on_estimates(self, points: list[Point]) -> None:
        self.charts.set_estimates([p for p in points if isinstance(p, Point)])

    # -- report files --------------------------------------------------------------------------------------

    def _ask_path(self, title: str, save: bool) -> Path | None:
        start = self.settings.get_str("files/last_dir", str(Path.home()))
        if save:
            name = str(Path(start) / "gpuwise-report.json")
            path, _ = QtWidgets.QFileDialog.getSaveFileName(self, title, name, REPORT_FILTER)
        else:
            path, _ = QtWidgets.QFileDialog.getOpenFileName(self, title, start, REPORT_FILTER)
        if not path:
            return None
        self.settings.set("files/last_dir", str(Path(path).parent))
        return Path(path)

    def is_loading(self) -> bool:
        return self._loading is not None

    def _load(self, path: Path, then: Callable[[Path, Report], None]) -> None:
        """Load ``path`` in the background (progress in the status bar), then ``then(path, report)``; a file that
        cannot be read is explained in a dialog and what is shown stays as it was."""
        load = ReportLoad(path, self)
        load.progressed.connect(self._on_load_progress)
        load.loaded.connect(lambda report: then(path, report))
        load.failed.connect(lambda error: self._on_load_failed(path, error))
        load.stopped.connect(self._on_load_stopped)
        self._loading = load
        self.status_label.setText(f"Opening {path.name}…")
        self.progress.setValue(0)
        self.progress.setFormat("Opening… %p%")
        self._update_run_state()
        load.start()

    def _on_load_progress(self, fraction: float, phase: str) -> None:
        if self._loading is not None:
            self.progress.setValue(round(fraction * 1000))
            self.progress.setFormat(f"{phase} {self._loading.path.name}… %p%")

    def _on_load_failed(self, path: Path, error: BaseException) -> None:
        self.status_label.setText(f"Could not open {path.name}.")
        self.show_message("Cannot open the report", readable_error(error), warning=True)

    def _on_load_stopped(self) -> None:
        self._loading = None
        self.progress.setValue(0)
        self.progress.setFormat("Idle")
        self._update_run_state()
        self.reportLoadStopped.emit()
        if self._close_pending:
            self.close()

    def open_report(self, path: str | Path | None = None) -> bool:
        """Start showing a saved report; True when it is being loaded (``reportShown`` follows, or a dialog that
        says why it cannot be read: what is shown then stays untouched)."""
        if self.runner.is_running() or self._loading is not None or self._close_pending:
            return False
        p = Path(path) if path is not None else self._ask_path("Open gpuwise report", save=False)
        if p is None:
            return False
        if not self._ready:
            self._pending_open = p  # opened as soon as the charts exist
            return True
        self._load(p, self._show_opened)
        return True

    def _show_opened(self, p: Path, report: Report) -> None:
        self._report, self._report_path, self._shown_run = report, p, None
        self._overlay_tags = []
        self.charts.clear()
        self.charts.set_report(report)
        self._update_verdict(report)
        self._set_title(p, report)
        n = len(report.points)
        when = report.created[:16].replace("T", " ")  # ISO 8601: "2026-01-31 14:05"
        self.status_label.setText(f"Opened {p.name}: {n} point{'s' if n != 1 else ''}, measured {when}.")
        self.reportShown.emit(report)

    def save_report_as(self, path: str | Path | None = None) -> bool:
        report = self._report
        if report is None:
            self.show_message("Nothing to save", "Run a comparison or open a report first.")
            return False
        p = Path(path) if path is not None else self._ask_path("Save gpuwise report", save=True)
        if p is None:
            return False
        if p.suffix == "":
            p = p.with_suffix(".json")
        try:
            save_report(report, p)  # atomic: the old file stays whole if this fails
        except (OSError, UserInputError) as e:
            self.show_message("Cannot save the report", f"{p}: {e}", warning=True)
            return False
        self._report_path = p
        self._set_title(p, report)
        self.status_label.setText(f"Saved {count_of(len(report.points), 'point')} to {p}.")
        return True

    def export_report_html(self, path: str | Path | None = None) -> bool:
        """Write the report shown as a self-contained HTML file, with the charts and the verdict as shown."""
        report = self._report
        if report is None or not self._ready:
            self.show_message("Nothing to export", "Run a comparison or open a report first.")
            return False
        if path is None:
            start = Path(self.settings.get_str("files/last_dir", str(Path.home())))
            name = str(start / f"{(self._report_path.stem if self._report_path else 'gpuwise-report')}.html")
            chosen, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export report as HTML", name, HTML_FILTER)
            if not chosen:
                return False
            self.settings.set("files/last_dir", str(Path(chosen).parent))
            path = chosen
        p = Path(path)
        if p.suffix == "":
            p = p.with_suffix(".html")
        from gpuwise.ui.report_html import report_html  # draws every chart: only when asked

        QtWidgets.QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            verdict = self.verdict.verdict() if self.verdict is not None else None
            text = report_html(
                report, verdict=verdict, charts=self.charts, source=self._report_path.name if self._report_path else ""
            )
            atomic_write_text(p, text)
        except (OSError, UserInputError) as e:
            self.show_message("Cannot export the report", f"{p}: {getattr(e, 'strerror', None) or e}", warning=True)
            return False
        finally:
            QtWidgets.QApplication.restoreOverrideCursor()
        self.status_label.setText(f"Exported the report to {p}.")
        return True

    def compare_report(self, path: str | Path | None = None) -> bool:
        """Overlay another report's points, each device renamed after its machine so the curves stay apart.
        True when it is being loaded (``reportCompared`` follows, or a dialog)."""
        if self.runner.is_running() or not self._ready or self._loading is not None or self._close_pending:
            return False
        p = Path(path) if path is not None else self._ask_path("Compare with report", save=False)
        if p is None:
            return False
        self._load(p, self._show_compared)
        return True

    def _show_compared(self, p: Path, other: Report) -> None:
        tag = p.stem
        for point in other.points:
            self.charts.add_point(dataclasses.replace(point, device=f"{point.device} · {tag}"))
        for m in other.micro:
            self.charts.add_micro(dataclasses.replace(m, device=f"{m.device} · {tag}"))
        self.status_label.setText(f"Comparing with {p.name} ({machine_summary(other.machine)}).")
        self.reportCompared.emit(other)

    def current_report(self) -> Report | None:
        return self._report

    def _set_title(self, path: Path | None, report: Report | None = None) -> None:
        if path is None or report is None:
            self.setWindowTitle("gpuwise")
            return
        summary = machine_summary(report.machine)
        here = cpu_info().model
        cpu = report.machine.get("cpu")
        other = isinstance(cpu, dict) and cpu.get("model") not in (None, here)
        where = "another machine: " if other else ""
        self.setWindowTitle(f"gpuwise — {path.name} ({where}{summary})")
        self.machine_label.setText(f"Report from {where}{summary}")

    # -- dialogs -------------------------------------------------------------------------------------------

    def show_message(self, title: str, text: str, *, warning: bool = False) -> QtWidgets.QMessageBox:
        """A window-modal message that does not block the event loop (runs and the monitor go on)."""
        icon = QtWidgets.QMessageBox.Icon.Warning if warning else QtWidgets.QMessageBox.Icon.Information
        box = QtWidgets.QMessageBox(icon, title, text, QtWidgets.QMessageBox.StandardButton.Ok, self)
        plain_message_box(box)  # messages quote files and devices: never render them as HTML
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.last_message_box = box
        box.destroyed.connect(self._forget_box)
        box.open()
        return box

    def _forget_box(self, *_args: object) -> None:
        self.last_message_box = None

    def show_about(self) -> None:
        self.show_message(
            "About gpuwise",
            f"gpuwise {gpuwise.__version__}\n\nDo I need a GPU to train this model on this data, and is it worth "
            "the money? gpuwise measures training on your CPU and GPUs, estimates GPUs you do not have, and "
            f"compares the cost.\n\nThe last run is kept in {self.autosave_path()}.",
        )

    # -- layout reacting to the monitor's dock -------------------------------------------------------------

    def _on_monitor_area(self, area: Qt.DockWidgetArea) -> None:
        vertical = area in (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea)
        self.monitor.set_orientation(Qt.Orientation.Vertical if vertical else Qt.Orientation.Horizontal)

    # -- closing -------------------------------------------------------------------------------------------

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        if self.is_busy():
            # Never block the event loop or leave a thread running: cancel, keep the window, close once the
            # threads report that they have ended (the sweep honours a cancel within about a second).
            self._close_pending = True
            self.runner.cancel()
            if self._loading is not None:
                self._loading.cancel()
            self.status_label.setText("Closing: waiting for the run to stop…")
            self.progress.setFormat("Stopping…")
            self._update_run_state()
            event.ignore()
            return
        self.save_window_state()
        if self._ready:
            self.monitor.stop()
        if self._history is not None:
            self._record(lambda h: h.purge_deleted())  # Undo is offered until the window closes
        super().closeEvent(event)

    def shutdown(self, timeout_ms: int = 15_000) -> None:
        """Blocking last resort when the application quits without a close event (e.g. logout)."""
        self.runner.shutdown(timeout_ms)
        if self._loading is not None:
            self._loading.cancel()
            self._loading.wait(timeout_ms)
        if self._discovery is not None:
            self._discovery.wait(timeout_ms)
        if self._ready:
            self.monitor.stop()


def _tagged(report: Report, tag: str) -> Report:
    """``report`` with every device named for an overlay chart (see machine_text.tagged_device)."""
    m = report.machine
    return dataclasses.replace(
        report,
        points=[dataclasses.replace(p, device=tagged_device(p.device, p.device_name, m, tag)) for p in report.points],
        micro=[dataclasses.replace(x, device=tagged_device(x.device, "", m, tag)) for x in report.micro],
    )


def _headline(report: Report) -> str:
    """The verdict's sentence for the history's list; a run it cannot judge simply has none."""
    try:
        return verdict_headline(report)
    except (UserInputError, ValueError, KeyError) as e:
        _log.warning("no verdict for the history: %s", e)
        return ""
