"""Messages name commands that exist: a hint such as "(gpuwise sweep --devices cpu)" once pointed at nothing."""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

from gpuwise.cli import build_parser

PACKAGE = Path(__file__).resolve().parents[2] / "gpuwise"
# a command quoted, as messages and help texts write them ('gpuwise advise 12', `gpuwise history`), or in
# parentheses with its options ("(gpuwise bench --devices cpu)"; "(gpuwise never …" is prose)
MENTION = re.compile(r"[`'\"]gpuwise ([a-z][a-z-]*)\b|\(gpuwise ([a-z][a-z-]*)(?= -| [A-Z0-9]|\))")


def _commands() -> set[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


def test_every_command_a_message_names_exists() -> None:
    commands = _commands()
    assert {"bench", "advise", "history", "import", "export"} <= commands
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for quoted, in_parens in MENTION.findall(node.value):
                    word = quoted or in_parens
                    if word not in commands:
                        wrong.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: gpuwise {word}")
    assert wrong == []
