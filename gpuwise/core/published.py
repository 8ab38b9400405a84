"""Published GPU training throughput (``resources/published_training.json``) beside gpuwise's estimates of it.

The validation benchmark (``benchmarks/estimator_published.py``) and the tests use this: each published row is
estimated from the catalog alone (no measurement of this machine), and the errors are summarised as the median
relative error of absolute throughput and of GPU-to-GPU ratios, for the calibration and the held-out rows apart.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from gpuwise.core.catalog import CatalogError, find_gpu
from gpuwise.core.precision import PRECISIONS
from gpuwise.core.resources import load_json_resource

SCHEMA = "gpuwise.published-training/1"
SETS = ("calibration", "held-out")


@dataclass(frozen=True)
class PublishedRow:
    source: str
    gpu: str  # catalog name
    workload: str  # a reference_models workload
    precision: str
    batch: int
    samples_per_s: float
    set: str
    note: str = ""

    @property
    def column(self) -> str:
        """Rows of one column of one source are comparable GPU to GPU (tf32 is the fp32 column on new GPUs)."""
        return "16-bit" if self.precision in ("bf16", "fp16") else "32-bit"


@dataclass(frozen=True)
class Compared:
    row: PublishedRow
    estimated: float  # samples per second
    band: tuple[float, float]  # samples per second, low and high

    @property
    def error(self) -> float:
        """Relative error of the estimate (positive: the estimate is faster than published)."""
        return self.estimated / self.row.samples_per_s - 1.0

    @property
    def inside_band(self) -> bool:
        return self.band[0] <= self.row.samples_per_s <= self.band[1]


@lru_cache(maxsize=1)
def load_published() -> tuple[PublishedRow, ...]:
    data = load_json_resource("published_training.json")
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise CatalogError(f"published_training.json: schema must be {SCHEMA!r}")
    sources = data.get("sources", {})
    rows = []
    for i, r in enumerate(data.get("rows", [])):
        where = f"published_training.json rows[{i}]"
        try:
            row = PublishedRow(
                source=str(r["source"]),
                gpu=find_gpu(str(r["gpu"])).name,
                workload=str(r["workload"]),
                precision=str(r["precision"]),
                batch=int(r["batch"]),
                samples_per_s=float(r["samples_per_s"]),
                set=str(r["set"]),
                note=str(r.get("note", "")),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise CatalogError(f"{where} is malformed ({e})") from None
        src = sources.get(row.source)
        if not isinstance(src, dict) or not str(src.get("url", "")).startswith("https://") or not src.get("date"):
            raise CatalogError(f"{where}: source {row.source!r} needs an https:// url and a date")
        if row.precision not in PRECISIONS or row.set not in SETS or row.batch < 1 or row.samples_per_s <= 0:
            raise CatalogError(f"{where} has an invalid precision, set, batch or throughput")
        rows.append(row)
    return tuple(rows)


def compare(
    rows: tuple[PublishedRow, ...] | None = None, *, tuning: Mapping[str, float] | None = None
) -> list[Compared]:
    """Each published row next to its estimate from the catalog (optimizer: Adam, FLOPs from the layer shapes)."""
    from gpuwise.core import estimate as est
    from gpuwise.core.reference_models import reference_spec

    out = []
    specs: dict[str, dict[str, Any]] = {}
    for r in rows if rows is not None else load_published():
        spec = specs.setdefault(r.workload, reference_spec(r.workload))
        e = est.estimate_step(
            est.gpu_model(r.gpu, tuning=tuning), spec, r.batch, precision=r.precision, flops_method="analytic"
        )
        lo, hi = e.band
        out.append(Compared(r, r.batch / e.step_s, (r.batch / hi, r.batch / lo)))
    return out


def ratio_errors(compared: list[Compared]) -> list[float]:
    """Relative errors of every GPU-to-GPU throughput ratio within one source, workload and precision column."""
    groups: dict[tuple[str, str, str], list[Compared]] = {}
    for c in compared:
        groups.setdefault((c.row.source, c.row.workload, c.row.column), []).append(c)
    errs = []
    for members in groups.values():
        for a, b in itertools.combinations(members, 2):
            published = a.row.samples_per_s / b.row.samples_per_s
            errs.append(abs((a.estimated / b.estimated) / published - 1.0))
    return errs


@dataclass(frozen=True)
class Summary:
    set: str
    rows: int
    absolute_median: float
    ratios: int
    ratio_median: float
    inside_band: int


def summarise(compared: list[Compared]) -> list[Summary]:
    """Median absolute and ratio errors per set (ratios only between rows of the same set)."""
    out = []
    for name in SETS:
        members = [c for c in compared if c.row.set == name]
        if not members:
            continue
        ratios = ratio_errors(members)
        absolute = statistics.median(abs(c.error) for c in members)
        ratio = statistics.median(ratios) if ratios else 0.0
        out.append(Summary(name, len(members), absolute, len(ratios), ratio, sum(c.inside_band for c in members)))
    return out
