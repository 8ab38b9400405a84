"""Human numbers: parsing what people type and formatting what they read."""

from __future__ import annotations

import pytest

from gpuwise.core.errors import UserInputError
from gpuwise.core.units import (
    format_bytes,
    format_count,
    format_duration,
    format_rate,
    parse_count,
    parse_count_list,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("25M", 25_000_000),
        ("670k", 670_000),
        ("670K", 670_000),
        ("1.5e6", 1_500_000),
        ("10B", 10_000_000_000),
        ("10G", 10_000_000_000),
        ("2000", 2000),
        (" 2000 ", 2000),
        ("1.5k", 1500),
        (".5M", 500_000),
        ("1e3", 1000),
        ("2T", 2_000_000_000_000),
        ("0", 0),
    ],
)
def test_parse_count_accepts_human_numbers(text: str, value: int) -> None:
    assert parse_count(text) == value
    assert isinstance(parse_count(text), int)


@pytest.mark.parametrize("text", ["abc", "", "  ", "1.2.3", "10X", "-5", "1e", "M", "1,000", "nan", "inf", "1 M k"])
def test_parse_count_rejects_bad_strings(text: str) -> None:
    with pytest.raises(UserInputError, match="not a number"):
        parse_count(text, what="model size")


def test_parse_count_names_what_was_wrong() -> None:
    with pytest.raises(UserInputError) as e:
        parse_count("lots", what="dataset size")
    assert "dataset size" in str(e.value)
    assert "'lots'" in str(e.value)


def test_parse_count_rejects_overflow() -> None:
    with pytest.raises(UserInputError, match="too large"):
        parse_count("1e400")


def test_parse_count_list() -> None:
    assert parse_count_list("100k,1M, 25M") == [100_000, 1_000_000, 25_000_000]
    assert parse_count_list("1k,") == [1000]
    with pytest.raises(UserInputError, match="empty"):
        parse_count_list(" , ")
    with pytest.raises(UserInputError, match="not a number"):
        parse_count_list("1k,abc")


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0"),
        (7, "7"),
        (999, "999"),
        (999.4, "999"),
        (999.7, "1k"),  # rounding must not print "1e+03"
        (1000, "1k"),
        (1234, "1.23k"),
        (670_000, "670k"),
        (999_700, "1M"),
        (999_999, "1M"),
        (25_000_000, "25M"),
        (1_500_000, "1.5M"),
        (999_700_000, "1B"),
        (10_000_000_000, "10B"),
        (2e12, "2T"),
        (-2500, "-2.5k"),
        (12.345, "12.3"),
    ],
)
def test_format_count(n: float, text: str) -> None:
    assert format_count(n) == text


def test_format_count_round_trips_through_parse() -> None:
    for n in (1000, 25_000_000, 670_000, 10_000_000_000, 1_500_000):
        assert parse_count(format_count(n)) == n


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (5e-7, "0.5 µs"),
        (3.2e-3, "3.2 ms"),
        (0.9999, "1 s"),  # not "1e+03 ms"
        (0.0009999, "1 ms"),  # not "1e+03 µs"
        (41, "41 s"),
        (119, "119 s"),
        (150, "2.5 min"),
        (9000, "2.5 h"),
        (3 * 86400, "3 days"),
        (12 * 365.25 * 86400, "12 years"),
        (float("inf"), "n/a"),
        (float("nan"), "n/a"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_format_duration_never_uses_exponent_notation() -> None:
    for s in (9.9996e-4, 0.99996, 119.996, 7199.9, 2 * 86400 - 1, 365.25 * 86400 - 1, 1e6 * 365.25 * 86400):
        assert "e+" not in format_duration(s), s


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 B"),
        (1000, "1000 B"),
        (1023, "1023 B"),
        (1024, "1 KiB"),
        (1536, "1.5 KiB"),
        (2**20 - 1, "1 MiB"),  # 1023.999 KiB: not "1.02e+03 KiB"
        (2**20, "1 MiB"),
        (1.5 * 2**30, "1.5 GiB"),
        (24 * 2**30, "24 GiB"),
        (2**40, "1 TiB"),
        (2**50, "1 PiB"),
        (2**60, "1 EiB"),
    ],
)
def test_format_bytes(n: float, text: str) -> None:
    assert format_bytes(n) == text


def test_format_bytes_never_uses_exponent_notation() -> None:
    for k in range(10, 55):
        for n in (2**k - 1, 2**k, 1000 * 2 ** (k - 10)):
            assert "e+" not in format_bytes(n), n


def test_format_rate() -> None:
    assert format_rate(12.34) == "12.3 samples/s"
    assert format_rate(25_000) == "25k samples/s"
    assert format_rate(999.7) == "1k samples/s"
    assert format_rate(2.5e9, "GB/s") == "2.5B GB/s"


def test_count_of_says_one_point_and_two_points() -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    from gpuwise.core.units import count_of

    assert count_of(1, "point") == "1 point"
    assert count_of(0, "point") == "0 points"
    assert count_of(2, "process", "processes") == "2 processes"

    @given(st.integers(min_value=0, max_value=10**9))
    def plural_unless_one(n: int) -> None:
        text = count_of(n, "point")
        assert text.startswith(f"{n} ") and text.endswith("point" if n == 1 else "points")

    plural_unless_one()
