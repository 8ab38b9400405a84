"""Curves from points: which settings tell the curves of a chart apart, one curve per device and setting, a
title that names what every curve shares so the legend can stay short, and the chart they make."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from gpuwise.charts.device_names import device_label
from gpuwise.charts.model import ChartModel, Kind, Mark, Note, Series
from gpuwise.charts.rows import failure_rows
from gpuwise.charts.tips import failure_marks
from gpuwise.core.bench import families
from gpuwise.core.report import Point
from gpuwise.core.units import format_count


def dim_label(dim: str, p: Point) -> str:
    if dim == "precision":
        return p.precision
    if dim == "family":
        return families.label(p.family)
    if dim == "params":
        return f"{format_count(p.params)} params"
    if dim == "samples":
        return f"{format_count(p.samples)} samples"
    if dim == "batch_size":
        return f"batch {p.batch_size}"
    if dim == "epochs":
        return f"{p.epochs} epochs"
    raise KeyError(dim)


def varying_dims(points: Iterable[Point], dims: Iterable[str]) -> list[str]:
    pts = list(points)
    return [d for d in dims if len({getattr(p, d) for p in pts}) > 1]


def series_name(p: Point, dims: list[str]) -> str:
    return " · ".join([device_label(p.device, p.estimated), *(dim_label(d, p) for d in dims)])


def curve_key(p: Point, dims: list[str]) -> tuple[Any, ...]:
    """What the points of one curve share: the device, estimated or not, and the settings that vary (``dims``)."""
    return (p.device, p.estimated, *(getattr(p, d) for d in dims))


def point_curves(points: Iterable[Point], dims: list[str]) -> list[tuple[tuple[Any, ...], list[Point], int]]:
    """The points by curve, in first-seen order: each curve's key, its points and its shade among its device's."""
    groups: dict[tuple[Any, ...], list[Point]] = {}
    for p in points:
        groups.setdefault(curve_key(p, dims), []).append(p)
    variants = device_variants(groups)
    return [(key, group, variants[key]) for key, group in groups.items()]


def device_variants(keys: Iterable[tuple[Any, ...]]) -> dict[tuple[Any, ...], int]:
    """0, 1, 2… per device, in key order: shades several curves of one device apart."""
    counts: dict[tuple[Any, bool], int] = {}
    out: dict[tuple[Any, ...], int] = {}
    for k in keys:
        dev = (k[0], k[1])
        out[k] = counts.get(dev, 0)
        counts[dev] = out[k] + 1
    return out


def point_kind(p: Point, *, epoch: bool) -> Kind:
    if p.estimated:
        return "estimate"
    if epoch and p.epoch_time_extrapolated:
        return "extrapolated"
    return "measured"


def chart_title(
    base: str, points: list[Point], varying: list[str], *, samples: int | None = None, epochs: int | None = None
) -> str:
    """The chart title names what every curve shares (e.g. the model) so the legend can stay short."""
    if not points:
        return base
    p = points[0]
    parts = [] if samples is None else [f"{format_count(samples)} samples"]
    if epochs is not None:
        parts.append(f"{epochs} epoch{'s' if epochs != 1 else ''}")
    if "family" not in varying and "params" not in varying and base.endswith("dataset size"):
        parts.append(f"{families.label(p.family)} {format_count(p.params)} params")
    elif "family" not in varying:
        parts.append(families.label(p.family))
    if "batch_size" not in varying:
        parts.append(f"batch {p.batch_size}")
    if "precision" not in varying:
        parts.append(p.precision)
    return f"{base} — {', '.join(parts)}" if parts else base


def point_series(
    key: tuple[Any, ...], name: str, first: Point, variant: int, marks: Sequence[Mark], *, role: str = "main"
) -> Series:
    """A curve of ``first``'s device, estimated as it is, its marker shape picked by its precision."""
    return Series(
        key=key,
        name=name,
        device=first.device,
        estimated=first.estimated,
        variant=variant,
        symbol_key=first.precision,
        role=role,
        marks=tuple(marks),
    )


def point_chart(
    name: str,
    *,
    title: str,
    x_label: str,
    y_label: str,
    columns: tuple[str, ...],
    rows: list[dict[str, Any]],
    series: list[Series],
    points: Iterable[Point],
    x_of: Callable[[Point], float],
    one_size_note: str,
) -> ChartModel:
    """A log–log chart of point curves. Its failed ``points`` become red × marks at their x and rows of their own;
    ``one_size_note`` shows while every curve is a lone point (one size swept so far)."""
    failed = [p for p in points if p.status != "ok"]
    lone = bool(series) and all(len(s.marks) == 1 for s in series)
    return ChartModel(
        name=name,
        title=title,
        x_label=x_label,
        y_label=y_label,
        columns=columns,
        rows=[*rows, *failure_rows(failed, columns)],
        series=series,
        failures=failure_marks(failed, x_of),
        notes=[Note(one_size_note)] if lone else [],
    )
