"""The throughput chart (``gpuwise.charts.throughput``) stated as behaviour: which points it plots, what a point
measured at one or at several dataset sizes says on hover, and every CSV column.

Written against the mutants of ``benchmarks/mutation.py charts`` that the chart tests let through.
"""

from __future__ import annotations

import dataclasses

from gpuwise.charts.model import ChartInputs, ChartModel
from gpuwise.charts.throughput import THROUGHPUT_COLUMNS, throughput_model
from gpuwise.core.report import Point
from tests.charts.samples import estimate_points, measured_points, point


def _model(points: list[Point], estimates: list[Point] | None = None) -> ChartModel:
    return throughput_model(ChartInputs(points=points, estimates=estimates or [], micro=[], machine={}))


def test_a_model_measured_at_several_dataset_sizes_lists_each_under_the_median() -> None:
    m = _model(measured_points(), estimate_points())
    assert [(s.key, s.name, s.variant) for s in m.series] == [
        (("cpu", False), "cpu", 0),
        (("cuda:0", False), "cuda:0", 0),
        (("A10G", True), "A10G (estimate)", 0),
    ]
    cpu, _, a10g = m.series
    assert cpu.marks[0].tip == (
        "cpu · Test CPU (fp32, 2 threads)\nMLP 1M params · batch 128 · 1 epoch\n"
        "throughput: 10 samples/s (median over dataset sizes)\n"
        "1k: 10 samples/s, 10k: 10 samples/s, 100k: 10 samples/s, 1M: 10 samples/s\nmeasured"
    )
    assert a10g.marks[0].tip == (
        "A10G (estimate) · Test GPU (fp32)\nMLP 1M params · batch 128 · 1 epoch\n"
        "throughput: 110 samples/s (median over dataset sizes)\n"
        "1k: 2 samples/s, 10k: 20 samples/s, 100k: 200 samples/s, 1M: 2k samples/s\n"
        "estimate: roofline from the spec sheet"
    )


def test_the_sizes_under_the_median_are_listed_smallest_first_in_any_order_of_measuring() -> None:
    pts = [point("cpu", s, s / 10.0) for s in (100_000, 1_000, 10_000)]
    [series] = _model(pts).series
    assert "\n1k: 10 samples/s, 10k: 10 samples/s, 100k: 10 samples/s\n" in series.marks[0].tip


def test_a_model_measured_at_one_dataset_size_has_the_point_s_own_tooltip() -> None:
    [series] = _model([point("cpu", 1_000, 100.0)]).series
    assert series.marks[0].tip == (
        "cpu · Test CPU (fp32, 2 threads)\nMLP 1M params · batch 128 · 1 epoch\n1k samples\n"
        "epoch time: 100 s (95% CI 90 s–2 min)\ntime to train: 100 s (1 × epoch)\nthroughput: 10 samples/s\nmeasured"
    )
    [estimate] = _model([], estimate_points()[:1]).series
    assert estimate.marks[0].tip.endswith("\nthroughput: 2 samples/s\nestimate: roofline from the spec sheet")


def test_a_throughput_measured_in_an_extrapolated_epoch_is_itself_measured() -> None:
    [series] = _model([point("cpu", 1_000_000, 100_000.0)]).series  # epoch_time_extrapolated
    [mark] = series.marks
    assert mark.kind == "measured" and mark.tip.endswith("\nmeasured")
    assert _model([point("cpu", 1_000_000, 100_000.0)]).rows[0]["kind"] == "measured"


def test_a_point_that_measured_no_throughput_is_not_plotted() -> None:
    pts = [point("cpu", 1_000, 100.0), point("cuda:0", 1_000, 1.0, samples_per_s=0.0)]
    assert [s.name for s in _model(pts).series] == ["cpu"]


def test_every_row_has_every_column_with_the_point_s_figures() -> None:
    oom = measured_points()[-1]
    rows = _model([point("cpu", 1_000, 100.0), oom]).rows
    assert rows == [
        {
            "series": "cpu",
            "device": "cpu",
            "device_name": "Test CPU",
            "precision": "fp32",
            "family": "mlp",
            "batch_size": 128,
            "params": 1_000_000,
            "samples": 1_000,
            "kind": "measured",
            "samples_per_s": 10.0,
            "status": "ok",
            "message": "",
        },
        {
            "series": "cuda:0",
            "device": "cuda:0",
            "device_name": "Test GPU",
            "precision": "fp32",
            "family": "mlp",
            "batch_size": 128,
            "params": 1_000_000,
            "samples": 10_000_000,
            "kind": "failed",
            "samples_per_s": "",
            "status": "oom",
            "message": "CUDA out of memory. Tried to allocate 2.00 GiB",
        },
    ]
    assert all(list(r) == list(THROUGHPUT_COLUMNS) for r in rows)


def test_the_tooltip_of_a_merged_point_describes_its_first_point() -> None:
    first = point("cpu", 1_000, 100.0, epochs=1)
    later = dataclasses.replace(point("cpu", 10_000, 1_000.0), epochs=3)
    [series] = _model([first, later]).series
    assert series.marks[0].tip.split("\n")[1] == "MLP 1M params · batch 128 · 1 epoch"


def test_a_point_that_ran_keeps_its_message_in_its_row() -> None:
    p = point("cpu", 1_000, 10.0, message="batch lowered to fit memory")
    assert _model([p]).rows[0]["message"] == "batch lowered to fit memory"
