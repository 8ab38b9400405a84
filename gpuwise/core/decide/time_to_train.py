"""Time to train on one device, best source first: the measured point for this exact workload; a measured step
time scaled to this dataset size / epoch count; a log-log interpolation between measured model sizes; an estimate
(``core.estimate``), anchored to the nearest measurement when there is one. Every non-measured number is labeled.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gpuwise.core import estimate as est
from gpuwise.core.decide.values import Source, Workload
from gpuwise.core.report import Point
from gpuwise.core.units import format_count, format_duration


@dataclass(frozen=True)
class Timing:
    source: Source
    basis: str
    step: float
    step_lo: float
    step_hi: float
    fixed: float
    epoch_s: float | None = None  # a measured epoch time, valid at ``epoch_samples`` only
    epoch_samples: int | None = None

    def time_at(self, samples: int, epochs: int, batch_size: int) -> tuple[float, tuple[float, float]]:
        """Time to train ``samples`` × ``epochs`` at ``batch_size``, and its range from the step time's CI."""
        if self.epoch_s is not None and samples == self.epoch_samples:
            epoch = self.epoch_s
        else:
            epoch = est.steps_per_epoch(samples, batch_size) * self.step
        r_lo, r_hi = self.step_lo / self.step, self.step_hi / self.step
        t = epochs * epoch + self.fixed
        return t, (epochs * epoch * r_lo + self.fixed, epochs * epoch * r_hi + self.fixed)

    def time(self, w: Workload) -> tuple[float, tuple[float, float]]:
        return self.time_at(w.samples, w.epochs, w.batch_size)

    @property
    def estimated(self) -> bool:
        return self.source in ("estimate", "extrapolated")


def candidates(points: Sequence[Point], device: str, w: Workload) -> list[Point]:
    """Measured points of ``device`` that can stand for this workload (same family, batch, precision, optimizer)."""
    return [
        p
        for p in points
        if p.device == device
        and p.measured
        and p.step_time_s is not None
        and p.step_time_s.median > 0
        and p.family == w.family
        and p.batch_size == w.batch_size
        and p.precision == w.precision
        and p.optimizer == w.optimizer
    ]


def _interp(xs: list[float], ys: list[float], x: float) -> float:
    """Linear interpolation of log(y) over log(x); xs sorted, x inside [xs[0], xs[-1]]."""
    lx = math.log(x)
    for (x0, y0), (x1, y1) in itertools.pairwise(zip(xs, ys, strict=True)):
        if x0 <= x <= x1:
            if x1 == x0:
                return y0
            f = (lx - math.log(x0)) / (math.log(x1) - math.log(x0))
            return math.exp(math.log(y0) + f * (math.log(y1) - math.log(y0)))
    raise ValueError("x outside the interpolation range")


def _measured_timing(cands: list[Point], spec: dict[str, Any], w: Workload) -> Timing | None:
    target = int(spec["params"])
    exact = [p for p in cands if p.params == target]
    if exact:
        same = [p for p in exact if p.samples == w.samples]
        p = same[0] if same else max(exact, key=lambda q: q.samples)
        st = p.step_time_s
        assert st is not None
        fixed = p.fixed_overhead_s or 0.0
        if same and p.epoch_time_s is not None:
            basis = "measured" + (" (epoch time extrapolated from measured steps)" if p.epoch_time_extrapolated else "")
            return Timing("measured", basis, st.median, st.ci95[0], st.ci95[1], fixed, p.epoch_time_s, p.samples)
        basis = (
            f"measured step time ({format_duration(st.median)} at {format_count(p.samples)} samples) × "
            f"{est.steps_per_epoch(w.samples, w.batch_size):,} steps/epoch + measured fixed overhead"
        )
        return Timing("scaled", basis, st.median, st.ci95[0], st.ci95[1], fixed)
    by_params: dict[int, Point] = {}
    for p in sorted(cands, key=lambda q: q.samples):
        by_params[p.params] = p  # the largest dataset per size: its fixed overhead is best amortised
    xs = sorted(by_params)
    if len(xs) < 2 or not xs[0] < target < xs[-1]:
        return None
    pts = [by_params[x] for x in xs]
    med = [p.step_time_s.median for p in pts if p.step_time_s]
    lo = [max(p.step_time_s.ci95[0] / p.step_time_s.median, 1e-6) for p in pts if p.step_time_s]
    hi = [p.step_time_s.ci95[1] / p.step_time_s.median for p in pts if p.step_time_s]
    fixeds = [max(p.fixed_overhead_s or 0.0, 1e-9) for p in pts]
    fx = [float(x) for x in xs]
    step = _interp(fx, med, target)
    i = next(j for j in range(len(xs) - 1) if xs[j] <= target <= xs[j + 1])
    basis = (
        f"interpolated (log-log) between measured {format_count(xs[i])} and {format_count(xs[i + 1])} parameter points"
    )
    return Timing(
        "interpolated",
        basis,
        step,
        step * min(_interp(fx, lo, target), 1.0),
        step * max(_interp(fx, hi, target), 1.0),
        _interp(fx, fixeds, target),
    )


def known_flops(points: Sequence[Point], spec: dict[str, Any], batch_size: int) -> float | None:
    """A measured point's FlopCounterMode count for this very model and batch (saves counting again)."""
    return next(
        (
            p.flops_per_step
            for p in points
            if p.flops_per_step and p.batch_size == batch_size and p.architecture == spec
        ),
        None,
    )


def _estimated_timing(
    model: est.DeviceModel,
    spec: dict[str, Any],
    w: Workload,
    cands: list[Point],
    flops_method: str,
    flops: float | None,
) -> Timing:
    e = est.estimate_step(
        model, spec, w.batch_size, precision=w.precision, optimizer=w.optimizer, flops=flops, flops_method=flops_method
    )
    step = e.step_s
    fixed = model.fixed_overhead_s + (
        4 * int(spec["params"]) / (model.host_link_gbs * 1e9) if model.host_link_gbs else 0.0
    )
    basis = f"{e.basis}; limited by {e.bound}"
    source: Source = "estimate"
    if cands:
        # anchor: scale the estimate by how far it was off at the nearest measured model size
        near = min(cands, key=lambda p: abs(math.log(p.params / int(spec["params"]))))
        ne = est.estimate_step(
            model,
            near.architecture,
            near.batch_size,
            precision=near.precision,
            optimizer=near.optimizer,
            flops=near.flops_per_step,
            flops_method=flops_method,
        )  # "analytic" must never import torch
        assert near.step_time_s is not None
        factor = near.step_time_s.median / ne.step_s
        step *= factor
        fixed = near.fixed_overhead_s if near.fixed_overhead_s is not None else fixed
        source = "extrapolated"
        basis = (
            f"extrapolated: {basis}; scaled ×{factor:.2f} to match the measured "
            f"{format_count(near.params)}-parameter point"
        )
    lo, hi = e.band if e.band[1] > 0 else (e.step_s / model.spread, e.step_s * model.spread)
    scale = step / e.step_s if e.step_s > 0 else 1.0  # the anchor's factor moves the band with the step
    return Timing(source, basis, step, min(lo * scale, step), max(hi * scale, step), fixed)


def timing(
    model: est.DeviceModel | None,
    points: Sequence[Point],
    device: str,
    spec: dict[str, Any],
    w: Workload,
    flops_method: str,
) -> Timing | None:
    """How long ``w`` takes on ``device``: measured if possible, else estimated from ``model`` (None: unknown)."""
    cands = candidates(points, device, w)
    t = _measured_timing(cands, spec, w)
    if t is not None or model is None:
        return t
    return _estimated_timing(model, spec, w, cands, flops_method, known_flops(points, spec, w.batch_size))
