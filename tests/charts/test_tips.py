"""What hovering a point says: what ran, what it measured and how it knows."""

from __future__ import annotations

import dataclasses

import pytest

from gpuwise.charts.tips import epoch_ci, failure_marks, kind_line, point_header, point_tip
from gpuwise.core.report import StepStats
from tests.charts.samples import point


def test_the_header_names_device_workload_and_size() -> None:
    assert point_header(point("cpu", 10_000, 1.0)) == (
        "cpu · Test CPU (fp32, 2 threads)\nMLP 1M params · batch 128 · 1 epoch\n10k samples"
    )
    gpu = point("cuda:0", 10_000, 1.0, device_name="cuda:0", epochs=3)
    assert point_header(gpu).startswith("cuda:0 (fp32)\nMLP 1M params · batch 128 · 3 epochs")


def test_a_measured_tip_has_every_figure_and_the_ci() -> None:
    p = dataclasses.replace(point("cpu", 10_000, 100.0), fixed_overhead_s=2.0, time_to_train_s=102.0, unstable=True)
    lines = point_tip(p, "measured").split("\n")[3:]
    assert lines == [
        "epoch time: 100 s (95% CI 90 s–2 min)",  # step CI 9–12 ms around 10 ms, scaled
        "time to train: 102 s (1 × epoch + 2 s fixed overhead)",
        "throughput: 100 samples/s",
        "measured",
        "unstable: step times varied by more than 10 %",
    ]


def test_the_kind_line_says_how_a_figure_was_made() -> None:
    p = point("cpu", 1_000_000, 1.0, dataset_resident_samples=200_000)
    assert kind_line(p, "extrapolated") == "extrapolated from 20 measured windows (200k samples held in RAM)"
    assert (
        kind_line(dataclasses.replace(p, step_time_s=None), "extrapolated") == "extrapolated (200k samples held in RAM)"
    )
    assert kind_line(point("A10G", 1, 1.0, estimate_basis="roofline"), "estimate") == "estimate: roofline"
    assert kind_line(point("A10G", 1, 1.0), "estimate") == "estimate (not measured)"
    assert kind_line(p, "measured") == "measured"


def test_the_epoch_ci_scales_the_step_time_ci() -> None:
    p = point("cpu", 1_000, 50.0, step_time_s=StepStats(0.5, 0.01, (0.4, 0.7), 20))
    assert epoch_ci(p) == pytest.approx((40.0, 70.0))
    assert epoch_ci(dataclasses.replace(p, step_time_s=None)) == (None, None)
    assert epoch_ci(dataclasses.replace(p, epoch_time_s=None)) == (None, None)
    assert epoch_ci(dataclasses.replace(p, step_time_s=StepStats(0.0, 0.0, (0.0, 0.0), 1))) == (None, None)


def test_failures_are_marked_at_their_x_with_their_message() -> None:
    ok = point("cpu", 1_000, 1.0)
    oom = point("cuda:0", 10_000, None, status="oom")
    silent = dataclasses.replace(point("cuda:0", 20_000, None, status="failed"), message="  ")
    marks = failure_marks([ok, oom, silent], lambda p: p.samples)
    assert [m.x for m in marks] == [10_000.0, 20_000.0]
    assert marks[0].tip.endswith("\nOOM: CUDA out of memory. Tried to allocate 2.00 GiB")
    assert marks[1].tip.endswith("\nFAILED: no message")
