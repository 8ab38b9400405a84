"""The timing statistics and the timer, stated as behaviour that a wrong implementation would break.

The bootstrap interval is checked by what it promises (it covers the true median about 95 % of the time), the
timer by what it must do on every device (wait for the device before reading the clock), with fakes standing in
for CUDA and MPS so the check runs on any machine.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from gpuwise.core.bench import timing
from gpuwise.core.bench.timing import WindowTimer, bootstrap_ci_median, quantile, step_stats, synchronizer

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


def test_the_95_percent_interval_covers_the_true_median_about_95_percent_of_the_time() -> None:
    # 400 seeded samples of 40 draws from N(0, 1), whose median is 0. A 90 % interval covers ~90 % here.
    rng = random.Random(2026)
    trials = 400
    covered = 0
    for i in range(trials):
        xs = [rng.gauss(0.0, 1.0) for _ in range(40)]
        lo, hi = bootstrap_ci_median(xs, resamples=1000, seed=i)
        covered += lo <= 0.0 <= hi
    assert 0.93 <= covered / trials <= 0.97


def test_the_interval_of_identical_values_is_that_value() -> None:
    assert bootstrap_ci_median([0.25] * 7) == (0.25, 0.25)
    assert bootstrap_ci_median([0.25]) == (0.25, 0.25)


def test_different_seeds_give_different_intervals_the_same_seed_the_same() -> None:
    rng = random.Random(3)
    xs = [rng.gauss(10.0, 1.0) for _ in range(30)]
    assert bootstrap_ci_median(xs, seed=1) == bootstrap_ci_median(xs, seed=1)
    assert bootstrap_ci_median(xs, seed=1) != bootstrap_ci_median(xs, seed=2)


@given(st.lists(finite, min_size=1, max_size=30), st.floats(min_value=0.0, max_value=1.0))
def test_a_quantile_lies_between_the_neighbouring_order_statistics(xs: list[float], q: float) -> None:
    s = sorted(xs)
    v = quantile(s, q)
    i = int((len(s) - 1) * q)
    assert s[i] - 1e-9 <= v <= s[min(i + 1, len(s) - 1)] + 1e-9
    assert quantile(s, 0.0) == s[0] and quantile(s, 1.0) == s[-1]


@given(
    st.lists(finite, min_size=2, max_size=30),
    st.floats(min_value=0.0, max_value=1.0),
    st.floats(min_value=0.0, max_value=1.0),
)
def test_quantiles_grow_with_q(xs: list[float], q1: float, q2: float) -> None:
    s = sorted(xs)
    a, b = sorted((q1, q2))
    assert quantile(s, a) <= quantile(s, b) + 1e-9


def test_step_stats_of_a_known_series() -> None:
    # 1..8 ms: median 4.5, quartiles at positions 1.75 and 5.25 -> 2.75 and 6.25 ms
    st_ = step_stats([0.008, 0.001, 0.007, 0.002, 0.006, 0.003, 0.005, 0.004])
    assert st_.n == 8
    assert st_.median == pytest.approx(0.0045)
    assert st_.iqr == pytest.approx(0.0035)
    assert st_.ci95[0] < 0.0045 < st_.ci95[1]


@given(st.lists(st.floats(min_value=1e-6, max_value=10.0), min_size=1, max_size=40))
def test_step_stats_median_is_inside_its_interval_and_the_data(xs: list[float]) -> None:
    s = step_stats(xs)
    assert s.n == len(xs)
    assert s.median == statistics.median(xs)
    assert min(xs) <= s.ci95[0] <= s.median <= s.ci95[1] <= max(xs)
    assert 0.0 <= s.iqr <= max(xs) - min(xs)


# ---------------------------------------------------------------- the timer waits for the device


class Recorder:
    """A fake device synchronizer that logs each call."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def __call__(self) -> None:
        self.log.append("sync")


def fake_sync(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    log: list[str] = []
    monkeypatch.setattr(timing, "synchronizer", lambda device: Recorder(log))
    return log


@pytest.mark.parametrize("device", ["cpu", "mps"])
def test_stop_synchronizes_before_reading_the_clock_on_the_host_timed_paths(
    monkeypatch: pytest.MonkeyPatch, device: str
) -> None:
    log = fake_sync(monkeypatch)
    clock = iter([10.0, 10.25])

    def perf_counter() -> float:
        log.append("clock")
        return next(clock)

    monkeypatch.setattr(timing, "time", SimpleNamespace(perf_counter=perf_counter))
    timer = WindowTimer(device)
    timer.start()
    assert log == ["sync", "clock"]  # queued work before the window is not counted in it
    assert timer.stop() == 0.25
    assert log == ["sync", "clock", "sync", "clock"]  # the window's work is finished before the clock is read


class FakeEvent:
    """Stands in for ``torch.cuda.Event``: 'records' a time on the fake stream."""

    def __init__(self, log: list[str], times: list[float], enable_timing: bool = False) -> None:
        assert enable_timing
        self.log = log
        self.times = times
        self.t_ms: float | None = None
        self.done = False

    def record(self) -> None:
        self.log.append("record")
        self.t_ms = self.times.pop(0)

    def synchronize(self) -> None:
        self.log.append("event-sync")
        self.done = True

    def elapsed_time(self, end: FakeEvent) -> float:
        assert end.done, "elapsed_time read before the end event completed"
        assert self.t_ms is not None and end.t_ms is not None
        self.log.append("elapsed")
        return end.t_ms - self.t_ms


def test_stop_waits_for_the_end_event_on_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    log = fake_sync(monkeypatch)
    times = [1000.0, 1250.0]  # ms on the device's clock
    make: Callable[..., Any] = lambda enable_timing=False: FakeEvent(log, times, enable_timing)  # noqa: E731
    monkeypatch.setattr(torch.cuda, "Event", make)
    timer = WindowTimer("cuda:0")
    timer.start()
    assert log == ["sync", "record"]  # earlier queued work is not part of the window
    assert timer.stop() == pytest.approx(0.25)
    assert log == ["sync", "record", "record", "event-sync", "elapsed"]


def test_synchronizer_waits_on_the_named_device(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda dev=None: calls.append(dev))
    synchronizer("cuda:1")()
    assert calls == [torch.device("cuda:1")]
    assert synchronizer("mps") is torch.mps.synchronize
    assert synchronizer("cpu")() is None


def test_empty_input_says_what_is_missing() -> None:
    with pytest.raises(ValueError, match=r"^quantile of no data$"):
        quantile([], 0.5)
    with pytest.raises(ValueError, match=r"^no step times$"):
        step_stats([])


def test_two_values_give_the_interval_between_them() -> None:
    # resampled medians of two values are 1, 1.5 or 2 (probabilities 1/4, 1/2, 1/4): the 95 % interval is (1, 2)
    assert bootstrap_ci_median([2.0, 1.0]) == (1.0, 2.0)


def test_a_timer_remembers_its_device(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_sync(monkeypatch)
    assert WindowTimer("mps").device == "mps"
