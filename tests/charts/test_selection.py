"""What the pickers above the charts offer and choose by default."""

from __future__ import annotations

from typing import Any

from gpuwise.charts.model import ChartInputs
from gpuwise.charts.selection import (
    epoch_model_sizes,
    selected_model_size,
    selected_speedup_samples,
    speedup_dataset_sizes,
)
from gpuwise.core.report import Point
from tests.charts.samples import GRID_PARAMS, SAMPLES, grid_points, measured_points


def _inputs(points: list[Point], estimates: list[Point] | None = None, **kw: Any) -> ChartInputs:
    return ChartInputs(points=points, estimates=estimates or [], micro=[], machine={}, **kw)


def test_the_epoch_chart_offers_every_model_size_and_shows_the_largest() -> None:
    measured, estimated = grid_points()
    inputs = _inputs(measured, estimated)
    assert epoch_model_sizes(inputs) == list(GRID_PARAMS)
    assert selected_model_size(inputs) == 1_000_000
    assert selected_model_size(_inputs(measured, estimated, model_size=10_000)) == 10_000
    assert selected_model_size(_inputs(measured, estimated, model_size=123)) == 1_000_000  # not offered


def test_mid_run_the_default_is_a_size_with_a_curve() -> None:
    measured, _ = grid_points()
    partial = [p for p in measured if p.params < 1_000_000 or p.samples == 1_000]
    assert selected_model_size(_inputs(partial)) == 100_000


def test_without_measured_points_the_largest_estimate_is_shown() -> None:
    _, estimated = grid_points()
    assert selected_model_size(_inputs([], estimated)) == 1_000_000
    assert selected_model_size(_inputs([])) is None


def test_the_speedup_chart_offers_dataset_sizes_only_when_model_sizes_vary_too() -> None:
    assert speedup_dataset_sizes(_inputs(measured_points())) == []
    assert selected_speedup_samples(_inputs(measured_points())) is None
    measured, estimated = grid_points()
    inputs = _inputs(measured, estimated)
    assert speedup_dataset_sizes(inputs) == list(SAMPLES[:3])
    assert selected_speedup_samples(inputs) == 100_000
    assert selected_speedup_samples(_inputs(measured, estimated, speedup_samples=1_000)) == 1_000
    # the largest measured GPU size wins over a larger estimated one
    only_small_measured = [p for p in measured if p.device == "cpu" or p.samples <= 10_000]
    assert selected_speedup_samples(_inputs(only_small_measured, estimated)) == 10_000
