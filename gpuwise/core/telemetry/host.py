"""The host side of telemetry: CPU load and clocks, memory, temperatures, read through psutil.

Every desktop OS lacks something (macOS and Windows have no ``sensors_temperatures``; many VMs report a
maximum CPU clock of 0.0), so each reading is independent and a missing one is ``None``, never an exception.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import psutil

_log = logging.getLogger(__name__)
_T = TypeVar("_T")

# Sensor chips that measure the CPU, best first. acpitz is a motherboard zone that often tracks the CPU on
# laptops, so it is the last resort.
_CPU_SENSOR_CHIPS: Final = (
    "coretemp",
    "k10temp",
    "zenpower",
    "cpu_thermal",
    "cpu-thermal",
    "soc_thermal",
    "acpitz",
)


# Clocks, swap and temperatures change slowly (or matter only over seconds) but cost most of a sample: on a VM
# here, a sample with them took ~3.7 ms of CPU after a half-second sleep, ~0.7 ms without (cold syscalls each).
# At 2 Hz they are read at most this often; the load and RAM, which a run moves, every sample.
SLOW_READINGS_INTERVAL_S: Final = 5.0


@dataclass(frozen=True)
class TemperatureReading:
    chip: str  # psutil's sensor name, e.g. "coretemp"
    label: str  # e.g. "Package id 0"; may be empty
    celsius: float


@dataclass(frozen=True)
class HostSample:
    """One reading of the host. Percentages 0–100, memory in bytes, clocks in MHz; ``None``: not available."""

    cpu_pct: float | None
    per_core_pct: tuple[float, ...] | None  # one entry per logical CPU
    cpu_freq_mhz: float | None
    cpu_freq_max_mhz: float | None
    ram_used_bytes: int | None  # total minus available: what new programs cannot have, as task managers show
    ram_total_bytes: int | None
    swap_used_bytes: int | None
    swap_total_bytes: int | None
    temperatures: tuple[TemperatureReading, ...]  # every sensor the OS exposes; empty where it exposes none
    cpu_temp_c: float | None  # the hottest reading of the CPU's own sensor chip


def _safe(what: str, call: Callable[[], _T]) -> _T | None:
    # psutil raises different things per platform for a missing reading (NotImplementedError, OSError,
    # FileNotFoundError on some Linux kernels, RuntimeError on some macOS builds); a reading that fails must
    # not take the others with it, so any error becomes "not available".
    try:
        return call()
    except Exception as err:
        _log.debug("psutil %s not available: %s", what, err)
        return None


def _positive(value: float | None) -> float | None:
    # psutil reports 0.0 for a clock it could not read (this VM's cpu_freq().max), not a real 0 MHz.
    return float(value) if value is not None and value > 0 else None


@dataclass(frozen=True)
class _SlowReadings:
    freq: Any
    swap: Any
    temperatures: tuple[TemperatureReading, ...]


class HostProbe:
    """Reads the host through psutil. Constructing it primes psutil's CPU counters, so the first
    :meth:`sample` reports the load since construction rather than a meaningless 0.0.

    The CPU load and RAM are read on every sample; clocks, swap and temperatures at most every
    ``slow_interval_s`` (the sample repeats the last reading in between)."""

    def __init__(
        self, slow_interval_s: float = SLOW_READINGS_INTERVAL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._slow_interval_s = slow_interval_s
        self._clock = clock
        self._slow: _SlowReadings | None = None
        self._slow_read_at = -math.inf
        self.prime()

    def prime(self) -> None:
        """Start a CPU-load window: ``cpu_percent(interval=None)`` measures since its previous call."""
        _safe("cpu_percent", lambda: psutil.cpu_percent(interval=None))
        _safe("cpu_percent(percpu)", lambda: psutil.cpu_percent(interval=None, percpu=True))

    def sample(self) -> HostSample:
        cores = _safe("cpu_percent(percpu)", lambda: psutil.cpu_percent(interval=None, percpu=True))
        # Every core's counters span the same interval, so the total load is their mean: one read of the
        # counters instead of two. psutil's own total only where the per-core reading is missing.
        total = sum(cores) / len(cores) if cores else _safe("cpu_percent", lambda: psutil.cpu_percent(interval=None))
        vm = _safe("virtual_memory", psutil.virtual_memory)
        slow = self._slow_readings()
        freq, swap, temps = slow.freq, slow.swap, slow.temperatures
        return HostSample(
            cpu_pct=float(total) if total is not None else None,
            per_core_pct=tuple(float(c) for c in cores) if cores else None,
            cpu_freq_mhz=_positive(getattr(freq, "current", None)),
            cpu_freq_max_mhz=_positive(getattr(freq, "max", None)),
            ram_used_bytes=int(vm.total - vm.available) if vm is not None else None,
            ram_total_bytes=int(vm.total) if vm is not None else None,
            swap_used_bytes=int(swap.used) if swap is not None else None,
            swap_total_bytes=int(swap.total) if swap is not None else None,
            temperatures=temps,
            cpu_temp_c=cpu_temperature(temps),
        )

    def _slow_readings(self) -> _SlowReadings:
        now = self._clock()
        if self._slow is None or now - self._slow_read_at >= self._slow_interval_s:
            self._slow = _SlowReadings(
                freq=_safe("cpu_freq", psutil.cpu_freq),  # None on platforms without it, besides raising
                swap=_safe("swap_memory", psutil.swap_memory),
                temperatures=read_temperatures(),
            )
            self._slow_read_at = now
        return self._slow


def read_temperatures() -> tuple[TemperatureReading, ...]:
    """Every temperature sensor the OS exposes (Linux and FreeBSD; none on Windows and macOS)."""
    sensors = getattr(psutil, "sensors_temperatures", None)
    if sensors is None:
        return ()
    found = _safe("sensors_temperatures", sensors) or {}
    readings = []
    for chip, entries in found.items():
        for entry in entries:
            current = getattr(entry, "current", None)
            if isinstance(current, int | float) and current == current:  # drops NaN from broken sensors
                label = str(getattr(entry, "label", "") or "")
                readings.append(TemperatureReading(chip, label, float(current)))
    return tuple(readings)


def cpu_temperature(readings: tuple[TemperatureReading, ...]) -> float | None:
    """The CPU's temperature: the hottest reading of the best-known CPU sensor chip present."""
    for chip in _CPU_SENSOR_CHIPS:
        values = [r.celsius for r in readings if r.chip == chip]
        if values:
            return max(values)
    return None
