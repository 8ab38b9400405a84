"""What the live monitor costs: process CPU time while it samples and redraws, against an idle baseline.

The same visible window runs twice for N seconds in one process, alternating A/B so drift hits both: once idle
(monitor stopped), once with the monitor sampling at the chosen rate (default 2 Hz) on its thread and redrawing.
CPU time is the process's (every thread: the sampler's, the GUI's). Target: at most 1 % of one core at 2 Hz.

Run: python benchmarks/monitor_cost.py [--seconds 10] [--rate 2] [--rounds 5] [--window 300]
The cost printed is the median over rounds of (monitor − the idle phase before it): a shared machine's noise
hits single rounds, and the range says how much.
(offscreen by default; set QT_QPA_PLATFORM=xcb with a display to measure real painting)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _run_for(app: object, seconds: float) -> tuple[float, float]:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    loop.exec()
    return time.process_time() - cpu0, time.perf_counter() - wall0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each measured phase")
    ap.add_argument("--rate", type=float, default=2.0, help="samples per second (0.5-4)")
    ap.add_argument("--rounds", type=int, default=5, help="idle/monitor pairs")
    ap.add_argument("--window", type=int, default=300, help="plot window in seconds")
    args = ap.parse_args(argv)

    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    from gpuwise.ui.monitor_panel import MonitorPanel

    panel = MonitorPanel(None, threaded=True)
    panel.resize(1280, 250)
    panel.show()
    panel.set_window(args.window)
    panel.set_rate(args.rate)
    # Fill the window first, so the plots draw a full history as they would after running a while.
    panel.start()
    _run_for(app, 3.0)
    panel.stop()

    costs: list[float] = []  # per round: monitor minus the idle phase just before it (drift hits both)
    idle_all: list[float] = []
    for _ in range(args.rounds):
        c, w = _run_for(app, args.seconds)
        idle = c / w
        before = panel.samples_seen()
        panel.start()
        c, w = _run_for(app, args.seconds)
        panel.stop()
        busy = c / w
        got = panel.samples_seen() - before
        costs.append(busy - idle)
        idle_all.append(idle)
        print(
            f"  round: {got} samples in {w:.1f} s ({got / w:.2f} Hz), idle {idle * 1e3:5.2f} ms/s, "
            f"monitor {busy * 1e3:5.2f} ms/s, cost {(busy - idle) * 100:.2f} % of a core"
        )
    cost = statistics.median(costs)
    print(f"idle window:      {statistics.median(idle_all) * 1e3:6.2f} ms CPU per second (median)")
    verdict = "OK" if cost <= 0.01 else "OVER"
    print(
        f"monitor cost:     {cost * 1e3:6.2f} ms CPU per second = {cost * 100:.2f} % of one core at "
        f"{args.rate:g} Hz, {args.window} s window (median of {len(costs)} rounds, range "
        f"{min(costs) * 100:.2f}–{max(costs) * 100:.2f} %; target <= 1 %: {verdict})"
    )
    panel.deleteLater()  # before the interpreter's exit tears things down in no fixed order
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    return 0


if __name__ == "__main__":
    sys.exit(main())
