"""The report: a versioned JSON document of measured points and micro-benchmarks.

Writing is atomic (temp file + ``os.replace``). Loading validates every field and refuses malformed JSON, another
schema version, NaN/inf, negative or absurd values and wrong types with a message a person can act on. Reports are
plain JSON: no pickle, no ``torch.load``, ever.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from gpuwise.core.errors import ReportError, UserInputError

SCHEMA = "gpuwise.report/1"
Status = Literal["ok", "oom", "skipped", "failed"]
STATUSES = ("ok", "oom", "skipped", "failed")
FAMILIES = ("mlp", "cnn", "transformer")
PRECISIONS = ("fp32", "tf32", "bf16", "fp16")

# Anything beyond these is not a measurement but a corrupted or hostile file.
_MAX_PARAMS = 1e13
_MAX_SAMPLES = 1e12
_MAX_SECONDS = 1e12  # ~30,000 years: the 10B-on-a-CPU projections stay well below
_MAX_BYTES = 1e16


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


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Fail early (before a long run) when ``path`` cannot be written; creates nothing."""
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    # the temporary file beside it (".NAME.xxxxxxxx.tmp", see atomic_write_bytes) must fit the name limit too
    limit = _name_max(parent)
    size = len(os.fsencode(p.name))
    if size + _TMP_EXTRA > limit:
        raise UserInputError(f"cannot write {p.name[:40]}…: the file name is {size} bytes long; this folder allows "
                             f"names up to {limit - _TMP_EXTRA} bytes")  # fmt: skip
    try:
        if p.is_dir():
            raise UserInputError(f"cannot write {p}: it is a directory")
        if not parent.is_dir():
            raise UserInputError(f"cannot write {p}: folder {parent} does not exist")
        if not os.access(parent, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
            raise UserInputError(f"cannot write {p}: permission denied")
    except OSError as e:  # a path too long as a whole, a folder we may not look into
        raise UserInputError(f"cannot write {p}: {e.strerror or e}") from None
    return p


_TMP_EXTRA = len(".") + len(".xxxxxxxx.tmp")  # what mkstemp adds around the name in atomic_write_bytes


def _name_max(folder: Path) -> int:
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (AttributeError, OSError, ValueError):  # Windows has no pathconf; NTFS and most others allow 255
        return 255


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# read once at import: os.umask can only be read by setting it, which would race with other threads later
_UMASK = _read_umask()


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` so that ``path`` holds either its old content or all of the new, never a part."""
    p = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent if str(p.parent) else ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file owner-only; a saved report or chart should get the usual permissions
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def save_report(report: Report, path: str | os.PathLike[str]) -> None:
    validate_report_dict(json.loads(report.to_json()))
    atomic_write_text(path, report.to_json())


CSV_COLUMNS = (
    "device", "device_name", "family", "params", "samples", "batch_size", "epochs", "precision", "threads",
    "optimizer", "status", "samples_per_s", "step_time_median_s", "step_time_iqr_s", "step_time_ci95_low_s",
    "step_time_ci95_high_s", "step_time_n", "unstable", "epoch_time_s", "epoch_time_extrapolated",
    "fixed_overhead_s", "time_to_train_s", "peak_memory_bytes", "estimated", "message",
)  # fmt: skip


def points_csv(points: list[Point]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for p in points:
        st = p.step_time_s
        w.writerow([
            p.device, p.device_name, p.family, p.params, p.samples, p.batch_size, p.epochs, p.precision,
            p.threads, p.optimizer, p.status, _csv(p.samples_per_s), _csv(st.median if st else None),
            _csv(st.iqr if st else None), _csv(st.ci95[0] if st else None), _csv(st.ci95[1] if st else None),
            st.n if st else "",
            p.unstable, _csv(p.epoch_time_s), p.epoch_time_extrapolated, _csv(p.fixed_overhead_s),
            _csv(p.time_to_train_s), p.peak_memory_bytes if p.peak_memory_bytes is not None else "",
            p.estimated, p.message,
        ])  # fmt: skip
    return buf.getvalue()


def _csv(v: float | None) -> str:
    return "" if v is None else f"{v:.6g}"


# ---------------------------------------------------------------- loading and validation


def load_report(path: str | os.PathLike[str]) -> Report:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise ReportError(f"{p}: is a directory, not a report") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ReportError(f"{p}: cannot read: {e}") from None
    return parse_report(text, source=str(p))


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed")


def parse_report(text: str, *, source: str = "report") -> Report:
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except ValueError as e:
        raise ReportError(f"{source}: not valid JSON ({e})") from None
    try:
        return validate_report_dict(data)
    except ReportError as e:
        raise ReportError(f"{source}: {e}") from None


def validate_report_dict(data: Any) -> Report:
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
    _check_finite_tree(machine, "machine")
    cancelled = data.get("cancelled", False)
    if not isinstance(cancelled, bool):
        raise ReportError("cancelled must be true or false")
    points = [_point(p, f"points[{i}]") for i, p in enumerate(points_raw)]
    micro = [_micro(m, f"micro[{i}]") for i, m in enumerate(micro_raw)]
    return Report(
        machine=machine, points=points, micro=micro, created=created, settings=settings, cancelled=cancelled,
        gpuwise_version=str(data.get("gpuwise_version", "")),
    )  # fmt: skip


def _type_name(t: type | tuple[type, ...]) -> str:
    names = {int: "an integer", float: "a number", str: "a string", bool: "true/false", dict: "an object",
             list: "a list"}  # fmt: skip
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


def _num(obj: dict[str, Any], key: str, where: str, *, optional: bool = False, hi: float = math.inf,
         lo: float = 0.0) -> float | None:  # fmt: skip
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


def _int(obj: dict[str, Any], key: str, where: str, *, optional: bool = False, hi: float = math.inf,
         lo: int = 0) -> int | None:  # fmt: skip
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
    if family not in FAMILIES:
        raise ReportError(f"{where}.family {family!r} is not one of {', '.join(FAMILIES)}")
    precision = _get(raw, "precision", str, where)
    if precision not in PRECISIONS:
        raise ReportError(f"{where}.precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    arch = _get(raw, "architecture", dict, where)
    _check_finite_tree(arch, f"{where}.architecture")
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
    mem = _int(raw, "peak_memory_bytes", where, optional=True, hi=_MAX_BYTES)
    est_mem = _int(raw, "estimated_memory_bytes", where, optional=True, hi=_MAX_BYTES)
    resident = _int(raw, "dataset_resident_samples", where, optional=True, hi=_MAX_SAMPLES)
    for key in ("unstable", "epoch_time_extrapolated", "estimated"):
        if key in raw and not isinstance(raw[key], bool):
            raise ReportError(f"{where}.{key} must be true or false")
    return Point(
        device=_get(raw, "device", str, where),
        family=family,
        params=_int(raw, "params", where, lo=1, hi=_MAX_PARAMS) or 0,
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
    )


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
