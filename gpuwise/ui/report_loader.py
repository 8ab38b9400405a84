"""Load a report file on a worker thread, with progress: a 150 MB report takes seconds to read, parse and check,
and the window must stay responsive (and closable) meanwhile.

The work is core's :func:`~gpuwise.core.report.load_report`; the thread is a
:class:`~gpuwise.ui.thread_worker.FunctionWorker`. Every failure, including ones the loader did not foresee, ends
in ``failed(exception)``: the app shows it in a dialog and keeps running.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from gpuwise.core.cancel import CancelToken
from gpuwise.core.report import Report, load_report
from gpuwise.ui.thread_worker import FunctionWorker

PROGRESS_INTERVAL_S = 0.05  # at most ~20 progress signals a second


class ReportLoad(QObject):
    """One report being loaded. Signals: ``progressed(fraction, phase)``, then ``loaded(Report)`` or
    ``failed(exception)`` (neither after a cancel), then ``stopped()`` once the thread has ended."""

    progressed = Signal(float, str)
    loaded = Signal(object)
    failed = Signal(object)
    stopped = Signal()

    def __init__(self, path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self._cancel = CancelToken()
        self._last_emit = 0.0
        self._last_phase = ""
        self._worker = FunctionWorker(self._load, name="gpuwise-report-load", cancel=self._cancel)
        self._worker.returned.connect(self._on_returned)
        self._worker.errored.connect(self.failed)
        self._worker.finished.connect(self.stopped)

    def start(self) -> None:
        self._worker.start()

    def cancel(self) -> None:
        """Stop reading (the loader checks the token between pieces); neither ``loaded`` nor ``failed`` follows."""
        self._worker.quit()

    @property
    def cancelled(self) -> bool:
        return self._cancel.cancelled

    def is_running(self) -> bool:
        return self._worker.is_running()

    def wait(self, timeout_ms: int = 30_000) -> bool:
        return self._worker.wait(timeout_ms)

    def _load(self) -> Report:  # runs on the loader's thread
        return load_report(self.path, progress=self._progress, cancel=self._cancel)

    def _progress(self, fraction: float, phase: str) -> None:  # loader's thread: the signal is queued
        now = time.monotonic()
        if now - self._last_emit >= PROGRESS_INTERVAL_S or phase != self._last_phase:
            self._last_emit, self._last_phase = now, phase
            self.progressed.emit(fraction, phase)

    def _on_returned(self, report: object) -> None:
        if isinstance(report, Report):
            self.loaded.emit(report)
