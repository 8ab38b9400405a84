"""The one decision (``gpuwise.core.decide.rule``), stated as behaviour: billing, cost ranges, ties, crossovers.

Written against the mutants of ``benchmarks/mutation.py rule`` that the verdict tests let through; each test says
what a user relies on, not how the rule computes it.
"""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpuwise.core.decide import (
    TIE_TOLERANCE,
    check_billing,
    cost_crossovers,
    cost_range,
    decide_costs,
    speedup_range,
)
from gpuwise.core.errors import UserInputError


@pytest.mark.parametrize(
    ("typed", "billing"),
    [
        ("per-second", "per_second"),
        ("Per-Hour", "per_hour"),
        (" per_hour ", "per_hour"),
        ("PER-SECOND", "per_second"),
    ],
)
def test_billing_is_accepted_as_typed_on_the_command_line(typed: str, billing: str) -> None:
    assert check_billing(typed) == billing


def test_an_unknown_billing_says_what_was_typed_and_what_to_choose() -> None:
    with pytest.raises(UserInputError) as info:
        check_billing("per-minute")
    message = str(info.value)
    assert "per-minute" in message
    assert "per-second" in message and "per-hour" in message


def test_a_cost_range_without_a_time_interval_is_the_cost_itself() -> None:
    cost, (lo, hi) = cost_range(7200.0, None, 3.0, "per_second")
    assert cost == lo == hi == pytest.approx(6.0)


def test_both_ends_of_a_cost_range_are_billed_like_the_job() -> None:
    # 30 min to 2.5 h at $2/h, billed per started hour: 1 h to 3 h, never per second.
    cost, (lo, hi) = cost_range(3600.0 * 1.5, (1800.0, 9000.0), 2.0, "per_hour")
    assert [cost, lo, hi] == pytest.approx([4.0, 2.0, 6.0])


@pytest.mark.parametrize("cpu_cost", [1.0, 0.37, 12.5])
def test_a_gpu_exactly_at_the_tie_tolerance_does_not_pay(cpu_cost: float) -> None:
    edge = cpu_cost * (1 - TIE_TOLERANCE)
    assert decide_costs((cpu_cost, cpu_cost), (edge, edge)) == "does_not_pay"
    assert decide_costs((cpu_cost, cpu_cost), (edge * 0.999, edge * 0.999)) == "pays"


def test_a_speedup_range_below_one_second_on_the_gpu_is_the_ratio_of_the_time_ranges() -> None:
    speedup, (lo, hi) = speedup_range(10.0, (9.0, 11.0), 0.5, (0.4, 0.6))
    assert speedup == pytest.approx(20.0)
    assert [lo, hi] == pytest.approx([9.0 / 0.6, 11.0 / 0.4])


def test_crossovers_need_one_cost_per_size() -> None:
    with pytest.raises(ValueError):
        cost_crossovers([1.0, 10.0, 100.0], [1.0, 2.0, 3.0], [1.0, 2.0])


def test_a_crossover_lies_where_the_interpolated_costs_meet() -> None:
    # log(cpu/gpu) runs from -1 at x = 10 to +2 at x = 10^4, linearly in log x: it is 0 at x = 100.
    xs = [10.0, 1e4]
    gpu = [0.05, 0.05]
    cpu = [0.05 * math.exp(-1), 0.05 * math.exp(2)]
    ((x, direction),) = cost_crossovers(xs, cpu, gpu)
    assert direction == "up"
    assert x == pytest.approx(100.0)


def test_a_gpu_that_stops_paying_gives_a_down_crossover() -> None:
    xs = [10.0, 1e4]
    gpu = [0.05, 0.05]
    cpu = [0.05 * math.exp(2), 0.05 * math.exp(-1)]
    ((x, direction),) = cost_crossovers(xs, cpu, gpu)
    assert direction == "down"
    assert x == pytest.approx(1e3)


def test_a_gpu_that_stops_paying_at_a_tie_crosses_over_no_later_than_the_tie() -> None:
    # The second point is a tie within the tolerance (does not pay, though the GPU is a hair cheaper): the
    # crossover lies between the two sizes, not beyond the last one scanned.
    xs = [10.0, 1000.0]
    gpu = [1.0, 1.0]
    cpu = [2.0, 1.0 + TIE_TOLERANCE / 10]
    ((x, direction),) = cost_crossovers(xs, cpu, gpu)
    assert direction == "down"
    assert 10.0 <= x <= 1000.0


_CROSSING = ([10.0, 100.0, 1000.0, 1e4], [0.2, 0.5, 2.0, 5.0], [1.0, 1.0, 1.0, 1.0])  # cheap costs: under $1


def test_crossovers_depend_on_the_cost_ratio_not_on_the_amount() -> None:
    xs, cpu, gpu = _CROSSING
    in_dollars = cost_crossovers(xs, cpu, gpu)
    in_cents = cost_crossovers(xs, [c / 100 for c in cpu], [g / 100 for g in gpu])
    assert len(in_dollars) == 1
    assert [d for _, d in in_cents] == [d for _, d in in_dollars]
    assert [x for x, _ in in_cents] == pytest.approx([x for x, _ in in_dollars])


@pytest.mark.parametrize(
    "bad",
    [
        (0.0, 1.0, 1.0),
        (-5.0, 1.0, 1.0),
        (50.0, 0.0, 1.0),
        (50.0, 1.0, 0.0),
        (50.0, -1.0, 1.0),
        (50.0, 1.0, -1.0),
        (0.0, 0.0, 0.0),
    ],
)
@pytest.mark.parametrize("at", [0, 1, 2, 4])
def test_points_without_a_size_or_a_cost_are_left_out(bad: tuple[float, float, float], at: int) -> None:
    xs, cpu, gpu = (list(v) for v in _CROSSING)
    expected = cost_crossovers(xs, cpu, gpu)
    assert len(expected) == 1
    xs.insert(at, bad[0])
    cpu.insert(at, bad[1])
    gpu.insert(at, bad[2])
    assert cost_crossovers(xs, cpu, gpu) == expected


@given(st.lists(st.tuples(st.floats(1e-3, 1e3), st.floats(1e-3, 1e3)), min_size=2, max_size=12))
def test_crossovers_alternate_and_stay_inside_the_scanned_sizes(costs: list[tuple[float, float]]) -> None:
    xs = [10.0**i for i in range(len(costs))]
    out = cost_crossovers(xs, [c for c, _ in costs], [g for _, g in costs])
    assert all(xs[0] * (1 - 1e-12) <= x <= xs[-1] * (1 + 1e-12) for x, _ in out)  # exp(log x) may round
    assert [x for x, _ in out] == sorted(x for x, _ in out)
    assert all(a[1] != b[1] for a, b in itertools.pairwise(out))
    first_pays = decide_costs((costs[0][0],) * 2, (costs[0][1],) * 2) == "pays"
    if out:
        assert out[0][1] == ("down" if first_pays else "up")


def test_a_flip_at_the_tie_edge_with_equal_cost_ratios_crosses_over_between_the_sizes() -> None:
    # Two jobs whose cost ratio is the same to the last bit but which round to opposite sides of the tie
    # tolerance (found by a search): the decision flips, and with nothing to interpolate on the crossover is
    # placed halfway between the two sizes (in log space), not at either end.
    cpu = [25.514351883684775, 72.15678783375485]
    gpu = [25.511800448496405, 72.14957215497147]
    assert math.log(cpu[0] / gpu[0]) == math.log(cpu[1] / gpu[1])
    ((x, direction),) = cost_crossovers([10.0, 1000.0], cpu, gpu)
    assert direction == "up"
    assert x == pytest.approx(100.0)
