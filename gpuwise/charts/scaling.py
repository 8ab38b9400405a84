"""The scaling chart's data: throughput against the number of data-parallel processes, the ideal line dashed.

One measured curve per job (device, backend, model and dataset size); beside each, its ideal (N × the
single-process baseline of the same run), drawn dashed. The efficiency of every point is in its tooltip, in the
notes beside the chart and in the CSV. The curves come from ``gpuwise.core.scaling`` (the one grouping).
"""

from __future__ import annotations

from typing import Any

from gpuwise.charts.model import PLACEHOLDER, ChartModel, Failure, Mark, Note, Series
from gpuwise.charts.rows import blank
from gpuwise.charts.series import point_series
from gpuwise.core.report import Point
from gpuwise.core.scaling import ScalingCurve, baseline_text, scaling_curves
from gpuwise.core.units import format_count, format_duration

SCALING_COLUMNS = (
    "series",
    "device",
    "backend",
    "family",
    "params",
    "samples",
    "batch_size",
    "precision",
    "processes",
    "threads_per_rank",
    "samples_per_s",
    "ideal_samples_per_s",
    "scaling_efficiency",
    "baseline_samples_per_s",
    "rank_samples_per_s",
    "comm_time_s",
    "allreduce_time_s",
    "status",
    "message",
)
SCALING_PLACEHOLDER = (
    f"{PLACEHOLDER} with Data-parallel set to 2 or more processes (gpuwise bench --ddp N) to see how training scales"
)


def _name(c: ScalingCurve, many: bool) -> str:
    who = f"{c.device} ({c.backend})"
    if many:
        who += f", {format_count(c.params)} params × {format_count(c.samples)}"
    return who


def _tip(p: Point, c: ScalingCurve) -> str:
    lines = [
        f"{p.world_size} process{'es' if p.world_size != 1 else ''} ({c.backend}), {p.threads} thread(s) each",
        f"{format_count(p.samples_per_s or 0)} samples/s in all",
    ]
    if p.world_size > 1 and p.rank_samples_per_s:
        lines.append("per rank: " + ", ".join(format_count(s) for s in p.rank_samples_per_s))
    if p.scaling_efficiency is not None:
        lines.append(f"efficiency {p.scaling_efficiency:.0%} of ideal")
    if p.comm_time_s is not None:
        lines.append(f"exposed communication {format_duration(p.comm_time_s)} a step")
    if p.allreduce_time_s is not None:
        lines.append(f"all-reduce of all gradients {format_duration(p.allreduce_time_s)}")
    lines.append(baseline_text(c))
    return "\n".join(lines)


def scaling_model(points: list[Point]) -> ChartModel:
    curves = scaling_curves(points)
    many = len(curves) > 1
    series: list[Series] = []
    rows: list[dict[str, Any]] = []
    notes: list[Note] = []
    failures: list[Failure] = []
    for i, c in enumerate(curves):
        name = _name(c, many)
        base = c.baseline
        ok = [p for p in c.points if p.status == "ok" and p.samples_per_s]
        marks = tuple(Mark(float(p.world_size), float(p.samples_per_s or 0), "measured", _tip(p, c)) for p in ok)
        key: tuple[Any, ...] = ("scaling", c.device, c.backend, c.params, c.samples, c.batch_size, c.precision)
        if marks:
            series.append(point_series(key, name, c.points[0], i, marks))
        if base is not None and base.samples_per_s and ok:
            sizes = sorted({p.world_size for p in c.points})
            ideal = tuple(
                Mark(
                    float(n),
                    n * base.samples_per_s,
                    "extrapolated",
                    f"ideal: {n} × {format_count(base.samples_per_s)} = "
                    f"{format_count(n * base.samples_per_s)} samples/s",
                )
                for n in sizes
            )
            series.append(point_series((*key, "ideal"), f"{name}: ideal", c.points[0], i, ideal, role="secondary"))
            effs = [
                f"{p.world_size} → {p.scaling_efficiency:.0%}"
                for p in ok
                if p.scaling_efficiency is not None and p.world_size > 1
            ]
            if effs:
                notes.append(Note(f"{name}: efficiency " + ", ".join(effs), device=c.device, variant=i, priority=1))
        for p in c.points:
            if p.status != "ok":
                failures.append(Failure(float(p.world_size), f"{p.world_size} processes: {p.status}: {p.message}"))
            rows.append(
                {
                    "series": name,
                    "device": c.device,
                    "backend": c.backend,
                    "family": c.family,
                    "params": c.params,
                    "samples": c.samples,
                    "batch_size": c.batch_size,
                    "precision": c.precision,
                    "processes": p.world_size,
                    "threads_per_rank": p.threads,
                    "samples_per_s": blank(p.samples_per_s),
                    "ideal_samples_per_s": blank(
                        base.samples_per_s * p.world_size if base and base.samples_per_s else None
                    ),
                    "scaling_efficiency": blank(p.scaling_efficiency),
                    "baseline_samples_per_s": blank(p.scaling_baseline_samples_per_s),
                    "rank_samples_per_s": " ".join(f"{s:.6g}" for s in p.rank_samples_per_s),
                    "comm_time_s": blank(p.comm_time_s),
                    "allreduce_time_s": blank(p.allreduce_time_s),
                    "status": p.status,
                    "message": p.message,
                }
            )
    if curves:
        notes.append(Note("Dashed: ideal scaling (N × one process of the same run). " + baseline_text(curves[0])))
    return ChartModel(
        name="scaling",
        title="Data-parallel scaling: throughput vs processes",
        x_label="processes (DistributedDataParallel ranks)",
        y_label="throughput (samples/s, all ranks)",
        columns=SCALING_COLUMNS,
        rows=rows,
        series=series,
        failures=failures,
        notes=notes,
        placeholder=SCALING_PLACEHOLDER,
    )
