"""The speedup chart's model: each GPU against its own CPU, break-even lines, crossovers, notes and rows."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from gpuwise.charts.model import DEFAULT_PRICE_RATIO, PLACEHOLDER, ChartInputs, ChartModel
from gpuwise.charts.speedup import SPEEDUP_COLUMNS, speedup_model
from gpuwise.core.decide import PriceBook
from gpuwise.core.report import Point
from tests.charts.samples import (
    CPU_PER_SAMPLE_S,
    CROSSOVER_A10G,
    CROSSOVER_CUDA,
    GPU_EPOCH_S,
    SAMPLES,
    estimate_points,
    grid_points,
    measured_points,
)


def test_speedup_of_a_compared_report_pairs_each_gpu_with_its_own_cpu() -> None:
    here = measured_points()
    there = [dataclasses.replace(p, device=f"{p.device} · laptop") for p in measured_points()]
    # The laptop's CPU is 10× slower: its GPU speedup is 10× higher than ours.
    there = [
        dataclasses.replace(p, epoch_time_s=p.epoch_time_s * 10, time_to_train_s=p.epoch_time_s * 10)
        if p.device.startswith("cpu") and p.epoch_time_s
        else p
        for p in there
    ]
    model = speedup_model(ChartInputs(points=here + there, estimates=[], micro=[], machine={}))
    by_name = {s.name: [m.y for m in s.marks] for s in model.series}
    assert set(by_name) == {"cuda:0", "cuda:0 · laptop"}
    np.testing.assert_allclose(by_name["cuda:0 · laptop"], np.array(by_name["cuda:0"]) * 10)


def _model(points: list[Point] | None = None, estimates: list[Point] | None = None, **kw: Any) -> ChartModel:
    pts = measured_points() if points is None else points
    est = estimate_points() if estimates is None else estimates
    return speedup_model(ChartInputs(points=pts, estimates=est, micro=[], machine={}, **kw))


def test_speedup_is_cpu_time_over_gpu_time_at_each_dataset_size() -> None:
    m = _model()
    curves = {s.name: [(mk.x, mk.y) for mk in s.marks] for s in m.series}
    assert curves["cuda:0"] == [(float(s), pytest.approx(s * CPU_PER_SAMPLE_S / GPU_EPOCH_S)) for s in SAMPLES]
    assert [mk.kind for mk in m.series[0].marks] == ["measured"] * 3 + ["extrapolated"]
    assert {mk.kind for s in m.series if s.estimated for mk in s.marks} == {"estimate"}
    assert m.x_label == "dataset size (samples)" and m.y_label == "speedup, GPU vs CPU (×)"


def test_each_gpu_crosses_break_even_where_its_job_gets_cheaper() -> None:
    m = _model()
    found = {c.device: c for c in m.crossovers}
    assert found["cuda:0"].x == pytest.approx(CROSSOVER_CUDA, rel=1e-9)
    assert (found["cuda:0"].direction, found["cuda:0"].estimated) == ("up", False)
    assert found["cuda:0"].y == pytest.approx(DEFAULT_PRICE_RATIO)  # the star sits on the break-even line
    assert found["A10G"].x == pytest.approx(CROSSOVER_A10G, rel=1e-9) and found["A10G"].estimated
    assert [n.text for n in m.notes] == [
        "cuda:0: GPU pays above ~30k samples",
        "A10G (estimate): GPU pays above ~15k samples",
    ]
    crossing = [r for r in m.rows if r["kind"] == "crossover"]
    assert sorted(round(r["samples"]) for r in crossing) == [15_000, 30_000]


def test_one_break_even_line_at_the_price_ratio() -> None:
    [line] = _model().hlines
    assert (line.y, line.role, line.device) == (DEFAULT_PRICE_RATIO, "break-even", None)
    assert line.label == "break-even: GPU price/hour = 3.0× CPU's" and line.short == "break-even 3.0×"
    [line] = _model(pricing=PriceBook.flat(5.0)).hlines
    assert line.y == 5.0
    # at 5× the CPU's price the GPU pays later: 10^(4 + log10 5) = 50k samples
    assert {c.device: round(c.x) for c in _model(pricing=PriceBook.flat(5.0)).crossovers}["cuda:0"] == 50_000


def test_a_gpu_that_always_or_never_pays_says_so() -> None:
    fast = [p for p in measured_points() if p.status == "ok" and p.samples >= 100_000]
    [note] = _model(fast, []).notes
    assert note.text.startswith("GPU pays at every size measured (≥ 10")
    slow = [p for p in measured_points() if p.status == "ok" and p.samples <= 10_000]
    [note] = _model(slow, []).notes
    assert note.text.startswith("GPU does not pay at any size measured (best 1")


def test_estimates_alone_are_labelled_estimate() -> None:
    cpu_only = [p for p in measured_points() if p.device == "cpu"]
    m = _model(cpu_only)
    [cross] = m.crossovers
    assert cross.text == "GPU pays above ~15k samples (estimate)"
    assert [s.name for s in m.series] == ["A10G (estimate)"]


def test_without_a_gpu_the_placeholder_says_what_is_missing() -> None:
    cpu_only = [p for p in measured_points() if p.device == "cpu"]
    m = _model(cpu_only, [])
    assert not m.has_data
    assert m.placeholder == "A speedup needs a GPU (measured or estimated) and the CPU at the same sizes"
    assert _model([], []).placeholder == PLACEHOLDER


def test_with_both_sizes_swept_one_dataset_size_is_drawn_against_model_size() -> None:
    measured, estimated = grid_points()
    m = _model(measured, estimated)
    assert m.x_label == "model size (parameters)"
    assert {r["samples"] for r in m.rows if r["kind"] != "crossover"} == {100_000}  # the largest by default
    assert [s.name for s in m.series] == ["cuda:0", "A10G (estimate)"]
    assert "100k samples" in m.title
    small = _model(measured, estimated, speedup_samples=1_000)
    assert {r["samples"] for r in small.rows if r["kind"] != "crossover"} == {1_000}


def test_job_epochs_compare_the_time_to_train_that_many_epochs() -> None:
    measured, _ = grid_points()
    m = _model([dataclasses.replace(p, fixed_overhead_s=1.0) for p in measured], [], job_epochs=3)
    [row] = [r for r in m.rows if r["params"] == 10_000 and r["kind"] != "crossover"]
    # 3 epochs plus 1 s of fixed overhead on each side (grid points: epoch = samples × params × per-sample cost)
    epoch_cpu, epoch_gpu = 100_000 * 10_000 * 1e-10, 100_000 * 10_000 * 1e-11
    assert row["basis"] == "time to train 3 epochs"
    assert row["speedup"] == pytest.approx((3 * epoch_cpu + 1) / (3 * epoch_gpu + 1))
    assert "3 epochs" in m.title


def test_rows_follow_the_columns_and_failures_land_in_the_gpu_column() -> None:
    m = _model()
    assert all(list(r) == list(SPEEDUP_COLUMNS) for r in m.rows)
    [failed] = [r for r in m.rows if r["kind"] == "failed"]
    assert (failed["gpu"], failed["cpu"], failed["status"]) == ("cuda:0", "", "oom")
    [failure] = m.failures
    assert failure.x == 10_000_000
    ok = [r for r in m.rows if r["kind"] in ("measured", "extrapolated")]
    assert {r["pays"] for r in ok} == {"yes", "no"}
