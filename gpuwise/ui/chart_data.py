"""What each chart plots, computed from points and micro-benchmarks.

No Qt here: the models are plain values, cheap to test, and shared by the live widget, the exporters and the CSV.
Every plotted number carries its kind (measured / extrapolated / estimate) so the views can style it honestly.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from gpuwise.core.bench import families
from gpuwise.core.decide import (
    PAYS_WORDS,
    Billing,
    PriceBook,
    cost_crossovers,
    cost_range,
    decide_costs,
    format_ratio,
    format_usd,
)
from gpuwise.core.devices import describe_cpu_peak
from gpuwise.core.report import MicroResult, Point
from gpuwise.core.units import format_bytes, format_count, format_duration, format_rate
from gpuwise.ui.chart_names import CHART_NAMES as CHART_NAMES  # re-exported: the models' home

Kind = Literal["measured", "extrapolated", "estimate"]
Metric = Literal["epoch", "train"]
METRICS: tuple[Metric, ...] = ("epoch", "train")
DEFAULT_PRICE_RATIO = 3.0
PLACEHOLDER = "Run a comparison or open a report"


@dataclass(frozen=True)
class Mark:
    """One plotted point, in data units (the views take log10 where the axis is logarithmic)."""

    x: float
    y: float
    kind: Kind
    tip: str
    lo: float | None = None  # error bar bounds in y units
    hi: float | None = None


@dataclass(frozen=True)
class Series:
    key: tuple[Any, ...]
    name: str  # legend text; says "(estimate)" for estimates
    device: str
    estimated: bool
    variant: int  # 0, 1, 2… among series of one device: shades them apart
    symbol_key: str  # precision: picks the marker shape
    role: str  # "main" or "secondary" (e.g. time to train next to epoch time)
    marks: tuple[Mark, ...]


@dataclass(frozen=True)
class Failure:
    """A point that could not be measured; drawn as a red × on the bottom edge at its x."""

    x: float
    tip: str


@dataclass(frozen=True)
class HLine:
    y: float
    label: str
    role: str  # "break-even" or "peak"
    device: str | None = None  # a GPU's own break-even line is drawn in its colour
    estimated: bool = False
    variant: int = 0
    short: str = ""  # the label on the line itself


@dataclass(frozen=True)
class Crossover:
    """Where a GPU's speedup curve crosses the break-even price ratio."""

    series: str
    device: str
    x: float
    direction: Literal["up", "down"]  # "up": the GPU pays above x; "down": below x
    estimated: bool  # any point of the curve is an estimate
    text: str  # e.g. "GPU pays above ~3.2M params"
    series_estimated: bool = False  # the curve is a catalog GPU's (its colour comes from the estimate hues)
    variant: int = 0
    y: float = 0.0  # the GPU's own break-even price ratio, where the star sits


@dataclass(frozen=True)
class Note:
    """A line of text beside the chart (e.g. a speedup verdict), coloured like its series when it has one."""

    text: str
    device: str | None = None
    estimated: bool = False
    variant: int = 0
    priority: int = 0  # where space is short, higher goes first (crossovers: 1)


@dataclass(frozen=True)
class Bar:
    label: str
    device: str
    kind: str
    value: float
    tip: str
    value_text: str = ""  # the number over the bar; its unit is on the axis


def _bar_value_text(value: float) -> str:
    """``3580`` not ``3.58e+03``, ``19.3``: short enough to sit over a bar without touching its neighbour's."""
    return f"{value:.0f}" if abs(value) >= 99.95 else f"{value:.3g}"


@dataclass(frozen=True)
class ChartModel:
    name: str
    title: str
    x_label: str
    y_label: str
    x_log: bool
    y_log: bool
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    series: list[Series] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    hlines: list[HLine] = field(default_factory=list)
    crossovers: list[Crossover] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    bar_y_label: str = ""
    placeholder: str = PLACEHOLDER

    @property
    def has_data(self) -> bool:
        return bool(self.series or self.failures or self.bars)


@dataclass(frozen=True)
class ChartInputs:
    points: list[Point]
    estimates: list[Point]
    micro: list[MicroResult]
    machine: dict[str, Any]
    pricing: PriceBook = field(default_factory=lambda: PriceBook.flat(DEFAULT_PRICE_RATIO))
    # What the person picked above the charts. None: the default (the largest size measured).
    model_size: int | None = None
    metric: Metric = "epoch"
    speedup_samples: int | None = None
    # The job the verdict prices: the speedup chart compares times to train this many epochs (None: as measured)
    job_epochs: int | None = None
    # data-parallel points (gpuwise.ui.scaling_chart); ``points`` holds the single-process ones
    scaling_points: list[Point] = field(default_factory=list)

    @property
    def all_points(self) -> list[Point]:
        return [*self.points, *self.estimates]


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


def build_model(name: str, inputs: ChartInputs) -> ChartModel:
    builders: dict[str, Callable[[ChartInputs], ChartModel]] = {
        "epoch-time": epoch_model,
        "throughput": throughput_model,
        "speedup": speedup_model,
        "matmul": micro_model,
        "scaling": _scaling_model,
    }
    if name not in builders:
        raise KeyError(f"unknown chart {name!r} (one of {', '.join(CHART_NAMES)})")
    return builders[name](inputs)


def _scaling_model(inputs: ChartInputs) -> ChartModel:
    from gpuwise.ui.scaling_chart import scaling_model  # it builds on this module's classes

    return scaling_model(inputs.scaling_points)


# ---------------------------------------------------------------- shared helpers


def split_device(device: str) -> tuple[str, str]:
    """``"cuda:0 · laptop"`` -> ``("cuda:0", "laptop")``: a compared report tags its devices with its name."""
    base, _, tag = device.partition(" · ")
    return base, tag


def is_cpu(device: str) -> bool:
    return split_device(device)[0] == "cpu"


def device_label(device: str, estimated: bool) -> str:
    return f"{device} (estimate)" if estimated else device


def _dim_label(dim: str, p: Point) -> str:
    if dim == "precision":
        return p.precision
    if dim == "family":
        return families.label(p.family)
    if dim == "params":
        return f"{format_count(p.params)} params"
    if dim == "samples":
        return f"{format_count(p.samples)} samples"
    if dim == "batch_size":
        return f"batch {p.batch_size}"
    if dim == "epochs":
        return f"{p.epochs} epochs"
    raise KeyError(dim)


def _varying(points: Iterable[Point], dims: Iterable[str]) -> list[str]:
    pts = list(points)
    return [d for d in dims if len({getattr(p, d) for p in pts}) > 1]


def _series_name(p: Point, dims: list[str]) -> str:
    return " · ".join([device_label(p.device, p.estimated), *(_dim_label(d, p) for d in dims)])


def _group(points: Iterable[Point], dims: list[str]) -> dict[tuple[Any, ...], list[Point]]:
    groups: dict[tuple[Any, ...], list[Point]] = {}
    for p in points:
        groups.setdefault((p.device, p.estimated, *(getattr(p, d) for d in dims)), []).append(p)
    return groups


def _variants(keys: Iterable[tuple[Any, ...]]) -> dict[tuple[Any, ...], int]:
    """0, 1, 2… per device, in key order: shades several curves of one device apart."""
    counts: dict[tuple[Any, bool], int] = {}
    out: dict[tuple[Any, ...], int] = {}
    for k in keys:
        dev = (k[0], k[1])
        out[k] = counts.get(dev, 0)
        counts[dev] = out[k] + 1
    return out


def _kind(p: Point, *, epoch: bool) -> Kind:
    if p.estimated:
        return "estimate"
    if epoch and p.epoch_time_extrapolated:
        return "extrapolated"
    return "measured"


def _point_header(p: Point) -> str:
    who = device_label(p.device, p.estimated)
    if p.device_name and p.device_name != p.device:
        who += f" · {p.device_name}"
    threads = f", {p.threads} threads" if is_cpu(p.device) and p.threads else ""
    arch = f"{families.label(p.family)} {format_count(p.params)} params"
    epochs = f"{p.epochs} epoch" + ("s" if p.epochs != 1 else "")
    return (
        f"{who} ({p.precision}{threads})\n{arch} · batch {p.batch_size} · {epochs}\n{format_count(p.samples)} samples"
    )


def _kind_line(p: Point, kind: Kind) -> str:
    if kind == "estimate":
        return "estimate" + (f": {p.estimate_basis}" if p.estimate_basis else " (not measured)")
    if kind == "extrapolated":
        n = p.step_time_s.n if p.step_time_s else 0
        measured = f" from {n} measured windows" if n else ""
        resident = (
            f" ({format_count(p.dataset_resident_samples)} samples held in RAM)"
            if p.dataset_resident_samples and p.dataset_resident_samples < p.samples
            else ""
        )
        return f"extrapolated{measured}{resident}"
    return "measured"


def _epoch_ci(p: Point) -> tuple[float | None, float | None]:
    st = p.step_time_s
    if p.epoch_time_s is None or st is None or st.median <= 0:
        return None, None
    scale = p.epoch_time_s / st.median
    return st.ci95[0] * scale, st.ci95[1] * scale


def _point_tip(p: Point, kind: Kind) -> str:
    lines = [_point_header(p)]
    if p.epoch_time_s is not None:
        lo, hi = _epoch_ci(p)
        ci = f" (95% CI {format_duration(lo)}–{format_duration(hi)})" if lo is not None and hi is not None else ""
        lines.append(f"epoch time: {format_duration(p.epoch_time_s)}{ci}")
    if p.time_to_train_s is not None:
        overhead = f" + {format_duration(p.fixed_overhead_s)} fixed overhead" if p.fixed_overhead_s else ""
        lines.append(f"time to train: {format_duration(p.time_to_train_s)} ({p.epochs} × epoch{overhead})")
    if p.samples_per_s is not None:
        lines.append(f"throughput: {format_rate(p.samples_per_s)}")
    lines.append(_kind_line(p, kind))
    if p.unstable:
        lines.append("unstable: step times varied by more than 10 %")
    return "\n".join(lines)


def _failure_tip(p: Point) -> str:
    msg = p.message.strip() or "no message"
    return f"{_point_header(p)}\n{p.status.upper()}: {msg}"


def _failures(points: Iterable[Point], x_of: Callable[[Point], float]) -> list[Failure]:
    return [Failure(x=float(x_of(p)), tip=_failure_tip(p)) for p in points if p.status != "ok"]


def _failure_rows(points: Iterable[Point], columns: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = []
    for p in points:
        if p.status == "ok":
            continue
        row = _blank_row(columns)
        row.update(_identity(p))
        row.update(series=device_label(p.device, p.estimated), kind="failed", status=p.status, message=p.message)
        rows.append({k: row[k] for k in columns})
    return rows


def _blank_row(columns: Iterable[str]) -> dict[str, Any]:
    return dict.fromkeys(columns, "")


def _identity(p: Point) -> dict[str, Any]:
    return {
        "device": p.device,
        "device_name": p.device_name,
        "precision": p.precision,
        "family": p.family,
        "params": p.params,
        "samples": p.samples,
        "batch_size": p.batch_size,
        "epochs": p.epochs,
    }


# ---------------------------------------------------------------- epoch time


EPOCH_COLUMNS = (
    "series",
    "device",
    "device_name",
    "precision",
    "family",
    "params",
    "samples",
    "batch_size",
    "epochs",
    "kind",
    "epoch_time_s",
    "epoch_time_ci95_low_s",
    "epoch_time_ci95_high_s",
    "time_to_train_s",
    "status",
    "message",
)


def epoch_model(inputs: ChartInputs) -> ChartModel:
    """One model size at a time (a legend of devices, not devices × sizes), epoch time or time to train."""
    size = selected_model_size(inputs)
    pts = [p for p in inputs.all_points if p.params == size]
    train = inputs.metric == "train"

    def value(p: Point) -> float | None:
        return p.time_to_train_s if train else p.epoch_time_s

    ok = [p for p in pts if p.status == "ok" and (value(p) or 0) > 0]
    dims = _varying(ok, ("precision", "family", "batch_size", "epochs"))
    groups = _group(ok, dims)
    variants = _variants(groups)
    series: list[Series] = []
    rows: list[dict[str, Any]] = []
    for key, group in groups.items():
        by_x = {p.samples: p for p in group}  # a re-measured size replaces the older point
        ordered = [by_x[s] for s in sorted(by_x)]
        first = ordered[0]
        name = _series_name(first, dims)
        marks = []
        for p in ordered:
            kind = _kind(p, epoch=True)
            lo, hi = (None, None) if train else _epoch_ci(p)
            v = value(p)
            assert v is not None
            marks.append(Mark(float(p.samples), v, kind, _point_tip(p, kind), lo, hi))
            row = _blank_row(EPOCH_COLUMNS)
            row.update(_identity(p))
            ci_lo, ci_hi = _epoch_ci(p)
            row.update(
                series=name,
                kind=kind,
                epoch_time_s=_blank(p.epoch_time_s),
                epoch_time_ci95_low_s=_blank(ci_lo),
                epoch_time_ci95_high_s=_blank(ci_hi),
                time_to_train_s=_blank(p.time_to_train_s),
                status=p.status,
                message=p.message,
            )
            rows.append(row)
        series.append(
            Series(
                key=key,
                name=name,
                device=first.device,
                estimated=first.estimated,
                variant=variants[key],
                symbol_key=first.precision,
                role="main",
                marks=tuple(marks),
            )
        )
    failed = [p for p in pts if p.status != "ok"]
    rows.extend(_failure_rows(failed, EPOCH_COLUMNS))
    notes = []
    if series and all(len(s.marks) == 1 for s in series):
        notes.append(Note("One dataset size so far: sweep several dataset sizes to see how training time grows."))
    epochs = sorted({p.epochs for p in ok})
    if train:
        n = f"{epochs[0]} epoch{'s' if epochs[0] != 1 else ''}" if len(epochs) == 1 else "all epochs"
        base, y_label = f"Time to train ({n}) vs dataset size", "time to train (s)"
    else:
        base, y_label = "Epoch time vs dataset size", "time per epoch (s)"
    return ChartModel(
        name="epoch-time",
        title=_title(base, ok, dims),
        x_label="dataset size (samples)",
        y_label=y_label,
        x_log=True,
        y_log=True,
        columns=EPOCH_COLUMNS,
        rows=rows,
        series=series,
        failures=_failures(failed, lambda p: p.samples),
        notes=notes,
    )


def _title(
    base: str, points: list[Point], varying: list[str], *, samples: int | None = None, epochs: int | None = None
) -> str:
    """The chart title names what every curve shares (e.g. the model) so the legend can stay short."""
    if not points:
        return base
    p = points[0]
    parts = [] if samples is None else [f"{format_count(samples)} samples"]
    if epochs is not None:
        parts.append(f"{epochs} epoch{'s' if epochs != 1 else ''}")
    if "family" not in varying and "params" not in varying and base.endswith("dataset size"):
        parts.append(f"{families.label(p.family)} {format_count(p.params)} params")
    elif "family" not in varying:
        parts.append(families.label(p.family))
    if "batch_size" not in varying:
        parts.append(f"batch {p.batch_size}")
    if "precision" not in varying:
        parts.append(p.precision)
    return f"{base} — {', '.join(parts)}" if parts else base


def _blank(v: float | None) -> float | str:
    return "" if v is None else v


# ---------------------------------------------------------------- throughput


THROUGHPUT_COLUMNS = (
    "series",
    "device",
    "device_name",
    "precision",
    "family",
    "batch_size",
    "params",
    "samples",
    "kind",
    "samples_per_s",
    "status",
    "message",
)


def throughput_model(inputs: ChartInputs) -> ChartModel:
    pts = inputs.all_points
    ok = [p for p in pts if p.status == "ok" and p.samples_per_s is not None and p.samples_per_s > 0]
    dims = _varying(ok, ("precision", "family", "batch_size"))
    groups = _group(ok, dims)
    variants = _variants(groups)
    series: list[Series] = []
    rows: list[dict[str, Any]] = []
    for key, group in groups.items():
        name = _series_name(group[0], dims)
        by_params: dict[int, list[Point]] = {}
        for p in group:
            by_params.setdefault(p.params, []).append(p)
        marks = []
        for params in sorted(by_params):
            same = by_params[params]
            # Throughput hardly depends on dataset size; several sizes of one model are one point (their median).
            value = statistics.median(p.samples_per_s or 0.0 for p in same)
            kind = _kind(same[0], epoch=False)
            tip = _point_tip(same[0], kind) if len(same) == 1 else _multi_tip(same, value, kind)
            marks.append(Mark(float(params), value, kind, tip))
            for p in same:
                row = _blank_row(THROUGHPUT_COLUMNS)
                row.update(_identity(p))
                row.update(series=name, kind=kind, samples_per_s=p.samples_per_s, status=p.status, message=p.message)
                rows.append({k: row[k] for k in THROUGHPUT_COLUMNS})
        first = group[0]
        series.append(
            Series(
                key=key,
                name=name,
                device=first.device,
                estimated=first.estimated,
                variant=variants[key],
                symbol_key=first.precision,
                role="main",
                marks=tuple(marks),
            )
        )
    failed = [p for p in pts if p.status != "ok"]
    rows.extend(_failure_rows(failed, THROUGHPUT_COLUMNS))
    notes = []
    if series and all(len(s.marks) == 1 for s in series):
        notes.append(Note("One model size so far: sweep several model sizes to see how throughput scales."))
    return ChartModel(
        name="throughput",
        title=_title("Training throughput vs model size", ok, dims),
        x_label="model size (parameters)",
        y_label="throughput (samples/s)",
        x_log=True,
        y_log=True,
        columns=THROUGHPUT_COLUMNS,
        rows=rows,
        series=series,
        failures=_failures(failed, lambda p: p.params),
        notes=notes,
    )


def _multi_tip(points: list[Point], value: float, kind: Kind) -> str:
    p = points[0]
    head = _point_header(p).rsplit("\n", 1)[0]
    per = ", ".join(
        f"{format_count(q.samples)}: {format_rate(q.samples_per_s or 0.0)}" for q in sorted(points, key=_samples)
    )
    return f"{head}\nthroughput: {format_rate(value)} (median over dataset sizes)\n{per}\n{_kind_line(p, kind)}"


def _samples(p: Point) -> int:
    return p.samples


# ---------------------------------------------------------------- speedup


SPEEDUP_COLUMNS = (
    "series",
    "gpu",
    "cpu",
    "precision",
    "family",
    "params",
    "samples",
    "batch_size",
    "basis",
    "cpu_value",
    "gpu_value",
    "unit",
    "speedup",
    "price_ratio",
    "kind",
    "status",
    "message",
    "pays",
)


def _basis(cpu: Point, gpu: Point, epochs: int | None = None) -> tuple[str, float, float, str] | None:
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


_PartnerKey = tuple[str, int, int, int, str]


def _cpu_index(cpus: list[Point]) -> dict[_PartnerKey, list[Point]]:
    """CPU points by workload and machine tag, one per (estimated, precision, batch) in their first order: a GPU
    point finds its partner without scanning every CPU point (a 50k-point report made that quadratic)."""
    index: dict[_PartnerKey, dict[tuple[bool, str, int], Point]] = {}
    for c in cpus:
        key = (c.family, c.params, c.samples, c.epochs, split_device(c.device)[1])
        index.setdefault(key, {}).setdefault((c.estimated, c.precision, c.batch_size), c)
    return {k: list(v.values()) for k, v in index.items()}


def _cpu_partner(gpu: Point, cpus: dict[_PartnerKey, list[Point]]) -> Point | None:
    """The CPU point to compare a GPU point with: same workload, same machine (tag), measured before estimated."""
    tag = split_device(gpu.device)[1] if not gpu.estimated else ""
    same = cpus.get((gpu.family, gpu.params, gpu.samples, gpu.epochs, tag))
    if not same:
        return None

    def rank(c: Point) -> tuple[bool, bool, bool, bool]:
        return (c.estimated, c.precision != gpu.precision, c.precision != "fp32", c.batch_size != gpu.batch_size)

    return min(same, key=rank)


def speedup_model(inputs: ChartInputs) -> ChartModel:
    pts = inputs.all_points
    book = inputs.pricing
    ok = [p for p in pts if p.status == "ok"]
    cpus = _cpu_index([p for p in ok if is_cpu(p.device)])
    pairs: list[tuple[Point, Point, tuple[str, float, float, str]]] = []
    for g in ok:
        if is_cpu(g.device):
            continue
        c = _cpu_partner(g, cpus)
        compared = _basis(c, g, inputs.job_epochs) if c is not None else None
        if c is not None and compared is not None:
            pairs.append((g, c, compared))
    chosen_samples = selected_speedup_samples(inputs)
    if chosen_samples is not None:
        # Model size on x, one dataset size at a time: one curve per GPU instead of GPUs × dataset sizes.
        pairs = [(g, c, b) for g, c, b in pairs if g.samples == chosen_samples]
    gpus = [g for g, _, _ in pairs]
    x_dim = "params" if chosen_samples is not None or len({g.params for g in gpus}) > 1 else "samples"
    x_unit = "params" if x_dim == "params" else "samples"
    other = "samples" if x_dim == "params" else "params"
    dims = _varying(gpus, ("precision", "family", other, "batch_size"))
    groups: dict[tuple[Any, ...], list[tuple[Point, Point, tuple[str, float, float, str]]]] = {}
    for g, c, b in pairs:
        groups.setdefault((g.device, g.estimated, *(getattr(g, d) for d in dims)), []).append((g, c, b))
    variants = _variants(groups)
    multi = len(groups) > 1
    series: list[Series] = []
    rows: list[dict[str, Any]] = []
    crossovers: list[Crossover] = []
    notes: list[Note] = []
    hlines: dict[float, HLine] = {}
    for key, group in groups.items():
        g0 = group[0][0]
        name = _series_name(g0, dims)
        gpu_price = book.gpu(split_device(g0.device)[0]) if not g0.estimated else book.gpu(g0.device)
        k = gpu_price / book.cpu_per_hour
        by_x = {getattr(g, x_dim): (g, c, b) for g, c, b in group}
        marks = []
        cpu_costs: list[float] = []
        gpu_costs: list[float] = []
        outcomes: list[str] = []
        for x in sorted(by_x):
            g, c, (basis, cv, gv, unit) = by_x[x]
            speedup = gv / cv if unit == "samples/s" else cv / gv
            c_cost, c_range = _job_cost(c, cv, unit, book.cpu_per_hour, book.billing)
            g_cost, g_range = _job_cost(g, gv, unit, gpu_price, book.billing)
            cpu_costs.append(c_cost)
            gpu_costs.append(g_cost)
            outcome = decide_costs(c_range, g_range)
            outcomes.append(outcome)
            kind: Kind = "estimate" if (g.estimated or c.estimated) else "measured"
            extrapolated = g.epoch_time_extrapolated or c.epoch_time_extrapolated
            if kind == "measured" and basis != "throughput" and extrapolated:
                kind = "extrapolated"
            fmt = format_rate if unit == "samples/s" else format_duration
            tip = (
                f"{_point_header(g)}\nspeedup {speedup:.3g}× on {basis}: "
                f"cpu {fmt(cv)} vs {g.device} {fmt(gv)}\n"
                f"pays: {PAYS_WORDS[outcome]} — job {format_usd(g_cost)} vs {format_usd(c_cost)} on the CPU "
                f"(price ratio {format_ratio(k)})\n{_kind_line(g, kind)}"
            )
            marks.append(Mark(float(x), speedup, kind, tip))
            row = _blank_row(SPEEDUP_COLUMNS)
            row.update(
                series=name,
                gpu=g.device,
                cpu=c.device + (" (estimate)" if c.estimated else ""),
                precision=g.precision,
                family=g.family,
                params=g.params,
                samples=g.samples,
                batch_size=g.batch_size,
                basis=basis,
                cpu_value=cv,
                gpu_value=gv,
                unit=unit,
                speedup=speedup,
                price_ratio=k,
                kind=kind,
                status="ok",
                pays=PAYS_WORDS[outcome],
            )
            rows.append(row)
        estimated = any(m.kind == "estimate" for m in marks)
        series.append(
            Series(
                key=key,
                name=name,
                device=g0.device,
                estimated=g0.estimated,
                variant=variants[key],
                symbol_key=g0.precision,
                role="main",
                marks=tuple(marks),
            )
        )
        xs = [m.x for m in marks]
        ys = [m.y for m in marks]
        found = cost_crossovers(xs, cpu_costs, gpu_costs)
        if round(k, 6) not in hlines:
            hlines[round(k, 6)] = HLine(k, "", "break-even", g0.device, g0.estimated, variants[key])
        line = hlines[round(k, 6)]
        hlines[round(k, 6)] = replace(line, label=(line.label + ", " if line.label else "") + name)
        prefix = f"{name}: " if multi else ""
        # The name already says "(estimate)" for a catalog GPU; say it wherever the name is not shown or silent.
        suffix = " (estimate)" if estimated and (not multi or not g0.estimated) else ""
        for x_star, direction in found:
            word = "above" if direction == "up" else "below"
            # the star sits on the curve where the decision flips: on the line unless a billing minimum decides
            y_star = _log_interp(xs, ys, x_star)
            why = " (billing minimum)" if abs(math.log(y_star / k)) > math.log(1.05) else ""
            text = f"{prefix}GPU pays {word} ~{format_count(x_star)} {x_unit}{suffix}{why}"
            crossovers.append(
                Crossover(name, g0.device, x_star, direction, estimated, text, g0.estimated, variants[key], y=y_star)
            )
            notes.append(Note(text, g0.device, g0.estimated, variants[key], priority=1))
            row = _blank_row(SPEEDUP_COLUMNS)
            row.update(
                series=name, gpu=g0.device, speedup=k, price_ratio=k, kind="crossover", basis=word, **{x_dim: x_star}
            )
            rows.append(row)
        if not found and ys:
            if all(o == "pays" for o in outcomes):
                text = f"{prefix}GPU pays at every size measured (≥ {format_ratio(min(ys))}){suffix}"
            elif all(o == "does_not_pay" for o in outcomes):
                text = f"{prefix}GPU does not pay at any size measured (best {format_ratio(max(ys))}){suffix}"
            else:
                text = f"{prefix}can't tell at some sizes: the cost ranges overlap{suffix}"
            notes.append(Note(text, g0.device, g0.estimated, variants[key]))
    failed = [p for p in pts if p.status != "ok" and chosen_samples in (None, p.samples)]
    for r in _failure_rows(failed, (*SPEEDUP_COLUMNS, "device")):
        r["cpu" if is_cpu(r.pop("device")) else "gpu"] = r["series"]
        rows.append(r)
    x_label = "model size (parameters)" if x_dim == "params" else "dataset size (samples)"
    placeholder = PLACEHOLDER
    if not series and inputs.all_points:
        placeholder = "A speedup needs a GPU (measured or estimated) and the CPU at the same sizes"
    return ChartModel(
        name="speedup",
        title=_title(
            "GPU speedup (CPU time ÷ GPU time) vs " + ("model size" if x_dim == "params" else "dataset size"),
            gpus,
            dims,
            samples=chosen_samples,
            epochs=inputs.job_epochs,
        ),
        x_label=x_label,
        y_label="speedup, GPU vs CPU (×)",
        x_log=True,
        y_log=True,
        columns=SPEEDUP_COLUMNS,
        rows=rows,
        series=series,
        failures=_failures(failed, lambda p: float(getattr(p, x_dim))),
        hlines=_break_even_lines(list(hlines.values())),
        crossovers=crossovers,
        notes=notes,
        placeholder=placeholder,
    )


def _job_cost(
    p: Point, value: float, unit: str, usd_per_hour: float, billing: Billing
) -> tuple[float, tuple[float, float]]:
    """What the job costs on ``p``'s device and its range from the step time's CI, as the verdict computes them."""
    r_lo, r_hi = 1.0, 1.0
    st = p.step_time_s
    if st is not None and st.median > 0:
        r_lo, r_hi = min(st.ci95[0] / st.median, 1.0), max(st.ci95[1] / st.median, 1.0)
    if unit != "s":  # a throughput alone has no job length: cost in proportion to time
        t = 1.0 / value
        return usd_per_hour * t, (usd_per_hour * t * r_lo, usd_per_hour * t * r_hi)
    fixed = min(p.fixed_overhead_s or 0.0, value)
    steps = value - fixed
    return cost_range(value, (steps * r_lo + fixed, steps * r_hi + fixed), usd_per_hour, billing)


def _log_interp(xs: list[float], ys: list[float], x: float) -> float:
    """y at x on the curve (xs ascending), linear in log–log space; the nearest end outside the range."""
    pts = [(math.log(a), math.log(b)) for a, b in zip(xs, ys, strict=True) if a > 0 and b > 0]
    lx = math.log(x)
    for (x0, y0), (x1, y1) in itertools.pairwise(pts):
        if x0 <= lx <= x1 and x1 > x0:
            return math.exp(y0 + (lx - x0) / (x1 - x0) * (y1 - y0))
    return math.exp(min(pts, key=lambda p: abs(p[0] - lx))[1]) if pts else 1.0


def _break_even_lines(lines: list[HLine]) -> list[HLine]:
    """One break-even line per price ratio, named by the GPUs it is for (one line for all: no names needed)."""
    out = []
    for h in lines:
        who = f" ({h.label})" if len(lines) > 1 else ""
        out.append(
            replace(
                h,
                label=f"break-even: GPU price/hour = {format_ratio(h.y)} CPU's{who}",
                short=f"break-even {format_ratio(h.y)}{who}",
                device=h.device if len(lines) > 1 else None,
            )
        )
    return out


def find_crossovers(xs: list[float], ys: list[float], level: float) -> list[tuple[float, Literal["up", "down"]]]:
    """Where the curve (xs ascending) crosses ``level``, interpolated in log–log space.

    "up": the curve rises through the level (GPU pays above that x); "down": it falls through it.
    """
    out: list[tuple[float, Literal["up", "down"]]] = []
    if level <= 0:
        return out
    lk = math.log10(level)
    pts = [(math.log10(x), math.log10(y) - lk) for x, y in zip(xs, ys, strict=True) if x > 0 and y > 0]
    for (x0, f0), (x1, f1) in itertools.pairwise(pts):
        if f0 < 0 <= f1 or f0 >= 0 > f1:
            t = f0 / (f0 - f1)
            out.append((10 ** (x0 + t * (x1 - x0)), "up" if f0 < 0 else "down"))
    return out


# ---------------------------------------------------------------- micro-benchmarks


MICRO_COLUMNS = ("series", "device", "kind", "precision", "size", "value", "unit", "peak_fraction")

_BANDWIDTH_LABEL = {  # short bar names (two short lines, so four bars fit at 1280 px); the tooltip says it in full
    "triad": "{device}\nRAM",
    "h2d_pageable": "→{device}\npageable",
    "h2d_pinned": "→{device}\npinned",
}
_BANDWIDTH_TIP = {
    "triad": "{device} memory bandwidth (STREAM triad)",
    "h2d_pageable": "copy host → {device} from pageable memory",
    "h2d_pinned": "copy host → {device} from pinned memory",
}


def micro_model(inputs: ChartInputs) -> ChartModel:
    matmul = [m for m in inputs.micro if m.kind == "matmul" and m.value > 0 and m.size > 0]
    other = [m for m in inputs.micro if m.kind != "matmul" and m.value > 0]
    groups: dict[tuple[Any, ...], list[MicroResult]] = {}
    for m in matmul:
        groups.setdefault((m.device, False, m.precision), []).append(m)
    multi_precision = len({m.precision for m in matmul}) > 1
    variants = _variants(groups)
    series: list[Series] = []
    rows: list[dict[str, Any]] = []
    for key, group in groups.items():
        device, _, precision = key
        name = f"{device} {precision}" if multi_precision or precision != "fp32" else device
        by_size = {m.size: m for m in group}
        marks = []
        for size in sorted(by_size):
            m = by_size[size]
            peak = f"\n{m.peak_fraction:.0%} of theoretical peak" if m.peak_fraction is not None else ""
            tip = f"{device} · {precision} matmul {size}×{size}\n{m.value:.4g} {m.unit}{peak}\nmeasured"
            marks.append(Mark(float(size), m.value, "measured", tip))
            rows.append(_micro_row(name, m))
        series.append(
            Series(
                key=("matmul", *key),
                name=f"{name} · matmul",
                device=device,
                estimated=False,
                variant=variants[key],
                symbol_key=precision,
                role="main",
                marks=tuple(marks),
            )
        )
    hlines: list[HLine] = []
    notes: list[Note] = []
    cpu = inputs.machine.get("cpu")
    cpu = cpu if isinstance(cpu, dict) else {}
    peak_gflops = cpu.get("peak_fp32_gflops")
    if isinstance(peak_gflops, (int, float)) and not isinstance(peak_gflops, bool) and peak_gflops > 0 and matmul:
        formula = cpu.get("peak_formula")
        best_cpu = max((m.value for m in matmul if m.device == "cpu" and m.precision == "fp32"), default=None)
        cpu_peak = describe_cpu_peak(cpu, best_cpu)  # "theoretical" only at a known maximum clock (core.devices)
        hlines.append(
            HLine(
                float(peak_gflops),
                f"CPU {cpu_peak.formula_label} fp32: {peak_gflops:.4g} GFLOP/s",
                "peak",
                short=f"CPU {cpu_peak.formula_label}",
            )
        )
        if best_cpu is not None:
            how = f" ({formula})" if isinstance(formula, str) and formula else ""
            notes.append(
                Note(
                    f"CPU best fp32 matmul: {best_cpu:.4g} GFLOP/s = {best_cpu / peak_gflops:.0%} of the "
                    f"{cpu_peak.formula_label} {peak_gflops:.4g} GFLOP/s{how}",
                    "cpu",
                )
            )
            notes += [Note(n[0].upper() + n[1:], "cpu") for n in cpu_peak.notes]
        peak_row = _blank_row(MICRO_COLUMNS)
        peak_row.update(
            series="cpu theoretical peak",
            device="cpu",
            kind="theoretical_peak",
            precision="fp32",
            value=float(peak_gflops),
            unit="GFLOP/s",
        )
        rows.append(peak_row)
    bars: list[Bar] = []
    by_bar: dict[tuple[str, str], list[MicroResult]] = {}
    for m in other:
        by_bar.setdefault((m.device, m.kind), []).append(m)
    for (device, kind), group in sorted(by_bar.items(), key=lambda kv: (not is_cpu(kv[0][0]), kv[0])):
        best = max(group, key=lambda m: m.value)
        label = _BANDWIDTH_LABEL.get(kind, "{device}\n" + kind).format(device=device)
        per = "\n".join(f"{format_bytes(m.size)}: {m.value:.3g} {m.unit}" for m in sorted(group, key=_size))
        what = _BANDWIDTH_TIP.get(kind, "{device} " + kind).format(device=device)
        tip = f"{what}\nbest {best.value:.3g} {best.unit}\n{per}\nmeasured"
        bars.append(
            Bar(
                label=label, device=device, kind=kind, value=best.value, tip=tip, value_text=_bar_value_text(best.value)
            )
        )
        rows.extend(_micro_row(what, m) for m in sorted(group, key=_size))
    return ChartModel(
        name="matmul",
        title="Matrix multiply speed — by matrix size",  # two lines: a narrow window keeps the whole title
        x_label="matrix size n (n × n, fp32 unless noted)",
        y_label="matmul speed (GFLOP/s)",
        x_log=True,
        y_log=True,
        columns=MICRO_COLUMNS,
        rows=rows,
        series=series,
        hlines=hlines,
        bars=bars,
        bar_y_label="bandwidth (GB/s)",
        notes=notes,
        placeholder=PLACEHOLDER if not inputs.all_points else "No micro-benchmarks in this report",
    )


def _size(m: MicroResult) -> int:
    return m.size


def _micro_row(series: str, m: MicroResult) -> dict[str, Any]:
    return {
        "series": series,
        "device": m.device,
        "kind": m.kind,
        "precision": m.precision,
        "size": m.size,
        "value": m.value,
        "unit": m.unit,
        "peak_fraction": _blank(m.peak_fraction),
    }
