"""Human numbers as properties: what a person types parses to the integer they meant, and what gpuwise prints
parses back to (about) the number it printed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpuwise.core.units import format_count, parse_count

SUFFIXES = (("", 1), ("k", 10**3), ("M", 10**6), ("B", 10**9), ("G", 10**9), ("T", 10**12))


@pytest.mark.parametrize(("text", "value"), [("2.01k", 2010), ("1.1k", 1100), ("0.29M", 290_000),
                                             ("4.35B", 4_350_000_000), ("1.005k", 1005), ("2.3e3", 2300),
                                             ("0.7k", 700)])  # fmt: skip
def test_decimals_with_a_suffix_round_to_the_integer_meant(text: str, value: int) -> None:
    # 2.01 x 1000 is 2009.9999999999998 in binary floating point: truncating would say 2009
    assert parse_count(text) == value


@given(st.integers(min_value=0, max_value=10**13), st.sampled_from(SUFFIXES))
def test_any_count_written_with_a_suffix_parses_back_exactly(n: int, suffix: tuple[str, int]) -> None:
    name, factor = suffix
    digits = len(str(factor)) - 1
    text = f"{n / factor:.{digits}f}{name}" if digits else str(n)
    assert parse_count(text) == n


@given(st.integers(min_value=0, max_value=10**14))
def test_a_formatted_count_parses_back_within_its_three_significant_digits(n: int) -> None:
    back = parse_count(format_count(n))
    assert abs(back - n) <= 0.005 * n + 0.5
