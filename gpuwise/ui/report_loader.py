"""Load a report file on a QThread, with progress: a 150 MB report takes seconds to read, parse and check, and the
window must stay responsive (and closable) meanwhile.

The work is core's :func:`~gpuwise.core.report.load_report`; this is only the driver. Every failure, including
ones the loader did not foresee, ends in ``failed(message)``: the app shows it in a dialog and keeps running.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from gpuwise.core.cancel import CancelToken
from gpuwise.core.report import Report, load_report
from gpuwise.ui.worker import BackgroundCall

PROGRESS_INTERVAL_S = 0.05  # at most ~20 progress signals a second


class ReportLoad(QObject):
    """One report being loaded. Signals: ``progressed(fraction, phase)``, then ``loaded(Report)`` or
    ``failed(message)`` (not after a cancel), then ``stopped()`` once the thread has ended."""

    progressed = Signal(float, str)
    loaded = Signal(object)
    failed = Signal(str)
    stopped = Signal()

    def __init__(self, path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self._cancel = CancelToken()
        self._last_emit = 0.0
        self._last_phase = ""
        self._call = BackgroundCall(self._load, "gpuwise-report-load", self)
        self._call.succeeded.connect(self._on_succeeded)
        self._call.failed.connect(self._on_failed)
        self._call.stopped.connect(self.stopped)

    def start(self) -> None:
        self._call.start()

    def cancel(self) -> None:
        self._cancel.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancel.cancelled

    def is_running(self) -> bool:
        return self._call.is_running()

    def wait(self, timeout_ms: int = 30_000) -> bool:
        return self._call.wait(timeout_ms)

    def _load(self) -> Report:  # runs on the loader's thread
        return load_report(self.path, progress=self._progress, cancel=self._cancel)

    def _progress(self, fraction: float, phase: str) -> None:  # loader's thread: the signal is queued
        now = time.monotonic()
        if now - self._last_emit >= PROGRESS_INTERVAL_S or phase != self._last_phase:
            self._last_emit, self._last_phase = now, phase
            self.progressed.emit(fraction, phase)

    def _on_succeeded(self, report: object) -> None:
        if not self._cancel.cancelled and isinstance(report, Report):
            self.loaded.emit(report)

    def _on_failed(self, message: str) -> None:
        if not self._cancel.cancelled:
            self.failed.emit(message)
