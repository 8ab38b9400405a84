"""The verdict's values: the job (``Workload``), one device's numbers (``DeviceVerdict``), break-even sizes and the
whole ``Verdict``. Plain frozen dataclasses that render to JSON; the decision lives in ``rule``, the words in
``text``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from gpuwise.core.decide.rule import BILLING_LABELS, MIN_BILLED_S, Billing, Outcome
from gpuwise.core.errors import UserInputError
from gpuwise.core.precision import check_precision
from gpuwise.core.prices import PriceSettings
from gpuwise.core.units import format_count

Source = Literal["measured", "scaled", "interpolated", "extrapolated", "estimate"]
Overall = Literal["gpu_pays", "stay_on_cpu", "cant_tell", "nothing_fits"]

DEFAULT_COMPARISON = ("T4", "H100 SXM")  # the cheapest common cloud GPU and a high-end one
TIE_RULE = (
    "A GPU that costs k× the CPU pays only when the job costs less on it: for jobs past the billing "
    "minimum, when it is more than k× faster; a tie (within 0.01 %) does not pay."
)
BILLING_RULE = (
    f"Job cost: per-second billing with a {MIN_BILLED_S:.0f}-second minimum (AWS, GCP, Azure "
    "on-demand), or per started hour where chosen; 'per started hour' is what an hourly-billed rental "
    "charges."
)
CI_RULE = (
    "Each device's 95 % time CI becomes a cost range: the GPU pays when its whole range is below the CPU's, "
    "does not pay when it is at or above it, and can't tell when they overlap. For estimates the range is "
    "the estimate's uncertainty band (not a statistical CI)."
)
ESTIMATED_SOURCES = ("estimate", "extrapolated")


@dataclass(frozen=True)
class Workload:
    family: str
    params: int
    samples: int
    epochs: int = 1
    batch_size: int = 128
    precision: str = "fp32"
    optimizer: str = "adam"

    def __post_init__(self) -> None:
        from gpuwise.core.bench.workloads import MAX_PARAMS, MIN_PARAMS, check_family, is_resizable

        check_family(self.family)
        if self.params < 1 or (is_resizable(self.family) and not MIN_PARAMS <= self.params <= MAX_PARAMS):
            raise UserInputError(f"model size {self.params:,} is out of range (1k to 10B parameters)")
        for v, what, hi in (
            (self.samples, "dataset size", 1e12),
            (self.epochs, "epochs", 1e6),
            (self.batch_size, "batch size", 65536),
        ):
            if not 1 <= v <= hi:
                raise UserInputError(f"{what} {v:,} is out of range (1 to {hi:,.0f})")
        check_precision(self.precision)
        if self.optimizer not in ("adam", "sgd"):
            raise UserInputError(f"unknown optimizer {self.optimizer!r} (choose from adam, sgd)")

    def describe(self) -> str:
        from gpuwise.core.bench.workloads import family_label

        return (
            f"{family_label(self.family)} {format_count(self.params)} params, {format_count(self.samples)} "
            f"samples × {self.epochs} epoch{'s' if self.epochs != 1 else ''}, batch {self.batch_size}, "
            f"{self.precision}, {'Adam' if self.optimizer == 'adam' else 'SGD'}"
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DeviceVerdict:
    device: str  # "cpu", "cuda:0", "mps" or a catalog GPU name (estimate)
    label: str
    kind: Literal["cpu", "gpu"]
    source: Source
    basis: str
    step_s: float | None = None
    step_ci95: tuple[float, float] | None = None
    time_s: float | None = None
    time_ci95: tuple[float, float] | None = None
    usd_per_hour: float | None = None
    price_note: str = ""
    cost_usd: float | None = None  # under the verdict's billing: what the decision compares
    cost_ci95: tuple[float, float] | None = None  # the same, from the time's CI
    cost_hourly_usd: float | None = None  # per started hour
    speedup: float | None = None
    speedup_ci95: tuple[float, float] | None = None
    price_ratio: float | None = None
    outcome: Outcome | None = None  # GPUs only
    fits: bool | None = None
    memory_needed: int | None = None
    memory_available: int | None = None
    largest_batch: int | None = None
    note: str = ""

    @property
    def estimated(self) -> bool:
        return self.source in ESTIMATED_SOURCES

    def speedup_text(self, band: str = " ({})") -> str:
        """ "1×" for the CPU, else the speedup followed by its range formatted into ``band``."""
        from gpuwise.core.decide.text import format_band, format_ratio

        if self.kind == "cpu":
            return "1×"
        if self.speedup is None:
            return "n/a"
        ci = band.format(format_band(*self.speedup_ci95)) if self.speedup_ci95 else ""
        return format_ratio(self.speedup) + ci

    @property
    def display_label(self) -> str:
        return f"{self.label} (estimate)" if self.estimated else self.label

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["estimated"] = self.estimated
        return d


@dataclass(frozen=True)
class PriceBook:
    """$/h as a verdict priced them, for surfaces that draw many GPUs (the speedup chart): each GPU its own price,
    one for GPUs the verdict did not price, and the billing."""

    cpu_per_hour: float
    gpu_per_hour: float  # for a GPU not listed in ``gpus``
    billing: Billing = "per_second"
    gpus: tuple[tuple[str, float], ...] = ()

    @classmethod
    def flat(cls, ratio: float) -> PriceBook:
        """Every GPU at ``ratio`` times the CPU's price (CPU $1/h)."""
        return cls(1.0, float(ratio))

    def gpu(self, device: str) -> float:
        return dict(self.gpus).get(device, self.gpu_per_hour)

    def ratio(self, device: str) -> float:
        return self.gpu(device) / self.cpu_per_hour


Interval = tuple[float | None, float | None]  # [low, high], None = unbounded


@dataclass(frozen=True)
class BreakEven:
    """Where along one dimension the GPU pays: the ranges of sizes (``pays_on``) and, for people, one value."""

    dimension: Literal["samples", "params"]
    value: float | None
    direction: Literal["above", "below", ""]  # the GPU pays above / below the value
    reason: str
    estimated: bool
    pays_on: tuple[Interval, ...] = ()
    device: str = ""  # the GPU this break-even is for

    def pays_at(self, x: float) -> bool:
        """Whether the GPU pays at size ``x`` by this break-even (the same answer as the verdict at x)."""
        return any((lo is None or x >= lo) and (hi is None or x <= hi) for lo, hi in self.pays_on)

    @property
    def text(self) -> str:
        from gpuwise.core.decide.text import break_even_text

        return break_even_text(self)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["pays_on"] = [list(i) for i in self.pays_on]
        return {**d, "text": self.text}


@dataclass(frozen=True)
class Verdict:
    workload: Workload
    prices: PriceSettings
    cpu: DeviceVerdict
    gpus: tuple[DeviceVerdict, ...]
    primary: str  # device of the GPU the sentence is about
    outcome: Overall
    sentence: str
    break_even_samples: BreakEven | None
    break_even_params: BreakEven | None
    memory_lines: tuple[str, ...]
    idle_hour: str
    architecture: str = ""
    rules: tuple[str, ...] = (TIE_RULE, BILLING_RULE, CI_RULE)
    notes: tuple[str, ...] = field(default_factory=tuple)
    billing: Billing = "per_second"

    @property
    def estimated(self) -> bool:
        """True when the sentence rests on an estimate (the CPU's or the GPU's time)."""
        g = self.primary_gpu
        return self.cpu.estimated or (g is not None and g.estimated)

    @property
    def primary_gpu(self) -> DeviceVerdict | None:
        return next((g for g in self.gpus if g.device == self.primary), None)

    @property
    def billing_label(self) -> str:
        return BILLING_LABELS[self.billing]

    def price_book(self) -> PriceBook:
        """$/h per GPU device as the verdict priced them (charts draw each GPU's break-even line from these)."""
        gpus = tuple((g.device, g.usd_per_hour) for g in self.gpus if g.usd_per_hour is not None)
        return PriceBook(self.prices.cpu_per_hour, self.prices.gpu_per_hour, self.billing, gpus)

    def to_dict(self) -> dict[str, Any]:
        return {
            "workload": self.workload.to_dict(),
            "architecture": self.architecture,
            "prices": self.prices.to_dict(),
            "price_ratio": self.prices.ratio,
            "billing": self.billing,
            "outcome": self.outcome,
            "sentence": self.sentence,
            "estimated": self.estimated,
            "primary": self.primary,
            "cpu": self.cpu.to_dict(),
            "gpus": [g.to_dict() for g in self.gpus],
            "break_even_samples": self.break_even_samples.to_dict() if self.break_even_samples else None,
            "break_even_params": self.break_even_params.to_dict() if self.break_even_params else None,
            "memory": list(self.memory_lines),
            "idle_hour": self.idle_hour,
            "rules": list(self.rules),
            "notes": list(self.notes),
        }

    def table_rows(self) -> list[list[str]]:
        from gpuwise.core.decide.text import table_rows

        return table_rows(self)

    def to_text(self) -> str:
        from gpuwise.core.decide.text import verdict_text

        return verdict_text(self)
