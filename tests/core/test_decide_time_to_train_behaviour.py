"""Time to train on one device (``gpuwise.core.decide.time_to_train``), stated as behaviour: which measurement
stands for the workload, how it is scaled or interpolated, and how an estimate is made and anchored.

Written against the mutants of ``benchmarks/mutation.py time_to_train`` that the verdict tests let through.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from gpuwise.core import estimate as est
from gpuwise.core.bench.workloads import analytic_flops_per_step, build_spec
from gpuwise.core.decide.time_to_train import Timing, candidates, known_flops, timing
from gpuwise.core.decide.values import Workload
from gpuwise.core.report import Point, StepStats
from gpuwise.core.units import format_count

BATCH = 128


def point(
    params: int,
    step: float,
    *,
    samples: int = 1280,
    device: str = "cpu",
    ci: tuple[float, float] | None = None,
    epoch_s: float | None = None,
    fixed: float | None = 0.0,
    flops: float | None = None,
    precision: str = "fp32",
    optimizer: str = "adam",
    **kw: Any,
) -> Point:
    """A measured MLP point of about ``params`` parameters with a ``step``-second median step."""
    spec = build_spec("mlp", params)
    return Point(
        device=device,
        family="mlp",
        params=spec["params"],
        architecture=spec,
        samples=samples,
        batch_size=BATCH,
        epochs=1,
        precision=precision,
        threads=2,
        optimizer=optimizer,
        status="ok",
        step_time_s=StepStats(step, 0.0, ci or (step, step), 20),
        epoch_time_s=epoch_s,
        fixed_overhead_s=fixed,
        flops_per_step=flops,
        **kw,
    )


def size(params: int) -> int:
    return int(build_spec("mlp", params)["params"])


def measured(points: list[Point], params: int, samples: int = 1280, **kw: Any) -> Timing:
    w = Workload("mlp", size(params), samples=samples, batch_size=BATCH, **kw)
    t = timing(None, points, "cpu", build_spec("mlp", params), w, "analytic")
    assert t is not None
    return t


# --- Timing ----------------------------------------------------------------------------------------------------


def test_a_measured_epoch_stands_for_its_own_dataset_size_only() -> None:
    t = Timing("measured", "", 0.1, 0.1, 0.1, 5.0, epoch_s=50.0, epoch_samples=1000)
    assert t.time_at(1000, 2, BATCH)[0] == pytest.approx(2 * 50.0 + 5.0)
    assert t.time_at(1001, 2, BATCH)[0] == pytest.approx(2 * 8 * 0.1 + 5.0)  # 8 steps of 128


def test_a_timing_without_a_measured_epoch_scales_its_step_at_every_size() -> None:
    t = Timing("scaled", "", 0.1, 0.1, 0.1, 5.0, epoch_s=None, epoch_samples=1000)
    assert t.time_at(1000, 1, BATCH)[0] == pytest.approx(8 * 0.1 + 5.0)


def test_the_time_range_scales_the_training_with_the_step_range_and_keeps_the_fixed_overhead() -> None:
    t = Timing("scaled", "", 0.1, 0.05, 0.2, 10.0)
    central, (lo, hi) = t.time_at(1280, 3, BATCH)  # 30 steps
    assert central == pytest.approx(30 * 0.1 + 10.0)
    assert lo == pytest.approx(30 * 0.05 + 10.0)
    assert hi == pytest.approx(30 * 0.2 + 10.0)


# --- which points stand for the workload -----------------------------------------------------------------------


def test_a_point_with_a_zero_step_time_is_no_candidate() -> None:
    w = Workload("mlp", size(10_000), samples=1280)
    good, zero = point(10_000, 0.1), point(10_000, 0.0)
    assert candidates([good, zero], "cpu", w) == [good]


def test_the_known_flop_count_is_for_this_very_model_and_batch() -> None:
    spec = build_spec("mlp", 10_000)
    other_batch = dataclasses.replace(point(10_000, 0.1, flops=1.0), batch_size=64)
    other_model = point(20_000, 0.1, flops=2.0)
    uncounted = point(10_000, 0.1, flops=None)
    counted = point(10_000, 0.1, flops=4.0)
    assert known_flops([other_batch, other_model, uncounted, counted], spec, BATCH) == 4.0
    assert known_flops([other_batch, other_model, uncounted], spec, BATCH) is None


# --- measured and scaled ---------------------------------------------------------------------------------------


def test_the_point_measured_at_the_workload_dataset_size_is_used_with_its_epoch() -> None:
    # 1280 samples: 10 steps, but this run's epoch took 3 s (not 10 x 0.1); a larger run of the same model exists
    pts = [point(10_000, 0.1, samples=1280, epoch_s=3.0, fixed=1.0), point(10_000, 0.2, samples=12_800, epoch_s=2.0)]
    t = measured(pts, 10_000, samples=1280)
    assert t.source == "measured" and t.basis == "measured"
    assert t.time_at(1280, 1, BATCH)[0] == pytest.approx(3.0 + 1.0)
    assert (t.epoch_s, t.epoch_samples) == (3.0, 1280)


def test_an_extrapolated_epoch_says_so() -> None:
    pts = [point(10_000, 0.1, samples=1280, epoch_s=1.0, epoch_time_extrapolated=True)]
    assert measured(pts, 10_000).basis == "measured (epoch time extrapolated from measured steps)"


def test_another_dataset_size_scales_the_step_of_the_largest_measured_run() -> None:
    pts = [
        point(10_000, 0.1, samples=1280, epoch_s=1.0, fixed=1.0),
        point(10_000, 0.02, samples=5000, epoch_s=0.8, fixed=2.0, ci=(0.01, 0.04)),
    ]
    t = measured(pts, 10_000, samples=12_800)
    assert t.source == "scaled"
    assert (t.step, t.step_lo, t.step_hi, t.fixed) == (0.02, 0.01, 0.04, 2.0)
    assert t.basis == "measured step time (20 ms at 5k samples) × 100 steps/epoch + measured fixed overhead"
    assert t.time_at(12_800, 1, BATCH)[0] == pytest.approx(100 * 0.02 + 2.0)


# --- interpolated ----------------------------------------------------------------------------------------------


def test_an_interpolated_timing_names_the_measured_sizes_around_it() -> None:
    pts = [point(1_000, 0.01), point(10_000, 0.02), point(100_000, 0.08)]
    t = measured(pts, 30_000)
    assert t.source == "interpolated"
    assert t.basis == (
        f"interpolated (log-log) between measured {format_count(size(10_000))} and "
        f"{format_count(size(100_000))} parameter points"
    )


def test_an_interpolated_range_and_fixed_overhead_follow_the_measured_ones() -> None:
    # both sizes measured with a CI of -10 % / +20 % around steps of 10 ms and 40 ms, fixed overheads 2 s and 8 s
    lo_p, hi_p, target = size(10_000), size(100_000), size(31_623)
    pts = [
        point(10_000, 0.01, ci=(0.009, 0.012), fixed=2.0),
        point(100_000, 0.04, ci=(0.036, 0.048), fixed=8.0),
    ]
    t = measured(pts, 31_623)
    frac = (math.log(target) - math.log(lo_p)) / (math.log(hi_p) - math.log(lo_p))  # along the log-log line
    assert t.step == pytest.approx(0.01 * 4.0**frac, rel=1e-9)
    assert t.step_lo == pytest.approx(0.9 * t.step, rel=1e-9)
    assert t.step_hi == pytest.approx(1.2 * t.step, rel=1e-9)
    assert t.fixed == pytest.approx(2.0 * 4.0**frac, rel=1e-9)


def test_an_interpolated_range_always_contains_the_step() -> None:
    # a hand-edited report can hold a CI whose low end is above the median: the range still holds the step
    pts = [point(10_000, 0.01, ci=(0.011, 0.013)), point(100_000, 0.04, ci=(0.044, 0.052))]
    t = measured(pts, 31_623)
    assert t.step_lo == t.step
    assert t.step_hi == pytest.approx(1.3 * t.step, rel=1e-9)


# --- estimated -------------------------------------------------------------------------------------------------

H100 = est.gpu_model("H100 SXM")
# estimates of models this big are limited by compute and memory traffic (smaller ones: by the host), so the
# precision, the optimizer and the FLOP count all show in the step time


def estimated(points: list[Point], params: int, model: est.DeviceModel = H100, **kw: Any) -> Timing:
    w = Workload("mlp", size(params), samples=1280, batch_size=BATCH, **kw)
    t = timing(model, points, model.name if model.kind == "gpu" else "cpu", build_spec("mlp", params), w, "analytic")
    assert t is not None
    return t


@pytest.mark.parametrize(("precision", "optimizer"), [("fp32", "adam"), ("bf16", "sgd")])
def test_an_estimate_is_the_estimator_step_and_band_for_the_workload(precision: str, optimizer: str) -> None:
    t = estimated([], 1_000_000_000, precision=precision, optimizer=optimizer)
    e = est.estimate_step(
        H100, build_spec("mlp", 1_000_000_000), BATCH, precision=precision, optimizer=optimizer, flops_method="analytic"
    )
    assert t.source == "estimate"
    assert (t.step, t.step_lo, t.step_hi) == (e.step_s, e.band[0], e.band[1])
    assert t.basis.endswith("FLOPs/step (analytic); limited by " + e.bound)


def test_an_estimate_uses_the_flop_count_a_measured_point_has_for_this_model() -> None:
    spec = build_spec("mlp", 1_000_000_000)
    flops = 3.0 * analytic_flops_per_step(spec, BATCH)
    elsewhere = point(1_000_000_000, 0.5, device="cpu", flops=flops)  # another device: counted FLOPs, no anchor
    t = estimated([elsewhere], 1_000_000_000)
    assert t.source == "estimate"
    assert f"{format_count(flops)} FLOPs/step (given)" in t.basis
    assert t.step == est.estimate_step(H100, spec, BATCH, flops=flops, flops_method="analytic").step_s


def test_an_estimate_fixed_overhead_is_start_up_plus_copying_the_weights_once() -> None:
    params = size(1_000_000_000)
    assert H100.host_link_gbs
    gpu_t = estimated([], 1_000_000_000)
    assert gpu_t.fixed == pytest.approx(H100.fixed_overhead_s + 4 * params / (H100.host_link_gbs * 1e9), rel=1e-12)
    cpu = est.cpu_model(None)
    assert cpu.host_link_gbs is None
    assert estimated([], 1_000_000, model=cpu).fixed == cpu.fixed_overhead_s


@pytest.mark.parametrize("counted", [True, False])
def test_an_anchored_estimate_is_scaled_by_how_far_the_estimator_was_off_at_the_measured_size(counted: bool) -> None:
    spec, near_spec = build_spec("mlp", 1_000_000_000), build_spec("mlp", 300_000_000)
    near_flops = 2.0 * analytic_flops_per_step(near_spec, BATCH) if counted else None
    near = point(300_000_000, 0.003, device=H100.name, fixed=7.0, flops=near_flops, precision="bf16", optimizer="sgd")
    t = estimated([near], 1_000_000_000, precision="bf16", optimizer="sgd")

    def e(s: dict[str, Any], flops: float | None) -> est.StepEstimate:
        return est.estimate_step(
            H100, s, BATCH, precision="bf16", optimizer="sgd", flops=flops, flops_method="analytic"
        )

    factor = 0.003 / e(near_spec, near_flops).step_s
    assert factor != pytest.approx(1.0, rel=0.05)
    target = e(spec, None)
    assert t.source == "extrapolated"
    assert t.step == pytest.approx(target.step_s * factor, rel=1e-12)
    assert (t.step_lo, t.step_hi) == pytest.approx((target.band[0] * factor, target.band[1] * factor), rel=1e-12)
    assert t.fixed == 7.0  # the measured start-up
    assert f"scaled ×{factor:.2f} to match the measured {format_count(size(300_000_000))}-parameter point" in t.basis


def test_an_anchor_without_a_measured_fixed_overhead_keeps_the_estimated_one() -> None:
    near = point(300_000_000, 0.003, device=H100.name, fixed=None)
    t = estimated([near], 1_000_000_000)
    assert t.source == "extrapolated"
    assert t.fixed == estimated([], 1_000_000_000).fixed
