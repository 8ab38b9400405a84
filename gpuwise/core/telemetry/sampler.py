"""One :class:`Sample` per tick (host + every GPU), and a fixed-size numeric :class:`History` of them.

The desktop monitor samples at 0.5–4 Hz for windows of a minute to an hour and may run for days, so the
history is a set of preallocated numpy ring buffers: its capacity, not its running time, sets its memory.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from gpuwise.core.telemetry.host import HostProbe, HostSample
from gpuwise.core.telemetry.na import NA, NotAvailable
from gpuwise.core.telemetry.na import as_float as _num
from gpuwise.core.telemetry.nvml import (
    GpuProcess,
    GpuSample,
    NvmlProbe,
    NvmlState,
    get_nvml_probe,
)

PROCESS_POLL_INTERVAL_S = 1.0
"""Listing GPU processes is NVML's costly query, and polling it fast can stall a GPU: at most this often."""


@dataclass(frozen=True)
class Sample:
    timestamp: float  # seconds since the epoch (time.time), so JSON lines from different runs line up
    host: HostSample
    gpus: list[GpuSample]
    gpu_state: NvmlState  # why ``gpus`` is empty (or shorter than before), in one sentence

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values: NA and unavailable readings become ``None`` (``null``)."""
        gpus = []
        for gpu in self.gpus:
            entry = _jsonable(gpu)
            entry["throttle_reasons"] = _jsonable(gpu.throttle_reasons)
            entry["throttled"] = _jsonable(gpu.throttled)
            gpus.append(entry)
        return {
            "timestamp": self.timestamp,
            "host": _jsonable(self.host),
            "gpus": gpus,
            "gpu_state": {
                "status": self.gpu_state.status.value,
                "ok": self.gpu_state.ok,
                "message": self.gpu_state.message,
            },
        }


def _jsonable(value: Any) -> Any:
    if value is NA:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN; a broken reading is as good as none
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


class Sampler:
    """Takes one :class:`Sample` of the host and every GPU per call to :meth:`sample`.

    The default host probe primes the CPU-load counters on construction, so even the first sample measures a
    real window. GPU process lists are refreshed at most every :data:`PROCESS_POLL_INTERVAL_S` and reused in
    between, however fast :meth:`sample` is called. ``clock`` (monotonic seconds) is injectable for tests.
    Call it from one thread at a time (the probes themselves are thread-safe).
    """

    def __init__(
        self,
        host_probe: HostProbe | None = None,
        nvml_probe: NvmlProbe | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._host = host_probe if host_probe is not None else HostProbe()
        self._nvml = nvml_probe if nvml_probe is not None else get_nvml_probe()
        self._clock = clock
        self._processes_at: float | None = None
        self._processes: dict[int, tuple[GpuProcess, ...] | NotAvailable] = {}

    @property
    def gpu_state(self) -> NvmlState:
        return self._nvml.state

    def sample(self) -> Sample:
        now = self._clock()
        refresh = self._processes_at is None or now - self._processes_at >= PROCESS_POLL_INTERVAL_S
        host = self._host.sample()
        gpus, state = self._nvml.read(with_processes=refresh)
        if refresh:
            self._processes_at = now
            self._processes = {g.index: g.processes for g in gpus}
        else:
            gpus = [replace(g, processes=self._processes.get(g.index, NA)) for g in gpus]
        return Sample(timestamp=time.time(), host=host, gpus=gpus, gpu_state=state)


def sample_metrics(sample: Sample) -> dict[str, float]:
    """Flatten a sample into the named numbers that :class:`History` keeps. Missing readings are NaN, so a
    plot shows a gap, not a fake zero. Memory in bytes, clocks in MHz, temperatures in °C, power in W."""
    host = sample.host
    out = {
        "cpu": _num(host.cpu_pct),
        "cpu.freq": _num(host.cpu_freq_mhz),
        "cpu.temp": _num(host.cpu_temp_c),
        "ram_used": _num(host.ram_used_bytes),
        "ram_total": _num(host.ram_total_bytes),
        "swap_used": _num(host.swap_used_bytes),
    }
    for i, pct in enumerate(host.per_core_pct or ()):
        out[f"cpu.core{i}"] = float(pct)
    for gpu in sample.gpus:
        p = f"gpu{gpu.index}."
        throttled = gpu.throttled
        out.update(
            {
                p + "util": _num(gpu.utilization_pct),
                p + "mem_util": _num(gpu.memory_utilization_pct),
                p + "mem_used": _num(gpu.memory_used_bytes),
                p + "mem_total": _num(gpu.memory_total_bytes),
                p + "temp": _num(gpu.temperature_c),
                p + "power": _num(gpu.power_w),
                p + "power_limit": _num(gpu.power_limit_w),
                p + "sm_clock": _num(gpu.sm_clock_mhz),
                p + "sm_clock_max": _num(gpu.sm_clock_max_mhz),
                p + "throttled": math.nan if throttled is NA else float(throttled),
            }
        )
    return out


_F64 = npt.NDArray[np.float64]


class History:
    """The last ``capacity`` samples as numbers, one preallocated ring buffer per metric key.

    Keys are added the first time a sample carries them (hardware is finite, so their count settles after
    the first sample); earlier slots of a new key read NaN, as do keys a later sample lacks (a lost GPU).
    Appending never allocates once the keys are known. Not thread-safe: keep it on one thread (the GUI's).
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = _check_capacity(capacity)
        self._times: _F64 = np.full(self._capacity, np.nan)
        self._values: dict[str, _F64] = {}
        self._start = 0  # slot of the oldest sample
        self._len = 0

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def nbytes(self) -> int:
        """Bytes held by the buffers: constant once the keys are known, however many samples were appended."""
        return int(self._times.nbytes + sum(a.nbytes for a in self._values.values()))

    def __len__(self) -> int:
        return self._len

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def keys(self) -> list[str]:
        return list(self._values)

    def append(self, sample: Sample) -> None:
        self.append_values(sample.timestamp, sample_metrics(sample))

    def append_values(self, timestamp: float, values: dict[str, float]) -> None:
        """Append one row of flattened metrics (what :meth:`append` does after :func:`sample_metrics`)."""
        slot = (self._start + self._len) % self._capacity
        for key in values:
            if key not in self._values:
                self._values[key] = np.full(self._capacity, np.nan)
        self._times[slot] = timestamp
        for key, column in self._values.items():
            column[slot] = values.get(key, math.nan)
        if self._len < self._capacity:
            self._len += 1
        else:
            self._start = (self._start + 1) % self._capacity  # overwrote the oldest

    def series(self, key: str) -> tuple[_F64, _F64]:
        """(times, values) of one key, oldest first, as fresh arrays the caller may keep or modify.

        An unknown key gives the times with all-NaN values, so a chart can be set up before its GPU reports.
        """
        times = self._ordered(self._times)
        column = self._values.get(key)
        values = self._ordered(column) if column is not None else np.full(self._len, np.nan)
        return times, values

    def latest(self, key: str) -> float:
        """The newest value of a key (NaN if none)."""
        column = self._values.get(key)
        if column is None or self._len == 0:
            return math.nan
        return float(column[(self._start + self._len - 1) % self._capacity])

    def clear(self) -> None:
        """Forget the samples but keep the buffers (and the keys) for reuse."""
        self._times.fill(np.nan)
        for column in self._values.values():
            column.fill(np.nan)
        self._start = 0
        self._len = 0

    def resize(self, capacity: int) -> None:
        """Change the capacity, keeping the newest samples that fit."""
        capacity = _check_capacity(capacity)
        keep = min(self._len, capacity)
        drop = self._len - keep  # the oldest samples that no longer fit
        self._times = _reallocate(self._ordered(self._times)[drop:], capacity)
        self._values = {k: _reallocate(self._ordered(c)[drop:], capacity) for k, c in self._values.items()}
        self._capacity = capacity
        self._start = 0
        self._len = keep

    def _ordered(self, column: _F64) -> _F64:
        end = self._start + self._len
        if end <= self._capacity:
            return column[self._start : end].copy()
        return np.concatenate((column[self._start :], column[: end - self._capacity]))


def _reallocate(newest: _F64, capacity: int) -> _F64:
    out = np.full(capacity, np.nan)
    out[: len(newest)] = newest
    return out


def _check_capacity(capacity: int) -> int:
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
        raise ValueError(f"history capacity must be a positive integer, not {capacity!r}")
    return capacity


def history_capacity(window_s: float, rate_hz: float) -> int:
    """Samples needed to cover ``window_s`` seconds at ``rate_hz`` (e.g. 1 h at 4 Hz -> 14,400)."""
    if not (window_s > 0 and rate_hz > 0 and math.isfinite(window_s * rate_hz)):
        raise ValueError(f"window {window_s!r} s at {rate_hz!r} Hz does not make a history")
    return max(1, math.ceil(window_s * rate_hz))
