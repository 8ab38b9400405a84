"""The psutil host probe: every reading independent, a missing one is None on any OS."""

from __future__ import annotations

from collections import namedtuple
from types import SimpleNamespace
from typing import Any

import psutil
import pytest

from gpuwise.core.telemetry.host import HostProbe, HostSample, TemperatureReading, cpu_temperature

# psutil's own shapes (its namedtuples are private, and differ per platform beyond these fields)
Freq = namedtuple("Freq", "current min max")
Temp = namedtuple("Temp", "label current high critical")


def _raise(exc: BaseException) -> Any:
    def fail(*args: object, **kwargs: object) -> Any:
        raise exc

    return fail


def test_real_psutil_gives_a_complete_typed_sample() -> None:
    sample = HostProbe().sample()
    assert isinstance(sample, HostSample)
    assert sample.cpu_pct is not None and 0.0 <= sample.cpu_pct <= 100.0
    assert sample.per_core_pct is not None and len(sample.per_core_pct) == psutil.cpu_count()
    assert sample.ram_total_bytes == psutil.virtual_memory().total
    assert sample.ram_used_bytes is not None and 0 < sample.ram_used_bytes <= sample.ram_total_bytes
    assert sample.swap_total_bytes is not None
    # Where a platform has no reading it is None, never 0.0 (this VM: cpu_freq().max == 0.0, no sensors).
    assert sample.cpu_freq_max_mhz is None or sample.cpu_freq_max_mhz > 0
    assert sample.cpu_temp_c is None or sample.cpu_temp_c > -50


def test_constructing_primes_cpu_percent_without_blocking(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, object]] = []

    def cpu_percent(**kwargs: object) -> Any:
        calls.append(kwargs)
        return [10.0, 30.0] if kwargs.get("percpu") else 20.0

    monkeypatch.setattr(psutil, "cpu_percent", cpu_percent)
    probe = HostProbe()
    assert calls == [{"interval": None}, {"interval": None, "percpu": True}]  # interval=None never sleeps
    sample = probe.sample()
    assert sample.cpu_pct == 20.0
    assert sample.per_core_pct == (10.0, 30.0)


def test_a_zero_max_frequency_means_not_available(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(psutil, "cpu_freq", lambda: Freq(current=1996.2, min=0.0, max=0.0))
    sample = HostProbe().sample()
    assert sample.cpu_freq_mhz == pytest.approx(1996.2)
    assert sample.cpu_freq_max_mhz is None


def test_a_reported_max_frequency_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(psutil, "cpu_freq", lambda: Freq(current=3100.0, min=800.0, max=4700.0))
    sample = HostProbe().sample()
    assert (sample.cpu_freq_mhz, sample.cpu_freq_max_mhz) == (3100.0, 4700.0)


@pytest.mark.parametrize(
    "cpu_freq",
    [lambda: None, _raise(NotImplementedError()), _raise(FileNotFoundError("/sys/.../cpufreq"))],
    ids=["returns-None", "not-implemented", "no-sysfs"],
)
def test_no_frequency_at_all_is_none(monkeypatch: pytest.MonkeyPatch, cpu_freq: Any) -> None:
    monkeypatch.setattr(psutil, "cpu_freq", cpu_freq)
    sample = HostProbe().sample()
    assert sample.cpu_freq_mhz is None and sample.cpu_freq_max_mhz is None
    assert sample.ram_total_bytes is not None  # the other readings are unaffected


def test_no_temperature_api_on_windows_and_macos(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(psutil, "sensors_temperatures", raising=False)
    sample = HostProbe().sample()
    assert sample.temperatures == ()
    assert sample.cpu_temp_c is None


@pytest.mark.parametrize("sensors", [lambda: {}, _raise(OSError("no hwmon"))], ids=["empty", "raises"])
def test_empty_or_broken_sensors_are_none(monkeypatch: pytest.MonkeyPatch, sensors: Any) -> None:
    monkeypatch.setattr(psutil, "sensors_temperatures", sensors, raising=False)
    sample = HostProbe().sample()
    assert sample.temperatures == ()
    assert sample.cpu_temp_c is None


def test_temperatures_are_listed_and_the_cpu_chip_is_preferred(monkeypatch: pytest.MonkeyPatch) -> None:
    sensors = {
        "acpitz": [Temp("", 41.0, None, None)],
        "nvme": [Temp("Composite", 38.9, 80.0, 85.0)],
        "coretemp": [Temp("Package id 0", 57.0, 80.0, 100.0), Temp("Core 0", 55.0, 80.0, 100.0)],
        "broken": [Temp("x", float("nan"), None, None)],
    }
    monkeypatch.setattr(psutil, "sensors_temperatures", lambda: sensors, raising=False)
    sample = HostProbe().sample()
    assert sample.cpu_temp_c == 57.0  # coretemp beats the motherboard zone (acpitz), hottest core wins
    assert TemperatureReading("nvme", "Composite", 38.9) in sample.temperatures
    assert len(sample.temperatures) == 4  # the NaN sensor is dropped


def test_cpu_temperature_falls_back_to_acpitz_and_else_none() -> None:
    assert cpu_temperature((TemperatureReading("acpitz", "", 44.0),)) == 44.0
    assert cpu_temperature((TemperatureReading("nvme", "Composite", 38.0),)) is None


def test_ram_used_is_total_minus_available(monkeypatch: pytest.MonkeyPatch) -> None:
    # psutil's "used" means something else on each OS (Linux leaves out caches, macOS counts wired+active);
    # "available" means the same everywhere.
    vm = SimpleNamespace(total=16_000, available=6_000, used=1)
    monkeypatch.setattr(psutil, "virtual_memory", lambda: vm)
    monkeypatch.setattr(psutil, "swap_memory", lambda: SimpleNamespace(total=4_000, used=500))
    sample = HostProbe().sample()
    assert (sample.ram_used_bytes, sample.ram_total_bytes) == (10_000, 16_000)
    assert (sample.swap_used_bytes, sample.swap_total_bytes) == (500, 4_000)


def test_each_failing_reading_is_none_and_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("cpu_percent", "cpu_freq", "virtual_memory", "swap_memory", "sensors_temperatures"):
        monkeypatch.setattr(psutil, name, _raise(RuntimeError(name)), raising=False)
    sample = HostProbe().sample()
    assert sample == HostSample(
        cpu_pct=None,
        per_core_pct=None,
        cpu_freq_mhz=None,
        cpu_freq_max_mhz=None,
        ram_used_bytes=None,
        ram_total_bytes=None,
        swap_used_bytes=None,
        swap_total_bytes=None,
        temperatures=(),
        cpu_temp_c=None,
    )


def test_clocks_swap_and_temperatures_are_read_at_most_once_per_slow_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads = {"cpu_freq": 0, "swap_memory": 0, "sensors_temperatures": 0, "virtual_memory": 0}

    def counting(name: str, value: Any) -> Any:
        def read() -> Any:
            reads[name] += 1
            return value

        return read

    monkeypatch.setattr(psutil, "cpu_freq", counting("cpu_freq", Freq(3000.0, 800.0, 4000.0)))
    monkeypatch.setattr(psutil, "swap_memory", counting("swap_memory", SimpleNamespace(total=8, used=2)))
    sensors = {"coretemp": [Temp("Package id 0", 60.0, None, None)]}
    monkeypatch.setattr(psutil, "sensors_temperatures", counting("sensors_temperatures", sensors), raising=False)
    monkeypatch.setattr(psutil, "virtual_memory", counting("virtual_memory", SimpleNamespace(total=16, available=6)))
    now = [100.0]
    probe = HostProbe(slow_interval_s=5.0, clock=lambda: now[0])
    samples = []
    for t in (100.0, 101.0, 104.9, 105.0, 106.0):
        now[0] = t
        samples.append(probe.sample())
    # the load and RAM every sample; the slow readings at 100 s and again at 105 s, repeated in between
    assert reads == {"cpu_freq": 2, "swap_memory": 2, "sensors_temperatures": 2, "virtual_memory": 5}
    assert all(s.cpu_freq_mhz == 3000.0 and s.swap_used_bytes == 2 and s.cpu_temp_c == 60.0 for s in samples)


def test_the_total_load_is_the_mean_of_the_cores_and_psutils_total_only_without_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def cpu_percent(**kwargs: object) -> Any:
        return [10.0, 30.0, 80.0] if kwargs.get("percpu") else 99.0

    monkeypatch.setattr(psutil, "cpu_percent", cpu_percent)
    assert HostProbe().sample().cpu_pct == pytest.approx(40.0)

    def no_cores(**kwargs: object) -> Any:
        if kwargs.get("percpu"):
            raise RuntimeError("no per-core counters")
        return 55.0

    monkeypatch.setattr(psutil, "cpu_percent", no_cores)
    sample = HostProbe().sample()
    assert sample.cpu_pct == 55.0 and sample.per_core_pct is None
