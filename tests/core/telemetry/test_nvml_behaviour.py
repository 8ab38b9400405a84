"""NVML readings of the wrong type are 'not available', never numbers (a bool is an int in Python)."""

from __future__ import annotations

from typing import Any

import pytest

from gpuwise.core.telemetry import nvml as nvml_mod
from gpuwise.core.telemetry.nvml import NA, NvmlProbe
from tests.core.telemetry.fake_pynvml import FakeAtexit, FakeGpu, FakeNvml


@pytest.fixture(autouse=True)
def fake_atexit(monkeypatch: pytest.MonkeyPatch) -> FakeAtexit:
    fake = FakeAtexit()
    monkeypatch.setattr(nvml_mod, "atexit", fake)
    return fake


@pytest.mark.parametrize("junk", [True, False, "64", b"64", None, [64]])
def test_a_metric_of_the_wrong_type_reads_as_na(junk: Any) -> None:
    gpu = FakeGpu(temp=junk, power_mw=junk, sm_clock=junk, util_gpu=junk)
    [s], state = NvmlProbe(FakeNvml(gpus=[gpu])).read()
    assert state.ok
    assert s.temperature_c is NA
    assert s.power_w is NA
    assert s.sm_clock_mhz is NA
    assert s.utilization_pct is NA
    # the rest of the GPU still reads
    assert s.memory_total_bytes == gpu.mem_total
    assert s.power_limit_w == pytest.approx(gpu.limit_mw / 1000)


def test_a_byte_count_that_is_a_bool_reads_as_na() -> None:
    [s], _state = NvmlProbe(FakeNvml(gpus=[FakeGpu(mem_used=True)])).read()
    assert s.memory_used_bytes is NA


@pytest.mark.parametrize("value", [0, 64, 64.5])
def test_numbers_including_zero_read_as_numbers(value: float) -> None:
    [s], _state = NvmlProbe(FakeNvml(gpus=[FakeGpu(temp=value)])).read()  # type: ignore[arg-type]
    assert s.temperature_c == float(value)
    assert isinstance(s.temperature_c, float)
