"""Where a curve crosses a level, and the break-even lines' labels."""

from __future__ import annotations

import pytest

from gpuwise.charts.crossovers import find_crossovers


def test_find_crossovers_up_down_and_none() -> None:
    assert find_crossovers([1, 10, 100], [1, 2, 2.5], 3) == []
    ((x, d),) = find_crossovers([10, 100], [1, 9], 3)
    assert d == "up" and x == pytest.approx(10**1.5)
    ((x, d),) = find_crossovers([10, 100], [9, 1], 3)
    assert d == "down" and x == pytest.approx(10**1.5)
    assert [d for _, d in find_crossovers([1, 10, 100, 1000], [1, 9, 1, 9], 3)] == ["up", "down", "up"]
