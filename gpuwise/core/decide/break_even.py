"""Break-even sizes: the dataset sizes and model sizes at which the GPU starts (or stops) paying.

Both scans ask ``rule.pays_at`` about the very time functions the verdict uses, and include the workload's own
size as a node, so "the GPU pays above ~N samples" never contradicts the headline at the size the user asked about.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Literal

from gpuwise.core import estimate as est
from gpuwise.core.decide import memory_fit
from gpuwise.core.decide.rule import Billing, billed_cost, pays_at
from gpuwise.core.decide.time_to_train import Timing, candidates, timing
from gpuwise.core.decide.values import BreakEven, DeviceVerdict, Interval, Workload
from gpuwise.core.report import Point
from gpuwise.core.units import format_count

MAX_SAMPLES = 10**12
_SAMPLES_PER_DECADE = 16
_PARAMS_STEP = 0.25  # decades between grid sizes


def _intervals_from_nodes(states: Sequence[bool], boundary: Callable[[int], float]) -> tuple[Interval, ...]:
    """Paying ranges from node states; ``boundary(i)`` is where the state flips between nodes i and i+1.

    Each range is [first paying x, last paying x]; the ends of the scan are open (None).
    """
    out: list[Interval] = []
    start: float | None = None
    paying = False
    for i, s in enumerate(states):
        if i == 0:
            paying = s
        elif s != states[i - 1]:
            b = boundary(i - 1)
            if s:
                start, paying = b, True
            else:
                out.append((start, b))
                paying = False
    if paying:
        out.append((start, None))
    return tuple(out)


def break_even_samples(
    cpu_t: Timing, gpu_t: Timing, g: DeviceVerdict, w: Workload, cpu_per_hour: float, billing: Billing
) -> BreakEven | None:
    """Dataset sizes (1 to 10^12 samples) at which the GPU pays for ``w.epochs`` epochs at this batch."""
    if g.usd_per_hour is None or g.outcome == "does_not_fit":
        return None
    gpu_per_hour = g.usd_per_hour

    def pays(n: int) -> bool:
        tc = cpu_t.time_at(n, w.epochs, w.batch_size)[0]
        tg = gpu_t.time_at(n, w.epochs, w.batch_size)[0]
        return pays_at(tc, tg, cpu_per_hour, gpu_per_hour, billing)

    nodes = {round(10 ** (i / _SAMPLES_PER_DECADE)) for i in range(12 * _SAMPLES_PER_DECADE + 1)}
    for n in (w.samples, cpu_t.epoch_samples, gpu_t.epoch_samples):
        if n:  # a measured epoch is exact at its own size only: look on both sides of it
            nodes |= {max(1, n - 1), n, min(MAX_SAMPLES, n + 1)}
    xs = sorted(nodes)
    states = [pays(n) for n in xs]

    def boundary(i: int) -> float:
        """The first size past node i whose state is node i+1's (integer bisection)."""
        lo, hi = xs[i], xs[i + 1]  # pays(lo) != pays(hi)
        target = states[i + 1]
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if pays(mid) == target:
                hi = mid
            else:
                lo = mid
        return float(hi if target else lo)

    intervals = _intervals_from_nodes(states, boundary)
    estimated = g.estimated or cpu_t.estimated
    epochs = f"{w.epochs} epoch{'s' if w.epochs != 1 else ''}"
    basis = f"{epochs} at batch {w.batch_size}, fixed overheads included, {billing.replace('_', ' ')} billing"
    return _summarise("samples", intervals, basis, estimated, g.device, (1.0, float(MAX_SAMPLES)))


def _summarise(
    dimension: Literal["samples", "params"],
    intervals: tuple[Interval, ...],
    basis: str,
    estimated: bool,
    device: str,
    scanned: tuple[float, float],
) -> BreakEven:
    from gpuwise.core.decide.text import describe_intervals

    if len(intervals) == 1:
        lo, hi = intervals[0]
        if lo is not None and hi is None:
            return BreakEven(dimension, lo, "above", basis, estimated, intervals, device)
        if lo is None and hi is not None:
            return BreakEven(dimension, hi, "below", basis, estimated, intervals, device)
    reason = describe_intervals(dimension, intervals, scanned)
    return BreakEven(dimension, None, "", f"{reason} ({basis})", estimated, intervals, device)


def break_even_params(
    points: Sequence[Point],
    cpu_model: est.DeviceModel,
    gpu_model: est.DeviceModel | None,
    cpu: DeviceVerdict,
    g: DeviceVerdict,
    w: Workload,
    cpu_available: int | None,
    billing: Billing,
) -> BreakEven | None:
    """Model sizes (1k to 10B) at which the GPU pays for this dataset, epochs and batch."""
    from gpuwise.core.bench.workloads import MAX_PARAMS, MIN_PARAMS, is_resizable

    if g.usd_per_hour is None or not is_resizable(w.family):
        return None  # a fixed model (ResNet-50, your own) has no model-size axis

    gpu_per_hour, cpu_per_hour = g.usd_per_hour, cpu.usd_per_hour
    assert cpu_per_hour is not None
    n = int((math.log10(MAX_PARAMS) - 3) / _PARAMS_STEP) + 1
    grid = [p for p in (round(10 ** (3 + i * _PARAMS_STEP)) for i in range(n)) if MIN_PARAMS <= p <= MAX_PARAMS]
    cpu_points = candidates(points, "cpu", w)
    gpu_points = candidates(points, g.device, w)
    nodes: dict[float, tuple[float, float]] = {}
    if g.fits is not False and cpu.time_s is not None and g.time_s is not None:
        nodes[float(w.params)] = (cpu.time_s, g.time_s)  # the headline's own numbers
    estimated = cpu.estimated or g.estimated
    for target in grid:
        spec = memory_fit.grid_spec(w.family, target)
        size = int(spec["params"])
        if not MIN_PARAMS <= size <= MAX_PARAMS or float(size) in nodes:
            continue  # the family's size rules can land just outside the range
        pw = replace(w, params=size)
        need, fits_gpu, _ = memory_fit.memory_fit(spec, pw, g.memory_available)
        if fits_gpu is False or (cpu_available is not None and need is not None and need > cpu_available):
            break  # beyond what the devices can hold, the curve ends
        ct = timing(cpu_model, cpu_points, "cpu", spec, pw, "analytic")
        gt = timing(gpu_model, gpu_points, g.device, spec, pw, "analytic")
        if ct is None or gt is None:
            continue
        estimated = estimated or ct.estimated or gt.estimated
        nodes[float(size)] = (ct.time(pw)[0], gt.time(pw)[0])
    if len(nodes) < 2:
        return None
    xs = sorted(nodes)
    states = [pays_at(*nodes[x], cpu_per_hour, gpu_per_hour, billing) for x in xs]

    def log_ratio(x: float) -> float:
        tc, tg = nodes[x]
        return math.log(billed_cost(tc, cpu_per_hour, billing) / billed_cost(tg, gpu_per_hour, billing))

    def boundary(i: int) -> float:
        x0, x1 = xs[i], xs[i + 1]
        r0, r1 = log_ratio(x0), log_ratio(x1)
        t = r0 / (r0 - r1) if r0 != r1 else 0.5
        t = min(max(t, 1e-6), 1 - 1e-6)  # strictly between the nodes: each node keeps its own answer
        return math.exp(math.log(x0) + t * (math.log(x1) - math.log(x0)))

    intervals = _intervals_from_nodes(states, boundary)
    # the scan ends where it ends (memory, the 10B cap): a range open at the top ends at the largest size scanned
    epochs = f"{w.epochs} epoch{'s' if w.epochs != 1 else ''}"
    basis = (
        f"{format_count(w.samples)} samples × {epochs}, batch {w.batch_size}; sizes {format_count(xs[0])}–"
        f"{format_count(xs[-1])} scanned"
    )
    return _summarise("params", intervals, basis, estimated, g.device, (xs[0], xs[-1]))
