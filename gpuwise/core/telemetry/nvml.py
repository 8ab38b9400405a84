"""A thin nvidia-ml-py (``pynvml``) wrapper that never raises to its callers.

Two kinds of trouble are kept apart, as nvitop does:

* a metric one GPU does not offer (power on some laptops, processes inside a container) is the :data:`NA`
  sentinel in that field, and the rest of the sample is still good;
* a failure that explains the whole state (no driver, version mismatch, a GPU fallen off the bus) is a typed
  :class:`NvmlState` with one sentence a person can act on. Front ends show it once instead of a traceback.

NVML is initialised lazily, once, under a lock, and shut down at interpreter exit. This module is the only
place allowed to call ``nvmlInit`` (ruff's banned-api rule enforces it elsewhere).
"""

from __future__ import annotations

import atexit
import enum
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Final, TypeVar

import psutil

from gpuwise.core.telemetry.na import NA as NA  # re-exported: the old home
from gpuwise.core.telemetry.na import NotAvailable as NotAvailable

_log = logging.getLogger(__name__)
_T = TypeVar("_T")


class NvmlStatus(enum.Enum):
    OK = "ok"
    LIBRARY_NOT_FOUND = "library_not_found"
    DRIVER_NOT_LOADED = "driver_not_loaded"
    VERSION_MISMATCH = "version_mismatch"
    GPU_LOST = "gpu_lost"
    NO_PERMISSION = "no_permission"
    NO_GPU = "no_gpu"
    ERROR = "error"


@dataclass(frozen=True)
class NvmlState:
    """Whether NVIDIA GPU information can be read and, if not, why, in one sentence for people."""

    status: NvmlStatus
    message: str

    @property
    def ok(self) -> bool:
        return self.status is NvmlStatus.OK


@dataclass(frozen=True)
class GpuProcess:
    pid: int
    name: str | NotAvailable  # NA when the process belongs to another user or container
    used_memory_bytes: int | NotAvailable  # NA under Windows WDDM and MIG, where NVML cannot attribute memory


@dataclass(frozen=True)
class GpuSample:
    """One reading of one GPU. Percentages are 0–100, memory in bytes, power in watts, clocks in MHz."""

    index: int
    name: str | NotAvailable
    uuid: str | NotAvailable
    utilization_pct: float | NotAvailable
    memory_utilization_pct: float | NotAvailable  # share of time the memory bus was busy, not memory used
    memory_used_bytes: int | NotAvailable
    memory_total_bytes: int | NotAvailable
    temperature_c: float | NotAvailable
    power_w: float | NotAvailable
    power_limit_w: float | NotAvailable
    sm_clock_mhz: float | NotAvailable
    sm_clock_max_mhz: float | NotAvailable
    clock_events: tuple[str, ...] | NotAvailable  # readable names of every active clock-event reason
    processes: tuple[GpuProcess, ...] | NotAvailable

    @property
    def throttle_reasons(self) -> tuple[str, ...] | NotAvailable:
        """Active reasons that slow the GPU against its will (heat, power), not idleness or user settings."""
        if self.clock_events is NA:
            return NA
        return tuple(name for name in self.clock_events if name in THROTTLING_EVENTS)

    @property
    def throttled(self) -> bool | NotAvailable:
        reasons = self.throttle_reasons
        return NA if reasons is NA else bool(reasons)


# Bit values from nvml.h (nvmlClocksEventReason*/nvmlClocksThrottleReason* share them). They are ABI, so they
# are spelled out here rather than read from the module: an older nvidia-ml-py or a test double may lack some.
_CLOCK_EVENT_BITS: Final[tuple[tuple[int, str, bool], ...]] = (
    # (bit, readable name, is it throttling?)
    (0x001, "idle", False),
    (0x002, "application clocks setting", False),
    (0x004, "software power cap", True),
    (0x008, "hardware slowdown", True),
    (0x010, "sync boost", False),  # held to the slowest GPU of a sync-boost group: a choice, not distress
    (0x020, "software thermal slowdown", True),
    (0x040, "hardware thermal slowdown", True),
    (0x080, "hardware power brake slowdown", True),
    (0x100, "display clock setting", False),
    (0x200, "board limit", True),
    (0x400, "reliability limit", True),
)
THROTTLING_EVENTS: Final[frozenset[str]] = frozenset(name for _, name, bad in _CLOCK_EVENT_BITS if bad)


def decode_clock_events(mask: int) -> tuple[str, ...]:
    """Turn an NVML clock-event (throttle) reason bit mask into readable names, unknown bits included."""
    names = [name for bit, name, _ in _CLOCK_EVENT_BITS if mask & bit]
    known = 0
    for bit, _, _ in _CLOCK_EVENT_BITS:
        known |= bit
    if mask & ~known:
        names.append(f"unknown reason 0x{mask & ~known:x}")
    return tuple(names)


# NVML return codes (nvml.h). Errors are classified by code, not class, so any module that raises
# pynvml.NVMLError subclasses works, including one whose classes were generated separately.
_ERR_NO_PERMISSION: Final = 4
_ERR_DRIVER_NOT_LOADED: Final = 9
_ERR_LIBRARY_NOT_FOUND: Final = 12
_ERR_FUNCTION_NOT_FOUND: Final = 13
_ERR_GPU_IS_LOST: Final = 15
_ERR_LIB_RM_VERSION_MISMATCH: Final = 18

_NVML_TEMPERATURE_GPU: Final = 0
_NVML_CLOCK_SM: Final = 1

_MESSAGES: Final[dict[NvmlStatus, str]] = {
    NvmlStatus.LIBRARY_NOT_FOUND: ("No NVIDIA driver library (NVML) was found, so this machine shows no NVIDIA GPU."),
    NvmlStatus.DRIVER_NOT_LOADED: ("The NVIDIA driver is installed but not loaded; load it or reboot to use the GPU."),
    NvmlStatus.VERSION_MISMATCH: (
        "The NVIDIA kernel driver and its NVML library have different versions "
        "(usually after a driver update); reboot to fix it."
    ),
    NvmlStatus.NO_PERMISSION: "This user is not allowed to read NVIDIA GPU information.",
    NvmlStatus.NO_GPU: "The NVIDIA driver is loaded but reports no GPU.",
}


def _error_code(err: BaseException) -> int | None:
    code = getattr(err, "value", None)
    return code if isinstance(code, int) else None


def state_for_error(err: BaseException) -> NvmlState:
    """The whole-state meaning of an NVML error raised by init, device count or handle lookup."""
    code = _error_code(err)
    status = {
        _ERR_LIBRARY_NOT_FOUND: NvmlStatus.LIBRARY_NOT_FOUND,
        _ERR_DRIVER_NOT_LOADED: NvmlStatus.DRIVER_NOT_LOADED,
        _ERR_LIB_RM_VERSION_MISMATCH: NvmlStatus.VERSION_MISMATCH,
        _ERR_NO_PERMISSION: NvmlStatus.NO_PERMISSION,
        _ERR_GPU_IS_LOST: NvmlStatus.GPU_LOST,
    }.get(code if code is not None else -1, NvmlStatus.ERROR)
    if status is NvmlStatus.GPU_LOST:
        return NvmlState(status, "An NVIDIA GPU stopped responding (it fell off the bus); it needs a reset or reboot.")
    if status is NvmlStatus.ERROR:
        detail = str(err).rstrip(".") or type(err).__name__
        return NvmlState(status, f"Reading NVIDIA GPU information failed: {detail}.")
    return NvmlState(status, _MESSAGES[status])


class _GpuLost(Exception):
    """Internal: a device call reported NVML_ERROR_GPU_IS_LOST; unwinds the per-device read."""

    value = _ERR_GPU_IS_LOST  # so that state_for_error classifies it like the NVML error it stands for


@dataclass
class _Device:
    index: int
    handle: Any
    # Fixed for the life of the driver, so read once instead of on every tick.
    name: str | NotAvailable
    uuid: str | NotAvailable
    sm_clock_max_mhz: float | NotAvailable


_UNINITIALISED: Final = NvmlState(NvmlStatus.ERROR, "NVML has not been initialised yet.")


class NvmlProbe:
    """Reads every NVIDIA GPU through NVML. Thread-safe; no method raises.

    ``pynvml_module`` replaces the real ``pynvml`` (tests pass a fake that raises the real error classes).
    """

    def __init__(self, pynvml_module: Any = None) -> None:
        self._injected = pynvml_module
        self._nv: Any = None
        self._lock = threading.RLock()
        self._initialised = False  # nvmlInit succeeded and shutdown has not been called
        self._ready = False  # the first-use initialisation has finished, successfully or not
        self._state = _UNINITIALISED
        self._devices: list[_Device] = []
        self._lost: list[_Device] = []
        self._driver_version: str | NotAvailable = NA

    # -- lifecycle -------------------------------------------------------------------------------------------

    def _ensure_init(self) -> None:
        """Initialise NVML once. A failure is remembered, not retried on every tick: retrying a missing driver
        costs a library search each time and cannot succeed within this process."""
        if self._ready:  # lock-free once done, so the GUI thread never waits behind a slow read
            return
        with self._lock:
            if self._ready:
                return
            try:
                self._init_locked()
            finally:
                self._ready = True

    def _init_locked(self) -> None:
        try:
            nv = self._injected if self._injected is not None else _init_real_pynvml()
            if self._injected is not None:
                nv.nvmlInit()
            self._nv = nv
        except Exception as err:  # the NVML error classes, or OSError from ctypes on exotic systems
            self._state = state_for_error(err)
            return
        self._initialised = True
        atexit.register(self.shutdown)
        try:
            count = int(nv.nvmlDeviceGetCount())
            self._devices = [self._open_device(nv, i) for i in range(count)]
            self._driver_version = _text(_optional(nv, lambda: nv.nvmlSystemGetDriverVersion()))
        except Exception as err:
            self._state = state_for_error(err)
            self._devices = []
            return
        if not self._devices:
            self._state = NvmlState(NvmlStatus.NO_GPU, _MESSAGES[NvmlStatus.NO_GPU])
        else:
            self._state = NvmlState(NvmlStatus.OK, self._ok_message())

    def _ok_message(self) -> str:
        n = len(self._devices)
        driver = f" (driver {self._driver_version})" if self._driver_version is not NA else ""
        return f"{n} NVIDIA GPU{'s' if n != 1 else ''} found{driver}."

    def _open_device(self, nv: Any, index: int) -> _Device:
        handle = nv.nvmlDeviceGetHandleByIndex(index)
        return _Device(
            index=index,
            handle=handle,
            name=_text(_optional(nv, lambda: nv.nvmlDeviceGetName(handle))),
            uuid=_text(_optional(nv, lambda: nv.nvmlDeviceGetUUID(handle))),
            sm_clock_max_mhz=_number(_optional(nv, lambda: nv.nvmlDeviceGetMaxClockInfo(handle, _NVML_CLOCK_SM))),
        )

    def shutdown(self) -> None:
        """Release NVML. The next read initialises it again. Called at interpreter exit."""
        with self._lock:
            if self._initialised:
                try:
                    self._nv.nvmlShutdown()
                except Exception as err:  # at exit there is nobody left to tell; log for the curious
                    _log.debug("nvmlShutdown failed: %s", err)
                atexit.unregister(self.shutdown)
            self._initialised = False
            self._ready = False
            self._devices = []
            self._lost = []
            self._state = _UNINITIALISED

    # -- queries ---------------------------------------------------------------------------------------------

    @property
    def state(self) -> NvmlState:
        self._ensure_init()
        return self._state

    @property
    def driver_version(self) -> str | NotAvailable:
        self._ensure_init()
        return self._driver_version

    def device_count(self) -> int:
        """GPUs still readable (a lost GPU is no longer counted)."""
        self._ensure_init()
        return len(self._devices)

    def read(self, *, with_processes: bool = True) -> tuple[list[GpuSample], NvmlState]:
        """Sample every readable GPU. Without ``with_processes`` the process lists are NA: listing processes
        is the expensive NVML call, and the sampler polls it less often than the rest."""
        self._ensure_init()
        with self._lock:
            if not self._devices:
                return [], self._state
            nv = self._nv
            samples: list[GpuSample] = []
            lost: list[_Device] = []
            state = self._state
            for dev in self._devices:
                try:
                    samples.append(_read_device(nv, dev, with_processes))
                except _GpuLost:
                    lost.append(dev)
                except Exception as err:  # a bug or a ctypes surprise must not take the monitor down
                    _log.warning("reading GPU %d failed: %s", dev.index, err, exc_info=True)
                    state = state_for_error(err)  # for this tick only: the next one may well succeed
            if lost:
                # A lost GPU stays lost until a reset, and polling it can block: stop asking it.
                self._devices = [d for d in self._devices if all(d is not x for x in lost)]
                self._lost.extend(lost)
                names = ", ".join(_describe(d) for d in self._lost)
                self._state = state = NvmlState(
                    NvmlStatus.GPU_LOST,
                    f"{names} stopped responding (fell off the bus) and needs a reset or reboot.",
                )
            return samples, state


def _init_real_pynvml() -> Any:
    # Imported on first use: the CLI's other commands and the window's first paint should not pay for it.
    import pynvml

    pynvml.nvmlInit()  # noqa: TID251 - the one sanctioned call site (NvmlProbe._ensure_init)
    return pynvml


def _describe(dev: _Device) -> str:
    return f"GPU {dev.index}" + (f" ({dev.name})" if dev.name is not NA else "")


def _optional(nv: Any, call: Callable[[], _T]) -> _T | NotAvailable:
    """Run one NVML query; a metric the GPU or driver lacks becomes NA. A lost GPU is not a missing metric."""
    try:
        return call()
    except nv.NVMLError as err:
        if _error_code(err) == _ERR_GPU_IS_LOST:
            raise _GpuLost from err
        return NA
    except getattr(nv, "NVMLLibraryMismatchError", ()):
        # Raised instead of FunctionNotFound by unversioned wrappers when the driver predates the function.
        return NA


def _text(value: object) -> str | NotAvailable:
    if value is NA or value is None:
        return NA
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _number(value: object) -> float | NotAvailable:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return NA
    return float(value)


def _count(value: object) -> int | NotAvailable:
    if isinstance(value, bool) or not isinstance(value, int):
        return NA
    return value


def _read_device(nv: Any, dev: _Device, with_processes: bool) -> GpuSample:
    h = dev.handle
    util = _optional(nv, lambda: nv.nvmlDeviceGetUtilizationRates(h))
    mem = _optional(nv, lambda: nv.nvmlDeviceGetMemoryInfo(h))
    power_mw = _number(_optional(nv, lambda: nv.nvmlDeviceGetPowerUsage(h)))
    limit_mw = _number(_optional(nv, lambda: nv.nvmlDeviceGetEnforcedPowerLimit(h)))
    if limit_mw is NA:
        limit_mw = _number(_optional(nv, lambda: nv.nvmlDeviceGetPowerManagementLimit(h)))
    return GpuSample(
        index=dev.index,
        name=dev.name,
        uuid=dev.uuid,
        utilization_pct=_number(getattr(util, "gpu", NA)),
        memory_utilization_pct=_number(getattr(util, "memory", NA)),
        memory_used_bytes=_count(getattr(mem, "used", NA)),
        memory_total_bytes=_count(getattr(mem, "total", NA)),
        temperature_c=_number(_optional(nv, lambda: nv.nvmlDeviceGetTemperature(h, _NVML_TEMPERATURE_GPU))),
        power_w=NA if power_mw is NA else power_mw / 1000.0,
        power_limit_w=NA if limit_mw is NA else limit_mw / 1000.0,
        sm_clock_mhz=_number(_optional(nv, lambda: nv.nvmlDeviceGetClockInfo(h, _NVML_CLOCK_SM))),
        sm_clock_max_mhz=dev.sm_clock_max_mhz,
        clock_events=_clock_events(nv, h),
        processes=_processes(nv, h) if with_processes else NA,
    )


def _clock_events(nv: Any, handle: Any) -> tuple[str, ...] | NotAvailable:
    # The "event" names replaced "throttle" in driver 535; older drivers only have the throttle call.
    for fn_name in ("nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetCurrentClocksThrottleReasons"):
        fn = getattr(nv, fn_name, None)
        if fn is None:
            continue
        mask = _count(_optional(nv, partial(fn, handle)))
        if mask is not NA:
            return decode_clock_events(mask)
    return NA


def _processes(nv: Any, handle: Any) -> tuple[GpuProcess, ...] | NotAvailable:
    found: dict[int, GpuProcess] = {}
    any_list = False
    for fn_name in ("nvmlDeviceGetComputeRunningProcesses", "nvmlDeviceGetGraphicsRunningProcesses"):
        fn = getattr(nv, fn_name, None)
        if fn is None:
            continue
        procs: Any = _optional(nv, partial(fn, handle))
        if procs is NA:
            continue
        any_list = True
        for p in procs:
            pid = int(p.pid)
            used = _count(getattr(p, "usedGpuMemory", None))
            if pid in found and found[pid].used_memory_bytes is not NA:
                continue  # a process doing compute and graphics is listed twice with the same memory
            found[pid] = GpuProcess(pid=pid, name=_process_name(pid), used_memory_bytes=used)
    if not any_list:
        return NA
    return tuple(sorted(found.values(), key=lambda p: p.pid))


def _process_name(pid: int) -> str | NotAvailable:
    try:
        return psutil.Process(pid).name()
    except (psutil.Error, OSError):  # gone, another user's, or in another PID namespace
        return NA


_probe: NvmlProbe | None = None
_probe_lock = threading.Lock()


def get_nvml_probe() -> NvmlProbe:
    """The process-wide probe: one NVML initialisation shared by the CLI, the monitor panel and benchmarks."""
    global _probe
    with _probe_lock:
        if _probe is None:
            _probe = NvmlProbe()
        return _probe
