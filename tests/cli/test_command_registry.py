"""The commands are an explicit list: every command module is in it, and a missing one stops gpuwise loudly."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from gpuwise.cli import build_parser
from gpuwise.cli.commands import COMMANDS

COMMANDS_DIR = Path(__file__).resolve().parents[2] / "gpuwise" / "cli" / "commands"


def test_every_command_module_is_registered_once() -> None:
    files = {p.stem for p in COMMANDS_DIR.glob("*.py") if p.stem != "__init__"}
    registered = [c.__name__.rpartition(".")[2] for c in COMMANDS]  # type: ignore[attr-defined]
    assert sorted(registered) == sorted(files)
    assert len(set(registered)) == len(registered)


def test_every_registered_module_adds_a_command_that_runs_something() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert {
        "gui",
        "bench",
        "devices",
        "monitor",
        "plot",
        "advise",
        "estimate",
        "report",
        "history",
        "import",
        "export",
        "install-desktop",
    } <= set(sub.choices)
    for name, p in sub.choices.items():
        assert callable(p.get_default("func")), name


def test_a_missing_command_module_fails_loudly_instead_of_dropping_the_command() -> None:
    # None in sys.modules makes the import fail exactly as a deleted or unpackaged module would
    code = (
        "import sys\nsys.modules['gpuwise.cli.commands.plot'] = None\nfrom gpuwise.cli import main\nmain(['--help'])\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode != 0
    assert "gpuwise.cli.commands.plot" in res.stderr and "Error" in res.stderr
    assert "usage:" not in res.stdout
