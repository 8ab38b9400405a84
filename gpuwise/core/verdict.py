"""The verdict: is a GPU worth its price for this training job? Measured where possible, estimated where not.

The rule (from the article): a GPU that costs k times the CPU pays only when it is MORE than k times faster
(tie rule: a speedup of exactly k, within 0.01 %, does not pay: the same money buys the same job, with more
hassle). The speedup's 95 % CI decides: entirely above k -> pays; entirely at or below k -> does not pay;
straddling k -> can't tell yet.

Job cost uses per-second billing with a 60-second minimum (how AWS, GCP and Azure bill on-demand instances);
the cost per started hour is shown beside it, since many rentals bill by the hour and an idle instance costs the
same as a busy one.

Time to train on a device, best source first: the measured point for this exact workload; a measured step time
scaled to this dataset size / epoch count; a log-log interpolation between measured model sizes; an estimate
(``core.estimate``), anchored to the nearest measurement when there is one. Every non-measured number is labeled.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from gpuwise.core import estimate as est
from gpuwise.core.catalog import GpuSpec, find_gpu, match_device_name, normalize_name
from gpuwise.core.errors import UserInputError
from gpuwise.core.prices import PriceSettings, default_prices, list_price
from gpuwise.core.report import PRECISIONS, Point
from gpuwise.core.units import format_bytes, format_count, format_duration

if TYPE_CHECKING:
    from gpuwise.core.report import Report

Source = Literal["measured", "scaled", "interpolated", "extrapolated", "estimate"]
Outcome = Literal["pays", "does_not_pay", "cant_tell", "does_not_fit", "no_price"]
Overall = Literal["gpu_pays", "stay_on_cpu", "cant_tell", "nothing_fits"]

DEFAULT_COMPARISON = ("T4", "H100 SXM")  # the cheapest common cloud GPU and a high-end one
TIE_TOLERANCE = 1e-4
MIN_BILLED_S = 60.0
TIE_RULE = ("A GPU that costs k× the CPU pays only when its speedup is more than k; a speedup of exactly k "
            "(within 0.01 %) does not pay.")  # fmt: skip
BILLING_RULE = ("Job cost: per-second billing with a 60-second minimum (AWS, GCP, Azure on-demand); 'per started "
                "hour' is what an hourly-billed rental charges.")  # fmt: skip
CI_RULE = ("Speedup CI: both devices' 95 % step-time CIs combined in log space; for estimates, the estimate's "
           "uncertainty band instead (not a statistical CI).")  # fmt: skip


def format_usd(x: float | None) -> str:
    if x is None:
        return "n/a"
    if x >= 100:
        return f"${x:,.0f}"
    if x >= 0.1:
        return f"${x:.2f}"
    return f"${x:#.2g}"  # two significant digits for cents and below: $0.0088, $0.010


def format_ratio(x: float) -> str:
    if x >= 10:
        return f"{x:.0f}×"
    return f"{x:.1f}×" if x >= 1 else f"{x:.2g}×"


def format_band(lo: float, hi: float) -> str:
    def short(x: float) -> str:
        return f"{x:.0f}" if x >= 10 else f"{x:.2g}"

    return f"{short(lo)}–{short(hi)}×"


@dataclass(frozen=True)
class Workload:
    family: str
    params: int
    samples: int
    epochs: int = 1
    batch_size: int = 128
    precision: str = "fp32"
    optimizer: str = "adam"

    def __post_init__(self) -> None:
        from gpuwise.core.bench.workloads import MAX_PARAMS, MIN_PARAMS, check_family

        check_family(self.family)
        if not MIN_PARAMS <= self.params <= MAX_PARAMS:
            raise UserInputError(f"model size {self.params:,} is out of range (1k to 10B parameters)")
        for v, what, hi in ((self.samples, "dataset size", 1e12), (self.epochs, "epochs", 1e6),
                            (self.batch_size, "batch size", 65536)):  # fmt: skip
            if not 1 <= v <= hi:
                raise UserInputError(f"{what} {v:,} is out of range (1 to {hi:,.0f})")
        if self.precision not in PRECISIONS:
            raise UserInputError(f"unknown precision {self.precision!r} (choose from {', '.join(PRECISIONS)})")
        if self.optimizer not in ("adam", "sgd"):
            raise UserInputError(f"unknown optimizer {self.optimizer!r} (choose from adam, sgd)")

    def describe(self) -> str:
        return (f"{self.family.upper() if self.family != 'transformer' else 'Transformer'} "
                f"{format_count(self.params)} params, {format_count(self.samples)} samples × {self.epochs} "
                f"epoch{'s' if self.epochs != 1 else ''}, batch {self.batch_size}, {self.precision}, "
                f"{'Adam' if self.optimizer == 'adam' else 'SGD'}")  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DeviceVerdict:
    device: str  # "cpu", "cuda:0", "mps" or a catalog GPU name (estimate)
    label: str
    kind: Literal["cpu", "gpu"]
    source: Source
    basis: str
    step_s: float | None = None
    step_ci95: tuple[float, float] | None = None
    time_s: float | None = None
    time_ci95: tuple[float, float] | None = None
    usd_per_hour: float | None = None
    price_note: str = ""
    cost_usd: float | None = None  # per second, 60 s minimum
    cost_hourly_usd: float | None = None  # per started hour
    speedup: float | None = None
    speedup_ci95: tuple[float, float] | None = None
    price_ratio: float | None = None
    outcome: Outcome | None = None  # GPUs only
    fits: bool | None = None
    memory_needed: int | None = None
    memory_available: int | None = None
    largest_batch: int | None = None
    note: str = ""

    @property
    def estimated(self) -> bool:
        return self.source in ("estimate", "extrapolated")

    def speedup_text(self, band: str = " ({})") -> str:
        """ "1×" for the CPU, else the speedup followed by its CI (or estimate band) formatted into ``band``."""
        if self.kind == "cpu":
            return "1×"
        if self.speedup is None:
            return "n/a"
        ci = band.format(format_band(*self.speedup_ci95)) if self.speedup_ci95 else ""
        return format_ratio(self.speedup) + ci

    @property
    def display_label(self) -> str:
        return f"{self.label} (estimate)" if self.estimated else self.label

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["estimated"] = self.estimated
        return d


@dataclass(frozen=True)
class BreakEven:
    dimension: Literal["samples", "params"]
    value: float | None
    direction: Literal["above", "below", ""]  # the GPU pays above / below the value
    reason: str
    estimated: bool

    @property
    def text(self) -> str:
        what = "dataset size" if self.dimension == "samples" else "model size"
        unit = "samples" if self.dimension == "samples" else "parameters"
        if self.value is None:
            return f"Break-even {what}: none — {self.reason}"
        tag = " (estimate)" if self.estimated else ""
        return (f"Break-even {what}{tag}: the GPU pays {self.direction} ~{format_count(self.value)} {unit} "
                f"({self.reason})")  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "text": self.text}


@dataclass(frozen=True)
class Verdict:
    workload: Workload
    prices: PriceSettings
    cpu: DeviceVerdict
    gpus: tuple[DeviceVerdict, ...]
    primary: str  # device of the GPU the sentence is about
    outcome: Overall
    sentence: str
    break_even_samples: BreakEven | None
    break_even_params: BreakEven | None
    memory_lines: tuple[str, ...]
    idle_hour: str
    architecture: str = ""
    rules: tuple[str, ...] = (TIE_RULE, BILLING_RULE, CI_RULE)
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def estimated(self) -> bool:
        """True when the sentence rests on an estimate (the CPU's or the GPU's time)."""
        g = self.primary_gpu
        return self.cpu.estimated or (g is not None and g.estimated)

    @property
    def primary_gpu(self) -> DeviceVerdict | None:
        return next((g for g in self.gpus if g.device == self.primary), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "workload": self.workload.to_dict(), "architecture": self.architecture,
            "prices": self.prices.to_dict(), "price_ratio": self.prices.ratio, "outcome": self.outcome,
            "sentence": self.sentence, "estimated": self.estimated, "primary": self.primary,
            "cpu": self.cpu.to_dict(), "gpus": [g.to_dict() for g in self.gpus],
            "break_even_samples": self.break_even_samples.to_dict() if self.break_even_samples else None,
            "break_even_params": self.break_even_params.to_dict() if self.break_even_params else None,
            "memory": list(self.memory_lines), "idle_hour": self.idle_hour, "rules": list(self.rules),
            "notes": list(self.notes),
        }  # fmt: skip

    def table_rows(self) -> list[list[str]]:
        """Rows of [device, time to train, speedup, $/h, job cost, per started hour, pays?] for people."""
        rows = []
        for d in (self.cpu, *self.gpus):
            time = "n/a" if d.time_s is None else format_duration(d.time_s)
            if d.time_ci95 and d.time_s is not None and d.source != "measured":
                time += f" ({format_duration(d.time_ci95[0])}–{format_duration(d.time_ci95[1])})"
            elif d.time_ci95 and d.time_s is not None:
                time += f" (±{_half_width(d.time_s, d.time_ci95):.0%})"
            speed = d.speedup_text()
            price = "n/a" if d.usd_per_hour is None else f"{d.usd_per_hour:.3g}"
            pays = {"pays": "yes", "does_not_pay": "no", "cant_tell": "can't tell", "does_not_fit": "doesn't fit",
                    "no_price": "no price", None: "—"}[d.outcome]  # fmt: skip
            rows.append([f"{d.label} [{d.source}]", time, speed, price, format_usd(d.cost_usd),
                         format_usd(d.cost_hourly_usd), pays])  # fmt: skip
        return rows

    def to_text(self) -> str:
        k = self.prices.ratio
        lines = [self.sentence, "", f"Workload: {self.workload.describe()}"]
        if self.architecture:
            lines.append(f"Model: {self.architecture}")
        lines.append(f"Prices: CPU ${self.prices.cpu_per_hour:.4g}/h, GPU ${self.prices.gpu_per_hour:.4g}/h "
                     f"(the price ratio k = {k:.2f}×)")  # fmt: skip
        lines.append("")
        header = ["Device", "Time to train", "Speedup", "$/h", "Job cost", "Per started hour", "Pays?"]
        rows = [header, *self.table_rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
        lines.append("")
        for b in (self.break_even_samples, self.break_even_params):
            if b is not None:
                lines.append(b.text)
        lines += [f"Memory: {m}" for m in self.memory_lines]
        lines.append(self.idle_hour)
        lines += self.notes
        estimated = [d for d in (self.cpu, *self.gpus) if d.estimated or d.source != "measured"]
        if estimated:
            lines.append("")
            lines.append("How the non-measured numbers were made:")
            lines += [f"  {d.label}: {d.basis}" for d in estimated]
        lines.append("")
        lines += [f"Rule: {r}" for r in self.rules]
        return "\n".join(lines)


def _half_width(center: float, ci: tuple[float, float]) -> float:
    return max(center - ci[0], ci[1] - center) / center if center > 0 else 0.0


# ---------------------------------------------------------------- decision rule


def decide(speedup: float, ci: tuple[float, float] | None, k: float) -> Outcome:
    """The article's rule with its tie and uncertainty handling (see module docstring)."""
    lo, hi = ci if ci is not None else (speedup, speedup)
    lo, hi = min(lo, speedup), max(hi, speedup)
    if lo > k * (1 + TIE_TOLERANCE):
        return "pays"
    if hi <= k * (1 + TIE_TOLERANCE):
        return "does_not_pay"
    return "cant_tell"


def speedup_ci(cpu_time: float, cpu_ci: tuple[float, float] | None, gpu_time: float,
               gpu_ci: tuple[float, float] | None) -> tuple[float, tuple[float, float]]:  # fmt: skip
    """Speedup T_cpu / T_gpu and its CI: relative uncertainties of both sides added in quadrature (log space)."""
    s = cpu_time / gpu_time

    def logs(t: float, ci: tuple[float, float] | None) -> tuple[float, float]:
        if ci is None or t <= 0:
            return 0.0, 0.0
        return math.log(t / max(ci[0], 1e-300)), math.log(max(ci[1], t) / t)

    c_lo, c_hi = logs(cpu_time, cpu_ci)
    g_lo, g_hi = logs(gpu_time, gpu_ci)
    down = math.hypot(max(c_lo, 0.0), g_hi)
    up = math.hypot(c_hi, max(g_lo, 0.0))
    return s, (s * math.exp(-down), s * math.exp(up))


def job_cost(seconds: float, usd_per_hour: float) -> tuple[float, float]:
    """(per-second cost with a 60 s minimum, cost per started hour)."""
    exact = usd_per_hour * max(seconds, MIN_BILLED_S) / 3600.0
    hourly = usd_per_hour * max(1, math.ceil(seconds / 3600.0 - 1e-9))
    return exact, hourly


# ---------------------------------------------------------------- time to train on one device


@dataclass(frozen=True)
class _Timing:
    source: Source
    basis: str
    step: float
    step_lo: float
    step_hi: float
    fixed: float
    epoch_s: float | None = None  # measured epoch time (same dataset size), else steps x step

    def time(self, w: Workload) -> tuple[float, tuple[float, float]]:
        spe = est.steps_per_epoch(w.samples, w.batch_size)
        epoch = self.epoch_s if self.epoch_s is not None else spe * self.step
        r_lo, r_hi = self.step_lo / self.step, self.step_hi / self.step
        t = w.epochs * epoch + self.fixed
        return t, (w.epochs * epoch * r_lo + self.fixed, w.epochs * epoch * r_hi + self.fixed)


def _candidates(points: Sequence[Point], device: str, w: Workload) -> list[Point]:
    return [p for p in points if p.device == device and p.status == "ok" and not p.estimated
            and p.step_time_s is not None and p.step_time_s.median > 0 and p.family == w.family
            and p.batch_size == w.batch_size and p.precision == w.precision and p.optimizer == w.optimizer]  # fmt: skip


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


def _measured_timing(cands: list[Point], spec: dict[str, Any], w: Workload) -> _Timing | None:
    target = int(spec["params"])
    exact = [p for p in cands if p.params == target]
    if exact:
        same = [p for p in exact if p.samples == w.samples]
        p = same[0] if same else max(exact, key=lambda q: q.samples)
        st = p.step_time_s
        assert st is not None
        fixed = p.fixed_overhead_s or 0.0
        if same and p.epoch_time_s is not None:
            basis = "measured" + (" (epoch time extrapolated from measured steps)" if p.epoch_time_extrapolated
                                  else "")  # fmt: skip
            return _Timing("measured", basis, st.median, st.ci95[0], st.ci95[1], fixed, p.epoch_time_s)
        basis = (
            f"measured step time ({format_duration(st.median)} at {format_count(p.samples)} samples) × "
            f"{est.steps_per_epoch(w.samples, w.batch_size):,} steps/epoch + measured fixed overhead"
        )
        return _Timing("scaled", basis, st.median, st.ci95[0], st.ci95[1], fixed)
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
    basis = (f"interpolated (log-log) between measured {format_count(xs[i])} and {format_count(xs[i + 1])} "
             f"parameter points")  # fmt: skip
    return _Timing("interpolated", basis, step, step * min(_interp(fx, lo, target), 1.0),
                   step * max(_interp(fx, hi, target), 1.0), _interp(fx, fixeds, target))  # fmt: skip


def _known_flops(points: Sequence[Point], spec: dict[str, Any], batch_size: int) -> float | None:
    """A measured point's FlopCounterMode count for this very model and batch (saves counting again)."""
    return next((p.flops_per_step for p in points if p.flops_per_step and p.batch_size == batch_size
                 and p.architecture == spec), None)  # fmt: skip


def _estimated_timing(model: est.DeviceModel, spec: dict[str, Any], w: Workload, cands: list[Point],
                      flops_method: str, flops: float | None) -> _Timing:  # fmt: skip
    e = est.estimate_step(model, spec, w.batch_size, precision=w.precision, optimizer=w.optimizer, flops=flops,
                          flops_method=flops_method)  # fmt: skip
    step = e.step_s
    fixed = model.fixed_overhead_s + (4 * int(spec["params"]) / (model.host_link_gbs * 1e9)
                                      if model.host_link_gbs else 0.0)  # fmt: skip
    basis = f"{e.basis}; limited by {e.bound}"
    source: Source = "estimate"
    if cands:
        # anchor: scale the estimate by how far it was off at the nearest measured model size
        near = min(cands, key=lambda p: abs(math.log(p.params / int(spec["params"]))))
        ne = est.estimate_step(model, near.architecture, near.batch_size, precision=near.precision,
                               optimizer=near.optimizer, flops=near.flops_per_step)  # fmt: skip
        assert near.step_time_s is not None
        factor = near.step_time_s.median / ne.step_s
        step *= factor
        fixed = near.fixed_overhead_s if near.fixed_overhead_s is not None else fixed
        source = "extrapolated"
        basis = (f"extrapolated: {basis}; scaled ×{factor:.2f} to match the measured "
                 f"{format_count(near.params)}-parameter point")  # fmt: skip
    return _Timing(source, basis, step, step / model.spread, step * model.spread, fixed)


def _timing(model: est.DeviceModel | None, points: Sequence[Point], device: str, spec: dict[str, Any],
            w: Workload, flops_method: str) -> _Timing | None:  # fmt: skip
    cands = _candidates(points, device, w)
    t = _measured_timing(cands, spec, w)
    if t is not None or model is None:
        return t
    return _estimated_timing(model, spec, w, cands, flops_method, _known_flops(points, spec, w.batch_size))


# ---------------------------------------------------------------- memory


_MemoryFit = tuple[int | None, bool | None, int | None]
# pure in (spec, batch, optimizer, precision, available) and asked again on every recompute: remembered
_MEMORY_CACHE: dict[Any, _MemoryFit] = {}
_SPEC_CACHE: dict[tuple[str, int], dict[str, Any]] = {}
_CACHE_MAX = 4096


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= _CACHE_MAX:
        cache.pop(next(iter(cache)))  # oldest first: dicts keep insertion order
    cache[key] = value


def _memory(spec: dict[str, Any], w: Workload, available: int | None) -> _MemoryFit:
    try:
        key = (est.frozen_key(spec), w.batch_size, w.optimizer, w.precision, available)
        hit = _MEMORY_CACHE.get(key)
    except TypeError:  # an unhashable value in a hand-edited spec: no cache
        return _memory_uncached(spec, w, available)
    if hit is None:
        hit = _memory_uncached(spec, w, available)
        _remember(_MEMORY_CACHE, key, hit)
    return hit


def _grid_spec(family: str, target: int) -> dict[str, Any]:
    """``build_spec`` for the break-even grid, remembered (callers must not mutate the result)."""
    spec = _SPEC_CACHE.get((family, target))
    if spec is None:
        from gpuwise.core.bench.workloads import build_spec

        spec = build_spec(family, target)
        _remember(_SPEC_CACHE, (family, target), spec)
    return spec


def _memory_uncached(spec: dict[str, Any], w: Workload, available: int | None) -> _MemoryFit:
    from gpuwise.core.bench import memory

    needed = memory.estimate_training_memory(spec, w.batch_size, optimizer=w.optimizer,
                                             precision=w.precision).total  # fmt: skip
    if available is None:
        return needed, None, None
    largest = memory.largest_batch_that_fits(spec, available, optimizer=w.optimizer, precision=w.precision)
    return needed, needed <= available, largest


def _memory_line(d: DeviceVerdict, w: Workload) -> str:
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


def _cpu_available(report: Report) -> int | None:
    cpu = report.machine.get("cpu")
    if isinstance(cpu, dict):
        for key in ("ram_available", "ram_total"):
            v = cpu.get(key)
            if isinstance(v, int) and v > 0:
                from gpuwise.core.bench.memory import USABLE_FRACTION

                return int(v * USABLE_FRACTION)
    return None


def _measured_gpu_memory(report: Report, device: str) -> int | None:
    for g in report.machine.get("gpus") or []:
        if isinstance(g, dict) and g.get("id") == device and isinstance(g.get("memory_total"), int):
            return int(g["memory_total"] * est.GPU_USABLE_FRACTION)
    return None


# ---------------------------------------------------------------- the verdict


def default_workload(report: Report) -> Workload:
    """The report's largest measured CPU workload (the one a user most likely cares about)."""
    cpu = [p for p in report.points if p.device == "cpu" and p.status == "ok" and not p.estimated]
    if not cpu:
        raise UserInputError(
            "the report has no measured CPU points: the verdict compares GPUs against this CPU, so measure the "
            "CPU first (gpuwise bench --devices cpu)")  # fmt: skip
    p = max(cpu, key=lambda q: (q.params, q.samples, q.epochs))
    return Workload(family=p.family, params=p.params, samples=p.samples, epochs=p.epochs,
                    batch_size=p.batch_size, precision=p.precision, optimizer=p.optimizer)  # fmt: skip


def _spec_for(report: Report, w: Workload) -> dict[str, Any]:
    for p in report.points:
        if p.family == w.family and p.params == w.params and p.architecture.get("family") == w.family:
            return dict(p.architecture)
    from gpuwise.core.bench.workloads import build_spec

    spec = build_spec(w.family, w.params)
    # the user's size may round to a model measured under its exact count
    for p in report.points:
        if p.family == w.family and p.params == spec["params"] and p.architecture.get("family") == w.family:
            return dict(p.architecture)
    return spec


def _logical_cores(report: Report) -> int | None:
    cpu = report.machine.get("cpu")
    v = cpu.get("logical_cores") if isinstance(cpu, dict) else None
    return v if isinstance(v, int) and v > 0 else None


def _gpu_price(name: str, is_primary: bool, prices: PriceSettings) -> tuple[float | None, str]:
    if is_primary:
        return prices.gpu_per_hour, (f"preset {prices.gpu_preset}" if prices.gpu_preset else "your price")
    preset = list_price(name) if _is_catalog(name) else None
    if preset is None:
        return None, "no rental price known (a GPU one buys rather than rents)"
    return preset.usd_per_hour, f"list price: {preset.label}, {preset.date}"


def _price_measured_gpu(points: Sequence[Point], device: str, prices: PriceSettings, notes: list[str]) -> PriceSettings:
    """A preset price is for one GPU model: a measured GPU of another model gets its own list price, or a warning.

    A price the user typed (no preset) is theirs and is kept.
    """
    if not prices.gpu_preset:
        return prices
    from gpuwise.core.prices import find_preset

    name = next((p.device_name for p in points if p.device == device and p.device_name), device)
    match = match_device_name(name)
    try:
        preset_gpu = find_preset(prices.gpu_preset).gpu
    except UserInputError:
        preset_gpu = prices.gpu
    if match is not None and preset_gpu and normalize_name(preset_gpu) == normalize_name(match.name):
        return prices
    listed = list_price(match.name) if match is not None else None
    if listed is not None:
        notes.append(f"The measured {name} is priced at its list price ({listed.label}, {listed.date}).")
        return replace(prices, gpu_per_hour=listed.usd_per_hour, gpu_preset=listed.name, gpu=listed.gpu)
    sibling = _priced_sibling(match) if match is not None else None
    if sibling is not None:
        notes.append(f"No list price is known for the measured {name}: it is priced like the {sibling.gpu} "
                     f"(the same {match.architecture if match else ''} chip class; {sibling.label}, {sibling.date}). "
                     f"Set its real price (--gpu-price, or the GPU price in the app).")  # fmt: skip
        return replace(prices, gpu_per_hour=sibling.usd_per_hour, gpu_preset=sibling.name, gpu=sibling.gpu)
    notes.append(
        f"No list price is known for the measured {name}: it is priced like the {preset_gpu or 'preset'} "
        f"(${prices.gpu_per_hour:g}/h). Set its real price (--gpu-price, or the GPU price in the app)."
    )
    return prices


def _priced_sibling(gpu: GpuSpec) -> Any:
    """The list price of the catalog GPU of the same architecture closest in fp32 peak, or None."""
    from gpuwise.core.catalog import load_catalog

    priced = [(g, list_price(g.name)) for g in load_catalog() if g.architecture == gpu.architecture and g != gpu]
    priced = [(g, pr) for g, pr in priced if pr is not None]
    if not priced:
        return None
    return min(priced, key=lambda gp: abs(gp[0].fp32_tflops - gpu.fp32_tflops))[1]


def _is_catalog(name: str) -> bool:
    try:
        find_gpu(name)
    except UserInputError:
        return False
    return True


def compute_verdict(
    report: Report,
    workload: Workload | None = None,
    *,
    prices: PriceSettings | None = None,
    compare: Sequence[str] = (),
    flops_method: str = "auto",
) -> Verdict:
    """The verdict for ``workload`` (default: the report's largest CPU workload) at ``prices``.

    ``compare``: catalog GPU names to estimate. Without a measured GPU and without names, the default comparison
    (``DEFAULT_COMPARISON``) is used, so the verdict always has a GPU to talk about.
    """
    default = default_workload(report)  # also: refuses a report without CPU points
    w = workload or default
    prices = prices or default_prices(_logical_cores(report))
    notes: list[str] = []
    spec = _spec_for(report, w)
    points = report.points
    cpu_model = est.cpu_model(report)

    # --- the CPU
    cpu_t = _timing(cpu_model, points, "cpu", spec, w, flops_method)
    assert cpu_t is not None
    cpu_time, cpu_ci = cpu_t.time(w)
    cpu_cost, cpu_hourly = job_cost(cpu_time, prices.cpu_per_hour)
    need, fits, largest = _memory(spec, w, _cpu_available(report))
    cpu_label = cpu_model.label
    cpu = DeviceVerdict(
        device="cpu", label=cpu_label, kind="cpu", source=cpu_t.source, basis=cpu_t.basis, step_s=cpu_t.step,
        step_ci95=(cpu_t.step_lo, cpu_t.step_hi), time_s=cpu_time, time_ci95=cpu_ci,
        usd_per_hour=prices.cpu_per_hour,
        price_note=f"preset {prices.cpu_preset}" if prices.cpu_preset else "your price",
        cost_usd=cpu_cost, cost_hourly_usd=cpu_hourly, fits=fits, memory_needed=need,
        memory_available=_cpu_available(report), largest_batch=largest,
    )  # fmt: skip

    # --- which GPUs
    measured_gpus = list(dict.fromkeys(
        p.device for p in points if p.device != "cpu" and p.status == "ok" and not p.estimated))  # fmt: skip
    catalog: list[GpuSpec] = []
    for name in compare:
        g = find_gpu(name)
        if g not in catalog:
            catalog.append(g)
    if not measured_gpus and not catalog:
        catalog = [find_gpu(n) for n in DEFAULT_COMPARISON]
        notes.append(f"No GPU was measured: comparing with estimates for {', '.join(DEFAULT_COMPARISON)} "
                     f"(pick others: 'Compare with…' in the app, --gpu on the command line).")  # fmt: skip
    if prices.gpu and not measured_gpus:
        g = find_gpu(prices.gpu)
        if g not in catalog:
            catalog.insert(0, g)
    if measured_gpus:
        primary = measured_gpus[0]
        prices = _price_measured_gpu(points, primary, prices, notes)
    elif prices.gpu and _is_catalog(prices.gpu):
        primary = find_gpu(prices.gpu).name
    else:
        primary = catalog[0].name

    gpus: list[DeviceVerdict] = []
    for dev in measured_gpus:
        dev_points = [p for p in points if p.device == dev]
        name = next((p.device_name for p in dev_points if p.device_name), dev)
        match = match_device_name(name)
        model = est.gpu_model(match) if match else None
        avail = _measured_gpu_memory(report, dev) or (model.memory_bytes if model else None)
        gpus.append(_gpu_verdict(dev, name, model, avail, points, spec, w, cpu, prices, dev == primary,
                                 flops_method, price_name=match.name if match else dev))  # fmt: skip
    for g in catalog:
        model = est.gpu_model(g)
        gpus.append(_gpu_verdict(g.name, g.name, model, model.memory_bytes, points, spec, w, cpu, prices,
                                 g.name == primary, flops_method, price_name=g.name))  # fmt: skip

    prim = next(g for g in gpus if g.device == primary)
    outcome, sentence = _sentence(cpu, prim, w)
    if outcome != "gpu_pays":
        better = [g for g in gpus if g.outcome == "pays" and g.cost_usd is not None]
        if better:
            b = min(better, key=lambda g: g.cost_usd or 0.0)
            assert b.speedup is not None and b.price_ratio is not None
            sentence += (f" But the {b.label} pays{' (estimate)' if b.estimated else ''}: "
                         f"{format_ratio(b.speedup)} faster at {format_ratio(b.price_ratio)} the price "
                         f"({format_usd(b.cost_usd)}, {b.price_note}).")  # fmt: skip
    be_samples = _break_even_samples(cpu_t, prim, points, spec, w, prices, flops_method, cpu_model)
    be_params = _break_even_params(report, cpu_model, prim, w, prices, flops_method)
    idle = (f"An idle hour costs {format_usd(prim.usd_per_hour)} on the {prim.label} machine (vs "
            f"{format_usd(prices.cpu_per_hour)} for the CPU): rented machines bill while they wait.")  # fmt: skip
    from gpuwise.core.bench.workloads import describe

    return Verdict(
        workload=w, prices=prices, cpu=cpu, gpus=tuple(gpus), primary=primary, outcome=outcome,
        sentence=sentence, break_even_samples=be_samples, break_even_params=be_params,
        memory_lines=tuple(_memory_line(d, w) for d in (cpu, *gpus)), idle_hour=idle,
        architecture=describe(spec), notes=tuple(notes),
    )  # fmt: skip


def _gpu_verdict(device: str, label: str, model: est.DeviceModel | None, available: int | None,
                 points: Sequence[Point], spec: dict[str, Any], w: Workload, cpu: DeviceVerdict,
                 prices: PriceSettings, is_primary: bool, flops_method: str, *,
                 price_name: str) -> DeviceVerdict:  # fmt: skip
    need, fits, largest = _memory(spec, w, available)
    price, price_note = _gpu_price(price_name, is_primary, prices)
    common: dict[str, Any] = dict(device=device, label=label, kind="gpu", usd_per_hour=price,
                                  price_note=price_note, fits=fits, memory_needed=need,
                                  memory_available=available, largest_batch=largest)  # fmt: skip
    t = _timing(model, points, device, spec, w, flops_method)
    if t is None:
        return DeviceVerdict(source="estimate", basis="no measurement for this workload and no catalog entry to "
                             "estimate from", note="unknown GPU", **common)  # fmt: skip
    time_s, time_ci = t.time(w)
    k = price / prices.cpu_per_hour if price is not None else None
    assert cpu.time_s is not None
    s, s_ci = speedup_ci(cpu.time_s, cpu.time_ci95, time_s, time_ci)
    cost, hourly = job_cost(time_s, price) if price is not None else (None, None)
    outcome: Outcome
    if fits is False:
        outcome = "does_not_fit"
    elif k is None:
        outcome = "no_price"
    else:
        outcome = decide(s, s_ci, k)
    note = ""
    if outcome == "pays" and cost is not None and cpu.cost_usd is not None and cost >= cpu.cost_usd:
        # the rule holds on time, but a job this short is billed the minimum on both: money decides
        outcome, note = "does_not_pay", "billing minimum"
    return DeviceVerdict(
        note=note,
        source=t.source, basis=t.basis, step_s=t.step, step_ci95=(t.step_lo, t.step_hi), time_s=time_s,
        time_ci95=time_ci, cost_usd=cost, cost_hourly_usd=hourly, speedup=s, speedup_ci95=s_ci, price_ratio=k,
        outcome=outcome, **common,
    )  # fmt: skip


def _sentence(cpu: DeviceVerdict, g: DeviceVerdict, w: Workload) -> tuple[Overall, str]:
    name = g.label
    tag = " (estimate)" if g.estimated or cpu.estimated else ""
    ci_name = "estimated range" if g.estimated or cpu.estimated else "95 % CI"
    if g.outcome == "does_not_fit":
        need = f"needs ~{format_bytes(g.memory_needed or 0)} for weights, gradients, optimizer state and activations"
        if cpu.fits is False:
            return "nothing_fits", (f"Neither this CPU nor the {name} can train this model at batch {w.batch_size}: "
                                    f"it {need} — see the memory lines and the large-model projection.")  # fmt: skip
        lb = f"; the largest batch that fits is {g.largest_batch:,}" if g.largest_batch else ""
        return "stay_on_cpu", (f"Stay on the CPU: this model does not fit in the {name}'s memory at batch "
                               f"{w.batch_size} ({need}){lb}.")  # fmt: skip
    if g.speedup is None or g.speedup_ci95 is None or g.price_ratio is None:
        return "cant_tell", (f"Can't tell yet: the {name} was not measured for this workload and is not in the "
                             f"GPU catalog to estimate from.")  # fmt: skip
    assert g.speedup is not None and g.speedup_ci95 is not None and g.price_ratio is not None
    s, (lo, hi), k = g.speedup, g.speedup_ci95, g.price_ratio
    faster = f"{format_ratio(s)} faster" if s >= 1 else f"slower ({format_ratio(s)} the CPU's speed)"
    band = f"({format_band(lo, hi)}{', estimate' if tag else ''})"
    if g.outcome == "pays":
        return "gpu_pays", (
            f"A GPU pays{tag}: the {name} is {faster} {band} at {format_ratio(k)} the price — "
            f"the job costs {format_usd(g.cost_usd)} instead of {format_usd(cpu.cost_usd)}."
        )
    if g.outcome == "does_not_pay" and g.note == "billing minimum":
        return "stay_on_cpu", (f"Stay on the CPU{tag}: the {name} is {faster} {band} at {format_ratio(k)} the "
                               f"price, but the job is so short that the {MIN_BILLED_S:.0f}-second billing "
                               f"minimum makes it cost {format_usd(g.cost_usd)} instead of "
                               f"{format_usd(cpu.cost_usd)}.")  # fmt: skip
    if g.outcome == "does_not_pay":
        how = f"only {faster}" if s >= 1 else faster
        return "stay_on_cpu", (f"Stay on the CPU{tag}: the {name} is {how} {band} at {format_ratio(k)} the "
                               f"price — the job costs {format_usd(cpu.cost_usd)} on the CPU instead of "
                               f"{format_usd(g.cost_usd)}.")  # fmt: skip
    return "cant_tell", (f"Can't tell yet{tag}: the speedup's {ci_name} ({format_band(lo, hi)}) straddles the "
                         f"price ratio {format_ratio(k)} — the {name} job would cost {format_usd(g.cost_usd)} "
                         f"vs {format_usd(cpu.cost_usd)} on the CPU; measure longer or a bigger workload.")  # fmt: skip


# ---------------------------------------------------------------- break-even


def _break_even_samples(cpu_t: _Timing, g: DeviceVerdict, points: Sequence[Point], spec: dict[str, Any],
                        w: Workload, prices: PriceSettings, flops_method: str,
                        cpu_model: est.DeviceModel) -> BreakEven | None:  # fmt: skip
    """Dataset size where T_cpu / T_gpu crosses k, with T = epochs x steps x step + fixed overhead (linear)."""
    if g.price_ratio is None or g.step_s is None or g.time_s is None or g.outcome == "does_not_fit":
        return None
    k = g.price_ratio
    estimated = g.estimated or cpu_t.source in ("estimate", "extrapolated")
    a_c, a_g = cpu_t.step, g.step_s
    f_c = cpu_t.fixed
    # the GPU's fixed overhead: time minus its steps
    f_g = max(0.0, g.time_s - w.epochs * est.steps_per_epoch(w.samples, w.batch_size) * a_g)
    step_speedup = a_c / a_g
    basis = (
        f"per-step speedup {format_ratio(step_speedup)}, fixed overheads {format_duration(f_c)} (CPU) and "
        f"{format_duration(f_g)} (GPU), {w.epochs} epoch{'s' if w.epochs != 1 else ''}"
    )
    denom = a_c - k * a_g
    num = k * f_g - f_c
    if denom <= 0:
        if num < 0:
            return BreakEven("samples", None, "", f"the GPU pays only on tiny datasets whose CPU start-up "
                             f"dominates ({basis})", estimated)  # fmt: skip
        return BreakEven("samples", None, "", f"no dataset is big enough: the per-step speedup "
                         f"{format_ratio(step_speedup)} never exceeds the price ratio {format_ratio(k)}",
                         estimated)  # fmt: skip
    steps = num / denom  # total steps over all epochs
    if steps <= 0:
        return BreakEven("samples", None, "", f"the GPU pays at any dataset size ({basis})", estimated)
    samples = steps / w.epochs * w.batch_size
    return BreakEven("samples", samples, "above", basis, estimated)


def _break_even_params(report: Report, cpu_model: est.DeviceModel, g: DeviceVerdict, w: Workload,
                       prices: PriceSettings, flops_method: str) -> BreakEven | None:  # fmt: skip
    """Model size where the speedup crosses k: both curves on a log grid, the crossing interpolated in log space."""
    if g.price_ratio is None:
        return None
    from gpuwise.core.bench.workloads import MAX_PARAMS, MIN_PARAMS

    k = g.price_ratio
    gpu_model = est.gpu_model(g.device) if _is_catalog(g.device) else None
    if gpu_model is None:
        match = match_device_name(g.label)
        gpu_model = est.gpu_model(match) if match else None
    gpu_available = g.memory_available
    grid = [round(10 ** (3 + i * 0.25)) for i in range(int((math.log10(MAX_PARAMS) - 3) / 0.25) + 1)]
    grid = [p for p in grid if MIN_PARAMS <= p <= MAX_PARAMS]
    cpu_avail = _cpu_available(report)
    xs: list[float] = []
    ratios: list[float] = []
    estimated = False
    # the grid varies only the model size: filter the points by the rest of the workload once, not per size
    cpu_points = _candidates(report.points, "cpu", w)
    gpu_points = _candidates(report.points, g.device, w)
    for target in grid:
        spec = _grid_spec(w.family, target)
        if not MIN_PARAMS <= spec["params"] <= MAX_PARAMS:
            continue  # the family's size rules can land just outside the range
        pw = replace(w, params=int(spec["params"]))
        need, fits_gpu, _ = _memory(spec, pw, gpu_available)
        if fits_gpu is False or (cpu_avail is not None and need is not None and need > cpu_avail):
            break  # beyond what the devices can hold, the curve ends
        ct = _timing(cpu_model, cpu_points, "cpu", spec, pw, "analytic")
        gt = _timing(gpu_model, gpu_points, g.device, spec, pw, "analytic")
        if ct is None or gt is None:
            continue
        estimated = estimated or ct.source in ("estimate", "extrapolated") or gt.source in ("estimate", "extrapolated")
        xs.append(float(spec["params"]))
        ratios.append(ct.time(pw)[0] / gt.time(pw)[0])
    if len(xs) < 2:
        return None
    lo_x, hi_x = format_count(xs[0]), format_count(xs[-1])
    for (x0, r0), (x1, r1) in itertools.pairwise(zip(xs, ratios, strict=True)):
        d0, d1 = math.log(r0 / k), math.log(r1 / k)
        if (d0 <= 0 < d1) or (d0 > 0 >= d1):
            f = d0 / (d0 - d1)
            x = math.exp(math.log(x0) + f * (math.log(x1) - math.log(x0)))
            direction: Literal["above", "below"] = "above" if d1 > 0 else "below"
            epochs = f"{w.epochs} epoch{'s' if w.epochs != 1 else ''}"
            return BreakEven("params", x, direction,
                             f"{w.family}, {format_count(w.samples)} samples × {epochs}, batch {w.batch_size}; "
                             f"speedup curve crosses {format_ratio(k)} between {format_count(x0)} and "
                             f"{format_count(x1)}", estimated)  # fmt: skip
    if ratios[0] > k:
        reason = f"the GPU pays at every model size from {lo_x} to {hi_x} (then memory runs out)"
    else:
        reason = (f"the speedup stays below the price ratio {format_ratio(k)} for every model size from {lo_x} "
                  f"to {hi_x} (best: {format_ratio(max(ratios))})")  # fmt: skip
    return BreakEven("params", None, "", reason, estimated)
