"""The throughput chart's model: samples per second against model size, one point per model (the median over
dataset sizes), failures at their model size."""

from __future__ import annotations

import pytest

from gpuwise.charts.model import ChartInputs, ChartModel
from gpuwise.charts.throughput import THROUGHPUT_COLUMNS, throughput_model
from tests.charts.samples import CPU_PER_SAMPLE_S, PARAMS, SAMPLES, estimate_points, grid_points, measured_points, point


def _model() -> ChartModel:
    return throughput_model(ChartInputs(points=measured_points(), estimates=estimate_points(), micro=[], machine={}))


def test_one_point_per_model_size_the_median_over_dataset_sizes() -> None:
    m = _model()
    curves = {s.name: [(mk.x, mk.y, mk.kind) for mk in s.marks] for s in m.series}
    assert curves["cpu"] == [(float(PARAMS), 1 / CPU_PER_SAMPLE_S, "measured")]  # not "extrapolated": a rate
    assert curves["A10G (estimate)"][0][2] == "estimate"
    [cpu] = [s for s in m.series if s.name == "cpu"]
    tip = cpu.marks[0].tip
    assert "(median over dataset sizes)" in tip and "1k: 10 samples/s" in tip and "1M: 10 samples/s" in tip
    assert (m.x_label, m.y_label) == ("model size (parameters)", "throughput (samples/s)")
    assert m.title == "Training throughput vs model size — MLP, batch 128, fp32"


def test_the_median_is_of_the_middle_dataset_sizes() -> None:
    pts = [point("cpu", s, s / rate) for s, rate in zip(SAMPLES[:3], (10.0, 30.0, 1000.0), strict=True)]
    [series] = throughput_model(ChartInputs(points=pts, estimates=[], micro=[], machine={})).series
    assert series.marks[0].y == pytest.approx(30.0)


def test_every_point_is_a_row_and_every_failure_a_failure_at_its_model_size() -> None:
    m = _model()
    assert all(list(r) == list(THROUGHPUT_COLUMNS) for r in m.rows)
    assert len([r for r in m.rows if r["kind"] != "failed"]) == len(measured_points()) - 1 + len(estimate_points())
    [failure] = m.failures
    assert failure.x == PARAMS and "OOM" in failure.tip
    assert [r["status"] for r in m.rows if r["kind"] == "failed"] == ["oom"]


def test_one_model_size_says_so_and_several_draw_curves() -> None:
    assert [n.text for n in _model().notes] == [
        "One model size so far: sweep several model sizes to see how throughput scales."
    ]
    measured, estimated = grid_points()
    m = throughput_model(ChartInputs(points=measured, estimates=estimated, micro=[], machine={}))
    assert m.notes == []
    assert [len(s.marks) for s in m.series] == [3, 3, 3]
    assert all([mk.x for mk in s.marks] == [1e4, 1e5, 1e6] for s in m.series)


def test_points_without_a_rate_are_left_out() -> None:
    pts = [point("cpu", 1_000, 0.1), point("cpu", 1_000, 0.1, samples_per_s=None, params=100_000)]
    [series] = throughput_model(ChartInputs(points=pts, estimates=[], micro=[], machine={})).series
    assert [mk.x for mk in series.marks] == [float(PARAMS)]
