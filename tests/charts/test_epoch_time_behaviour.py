"""The epoch-time chart (``gpuwise.charts.epoch_time``) and its tooltips (``gpuwise.charts.tips``) stated as
behaviour: which points are plotted, what each tooltip says, every CSV column, and the title of the time-to-train
view for any number of epochs.

Written against the mutants of ``benchmarks/mutation.py charts`` that the chart tests let through.
"""

from __future__ import annotations

import dataclasses

import pytest

from gpuwise.charts.epoch_time import EPOCH_COLUMNS, epoch_model
from gpuwise.charts.model import ChartInputs, ChartModel, Metric
from gpuwise.core.report import Point
from tests.charts.samples import estimate_points, grid_points, measured_points, point


def _model(points: list[Point], estimates: list[Point] | None = None, metric: Metric = "epoch") -> ChartModel:
    return epoch_model(ChartInputs(points=points, estimates=estimates or [], micro=[], machine={}, metric=metric))


def test_each_tooltip_says_what_ran_what_it_took_and_how_it_was_obtained() -> None:
    m = _model(measured_points(), estimate_points())
    assert [(s.key, s.name) for s in m.series] == [
        (("cpu", False), "cpu"),
        (("cuda:0", False), "cuda:0"),
        (("A10G", True), "A10G (estimate)"),
    ]
    cpu, _, a10g = m.series
    assert cpu.marks[0].tip == (
        "cpu · Test CPU (fp32, 2 threads)\nMLP 1M params · batch 128 · 1 epoch\n1k samples\n"
        "epoch time: 100 s (95% CI 90 s–2 min)\ntime to train: 100 s (1 × epoch)\nthroughput: 10 samples/s\nmeasured"
    )
    assert cpu.marks[-1].tip.endswith("\nthroughput: 10 samples/s\nextrapolated from 20 measured windows")
    # an estimate has no measured spread: no CI in its tooltip
    assert a10g.marks[-1].tip == (
        "A10G (estimate) · Test GPU (fp32)\nMLP 1M params · batch 128 · 1 epoch\n1M samples\n"
        "epoch time: 8.33 min\ntime to train: 8.33 min (1 × epoch)\nthroughput: 2k samples/s\n"
        "estimate: roofline from the spec sheet"
    )


def test_time_to_train_names_its_fixed_overhead_when_there_is_one() -> None:
    p = point("cpu", 1_000, 10.0, epochs=2, fixed_overhead_s=1.5, time_to_train_s=21.5)
    [series] = _model([p]).series
    assert "\ntime to train: 21.5 s (2 × epoch + 1.5 s fixed overhead)\n" in series.marks[0].tip


def test_every_row_has_every_column_with_the_point_s_figures() -> None:
    rows = _model(measured_points(), estimate_points()).rows
    identity = {"device_name": "Test CPU", "precision": "fp32", "family": "mlp", "params": 1_000_000}
    assert rows[3] == {
        "series": "cpu",
        "device": "cpu",
        **identity,
        "samples": 1_000_000,
        "batch_size": 128,
        "epochs": 1,
        "kind": "extrapolated",
        "epoch_time_s": 100_000.0,
        "epoch_time_ci95_low_s": 90_000.0,
        "epoch_time_ci95_high_s": 120_000.0,
        "time_to_train_s": 100_000.0,
        "status": "ok",
        "message": "",
    }
    [a10g] = [r for r in rows if r["device"] == "A10G" and r["samples"] == 1_000_000]
    assert (a10g["kind"], a10g["epoch_time_ci95_low_s"], a10g["epoch_time_ci95_high_s"]) == ("estimate", "", "")
    assert all(list(r) == list(EPOCH_COLUMNS) for r in rows)


def test_a_point_without_a_time_to_train_has_a_blank_cell_and_no_time_to_train_line() -> None:
    p = point("cpu", 1_000, 10.0, time_to_train_s=None)
    m = _model([p])
    assert m.rows[0]["time_to_train_s"] == ""
    assert "time to train" not in m.series[0].marks[0].tip


def test_the_time_to_train_view_plots_time_to_train_and_the_epoch_view_epoch_time() -> None:
    measured, estimated = grid_points()
    by_metric = {
        metric: [(mk.x, mk.y) for mk in _model(measured, estimated, metric).series[0].marks]
        for metric in ("epoch", "train")
    }
    # grid_points: the CPU's epoch at 1M params takes samples × 1e-4 s; time to train is 10 epochs + 1 s
    assert by_metric["epoch"] == [(1e3, pytest.approx(0.1)), (1e4, pytest.approx(1.0)), (1e5, pytest.approx(10.0))]
    assert by_metric["train"] == [(1e3, pytest.approx(2.0)), (1e4, pytest.approx(11.0)), (1e5, pytest.approx(101.0))]


@pytest.mark.parametrize(
    ("epochs", "title"),
    [
        ((1,), "Time to train (1 epoch) vs dataset size"),
        ((2,), "Time to train (2 epochs) vs dataset size"),
        ((10,), "Time to train (10 epochs) vs dataset size"),
        ((1, 3), "Time to train (all epochs) vs dataset size"),
    ],
)
def test_the_time_to_train_title_says_how_many_epochs(epochs: tuple[int, ...], title: str) -> None:
    pts = [point("cpu", 1_000 * (i + 1), 10.0, epochs=e) for i, e in enumerate(epochs)]
    m = _model(pts, metric="train")
    assert m.title.split(" — ")[0] == title
    assert m.y_label == "time to train (s)"


def test_only_points_that_ran_and_measured_the_plotted_figure_are_plotted() -> None:
    pts = measured_points()[:2]  # cpu and cuda:0 at 1k samples
    # a failed run can still carry a partial epoch time; a throughput-only point has no epoch time to plot
    failed = dataclasses.replace(point("cpu", 10_000, 5.0), status="failed", message="killed")
    no_epoch = point("cpu", 100_000, None, samples_per_s=50.0, status="ok")
    zero = point("cpu", 1_000_000, 0.0)
    m = _model([*pts, failed, no_epoch, zero])
    assert [[mk.x for mk in s.marks] for s in m.series] == [[1_000.0], [1_000.0]]
    assert [f.x for f in m.failures] == [10_000.0]


def test_a_point_that_ran_keeps_its_message_in_its_row() -> None:
    p = point("cpu", 1_000, 10.0, message="batch lowered to fit memory")
    assert _model([p]).rows[0]["message"] == "batch lowered to fit memory"
