"""One place says how a missing reading looks: NA, None, NaN and infinities all read "n/a" in every front end."""

from __future__ import annotations

import copy
import math
import pickle

from hypothesis import given
from hypothesis import strategies as st

from gpuwise.core.telemetry import nvml
from gpuwise.core.telemetry.na import (
    NA,
    Reading,
    as_float,
    format_number,
    format_pair,
    format_pct,
    format_reading,
    format_size,
)
from gpuwise.core.units import format_bytes

MISSING = [NA, None, math.nan, math.inf, -math.inf]
readings = st.one_of(st.sampled_from(MISSING), st.floats(allow_nan=True), st.integers(-(10**15), 10**15))


def test_the_sentinel_is_one_falsy_singleton_that_prints_as_n_a() -> None:
    assert nvml.NA is NA  # the old home re-exports the same object
    assert copy.deepcopy(NA) is NA and pickle.loads(pickle.dumps(NA)) is NA
    assert not NA and str(NA) == "n/a" and repr(NA) == "n/a"


def test_missing_readings_read_n_a_everywhere() -> None:
    for v in MISSING:
        assert format_pct(v) == format_number(v, "W") == format_size(v) == "n/a"
        assert format_pair(v, 100, str) == "n/a"
        assert not math.isfinite(as_float(v))


def test_present_readings_keep_their_unit() -> None:
    assert format_pct(41.6) == "42 %"
    assert format_number(1410, "MHz") == "1410 MHz"
    assert format_size(2 * 1024**3) == format_bytes(2 * 1024**3)
    assert format_pair(3, 8, lambda x: f"{x:.0f}", " W") == "3 / 8 W"
    assert format_pair(3, NA, lambda x: f"{x:.0f}", " W") == "3 W"


@given(readings)
def test_a_reading_is_either_n_a_or_its_formatted_finite_value(value: Reading) -> None:
    text = format_reading(value, lambda v: f"<{v!r}>")
    if value is None or value is NA or not math.isfinite(float(value)):
        assert text == "n/a"
    else:
        assert text == f"<{float(value)!r}>"


@given(readings, readings)
def test_a_pair_is_n_a_only_when_the_used_part_is(used: Reading, total: Reading) -> None:
    text = format_pair(used, total, lambda v: "x")
    assert (text == "n/a") == (format_reading(used, str) == "n/a")
