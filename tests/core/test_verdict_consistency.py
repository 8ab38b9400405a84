"""The verdict never contradicts itself: headline, table rows, JSON, break-even sizes and the speedup chart all
agree with the job costs the verdict prints, for any report, prices, sizes and billing (hypothesis), and each
contradiction once seen in the field stays fixed (regressions)."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpuwise.charts.model import ChartInputs
from gpuwise.charts.speedup import speedup_model
from gpuwise.core.bench.workloads import build_spec
from gpuwise.core.decide import (
    PAYS_WORDS,
    TIE_TOLERANCE,
    Verdict,
    Workload,
    billed_cost,
    compute_verdict,
    format_usd,
    pays_at,
)
from gpuwise.core.estimate import estimate_points_like
from gpuwise.core.prices import PriceSettings
from gpuwise.core.report import MicroResult, Point, Report, StepStats, load_report
from gpuwise.core.resources import resource_path

PARAMS = (100_000, 1_000_000)


def _point(device: str, params: int, step: float, samples: int, ci: float, fixed: float) -> Point:
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
        device_name="Test CPU" if device == "cpu" else "NVIDIA A100-SXM4-80GB",
        samples_per_s=128 / step,
        step_time_s=StepStats(step, step * ci, (step * (1 - ci), step * (1 + ci)), 20),
        epoch_time_s=steps * step,
        fixed_overhead_s=fixed,
        time_to_train_s=steps * step + fixed,
        flops_per_step=6.0 * spec["params"] * 128,
    )


def _report(cpu_step: float, gpu_step: float | None, ci: float, samples: int, fixed: float) -> Report:
    points = [_point("cpu", p, cpu_step * p / 1e5, samples, ci, 0.0) for p in PARAMS]
    gpus: list[dict[str, Any]] = []
    if gpu_step is not None:
        points += [_point("cuda:0", p, gpu_step * p / 1e5, samples, ci, fixed) for p in PARAMS]
        gpus = [{"id": "cuda:0", "name": "NVIDIA A100-SXM4-80GB", "memory_total": 80 << 30}]
    micro = [
        MicroResult("cpu", "matmul", "fp32", 1024, 150.0, "GFLOP/s"),
        MicroResult("cpu", "triad", "fp32", 1 << 26, 20.0, "GB/s"),
    ]
    return Report(
        machine={
            "cpu": {"model": "Test CPU", "logical_cores": 2, "ram_total": 16 << 30, "ram_available": 16 << 30},
            "gpus": gpus,
        },
        points=points,
        micro=micro,
        created="2026-01-01T00:00:00+00:00",
        settings={"threads": 2},
    )


def check_consistent(v: Verdict) -> None:
    """Every surface of one verdict says what its costs say."""
    cpu = v.cpu
    assert cpu.cost_usd is not None and cpu.cost_ci95 is not None and cpu.time_s is not None
    assert cpu.usd_per_hour is not None
    assert cpu.cost_usd == pytest.approx(billed_cost(cpu.time_s, cpu.usd_per_hour, v.billing))
    rows = v.table_rows()
    for g, row in zip(v.gpus, rows[1:], strict=True):
        assert row[-1] == PAYS_WORDS[g.outcome]  # the table says the row's own outcome
        if g.outcome not in ("pays", "does_not_pay", "cant_tell"):
            continue
        assert g.cost_usd is not None and g.cost_ci95 is not None and g.time_s is not None
        assert g.usd_per_hour is not None
        assert g.cost_usd == pytest.approx(billed_cost(g.time_s, g.usd_per_hour, v.billing))
        assert g.cost_ci95[0] <= g.cost_usd <= g.cost_ci95[1]
        central = pays_at(cpu.time_s, g.time_s, cpu.usd_per_hour, g.usd_per_hour, v.billing)
        if g.outcome == "pays":
            assert g.cost_ci95[1] < cpu.cost_ci95[0] and central
        elif g.outcome == "does_not_pay":
            assert g.cost_ci95[0] >= cpu.cost_ci95[1] * (1 - TIE_TOLERANCE) and not central
        else:
            assert not g.cost_ci95[1] < cpu.cost_ci95[0] * (1 - TIE_TOLERANCE)
            assert not g.cost_ci95[0] >= cpu.cost_ci95[1] * (1 - TIE_TOLERANCE)
    prim = v.primary_gpu
    assert prim is not None
    expected = {"pays": "gpu_pays", "does_not_pay": "stay_on_cpu", "cant_tell": "cant_tell"}.get(str(prim.outcome))
    if expected is not None:
        assert v.outcome == expected
        start = {"gpu_pays": "A GPU pays", "stay_on_cpu": "Stay on the CPU", "cant_tell": "Can't tell"}[expected]
        assert v.sentence.startswith(start)
        if expected != "cant_tell":
            assert format_usd(prim.cost_usd) in v.sentence and format_usd(cpu.cost_usd) in v.sentence
        assert prim.time_s is not None and prim.usd_per_hour is not None
        central = pays_at(cpu.time_s, prim.time_s, cpu.usd_per_hour, prim.usd_per_hour, v.billing)
        for be, at in ((v.break_even_samples, v.workload.samples), (v.break_even_params, v.workload.params)):
            if be is not None and prim.fits is not False:
                assert be.pays_at(at) == central, (be, at)
    d = json.loads(json.dumps(v.to_dict(), allow_nan=False))
    assert d["outcome"] == v.outcome and d["billing"] == v.billing
    for g in d["gpus"]:
        if g["outcome"] in ("pays", "does_not_pay", "cant_tell"):
            assert g["cost_ci95"][0] <= g["cost_usd"] <= g["cost_ci95"][1]


def check_chart_agrees(report: Report, v: Verdict) -> None:
    """The speedup chart, fed the verdict's prices, calls each GPU at the verdict's workload what the card calls it."""
    estimates = estimate_points_like(report, [g.device for g in v.gpus if g.estimated], flops_method="analytic")
    inputs = ChartInputs(
        points=list(report.points),
        estimates=estimates,
        micro=[],
        machine={},
        pricing=v.price_book(),
        speedup_samples=v.workload.samples,
        job_epochs=v.workload.epochs,
    )
    model = speedup_model(inputs)
    w = v.workload
    for row in model.rows:
        if (
            row["kind"] == "crossover"
            or row["status"] != "ok"
            or (row["params"], row["samples"]) != (w.params, w.samples)
        ):
            continue  # the chart has the report's own model and dataset sizes
        g = next(x for x in v.gpus if x.device == row["gpu"])
        if g.outcome not in ("pays", "does_not_pay", "cant_tell") or g.time_s is None or g.usd_per_hour is None:
            continue
        assert v.cpu.time_s is not None and v.cpu.usd_per_hour is not None
        assert row["gpu_value"] == pytest.approx(g.time_s, rel=1e-6)  # the same times as the card's
        central = pays_at(v.cpu.time_s, g.time_s, v.cpu.usd_per_hour, g.usd_per_hour, v.billing)
        chart_pays = pays_at(row["cpu_value"], row["gpu_value"], v.cpu.usd_per_hour, g.usd_per_hour, v.billing)
        assert chart_pays == central
        assert row["pays"] == PAYS_WORDS[g.outcome]  # the point's tooltip and CSV say what the card's row says
    ratios = sorted({round(h.y, 9) for h in model.hlines})
    priced = sorted(
        {
            round(g.usd_per_hour / v.prices.cpu_per_hour, 9)
            for g in v.gpus
            if g.usd_per_hour is not None and any(s.device == g.device for s in model.series)
        }
    )
    assert ratios == priced  # one break-even line per price ratio of a GPU drawn, at that GPU's own ratio


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cpu_step=st.floats(1e-4, 1.0),
    gpu_speedup=st.one_of(st.none(), st.floats(0.2, 200.0)),
    ci=st.floats(0.0, 0.3),
    measured_samples=st.integers(128, 200_000),
    fixed=st.floats(0.0, 30.0),
    cpu_price=st.floats(0.01, 5.0),
    gpu_price=st.floats(0.05, 40.0),
    samples=st.integers(1, 10**9),
    epochs=st.integers(1, 20),
    billing=st.sampled_from(["per_second", "per_hour"]),
    compare=st.lists(st.sampled_from(["T4", "A10G", "H100 SXM", "H200 SXM", "RTX 4090", "L4"]), max_size=3),
    params_index=st.integers(0, 1),
    at_measured=st.booleans(),
)
def test_every_surface_agrees_with_the_costs(
    cpu_step: float,
    gpu_speedup: float | None,
    ci: float,
    measured_samples: int,
    fixed: float,
    cpu_price: float,
    gpu_price: float,
    samples: int,
    epochs: int,
    billing: str,
    compare: list[str],
    params_index: int,
    at_measured: bool,
) -> None:
    if at_measured:  # the dataset the report measured: the chart has it too
        samples = measured_samples
    gpu_step = cpu_step / gpu_speedup if gpu_speedup is not None else None
    report = _report(cpu_step, gpu_step, ci, measured_samples, fixed)
    params = build_spec("mlp", PARAMS[params_index])["params"]
    w = Workload("mlp", params, samples=samples, epochs=epochs)
    prices = PriceSettings(cpu_price, gpu_price, gpu="T4" if gpu_step is None else "", billing=billing)
    v = compute_verdict(report, w, prices=prices, compare=compare, flops_method="analytic")
    check_consistent(v)
    check_chart_agrees(report, v)


# ---------------------------------------------------------------- the cases once seen in the field


def _example() -> Report:
    return load_report(resource_path("example-h200-xeon16-mlp.json"))


def test_a_gpu_dearer_at_every_speedup_in_its_range_is_not_a_cant_tell() -> None:
    # a short CPU-only job: the T4 estimate's speedup range straddles the price ratio, but the 60 s minimum makes
    # the T4 job cost more at every speedup in that range: "stay on the CPU", not "can't tell"
    report = _report(0.01, None, 0.3, 25_600, 0.0)  # 20 ± 6 s on the CPU, about 2.4 s on the T4
    w = Workload("mlp", build_spec("mlp", 1_000_000)["params"], samples=25_600)
    v = compute_verdict(report, w, prices=PriceSettings(0.0892, 0.526, gpu="T4"), flops_method="analytic")
    t4 = v.primary_gpu
    assert t4 is not None and t4.cost_ci95 is not None and v.cpu.cost_ci95 is not None
    assert t4.speedup_ci95 is not None and t4.price_ratio is not None
    assert t4.speedup_ci95[0] < t4.price_ratio < t4.speedup_ci95[1]  # the range straddles k...
    assert t4.cost_ci95[0] >= v.cpu.cost_ci95[1]  # ...but the T4 costs more at every speedup in it
    assert v.outcome == "stay_on_cpu" and "billing minimum" in v.sentence
    check_consistent(v)


def test_the_h200_example_break_even_agrees_with_its_headline_at_10k_samples() -> None:
    report = _example()
    w = replace(compute_verdict(report).workload, samples=10_000)
    v = compute_verdict(report, w)
    check_consistent(v)
    be = v.break_even_samples
    assert be is not None and not be.pays_at(10_000) and v.outcome == "stay_on_cpu"


def test_a_cheap_gpu_for_a_sub_minute_job_pays_and_a_dear_one_does_not() -> None:
    report = _report(0.01, 0.005, 0.0, 1280, 0.0)  # 10 steps: 0.1 s on the CPU, 0.05 s on the GPU
    w = Workload("mlp", build_spec("mlp", 100_000)["params"], samples=1280)
    cheap = compute_verdict(report, w, prices=PriceSettings(0.70, 0.30))
    assert cheap.outcome == "gpu_pays"  # both billed a minute: $0.30/h is less than $0.70/h
    dear = compute_verdict(report, w, prices=PriceSettings(0.10, 0.30))
    assert dear.outcome == "stay_on_cpu"
    check_consistent(cheap)
    check_consistent(dear)


def test_each_compared_gpu_gets_its_own_break_even_line_on_the_speedup_chart() -> None:
    report = _report(0.02, None, 0.02, 12_800, 0.0)
    v = compute_verdict(
        report, prices=PriceSettings(0.357, 0.526, gpu="T4"), compare=["T4", "H100 SXM"], flops_method="analytic"
    )
    estimates = estimate_points_like(report, ["T4", "H100 SXM"], flops_method="analytic")
    model = speedup_model(
        ChartInputs(points=list(report.points), estimates=estimates, micro=[], machine={}, pricing=v.price_book())
    )
    ratios = sorted(round(h.y, 3) for h in model.hlines)
    assert ratios == sorted([round(0.526 / 0.357, 3), round(2.99 / 0.357, 3)])
    assert all("×" in h.short and "." not in h.short.split("×")[0][-4:-2] for h in model.hlines)
    check_chart_agrees(report, v)


def test_a_speedup_of_exactly_the_price_ratio_is_no_crossover() -> None:
    from gpuwise.core.decide import cost_crossovers

    # the curve touches the line at the middle point (equal job costs) and turns back: a tie does not pay
    assert cost_crossovers([1.0, 10.0, 100.0], [300.0, 300.0, 300.0], [400.0, 300.0, 400.0]) == []
    ((x, direction),) = cost_crossovers([1.0, 10.0], [300.0, 300.0], [400.0, 290.0])
    assert direction == "up" and 1.0 < x < 10.0


def test_advise_and_the_app_price_an_h200_the_same() -> None:
    from gpuwise.core.catalog import find_gpu
    from gpuwise.core.decide.pricing import catalog_price

    report = _report(0.02, None, 0.02, 12_800, 0.0)
    app = compute_verdict(report, prices=PriceSettings(0.357, 0.526, gpu="T4"), compare=["H200 SXM"])
    h200 = next(g for g in app.gpus if g.device == "H200 SXM")
    assert h200.usd_per_hour == catalog_price(find_gpu("H200")).usd_per_hour is not None
    assert "priced like the H100 SXM" in h200.price_note
