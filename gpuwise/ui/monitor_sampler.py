"""Take telemetry samples off the GUI thread.

A host sample costs ~0.7 ms here (psutil), but NVML calls can stall for tens of milliseconds on a busy GPU, and
NVML's first initialisation loads the driver library. Sampling on a small thread keeps that out of the event loop;
only the finished :class:`~gpuwise.core.telemetry.sampler.Sample` crosses to the GUI thread (a queued signal).

Samples cross in batches, at most one a second: every wake of the GUI thread costs (on a VM here, waking it twice
a second cost more than the samples themselves), and readouts that change faster than once a second are not read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from gpuwise.ui.thread_worker import GeneratorWorker

_log = logging.getLogger(__name__)

DELIVERY_INTERVAL_S = 1.0  # the most often a batch of samples crosses to the GUI thread


class SamplerLike(Protocol):
    def sample(self) -> Any: ...


def _sample_or_none(sampler: SamplerLike) -> Any:
    try:
        return sampler.sample()
    except Exception:  # a probe bug must not end monitoring; the next tick may succeed
        _log.warning("telemetry sample failed", exc_info=True)
        return None


class SamplerWorker(GeneratorWorker):
    """Calls ``sampler.sample()`` every ``1 / rate_hz`` seconds and yields a tuple of the samples taken since the
    last delivery (oldest first), at most once per :data:`DELIVERY_INTERVAL_S`.

    The interval is slept on the worker's interruptible wait (not a QTimer): :meth:`quit` ends it at once, and
    :meth:`set_rate` applies a faster rate now rather than after the old, longer interval.
    """

    def __init__(self, sampler: SamplerLike, rate_hz: float = 2.0, parent: QObject | None = None) -> None:
        super().__init__(name="gpuwise-monitor-sampler", parent=parent)
        self._sampler = sampler
        self._interval = 1.0 / rate_hz

    def set_rate(self, rate_hz: float) -> None:
        self._interval = 1.0 / rate_hz
        self.wake()

    def generate(self) -> Iterator[tuple[Any, ...]]:
        deadline = time.monotonic()
        pending: list[Any] = []
        delivered_at = -DELIVERY_INTERVAL_S
        while True:
            sample = _sample_or_none(self._sampler)
            if sample is not None:
                pending.append(sample)
            # 0.05 s of slack: ticks jitter, and a 1 Hz rate must not deliver every other second
            if pending and time.monotonic() - delivered_at >= DELIVERY_INTERVAL_S - 0.05:
                batch, pending = tuple(pending), []
                delivered_at = time.monotonic()
                yield batch
            deadline += self._interval
            now = time.monotonic()
            if deadline < now:
                deadline = now  # fell behind (suspend, slow NVML): do not fire a burst to catch up
            if not self.sleep(deadline - now):
                if self.abort_requested:
                    return
                deadline = time.monotonic()  # woken by a new rate: it starts now


class TimerSampler(QObject):
    """The sampler's interface on a GUI-thread QTimer, no thread (each tick yields its one sample): for tests and
    for measuring what the thread saves."""

    yielded = Signal(object)

    def __init__(self, sampler: SamplerLike, rate_hz: float = 2.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sampler = sampler
        self._timer = QTimer(self)
        self._timer.setInterval(round(1000 / rate_hz))
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._timer.start()
        self._tick()

    def set_rate(self, rate_hz: float) -> None:
        self._timer.setInterval(round(1000 / rate_hz))

    def is_running(self) -> bool:
        return bool(self._timer.isActive())

    def shutdown(self, timeout_ms: int = 0) -> bool:
        self._timer.stop()
        return True

    def _tick(self) -> None:
        sample = _sample_or_none(self._sampler)
        if sample is not None:
            self.yielded.emit((sample,))
