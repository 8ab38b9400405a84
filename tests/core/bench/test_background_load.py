"""The busy-machine meter: other programs' CPU share during a measurement, from psutil's counters."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import psutil
import pytest

from gpuwise.core.bench import train
from gpuwise.core.bench.train import BackgroundLoad

SysTimes = namedtuple("SysTimes", "user system idle iowait")
ProcTimes = namedtuple("ProcTimes", "user system")


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _fake(monkeypatch: pytest.MonkeyPatch, sys_seq: list[SysTimes], own_seq: list[ProcTimes], cores: int) -> _Clock:
    sys_iter, own_iter = iter(sys_seq), iter(own_seq)
    clock = _Clock()

    class FakeProcess:
        def __init__(self, pid: int) -> None:
            pass

        def cpu_times(self) -> ProcTimes:
            return next(own_iter)

    monkeypatch.setattr(psutil, "cpu_times", lambda: next(sys_iter))
    monkeypatch.setattr(psutil, "Process", FakeProcess)
    monkeypatch.setattr(psutil, "cpu_count", lambda logical=True: cores)
    monkeypatch.setattr(train.time, "perf_counter", clock)
    return clock


def test_other_programs_share_is_busy_time_minus_our_own(monkeypatch: pytest.MonkeyPatch) -> None:
    # 10 s on 2 cores = 20 core-seconds; the system was busy 18 of them, we used 8: others used 10 = 50 %
    clock = _fake(
        monkeypatch,
        [SysTimes(100, 0, 500, 0), SysTimes(118, 0, 502, 0)],
        [ProcTimes(1, 0), ProcTimes(9, 0)],
        cores=2,
    )
    meter = BackgroundLoad()
    clock.now += 10.0
    assert meter.read() == pytest.approx(0.5)


def test_an_idle_machine_reads_zero_and_iowait_counts_as_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _fake(
        monkeypatch,
        [SysTimes(100, 0, 500, 0), SysTimes(104, 0, 510, 6)],
        [ProcTimes(0, 0), ProcTimes(4, 0)],
        cores=2,
    )
    meter = BackgroundLoad()
    clock.now += 10.0
    assert meter.read() == 0.0


def test_too_short_a_window_tells_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    clock: Any = _fake(monkeypatch, [SysTimes(0, 0, 0, 0)] * 2, [ProcTimes(0, 0)] * 2, cores=2)
    meter = BackgroundLoad()
    clock.now += 0.01
    assert meter.read() is None


def test_a_busy_point_says_so_in_its_message(monkeypatch: pytest.MonkeyPatch) -> None:
    class Busy:
        def read(self) -> float:
            return 0.6

    monkeypatch.setattr(train, "BackgroundLoad", Busy)
    point = train.measure_point(train.PointSpec("cpu", "mlp", 1_000, 200, batch_size=32, threads=1, budget_s=0.3))
    assert point.status == "ok"
    assert point.background_cpu_load == 0.6
    assert "busy machine" in point.message and "60 %" in point.message
