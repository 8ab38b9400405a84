"""Does the window stay responsive while training? Event-loop lateness during a real CPU sweep.

The whole main window runs offscreen (charts, verdict card, live monitor sampling at 2 Hz) while a real sweep
trains on the worker thread with torch on every core. A 10 ms QTimer measures how late each of its ticks fires:
that lateness is how long a click or a repaint would wait. Target: p99 <= 50 ms.

Run: python benchmarks/ui_latency.py [--budget 20] [--family mlp] [--params 100k,1M,10M] [--samples 10k,100k]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TICK_MS = 10


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=20.0, help="the sweep's time budget in seconds")
    ap.add_argument("--family", default="mlp")
    ap.add_argument("--params", default="100k,1M,10M")
    ap.add_argument("--samples", default="10k,100k")
    ap.add_argument("--no-micro", action="store_true", help="skip the micro-benchmarks")
    args = ap.parse_args(argv)

    from PySide6.QtCore import QElapsedTimer, QEvent, QTimer
    from PySide6.QtWidgets import QApplication

    from gpuwise.core.bench.sweep import SweepPlan
    from gpuwise.core.units import parse_count_list
    from gpuwise.ui.main_window import MainWindow
    from gpuwise.ui.settings import Settings

    app = QApplication([sys.argv[0]])
    tmp = Path(tempfile.mkdtemp(prefix="gpuwise-latency-"))
    # As the app builds it (gpuwise.ui.app): start-up objects frozen out of the garbage collector.
    window = MainWindow(Settings.at_path(str(tmp / "settings.ini")), data_dir=tmp, freeze_gc=True)
    window.resize(1360, 860)
    window.show()
    plan = SweepPlan(
        family=args.family,
        params=parse_count_list(args.params),
        samples=parse_count_list(args.samples),
        devices=["cpu"],
        budget_s=args.budget,
        micro=not args.no_micro,
    )

    lateness: list[float] = []
    clock = QElapsedTimer()
    timer = QTimer()
    timer.setTimerType(timer.timerType().PreciseTimer)
    timer.setInterval(TICK_MS)
    last = [0.0]

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        if last[0]:
            lateness.append(max(0.0, now - last[0] - TICK_MS))
        last[0] = now

    timer.timeout.connect(tick)
    points: list[object] = []
    failures: list[BaseException] = []
    window.runner.pointMeasured.connect(points.append)
    window.runner.failed.connect(failures.append)

    def start() -> None:
        clock.start()
        timer.start()
        window.start_run(plan)

    # After the window, the monitor and the device discovery (torch import) are done, as for a user's first click.
    window.runner.stopped.connect(app.quit)

    def when_ready() -> None:
        if window.inventory() is None or window.is_busy():
            QTimer.singleShot(100, when_ready)
        else:
            start()

    QTimer.singleShot(100, when_ready)
    t0 = time.perf_counter()
    app.exec()
    wall = time.perf_counter() - t0
    timer.stop()
    window.close()
    app.processEvents()
    window.shutdown()
    window.deleteLater()  # before the interpreter's exit tears things down in no fixed order
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)

    if failures:
        print(f"the sweep failed: {failures[0]!r}")
        return 1
    n = len(lateness)
    print(
        f"sweep: {len(points)} points, {wall:.1f} s, torch on {os.cpu_count()} logical CPUs; {n} ticks of {TICK_MS} ms"
    )
    p50, p99, worst = percentile(lateness, 50), percentile(lateness, 99), max(lateness)
    print(
        f"event-loop lateness: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {worst:.1f} ms, mean "
        f"{statistics.fmean(lateness):.1f} ms (target p99 <= 50 ms: {'OK' if p99 <= 50 else 'OVER'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
