"""The one driver that runs work off the GUI thread (in the spirit of superqt's ``thread_worker``, but small).

A :class:`FunctionWorker` calls a function on its own QThread and emits ``returned(result)``; a
:class:`GeneratorWorker` iterates a generator there, emits ``yielded(item)`` for each item and then
``returned(value)`` (the generator's return value). Both emit ``started()`` first, ``errored(exception)`` with the
exception object itself when the work raises (it becomes text only where it is shown, see
:func:`gpuwise.ui.worker.readable_error`), and ``finished()`` last, exactly once, after the thread has ended. Every
signal arrives on the GUI thread, in the order the work emitted it.

Rules learned the hard way, kept here once for every use:

* A QThread must never be destroyed while it runs ("QThread: Destroyed while thread is still running" aborts the
  process): a started worker is held by this module until its thread has ended, even if its owner drops it.
* A worker is not deleted inside its own ``finished`` emission (an owner that lets go of it in a slot is common):
  the module's reference goes on a later turn of the event loop.
* Nothing the GUI thread owns is released on the worker thread, and a worker thread never runs a garbage
  collection on purpose: one there ran the GUI's PySide finalizers and hung a run (see ``core/bench/train.py``).
  An error's traceback frames are cleared once logged, so the exception crossing to the GUI keeps no worker
  locals (Qt objects among them) alive.
* Aborting is cooperative: :meth:`WorkerBase.quit` sets a flag that a generator worker checks between items,
  cancels the :class:`~gpuwise.core.cancel.CancelToken` the work was given (for work that checks it itself, like
  the sweep), and wakes a body sleeping in :meth:`WorkerBase.sleep` at once. After ``quit()`` the outcome is
  dropped (no ``returned``, no ``errored``); ``finished`` still comes.
* Each wake of the GUI thread costs CPU: the driver adds none of its own (no timers, no polling); work that
  produces items fast batches or throttles them before yielding.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Signal, Slot

from gpuwise.core.cancel import CancelToken

_log = logging.getLogger(__name__)

# Started workers whose thread may still run, and finished ones until the next event-loop turn (see the module
# docstring): the strong references that keep Python from deleting either too early.
_LIVE: set[WorkerBase] = set()


class _WorkerThread(QThread):
    """Runs ``work`` in :meth:`run` (no event loop in the thread) and emits what it produced. Its signals are
    connected to the owning worker, which lives on the GUI thread, so they cross as queued calls."""

    began = Signal()
    yielded = Signal(object)
    returned = Signal(object)
    errored = Signal(object)

    def __init__(self, work: Callable[[Callable[[Any], None]], Any], aborted: Callable[[], bool]) -> None:
        super().__init__()
        self._work: Callable[[Callable[[Any], None]], Any] | None = work
        self._aborted = aborted

    def run(self) -> None:
        work, self._work = self._work, None
        if work is None:
            return
        self.began.emit()
        try:
            result = work(self.yielded.emit)
        except BaseException as err:  # anything from the work is reported, never a crash of the app
            if self._aborted():
                _log.debug("worker %r ended with %r after quit()", self.objectName(), err)
            else:
                _log.error("worker %r failed:\n%s", self.objectName(), traceback.format_exc())
                traceback.clear_frames(err.__traceback__)
                self.errored.emit(err)
        else:
            if not self._aborted():
                self.returned.emit(result)


class WorkerBase(QObject):
    """What both workers share: the thread, the signals, abort, sleep and wake, wait and shutdown.

    A worker runs once. All methods are called from the GUI thread except :meth:`sleep` and
    :attr:`abort_requested`, which the work itself uses on the worker thread.
    """

    started = Signal()
    returned = Signal(object)
    errored = Signal(object)  # the exception object
    finished = Signal()  # always last, exactly once, after the thread has ended

    def __init__(self, *, name: str, cancel: CancelToken | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._cancel = cancel
        self._abort = threading.Event()
        self._wake = threading.Event()
        self._thread: _WorkerThread | None = None
        self._ran = False

    # -- what subclasses provide ---------------------------------------------------------------------------

    def _work(self, emit_yielded: Callable[[Any], None]) -> Any:  # runs on the worker thread
        raise NotImplementedError

    # -- GUI thread ----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the work on a new QThread. A worker runs once: a second start raises RuntimeError."""
        if self._ran:
            raise RuntimeError(f"worker {self.objectName()!r} was already started (a worker runs once)")
        self._ran = True
        thread = _WorkerThread(self._work, self._abort.is_set)
        thread.setObjectName(self.objectName())
        thread.began.connect(self.started)
        self._connect_yielded(thread)
        thread.returned.connect(self.returned)
        thread.errored.connect(self.errored)
        thread.finished.connect(self._on_thread_finished)
        self._thread = thread
        _LIVE.add(self)
        thread.start()

    def _connect_yielded(self, thread: _WorkerThread) -> None:
        pass  # only a generator worker yields

    def is_running(self) -> bool:
        """Started and ``finished`` not yet emitted."""
        return self._thread is not None

    def quit(self) -> None:
        """Ask the work to stop: the abort flag, the cancel token it was given, and an immediate wake."""
        self._abort.set()
        if self._cancel is not None:
            self._cancel.cancel()
        self._wake.set()

    @property
    def abort_requested(self) -> bool:
        return self._abort.is_set()

    def wake(self) -> None:
        """Cut a :meth:`sleep` of the work short (e.g. a new rate applies now, not after the old interval)."""
        self._wake.set()

    def sleep(self, seconds: float) -> bool:
        """For the work, on its thread: wait ``seconds`` unless woken. True when the whole time passed; False
        when :meth:`quit` or :meth:`wake` cut it short (check :attr:`abort_requested` to tell which)."""
        if self._abort.is_set():
            return False
        woken = self._wake.wait(max(0.0, seconds))
        if woken:
            self._wake.clear()
        return not woken

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Block until the thread has ended and ``finished`` was emitted (True), or the timeout passed (False).
        Signals still queued from the thread are delivered first, so ``finished`` stays last."""
        thread = self._thread
        if thread is None:
            return True
        if not thread.wait(timeout_ms):
            return False
        QCoreApplication.sendPostedEvents(self, 0)  # the queued yielded/returned/errored, then the thread's end
        self._finish()
        return True

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """:meth:`quit`, then :meth:`wait`: for closing a window with work in flight."""
        self.quit()
        return self.wait(timeout_ms)

    @Slot()
    def _on_thread_finished(self) -> None:
        self._finish()

    def _finish(self) -> None:
        thread = self._thread
        if thread is None:
            return  # wait() already finished it
        thread.wait()  # QThread.finished is emitted just before the thread really ends
        self._thread = None
        try:
            self.finished.emit()
        finally:
            QTimer.singleShot(0, functools.partial(_LIVE.discard, self))


class FunctionWorker(WorkerBase):
    """Calls ``fn()`` on a QThread: ``started``, then ``returned(result)`` or ``errored(exception)``, then
    ``finished``. A function cannot be interrupted; after :meth:`quit` its result is dropped."""

    def __init__(
        self,
        fn: Callable[[], Any],
        *,
        name: str = "gpuwise-worker",
        cancel: CancelToken | None = None,
        parent: QObject | None = None,
    ) -> None:
        if inspect.isgeneratorfunction(fn):
            raise TypeError(f"{fn!r} is a generator function: run it with GeneratorWorker")
        super().__init__(name=name, cancel=cancel, parent=parent)
        self._fn = fn

    def _work(self, emit_yielded: Callable[[Any], None]) -> Any:
        return self._fn()


class GeneratorWorker(WorkerBase):
    """Iterates a generator on a QThread: ``started``, ``yielded(item)`` per item, then ``returned(value)`` (the
    generator's return value) or ``errored(exception)``, then ``finished``.

    The generator is ``make_generator()``, or a subclass's :meth:`generate` (for bodies that use the worker's
    :meth:`sleep`, without a reference cycle through a stored bound method). It is made on the worker thread, so
    whatever it imports loads there. :meth:`quit` stops it between items: nothing made after it is yielded, and
    the generator is closed (its ``finally`` blocks run).
    """

    yielded = Signal(object)

    def __init__(
        self,
        make_generator: Callable[[], Iterator[Any]] | None = None,
        *,
        name: str = "gpuwise-worker",
        cancel: CancelToken | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(name=name, cancel=cancel, parent=parent)
        self._make_generator = make_generator

    def generate(self) -> Iterator[Any]:
        """The generator to run (on the worker thread)."""
        if self._make_generator is None:
            raise NotImplementedError("pass make_generator or override generate()")
        return self._make_generator()

    def _connect_yielded(self, thread: _WorkerThread) -> None:
        thread.yielded.connect(self.yielded)

    def _work(self, emit_yielded: Callable[[Any], None]) -> Any:
        if self._abort.is_set():
            return None
        gen = self.generate()
        try:
            while not self._abort.is_set():
                try:
                    item = next(gen)
                except StopIteration as stop:
                    return stop.value
                if self._abort.is_set():
                    break  # an item made after quit() is not delivered
                emit_yielded(item)
            return None
        finally:
            close = getattr(gen, "close", None)
            if close is not None:
                close()
