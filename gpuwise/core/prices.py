"""Hourly prices: shipped list-price presets (``resources/prices.json``) and the user's own, remembered prices.

The user's prices live in ``prices.json`` under the platform's user config folder (platformdirs), or under
``$GPUWISE_CONFIG_DIR`` when set (tests, portable installs). Writes are atomic.
"""

from __future__ import annotations

import difflib
import json
import math
import os
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from gpuwise.core.catalog import find_gpu, normalize_name
from gpuwise.core.errors import UserInputError
from gpuwise.core.report import atomic_write_text
from gpuwise.core.resources import load_json_resource
from gpuwise.core.safe_json import is_missing, load_json_file

PRICES_SCHEMA = "gpuwise.prices/1"
USER_PRICES_SCHEMA = "gpuwise.user-prices/1"
COMPARISON_SCHEMA = "gpuwise.comparison/1"
CONFIG_ENV = "GPUWISE_CONFIG_DIR"
_MAX_PRICE = 10_000.0  # $/h: beyond this a typo, not a price


class PricesError(ValueError):
    """The shipped presets file is malformed."""


@dataclass(frozen=True)
class Preset:
    name: str
    label: str
    kind: str  # "cpu" or "gpu"
    usd_per_hour: float
    provider: str
    billing: str
    source: str
    date: str
    gpu: str = ""  # catalog name, for kind == "gpu"
    gpu_count: int = 0
    vcpus: int | None = None
    notes: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_price(value: float, what: str = "price") -> float:
    """A positive, finite $/h or a UserInputError saying why not."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UserInputError(f"{what} must be a number of dollars per hour")
    if not math.isfinite(value):
        raise UserInputError(f"{what} must be a finite number (got {value})")
    if value <= 0:
        raise UserInputError(f"{what} must be more than $0/h (got {value:g})")
    if value > _MAX_PRICE:
        raise UserInputError(f"{what} ${value:g}/h is implausible (over ${_MAX_PRICE:g}/h)")
    return float(value)


@dataclass(frozen=True)
class PriceSettings:
    """What the user pays: the CPU machine's and the GPU machine's price per hour.

    ``gpu`` names the catalog GPU that ``gpu_per_hour`` is for ("" = the GPU measured in the report, or the
    first one compared); presets record where a price came from ("" = typed in by the user).
    """

    cpu_per_hour: float
    gpu_per_hour: float
    gpu_preset: str = ""
    cpu_preset: str = ""
    gpu: str = ""
    billing: str = "per_second"  # or "per_hour": how the rentals bill (see core.decide.rule)
    # the CPU preset was picked for this job (not a default): it is not swapped for the report machine's
    cpu_pinned: bool = False

    def __post_init__(self) -> None:
        check_price(self.cpu_per_hour, "CPU price")
        check_price(self.gpu_per_hour, "GPU price")
        if self.billing not in ("per_second", "per_hour"):
            raise UserInputError(f"unknown billing {self.billing!r} (per_second or per_hour)")

    @property
    def ratio(self) -> float:
        """k: how many times the CPU's price the GPU costs."""
        return self.gpu_per_hour / self.cpu_per_hour

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------- presets


def _preset(raw: Any, i: int) -> Preset:
    where = f"presets[{i}]"
    if not isinstance(raw, dict):
        raise PricesError(f"{where} must be an object")
    for key in ("name", "label", "kind", "provider", "billing", "source", "date"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise PricesError(f"{where}.{key} must be a non-empty string")
    where = f"presets[{i}] ({raw['name']})"
    if raw["kind"] not in ("cpu", "gpu"):
        raise PricesError(f"{where}.kind must be 'cpu' or 'gpu'")
    try:
        price = check_price(raw.get("usd_per_hour"), "usd_per_hour")  # type: ignore[arg-type]
    except UserInputError as e:
        raise PricesError(f"{where}: {e}") from None
    gpu = ""
    if raw["kind"] == "gpu":
        if not isinstance(raw.get("gpu"), str):
            raise PricesError(f"{where}.gpu must name a catalog GPU")
        try:
            gpu = find_gpu(raw["gpu"]).name
        except UserInputError as e:
            raise PricesError(f"{where}: {e}") from None
    count = raw.get("gpu_count", 1 if gpu else 0)
    vcpus = raw.get("vcpus")
    if not isinstance(count, int) or count < 0 or (vcpus is not None and (not isinstance(vcpus, int) or vcpus < 1)):
        raise PricesError(f"{where}: gpu_count and vcpus must be positive integers")
    if not raw["source"].startswith("https://"):
        raise PricesError(f"{where}.source must be an https:// URL")
    return Preset(
        name=raw["name"],
        label=raw["label"],
        kind=raw["kind"],
        usd_per_hour=price,
        provider=raw["provider"],
        billing=raw["billing"],
        source=raw["source"],
        date=raw["date"],
        gpu=gpu,
        gpu_count=count,
        vcpus=vcpus,
        notes=str(raw.get("notes", "")),
    )


def validate_presets(data: Any) -> tuple[Preset, ...]:
    if not isinstance(data, dict) or data.get("schema") != PRICES_SCHEMA:
        raise PricesError(f"the price presets file must be a {PRICES_SCHEMA!r} object")
    rows = data.get("presets")
    if not isinstance(rows, list) or not rows:
        raise PricesError("the price presets file has no 'presets' list")
    presets = tuple(_preset(r, i) for i, r in enumerate(rows))
    names = [normalize_name(p.name) for p in presets]
    dup = next((p.name for p, n in zip(presets, names, strict=True) if names.count(n) > 1), None)
    if dup:
        raise PricesError(f"preset name {dup!r} appears twice")
    for key, kind in (("default_cpu", "cpu"), ("default_gpu", "gpu")):
        default = data.get(key)
        if not any(p.name == default and p.kind == kind for p in presets):
            raise PricesError(f"{key} {default!r} is not a {kind} preset")
    return presets


@lru_cache(maxsize=1)
def _load() -> tuple[tuple[Preset, ...], str, str]:
    data = load_json_resource("prices.json")
    presets = validate_presets(data)
    return presets, data["default_cpu"], data["default_gpu"]


def load_presets() -> tuple[Preset, ...]:
    return _load()[0]


def find_preset(name: str) -> Preset:
    key = normalize_name(name)
    presets = load_presets()
    for p in presets:
        if normalize_name(p.name) == key:
            return p
    close = difflib.get_close_matches(key, [normalize_name(p.name) for p in presets], n=5, cutoff=0.4)
    names = [p.name for p in presets if normalize_name(p.name) in close]
    hint = f"did you mean {', '.join(names)}?" if names else f"presets: {', '.join(p.name for p in presets)}"
    raise UserInputError(f"unknown price preset {name!r}; {hint}")


def presets_for_gpu(gpu_name: str) -> list[Preset]:
    """GPU presets for one catalog GPU, cheapest first."""
    name = find_gpu(gpu_name).name
    return sorted((p for p in load_presets() if p.gpu == name), key=lambda p: p.usd_per_hour)


def list_price(gpu_name: str) -> Preset | None:
    """The cheapest shipped preset for a catalog GPU (None for GPUs one buys rather than rents)."""
    found = presets_for_gpu(gpu_name)
    return found[0] if found else None


def default_gpu_preset() -> Preset:
    return find_preset(_load()[2])


def default_cpu_preset(logical_cores: int | None = None) -> Preset:
    """The CPU preset with as many vCPUs as the measured machine (fair: same cores), else the file's default."""
    if logical_cores:
        cpus = [p for p in load_presets() if p.kind == "cpu" and p.vcpus == logical_cores]
        if cpus:
            return cpus[0]
    return find_preset(_load()[1])


def default_prices(logical_cores: int | None = None) -> PriceSettings:
    cpu, gpu = default_cpu_preset(logical_cores), default_gpu_preset()
    return PriceSettings(cpu.usd_per_hour, gpu.usd_per_hour, gpu_preset=gpu.name, cpu_preset=cpu.name, gpu=gpu.gpu)


# ---------------------------------------------------------------- the user's prices


def config_dir() -> Path:
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir("gpuwise", appauthor=False))


def prices_path() -> Path:
    return config_dir() / "prices.json"


def load_user_prices(path: Path | None = None) -> PriceSettings | None:
    """The remembered prices, None when none were saved; a damaged file is a UserInputError."""
    p = path or prices_path()
    try:
        data = load_json_file(p, what="saved prices")  # bounded: a damaged file cannot hang or crash
    except UserInputError as e:
        if is_missing(e):
            return None
        raise
    if not isinstance(data, dict) or data.get("schema") != USER_PRICES_SCHEMA:
        raise UserInputError(f"saved prices {p} are not a gpuwise prices file")
    try:
        return PriceSettings(
            cpu_per_hour=data.get("cpu_per_hour"),  # type: ignore[arg-type]  # checked in __post_init__
            gpu_per_hour=data.get("gpu_per_hour"),  # type: ignore[arg-type]
            gpu_preset=str(data.get("gpu_preset", "")),
            cpu_preset=str(data.get("cpu_preset", "")),
            gpu=str(data.get("gpu", "")),
            billing=str(data.get("billing", "per_second")),
        )
    except UserInputError as e:
        raise UserInputError(f"saved prices {p}: {e}") from None


def save_user_prices(settings: PriceSettings, path: Path | None = None) -> Path:
    p = path or prices_path()
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(p, json.dumps({"schema": USER_PRICES_SCHEMA, **settings.to_dict()}, indent=2) + "\n")
    except OSError as e:
        raise UserInputError(f"cannot save prices to {p}: {e}") from None
    return p


def effective_prices(logical_cores: int | None = None) -> tuple[PriceSettings, str]:
    """Saved prices if any, else defaults; the second value explains a damaged file that was ignored."""
    try:
        saved = load_user_prices()
    except UserInputError as e:
        return default_prices(logical_cores), f"{e}; using list prices"
    return (saved or default_prices(logical_cores)), ""


# ---------------------------------------------------------------- the user's comparison picks


def comparison_path() -> Path:
    return config_dir() / "comparison.json"


def load_comparison(path: Path | None = None) -> list[str]:
    """The catalog GPU names the user last picked to compare with ([] when none were saved).

    Names are returned as saved: the caller checks them against the catalog (one may have left it).
    A damaged file is a UserInputError.
    """
    p = path or comparison_path()
    try:
        data = load_json_file(p, what="saved GPU comparison")
    except UserInputError as e:
        if is_missing(e):
            return []
        raise
    names = data.get("gpus") if isinstance(data, dict) and data.get("schema") == COMPARISON_SCHEMA else None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise UserInputError(f"saved GPU comparison {p} is not a gpuwise comparison file")
    return list(dict.fromkeys(names))


def save_comparison(names: list[str], path: Path | None = None) -> Path:
    p = path or comparison_path()
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(p, json.dumps({"schema": COMPARISON_SCHEMA, "gpus": list(names)}, indent=2) + "\n")
    except OSError as e:
        raise UserInputError(f"cannot save the GPU comparison to {p}: {e}") from None
    return p
