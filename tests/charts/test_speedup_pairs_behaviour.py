"""Which CPU point a GPU point's speedup is computed against, and on which figures (``gpuwise.charts.speedup_pairs``),
stated as behaviour for the cases the pairing tests leave open.

Written against the mutants of ``benchmarks/mutation.py charts`` that the chart tests let through.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from gpuwise.charts.series import dim_label
from gpuwise.charts.speedup_pairs import cpu_index, cpu_partner, speedup_basis
from gpuwise.core.report import Point
from tests.charts.samples import point


def test_a_job_of_n_epochs_without_a_recorded_overhead_is_n_epoch_times() -> None:
    cpu, gpu = (
        dataclasses.replace(point(d, 10_000, t), fixed_overhead_s=None) for d, t in (("cpu", 100.0), ("cuda:0", 10.0))
    )
    assert speedup_basis(cpu, gpu, epochs=2) == ("time to train 2 epochs", 200.0, 20.0, "s")


@pytest.mark.parametrize("missing_on", ["cpu", "cuda:0"])
def test_a_figure_only_one_side_has_is_never_the_basis(missing_on: str) -> None:
    def pt(device: str, **drop: Any) -> Point:
        p = point(device, 10_000, 100.0 if device == "cpu" else 10.0)
        return dataclasses.replace(p, **drop) if device == missing_on else p

    cpu = pt("cpu", time_to_train_s=None)
    gpu = pt("cuda:0", time_to_train_s=None)
    assert speedup_basis(cpu, gpu) == ("epoch time", 100.0, 10.0, "s")
    cpu = pt("cpu", time_to_train_s=None, epoch_time_s=None)
    gpu = pt("cuda:0", time_to_train_s=None, epoch_time_s=None)
    assert speedup_basis(cpu, gpu) == ("throughput", 100.0, 1000.0, "samples/s")
    cpu = pt("cpu", time_to_train_s=None, epoch_time_s=None, samples_per_s=None)
    gpu = pt("cuda:0", time_to_train_s=None, epoch_time_s=None, samples_per_s=None)
    assert speedup_basis(cpu, gpu) is None


def test_a_catalog_gpu_s_estimate_is_compared_with_this_machine_s_cpu_whatever_its_tag() -> None:
    mine, laptop = point("cpu", 10_000, 100.0), point("cpu · laptop", 10_000, 50.0)
    estimate = point("A10G · laptop", 10_000, 1.0, estimated=True)
    assert cpu_partner(estimate, cpu_index([laptop, mine])) is mine


def test_without_a_cpu_of_the_same_precision_an_fp32_cpu_is_preferred() -> None:
    gpu = point("cuda:0", 10_000, 1.0, precision="bf16")
    fp16, fp32 = point("cpu", 10_000, 90.0, precision="fp16"), point("cpu", 10_000, 100.0)
    assert cpu_partner(gpu, cpu_index([fp16, fp32])) is fp32


def test_a_cpu_of_the_same_batch_size_is_preferred() -> None:
    gpu = point("cuda:0", 10_000, 1.0, batch_size=128)
    other, same = point("cpu", 10_000, 90.0, batch_size=64), point("cpu", 10_000, 100.0, batch_size=128)
    assert cpu_partner(gpu, cpu_index([other, same])) is same


def test_an_unknown_curve_setting_is_refused_by_name() -> None:
    with pytest.raises(KeyError, match="optimizer"):
        dim_label("optimizer", point("cpu", 1_000, 1.0))
