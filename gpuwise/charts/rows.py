"""The CSV rows behind a chart: one per plotted point or failure, every column present (blank when unknown)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gpuwise.charts.device_names import device_label
from gpuwise.core.report import Point


def failure_rows(points: Iterable[Point], columns: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = []
    for p in points:
        if p.status == "ok":
            continue
        row = blank_row(columns)
        row.update(point_identity(p))
        row.update(series=device_label(p.device, p.estimated), kind="failed", status=p.status, message=p.message)
        rows.append({k: row[k] for k in columns})
    return rows


def blank_row(columns: Iterable[str]) -> dict[str, Any]:
    return dict.fromkeys(columns, "")


def point_identity(p: Point) -> dict[str, Any]:
    return {
        "device": p.device,
        "device_name": p.device_name,
        "precision": p.precision,
        "family": p.family,
        "params": p.params,
        "samples": p.samples,
        "batch_size": p.batch_size,
        "epochs": p.epochs,
    }


def blank(v: float | None) -> float | str:
    return "" if v is None else v
