"""Which CPU point a GPU point is compared with, and on which figures."""

from __future__ import annotations

import dataclasses

from gpuwise.charts.speedup_pairs import cpu_index, cpu_partner, speedup_basis
from tests.charts.samples import point


def test_the_partner_is_the_same_workload_on_the_same_machine_measured_before_estimated() -> None:
    gpu = point("cuda:0", 10_000, 1.0, precision="bf16")
    measured_fp32 = point("cpu", 10_000, 100.0)
    measured_bf16 = point("cpu", 10_000, 90.0, precision="bf16")
    estimated_bf16 = point("cpu", 10_000, 80.0, precision="bf16", estimated=True)
    other_size = point("cpu", 1_000, 10.0, precision="bf16")
    laptop = point("cpu · laptop", 10_000, 50.0, precision="bf16")
    index = cpu_index([estimated_bf16, other_size, laptop, measured_fp32, measured_bf16])
    assert cpu_partner(gpu, index) is measured_bf16  # same precision beats fp32; measured beats estimated
    assert cpu_partner(gpu, cpu_index([estimated_bf16, measured_fp32])) is measured_fp32
    assert cpu_partner(gpu, cpu_index([other_size])) is None
    # a compared report's GPU is compared with its own machine's CPU
    assert cpu_partner(point("cuda:0 · laptop", 10_000, 1.0, precision="bf16"), index) is laptop


def test_the_first_point_of_one_setting_is_kept() -> None:
    first, again = point("cpu", 10_000, 100.0), point("cpu", 10_000, 200.0)
    assert cpu_partner(point("cuda:0", 10_000, 1.0), cpu_index([first, again])) is first


def test_the_basis_is_what_both_points_have_the_bill_first() -> None:
    cpu, gpu = point("cpu", 10_000, 100.0), point("cuda:0", 10_000, 10.0)
    assert speedup_basis(cpu, gpu) == ("time to train", 100.0, 10.0, "s")
    with_overhead = [dataclasses.replace(p, fixed_overhead_s=2.0) for p in (cpu, gpu)]
    assert speedup_basis(*with_overhead, epochs=3) == ("time to train 3 epochs", 302.0, 32.0, "s")
    assert speedup_basis(cpu, gpu, epochs=1)[0] == "time to train 1 epoch"  # type: ignore[index]
    no_train = [dataclasses.replace(p, time_to_train_s=None) for p in (cpu, gpu)]
    assert speedup_basis(*no_train) == ("epoch time", 100.0, 10.0, "s")
    rates = [dataclasses.replace(p, epoch_time_s=None) for p in no_train]
    assert speedup_basis(*rates) == ("throughput", 100.0, 1000.0, "samples/s")
    nothing = [dataclasses.replace(p, samples_per_s=None) for p in rates]
    assert speedup_basis(*nothing) is None
