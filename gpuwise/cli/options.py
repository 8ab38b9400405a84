"""The argument style every command shares.

Options are read as the text the user typed and checked in the command's ``run`` by the functions below (or by
core's own checks), which raise :class:`UserInputError` naming the option: ``gpuwise`` prints that as one line and
exits 2, the same for every command. argparse itself only knows which options exist.
"""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING, TypeAlias

from gpuwise.core.errors import UserInputError

if TYPE_CHECKING:
    Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Subparsers = argparse._SubParsersAction

REPORT_METAVAR = "REPORT.json"


def add_report_argument(p: argparse.ArgumentParser, help_text: str, *, optional: bool = False) -> None:
    """The positional report argument, spelled the same in every command that reads one."""
    p.add_argument("report", nargs="?" if optional else None, metavar=REPORT_METAVAR, help=help_text)


def add_json_flag(p: argparse.ArgumentParser, help_text: str = "print JSON") -> None:
    p.add_argument("--json", action="store_true", help=help_text)


def count(text: str | None, what: str, *, minimum: int = 1) -> int | None:
    """A human count ("10k", "1e6") of at least ``minimum``; ``None`` when the option was not given."""
    if text is None:
        return None
    from gpuwise.core.units import parse_count

    value = parse_count(text, what=what)
    if value < minimum:
        raise UserInputError(f"{what} must be at least {minimum} (got {text})")
    return value


def required_count(text: str, what: str, *, minimum: int = 1) -> int:
    value = count(text, what, minimum=minimum)
    assert value is not None
    return value


def positive_number(text: str, what: str, unit: str = "") -> float:
    """A finite number above zero, e.g. seconds or a price ratio."""
    try:
        value = float(text)
    except ValueError:
        raise UserInputError(f"{what} {text!r} is not a number") from None
    if not (value > 0 and math.isfinite(value)):
        raise UserInputError(f"{what} must be a positive number{' of ' + unit if unit else ''} (got {text})")
    return value
