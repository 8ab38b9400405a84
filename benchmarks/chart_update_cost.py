"""How long the charts panel holds the GUI thread per update during a run.

Feeds a shown ChartsWidget (offscreen) what a default 9-point run does: the 9 measured points one by one, and
after each point the verdict's estimates for two catalog GPUs (T4, H100 SXM) on every measured size. Prints the
median and max time of ``add_point`` and ``set_estimates`` calls, and of the repaint that follows each call (the
event loop pays for that too). Run: ``python benchmarks/chart_update_cost.py [--runs N] [--profile]``.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gpuwise.core.bench import workloads
from gpuwise.core.estimate import estimate_points_like
from gpuwise.core.report import Point, Report, StepStats
from gpuwise.ui.qt import QtWidgets

PARAMS = (10_000, 100_000, 1_000_000)
SAMPLES = (1_000, 10_000, 100_000)
GPUS = ["T4", "H100 SXM"]


def measured_point(params: int, samples: int) -> Point:
    spec = workloads.build_spec("mlp", params)
    step = 2e-4 + params * 4e-9  # a plausible CPU step time for batch 128
    steps = -(-samples // 128)
    epoch = steps * step
    return Point(
        device="cpu",
        family="mlp",
        params=int(spec["params"]),
        architecture=spec,
        samples=samples,
        batch_size=128,
        epochs=10,
        precision="fp32",
        threads=2,
        optimizer="adam",
        status="ok",
        message="",
        device_name="Test CPU",
        samples_per_s=samples / epoch,
        step_time_s=StepStats(step, step * 0.05, (step * 0.95, step * 1.08), 30),
        epoch_time_s=epoch,
        epoch_time_extrapolated=samples >= 100_000,
        fixed_overhead_s=0.4,
        time_to_train_s=10 * epoch + 0.4,
    )


def run_points() -> list[Point]:
    return [measured_point(p, s) for p in PARAMS for s in SAMPLES]


def report_of(points: list[Point]) -> Report:
    return Report(
        machine={"cpu": {"model": "Test CPU"}, "gpus": []},
        points=points,
        micro=[],
        created="2026-01-01T00:00:00+00:00",
        gpuwise_version="bench",
    )


def one_run(charts: Any, app: Any, times: dict[str, list[float]]) -> None:
    """One simulated run. The charts may defer drawing to the event loop: that part is timed separately
    ("redraw": the chart's own update, one event; "paint": Qt painting the widget), since both hold the GUI thread.
    """
    redraw: list[float] = []
    original = charts._refresh

    def timed_refresh(name: str) -> None:
        t = time.perf_counter()
        original(name)
        redraw.append(time.perf_counter() - t)

    charts._refresh = timed_refresh
    charts.clear()
    app.processEvents()
    done: list[Point] = []
    for p in run_points():
        done.append(p)
        estimates = estimate_points_like(report_of(done), GPUS)  # the verdict's work, not the chart's
        calls: list[tuple[str, Callable[..., None], Any]] = [
            ("add_point", charts.add_point, p),
            ("set_estimates", charts.set_estimates, estimates),
        ]
        for what, call, arg in calls:
            redraw.clear()
            t0 = time.perf_counter()
            call(arg)
            t1 = time.perf_counter()
            inside = sum(redraw)  # a chart that draws inside the call
            redraw.clear()
            app.processEvents()
            t2 = time.perf_counter()
            times[f"{what} call"].append(t1 - t0)
            times[f"{what} redraw"].append(inside + sum(redraw))
            times[f"{what} paint"].append(t2 - t1 - sum(redraw))
    charts._refresh = original


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="simulated runs of 9 points (default 5)")
    ap.add_argument("--chart", default="epoch-time", help="the tab shown during the run (default epoch-time)")
    ap.add_argument("--profile", action="store_true", help="print the top cProfile entries as well")
    args = ap.parse_args()

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    from gpuwise.ui.charts import ChartsWidget

    charts = ChartsWidget()
    charts.resize(1000, 520)  # the charts' share of a 1280×800 window
    charts.show()
    charts.set_current_chart(args.chart)
    app.processEvents()
    times: dict[str, list[float]] = {
        f"{call} {part}": [] for call in ("add_point", "set_estimates") for part in ("call", "redraw", "paint")
    }
    one_run(charts, app, {k: [] for k in times})  # warm-up: imports, first layout
    prof = cProfile.Profile() if args.profile else None
    if prof:
        prof.enable()
    for _ in range(args.runs):
        one_run(charts, app, times)
    if prof:
        prof.disable()
    print(
        "call: inside add_point/set_estimates; redraw: the chart's update wherever it runs (in the call or a"
        " deferred event); paint: the rest of the following event-loop turn (Qt painting)"
    )
    print(f"{args.runs} runs × 9 points, tab {args.chart!r}, 2 estimated GPUs × 9 sizes")
    for name, ts in times.items():
        ms = [t * 1000 for t in ts]
        print(f"  {name:24s} median {statistics.median(ms):6.1f} ms   max {max(ms):6.1f} ms   (n={len(ms)})")
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(35)
    charts.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
