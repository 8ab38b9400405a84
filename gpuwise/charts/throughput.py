"""The throughput chart: training samples per second against model size, one curve per device."""

from __future__ import annotations

import statistics
from typing import Any

from gpuwise.charts.model import ChartInputs, ChartModel, Kind, Mark, Series
from gpuwise.charts.rows import blank_row, point_identity
from gpuwise.charts.series import (
    chart_title,
    point_chart,
    point_curves,
    point_kind,
    point_series,
    series_name,
    varying_dims,
)
from gpuwise.charts.tips import kind_line, point_header, point_tip
from gpuwise.core.report import Point
from gpuwise.core.units import format_count, format_rate

THROUGHPUT_COLUMNS = (
    "series",
    "device",
    "device_name",
    "precision",
    "family",
    "batch_size",
    "params",
    "samples",
    "kind",
    "samples_per_s",
    "status",
    "message",
)


def throughput_model(inputs: ChartInputs) -> ChartModel:
    pts = inputs.all_points
    ok = [p for p in pts if p.status == "ok" and p.samples_per_s is not None and p.samples_per_s > 0]
    dims = varying_dims(ok, ("precision", "family", "batch_size"))
    series: list[Series] = []
    rows: list[dict[str, Any]] = []
    for key, group, variant in point_curves(ok, dims):
        name = series_name(group[0], dims)
        by_params: dict[int, list[Point]] = {}
        for p in group:
            by_params.setdefault(p.params, []).append(p)
        marks = []
        for params in sorted(by_params):
            same = by_params[params]
            # Throughput hardly depends on dataset size; several sizes of one model are one point (their median).
            value = statistics.median(p.samples_per_s or 0.0 for p in same)
            kind = point_kind(same[0], epoch=False)
            tip = point_tip(same[0], kind) if len(same) == 1 else _multi_tip(same, value, kind)
            marks.append(Mark(float(params), value, kind, tip))
            for p in same:
                row = blank_row(THROUGHPUT_COLUMNS)
                row.update(point_identity(p))
                row.update(series=name, kind=kind, samples_per_s=p.samples_per_s, status=p.status, message=p.message)
                rows.append({k: row[k] for k in THROUGHPUT_COLUMNS})
        series.append(point_series(key, name, group[0], variant, marks))
    return point_chart(
        "throughput",
        title=chart_title("Training throughput vs model size", ok, dims),
        x_label="model size (parameters)",
        y_label="throughput (samples/s)",
        columns=THROUGHPUT_COLUMNS,
        rows=rows,
        series=series,
        points=pts,
        x_of=lambda p: p.params,
        one_size_note="One model size so far: sweep several model sizes to see how throughput scales.",
    )


def _multi_tip(points: list[Point], value: float, kind: Kind) -> str:
    p = points[0]
    head = point_header(p).rsplit("\n", 1)[0]
    per = ", ".join(
        f"{format_count(q.samples)}: {format_rate(q.samples_per_s or 0.0)}" for q in sorted(points, key=_samples)
    )
    return f"{head}\nthroughput: {format_rate(value)} (median over dataset sizes)\n{per}\n{kind_line(p, kind)}"


def _samples(p: Point) -> int:
    return p.samples
