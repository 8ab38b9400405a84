"""How long opening a large report holds the app's GUI thread.

Writes a report of N points (the shipped H200 example's points repeated, default 50,590: the 60 MB report of
issue 10), opens it in a shown MainWindow (offscreen) and measures, in one run:

* the whole open (from ``open_report`` to ``reportShown``),
* the event loop's lateness during it: a 10 ms timer records how late each tick fires; the largest gap is the
  longest the GUI thread was blocked (the target is < 100 ms while the file loads in the background), next to
  the same timer's gaps over 5 s with nothing loading (a busy shared machine delays ticks by itself),
* the GUI-thread time of showing the loaded report (charts and verdict), measured around that call.

Run: ``python benchmarks/open_large_report.py [--points N]``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gpuwise.core.devices import DeviceInventory, cpu_info
from gpuwise.core.resources import resource_path
from gpuwise.ui.qt import QtCore, QtWidgets


def write_report(path: Path, n: int) -> int:
    data = json.loads(resource_path("example-h200-xeon16-mlp.json").read_text(encoding="utf-8"))
    pts = data["points"]
    data["points"] = [pts[i % len(pts)] for i in range(n)]
    text = json.dumps(data, indent=2)
    path.write_text(text, encoding="utf-8")
    return len(text.encode())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--points", type=int, default=50_590)
    args = ap.parse_args()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    from gpuwise.ui.main_window import MainWindow
    from gpuwise.ui.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "large.json"
        size = write_report(report, args.points)
        w = MainWindow(
            Settings.at_path(str(Path(tmp) / "s.ini")),
            discover=lambda: DeviceInventory(cpu=cpu_info()),
            data_dir=Path(tmp),
        )
        w.show()
        deadline = time.monotonic() + 30
        while not (w.is_ready() and not w.is_busy()) and time.monotonic() < deadline:
            app.processEvents()

        ticks: list[float] = []
        timer = QtCore.QTimer()
        timer.setInterval(10)
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        show_cost: list[float] = []
        original = w._show_opened

        def timed_show(p: Path, r: Any) -> None:
            t = time.perf_counter()
            original(p, r)
            show_cost.append(time.perf_counter() - t)

        w._show_opened = timed_show  # type: ignore[method-assign]
        # baseline: the same timer with nothing loading (a busy shared machine delays ticks by itself)
        timer.start()
        t_idle = time.perf_counter() + 5.0
        while time.perf_counter() < t_idle:
            app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
        timer.stop()
        idle_gaps = [b - a for a, b in itertools.pairwise(ticks)]
        ticks.clear()
        done: list[float] = []
        phases: list[tuple[float, str]] = []
        w.progress.valueChanged.connect(
            lambda _v: (
                phases.append((time.perf_counter(), w.progress.format()))
                if not phases or phases[-1][1] != w.progress.format()
                else None
            )
        )
        w.reportLoadStopped.connect(lambda: done.append(time.perf_counter()))
        t0 = time.perf_counter()
        timer.start()
        w.open_report(report)
        while not done and time.perf_counter() - t0 < 300:
            app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
        # let the deferred chart redraws that follow run too
        t_end = time.perf_counter() + 1.0
        while time.perf_counter() < t_end:
            app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
        timer.stop()
        gaps = [b - a for a, b in itertools.pairwise(ticks)]
        print(f"report: {args.points} points, {size / 1e6:.1f} MB")
        print(
            f"event loop idle (5 s baseline): longest gap {max(idle_gaps) * 1e3:.0f} ms, "
            f"gaps over 100 ms: {sum(g > 0.1 for g in idle_gaps)}"
        )
        print(f"open to loaded: {done[0] - t0:.2f} s" if done else "open did not finish")
        print(
            f"GUI thread, showing the loaded report (charts + verdict): {show_cost[0] * 1e3:.0f} ms"
            if show_cost
            else "report not shown"
        )
        loaded_at = done[0] if done else math.inf
        # a gap belongs to what ran when it ended: the load (off the GUI thread) or showing its result
        during = [g for b, g in zip(ticks[1:], gaps, strict=True) if b < loaded_at]
        after = [g for b, g in zip(ticks[1:], gaps, strict=True) if b >= loaded_at]
        print(
            f"event loop while loading: {len(during)} ticks of 10 ms, longest gap {max(during) * 1e3:.0f} ms, "
            f"gaps over 100 ms: {sum(g > 0.1 for g in during)}"
        )
        if os.environ.get("GPUWISE_BENCH_DEBUG"):
            big = sorted(((g, a - t0) for a, g in zip(ticks, gaps, strict=False)), reverse=True)[:5]
            print("largest gaps (ms, at s):", [(round(g * 1e3), round(at, 2)) for g, at in big])
            print("phases:", [(ph, round(at - t0, 2)) for at, ph in phases])
        if after:
            print(
                f"event loop once loaded (charts and verdict build their views of the points): longest gap "
                f"{max(after) * 1e3:.0f} ms"
            )
        w.close()
        w.shutdown()


if __name__ == "__main__":
    main()
