"""What a measured point reports, checked against a scripted clock instead of a real one.

The training loop runs for real (tiny MLP, CPU), but every step "takes" a duration the test chose: the model's
forward pass advances a fake clock and the loop's window timer reads that clock. So the expected statistics are
exact, and a mistake in how the loop turns step times into numbers (warm-up counted as measurement, samples/s
computed from steps/s or from one epoch of several) changes a number the test checks.
Durations are powers of two, so sums of them are exact in binary floating point. The loop's budget also runs on
the fake clock, so what gets measured does not depend on how busy the machine is.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from gpuwise.core.bench import train
from gpuwise.core.bench.data import steps_per_epoch
from gpuwise.core.bench.train import PointSpec, Tick, run_point
from gpuwise.core.bench.workloads import build_model
from gpuwise.core.report import Point

FAST = 2.0**-6  # 15.6 ms, a steady-state step
SLOW = 2.0**-4  # 62.5 ms, a cold step
HUGE = 1.0  # so slow that an epoch can never be measured whole within the budget


@pytest.fixture(autouse=True)
def _restore_threads() -> Generator[None, None, None]:
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


class Clock:
    """Fake time: each training step advances it by ``duration(step_index)``."""

    def __init__(self, duration: Callable[[int], float], start: float = 0.0) -> None:
        self.now = start
        self.steps = 0
        self.duration = duration
        self.timer_devices: list[str] = []  # the device of every window timer the loop made

    def tick(self) -> None:
        self.now += self.duration(self.steps)
        self.steps += 1


class Stepping(nn.Module):
    """The real model, whose forward pass (one per training step) advances the fake clock."""

    def __init__(self, inner: nn.Module, clock: Clock) -> None:
        super().__init__()
        self.inner = inner
        self.clock = clock

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.clock.tick()
        return self.inner(x)  # type: ignore[no-any-return]


def scripted(
    monkeypatch: pytest.MonkeyPatch, duration: Callable[[int], float], start: float = 0.0, real_share: float = 1e-3
) -> Clock:
    clock = Clock(duration, start)

    class ClockTimer:
        def __init__(self, device: str) -> None:
            self.t0 = 0.0
            clock.timer_devices.append(device)

        def start(self) -> None:
            self.t0 = clock.now

        def stop(self) -> float:
            return clock.now - self.t0

    # The loop's own clock (budget, overheads, ticks) runs on fake time too, plus a thousandth of the real time
    # spent outside steps: the plan no longer depends on how busy the machine is, and overheads stay positive.
    real = time.perf_counter
    base = real()
    monkeypatch.setattr(train, "time", SimpleNamespace(perf_counter=lambda: clock.now + (real() - base) * real_share))
    monkeypatch.setattr(train, "WindowTimer", ClockTimer)
    # a full collection takes seconds with torch loaded (most of a point's real time here); nothing here reads RSS
    monkeypatch.setattr(train, "_collect_garbage", lambda: None)
    monkeypatch.setattr(train, "build_model", lambda spec: Stepping(build_model(spec), clock))
    return clock


def measure(samples: int, batch_size: int = 32, **kw: Any) -> Point:
    return measure_with_ticks(samples, batch_size, **kw)[1]


def measure_with_ticks(samples: int, batch_size: int = 32, **kw: Any) -> tuple[list[Tick], Point]:
    ps = PointSpec(
        device="cpu",
        family="mlp",
        params=2_000,
        samples=samples,
        batch_size=batch_size,
        **{"budget_s": 0.5, "threads": 1, **kw},
    )
    ticks: list[Tick] = []
    gen = run_point(ps)
    while True:
        try:
            ticks.append(next(gen))
        except StopIteration as stop:
            p: Point = stop.value
            assert p.status == "ok", p.message
            return ticks, p


def test_slow_warm_up_steps_are_overhead_not_step_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # five cold steps, then steady: the warm-up settles after the five (three equal in a row)
    clock = scripted(monkeypatch, lambda i: SLOW if i < 5 else FAST)
    p = measure(samples=320, budget_s=5.0)  # 10 steps per epoch; the epoch fits, cut into 10 windows of 1 step
    st = p.step_time_s
    assert st is not None
    assert st.median == FAST
    assert st.iqr == 0.0
    assert st.ci95 == (FAST, FAST)
    assert st.n == 10  # measured windows only
    assert not p.unstable
    assert clock.steps == 5 + 10
    # the warm-up's excess over steady steps is the fixed overhead's warm-up share
    assert p.overhead_breakdown_s["warmup"] == pytest.approx(5 * (SLOW - FAST))
    # and it adds to the fixed overhead with the device start and the model transfer
    assert p.fixed_overhead_s == pytest.approx(sum(p.overhead_breakdown_s.values()))
    assert p.fixed_overhead_s >= 5 * (SLOW - FAST)
    assert p.epoch_time_s == pytest.approx(10 * FAST)
    assert p.samples_per_s == pytest.approx(320 / (10 * FAST))


def test_samples_per_s_times_step_time_is_the_batch_when_the_epoch_is_extrapolated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scripted(monkeypatch, lambda i: HUGE)
    p = measure(samples=320)  # 10 steps of 1 s against a 0.5 s budget: measured in 3 windows, extrapolated
    assert p.epoch_time_extrapolated
    assert p.step_time_s is not None and p.samples_per_s is not None
    assert p.step_time_s.median == HUGE
    assert p.samples_per_s * p.step_time_s.median == pytest.approx(32)
    assert p.epoch_time_s == pytest.approx(10 * HUGE)


def test_an_extrapolated_epoch_is_its_steps_times_the_median_step(monkeypatch: pytest.MonkeyPatch) -> None:
    # a 2 s step (not 1 s: there, times and divides agree) against a 0.5 s budget: 10 steps extrapolated
    scripted(monkeypatch, lambda i: 2.0)
    p = measure(samples=320)
    assert p.epoch_time_extrapolated
    assert p.step_time_s is not None and p.step_time_s.median == 2.0
    assert p.epoch_time_s == pytest.approx(10 * 2.0)
    assert p.time_to_train_s == pytest.approx(20.0 + (p.fixed_overhead_s or 0.0))


def test_samples_per_s_counts_every_epoch_when_several_tiny_epochs_are_measured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = scripted(monkeypatch, lambda i: FAST)
    ticks, p = measure_with_ticks(samples=64)  # 2 steps per epoch: several whole epochs give enough windows
    assert not p.epoch_time_extrapolated
    assert p.step_time_s is not None and p.samples_per_s is not None and p.epoch_time_s is not None
    warmup_steps = sum(1 for t in ticks if t.phase == "warmup")
    measured_epochs = (clock.steps - warmup_steps) / 2
    assert measured_epochs > 1
    assert p.samples_per_s * p.step_time_s.median == pytest.approx(32)
    assert p.samples_per_s * p.epoch_time_s == pytest.approx(64)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(samples=st.integers(min_value=1, max_value=400), batch_size=st.sampled_from([8, 32, 64]), huge=st.booleans())
def test_samples_per_s_is_samples_over_epoch_time_in_every_branch(
    monkeypatch: pytest.MonkeyPatch, samples: int, batch_size: int, huge: bool
) -> None:
    step = HUGE if huge else FAST
    scripted(monkeypatch, lambda i: step)
    p = measure(samples=samples, batch_size=batch_size)
    spe = steps_per_epoch(samples, batch_size)
    assert p.step_time_s is not None and p.samples_per_s is not None and p.epoch_time_s is not None
    assert p.step_time_s.median == step
    assert p.epoch_time_s == pytest.approx(spe * step)
    if p.epoch_time_extrapolated:
        # measured steps are all full batches here: samples/s is batch / step
        assert p.samples_per_s * step == pytest.approx(batch_size)
    else:
        # whole epochs, partial last batch included: real samples per epoch over the epoch's time
        assert p.samples_per_s * p.epoch_time_s == pytest.approx(samples)
    assert p.time_to_train_s == pytest.approx(p.epoch_time_s + p.fixed_overhead_s)


def test_the_windows_plan_slow_steps_get_three_windows_fast_ones_ten(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = scripted(monkeypatch, lambda i: HUGE)
    ticks, p = measure_with_ticks(samples=320)
    assert p.step_time_s is not None
    # a 1 s step spends the warm-up budget at once: the minimum warm-up, then the minimum number of windows
    assert sum(1 for t in ticks if t.phase == "warmup") == train.WARMUP_MIN_STEPS
    assert p.step_time_s.n == train.MIN_WINDOWS
    assert clock.steps == train.WARMUP_MIN_STEPS + train.MIN_WINDOWS
    assert ticks[-1] == Tick("measuring", train.MIN_WINDOWS, train.MIN_WINDOWS, ticks[-1].elapsed_s)
    assert "epoch of 10 steps extrapolated from 3 measured steps" in p.message

    clock = scripted(monkeypatch, lambda i: FAST)
    ticks, p = measure_with_ticks(samples=64)  # 2 steps per epoch: 5 epochs give the 10 windows
    assert p.step_time_s is not None
    assert p.step_time_s.n == train.TARGET_WINDOWS
    assert clock.steps - sum(1 for t in ticks if t.phase == "warmup") == train.TARGET_WINDOWS
    assert "extrapolated" not in p.message


def test_time_to_train_is_epochs_times_the_epoch_plus_the_fixed_overhead(monkeypatch: pytest.MonkeyPatch) -> None:
    scripted(monkeypatch, lambda i: FAST)
    t0 = train.time.perf_counter()
    p = measure(samples=320, epochs=3)
    wall = train.time.perf_counter() - t0
    assert p.epoch_time_s is not None and p.fixed_overhead_s is not None
    assert p.epoch_time_s == pytest.approx(10 * FAST)
    assert p.time_to_train_s == pytest.approx(3 * p.epoch_time_s + p.fixed_overhead_s)
    # every overhead part is a real duration inside this call
    for part in ("init", "transfer", "warmup"):
        assert 0.0 <= p.overhead_breakdown_s[part] <= wall
    assert p.fixed_overhead_s == pytest.approx(sum(p.overhead_breakdown_s.values()))


@pytest.mark.parametrize("threads", [1, 2])
def test_the_point_trains_with_the_threads_it_was_given(monkeypatch: pytest.MonkeyPatch, threads: int) -> None:
    seen: list[int] = []
    scripted(monkeypatch, lambda i: (seen.append(torch.get_num_threads()), FAST)[1])
    p = measure(samples=64, threads=threads)
    assert p.threads == threads
    assert set(seen) == {threads}


@pytest.mark.parametrize(
    ("times", "settled"),
    [
        ([1.0, 1.0, 1.0, 1.0], False),  # fewer than five warm-up steps never settle
        ([9.0, 9.0, 20.0, 20.0, 1.15 * 20.0], True),  # the last three agree within 15 %, exactly at the edge
        ([9.0, 9.0, 20.0, 20.0, 23.1], False),  # 15.5 % apart
        ([9.0, 9.0, 10.0, 10.0, 12.0], False),  # 20 % apart
        ([1.0, 1.0, 1.0, 5.0, 1.0, 1.0, 1.0], True),  # only the last three count, not a slow step before them
    ],
)
def test_warm_up_ends_once_the_last_three_steps_agree_within_15_percent(times: list[float], settled: bool) -> None:
    from gpuwise.core.bench.train import _settled

    assert _settled(times) is settled
