"""The command line: ``gpuwise [gui|bench|devices|monitor|plot|advise|estimate|report|install-desktop]``.

Imports stay lazy so that ``gpuwise --help`` is instant: torch loads only when measuring starts, Qt only when a
window or a chart is asked for. Bad input exits with status 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType

import gpuwise
from gpuwise.core.errors import UserInputError
from gpuwise.core.terminal_text import terminal_safe

# Feature modules that add their own subcommand: each has add_parser(subparsers) and run(args) -> int.
_FEATURE_MODULES = ("gpuwise.cli_bench", "gpuwise.cli_devices", "gpuwise.cli_monitor", "gpuwise.cli_plot",
                    "gpuwise.cli_advise", "gpuwise.cli_estimate", "gpuwise.cli_report",
                    "gpuwise.cli_desktop", "gpuwise.cli_history")  # fmt: skip


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # one readable line and status 2, like every other input error of gpuwise
        self.exit(2, f"gpuwise: error: {message} (see '{self.prog} --help')\n")


def _features() -> list[ModuleType]:
    mods = []
    for name in _FEATURE_MODULES:
        try:
            mods.append(importlib.import_module(name))
        except ModuleNotFoundError as e:
            if e.name != name:  # a missing dependency inside an existing module is a real error
                raise
    return mods


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="gpuwise",
        description="Do I need a GPU to train this model on this data, and is it worth the money? "
        "Without a command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"gpuwise {gpuwise.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    gui = sub.add_parser("gui", help="open the desktop app (the default)", description="Open the desktop app.")
    gui.add_argument("report", nargs="?", help="a report JSON to open at start")
    gui.set_defaults(func=_run_gui)
    for mod in _features():
        mod.add_parser(sub)
    return parser


def _looks_like_report(arg: str) -> bool:
    return not arg.startswith("-") and (arg.lower().endswith(".json") or os.path.isfile(arg))


def _run_gui(args: argparse.Namespace) -> int:
    from gpuwise.ui.app import main as gui_app

    argv = [args.report] if getattr(args, "report", None) else []
    return int(gui_app(argv))


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and _looks_like_report(args_list[0]):
        # `gpuwise report.json` (and a file manager's "open with") opens the report in the app
        args_list.insert(0, "gui")
    parser = build_parser()
    args = parser.parse_args(args_list)
    if args.command is None:
        args = parser.parse_args(["gui"])
    try:
        return int(args.func(args))
    except UserInputError as e:
        print(f"gpuwise: error: {terminal_safe(e, one_line=True)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("gpuwise: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `gpuwise bench | head`
        return 0


def gui_main() -> int:
    return main(["gui", *sys.argv[1:]])
