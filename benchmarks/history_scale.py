"""The run history at scale: 10,000 runs with 1,000,000 points. How long do listing and filtering take?

Generates the history itself (in a temporary folder, through ``History.import_report``: the same code that stores
an imported report), from a handful of machines (laptop CPUs, cloud CPUs, H200/A100/T4 boxes) with 100 points a
run, names and tags on some. Then measures, in one run, against the targets of issue 9:

  gpuwise history            the whole command in a fresh process (Python start-up included), target < 1 s
  history view: open        HistoryView built, filled with every run and painted once, target < 200 ms
  history view: filter      one keystroke's filter over all runs, repainted (median and worst of several words),
                            target < 200 ms

Each figure is printed with its ratio to the target (below 1.00 meets it). Nothing here asserts an absolute time.

Run: python benchmarks/history_scale.py [--runs 10000] [--points 100] [--keep DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MACHINES = [
    ({"model": "AMD Ryzen 7 7840U w/ Radeon 780M Graphics", "physical_cores": 8}, []),
    ({"model": "Apple M3 Max", "physical_cores": 14}, []),
    ({"model": "Intel(R) Xeon(R) Processor", "physical_cores": 16}, [("cuda:0", "NVIDIA H200")]),
    ({"model": "AMD EPYC 7B13", "physical_cores": 2}, []),
    ({"model": "AMD EPYC 7R32", "physical_cores": 4}, [("cuda:0", "NVIDIA A10G")]),
    ({"model": "Intel(R) Xeon(R) CPU @ 2.20GHz", "physical_cores": 4}, [("cuda:0", "Tesla T4")]),
    ({"model": "AMD EPYC 7742 64-Core Processor", "physical_cores": 32}, [("cuda:0", "NVIDIA A100-SXM4-80GB")]),
]
HEADLINES = [
    "Stay on the CPU: the T4 is slower (0.3× the CPU's speed) at 5.9× the price.",
    "A GPU pays: the NVIDIA H200 is 45× faster (42–48×) at 4.2× the price.",
    "Can't tell yet: the speedup's 95 % CI (4.1–7.9×) straddles the price ratio 5.9×.",
]
FILTERS = ["h200", "ryzen", "baseline", "mlp 10m", "cancelled", "zzz-nothing"]


def build_history(path: Path, runs: int, points_per_run: int) -> float:
    """Fill ``path`` with ``runs`` runs; returns the seconds it took."""
    from gpuwise.core.bench.workloads import build_spec
    from gpuwise.core.history import History
    from gpuwise.core.report import Point, Report, StepStats

    params = [10_000 * 2**i for i in range(10)]
    samples = [1_000 * 2**i for i in range(points_per_run // 10 or 1)]
    specs = {p: build_spec("mlp", p) for p in params}
    templates: list[Report] = []
    for cpu, gpus in MACHINES:
        devices = ["cpu", *(g[0] for g in gpus)]
        pts = []
        for i in range(points_per_run):
            p, s, d = params[i % len(params)], samples[(i // len(params)) % len(samples)], devices[i % len(devices)]
            step = 2e-4 + p * 2.5e-9 / (20 if d != "cpu" else 1)
            stats = StepStats(step, step / 20, (step * 0.97, step * 1.03), 10)
            pts.append(
                Point(
                    device=d,
                    family="mlp",
                    params=specs[p]["params"],
                    architecture=specs[p],
                    samples=s,
                    batch_size=128,
                    epochs=1,
                    precision="fp32",
                    threads=cpu["physical_cores"],
                    optimizer="adam",
                    status="ok",
                    device_name=dict(gpus).get(d, cpu["model"]),
                    samples_per_s=128 / step,
                    step_time_s=stats,
                    epoch_time_s=step * s / 128,
                    fixed_overhead_s=0.2,
                    time_to_train_s=step * s / 128 + 0.2,
                    peak_memory_bytes=16 * p,
                )
            )
        machine = {"cpu": cpu, "gpus": [{"id": i, "name": n} for i, n in gpus]}
        settings = {"family": "mlp", "params": params, "samples": samples, "devices": devices}
        templates.append(Report(machine=machine, points=pts, micro=[], created="", settings=settings))
    t0 = time.perf_counter()
    with History(path) as h:
        for i in range(runs):
            t = templates[i % len(templates)]
            when = datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=10 * i)
            created = when.isoformat(timespec="seconds")
            report = dataclasses.replace(t, created=created, cancelled=i % 17 == 0)
            run = h.import_report(report, headline=HEADLINES[i % len(HEADLINES)])
            if i % 10 == 0:
                h.rename(run, f"experiment {i}")
            if i % 7 == 0:
                h.set_tags(run, ["baseline" if i % 2 else "fp32", f"batch{i % 5}"])
    return time.perf_counter() - t0


def time_cli(folder: Path, repeats: int = 3) -> tuple[float, float, int]:
    """Median wall seconds and CPU seconds (user + system) of ``gpuwise history`` in a fresh process."""
    import resource

    env = dict(os.environ, GPUWISE_DATA_DIR=str(folder), PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    times, cpu, lines = [], [], 0
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "gpuwise", "history"], capture_output=True, text=True, env=env, check=True
        )
        times.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        lines = out.stdout.count("\n")
    return statistics.median(times), statistics.median(cpu), lines


def time_view(path: Path) -> tuple[float, float, list[float], int]:
    from PySide6 import QtWidgets

    from gpuwise.core.history import History
    from gpuwise.ui.history_view import HistoryView

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    h = History(path)
    t0, c0 = time.perf_counter(), time.process_time()
    view = HistoryView(lambda: h)
    view.resize(1300, 400)
    view.refresh()
    view.show()
    app.processEvents()  # the first paint
    opened = time.perf_counter() - t0
    opened_cpu = time.process_time() - c0
    n = view.model.rowCount()
    filters = []
    for word in FILTERS * 2:
        t0 = time.perf_counter()
        view.set_filter(word)
        view.repaint()
        app.processEvents()
        filters.append(time.perf_counter() - t0)
        view.set_filter("")
        app.processEvents()
    view.close()
    h.close()
    return opened, opened_cpu, filters, n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--points", type=int, default=100, help="points per run")
    ap.add_argument("--keep", type=Path, default=None, help="build the history in this folder and keep it")
    args = ap.parse_args(argv)

    from gpuwise.core.history import DB_NAME

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / DB_NAME
        if not path.exists():
            built = build_history(path, args.runs, args.points)
            print(
                f"built {args.runs:,} runs x {args.points} points = {args.runs * args.points:,} points in "
                f"{built:.1f} s ({path.stat().st_size / 2**20:.0f} MiB)"
            )
        cli_s, cli_cpu, lines = time_cli(folder)
        opened_s, opened_cpu, filters, rows = time_view(path)
    # wall time is what a person waits; CPU time is what the work costs when the machine is not shared (this VM's
    # two cores are shared by several busy processes: wall time here is often 2× the CPU time)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        f"gpuwise history (fresh process, {lines:,} lines): {cli_s * 1000:7.0f} ms wall, {cli_cpu * 1000:.0f} ms CPU"
        f"   ratio to 1 s target: {cli_s / 1.0:.2f} (CPU {cli_cpu / 1.0:.2f})"
    )
    print(
        f"history view open ({rows:,} runs, painted):  {opened_s * 1000:7.1f} ms wall, {opened_cpu * 1000:.0f} ms "
        f"CPU   ratio to 200 ms target: {opened_s / 0.2:.2f} (CPU {opened_cpu / 0.2:.2f})"
    )
    med, worst = statistics.median(filters), max(filters)
    print(
        f"history view filter (median of {len(filters)}):   {med * 1000:7.1f} ms   worst {worst * 1000:.1f} ms   "
        f"ratio of worst to 200 ms target: {worst / 0.2:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
