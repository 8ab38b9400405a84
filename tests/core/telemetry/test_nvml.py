"""The NVML wrapper against a fake pynvml that raises the real nvidia-ml-py error classes."""

from __future__ import annotations

import copy
import ctypes.util
import os
import pickle
import threading

import psutil
import pynvml
import pytest

from gpuwise.core.telemetry import nvml as nvml_mod
from gpuwise.core.telemetry.nvml import (
    NA,
    THROTTLING_EVENTS,
    GpuProcess,
    NvmlProbe,
    NvmlStatus,
    decode_clock_events,
    get_nvml_probe,
    state_for_error,
)
from tests.core.telemetry.fake_pynvml import (
    HW_THERMAL,
    IDLE,
    MISSING_PID,
    SW_POWER_CAP,
    SW_THERMAL,
    FakeAtexit,
    FakeGpu,
    FakeNvml,
    nvml_error,
)


@pytest.fixture(autouse=True)
def fake_atexit(monkeypatch: pytest.MonkeyPatch) -> FakeAtexit:
    """Keep the many probes made here out of the interpreter's real exit handlers."""
    fake = FakeAtexit()
    monkeypatch.setattr(nvml_mod, "atexit", fake)
    return fake


# -- the NA sentinel ---------------------------------------------------------------------------------------


def test_na_is_a_falsy_singleton_that_prints_as_na() -> None:
    assert repr(NA) == "n/a"
    assert str(NA) == "n/a"
    assert f"{NA}" == "n/a"
    assert not NA
    assert copy.deepcopy(NA) is NA
    assert pickle.loads(pickle.dumps(NA)) is NA


# -- whole-state failures ----------------------------------------------------------------------------------


def test_the_real_error_classes_are_what_the_fake_raises() -> None:
    # Guards the premise of every test below: NVMLError(code) builds the specific subclass.
    assert type(nvml_error(pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)) is pynvml.NVMLError_LibraryNotFound
    assert type(nvml_error(pynvml.NVML_ERROR_GPU_IS_LOST)) is pynvml.NVMLError_GpuIsLost


@pytest.mark.parametrize(
    ("code", "status", "words"),
    [
        (pynvml.NVML_ERROR_LIBRARY_NOT_FOUND, NvmlStatus.LIBRARY_NOT_FOUND, "library"),
        (pynvml.NVML_ERROR_DRIVER_NOT_LOADED, NvmlStatus.DRIVER_NOT_LOADED, "not loaded"),
        (pynvml.NVML_ERROR_LIB_RM_VERSION_MISMATCH, NvmlStatus.VERSION_MISMATCH, "reboot"),
        (pynvml.NVML_ERROR_NO_PERMISSION, NvmlStatus.NO_PERMISSION, "not allowed"),
        (pynvml.NVML_ERROR_GPU_IS_LOST, NvmlStatus.GPU_LOST, "stopped responding"),
        (pynvml.NVML_ERROR_UNKNOWN, NvmlStatus.ERROR, "Unknown Error"),
        (pynvml.NVML_ERROR_OPERATING_SYSTEM, NvmlStatus.ERROR, "operating system"),
    ],
)
def test_init_failure_is_a_typed_state_with_one_sentence(code: int, status: NvmlStatus, words: str) -> None:
    fake = FakeNvml(init_error=code)
    probe = NvmlProbe(fake)

    state = probe.state
    assert state.status is status
    assert not state.ok
    assert words in state.message
    assert state.message.endswith(".") and "\n" not in state.message
    assert probe.read() == ([], state)
    assert probe.device_count() == 0
    assert probe.driver_version is NA


def test_a_failed_init_is_not_retried_on_every_tick() -> None:
    fake = FakeNvml(init_error=pynvml.NVML_ERROR_DRIVER_NOT_LOADED)
    probe = NvmlProbe(fake)
    for _ in range(5):
        probe.read()
    assert fake.calls["nvmlInit"] == 1


def test_no_gpu_when_the_driver_reports_none() -> None:
    probe = NvmlProbe(FakeNvml(gpus=[]))
    assert probe.state.status is NvmlStatus.NO_GPU
    assert probe.read() == ([], probe.state)


def test_device_count_failure_classifies_like_init() -> None:
    probe = NvmlProbe(FakeNvml(count_error=pynvml.NVML_ERROR_NO_PERMISSION))
    assert probe.state.status is NvmlStatus.NO_PERMISSION


def test_an_unexpected_exception_class_becomes_the_error_state() -> None:
    state = state_for_error(OSError("libnvidia-ml.so.1: wrong ELF class"))
    assert state.status is NvmlStatus.ERROR
    assert state.message == "Reading NVIDIA GPU information failed: libnvidia-ml.so.1: wrong ELF class."


def test_the_real_pynvml_never_raises_here() -> None:
    probe = NvmlProbe()
    try:
        gpus, state = probe.read()
        assert isinstance(state.status, NvmlStatus)
        if ctypes.util.find_library("nvidia-ml") is None and not os.path.exists("/usr/lib/wsl/lib"):
            assert state.status is NvmlStatus.LIBRARY_NOT_FOUND  # this build machine: no driver at all
            assert gpus == []
    finally:
        probe.shutdown()


# -- a healthy GPU -----------------------------------------------------------------------------------------


def test_ok_state_reports_gpus_and_driver() -> None:
    probe = NvmlProbe(FakeNvml(gpus=[FakeGpu(), FakeGpu(uuid="GPU-1")]))
    assert probe.state.ok
    assert probe.state.message == "2 NVIDIA GPUs found (driver 550.54.15)."
    assert probe.driver_version == "550.54.15"
    assert probe.device_count() == 2


def test_every_metric_of_a_healthy_gpu_in_the_documented_units() -> None:
    gpu = FakeGpu(
        name=b"NVIDIA Fake A100",  # older bindings return bytes
        event_reasons=IDLE | SW_THERMAL,
        compute_procs=[(os.getpid(), 2 * 2**30), (MISSING_PID, None)],
        graphics_procs=[(os.getpid(), 2 * 2**30)],  # the same process doing graphics too: listed once
    )
    probe = NvmlProbe(FakeNvml(gpus=[gpu]))

    [s], state = probe.read()

    assert state.ok
    assert s.index == 0
    assert s.name == "NVIDIA Fake A100"
    assert s.uuid == gpu.uuid
    assert (s.utilization_pct, s.memory_utilization_pct) == (87.0, 35.0)
    assert (s.memory_used_bytes, s.memory_total_bytes) == (30 * 2**30, 80 * 2**30)
    assert s.temperature_c == 64.0
    assert s.power_w == pytest.approx(251.5)
    assert s.power_limit_w == pytest.approx(400.0)
    assert (s.sm_clock_mhz, s.sm_clock_max_mhz) == (1395.0, 1410.0)
    assert s.clock_events == ("idle", "software thermal slowdown")
    assert s.throttle_reasons == ("software thermal slowdown",)
    assert s.throttled is True
    assert s.processes == (
        GpuProcess(pid=os.getpid(), name=psutil.Process().name(), used_memory_bytes=2 * 2**30),
        GpuProcess(pid=MISSING_PID, name=NA, used_memory_bytes=NA),
    )


def test_static_facts_are_read_once_not_every_tick() -> None:
    fake = FakeNvml()
    probe = NvmlProbe(fake)
    for _ in range(3):
        probe.read()
    assert fake.calls["nvmlDeviceGetName"] == 1
    assert fake.calls["nvmlDeviceGetMaxClockInfo"] == 1
    assert fake.calls["nvmlDeviceGetUtilizationRates"] == 3


def test_processes_are_skipped_when_not_asked_for() -> None:
    fake = FakeNvml()
    [s], _ = NvmlProbe(fake).read(with_processes=False)
    assert s.processes is NA
    assert fake.calls["nvmlDeviceGetComputeRunningProcesses"] == 0


# -- a GPU that supports some metrics but not others -------------------------------------------------------


def test_unsupported_metrics_are_na_and_the_rest_still_reads() -> None:
    not_supported = pynvml.NVML_ERROR_NOT_SUPPORTED
    gpu = FakeGpu(
        errors={
            "nvmlDeviceGetPowerUsage": not_supported,
            "nvmlDeviceGetEnforcedPowerLimit": not_supported,
            "nvmlDeviceGetPowerManagementLimit": not_supported,
            "nvmlDeviceGetTemperature": not_supported,
            "nvmlDeviceGetUUID": pynvml.NVML_ERROR_NO_PERMISSION,
            "nvmlDeviceGetCurrentClocksEventReasons": not_supported,
            "nvmlDeviceGetCurrentClocksThrottleReasons": not_supported,
            "nvmlDeviceGetComputeRunningProcesses": pynvml.NVML_ERROR_NO_PERMISSION,
            "nvmlDeviceGetGraphicsRunningProcesses": not_supported,
        }
    )
    probe = NvmlProbe(FakeNvml(gpus=[gpu]))

    [s], state = probe.read()

    assert state.ok  # one board's missing readings are not a failure of the whole state
    assert s.utilization_pct == 87.0 and s.memory_used_bytes == 30 * 2**30 and s.sm_clock_mhz == 1395.0
    for missing in ("power_w", "power_limit_w", "temperature_c", "uuid", "clock_events", "processes"):
        assert getattr(s, missing) is NA, missing
    assert s.throttle_reasons is NA
    assert s.throttled is NA


def test_power_limit_falls_back_to_the_management_limit() -> None:
    gpu = FakeGpu(errors={"nvmlDeviceGetEnforcedPowerLimit": pynvml.NVML_ERROR_NOT_SUPPORTED}, limit_mw=300_000)
    [s], _ = NvmlProbe(FakeNvml(gpus=[gpu])).read()
    assert s.power_limit_w == pytest.approx(300.0)


def test_clock_events_fall_back_to_throttle_reasons_on_an_old_driver() -> None:
    # New bindings, old driver: the symbol is missing from libnvidia-ml, NVML says FunctionNotFound.
    gpu = FakeGpu(
        event_reasons=SW_POWER_CAP,
        errors={"nvmlDeviceGetCurrentClocksEventReasons": pynvml.NVML_ERROR_FUNCTION_NOT_FOUND},
    )
    fake = FakeNvml(gpus=[gpu])
    [s], _ = NvmlProbe(fake).read()
    assert s.throttle_reasons == ("software power cap",)
    assert fake.calls["nvmlDeviceGetCurrentClocksThrottleReasons"] == 1


def test_clock_events_fall_back_when_the_bindings_predate_them() -> None:
    fake = FakeNvml(
        gpus=[FakeGpu(event_reasons=HW_THERMAL)],
        missing=frozenset({"nvmlDeviceGetCurrentClocksEventReasons"}),
    )
    [s], _ = NvmlProbe(fake).read()
    assert s.clock_events == ("hardware thermal slowdown",)


def test_process_list_survives_an_unversioned_binding_mismatch() -> None:
    mismatch = pynvml.NVMLLibraryMismatchError("use a versioned function")
    gpu = FakeGpu(
        errors={"nvmlDeviceGetComputeRunningProcesses": mismatch},
        graphics_procs=[(os.getpid(), 5 * 2**20)],
    )
    [s], state = NvmlProbe(FakeNvml(gpus=[gpu])).read()
    assert state.ok
    assert s.processes == (GpuProcess(os.getpid(), psutil.Process().name(), 5 * 2**20),)


def test_a_gpu_without_processes_has_an_empty_list_not_na() -> None:
    [s], _ = NvmlProbe(FakeNvml(gpus=[FakeGpu(compute_procs=[])])).read()
    assert s.processes == ()


# -- clock-event decoding ----------------------------------------------------------------------------------


def test_idle_and_application_clocks_are_not_throttling_heat_and_power_are() -> None:
    assert decode_clock_events(0) == ()
    assert "idle" not in THROTTLING_EVENTS
    assert "application clocks setting" not in THROTTLING_EVENTS
    for name in (
        "software power cap",
        "hardware slowdown",
        "software thermal slowdown",
        "hardware thermal slowdown",
        "hardware power brake slowdown",
    ):
        assert name in THROTTLING_EVENTS
    assert decode_clock_events(0x001 | 0x002) == ("idle", "application clocks setting")
    assert decode_clock_events(0x008 | 0x080) == ("hardware slowdown", "hardware power brake slowdown")


def test_unknown_clock_event_bits_are_named_not_dropped() -> None:
    assert decode_clock_events(0x1000 | 0x001) == ("idle", "unknown reason 0x1000")


# -- a GPU lost mid-run ------------------------------------------------------------------------------------


def test_a_gpu_lost_mid_sampling_becomes_the_gpu_lost_state_and_is_not_polled_again() -> None:
    survivor = FakeGpu(name="NVIDIA Fake A100", uuid="GPU-0")
    doomed = FakeGpu(name="NVIDIA Fake H100", uuid="GPU-1")
    fake = FakeNvml(gpus=[survivor, doomed])
    probe = NvmlProbe(fake)
    first, state = probe.read()
    assert state.ok and [g.index for g in first] == [0, 1]

    doomed.lose_at = "nvmlDeviceGetPowerUsage"  # falls off the bus halfway through its next reading
    second, state = probe.read()

    assert [g.index for g in second] == [0]
    assert state.status is NvmlStatus.GPU_LOST
    assert state.message == (
        "GPU 1 (NVIDIA Fake H100) stopped responding (fell off the bus) and needs a reset or reboot."
    )
    calls_to_lost_gpu = fake.device_calls[1]
    third, state_again = probe.read()
    assert [g.index for g in third] == [0]
    assert state_again == state
    assert fake.device_calls[1] == calls_to_lost_gpu  # polling a lost GPU can hang: we stopped
    assert probe.device_count() == 1


def test_losing_the_only_gpu_leaves_an_empty_list_and_the_reason() -> None:
    gpu = FakeGpu()
    probe = NvmlProbe(FakeNvml(gpus=[gpu]))
    probe.read()
    gpu.lost = True
    gpus, state = probe.read()
    assert gpus == []
    assert state.status is NvmlStatus.GPU_LOST
    assert not state.ok


def test_gpus_lost_in_different_ticks_are_all_named() -> None:
    gpus = [FakeGpu(name="A"), FakeGpu(name="B"), FakeGpu(name="C")]
    probe = NvmlProbe(FakeNvml(gpus=gpus))
    probe.read()
    gpus[0].lost = True
    probe.read()
    gpus[2].lost = True
    remaining, state = probe.read()
    assert [g.name for g in remaining] == ["B"]
    assert state.message.startswith("GPU 0 (A), GPU 2 (C) stopped responding")


def test_a_gpu_lost_while_opening_it_is_the_gpu_lost_state() -> None:
    probe = NvmlProbe(FakeNvml(gpus=[FakeGpu(lost=True)]))
    assert probe.state.status is NvmlStatus.GPU_LOST


# -- lifecycle ---------------------------------------------------------------------------------------------


def test_init_is_lazy_once_and_shutdown_is_registered_for_exit(fake_atexit: FakeAtexit) -> None:
    fake = FakeNvml()
    probe = NvmlProbe(fake)
    assert fake.calls["nvmlInit"] == 0  # constructing a probe must not touch the driver
    probe.read()
    probe.read()
    assert fake.calls["nvmlInit"] == 1
    assert fake_atexit.registered == [probe.shutdown]

    probe.shutdown()
    probe.shutdown()
    assert fake.calls["nvmlShutdown"] == 1
    assert fake_atexit.registered == []

    probe.read()  # used again after a shutdown: initialises again rather than failing
    assert fake.calls["nvmlInit"] == 2


def test_a_failed_init_needs_no_shutdown(fake_atexit: FakeAtexit) -> None:
    fake = FakeNvml(init_error=pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)
    probe = NvmlProbe(fake)
    probe.read()
    probe.shutdown()
    assert fake_atexit.registered == []
    assert fake.calls["nvmlShutdown"] == 0


def test_concurrent_first_use_initialises_once() -> None:
    fake = FakeNvml()
    probe = NvmlProbe(fake)
    start = threading.Barrier(8)
    results: list[bool] = []

    def first_use() -> None:
        start.wait()
        results.append(probe.state.ok)

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 8
    assert fake.calls["nvmlInit"] == 1


def test_state_does_not_wait_behind_a_slow_read() -> None:
    # A GPU that is falling off the bus can make an NVML call hang for seconds; the GUI thread asking for the
    # state must not queue behind the sampler thread that is stuck in it.
    probe = NvmlProbe(FakeNvml())
    assert probe.state.ok
    holding, release = threading.Event(), threading.Event()

    def stuck_read() -> None:
        with probe._lock:
            holding.set()
            release.wait()

    reader = threading.Thread(target=stuck_read)
    reader.start()
    try:
        holding.wait()
        assert probe.state.ok  # would deadlock here if state took the lock
        assert probe.device_count() == 1
    finally:
        release.set()
        reader.join()


def test_get_nvml_probe_is_a_process_wide_singleton() -> None:
    assert get_nvml_probe() is get_nvml_probe()
