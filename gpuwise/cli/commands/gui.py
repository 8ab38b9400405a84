"""``gpuwise gui [REPORT.json]``: the desktop app (also what ``gpuwise`` without a command opens)."""

from __future__ import annotations

import argparse

from gpuwise.cli.options import Subparsers, add_report_argument


def add_parser(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("gui", help="open the desktop app (the default)", description="Open the desktop app.")
    add_report_argument(p, "a report JSON to open at start", optional=True)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gpuwise.ui.app import main as gui_app

    argv = [args.report] if getattr(args, "report", None) else []
    return int(gui_app(argv))
