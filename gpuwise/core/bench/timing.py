"""Honest timing: device synchronisation, window timers and robust statistics.

CUDA runs asynchronously, so a timer that does not synchronise measures the launch, not the work. Every timed
region here ends with a synchronisation (CUDA events on CUDA devices, ``torch.mps.synchronize`` on MPS).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from gpuwise.core.report import StepStats

if TYPE_CHECKING:
    import torch

UNSTABLE_IQR_RATIO = 0.10


def quantile(sorted_xs: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile of already sorted data."""
    if not sorted_xs:
        raise ValueError("quantile of no data")
    pos = (len(sorted_xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_xs) - 1)
    return sorted_xs[lo] + (sorted_xs[hi] - sorted_xs[lo]) * (pos - lo)


def bootstrap_ci_median(xs: Sequence[float], *, resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap 95 % CI of the median (seeded: the same data gives the same interval)."""
    if len(xs) == 1:
        return (xs[0], xs[0])
    rng = random.Random(seed)
    n = len(xs)
    meds = sorted(statistics.median(rng.choices(xs, k=n)) for _ in range(resamples))
    return (quantile(meds, 0.025), quantile(meds, 0.975))


def step_stats(step_times: Sequence[float]) -> StepStats:
    xs = sorted(step_times)
    if not xs:
        raise ValueError("no step times")
    iqr = quantile(xs, 0.75) - quantile(xs, 0.25)
    return StepStats(median=statistics.median(xs), iqr=iqr, ci95=bootstrap_ci_median(xs), n=len(xs))


def is_unstable(stats: StepStats) -> bool:
    return stats.median > 0 and stats.iqr / stats.median > UNSTABLE_IQR_RATIO


def synchronizer(device: str) -> Callable[[], None]:
    """A function that waits until all queued work on ``device`` is done."""
    import torch

    if device.startswith("cuda"):
        dev = torch.device(device)
        return lambda: torch.cuda.synchronize(dev)
    if device == "mps":
        return torch.mps.synchronize
    return lambda: None


class WindowTimer:
    """Times regions of device work. CUDA: events recorded in the stream, read after one sync per window."""

    def __init__(self, device: str) -> None:
        self.device = device
        self._sync = synchronizer(device)
        self._cuda = device.startswith("cuda")
        self._t0 = 0.0
        self._start_event: torch.cuda.Event | None = None

    def start(self) -> None:
        if self._cuda:
            import torch

            self._sync()
            self._start_event = torch.cuda.Event(enable_timing=True)
            self._start_event.record()
        else:
            self._sync()
            self._t0 = time.perf_counter()

    def stop(self) -> float:
        """Seconds since ``start()``, after all queued work finished."""
        if self._cuda and self._start_event is not None:
            import torch

            end = torch.cuda.Event(enable_timing=True)
            end.record()
            end.synchronize()
            return float(self._start_event.elapsed_time(end)) / 1000.0
        self._sync()
        return time.perf_counter() - self._t0
