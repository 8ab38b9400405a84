"""The sweep worker on its QThread: signals in order, throttled progress, cancel, failures, clean shutdown."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gpuwise.core.bench.events import MicroMeasured, PointMeasured, Progress, SweepFinished
from gpuwise.core.cancel import CancelToken
from gpuwise.core.errors import UserInputError
from gpuwise.core.report import MicroResult
from gpuwise.ui.worker import SweepEndedWithoutResult, SweepRunner, readable_error
from tests.ui.conftest import fake_sweep, make_point, make_report


def _record(runner: SweepRunner) -> list[str]:
    log: list[str] = []
    for name in (
        "started",
        "progressed",
        "pointMeasured",
        "microMeasured",
        "finished",
        "failed",
        "cancelled",
        "stopped",
    ):
        getattr(runner, name).connect(lambda *_a, n=name: log.append(n))
    return log


def test_signals_arrive_in_order_and_the_thread_ends(qtbot: Any) -> None:
    micro = MicroResult("cpu", "matmul", "fp32", 256, 100.0, "GFLOP/s")

    def run(plan: Any, cancel: CancelToken) -> Iterator[Any]:
        yield MicroMeasured(micro)
        yield Progress("measuring", 0, 1, "p", 1, 1, 0.5, 1.0)
        yield PointMeasured(0, make_point())
        yield SweepFinished(make_report([make_point()]), False)

    runner = SweepRunner(run)
    log = _record(runner)
    with qtbot.waitSignal(runner.stopped, timeout=5000):
        runner.start(object())
    assert log == ["started", "microMeasured", "progressed", "pointMeasured", "finished", "stopped"]
    assert not runner.is_running()


def test_finished_carries_the_report(qtbot: Any) -> None:
    runner = SweepRunner(fake_sweep(points=3))
    with qtbot.waitSignal(runner.finished, timeout=5000) as blocker:
        runner.start(object())
    report = blocker.args[0]
    assert [p.params for p in report.points] == [make_point(params=n).params for n in (1000, 2000, 3000)]
    qtbot.waitUntil(lambda: not runner.is_running(), timeout=5000)


def test_progress_is_throttled_but_phase_changes_always_arrive(qtbot: Any) -> None:
    def run(plan: Any, cancel: CancelToken) -> Iterator[Any]:
        for i in range(5000):  # a tight loop: far more than the GUI should redraw
            yield Progress("measuring", 0, 1, "p", i, 5000, i / 5000, 1.0)
        yield Progress("done", 0, 1, "p", 0, 0, 1.0, 0.0)
        yield SweepFinished(make_report([]), False)

    runner = SweepRunner(run)
    seen: list[Progress] = []
    runner.progressed.connect(seen.append)
    with qtbot.waitSignal(runner.stopped, timeout=5000):
        runner.start(object())
    assert 1 < len(seen) < 200
    assert seen[0].step == 0 and seen[-1].phase == "done"


def test_cancel_emits_cancelled_with_the_completed_points(qtbot: Any) -> None:
    runner = SweepRunner(fake_sweep(points=2, block_until_cancel=True))
    measured: list[Any] = []
    runner.pointMeasured.connect(measured.append)
    runner.start(object())
    qtbot.waitUntil(lambda: len(measured) == 2, timeout=5000)
    with qtbot.waitSignal(runner.cancelled, timeout=5000) as blocker:  # the sweep blocks until cancelled
        runner.cancel()
    assert len(blocker.args[0].points) == 2
    assert runner.cancel_requested
    qtbot.waitUntil(lambda: not runner.is_running(), timeout=5000)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (RuntimeError("the device vanished"), "RuntimeError: the device vanished"),
        (UserInputError("model size 5 is out of range"), "model size 5 is out of range"),
        (MemoryError(), "ran out of memory"),
    ],
)
def test_an_exception_becomes_failed_with_the_exception_and_a_readable_message(
    qtbot: Any, error: BaseException, expected: str
) -> None:
    runner = SweepRunner(fake_sweep(points=1, fail_with=error))
    with qtbot.waitSignal(runner.failed, timeout=5000) as blocker:
        runner.start(object())
    assert blocker.args[0] is error  # the object itself; text is made where it is shown
    assert expected in readable_error(blocker.args[0])
    qtbot.waitUntil(lambda: not runner.is_running(), timeout=5000)


def test_a_generator_without_a_result_is_a_failure_not_a_hang(qtbot: Any) -> None:
    def run(plan: Any, cancel: CancelToken) -> Iterator[Any]:
        yield Progress("measuring", 0, 1, "p", 1, 1, 0.5, 1.0)

    runner = SweepRunner(run)
    log = _record(runner)
    with qtbot.waitSignal(runner.stopped, timeout=5000):
        runner.start(object())
    assert log == ["started", "progressed", "failed", "stopped"]


def test_a_failure_without_a_result_reads_as_a_sentence() -> None:
    message = readable_error(SweepEndedWithoutResult("The measurement ended without a result."))
    assert message == "The measurement ended without a result."


def test_a_second_start_while_running_is_refused_and_shutdown_waits(qtbot: Any) -> None:
    runner = SweepRunner(fake_sweep(points=0, block_until_cancel=True))
    log = _record(runner)
    with qtbot.waitSignal(runner.started, timeout=5000):
        runner.start(object())
    with pytest.raises(RuntimeError):
        runner.start(object())
    assert runner.shutdown(5000)
    assert not runner.is_running()
    # the cancelled report still arrives, inside shutdown(), before stopped
    assert log[-2:] == ["cancelled", "stopped"]


def test_a_runner_runs_again_after_a_run(qtbot: Any) -> None:
    runner = SweepRunner(fake_sweep(points=1))
    reports: list[Any] = []
    runner.finished.connect(reports.append)
    for _ in range(2):
        with qtbot.waitSignal(runner.stopped, timeout=5000):
            runner.start(object())
    assert len(reports) == 2


def test_readable_error_of_an_empty_message_is_the_type() -> None:
    assert readable_error(KeyError()) == "KeyError"
