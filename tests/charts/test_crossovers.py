"""Where a curve crosses a level, y along a curve in log–log space, and the break-even lines' labels."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpuwise.charts.crossovers import break_even_lines, find_crossovers, log_interp
from gpuwise.charts.model import HLine


def test_find_crossovers_up_down_and_none() -> None:
    assert find_crossovers([1, 10, 100], [1, 2, 2.5], 3) == []
    ((x, d),) = find_crossovers([10, 100], [1, 9], 3)
    assert d == "up" and x == pytest.approx(10**1.5)
    ((x, d),) = find_crossovers([10, 100], [9, 1], 3)
    assert d == "down" and x == pytest.approx(10**1.5)
    assert [d for _, d in find_crossovers([1, 10, 100, 1000], [1, 9, 1, 9], 3)] == ["up", "down", "up"]
    assert find_crossovers([10, 100], [1, 9], 0) == []


positive = st.floats(min_value=1e-3, max_value=1e6)


@given(ys=st.lists(positive, min_size=2, max_size=8), level=positive)
def test_crossings_alternate_and_each_lies_between_its_neighbours(ys: list[float], level: float) -> None:
    xs = [10.0**i for i in range(len(ys))]
    found = find_crossovers(xs, ys, level)
    directions = [d for _, d in found]
    assert all(a != b for a, b in itertools.pairwise(directions))  # up, down, up…
    for x, _ in found:
        assert xs[0] <= x * (1 + 1e-9) and x <= xs[-1] * (1 + 1e-9)
        assert log_interp(xs, ys, x) == pytest.approx(level, rel=1e-6)  # on the curve, at the level


@given(ys=st.lists(positive, min_size=1, max_size=6))
def test_log_interp_passes_through_every_point_and_holds_the_ends(ys: list[float]) -> None:
    xs = [10.0**i for i in range(len(ys))]
    for x, y in zip(xs, ys, strict=True):
        assert log_interp(xs, ys, x) == pytest.approx(y, rel=1e-9)
    assert log_interp(xs, ys, xs[0] / 10) == pytest.approx(ys[0])
    assert log_interp(xs, ys, xs[-1] * 10) == pytest.approx(ys[-1])


def test_log_interp_is_straight_in_log_log_space() -> None:
    assert log_interp([1, 100], [1, 10_000], 10) == pytest.approx(100)
    assert log_interp([], [], 5) == 1.0
    assert math.isclose(log_interp([1, 100], [10, 10], 7), 10)


def test_one_line_needs_no_names_several_name_their_gpus() -> None:
    [one] = break_even_lines([HLine(3.0, "cuda:0", "break-even", "cuda:0")])
    assert (one.label, one.short, one.device) == ("break-even: GPU price/hour = 3.0× CPU's", "break-even 3.0×", None)
    two = break_even_lines([HLine(3.0, "cuda:0", "break-even", "cuda:0"), HLine(8.0, "H100", "break-even", "H100")])
    assert [h.short for h in two] == ["break-even 3.0× (cuda:0)", "break-even 8.0× (H100)"]
    assert [h.device for h in two] == ["cuda:0", "H100"]  # drawn in their GPU's colour
