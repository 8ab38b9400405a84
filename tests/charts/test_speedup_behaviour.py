"""The speedup chart's number is CPU time ÷ GPU time, whichever figures the two points share."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpuwise.charts.model import ChartInputs
from gpuwise.charts.speedup import speedup_model
from gpuwise.core.report import Point
from tests.charts.samples import point

SAMPLES = 10_000
times = st.floats(min_value=1e-3, max_value=1e5)


def pair(cpu_s: float, gpu_s: float, basis: str) -> list[Point]:
    """A CPU and a GPU point taking ``cpu_s`` and ``gpu_s`` to train, sharing only the figures of ``basis``."""
    out = []
    for device, t in (("cpu", cpu_s), ("cuda:0", gpu_s)):
        p = point(device, SAMPLES, t)
        if basis != "time to train":
            p = dataclasses.replace(p, time_to_train_s=None)
        if basis == "throughput":
            p = dataclasses.replace(p, epoch_time_s=None)
        out.append(p)
    return out


@given(cpu_s=times, gpu_s=times, basis=st.sampled_from(["time to train", "epoch time", "throughput"]))
def test_speedup_is_cpu_time_over_gpu_time_on_every_basis(cpu_s: float, gpu_s: float, basis: str) -> None:
    model = speedup_model(ChartInputs(points=pair(cpu_s, gpu_s, basis), estimates=[], micro=[], machine={}))
    [series] = model.series
    [mark] = series.marks
    assert mark.y == pytest.approx(cpu_s / gpu_s, rel=1e-9)
    [row] = model.rows
    assert row["basis"] == basis
    assert row["speedup"] == pytest.approx(cpu_s / gpu_s, rel=1e-9)


def test_a_gpu_four_times_faster_by_throughput_is_a_4x_speedup() -> None:
    model = speedup_model(ChartInputs(points=pair(8.0, 2.0, "throughput"), estimates=[], micro=[], machine={}))
    [row] = model.rows
    assert (row["cpu_value"], row["gpu_value"], row["unit"]) == (SAMPLES / 8.0, SAMPLES / 2.0, "samples/s")
    assert row["speedup"] == pytest.approx(4.0)
