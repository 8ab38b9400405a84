"""Does the roofline estimator predict what this machine actually measures? Measured vs estimated step times.

1. A small sweep through gpuwise's own sweep: MLPs from 50k to 20M parameters, two CNNs and two transformers,
   on the CPU, with the micro-benchmarks (matmul GFLOP/s, triad GB/s) measured once, first.
2. Each measured point is re-estimated by ``core.estimate`` from those micro-benchmarks alone (no fitting to the
   points), with the point's FlopCounterMode count. The CPU micro-benchmarks are repeated after each family and the
   best result is the peak: on a shared machine a busy moment can only lower it.
3. A table of measured vs estimated step time, and the median relative error. Target: <= 15 %.
   On a CUDA machine the measured GPU is compared with the catalog estimate for the same GPU too.

Exits 0 either way (it is a report, not a gate) and prints PASS or FAIL.
Run: python benchmarks/estimator_fidelity.py [--budget 100] [--out report.json]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace

from gpuwise.core.bench.events import MicroMeasured, PointMeasured, SweepFinished
from gpuwise.core.bench.micro import run_micro
from gpuwise.core.bench.sweep import SweepPlan, run_sweep
from gpuwise.core.catalog import match_device_name
from gpuwise.core.estimate import cpu_model, estimate_step, gpu_model
from gpuwise.core.report import MicroResult, Point, Report, save_report
from gpuwise.core.units import format_count, format_duration

TARGET = 0.15
# (family, parameter counts, dataset size, share of the time budget)
PLANS = (
    ("mlp", [50_000, 270_000, 1_000_000, 5_000_000, 20_000_000], 5_000, 0.5),
    ("cnn", [20_000, 100_000], 1_000, 0.25),
    ("transformer", [50_000, 300_000], 1_000, 0.25),
)


def sweep(plan: SweepPlan) -> tuple[list[Point], list[MicroResult], Report]:
    points: list[Point] = []
    micro: list[MicroResult] = []
    for ev in run_sweep(plan):
        if isinstance(ev, PointMeasured):
            points.append(ev.point)
            st = ev.point.step_time_s
            step = format_duration(st.median) if st else ev.point.status
            print(f"  measured {ev.point.device} {ev.point.family} {format_count(ev.point.params)}: {step}", flush=True)
        elif isinstance(ev, MicroMeasured):
            micro.append(ev.result)
        elif isinstance(ev, SweepFinished):
            return points, micro, ev.report
    raise RuntimeError("the sweep ended without a report")


def repeat_micro(report: Report) -> list[MicroResult]:
    """The CPU micro-benchmarks once more. A peak is the best a machine does: on a shared machine a busy moment
    only lowers a measurement, so the estimator takes the best of the repeats (``cpu_model`` uses the maximum)."""
    threads = report.settings.get("threads") or 1
    return [
        r for _i, _n, r in run_micro(["cpu"], ["fp32"], threads=int(threads), sizes=(512, 1024, 2048)) if r is not None
    ]


def busy_percent() -> float:
    """How busy the machine is with other programs right now (CPU %, over one second)."""
    import psutil

    return float(psutil.cpu_percent(interval=1.0))


class OthersMeter:
    """The share of the machine's CPU time that OTHER programs used while it runs (system busy time minus ours)."""

    def __init__(self) -> None:
        import psutil

        self._psutil = psutil
        self._proc = psutil.Process()
        self._t0 = time.perf_counter()
        self._sys0 = self._busy()
        self._own0 = self._own()

    def _busy(self) -> float:
        t = self._psutil.cpu_times()
        return float(sum(t) - t.idle - getattr(t, "iowait", 0.0))

    def _own(self) -> float:
        t = self._proc.cpu_times()
        return float(t.user + t.system)

    def share(self) -> float:
        wall = (time.perf_counter() - self._t0) * (self._psutil.cpu_count() or 1)
        others = (self._busy() - self._sys0) - (self._own() - self._own0)
        return max(0.0, others / wall) if wall > 0 else 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=float, default=100.0, help="total measuring budget in seconds (default 100)")
    ap.add_argument("--devices", default="all", help="devices to measure (default all: CPU, and a GPU if any)")
    ap.add_argument("--out", help="write the combined report here")
    args = ap.parse_args()

    busy_before = busy_percent()
    if busy_before > 15:
        print(
            f"warning: the machine is already {busy_before:.0f} % busy with other programs: a 2-thread training "
            f"loop sharing its cores slows down erratically, so measured and estimated times will disagree"
        )
    t0 = time.perf_counter()
    others = OthersMeter()
    points: list[Point] = []
    micro: list[MicroResult] = []
    report: Report | None = None
    for i, (family, params, samples, share) in enumerate(PLANS):
        print(f"sweeping {family} {', '.join(format_count(p) for p in params)} ...", flush=True)
        plan = SweepPlan(
            family=family,
            params=params,
            samples=[samples],
            devices=[args.devices],
            budget_s=args.budget * share,
            micro=i == 0,
        )
        pts, mic, rep = sweep(plan)
        points += pts
        micro += mic + repeat_micro(rep)
        report = rep if report is None else report
    assert report is not None
    report = replace(report, points=points, micro=micro)
    if args.out:
        save_report(report, args.out)

    cpu = cpu_model(report)
    print(f"\nCPU model: {cpu.basis}")
    rows = []
    errors = []
    for p in points:
        if p.status != "ok" or p.step_time_s is None:
            continue
        if p.device == "cpu":
            model = cpu
        else:
            match = match_device_name(p.device_name)
            if match is None:
                print(f"  (no catalog entry for {p.device_name}: not estimated)")
                continue
            model = gpu_model(match)
        e = estimate_step(
            model, p.architecture, p.batch_size, precision=p.precision, optimizer=p.optimizer, flops=p.flops_per_step
        )
        measured = p.step_time_s.median
        err = (e.step_s - measured) / measured
        if p.device == "cpu":
            errors.append(abs(err))
        rows.append(
            (
                p.device,
                p.family,
                format_count(p.params),
                format_duration(measured),
                format_duration(e.step_s),
                f"{err:+.0%}",
                e.bound,
                "unstable" if p.unstable else "",
            )
        )
    header = ("device", "family", "params", "measured", "estimated", "error", "bound by", "note")
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    print()
    for r in (header, *rows):
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    if not errors:
        print("\nno CPU point measured: nothing to compare")
        return 0
    med = statistics.median(errors)
    verdict = "PASS" if med <= TARGET else "FAIL"
    print(f"\nmedian |relative error| over {len(errors)} CPU points: {med:.1%} (target <= {TARGET:.0%}): {verdict}")
    share = others.share()
    print(f"other programs used {share:.0%} of this machine's CPU time during the run")
    if share > 0.1:
        print(
            "warning: the machine was shared while measuring: the measured times are slower than this CPU "
            "is, so the comparison says more about the neighbours than about the estimator. Rerun when idle."
        )
    unstable = sum(1 for p in points if p.device == "cpu" and p.status == "ok" and p.unstable)
    if unstable * 2 > len(errors):
        print(
            f"warning: {unstable} of {len(errors)} CPU points were unstable (step times varied > 10 %): another "
            f"program was busy, and the measurements, not only the estimates, are off. Rerun on a quiet machine."
        )
    print(f"took {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
