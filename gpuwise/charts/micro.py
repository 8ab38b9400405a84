"""The micro-benchmarks chart: matmul speed against matrix size beside the CPU's peak line, and memory
bandwidth and host-to-device copy speed as bars."""

from __future__ import annotations

from typing import Any

from gpuwise.charts.device_names import is_cpu
from gpuwise.charts.model import PLACEHOLDER, Bar, ChartInputs, ChartModel, HLine, Mark, Note, Series
from gpuwise.charts.rows import blank, blank_row
from gpuwise.charts.series import device_variants
from gpuwise.core.devices import describe_cpu_peak, peak_fraction_label
from gpuwise.core.report import MicroResult
from gpuwise.core.units import format_bytes

MICRO_COLUMNS = ("series", "device", "kind", "precision", "size", "value", "unit", "peak_fraction")

_BANDWIDTH_LABEL = {  # short bar names (two short lines, so four bars fit at 1280 px); the tooltip says it in full
    "triad": "{device}\nRAM",
    "h2d_pageable": "→{device}\npageable",
    "h2d_pinned": "→{device}\npinned",
}
_ONE_GPU_LABEL = {"h2d_pageable": "copy\npageable", "h2d_pinned": "copy\npinned"}
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
    variants = device_variants(groups)
    cpu = inputs.machine.get("cpu")
    cpu = cpu if isinstance(cpu, dict) else {}
    series: list[Series] = []
    rows: list[dict[str, Any]] = []
    for key, group in groups.items():
        device, _, precision = key
        name = f"{device} {precision}" if multi_precision or precision != "fp32" else device
        by_size = {m.size: m for m in group}
        # a formula peak at a clock that is not the maximum is no theoretical peak: the tips say what the line says
        of = peak_fraction_label(device, cpu)
        marks = []
        for size in sorted(by_size):
            m = by_size[size]
            peak = f"\n{m.peak_fraction:.0%} of {of}" if m.peak_fraction is not None else ""
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
        peak_row = blank_row(MICRO_COLUMNS)
        peak_row.update(
            series=f"cpu {cpu_peak.formula_label}",
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
    copy_targets = {device for device, kind in by_bar if kind in _ONE_GPU_LABEL}
    # one GPU: "copy" says enough beside its RAM bar ("→cuda:0" labels ran into each other at 1280 px)
    names = {**_BANDWIDTH_LABEL, **_ONE_GPU_LABEL} if len(copy_targets) == 1 else _BANDWIDTH_LABEL
    for (device, kind), group in sorted(by_bar.items(), key=lambda kv: (not is_cpu(kv[0][0]), kv[0])):
        best = max(group, key=lambda m: m.value)
        label = names.get(kind, "{device}\n" + kind).format(device=device)
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
        "peak_fraction": blank(m.peak_fraction),
    }


def _bar_value_text(value: float) -> str:
    """``3580`` not ``3.58e+03``, ``19.3``: short enough to sit over a bar without touching its neighbour's."""
    return f"{value:.0f}" if abs(value) >= 99.95 else f"{value:.3g}"
