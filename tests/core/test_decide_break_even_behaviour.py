"""Break-even sizes (``gpuwise.core.decide.break_even``), stated as behaviour: where along the dataset size and the
model size the GPU pays, and what the break-even says about itself.

Written against the mutants of ``benchmarks/mutation.py break_even`` that the verdict tests let through.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from gpuwise.core import estimate as est
from gpuwise.core.bench import memory
from gpuwise.core.bench.workloads import build_spec
from gpuwise.core.decide.break_even import break_even_params, break_even_samples
from gpuwise.core.decide.rule import Billing, pays_at
from gpuwise.core.decide.time_to_train import Timing
from gpuwise.core.decide.values import DeviceVerdict, Source, Workload
from gpuwise.core.report import Point, StepStats
from gpuwise.core.units import format_count

K = 5.0  # GPU $/h; the CPU costs $1/h
BATCH = 128
SAMPLES = 128_000  # 1000 steps of 128


def gpu(usd_per_hour: float | None = K, **kw: Any) -> DeviceVerdict:
    kw.setdefault("outcome", "pays")
    kw.setdefault("source", "measured")
    return DeviceVerdict(device="cuda:0", label="GPU", kind="gpu", basis="", usd_per_hour=usd_per_hour, **kw)


def cpu(source: Source = "measured", **kw: Any) -> DeviceVerdict:
    return DeviceVerdict(device="cpu", label="CPU", kind="cpu", source=source, basis="", usd_per_hour=1.0, **kw)


def flat(step: float, fixed: float = 0.0, **kw: Any) -> Timing:
    """A timing of ``step`` seconds per step, with no spread."""
    return Timing("measured", "", step, step, step, fixed, **kw)


def seconds(t: Timing, n: int, epochs: int = 1) -> float:
    return t.time_at(n, epochs, BATCH)[0]


# --- dataset size ----------------------------------------------------------------------------------------------


def test_a_gpu_without_a_price_or_that_cannot_hold_the_job_has_no_dataset_break_even() -> None:
    w = Workload("mlp", 100_000, samples=SAMPLES)
    c, g = flat(0.1), flat(0.01)
    assert break_even_samples(c, g, gpu(None, outcome="no_price"), w, 1.0, "per_second") is None
    assert break_even_samples(c, g, gpu(outcome="does_not_fit"), w, 1.0, "per_second") is None
    assert break_even_samples(c, g, gpu(), w, 1.0, "per_second") is not None


def _pays_above(n0: float) -> tuple[Timing, Timing]:
    """CPU 0.1 s/step; GPU 0.01 s/step (half the CPU's cost per step at k = 5) plus a start-up that the saving
    repays after ``n0`` samples."""
    return flat(0.1), flat(0.01, fixed=math.ceil(n0 / BATCH) / 100)


def test_a_break_even_just_below_one_trillion_samples_is_found() -> None:
    c, g = _pays_above(9e11)
    be = break_even_samples(c, g, gpu(), Workload("mlp", 100_000, samples=1000), 1.0, "per_second")
    assert be is not None and be.direction == "above" and be.value is not None
    assert be.value == pytest.approx(9e11, rel=1e-3)  # the tie tolerance moves it by 0.02 %


def test_the_dataset_scan_ends_at_one_trillion_samples() -> None:
    c, g = _pays_above(1.1e12)
    be = break_even_samples(c, g, gpu(), Workload("mlp", 100_000, samples=1000), 1.0, "per_second")
    assert be is not None and be.value is None and be.pays_on == ()
    assert be.reason.startswith("the GPU does not pay at any size from 1 to 1T (")


@pytest.mark.parametrize("direction", ["above", "below"])
def test_a_dataset_break_even_is_the_first_or_last_size_that_pays(direction: str) -> None:
    # "above": GPU start-up repaid by a cheaper step; "below": CPU start-up that a dearer GPU step eats up
    c, g = _pays_above(1e6) if direction == "above" else (flat(0.1, fixed=1000.0), flat(0.05))
    w = Workload("mlp", 100_000, samples=SAMPLES)
    be = break_even_samples(c, g, gpu(), w, 1.0, "per_second")
    assert be is not None and be.direction == direction and be.value is not None
    n = int(be.value)
    assert n == be.value
    inside, outside = (n, n - 1) if direction == "above" else (n, n + 1)
    assert pays_at(seconds(c, inside), seconds(g, inside), 1.0, K)
    assert not pays_at(seconds(c, outside), seconds(g, outside), 1.0, K)
    assert be.pays_at(inside) and not be.pays_at(outside)


@pytest.mark.parametrize("gpu_source", ["measured", "estimate"])
def test_a_dataset_break_even_says_what_it_is_about(gpu_source: Source) -> None:
    w = Workload("mlp", 100_000, samples=SAMPLES)
    c, g = flat(0.1, fixed=1000.0), flat(0.05)
    be = break_even_samples(c, g, gpu(source=gpu_source), w, 1.0, "per_second")
    assert be is not None and be.direction == "below"
    assert be.dimension == "samples" and be.device == "cuda:0"
    assert be.estimated is (gpu_source == "estimate")
    assert be.reason == "1 epoch at batch 128, fixed overheads included, per second billing"


def test_a_dataset_size_where_the_gpu_never_pays_says_what_it_is_about() -> None:
    w = Workload("mlp", 100_000, samples=SAMPLES, epochs=2)
    be = break_even_samples(flat(0.1), flat(0.05), gpu(), w, 1.0, "per_hour")
    assert be is not None and be.value is None and be.direction == ""
    assert be.dimension == "samples" and be.device == "cuda:0" and be.estimated is False
    assert be.reason == (
        "the GPU does not pay at any size from 1 to 1T "
        "(2 epochs at batch 128, fixed overheads included, per hour billing)"
    )


def test_a_measured_epoch_decides_at_its_own_size_only() -> None:
    # the CPU's measured epoch at 10,000 samples took 1000 s (a slow run): the GPU pays there and nowhere else
    n0 = 10_000
    c = flat(0.1, epoch_s=1000.0, epoch_samples=n0)
    g = flat(0.05)
    be = break_even_samples(c, g, gpu(), Workload("mlp", 100_000, samples=SAMPLES), 1.0, "per_second")
    assert be is not None and be.pays_on == ((n0, n0),)
    assert be.reason.startswith("the GPU pays from ~10k samples to ~10k samples (")
    assert be.value is None and be.dimension == "samples" and be.device == "cuda:0"


# --- model size ------------------------------------------------------------------------------------------------


def grid_size(exponent: float) -> int:
    """The model size the break-even grid (10^(k/4) parameters) scans for ``exponent``."""
    return int(build_spec("mlp", round(10**exponent))["params"])


def point(device: str, params: int, time_s: float) -> Point:
    """A measured MLP point of ``SAMPLES`` samples (1000 steps) whose epoch takes ``time_s``."""
    spec = build_spec("mlp", params)
    step = time_s / 1000
    return Point(
        device=device,
        family="mlp",
        params=spec["params"],
        architecture=spec,
        samples=SAMPLES,
        batch_size=BATCH,
        epochs=1,
        precision="fp32",
        threads=2,
        optimizer="adam",
        status="ok",
        samples_per_s=BATCH / step,
        step_time_s=StepStats(step, 0.0, (step, step), 20),
        epoch_time_s=time_s,
        fixed_overhead_s=0.0,
        time_to_train_s=time_s,
    )


X0, X1 = grid_size(5), grid_size(5.25)  # two neighbouring sizes of the grid


def two_nodes(times: dict[int, tuple[float, float]]) -> list[Point]:
    """CPU and GPU measured at the given sizes only ({size: (cpu s, gpu s)})."""
    return [p for x, (tc, tg) in times.items() for p in (point("cpu", x, tc), point("cuda:0", x, tg))]


def params_break_even(
    points: list[Point],
    *,
    w: Workload | None = None,
    cpu_v: DeviceVerdict | None = None,
    g: DeviceVerdict | None = None,
    cpu_model: bool = False,
    gpu_model: bool = False,
    cpu_available: int | None = None,
    billing: Billing = "per_second",
    gpu_price: float = K,
) -> Any:
    """``break_even_params`` for the primary GPU (no headline numbers unless given), models only when asked."""
    return break_even_params(
        points,
        est.cpu_model(None) if cpu_model else None,  # type: ignore[arg-type]
        est.gpu_model("A100 80GB SXM") if gpu_model else None,
        cpu_v or cpu(),
        g or gpu(gpu_price),
        w or Workload("mlp", X0, samples=SAMPLES),
        cpu_available,
        billing,
    )


def test_a_fixed_size_model_or_an_unpriced_gpu_has_no_model_size_break_even() -> None:
    pts = two_nodes({X0: (1000.0, 100.0), X1: (1000.0, 400.0)})
    headline = {"time_s": 500.0, "fits": True}
    fixed = Workload("resnet18", 5000, samples=SAMPLES)
    assert params_break_even(pts, w=fixed, cpu_v=cpu(**headline), g=gpu(**headline)) is None
    assert params_break_even(pts, g=gpu(None, outcome="no_price")) is None
    assert params_break_even(pts) is not None


def test_two_scanned_sizes_are_enough_for_a_model_size_break_even() -> None:
    be = params_break_even(two_nodes({X0: (1000.0, 100.0), X1: (1000.0, 400.0)}))
    assert be is not None and be.direction == "below"
    assert be.pays_at(X0) and not be.pays_at(X1)
    assert be.reason.endswith(f"; sizes {format_count(X0)}–{format_count(X1)} scanned")


def test_billed_per_started_hour_the_model_size_crossover_follows_the_billed_costs() -> None:
    # at X0: CPU 3.5 h (4 h billed, $4), GPU 0.5 h (1 h at $2); at X1: CPU 1.5 h ($2), GPU 1.5 h ($4). The billed
    # cost ratio goes 2 -> 1/2, so the crossover sits halfway in log size (the raw times would place it elsewhere)
    h = 3600.0
    pts = two_nodes({X0: (3.5 * h, 0.5 * h), X1: (1.5 * h, 1.5 * h)})
    be = params_break_even(pts, billing="per_hour", gpu_price=2.0)
    assert be is not None and be.direction == "below" and be.value is not None
    assert be.value == pytest.approx(math.sqrt(X0 * X1), rel=1e-9)


def test_a_tie_at_a_scanned_size_does_not_pay_there() -> None:
    # at X1 the GPU job costs 0.005 % less than the CPU's: a tie (within 0.01 %), so it does not pay at X1
    pts = two_nodes({X0: (1000.0, 100.0), X1: (1000.0, 1000.0 / (K * 1.00005))})
    be = params_break_even(pts)
    assert be is not None and be.direction == "below" and be.value is not None
    assert X0 < be.value < X1
    assert be.pays_at(X0) and not be.pays_at(X1)


MID = grid_size(5.1)  # between X0 and X1, on no grid size
NEITHER_PAYS = {X0: (1000.0, 1000.0), X1: (1000.0, 1000.0)}  # the GPU at 5x the price, as fast as the CPU


@pytest.mark.parametrize("fits", [True, None])
def test_the_headline_numbers_decide_at_the_workload_size(fits: bool | None) -> None:
    headline = {"time_s": 1000.0}
    w = Workload("mlp", MID, samples=SAMPLES)
    g = gpu(time_s=100.0, fits=fits)
    be = params_break_even(two_nodes(NEITHER_PAYS), w=w, cpu_v=cpu(**headline), g=g)
    assert be is not None and be.pays_at(MID)
    assert not be.pays_at(X0) and not be.pays_at(X1)


def test_the_headline_numbers_of_a_gpu_the_model_does_not_fit_are_not_a_node() -> None:
    w = Workload("mlp", MID, samples=SAMPLES)
    be = params_break_even(two_nodes(NEITHER_PAYS), w=w, cpu_v=cpu(time_s=1000.0), g=gpu(time_s=100.0, fits=False))
    assert be is not None and be.pays_on == ()


def test_headline_numbers_without_a_cpu_time_are_not_a_node() -> None:
    w = Workload("mlp", MID, samples=SAMPLES)
    be = params_break_even(two_nodes(NEITHER_PAYS), w=w, cpu_v=cpu(), g=gpu(time_s=100.0, fits=True))
    assert be is not None and be.pays_on == ()


@pytest.mark.parametrize("which", ["cpu", "gpu"])
def test_an_estimated_headline_makes_the_model_size_break_even_an_estimate(which: str) -> None:
    pts = two_nodes({X0: (1000.0, 100.0), X1: (1000.0, 400.0)})
    if which == "cpu":
        be = params_break_even(pts, cpu_v=cpu("estimate"))
    else:
        be = params_break_even(pts, g=gpu(source="estimate"))
    assert be is not None and be.estimated is True
    assert params_break_even(pts).estimated is False


def test_an_estimated_cpu_curve_against_a_measured_gpu_is_an_estimate() -> None:
    # no CPU measurement at all: its times come from the CPU model, the GPU's from its two measured sizes
    pts = [point("cuda:0", X0, 1e-3), point("cuda:0", X1, 1e-3)]
    be = params_break_even(pts, cpu_model=True)
    assert be is not None and be.estimated is True
    assert f"sizes {format_count(X0)}–{format_count(X1)} scanned" in be.reason


def test_sizes_without_a_gpu_time_are_skipped_not_the_end_of_the_curve() -> None:
    # the GPU measured at 100k and 10M only, no GPU model: below 100k it has no time, the scan carries on
    lo, hi = grid_size(5), grid_size(7)
    pts = [point("cuda:0", lo, 10.0), point("cuda:0", hi, 10.0)]
    pts += [point("cpu", grid_size(e / 4), 1e-4 * grid_size(e / 4)) for e in range(12, 31)]
    be = params_break_even(pts, w=Workload("mlp", lo, samples=SAMPLES))
    assert be is not None
    assert f"sizes {format_count(lo)}–{format_count(hi)} scanned" in be.reason


def _estimated_scan(family: str = "mlp", epochs: int = 1, **kw: Any) -> Any:
    w = Workload(family, grid_size(6), samples=1000, epochs=epochs)
    return params_break_even([], w=w, cpu_model=True, gpu_model=True, **kw)


@pytest.mark.parametrize("epochs", [1, 2])
def test_with_unknown_memory_the_model_size_scan_covers_1k_to_10b_parameters(epochs: int) -> None:
    be = _estimated_scan(epochs=epochs)
    assert be is not None and be.estimated is True
    words = "1 epoch" if epochs == 1 else "2 epochs"
    assert f"1k samples × {words}, batch 128; sizes 1.01k–10B scanned" in be.reason


def test_a_family_whose_smallest_grid_size_is_under_1k_starts_at_the_next() -> None:
    be = _estimated_scan("transformer")
    assert be is not None
    assert "sizes 1.78k–10B scanned" in be.reason


def test_the_model_size_curve_ends_at_the_gpu_memory_as_at_the_cpu_memory() -> None:
    gib = 1 << 30
    on_cpu = _estimated_scan(cpu_available=gib)
    on_gpu = params_break_even(
        [],
        w=Workload("mlp", grid_size(6), samples=1000),
        g=gpu(memory_available=gib),
        cpu_model=True,
        gpu_model=True,
    )
    assert on_cpu is not None and on_gpu is not None
    assert "–10B scanned" not in on_cpu.reason
    assert on_gpu.reason == on_cpu.reason


def test_a_model_that_needs_exactly_the_available_memory_is_scanned() -> None:
    top = grid_size(7)
    need = memory.estimate_training_memory(build_spec("mlp", top), BATCH, optimizer="adam", precision="fp32").total
    be = _estimated_scan(cpu_available=need)
    assert be is not None
    assert "sizes 1.01k–10M scanned" in be.reason
    assert "sizes 1.01k–5.62M scanned" in _estimated_scan(cpu_available=need - 1).reason


@pytest.mark.parametrize("direction", ["above", "below"])
def test_a_measured_epoch_next_to_the_break_even_keeps_both_neighbours(direction: str) -> None:
    # a CPU epoch measured (fast: 1 s) one sample past the first paying size, or one before the last: the GPU does
    # not pay there, and still pays on the size next to it
    c, g = _pays_above(1e6) if direction == "above" else (flat(0.1, fixed=1000.0), flat(0.05))
    w = Workload("mlp", 100_000, samples=SAMPLES)
    plain = break_even_samples(c, g, gpu(), w, 1.0, "per_second")
    assert plain is not None and plain.value is not None
    n0 = int(plain.value)
    n = n0 + 1 if direction == "above" else n0 - 1
    fast = Timing(c.source, c.basis, c.step, c.step_lo, c.step_hi, c.fixed, epoch_s=1.0, epoch_samples=n)
    be = break_even_samples(fast, g, gpu(), w, 1.0, "per_second")
    assert be is not None
    if direction == "above":
        assert be.pays_on == ((n0, n0), (n0 + 2, None))
    else:
        assert be.pays_on == ((None, n0 - 2), (n0, n0))
