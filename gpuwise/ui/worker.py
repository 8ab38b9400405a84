"""Drive the core's sweep generator on a worker thread; re-emit its events as Qt signals.

The work itself is a generator in core (``run_sweep``); the thread is :mod:`gpuwise.ui.thread_worker`'s
:class:`~gpuwise.ui.thread_worker.GeneratorWorker`. What is particular to the sweep lives here:

* cancelling only sets the core's CancelToken, which the generator checks between training steps, so a cancelled
  run still ends with a report of the points completed before it;
* progress is passed on at most ~20 times a second (plus every phase change), decided on the worker thread so
  the GUI thread is not even woken for the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

from PySide6.QtCore import QObject, Signal

from gpuwise.core.bench.events import MicroMeasured, PointMeasured, Progress, SweepFinished
from gpuwise.core.cancel import CancelToken
from gpuwise.core.errors import UserInputError
from gpuwise.ui.thread_worker import GeneratorWorker

RunSweep = Callable[[Any, CancelToken], Iterator[Any]]

PROGRESS_INTERVAL_S = 0.05  # at most ~20 progress signals a second (design.md: keep the GUI thread light)
NO_RESULT = "The measurement ended without a result (no report was produced)."


class SweepEndedWithoutResult(RuntimeError):
    """The sweep generator stopped without its SweepFinished event: a bug in core, shown rather than hung on."""


def readable_error(err: BaseException) -> str:
    """One message a person can act on: a user error as it is, anything else with its type."""
    if isinstance(err, UserInputError | SweepEndedWithoutResult):
        return str(err)
    if isinstance(err, MemoryError):
        return "The run ran out of memory. Try a smaller model, a smaller batch or fewer samples."
    text = str(err).strip()
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _default_run_sweep(plan: Any, cancel: CancelToken) -> Iterator[Any]:
    # Imported here, in the worker thread: the sweep pulls in torch, which must not delay the window.
    from gpuwise.core.bench.sweep import run_sweep

    return run_sweep(plan, cancel)


def throttled_events(
    events: Iterator[Any], interval_s: float = PROGRESS_INTERVAL_S
) -> Generator[Any, None, SweepFinished | None]:
    """The sweep's events with progress thinned to one per ``interval_s`` (a phase or point change always passes,
    and the last progress before a measured point is never lost). Returns the SweepFinished event, or None when
    the sweep ended without one. Runs on the worker thread."""
    last_emit = 0.0
    last_key: tuple[str, int] | None = None
    pending: Progress | None = None
    for event in events:
        if isinstance(event, Progress):
            key = (event.phase, event.point_index)
            now = time.monotonic()
            if key != last_key or now - last_emit >= interval_s:
                yield event
                last_emit, last_key, pending = now, key, None
            else:
                pending = event
        elif isinstance(event, PointMeasured):
            if pending is not None:
                yield pending
                pending = None
            yield event
        elif isinstance(event, MicroMeasured):
            yield event
        elif isinstance(event, SweepFinished):
            return event
    return None


class SweepRunner(QObject):
    """Runs one sweep at a time on a worker thread. Lives in the GUI thread; all methods are called from it.

    Signals, in the past tense: ``started``, ``progressed(Progress)``, ``pointMeasured(Point)``,
    ``microMeasured(MicroResult)``, then one of ``finished(Report)``, ``cancelled(Report)`` (the points completed
    before the cancel) or ``failed(exception)``, then ``stopped()`` once the thread has ended.
    """

    started = Signal()
    progressed = Signal(object)
    pointMeasured = Signal(object)
    microMeasured = Signal(object)
    finished = Signal(object)
    failed = Signal(object)  # the exception: made readable where it is shown (readable_error)
    cancelled = Signal(object)
    stopped = Signal()

    def __init__(self, run_sweep: RunSweep | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._run_sweep = run_sweep
        self._worker: GeneratorWorker | None = None
        self._token: CancelToken | None = None

    def set_run_sweep(self, run_sweep: RunSweep | None) -> None:
        self._run_sweep = run_sweep

    def is_running(self) -> bool:
        return self._worker is not None

    @property
    def cancel_requested(self) -> bool:
        return self._token is not None and self._token.cancelled

    def start(self, plan: Any) -> None:
        if self._worker is not None:
            raise RuntimeError("a run is already in progress")
        token = CancelToken()
        run_sweep = self._run_sweep or _default_run_sweep
        worker = GeneratorWorker(lambda: throttled_events(run_sweep(plan, token)), name="gpuwise-sweep")
        worker.started.connect(self.started)
        worker.yielded.connect(self._on_event)
        worker.returned.connect(self._on_returned)
        worker.errored.connect(self.failed)
        worker.finished.connect(self._on_worker_finished)
        self._token, self._worker = token, worker
        worker.start()

    def cancel(self) -> None:
        """Ask the sweep to stop after its current step; it then ends with ``cancelled`` and the points so far."""
        if self._token is not None:
            self._token.cancel()

    def wait(self, timeout_ms: int = 10_000) -> bool:
        """Block until the thread has ended (True) or the timeout passed (False). For shutdown and tests."""
        worker = self._worker
        return worker is None or worker.wait(timeout_ms)

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel and wait: used when the app quits with a run in flight (the cancelled report still comes)."""
        self.cancel()
        return self.wait(timeout_ms)

    def _on_event(self, event: object) -> None:
        if isinstance(event, Progress):
            self.progressed.emit(event)
        elif isinstance(event, PointMeasured):
            self.pointMeasured.emit(event.point)
        elif isinstance(event, MicroMeasured):
            self.microMeasured.emit(event.result)

    def _on_returned(self, end: object) -> None:
        if not isinstance(end, SweepFinished):
            # A generator that ends without SweepFinished is a bug in core, but the GUI must not hang on it.
            self.failed.emit(SweepEndedWithoutResult(NO_RESULT))
        elif end.cancelled or self.cancel_requested:
            self.cancelled.emit(end.report)
        else:
            self.finished.emit(end.report)

    def _on_worker_finished(self) -> None:
        self._worker = None
        self.stopped.emit()
