"""Device discovery: the CPU's SIMD level and peak, CUDA/ROCm/MPS through torch (faked), and the notes that say
in one sentence why a GPU cannot be used."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import psutil
import pynvml
import pytest
import torch

from gpuwise.core import devices as devices_mod
from gpuwise.core.devices import (
    CpuInfo,
    DeviceInventory,
    GpuDevice,
    cpu_info,
    describe_cpu_peak,
    detect_simd,
    discover_devices,
    peak_fp32_gflops,
    resolve_devices,
)
from gpuwise.core.errors import UserInputError
from gpuwise.core.telemetry import nvml as nvml_mod
from gpuwise.core.telemetry.nvml import NvmlProbe
from tests.core.telemetry.fake_pynvml import FakeAtexit, FakeGpu, FakeNvml

GiB = 2**30


# ---------------------------------------------------------------- CPU


@pytest.mark.parametrize(
    ("flags", "arch", "system", "simd"),
    [
        ({"sse2", "avx", "avx2", "fma", "avx512f", "avx512bw"}, "x86_64", "Linux", "avx512"),
        ({"sse2", "avx", "avx2", "fma"}, "x86_64", "Linux", "avx2"),
        ({"sse2", "avx", "avx2"}, "x86_64", "Linux", "avx"),  # AVX2 without FMA is not the 32-FLOP kind
        ({"sse2", "sse4_2", "avx"}, "AMD64", "Windows", "avx"),
        ({"sse2", "sse4_1"}, "x86_64", "Linux", "sse"),
        (set(), "x86_64", "Linux", "unknown"),
        ({"fp", "asimd"}, "aarch64", "Linux", "neon"),
        ({"fp", "asimd", "sve"}, "aarch64", "Linux", "sve"),
        (set(), "arm64", "Darwin", "neon-apple"),
        (set(), "armv7l", "Linux", "neon"),
    ],
)
def test_detect_simd(flags: set[str], arch: str, system: str, simd: str) -> None:
    assert detect_simd(flags, arch, system) == simd


@pytest.mark.parametrize(
    ("cores", "ghz", "simd", "per_cycle", "peak"),
    [
        (2, 2.0, "avx512", 64, 256.0),
        (8, 3.5, "avx2", 32, 896.0),
        (4, 3.0, "avx", 16, 192.0),
        (4, 2.5, "sse", 8, 80.0),
        (8, 3.0, "neon", 16, 384.0),
        (8, 3.2, "neon-apple", 32, 819.2),
        (4, 2.0, "sve", 16, 128.0),
    ],
)
def test_peak_formula_numbers(cores: int, ghz: float, simd: str, per_cycle: int, peak: float) -> None:
    flops, gflops, formula = peak_fp32_gflops(cores, ghz, simd)
    assert flops == per_cycle
    assert gflops == pytest.approx(peak)
    assert formula.startswith(f"{cores} cores x {ghz:g} GHz x {per_cycle} FLOPs/cycle")


def test_peak_is_not_invented_without_a_clock_or_simd_level() -> None:
    assert peak_fp32_gflops(4, None, "avx2") == (None, None, "not computed (clock unknown)")
    flops, gflops, formula = peak_fp32_gflops(4, 3.0, "unknown")
    assert flops is None and gflops is None and "unknown" in formula


def test_clock_prefers_max_then_the_model_string_then_current(monkeypatch: pytest.MonkeyPatch) -> None:
    freq = SimpleNamespace(current=1996.0, min=0.0, max=3500.0)
    monkeypatch.setattr(psutil, "cpu_freq", lambda: freq)
    assert devices_mod._clock_ghz({}, "Intel Xeon @ 2.40GHz") == (3.5, "max")
    freq.max = 0.0  # what this VM reports
    assert devices_mod._clock_ghz({}, "Intel Xeon @ 2.40GHz") == (2.4, "model")
    assert devices_mod._clock_ghz({}, "AMD EPYC") == (1.996, "current")
    monkeypatch.setattr(psutil, "cpu_freq", lambda: None)
    assert devices_mod._clock_ghz({"cpu mhz": "2600.000"}, "AMD EPYC") == (2.6, "cpuinfo")
    assert devices_mod._clock_ghz({"cpu mhz": "fast"}, "AMD EPYC") == (None, "")
    assert devices_mod._clock_ghz({}, "AMD EPYC") == (None, "")


# ---------------------------------------------------------------- the CPU peak, named honestly


def _vm_cpu(monkeypatch: pytest.MonkeyPatch, max_mhz: float, model: str = "AMD EPYC 7B13") -> CpuInfo:
    """cpu_info() on a faked 2-core AVX2 machine whose psutil reports ``max_mhz`` (0 on VMs), current 2445."""
    monkeypatch.setattr(psutil, "cpu_freq", lambda: SimpleNamespace(current=2445.0, min=0.0, max=max_mhz))
    monkeypatch.setattr(devices_mod, "_read_cpuinfo", lambda: {"model name": model, "flags": "sse2 avx avx2 fma"})
    monkeypatch.setattr(psutil, "cpu_count", lambda logical=True: 2)
    devices_mod._static_cpu.cache_clear()
    try:
        return cpu_info()
    finally:
        devices_mod._static_cpu.cache_clear()


def test_a_vm_without_a_max_clock_gets_a_formula_peak_not_a_theoretical_one(monkeypatch: pytest.MonkeyPatch) -> None:
    info = _vm_cpu(monkeypatch, 0.0)
    assert (info.clock_ghz, info.clock_source, info.clock_is_max) == (2.445, "current", False)
    assert info.peak_fp32_gflops == pytest.approx(156.5, abs=0.1)  # 2 x 2.445 x 32: the VM
    peak = describe_cpu_peak(info, 165.0, "fp32 matmul n=2048, 2 threads")
    assert peak.formula_label == "formula peak"
    assert any("not a theoretical peak" in n and "2.445 GHz" in n for n in peak.notes)
    # the measurement above the formula never appears without a note, and is the best known rate
    assert any("measured 165 GFLOP/s is above the formula's 156" in n for n in peak.notes)
    assert peak.best_known_gflops == 165.0
    assert json.loads(json.dumps(peak.to_dict()))["notes"] == list(peak.notes)


def test_a_known_max_clock_gives_a_theoretical_peak(monkeypatch: pytest.MonkeyPatch) -> None:
    info = _vm_cpu(monkeypatch, 3500.0)
    assert info.clock_source == "max" and info.clock_is_max
    peak = describe_cpu_peak(info, 180.0)
    assert peak.formula_label == "theoretical peak" and peak.notes == ()
    assert peak.best_known_gflops == info.peak_fp32_gflops == pytest.approx(224.0)


def test_even_a_theoretical_peak_below_a_measurement_gets_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    info = _vm_cpu(monkeypatch, 2000.0)  # a max clock that is wrong (too low) for this CPU
    peak = describe_cpu_peak(info, 200.0)
    assert peak.formula_label == "theoretical peak"
    assert len(peak.notes) == 1 and "above the formula" in peak.notes[0]


def test_old_reports_without_a_clock_source_are_not_called_theoretical() -> None:
    old = {"peak_fp32_gflops": 156.5, "clock_ghz": 2.445, "peak_formula": "2 cores x 2.445 GHz x 32"}
    peak = describe_cpu_peak(old, 150.0)
    assert peak.formula_label == "formula peak"
    assert "origin this report does not record" in peak.notes[0]
    assert describe_cpu_peak({}, None).notes == ()


def test_the_probe_measures_a_matmul_with_the_physical_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    from gpuwise.core.bench import micro

    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(
        micro, "matmul_gflops", lambda dev, prec, n: calls.append((n, torch.get_num_threads())) or float(n) / 10
    )
    before = torch.get_num_threads()
    value, how = devices_mod.probe_cpu_matmul_gflops(threads=1)
    assert (value, how) == (204.8, "fp32 matmul n=2048, 1 threads")
    assert calls == [(1024, 1), (2048, 1)] and torch.get_num_threads() == before


def test_cpu_info_describes_this_machine() -> None:
    info = cpu_info()
    assert isinstance(info, CpuInfo)
    assert info.model
    assert 1 <= info.physical_cores <= info.logical_cores
    assert info.ram_total >= info.ram_available > 0
    assert info.simd in {"avx512", "avx2", "avx", "sse", "neon", "neon-apple", "sve", "unknown"}
    if info.peak_fp32_gflops is not None:
        assert info.clock_ghz is not None and info.fp32_flops_per_cycle is not None
        expected = info.physical_cores * info.clock_ghz * info.fp32_flops_per_cycle
        assert info.peak_fp32_gflops == pytest.approx(expected, abs=0.1)
        assert str(info.physical_cores) in info.peak_formula
    json.dumps(info.to_dict())


def test_cpu_info_needs_no_torch() -> None:
    import subprocess
    import sys

    code = "import sys; from gpuwise.core.devices import cpu_info; cpu_info(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=str(_repo()))
    assert out.stdout.strip() == "False"


def _repo() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- resolve_devices


def _inventory(gpus: list[GpuDevice] | None = None, notes: list[str] | None = None) -> DeviceInventory:
    return DeviceInventory(cpu=cpu_info(), gpus=gpus or [], notes=notes or [])


def _gpu(i: int = 0) -> GpuDevice:
    return GpuDevice(f"cuda:{i}", "NVIDIA H100", "cuda", 80 * GiB, "9.0", "550.54", "12.4")


def test_resolve_cpu_only() -> None:
    inv = _inventory(notes=["This torch (2.13.0+cpu) is a CPU-only build."])
    assert resolve_devices(["cpu"], inv) == ["cpu"]
    assert resolve_devices([" CPU "], inv) == ["cpu"]
    assert resolve_devices(["all"], inv) == ["cpu"]
    assert resolve_devices(["cpu", "cpu", "all"], inv) == ["cpu"]


def test_absent_gpu_is_refused_with_the_reason() -> None:
    inv = _inventory(notes=["This torch (2.13.0+cpu) is a CPU-only build."])
    with pytest.raises(UserInputError) as e:
        resolve_devices(["cpu", "cuda:9"], inv)
    msg = str(e.value)
    assert "'cuda:9'" in msg and "not available" in msg
    assert "CPU-only build" in msg  # why
    assert "Available: cpu" in msg
    with pytest.raises(UserInputError, match="not available"):
        resolve_devices(["mps"], inv)
    with pytest.raises(UserInputError, match="not present"):
        resolve_devices(["cuda"], _inventory())


def test_all_expands_and_cuda_means_cuda0() -> None:
    inv = _inventory([_gpu(0), _gpu(1)])
    assert resolve_devices(["all"], inv) == ["cpu", "cuda:0", "cuda:1"]
    assert resolve_devices(["cuda"], inv) == ["cuda:0"]
    assert resolve_devices(["cuda:1", "cpu"], inv) == ["cuda:1", "cpu"]
    with pytest.raises(UserInputError, match="cuda:9"):
        resolve_devices(["cuda:9"], inv)


@pytest.mark.parametrize("name", ["tpu", "gpu", "cuda:x", "xla:0"])
def test_unknown_device_names_are_refused(name: str) -> None:
    with pytest.raises(UserInputError, match="unknown device"):
        resolve_devices([name], _inventory())


def test_no_device_is_refused() -> None:
    with pytest.raises(UserInputError, match="no device"):
        resolve_devices([], _inventory())


# ---------------------------------------------------------------- discover_devices with fakes


@pytest.fixture
def nvml_probe(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Install a probe over a fake pynvml as the process-wide one; returns a setter taking the fake module."""
    monkeypatch.setattr(nvml_mod, "atexit", FakeAtexit())

    def install(fake: FakeNvml) -> NvmlProbe:
        probe = NvmlProbe(pynvml_module=fake)
        monkeypatch.setattr(nvml_mod, "get_nvml_probe", lambda: probe)
        return probe

    return install


def _fake_cuda(
    monkeypatch: pytest.MonkeyPatch, props: list[Any], *, hip: str | None = None, cuda: str | None = "12.4"
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: len(props))
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda i: props[i])
    monkeypatch.setattr(torch.version, "cuda", None if hip else cuda)
    monkeypatch.setattr(torch.version, "hip", hip)


def _props(name: str, gib: int, major: int, minor: int) -> SimpleNamespace:
    return SimpleNamespace(name=name, total_memory=gib * GiB, major=major, minor=minor)


def test_discover_lists_a_cuda_gpu(monkeypatch: pytest.MonkeyPatch, nvml_probe: Any) -> None:
    nvml_probe(FakeNvml([FakeGpu(name="NVIDIA H100 80GB HBM3")], driver="550.54.15"))
    _fake_cuda(monkeypatch, [_props("NVIDIA H100 80GB HBM3", 80, 9, 0)])
    inv = discover_devices()
    assert inv.device_ids == ["cpu", "cuda:0"]
    gpu = inv.gpus[0]
    assert gpu == GpuDevice("cuda:0", "NVIDIA H100 80GB HBM3", "cuda", 80 * GiB, "9.0", "550.54.15", "12.4")
    assert not any("NVML" in n for n in inv.notes)
    text = json.dumps(inv.to_dict())
    assert "cuda:0" in text
    assert resolve_devices(["all"], inv) == ["cpu", "cuda:0"]


def test_discover_marks_rocm_through_torch_version_hip(monkeypatch: pytest.MonkeyPatch, nvml_probe: Any) -> None:
    nvml_probe(FakeNvml(init_error=pynvml.NVML_ERROR_LIBRARY_NOT_FOUND))  # no NVIDIA library on an AMD box
    _fake_cuda(
        monkeypatch,
        [_props("AMD Instinct MI300X", 192, 9, 4), _props("AMD Instinct MI300X", 192, 9, 4)],
        hip="6.2.41133",
    )
    inv = discover_devices()
    assert [g.id for g in inv.gpus] == ["cuda:0", "cuda:1"]
    assert {g.backend for g in inv.gpus} == {"rocm"}
    assert inv.gpus[0].runtime_version == "6.2.41133"
    assert inv.gpus[0].compute_capability is None
    assert inv.gpus[0].driver_version is None
    assert not any("NVML" in n or "CPU-only" in n for n in inv.notes)  # nothing to explain: torch sees them
    json.dumps(inv.to_dict())


def test_discover_lists_mps(monkeypatch: pytest.MonkeyPatch, nvml_probe: Any) -> None:
    nvml_probe(FakeNvml(init_error=pynvml.NVML_ERROR_LIBRARY_NOT_FOUND))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    inv = discover_devices()
    assert inv.device_ids == ["cpu", "mps"]
    assert inv.gpus[0].backend == "mps"


def test_note_when_nvml_sees_a_gpu_but_torch_has_no_cuda_build(
    monkeypatch: pytest.MonkeyPatch, nvml_probe: Any
) -> None:
    nvml_probe(FakeNvml([FakeGpu(name="NVIDIA GeForce RTX 4090")]))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.version, "cuda", None)
    monkeypatch.setattr(torch.version, "hip", None)
    inv = discover_devices()
    assert [g for g in inv.gpus if g.backend != "mps"] == []
    nvml_notes = [n for n in inv.notes if "NVML" in n]
    assert len(nvml_notes) == 1
    note = nvml_notes[0]
    assert "NVIDIA GeForce RTX 4090" in note and "no CUDA support" in note
    assert note.count(".") <= 2 and "\n" not in note  # one sentence
    # the reason reaches the user when they ask for the GPU
    with pytest.raises(UserInputError, match="no CUDA support"):
        resolve_devices(["cuda:0"], inv)


def test_note_for_a_gpu_whose_name_nvml_cannot_read(monkeypatch: pytest.MonkeyPatch, nvml_probe: Any) -> None:
    nvml_probe(FakeNvml([FakeGpu(errors={"nvmlDeviceGetName": pynvml.NVML_ERROR_NOT_SUPPORTED})]))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.version, "cuda", None)
    monkeypatch.setattr(torch.version, "hip", None)
    note = next(n for n in discover_devices().notes if "NVML" in n)
    assert note.startswith("NVML sees an NVIDIA GPU, but")
    assert "n/a" not in note


def test_note_when_torch_has_cuda_but_cannot_use_the_gpu(monkeypatch: pytest.MonkeyPatch, nvml_probe: Any) -> None:
    nvml_probe(FakeNvml([FakeGpu(name="Tesla T4")]))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.version, "cuda", "12.4")
    inv = discover_devices()
    assert any("Tesla T4" in n and "torch cannot use it" in n for n in inv.notes)


@pytest.mark.parametrize(
    ("code", "word"),
    [(pynvml.NVML_ERROR_LIBRARY_NOT_FOUND, "NVML"), (pynvml.NVML_ERROR_DRIVER_NOT_LOADED, "driver")],
)
def test_note_when_nvml_cannot_start(monkeypatch: pytest.MonkeyPatch, nvml_probe: Any, code: int, word: str) -> None:
    probe = nvml_probe(FakeNvml(init_error=code))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.version, "cuda", None)
    inv = discover_devices()
    assert probe.state.message in inv.notes
    assert word in probe.state.message
    assert any("CPU-only build" in n for n in inv.notes)


def test_a_broken_cuda_init_is_a_note_not_a_crash(monkeypatch: pytest.MonkeyPatch, nvml_probe: Any) -> None:
    nvml_probe(FakeNvml(init_error=pynvml.NVML_ERROR_DRIVER_NOT_LOADED))

    def broken() -> bool:
        raise RuntimeError("CUDA driver initialization failed")

    monkeypatch.setattr(torch.cuda, "is_available", broken)
    inv = discover_devices()
    assert [g for g in inv.gpus if g.backend != "mps"] == []
    assert any("could not initialise CUDA" in n and "driver initialization failed" in n for n in inv.notes)


def test_discover_on_this_machine_is_json_and_explains_the_missing_gpu() -> None:
    inv = discover_devices()
    data = json.loads(json.dumps(inv.to_dict()))
    assert data["cpu"]["physical_cores"] >= 1
    assert data["torch"] == str(torch.__version__)
    if not inv.gpus:
        assert inv.notes, "no GPU and no word why"


@pytest.mark.parametrize("clock", [None, 0, "fast", True])
def test_a_report_without_a_usable_clock_says_so_instead_of_printing_it(clock: object) -> None:
    cpu = {"peak_fp32_gflops": 100.0, "clock_ghz": clock, "peak_formula": "2 cores x ? GHz x 32"}
    peak = describe_cpu_peak(cpu, 150.0)
    text = " ".join(peak.notes)
    assert "a clock this report does not record" in text and "a faster clock" in text
    assert f"{clock} GHz" not in text and "None" not in text
