"""``gpuwise report REPORT.json --out report.html``: a self-contained HTML report to share, without a display.

The report file and the output path are checked before Qt starts (a typo costs no Qt start-up and leaves no
file); the charts are then drawn offscreen like ``gpuwise plot`` does. torch is never imported.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from gpuwise.cli.offscreen_qt import ensure_qt_app
from gpuwise.cli.options import Subparsers, add_report_argument
from gpuwise.core.errors import UserInputError
from gpuwise.core.report import Report, atomic_write_text, check_writable, load_report


def add_parser(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "report",
        help="write a self-contained HTML report (verdict, charts, machine, every point) to share",
        description="Turn a gpuwise report into one HTML file that opens in any browser without network: the "
        "verdict, the charts as inline SVG, the machine and workload, every point and how it was measured. "
        "Prints well. Works without a display.",
    )
    add_report_argument(p, "a report saved by `gpuwise bench --out` or the app")
    p.add_argument("--out", required=True, metavar="FILE.html", help="where to write the HTML file")
    from gpuwise.cli.commands.advise import add_price_arguments

    add_price_arguments(p)  # the verdict and the charts priced as `gpuwise advise` and `gpuwise plot` price them
    p.set_defaults(func=run)


def load_source(source: str) -> Report:
    """The report that ``source`` names (a report file today; a run id of the history later)."""
    return load_report(source)


def _verdict(args: argparse.Namespace, report: Report) -> Any:
    """The verdict `gpuwise advise` gives with the same price options, or why there is none."""
    from gpuwise.cli.commands.advise import prices_for_report
    from gpuwise.ui.report_html import verdict_or_reason

    prices, note, compare = prices_for_report(args, report)  # a bad price option exits 2, like advise
    if note:
        print(f"gpuwise: note: {note}", file=sys.stderr)
    return verdict_or_reason(report, prices=prices, compare=compare)


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix.lower() not in (".html", ".htm"):
        what = f"'{out.suffix}' is not .html" if out.suffix else "the name has no extension"
        raise UserInputError(f"--out {out.name}: {what} (example: --out report.html)")
    check_writable(out)
    report = load_source(args.report)
    verdict = _verdict(args, report)  # before any window system: a bad price option exits 2 at once

    ensure_qt_app()
    from gpuwise.ui.report_html import report_html

    text = report_html(report, verdict=verdict, source=Path(args.report).name)
    try:
        atomic_write_text(out, text)
    except OSError as e:
        raise UserInputError(f"cannot write {out}: {e.strerror or e}") from None
    print(f"wrote {out} ({len(text.encode('utf-8')) // 1024} KiB, {len(report.points)} points)")
    return 0
