"""The verdict in words: one renderer for the command line and the card. It states what ``rule`` decided and
never decides anything itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gpuwise.core.decide.rule import BILLING_LABELS, MIN_BILLED_S
from gpuwise.core.units import format_bytes, format_count, format_duration

if TYPE_CHECKING:
    from gpuwise.core.decide.values import BreakEven, DeviceVerdict, Interval, Overall, Verdict, Workload

# the columns of ``table_rows``, for every surface that prints the table (text, HTML)
TABLE_HEADER = ("Device", "Time to train", "Speedup", "$/h", "Job cost", "Per started hour", "Pays?")
PAYS_WORDS = {
    "pays": "yes",
    "does_not_pay": "no",
    "cant_tell": "can't tell",
    "does_not_fit": "doesn't fit",
    "no_price": "no price",
    None: "—",
}


def format_usd(x: float | None) -> str:
    if x is None:
        return "n/a"
    if x >= 100:
        return f"${x:,.0f}"
    if x >= 0.1:
        return f"${x:.2f}"
    return f"${x:#.2g}"  # two significant digits for cents and below: $0.0088, $0.010


def format_usd_range(lo: float, hi: float) -> str:
    a, b = format_usd(lo), format_usd(hi)
    return a if a == b else f"{a}–{b}"


def format_ratio(x: float) -> str:
    """A ratio for people: 4.2×, 12×, 0.53× (never 4.18768×)."""
    if x >= 10:
        return f"{x:.0f}×"
    return f"{x:.1f}×" if x >= 1 else f"{x:.2g}×"


def format_band(lo: float, hi: float) -> str:
    def short(x: float) -> str:
        return f"{x:.0f}" if x >= 10 else f"{x:.2g}"

    a, b = short(lo), short(hi)
    return f"{a}×" if a == b else f"{a}–{b}×"


def _size(dimension: str, x: float) -> str:
    return f"~{format_count(x)} {'samples' if dimension == 'samples' else 'parameters'}"


def describe_intervals(dimension: str, intervals: tuple[Interval, ...], scanned: tuple[float, float]) -> str:
    """Where the GPU pays, in words, for ranges that one "above/below" value cannot say."""
    lo_s, hi_s = format_count(scanned[0]), format_count(scanned[1])
    if not intervals:
        return f"the GPU does not pay at any size from {lo_s} to {hi_s}"
    if intervals == ((None, None),):
        return f"the GPU pays at every size from {lo_s} to {hi_s}"
    parts = []
    for lo, hi in intervals:
        if lo is None and hi is not None:
            parts.append(f"up to {_size(dimension, hi)}")
        elif hi is None and lo is not None:
            parts.append(f"from {_size(dimension, lo)} on")
        elif lo is not None and hi is not None:
            parts.append(f"from {_size(dimension, lo)} to {_size(dimension, hi)}")
    return "the GPU pays " + ", and ".join(parts)


def break_even_text(b: BreakEven) -> str:
    what = "dataset size" if b.dimension == "samples" else "model size"
    tag = " (estimate)" if b.estimated else ""
    if b.value is None:
        return f"Break-even {what}{tag}: none — {b.reason}"
    return f"Break-even {what}{tag}: the GPU pays {b.direction} {_size(b.dimension, b.value)} ({b.reason})"


def sentence(cpu: DeviceVerdict, g: DeviceVerdict, w: Workload) -> tuple[Overall, str]:
    """The headline for the primary GPU ``g``: its outcome, in words (the outcome was decided by ``rule``)."""
    name = g.label
    tag = " (estimate)" if g.estimated or cpu.estimated else ""
    if g.outcome == "does_not_fit":
        need = f"needs ~{format_bytes(g.memory_needed or 0)} for weights, gradients, optimizer state and activations"
        if cpu.fits is False:
            return "nothing_fits", (
                f"Neither this CPU nor the {name} can train this model at batch {w.batch_size}: "
                f"it {need} — see the memory lines and the large-model projection."
            )
        lb = f"; the largest batch that fits is {g.largest_batch:,}" if g.largest_batch else ""
        return "stay_on_cpu", (
            f"Stay on the CPU: this model does not fit in the {name}'s memory at batch {w.batch_size} ({need}){lb}."
        )
    if g.outcome == "no_price" and g.speedup is not None:
        return "cant_tell", (
            f"Can't tell: no rental price is known for the {name} ({format_ratio(g.speedup)} "
            f"faster{tag}); type its price per hour."
        )
    if g.speedup is None or g.speedup_ci95 is None or g.price_ratio is None or g.cost_ci95 is None:
        return "cant_tell", (
            f"Can't tell yet: the {name} was not measured for this workload and is not in the "
            f"GPU catalog to estimate from."
        )
    assert cpu.cost_ci95 is not None
    s, (lo, hi), k = g.speedup, g.speedup_ci95, g.price_ratio
    faster = f"{format_ratio(s)} faster" if s >= 1 else f"slower ({format_ratio(s)} the CPU's speed)"
    band = f"({format_band(lo, hi)}{', estimate' if tag else ''})"
    g_cost, c_cost = format_usd(g.cost_usd), format_usd(cpu.cost_usd)  # central; the table shows the ranges
    billing_reason = _billing_reason(g)
    if g.outcome == "pays":
        return "gpu_pays", (
            f"A GPU pays{tag}: the {name} is {faster} {band} at {format_ratio(k)} the price — the "
            f"job costs {g_cost} instead of {c_cost}{billing_reason}."
        )
    if g.outcome == "does_not_pay":
        if billing_reason:
            return "stay_on_cpu", (
                f"Stay on the CPU{tag}: the {name} is {faster} {band} at {format_ratio(k)} the "
                f"price, but {billing_reason.removeprefix(': ')} — {g_cost} on the GPU vs "
                f"{c_cost} on the CPU."
            )
        how = f"only {faster}" if s >= 1 else faster
        return "stay_on_cpu", (
            f"Stay on the CPU{tag}: the {name} is {how} {band} at {format_ratio(k)} the price — "
            f"the job costs {c_cost} on the CPU instead of {g_cost}."
        )
    g_cost, c_cost = format_usd_range(*g.cost_ci95), format_usd_range(*cpu.cost_ci95)
    return "cant_tell", (
        f"Can't tell yet{tag}: the {name} job would cost {g_cost} vs {c_cost} on the CPU — the "
        f"ranges overlap (speedup {format_band(lo, hi)} against a price ratio of {format_ratio(k)}); "
        f"measure longer or a bigger workload."
    )


def _billing_reason(g: DeviceVerdict) -> str:
    if g.note == "billing minimum":
        return f": the job is so short that the {MIN_BILLED_S:.0f}-second billing minimum decides"
    if g.note == "hourly billing":
        return ": billing by the started hour decides"
    return ""


def table_rows(v: Verdict) -> list[list[str]]:
    """Rows of [device, time to train, speedup, $/h, job cost, per started hour, pays?] for people."""
    rows = []
    for d in (v.cpu, *v.gpus):
        time = "n/a" if d.time_s is None else format_duration(d.time_s)
        if d.time_ci95 and d.time_s is not None and d.source != "measured":
            time += f" ({format_duration(d.time_ci95[0])}–{format_duration(d.time_ci95[1])})"
        elif d.time_ci95 and d.time_s is not None:
            time += f" (±{_half_width(d.time_s, d.time_ci95):.0%})"
        price = "n/a" if d.usd_per_hour is None else f"{d.usd_per_hour:.3g}"
        cost = format_usd(d.cost_usd) if d.cost_ci95 is None else format_usd_range(*d.cost_ci95)
        rows.append(
            [
                f"{d.label} [{d.source}]",
                time,
                d.speedup_text(),
                price,
                cost,
                format_usd(d.cost_hourly_usd),
                PAYS_WORDS[d.outcome],
            ]
        )
    return rows


def _half_width(center: float, ci: tuple[float, float]) -> float:
    return max(center - ci[0], ci[1] - center) / center if center > 0 else 0.0


def verdict_text(v: Verdict) -> str:
    k = v.prices.ratio
    lines = [v.sentence, "", f"Workload: {v.workload.describe()}"]
    if v.architecture:
        lines.append(f"Model: {v.architecture}")
    lines.append(
        f"Prices: CPU ${v.prices.cpu_per_hour:.4g}/h, GPU ${v.prices.gpu_per_hour:.4g}/h for the "
        f"{v.primary_gpu.label if v.primary_gpu else v.primary} (the price ratio k = {format_ratio(k)}); "
        f"billed {BILLING_LABELS[v.billing]}"
    )
    lines.append("")
    header = list(TABLE_HEADER)
    rows = [header, *table_rows(v)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines += ["  ".join(c.ljust(wd) for c, wd in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.append("")
    for b in (v.break_even_samples, v.break_even_params):
        if b is not None:
            lines.append(b.text)
    lines += [f"Memory: {m}" for m in v.memory_lines]
    lines.append(v.idle_hour)
    lines += v.notes
    estimated = [d for d in (v.cpu, *v.gpus) if d.estimated or d.source != "measured"]
    if estimated:
        lines.append("")
        lines.append("How the non-measured numbers were made:")
        lines += [f"  {d.label}: {d.basis}" for d in estimated]
    lines.append("")
    lines += [f"Rule: {r}" for r in v.rules]
    return "\n".join(lines)
