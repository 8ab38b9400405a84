"""What the live monitor costs: process CPU time while it samples and redraws, against an idle baseline.

The same visible window runs twice for N seconds in one process, alternating A/B so drift hits both: once idle
(monitor stopped), once with the monitor sampling at the chosen rate (default 2 Hz) on its thread and redrawing.
CPU time is the process's (every thread: the sampler's, the GUI's). Target: at most 1 % of one core at 2 Hz.

Run: python benchmarks/monitor_cost.py [--seconds 20] [--rate 2] [--rounds 2] [--window 300]
(offscreen by default; set QT_QPA_PLATFORM=xcb with a display to measure real painting)
"""

from __future__ import annotations

import argparse
import os
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
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each measured phase")
    ap.add_argument("--rate", type=float, default=2.0, help="samples per second (0.5-4)")
    ap.add_argument("--rounds", type=int, default=2, help="idle/monitor pairs")
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

    idle_cpu = idle_wall = mon_cpu = mon_wall = 0.0
    for _ in range(args.rounds):
        c, w = _run_for(app, args.seconds)
        idle_cpu, idle_wall = idle_cpu + c, idle_wall + w
        before = panel.samples_seen()
        panel.start()
        c, w = _run_for(app, args.seconds)
        panel.stop()
        mon_cpu, mon_wall = mon_cpu + c, mon_wall + w
        got = panel.samples_seen() - before
        print(f"  round: {got} samples in {w:.1f} s ({got / w:.2f} Hz), {panel.redraws} redraws so far")
    idle = idle_cpu / idle_wall
    busy = mon_cpu / mon_wall
    cost = busy - idle
    print(f"idle window:      {idle * 1e3:6.2f} ms CPU per second ({idle * 100:.2f} % of one core)")
    print(f"monitor running:  {busy * 1e3:6.2f} ms CPU per second ({busy * 100:.2f} % of one core)")
    verdict = "OK" if cost <= 0.01 else "OVER"
    print(
        f"monitor cost:     {cost * 1e3:6.2f} ms CPU per second = {cost * 100:.2f} % of one core at "
        f"{args.rate:g} Hz (target <= 1 %: {verdict})"
    )
    panel.deleteLater()  # before the interpreter's exit tears things down in no fixed order
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    return 0


if __name__ == "__main__":
    sys.exit(main())
