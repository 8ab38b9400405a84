"""The verdict in words (``gpuwise.core.decide.text``), stated as behaviour: money, ratios and bands for people,
the headline for every outcome, the table, the break-even lines and the whole text ``gpuwise advise`` prints.

Written against the mutants of ``benchmarks/mutation.py text`` that the verdict tests let through.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from gpuwise.core.decide.text import (
    break_even_text,
    describe_intervals,
    format_band,
    format_ratio,
    format_usd,
    format_usd_range,
    sentence,
    table_rows,
)
from gpuwise.core.decide.values import BreakEven, DeviceVerdict, Verdict, Workload
from gpuwise.core.prices import PriceSettings

W = Workload("mlp", 1_000_000, samples=100_000, batch_size=256)
GIB = 1 << 30


@pytest.mark.parametrize(
    ("x", "text"),
    [(None, "n/a"), (100.0, "$100"), (1234.5, "$1,234"), (99.99, "$99.99"), (1.05, "$1.05"), (0.5, "$0.50")],
)
def test_money_is_whole_dollars_from_100_and_cents_below(x: float | None, text: str) -> None:
    assert format_usd(x) == text


def test_a_money_range_of_one_amount_is_that_amount() -> None:
    assert format_usd_range(1.0, 1.001) == "$1.00"
    assert format_usd_range(1.0, 2.0) == "$1.00–$2.00"


@pytest.mark.parametrize(("x", "text"), [(10.0, "10×"), (12.4, "12×"), (9.95, "9.9×"), (1.0, "1.0×"), (0.5, "0.5×")])
def test_a_ratio_has_no_decimals_from_10_one_from_1_and_two_digits_below(x: float, text: str) -> None:
    assert format_ratio(x) == text


def test_a_band_prints_large_ends_whole_and_one_value_once() -> None:
    assert format_band(123.4, 250.0) == "123–250×"
    assert format_band(2.0, 2.0) == "2×"
    assert format_band(0.5, 3.25) == "0.5–3.2×"


# --- break-even lines --------------------------------------------------------------------------------------------


def test_ranges_of_model_sizes_in_words() -> None:
    scanned = (1e3, 1e10)
    assert describe_intervals("params", ((None, 1e4), (1e6, None)), scanned) == (
        "the GPU pays up to ~10k parameters, and from ~1M parameters on"
    )
    assert (
        describe_intervals("params", ((1e4, 1e5),), scanned) == "the GPU pays from ~10k parameters to ~100k parameters"
    )
    assert describe_intervals("samples", ((None, 50.0), (2e3, 3e3)), (1, 1e12)) == (
        "the GPU pays up to ~50 samples, and from ~2k samples to ~3k samples"
    )
    assert describe_intervals("samples", ((2e3, 3e3), (1e6, None)), (1, 1e12)) == (
        "the GPU pays from ~2k samples to ~3k samples, and from ~1M samples on"
    )


@pytest.mark.parametrize(
    ("be", "text"),
    [
        (
            BreakEven("params", 5e5, "above", "why", False),
            "Break-even model size: the GPU pays above ~500k parameters (why)",
        ),
        (
            BreakEven("samples", 2e4, "below", "why", True),
            "Break-even dataset size (estimate): the GPU pays below ~20k samples (why)",
        ),
        (
            BreakEven("params", None, "", "it never does", True),
            "Break-even model size (estimate): none — it never does",
        ),
    ],
)
def test_a_break_even_line_names_the_dimension_the_value_and_whether_it_is_an_estimate(
    be: BreakEven, text: str
) -> None:
    assert break_even_text(be) == text


# --- the headline ------------------------------------------------------------------------------------------------


def cpu(**kw: Any) -> DeviceVerdict:
    base: dict[str, Any] = {
        "time_s": 400.0,
        "time_ci95": (380.0, 420.0),
        "usd_per_hour": 1.0,
        "cost_usd": 2.0,
        "cost_ci95": (1.9, 2.1),
        "cost_hourly_usd": 1.0,
        "fits": True,
    }
    return DeviceVerdict(
        **{"device": "cpu", "label": "CPU", "kind": "cpu", "source": "measured", "basis": "", **base, **kw}
    )


def gpu(**kw: Any) -> DeviceVerdict:
    base: dict[str, Any] = {
        "time_s": 100.0,
        "time_ci95": (90.0, 110.0),
        "usd_per_hour": 2.0,
        "cost_usd": 1.0,
        "cost_ci95": (0.9, 1.1),
        "cost_hourly_usd": 2.0,
        "speedup": 4.0,
        "speedup_ci95": (3.0, 5.0),
        "price_ratio": 2.0,
        "outcome": "pays",
        "fits": True,
    }
    return DeviceVerdict(
        **{"device": "cuda:0", "label": "GPU X", "kind": "gpu", "source": "measured", "basis": "", **base, **kw}
    )


def test_a_gpu_that_pays() -> None:
    assert sentence(cpu(), gpu(), W) == (
        "gpu_pays",
        "A GPU pays: the GPU X is 4.0× faster (3–5×) at 2.0× the price — the job costs $1.00 instead of $2.00.",
    )


def test_an_estimated_gpu_that_pays_says_so_twice() -> None:
    outcome, text = sentence(cpu(), gpu(source="estimate"), W)
    assert outcome == "gpu_pays"
    assert text.startswith("A GPU pays (estimate): the GPU X is 4.0× faster (3–5×, estimate) at 2.0× the price")


def test_a_gpu_that_pays_because_of_the_hourly_billing_says_so() -> None:
    assert sentence(cpu(), gpu(note="hourly billing"), W)[1].endswith(
        "the job costs $1.00 instead of $2.00: billing by the started hour decides."
    )


def test_a_gpu_that_does_not_pay_because_of_the_billing_minimum_says_so() -> None:
    g = gpu(outcome="does_not_pay", note="billing minimum", cost_usd=2.5)
    assert sentence(cpu(), g, W) == (
        "stay_on_cpu",
        "Stay on the CPU: the GPU X is 4.0× faster (3–5×) at 2.0× the price, but the job is so short that the "
        "60-second billing minimum decides — $2.50 on the GPU vs $2.00 on the CPU.",
    )


@pytest.mark.parametrize(
    ("s", "how"),
    [(1.5, "only 1.5× faster"), (1.0, "only 1.0× faster"), (0.5, "slower (0.5× the CPU's speed)")],
)
def test_a_gpu_not_fast_enough_for_its_price(s: float, how: str) -> None:
    g = gpu(outcome="does_not_pay", speedup=s, speedup_ci95=(s, s), price_ratio=5.0, cost_usd=3.0)
    assert sentence(cpu(), g, W) == (
        "stay_on_cpu",
        f"Stay on the CPU: the GPU X is {how} ({format_band(s, s)}) at 5.0× the price — the job costs $2.00 on the "
        "CPU instead of $3.00.",
    )


@pytest.mark.parametrize(("s", "faster"), [(1.0, "1.0× faster"), (0.8, "slower (0.8× the CPU's speed)")])
def test_a_speedup_below_one_is_slower(s: float, faster: str) -> None:
    assert f"the GPU X is {faster} (" in sentence(cpu(), gpu(speedup=s), W)[1]


@pytest.mark.parametrize(("largest", "tail"), [(64, "; the largest batch that fits is 64."), (None, "."), (0, ".")])
def test_a_gpu_the_model_does_not_fit(largest: int | None, tail: str) -> None:
    g = gpu(outcome="does_not_fit", fits=False, memory_needed=3 * GIB, largest_batch=largest)
    assert sentence(cpu(), g, W) == (
        "stay_on_cpu",
        "Stay on the CPU: this model does not fit in the GPU X's memory at batch 256 (needs ~3 GiB for weights, "
        f"gradients, optimizer state and activations){tail}",
    )


def test_a_gpu_without_a_price() -> None:
    g = gpu(outcome="no_price", usd_per_hour=None, price_ratio=None, cost_usd=None, cost_ci95=None)
    assert sentence(cpu(), g, W) == (
        "cant_tell",
        "Can't tell: no rental price is known for the GPU X (4.0× faster); type its price per hour.",
    )


@pytest.mark.parametrize(
    "missing",
    [
        {"speedup": None},
        {"speedup_ci95": None},
        {"price_ratio": None},
        {"cost_ci95": None},
        {"speedup": None, "outcome": "no_price"},
    ],
)
def test_a_gpu_without_the_numbers_to_decide(missing: dict[str, Any]) -> None:
    assert sentence(cpu(), gpu(**missing), W) == (
        "cant_tell",
        "Can't tell yet: the GPU X was not measured for this workload and is not in the GPU catalog to estimate from.",
    )


# --- the table and the whole text --------------------------------------------------------------------------------


def verdict(*gpus: DeviceVerdict, primary: str = "cuda:0", **kw: Any) -> Verdict:
    return Verdict(
        workload=W,
        prices=PriceSettings(1.0, 2.0),
        cpu=cpu(),
        gpus=gpus,
        primary=primary,
        outcome="gpu_pays",
        sentence="A GPU pays.",
        break_even_samples=kw.get("samples"),
        break_even_params=kw.get("params"),
        memory_lines=("CPU: fits", "GPU X: fits"),
        idle_hour="An idle hour costs $2.00.",
    )


def test_table_rows_show_times_ranges_prices_and_costs() -> None:
    scaled = gpu(source="scaled", label="GPU S", time_s=100.0, time_ci95=(70.0, 110.0))
    rough = gpu(source="estimate", label="GPU E", time_ci95=None, cost_ci95=None, cost_usd=1.5)
    unpriced = gpu(label="GPU U", time_s=0.5, time_ci95=(0.35, 0.55), usd_per_hour=None, cost_hourly_usd=None)
    unknown = gpu(label="GPU N", time_s=None, time_ci95=None, speedup=None, outcome="no_price")
    zero = gpu(label="GPU Z", time_s=0.0, time_ci95=(0.0, 0.0))
    rows = table_rows(verdict(scaled, rough, unpriced, unknown, zero))
    assert rows == [
        ["CPU [measured]", "6.67 min (±5%)", "1×", "1", "$1.90–$2.10", "$1.00", "—"],
        ["GPU S [scaled]", "100 s (70 s–110 s)", "4.0× (3–5×)", "2", "$0.90–$1.10", "$2.00", "yes"],
        ["GPU E [estimate]", "100 s", "4.0× (3–5×)", "2", "$1.50", "$2.00", "yes"],
        ["GPU U [measured]", "500 ms (±30%)", "4.0× (3–5×)", "n/a", "$0.90–$1.10", "n/a", "yes"],
        ["GPU N [measured]", "n/a", "n/a", "2", "$0.90–$1.10", "$2.00", "no price"],
        ["GPU Z [measured]", "0 µs (±0%)", "4.0× (3–5×)", "2", "$0.90–$1.10", "$2.00", "yes"],
    ]


def test_the_whole_text() -> None:
    scaled = gpu(source="scaled", basis="measured step time × steps")
    be_s = BreakEven("samples", 2e4, "above", "1 epoch at batch 256", False)
    be_p = BreakEven("params", 5e5, "above", "sizes scanned", False)
    text = verdict(scaled, samples=be_s, params=be_p).to_text()
    assert text.split("\n") == [
        "A GPU pays.",
        "",
        "Workload: MLP 1M params, 100k samples × 1 epoch, batch 256, fp32, Adam",
        "Prices: CPU $1/h, GPU $2/h for the GPU X (the price ratio k = 2.0×); billed per second, 60 s minimum",
        "",
        "Device          Time to train       Speedup      $/h  Job cost     Per started hour  Pays?",
        "CPU [measured]  6.67 min (±5%)      1×           1    $1.90–$2.10  $1.00             —",
        "GPU X [scaled]  100 s (90 s–110 s)  4.0× (3–5×)  2    $0.90–$1.10  $2.00             yes",
        "",
        "Break-even dataset size: the GPU pays above ~20k samples (1 epoch at batch 256)",
        "Break-even model size: the GPU pays above ~500k parameters (sizes scanned)",
        "Memory: CPU: fits",
        "Memory: GPU X: fits",
        "An idle hour costs $2.00.",
        "",
        "How the non-measured numbers were made:",
        "  GPU X: measured step time × steps",
        "",
        "Rule: " + verdict().rules[0],
        "Rule: " + verdict().rules[1],
        "Rule: " + verdict().rules[2],
    ]


def test_a_text_of_measured_numbers_has_no_how_section_and_skips_missing_break_evens() -> None:
    text = verdict(gpu()).to_text()
    assert "How the non-measured numbers were made:" not in text
    assert "Break-even" not in text
    lines = text.split("\n")
    assert lines[lines.index("An idle hour costs $2.00.") + 1] == ""
    assert lines[lines.index("An idle hour costs $2.00.") + 2].startswith("Rule: ")


def test_the_prices_line_names_the_primary_by_its_device_when_it_is_not_among_the_gpus() -> None:
    assert "GPU $2/h for the T4 (the price ratio" in replace(verdict(gpu()), primary="T4").to_text()
