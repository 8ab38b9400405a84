"""Human numbers as properties: what a person types parses to the integer they meant, and what gpuwise prints
parses back to (about) the number it printed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpuwise.core.errors import UserInputError
from gpuwise.core.units import format_bytes, format_count, format_duration, parse_count, parse_count_list

SUFFIXES = (("", 1), ("k", 10**3), ("M", 10**6), ("B", 10**9), ("G", 10**9), ("T", 10**12))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2.01k", 2010),
        ("1.1k", 1100),
        ("0.29M", 290_000),
        ("4.35B", 4_350_000_000),
        ("1.005k", 1005),
        ("2.3e3", 2300),
        ("0.7k", 700),
    ],
)
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


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (119.0, "119 s"),
        (120.0, "2 min"),  # each unit starts exactly at its threshold
        (7190.0, "120 min"),
        (7200.0, "2 h"),
        (172000.0, "47.8 h"),
        (172800.0, "2 days"),
        (3.15e7, "365 days"),
        (3.16e7, "1 years"),
        (0.00501, "5.01 ms"),
        (7220.0, "2.01 h"),
        (378000.0, "4.38 days"),
        (9.42e7, "2.99 years"),  # exact divisors
    ],
)
def test_durations_switch_unit_at_the_threshold_and_divide_exactly(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (999.5 * 1024, "0.976 MiB"),  # 999.5 KiB would print as "1000 KiB": say the next unit
        (999.4 * 1024, "999 KiB"),
        (999.5 * 2**30, "0.976 TiB"),
        (999.5 * 2**40, "0.976 PiB"),  # and on past TiB: never "1000 TiB" or "1e+03"
        (999.5 * 2**50, "0.976 EiB"),  # up to the largest unit
    ],
)
def test_bytes_move_to_the_next_unit_from_999_5(n: float, text: str) -> None:
    assert format_bytes(n) == text


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (999.4 * 2**60, "999 EiB"),
        (999.5 * 2**60, "1000 EiB"),  # no larger unit to move to: whole numbers, never "1e+03 EiB"
        (1000 * 2**60, "1000 EiB"),
        (1023.9 * 2**60, "1024 EiB"),
        (-1000 * 2**60, "-1000 EiB"),
    ],
)
def test_past_the_largest_unit_bytes_print_as_whole_numbers_of_it(n: float, text: str) -> None:
    assert format_bytes(n) == text


def test_a_parse_error_names_what_was_asked_for() -> None:
    with pytest.raises(UserInputError, match=r"^number 'x' is not a number"):
        parse_count("x")
    with pytest.raises(UserInputError, match=r"^dataset size '2x' is not a number"):
        parse_count_list("1k,2x", what="dataset size")
    with pytest.raises(UserInputError, match=r"^number '2x' is not a number"):
        parse_count_list("1k,2x")
