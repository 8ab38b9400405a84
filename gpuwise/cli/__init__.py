"""The command line: ``gpuwise COMMAND ...``; the commands are the modules listed in :mod:`gpuwise.cli.commands`.

Imports stay lazy so that ``gpuwise --help`` is instant: torch loads only when measuring starts, Qt only when a
window or a chart is asked for. Bad input exits with status 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import cast

import gpuwise
from gpuwise.cli.commands import COMMANDS
from gpuwise.cli.options import Subparsers
from gpuwise.core.errors import UserInputError
from gpuwise.core.terminal_text import terminal_safe


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # one readable line and status 2, like every other input error of gpuwise
        self.exit(2, f"gpuwise: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="gpuwise",
        description="Do I need a GPU to train this model on this data, and is it worth the money? "
        "Without a command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"gpuwise {gpuwise.__version__}")
    # each subcommand's parser is a _Parser too, so its errors read the same; to the commands it is an ArgumentParser
    sub = cast(Subparsers, parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser))
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def _looks_like_report(arg: str) -> bool:
    return not arg.startswith("-") and (arg.lower().endswith(".json") or os.path.isfile(arg))


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
