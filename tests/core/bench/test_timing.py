"""Timing statistics: quantiles, the bootstrap CI of the median, instability, and the CPU window timer."""

from __future__ import annotations

import random
import statistics

import pytest

from gpuwise.core.bench.timing import (
    UNSTABLE_IQR_RATIO,
    WindowTimer,
    bootstrap_ci_median,
    is_unstable,
    quantile,
    step_stats,
    synchronizer,
)
from gpuwise.core.report import StepStats


def test_quantile_interpolates_linearly() -> None:
    xs = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert quantile(xs, 0.0) == 1.0
    assert quantile(xs, 1.0) == 5.0
    assert quantile(xs, 0.5) == 3.0
    assert quantile(xs, 0.25) == 2.0
    assert quantile([0.0, 10.0], 0.3) == pytest.approx(3.0)
    assert quantile([7.0], 0.9) == 7.0


def test_quantile_of_nothing_raises() -> None:
    with pytest.raises(ValueError):
        quantile([], 0.5)


def test_bootstrap_ci_contains_the_median_and_is_deterministic() -> None:
    rng = random.Random(42)
    xs = [0.010 + rng.gauss(0, 0.001) for _ in range(25)]
    lo, hi = bootstrap_ci_median(xs)
    assert lo <= statistics.median(xs) <= hi
    assert lo < hi
    assert min(xs) <= lo and hi <= max(xs)
    assert bootstrap_ci_median(xs) == (lo, hi)  # seeded: same data, same interval
    assert bootstrap_ci_median(list(xs), seed=0) == (lo, hi)


def test_bootstrap_ci_narrows_with_more_data() -> None:
    rng = random.Random(1)
    few = [1.0 + rng.gauss(0, 0.1) for _ in range(8)]
    many = [1.0 + rng.gauss(0, 0.1) for _ in range(200)]
    lo_f, hi_f = bootstrap_ci_median(few, resamples=500)
    lo_m, hi_m = bootstrap_ci_median(many, resamples=500)
    assert hi_m - lo_m < hi_f - lo_f


def test_bootstrap_ci_of_one_value_is_that_value() -> None:
    assert bootstrap_ci_median([0.25]) == (0.25, 0.25)


def test_step_stats() -> None:
    times = [0.012, 0.010, 0.011, 0.013, 0.010, 0.011, 0.012, 0.011, 0.010, 0.011]
    st = step_stats(times)
    assert isinstance(st, StepStats)
    assert st.n == 10
    assert st.median == pytest.approx(statistics.median(times))
    assert st.iqr == pytest.approx(quantile(sorted(times), 0.75) - quantile(sorted(times), 0.25))
    assert st.ci95[0] <= st.median <= st.ci95[1]
    with pytest.raises(ValueError):
        step_stats([])


def test_is_unstable_uses_iqr_over_median() -> None:
    assert UNSTABLE_IQR_RATIO == 0.10
    assert not is_unstable(StepStats(median=1.0, iqr=0.10, ci95=(0.9, 1.1), n=10))  # exactly 10 %: stable
    assert is_unstable(StepStats(median=1.0, iqr=0.11, ci95=(0.9, 1.1), n=10))
    assert not is_unstable(StepStats(median=0.0, iqr=0.0, ci95=(0.0, 0.0), n=3))


def test_unstable_series_is_flagged_and_steady_one_is_not() -> None:
    steady = step_stats([0.010, 0.0101, 0.0099, 0.0100, 0.0102, 0.0098])
    noisy = step_stats([0.010, 0.015, 0.008, 0.020, 0.011, 0.009])
    assert not is_unstable(steady)
    assert is_unstable(noisy)


def test_cpu_synchronizer_is_a_no_op() -> None:
    assert synchronizer("cpu")() is None


def test_cpu_window_timer_measures_elapsed_time() -> None:
    timer = WindowTimer("cpu")
    timer.start()
    total = sum(i * i for i in range(20_000))  # some real work
    dt = timer.stop()
    assert total > 0
    assert dt > 0
    timer.start()
    assert timer.stop() >= 0
