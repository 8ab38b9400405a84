"""Memory pre-flight: the estimate of what training needs, before anything is allocated."""

from __future__ import annotations

import pytest

from gpuwise.core.bench import families
from gpuwise.core.bench.memory import (
    USABLE_FRACTION,
    MemoryEstimate,
    available_memory,
    estimate_training_memory,
    largest_batch_that_fits,
)
from gpuwise.core.bench.workloads import activation_floats_per_sample, build_spec
from gpuwise.core.errors import UserInputError

FAMILIES = families.resizable_names()  # the families built to a requested size

GiB = 2**30


def test_adam_fp32_is_sixteen_bytes_per_parameter_plus_activations() -> None:
    spec = build_spec("mlp", 10_000_000)
    p = spec["params"]
    est = estimate_training_memory(spec, 128)
    assert isinstance(est, MemoryEstimate)
    assert est.weights == 4 * p
    assert est.gradients == 4 * p
    assert est.optimizer_state == 8 * p
    assert est.weights + est.gradients + est.optimizer_state == 16 * p
    assert est.activations == activation_floats_per_sample(spec) * 128 * 4
    parts = est.weights + est.gradients + est.optimizer_state + est.activations + est.batch
    assert parts <= est.total <= 1.5 * parts  # slack for workspace and fragmentation, not a different model
    assert est.total >= 16 * p


def test_sgd_needs_less_than_adam() -> None:
    spec = build_spec("transformer", 5_000_000)
    adam = estimate_training_memory(spec, 64, optimizer="adam")
    sgd = estimate_training_memory(spec, 64, optimizer="sgd")
    assert sgd.optimizer_state == 0
    assert sgd.total < adam.total
    assert adam.total - sgd.total >= 8 * spec["params"]


def test_half_precision_activations_are_smaller() -> None:
    spec = build_spec("cnn", 1_000_000)
    fp32 = estimate_training_memory(spec, 64, precision="fp32")
    bf16 = estimate_training_memory(spec, 64, precision="bf16")
    assert bf16.activations * 2 == fp32.activations
    assert bf16.weights == fp32.weights  # fp32 master weights stay


@pytest.mark.parametrize("family", FAMILIES)
def test_estimate_grows_with_batch_and_size(family: str) -> None:
    small = build_spec(family, 100_000)
    big = build_spec(family, 10_000_000)
    assert estimate_training_memory(small, 32).total < estimate_training_memory(small, 256).total
    assert estimate_training_memory(small, 32).total < estimate_training_memory(big, 32).total


def test_unknown_optimizer_is_a_user_error() -> None:
    with pytest.raises(UserInputError, match="unknown optimizer"):
        estimate_training_memory(build_spec("mlp", 10_000), 8, optimizer="lion")


def test_largest_batch_that_fits_is_monotone_in_memory() -> None:
    spec = build_spec("cnn", 1_000_000)
    batches = [largest_batch_that_fits(spec, gib * GiB // 8) for gib in (1, 2, 4, 8, 16, 32, 64)]
    assert batches == sorted(batches)
    assert batches[-1] > batches[0] > 0
    for b, avail in zip(batches, (gib * GiB // 8 for gib in (1, 2, 4, 8, 16, 32, 64)), strict=True):
        assert b & (b - 1) == 0  # a power of two
        assert estimate_training_memory(spec, b).total <= avail
        if b < 65536:
            assert estimate_training_memory(spec, 2 * b).total > avail


def test_largest_batch_is_zero_when_nothing_fits() -> None:
    assert largest_batch_that_fits(build_spec("mlp", 100_000_000), 100 * 2**20) == 0


def test_ten_billion_parameters_do_not_fit_in_24_gib() -> None:
    spec = build_spec("mlp", 10_000_000_000)
    est = estimate_training_memory(spec, 1)
    assert est.total > 24 * GiB
    assert est.total > 150e9  # 16 bytes x 10B parameters
    assert largest_batch_that_fits(spec, 24 * GiB) == 0
    assert largest_batch_that_fits(spec, 24 * GiB, optimizer="sgd") == 0


def test_available_memory() -> None:
    cpu = available_memory("cpu")
    assert cpu is not None and cpu > 0
    assert available_memory("tpu:0") is None
    assert 0 < USABLE_FRACTION < 1


def test_available_memory_cuda_without_cuda_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert available_memory("cuda:0") is None


def test_available_memory_cuda_reads_the_free_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    seen = []

    def mem_get_info(device: torch.device) -> tuple[int, int]:
        seen.append(device)
        return 3 * GiB, 80 * GiB

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "mem_get_info", mem_get_info)
    assert available_memory("cuda:1") == 3 * GiB
    assert seen == [torch.device("cuda:1")]
