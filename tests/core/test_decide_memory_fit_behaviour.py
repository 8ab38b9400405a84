"""Memory fit (``gpuwise.core.decide.memory_fit``), stated as behaviour: whether a device can train the model at
this batch, the largest batch that fits, what memory a report says each device has, and the memory lines.

Written against the mutants of ``benchmarks/mutation.py memory_fit`` that the verdict tests let through.
"""

from __future__ import annotations

from typing import Any

import pytest

from gpuwise.core import estimate as est
from gpuwise.core.bench import memory
from gpuwise.core.bench.workloads import build_spec
from gpuwise.core.decide import memory_fit as memory_fit_module
from gpuwise.core.decide.memory_fit import cpu_available, grid_spec, measured_gpu_memory, memory_fit, memory_line
from gpuwise.core.decide.values import DeviceVerdict, Workload
from gpuwise.core.report import Report

W = Workload("mlp", 1_000_000, samples=1000, batch_size=256, precision="bf16", optimizer="sgd")
SPEC = build_spec("mlp", 1_000_000)


def need(spec: dict[str, Any] = SPEC, w: Workload = W) -> int:
    return memory.estimate_training_memory(spec, w.batch_size, optimizer=w.optimizer, precision=w.precision).total


def test_with_unknown_memory_only_the_need_is_known() -> None:
    assert memory_fit(SPEC, W, None) == (need(), None, None)


@pytest.mark.parametrize("spare", [0, 1, -1])
def test_a_model_fits_when_it_needs_at_most_the_available_memory(spare: int) -> None:
    n = need()
    got_need, fits, largest = memory_fit(SPEC, W, n + spare)
    assert got_need == n
    assert fits is (spare >= 0)
    assert largest == memory.largest_batch_that_fits(SPEC, n + spare, optimizer="sgd", precision="bf16")


def test_the_need_follows_the_batch_precision_and_optimizer_of_the_workload() -> None:
    fp32_adam = Workload("mlp", 1_000_000, samples=1000, batch_size=64)
    assert memory_fit(SPEC, fp32_adam, None)[0] == need(w=fp32_adam) != need()


@pytest.mark.parametrize("available", [None, 1 << 40, 1 << 10])
def test_a_spec_with_an_unhashable_value_is_still_sized(available: int | None) -> None:
    odd = {**SPEC, "tags": {"hand-edited"}}  # a set: no cache key can be made of it
    assert memory_fit(odd, W, available) == memory_fit(SPEC, W, available)
    assert memory_fit(odd, W, available)[1] is (None if available is None else available > need())


def test_the_same_question_gets_the_same_answer_from_the_cache() -> None:
    first = memory_fit(SPEC, W, 1 << 30)
    assert memory_fit(dict(SPEC), W, 1 << 30) == first
    assert memory_fit(SPEC, W, 1 << 10) != first  # another available amount is another question


def test_the_grid_spec_is_the_family_spec_of_that_size() -> None:
    assert grid_spec("mlp", 31_623) == build_spec("mlp", 31_623)
    assert grid_spec("cnn", 31_623) == build_spec("cnn", 31_623)
    assert grid_spec("mlp", 31_623) is grid_spec("mlp", 31_623)


def test_the_remembered_specs_are_bounded_and_the_oldest_go_first() -> None:
    cap = memory_fit_module._CACHE_MAX
    first = grid_spec("mlp", 20_000)
    for t in range(20_001, 20_001 + cap + 10):
        grid_spec("mlp", t)
    assert len(memory_fit_module._SPEC_CACHE) == cap
    assert grid_spec("mlp", 20_000 + cap + 10) is grid_spec("mlp", 20_000 + cap + 10)  # the newest are kept
    assert grid_spec("mlp", 20_000) is not first  # the oldest was dropped and is built again


# --- what the report says ----------------------------------------------------------------------------------------


def report(machine: dict[str, Any]) -> Report:
    return Report(machine=machine, points=[], micro=[], created="2026-01-01T00:00:00+00:00")


@pytest.mark.parametrize(
    ("cpu", "usable"),
    [
        ({"ram_available": 1000, "ram_total": 4000}, 850),
        ({"ram_available": 1, "ram_total": 4000}, 0),  # one byte is still what the report says is available
        ({"ram_available": 0, "ram_total": 4000}, 3400),
        ({"ram_available": None, "ram_total": 4000}, 3400),
        ({"ram_available": "1000", "ram_total": 4000}, 3400),
        ({"ram_total": 4000}, 3400),
        ({"ram_available": -5}, None),
        ({}, None),
        ("16 GB", None),
    ],
)
def test_the_cpu_has_a_usable_share_of_the_available_ram_else_of_the_total(cpu: Any, usable: int | None) -> None:
    assert memory.USABLE_FRACTION == 0.85
    assert cpu_available(report({"cpu": cpu})) == usable
    assert cpu_available(report({})) is None


def test_a_measured_gpu_has_a_usable_share_of_its_memory() -> None:
    gpus = [
        "not a gpu",
        {"id": "cuda:0", "memory_total": "80 GB"},
        {"id": "cuda:1", "memory_total": 1000},
        {"id": "cuda:0", "memory_total": 2000},
    ]
    rep = report({"gpus": gpus})
    assert measured_gpu_memory(rep, "cuda:0") == int(2000 * est.GPU_USABLE_FRACTION)
    assert measured_gpu_memory(rep, "cuda:1") == int(1000 * est.GPU_USABLE_FRACTION)
    assert measured_gpu_memory(rep, "cuda:2") is None
    assert measured_gpu_memory(report({}), "cuda:0") is None
    assert measured_gpu_memory(report({"gpus": None}), "cuda:0") is None


# --- the memory lines --------------------------------------------------------------------------------------------


def device(**kw: Any) -> DeviceVerdict:
    return DeviceVerdict(device="cuda:0", label="GPU X", kind="gpu", source="measured", basis="", **kw)


GIB = 1 << 30


@pytest.mark.parametrize(
    ("kw", "line"),
    [
        ({}, "GPU X: memory need unknown"),
        ({"memory_needed": 3 * GIB}, "GPU X: needs ~3 GiB at batch 256 (estimate); available memory unknown"),
        (
            {"memory_needed": 3 * GIB, "memory_available": 8 * GIB, "fits": True, "largest_batch": 700},
            "GPU X (8 GiB usable): fits — needs ~3 GiB at batch 256 (estimate); largest batch that fits ≈ 700",
        ),
        (
            {"memory_needed": 3 * GIB, "memory_available": 8 * GIB, "fits": True, "largest_batch": 65536},
            "GPU X (8 GiB usable): fits — needs ~3 GiB at batch 256 (estimate); largest batch that fits ≥ 65,536",
        ),
        (
            {"memory_needed": 3 * GIB, "memory_available": 8 * GIB, "fits": True, "largest_batch": 65535},
            "GPU X (8 GiB usable): fits — needs ~3 GiB at batch 256 (estimate); largest batch that fits ≈ 65,535",
        ),
        (
            {"memory_needed": 3 * GIB, "memory_available": 8 * GIB, "fits": True},
            "GPU X (8 GiB usable): fits — needs ~3 GiB at batch 256 (estimate); largest batch that fits ≈ 0",
        ),
        (
            {"memory_needed": 9 * GIB, "memory_available": 8 * GIB, "fits": False, "largest_batch": 1200},
            "GPU X (8 GiB usable): does NOT fit — needs ~9 GiB at batch 256 (estimate); largest batch that fits "
            "≈ 1,200",
        ),
        (
            {"memory_needed": 90 * GIB, "memory_available": 8 * GIB, "fits": False, "largest_batch": 0},
            "GPU X (8 GiB usable): cannot train this model at all — needs ~90 GiB at batch 256 (estimate), even "
            "batch 1 does not fit",
        ),
    ],
)
def test_the_memory_line_says_what_is_needed_what_is_usable_and_the_largest_batch(kw: Any, line: str) -> None:
    assert memory_line(device(**kw), W) == line
