"""The GPU catalog: public peak numbers of common GPUs, used to ESTIMATE training on GPUs this machine lacks.

The data lives in ``resources/gpus.json`` (one row per GPU, each with its source). Loading validates every row:
a broken catalog fails loudly with the row and field at fault instead of producing silently wrong estimates.

Beside the spec-sheet peaks a row may carry ``achieved`` rates: third-party (or gpuwise's own) measurements of the
best large matrix product per precision and of streaming bandwidth, each with its source and date. GPUs without
them use ``efficiency_defaults`` for their efficiency class (datacenter, power-limited, consumer, apple), whose
values also name their source or say that they are an assumption.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

from gpuwise.core.errors import UserInputError
from gpuwise.core.precision import PRECISIONS, check_precision
from gpuwise.core.resources import load_json_resource

CATALOG_SCHEMA = "gpuwise.gpus/1"
SEGMENTS = ("datacenter", "consumer", "apple")
_REQUIRED = {
    "name": str,
    "aliases": list,
    "vendor": str,
    "architecture": str,
    "segment": str,
    "fp32_tflops": float,
    "tf32_tflops": float,
    "bf16_tflops": float,
    "fp16_tflops": float,
    "memory_gib": float,
    "memory_bandwidth_gbs": float,
    "host_link": str,
    "host_link_gbs": float,
    "source": str,
    "date": str,
}
_NULLABLE = {"tf32_tflops", "bf16_tflops", "fp16_tflops"}  # fp32 is always there
_OPTIONAL = {"notes": str, "efficiency_class": str, "achieved": dict}
EFFICIENCY_CLASSES = ("datacenter", "power-limited", "consumer", "apple")
# what each efficiency default applies to: tensor-core (bf16/fp16) products, tf32 products, plain fp32, streaming
EFFICIENCY_KINDS = ("gemm_tensor", "gemm_tf32", "gemm_fp32", "bandwidth")
_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
# Anything above these is a typo (an H100 is ~1,000 dense TFLOP/s, 3,350 GB/s, 80 GiB).
_LIMITS = {"tflops": 20_000.0, "memory_gib": 4_096.0, "gbs": 100_000.0}


class CatalogError(ValueError):
    """The shipped (or a user-supplied) catalog file is malformed."""


@dataclass(frozen=True)
class Achieved:
    """A measured rate with its source: TFLOP/s of a large matrix product, a share of the card's achieved fp32
    rate (``unit="of_fp32"``: a precision without its own hardware path), or streaming GB/s."""

    value: float
    unit: str  # "tflops", "of_fp32" or "gbs"
    source: str
    date: str
    note: str = ""


@dataclass(frozen=True)
class EfficiencyDefault:
    """The share of the spec peak a GPU class is assumed to reach without its own measurement."""

    value: float
    source: str  # an https:// URL, "gpuwise:PATH" (a measurement shipped here) or "assumption"
    date: str
    basis: str

    @property
    def assumed(self) -> bool:
        return self.source == "assumption"


@dataclass(frozen=True)
class GpuSpec:
    name: str
    aliases: tuple[str, ...]
    vendor: str
    architecture: str
    segment: str
    fp32_tflops: float
    tf32_tflops: float | None
    bf16_tflops: float | None
    fp16_tflops: float | None
    memory_gib: float
    memory_bandwidth_gbs: float
    host_link: str
    host_link_gbs: float
    source: str
    date: str
    notes: str = ""
    efficiency_class: str = "datacenter"
    achieved_gemm: tuple[tuple[str, Achieved], ...] = ()  # (precision, measurement)
    achieved_bandwidth: Achieved | None = None

    def achieved_gemm_for(self, precision: str) -> Achieved | None:
        return dict(self.achieved_gemm).get(precision)

    def peak_tflops(self, precision: str) -> float:
        """Dense peak for ``precision``; a precision without a fast path runs at the FP32 rate."""
        check_precision(precision)
        v: float | None = getattr(self, f"{precision}_tflops")
        return v if v is not None else self.fp32_tflops

    def has_fast_path(self, precision: str) -> bool:
        return precision == "fp32" or getattr(self, f"{precision}_tflops") is not None

    @property
    def memory_bytes(self) -> int:
        return int(self.memory_gib * (1 << 30))

    @property
    def unified_memory(self) -> bool:
        return self.host_link == "unified memory"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["aliases"] = list(self.aliases)
        d["achieved_gemm"] = {p: asdict(a) for p, a in self.achieved_gemm}
        return d


def normalize_name(name: str) -> str:
    """``"A100-80GB"``, ``"a100 80gb"`` and ``"a10080gb"`` all become ``"a10080gb"``."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _number(row: dict[str, Any], key: str, where: str, hi: float) -> float | None:
    v = row[key]
    if v is None:
        if key in _NULLABLE:
            return None
        raise CatalogError(f"{where}.{key} must be a number, not null")
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise CatalogError(f"{where}.{key} must be a number, not {type(v).__name__}")
    if not math.isfinite(v) or v <= 0:
        raise CatalogError(f"{where}.{key} must be a positive finite number (got {v})")
    if v > hi:
        raise CatalogError(f"{where}.{key} = {v:g} is implausible (over {hi:g})")
    return float(v)


def _row(raw: Any, i: int) -> GpuSpec:
    where = f"gpus[{i}]"
    if not isinstance(raw, dict):
        raise CatalogError(f"{where} must be an object")
    if isinstance(raw.get("name"), str):
        where = f"gpus[{i}] ({raw['name']})"
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise CatalogError(f"{where} is missing {', '.join(missing)}")
    unknown = sorted(set(raw) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise CatalogError(f"{where} has unknown field(s) {', '.join(unknown)}")
    for key, t in {**_REQUIRED, **_OPTIONAL}.items():
        if t is str and key in raw and (not isinstance(raw[key], str) or not raw[key].strip()):
            raise CatalogError(f"{where}.{key} must be a non-empty string")
    aliases = raw["aliases"]
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        raise CatalogError(f"{where}.aliases must be a list of non-empty strings")
    if raw["segment"] not in SEGMENTS:
        raise CatalogError(f"{where}.segment must be one of {', '.join(SEGMENTS)}")
    if not raw["source"].startswith("https://"):
        raise CatalogError(f"{where}.source must be an https:// URL of the spec sheet")
    if not _DATE.match(raw["date"]):
        raise CatalogError(f"{where}.date must look like YYYY-MM or YYYY-MM-DD")
    peaks = {p: _number(raw, f"{p}_tflops", where, _LIMITS["tflops"]) for p in PRECISIONS}
    eff_class = raw.get("efficiency_class") or _default_class(raw["segment"])
    if eff_class not in EFFICIENCY_CLASSES:
        raise CatalogError(f"{where}.efficiency_class must be one of {', '.join(EFFICIENCY_CLASSES)}")
    gemm, bandwidth = _achieved(raw.get("achieved", {}), f"{where}.achieved")
    for p, a in gemm:
        peak = peaks[p] or peaks["fp32"] or 0.0
        if a.unit == "tflops" and a.value > peak * 1.15:  # GeForce cards boost a little past their quoted peak
            raise CatalogError(f"{where}.achieved.gemm.{p} = {a.value:g} TFLOP/s is above the {peak:g} peak")
    if bandwidth is not None and bandwidth.value > float(raw["memory_bandwidth_gbs"]) * 1.05:
        raise CatalogError(f"{where}.achieved.bandwidth is above the spec bandwidth")
    return GpuSpec(
        name=raw["name"].strip(),
        aliases=tuple(a.strip() for a in aliases),
        vendor=raw["vendor"],
        architecture=raw["architecture"],
        segment=raw["segment"],
        fp32_tflops=peaks["fp32"] or 0.0,
        tf32_tflops=peaks["tf32"],
        bf16_tflops=peaks["bf16"],
        fp16_tflops=peaks["fp16"],
        memory_gib=_number(raw, "memory_gib", where, _LIMITS["memory_gib"]) or 0.0,
        memory_bandwidth_gbs=_number(raw, "memory_bandwidth_gbs", where, _LIMITS["gbs"]) or 0.0,
        host_link=raw["host_link"],
        host_link_gbs=_number(raw, "host_link_gbs", where, _LIMITS["gbs"]) or 0.0,
        source=raw["source"],
        date=raw["date"],
        notes=str(raw.get("notes", "")),
        efficiency_class=eff_class,
        achieved_gemm=gemm,
        achieved_bandwidth=bandwidth,
    )


def _default_class(segment: str) -> str:
    return {"consumer": "consumer", "apple": "apple"}.get(segment, "datacenter")


def _sourced(raw: Any, where: str) -> tuple[str, str, str]:
    if not isinstance(raw, dict):
        raise CatalogError(f"{where} must be an object")
    source, date, note = raw.get("source"), raw.get("date"), raw.get("note", raw.get("basis", ""))
    if not isinstance(source, str) or not (source.startswith(("https://", "gpuwise:")) or source == "assumption"):
        raise CatalogError(
            f'{where}.source must be an https:// URL, gpuwise:PATH (a measurement shipped here) or "assumption"'
        )
    if not isinstance(date, str) or not _DATE.match(date):
        raise CatalogError(f"{where}.date must look like YYYY-MM or YYYY-MM-DD")
    if not isinstance(note, str):
        raise CatalogError(f"{where}.note must be a string")
    return source, date, note


def _achieved(raw: Any, where: str) -> tuple[tuple[tuple[str, Achieved], ...], Achieved | None]:
    if not isinstance(raw, dict) or set(raw) - {"gemm", "bandwidth"}:
        raise CatalogError(f"{where} must be an object with 'gemm' and/or 'bandwidth'")
    gemm: list[tuple[str, Achieved]] = []
    rows = raw.get("gemm", {})
    if not isinstance(rows, dict):
        raise CatalogError(f"{where}.gemm must be an object keyed by precision")
    for p, m in rows.items():
        w = f"{where}.gemm.{p}"
        if p not in PRECISIONS:
            raise CatalogError(f"{w}: unknown precision (choose from {', '.join(PRECISIONS)})")
        source, date, note = _sourced(m, w)
        units = [u for u in ("tflops", "of_fp32") if u in m]
        if len(units) != 1:
            raise CatalogError(f"{w} needs exactly one of 'tflops' or 'of_fp32'")
        hi = 1.0 if units[0] == "of_fp32" else _LIMITS["tflops"]
        gemm.append((p, Achieved(_number(m, units[0], w, hi) or 0.0, units[0], source, date, note)))
    bandwidth = None
    if "bandwidth" in raw:
        w = f"{where}.bandwidth"
        source, date, note = _sourced(raw["bandwidth"], w)
        if "gbs" not in raw["bandwidth"]:
            raise CatalogError(f"{w} needs 'gbs'")
        bandwidth = Achieved(_number(raw["bandwidth"], "gbs", w, _LIMITS["gbs"]) or 0.0, "gbs", source, date, note)
    return tuple(gemm), bandwidth


def validate_efficiency_defaults(data: Any) -> dict[str, dict[str, EfficiencyDefault]]:
    """The catalog's per-class efficiency defaults, every class and kind present, each value in (0, 1]."""
    raw = data.get("efficiency_defaults") if isinstance(data, dict) else None
    classes = raw.get("classes") if isinstance(raw, dict) else None
    if not isinstance(classes, dict):
        raise CatalogError("the GPU catalog has no efficiency_defaults.classes")
    out: dict[str, dict[str, EfficiencyDefault]] = {}
    for c in EFFICIENCY_CLASSES:
        row = classes.get(c)
        if not isinstance(row, dict):
            raise CatalogError(f"efficiency_defaults.classes.{c} is missing")
        out[c] = {}
        for k in EFFICIENCY_KINDS:
            w = f"efficiency_defaults.classes.{c}.{k}"
            if not isinstance(row.get(k), dict):
                raise CatalogError(f"{w} is missing")
            source, date, basis = _sourced(row[k], w)
            if "value" not in row[k]:
                raise CatalogError(f"{w} needs 'value'")
            value = _number(row[k], "value", w, 1.0) or 0.0
            out[c][k] = EfficiencyDefault(value, source, date, basis)
    return out


@lru_cache(maxsize=1)
def efficiency_defaults() -> dict[str, dict[str, EfficiencyDefault]]:
    return validate_efficiency_defaults(load_json_resource("gpus.json"))


def validate_catalog(data: Any) -> tuple[GpuSpec, ...]:
    """Check a parsed catalog document; raise CatalogError naming the first problem."""
    if not isinstance(data, dict):
        raise CatalogError("the GPU catalog must be a JSON object")
    if data.get("schema") != CATALOG_SCHEMA:
        raise CatalogError(f"GPU catalog schema is {data.get('schema')!r}, expected {CATALOG_SCHEMA!r}")
    rows = data.get("gpus")
    if not isinstance(rows, list) or not rows:
        raise CatalogError("the GPU catalog has no 'gpus' list")
    specs = tuple(_row(r, i) for i, r in enumerate(rows))
    owner: dict[str, int] = {}
    for i, s in enumerate(specs):
        for label in (s.name, *s.aliases):
            key = normalize_name(label)
            if not key:
                raise CatalogError(f"{s.name}: name or alias {label!r} has no letters or digits")
            j = owner.setdefault(key, i)
            if j != i:
                what = "GPU name" if label == s.name and specs[j].name == s.name else "name"
                raise CatalogError(f"{what} {label!r} of gpus[{i}] is already used by gpus[{j}] ({specs[j].name})")
    return specs


@lru_cache(maxsize=1)
def load_catalog() -> tuple[GpuSpec, ...]:
    """The shipped catalog, validated (cached: it never changes while running)."""
    return validate_catalog(load_json_resource("gpus.json"))


def gpu_names() -> list[str]:
    return [g.name for g in load_catalog()]


def find_gpu(name: str, catalog: tuple[GpuSpec, ...] | None = None) -> GpuSpec:
    """The catalog GPU called ``name``: case, spaces and dashes do not matter ("a100-80gb" = "A100 80GB")."""
    specs = load_catalog() if catalog is None else catalog
    key = normalize_name(name)
    for s in specs:
        if key and key in {normalize_name(x) for x in (s.name, *s.aliases)}:
            return s
    labels = {normalize_name(x): s.name for s in specs for x in (s.name, *s.aliases)}
    close = difflib.get_close_matches(key, list(labels), n=6, cutoff=0.5)
    names = list(dict.fromkeys(labels[c] for c in close))
    hint = f"did you mean {', '.join(names)}?" if names else f"known GPUs: {', '.join(s.name for s in specs)}"
    raise UserInputError(f"unknown GPU {name!r}; {hint}")


def find_gpus(names: str | list[str]) -> list[GpuSpec]:
    """Several GPUs from a comma-separated string or a list, in order, without duplicates."""
    items = names.split(",") if isinstance(names, str) else names
    out: list[GpuSpec] = []
    for n in items:
        if not n.strip():
            continue
        g = find_gpu(n.strip())
        if g not in out:
            out.append(g)
    if not out:
        raise UserInputError("no GPU named (give catalog names such as T4, A100-80GB, H100)")
    return out


def match_device_name(device_name: str) -> GpuSpec | None:
    """The catalog row for a GPU that torch reports by its marketing name, e.g. "NVIDIA A100-SXM4-80GB"."""
    key = normalize_name(device_name.replace("NVIDIA", "").replace("GeForce", ""))
    best: tuple[int, GpuSpec] | None = None
    for s in load_catalog():
        for label in (s.name, *s.aliases):
            k = normalize_name(label)
            if len(k) >= 3 and k in key and (best is None or len(k) > best[0]):
                best = (len(k), s)
    return best[1] if best else None
