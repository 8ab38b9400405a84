"""The report: a versioned JSON document of measured points and micro-benchmarks.

Writing is atomic and safe (:mod:`gpuwise.core.atomic_write`). Loading goes through the bounded loader
(:mod:`gpuwise.core.safe_json`: regular files only, a size cap, a depth limit, no duplicate keys), then validates
every field: another schema version, NaN/inf, negative or absurd values, wrong types and architecture specs that do
not fit their family are refused with one message a person can act on. Reports are plain JSON: no pickle, no
``torch.load``, ever.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from gpuwise.core.atomic_write import atomic_write_bytes as atomic_write_bytes  # re-exported: the old home
from gpuwise.core.atomic_write import atomic_write_text as atomic_write_text
from gpuwise.core.atomic_write import check_writable as check_writable
from gpuwise.core.bench import families
from gpuwise.core.bench.workloads import check_spec
from gpuwise.core.cancel import Cancelled, CancelToken
from gpuwise.core.errors import ReportError, UserInputError
from gpuwise.core.precision import PRECISIONS as PRECISIONS  # re-exported: the old home
from gpuwise.core.safe_json import MAX_REPORT_BYTES, parse_json, paused_gc, read_regular_file

SCHEMA = "gpuwise.report/1"
Status = Literal["ok", "oom", "skipped", "failed"]
STATUSES = ("ok", "oom", "skipped", "failed")

# Anything beyond these is not a measurement but a corrupted or hostile file.
BUSY_LOAD = 0.15  # of all cores, used by other programs during a measurement: above it the times are pessimistic
_MAX_PARAMS = 1e13
_MAX_SAMPLES = 1e12
_MAX_SECONDS = 1e12  # ~30,000 years: the 10B-on-a-CPU projections stay well below
_MAX_BYTES = 1e16
_MAX_RAM = float(1 << 60)  # 1 EiB: the largest machine on Earth has well under a thousandth of it


@dataclass(frozen=True)
class StepStats:
    """Step time statistics over measurement windows (seconds)."""

    median: float
    iqr: float
    ci95: tuple[float, float]
    n: int


@dataclass(frozen=True)
class Point:
    device: str  # "cpu", "cuda:0", "mps", or for estimates a catalog GPU name
    family: str
    params: int
    architecture: dict[str, Any]
    samples: int
    batch_size: int
    epochs: int
    precision: str
    threads: int
    optimizer: str
    status: Status
    message: str = ""
    device_name: str = ""
    samples_per_s: float | None = None
    step_time_s: StepStats | None = None
    unstable: bool = False
    epoch_time_s: float | None = None
    epoch_time_extrapolated: bool = False
    fixed_overhead_s: float | None = None
    overhead_breakdown_s: dict[str, float] = field(default_factory=dict)  # init, transfer, warmup
    time_to_train_s: float | None = None  # epochs * epoch_time + fixed overhead
    peak_memory_bytes: int | None = None
    peak_memory_method: str = ""  # "cuda_max_allocated" or "rss_delta"
    estimated_memory_bytes: int | None = None
    flops_per_step: float | None = None
    dataset_resident_samples: int | None = None  # held in RAM; < samples means a subset was measured
    step_breakdown_s: dict[str, float] = field(default_factory=dict)  # data, h2d, forward, backward, optimizer
    background_cpu_load: float | None = None  # share of all cores other programs used while measuring
    estimated: bool = False  # True: not measured but estimated (catalog GPU, roofline)
    estimate_basis: str = ""  # how an estimate was made, shown next to it
    # data-parallel points (gpuwise bench --ddp): world_size processes trained one model with
    # DistributedDataParallel; samples_per_s is then their total, batch_size is per rank, threads per rank
    world_size: int = 1
    backend: str = ""  # "gloo" or "nccl"; "" for a plain single-process point
    rank_samples_per_s: list[float] = field(default_factory=list)
    scaling_efficiency: float | None = None  # total / (world_size x the single-process baseline)
    scaling_baseline_samples_per_s: float | None = None  # that baseline, measured in the same run
    comm_time_s: float | None = None  # exposed communication per step: synced step minus a no_sync step
    allreduce_time_s: float | None = None  # one all-reduce of every gradient, alone (not overlapped)

    @property
    def measured(self) -> bool:
        """Measured here and completed: not an estimate, not skipped, out of memory or failed."""
        return self.status == "ok" and not self.estimated

    @property
    def settings_key(self) -> tuple[Any, ...]:
        """What was measured, without the result: a point measured again at the same key replaces the old one."""
        return (
            self.device,
            self.estimated,
            self.family,
            self.params,
            self.samples,
            self.batch_size,
            self.epochs,
            self.precision,
            self.optimizer,
            self.world_size,
            self.backend,
        )

    @property
    def busy(self) -> bool:
        """Other programs used more than :data:`BUSY_LOAD` of the CPU while this point was measured."""
        return self.background_cpu_load is not None and self.background_cpu_load > BUSY_LOAD


def busy_machine_text(loads: Sequence[float]) -> str:
    """ "busy machine: other programs used 61–67 % of the CPU" for the background loads of one or more points."""
    lo, hi = round(min(loads) * 100), round(max(loads) * 100)
    share = f"{lo} %" if lo == hi else f"{lo}–{hi} %"
    return f"busy machine: other programs used {share} of the CPU"


@dataclass(frozen=True)
class MicroResult:
    device: str
    kind: str  # "matmul", "triad", "h2d_pageable", "h2d_pinned"
    precision: str
    size: int  # matrix n for matmul, bytes for triad/copies
    value: float
    unit: str  # "GFLOP/s" or "GB/s"
    peak_fraction: float | None = None


@dataclass(frozen=True)
class Report:
    machine: dict[str, Any]
    points: list[Point]
    micro: list[MicroResult]
    created: str
    settings: dict[str, Any] = field(default_factory=dict)
    cancelled: bool = False
    gpuwise_version: str = ""
    schema: str = SCHEMA

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n"


# ---------------------------------------------------------------- writing


def save_report(report: Report, path: str | os.PathLike[str]) -> None:
    validate_report_dict(json.loads(report.to_json()))
    atomic_write_text(path, report.to_json())


CSV_COLUMNS = (
    "device",
    "device_name",
    "family",
    "params",
    "samples",
    "batch_size",
    "epochs",
    "precision",
    "threads",
    "optimizer",
    "status",
    "samples_per_s",
    "step_time_median_s",
    "step_time_iqr_s",
    "step_time_ci95_low_s",
    "step_time_ci95_high_s",
    "step_time_n",
    "unstable",
    "epoch_time_s",
    "epoch_time_extrapolated",
    "fixed_overhead_s",
    "time_to_train_s",
    "peak_memory_bytes",
    "estimated",
    "message",
)


def points_csv(points: list[Point]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for p in points:
        st = p.step_time_s
        w.writerow(
            [
                p.device,
                p.device_name,
                p.family,
                p.params,
                p.samples,
                p.batch_size,
                p.epochs,
                p.precision,
                p.threads,
                p.optimizer,
                p.status,
                _csv(p.samples_per_s),
                _csv(st.median if st else None),
                _csv(st.iqr if st else None),
                _csv(st.ci95[0] if st else None),
                _csv(st.ci95[1] if st else None),
                st.n if st else "",
                p.unstable,
                _csv(p.epoch_time_s),
                p.epoch_time_extrapolated,
                _csv(p.fixed_overhead_s),
                _csv(p.time_to_train_s),
                p.peak_memory_bytes if p.peak_memory_bytes is not None else "",
                p.estimated,
                p.message,
            ]
        )
    return buf.getvalue()


def _csv(v: float | None) -> str:
    return "" if v is None else f"{v:.6g}"


# ---------------------------------------------------------------- loading and validation


LoadProgress = Callable[[float, str], None]  # (fraction done 0..1, what is happening)
_READ_SHARE, _PARSE_SHARE = 0.35, 0.35  # of the progress bar; validation takes the rest


def load_report(
    path: str | os.PathLike[str], *, progress: LoadProgress | None = None, cancel: CancelToken | None = None
) -> Report:
    """Load a report through the bounded loader (:mod:`gpuwise.core.safe_json`) and validate every field.

    Every way a file can be wrong ends in one ReportError. ``progress`` is called from the calling thread;
    ``cancel`` stops reading and validating (raising :class:`Cancelled`).
    """
    p = Path(path)

    def read_progress(f: float) -> None:
        if progress is not None:
            progress(f * _READ_SHARE, "Reading")

    try:
        data = read_regular_file(p, what="report", max_bytes=MAX_REPORT_BYTES, progress=read_progress, cancel=cancel)
    except ReportError:
        raise
    except UserInputError as e:
        raise ReportError(str(e)) from None
    if progress is not None:
        progress(_READ_SHARE, "Parsing")
    with paused_gc():
        return parse_report(data, source=str(p), progress=progress, cancel=cancel)


def parse_report(
    text: str | bytes | bytearray,
    *,
    source: str = "report",
    progress: LoadProgress | None = None,
    cancel: CancelToken | None = None,
) -> Report:
    try:
        data = parse_json(text, what=source)
    except UserInputError as e:
        raise ReportError(str(e)) from None
    if cancel is not None and cancel.cancelled:
        raise Cancelled()
    try:
        return validate_report_dict(data, progress=progress, cancel=cancel, consume=True)
    except ReportError as e:
        raise ReportError(f"{source}: {e}") from None
    except (ValueError, TypeError, KeyError, OverflowError, RecursionError) as e:
        # a rule above missed a case: still one plain message, never a traceback (the fuzz test hunts these)
        raise ReportError(f"{source}: not a usable gpuwise report ({type(e).__name__}: {e})") from None


def validate_report_dict(
    data: Any, *, progress: LoadProgress | None = None, cancel: CancelToken | None = None, consume: bool = False
) -> Report:
    """The Report in ``data`` (parsed JSON), or a ReportError. ``consume``: drop each raw point once it is checked,
    so a large parsed file is freed bit by bit (freeing 50k points at once held the GIL ~0.14 s)."""
    if not isinstance(data, dict):
        raise ReportError("not a gpuwise report (the top level is not an object)")
    schema = data.get("schema")
    if schema != SCHEMA:
        if isinstance(schema, str) and schema.startswith("gpuwise.report/"):
            raise ReportError(f"schema version {schema!r} is not supported (this gpuwise reads {SCHEMA!r})")
        raise ReportError(f"not a gpuwise report (schema is {schema!r}, expected {SCHEMA!r})")
    machine = _get(data, "machine", dict, "report")
    created = _get(data, "created", str, "report")
    points_raw = _get(data, "points", list, "report")
    micro_raw = _get(data, "micro", list, "report")
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise ReportError("settings must be an object")
    _check_finite_tree(settings, "settings")
    _check_machine(machine)
    cancelled = data.get("cancelled", False)
    if not isinstance(cancelled, bool):
        raise ReportError("cancelled must be true or false")
    points = []
    step = max(1, len(points_raw) // 50)
    for i, p in enumerate(points_raw):
        if i % step == 0:
            if cancel is not None and cancel.cancelled:
                raise Cancelled()
            if progress is not None:
                progress(
                    _READ_SHARE + _PARSE_SHARE + (1 - _READ_SHARE - _PARSE_SHARE) * i / len(points_raw), "Checking"
                )
        points.append(_point(p, f"points[{i}]"))
        if consume:
            points_raw[i] = None
    micro = [_micro(m, f"micro[{i}]") for i, m in enumerate(micro_raw)]
    return Report(
        machine=machine,
        points=points,
        micro=micro,
        created=created,
        settings=settings,
        cancelled=cancelled,
        gpuwise_version=str(data.get("gpuwise_version", "")),
    )


# Physical bounds of what a machine dict may say (a hand-edited report may say anything).
_MACHINE_CPU_BOUNDS: dict[str, tuple[type, float]] = {
    "physical_cores": (int, 1e5),
    "logical_cores": (int, 1e5),
    "clock_ghz": (float, 100.0),
    "fp32_flops_per_cycle": (float, 1e4),
    "peak_fp32_gflops": (float, 1e9),
    "ram_total": (int, _MAX_RAM),
    "ram_available": (int, _MAX_RAM),
}
_MACHINE_GPU_BOUNDS: dict[str, tuple[type, float]] = {"memory_total": (int, _MAX_RAM)}


def _check_machine(machine: dict[str, Any]) -> None:
    _check_finite_tree(machine, "machine")
    cpu = machine.get("cpu")
    if cpu is not None:
        if not isinstance(cpu, dict):
            raise ReportError("machine.cpu must be an object")
        _check_bounds(cpu, _MACHINE_CPU_BOUNDS, "machine.cpu")
    gpus = machine.get("gpus")
    if gpus is not None:
        if not isinstance(gpus, list) or not all(isinstance(g, dict) for g in gpus):
            raise ReportError("machine.gpus must be a list of objects")
        for i, g in enumerate(gpus):
            _check_bounds(g, _MACHINE_GPU_BOUNDS, f"machine.gpus[{i}]")


def _check_bounds(obj: dict[str, Any], bounds: dict[str, tuple[type, float]], where: str) -> None:
    for key, (kind, hi) in bounds.items():
        if obj.get(key) is None:
            continue
        if kind is int:
            _int(obj, key, where, hi=hi)
        else:
            _num(obj, key, where, hi=hi)


def _type_name(t: type | tuple[type, ...]) -> str:
    names = {
        int: "an integer",
        float: "a number",
        str: "a string",
        bool: "true/false",
        dict: "an object",
        list: "a list",
    }
    ts = t if isinstance(t, tuple) else (t,)
    return " or ".join(names.get(x, x.__name__) for x in ts)


def _get(obj: dict[str, Any], key: str, t: type | tuple[type, ...], where: str, *, optional: bool = False) -> Any:
    if key not in obj or obj[key] is None:
        if optional:
            return None
        raise ReportError(f"{where}.{key} is missing")
    v = obj[key]
    ok = isinstance(v, t) and not (isinstance(v, bool) and bool not in (t if isinstance(t, tuple) else (t,)))
    if not ok:
        raise ReportError(f"{where}.{key} must be {_type_name(t)}, not {type(v).__name__}")
    return v


def _num(
    obj: dict[str, Any], key: str, where: str, *, optional: bool = False, hi: float = math.inf, lo: float = 0.0
) -> float | None:
    v = _get(obj, key, (int, float), where, optional=optional)
    if v is None:
        return None
    if not math.isfinite(v):
        raise ReportError(f"{where}.{key} is not a finite number")
    if v < lo:
        raise ReportError(f"{where}.{key} is negative ({v})" if lo == 0 else f"{where}.{key} is below {lo}")
    if v > hi:
        raise ReportError(f"{where}.{key} = {v:g} is absurd (over {hi:g})")
    return float(v)


def _int(
    obj: dict[str, Any], key: str, where: str, *, optional: bool = False, hi: float = math.inf, lo: int = 0
) -> int | None:
    v = _get(obj, key, int, where, optional=optional)
    if v is None:
        return None
    if v < lo:
        raise ReportError(f"{where}.{key} must be at least {lo} (got {v})")
    if v > hi:
        raise ReportError(f"{where}.{key} = {v} is absurd (over {hi:g})")
    return int(v)


def _check_finite_tree(v: Any, where: str) -> None:
    if isinstance(v, float) and not math.isfinite(v):
        raise ReportError(f"{where} holds a non-finite number")
    if isinstance(v, dict):
        for k, x in v.items():
            _check_finite_tree(x, f"{where}.{k}")
    elif isinstance(v, list):
        for i, x in enumerate(v):
            _check_finite_tree(x, f"{where}[{i}]")


def _float_map(obj: dict[str, Any], key: str, where: str) -> dict[str, float]:
    raw = obj.get(key) or {}
    if not isinstance(raw, dict):
        raise ReportError(f"{where}.{key} must be an object")
    return {str(k): float(_num(raw, k, f"{where}.{key}", hi=_MAX_SECONDS) or 0.0) for k in raw}


def _point(raw: Any, where: str) -> Point:
    if not isinstance(raw, dict):
        raise ReportError(f"{where} must be an object")
    status = _get(raw, "status", str, where)
    if status not in STATUSES:
        raise ReportError(f"{where}.status {status!r} is not one of {', '.join(STATUSES)}")
    family = _get(raw, "family", str, where)
    if not families.is_known(family):
        raise ReportError(f"{where}.family {family!r} is not one of {', '.join(families.names())}")
    precision = _get(raw, "precision", str, where)
    if precision not in PRECISIONS:
        raise ReportError(f"{where}.precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    arch = _get(raw, "architecture", dict, where)
    _check_finite_tree(arch, f"{where}.architecture")
    try:
        check_spec(arch, family, f"{where}.architecture")
    except UserInputError as e:
        raise ReportError(str(e)) from None
    st_raw = raw.get("step_time_s")
    step: StepStats | None = None
    if st_raw is not None:
        if not isinstance(st_raw, dict):
            raise ReportError(f"{where}.step_time_s must be an object")
        w = f"{where}.step_time_s"
        ci = _get(st_raw, "ci95", list, w)
        if len(ci) != 2 or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in ci):
            raise ReportError(f"{w}.ci95 must be a list of two numbers")
        lo_hi = (float(ci[0]), float(ci[1]))
        if not all(math.isfinite(c) and 0 <= c <= _MAX_SECONDS for c in lo_hi) or lo_hi[0] > lo_hi[1]:
            raise ReportError(f"{w}.ci95 must be two finite, non-negative numbers, low first")
        step = StepStats(
            median=_num(st_raw, "median", w, hi=_MAX_SECONDS) or 0.0,
            iqr=_num(st_raw, "iqr", w, hi=_MAX_SECONDS) or 0.0,
            ci95=lo_hi,
            n=_int(st_raw, "n", w, hi=1e9) or 0,
        )
    params = _int(raw, "params", where, lo=1, hi=_MAX_PARAMS) or 0
    if arch.get("params") != params:  # gpuwise writes the spec's own count; the verdict pairs points by it
        raise ReportError(f"{where}.params {params} is not its architecture's count ({arch.get('params')!r:.40})")
    mem = _int(raw, "peak_memory_bytes", where, optional=True, hi=_MAX_BYTES)
    est_mem = _int(raw, "estimated_memory_bytes", where, optional=True, hi=_MAX_BYTES)
    resident = _int(raw, "dataset_resident_samples", where, optional=True, hi=_MAX_SAMPLES)
    for key in ("unstable", "epoch_time_extrapolated", "estimated"):
        if key in raw and not isinstance(raw[key], bool):
            raise ReportError(f"{where}.{key} must be true or false")
    return Point(
        device=_get(raw, "device", str, where),
        family=family,
        params=params,
        architecture=arch,
        samples=_int(raw, "samples", where, lo=1, hi=_MAX_SAMPLES) or 0,
        batch_size=_int(raw, "batch_size", where, lo=1, hi=1e9) or 0,
        epochs=_int(raw, "epochs", where, lo=1, hi=1e6) or 0,
        precision=precision,
        threads=_int(raw, "threads", where, lo=0, hi=1e5) or 0,
        optimizer=_get(raw, "optimizer", str, where),
        status=status,
        message=str(raw.get("message", "")),
        device_name=str(raw.get("device_name", "")),
        samples_per_s=_num(raw, "samples_per_s", where, optional=True, hi=1e15),
        step_time_s=step,
        unstable=bool(raw.get("unstable", False)),
        epoch_time_s=_num(raw, "epoch_time_s", where, optional=True, hi=_MAX_SECONDS),
        epoch_time_extrapolated=bool(raw.get("epoch_time_extrapolated", False)),
        fixed_overhead_s=_num(raw, "fixed_overhead_s", where, optional=True, hi=_MAX_SECONDS),
        overhead_breakdown_s=_float_map(raw, "overhead_breakdown_s", where),
        time_to_train_s=_num(raw, "time_to_train_s", where, optional=True, hi=_MAX_SECONDS),
        peak_memory_bytes=mem,
        peak_memory_method=str(raw.get("peak_memory_method", "")),
        estimated_memory_bytes=est_mem,
        flops_per_step=_num(raw, "flops_per_step", where, optional=True, hi=1e25),
        dataset_resident_samples=resident,
        step_breakdown_s=_float_map(raw, "step_breakdown_s", where),
        background_cpu_load=_num(raw, "background_cpu_load", where, optional=True, hi=1.0),
        estimated=bool(raw.get("estimated", False)),
        estimate_basis=str(raw.get("estimate_basis", "")),
        **_ddp_fields(raw, where),
    )


BACKENDS = ("", "gloo", "nccl")


def _ddp_fields(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """The data-parallel fields; absent in reports written before them, which stay single-process points."""
    backend = raw.get("backend", "")
    if backend not in BACKENDS:
        raise ReportError(f"{where}.backend {backend!r} is not one of gloo, nccl")
    ranks = raw.get("rank_samples_per_s") or []
    if not isinstance(ranks, list):
        raise ReportError(f"{where}.rank_samples_per_s must be a list")
    per_rank: list[float] = []
    for i, v in enumerate(ranks):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not 0 <= v <= 1e15:
            raise ReportError(f"{where}.rank_samples_per_s[{i}] must be a finite, non-negative number")
        per_rank.append(float(v))
    world = _int(raw, "world_size", where, optional=True, lo=1, hi=1e6)
    return {
        "world_size": 1 if world is None else world,
        "backend": backend,
        "rank_samples_per_s": per_rank,
        # above 1 happens (caches, a baseline that was unlucky), far above it is a broken file
        "scaling_efficiency": _num(raw, "scaling_efficiency", where, optional=True, hi=100.0),
        "scaling_baseline_samples_per_s": _num(raw, "scaling_baseline_samples_per_s", where, optional=True, hi=1e15),
        "comm_time_s": _num(raw, "comm_time_s", where, optional=True, hi=_MAX_SECONDS),
        "allreduce_time_s": _num(raw, "allreduce_time_s", where, optional=True, hi=_MAX_SECONDS),
    }


def _micro(raw: Any, where: str) -> MicroResult:
    if not isinstance(raw, dict):
        raise ReportError(f"{where} must be an object")
    return MicroResult(
        device=_get(raw, "device", str, where),
        kind=_get(raw, "kind", str, where),
        precision=_get(raw, "precision", str, where),
        size=_int(raw, "size", where, hi=1e15) or 0,
        value=_num(raw, "value", where, hi=1e9) or 0.0,
        unit=_get(raw, "unit", str, where),
        peak_fraction=_num(raw, "peak_fraction", where, optional=True, hi=100.0),
    )
