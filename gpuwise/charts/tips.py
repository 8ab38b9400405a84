"""The text a chart shows on hovering a point: what ran, what it measured, and how (measured, extrapolated or
estimated); a failed point's message on its red ×."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from gpuwise.charts.device_names import device_label, is_cpu
from gpuwise.charts.model import Failure, Kind
from gpuwise.core.bench import families
from gpuwise.core.report import Point
from gpuwise.core.units import format_count, format_duration, format_rate


def point_header(p: Point) -> str:
    who = device_label(p.device, p.estimated)
    if p.device_name and p.device_name != p.device:
        who += f" · {p.device_name}"
    threads = f", {p.threads} threads" if is_cpu(p.device) and p.threads else ""
    arch = f"{families.label(p.family)} {format_count(p.params)} params"
    epochs = f"{p.epochs} epoch" + ("s" if p.epochs != 1 else "")
    return (
        f"{who} ({p.precision}{threads})\n{arch} · batch {p.batch_size} · {epochs}\n{format_count(p.samples)} samples"
    )


def kind_line(p: Point, kind: Kind) -> str:
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


def epoch_ci(p: Point) -> tuple[float | None, float | None]:
    st = p.step_time_s
    if p.epoch_time_s is None or st is None or st.median <= 0:
        return None, None
    scale = p.epoch_time_s / st.median
    return st.ci95[0] * scale, st.ci95[1] * scale


def point_tip(p: Point, kind: Kind) -> str:
    lines = [point_header(p)]
    if p.epoch_time_s is not None:
        lo, hi = epoch_ci(p)
        ci = f" (95% CI {format_duration(lo)}–{format_duration(hi)})" if lo is not None and hi is not None else ""
        lines.append(f"epoch time: {format_duration(p.epoch_time_s)}{ci}")
    if p.time_to_train_s is not None:
        overhead = f" + {format_duration(p.fixed_overhead_s)} fixed overhead" if p.fixed_overhead_s else ""
        lines.append(f"time to train: {format_duration(p.time_to_train_s)} ({p.epochs} × epoch{overhead})")
    if p.samples_per_s is not None:
        lines.append(f"throughput: {format_rate(p.samples_per_s)}")
    lines.append(kind_line(p, kind))
    if p.unstable:
        lines.append("unstable: step times varied by more than 10 %")
    return "\n".join(lines)


def _failure_tip(p: Point) -> str:
    msg = p.message.strip() or "no message"
    return f"{point_header(p)}\n{p.status.upper()}: {msg}"


def failure_marks(points: Iterable[Point], x_of: Callable[[Point], float]) -> list[Failure]:
    return [Failure(x=float(x_of(p)), tip=_failure_tip(p)) for p in points if p.status != "ok"]
