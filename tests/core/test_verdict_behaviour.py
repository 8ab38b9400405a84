"""The verdict's break-even numbers, checked by what they mean rather than by a range they fall into.

Only the public names (``compute_verdict``, ``Workload``, ``Verdict``) are used, so these tests hold wherever the
verdict's internals live.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpuwise.core.bench.workloads import build_spec
from gpuwise.core.prices import PriceSettings
from gpuwise.core.report import MicroResult, Point, Report, StepStats
from gpuwise.core.verdict import Verdict, Workload, compute_verdict

A100 = {"id": "cuda:0", "name": "NVIDIA A100-SXM4-80GB", "memory_total": 80 << 30}
# Times long enough that every job near a break-even is billed past the 60 s minimum: cost then follows time and
# the break-even is where k (n a_g + F_g) = n a_c.
SAMPLES = 128_000  # 1000 steps of 128
CPU_STEP = 0.1  # s
GPU_STEP = 0.01  # s
GPU_FIXED = 100.0  # s
K = 5.0  # price ratio GPU/CPU
TOTAL_STEPS = 10_000  # 5 (0.01 n + 100) = 0.1 n: the CPU takes 1000 s there, the GPU 200 s


def point(device: str, params: int, step: float, *, fixed: float = 0.0, samples: int = SAMPLES) -> Point:
    """A measured MLP point whose epoch is exactly steps x step."""
    spec = build_spec("mlp", params)
    steps = math.ceil(samples / 128)
    return Point(
        device=device,
        family="mlp",
        params=spec["params"],
        architecture=spec,
        samples=samples,
        batch_size=128,
        epochs=1,
        precision="fp32",
        threads=2,
        optimizer="adam",
        status="ok",
        device_name="Test CPU" if device == "cpu" else A100["name"],
        samples_per_s=128 / step,
        step_time_s=StepStats(step, 0.0, (step, step), 20),
        epoch_time_s=steps * step,
        fixed_overhead_s=fixed,
        time_to_train_s=steps * step + fixed,
        flops_per_step=6.0 * spec["params"] * 128,
    )


def report(points: list[Point]) -> Report:
    ram = 16 << 30
    return Report(
        machine={
            "cpu": {"model": "Test CPU", "logical_cores": 2, "ram_total": ram, "ram_available": ram},
            "gpus": [A100],
        },
        points=points,
        created="2026-01-01T00:00:00+00:00",
        settings={"threads": 2},
        micro=[
            MicroResult("cpu", "matmul", "fp32", 1024, 100.0, "GFLOP/s"),
            MicroResult("cpu", "triad", "fp32", 1 << 26, 20.0, "GB/s"),
        ],
    )


def linear_report() -> Report:
    return report([point("cpu", 100_000, CPU_STEP), point("cuda:0", 100_000, GPU_STEP, fixed=GPU_FIXED)])


def primary(v: Verdict) -> float:
    g = next(g for g in v.gpus if g.device == v.primary)
    assert g.speedup is not None and g.price_ratio is not None
    assert g.price_ratio == pytest.approx(K)
    return g.speedup


@settings(max_examples=15, deadline=None)
@given(st.sampled_from([1, 2, 4, 5, 8, 10, 16, 20, 25, 40, 50]))
def test_break_even_dataset_size_scales_inversely_with_epochs(epochs: int) -> None:
    # the time model is linear in total steps = epochs x steps per epoch, so the break-even total is fixed
    rep = linear_report()
    w = Workload("mlp", 100_000, samples=SAMPLES, epochs=epochs)
    be = compute_verdict(rep, w, prices=PriceSettings(1.0, K)).break_even_samples
    assert be is not None and be.value is not None and be.direction == "above"
    assert be.value == pytest.approx(TOTAL_STEPS * 128 / epochs, rel=2e-3)
    assert f"{epochs} epoch" in be.reason


@pytest.mark.parametrize("epochs", [1, 4, 10])
def test_at_the_break_even_dataset_size_the_speedup_equals_the_price_ratio(epochs: int) -> None:
    rep = linear_report()
    prices = PriceSettings(1.0, K)
    be = compute_verdict(rep, Workload("mlp", 100_000, samples=SAMPLES, epochs=epochs), prices=prices)
    assert be.break_even_samples is not None and be.break_even_samples.value is not None
    n = round(be.break_even_samples.value)
    at = compute_verdict(rep, Workload("mlp", 100_000, samples=n, epochs=epochs), prices=prices)
    bigger = compute_verdict(rep, Workload("mlp", 100_000, samples=2 * n, epochs=epochs), prices=prices)
    smaller = compute_verdict(rep, Workload("mlp", 100_000, samples=n // 2, epochs=epochs), prices=prices)
    assert primary(at) == pytest.approx(K, rel=2e-3)
    assert primary(smaller) < K < primary(bigger)  # "the GPU pays above"
    assert at.outcome == bigger.outcome == "gpu_pays" and smaller.outcome == "stay_on_cpu"


def measured_curves(gpu_step: Callable[[int], float], ram: int = 1 << 30) -> Report:
    """CPU and GPU measured at every decade from 1k to 100M parameters; the CPU takes 1e-6 s per parameter."""
    pts = []
    for p in (10**e for e in range(3, 9)):
        n = build_spec("mlp", p)["params"]
        pts += [point("cpu", p, 1e-6 * n), point("cuda:0", p, gpu_step(n))]
    rep = report(pts)
    cpu = {**rep.machine["cpu"], "ram_total": ram, "ram_available": ram}
    return dataclasses.replace(rep, machine={**rep.machine, "cpu": cpu})


def test_break_even_model_size_is_where_the_measured_speedup_curves_cross_the_price_ratio() -> None:
    # CPU steps grow with the model (1e-6 s per parameter), the GPU's stay flat (0.1 s): speedup = params / 1e5,
    # exact under log-log interpolation between measured sizes, so it crosses k = 5 at 500k parameters (jobs of
    # 500 s and 100 s there: past the billing minimum, cost follows time)
    v = compute_verdict(
        measured_curves(lambda n: 0.1, ram=64 << 30),
        Workload("mlp", 1_000_000, samples=SAMPLES),
        prices=PriceSettings(1.0, K),
    )
    be = v.break_even_params
    assert be is not None and be.value is not None
    assert be.direction == "above"
    assert be.value == pytest.approx(K * 0.1 / 1e-6, rel=1e-4)
    assert be.pays_at(1_000_000) and not be.pays_at(400_000)


def test_a_cpu_with_a_large_start_up_makes_the_gpu_pay_at_any_dataset_size() -> None:
    rep = report([point("cpu", 100_000, CPU_STEP, fixed=1000.0), point("cuda:0", 100_000, GPU_STEP)])
    be = compute_verdict(rep, prices=PriceSettings(1.0, K)).break_even_samples
    assert be is not None and be.value is None and be.direction == ""
    assert be.pays_on == ((None, None),)
    assert be.reason.startswith("the GPU pays at every size from 1 to 1T")
    assert not be.estimated


def test_a_gpu_slower_per_step_than_its_price_pays_only_when_cpu_start_up_dominates() -> None:
    # 0.1 s + 1000 s start-up on the CPU, 0.05 s on the GPU at 5x the price: 0.1 s + 1000 = 0.25 s at s = 6667
    rep = report([point("cpu", 100_000, CPU_STEP, fixed=1000.0), point("cuda:0", 100_000, 0.05)])
    be = compute_verdict(rep, prices=PriceSettings(1.0, K)).break_even_samples
    assert be is not None and be.direction == "below" and be.value is not None
    assert be.value == pytest.approx(1000 / 0.15 * 128, rel=2e-3)
    assert be.pays_at(128) and not be.pays_at(2 * 1000 / 0.15 * 128)


def test_a_gpu_slower_per_step_than_its_price_never_pays_without_cpu_start_up() -> None:
    rep = report([point("cpu", 100_000, CPU_STEP), point("cuda:0", 100_000, 0.05)])
    be = compute_verdict(rep, prices=PriceSettings(1.0, K)).break_even_samples
    assert be is not None and be.value is None and be.pays_on == ()
    assert be.reason.startswith("the GPU does not pay at any size from 1 to 1T")


def test_the_break_even_reason_names_the_epochs_and_the_billing() -> None:
    w = Workload("mlp", 100_000, samples=SAMPLES, epochs=4)
    be = compute_verdict(linear_report(), w, prices=PriceSettings(1.0, K)).break_even_samples
    assert be is not None
    assert be.reason == "4 epochs at batch 128, fixed overheads included, per second billing"
    assert not be.estimated


def test_a_break_even_against_an_estimated_gpu_is_marked_estimated() -> None:
    rep = report([point("cpu", 100_000, CPU_STEP)])
    be = compute_verdict(rep, prices=PriceSettings(1.0, K, gpu="T4")).break_even_samples
    assert be is not None and be.estimated


def test_a_model_size_break_even_made_only_of_measurements_is_not_an_estimate() -> None:
    v = compute_verdict(
        measured_curves(lambda n: 0.1), Workload("mlp", 1_000_000, samples=SAMPLES), prices=PriceSettings(1.0, K)
    )
    be = v.break_even_params
    assert be is not None and be.value == pytest.approx(500_000, rel=1e-4)
    assert not be.estimated  # 1 GiB of RAM ends the curve at 31.6M, inside the measured sizes


def test_the_model_size_curve_ends_where_the_cpu_memory_runs_out() -> None:
    # the GPU is always 100x faster, and the dataset big enough (400 s on the CPU for the smallest model) that the
    # 60 s billing minimum never decides: it pays at every size the devices can hold
    rep = measured_curves(lambda n: 1e-8 * n)
    w = Workload("mlp", 1_000_000, samples=400 * SAMPLES)
    be = compute_verdict(rep, w, prices=PriceSettings(1.0, K)).break_even_params
    assert be is not None and be.value is None and not be.estimated
    assert be.reason.startswith("the GPU pays at every size from 1.01k to 31.6M")
    # 31.6M is the last size on the curve's grid (10^(n/4)) that fits in the CPU's 1 GiB; the next does not
    fits = [
        compute_verdict(
            rep, dataclasses.replace(w, params=build_spec("mlp", round(10**e))["params"]), prices=PriceSettings(1.0, K)
        ).cpu.fits
        for e in (7.5, 7.75)
    ]
    assert fits == [True, False]


def test_a_gpu_never_fast_enough_pays_at_no_model_size() -> None:
    rep = measured_curves(lambda n: 1e-6 * n / 2)  # the GPU is always 2x faster, k = 5
    be = compute_verdict(rep, Workload("mlp", 1_000_000, samples=SAMPLES), prices=PriceSettings(1.0, K))
    assert be.break_even_params is not None and be.break_even_params.value is None
    assert be.break_even_params.reason.startswith("the GPU does not pay at any size from 1.01k to 31.6M")
