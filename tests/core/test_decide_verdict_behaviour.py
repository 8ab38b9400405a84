"""The verdict's assembly (``gpuwise.core.decide.verdict``), stated as behaviour: every row of the table is what
the timing, the memory fit, the prices and the rule say for that device; unknown and unpriced GPUs are said to be
so; the billing note, the "but another GPU pays" clause, the default workload and the spec of a rounded size.

Written against the mutants of ``benchmarks/mutation.py decide_verdict`` that the verdict tests let through.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from typing import Any

import pytest

from gpuwise.core import estimate as est
from gpuwise.core.bench.workloads import build_spec, describe
from gpuwise.core.catalog import find_gpu, match_device_name
from gpuwise.core.decide import rule
from gpuwise.core.decide.break_even import break_even_params
from gpuwise.core.decide.memory_fit import cpu_available, measured_gpu_memory, memory_fit
from gpuwise.core.decide.pricing import catalog_price
from gpuwise.core.decide.time_to_train import timing
from gpuwise.core.decide.values import DeviceVerdict, Workload
from gpuwise.core.decide.verdict import compute_verdict, default_workload
from gpuwise.core.errors import UserInputError
from gpuwise.core.prices import PriceSettings, default_prices, find_preset, load_presets
from gpuwise.core.report import MicroResult, Point, Report, StepStats
from gpuwise.core.units import format_count

A100 = "NVIDIA A100-SXM4-80GB"
RTX = "NVIDIA GeForce RTX 3060"
SAMPLES = 128_000  # 1000 steps of 128
SPEC = build_spec("mlp", 1_000_000)  # the measured model; its exact size is P
P = int(SPEC["params"])


def point(
    device: str, params: int, step: float, name: str, *, ci: float = 0.0, samples: int = SAMPLES, **kw: Any
) -> Point:
    spec = build_spec("mlp", params)
    steps = math.ceil(samples / 128)
    fields: dict[str, Any] = {
        "device": device,
        "family": "mlp",
        "params": spec["params"],
        "architecture": spec,
        "samples": samples,
        "batch_size": 128,
        "epochs": 1,
        "precision": "fp32",
        "threads": 2,
        "optimizer": "adam",
        "status": "ok",
        "device_name": name,
        "samples_per_s": 128 / step,
        "step_time_s": StepStats(step, 0.0, (step * (1 - ci), step * (1 + ci)), 20),
        "epoch_time_s": steps * step,
        "fixed_overhead_s": 0.0,
        "time_to_train_s": steps * step,
    }
    return Point(**{**fields, **kw})


def report(points: list[Point], gpus: list[dict[str, Any]] | None = None, cores: int = 2) -> Report:
    ram = 16 << 30
    return Report(
        machine={
            "cpu": {"model": "Test CPU", "logical_cores": cores, "ram_total": ram, "ram_available": ram},
            "gpus": gpus or [],
        },
        points=points,
        created="2026-01-01T00:00:00+00:00",
        settings={"threads": 2},
        micro=[
            MicroResult("cpu", "matmul", "fp32", 1024, 100.0, "GFLOP/s"),
            MicroResult("cpu", "triad", "fp32", 1 << 26, 20.0, "GB/s"),
        ],
    )


W = Workload("mlp", P, samples=SAMPLES)


def two_gpus() -> Report:
    """CPU measured at the workload (1000 s ±10 %); an A100 measured at another size only (its time, past the
    billing minimum, is an anchored estimate with a band); an RTX 3060 (no rental price) measured at the workload.
    The machine lists 40 and 12 GiB."""
    return report(
        [
            point("cpu", 1_000_000, 1.0, "Test CPU", ci=0.1),
            point("cuda:0", 100_000, 0.1, A100),
            point("cuda:1", 1_000_000, 0.02, RTX),
        ],
        [
            {"id": "cuda:0", "name": A100, "memory_total": 40 << 30},
            {"id": "cuda:1", "name": RTX, "memory_total": 12 << 30},
        ],
    )


def expected_cpu(rep: Report, prices: PriceSettings, billing: rule.Billing = "per_second") -> DeviceVerdict:
    model = est.cpu_model(rep)
    spec = SPEC
    t = timing(model, rep.points, "cpu", spec, W, "analytic")
    assert t is not None
    time_s, ci = t.time(W)
    cost, cost_ci = rule.cost_range(time_s, ci, prices.cpu_per_hour, billing)
    need, fits, largest = memory_fit(spec, W, cpu_available(rep))
    return DeviceVerdict(
        device="cpu",
        label=model.label,
        kind="cpu",
        source=t.source,
        basis=t.basis,
        step_s=t.step,
        step_ci95=(t.step_lo, t.step_hi),
        time_s=time_s,
        time_ci95=ci,
        usd_per_hour=prices.cpu_per_hour,
        price_note="your price",
        cost_usd=cost,
        cost_ci95=cost_ci,
        cost_hourly_usd=rule.job_cost(time_s, prices.cpu_per_hour)[1],
        fits=fits,
        memory_needed=need,
        memory_available=cpu_available(rep),
        largest_batch=largest,
    )


def expected_gpu(rep: Report, device: str, name: str, cpu: DeviceVerdict, price: float | None) -> DeviceVerdict:
    match = match_device_name(name)
    model = est.gpu_model(match) if match else None
    spec = SPEC
    t = timing(model, rep.points, device, spec, W, "analytic")
    assert t is not None and cpu.time_s is not None and cpu.cost_ci95 is not None
    time_s, ci = t.time(W)
    available = measured_gpu_memory(rep, device)
    need, fits, largest = memory_fit(spec, W, available)
    s, s_ci = rule.speedup_range(cpu.time_s, cpu.time_ci95, time_s, ci)
    cost = cost_ci = hourly = k = None
    outcome: rule.Outcome = "no_price"
    if price is not None:
        cost, cost_ci = rule.cost_range(time_s, ci, price, "per_second")
        hourly = rule.job_cost(time_s, price)[1]
        k = price / 1.0
        outcome = rule.decide_costs(cpu.cost_ci95, cost_ci)
    return DeviceVerdict(
        device=device,
        label=name,
        kind="gpu",
        source=t.source,
        basis=t.basis,
        step_s=t.step,
        step_ci95=(t.step_lo, t.step_hi),
        time_s=time_s,
        time_ci95=ci,
        usd_per_hour=price,
        cost_usd=cost,
        cost_ci95=cost_ci,
        cost_hourly_usd=hourly,
        speedup=s,
        speedup_ci95=s_ci,
        price_ratio=k,
        outcome=outcome,
        fits=fits,
        memory_needed=need,
        memory_available=available,
        largest_batch=largest,
    )


def test_every_row_is_what_the_timing_memory_prices_and_rule_say() -> None:
    rep = two_gpus()
    prices = PriceSettings(1.0, 3.0)
    v = compute_verdict(rep, W, prices=prices, flops_method="analytic")
    assert v.cpu == expected_cpu(rep, prices)
    assert [g.device for g in v.gpus] == ["cuda:0", "cuda:1"]  # the measured GPUs only: nothing to compare added
    a100, rtx = v.gpus
    assert a100.source == "extrapolated" and a100.outcome == "pays" and v.outcome == "gpu_pays"
    assert a100 == replace(expected_gpu(rep, "cuda:0", A100, v.cpu, 3.0), price_note=a100.price_note)
    assert rtx == replace(expected_gpu(rep, "cuda:1", RTX, v.cpu, None), price_note=rtx.price_note)
    # recognised by its name although it is not the primary GPU: a card one buys, so no rental price
    assert rtx.price_note == "no rental price known (a GPU one buys rather than rents)"
    assert " But " not in v.sentence  # the primary pays: no other GPU is offered
    assert a100.cost_ci95 is not None and a100.cost_ci95[0] < a100.cost_ci95[1]  # the band is priced
    assert v.idle_hour == (
        f"An idle hour costs $3.00 on the {A100} machine (vs $1.00 for the CPU): rented machines bill while they wait."
    )
    assert v.architecture == describe(SPEC)
    gpu_model = est.gpu_model(match_device_name(A100) or "")
    assert v.break_even_params == break_even_params(
        rep.points, est.cpu_model(rep), gpu_model, v.cpu, a100, W, cpu_available(rep), "per_second"
    )
    assert v.break_even_params is not None


def test_a_cpu_preset_price_says_which_preset() -> None:
    preset = next(p for p in load_presets() if p.kind == "cpu" and p.vcpus == 2)
    prices = PriceSettings(preset.usd_per_hour, 3.0, cpu_preset=preset.name, cpu_pinned=True)
    v = compute_verdict(two_gpus(), W, prices=prices, flops_method="analytic")
    assert v.cpu.price_note == f"preset {preset.name}"
    assert v.cpu.usd_per_hour == find_preset(preset.name).usd_per_hour


def test_without_prices_the_verdict_uses_the_defaults_for_the_report_machine() -> None:
    rep = report([point("cpu", 1_000_000, 0.5, "Test CPU")], cores=16)
    v = compute_verdict(rep, W)  # the default comparison is estimated with the default FLOP counting
    assert v.prices.cpu_preset == default_prices(16).cpu_preset != default_prices(None).cpu_preset
    assert v.notes[0] == (
        "No GPU was measured: comparing with estimates for T4, H100 SXM (pick others: 'Compare with…' in the app, "
        "--gpu on the command line)."
    )


def test_a_gpu_neither_measured_for_the_workload_nor_in_the_catalog_is_unknown() -> None:
    rep = report(
        [point("cpu", 1_000_000, 0.5, "Test CPU"), point("cuda:0", 100_000, 0.002, "Imaginary GPU 9000")],
        [{"id": "cuda:0", "name": "Imaginary GPU 9000", "memory_total": 24 << 30}],
    )
    v = compute_verdict(rep, W, prices=PriceSettings(1.0, 3.0), flops_method="analytic")
    (g,) = v.gpus
    need, fits, largest = memory_fit(SPEC, W, measured_gpu_memory(rep, "cuda:0"))
    assert g == DeviceVerdict(
        device="cuda:0",
        label="Imaginary GPU 9000",
        kind="gpu",
        source="estimate",
        basis="no measurement for this workload and no catalog entry to estimate from",
        usd_per_hour=g.usd_per_hour,
        price_note=g.price_note,
        fits=fits,
        memory_needed=need,
        memory_available=measured_gpu_memory(rep, "cuda:0"),
        largest_batch=largest,
        note="unknown GPU",
    )
    assert v.outcome == "cant_tell" and v.break_even_samples is None


def test_a_measured_gpu_without_a_name_or_listed_memory_uses_its_device_and_the_catalog() -> None:
    rep = report([point("cpu", 1_000_000, 0.5, "Test CPU"), point("cuda:0", 1_000_000, 0.01, "")])
    v = compute_verdict(rep, W, prices=PriceSettings(1.0, 3.0), flops_method="analytic")
    assert v.gpus[0].label == "cuda:0"
    a100 = report([point("cpu", 1_000_000, 0.5, "Test CPU"), point("cuda:0", 1_000_000, 0.01, A100)])
    g = compute_verdict(a100, W, prices=PriceSettings(1.0, 3.0), flops_method="analytic").gpus[0]
    assert g.memory_available == est.gpu_model(match_device_name(A100) or "").memory_bytes


def test_the_billing_note_appears_only_where_the_billing_decides() -> None:
    # CPU 1000 s at $0.5/h with a ±20 % CI (800-1200 s: $0.11-$0.17); GPU 260 s at $2/h ($0.144): the ranges overlap
    # both billed per second (past the minimum) and in proportion to time, so no note
    rep = report([point("cpu", 1_000_000, 1.0, "Test CPU", ci=0.2), point("cuda:0", 1_000_000, 0.26, A100)])
    v = compute_verdict(rep, W, prices=PriceSettings(0.5, 2.0), flops_method="analytic")
    assert v.gpus[0].outcome == "cant_tell" and v.gpus[0].note == ""
    # per started hour: the CPU's hour ($0.5) against the GPU's ($2): the billing decides
    hourly = compute_verdict(rep, W, prices=PriceSettings(0.5, 2.0, billing="per_hour"), flops_method="analytic")
    assert hourly.gpus[0].outcome == "does_not_pay" and hourly.gpus[0].note == "hourly billing"
    # a GPU dearer than the CPU's whole range (400 s at $2/h against 800-1200 s at $0.5/h): no note either
    dear = report([point("cpu", 1_000_000, 1.0, "Test CPU", ci=0.2), point("cuda:0", 1_000_000, 0.4, A100)])
    g = compute_verdict(dear, W, prices=PriceSettings(0.5, 2.0), flops_method="analytic").gpus[0]
    assert g.outcome == "does_not_pay" and g.note == ""
    # a short job: the 60 s minimum decides
    short = Workload("mlp", P, samples=1280)
    brief = compute_verdict(rep, short, prices=PriceSettings(0.5, 2.0), flops_method="analytic")
    assert brief.gpus[0].note == "billing minimum"


@pytest.mark.parametrize("others", [["T4", "A100 80GB SXM"], ["A100 80GB SXM", "T4"]])
def test_when_the_primary_gpu_does_not_pay_the_cheapest_gpu_that_pays_is_named(others: list[str]) -> None:
    rep = report([point("cpu", 1_000_000, 0.5, "Test CPU")])
    prices = PriceSettings(1.0, 500.0, gpu="H100 SXM")  # the primary, far too dear
    v = compute_verdict(rep, W, prices=prices, compare=["H100 SXM", *others], flops_method="analytic")
    paying = [g for g in v.gpus if g.outcome == "pays"]
    assert v.primary == "H100 SXM" and v.outcome == "stay_on_cpu" and len(paying) >= 2
    best = min(paying, key=lambda g: g.cost_usd or 0.0)
    assert best.speedup is not None and best.price_ratio is not None
    assert v.sentence.endswith(
        f" But the {best.label} pays (estimate): {_ratio(best.speedup)} faster at {_ratio(best.price_ratio)} the "
        f"price ({_usd(best.cost_usd)}, {best.price_note})."
    )


def _ratio(x: float) -> str:
    from gpuwise.core.decide.text import format_ratio

    return format_ratio(x)


def _usd(x: float | None) -> str:
    from gpuwise.core.decide.text import format_usd

    return format_usd(x)


def test_the_default_workload_is_the_largest_measured_cpu_job_as_measured() -> None:
    pts = [
        point("cpu", 100_000, 0.1, "Test CPU"),
        point("cpu", 1_000_000, 0.5, "Test CPU", epochs=3, batch_size=64, precision="bf16", optimizer="sgd"),
        point("cuda:0", 10_000_000, 0.1, A100),
    ]
    assert default_workload(report(pts)) == Workload(
        "mlp", P, samples=SAMPLES, epochs=3, batch_size=64, precision="bf16", optimizer="sgd"
    )


def test_a_report_without_cpu_points_is_refused_in_one_line() -> None:
    message = (
        "the report has no measured CPU points: the verdict compares GPUs against this CPU, so measure the CPU first "
        "(gpuwise bench --devices cpu)"
    )
    with pytest.raises(UserInputError, match=f"^{re.escape(message)}$"):
        default_workload(report([point("cuda:0", 1_000_000, 0.1, A100)]))


def test_a_size_that_rounds_to_a_measured_model_uses_that_model() -> None:
    # the CPU point's architecture carries its FLOP count; a user size of exactly 1,000,000 builds the same model
    # (whose exact count differs), so the estimate for the T4 uses the measured model and its counted FLOPs
    spec = {**build_spec("mlp", 1_000_000), "note": "as measured"}
    flops = 7.7e9
    rep = report([point("cpu", 1_000_000, 0.5, "Test CPU", architecture=spec, flops_per_step=flops)])
    assert P != 1_000_000
    v = compute_verdict(
        rep, Workload("mlp", 1_000_000, samples=SAMPLES), prices=PriceSettings(1.0, 3.0, gpu="T4"), compare=["T4"]
    )
    t4 = next(g for g in v.gpus if g.device == "T4")
    assert f"{format_count(flops)} FLOPs/step (given)" in t4.basis


def test_a_second_measured_gpu_is_priced_by_its_name_and_named_without_the_estimate_tag() -> None:
    # the H100 (cuda:0, the primary) at a typed $500/h does not pay; the A100 measured beside it (cuda:1) has a
    # list price, so it can pay, and it was measured, so the sentence does not call it an estimate
    h100 = "NVIDIA H100 80GB HBM3"
    rep = report(
        [
            point("cpu", 1_000_000, 1.0, "Test CPU", ci=0.1),
            point("cuda:0", 1_000_000, 0.02, h100),
            point("cuda:1", 1_000_000, 0.02, A100),
        ],
        [
            {"id": "cuda:0", "name": h100, "memory_total": 80 << 30},
            {"id": "cuda:1", "name": A100, "memory_total": 80 << 30},
        ],
    )
    v = compute_verdict(rep, W, prices=PriceSettings(1.0, 500.0), flops_method="analytic")
    first, second = v.gpus
    listed = catalog_price(find_gpu("A100 80GB SXM"))
    assert (first.device, first.usd_per_hour, first.outcome) == ("cuda:0", 500.0, "does_not_pay")
    assert (second.device, second.usd_per_hour, second.price_note) == ("cuda:1", listed.usd_per_hour, listed.note)
    assert second.outcome == "pays" and not second.estimated
    assert second.speedup is not None and second.price_ratio is not None
    assert v.sentence.endswith(
        f" But the {A100} pays: {_ratio(second.speedup)} faster at {_ratio(second.price_ratio)} the price "
        f"({_usd(second.cost_usd)}, {listed.note})."
    )


def test_when_no_gpu_pays_the_sentence_names_no_other_gpu() -> None:
    # every GPU priced (so each has a cost) and none pays: no "But the ... pays" clause
    rep = report([point("cpu", 1_000_000, 0.5, "Test CPU")])
    prices = PriceSettings(1.0, 500.0, gpu="H100 SXM")
    v = compute_verdict(rep, W, prices=prices, compare=["H100 SXM"], flops_method="analytic")
    assert [(g.device, g.outcome) for g in v.gpus] == [("H100 SXM", "does_not_pay")]
    assert v.gpus[0].cost_usd is not None
    assert v.outcome == "stay_on_cpu" and "But the" not in v.sentence
