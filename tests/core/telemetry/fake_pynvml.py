"""A stand-in for the ``pynvml`` module that raises the REAL nvidia-ml-py error classes.

``pynvml.NVMLError(code)`` returns the matching subclass (``NVMLError_LibraryNotFound`` ...), so the probe
under test sees exactly what a machine in that state would raise. Handles are GPU indices.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pynvml as real

MISSING_PID = 2**31 - 7  # beyond every OS's pid range: psutil cannot name it

# Clock-event reason bits (nvml.h)
IDLE = 0x001
SW_POWER_CAP = 0x004
SW_THERMAL = 0x020
HW_THERMAL = 0x040


def nvml_error(code: int) -> real.NVMLError:
    return real.NVMLError(code)


@dataclass
class FakeGpu:
    name: str | bytes = "NVIDIA Fake A100"
    uuid: str = "GPU-00000000-0000-0000-0000-000000000000"
    util_gpu: int = 87
    util_mem: int = 35
    mem_used: int = 30 * 2**30
    mem_total: int = 80 * 2**30
    temp: int = 64
    power_mw: int = 251_500
    limit_mw: int = 400_000
    sm_clock: int = 1395
    sm_clock_max: int = 1410
    event_reasons: int = 0
    compute_procs: list[tuple[int, int | None]] = field(default_factory=lambda: [(os.getpid(), 2**30)])
    graphics_procs: list[tuple[int, int | None]] = field(default_factory=list)
    # NVML function name -> error code it raises (NVML_ERROR_NOT_SUPPORTED for a metric this board lacks),
    # or an exception instance raised as it is (pynvml.NVMLLibraryMismatchError)
    errors: dict[str, int | Exception] = field(default_factory=dict)
    lost: bool = False
    lose_at: str | None = None  # the GPU falls off the bus when this function is called


class FakeAtexit:
    """Stands in for ``atexit`` inside the nvml module, so test probes stay out of the real exit handlers."""

    def __init__(self) -> None:
        self.registered: list[Any] = []

    def register(self, fn: Any) -> None:
        self.registered.append(fn)

    def unregister(self, fn: Any) -> None:
        self.registered = [f for f in self.registered if f != fn]


class FakeNvml:
    """Quacks like the ``pynvml`` module for everything :class:`NvmlProbe` calls."""

    NVMLError = real.NVMLError
    NVMLLibraryMismatchError = real.NVMLLibraryMismatchError

    def __init__(
        self,
        gpus: list[FakeGpu] | None = None,
        *,
        init_error: int | None = None,
        count_error: int | None = None,
        missing: frozenset[str] = frozenset(),
        driver: str = "550.54.15",
    ) -> None:
        self.gpus = gpus if gpus is not None else [FakeGpu()]
        self.init_error = init_error
        self.count_error = count_error
        self.missing = missing  # functions an older nvidia-ml-py does not define at all
        self.driver = driver
        self.calls: Counter[str] = Counter()
        self.device_calls: Counter[int] = Counter()

    def __getattribute__(self, name: str) -> Any:
        if name != "missing" and name in object.__getattribute__(self, "missing"):
            raise AttributeError(name)
        return object.__getattribute__(self, name)

    # -- library -------------------------------------------------------------------------------------------

    def nvmlInit(self) -> None:
        self.calls["nvmlInit"] += 1
        if self.init_error is not None:
            raise nvml_error(self.init_error)

    def nvmlShutdown(self) -> None:
        self.calls["nvmlShutdown"] += 1

    def nvmlSystemGetDriverVersion(self) -> str:
        return self.driver

    def nvmlDeviceGetCount(self) -> int:
        if self.count_error is not None:
            raise nvml_error(self.count_error)
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        self._device("nvmlDeviceGetHandleByIndex", index)
        return index

    # -- per device ----------------------------------------------------------------------------------------

    def _device(self, fn: str, handle: int) -> FakeGpu:
        self.calls[fn] += 1
        self.device_calls[handle] += 1
        gpu = self.gpus[handle]
        if gpu.lose_at == fn:
            gpu.lost = True
        if gpu.lost:
            raise nvml_error(real.NVML_ERROR_GPU_IS_LOST)
        if fn in gpu.errors:
            err = gpu.errors[fn]
            raise err if isinstance(err, Exception) else nvml_error(err)
        return gpu

    def nvmlDeviceGetName(self, h: int) -> str | bytes:
        return self._device("nvmlDeviceGetName", h).name

    def nvmlDeviceGetUUID(self, h: int) -> str:
        return self._device("nvmlDeviceGetUUID", h).uuid

    def nvmlDeviceGetMaxClockInfo(self, h: int, clock: int) -> int:
        assert clock == real.NVML_CLOCK_SM
        return self._device("nvmlDeviceGetMaxClockInfo", h).sm_clock_max

    def nvmlDeviceGetClockInfo(self, h: int, clock: int) -> int:
        assert clock == real.NVML_CLOCK_SM
        return self._device("nvmlDeviceGetClockInfo", h).sm_clock

    def nvmlDeviceGetUtilizationRates(self, h: int) -> SimpleNamespace:
        g = self._device("nvmlDeviceGetUtilizationRates", h)
        return SimpleNamespace(gpu=g.util_gpu, memory=g.util_mem)

    def nvmlDeviceGetMemoryInfo(self, h: int) -> SimpleNamespace:
        g = self._device("nvmlDeviceGetMemoryInfo", h)
        return SimpleNamespace(total=g.mem_total, used=g.mem_used, free=g.mem_total - g.mem_used)

    def nvmlDeviceGetTemperature(self, h: int, sensor: int) -> int:
        assert sensor == real.NVML_TEMPERATURE_GPU
        return self._device("nvmlDeviceGetTemperature", h).temp

    def nvmlDeviceGetPowerUsage(self, h: int) -> int:
        return self._device("nvmlDeviceGetPowerUsage", h).power_mw

    def nvmlDeviceGetEnforcedPowerLimit(self, h: int) -> int:
        return self._device("nvmlDeviceGetEnforcedPowerLimit", h).limit_mw

    def nvmlDeviceGetPowerManagementLimit(self, h: int) -> int:
        return self._device("nvmlDeviceGetPowerManagementLimit", h).limit_mw

    def nvmlDeviceGetCurrentClocksEventReasons(self, h: int) -> int:
        return self._device("nvmlDeviceGetCurrentClocksEventReasons", h).event_reasons

    def nvmlDeviceGetCurrentClocksThrottleReasons(self, h: int) -> int:
        return self._device("nvmlDeviceGetCurrentClocksThrottleReasons", h).event_reasons

    def nvmlDeviceGetComputeRunningProcesses(self, h: int) -> list[SimpleNamespace]:
        g = self._device("nvmlDeviceGetComputeRunningProcesses", h)
        return [SimpleNamespace(pid=pid, usedGpuMemory=mem) for pid, mem in g.compute_procs]

    def nvmlDeviceGetGraphicsRunningProcesses(self, h: int) -> list[SimpleNamespace]:
        g = self._device("nvmlDeviceGetGraphicsRunningProcesses", h)
        return [SimpleNamespace(pid=pid, usedGpuMemory=mem) for pid, mem in g.graphics_procs]
