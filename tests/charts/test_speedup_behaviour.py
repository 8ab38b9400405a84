"""The speedup chart's number is CPU time ÷ GPU time, whichever figures the two points share."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpuwise.charts.model import ChartInputs, ChartModel
from gpuwise.charts.speedup import SPEEDUP_COLUMNS, speedup_model
from gpuwise.core.decide import PriceBook
from gpuwise.core.report import Point, StepStats
from tests.charts.samples import estimate_points, grid_points, measured_points, point

SAMPLES = 10_000
times = st.floats(min_value=1e-3, max_value=1e5)


def pair(cpu_s: float, gpu_s: float, basis: str) -> list[Point]:
    """A CPU and a GPU point taking ``cpu_s`` and ``gpu_s`` to train, sharing only the figures of ``basis``."""
    out = []
    for device, t in (("cpu", cpu_s), ("cuda:0", gpu_s)):
        p = point(device, SAMPLES, t)
        if basis != "time to train":
            p = dataclasses.replace(p, time_to_train_s=None)
        if basis == "throughput":
            p = dataclasses.replace(p, epoch_time_s=None)
        out.append(p)
    return out


@given(cpu_s=times, gpu_s=times, basis=st.sampled_from(["time to train", "epoch time", "throughput"]))
def test_speedup_is_cpu_time_over_gpu_time_on_every_basis(cpu_s: float, gpu_s: float, basis: str) -> None:
    model = speedup_model(ChartInputs(points=pair(cpu_s, gpu_s, basis), estimates=[], micro=[], machine={}))
    [series] = model.series
    [mark] = series.marks
    assert mark.y == pytest.approx(cpu_s / gpu_s, rel=1e-9)
    [row] = model.rows
    assert row["basis"] == basis
    assert row["speedup"] == pytest.approx(cpu_s / gpu_s, rel=1e-9)


def test_a_gpu_four_times_faster_by_throughput_is_a_4x_speedup() -> None:
    model = speedup_model(ChartInputs(points=pair(8.0, 2.0, "throughput"), estimates=[], micro=[], machine={}))
    [row] = model.rows
    assert (row["cpu_value"], row["gpu_value"], row["unit"]) == (SAMPLES / 8.0, SAMPLES / 2.0, "samples/s")
    assert row["speedup"] == pytest.approx(4.0)


# --- what the chart says about cost, by the rule the verdict applies (written against the charts mutation run) ---
# Every measured point in ``pair`` has a step-time CI of 0.9-1.2 × its median, so at a price ratio of 1 the cost
# ranges separate once one side is 4/3 as fast: the GPU pays from a speedup of 1.3335 and does not pay up to 0.75.

FLAT1 = PriceBook.flat(1.0)


def _one(points: list[Point], pricing: PriceBook = FLAT1, **kw: Any) -> ChartModel:
    return speedup_model(ChartInputs(points=points, estimates=[], micro=[], machine={}, pricing=pricing, **kw))


@pytest.mark.parametrize("basis", ["time to train", "throughput"])
@pytest.mark.parametrize(
    ("cpu_s", "gpu_s", "pays"),
    [(700.0, 1000.0, "no"), (800.0, 1000.0, "can't tell"), (1250.0, 1000.0, "can't tell"), (1500.0, 1000.0, "yes")],
)
def test_the_gpu_pays_only_when_its_cost_range_lies_wholly_below_the_cpu_s(
    basis: str, cpu_s: float, gpu_s: float, pays: str
) -> None:
    [row] = _one(pair(cpu_s, gpu_s, basis)).rows
    assert row["pays"] == pays


@pytest.mark.parametrize("basis", ["time to train", "throughput"])
@pytest.mark.parametrize(("cpu_s", "pays"), [(1000.0, "can't tell"), (1500.0, "yes"), (800.0, "no")])
def test_an_estimate_has_no_spread_of_its_own_but_the_measured_cpu_s_still_counts(
    basis: str, cpu_s: float, pays: str
) -> None:
    cpu, gpu = pair(cpu_s, 1000.0, basis)
    gpu = dataclasses.replace(gpu, device="A10G", estimated=True, step_time_s=None, estimate_basis="roofline")
    [row] = _one([cpu, gpu]).rows
    assert row["pays"] == pays  # the GPU's range is its one value; the CPU's spans 0.9-1.2 × its own


def test_a_step_time_without_a_usable_median_adds_no_spread() -> None:
    cpu, gpu = pair(800.0, 1000.0, "time to train")
    flat = [dataclasses.replace(p, step_time_s=StepStats(0.0, 0.0, (0.0, 0.0), 3)) for p in (cpu, gpu)]
    assert [r["pays"] for r in _one(flat).rows] == ["no"]


@pytest.mark.parametrize(
    ("cpu_s", "cpu_fixed", "gpu_s", "gpu_fixed", "pays"),
    [
        (1250.0, 1125.0, 1000.0, 900.0, "yes"),  # spread over 10 % of each job: the ranges separate
        (1250.0, 1125.0, 1230.0, 1100.0, "can't tell"),  # the GPU's range still reaches the CPU's low end
    ],
)
def test_a_fixed_overhead_is_not_scaled_by_the_step_time_spread(
    cpu_s: float, cpu_fixed: float, gpu_s: float, gpu_fixed: float, pays: str
) -> None:
    cpu, gpu = pair(cpu_s, gpu_s, "time to train")
    pts = [dataclasses.replace(cpu, fixed_overhead_s=cpu_fixed), dataclasses.replace(gpu, fixed_overhead_s=gpu_fixed)]
    assert [r["pays"] for r in _one(pts).rows] == [pays]


def test_no_recorded_overhead_leaves_the_whole_job_spread_by_the_step_time() -> None:
    cpu, gpu = (dataclasses.replace(p, fixed_overhead_s=None) for p in pair(133.3, 100.0, "time to train"))
    assert [r["pays"] for r in _one([cpu, gpu]).rows] == ["can't tell"]


def test_the_tooltip_gives_both_figures_the_outcome_and_both_job_costs() -> None:
    m = _model_with_samples()
    cuda, a10g = m.series
    assert cuda.marks[0].tip == (
        "cuda:0 · Test GPU (fp32)\nMLP 1M params · batch 128 · 1 epoch\n1k samples\n"
        "speedup 0.1× on time to train: cpu 100 s vs cuda:0 16.7 min\n"
        "pays: no — job $0.83 vs $0.028 on the CPU (price ratio 3.0×)\nmeasured"
    )
    assert a10g.marks[0].tip.endswith("(price ratio 3.0×)\nestimate: roofline from the spec sheet")
    [tp] = _one(pair(1000.0, 250.0, "throughput")).series
    assert tp.marks[0].tip.split("\n")[3:5] == [
        "speedup 4× on throughput: cpu 10 samples/s vs cuda:0 40 samples/s",
        "pays: yes — job $0.025 vs $0.10 on the CPU (price ratio 1.0×)",
    ]


def test_per_hour_billing_prices_each_job_by_the_started_hour() -> None:
    [series] = _one(pair(5400.0, 1800.0, "time to train"), PriceBook(1.0, 1.0, "per_hour")).series
    assert "\npays: yes — job $1.00 vs $2.00 on the CPU (price ratio 1.0×)\n" in series.marks[0].tip


def _model_with_samples(**kw: Any) -> ChartModel:
    return speedup_model(ChartInputs(points=measured_points(), estimates=estimate_points(), micro=[], machine={}, **kw))


def test_the_chart_s_title_series_rows_crossovers_and_notes_for_the_sample_report() -> None:
    m = _model_with_samples()
    assert m.title == "GPU speedup (CPU time ÷ GPU time) vs dataset size — MLP 1M params, batch 128, fp32"
    assert [(s.key, s.name, s.variant) for s in m.series] == [
        (("cuda:0", False), "cuda:0", 0),
        (("A10G", True), "A10G (estimate)", 0),
    ]
    assert m.rows[0] == {
        "series": "cuda:0",
        "gpu": "cuda:0",
        "cpu": "cpu",
        "precision": "fp32",
        "family": "mlp",
        "params": 1_000_000,
        "samples": 1_000,
        "batch_size": 128,
        "basis": "time to train",
        "cpu_value": 100.0,
        "gpu_value": 1000.0,
        "unit": "s",
        "speedup": pytest.approx(0.1),
        "price_ratio": 3.0,
        "kind": "measured",
        "status": "ok",
        "message": "",
        "pays": "no",
    }
    [crossing] = [r for r in m.rows if r["kind"] == "crossover" and r["gpu"] == "cuda:0"]
    assert crossing == {
        **dict.fromkeys(SPEEDUP_COLUMNS, ""),
        "series": "cuda:0",
        "gpu": "cuda:0",
        "samples": pytest.approx(30_000),
        "basis": "above",
        "speedup": 3.0,
        "price_ratio": 3.0,
        "kind": "crossover",
    }
    assert [(c.series, c.device, c.direction, c.estimated, c.series_estimated, c.variant) for c in m.crossovers] == [
        ("cuda:0", "cuda:0", "up", False, False, 0),
        ("A10G (estimate)", "A10G", "up", True, True, 0),
    ]
    assert [(n.device, n.estimated, n.variant, n.priority) for n in m.notes] == [
        ("cuda:0", False, 0, 1),
        ("A10G", True, 0, 1),
    ]


def test_a_gpu_that_never_pays_has_a_note_in_its_own_colour() -> None:
    slow = [p for p in measured_points() if p.status == "ok" and p.samples <= 10_000]
    est = [p for p in estimate_points() if p.samples <= 10_000]
    notes = speedup_model(ChartInputs(points=slow, estimates=est, micro=[], machine={})).notes
    assert [(n.text, n.device, n.estimated, n.variant, n.priority) for n in notes] == [
        ("cuda:0: GPU does not pay at any size measured (best 1.0×)", "cuda:0", False, 0, 0),
        ("A10G (estimate): GPU does not pay at any size measured (best 2.0×)", "A10G", True, 0, 0),
    ]


def test_overlapping_cost_ranges_everywhere_are_a_can_t_tell_note() -> None:
    [note] = _one(pair(1250.0, 1000.0, "time to train")).notes
    assert note.text == "can't tell at some sizes: the cost ranges overlap"


def test_a_curve_falling_through_the_break_even_ratio_says_the_gpu_pays_below_that_size() -> None:
    pts = [point("cpu", 1_000, 1000.0), point("cpu", 10_000, 10_000.0)]
    pts += [point("cuda:0", 1_000, 100.0), point("cuda:0", 10_000, 10_000.0)]
    [cross] = _one(pts, PriceBook.flat(3.0)).crossovers
    assert cross.direction == "down"
    assert cross.text.startswith("GPU pays below ~")


def test_a_job_under_the_billing_minimum_moves_the_crossover_and_the_note_says_why() -> None:
    # the GPU's 40 s jobs bill as 60 s: the costs cross where the CPU takes 180 s, at a speedup of 4.5, not 3
    pts = [point("cpu", 1_000, 100.0), point("cpu", 10_000, 1000.0)]
    pts += [point("cuda:0", 1_000, 40.0), point("cuda:0", 10_000, 40.0)]
    [cross] = _one(pts, PriceBook.flat(3.0)).crossovers
    assert cross.y == pytest.approx(4.5)
    assert cross.text == "GPU pays above ~1.8k samples (billing minimum)"


def test_each_gpu_is_priced_by_its_own_rate_and_a_compared_gpu_like_its_own_kind() -> None:
    book = PriceBook(2.0, 6.0, gpus=(("cuda:0", 6.4), ("A10G", 6.8)))
    laptop = [dataclasses.replace(p, device=f"{p.device} · laptop") for p in measured_points()]
    m = speedup_model(
        ChartInputs(
            points=[*measured_points(), *laptop], estimates=estimate_points(), micro=[], machine={}, pricing=book
        )
    )
    ratios = {r["series"]: r["price_ratio"] for r in m.rows if r["kind"] in ("measured", "extrapolated", "estimate")}
    assert ratios == {
        "cuda:0": pytest.approx(3.2),
        "cuda:0 · laptop": pytest.approx(3.2),
        "A10G (estimate)": pytest.approx(3.4),
    }
    assert [(h.y, h.label, h.device, h.estimated, h.variant) for h in m.hlines] == [
        (pytest.approx(3.2), "break-even: GPU price/hour = 3.2× CPU's (cuda:0, cuda:0 · laptop)", "cuda:0", False, 0),
        (pytest.approx(3.4), "break-even: GPU price/hour = 3.4× CPU's (A10G (estimate))", "A10G", True, 0),
    ]


def test_a_compared_report_s_catalog_estimate_is_priced_as_that_catalog_gpu() -> None:
    # its device arrives tagged ("A10G · laptop"); it was priced at the default GPU rate (3.0x) before
    book = PriceBook(2.0, 6.0, gpus=(("A10G", 6.8),))
    laptop = [dataclasses.replace(p, device=f"{p.device} · laptop") for p in [*measured_points(), *estimate_points()]]
    m = speedup_model(
        ChartInputs(
            points=[*measured_points(), *laptop], estimates=estimate_points(), micro=[], machine={}, pricing=book
        )
    )
    ratios = {r["series"]: r["price_ratio"] for r in m.rows if r["kind"] == "estimate"}
    assert ratios == {"A10G (estimate)": pytest.approx(3.4), "A10G · laptop (estimate)": pytest.approx(3.4)}


def test_gpus_whose_price_ratios_agree_to_a_millionth_share_one_line() -> None:
    book = PriceBook(1.0, 3.0, gpus=(("A10G", 3.0000004),))
    [line] = _model_with_samples(pricing=book).hlines
    assert line.label == "break-even: GPU price/hour = 3.0× CPU's"


def test_a_gpu_measured_on_an_extrapolated_cpu_epoch_is_extrapolated_but_a_throughput_never_is() -> None:
    cpu, gpu = pair(1000.0, 100.0, "time to train")
    [row] = _one([dataclasses.replace(cpu, epoch_time_extrapolated=True), gpu]).rows
    assert row["kind"] == "extrapolated"
    cpu, gpu = pair(1000.0, 100.0, "throughput")
    [row] = _one([dataclasses.replace(p, epoch_time_extrapolated=True) for p in (cpu, gpu)]).rows
    assert row["kind"] == "measured"


def test_a_gpu_without_a_cpu_partner_or_a_shared_figure_is_left_out() -> None:
    cpu, gpu = pair(1000.0, 100.0, "time to train")
    lonely = point("cuda:0", 1_000, 10.0)
    nothing = dataclasses.replace(
        point("cuda:0", 100_000, 1.0), time_to_train_s=None, epoch_time_s=None, samples_per_s=None
    )
    partner = point("cpu", 100_000, 10.0)
    m = _one([cpu, gpu, lonely, nothing, partner])
    assert [(mk.x, mk.y) for s in m.series for mk in s.marks] == [(float(SAMPLES), pytest.approx(10.0))]


def _by_model_size(cpu_s: dict[int, float], gpu_s: float, samples: int = 1_000) -> list[Point]:
    return [
        p
        for params, t in cpu_s.items()
        for p in (point("cpu", samples, t, params=params), point("cuda:0", samples, gpu_s, params=params))
    ]


def test_against_model_size_the_crossover_is_given_in_parameters() -> None:
    m = _one(_by_model_size({10_000: 100.0, 100_000: 1000.0, 1_000_000: 10_000.0}, 1000.0), PriceBook.flat(3.0))
    assert m.title.startswith("GPU speedup (CPU time ÷ GPU time) vs model size — 1k samples")
    assert m.x_label == "model size (parameters)"
    [cross] = m.crossovers
    assert cross.text == "GPU pays above ~300k params"


def test_a_chosen_dataset_size_with_one_model_size_is_still_drawn_against_model_size() -> None:
    pts = _by_model_size({10_000: 100.0, 100_000: 1000.0}, 1000.0)
    pts += _by_model_size({1_000_000: 10_000.0}, 1000.0, samples=10_000)
    m = _one(pts, PriceBook.flat(3.0))
    assert m.x_label == "model size (parameters)"
    assert [mk.x for s in m.series for mk in s.marks] == [1_000_000.0]


def test_with_one_dataset_size_chosen_failures_at_other_sizes_are_not_shown() -> None:
    measured, estimated = grid_points()
    oom = point("cuda:0", 1_000, None, status="oom", params=1_000_000)
    m = speedup_model(
        ChartInputs(points=[*measured, oom], estimates=estimated, micro=[], machine={})
    )  # the largest dataset size, 100k, is shown
    assert m.failures == [] and [r for r in m.rows if r["kind"] == "failed"] == []


def test_a_failed_cpu_point_is_a_row_under_the_cpu_column() -> None:
    cpu, gpu = pair(1000.0, 100.0, "time to train")
    failed = point("cpu", 100_000, None, status="failed")
    [row] = [r for r in _one([cpu, gpu, failed]).rows if r["kind"] == "failed"]
    assert (row["cpu"], row["gpu"], row["status"]) == ("cpu", "", "failed")


def test_a_step_time_ci_wholly_above_its_median_still_counts_the_median_s_cost() -> None:
    cpu, gpu = pair(1000.0, 1100.0, "throughput")
    gpu = dataclasses.replace(gpu, step_time_s=StepStats(0.01, 0.001, (0.011, 0.012), 20))
    [row] = _one([cpu, gpu]).rows
    assert row["pays"] == "can't tell"  # the GPU's range reaches down to its median's cost, inside the CPU's


def test_a_gpu_compared_with_an_estimated_cpu_says_so_in_the_cpu_column() -> None:
    cpu, gpu = pair(1000.0, 100.0, "time to train")
    [row] = _one([dataclasses.replace(cpu, estimated=True, step_time_s=None), gpu]).rows
    assert (row["cpu"], row["kind"]) == ("cpu (estimate)", "estimate")
    [row] = _one([cpu, gpu]).rows
    assert row["cpu"] == "cpu"


def test_price_ratios_equal_to_a_millionth_share_a_line_named_after_every_gpu_on_it() -> None:
    laptop = [
        dataclasses.replace(p, device=("cpu" if p.device == "cpu" else "cuda:1") + " · laptop")
        for p in measured_points()
    ]
    book = PriceBook(1.0, 3.0000004, gpus=(("cuda:1", 5.0),))
    inputs = ChartInputs(points=[*measured_points(), *laptop], estimates=estimate_points(), micro=[], machine={})
    lines = speedup_model(dataclasses.replace(inputs, pricing=book)).hlines
    assert [h.label for h in lines] == [
        "break-even: GPU price/hour = 3.0× CPU's (cuda:0, A10G (estimate))",
        "break-even: GPU price/hour = 5.0× CPU's (cuda:1 · laptop)",
    ]


def test_a_device_s_second_curve_has_its_crossovers_and_notes_in_its_second_shade() -> None:
    bf16 = [dataclasses.replace(p, precision="bf16") for p in measured_points() if p.device == "cuda:0"]
    pts = [*measured_points(), *bf16]
    crossing = speedup_model(ChartInputs(points=pts, estimates=[], micro=[], machine={}))
    assert [(c.series, c.variant) for c in crossing.crossovers] == [("cuda:0 · fp32", 0), ("cuda:0 · bf16", 1)]
    assert [(n.device, n.variant) for n in crossing.notes] == [("cuda:0", 0), ("cuda:0", 1)]
    small = [p for p in pts if p.samples <= 10_000]
    never = speedup_model(ChartInputs(points=small, estimates=[], micro=[], machine={}))
    assert [(n.text, n.variant) for n in never.notes] == [
        ("cuda:0 · fp32: GPU does not pay at any size measured (best 1.0×)", 0),
        ("cuda:0 · bf16: GPU does not pay at any size measured (best 1.0×)", 1),
    ]
