"""Memory fit: can this device train the model at this batch at all, and what is the largest batch that fits?"""

from __future__ import annotations

from typing import Any

from gpuwise.core import estimate as est
from gpuwise.core.decide.values import DeviceVerdict, Workload
from gpuwise.core.report import Report
from gpuwise.core.units import format_bytes

MemoryFit = tuple[int | None, bool | None, int | None]  # (bytes needed, fits, largest batch that fits)
# pure in (spec, batch, optimizer, precision, available) and asked again on every recompute: remembered
_MEMORY_CACHE: dict[Any, MemoryFit] = {}
_SPEC_CACHE: dict[tuple[str, int], dict[str, Any]] = {}
_CACHE_MAX = 4096


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= _CACHE_MAX:
        cache.pop(next(iter(cache)))  # oldest first: dicts keep insertion order
    cache[key] = value


def memory_fit(spec: dict[str, Any], w: Workload, available: int | None) -> MemoryFit:
    try:
        key = (est.frozen_key(spec), w.batch_size, w.optimizer, w.precision, available)
        hit = _MEMORY_CACHE.get(key)
    except TypeError:  # an unhashable value in a hand-edited spec: no cache
        return _memory_uncached(spec, w, available)
    if hit is None:
        hit = _memory_uncached(spec, w, available)
        _remember(_MEMORY_CACHE, key, hit)
    return hit


def grid_spec(family: str, target: int) -> dict[str, Any]:
    """``build_spec`` for the break-even grid, remembered (callers must not mutate the result)."""
    spec = _SPEC_CACHE.get((family, target))
    if spec is None:
        from gpuwise.core.bench.workloads import build_spec

        spec = build_spec(family, target)
        _remember(_SPEC_CACHE, (family, target), spec)
    return spec


def _memory_uncached(spec: dict[str, Any], w: Workload, available: int | None) -> MemoryFit:
    from gpuwise.core.bench import memory

    needed = memory.estimate_training_memory(spec, w.batch_size, optimizer=w.optimizer, precision=w.precision).total
    if available is None:
        return needed, None, None
    largest = memory.largest_batch_that_fits(spec, available, optimizer=w.optimizer, precision=w.precision)
    return needed, needed <= available, largest


def memory_line(d: DeviceVerdict, w: Workload) -> str:
    if d.memory_needed is None:
        return f"{d.label}: memory need unknown"
    need = f"needs ~{format_bytes(d.memory_needed)} at batch {w.batch_size} (estimate)"
    if d.memory_available is None:
        return f"{d.label}: {need}; available memory unknown"
    has = f"{format_bytes(d.memory_available)} usable"
    if d.fits:
        lb = d.largest_batch or 0
        largest = "≥ 65,536" if lb >= 65536 else f"≈ {lb:,}"
        return f"{d.label} ({has}): fits — {need}; largest batch that fits {largest}"
    if d.largest_batch:
        return f"{d.label} ({has}): does NOT fit — {need}; largest batch that fits ≈ {d.largest_batch:,}"
    return f"{d.label} ({has}): cannot train this model at all — {need}, even batch 1 does not fit"


def cpu_available(report: Report) -> int | None:
    cpu = report.machine.get("cpu")
    if isinstance(cpu, dict):
        for key in ("ram_available", "ram_total"):
            v = cpu.get(key)
            if isinstance(v, int) and v > 0:
                from gpuwise.core.bench.memory import USABLE_FRACTION

                return int(v * USABLE_FRACTION)
    return None


def measured_gpu_memory(report: Report, device: str) -> int | None:
    for g in report.machine.get("gpus") or []:
        if isinstance(g, dict) and g.get("id") == device and isinstance(g.get("memory_total"), int):
            return int(g["memory_total"] * est.GPU_USABLE_FRACTION)
    return None
