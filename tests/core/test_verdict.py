"""The verdict: the cost rule and its edge cases, time-to-train sources, break-even, memory, text and JSON."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from gpuwise.core.bench.workloads import build_spec
from gpuwise.core.decide import (
    DEFAULT_COMPARISON,
    TIE_TOLERANCE,
    Workload,
    compute_verdict,
    decide_costs,
    format_ratio,
    format_usd,
    job_cost,
    speedup_range,
)
from gpuwise.core.errors import UserInputError
from gpuwise.core.prices import PriceSettings
from gpuwise.core.report import MicroResult, Point, Report, StepStats

SAMPLES = 12_800  # 100 steps of 128


def point(
    device: str,
    params: int,
    step: float,
    *,
    samples: int = SAMPLES,
    epochs: int = 1,
    ci: float = 0.0,
    fixed: float = 0.0,
    family: str = "mlp",
    batch: int = 128,
    **kw: Any,
) -> Point:
    """A measured point whose epoch is exactly steps x step (so expected numbers are easy to compute)."""
    spec = build_spec(family, params)
    steps = math.ceil(samples / batch)
    return Point(
        device=device,
        family=family,
        params=spec["params"],
        architecture=spec,
        samples=samples,
        batch_size=batch,
        epochs=epochs,
        precision="fp32",
        threads=2,
        optimizer="adam",
        status="ok",
        device_name="Test CPU" if device == "cpu" else "NVIDIA A100-SXM4-80GB",
        samples_per_s=batch / step,
        step_time_s=StepStats(step, step * ci, (step * (1 - ci), step * (1 + ci)), 20),
        epoch_time_s=steps * step,
        fixed_overhead_s=fixed,
        time_to_train_s=epochs * steps * step + fixed,
        flops_per_step=1e9,
        **kw,
    )


def report(
    points: list[Point], *, ram: int = 16 << 30, gpus: list[dict[str, Any]] | None = None, micro: bool = True
) -> Report:
    m = (
        [
            MicroResult("cpu", "matmul", "fp32", 1024, 100.0, "GFLOP/s"),
            MicroResult("cpu", "triad", "fp32", 1 << 26, 20.0, "GB/s"),
        ]
        if micro
        else []
    )
    return Report(
        machine={
            "cpu": {"model": "Test CPU", "logical_cores": 2, "ram_total": ram, "ram_available": ram},
            "gpus": gpus or [],
        },
        points=points,
        micro=m,
        created="2026-01-01T00:00:00+00:00",
        settings={"threads": 2},
    )


def cpu_report(params: tuple[int, ...] = (100_000, 1_000_000)) -> Report:
    """CPU-only: measured MLP points, 10 ms per 100k parameters."""
    return report([point("cpu", p, 0.01 * p / 100_000) for p in params])


def gpu_report(cpu_step: float = 0.3, gpu_step: float = 0.1, ci: float = 0.0) -> Report:
    gpus = [{"id": "cuda:0", "name": "NVIDIA A100-SXM4-80GB", "memory_total": 80 << 30}]
    return report([point("cpu", 1_000_000, cpu_step, ci=ci), point("cuda:0", 1_000_000, gpu_step, ci=ci)], gpus=gpus)


# ---------------------------------------------------------------- the rule


def test_equal_costs_do_not_pay() -> None:
    assert decide_costs((1.0, 1.0), (1.0, 1.0)) == "does_not_pay"
    # floating-point noise around the tie is still a tie
    assert decide_costs((0.3, 0.3), (0.1 * 3, 0.1 * 3)) == "does_not_pay"
    assert decide_costs((1.0, 1.0), (1.0 - 1e-6, 1.0 - 1e-6)) == "does_not_pay"
    assert decide_costs((1.0, 1.0), (0.99, 0.99)) == "pays"


def test_cost_ranges_entirely_apart_decide() -> None:
    assert decide_costs((2.0, 2.2), (1.0, 1.9)) == "pays"
    assert decide_costs((1.0, 1.2), (1.2, 1.5)) == "does_not_pay"  # at or above everywhere


def test_overlapping_cost_ranges_cannot_tell() -> None:
    assert decide_costs((1.0, 1.2), (1.1, 1.3)) == "cant_tell"
    assert decide_costs((1.0, 1.2), (0.9, 1.05)) == "cant_tell"
    assert decide_costs((1.0, 1.2), (0.5, 2.0)) == "cant_tell"


def test_speedup_range_comes_from_the_same_time_ranges_as_the_costs() -> None:
    s, (lo, hi) = speedup_range(10.0, (9.0, 11.0), 2.0, (1.8, 2.2))
    assert s == pytest.approx(5.0)
    assert lo == pytest.approx(9.0 / 2.2) and hi == pytest.approx(11.0 / 1.8)
    assert speedup_range(4.0, None, 2.0, None) == (2.0, (2.0, 2.0))


def test_ratios_are_formatted_for_people() -> None:
    assert format_ratio(4.18768) == "4.2×"
    assert format_ratio(12.4) == "12×"
    assert format_ratio(0.5312) == "0.53×"


def test_job_cost_bills_per_second_with_a_minute_minimum_and_per_started_hour() -> None:
    exact, hourly = job_cost(30.0, 3.6)
    assert (exact, hourly) == (pytest.approx(0.06), pytest.approx(3.6))  # type: ignore[comparison-overlap]
    # 60 s minimum, one started hour above; a second past the hour starts another
    exact, hourly = job_cost(3601.0, 1.0)
    assert exact == pytest.approx(3601 / 3600)
    assert hourly == pytest.approx(2.0)
    assert job_cost(7200.0, 1.0)[1] == pytest.approx(2.0)


def test_format_usd_keeps_small_costs_readable() -> None:
    assert format_usd(0.0088) == "$0.0088"
    assert format_usd(0.01) == "$0.010"
    assert format_usd(1.234) == "$1.23"
    assert format_usd(2551.4) == "$2,551"
    assert format_usd(None) == "n/a"


# ---------------------------------------------------------------- measured GPU


def _prices(cpu: float, gpu: float) -> PriceSettings:
    return PriceSettings(cpu, gpu)


def test_measured_speedup_exactly_the_price_ratio_stays_on_cpu() -> None:
    v = compute_verdict(gpu_report(0.3, 0.1), prices=_prices(1.0, 3.0))
    g = v.primary_gpu
    assert g is not None and g.device == "cuda:0" and g.source == "measured"
    assert g.speedup == pytest.approx(3.0)
    assert g.outcome == "does_not_pay"
    assert v.outcome == "stay_on_cpu"
    assert v.sentence.startswith("Stay on the CPU")
    assert not v.estimated


def test_measured_gpu_that_is_faster_than_its_price_pays() -> None:
    w = Workload("mlp", build_spec("mlp", 1_000_000)["params"], samples=128_000)  # 1000 steps: 300 s on the CPU
    v = compute_verdict(gpu_report(0.3, 0.1, ci=0.02), w, prices=_prices(1.0, 2.0))
    assert v.outcome == "gpu_pays"
    assert v.sentence.startswith("A GPU pays:")
    assert "3.0× faster (2.9–3.1×)" in v.sentence and "2.0× the price" in v.sentence
    g = v.primary_gpu
    assert g is not None and g.cost_usd is not None and v.cpu.cost_usd is not None
    assert g.cost_usd == pytest.approx(2.0 * 100 / 3600) and v.cpu.cost_usd == pytest.approx(300 / 3600)
    assert f"costs {format_usd(g.cost_usd)} instead of {format_usd(v.cpu.cost_usd)}" in v.sentence


def test_a_job_shorter_than_the_billing_minimum_stays_on_the_cpu() -> None:
    # 100 steps: 30 s on the CPU, 10 s on the GPU; both billed 60 s, so the 2x-priced GPU costs more
    v = compute_verdict(gpu_report(0.3, 0.1, ci=0.02), prices=_prices(1.0, 2.0))
    g = v.primary_gpu
    assert g is not None and g.outcome == "does_not_pay" and g.note == "billing minimum"
    assert v.cpu.cost_usd == pytest.approx(60 / 3600) and g.cost_usd == pytest.approx(2 * 60 / 3600)
    assert v.outcome == "stay_on_cpu" and "60-second billing minimum" in v.sentence


def test_ci_straddling_the_price_ratio_says_cant_tell() -> None:
    w = Workload("mlp", build_spec("mlp", 1_000_000)["params"], samples=128_000)  # 300 ± 30 s vs 100 ± 10 s
    v = compute_verdict(gpu_report(0.3, 0.1, ci=0.1), w, prices=_prices(1.0, 3.0))
    assert v.outcome == "cant_tell"
    assert v.sentence.startswith("Can't tell yet")
    assert "ranges overlap" in v.sentence and "price ratio of 3.0×" in v.sentence
    g = v.primary_gpu
    assert g is not None and g.speedup_ci95 is not None and g.cost_ci95 is not None and v.cpu.cost_ci95 is not None
    assert g.speedup_ci95[0] < 3.0 < g.speedup_ci95[1]
    assert g.cost_ci95[0] < v.cpu.cost_ci95[1] and v.cpu.cost_ci95[0] < g.cost_ci95[1]


def test_a_different_dataset_size_scales_the_measured_step_time() -> None:
    w = Workload("mlp", build_spec("mlp", 1_000_000)["params"], samples=128_000, epochs=3)
    v = compute_verdict(gpu_report(0.3, 0.1), w, prices=_prices(1.0, 2.0))
    assert v.cpu.source == "scaled"
    assert v.cpu.time_s == pytest.approx(3 * 1000 * 0.3)
    assert v.primary_gpu is not None and v.primary_gpu.time_s == pytest.approx(3 * 1000 * 0.1)


# ---------------------------------------------------------------- no GPU points: the estimate path


def test_no_gpu_points_uses_labeled_estimates_for_the_default_comparison() -> None:
    v = compute_verdict(cpu_report(), prices=PriceSettings(0.1, 0.5, gpu="T4"))
    assert [g.device for g in v.gpus] == list(DEFAULT_COMPARISON)
    assert all(g.source == "estimate" and g.estimated for g in v.gpus)
    assert all(g.basis.startswith("estimate: roofline from catalog peaks") for g in v.gpus)
    assert v.primary == "T4"
    assert v.estimated
    assert "(estimate)" in v.sentence
    assert v.cpu.source == "measured"
    assert any("No GPU was measured" in n for n in v.notes)
    text = v.to_text()
    assert "T4 [estimate]" in text and "How the non-measured numbers were made" in text


def test_compare_list_and_priced_gpu_are_estimated() -> None:
    v = compute_verdict(cpu_report(), prices=PriceSettings(0.1, 1.0, gpu="A10G"), compare=["a100-80gb", "T4"])
    assert [g.device for g in v.gpus] == ["A10G", "A100 80GB SXM", "T4"]
    assert v.primary == "A10G"
    prim = v.primary_gpu
    assert prim is not None and prim.usd_per_hour == 1.0 and prim.price_ratio == pytest.approx(10.0)
    other = next(g for g in v.gpus if g.device == "T4")
    assert other.usd_per_hour == pytest.approx(0.526) and "list price" in other.price_note


def test_unknown_compare_gpu_is_a_user_error() -> None:
    with pytest.raises(UserInputError, match="unknown GPU 'H300'"):
        compute_verdict(cpu_report(), prices=_prices(0.1, 0.5), compare=["H300"])


def test_report_without_cpu_points_is_refused() -> None:
    gpus = [{"id": "cuda:0", "name": "NVIDIA A100-SXM4-80GB", "memory_total": 80 << 30}]
    r = report([point("cuda:0", 1_000_000, 0.1)], gpus=gpus)
    with pytest.raises(UserInputError, match="no measured CPU points"):
        compute_verdict(r, prices=_prices(0.1, 0.5))


def test_model_size_between_measured_ones_is_interpolated() -> None:
    r = cpu_report((100_000, 1_000_000))
    w = Workload("mlp", 300_000, samples=SAMPLES)
    v = compute_verdict(r, w, prices=_prices(0.1, 0.5), flops_method="analytic")
    assert v.cpu.source == "interpolated"
    lo, hi = 0.01 * build_spec("mlp", 100_000)["params"] / 1e5, 0.01 * build_spec("mlp", 1_000_000)["params"] / 1e5
    assert v.cpu.step_s is not None and lo < v.cpu.step_s < hi


def test_model_size_beyond_the_measured_ones_is_an_anchored_estimate() -> None:
    w = Workload("mlp", 5_000_000, samples=SAMPLES)
    v = compute_verdict(cpu_report(), w, prices=_prices(0.1, 0.5), flops_method="analytic")
    assert v.cpu.source == "extrapolated" and v.cpu.estimated
    assert "scaled ×" in v.cpu.basis


# ---------------------------------------------------------------- break-even


def test_break_even_dataset_size_solves_the_cost_model_with_the_billing_minimum() -> None:
    # CPU 10 ms/step, no fixed cost; GPU 1 ms/step + 2 s fixed; k = 5. Without a minimum the GPU would pay past
    # 2000 steps; billed 60 s at least, the CPU must cost more than 5 GPU-minutes: 0.01 s > 300 s -> s > 30000 steps.
    gpus = [{"id": "cuda:0", "name": "NVIDIA A100-SXM4-80GB", "memory_total": 80 << 30}]
    r = report([point("cpu", 100_000, 0.01), point("cuda:0", 100_000, 0.001, fixed=2.0)], gpus=gpus)
    v = compute_verdict(r, prices=_prices(1.0, 5.0))
    be = v.break_even_samples
    assert be is not None and be.value is not None and not be.estimated
    first_step = math.floor(300 / (0.01 * (1 - TIE_TOLERANCE))) + 1  # a tie within 0.01 % does not pay
    assert be.value == (first_step - 1) * 128 + 1  # the first dataset size that needs that step
    assert be.direction == "above"
    assert be.pays_at(be.value) and not be.pays_at(be.value - 1)
    assert "Break-even dataset size" in be.text


def test_break_even_dataset_size_follows_the_billing_mode() -> None:
    gpus = [{"id": "cuda:0", "name": "NVIDIA A100-SXM4-80GB", "memory_total": 80 << 30}]
    r = report([point("cpu", 100_000, 0.01), point("cuda:0", 100_000, 0.001, fixed=2.0)], gpus=gpus)
    v = compute_verdict(r, prices=PriceSettings(1.0, 5.0, billing="per_hour"))
    be = v.break_even_samples
    assert v.billing == "per_hour"
    # per started hour the GPU (5x the price) pays once the CPU needs more than 5 hours and the GPU one:
    # 0.01 s > 5 h -> s > 1.8M steps
    assert be is not None and be.value == 1_800_000 * 128 + 1 and be.direction == "above"


def test_break_even_dataset_size_is_none_when_the_step_speedup_never_beats_k() -> None:
    gpus = [{"id": "cuda:0", "name": "NVIDIA A100-SXM4-80GB", "memory_total": 80 << 30}]
    r = report([point("cpu", 100_000, 0.01), point("cuda:0", 100_000, 0.005)], gpus=gpus)
    v = compute_verdict(r, prices=_prices(1.0, 5.0))
    be = v.break_even_samples
    assert be is not None and be.value is None and be.pays_on == ()
    assert "does not pay at any size" in be.reason


def test_break_even_model_size_comes_from_the_curves() -> None:
    v = compute_verdict(cpu_report(), prices=PriceSettings(0.1, 0.5, gpu="T4"))
    be = v.break_even_params
    assert be is not None and be.dimension == "params" and be.estimated
    assert be.device == "T4"
    if be.value is None:
        assert "model size" in be.text and be.reason
    else:
        assert 1_000 <= be.value <= 10_000_000_000 and be.direction in ("above", "below")
    assert be.pays_at(v.workload.params) == (
        v.primary_gpu is not None and v.primary_gpu.cost_usd is not None and v.primary_gpu.cost_usd < v.cpu.cost_usd
    )  # type: ignore[operator]


# ---------------------------------------------------------------- memory


def test_a_model_too_big_for_every_device_says_nothing_fits() -> None:
    w = Workload("transformer", 2_000_000_000, samples=1000)
    v = compute_verdict(cpu_report(), w, prices=PriceSettings(0.1, 0.5, gpu="T4"), flops_method="analytic")
    assert v.cpu.fits is False
    t4 = v.primary_gpu
    assert t4 is not None and t4.outcome == "does_not_fit" and t4.fits is False
    assert v.outcome == "nothing_fits"
    assert v.sentence.startswith("Neither this CPU nor the T4")
    assert any("T4" in m and "cannot train this model at all" in m for m in v.memory_lines)


def test_memory_verdict_reports_the_largest_batch_that_fits() -> None:
    v = compute_verdict(cpu_report(), prices=PriceSettings(0.1, 0.5, gpu="T4"))
    for d in (v.cpu, *v.gpus):
        assert d.fits is True and d.largest_batch is not None and d.largest_batch >= 128
    assert all("fits —" in m for m in v.memory_lines)


# ---------------------------------------------------------------- output


def test_verdict_is_plain_json_and_text() -> None:
    v = compute_verdict(cpu_report(), prices=PriceSettings(0.1, 0.5, gpu="T4"))
    d = json.loads(json.dumps(v.to_dict(), allow_nan=False))
    assert d["sentence"] == v.sentence
    assert d["price_ratio"] == pytest.approx(5.0)
    assert d["gpus"][0]["estimated"] is True and d["cpu"]["estimated"] is False
    assert d["rules"] and "a tie" in d["rules"][0]
    assert d["gpus"][0]["cost_ci95"][0] <= d["gpus"][0]["cost_usd"] <= d["gpus"][0]["cost_ci95"][1]
    text = v.to_text()
    assert text.splitlines()[0] == v.sentence
    assert "Idle" in text or "idle hour" in text
    assert "Rule:" in text


def test_workload_validation() -> None:
    with pytest.raises(UserInputError):
        Workload("mlp", 10, samples=100)
    with pytest.raises(UserInputError):
        Workload("rnn", 10_000, samples=100)
    with pytest.raises(UserInputError):
        Workload("mlp", 10_000, samples=0)
    with pytest.raises(UserInputError):
        Workload("mlp", 10_000, samples=100, precision="fp8")
