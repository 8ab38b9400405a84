"""What the pickers above the charts offer and choose: the model size the epoch-time chart shows, and the
dataset size the speedup chart shows when both sizes were swept."""

from __future__ import annotations

from gpuwise.charts.device_names import is_cpu
from gpuwise.charts.model import ChartInputs
from gpuwise.core.report import Point


def _largest_preferring_measured(points: list[Point], attr: str) -> int | None:
    measured = [getattr(p, attr) for p in points if not p.estimated]
    values = measured or [getattr(p, attr) for p in points]
    return max(values) if values else None


def epoch_model_sizes(inputs: ChartInputs) -> list[int]:
    """The model sizes the epoch-time chart can show, smallest first."""
    return sorted({p.params for p in inputs.all_points})


def selected_model_size(inputs: ChartInputs) -> int | None:
    """The model size the epoch-time chart shows: the chosen one if present, else the largest measured one
    among those with the most dataset sizes measured (mid-run, a size with a curve beats one with a lone point).
    """
    sizes = epoch_model_sizes(inputs)
    if inputs.model_size in sizes:
        return inputs.model_size
    measured = [p for p in inputs.points if p.measured]
    if not measured:
        return _largest_preferring_measured(inputs.all_points, "params")
    counts: dict[int, set[int]] = {}
    for p in measured:
        counts.setdefault(p.params, set()).add(p.samples)
    return max(counts, key=lambda n: (len(counts[n]), n))


def speedup_dataset_sizes(inputs: ChartInputs) -> list[int]:
    """Dataset sizes the speedup chart can pick from; empty when it plots against dataset size itself."""
    ok = [p for p in inputs.all_points if p.status == "ok"]
    gpus = [p for p in ok if not is_cpu(p.device)]
    if len({p.params for p in gpus}) <= 1:
        return []
    return sorted({p.samples for p in gpus})


def selected_speedup_samples(inputs: ChartInputs) -> int | None:
    sizes = speedup_dataset_sizes(inputs)
    if not sizes:
        return None
    if inputs.speedup_samples in sizes:
        return inputs.speedup_samples
    gpus = [p for p in inputs.all_points if p.status == "ok" and not is_cpu(p.device) and p.samples in sizes]
    return _largest_preferring_measured(gpus, "samples")
