"""``gpuwise plot``: render a chart of a saved report to PNG or SVG, without a display.

Everything a person can get wrong (the report, the chart name, the size, the output path) is checked before Qt
starts, and a failure leaves no file behind. Qt is imported only here, inside ``run``, and torch never.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from gpuwise.charts.names import CHART_NAMES
from gpuwise.cli.offscreen_qt import ensure_qt_app
from gpuwise.cli.options import Subparsers, add_report_argument, positive_number
from gpuwise.core.errors import UserInputError
from gpuwise.core.history import load_report_or_run
from gpuwise.core.report import check_writable
from gpuwise.core.terminal_text import terminal_safe
from gpuwise.ui.image_size import parse_size

IMAGE_FORMATS = (".png", ".svg")


def add_parser(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "plot",
        help="render a chart of a saved report to PNG or SVG (no display needed)",
        description="Render one chart of a gpuwise report to a PNG or SVG file. Works without a display.",
    )
    add_report_argument(p, "a report saved by `gpuwise bench` or the app, or a run id")
    p.add_argument(
        "--chart",
        default="epoch-time",
        metavar="NAME",
        help=f"which chart: {', '.join(CHART_NAMES)} (default: epoch-time)",
    )
    p.add_argument("--out", required=True, metavar="FILE", help="where to write: chart.png or chart.svg")
    p.add_argument("--size", default="1600x1000", metavar="WxH", help="image size in pixels (default: 1600x1000)")
    from gpuwise.cli.commands.advise import add_price_arguments

    add_price_arguments(p)  # the speedup chart prices each GPU as `gpuwise advise` does
    p.add_argument(
        "--price-ratio",
        default=None,
        metavar="K",
        help="instead: every GPU at K times the CPU's price per hour (one break-even line)",
    )
    p.add_argument(
        "--model-size",
        default=None,
        metavar="N",
        help="epoch-time chart: which model size to draw, e.g. 10M (default: the largest measured)",
    )
    p.add_argument(
        "--metric",
        default="epoch",
        choices=("epoch", "train"),
        help="epoch-time chart: time per epoch (default) or time to train all epochs",
    )
    p.add_argument(
        "--samples",
        default=None,
        metavar="N",
        help="speedup chart: which dataset size to draw, e.g. 100k (default: the largest)",
    )
    p.set_defaults(func=run)


def _pick(label: str, text: str | None, available: list[int]) -> int | None:
    """The measured size closest to ``text`` (a human number), or None for the chart's default."""
    if text is None:
        return None
    from gpuwise.core.units import format_count, parse_count

    wanted = parse_count(text, what=label)
    if not available:
        raise UserInputError(f"--{label.replace(' ', '-')} {text}: the report has no such chart data")
    best = min(available, key=lambda n: abs(math.log(n / wanted)) if wanted > 0 else n)
    if wanted <= 0 or abs(math.log(best / wanted)) > math.log(1.5):
        sizes = ", ".join(format_count(n) for n in available)
        raise UserInputError(f"--{label.replace(' ', '-')} {text}: not in the report (it has {sizes})")
    return best


def _price(charts: Any, args: argparse.Namespace, report: Any, ratio: float | None) -> None:
    """Each GPU's break-even line at the price the verdict gives it, and the verdict's estimated GPUs drawn too
    (a CPU-only report gets the same estimated curves as in the app)."""
    if ratio is not None:
        charts.set_price_ratio(ratio)
        return
    from gpuwise.cli.commands.advise import prices_for_report
    from gpuwise.core.decide import compute_verdict, measured_points
    from gpuwise.core.estimate import estimate_points_like
    from gpuwise.core.scaling import single_process_report

    report = single_process_report(report)  # N-process points are the scaling chart's, not another CPU
    if not measured_points(report, "cpu"):
        charts.set_pricing(charts.pricing())  # nothing to price against: the default line
        return
    prices, _note, compare = prices_for_report(args, report)
    try:
        verdict = compute_verdict(report, prices=prices, compare=compare, flops_method="analytic")
    except (UserInputError, KeyError, TypeError, ValueError) as e:  # a hand-made report without architectures
        print(
            f"gpuwise: note: the GPUs cannot be priced from this report ({e}); one break-even line at "
            f"{charts.price_ratio():g}×",
            file=sys.stderr,
        )
        return
    charts.set_pricing(verdict.price_book())
    charts.set_job_epochs(verdict.workload.epochs)
    charts.set_estimates(
        estimate_points_like(report, [g.device for g in verdict.gpus if g.estimated], flops_method="analytic")
    )


def run(args: argparse.Namespace) -> int:
    chart = str(args.chart)
    if chart not in CHART_NAMES:
        raise UserInputError(f"unknown chart {chart!r}: choose one of {', '.join(CHART_NAMES)}")
    out = Path(args.out)
    if out.suffix.lower() not in IMAGE_FORMATS:
        what = f"'{out.suffix}' is not an image format gpuwise writes" if out.suffix else "the name has no extension"
        raise UserInputError(f"--out {out.name}: {what} (use .png or .svg)")
    ratio = positive_number(str(args.price_ratio), "price ratio") if args.price_ratio is not None else None
    size = parse_size(str(args.size))

    # Every check above and these two are Qt-free: a typo costs no Qt start-up and never leaves a file.
    check_writable(out)
    report = load_report_or_run(args.report)

    ensure_qt_app()
    from gpuwise.charts.model import PLACEHOLDER
    from gpuwise.ui.charts import ChartsWidget
    from gpuwise.ui.export import export_chart

    charts = ChartsWidget()
    try:
        charts.set_report(report)
        _price(charts, args, report, ratio)
        charts.set_model_size(_pick("model size", args.model_size, charts.model_sizes()))
        charts.set_epoch_metric(args.metric)
        charts.set_speedup_samples(_pick("samples", args.samples, charts.speedup_dataset_sizes()))
        model = charts.model(chart)
        if not model.has_data:
            why = (
                model.placeholder[0].lower() + model.placeholder[1:]
                if model.placeholder != PLACEHOLDER
                else f"the report has {len(report.points)} points and {len(report.micro)} micro-benchmarks"
            )
            raise UserInputError(f"{args.report}: nothing to draw on the {chart} chart: {why}")
        export_chart(charts, chart, out, size=size)
    finally:
        charts.deleteLater()
    print(terminal_safe(f"wrote {out} ({chart}, {size[0]}x{size[1]})"))
    return 0
