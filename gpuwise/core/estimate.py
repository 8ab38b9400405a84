"""Roofline estimates of training step time on devices that were not measured (catalog GPUs, other model sizes).

The model, per training step (forward, cross-entropy, backward, optimizer step), for one device:

* The step is split into the kernels eager PyTorch runs (``core.step_ops``): matrix products / convolutions
  (forward, grad-input, grad-weight), and memory-bound element-wise kernels (activations, pooling, normalisation,
  softmax, residual adds, bias grads). Matrix-product FLOPs are rescaled so their total equals
  ``FlopCounterMode``'s count when that is available.
* Each matrix product takes ``max(FLOPs / (peak x efficiency), bytes / bandwidth)``: efficiency is the device's
  large-matrix efficiency at that precision times ``d / (d + d0)``, where ``d`` is the product's smallest
  dimension (small products cannot fill wide SIMD units or a GPU's many cores). On a GPU ``d0`` is proportional to
  its ridge point (achieved FLOP/s over bytes/s): an H100 needs larger products than an A100 to be busy, which is
  why published H100/A100 training ratios (1.3-2x) follow bandwidth more than peak (3x). Element-wise kernels and
  the optimizer take ``bytes / bandwidth``.
* The optimizer streams its state: torch's default (foreach) Adam reads and writes about 72 bytes per fp32
  parameter (7 passes over parameters, gradients and two moments); plain SGD 12.
* Every kernel costs a dispatch on the host (the Python/ATen overhead of eager mode). On a CPU it adds to the
  work; on a GPU it overlaps with device work, so a GPU step takes ``max(device time, host time)``.
* On a GPU the batch is copied over the host link each step; the step also pays a per-kernel floor.
* Memory fit comes from ``bench.memory``.

The CPU is modelled from THIS machine's micro-benchmarks in a report (matmul GFLOP/s, triad GB/s). On the 2-core
development VM (AMD EPYC, AVX2), in a quiet moment, ``benchmarks/estimator_fidelity.py`` measured a median error
of 4 % over 9 points: MLPs 50k-20M parameters within 13 %, CNNs within 2 %, small transformers 17-32 % low (their
many small layout copies are not all modelled). On a busy machine measurements swing far more than that.
GPUs are modelled from the catalog: spec-sheet peaks times the share large products reach in published
measurements (or the documented default of the card's class), measured or default streaming bandwidth, and a few
global constants chosen on the calibration rows of published training throughput (resources/
published_training.json). ``benchmarks/estimator_published.py`` prints the errors: held-out median 10.7 %
absolute and 10.0 % on GPU-to-GPU ratios. Each estimate carries a band from its parts' own uncertainty
(``StepEstimate.band``); GPU estimates are always labeled.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from gpuwise.core.catalog import GpuSpec, efficiency_defaults, find_gpu
from gpuwise.core.errors import UserInputError
from gpuwise.core.precision import PRECISIONS, check_precision
from gpuwise.core.report import Point, StepStats
from gpuwise.core.step_ops import layer_flops, param_tensors, step_ops
from gpuwise.core.units import format_bytes, format_count, format_duration

if TYPE_CHECKING:
    from gpuwise.core.report import Report


# Uncertainty band shown with an estimate (the estimate times or divided by this factor). The CPU's comes from
# the fidelity benchmark's target; GPUs are not calibrated here, so their band is wider.
CPU_ESTIMATE_SPREAD = 1.25
GPU_ESTIMATE_SPREAD = 1.5

# Optimizer traffic per parameter (bytes) for torch's default foreach implementations, fp32 master weights.
_OPTIMIZER_BYTES = {"adam": 72.0, "sgd": 12.0}
# Mixed precision casts the fp32 weights to 16 bits every step (read 4 + write 2 bytes).
_CAST_BYTES = 6.0
# Usable share of a catalog GPU's nominal memory (CUDA context, allocator reserve).
GPU_USABLE_FRACTION = 0.92
# One-time costs of a GPU run: context creation, library handles, first-kernel autotuning (typical: 1-3 s).
GPU_STARTUP_S = 2.0
# Large-model projection: model FLOPs utilisation a well-tuned large training run reaches on GPUs (30-50 %).
LARGE_MODEL_GPU_MFU = 0.4


@dataclass(frozen=True)
class DeviceModel:
    """What the estimator needs to know about a device; ``basis`` says where the numbers come from."""

    name: str  # "cpu" or a catalog GPU name
    kind: Literal["cpu", "gpu"]
    label: str
    peak_gflops: dict[str, float]  # per precision
    gemm_efficiency: float  # share of peak a large matrix product reaches
    conv_efficiency: float
    gemm_d0: float  # smallest-dimension size at which a product reaches half its large-matrix efficiency
    conv_d0: float
    bandwidth_gbs: float  # achievable memory bandwidth
    dispatch_s: float  # host cost per kernel (eager PyTorch)
    step_base_s: float  # per-step fixed host cost (loss bookkeeping, zero_grad, data indexing)
    optimizer_base_s: float  # host cost of one optimizer step, plus per parameter tensor below
    optimizer_per_tensor_s: float
    kernel_floor_s: float = 0.0  # shortest kernel on the device (GPU launch latency)
    host_link_gbs: float | None = None  # None: data is already where it is computed
    memory_bytes: int | None = None  # usable for training
    fixed_overhead_s: float = 0.0  # once per run (GPU context, warm-up)
    threads: int = 0
    basis: str = ""
    spread: float = CPU_ESTIMATE_SPREAD
    # Per precision: the share of ``peak_for(precision)`` a large matrix product reaches (measured where the
    # catalog has a published measurement); empty: ``gemm_efficiency`` (and the tensor-core default) for all.
    gemm_efficiency_by_precision: dict[str, float] = field(default_factory=dict)
    # Per precision: convolutions as a share of the matrix-product efficiency (empty: ``conv_efficiency`` is
    # absolute).
    conv_relative: dict[str, float] = field(default_factory=dict)
    # How far each part of a step may be off (a factor, >= 1): the band of an estimate combines them. 1.0 = not
    # set: the band is ``spread`` around the step.
    compute_spread: dict[str, float] = field(default_factory=dict)  # per precision
    memory_spread: float = 1.0
    host_spread: float = 1.0
    # > 0: a product's half-efficiency size is this times the device's ridge point (achieved FLOP/s over
    # achieved bytes/s at that precision) instead of the fixed ``gemm_d0`` / ``conv_d0``.
    gemm_d0_per_ridge: float = 0.0
    conv_d0_per_ridge: float = 0.0
    efficiency_notes: dict[str, str] = field(default_factory=dict)  # per precision: where its efficiency is from

    def peak_for(self, precision: str) -> float:
        return self.peak_gflops.get(precision) or self.peak_gflops["fp32"]

    @cached_property
    def cache_key(self) -> tuple[Any, ...]:
        """Hashable identity for the estimate cache (``peak_gflops`` is a dict, so the model itself is not)."""
        return tuple(frozen_key(getattr(self, f.name)) for f in fields(self))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------- device models


def _micro_best(report: Report | None, kind: str, precision: str | None = None) -> float | None:
    if report is None:
        return None
    vals = [
        m.value
        for m in report.micro
        if m.device == "cpu" and m.kind == kind and (precision is None or m.precision == precision) and m.value > 0
    ]
    return max(vals) if vals else None


def _report_threads(report: Report | None) -> int:
    if report is None:
        return 0
    threads = report.settings.get("threads")
    if isinstance(threads, int) and threads > 0:
        return threads
    return max((p.threads for p in report.points if p.device == "cpu"), default=0)


def _report_cpu(report: Report | None) -> dict[str, Any]:
    cpu = report.machine.get("cpu") if report is not None else None
    return cpu if isinstance(cpu, dict) else {}


# CPU constants measured on the development VM (2 cores, PyTorch 2.13 eager) through gpuwise's own training loop:
# ~23 µs a kernel, ~0.4 ms a step (batch gathering, autocast/scaler bookkeeping, timers), Adam ~0.15 ms + 0.06 ms
# per parameter tensor; oneDNN/MKL products reach ~87 % of the measured matmul peak when large, half of that when
# their smallest dimension is ~16.
_CPU = {
    "gemm_eff": 0.87,
    "conv_eff": 0.9,
    "gemm_d0": 16.0,
    "conv_d0": 40.0,
    "dispatch": 23e-6,
    "base": 0.4e-3,
    "opt_base": 0.15e-3,
    "opt_tensor": 0.06e-3,
}
# Without micro-benchmarks: a conservative share of the formula peak, and a typical dual-channel bandwidth.
_CPU_FORMULA_SHARE = 0.5
_CPU_FALLBACK_GFLOPS = 50.0
_CPU_FALLBACK_GBS = 10.0


def cpu_model(report: Report | None = None) -> DeviceModel:
    """This machine's CPU as measured by the report's micro-benchmarks (matmul peak, triad bandwidth)."""
    notes: list[str] = []
    fp32 = _micro_best(report, "matmul", "fp32")
    if fp32 is not None:
        notes.append(f"measured matmul peak {fp32:.0f} GFLOP/s")
    else:
        formula = _report_cpu(report).get("peak_fp32_gflops")
        if formula is None and report is None:
            from gpuwise.core.devices import cpu_info

            formula = cpu_info().peak_fp32_gflops
        if isinstance(formula, (int, float)) and formula > 0:
            fp32 = float(formula) * _CPU_FORMULA_SHARE
            notes.append(f"no matmul measurement: {_CPU_FORMULA_SHARE:.0%} of the formula peak {formula:.0f} GFLOP/s")
        else:
            fp32 = _CPU_FALLBACK_GFLOPS
            notes.append(f"no matmul measurement: assumed {fp32:.0f} GFLOP/s")
    peaks = {"fp32": fp32, "tf32": fp32}
    for p in ("bf16", "fp16"):
        v = _micro_best(report, "matmul", p)
        # a CPU without a fast 16-bit path is not faster in it: never assume more than the fp32 rate
        peaks[p] = v if v is not None else fp32
    bw = _micro_best(report, "triad")
    if bw is not None:
        notes.append(f"triad {bw:.0f} GB/s")
    else:
        bw = _CPU_FALLBACK_GBS
        notes.append(f"no bandwidth measurement: assumed {bw:.0f} GB/s")
    threads = _report_threads(report)
    cpu = _report_cpu(report)
    ram = cpu.get("ram_total")
    model_name = str(cpu.get("model") or "CPU")
    label = f"CPU ({model_name}, {threads} threads)" if threads else f"CPU ({model_name})"
    return DeviceModel(
        name="cpu",
        kind="cpu",
        label=label,
        peak_gflops=peaks,
        gemm_efficiency=_CPU["gemm_eff"],
        conv_efficiency=_CPU["conv_eff"],
        gemm_d0=_CPU["gemm_d0"],
        conv_d0=_CPU["conv_d0"],
        bandwidth_gbs=bw,
        dispatch_s=_CPU["dispatch"],
        step_base_s=_CPU["base"],
        optimizer_base_s=_CPU["opt_base"],
        optimizer_per_tensor_s=_CPU["opt_tensor"],
        memory_bytes=int(ram * 0.85) if isinstance(ram, int) and ram > 0 else None,
        fixed_overhead_s=0.05,
        threads=threads,
        basis=f"roofline from this CPU's micro-benchmarks ({', '.join(notes)}) × {_CPU['gemm_eff']} efficiency",
        spread=CPU_ESTIMATE_SPREAD,
    )


# GPU constants. Device side: each GPU's large-matrix-product efficiency per precision and its streaming bandwidth
# come from the catalog: published third-party measurements where they exist (resources/gpus.json, "achieved", each
# with source and date), else the documented default of the card's efficiency class. Five global constants were
# chosen on the calibration rows of resources/published_training.json (`benchmarks/estimator_published.py --fit`;
# the held-out rows never): a product reaches half its large-matrix efficiency when its smallest dimension is
# ``gemm_d0_ridge`` x the GPU's ridge point (convolutions: ``conv_d0_ridge`` x); tensor-core convolutions are as
# efficient as products (``conv_rel``; the search prefers 1.2 by under 1.5 points, but no convolution is assumed
# faster than a product), fp32 ones twice (``conv_rel_fp32``: cuDNN's Winograd/FFT algorithms do fewer
# multiplications than the direct count); memory-bound kernels reach 60 % of the streaming rate (``bw_rel``: small,
# strided and unfused kernels). A kernel takes at least ~4 µs. Host side calibrated on a lent H200 with a 2.1 GHz
# Xeon host (2026-11-26, torch 2.11, 16 MLP points 100k-50M params, fp32/tf32/bf16/fp16): eager PyTorch costs
# ~40 µs of host time per kernel with autograd, ~0.2 ms per step for the batch gather and copy, ~0.5 ms for Adam's
# launch (median error there 4-6 %; it was 2.5x too optimistic with the textbook 10 µs per kernel). Small models
# are bound by this host floor, not by the GPU.
_GPU = {
    "gemm_d0": 128.0,
    "conv_d0": 64.0,
    "gemm_d0_ridge": 2.0,
    "conv_d0_ridge": 0.5,
    "conv_rel": 1.0,
    "conv_rel_fp32": 2.0,
    "bw_rel": 0.6,
    "dispatch": 40e-6,
    "floor": 4e-6,
    "base": 0.2e-3,
    "opt_base": 0.5e-3,
    "opt_tensor": 2e-6,
}
# Uncertainty of each part of a GPU step (a factor either way). Matrix products: a published measurement of this
# GPU and precision / a class default with a source / an assumption. Memory-bound work depends most on the
# software stack: the same ResNet-50 recipe is published at 1,582 img/s (Lambda) and 2,470 img/s (NVIDIA, DALI and
# channels-last) on an A100 80GB in mixed precision, a 1.56x spread that fused kernels, layouts and data pipelines
# make. Host overhead: a different host CPU and software stack (measured 40 µs per kernel on one host; 2x either way
# is common).
_GPU_SPREAD = {"measured": 1.2, "default": 1.3, "assumption": 1.45, "memory": 2470 / 1582, "host": 2.0}


def _efficiency_kind(spec: GpuSpec, precision: str) -> str:
    if precision in ("bf16", "fp16") and spec.has_fast_path(precision):
        return "gemm_tensor"
    if precision == "tf32" and spec.has_fast_path("tf32"):
        return "gemm_tf32"
    return "gemm_fp32"


def gpu_efficiencies(spec: GpuSpec) -> tuple[dict[str, float], dict[str, str], dict[str, str], float, str]:
    """Per precision: large-product efficiency (share of ``peak_tflops``) and its provenance ("measured",
    "default" or "assumption") and a one-line reason; then the achievable bandwidth (GB/s) and its reason."""
    defaults = efficiency_defaults()[spec.efficiency_class]

    def fp32_rate() -> tuple[float, str]:
        a = spec.achieved_gemm_for("fp32")
        if a is not None and a.unit == "tflops":
            return a.value, f"{a.value:g} TFLOP/s measured"
        d = defaults["gemm_fp32"]
        return d.value * spec.fp32_tflops, f"{d.value:.0%} of {spec.fp32_tflops:g}"

    effs: dict[str, float] = {}
    kinds: dict[str, str] = {}
    notes: dict[str, str] = {}
    for p in PRECISIONS:
        peak = spec.peak_tflops(p)
        a = spec.achieved_gemm_for(p)
        if a is not None and a.unit == "tflops":
            effs[p], kinds[p] = a.value / peak, "measured"
            notes[p] = f"{p} {a.value:g} TFLOP/s measured ({_source_name(a.source)}, {a.date})"
        elif a is not None:  # a share of the achieved fp32 rate: a precision without its own hardware path
            rate, how = fp32_rate()
            effs[p], kinds[p] = a.value * rate / peak, "measured"
            notes[p] = (
                f"{p} at {a.value:.0%} of the fp32 rate ({how}; no {p} hardware path; "
                f"{_source_name(a.source)}, {a.date})"
            )
        else:
            d = defaults[_efficiency_kind(spec, p)]
            effs[p] = d.value * (spec.peak_tflops("fp32") / peak if _efficiency_kind(spec, p) == "gemm_fp32" else 1)
            kinds[p] = "assumption" if d.assumed else "default"
            what = "assumed" if d.assumed else f"{spec.efficiency_class} default, {_source_name(d.source)}"
            notes[p] = f"{p} {d.value:.0%} of peak ({what})"
    if spec.achieved_bandwidth is not None:
        bw = spec.achieved_bandwidth.value
        bw_note = f"{bw:g} GB/s measured ({_source_name(spec.achieved_bandwidth.source)})"
    else:
        d = defaults["bandwidth"]
        bw = d.value * spec.memory_bandwidth_gbs
        bw_note = f"{d.value:.0%} of {spec.memory_bandwidth_gbs:g} GB/s ({'assumed' if d.assumed else 'default'})"
    return effs, kinds, notes, bw, bw_note


def _source_name(source: str) -> str:
    """A short name for a source URL in a one-line basis (the catalog holds the full URL)."""
    if source.startswith("gpuwise:"):
        return "gpuwise"
    host_path = source.split("://", 1)[-1]
    parts = host_path.split("/")
    return "/".join(parts[1:3]) if parts[0] == "github.com" and len(parts) > 2 else parts[0]


def gpu_model(gpu: GpuSpec | str, *, tuning: Mapping[str, float] | None = None) -> DeviceModel:
    """A catalog GPU as the estimator sees it: spec-sheet peaks times published (or default) efficiencies.

    ``tuning`` overrides entries of the global constants (``_GPU``): the calibration benchmark searches them.
    """
    spec = find_gpu(gpu) if isinstance(gpu, str) else gpu
    k = {**_GPU, **(tuning or {})}
    peaks = {p: spec.peak_tflops(p) * 1000.0 for p in PRECISIONS}
    effs, kinds, notes, bw, bw_note = gpu_efficiencies(spec)
    conv_rel = {
        p: k["conv_rel_fp32"] if _efficiency_kind(spec, p) == "gemm_fp32" else k["conv_rel"] for p in PRECISIONS
    }
    basis = (
        f"roofline from catalog peaks and achieved rates ({spec.name}: memory {bw_note}; "
        f"{spec.host_link} {spec.host_link_gbs:g} GB/s; "
        f"~{_GPU['dispatch'] * 1e6:.0f} µs host time per kernel)"
    )
    return DeviceModel(
        name=spec.name,
        kind="gpu",
        label=spec.name,
        peak_gflops=peaks,
        gemm_efficiency=effs["fp32"],
        conv_efficiency=effs["fp32"] * conv_rel["fp32"],
        gemm_d0=k["gemm_d0"],
        conv_d0=k["conv_d0"],
        bandwidth_gbs=bw * k["bw_rel"],
        dispatch_s=k["dispatch"],
        step_base_s=k["base"],
        optimizer_base_s=k["opt_base"],
        optimizer_per_tensor_s=k["opt_tensor"],
        kernel_floor_s=k["floor"],
        host_link_gbs=spec.host_link_gbs,
        memory_bytes=int(spec.memory_bytes * GPU_USABLE_FRACTION),
        fixed_overhead_s=GPU_STARTUP_S,
        basis=basis,
        spread=GPU_ESTIMATE_SPREAD,
        gemm_efficiency_by_precision=effs,
        conv_relative=conv_rel,
        gemm_d0_per_ridge=k["gemm_d0_ridge"],
        conv_d0_per_ridge=k["conv_d0_ridge"],
        efficiency_notes=notes,
        compute_spread={p: _GPU_SPREAD[k] for p, k in kinds.items()},
        memory_spread=_GPU_SPREAD["memory"],
        host_spread=_GPU_SPREAD["host"],
    )


def _gemm_efficiency(model: DeviceModel, precision: str) -> float:
    if precision in model.gemm_efficiency_by_precision:
        return model.gemm_efficiency_by_precision[precision]
    if model.kind == "gpu" and precision != "fp32" and model.peak_for(precision) > model.peak_gflops["fp32"]:
        return _TENSOR_EFFICIENCY_FALLBACK
    return model.gemm_efficiency


def _conv_efficiency(model: DeviceModel, precision: str) -> float:
    if precision in model.conv_relative:
        return _gemm_efficiency(model, precision) * model.conv_relative[precision]
    return model.conv_efficiency


# A hand-built GPU DeviceModel without per-precision efficiencies: the tensor cores' share of their peak.
_TENSOR_EFFICIENCY_FALLBACK = 0.6


def device_model(name: str, report: Report | None = None) -> DeviceModel:
    """``"cpu"`` (from the report's micro-benchmarks) or a catalog GPU name."""
    return cpu_model(report) if name.strip().lower() == "cpu" else gpu_model(name)


# ---------------------------------------------------------------- FLOPs


def flops_per_step(spec: dict[str, Any], batch_size: int, method: str = "auto") -> tuple[float, str]:
    """Training FLOPs of one step and how they were counted ("FlopCounterMode" or "analytic").

    ``auto`` counts with torch's FlopCounterMode on the meta device (no memory; cached per spec and batch) and
    falls back to the shape formula when torch is unavailable. ``analytic`` never imports torch.
    """
    from gpuwise.core.bench import workloads

    if method not in ("auto", "analytic", "counted"):
        raise ValueError(f"unknown FLOP counting method {method!r}")
    if spec.get("family") == "layers":  # described layer by layer: its records are the count
        return layer_flops(spec, batch_size), "layer shapes"
    if method != "analytic":
        try:
            return float(workloads.count_flops_per_step(spec, batch_size)), "FlopCounterMode"
        except ImportError:
            if method == "counted":
                raise
    return float(workloads.analytic_flops_per_step(spec, batch_size)), "analytic"


# ---------------------------------------------------------------- the estimate


@dataclass(frozen=True)
class StepEstimate:
    device: str
    step_s: float
    compute_s: float  # matrix products and convolutions on the device
    memory_s: float  # element-wise kernels
    optimizer_s: float  # optimizer state traffic
    transfer_s: float  # batch copy over the host link
    host_s: float  # dispatch and per-step host costs
    flops: float
    flops_method: str
    bytes_moved: float
    kernels: int
    memory_needed: int | None
    memory_available: int | None
    fits: bool | None
    basis: str
    bound: str  # what limits the step: "compute", "memory", "overhead" or "transfer"
    # The step time's uncertainty band (low, high seconds): each part of the step varied by what the model cannot
    # know (a published efficiency or a default; fused or unfused kernels; a different host CPU and software).
    band: tuple[float, float] = (0.0, 0.0)

    @property
    def tflops(self) -> float:
        """Achieved TFLOP/s of the step (its FLOPs over its estimated time)."""
        return self.flops / self.step_s / 1e12 if self.step_s > 0 else 0.0

    @property
    def samples_per_s(self) -> float:
        return self.batch_size / self.step_s if self.step_s > 0 else 0.0

    batch_size: int = 0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["band"] = list(self.band)
        return d


def _memory_needed(spec: dict[str, Any], batch_size: int, optimizer: str, precision: str) -> int | None:
    from gpuwise.core.bench import memory

    try:
        return memory.estimate_training_memory(spec, batch_size, optimizer=optimizer, precision=precision).total
    except (KeyError, TypeError, ValueError, UserInputError):
        return None


def frozen_key(value: Any) -> Any:
    """A hashable twin of a JSON-like value (dicts and lists become sorted/plain tuples): a cache key."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), frozen_key(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(frozen_key(v) for v in value)
    return value


# The verdict asks for the same (device, model, batch, precision) estimates again on every recompute (each new
# point during a run, each price edit, each break-even grid): estimates are pure, so they are remembered.
_STEP_CACHE: dict[Any, StepEstimate] = {}
_STEP_CACHE_MAX = 4096


def clear_estimate_cache() -> None:
    _STEP_CACHE.clear()


def estimate_step(
    model: DeviceModel,
    spec: dict[str, Any],
    batch_size: int,
    *,
    precision: str = "fp32",
    optimizer: str = "adam",
    flops: float | None = None,
    flops_method: str = "auto",
) -> StepEstimate:
    """Estimated seconds per training step of ``spec`` at ``batch_size`` on ``model``.

    ``flops``: the step's FLOPs when already known (e.g. from a measured point); else counted (``flops_method``).
    Results are cached per (device model, spec, batch, precision, optimizer, flops, method): they are pure.
    """
    try:
        key = (model.cache_key, frozen_key(spec), batch_size, precision, optimizer, flops, flops_method)
        hash(key)
    except TypeError:  # an odd hand-edited spec: compute without the cache
        key = None
    if key is not None:
        hit = _STEP_CACHE.get(key)
        if hit is not None:
            return hit
    result = _estimate_step(
        model, spec, batch_size, precision=precision, optimizer=optimizer, flops=flops, flops_method=flops_method
    )
    if key is not None:
        if len(_STEP_CACHE) >= _STEP_CACHE_MAX:
            _STEP_CACHE.pop(next(iter(_STEP_CACHE)))  # oldest first: dicts keep insertion order
        _STEP_CACHE[key] = result
    return result


def _estimate_step(
    model: DeviceModel,
    spec: dict[str, Any],
    batch_size: int,
    *,
    precision: str,
    optimizer: str,
    flops: float | None,
    flops_method: str,
) -> StepEstimate:
    if batch_size < 1:
        raise UserInputError(f"batch size must be at least 1 (got {batch_size})")
    check_precision(precision)
    if optimizer not in _OPTIMIZER_BYTES:
        raise UserInputError(f"unknown optimizer {optimizer!r} (choose from {', '.join(_OPTIMIZER_BYTES)})")
    ops = step_ops(spec, batch_size, precision)
    op_flops = sum(o.flops for o in ops)
    method = "given"
    if flops is None:
        flops, method = flops_per_step(spec, batch_size, flops_method)
    scale = flops / op_flops if op_flops > 0 else 1.0
    peak = model.peak_for(precision) * 1e9
    bw = model.bandwidth_gbs * 1e9
    effs = {
        "gemm": (_gemm_efficiency(model, precision), model.gemm_d0),
        "conv": (_conv_efficiency(model, precision), model.conv_d0),
    }
    if model.gemm_d0_per_ridge > 0:
        # a faster machine per byte needs larger products to keep its units busy: the half-efficiency size
        # scales with the ridge point (FLOPs per byte at which compute and memory time are equal)
        ridge = peak * effs["gemm"][0] / bw
        effs = {
            "gemm": (effs["gemm"][0], model.gemm_d0_per_ridge * ridge),
            "conv": (effs["conv"][0], model.conv_d0_per_ridge * ridge),
        }
    floor = model.kernel_floor_s
    compute_s = memory_s = 0.0
    bytes_moved = 0.0
    kernels = 0
    for o in ops:
        kernels += o.kernels
        bytes_moved += o.bytes
        if o.kind == "elementwise":
            memory_s += max(o.bytes / bw, floor * o.kernels)
            continue
        eff, d0 = effs[o.kind]
        eff *= o.min_dim / (o.min_dim + d0)
        compute_s += max(o.flops * scale / (peak * eff), o.bytes / bw, floor * o.kernels)
    params = int(spec.get("params") or 0)
    if params <= 0:
        from gpuwise.core.bench.workloads import count_params

        params = count_params(spec)
    tensors = param_tensors(spec)
    opt_bytes = params * (_OPTIMIZER_BYTES[optimizer] + (_CAST_BYTES if precision in ("bf16", "fp16") else 0.0))
    optimizer_s = opt_bytes / bw
    bytes_moved += opt_bytes
    host_s = (
        model.step_base_s + kernels * model.dispatch_s + model.optimizer_base_s + tensors * model.optimizer_per_tensor_s
    )
    transfer_s = 0.0
    if model.host_link_gbs:
        transfer_s = _input_bytes_per_sample(spec) * batch_size / (model.host_link_gbs * 1e9)
    step_s = _combine(model, compute_s, memory_s + optimizer_s, transfer_s, host_s)
    parts = {"compute": compute_s, "memory": memory_s + optimizer_s, "transfer": transfer_s, "overhead": host_s}
    bound = max(parts, key=lambda k: parts[k])
    needed = _memory_needed(spec, batch_size, optimizer, precision)
    fits = None if needed is None or model.memory_bytes is None else needed <= model.memory_bytes
    band = _band(model, precision, step_s, compute_s, memory_s + optimizer_s, transfer_s, host_s)
    eff_note = model.efficiency_notes.get(precision)
    basis = (
        f"estimate: {model.basis}; "
        + (f"matrix products {eff_note}; " if eff_note else "")
        + f"{format_count(flops)} FLOPs/step ({method})"
    )
    return StepEstimate(
        device=model.name,
        step_s=step_s,
        compute_s=compute_s,
        memory_s=memory_s,
        optimizer_s=optimizer_s,
        transfer_s=transfer_s,
        host_s=host_s,
        flops=flops,
        flops_method=method,
        bytes_moved=bytes_moved,
        kernels=kernels,
        memory_needed=needed,
        memory_available=model.memory_bytes,
        fits=fits,
        basis=basis,
        bound=bound,
        band=band,
        batch_size=batch_size,
    )


def _combine(model: DeviceModel, compute_s: float, memory_s: float, transfer_s: float, host_s: float) -> float:
    device_s = compute_s + memory_s + transfer_s
    # a GPU runs asynchronously: the host queues kernels while earlier ones execute
    return max(device_s, host_s) if model.kind == "gpu" else device_s + host_s


def _band(
    model: DeviceModel,
    precision: str,
    step_s: float,
    compute_s: float,
    memory_s: float,
    transfer_s: float,
    host_s: float,
) -> tuple[float, float]:
    """Low and high step time: each part scaled by its own uncertainty, then recombined (a part that is small
    or hidden behind another barely widens the band). Never narrower than the device model's floor."""
    fc = model.compute_spread.get(precision, 1.0)
    fm, fh = model.memory_spread, model.host_spread
    if fc <= 1.0 and fm <= 1.0 and fh <= 1.0:  # no per-part uncertainty: the device's overall spread
        return step_s / model.spread, step_s * model.spread
    lo = _combine(model, compute_s / fc, memory_s / fm, transfer_s / fm, host_s / fh)
    hi = _combine(model, compute_s * fc, memory_s * fm, transfer_s * fm, host_s * fh)
    floor = min(fc, fm)  # whatever limits the step, it is never known better than the better-known part
    return min(lo, step_s / floor), max(hi, step_s * floor)


def _input_bytes_per_sample(spec: dict[str, Any]) -> int:
    if spec.get("family") == "layers":
        return int(spec.get("input_bytes_per_sample", 0))
    from gpuwise.core.bench.workloads import input_bytes_per_sample

    return input_bytes_per_sample(spec)


def steps_per_epoch(samples: int, batch_size: int) -> int:
    return max(1, math.ceil(samples / batch_size))


def estimate_point(
    model: DeviceModel,
    spec: dict[str, Any],
    *,
    samples: int,
    batch_size: int,
    epochs: int = 1,
    precision: str = "fp32",
    optimizer: str = "adam",
    flops: float | None = None,
    flops_method: str = "auto",
) -> Point:
    """An estimated ``Point`` (``estimated=True``, device = the catalog name or "cpu"), labeled with its basis."""
    est = estimate_step(
        model, spec, batch_size, precision=precision, optimizer=optimizer, flops=flops, flops_method=flops_method
    )
    spe = steps_per_epoch(samples, batch_size)
    epoch_s = spe * est.step_s
    weights_s = (4 * int(spec["params"]) / (model.host_link_gbs * 1e9)) if model.host_link_gbs else 0.0
    fixed = model.fixed_overhead_s + weights_s
    # the same band the verdict uses (StepEstimate.band), so a chart point and the card's row agree
    lo, hi = est.band if est.band[1] > 0 else (est.step_s / model.spread, est.step_s * model.spread)
    lo, hi = min(lo, est.step_s), max(hi, est.step_s)
    basis = f"{est.basis}; band {lo / est.step_s:.2g}–{hi / est.step_s:.2g}× the step; limited by {est.bound}"
    common: dict[str, Any] = dict(
        device=model.name,
        family=str(spec["family"]),
        params=int(spec["params"]),
        architecture=dict(spec),
        samples=samples,
        batch_size=batch_size,
        epochs=epochs,
        precision=precision,
        threads=model.threads,
        optimizer=optimizer,
        device_name=model.label,
        estimated_memory_bytes=est.memory_needed,
        flops_per_step=est.flops,
        estimated=True,
        estimate_basis=basis,
    )
    if est.fits is False:
        return Point(
            status="oom",
            message=(
                f"estimate: needs about {format_bytes(est.memory_needed or 0)}, "
                f"{model.label} has {format_bytes(model.memory_bytes or 0)} usable"
            ),
            **common,
        )
    return Point(
        status="ok",
        message="estimate",
        samples_per_s=batch_size / est.step_s,
        step_time_s=StepStats(median=est.step_s, iqr=0.0, ci95=(lo, hi), n=0),
        epoch_time_s=epoch_s,
        epoch_time_extrapolated=True,
        fixed_overhead_s=fixed,
        overhead_breakdown_s={"init": model.fixed_overhead_s, "transfer": weights_s},
        time_to_train_s=epochs * epoch_s + fixed,
        step_breakdown_s={
            "compute": est.compute_s,
            "memory": est.memory_s,
            "optimizer": est.optimizer_s,
            "h2d": est.transfer_s,
            "overhead": est.host_s,
        },
        **common,
    )


def estimate_points_like(report: Report, devices: list[str], *, flops_method: str = "auto") -> list[Point]:
    """Estimated twins of every measured ok point in ``report`` on each of ``devices`` (catalog names)."""
    models = [device_model(d, report) for d in devices]
    out: list[Point] = []
    for p in report.points:
        if p.status != "ok" or p.estimated or p.device != "cpu":
            continue
        for m in models:
            out.append(
                estimate_point(
                    m,
                    p.architecture,
                    samples=p.samples,
                    batch_size=p.batch_size,
                    epochs=p.epochs,
                    precision=p.precision,
                    optimizer=p.optimizer,
                    flops=p.flops_per_step,
                    flops_method=flops_method,
                )
            )
    return out


# ---------------------------------------------------------------- projections for models too large to run here


@dataclass(frozen=True)
class LargeModelProjection:
    device: str
    label: str
    params: int
    tokens: float  # training tokens: samples x tokens per sample x epochs
    flops: float  # 6 x params x tokens
    peak_gflops: float
    efficiency: float
    seconds: float
    memory_needed_bytes: int  # weights + gradients + Adam state, fp32 master (16 bytes a parameter)
    memory_available_bytes: int | None
    devices_for_memory: int | None  # how many such devices hold the model state at all
    assumptions: tuple[str, ...] = field(default_factory=tuple)

    @property
    def text(self) -> str:
        line = (
            f"{self.label}: about {format_duration(self.seconds)} (estimate) to train "
            f"{format_count(self.params)} parameters on {format_count(self.tokens)} tokens"
        )
        return line + "\n" + "\n".join(f"  - {a}" for a in self.assumptions)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["assumptions"] = list(self.assumptions)
        d["text"] = self.text
        return d


def project_large_model(
    params: int,
    samples: int,
    tokens_per_sample: int,
    epochs: int,
    device: str,
    *,
    report: Report | None = None,
    precision: str | None = None,
) -> LargeModelProjection:
    """Time to train a model of ``params`` on ``device`` ("cpu" or a catalog GPU) from 6·N·D FLOPs alone.

    The article's back-of-the-envelope: training costs ~6 FLOPs per parameter per token (2 forward, 4 backward);
    divide by the device's peak times a utilisation a good large run reaches. Ignores everything else.
    """
    for v, what in (
        (params, "parameters"),
        (samples, "samples"),
        (tokens_per_sample, "tokens per sample"),
        (epochs, "epochs"),
    ):
        if v < 1:
            raise UserInputError(f"{what} must be at least 1 (got {v})")
    tokens = float(samples) * tokens_per_sample * epochs
    flops = 6.0 * params * tokens
    mem = 16 * params
    if device.strip().lower() == "cpu":
        m = cpu_model(report)
        prec = precision or "fp32"
        peak = m.peak_for(prec)
        eff = m.gemm_efficiency
        label, avail = m.label, m.memory_bytes
        peak_note = m.basis.split("(", 1)[-1].split(")", 1)[0]
        assumptions = [
            f"CPU peak {peak:.0f} GFLOP/s ({peak_note}) × {eff} efficiency: large matrix "
            f"products on this CPU reach about that"
        ]
    else:
        g = find_gpu(device)
        prec = precision or ("bf16" if g.bf16_tflops else "fp16" if g.fp16_tflops else "fp32")
        peak = g.peak_tflops(prec) * 1000
        eff = LARGE_MODEL_GPU_MFU
        label, avail = g.name, int(g.memory_bytes * GPU_USABLE_FRACTION)
        assumptions = [
            f"{g.name} {prec} dense peak {g.peak_tflops(prec):g} TFLOP/s (spec sheet) × "
            f"{eff:.0%} model-FLOPs utilisation, typical of well-tuned large training runs"
        ]
    seconds = flops / (peak * 1e9 * eff)
    devices_needed = math.ceil(mem / avail) if avail else None
    assumptions[:0] = [
        f"training FLOPs = 6 × {format_count(params)} parameters × {format_count(tokens)} tokens "
        f"({format_count(samples)} samples × {tokens_per_sample:,} tokens × {epochs} epochs) = {flops:.3g}",
    ]
    assumptions.append(f"{prec}; compute only: data loading, communication, checkpoints and restarts not counted")
    if devices_needed and devices_needed > 1:
        assumptions.append(
            f"weights, gradients and Adam state alone need ~{format_bytes(mem)} (16 bytes a parameter), more "
            f"than one device holds ({format_bytes(avail or 0)} usable): at least {devices_needed} devices, "
            f"and the time shown is for one device's compute (divide by the device count for ideal scaling)"
        )
    return LargeModelProjection(
        device="cpu" if device.strip().lower() == "cpu" else label,
        label=label,
        params=params,
        tokens=tokens,
        flops=flops,
        peak_gflops=peak,
        efficiency=eff,
        seconds=seconds,
        memory_needed_bytes=mem,
        memory_available_bytes=avail,
        devices_for_memory=devices_needed,
        assumptions=tuple(assumptions),
    )
