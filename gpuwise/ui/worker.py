"""Drive the core's sweep generator (and other slow calls) on a QThread; re-emit its events as Qt signals.

The work itself is a generator in core (``run_sweep``); this module is only the thin driver that moves it off the
GUI thread. Three rules keep it crash-free:

* every QThread is owned by a Python object that outlives it (no "Destroyed while thread is still running");
* cancelling only sets the core's CancelToken, which the generator checks between training steps;
* progress is re-emitted at most ~20 times a second (plus every phase change), so the GUI thread never drowns.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from gpuwise.core.bench.events import MicroMeasured, PointMeasured, Progress, SweepFinished
from gpuwise.core.cancel import CancelToken
from gpuwise.core.errors import UserInputError

_log = logging.getLogger(__name__)

RunSweep = Callable[[Any, CancelToken], Iterator[Any]]

PROGRESS_INTERVAL_S = 0.05  # at most ~20 progress signals a second (design.md: keep the GUI thread light)


def readable_error(err: BaseException) -> str:
    """One message a person can act on: a user error as it is, anything else with its type."""
    if isinstance(err, UserInputError):
        return str(err)
    if isinstance(err, MemoryError):
        return "The run ran out of memory. Try a smaller model, a smaller batch or fewer samples."
    text = str(err).strip()
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _default_run_sweep(plan: Any, cancel: CancelToken) -> Iterator[Any]:
    # Imported here, in the worker thread: the sweep pulls in torch, which must not delay the window.
    from gpuwise.core.bench.sweep import run_sweep

    return run_sweep(plan, cancel)


class SweepWorker(QObject):
    """Runs one sweep in whatever thread it lives in. Signals are named in the past tense."""

    started = Signal()
    progressed = Signal(object)  # Progress
    pointMeasured = Signal(object)  # Point
    microMeasured = Signal(object)  # MicroResult
    finished = Signal(object)  # Report
    failed = Signal(str)
    cancelled = Signal(object)  # Report with the points completed before the cancel

    def __init__(
        self,
        plan: Any,
        cancel: CancelToken,
        run_sweep: RunSweep | None = None,
        progress_interval_s: float = PROGRESS_INTERVAL_S,
    ) -> None:
        super().__init__()
        self._plan = plan
        self._cancel = cancel
        self._run_sweep = run_sweep or _default_run_sweep
        self._interval = progress_interval_s

    @Slot()
    def run(self) -> None:
        self.started.emit()
        last_emit = 0.0
        last_key: tuple[str, int] | None = None
        pending: Progress | None = None
        try:
            for event in self._run_sweep(self._plan, self._cancel):
                if isinstance(event, Progress):
                    key = (event.phase, event.point_index)
                    now = time.monotonic()
                    if key != last_key or now - last_emit >= self._interval:
                        self.progressed.emit(event)
                        last_emit, last_key, pending = now, key, None
                    else:
                        pending = event
                elif isinstance(event, PointMeasured):
                    if pending is not None:
                        self.progressed.emit(pending)
                        pending = None
                    self.pointMeasured.emit(event.point)
                elif isinstance(event, MicroMeasured):
                    self.microMeasured.emit(event.result)
                elif isinstance(event, SweepFinished):
                    if event.cancelled or self._cancel.cancelled:
                        self.cancelled.emit(event.report)
                    else:
                        self.finished.emit(event.report)
                    return
            # A generator that ends without SweepFinished is a bug in core, but the GUI must not hang on it.
            self.failed.emit("The measurement ended without a result (no report was produced).")
        except BaseException as err:  # anything from the run becomes a message, never a crash
            _log.error("sweep failed:\n%s", traceback.format_exc())
            self.failed.emit(readable_error(err))
        finally:
            # quit() before the thread's exec() starts is honoured: exec() then returns at once.
            thread = self.thread()
            if thread is not None:
                thread.quit()


class SweepRunner(QObject):
    """Owns the worker thread of the current run. Lives in the GUI thread; all methods are called from it."""

    started = Signal()
    progressed = Signal(object)
    pointMeasured = Signal(object)
    microMeasured = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal(object)
    stopped = Signal()  # the thread has ended, after finished/failed/cancelled

    def __init__(self, run_sweep: RunSweep | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._run_sweep = run_sweep
        self._thread: QThread | None = None
        self._worker: SweepWorker | None = None
        self._token: CancelToken | None = None

    def set_run_sweep(self, run_sweep: RunSweep | None) -> None:
        self._run_sweep = run_sweep

    def is_running(self) -> bool:
        return self._thread is not None

    @property
    def cancel_requested(self) -> bool:
        return self._token is not None and self._token.cancelled

    def start(self, plan: Any) -> None:
        if self._thread is not None:
            raise RuntimeError("a run is already in progress")
        self._token = CancelToken()
        thread = QThread()
        thread.setObjectName("gpuwise-sweep")
        worker = SweepWorker(plan, self._token, self._run_sweep)
        worker.moveToThread(thread)
        # Worker signals cross to the GUI thread as queued connections (the runner lives there).
        worker.started.connect(self.started)
        worker.progressed.connect(self.progressed)
        worker.pointMeasured.connect(self.pointMeasured)
        worker.microMeasured.connect(self.microMeasured)
        worker.finished.connect(self.finished)
        worker.failed.connect(self.failed)
        worker.cancelled.connect(self.cancelled)
        thread.started.connect(worker.run)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker
        thread.start()

    def cancel(self) -> None:
        if self._token is not None:
            self._token.cancel()

    def wait(self, timeout_ms: int = 10_000) -> bool:
        """Block until the thread has ended (True) or the timeout passed (False). For shutdown and tests."""
        thread = self._thread
        if thread is None:
            return True
        if not thread.wait(timeout_ms):
            return False
        self._on_thread_finished()
        return True

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel and wait: used when the app quits with a run in flight."""
        self.cancel()
        return self.wait(timeout_ms)

    @Slot()
    def _on_thread_finished(self) -> None:
        thread = self._thread
        if thread is None:
            return  # already handled by wait()
        thread.wait()  # finished is emitted just before the thread really ends
        # The thread has ended, so the worker processes no events and may be deleted from here.
        self._thread = self._worker = None
        self.stopped.emit()


class BackgroundCall(QObject):
    """Run one slow callable (device discovery: imports torch) on its own QThread.

    Emits ``succeeded(result)`` or ``failed(message)``, then ``stopped()`` once the thread has ended.
    """

    succeeded = Signal(object)
    failed = Signal(str)
    stopped = Signal()

    def __init__(self, fn: Callable[[], Any], name: str = "gpuwise-background", parent: QObject | None = None):
        super().__init__(parent)
        self._fn = fn
        self._name = name
        self._thread: QThread | None = None
        self._job: _CallJob | None = None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("already running")
        thread = QThread()
        thread.setObjectName(self._name)
        job = _CallJob(self._fn)
        job.moveToThread(thread)
        job.succeeded.connect(self.succeeded)
        job.failed.connect(self.failed)
        thread.started.connect(job.run)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._job = thread, job
        thread.start()

    def is_running(self) -> bool:
        return self._thread is not None

    def wait(self, timeout_ms: int = 30_000) -> bool:
        thread = self._thread
        if thread is None:
            return True
        if not thread.wait(timeout_ms):
            return False
        self._on_thread_finished()
        return True

    @Slot()
    def _on_thread_finished(self) -> None:
        thread = self._thread
        if thread is None:
            return
        thread.wait()
        self._thread = self._job = None
        self.stopped.emit()


class _CallJob(QObject):
    succeeded = Signal(object)
    failed = Signal(str)

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__()
        self._fn = fn

    @Slot()
    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as err:  # reported as a message; the app keeps running
            _log.error("background call failed:\n%s", traceback.format_exc())
            self.failed.emit(readable_error(err))
        else:
            self.succeeded.emit(result)
        finally:
            thread = self.thread()
            if thread is not None:
                thread.quit()
