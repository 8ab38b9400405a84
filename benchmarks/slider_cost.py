"""What dragging the model-size slider costs on the GUI thread: every slider stop with the estimates recomputed.

Prints the milliseconds per stop and its ratio to one 60 Hz frame (16.7 ms). Target: below one frame.
Run: python benchmarks/slider_cost.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FRAME_S = 1 / 60


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    from gpuwise.ui.qt import QtWidgets

    app = QtWidgets.QApplication([])
    from gpuwise.ui.workload_panel import WorkloadPanel

    panel = WorkloadPanel()
    stops = panel.model_slider.slider.maximum() + 1
    per_stop = []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        for i in range(stops):
            panel.model_slider.slider.setValue(i)
            panel.refresh_estimates()
        per_stop.append((time.perf_counter() - t0) / stops)
    med = statistics.median(per_stop)
    print(
        f"{stops} slider stops x {args.rounds} rounds: {med * 1e3:.2f} ms per stop (median), "
        f"{med / FRAME_S:.2f} of a 60 Hz frame (target < 1)"
    )
    del app


if __name__ == "__main__":
    main()
