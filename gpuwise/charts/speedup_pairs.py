"""Which CPU point each GPU point's speedup is computed against, and which figures of the two it compares."""

from __future__ import annotations

from gpuwise.charts.device_names import split_device
from gpuwise.core.report import Point


def speedup_basis(cpu: Point, gpu: Point, epochs: int | None = None) -> tuple[str, float, float, str] | None:
    """Which numbers the speedup compares: time to train when both have it (what a bill pays for), for
    ``epochs`` epochs when given (epochs × epoch time + fixed overhead, as the verdict computes it)."""
    if epochs is not None and cpu.epoch_time_s and gpu.epoch_time_s:

        def job(p: Point) -> float:
            assert p.epoch_time_s is not None
            return epochs * p.epoch_time_s + (p.fixed_overhead_s or 0.0)

        return f"time to train {epochs} epoch{'s' if epochs != 1 else ''}", job(cpu), job(gpu), "s"
    if cpu.time_to_train_s and gpu.time_to_train_s:
        return "time to train", cpu.time_to_train_s, gpu.time_to_train_s, "s"
    if cpu.epoch_time_s and gpu.epoch_time_s:
        return "epoch time", cpu.epoch_time_s, gpu.epoch_time_s, "s"
    if cpu.samples_per_s and gpu.samples_per_s:
        return "throughput", cpu.samples_per_s, gpu.samples_per_s, "samples/s"
    return None


PartnerKey = tuple[str, int, int, int, str]


def cpu_index(cpus: list[Point]) -> dict[PartnerKey, list[Point]]:
    """CPU points by workload and machine tag, one per (estimated, precision, batch) in their first order: a GPU
    point finds its partner without scanning every CPU point (a 50k-point report made that quadratic)."""
    index: dict[PartnerKey, dict[tuple[bool, str, int], Point]] = {}
    for c in cpus:
        key = (c.family, c.params, c.samples, c.epochs, split_device(c.device)[1])
        index.setdefault(key, {}).setdefault((c.estimated, c.precision, c.batch_size), c)
    return {k: list(v.values()) for k, v in index.items()}


def cpu_partner(gpu: Point, cpus: dict[PartnerKey, list[Point]]) -> Point | None:
    """The CPU point to compare a GPU point with: same workload, same machine (tag), measured before estimated."""
    tag = split_device(gpu.device)[1] if not gpu.estimated else ""
    same = cpus.get((gpu.family, gpu.params, gpu.samples, gpu.epochs, tag))
    if not same:
        return None

    def rank(c: Point) -> tuple[bool, bool, bool, bool]:
        return (c.estimated, c.precision != gpu.precision, c.precision != "fp32", c.batch_size != gpu.batch_size)

    return min(same, key=rank)
