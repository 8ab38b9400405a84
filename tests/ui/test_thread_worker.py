"""The generic thread driver: function and generator workers, errors as objects, abort, wait, shutdown, lifetimes."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QCoreApplication

from gpuwise.core.cancel import CancelToken
from gpuwise.ui import thread_worker
from gpuwise.ui.thread_worker import FunctionWorker, GeneratorWorker, WorkerBase

HANG_GUARD_MS = 10_000  # only a broken driver waits this long


def _record(worker: WorkerBase) -> list[tuple[str, Any]]:
    log: list[tuple[str, Any]] = []
    worker.started.connect(lambda: log.append(("started", None)))
    worker.returned.connect(lambda v: log.append(("returned", v)))
    worker.errored.connect(lambda e: log.append(("errored", e)))
    worker.finished.connect(lambda: log.append(("finished", None)))
    if isinstance(worker, GeneratorWorker):
        worker.yielded.connect(lambda v: log.append(("yielded", v)))
    return log


def test_a_function_worker_returns_its_result_then_finishes(qtbot: Any) -> None:
    ran_on: list[threading.Thread] = []

    def work() -> int:
        ran_on.append(threading.current_thread())
        return 42

    worker = FunctionWorker(work, name="test-function")
    log = _record(worker)
    with qtbot.waitSignal(worker.finished, timeout=HANG_GUARD_MS):
        worker.start()
    assert log == [("started", None), ("returned", 42), ("finished", None)]
    assert ran_on and ran_on[0] is not threading.main_thread()
    assert not worker.is_running()


def test_a_generator_worker_yields_each_item_in_order_then_its_return_value(qtbot: Any) -> None:
    def count() -> Iterator[int]:
        yield from range(5)
        return "done"  # type: ignore[return-value]

    worker = GeneratorWorker(count, name="test-generator")
    log = _record(worker)
    with qtbot.waitSignal(worker.finished, timeout=HANG_GUARD_MS):
        worker.start()
    assert log == [("started", None), *[("yielded", i) for i in range(5)], ("returned", "done"), ("finished", None)]


@pytest.mark.parametrize("kind", ["function", "generator"])
def test_errored_carries_the_exception_object_itself(qtbot: Any, kind: str) -> None:
    error = OSError("no such device")

    def fail() -> None:
        raise error

    def fail_later() -> Iterator[int]:
        yield 1
        raise error

    worker: WorkerBase = FunctionWorker(fail) if kind == "function" else GeneratorWorker(fail_later)
    log = _record(worker)
    with qtbot.waitSignal(worker.finished, timeout=HANG_GUARD_MS):
        worker.start()
    assert [name for name, _ in log if name != "yielded"] == ["started", "errored", "finished"]
    assert dict(log)["errored"] is error  # not its text: that is made where it is shown
    # the worker's frames are cleared: the error keeps none of the worker's locals (Qt objects) alive
    tb = error.__traceback__
    while tb is not None:
        assert "self" not in tb.tb_frame.f_locals or tb.tb_frame.f_code.co_name == "run"
        tb = tb.tb_next


def test_quit_stops_a_generator_between_items_and_closes_it(qtbot: Any) -> None:
    making, go = threading.Event(), threading.Event()
    state = {"reached": 0, "closed": False}

    def items() -> Iterator[int]:
        try:
            yield 0
            making.set()
            go.wait(HANG_GUARD_MS / 1000)  # the test quits while the generator makes its next item
            state["reached"] = 1
            yield 1  # made after quit(): not delivered
            state["reached"] = 2
            yield 2
        finally:
            state["closed"] = True

    worker = GeneratorWorker(items)
    log = _record(worker)
    worker.start()
    qtbot.waitUntil(making.is_set, timeout=HANG_GUARD_MS)
    worker.quit()
    assert worker.abort_requested
    with qtbot.waitSignal(worker.finished, timeout=HANG_GUARD_MS):
        go.set()
    assert log == [("started", None), ("yielded", 0), ("finished", None)]  # no returned after a quit
    assert state == {"reached": 1, "closed": True}


def test_quit_cancels_the_token_for_work_that_checks_it_itself(qtbot: Any) -> None:
    token = CancelToken()

    def steps() -> Iterator[str]:
        yield "first step"
        while not token.cancelled:  # like the sweep: a long step that only looks at its token
            threading.Event().wait(0.005)
        return "stopped at a step boundary"  # type: ignore[return-value]

    worker = GeneratorWorker(steps, cancel=token)
    with qtbot.waitSignal(worker.yielded, timeout=HANG_GUARD_MS):
        worker.start()
    with qtbot.waitSignal(worker.finished, timeout=HANG_GUARD_MS):
        worker.quit()
    assert token.cancelled


class _Ticks(GeneratorWorker):
    """A body that sleeps on the worker (an hour: only a wake or a quit ends a sleep within the hang guard)."""

    def __init__(self) -> None:
        super().__init__(name="test-ticks")
        self.sleeps: list[tuple[bool, bool]] = []  # (slept the whole time, abort requested) per sleep
        self.sleeping = threading.Event()

    def generate(self) -> Iterator[int]:
        n = 0
        yield n
        while True:
            self.sleeping.set()
            slept = self.sleep(3600.0)
            self.sleeps.append((slept, self.abort_requested))
            if self.abort_requested:
                return n
            n += 1
            yield n


def test_quit_wakes_a_sleeping_generator_at_once(qtbot: Any) -> None:
    worker = _Ticks()
    log = _record(worker)
    worker.start()
    qtbot.waitUntil(worker.sleeping.is_set, timeout=HANG_GUARD_MS)  # past its first item, going to sleep
    with qtbot.waitSignal(worker.finished, timeout=HANG_GUARD_MS):
        worker.quit()
    assert log == [("started", None), ("yielded", 0), ("finished", None)]
    assert worker.sleeps == [(False, True)]


def test_wake_cuts_a_sleep_short_without_aborting(qtbot: Any) -> None:
    worker = _Ticks()
    items: list[int] = []
    worker.yielded.connect(items.append)
    with qtbot.waitSignal(worker.yielded, timeout=HANG_GUARD_MS):
        worker.start()
    with qtbot.waitSignal(worker.yielded, timeout=HANG_GUARD_MS):
        worker.wake()
    assert items == [0, 1] and worker.sleeps == [(False, False)]
    assert worker.shutdown(HANG_GUARD_MS)


def test_wait_delivers_what_is_queued_and_finished_once_last(qtbot: Any) -> None:
    worker = GeneratorWorker(lambda: iter(range(3)))
    log = _record(worker)
    worker.start()
    assert worker.wait(HANG_GUARD_MS)  # no event loop ran: the queued signals come out of wait(), in order
    assert log == [("started", None), *[("yielded", i) for i in range(3)], ("returned", None), ("finished", None)]
    QCoreApplication.processEvents()
    QCoreApplication.processEvents()
    assert [name for name, _ in log].count("finished") == 1
    assert worker.wait(0)  # waiting on a finished worker is instant


def test_shutdown_while_running_stops_and_waits(qtbot: Any) -> None:
    worker = _Ticks()
    log = _record(worker)
    with qtbot.waitSignal(worker.yielded, timeout=HANG_GUARD_MS):
        worker.start()
    assert worker.is_running()
    assert worker.shutdown(HANG_GUARD_MS)
    assert not worker.is_running()
    assert log[-1] == ("finished", None) and [n for n, _ in log].count("finished") == 1


def test_an_error_after_quit_is_dropped(qtbot: Any) -> None:
    go = threading.Event()

    def fail_when_told() -> None:
        go.wait(HANG_GUARD_MS / 1000)
        raise RuntimeError("cancelled underneath")

    worker = FunctionWorker(fail_when_told)
    log = _record(worker)
    with qtbot.waitSignal(worker.started, timeout=HANG_GUARD_MS):
        worker.start()
    worker.quit()
    with qtbot.waitSignal(worker.finished, timeout=HANG_GUARD_MS):
        go.set()
    assert log == [("started", None), ("finished", None)]


def test_a_worker_runs_once_and_a_function_worker_refuses_a_generator(qtbot: Any) -> None:
    worker = FunctionWorker(lambda: 1)
    with qtbot.waitSignal(worker.finished, timeout=HANG_GUARD_MS):
        worker.start()
    with pytest.raises(RuntimeError, match="runs once"):
        worker.start()

    def gen() -> Iterator[int]:
        yield 1

    with pytest.raises(TypeError, match="GeneratorWorker"):
        FunctionWorker(gen)


def test_a_worker_its_owner_dropped_runs_to_its_end_and_is_then_released(qtbot: Any) -> None:
    go = threading.Event()
    ended: list[str] = []
    worker = FunctionWorker(lambda: go.wait(HANG_GUARD_MS / 1000))
    worker.finished.connect(lambda: ended.append("finished"))
    ref = weakref.ref(worker)
    worker.start()
    thread_ref = weakref.ref(worker._thread)  # type: ignore[arg-type]
    del worker
    gc.collect()
    assert ref() is not None  # held while its thread may run: never "QThread destroyed while running"
    go.set()
    qtbot.waitUntil(lambda: ended == ["finished"], timeout=HANG_GUARD_MS)
    qtbot.waitUntil(lambda: ref() is None and thread_ref() is None, timeout=HANG_GUARD_MS)  # then let go
    assert not thread_worker._LIVE or all(w is not None for w in thread_worker._LIVE)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(st.integers(), max_size=8), fail_at=st.one_of(st.none(), st.integers(0, 8)))
def test_every_run_is_started_items_one_outcome_then_finished_once(
    qtbot: Any, items: list[int], fail_at: int | None
) -> None:
    error = ValueError("bad item")

    def gen() -> Iterator[int]:
        for i, item in enumerate(items):
            if i == fail_at:
                raise error
            yield item
        if fail_at is not None and fail_at >= len(items):
            raise error
        return len(items)  # type: ignore[return-value]

    worker = GeneratorWorker(gen)
    log = _record(worker)
    with qtbot.waitSignal(worker.finished, timeout=HANG_GUARD_MS):
        worker.start()
    names = [n for n, _ in log]
    delivered = items if fail_at is None else items[:fail_at]
    outcome = ("returned", len(items)) if fail_at is None else ("errored", error)
    assert log == [("started", None), *[("yielded", v) for v in delivered], outcome, ("finished", None)]
    assert names.count("finished") == 1
