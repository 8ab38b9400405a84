"""What hardware exists: the CPU (model, cores, SIMD, clock, peak), CUDA/ROCm GPUs and Apple MPS.

The CPU's formula peak (cores x clock x FLOPs per cycle) is a theoretical peak only when the maximum clock is
known. VMs often report no maximum (psutil ``cpu_freq().max == 0``): then the formula uses the nominal or current
clock, which turbo exceeds, so it is called a formula peak, and ``describe_cpu_peak`` puts a measured matmul
beside it with a note whenever the measurement is above the formula.

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
    clock_source: str = "max"  # where clock_ghz comes from: a key of CLOCK_SOURCES ("" when unknown)

    @property
    def clock_is_max(self) -> bool:
        return self.clock_source == "max"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Where a CPU clock can come from, in words; only the first is the maximum (turbo) clock.
CLOCK_SOURCES = {
    "max": "maximum clock",
    "model": "nominal clock in the model name",
    "current": "current clock; the maximum is not reported",
    "cpuinfo": "clock in /proc/cpuinfo; the maximum is not reported",
}


@dataclass(frozen=True)
class CpuPeak:
    """The CPU's peak as gpuwise shows it: the formula (named for what it is) beside a measurement, and notes."""

    formula_gflops: float | None
    formula_label: str  # "theoretical peak" only when the maximum clock is known
    formula: str
    measured_gflops: float | None
    measured_how: str
    notes: tuple[str, ...]

    @property
    def best_known_gflops(self) -> float | None:
        """The highest rate this CPU is known to reach: the theoretical peak, else the larger of formula and
        measurement (a formula at a non-maximum clock is not an upper bound)."""
        values = [v for v in (self.formula_gflops, self.measured_gflops) if v]
        if self.formula_label == "theoretical peak" and self.formula_gflops:
            return self.formula_gflops
        return max(values) if values else None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["notes"] = list(self.notes)
        return d


def describe_cpu_peak(
    cpu: CpuInfo | dict[str, Any], measured_gflops: float | None = None, measured_how: str = ""
) -> CpuPeak:
    """Name the formula peak honestly and note a measurement above it. ``cpu`` may be a report's CPU dict (old
    reports do not say where their clock came from: their formula is not called theoretical)."""
    d = cpu.to_dict() if isinstance(cpu, CpuInfo) else dict(cpu)
    formula_gflops = d.get("peak_fp32_gflops") if isinstance(d.get("peak_fp32_gflops"), (int, float)) else None
    source = str(d.get("clock_source", ""))
    clock = d.get("clock_ghz")
    # a report from elsewhere may lack the clock: say so rather than print "None GHz"
    known = isinstance(clock, int | float) and not isinstance(clock, bool) and clock > 0
    clock_text = f"{clock:g} GHz" if known else "a clock this report does not record"
    notes: list[str] = []
    if source == "max":
        label = "theoretical peak"
    else:
        label = "formula peak"
        if formula_gflops:
            where = f" ({CLOCK_SOURCES.get(source, 'a clock whose origin this report does not record')})"
            notes.append(
                f"the formula uses {clock_text}{where if known else ''}: a turbo clock can exceed it, so the "
                f"formula is not a theoretical peak here"
            )
    if measured_gflops and formula_gflops and measured_gflops > formula_gflops:
        notes.append(
            f"the measured {measured_gflops:.0f} GFLOP/s is above the formula's {formula_gflops:.0f}: "
            f"this CPU runs {f'faster than {clock_text}' if known else 'a faster clock'} or has more FMA units "
            f"than the formula assumes"
        )
    return CpuPeak(formula_gflops, label, str(d.get("peak_formula", "")), measured_gflops, measured_how, tuple(notes))


def peak_fraction_label(device: str, cpu: CpuInfo | dict[str, Any]) -> str:
    """What a micro-benchmark's ``peak_fraction`` on ``device`` is a fraction of: a GPU's published (theoretical)
    peak, or the CPU's formula peak, named as ``describe_cpu_peak`` names it."""
    return describe_cpu_peak(cpu).formula_label if device == "cpu" else "theoretical peak"


def probe_cpu_matmul_gflops(threads: int | None = None, sizes: tuple[int, ...] = (1024, 2048)) -> tuple[float, str]:
    """A short fp32 matmul probe (~1 s): the best GFLOP/s over ``sizes`` with ``threads`` (default: physical
    cores). Imports torch."""
    import torch

    from gpuwise.core.bench.micro import matmul_gflops

    n_threads = threads or cpu_info().physical_cores
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        results = {n: matmul_gflops("cpu", "fp32", n) for n in sizes}
    finally:
        torch.set_num_threads(previous)
    best = max(results, key=lambda n: results[n])
    return results[best], f"fp32 matmul n={best}, {n_threads} threads"


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
        res = subprocess.run(
            ["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True, timeout=2, check=False
        )
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


def _clock_ghz(info: dict[str, str], model: str) -> tuple[float | None, str]:
    """The clock the peak formula uses and where it comes from (a key of CLOCK_SOURCES, "" when unknown)."""
    try:
        freq = psutil.cpu_freq()
    except (OSError, NotImplementedError, AttributeError):
        freq = None
    if freq is not None and freq.max and freq.max > 0:
        return round(freq.max / 1000, 3), "max"
    m = re.search(r"@\s*([0-9.]+)\s*GHz", model)
    if m:
        return float(m.group(1)), "model"
    if freq is not None and freq.current and freq.current > 0:
        return round(freq.current / 1000, 3), "current"
    mhz = info.get("cpu mhz")
    try:
        return (round(float(mhz) / 1000, 3), "cpuinfo") if mhz else (None, "")
    except ValueError:
        return None, ""


def peak_fp32_gflops(cores: int, clock_ghz: float | None, simd: str) -> tuple[int | None, float | None, str]:
    per_cycle = _FLOPS_PER_CYCLE.get("neon" if simd == "sve" else simd)
    if per_cycle is None or clock_ghz is None:
        why = "clock unknown" if clock_ghz is None else f"SIMD level {simd!r} unknown"
        return None, None, f"not computed ({why})"
    flops, basis = per_cycle
    peak = cores * clock_ghz * flops
    return flops, round(peak, 1), f"{cores} cores x {clock_ghz:g} GHz x {flops} FLOPs/cycle ({basis})"


@lru_cache(maxsize=1)
def _static_cpu() -> tuple[str, str, int, int, str, tuple[float | None, str]]:
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
    model, arch, physical, logical, simd, (clock, clock_source) = _static_cpu()
    per_cycle, peak, formula = peak_fp32_gflops(physical, clock, simd)
    vm = psutil.virtual_memory()
    return CpuInfo(
        model=model,
        arch=arch,
        physical_cores=physical,
        logical_cores=logical,
        simd=simd,
        clock_ghz=clock,
        fp32_flops_per_cycle=per_cycle,
        peak_fp32_gflops=peak,
        peak_formula=formula,
        ram_total=int(vm.total),
        ram_available=int(vm.available),
        clock_source=clock_source,
    )


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
        return (
            f"NVML sees {names}, but this torch build has no CUDA support: install a CUDA build of torch to measure it."
        )
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
            gpus.append(
                GpuDevice(
                    id=f"cuda:{i}",
                    name=props.name,
                    backend="rocm" if hip else "cuda",
                    memory_total=int(props.total_memory),
                    compute_capability=None if hip else f"{props.major}.{props.minor}",
                    driver_version=driver,
                    runtime_version=hip or torch.version.cuda,
                )
            )
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        gpus.append(
            GpuDevice(
                id="mps",
                name="Apple GPU (Metal)",
                backend="mps",
                memory_total=None,
                compute_capability=None,
                driver_version=None,
                runtime_version=None,
            )
        )
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
                raise UserInputError(f"device {raw!r} is not available here ({why}). Available: {', '.join(available)}")
            raise UserInputError(f"unknown device {raw!r} (use cpu, cuda:N, mps or all)")
        if name not in out:
            out.append(name)
    if not out:
        raise UserInputError("no device chosen")
    return out
