"""A shareable report: one self-contained HTML file with the verdict, the charts, the machine, every point.

The file needs no network and runs no script: styles are inline, charts are inline SVG (the same portable SVG as
chart export), and a Content-Security-Policy forbids loading anything. Every string that came from a report —
host names, device names, error messages, settings — is escaped, so a report cannot inject markup. It prints on
A4/Letter with a print stylesheet (no page breaks inside a chart or a table row).

The charts are drawn with the app's chart code, so this module needs Qt (offscreen is enough, as for
``gpuwise plot``); the verdict comes from ``gpuwise.core.verdict.compute_verdict``.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import gpuwise
from gpuwise.core.bench.timing import UNSTABLE_IQR_RATIO
from gpuwise.core.decide import Verdict, compute_verdict
from gpuwise.core.decide.text import TABLE_HEADER
from gpuwise.core.devices import peak_fraction_label
from gpuwise.core.errors import UserInputError
from gpuwise.core.machine_text import machine_summary
from gpuwise.core.report import MicroResult, Point, Report
from gpuwise.core.units import format_bytes, format_count, format_duration, format_rate
from gpuwise.ui.charts import TAB_TIPS, TAB_TITLES, ChartsWidget
from gpuwise.ui.export import svg_bytes
from gpuwise.ui.qt import ChartTheme, QtGui

CHART_SIZE = (1000, 625)  # the export's layout size: fonts at their natural size, scaled by the page
# The columns of Verdict.table_rows(), in its order.
VERDICT_COLUMNS = TABLE_HEADER
_log = logging.getLogger(__name__)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def esc(value: object) -> str:
    """``value`` as HTML text: markup escaped, control characters (which HTML forbids) shown as U+FFFD."""
    return html.escape(_CONTROL.sub("\ufffd", str(value)), quote=True)


def print_theme() -> ChartTheme:
    """Dark on white whatever the window's theme: the report is read on paper and on any screen."""
    return ChartTheme(
        background=QtGui.QColor("#ffffff"),
        foreground=QtGui.QColor("#000000"),
        muted=QtGui.QColor("#737373"),
        dark=False,
    )


# ---------------------------------------------------------------- building the parts


def chart_svgs(charts: ChartsWidget) -> dict[str, str]:
    """Each chart that has data, as inline SVG markup (no XML declaration), by chart name."""
    out: dict[str, str] = {}
    for name in charts.chart_names():
        if not charts.model(name).has_data:
            continue
        svg = svg_bytes(charts, name, CHART_SIZE, theme=print_theme()).decode("utf-8")
        out[name] = re.sub(r"^<\?xml[^>]*\?>\s*", "", svg)
    return out


def charts_for(report: Report, verdict: Verdict | None) -> ChartsWidget:
    """A ChartsWidget holding ``report`` priced as ``verdict`` prices it: each GPU's break-even line, the job's
    epochs, and the verdict's estimated GPUs drawn (as ``gpuwise plot`` does). The caller deletes it."""
    charts = ChartsWidget()
    charts.set_report(report)
    if verdict is not None:
        from gpuwise.core.estimate import estimate_points_like

        charts.set_pricing(verdict.price_book())
        charts.set_job_epochs(verdict.workload.epochs)
        estimated = [g.device for g in verdict.gpus if g.estimated]
        charts.set_estimates(estimate_points_like(report, estimated, flops_method="analytic"))
    return charts


def verdict_or_reason(report: Report, **options: Any) -> Verdict | str:
    """``compute_verdict(report, **options)``, or why there is none: the rest of the report is worth sharing."""
    try:
        return compute_verdict(report, **options)
    except UserInputError as e:
        return str(e)
    except (KeyError, ValueError, TypeError) as e:
        # A report that loads but that the verdict cannot use (an older or hand-made one): say so, keep going.
        _log.debug("no verdict for this report", exc_info=True)
        return f"the verdict could not be computed from this report ({type(e).__name__}: {e})"


def report_html(
    report: Report,
    *,
    verdict: Verdict | str | None = None,
    charts: ChartsWidget | None = None,
    source: str = "",
    generated: datetime | None = None,
) -> str:
    """The whole HTML document for ``report``.

    ``verdict``: the one to show (the app passes the card's, with the user's prices); by default
    ``compute_verdict(report)``; a string says why there is none. ``charts``: the app's charts (with its compared
    GPUs); by default the report's own. ``source``: where the report came from (a file name), shown in the header.
    """
    if verdict is None:
        verdict = verdict_or_reason(report)
    own = charts is None
    widget = charts_for(report, verdict if isinstance(verdict, Verdict) else None) if charts is None else charts
    try:
        svgs = chart_svgs(widget)
    finally:
        if own:
            widget.deleteLater()
    return build_document(report, verdict, svgs, source=source, generated=generated)


def build_document(
    report: Report,
    verdict: Verdict | str,
    svgs: Mapping[str, str],
    *,
    source: str = "",
    generated: datetime | None = None,
) -> str:
    """The HTML text from already drawn charts (``svgs``: chart name -> inline SVG markup)."""
    generated = generated or datetime.now(timezone.utc)
    machine = machine_summary(report.machine)
    title = f"gpuwise report: {machine}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        # Belt and braces for "needs no network, runs nothing": the browser refuses any fetch and any script.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        'img-src data:">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="gpuwise {esc(gpuwise.__version__)}">',
        f"<title>{esc(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<header>",
        "<h1>Do I need a GPU for this? <span class='muted'>gpuwise report</span></h1>",
        f'<p class="meta">Measured on <strong>{esc(machine)}</strong> · {esc(report.created)}'
        f"{' · from ' + esc(source) if source else ''} · report written by gpuwise "
        f"{esc(report.gpuwise_version or 'unknown')}, this page by gpuwise {esc(gpuwise.__version__)} on "
        f"{esc(generated.strftime('%Y-%m-%d %H:%M UTC'))}</p>",
    ]
    if report.cancelled:
        parts.append('<p class="warn">This run was cancelled: the report holds the points completed before.</p>')
    parts.append("</header>")
    parts += _verdict_section(verdict)
    parts += _charts_section(svgs)
    parts += _machine_section(report)
    parts += _points_section(report.points)
    cpu = report.machine.get("cpu")
    parts += _micro_section(report.micro, cpu if isinstance(cpu, dict) else {})
    parts += _method_section(report, verdict)
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], *, classes: Sequence[str] = (), kind: str = ""
) -> list[str]:
    """A table of already escaped cells; ``classes``: one CSS class per row (e.g. estimate rows)."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    out = [f'<table class="{kind}">' if kind else "<table>", f"<thead><tr>{head}</tr></thead>", "<tbody>"]
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if i < len(classes) and classes[i] else ""
        out.append(f"<tr{cls}>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>")
    out += ["</tbody>", "</table>"]
    return out


def _verdict_section(verdict: Verdict | str) -> list[str]:
    out = ['<section class="verdict">', "<h2>Verdict</h2>"]
    if isinstance(verdict, str):
        return [*out, f'<p class="sentence">No verdict: {esc(verdict)}</p>', "</section>"]
    d = verdict.to_dict()
    badge = ' <span class="badge">rests on estimates</span>' if verdict.estimated else ""
    out.append(f'<p class="sentence outcome-{esc(d["outcome"])}">{esc(verdict.sentence)}{badge}</p>')
    w = verdict.workload
    out.append(
        f"<p><strong>Job:</strong> {esc(w.describe())}"
        f"{' — ' + esc(d['architecture']) if d.get('architecture') else ''}</p>"
    )
    prices = d["prices"]
    cpu_from = f" ({esc(prices['cpu_preset'])})" if prices.get("cpu_preset") else " (your price)"
    gpu_from = f" ({esc(prices['gpu_preset'])})" if prices.get("gpu_preset") else " (your price)"
    gpu = verdict.primary_gpu
    out.append(
        f"<p><strong>Prices:</strong> CPU ${prices['cpu_per_hour']:.4g}/h{cpu_from}, GPU "
        f"${prices['gpu_per_hour']:.4g}/h{gpu_from}{' for the ' + esc(gpu.label) if gpu else ''}: the GPU costs "
        f"k = {d['price_ratio']:.2f}× the CPU; billed {esc(verdict.billing_label)}</p>"
    )
    rows = [[esc(c) for c in row] for row in verdict.table_rows()]
    kinds = ["estimate" if g.estimated or g.source != "measured" else "" for g in (verdict.cpu, *verdict.gpus)]
    out += ['<div class="scroll">', *_table(VERDICT_COLUMNS, rows, classes=kinds), "</div>"]
    lines = [b["text"] for b in (d["break_even_samples"], d["break_even_params"]) if b]
    lines += [f"Memory: {m}" for m in d["memory"]]
    lines.append(d["idle_hour"])
    lines += d["notes"]
    out += ["<ul>", *(f"<li>{esc(line)}</li>" for line in lines), "</ul>"]
    estimated = [g for g in (verdict.cpu, *verdict.gpus) if g.estimated or g.source != "measured"]
    if estimated:
        out.append("<p><strong>How the numbers that were not measured were made</strong> (estimates):</p>")
        out += ["<ul>", *(f"<li>{esc(g.label)}: {esc(g.basis)}</li>" for g in estimated), "</ul>"]
    out.append("</section>")
    return out


def _charts_section(svgs: Mapping[str, str]) -> list[str]:
    if not svgs:
        return []
    out = [
        "<section>",
        "<h2>Charts</h2>",
        '<p class="muted">Measured points are solid, extrapolated ones dashed, estimates dotted and named '
        '"(estimate)"; failed or skipped points are red markers.</p>',
    ]
    for name, svg in svgs.items():
        out += [
            "<figure>",
            f"<figcaption><strong>{esc(TAB_TITLES.get(name, name))}</strong>: "
            f"{esc(TAB_TIPS.get(name, ''))}</figcaption>",
            svg,
            "</figure>",
        ]
    out.append("</section>")
    return out


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [kv for k, v in value.items() for kv in _flatten(v, f"{prefix}.{k}" if prefix else str(k))]
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        return [kv for i, v in enumerate(value) for kv in _flatten(v, f"{prefix}[{i}]")]
    return [(prefix, value)]


def _fact(key: str, value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "no", None: "—"}[value]
    if isinstance(value, int) and re.search(r"ram|memory|bytes", key) and value >= 1024:
        return f"{format_bytes(value)} ({value:,} B)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def _facts_table(data: Mapping[str, Any]) -> list[str]:
    rows = [[esc(k), esc(_fact(k, v))] for k, v in _flatten(dict(data))]
    return _table(("", ""), rows) if rows else ['<p class="muted">Not recorded.</p>']


def _machine_section(report: Report) -> list[str]:
    return [
        "<section>",
        "<h2>Machine and workload</h2>",
        '<div class="columns">',
        "<div><h3>Machine</h3>",
        *_facts_table(report.machine),
        "</div>",
        "<div><h3>Run settings</h3>",
        *_facts_table(report.settings),
        "</div>",
        "</div>",
        "</section>",
    ]


def _num(v: float | None, fmt: Any) -> str:
    return "—" if v is None else str(fmt(v))


def _two_lines(first: str, second: str) -> str:
    """An escaped cell of a value and, smaller below it, its detail."""
    return esc(first) + (f'<br><span class="detail">{esc(second)}</span>' if second else "")


def _setup(p: Point) -> str:
    text = f"batch {p.batch_size} · {p.epochs} epoch{'s' if p.epochs != 1 else ''} · {p.precision} · {p.optimizer}"
    return text + (f" · {p.threads} threads" if p.threads else "")


def _point_row(p: Point) -> list[str]:
    st = p.step_time_s
    step = (
        "—"
        if st is None
        else _two_lines(
            format_duration(st.median), f"{format_duration(st.ci95[0])}–{format_duration(st.ci95[1])}, n={st.n}"
        )
    )
    epoch = esc(_num(p.epoch_time_s, format_duration))
    if p.epoch_time_s is not None and p.epoch_time_extrapolated:
        epoch = _two_lines(f"~{format_duration(p.epoch_time_s)}", "extrapolated")
    notes: list[str] = []
    if p.estimated:
        notes.append(f"estimate: {p.estimate_basis}" if p.estimate_basis else "estimate")
    if p.dataset_resident_samples is not None and p.dataset_resident_samples < p.samples:
        notes.append(f"measured on a {format_count(p.dataset_resident_samples)}-sample subset")
    if p.background_cpu_load is not None and p.background_cpu_load >= 0.05:
        notes.append(f"other programs used {p.background_cpu_load:.0%} of the CPU")
    if p.message:
        notes.append(p.message)
    name = p.device_name if p.device_name and p.device_name != p.device else ""
    status = p.status + (" (unstable)" if p.unstable else "")  # the message says why
    return [
        _two_lines(p.device, name),
        esc(f"{p.family} {format_count(p.params)}"),
        esc(format_count(p.samples)),
        esc(_setup(p)),
        esc(status),
        step,
        esc(_num(p.samples_per_s, format_rate)),
        epoch,
        esc(_num(p.time_to_train_s, format_duration)),
        esc(_num(p.fixed_overhead_s, format_duration)),
        esc(_num(p.peak_memory_bytes, format_bytes)),
        esc("; ".join(notes)),
    ]
    # the notes (last) go on a line of their own under the numbers: see _points_section


POINT_COLUMNS = (
    "Device",
    "Model",
    "Samples",
    "Setup",
    "Status",
    "Step time (95 % CI)",
    "Throughput",
    "Epoch time",
    "Time to train",
    "Fixed overhead",
    "Peak memory",
)


def _points_section(points: Sequence[Point]) -> list[str]:
    out = ["<section>", f"<h2>Every point ({len(points)})</h2>"]
    if not points:
        return [*out, '<p class="muted">The report has no points.</p>', "</section>"]
    classes = ["estimate" if p.estimated else ("failed" if p.status != "ok" else "") for p in points]
    rows = [_point_row(p) for p in points]
    columns = list(POINT_COLUMNS)
    setups = {_setup(p) for p in points}
    if len(setups) == 1:  # the same for every point: said once, and the table gets narrower
        out.append(f"<p>Every point: {esc(setups.pop())}.</p>")
        i = columns.index("Setup")
        columns.pop(i)
        rows = [r[:i] + r[i + 1 :] for r in rows]
    head = "".join(f"<th>{h}</th>" for h in columns)
    out += ['<div class="scroll">', '<table class="points">', f"<thead><tr>{head}</tr></thead>"]
    for row, cls in zip(rows, classes, strict=True):
        *cells, notes = row
        # one tbody per point: print keeps a point's numbers and its notes together, and rows stay countable
        out.append(f'<tbody class="point {cls}">' if cls else '<tbody class="point">')
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        if notes:
            out.append(f'<tr class="notes"><td colspan="{len(cells)}">{notes}</td></tr>')
        out.append("</tbody>")
    return [*out, "</table>", "</div>", "</section>"]


def _micro_section(micro: Sequence[MicroResult], cpu: dict[str, Any]) -> list[str]:
    if not micro:
        return []
    rows = [
        [
            esc(m.device),
            esc(m.kind),
            esc(m.precision),
            esc(str(m.size) if m.kind == "matmul" else format_bytes(m.size)),
            esc(f"{m.value:.4g} {m.unit}"),
            esc(
                "—"
                if m.peak_fraction is None
                else f"{100 * m.peak_fraction:.2g} % of {peak_fraction_label(m.device, cpu)}"
            ),
        ]
        for m in micro
    ]
    headers = ("Device", "Benchmark", "Precision", "Size (matrix n or bytes)", "Result", "Share of peak")
    return [
        "<section>",
        "<h2>Micro-benchmarks</h2>",
        '<div class="scroll">',
        *_table(headers, rows),
        "</div>",
        "</section>",
    ]


def _method_section(report: Report, verdict: Verdict | str) -> list[str]:
    s = report.settings
    threads = s.get("threads")
    lines = [
        "A real training loop on each device: batches from a seeded synthetic dataset in host memory, copied to "
        "the device every step, forward, cross-entropy, backward and an optimizer step"
        + (f" ({esc(s['optimizer'])})" if isinstance(s.get("optimizer"), str) else "")
        + ".",
        "Timing is synchronised: every timed window ends with a device synchronisation (CUDA events on CUDA).",
        "Warm-up is excluded from step times and reported as the fixed overhead (device start, model transfer, "
        "warm-up): the reason small jobs can be faster on a CPU.",
        "The CPU gets a fair chance: torch runs on its physical cores"
        + (f" ({esc(threads)} threads here)" if isinstance(threads, int) else "")
        + ".",
        f"Step time is the median over measurement windows with its IQR and a bootstrap 95 % CI; a point is "
        f"unstable when IQR/median > {UNSTABLE_IQR_RATIO:.0%}.",
        "An epoch that does not fit the time budget"
        + (f" ({esc(s['budget_s'])} s)" if isinstance(s.get("budget_s"), int | float) else "")
        + " is extrapolated from the measured steps and marked ~ (dashed in the charts).",
        "Numbers for GPUs that were not measured are estimates from a roofline model and the GPU catalog's "
        "published peaks (each with its source), labeled as such everywhere.",
    ]
    if isinstance(verdict, Verdict):
        lines += [esc(r) for r in verdict.rules]
    return [
        "<section>",
        "<h2>How these numbers were made</h2>",
        "<ul>",
        *(f"<li>{line}</li>" for line in lines),
        "</ul>",
        "</section>",
    ]


STYLE = """
:root { color-scheme: light; --muted: #5f6368; --line: #d0d4d9; --estimate: #6a4c93; --bad: #b3261e; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1b1b1f;
       background: #fff; max-width: 1100px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.6em; margin: 0 0 4px; } h2 { font-size: 1.25em; margin: 28px 0 8px;
     border-bottom: 1px solid var(--line); padding-bottom: 4px; } h3 { font-size: 1.05em; margin: 12px 0 6px; }
.muted, .meta { color: var(--muted); } .meta { margin-top: 0; }
.warn { color: var(--bad); font-weight: 600; }
.sentence { font-size: 1.2em; font-weight: 600; padding: 10px 14px; border-left: 5px solid #1565c0;
            background: #f3f6fb; }
.outcome-gpu_pays { border-color: #2e7d32; } .outcome-cant_tell { border-color: #b26a00; }
.outcome-nothing_fits { border-color: #c62828; }
.badge { font-size: .75em; font-weight: 600; color: #fff; background: var(--estimate); border-radius: 4px;
         padding: 1px 6px; white-space: nowrap; }
table { border-collapse: collapse; width: 100%; font-size: .88em; font-variant-numeric: tabular-nums; }
th, td { text-align: left; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid var(--line); }
th { background: #f5f6f7; }
tr.estimate td { color: var(--estimate); font-style: italic; } tr.failed td { color: var(--bad); }
.scroll { overflow-x: auto; }
.detail { color: var(--muted); font-size: .85em; }
table.points td { white-space: nowrap; }
table.points tr.notes td { white-space: normal; color: var(--muted); font-size: .9em; padding-top: 0; }
table.points tbody.point tr:first-child td { border-bottom: none; }
table.points tbody.point { border-bottom: 1px solid var(--line); }
tbody.estimate td { color: var(--estimate); font-style: italic; } tbody.failed td { color: var(--bad); }
.columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px; }
.columns td:first-child { color: var(--muted); white-space: nowrap; }
figure { margin: 16px 0; } figcaption { margin-bottom: 4px; }
figure svg { display: block; width: 100%; height: auto; border: 1px solid var(--line); }
@page { margin: 14mm; }
@media print {
  body { font-size: 10pt; max-width: none; padding: 0; }
  h2 { break-after: avoid; } figure, tr, tbody.point, .sentence { break-inside: avoid; }
  .scroll { overflow: visible; } table { font-size: 8pt; }
  .sentence, .badge, th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  figure svg { border: none; max-height: 120mm; }
}
"""
