"""Roofline estimates of training step time on devices that were not measured (catalog GPUs, other model sizes).

The model, per training step (forward, cross-entropy, backward, optimizer step), for one device:

* The step is split into the kernels eager PyTorch runs: matrix products / convolutions (forward, grad-input,
  grad-weight), and memory-bound element-wise kernels (ReLU, pooling, LayerNorm, residual adds, bias grads).
  Matrix-product FLOPs are rescaled so their total equals ``FlopCounterMode``'s count when that is available.
* Each matrix product takes ``max(FLOPs / (peak x efficiency), bytes / bandwidth)``: efficiency is a device's
  large-matrix efficiency times ``d / (d + d0)``, where ``d`` is the product's smallest dimension (small
  products cannot fill wide SIMD units or a GPU's many cores). Element-wise kernels take ``bytes / bandwidth``.
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
GPU constants are public-spec peaks with efficiency factors from common experience, not calibrated here: GPU
estimates carry a wider uncertainty band and are always labeled.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass, field, fields
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from gpuwise.core.catalog import GpuSpec, find_gpu
from gpuwise.core.errors import UserInputError
from gpuwise.core.report import PRECISIONS, Point, StepStats
from gpuwise.core.units import format_bytes, format_count, format_duration

if TYPE_CHECKING:
    from gpuwise.core.report import Report

OpKind = Literal["gemm", "conv", "elementwise"]

# Uncertainty band shown with an estimate (the estimate times or divided by this factor). The CPU's comes from
# the fidelity benchmark's target; GPUs are not calibrated here, so their band is wider.
CPU_ESTIMATE_SPREAD = 1.25
GPU_ESTIMATE_SPREAD = 1.5

# Optimizer traffic per parameter (bytes) for torch's default foreach implementations, fp32 master weights.
_OPTIMIZER_BYTES = {"adam": 72.0, "sgd": 12.0}
# Mixed precision casts the fp32 weights to 16 bits every step (read 4 + write 2 bytes).
_CAST_BYTES = 6.0
_ACT_BYTES = {"fp32": 4, "tf32": 4, "bf16": 2, "fp16": 2}
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
    vals = [m.value for m in report.micro
            if m.device == "cpu" and m.kind == kind and (precision is None or m.precision == precision)
            and m.value > 0]  # fmt: skip
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
_CPU = {"gemm_eff": 0.87, "conv_eff": 0.9, "gemm_d0": 16.0, "conv_d0": 40.0, "dispatch": 23e-6,
        "base": 0.4e-3, "opt_base": 0.15e-3, "opt_tensor": 0.06e-3}  # fmt: skip
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
        name="cpu", kind="cpu", label=label, peak_gflops=peaks,
        gemm_efficiency=_CPU["gemm_eff"], conv_efficiency=_CPU["conv_eff"], gemm_d0=_CPU["gemm_d0"],
        conv_d0=_CPU["conv_d0"], bandwidth_gbs=bw, dispatch_s=_CPU["dispatch"], step_base_s=_CPU["base"],
        optimizer_base_s=_CPU["opt_base"], optimizer_per_tensor_s=_CPU["opt_tensor"],
        memory_bytes=int(ram * 0.85) if isinstance(ram, int) and ram > 0 else None,
        fixed_overhead_s=0.05, threads=threads,
        basis=f"roofline from this CPU's micro-benchmarks ({', '.join(notes)}) × {_CPU['gemm_eff']} efficiency",
        spread=CPU_ESTIMATE_SPREAD,
    )  # fmt: skip


# GPU constants. Device side from spec sheets: large products reach ~70 % of the FP32 (CUDA-core) peak and ~60 % of
# the tensor-core peak; half of that when the smallest dimension is ~128-256; element-wise kernels ~80 % of the
# memory bandwidth; a kernel takes at least ~4 µs. Host side calibrated on a lent H200 with a 2.1 GHz Xeon host
# (2026-11-26, torch 2.11, 16 MLP points 100k-50M params, fp32/tf32/bf16/fp16): eager PyTorch costs ~40 µs of
# host time per kernel with autograd, ~0.2 ms per step for the batch gather and copy, ~0.5 ms for Adam's launch.
# With these the median error there is 6 % (was 2.5x too optimistic with the textbook 10 µs per kernel); small
# models are bound by this host floor (~1.3-2 ms a step on that machine), not by the GPU.
_GPU = {"fp32_eff": 0.7, "tensor_eff": 0.6, "conv_eff": 0.5, "gemm_d0": 128.0, "conv_d0": 64.0,
        "bw_eff": 0.8, "dispatch": 40e-6, "floor": 4e-6, "base": 0.2e-3, "opt_base": 0.5e-3,
        "opt_tensor": 2e-6}  # fmt: skip


def gpu_model(gpu: GpuSpec | str) -> DeviceModel:
    """A catalog GPU as the estimator sees it (peaks from its spec sheet, documented efficiency factors)."""
    spec = find_gpu(gpu) if isinstance(gpu, str) else gpu
    peaks = {p: spec.peak_tflops(p) * 1000.0 for p in PRECISIONS}
    tensor = max(spec.peak_tflops("bf16"), spec.peak_tflops("fp16")) > spec.fp32_tflops
    # one efficiency for matrix products in a given model: the tensor cores' when the precision uses them
    basis = (f"roofline from catalog peaks ({spec.name} fp32 {spec.fp32_tflops:g} TFLOP/s × {_GPU['fp32_eff']} "
             f"efficiency" + (f", tensor cores × {_GPU['tensor_eff']}" if tensor else "")
             + f"; {spec.memory_bandwidth_gbs:g} GB/s × {_GPU['bw_eff']}; {spec.host_link} "
             f"{spec.host_link_gbs:g} GB/s; ~{_GPU['dispatch'] * 1e6:.0f} µs dispatch per kernel)")  # fmt: skip
    return DeviceModel(
        name=spec.name, kind="gpu", label=spec.name, peak_gflops=peaks,
        gemm_efficiency=_GPU["fp32_eff"], conv_efficiency=_GPU["conv_eff"], gemm_d0=_GPU["gemm_d0"],
        conv_d0=_GPU["conv_d0"], bandwidth_gbs=spec.memory_bandwidth_gbs * _GPU["bw_eff"],
        dispatch_s=_GPU["dispatch"], step_base_s=_GPU["base"], optimizer_base_s=_GPU["opt_base"],
        optimizer_per_tensor_s=_GPU["opt_tensor"], kernel_floor_s=_GPU["floor"],
        host_link_gbs=spec.host_link_gbs, memory_bytes=int(spec.memory_bytes * GPU_USABLE_FRACTION),
        fixed_overhead_s=GPU_STARTUP_S, basis=basis, spread=GPU_ESTIMATE_SPREAD,
    )  # fmt: skip


def _gemm_efficiency(model: DeviceModel, precision: str) -> float:
    if model.kind == "gpu" and precision != "fp32" and model.peak_for(precision) > model.peak_gflops["fp32"]:
        return _GPU["tensor_eff"]
    return model.gemm_efficiency


def device_model(name: str, report: Report | None = None) -> DeviceModel:
    """``"cpu"`` (from the report's micro-benchmarks) or a catalog GPU name."""
    return cpu_model(report) if name.strip().lower() == "cpu" else gpu_model(name)


# ---------------------------------------------------------------- the kernels of one training step


@dataclass(frozen=True)
class Op:
    kind: OpKind
    flops: float
    bytes: float
    min_dim: int = 0
    kernels: int = 1


def _linear(ops: list[Op], rows: int, n_in: int, n_out: int, ab: int, *, grad_input: bool) -> None:
    """A Linear layer on ``rows`` rows: forward, grad-weight, grad-input products and the bias gradient."""
    flops = 2.0 * rows * n_in * n_out
    nbytes = ab * (rows * n_in + rows * n_out) + 4 * n_in * n_out
    d = min(rows, n_in, n_out)
    for _ in range(3 if grad_input else 2):
        ops.append(Op("gemm", flops, nbytes, d))
    ops.append(Op("elementwise", 0.0, ab * rows * n_out))  # bias grad: a reduction over rows


def _elementwise(ops: list[Op], elements: float, ab: int, fwd_passes: int = 2, bwd_passes: int = 3) -> None:
    ops.append(Op("elementwise", 0.0, ab * elements * fwd_passes))
    ops.append(Op("elementwise", 0.0, ab * elements * bwd_passes))


def _loss(ops: list[Op], batch: int, classes: int) -> None:
    # log_softmax + nll forward, and their backward: tiny tensors, four kernels
    ops.extend(Op("elementwise", 0.0, 4.0 * batch * classes * 2) for _ in range(4))


def _family_hook(spec: dict[str, Any], what: str, *args: Any) -> Any:
    """What a registry family knows itself (known and custom models: from their trace), else None."""
    from gpuwise.core.bench import families

    fam = spec.get("family")
    if not isinstance(fam, str) or not families.is_known(fam):
        return None
    return getattr(families.get(fam), what)(spec, *args)


def step_ops(spec: dict[str, Any], batch_size: int, precision: str = "fp32") -> list[Op]:
    """The kernels of one training step of the model ``spec`` (see workloads.build_spec) at ``batch_size``."""
    traced = _family_hook(spec, "step_ops", batch_size, precision)
    if traced is not None:
        return list(traced)
    ab = _ACT_BYTES.get(precision, 4)
    b = batch_size
    ops: list[Op] = []
    fam = spec["family"]
    classes = int(spec.get("num_classes", 10))
    if fam == "mlp":
        dims = [int(spec["input_dim"]), *(int(h) for h in spec["hidden"]), classes]
        ops.append(Op("elementwise", 0.0, 2 * 4 * b * dims[0]))  # gather the batch from the dataset
        for i, (a, c) in enumerate(itertools.pairwise(dims)):
            _linear(ops, b, a, c, ab, grad_input=i > 0)
            if i < len(dims) - 2:
                _elementwise(ops, b * c, ab)  # ReLU
    elif fam == "cnn":
        c_in, size = int(spec["image_shape"][0]), int(spec["image_shape"][1])
        ops.append(Op("elementwise", 0.0, 2 * 4 * b * c_in * size * size))
        for i, c in enumerate(int(x) for x in spec["channels"]):
            m, k = b * size * size, 9 * c_in
            flops = 2.0 * m * c * k
            nbytes = ab * (b * c_in * size * size + m * c) + 4 * k * c
            for _ in range(3 if i > 0 else 2):
                ops.append(Op("conv", flops, nbytes, min(c, k)))
            out = b * c * size * size
            ops.append(Op("elementwise", 0.0, ab * out))  # bias grad
            _elementwise(ops, out, ab)  # ReLU
            # max-pool 2x2: read all, write a quarter plus int64 indices; backward scatters back
            ops.append(Op("elementwise", 0.0, ab * out + out / 4 * (ab + 8)))
            ops.append(Op("elementwise", 0.0, ab * out + out / 4 * (ab + 8)))
            c_in, size = c, size // 2
        _elementwise(ops, b * c_in * size * size, ab, 1, 1)  # global average pool
        h = int(spec["head_hidden"])
        _linear(ops, b, c_in, h, ab, grad_input=True)
        _elementwise(ops, b * h, ab)
        _linear(ops, b, h, classes, ab, grad_input=True)
    elif fam == "transformer":
        s, d, layers = int(spec["seq_len"]), int(spec["d_model"]), int(spec["n_layers"])
        heads, ff, vocab = int(spec["n_heads"]), int(spec["ff_dim"]), int(spec["vocab_size"])
        t = b * s
        ops.append(Op("elementwise", 0.0, 2 * 8 * t))  # gather token ids
        ops.append(Op("elementwise", 0.0, (4 + ab) * t * d))  # embedding lookup
        ops.append(Op("elementwise", 0.0, 4.0 * vocab * d + 2 * 4 * t * d))  # dense embedding grad
        _elementwise(ops, t * d, ab, 3, 0)  # + positions
        head_dim = max(1, d // heads)
        for _ in range(layers):
            _linear(ops, t, d, 3 * d, ab, grad_input=True)  # q, k, v projection
            _elementwise(ops, 3 * t * d, ab, 2, 2)  # head split / layout copies
            attn = 2.0 * b * heads * s * s * head_dim  # one of QK^T or AV
            # scaled-dot-product attention: two products forward, four backward, fused softmax
            ops.append(Op("gemm", 2 * attn, ab * 4 * t * d, min(s, head_dim)))
            ops.append(Op("gemm", 4 * attn, ab * 8 * t * d, min(s, head_dim), kernels=2))
            _linear(ops, t, d, d, ab, grad_input=True)  # output projection
            for _ in range(2):  # residual add + LayerNorm after attention and after the feed-forward block
                _elementwise(ops, t * d, ab, 3, 1)
                _elementwise(ops, t * d, ab, 2, 4)
                _elementwise(ops, t * d, ab, 2, 2)  # dropout (p=0 still copies)
            _linear(ops, t, d, ff, ab, grad_input=True)
            _elementwise(ops, t * ff, ab)  # ReLU
            _linear(ops, t, ff, d, ab, grad_input=True)
        _elementwise(ops, t * d, ab, 2, 4)  # final LayerNorm
        _elementwise(ops, t * d, ab, 1, 1)  # mean over positions
        _linear(ops, b, d, classes, ab, grad_input=True)
    else:
        raise UserInputError(f"unknown model family {fam!r}")
    _loss(ops, b, classes)
    return ops


def param_tensors(spec: dict[str, Any]) -> int:
    """How many parameter tensors the optimizer walks over (weights and biases)."""
    traced = _family_hook(spec, "param_tensors")
    if traced is not None:
        return int(traced)
    fam = spec["family"]
    if fam == "mlp":
        return 2 * (len(spec["hidden"]) + 1)
    if fam == "cnn":
        return 2 * len(spec["channels"]) + 4
    return 1 + 12 * int(spec["n_layers"]) + 2 + 2


# ---------------------------------------------------------------- FLOPs


def flops_per_step(spec: dict[str, Any], batch_size: int, method: str = "auto") -> tuple[float, str]:
    """Training FLOPs of one step and how they were counted ("FlopCounterMode" or "analytic").

    ``auto`` counts with torch's FlopCounterMode on the meta device (no memory; cached per spec and batch) and
    falls back to the shape formula when torch is unavailable. ``analytic`` never imports torch.
    """
    from gpuwise.core.bench import workloads

    if method not in ("auto", "analytic", "counted"):
        raise ValueError(f"unknown FLOP counting method {method!r}")
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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _memory_needed(spec: dict[str, Any], batch_size: int, optimizer: str, precision: str) -> int | None:
    from gpuwise.core.bench import memory

    try:
        return memory.estimate_training_memory(spec, batch_size, optimizer=optimizer, precision=precision).total
    except (KeyError, TypeError, UserInputError):
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
    result = _estimate_step(model, spec, batch_size, precision=precision, optimizer=optimizer, flops=flops,
                            flops_method=flops_method)  # fmt: skip
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
    if precision not in PRECISIONS:
        raise UserInputError(f"unknown precision {precision!r} (choose from {', '.join(PRECISIONS)})")
    if optimizer not in _OPTIMIZER_BYTES:
        raise UserInputError(f"unknown optimizer {optimizer!r} (choose from {', '.join(_OPTIMIZER_BYTES)})")
    ops = step_ops(spec, batch_size, precision)
    op_flops = sum(o.flops for o in ops)
    method = "given"
    if flops is None:
        flops, method = flops_per_step(spec, batch_size, flops_method)
    scale = flops / op_flops if op_flops > 0 else 1.0
    peak = model.peak_for(precision) * 1e9
    gemm_eff = _gemm_efficiency(model, precision)
    bw = model.bandwidth_gbs * 1e9
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
        eff, d0 = (gemm_eff, model.gemm_d0) if o.kind == "gemm" else (model.conv_efficiency, model.conv_d0)
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
    host_s = (model.step_base_s + kernels * model.dispatch_s + model.optimizer_base_s
              + tensors * model.optimizer_per_tensor_s)  # fmt: skip
    transfer_s = 0.0
    if model.host_link_gbs:
        from gpuwise.core.bench.workloads import input_bytes_per_sample

        transfer_s = input_bytes_per_sample(spec) * batch_size / (model.host_link_gbs * 1e9)
    device_s = compute_s + memory_s + optimizer_s + transfer_s
    # a GPU runs asynchronously: the host queues kernels while earlier ones execute
    step_s = max(device_s, host_s) if model.kind == "gpu" else device_s + host_s
    parts = {"compute": compute_s, "memory": memory_s + optimizer_s, "transfer": transfer_s, "overhead": host_s}
    bound = max(parts, key=lambda k: parts[k])
    needed = _memory_needed(spec, batch_size, optimizer, precision)
    fits = None if needed is None or model.memory_bytes is None else needed <= model.memory_bytes
    basis = f"estimate: {model.basis}; {format_count(flops)} FLOPs/step ({method})"
    return StepEstimate(
        device=model.name, step_s=step_s, compute_s=compute_s, memory_s=memory_s, optimizer_s=optimizer_s,
        transfer_s=transfer_s, host_s=host_s, flops=flops, flops_method=method, bytes_moved=bytes_moved,
        kernels=kernels, memory_needed=needed, memory_available=model.memory_bytes, fits=fits, basis=basis,
        bound=bound,
    )  # fmt: skip


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
    est = estimate_step(model, spec, batch_size, precision=precision, optimizer=optimizer, flops=flops,
                        flops_method=flops_method)  # fmt: skip
    spe = steps_per_epoch(samples, batch_size)
    epoch_s = spe * est.step_s
    weights_s = (4 * int(spec["params"]) / (model.host_link_gbs * 1e9)) if model.host_link_gbs else 0.0
    fixed = model.fixed_overhead_s + weights_s
    lo, hi = est.step_s / model.spread, est.step_s * model.spread
    basis = f"{est.basis}; ±{model.spread:g}× band; limited by {est.bound}"
    common: dict[str, Any] = dict(
        device=model.name, family=str(spec["family"]), params=int(spec["params"]), architecture=dict(spec),
        samples=samples, batch_size=batch_size, epochs=epochs, precision=precision, threads=model.threads,
        optimizer=optimizer, device_name=model.label, estimated_memory_bytes=est.memory_needed,
        flops_per_step=est.flops, estimated=True, estimate_basis=basis,
    )  # fmt: skip
    if est.fits is False:
        return Point(status="oom", message=(f"estimate: needs about {format_bytes(est.memory_needed or 0)}, "
                                            f"{model.label} has {format_bytes(model.memory_bytes or 0)} usable"),
                     **common)  # fmt: skip
    return Point(
        status="ok", message="estimate", samples_per_s=batch_size / est.step_s,
        step_time_s=StepStats(median=est.step_s, iqr=0.0, ci95=(lo, hi), n=0),
        epoch_time_s=epoch_s, epoch_time_extrapolated=True, fixed_overhead_s=fixed,
        overhead_breakdown_s={"init": model.fixed_overhead_s, "transfer": weights_s},
        time_to_train_s=epochs * epoch_s + fixed,
        step_breakdown_s={"compute": est.compute_s, "memory": est.memory_s, "optimizer": est.optimizer_s,
                          "h2d": est.transfer_s, "overhead": est.host_s},
        **common,
    )  # fmt: skip


def estimate_points_like(report: Report, devices: list[str], *, flops_method: str = "auto") -> list[Point]:
    """Estimated twins of every measured ok point in ``report`` on each of ``devices`` (catalog names)."""
    models = [device_model(d, report) for d in devices]
    out: list[Point] = []
    for p in report.points:
        if p.status != "ok" or p.estimated or p.device != "cpu":
            continue
        for m in models:
            out.append(estimate_point(m, p.architecture, samples=p.samples, batch_size=p.batch_size,
                                      epochs=p.epochs, precision=p.precision, optimizer=p.optimizer,
                                      flops=p.flops_per_step, flops_method=flops_method))  # fmt: skip
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
        line = (f"{self.label}: about {format_duration(self.seconds)} (estimate) to train "
                f"{format_count(self.params)} parameters on {format_count(self.tokens)} tokens")  # fmt: skip
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
    for v, what in ((params, "parameters"), (samples, "samples"), (tokens_per_sample, "tokens per sample"),
                    (epochs, "epochs")):  # fmt: skip
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
        assumptions = [f"CPU peak {peak:.0f} GFLOP/s ({peak_note}) × {eff} efficiency: large matrix "
                       f"products on this CPU reach about that"]  # fmt: skip
    else:
        g = find_gpu(device)
        prec = precision or ("bf16" if g.bf16_tflops else "fp16" if g.fp16_tflops else "fp32")
        peak = g.peak_tflops(prec) * 1000
        eff = LARGE_MODEL_GPU_MFU
        label, avail = g.name, int(g.memory_bytes * GPU_USABLE_FRACTION)
        assumptions = [f"{g.name} {prec} dense peak {g.peak_tflops(prec):g} TFLOP/s (spec sheet) × "
                       f"{eff:.0%} model-FLOPs utilisation, typical of well-tuned large training runs"]  # fmt: skip
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
        device="cpu" if device.strip().lower() == "cpu" else label, label=label, params=params, tokens=tokens,
        flops=flops, peak_gflops=peak, efficiency=eff, seconds=seconds, memory_needed_bytes=mem,
        memory_available_bytes=avail, devices_for_memory=devices_needed, assumptions=tuple(assumptions),
    )  # fmt: skip
