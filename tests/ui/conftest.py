"""GUI test fixtures: no QThread may outlive a test, settings and data never touch the user's real ones."""

from __future__ import annotations

import math
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6 import QtCore

from gpuwise.core.bench.events import PointMeasured, Progress, SweepFinished
from gpuwise.core.bench.workloads import build_spec
from gpuwise.core.cancel import CancelToken
from gpuwise.core.devices import DeviceInventory, GpuDevice, cpu_info
from gpuwise.core.report import Point, Report, StepStats
from gpuwise.core.telemetry.host import HostSample
from gpuwise.core.telemetry.nvml import NvmlState, NvmlStatus
from gpuwise.core.telemetry.sampler import Sample
from gpuwise.ui.settings import Settings

NO_NVML = NvmlState(NvmlStatus.LIBRARY_NOT_FOUND, "No NVIDIA driver library (NVML) was found (test).")


@pytest.fixture(scope="session", autouse=True)
def _private_settings_and_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Belt and braces: even a QSettings() built without a path lands in a temp folder, as does platformdirs."""
    root = tmp_path_factory.mktemp("qsettings")
    for fmt in (QtCore.QSettings.Format.NativeFormat, QtCore.QSettings.Format.IniFormat):
        QtCore.QSettings.setPath(fmt, QtCore.QSettings.Scope.UserScope, str(root / "user"))
        QtCore.QSettings.setPath(fmt, QtCore.QSettings.Scope.SystemScope, str(root / "system"))
    mp = pytest.MonkeyPatch()
    mp.setenv("XDG_DATA_HOME", str(root / "data"))
    mp.setenv("XDG_CONFIG_HOME", str(root / "config"))
    yield
    mp.undo()


@pytest.fixture(autouse=True)
def no_qthread_left_running(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail a test that leaves a QThread running (napari's rule): track every QThread built during the test.

    Runs its check after pytest-qt has closed the test's widgets, so a window that stops its threads on close
    passes and one that forgets them fails. Stragglers are waited for, so one bad test does not crash the next.
    """
    created: list[weakref.ref[QtCore.QThread]] = []
    original = QtCore.QThread.__init__

    def tracking_init(self: QtCore.QThread, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        created.append(weakref.ref(self))

    monkeypatch.setattr(QtCore.QThread, "__init__", tracking_init)
    yield
    running = []
    for ref in created:
        thread = ref()
        if thread is None:
            continue
        try:
            if thread.isRunning():
                running.append(thread)
        except RuntimeError:  # its C++ side was deleted: it cannot be running
            continue
    if running:
        names = ", ".join(t.objectName() or type(t).__name__ for t in running)
        for t in running:
            t.wait(15_000)
        pytest.fail(f"QThread still running at the end of the test: {names}")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.at_path(str(tmp_path / "gpuwise-test.ini"))


def fake_inventory(gpus: list[GpuDevice] | None = None) -> DeviceInventory:
    notes = [] if gpus else ["No NVIDIA driver library (NVML) was found (test).", "CPU-only torch (test)."]
    return DeviceInventory(cpu=cpu_info(), gpus=list(gpus or []), notes=notes, torch_version="test")


def host_sample(i: int = 0) -> HostSample:
    """Synthetic host readings that move, so plots have something to draw."""
    load = 50 + 40 * math.sin(i / 20)
    return HostSample(
        cpu_pct=load,
        per_core_pct=(load, 100 - load),
        cpu_freq_mhz=2000.0 + i % 100,
        cpu_freq_max_mhz=3500.0,
        ram_used_bytes=(4 << 30) + (i % 50) * (1 << 20),
        ram_total_bytes=16 << 30,
        swap_used_bytes=0,
        swap_total_bytes=2 << 30,
        temperatures=(),
        cpu_temp_c=None,
    )


class FakeSampler:
    """A Sampler stand-in: synthetic host data, no GPUs, the no-NVML state."""

    def __init__(self, state: NvmlState = NO_NVML) -> None:
        self.state = state
        self.count = 0

    def sample(self) -> Sample:
        self.count += 1
        return Sample(timestamp=time.time(), host=host_sample(self.count), gpus=[], gpu_state=self.state)


def make_point(params: int = 1000, samples: int = 200, device: str = "cpu", status: str = "ok", **kw: Any) -> Point:
    ok = status == "ok"
    spec = build_spec("mlp", params)  # a point's params are its spec's exact count, as gpuwise writes them
    defaults: dict[str, Any] = dict(
        device=device,
        family="mlp",
        params=spec["params"],
        architecture=spec,
        samples=samples,
        batch_size=32,
        epochs=1,
        precision="fp32",
        threads=2,
        optimizer="adam",
        status=status,
        message="" if ok else "out of memory",
        device_name="Test CPU",
        samples_per_s=5000.0 if ok else None,
        step_time_s=StepStats(0.01, 0.001, (0.009, 0.011), 20) if ok else None,
        epoch_time_s=samples / 5000.0 if ok else None,
        time_to_train_s=samples / 5000.0 + 0.5 if ok else None,
        fixed_overhead_s=0.5 if ok else None,
    )
    defaults.update(kw)
    return Point(**defaults)


def make_report(points: list[Point], cpu_model: str = "Test CPU", cancelled: bool = False) -> Report:
    return Report(
        machine={"cpu": {"model": cpu_model, "physical_cores": 4}, "gpus": []},
        points=points,
        micro=[],
        created="2026-01-01T00:00:00+00:00",
        settings={},
        cancelled=cancelled,
        gpuwise_version="test",
    )


def fake_sweep(
    points: int = 2, *, block_until_cancel: bool = False, fail_with: BaseException | None = None
) -> Callable[[Any, CancelToken], Iterator[Any]]:
    """A run_sweep stand-in for the worker thread: yields points, optionally waits for a cancel or raises."""

    def run(plan: Any, cancel: CancelToken) -> Iterator[Any]:
        done: list[Point] = []
        for i in range(points):
            yield Progress("warmup", i, points, f"point {i}", 1, 2, i / max(points, 1), 1.0)
            yield Progress("measuring", i, points, f"point {i}", 2, 2, (i + 0.5) / max(points, 1), 0.5)
            p = make_point(params=1000 * (i + 1))
            done.append(p)
            yield PointMeasured(i, p)
        if fail_with is not None:
            raise fail_with
        if block_until_cancel:
            # Like a long training step loop: check the token between "steps" (here: short waits).
            while not cancel.cancelled:
                yield Progress("measuring", points, points + 1, "a long point", 1, 0, 0.5, 10.0)
                threading_wait(0.01)
        yield SweepFinished(make_report(done, cancelled=cancel.cancelled), cancel.cancelled)

    return run


def threading_wait(seconds: float) -> None:
    # The worker-side stand-in for a training step; the tests themselves never sleep.
    import threading

    threading.Event().wait(seconds)
