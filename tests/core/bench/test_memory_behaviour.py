"""Memory pre-flight (``gpuwise.core.bench.memory``), stated as behaviour: the parts of the estimate, the largest
batch at the edges, and what memory each device reports.

Written against the mutants of ``benchmarks/mutation.py memory`` that the memory tests let through.
"""

from __future__ import annotations

import re

import pytest

from gpuwise.core.bench.memory import (
    available_memory,
    check_optimizer,
    estimate_training_memory,
    largest_batch_that_fits,
)
from gpuwise.core.bench.workloads import activation_floats_per_sample, build_spec, input_bytes_per_sample
from gpuwise.core.errors import UserInputError

SPEC = build_spec("cnn", 1_000_000)


def test_the_total_is_the_sum_of_the_parts_plus_a_fifth_for_slack() -> None:
    e = estimate_training_memory(SPEC, 64, optimizer="sgd", precision="bf16")
    assert e.batch == input_bytes_per_sample(SPEC) * 64
    assert e.activations == activation_floats_per_sample(SPEC) * 64 * 2
    assert e.total == int((e.weights + e.gradients + e.optimizer_state + e.activations + e.batch) * 1.2)


def test_a_precision_without_a_known_width_is_sized_like_fp32() -> None:
    assert estimate_training_memory(SPEC, 8, precision="fp64").activations == (
        estimate_training_memory(SPEC, 8, precision="fp32").activations
    )


def test_the_optimizer_name_is_read_without_case_or_spaces_and_refused_plainly() -> None:
    assert check_optimizer(" SGD ") == "sgd"
    with pytest.raises(UserInputError, match=re.escape("unknown optimizer 'lion' (choose from adam, sgd)")):
        check_optimizer("lion")


def need(batch: int, **kw: str) -> int:
    return estimate_training_memory(SPEC, batch, **kw).total


@pytest.mark.parametrize("batch", [1, 8, 65536])
def test_a_batch_that_needs_exactly_the_memory_fits(batch: int) -> None:
    assert largest_batch_that_fits(SPEC, need(batch)) == batch
    assert largest_batch_that_fits(SPEC, need(batch) - 1) == batch // 2


def test_the_largest_batch_stops_at_65536() -> None:
    assert largest_batch_that_fits(SPEC, 1 << 50) == 65536


@pytest.mark.parametrize(("optimizer", "precision"), [("sgd", "fp32"), ("adam", "bf16")])
def test_the_largest_batch_follows_the_optimizer_and_precision(optimizer: str, precision: str) -> None:
    kw = {"optimizer": optimizer, "precision": precision}
    assert need(64, **kw) < need(64)
    assert largest_batch_that_fits(SPEC, need(64, **kw), **kw) == 64
    assert largest_batch_that_fits(SPEC, need(64, **kw)) < 64  # adam in fp32 needs more


def test_mps_memory_is_what_the_os_has_available() -> None:
    got = available_memory("mps")
    assert isinstance(got, int) and got > 0
    assert available_memory("tpu:0") is None
