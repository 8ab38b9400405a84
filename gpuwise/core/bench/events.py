"""Progress events yielded by the core's long-running generators (the sweep, a point, the micro-benchmarks).

Front ends consume them: the CLI draws a progress bar, the GUI worker re-emits them as Qt signals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from gpuwise.core.report import MicroResult, Point, Report

Phase = Literal["preparing", "init", "warmup", "measuring", "micro", "done"]


@dataclass(frozen=True)
class Progress:
    """Where a sweep stands. ``fraction`` is of the whole sweep (0..1); ``eta_s`` is the time left, estimated."""

    phase: Phase
    point_index: int  # 0-based index in the plan, -1 for micro-benchmarks
    point_count: int
    label: str  # e.g. "mlp 1M params, 10k samples on cpu fp32"
    step: int
    steps: int  # steps planned in this phase (0 if unknown)
    fraction: float
    eta_s: float


@dataclass(frozen=True)
class PointMeasured:
    index: int
    point: Point


@dataclass(frozen=True)
class MicroMeasured:
    result: MicroResult


@dataclass(frozen=True)
class SweepFinished:
    report: Report
    cancelled: bool


SweepEvent = Progress | PointMeasured | MicroMeasured | SweepFinished
