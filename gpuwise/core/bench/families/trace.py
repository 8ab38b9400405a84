"""Trace one training step of any torch model on the meta device: FLOPs, saved activations, the step's kernels.

The model runs forward, cross-entropy and backward on meta tensors (shapes only, no memory, no arithmetic) under
a dispatch mode that sees every ATen kernel eager PyTorch would launch. For each kernel it records torch's own
FLOP formula (``torch.utils.flop_counter``, the numbers ``FlopCounterMode`` reports), the bytes it reads and
writes, and the dimensions of matrix products and convolutions. The step is traced at two batch sizes, so each
figure splits into a per-sample part and a fixed part (weights), and the result is pure data: a spec carries it,
a report stores it, and the estimator reuses it without torch, without the model and without the user's code.

Kernels with similar shapes are merged (sums of FLOPs, bytes and kernel counts), which keeps a ResNet-50 trace to
a few dozen entries. View operations move no data and are not kernels: they are skipped.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

    from gpuwise.core.step_ops import Op

_B1, _B2 = 2, 4  # the two traced batch sizes (BatchNorm needs more than one sample)
_CONV = (
    "convolution",
    "convolution_backward",
    "_convolution",
    "cudnn_convolution",
    "_slow_conv2d_forward",
    "convolution_overrideable",
)


def _dims(name: str, args: tuple[Any, ...]) -> list[int]:
    """The dimensions that decide a matrix product's efficiency (M, K, N; conv: out channels and C_in*kh*kw)."""
    import torch

    tensors = [a for a in args if isinstance(a, torch.Tensor)]
    if name in _CONV:
        weight = tensors[2] if name == "convolution_backward" else tensors[1]
        return [int(weight.shape[0]), int(math.prod(weight.shape[1:]))]
    if name in ("mm", "addmm", "bmm", "baddbmm"):
        a, b = tensors[-2], tensors[-1]
        return [int(a.shape[-2]), int(a.shape[-1]), int(b.shape[-1])]
    if tensors and tensors[0].dim() >= 2:  # attention kernels: (batch, heads, seq, head dim)
        return [int(tensors[0].shape[-2]), int(tensors[0].shape[-1])]
    return []


def _record_step(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[list[list[Any]], int]:
    """(kernels as [kind, flops, bytes, dims], bytes saved for backward) of one step of ``model`` on ``x``."""
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_flatten
    from torch.utils.flop_counter import flop_registry

    ops: list[list[Any]] = []

    class Recorder(TorchDispatchMode):
        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            returns = func._schema.returns
            if returns and returns[0].alias_info is not None and not returns[0].alias_info.is_write:
                return out  # a view: no kernel, no data moved
            packet = func._overloadpacket
            name = packet.__name__
            flops = 0
            if packet in flop_registry:
                flops = int(flop_registry[packet](*args, **kwargs, out_val=out))
            leaves = tree_flatten((args, kwargs, out))[0]
            nbytes = sum(t.numel() * t.element_size() for t in leaves if isinstance(t, torch.Tensor))
            kind = "conv" if name in _CONV else "gemm" if flops > 0 else "elementwise"
            ops.append([kind, flops, nbytes, _dims(name, tuple(args)) if flops > 0 else []])
            return out

    saved: dict[int, int] = {}
    keep: list[torch.Tensor] = []  # holds the saved tensors so their ids stay unique

    def pack(t: torch.Tensor) -> torch.Tensor:
        base = t._base if t._base is not None else t
        keep.append(base)
        saved[id(base)] = base.numel() * base.element_size()
        return t

    with Recorder():
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            out = model(x)
        loss = torch.nn.functional.cross_entropy(out, y)
        loss.backward()
    return ops, sum(saved.values())


def trace_step(
    make_model: Callable[[], torch.nn.Module],
    make_batch: Callable[[int], tuple[torch.Tensor, torch.Tensor]],
) -> dict[str, Any]:
    """Trace a training step. ``make_model()`` returns the module on the meta device (or any device: it is only
    run at batch 2 and 4); ``make_batch(b)`` an input and labels of batch ``b`` on the same device."""
    model = make_model()
    params = list(model.parameters())
    runs = []
    for b in (_B1, _B2):
        model.zero_grad(set_to_none=True)
        runs.append(_record_step(model, *make_batch(b)))
    (ops1, saved1), (ops2, saved2) = runs
    per = float(_B2 - _B1)
    merged: dict[tuple[Any, ...], list[float]] = {}
    if len(ops1) == len(ops2):
        pairs = list(zip(ops1, ops2, strict=True))
    else:  # a data-dependent model: scale the larger trace's kernels as if all were per-sample
        pairs = [([k, f / 2, n / 2, d], [k, f, n, d]) for k, f, n, d in ops2]
    for (kind, f1, n1, d1), (_k, f2, n2, d2) in pairs:
        f_ps = max(0.0, (f2 - f1) / per)
        n_ps = max(0.0, (n2 - n1) / per)
        f_fix = max(0.0, f1 - _B1 * f_ps)
        n_fix = max(0.0, n1 - _B1 * n_ps)
        fixed_dims = [a for a, b in zip(d1, d2, strict=False) if a == b]
        scaled_dims = [a / _B1 for a, b in zip(d1, d2, strict=False) if a != b]
        d_fix = min(fixed_dims) if fixed_dims else 0
        d_ps = min(scaled_dims) if scaled_dims else 0.0
        size = n_ps if n_ps > 0 else n_fix
        key = (kind, d_fix, round(d_ps, 3), round(math.log2(size + 1)))
        acc = merged.setdefault(key, [0.0, 0.0, 0.0, 0.0, 0.0])
        acc[0] += f_ps
        acc[1] += f_fix
        acc[2] += n_ps
        acc[3] += n_fix
        acc[4] += 1
    ops = [
        [kind, d_fix, d_ps, round(a[0]), round(a[1]), round(a[2]), round(a[3]), int(a[4])]
        for (kind, d_fix, d_ps, _s), a in merged.items()
    ]
    return {
        "params": int(sum(p.numel() for p in params)),
        "param_tensors": len(params),
        "flops_per_sample": round(sum(a[0] for a in merged.values())),
        "flops_fixed": round(sum(a[1] for a in merged.values())),
        "activation_bytes_per_sample": max(0, round((saved2 - saved1) / per)),
        "kernels": sum(int(a[4]) for a in merged.values()),
        # [kind, fixed min dim, per-sample min dim, flops/sample, fixed flops, bytes/sample, fixed bytes, kernels]
        "ops": ops,
    }


def traced_flops(trace: dict[str, Any], batch_size: int) -> float:
    return float(trace["flops_per_sample"]) * batch_size + float(trace.get("flops_fixed", 0))


def traced_ops(trace: dict[str, Any], batch_size: int, precision: str, input_bytes: int) -> list[Op]:
    """The step's kernels at ``batch_size`` as the estimator's ``Op``s (activations at ``precision``)."""
    from gpuwise.core.step_ops import Op

    act = {"bf16": 0.5, "fp16": 0.5}.get(precision, 1.0)  # traced in fp32; weights stay fp32
    b = batch_size
    out = [Op("elementwise", 0.0, 2.0 * input_bytes * b)]  # gather the batch from the dataset
    for kind, d_fix, d_ps, f_ps, f_fix, n_ps, n_fix, kernels in trace["ops"]:
        dims = [d for d in (d_fix, d_ps * b) if d > 0]
        out.append(
            Op(
                kind,
                float(f_ps) * b + float(f_fix),
                float(n_ps) * b * act + float(n_fix),
                int(min(dims)) if dims else 0,
                int(kernels),
            )
        )
    return out
