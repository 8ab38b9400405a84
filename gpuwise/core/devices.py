"""What hardware exists: the CPU (model, cores, SIMD, clock, theoretical peak), CUDA/ROCm GPUs and Apple MPS.

``cpu_info()`` needs no torch. ``discover_devices()`` imports torch (it asks torch which accelerators it can use)
and explains, in one sentence each, why a GPU that NVML sees cannot be used.
"""

from __future__ import annotations

import os
import platform
import re
import sys
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import psutil

from gpuwise.core.errors import UserInputError

# fp32 FLOPs per cycle per core: vector lanes x 2 (FMA) x FMA units. On VMs the unit count is a guess, which is
# why reports put the measured matmul peak beside this number.
_FLOPS_PER_CYCLE = {
    "avx512": (64, "AVX-512: 16 fp32 lanes x 2 (FMA) x 2 FMA units"),
    "avx2": (32, "AVX2+FMA: 8 fp32 lanes x 2 (FMA) x 2 FMA units"),
    "avx": (16, "AVX: 8 fp32 lanes x (1 add + 1 mul)"),
    "sse": (8, "SSE: 4 fp32 lanes x (1 add + 1 mul)"),
    "neon": (16, "NEON: 4 fp32 lanes x 2 (FMA) x 2 FMA pipes"),
    "neon-apple": (32, "Apple NEON: 4 fp32 lanes x 2 (FMA) x 4 FMA pipes"),
}


@dataclass(frozen=True)
class CpuInfo:
    model: str
    arch: str
    physical_cores: int
    logical_cores: int
    simd: str
    clock_ghz: float | None
    fp32_flops_per_cycle: int | None
    peak_fp32_gflops: float | None
    peak_formula: str
    ram_total: int
    ram_available: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GpuDevice:
    id: str  # "cuda:0", "mps"
    name: str
    backend: str  # "cuda", "rocm", "mps"
    memory_total: int | None
    compute_capability: str | None
    driver_version: str | None
    runtime_version: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DeviceInventory:
    cpu: CpuInfo
    gpus: list[GpuDevice] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    torch_version: str = ""

    @property
    def device_ids(self) -> list[str]:
        return ["cpu", *(g.id for g in self.gpus)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "cpu": self.cpu.to_dict(),
            "gpus": [g.to_dict() for g in self.gpus],
            "notes": list(self.notes),
            "torch": self.torch_version,
        }


def _read_cpuinfo() -> dict[str, str]:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    out: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the first processor's block is enough
        key, _, value = line.partition(":")
        out[key.strip().lower()] = value.strip()
    return out


def _mac_brand() -> str:
    import subprocess

    try:
        res = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True,
                             timeout=2, check=False)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return ""
    return res.stdout.strip()


def detect_simd(flags: set[str], arch: str, system: str) -> str:
    a = arch.lower()
    if a in ("arm64", "aarch64") or a.startswith("arm"):
        return "neon-apple" if system == "Darwin" else ("sve" if "sve" in flags else "neon")
    if "avx512f" in flags:
        return "avx512"
    if "avx2" in flags and "fma" in flags:
        return "avx2"
    if "avx" in flags:
        return "avx"
    if flags & {"sse2", "sse4_1", "sse4_2"}:
        return "sse"
    return "unknown"


def _clock_ghz(info: dict[str, str], model: str) -> float | None:
    try:
        freq = psutil.cpu_freq()
    except (OSError, NotImplementedError, AttributeError):
        freq = None
    if freq is not None and freq.max and freq.max > 0:
        return round(freq.max / 1000, 3)
    m = re.search(r"@\s*([0-9.]+)\s*GHz", model)
    if m:
        return float(m.group(1))
    if freq is not None and freq.current and freq.current > 0:
        return round(freq.current / 1000, 3)
    mhz = info.get("cpu mhz")
    try:
        return round(float(mhz) / 1000, 3) if mhz else None
    except ValueError:
        return None


def peak_fp32_gflops(cores: int, clock_ghz: float | None, simd: str) -> tuple[int | None, float | None, str]:
    per_cycle = _FLOPS_PER_CYCLE.get("neon" if simd == "sve" else simd)
    if per_cycle is None or clock_ghz is None:
        why = "clock unknown" if clock_ghz is None else f"SIMD level {simd!r} unknown"
        return None, None, f"not computed ({why})"
    flops, basis = per_cycle
    peak = cores * clock_ghz * flops
    return flops, round(peak, 1), f"{cores} cores x {clock_ghz:g} GHz x {flops} FLOPs/cycle ({basis})"


@lru_cache(maxsize=1)
def _static_cpu() -> tuple[str, str, int, int, str, float | None]:
    info = _read_cpuinfo()
    system = platform.system()
    arch = platform.machine() or "unknown"
    model = info.get("model name") or info.get("hardware") or ""
    if not model and system == "Darwin":
        model = _mac_brand()
    model = model or platform.processor() or arch
    logical = psutil.cpu_count(logical=True) or os.cpu_count() or 1
    physical = psutil.cpu_count(logical=False) or logical
    flags = set(info.get("flags", info.get("features", "")).split())
    return model, arch, physical, logical, detect_simd(flags, arch, system), _clock_ghz(info, model)


def cpu_info() -> CpuInfo:
    model, arch, physical, logical, simd, clock = _static_cpu()
    per_cycle, peak, formula = peak_fp32_gflops(physical, clock, simd)
    vm = psutil.virtual_memory()
    return CpuInfo(
        model=model, arch=arch, physical_cores=physical, logical_cores=logical, simd=simd, clock_ghz=clock,
        fp32_flops_per_cycle=per_cycle, peak_fp32_gflops=peak, peak_formula=formula,
        ram_total=int(vm.total), ram_available=int(vm.available),
    )  # fmt: skip


def _nvml_note(torch_has_cuda_build: bool, torch_sees_gpu: bool) -> str | None:
    """One sentence on why an NVIDIA GPU is not usable, or None when there is nothing to explain."""
    try:
        from gpuwise.core.telemetry.nvml import get_nvml_probe
    except ImportError:  # telemetry is optional for discovery
        return None
    probe = get_nvml_probe()
    state = probe.state
    if not state.ok:
        if torch_sees_gpu:
            return None  # e.g. ROCm, where NVML has nothing to say
        return state.message
    if torch_sees_gpu:
        return None
    gpus, _state = probe.read(with_processes=False)
    names = ", ".join(str(g.name) for g in gpus if g.name) or "an NVIDIA GPU"  # an unreadable name is NA (falsy)
    if not torch_has_cuda_build:
        return (f"NVML sees {names}, but this torch build has no CUDA support: install a CUDA build of "
                f"torch to measure it.")  # fmt: skip
    return f"NVML sees {names}, but torch cannot use it (check the driver and CUDA versions)."


def discover_devices() -> DeviceInventory:
    import torch

    gpus: list[GpuDevice] = []
    notes: list[str] = []
    hip = getattr(torch.version, "hip", None)
    cuda_build = torch.version.cuda is not None or hip is not None
    try:
        cuda_ok = torch.cuda.is_available()
    except Exception as e:  # a broken driver can raise here; explain instead of crashing
        cuda_ok = False
        notes.append(f"torch could not initialise CUDA: {e}")
    if cuda_ok:
        driver = None
        try:
            from gpuwise.core.telemetry.nvml import get_nvml_probe

            version = get_nvml_probe().driver_version
            driver = version if isinstance(version, str) else None
        except ImportError:
            pass
        for i in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(i)
            gpus.append(GpuDevice(
                id=f"cuda:{i}", name=props.name, backend="rocm" if hip else "cuda",
                memory_total=int(props.total_memory),
                compute_capability=None if hip else f"{props.major}.{props.minor}",
                driver_version=driver, runtime_version=hip or torch.version.cuda,
            ))  # fmt: skip
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        gpus.append(GpuDevice(id="mps", name="Apple GPU (Metal)", backend="mps", memory_total=None,
                              compute_capability=None, driver_version=None, runtime_version=None))  # fmt: skip
    note = _nvml_note(cuda_build, cuda_ok)
    if note:
        notes.append(note)
    if not gpus and not note:
        notes.append("No GPU that torch can use was found; gpuwise measures the CPU and estimates GPUs.")
    if not cuda_build and sys.platform != "darwin" and not any("CUDA" in n for n in notes):
        notes.append(f"This torch ({torch.__version__}) is a CPU-only build.")
    return DeviceInventory(cpu=cpu_info(), gpus=gpus, notes=notes, torch_version=str(torch.__version__))


def resolve_devices(requested: list[str], inventory: DeviceInventory) -> list[str]:
    """Validate device names (``all`` = every available device); unknown or absent ones are errors."""
    available = inventory.device_ids
    out: list[str] = []
    for raw in requested:
        name = raw.strip().lower()
        if name == "all":
            out.extend(d for d in available if d not in out)
            continue
        if name == "cuda":
            name = "cuda:0"
        if name not in available:
            if re.fullmatch(r"cuda:\d+|mps|cpu", name):
                why = "; ".join(inventory.notes) or "it is not present"
                raise UserInputError(f"device {raw!r} is not available here ({why}). Available: "
                                     f"{', '.join(available)}")  # fmt: skip
            raise UserInputError(f"unknown device {raw!r} (use cpu, cuda:N, mps or all)")
        if name not in out:
            out.append(name)
    if not out:
        raise UserInputError("no device chosen")
    return out
