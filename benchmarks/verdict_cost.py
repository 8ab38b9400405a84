"""What one verdict recompute costs on the GUI thread: median and max milliseconds per call.

A realistic report (the default 9-point CPU sweep: MLP 10k/100k/1M parameters × 1k/10k/100k samples, with
micro-benchmarks) compared with estimates for T4 and H100 SXM. Three cases, each timed over N calls of
``VerdictCard.recompute`` (the whole thing: core verdict, estimated curves, table and text):
  cold      estimator caches cleared before every call (the first verdict for a new workload)
  new-point a fresh report object with the same points each call (what a run's new point costs)
  price     only the GPU price changes between calls (prices change costs and the sentence only)

Run: python benchmarks/verdict_cost.py [--calls 30] [--report path/to/report.json]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _default_report() -> Any:
    from gpuwise.core.bench.workloads import build_spec
    from gpuwise.core.report import MicroResult, Point, Report, StepStats

    points = []
    for target in (10_000, 100_000, 1_000_000):
        spec = build_spec("mlp", target)
        step = 2e-4 + spec["params"] * 2.5e-9  # about this VM's measured MLP step times at batch 128
        for samples in (1_000, 10_000, 100_000):
            spe = -(-samples // 128)
            points.append(
                Point(
                    device="cpu",
                    family="mlp",
                    params=spec["params"],
                    architecture=spec,
                    samples=samples,
                    batch_size=128,
                    epochs=10,
                    precision="fp32",
                    threads=2,
                    optimizer="adam",
                    status="ok",
                    step_time_s=StepStats(median=step, iqr=step * 0.04, ci95=(step * 0.97, step * 1.03), n=50),
                    epoch_time_s=spe * step,
                    fixed_overhead_s=0.05,
                    samples_per_s=128 / step,
                    time_to_train_s=10 * spe * step + 0.05,
                )
            )
    micro = [
        MicroResult(device="cpu", kind="matmul", precision="fp32", size=1024, value=180.0, unit="GFLOP/s"),
        MicroResult(device="cpu", kind="triad", precision="fp32", size=1 << 24, value=12.0, unit="GB/s"),
    ]
    cpu = {
        "model": "benchmark CPU",
        "logical_cores": 2,
        "physical_cores": 2,
        "ram_total": 16 << 30,
        "ram_available": 12 << 30,
    }
    return Report(
        machine={"cpu": cpu, "gpus": []},
        points=points,
        micro=micro,
        settings={"threads": 2},
        created="2025-01-01T00:00:00+00:00",
    )


def _time(calls: int, before: Callable[[int], None], run: Callable[[], None]) -> list[float]:
    out = []
    for i in range(calls):
        before(i)
        t0 = time.perf_counter()
        run()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=30)
    ap.add_argument("--report", type=Path, help="a saved report instead of the built-in 9-point CPU report")
    args = ap.parse_args(argv)
    os.environ["GPUWISE_CONFIG_DIR"] = tempfile.mkdtemp(prefix="gpuwise-bench-")  # never the user's prices

    import dataclasses

    from PySide6.QtWidgets import QApplication

    from gpuwise.core import estimate, verdict
    from gpuwise.core.report import load_report
    from gpuwise.ui.verdict_card import VerdictCard

    app = QApplication.instance() or QApplication([])
    report: Any = load_report(args.report) if args.report else _default_report()
    card = VerdictCard()
    card.resize(380, 760)
    card.show()
    card.set_comparison(["T4", "H100 SXM"])
    card.set_report(report)
    card.recompute()  # imports and first layout out of the way
    app.processEvents()

    def clear(_i: int) -> None:
        getattr(estimate, "clear_estimate_cache", lambda: None)()
        getattr(verdict, "_MEMORY_CACHE", {}).clear()
        getattr(verdict, "_SPEC_CACHE", {}).clear()

    def new_report(_i: int) -> None:
        card.set_report(dataclasses.replace(report, points=list(report.points)))

    def new_price(i: int) -> None:
        card.set_prices(0.0892, 0.5 + 0.01 * i)

    print(f"VerdictCard.recompute, {args.calls} calls each, {len(report.points)} points, T4 + H100 SXM:")
    for name, before in (("cold", clear), ("new-point", new_report), ("price", new_price)):
        ms = _time(args.calls, before, card.recompute)
        print(f"  {name:<10} median {statistics.median(ms):6.1f} ms   max {max(ms):6.1f} ms")
    card.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
