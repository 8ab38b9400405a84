"""The speedup chart's model: each GPU against its own CPU, break-even lines, crossovers, notes and rows."""

from __future__ import annotations

import dataclasses

import numpy as np

from gpuwise.charts.model import ChartInputs
from gpuwise.charts.speedup import speedup_model
from tests.charts.samples import measured_points


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
