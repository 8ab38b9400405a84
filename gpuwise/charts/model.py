"""The values a chart model is made of, and what every chart is computed from.

A ``ChartModel`` is what a view draws and an export writes: series of marks, failures, reference lines,
crossovers, notes, bars and the CSV rows. ``ChartInputs`` is everything the models read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from gpuwise.core.decide import PriceBook
from gpuwise.core.report import MicroResult, Point

Kind = Literal["measured", "extrapolated", "estimate"]
Metric = Literal["epoch", "train"]
METRICS: tuple[Metric, ...] = ("epoch", "train")
DEFAULT_PRICE_RATIO = 3.0
PLACEHOLDER = "Run a comparison or open a report"
MEASURING_PLACEHOLDER = "Measuring: points appear here as each one is measured"


@dataclass(frozen=True)
class Mark:
    """One plotted point, in data units (the views take log10 where the axis is logarithmic)."""

    x: float
    y: float
    kind: Kind
    tip: str
    lo: float | None = None  # error bar bounds in y units
    hi: float | None = None


@dataclass(frozen=True)
class Series:
    key: tuple[Any, ...]
    name: str  # legend text; says "(estimate)" for estimates
    device: str
    estimated: bool
    variant: int  # 0, 1, 2… among series of one device: shades them apart
    symbol_key: str  # precision: picks the marker shape
    role: str  # "main" or "secondary" (e.g. time to train next to epoch time)
    marks: tuple[Mark, ...]


@dataclass(frozen=True)
class Failure:
    """A point that could not be measured; drawn as a red × on the bottom edge at its x."""

    x: float
    tip: str


@dataclass(frozen=True)
class HLine:
    y: float
    label: str
    role: str  # "break-even" or "peak"
    device: str | None = None  # a GPU's own break-even line is drawn in its colour
    estimated: bool = False
    variant: int = 0
    short: str = ""  # the label on the line itself


@dataclass(frozen=True)
class Crossover:
    """Where a GPU's speedup curve crosses the break-even price ratio."""

    series: str
    device: str
    x: float
    direction: Literal["up", "down"]  # "up": the GPU pays above x; "down": below x
    estimated: bool  # any point of the curve is an estimate
    text: str  # e.g. "GPU pays above ~3.2M params"
    series_estimated: bool = False  # the curve is a catalog GPU's (its colour comes from the estimate hues)
    variant: int = 0
    y: float = 0.0  # the GPU's own break-even price ratio, where the star sits


@dataclass(frozen=True)
class Note:
    """A line of text beside the chart (e.g. a speedup verdict), coloured like its series when it has one."""

    text: str
    device: str | None = None
    estimated: bool = False
    variant: int = 0
    priority: int = 0  # where space is short, higher goes first (crossovers: 1)


@dataclass(frozen=True)
class Bar:
    label: str
    device: str
    kind: str
    value: float
    tip: str
    value_text: str = ""  # the number over the bar; its unit is on the axis


@dataclass(frozen=True)
class ChartModel:
    name: str
    title: str
    x_label: str
    y_label: str
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    x_log: bool = True  # every chart so far spans decades on both axes
    y_log: bool = True
    series: list[Series] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    hlines: list[HLine] = field(default_factory=list)
    crossovers: list[Crossover] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    bar_y_label: str = ""
    placeholder: str = PLACEHOLDER

    @property
    def has_data(self) -> bool:
        return bool(self.series or self.failures or self.bars)


@dataclass(frozen=True)
class ChartInputs:
    points: list[Point]
    estimates: list[Point]
    micro: list[MicroResult]
    machine: dict[str, Any]
    pricing: PriceBook = field(default_factory=lambda: PriceBook.flat(DEFAULT_PRICE_RATIO))
    # What the person picked above the charts. None: the default (the largest size measured).
    model_size: int | None = None
    metric: Metric = "epoch"
    speedup_samples: int | None = None
    # The job the verdict prices: the speedup chart compares times to train this many epochs (None: as measured)
    job_epochs: int | None = None
    # data-parallel points (the scaling chart); ``points`` holds the single-process ones
    scaling_points: list[Point] = field(default_factory=list)
    # a run is under way: an empty chart says its points are coming rather than asking for a run
    measuring: bool = False

    @property
    def all_points(self) -> list[Point]:
        return [*self.points, *self.estimates]
