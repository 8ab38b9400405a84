"""History in the app: runs recorded point by point, cancels that never replace what was shown, the History view
(filter, open, overlay, rename, tag, delete/undo), machines overlaid with legends naming machine and device."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from gpuwise.core.bench.events import MicroMeasured, Progress, SweepFinished
from gpuwise.core.history import DB_NAME, History
from gpuwise.core.report import MicroResult, load_report
from gpuwise.ui.app import close_on_signals
from gpuwise.ui.history_view import NAME_COLUMN, TAGS_COLUMN, HistoryView
from gpuwise.ui.main_window import MainWindow
from gpuwise.ui.settings import Settings
from tests.ui.conftest import FakeSampler, fake_inventory, fake_sweep, make_point, make_report

H200 = Path(__file__).resolve().parents[2] / "resources" / "example-h200-xeon16-mlp.json"
WindowFactory = Callable[..., MainWindow]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def make_window(qtbot: Any, settings: Settings, data_dir: Path) -> WindowFactory:
    def make(**kw: Any) -> MainWindow:
        kw.setdefault("sampler", FakeSampler())
        kw.setdefault("monitor_threaded", False)
        kw.setdefault("discover", fake_inventory)
        kw.setdefault("data_dir", data_dir)
        w = MainWindow(kw.pop("settings", settings), **kw)
        qtbot.addWidget(w)
        w.show()
        qtbot.waitUntil(lambda: w.is_ready() and w.inventory() is not None and not w.is_busy(), timeout=15_000)
        return w

    return make


def history(data_dir: Path) -> History:
    return History(data_dir / DB_NAME)


def run_to_end(qtbot: Any, w: MainWindow, signal_name: str = "stopped") -> None:
    with qtbot.waitSignal(getattr(w.runner, signal_name), timeout=10_000):
        assert w.start_run()
    qtbot.waitUntil(lambda: not w.is_running(), timeout=15_000)


def micro_only_sweep(plan: Any, cancel: Any) -> Any:
    """Cancelled during the micro-benchmarks: no point measured."""
    yield MicroMeasured(MicroResult("cpu", "matmul", "fp32", 256, 50.0, "GFLOP/s", 0.3))
    while not cancel.cancelled:
        yield Progress("micro", -1, 2, "micro-benchmarks (1/4)", 1, 4, 0.1, 5.0)
        import threading

        threading.Event().wait(0.01)
    yield SweepFinished(make_report([], cancelled=True), True)


# -- runs are recorded, never replaced ----------------------------------------------------------------------


def test_every_point_is_in_the_history_as_it_arrives(qtbot: Any, make_window: WindowFactory, data_dir: Path) -> None:
    w = make_window(run_sweep=fake_sweep(points=2, block_until_cancel=True))
    w.start_run()
    qtbot.waitUntil(lambda: len(w.charts.inputs().points) == 2, timeout=15_000)
    with history(data_dir) as h:  # another connection, while the run still goes on
        (run,) = h.runs()
        assert run.status == "running" and run.points == 2 and run.source == "app"
    with qtbot.waitSignal(w.runner.stopped, timeout=15_000):
        w.cancel_run()
    with history(data_dir) as h:
        assert h.get(run.id).status == "cancelled"


def test_a_complete_run_gets_its_verdict_in_the_list(qtbot: Any, make_window: WindowFactory, data_dir: Path) -> None:
    w = make_window(run_sweep=fake_sweep(points=2))
    run_to_end(qtbot, w)
    with history(data_dir) as h:
        (run,) = h.runs()
        assert run.status == "complete" and run.points == 2 and run.headline
        assert h.load(run.id).points == w.current_report().points  # type: ignore[union-attr]
    assert [r.id for r in w.history_view.runs_shown()] == [run.id]
    assert f"Run {run.id} in the history" in w.status_label.text()


@pytest.mark.parametrize("sweep", ["one point", "micro-benchmarks"])
def test_a_cancel_never_replaces_the_last_complete_run(
    qtbot: Any, make_window: WindowFactory, data_dir: Path, sweep: str
) -> None:
    w = make_window(run_sweep=fake_sweep(points=3))
    run_to_end(qtbot, w)
    first = w.current_report()
    assert first is not None and len(w.charts.inputs().points) == 3
    assert w.verdict is not None
    qtbot.waitUntil(lambda: w.verdict.verdict_text() != "", timeout=15_000)  # type: ignore[union-attr]
    verdict_before = w.verdict.verdict_text()
    autosaved = w.autosave_path().read_bytes()

    w.runner.set_run_sweep(fake_sweep(points=1, block_until_cancel=True) if sweep == "one point" else micro_only_sweep)
    w.start_run()
    if sweep == "one point":
        qtbot.waitUntil(lambda: len(w.charts.inputs().points) == 1, timeout=15_000)
    else:
        qtbot.waitUntil(lambda: bool(w.charts.inputs().micro), timeout=15_000)
    with qtbot.waitSignal(w.runner.stopped, timeout=15_000):
        w.cancel_run()

    assert w.current_report() is first
    assert len(w.charts.inputs().points) == 3  # the screen is not emptier than before
    # nor the verdict different (the card recomputes on the next turns of the event loop)
    qtbot.waitUntil(lambda: w.verdict.verdict_text() == verdict_before, timeout=15_000)  # type: ignore[union-attr]
    assert w.autosave_path().read_bytes() == autosaved  # the last complete run's autosave is untouched
    assert "Still showing the previous results" in w.status_label.text()
    with history(data_dir) as h:
        cancelled, complete = h.runs()
        assert (cancelled.status, complete.status) == ("cancelled", "complete")
        assert cancelled.points == (1 if sweep == "one point" else 0)
        assert cancelled.headline == ""  # no verdict from a partial run
    assert w.open_run(cancelled.id)  # the partial run shows when asked for
    assert len(w.charts.inputs().points) == cancelled.points
    assert "cancelled" in w.status_label.text()


def test_a_failed_run_is_kept_and_the_screen_goes_back(qtbot: Any, make_window: WindowFactory, data_dir: Path) -> None:
    w = make_window(run_sweep=fake_sweep(points=2))
    run_to_end(qtbot, w)
    first = w.current_report()
    w.runner.set_run_sweep(fake_sweep(points=1, fail_with=RuntimeError("lost the device")))
    run_to_end(qtbot, w)
    w.last_message_box.done(0)  # type: ignore[union-attr]
    assert w.current_report() is first
    with history(data_dir) as h:
        assert [r.status for r in h.runs()] == ["failed", "complete"]


def test_the_app_opens_on_the_last_complete_run(make_window: WindowFactory, data_dir: Path) -> None:
    with history(data_dir) as h:
        done = h.import_report(make_report([make_point(), make_point(params=2000)]))
        h.import_report(make_report([make_point(params=5000)], cancelled=True))
    w = make_window()
    assert len(w.charts.inputs().points) == 2
    assert f"run {done}" in w.status_label.text() and "Ctrl+H" in w.status_label.text()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_close_the_app_with_the_points_kept(
    qtbot: Any, make_window: WindowFactory, data_dir: Path, sig: str
) -> None:
    w = make_window(run_sweep=fake_sweep(points=2, block_until_cancel=True))
    w.start_run()
    qtbot.waitUntil(lambda: len(w.charts.inputs().points) == 2, timeout=15_000)
    restore = close_on_signals(w)
    try:
        os.kill(os.getpid(), getattr(signal, sig))  # handled between Qt events, like in the app
        qtbot.waitUntil(lambda: not w.isVisible(), timeout=10_000)
    finally:
        restore()
    assert not w.is_running()
    with history(data_dir) as h:
        (run,) = h.runs()
        assert run.status == "cancelled" and run.points == 2


# -- the History view -----------------------------------------------------------------------------------------


@pytest.fixture
def store(data_dir: Path) -> Any:
    h = history(data_dir)
    yield h
    h.close()


def test_the_view_lists_filters_and_counts(qtbot: Any, store: History) -> None:
    a = store.import_report(make_report([make_point()], cpu_model="Apple M3 Max"))
    b = store.import_report(load_report(H200))
    view = HistoryView(lambda: store)
    qtbot.addWidget(view)
    view.refresh()
    assert {r.id for r in view.runs_shown()} == {a, b}
    assert view.count_label.text() == "2 runs"
    qtbot.keyClicks(view.filter_edit, "h200")
    assert [r.id for r in view.runs_shown()] == [b]
    assert view.count_label.text() == "1 of 2 runs"
    view.set_filter("")
    assert len(view.runs_shown()) == 2


def test_rename_tag_delete_and_undo_in_the_view(qtbot: Any, store: History) -> None:
    run = store.import_report(make_report([make_point()]))
    view = HistoryView(lambda: store)
    qtbot.addWidget(view)
    view.refresh()
    assert view.select_run(run)
    row = view.model.row_of(run)
    assert row is not None
    assert view.model.setData(view.model.index(row, NAME_COLUMN), "laptop baseline")
    assert view.model.setData(view.model.index(view.model.row_of(run) or 0, TAGS_COLUMN), "cpu, Quiet")
    assert store.get(run).name == "laptop baseline" and store.get(run).tags == ("cpu", "quiet")
    assert view.selected_run_ids() == [run]  # the edit kept the selection

    view.delete_button.click()
    assert view.runs_shown() == [] and store.runs() == []
    assert view.undo_button.isVisible() or not view.isVisible()
    assert "Deleted run" in view.message.text()
    view.undo_button.click()
    assert [r.id for r in view.runs_shown()] == [run] and store.get(run).name == "laptop baseline"


def test_strings_from_reports_are_plain_text(qtbot: Any, store: History) -> None:
    store.import_report(make_report([make_point()], cpu_model="<h1>Big</h1>\x1b[2J"))
    view = HistoryView(lambda: store)
    qtbot.addWidget(view)
    view.refresh()
    idx = view.model.index(0, 4)
    shown = view.model.data(idx, Qt.ItemDataRole.DisplayRole)
    assert "<h1>Big</h1>" in shown and "\x1b" not in shown  # item views draw plain text; controls as "?"
    tip = view.model.data(idx, Qt.ItemDataRole.ToolTipRole)
    assert "<h1>" not in tip and "&lt;h1&gt;" in tip


def test_ctrl_h_brings_the_history_forward(qtbot: Any, make_window: WindowFactory) -> None:
    w = make_window()
    w.monitor_dock.raise_()
    qtbot.waitUntil(lambda: w.history_view.visibleRegion().isEmpty(), timeout=15_000)  # behind the monitor's tab
    qtbot.keyClick(w, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not w.history_view.visibleRegion().isEmpty(), timeout=15_000)
    assert w.history_dock.isVisible()


def test_runs_added_elsewhere_appear_when_the_history_comes_forward(
    qtbot: Any, make_window: WindowFactory, data_dir: Path
) -> None:
    w = make_window()
    w.monitor_dock.raise_()
    qtbot.waitUntil(lambda: w.history_view.visibleRegion().isEmpty(), timeout=15_000)
    with history(data_dir) as h:  # `gpuwise import` in a terminal while the app is open
        run = h.import_report(make_report([make_point()]))
    w.show_history()
    qtbot.waitUntil(lambda: [r.id for r in w.history_view.runs_shown()] == [run], timeout=15_000)


def test_open_and_overlay_from_the_view(qtbot: Any, make_window: WindowFactory, data_dir: Path) -> None:
    with history(data_dir) as h:
        laptop = h.import_report(
            make_report([make_point(params=100_000), make_point(params=1_000_000)], cpu_model="AMD Ryzen 7 7840U")
        )
        cloud = h.import_report(load_report(H200))
    w = make_window()
    view = w.history_view
    assert view.select_run(laptop)
    with qtbot.waitSignal(w.reportShown, timeout=15_000):
        view.open_button.click()
    assert "Run" in w.machine_label.text() and "Ryzen" in w.machine_label.text()
    assert view.select_run(cloud)
    view.overlay_button.click()
    devices = {p.device for p in w.charts.inputs().points}
    assert "cpu · 4-core AMD Ryzen 7" in devices
    assert "NVIDIA H200 · 16-core Intel Xeon" in devices and "cpu · 16-core Intel Xeon" in devices
    assert not any(d.startswith("cuda:") for d in devices)  # named by the device, not its id
    names = [s.name for s in w.charts.model("epoch-time").series]
    assert any("NVIDIA H200 · 16-core Intel Xeon" in n for n in names)
    speedups = [s.name for s in w.charts.model("speedup").series]
    assert any("NVIDIA H200" in n for n in speedups)  # the H200 paired with its own machine's CPU
    assert w.verdict is not None and w.current_report() is not None
    assert "Overlaying run" in w.status_label.text()
