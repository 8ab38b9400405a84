"""The epoch-time chart's model: one model size at a time, epoch time or time to train, honest kinds, CI bars,
failures at their dataset size, and CSV rows that are exactly what is plotted."""

from __future__ import annotations

import pytest

from gpuwise.charts.epoch_time import EPOCH_COLUMNS, epoch_model
from gpuwise.charts.model import ChartInputs, ChartModel
from tests.charts.samples import (
    CPU_PER_SAMPLE_S,
    SAMPLES,
    STEP_CI,
    STEP_MEDIAN_S,
    estimate_points,
    grid_points,
    measured_points,
    point,
)


def _model() -> ChartModel:
    return epoch_model(ChartInputs(points=measured_points(), estimates=estimate_points(), micro=[], machine={}))


def _by_name(m: ChartModel) -> dict[str, list[tuple[float, float, str]]]:
    return {s.name: [(mk.x, mk.y, mk.kind) for mk in s.marks] for s in m.series}


def test_one_curve_per_device_with_the_measured_values_and_kinds() -> None:
    curves = _by_name(_model())
    assert set(curves) == {"cpu", "cuda:0", "A10G (estimate)"}
    assert curves["cpu"] == [
        (float(s), s * CPU_PER_SAMPLE_S, "extrapolated" if s >= 1_000_000 else "measured") for s in SAMPLES
    ]
    assert {k for _, _, k in curves["A10G (estimate)"]} == {"estimate"}
    m = _model()
    assert (m.x_label, m.y_label, m.x_log, m.y_log) == ("dataset size (samples)", "time per epoch (s)", True, True)
    assert m.title == "Epoch time vs dataset size — MLP 1M params, batch 128, fp32"
    [cpu] = [s for s in m.series if s.name == "cpu"]
    assert (cpu.device, cpu.estimated, cpu.symbol_key, cpu.role) == ("cpu", False, "fp32", "main")


def test_error_bars_are_the_step_time_ci_scaled_to_the_epoch() -> None:
    [cpu] = [s for s in _model().series if s.name == "cpu"]
    for mark in cpu.marks:
        assert mark.lo == pytest.approx(mark.y * STEP_CI[0] / STEP_MEDIAN_S)
        assert mark.hi == pytest.approx(mark.y * STEP_CI[1] / STEP_MEDIAN_S)
    [a10g] = [s for s in _model().series if s.estimated]
    assert all(mk.lo is None and mk.hi is None for mk in a10g.marks)  # an estimate has no measured spread


def test_a_failed_point_is_a_failure_at_its_dataset_size_and_a_row() -> None:
    m = _model()
    [failure] = m.failures
    assert failure.x == 10_000_000
    assert "OOM: CUDA out of memory" in failure.tip and "cuda:0" in failure.tip
    [row] = [r for r in m.rows if r["kind"] == "failed"]
    assert (row["status"], row["samples"], row["epoch_time_s"]) == ("oom", 10_000_000, "")


def test_rows_are_the_plotted_marks_in_column_order() -> None:
    m = _model()
    assert all(list(r) == list(EPOCH_COLUMNS) for r in m.rows)
    plotted = sorted((r["series"], r["samples"], r["epoch_time_s"]) for r in m.rows if r["kind"] != "failed")
    assert plotted == sorted((s.name, int(mk.x), mk.y) for s in m.series for mk in s.marks)
    ci = next(r for r in m.rows if r["series"] == "cpu" and r["samples"] == 1_000)
    assert ci["epoch_time_ci95_low_s"] == pytest.approx(100.0 * 0.9)


def test_time_to_train_metric() -> None:
    measured, estimated = grid_points()
    m = epoch_model(ChartInputs(points=measured, estimates=estimated, micro=[], machine={}, metric="train"))
    [cpu] = [s for s in m.series if s.name == "cpu"]
    assert [mk.y for mk in cpu.marks] == pytest.approx([10 * s * 1e6 * 1e-10 + 1 for s in SAMPLES[:3]])
    assert all(mk.lo is None for mk in cpu.marks)  # the CI is of an epoch, not of the whole job
    assert m.title.startswith("Time to train (10 epochs) vs dataset size")
    assert m.y_label == "time to train (s)"


def test_shows_one_model_size_the_chosen_one_else_the_largest() -> None:
    measured, estimated = grid_points()
    inputs = ChartInputs(points=measured, estimates=estimated, micro=[], machine={})
    assert {r["params"] for r in epoch_model(inputs).rows} == {1_000_000}
    small = epoch_model(ChartInputs(points=measured, estimates=estimated, micro=[], machine={}, model_size=10_000))
    assert {r["params"] for r in small.rows} == {10_000}
    assert len(small.series) == 3  # a legend of devices, not devices × sizes


def test_settings_that_vary_name_the_curves_and_leave_the_title() -> None:
    pts = [point("cpu", s, s * 0.1) for s in SAMPLES[:2]] + [
        point("cpu", s, s * 0.05, precision="bf16") for s in SAMPLES[:2]
    ]
    m = epoch_model(ChartInputs(points=pts, estimates=[], micro=[], machine={}))
    assert [s.name for s in m.series] == ["cpu · fp32", "cpu · bf16"]
    assert [s.variant for s in m.series] == [0, 1]  # two shades of the CPU's colour
    assert "fp32" not in m.title and "batch 128" in m.title


def test_a_lone_dataset_size_says_to_sweep_more() -> None:
    m = epoch_model(ChartInputs(points=[point("cpu", 1_000, 0.1)], estimates=[], micro=[], machine={}))
    assert [n.text for n in m.notes] == [
        "One dataset size so far: sweep several dataset sizes to see how training time grows."
    ]
    assert _model().notes == []


def test_a_re_measured_size_replaces_the_older_point() -> None:
    pts = [point("cpu", 1_000, 0.1), point("cpu", 10_000, 1.0), point("cpu", 10_000, 2.0)]
    m = epoch_model(ChartInputs(points=pts, estimates=[], micro=[], machine={}))
    assert [(mk.x, mk.y) for mk in m.series[0].marks] == [(1_000.0, 0.1), (10_000.0, 2.0)]


def test_no_points_no_data_and_the_placeholder() -> None:
    m = epoch_model(ChartInputs(points=[], estimates=[], micro=[], machine={}))
    assert not m.has_data and m.rows == [] and m.placeholder == "Run a comparison or open a report"
