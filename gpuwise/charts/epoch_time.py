"""The epoch-time chart: time per epoch (or time to train) against dataset size, one model size at a time."""

from __future__ import annotations

from typing import Any

from gpuwise.charts.model import ChartInputs, ChartModel, Mark, Series
from gpuwise.charts.rows import blank, blank_row, point_identity
from gpuwise.charts.selection import selected_model_size
from gpuwise.charts.series import (
    chart_title,
    point_chart,
    point_curves,
    point_kind,
    point_series,
    series_name,
    varying_dims,
)
from gpuwise.charts.tips import epoch_ci, point_tip
from gpuwise.core.report import Point

EPOCH_COLUMNS = (
    "series",
    "device",
    "device_name",
    "precision",
    "family",
    "params",
    "samples",
    "batch_size",
    "epochs",
    "kind",
    "epoch_time_s",
    "epoch_time_ci95_low_s",
    "epoch_time_ci95_high_s",
    "time_to_train_s",
    "status",
    "message",
)


def epoch_model(inputs: ChartInputs) -> ChartModel:
    """One model size at a time (a legend of devices, not devices × sizes), epoch time or time to train."""
    size = selected_model_size(inputs)
    pts = [p for p in inputs.all_points if p.params == size]
    train = inputs.metric == "train"

    def value(p: Point) -> float | None:
        return p.time_to_train_s if train else p.epoch_time_s

    ok = [p for p in pts if p.status == "ok" and (value(p) or 0) > 0]
    dims = varying_dims(ok, ("precision", "family", "batch_size", "epochs"))
    series: list[Series] = []
    rows: list[dict[str, Any]] = []
    for key, group, variant in point_curves(ok, dims):
        by_x = {p.samples: p for p in group}  # a re-measured size replaces the older point
        ordered = [by_x[s] for s in sorted(by_x)]
        first = ordered[0]
        name = series_name(first, dims)
        marks = []
        for p in ordered:
            kind = point_kind(p, epoch=True)
            lo, hi = (None, None) if train else epoch_ci(p)
            v = value(p)
            assert v is not None
            marks.append(Mark(float(p.samples), v, kind, point_tip(p, kind), lo, hi))
            row = blank_row(EPOCH_COLUMNS)
            row.update(point_identity(p))
            ci_lo, ci_hi = epoch_ci(p)
            row.update(
                series=name,
                kind=kind,
                epoch_time_s=blank(p.epoch_time_s),
                epoch_time_ci95_low_s=blank(ci_lo),
                epoch_time_ci95_high_s=blank(ci_hi),
                time_to_train_s=blank(p.time_to_train_s),
                status=p.status,
                message=p.message,
            )
            rows.append(row)
        series.append(point_series(key, name, first, variant, marks))
    epochs = sorted({p.epochs for p in ok})
    if train:
        n = f"{epochs[0]} epoch{'s' if epochs[0] != 1 else ''}" if len(epochs) == 1 else "all epochs"
        base, y_label = f"Time to train ({n}) vs dataset size", "time to train (s)"
    else:
        base, y_label = "Epoch time vs dataset size", "time per epoch (s)"
    return point_chart(
        "epoch-time",
        title=chart_title(base, ok, dims),
        x_label="dataset size (samples)",
        y_label=y_label,
        columns=EPOCH_COLUMNS,
        rows=rows,
        series=series,
        points=pts,
        x_of=lambda p: p.samples,
        one_size_note="One dataset size so far: sweep several dataset sizes to see how training time grows.",
    )
