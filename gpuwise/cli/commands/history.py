"""``gpuwise history``, ``gpuwise import REPORT.json``, ``gpuwise export RUN --out run.json``: the run history.

Every run measured by ``gpuwise bench`` or the app is in the history the moment each point is measured
(:mod:`gpuwise.core.history`); these commands list it, bring reports from other machines into it, and write a run
back out as a report file. ``advise`` and ``plot`` take a run id wherever they take a report file.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from gpuwise.cli.options import Subparsers, add_json_flag, add_report_argument, count
from gpuwise.core.errors import UserInputError

HISTORY_EPILOG = """examples:
  gpuwise history                      # newest first: id, date, status, points, devices, workload, verdict
  gpuwise history --filter "H200 mlp"  # runs whose row has every word
  gpuwise history --json               # {"runs": [{"id": 12, ...}, ...]}
  gpuwise advise 12                    # a run id works wherever a report file does (also: last)"""


def add_parser(subparsers: Subparsers) -> None:
    h = subparsers.add_parser(
        "history",
        help="list the runs measured here or imported (newest first)",
        epilog=HISTORY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="List every run in the history: each `gpuwise bench`, each run in the app (cancelled and "
        "interrupted runs too, marked so) and each imported report.",
    )
    add_json_flag(h, 'print {"runs": [...]} as JSON')
    h.add_argument("--filter", default="", help="only runs whose row contains every word")
    h.add_argument("--limit", default=None, help="at most this many runs (newest first)")
    h.set_defaults(func=run_history)

    i = subparsers.add_parser(
        "import",
        help="add a report JSON (e.g. from a cloud GPU box) to the history",
        description="Validate a report file fully and store it as a run; a file that is refused leaves the "
        "history unchanged.",
    )
    add_report_argument(i, "a report JSON written by 'gpuwise bench --out' or the app")
    i.add_argument("--name", default="", help="a name for the run (default: none)")
    i.add_argument("--tag", default="", help="tags, comma-separated")
    i.set_defaults(func=run_import)

    e = subparsers.add_parser(
        "export",
        help="write a run of the history as a report JSON",
        description="Write a run of the history as a report file (for another machine, or 'gpuwise gui').",
    )
    e.add_argument("run", help="the run's id from 'gpuwise history' (or: last)")
    e.add_argument("--out", required=True, help="the report JSON to write")
    e.set_defaults(func=run_export)


def run_history(args: argparse.Namespace) -> int:
    from gpuwise.core.history import History
    from gpuwise.core.terminal_text import terminal_safe

    limit = count(args.limit, "--limit")
    with History() as h:
        runs = h.runs(args.filter)
        path = h.path
    if limit is not None:
        runs = runs[:limit]
    if args.json:
        from gpuwise.core.terminal_text import json_terminal_safe

        text = json.dumps({"history": str(path), "runs": [r.to_dict() for r in runs]}, ensure_ascii=False)
        sys.stdout.write(json_terminal_safe(text) + "\n")
        return 0
    if not runs:
        what = "no run matches" if args.filter.strip() else "the history is empty"
        print(
            terminal_safe(
                f"{what.capitalize()} ({path}). Measure with 'gpuwise bench' or add a report with "
                "'gpuwise import REPORT.json'.",
                one_line=True,
            )
        )
        return 0
    sys.stdout.write(format_runs(runs))
    return 0


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def format_runs(runs: list[Any]) -> str:
    from gpuwise.core.terminal_text import terminal_safe

    lines = [
        f"{'run':>5}  {'measured (UTC)':<16}  {'status':<11} {'points':>6}  {'machine':<28}  {'devices':<18}  "
        f"{'workload':<36}  verdict / name"
    ]
    for r in runs:
        when = r.created[:16].replace("T", " ")
        label = " ".join(x for x in (f'"{r.name}"' if r.name else "", " ".join(f"[{t}]" for t in r.tags)) if x)
        tail = " ".join(x for x in (label, r.headline) if x) or ("—" if r.partial else "")
        line = (
            f"{r.id:>5}  {_fit(when, 16):<16}  {r.status:<11} {r.points:>6}  {_fit(r.machine, 28):<28}  "
            f"{_fit(r.devices, 18):<18}  {_fit(r.workload, 36):<36}  {_fit(tail, 100)}"
        )
        # strings from reports never reach the terminal raw; checked per line (10,000 runs list in well under 1 s)
        lines.append(line if line.isprintable() else terminal_safe(line, one_line=True))
    lines.append(
        f"{len(runs)} run{'s' if len(runs) != 1 else ''}. 'gpuwise advise RUN' gives the verdict on a run; "
        "'gpuwise export RUN --out run.json' writes it as a report."
    )
    return "\n".join(lines) + "\n"


def run_import(args: argparse.Namespace) -> int:
    from gpuwise.core.history import History, verdict_headline
    from gpuwise.core.report import load_report

    report = load_report(args.report)  # full validation before the history is touched
    headline = verdict_headline(report)
    with History() as h:
        run_id = h.import_report(report, headline=headline)
        if args.name.strip():
            h.rename(run_id, args.name)
        if args.tag.strip():
            h.set_tags(run_id, args.tag.split(","))
    print(f"imported {len(report.points)} points as run {run_id}; the verdict on it: gpuwise advise {run_id}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from gpuwise.core.history import load_report_or_run, run_id_of
    from gpuwise.core.report import check_writable, save_report
    from gpuwise.core.terminal_text import terminal_safe

    if run_id_of(args.run) is None and args.run.strip().lower() != "last":
        raise UserInputError(f"{args.run!r} is not a run id ('gpuwise history' lists them)")
    check_writable(args.out)
    report = load_report_or_run(args.run)
    save_report(report, args.out)
    print(terminal_safe(f"run {args.run} ({len(report.points)} points) written to {args.out}", one_line=True))
    return 0
