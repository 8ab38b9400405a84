"""Log–log interpolation and crossings (``gpuwise.charts.crossovers``), the speedup chart's dataset-size picker
(``gpuwise.charts.selection``), chart titles (``gpuwise.charts.series``) and tooltip headers
(``gpuwise.charts.tips``) stated as behaviour for the cases the chart tests leave open.

Written against the mutants of ``benchmarks/mutation.py charts`` that the chart tests let through.
"""

from __future__ import annotations

import pytest

from gpuwise.charts.crossovers import find_crossovers, log_interp
from gpuwise.charts.model import ChartInputs
from gpuwise.charts.selection import speedup_dataset_sizes
from gpuwise.charts.series import chart_title
from gpuwise.charts.tips import kind_line, point_header
from tests.charts.samples import point


@pytest.mark.parametrize("f", [log_interp, find_crossovers])
def test_a_curve_s_xs_and_ys_must_pair_up(f: object) -> None:
    with pytest.raises(ValueError):
        f([1.0, 10.0, 100.0], [1.0, 10.0], 5.0)  # type: ignore[operator]


def test_points_at_or_below_zero_are_left_out_of_the_log_log_curve() -> None:
    xs, ys = [0.0, 1.0, 10.0, 100.0, 1000.0], [5.0, 1.0, 10.0, 0.0, -1.0]
    assert log_interp(xs, ys, 10**0.5) == pytest.approx(10**0.5)
    assert log_interp(xs, ys, 1000.0) == pytest.approx(10.0)  # beyond the last usable point: its value
    assert find_crossovers(xs, ys, 3.0) == [(pytest.approx(3.0), "up")]


def test_a_repeated_x_does_not_break_the_interpolation() -> None:
    assert log_interp([1.0, 10.0, 10.0, 100.0], [1.0, 10.0, 20.0, 200.0], 10.0) == pytest.approx(10.0)
    # at a repeated first x either of its two values is the curve's (no division by the zero-width step)
    assert log_interp([10.0, 10.0, 100.0], [1.0, 2.0, 20.0], 10.0) in (pytest.approx(1.0), pytest.approx(2.0))


def test_a_level_below_one_is_crossed_too() -> None:
    assert find_crossovers([1.0, 100.0], [0.1, 10.0], 0.5) == [(pytest.approx(5.0), "up")]
    assert find_crossovers([1.0, 100.0], [0.1, 10.0], 0.0) == []


def test_a_crossing_between_points_two_decades_apart_is_interpolated_in_log_space() -> None:
    assert find_crossovers([1.0, 100.0], [1.0, 100.0], 10.0) == [(pytest.approx(10.0), "up")]


def _inputs(cpu_params: tuple[int, ...], gpu_params: tuple[int, ...]) -> ChartInputs:
    pts = [point("cpu", 1_000 * (i + 1), 10.0, params=n) for i, n in enumerate(cpu_params)]
    pts += [point("cuda:0", 1_000 * (i + 1), 1.0, params=n) for i, n in enumerate(gpu_params)]
    return ChartInputs(points=pts, estimates=[], micro=[], machine={})


def test_the_speedup_chart_offers_dataset_sizes_once_the_gpu_has_two_model_sizes() -> None:
    assert speedup_dataset_sizes(_inputs((10_000, 100_000), (10_000, 100_000))) == [1_000, 2_000]
    # the CPU's model sizes do not count: one GPU model size is a curve against dataset size
    assert speedup_dataset_sizes(_inputs((10_000, 100_000, 1_000_000), (10_000,))) == []


def test_a_title_names_only_what_every_curve_shares() -> None:
    pts = [point("cpu", 1_000, 1.0)]
    base = "Epoch time vs dataset size"
    assert chart_title(base, pts, []) == f"{base} — MLP 1M params, batch 128, fp32"
    assert chart_title(base, pts, ["params"]) == f"{base} — MLP, batch 128, fp32"
    assert chart_title(base, pts, ["family"]) == f"{base} — batch 128, fp32"
    assert chart_title(base, pts, ["family", "batch_size", "precision"]) == base


def test_a_gpu_s_header_never_lists_threads_and_an_estimate_says_so() -> None:
    gpu = point("cuda:0", 1_000, 1.0, threads=8)
    assert point_header(gpu).split("\n")[0] == "cuda:0 · Test GPU (fp32)"
    est = point("A10G", 1_000, 1.0, estimated=True)
    assert point_header(est).split("\n")[0] == "A10G (estimate) · Test GPU (fp32)"


def test_an_extrapolated_point_mentions_ram_only_when_it_held_fewer_samples_than_the_dataset() -> None:
    held_all = point("cpu", 1_000_000, 1.0, dataset_resident_samples=1_000_000)
    assert kind_line(held_all, "extrapolated") == "extrapolated from 20 measured windows"
    held_part = point("cpu", 1_000_000, 1.0, dataset_resident_samples=100_000)
    assert kind_line(held_part, "extrapolated") == "extrapolated from 20 measured windows (100k samples held in RAM)"
