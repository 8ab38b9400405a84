"""The speedup chart: CPU time ÷ GPU time against model or dataset size, each GPU's break-even price ratio
beside it, and where each curve's job costs say the GPU starts (or stops) paying."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from gpuwise.charts.crossovers import break_even_lines, log_interp
from gpuwise.charts.device_names import is_cpu, split_device
from gpuwise.charts.model import PLACEHOLDER, ChartInputs, ChartModel, Crossover, HLine, Kind, Mark, Note, Series
from gpuwise.charts.rows import blank_row, failure_rows
from gpuwise.charts.selection import selected_speedup_samples
from gpuwise.charts.series import chart_title, curve_key, device_variants, point_series, series_name, varying_dims
from gpuwise.charts.speedup_pairs import cpu_index, cpu_partner, speedup_basis
from gpuwise.charts.tips import failure_marks, kind_line, point_header
from gpuwise.core.decide import (
    PAYS_WORDS,
    Billing,
    cost_crossovers,
    cost_range,
    decide_costs,
    format_ratio,
    format_usd,
)
from gpuwise.core.report import Point
from gpuwise.core.units import format_count, format_duration, format_rate

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


def speedup_model(inputs: ChartInputs) -> ChartModel:
    pts = inputs.all_points
    book = inputs.pricing
    ok = [p for p in pts if p.status == "ok"]
    cpus = cpu_index([p for p in ok if is_cpu(p.device)])
    pairs: list[tuple[Point, Point, tuple[str, float, float, str]]] = []
    for g in ok:
        if is_cpu(g.device):
            continue
        c = cpu_partner(g, cpus)
        compared = speedup_basis(c, g, inputs.job_epochs) if c is not None else None
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
    dims = varying_dims(gpus, ("precision", "family", other, "batch_size"))
    groups: dict[tuple[Any, ...], list[tuple[Point, Point, tuple[str, float, float, str]]]] = {}
    for g, c, b in pairs:
        groups.setdefault(curve_key(g, dims), []).append((g, c, b))
    variants = device_variants(groups)
    multi = len(groups) > 1
    series: list[Series] = []
    rows: list[dict[str, Any]] = []
    crossovers: list[Crossover] = []
    notes: list[Note] = []
    hlines: dict[float, HLine] = {}
    for key, group in groups.items():
        g0 = group[0][0]
        name = series_name(g0, dims)
        gpu_price = book.gpu(split_device(g0.device)[0])  # a compared report tags its devices: "A10G · laptop"
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
                f"{point_header(g)}\nspeedup {speedup:.3g}× on {basis}: "
                f"cpu {fmt(cv)} vs {g.device} {fmt(gv)}\n"
                f"pays: {PAYS_WORDS[outcome]} — job {format_usd(g_cost)} vs {format_usd(c_cost)} on the CPU "
                f"(price ratio {format_ratio(k)})\n{kind_line(g, kind)}"
            )
            marks.append(Mark(float(x), speedup, kind, tip))
            row = blank_row(SPEEDUP_COLUMNS)
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
        series.append(point_series(key, name, g0, variants[key], marks))
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
            y_star = log_interp(xs, ys, x_star)
            why = " (billing minimum)" if abs(math.log(y_star / k)) > math.log(1.05) else ""
            text = f"{prefix}GPU pays {word} ~{format_count(x_star)} {x_unit}{suffix}{why}"
            crossovers.append(
                Crossover(name, g0.device, x_star, direction, estimated, text, g0.estimated, variants[key], y=y_star)
            )
            notes.append(Note(text, g0.device, g0.estimated, variants[key], priority=1))
            row = blank_row(SPEEDUP_COLUMNS)
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
    for r in failure_rows(failed, (*SPEEDUP_COLUMNS, "device")):
        r["cpu" if is_cpu(r.pop("device")) else "gpu"] = r["series"]
        rows.append(r)
    x_label = "model size (parameters)" if x_dim == "params" else "dataset size (samples)"
    placeholder = PLACEHOLDER
    if not series and inputs.all_points:
        placeholder = "A speedup needs a GPU (measured or estimated) and the CPU at the same sizes"
    return ChartModel(
        name="speedup",
        title=chart_title(
            "GPU speedup (CPU time ÷ GPU time) vs " + ("model size" if x_dim == "params" else "dataset size"),
            gpus,
            dims,
            samples=chosen_samples,
            epochs=inputs.job_epochs,
        ),
        x_label=x_label,
        y_label="speedup, GPU vs CPU (×)",
        columns=SPEEDUP_COLUMNS,
        rows=rows,
        series=series,
        failures=failure_marks(failed, lambda p: float(getattr(p, x_dim))),
        hlines=break_even_lines(list(hlines.values())),
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
