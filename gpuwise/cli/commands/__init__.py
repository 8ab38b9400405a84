"""Every command of ``gpuwise``, one module each, listed once in :data:`COMMANDS`.

The list is plain imports on purpose: a command module that is missing or broken stops ``gpuwise`` with an
ImportError at once, instead of its command quietly disappearing from ``--help``. Each module has
``add_parser(subparsers)``, which adds its subcommand(s) and sets ``func`` to the function that runs it.
"""

from __future__ import annotations

from typing import Protocol

from gpuwise.cli.commands import advise, bench, desktop, devices, estimate, gui, history, monitor, plot, report
from gpuwise.cli.options import Subparsers


class Command(Protocol):
    def add_parser(self, subparsers: Subparsers) -> None: ...


# In the order `gpuwise --help` lists them.
COMMANDS: tuple[Command, ...] = (gui, bench, devices, monitor, plot, advise, estimate, report, history, desktop)
