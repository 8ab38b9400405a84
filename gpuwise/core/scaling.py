"""Data-parallel scaling: the measured curve, and "N GPUs vs 1 GPU vs the CPU" for a whole job, in time and cost.

Measured curves come from ``gpuwise bench --ddp N`` points (``backend`` set). The N-device verdict starts from the
one-device verdict (``gpuwise advise``'s CPU and GPU rows) and adds, per device, the N-device time: measured
scaling where the report has it, otherwise an estimate for catalog GPUs from their GPU-to-GPU link
(``resources/interconnects.json`` for NVLink, the catalog's PCIe host link otherwise). Estimates say so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from typing import Any, Protocol

from gpuwise.core.catalog import CatalogError, GpuSpec, find_gpu, load_catalog, match_device_name
from gpuwise.core.errors import UserInputError
from gpuwise.core.report import Point, Report
from gpuwise.core.resources import load_json_resource
from gpuwise.core.units import format_count, format_duration

INTERCONNECT_SCHEMA = "gpuwise.interconnects/1"
# Assumptions of the N-GPU estimate, stated next to every number made with them.
ACHIEVED_LINK = 0.7  # of a link's spec bandwidth that a ring all-reduce reaches (NCCL bus bandwidth, roughly)
HOP_LATENCY_S = 20e-6  # per ring step
BACKWARD_SHARE = 2 / 3  # of a step: the backward pass, behind which DDP hides its all-reduce
MIN_EXPOSED = 0.1  # of the all-reduce: the last bucket is never hidden
GRAD_BYTES_PER_PARAM = 4  # fp32 gradients (autocast keeps the weights and their gradients in fp32)


# ---------------------------------------------------------------- the measured curve


def is_data_parallel(p: Point) -> bool:
    return p.backend != "" and p.world_size > 1


def single_process_report(report: Report) -> Report:
    """The report without its multi-process points: what the one-device verdict and charts read."""
    return replace(report, points=[p for p in report.points if not is_data_parallel(p)])


@dataclass(frozen=True)
class ScalingCurve:
    """One job's throughput against the number of processes (world size 1 = the baseline of the same run)."""

    device: str
    backend: str
    family: str
    params: int
    samples: int
    batch_size: int
    precision: str
    points: tuple[Point, ...]  # ascending world size

    @property
    def baseline(self) -> Point | None:
        return next((p for p in self.points if p.world_size == 1 and p.status == "ok"), None)

    def label(self) -> str:
        return (
            f"{self.family} {format_count(self.params)} params, {format_count(self.samples)} samples, "
            f"batch {self.batch_size}/rank, {self.precision}, {self.backend} on {self.device}"
        )

    def ratio(self, world_size: int) -> float | None:
        """Measured total throughput at ``world_size`` over the single process's."""
        base = self.baseline
        p = next((q for q in self.points if q.world_size == world_size and q.status == "ok"), None)
        if base is None or p is None or not base.samples_per_s or p.samples_per_s is None:
            return None
        return p.samples_per_s / base.samples_per_s


def scaling_curves(points: Sequence[Point]) -> list[ScalingCurve]:
    groups: dict[tuple[Any, ...], list[Point]] = {}
    for p in points:
        if p.backend and not p.estimated:
            key = (p.device, p.backend, p.family, p.params, p.samples, p.batch_size, p.precision)
            groups.setdefault(key, []).append(p)
    return [
        ScalingCurve(
            ps[0].device,
            ps[0].backend,
            ps[0].family,
            ps[0].params,
            ps[0].samples,
            ps[0].batch_size,
            ps[0].precision,
            tuple(sorted(ps, key=lambda p: p.world_size)),
        )
        for ps in groups.values()
    ]


def baseline_text(curve: ScalingCurve) -> str:
    base = curve.baseline
    if base is None or base.samples_per_s is None:
        return "no single-process baseline was measured, so no efficiency"
    return (
        f"baseline: 1 process with {base.threads} thread(s) = {format_count(base.samples_per_s)} samples/s, "
        f"measured in the same run"
    )


# ---------------------------------------------------------------- GPU-to-GPU links


@dataclass(frozen=True)
class Interconnect:
    link: str
    gbs_per_direction: float
    max_gpus: int | None  # None: no limit known (PCIe: as many as a machine holds)
    nvlink: bool
    source: str = ""
    date: str = ""


@lru_cache(maxsize=1)
def _nvlinks() -> dict[str, Interconnect]:
    data = load_json_resource("interconnects.json")
    if not isinstance(data, dict) or data.get("schema") != INTERCONNECT_SCHEMA:
        raise CatalogError(f"interconnects.json: schema must be {INTERCONNECT_SCHEMA!r}")
    names = {g.name for g in load_catalog()}
    out: dict[str, Interconnect] = {}
    for i, row in enumerate(data.get("links", [])):
        where = f"interconnects.json links[{i}]"
        gpu, gbs, mx = row.get("gpu"), row.get("gbs_per_direction"), row.get("max_gpus")
        if gpu not in names:
            raise CatalogError(f"{where}: {gpu!r} is not a GPU of the catalog")
        if not isinstance(gbs, (int, float)) or isinstance(gbs, bool) or not 0 < gbs < 100_000:
            raise CatalogError(f"{where}: gbs_per_direction must be a positive number of GB/s")
        if not isinstance(mx, int) or isinstance(mx, bool) or not 2 <= mx <= 1024:
            raise CatalogError(f"{where}: max_gpus must be a whole number from 2")
        if not all(isinstance(row.get(k), str) and row.get(k) for k in ("link", "source", "date")):
            raise CatalogError(f"{where}: link, source and date are required")
        out[gpu] = Interconnect(row["link"], float(gbs), mx, True, row["source"], row["date"])
    return out


def interconnect_for(gpu: GpuSpec) -> Interconnect | None:
    """NVLink where the GPU has it, else its PCIe host link; None for GPUs that do not come in groups (Apple)."""
    if gpu.unified_memory:
        return None
    nv = _nvlinks().get(gpu.name)
    if nv is not None:
        return nv
    return Interconnect(gpu.host_link, gpu.host_link_gbs, None, False)


def estimate_allreduce_s(grad_bytes: float, n: int, link: Interconnect) -> float:
    """A ring all-reduce: each GPU sends and receives 2(N-1)/N of the gradients, in 2(N-1) latency-bound steps."""
    if n <= 1:
        return 0.0
    traffic = 2 * (n - 1) / n * grad_bytes
    return traffic / (link.gbs_per_direction * 1e9 * ACHIEVED_LINK) + 2 * (n - 1) * HOP_LATENCY_S


def exposed_comm_s(allreduce_s: float, step_s: float) -> float:
    """The part of the all-reduce that the backward pass cannot hide."""
    return max(allreduce_s - BACKWARD_SHARE * step_s, MIN_EXPOSED * allreduce_s)


# ---------------------------------------------------------------- N devices vs 1 vs the CPU


class DeviceRow(Protocol):
    """What this module reads from a one-device verdict row (``DeviceVerdict``)."""

    @property
    def device(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def step_s(self) -> float | None: ...
    @property
    def time_s(self) -> float | None: ...
    @property
    def usd_per_hour(self) -> float | None: ...
    @property
    def estimated(self) -> bool: ...


class JobLike(Protocol):
    @property
    def params(self) -> int: ...
    @property
    def samples(self) -> int: ...
    @property
    def epochs(self) -> int: ...
    @property
    def batch_size(self) -> int: ...


@dataclass(frozen=True)
class ScaleOption:
    label: str  # "1 × H100 SXM", "8 × H100 SXM", "CPU, 2 processes"
    kind: str  # "cpu" or "gpu"
    devices: int
    source: str  # "measured", "measured scaling", "estimate"
    time_s: float | None
    usd_per_hour: float | None  # for all the devices together
    cost_usd: float | None
    speedup_vs_one: float | None = None  # vs 1 device of the same kind
    basis: str = ""

    @property
    def estimated(self) -> bool:
        return self.source == "estimate"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "estimated": self.estimated}


@dataclass(frozen=True)
class ScalingVerdict:
    n: int
    options: tuple[ScaleOption, ...]
    sentence: str
    curves: tuple[str, ...] = ()  # the measured curves, one line each
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "sentence": self.sentence,
            "options": [o.to_dict() for o in self.options],
            "measured_curves": list(self.curves),
            "notes": list(self.notes),
        }

    def table_rows(self) -> list[list[str]]:
        rows = []
        for o in self.options:
            t = "n/a" if o.time_s is None else format_duration(o.time_s)
            sp = "" if o.speedup_vs_one is None or o.devices == 1 else f"{o.speedup_vs_one:.2f}× vs 1"
            price = "n/a" if o.usd_per_hour is None else f"{o.usd_per_hour:.3g}"
            cost = "n/a" if o.cost_usd is None else f"${o.cost_usd:,.2f}"
            rows.append([f"{o.label} [{o.source}]", t, sp, price, cost])
        return rows

    def to_text(self) -> str:
        lines = [f"Scaling: {self.n} devices vs 1 vs the CPU", self.sentence, ""]
        header = ["Option", "Time to train", "Scaling", "$/h", "Job cost"]
        rows = [header, *self.table_rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
        lines += [f"Measured: {c}" for c in self.curves]
        est = [o for o in self.options if o.source != "measured" and o.basis]
        if est:
            lines.append("How the non-measured numbers were made:")
            lines += [f"  {o.label}: {o.basis}" for o in est]
        lines += list(self.notes)
        return "\n".join(lines)


def _job_cost(seconds: float, usd_per_hour: float, billing: str) -> float:
    from gpuwise.core.decide.rule import billed_cost, check_billing  # the one billing rule

    return billed_cost(seconds, usd_per_hour, check_billing(billing))


def _nearest_curve(curves: Sequence[ScalingCurve], backend: str, job: JobLike, n: int) -> ScalingCurve | None:
    cands = [c for c in curves if c.backend == backend and c.ratio(n) is not None]
    if not cands:
        return None
    return min(cands, key=lambda c: (abs(math.log(c.params / job.params)), abs(math.log(c.samples / job.samples))))


def _machines(report: Report, n: int) -> int:
    per_node = report.settings.get("ddp")
    return max(1, math.ceil(n / per_node)) if isinstance(per_node, int) and per_node > 0 else 1


def _from_curve(row: DeviceRow, curve: ScalingCurve, n: int, machines: int, label: str, billing: str) -> ScaleOption:
    ratio = curve.ratio(n) or 1.0
    time_s = row.time_s / ratio if row.time_s is not None else None
    price = row.usd_per_hour * machines if row.usd_per_hour is not None else None
    cost = _job_cost(time_s, price, billing) if time_s is not None and price is not None else None
    return ScaleOption(
        label,
        row.kind,
        n,
        "measured scaling",
        time_s,
        price,
        cost,
        speedup_vs_one=ratio,
        basis=f"one-device time ÷ the measured {n}-process throughput ratio {ratio:.2f}× ({curve.label()})",
    )


def _catalog_gpu(row: DeviceRow) -> GpuSpec | None:
    try:
        return find_gpu(row.device)
    except UserInputError:  # a measured device is named by torch ("cuda:0"), not by the catalog
        return match_device_name(row.label)


def _estimate_gpus(row: DeviceRow, gpu: GpuSpec, job: JobLike, n: int, billing: str) -> ScaleOption:
    label = f"{n} × {gpu.name}"
    link = interconnect_for(gpu)
    if link is None or row.step_s is None or row.time_s is None:
        why = "does not come in multi-GPU machines" if link is None else "no one-GPU time"
        return ScaleOption(label, "gpu", n, "estimate", None, None, None, basis=why)
    if link.max_gpus is not None and n > link.max_gpus:
        return ScaleOption(
            label,
            "gpu",
            n,
            "estimate",
            None,
            None,
            None,
            basis=f"{link.link} joins at most {link.max_gpus} GPUs; beyond that the network between "
            f"machines decides (not modelled)",
        )
    grad_bytes = job.params * GRAD_BYTES_PER_PARAM
    ar = estimate_allreduce_s(grad_bytes, n, link)
    step_n = row.step_s + exposed_comm_s(ar, row.step_s)
    steps_one = math.ceil(job.samples / job.batch_size)
    steps_n = math.ceil(job.samples / (n * job.batch_size))
    overhead = max(0.0, row.time_s - job.epochs * steps_one * row.step_s)
    time_s = overhead + job.epochs * steps_n * step_n
    price = row.usd_per_hour * n if row.usd_per_hour is not None else None
    cost = _job_cost(time_s, price, billing) if price is not None else None
    where = "NVLink" if link.nvlink else "PCIe"
    basis = (
        f"1-GPU step {format_duration(row.step_s)} + exposed ring all-reduce of {format_count(grad_bytes)}B "
        f"of gradients over {link.link} ({where}, {link.gbs_per_direction:g} GB/s a direction × "
        f"{ACHIEVED_LINK:.0%} achieved{', ' + link.source if link.source else ''}) = "
        f"{format_duration(ar)}, hidden behind the backward pass (≈{BACKWARD_SHARE:.0%} of a step) except "
        f"≥{MIN_EXPOSED:.0%}; batch {job.batch_size} per GPU; price {n} × the 1-GPU price"
    )
    return ScaleOption(
        label, "gpu", n, "estimate", time_s, price, cost, speedup_vs_one=row.time_s / time_s, basis=basis
    )


def _one(row: DeviceRow, label: str, billing: str) -> ScaleOption:
    cost = _job_cost(row.time_s, row.usd_per_hour, billing) if row.time_s is not None and row.usd_per_hour else None
    return ScaleOption(
        label, row.kind, 1, "estimate" if row.estimated else "measured", row.time_s, row.usd_per_hour, cost, 1.0
    )


def scaling_verdict(
    report: Report,
    job: JobLike,
    cpu: DeviceRow,
    gpus: Sequence[DeviceRow],
    n: int | None = None,
    billing: str = "per_second",
) -> ScalingVerdict:
    """N GPUs vs 1 GPU vs the CPU (1 and N processes) for ``job``, from a one-device verdict's rows.

    ``n`` defaults to the report's largest measured world size (else 8, a common multi-GPU machine).
    """
    curves = scaling_curves(report.points)
    measured_n = max((p.world_size for c in curves for p in c.points if p.status == "ok"), default=1)
    n = n or (measured_n if measured_n > 1 else 8)
    options: list[ScaleOption] = [_one(cpu, "CPU, 1 process", billing)]
    notes: list[str] = []
    cpu_curve = _nearest_curve(curves, "gloo", job, n)
    if cpu_curve is not None:
        machines = _machines(report, n)
        where = f" on {machines} machines" if machines > 1 else ""
        options.append(_from_curve(cpu, cpu_curve, n, machines, f"CPU, {n} processes{where}", billing))
    else:
        notes.append(f"No {n}-process CPU run in this report: 'gpuwise bench --devices cpu --ddp {n}' measures it.")
    gpu_curve = _nearest_curve(curves, "nccl", job, n)
    for row in gpus:
        gpu = _catalog_gpu(row)
        name = gpu.name if gpu is not None else row.label
        options.append(_one(row, f"1 × {name}", billing))
        if not row.estimated and gpu_curve is not None:
            options.append(_from_curve(row, gpu_curve, n, 1, f"{n} × {name}", billing))
        elif gpu is not None:
            options.append(_estimate_gpus(row, gpu, job, n, billing))
    return ScalingVerdict(
        n, tuple(options), _sentence(options, n), tuple(f"{c.label()}: " + _curve_text(c) for c in curves), tuple(notes)
    )


def _curve_text(c: ScalingCurve) -> str:
    parts = []
    for p in c.points:
        eff = f" ({p.scaling_efficiency:.0%})" if p.scaling_efficiency is not None and p.world_size > 1 else ""
        what = f"{format_count(p.samples_per_s)}/s{eff}" if p.status == "ok" and p.samples_per_s else p.status
        parts.append(f"{p.world_size}: {what}")
    return ", ".join(parts) + "; " + baseline_text(c)


def _sentence(options: Sequence[ScaleOption], n: int) -> str:
    timed = [o for o in options if o.time_s is not None]
    if not timed:
        return "No option has a time to train."
    fastest = min(timed, key=lambda o: o.time_s or math.inf)
    priced = [o for o in timed if o.cost_usd is not None]

    def tag(o: ScaleOption) -> str:
        return f"{o.label}{' (estimate)' if o.estimated else ''}"

    text = f"Fastest: {tag(fastest)}, {format_duration(fastest.time_s or 0)}"
    if fastest.cost_usd is not None:
        text += f" for ${fastest.cost_usd:,.2f}"
    if priced:
        cheapest = min(priced, key=lambda o: o.cost_usd or math.inf)
        if cheapest is not fastest:
            text += f"; cheapest: {tag(cheapest)}, ${cheapest.cost_usd:,.2f} in {format_duration(cheapest.time_s or 0)}"
    multi = [o for o in timed if o.devices > 1 and o.speedup_vs_one]
    if multi:
        best = max(multi, key=lambda o: o.speedup_vs_one or 0)
        speed = best.speedup_vs_one or 1.0
        text += (
            f". {n} devices at best ({tag(best)}): {n}× the hourly price for {speed:.1f}× the speed, so the "
            f"job costs {n / speed:.1f}× as much as on one"
        )
    return text + "."
