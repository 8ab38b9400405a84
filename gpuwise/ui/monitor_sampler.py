"""Take telemetry samples off the GUI thread.

A host sample costs ~0.7 ms here (psutil), but NVML calls can stall for tens of milliseconds on a busy GPU, and
NVML's first initialisation loads the driver library. Sampling on a small thread keeps that out of the event loop;
only the finished :class:`~gpuwise.core.telemetry.sampler.Sample` crosses to the GUI thread (a queued signal).

Samples cross in batches, at most one a second: every wake of the GUI thread costs (on a VM here, waking it twice
a second cost more than the samples themselves), and readouts that change faster than once a second are not read.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Protocol

from PySide6.QtCore import QObject, QThread, QTimer, Signal

_log = logging.getLogger(__name__)

DELIVERY_INTERVAL_S = 1.0  # the most often a batch of samples crosses to the GUI thread


class SamplerLike(Protocol):
    def sample(self) -> Any: ...


class SamplerThread(QThread):
    """Calls ``sampler.sample()`` every ``1 / rate_hz`` seconds and emits ``sampled(samples)``, a tuple of the
    samples taken since the last delivery (oldest first), at most once per :data:`DELIVERY_INTERVAL_S`.

    A plain loop on a :class:`threading.Event` (not a QTimer) so stopping is a flag plus ``wait()``: no timers
    owned by another thread, nothing to deliver to a finished event loop.
    """

    sampled = Signal(object)

    def __init__(self, sampler: SamplerLike, rate_hz: float = 2.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gpuwise-monitor-sampler")
        self._sampler = sampler
        self._interval = 1.0 / rate_hz
        self._stop = threading.Event()
        self._wake = threading.Event()

    def set_rate(self, rate_hz: float) -> None:
        self._interval = 1.0 / rate_hz
        self._wake.set()  # apply a faster rate now rather than after the old, longer interval

    def run(self) -> None:
        deadline = time.monotonic()
        pending: list[Any] = []
        delivered_at = -DELIVERY_INTERVAL_S
        while not self._stop.is_set():
            try:
                pending.append(self._sampler.sample())
            except Exception:  # a probe bug must not end monitoring; the next tick may succeed
                _log.warning("telemetry sample failed", exc_info=True)
            # 0.05 s of slack: ticks jitter, and a 1 Hz rate must not deliver every other second
            if pending and time.monotonic() - delivered_at >= DELIVERY_INTERVAL_S - 0.05:
                self.sampled.emit(tuple(pending))
                pending = []
                delivered_at = time.monotonic()
            deadline += self._interval
            now = time.monotonic()
            if deadline < now:
                deadline = now  # fell behind (suspend, slow NVML): do not fire a burst to catch up
            self._wake.wait(deadline - now)
            if self._wake.is_set():
                self._wake.clear()
                deadline = time.monotonic()

    def stop(self, timeout_ms: int = 5_000) -> bool:
        self._stop.set()
        self._wake.set()
        return bool(self.wait(timeout_ms))


class TimerSampler(QObject):
    """The same interface on a GUI-thread QTimer (each tick delivers its one sample): for tests and for
    measuring what the thread saves."""

    sampled = Signal(object)

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

    def isRunning(self) -> bool:
        return bool(self._timer.isActive())

    def stop(self, timeout_ms: int = 0) -> bool:
        self._timer.stop()
        return True

    def _tick(self) -> None:
        try:
            sample = self._sampler.sample()
        except Exception:
            _log.warning("telemetry sample failed", exc_info=True)
            return
        self.sampled.emit((sample,))
