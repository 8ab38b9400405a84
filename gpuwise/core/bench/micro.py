"""Micro-benchmarks per device: matmul GFLOP/s per precision, memory bandwidth, host->device copies.

Timed like ``torch.utils.benchmark``'s blocked_autorange: warm up, pick a block size that lasts long enough to
swamp timer overhead, then take the median over blocks, synchronising around every block.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Generator
from typing import Any

from gpuwise.core.bench.timing import WindowTimer
from gpuwise.core.cancel import Cancelled, CancelToken
from gpuwise.core.report import MicroResult

MATMUL_SIZES = (256, 512, 1024, 2048, 4096)
MAX_MATMUL_CALL_S = 1.0
_DTYPES = {"fp32": "float32", "tf32": "float32", "bf16": "bfloat16", "fp16": "float16"}


def time_op(
    fn: Callable[[], Any], device: str, *, min_block_s: float = 0.05, blocks: int = 5, max_total_s: float = 1.5
) -> float:
    """Median seconds per call of ``fn`` on ``device`` (warm-up excluded)."""
    timer = WindowTimer(device)
    timer.start()
    fn()  # warm-up: allocations, kernel selection
    first = timer.stop()
    per_block = max(1, int(min_block_s / max(first, 1e-7)))
    n_blocks = max(2, min(blocks, int(max_total_s / max(first * per_block, 1e-7))))
    times = []
    for _ in range(n_blocks):
        timer.start()
        for _ in range(per_block):
            fn()
        times.append(timer.stop() / per_block)
    return statistics.median(times)


def matmul_gflops(device: str, precision: str, n: int) -> float:
    """fp32/tf32/bf16/fp16 n x n matmul throughput (2 n^3 FLOPs a call)."""
    import torch

    dtype = getattr(torch, _DTYPES[precision])
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    out = torch.empty(n, n, device=device, dtype=dtype)
    old = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
    try:
        t = time_op(lambda: torch.mm(a, b, out=out), device)
    finally:
        torch.backends.cuda.matmul.allow_tf32 = old
    return 2.0 * n**3 / t / 1e9


def triad_gbs(device: str, n: int = 1 << 24) -> float:
    """STREAM-triad-like bandwidth: a = b + s*c over n fp32 elements (3 arrays touched)."""
    import torch

    b = torch.randn(n, device=device)
    c = torch.randn(n, device=device)
    a = torch.empty(n, device=device)
    t = time_op(lambda: torch.add(b, c, alpha=3.0, out=a), device)
    return 3 * 4 * n / t / 1e9


def h2d_gbs(device: str, *, pinned: bool, nbytes: int = 1 << 28) -> float:
    import torch

    host = torch.empty(nbytes // 4, dtype=torch.float32)
    if pinned:
        host = host.pin_memory()
    dev = torch.empty_like(host, device=device)
    t = time_op(lambda: dev.copy_(host, non_blocking=pinned), device, min_block_s=0.02, max_total_s=1.0)
    return nbytes / t / 1e9


def _peak_gflops(device: str, precision: str) -> float | None:
    """Theoretical peak for ``peak_fraction``: the CPU formula, or the catalog entry of a known GPU."""
    if device == "cpu":
        from gpuwise.core.devices import cpu_info

        return cpu_info().peak_fp32_gflops if precision == "fp32" else None
    if device.startswith("cuda"):
        import torch

        from gpuwise.core.catalog import match_device_name

        spec = match_device_name(torch.cuda.get_device_name(torch.device(device)))
        return spec.peak_tflops(precision) * 1000 if spec is not None else None
    return None


def micro_plan(
    devices: list[str], precisions: list[str], sizes: tuple[int, ...] = MATMUL_SIZES
) -> list[tuple[str, str, str, int]]:
    """(device, kind, precision, size) in the order they run."""
    plan: list[tuple[str, str, str, int]] = []
    for d in devices:
        for p in precisions:
            if p == "tf32" and not d.startswith("cuda"):
                continue
            plan += [(d, "matmul", p, n) for n in sizes]
        plan.append((d, "triad", "fp32", 3 * 4 * (1 << 24)))
        if d.startswith("cuda"):
            plan += [(d, "h2d_pageable", "fp32", 1 << 28), (d, "h2d_pinned", "fp32", 1 << 28)]
    return plan


def run_micro(
    devices: list[str],
    precisions: list[str],
    *,
    threads: int,
    cancel: CancelToken | None = None,
    sizes: tuple[int, ...] = MATMUL_SIZES,
) -> Generator[tuple[int, int, MicroResult | None], None, None]:
    """Yield (index, count, result) per micro-benchmark; result None when that one could not run."""
    import torch

    torch.set_num_threads(max(1, threads))
    plan = micro_plan(devices, precisions, sizes)
    last_op_s: dict[tuple[str, str], tuple[int, float]] = {}
    for i, (device, kind, precision, size) in enumerate(plan):
        if cancel is not None and cancel.cancelled:
            raise Cancelled()
        result: MicroResult | None = None
        try:
            if kind == "matmul":
                prev = last_op_s.get((device, precision))
                # a size whose single call would take over a second (slow CPU) is left out, not waited for
                if prev is not None and prev[1] * (size / prev[0]) ** 3 > MAX_MATMUL_CALL_S:
                    yield i, len(plan), None
                    continue
                value = matmul_gflops(device, precision, size)
                last_op_s[(device, precision)] = (size, 2.0 * size**3 / (value * 1e9))
                peak = _peak_gflops(device, precision)
                result = MicroResult(device, kind, precision, size, value, "GFLOP/s", value / peak if peak else None)
            elif kind == "triad":
                result = MicroResult(device, kind, precision, size, triad_gbs(device), "GB/s")
            else:
                value = h2d_gbs(device, pinned=kind == "h2d_pinned", nbytes=size)
                result = MicroResult(device, kind, precision, size, value, "GB/s")
        except (RuntimeError, TypeError):  # e.g. a dtype the device does not support: no result, no crash
            result = None
        yield i, len(plan), result
