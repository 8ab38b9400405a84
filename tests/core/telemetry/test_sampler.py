"""Sampler (one Sample per tick, processes at most once a second) and the ring-buffer History."""

from __future__ import annotations

import dataclasses
import json
import math
import time
import tracemalloc

import numpy as np
import pynvml
import pytest

from gpuwise.core.telemetry import nvml as nvml_mod
from gpuwise.core.telemetry.host import HostProbe, HostSample
from gpuwise.core.telemetry.nvml import NA, GpuSample, NvmlProbe, NvmlState, NvmlStatus
from gpuwise.core.telemetry.sampler import (
    PROCESS_POLL_INTERVAL_S,
    History,
    Sample,
    Sampler,
    history_capacity,
    sample_metrics,
)
from tests.core.telemetry.fake_pynvml import SW_THERMAL, FakeAtexit, FakeGpu, FakeNvml

HOST = HostSample(
    cpu_pct=25.0,
    per_core_pct=(10.0, 40.0),
    cpu_freq_mhz=2000.0,
    cpu_freq_max_mhz=None,
    ram_used_bytes=3 * 2**30,
    ram_total_bytes=8 * 2**30,
    swap_used_bytes=0,
    swap_total_bytes=2**30,
    temperatures=(),
    cpu_temp_c=None,
)
NO_GPU = NvmlState(NvmlStatus.LIBRARY_NOT_FOUND, "No NVIDIA driver library (NVML) was found.")


class FixedHostProbe(HostProbe):
    """A host that always reads the same, so tests do not depend on this machine's load."""

    def __init__(self, sample: HostSample = HOST) -> None:
        self.fixed = sample

    def sample(self) -> HostSample:
        return self.fixed


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def no_real_atexit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nvml_mod, "atexit", FakeAtexit())


def make_sample(t: float, cpu: float = 25.0, gpus: list[GpuSample] | None = None) -> Sample:
    host = dataclasses.replace(HOST, cpu_pct=cpu)
    return Sample(timestamp=t, host=host, gpus=gpus or [], gpu_state=NO_GPU)


# -- Sampler -----------------------------------------------------------------------------------------------


def test_a_sample_holds_host_gpus_and_the_gpu_state() -> None:
    sampler = Sampler(FixedHostProbe(), NvmlProbe(FakeNvml(gpus=[FakeGpu(), FakeGpu(uuid="GPU-1")])))
    before = time.time()
    s = sampler.sample()
    assert before <= s.timestamp <= time.time()
    assert s.host == HOST
    assert [g.index for g in s.gpus] == [0, 1]
    assert s.gpu_state.ok
    assert sampler.gpu_state.ok


def test_sampling_without_nvidia_gives_the_reason_and_no_gpus() -> None:
    fake = FakeNvml(init_error=pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)
    s = Sampler(FixedHostProbe(), NvmlProbe(fake)).sample()
    assert s.gpus == []
    assert s.gpu_state.status is NvmlStatus.LIBRARY_NOT_FOUND


def test_the_default_sampler_works_on_this_machine() -> None:
    s = Sampler().sample()  # real psutil and the real (probably driverless) NVML: never raises
    assert s.host.cpu_pct is not None
    assert isinstance(s.gpu_state.status, NvmlStatus)


def test_process_lists_are_polled_at_most_once_a_second_and_reused_between() -> None:
    fake = FakeNvml()
    clock = Clock()
    sampler = Sampler(FixedHostProbe(), NvmlProbe(fake), clock=clock)

    first = sampler.sample()
    assert first.gpus[0].processes not in (NA, ())
    for dt in (0.25, 0.5, 0.75, PROCESS_POLL_INTERVAL_S - 0.01):
        clock.now = 100.0 + dt
        s = sampler.sample()
        assert s.gpus[0].processes == first.gpus[0].processes  # the cached list, not NA
    assert fake.calls["nvmlDeviceGetComputeRunningProcesses"] == 1
    assert fake.calls["nvmlDeviceGetUtilizationRates"] == 5  # the device metrics are fresh every tick

    clock.now = 100.0 + PROCESS_POLL_INTERVAL_S
    sampler.sample()
    assert fake.calls["nvmlDeviceGetComputeRunningProcesses"] == 2


def test_to_dict_is_json_with_na_as_null() -> None:
    gpu = FakeGpu(
        event_reasons=SW_THERMAL,
        errors={"nvmlDeviceGetPowerUsage": pynvml.NVML_ERROR_NOT_SUPPORTED},
    )
    s = Sampler(FixedHostProbe(), NvmlProbe(FakeNvml(gpus=[gpu]))).sample()

    data = json.loads(json.dumps(s.to_dict(), allow_nan=False))

    assert data["timestamp"] == s.timestamp
    assert data["host"]["cpu_pct"] == 25.0
    assert data["host"]["per_core_pct"] == [10.0, 40.0]
    assert data["host"]["cpu_freq_max_mhz"] is None
    assert data["gpu_state"] == {"status": "ok", "ok": True, "message": s.gpu_state.message}
    [g] = data["gpus"]
    assert g["power_w"] is None
    assert g["utilization_pct"] == 87.0
    assert g["throttled"] is True
    assert g["throttle_reasons"] == ["software thermal slowdown"]
    assert g["processes"][0]["pid"] == gpu.compute_procs[0][0]


def test_to_dict_without_gpus() -> None:
    data = make_sample(5.0).to_dict()
    assert data["gpus"] == []
    assert data["gpu_state"]["status"] == "library_not_found"
    assert data["gpu_state"]["ok"] is False


# -- flattening --------------------------------------------------------------------------------------------


def test_sample_metrics_names_and_na_as_nan() -> None:
    gpu = FakeGpu(errors={"nvmlDeviceGetTemperature": pynvml.NVML_ERROR_NOT_SUPPORTED})
    s = Sampler(FixedHostProbe(), NvmlProbe(FakeNvml(gpus=[gpu]))).sample()

    m = sample_metrics(s)

    assert m["cpu"] == 25.0
    assert (m["cpu.core0"], m["cpu.core1"]) == (10.0, 40.0)
    assert m["ram_used"] == 3 * 2**30
    assert math.isnan(m["cpu.temp"])
    assert m["gpu0.util"] == 87.0
    assert m["gpu0.mem_used"] == 30 * 2**30
    assert m["gpu0.power"] == pytest.approx(251.5)
    assert m["gpu0.sm_clock"] == 1395.0
    assert m["gpu0.throttled"] == 0.0
    assert math.isnan(m["gpu0.temp"])  # NA -> NaN: a gap in the plot, not a fake 0 °C


# -- History -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_history_refuses_a_capacity_that_is_not_a_positive_int(bad: object) -> None:
    with pytest.raises(ValueError, match="capacity"):
        History(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="capacity"):
        History(3).resize(bad)  # type: ignore[arg-type]


def test_history_before_it_is_full() -> None:
    h = History(5)
    for t in range(3):
        h.append(make_sample(float(t), cpu=10.0 * t))
    assert len(h) == 3
    times, cpu = h.series("cpu")
    np.testing.assert_array_equal(times, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(cpu, [0.0, 10.0, 20.0])
    assert h.latest("cpu") == 20.0
    assert {"cpu", "cpu.core0", "cpu.core1", "ram_used"} <= set(h.keys())


def test_history_wraps_around_keeping_the_newest_in_order() -> None:
    h = History(5)
    for t in range(12):
        h.append(make_sample(float(t), cpu=float(t)))
    assert len(h) == 5
    times, cpu = h.series("cpu")
    np.testing.assert_array_equal(times, [7.0, 8.0, 9.0, 10.0, 11.0])
    np.testing.assert_array_equal(cpu, [7.0, 8.0, 9.0, 10.0, 11.0])


def test_series_are_copies_the_caller_may_keep() -> None:
    h = History(4)
    h.append(make_sample(1.0, cpu=50.0))
    times, cpu = h.series("cpu")
    cpu[0] = -1.0
    times[0] = -1.0
    assert h.series("cpu")[1][0] == 50.0
    assert h.series("cpu")[0][0] == 1.0


def test_an_unknown_key_reads_nan_and_an_empty_history_reads_empty() -> None:
    h = History(4)
    times, values = h.series("gpu0.util")
    assert len(times) == len(values) == 0
    assert math.isnan(h.latest("cpu"))
    h.append(make_sample(1.0))
    times, values = h.series("gpu0.util")
    assert times.tolist() == [1.0] and math.isnan(values[0])


def test_a_gpu_appearing_and_then_lost_leaves_nan_where_it_had_no_reading() -> None:
    gpu = Sampler(FixedHostProbe(), NvmlProbe(FakeNvml())).sample().gpus[0]
    h = History(10)
    h.append(make_sample(0.0))
    h.append(make_sample(1.0, gpus=[gpu]))
    h.append(make_sample(2.0))  # lost
    _, util = h.series("gpu0.util")
    assert math.isnan(util[0]) and util[1] == 87.0 and math.isnan(util[2])


def test_resize_smaller_keeps_the_newest_after_wraparound() -> None:
    h = History(5)
    for t in range(8):  # wrapped: holds 3..7
        h.append(make_sample(float(t), cpu=float(t)))
    h.resize(3)
    assert h.capacity == 3 and len(h) == 3
    np.testing.assert_array_equal(h.series("cpu")[1], [5.0, 6.0, 7.0])
    h.append(make_sample(8.0, cpu=8.0))
    np.testing.assert_array_equal(h.series("cpu")[1], [6.0, 7.0, 8.0])


def test_resize_larger_keeps_everything_and_grows_into_the_space() -> None:
    h = History(3)
    for t in range(5):  # wrapped: holds 2..4
        h.append(make_sample(float(t), cpu=float(t)))
    h.resize(6)
    assert len(h) == 3
    for t in range(5, 9):
        h.append(make_sample(float(t), cpu=float(t)))
    np.testing.assert_array_equal(h.series("cpu")[0], [3.0, 4.0, 5.0, 6.0, 7.0, 8.0])


def test_clear_forgets_samples_but_keeps_keys_and_buffers() -> None:
    h = History(4)
    for t in range(6):
        h.append(make_sample(float(t)))
    nbytes = h.nbytes
    h.clear()
    assert len(h) == 0
    assert "cpu" in h
    assert h.nbytes == nbytes
    h.append(make_sample(10.0, cpu=99.0))
    np.testing.assert_array_equal(h.series("cpu")[1], [99.0])


def test_memory_stays_flat_however_long_it_runs() -> None:
    gpu = Sampler(FixedHostProbe(), NvmlProbe(FakeNvml())).sample().gpus[0]
    h = History(history_capacity(60, 4))  # a one-minute window at 4 Hz
    h.append(make_sample(0.0, gpus=[gpu]))
    nbytes = h.nbytes
    keys = h.keys()

    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for t in range(1, 20 * h.capacity):  # a day's worth of wraparounds, compressed
            h.append(make_sample(float(t), gpus=[gpu]))
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert h.nbytes == nbytes
    assert h.keys() == keys
    assert len(h) == h.capacity
    # 4,800 appends of ~20 keys kept in lists would hold > 700 kB; a ring buffer holds nothing new.
    assert after - before < 16 * 1024


def test_history_capacity_for_a_window() -> None:
    assert history_capacity(3600, 4) == 14_400
    assert history_capacity(60, 0.5) == 30
    assert history_capacity(0.1, 0.5) == 1
    with pytest.raises(ValueError):
        history_capacity(0, 1)
