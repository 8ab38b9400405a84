"""A cancel that lands after the sweep's last step still ends the run as cancelled, not finished."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gpuwise.core.bench.events import PointMeasured, SweepFinished
from gpuwise.core.cancel import CancelToken
from gpuwise.ui.worker import SweepRunner
from tests.ui.conftest import make_point, make_report


def test_a_cancel_after_the_last_step_is_honoured(qtbot: Any) -> None:
    def run(plan: Any, cancel: CancelToken) -> Iterator[Any]:
        yield PointMeasured(0, make_point())
        cancel.cancel()  # the person pressed Cancel just as the last step ended: core had no step left to check
        yield SweepFinished(make_report([make_point()]), False)

    runner = SweepRunner(run)
    outcomes: list[str] = []
    runner.finished.connect(lambda _r: outcomes.append("finished"))
    runner.cancelled.connect(lambda _r: outcomes.append("cancelled"))
    with qtbot.waitSignal(runner.stopped, timeout=5000):
        runner.start(object())
    assert outcomes == ["cancelled"]
    assert runner.cancel_requested


def test_an_uncancelled_run_finishes(qtbot: Any) -> None:
    def run(plan: Any, cancel: CancelToken) -> Iterator[Any]:
        yield SweepFinished(make_report([make_point()]), False)

    runner = SweepRunner(run)
    outcomes: list[str] = []
    runner.finished.connect(lambda _r: outcomes.append("finished"))
    runner.cancelled.connect(lambda _r: outcomes.append("cancelled"))
    with qtbot.waitSignal(runner.stopped, timeout=5000):
        runner.start(object())
    assert outcomes == ["finished"]
