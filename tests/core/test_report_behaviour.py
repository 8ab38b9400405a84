"""The report file (``gpuwise.core.report``), stated as behaviour: every limit a field has (the largest value
accepted, the next one refused with one line naming the field), how each kind of wrong value is worded, what a
valid file loads as, and how loading reports progress and stops when cancelled.

Written against the mutants of ``benchmarks/mutation.py report`` that the report tests let through.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from gpuwise.core.bench import families
from gpuwise.core.cancel import Cancelled, CancelToken
from gpuwise.core.errors import ReportError
from gpuwise.core.report import (
    CSV_COLUMNS,
    PRECISIONS,
    StepStats,
    busy_machine_text,
    load_report,
    parse_report,
    points_csv,
    validate_report_dict,
)
from tests.core.test_report import good_dict, make_point, make_report

KeyPath = tuple[str | int, ...]

_P = ("points", 0)
_ST = ("points", 0, "step_time_s")
_CPU = ("machine", "cpu")

# (where the value lives, "int" or "num", the smallest value accepted, the largest value accepted)
LIMITS: list[tuple[KeyPath, str, float, float]] = [
    ((*_P, "params"), "int", 1, 1e13),
    ((*_P, "samples"), "int", 1, 1e12),
    ((*_P, "batch_size"), "int", 1, 1e9),
    ((*_P, "epochs"), "int", 1, 1e6),
    ((*_P, "threads"), "int", 0, 1e5),
    ((*_P, "peak_memory_bytes"), "int", 0, 1e16),
    ((*_P, "estimated_memory_bytes"), "int", 0, 1e16),
    ((*_P, "dataset_resident_samples"), "int", 0, 1e12),
    ((*_P, "world_size"), "int", 1, 1e6),
    ((*_P, "samples_per_s"), "num", 0, 1e15),
    ((*_P, "epoch_time_s"), "num", 0, 1e12),
    ((*_P, "fixed_overhead_s"), "num", 0, 1e12),
    ((*_P, "time_to_train_s"), "num", 0, 1e12),
    ((*_P, "flops_per_step"), "num", 0, 1e25),
    ((*_P, "background_cpu_load"), "num", 0, 1.0),
    ((*_P, "scaling_efficiency"), "num", 0, 100.0),
    ((*_P, "scaling_baseline_samples_per_s"), "num", 0, 1e15),
    ((*_P, "comm_time_s"), "num", 0, 1e12),
    ((*_P, "allreduce_time_s"), "num", 0, 1e12),
    ((*_P, "overhead_breakdown_s", "init"), "num", 0, 1e12),
    ((*_P, "step_breakdown_s", "forward"), "num", 0, 1e12),
    ((*_ST, "median"), "num", 0, 1e12),
    ((*_ST, "iqr"), "num", 0, 1e12),
    ((*_ST, "n"), "int", 0, 1e9),
    (("micro", 0, "size"), "int", 0, 1e15),
    (("micro", 0, "value"), "num", 0, 1e9),
    (("micro", 0, "peak_fraction"), "num", 0, 100.0),
    ((*_CPU, "physical_cores"), "int", 0, 1e5),
    ((*_CPU, "logical_cores"), "int", 0, 1e5),
    ((*_CPU, "clock_ghz"), "num", 0, 100.0),
    ((*_CPU, "fp32_flops_per_cycle"), "num", 0, 1e4),
    ((*_CPU, "peak_fp32_gflops"), "num", 0, 1e9),
    ((*_CPU, "ram_total"), "int", 0, float(1 << 60)),
    ((*_CPU, "ram_available"), "int", 0, float(1 << 60)),
    (("machine", "gpus", 0, "memory_total"), "int", 0, float(1 << 60)),
]


# A point's params must be its architecture's own count, and no architecture reaches these limits: only the
# refusals are seen for it.
LOADABLE = [limit for limit in LIMITS if limit[0] != (*_P, "params")]


def _where(path: KeyPath) -> str:
    out = ""
    for k in path:
        out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else k)
    return out


def _with(path: KeyPath, value: Any) -> dict[str, Any]:
    """A valid report dict (one measured point, one micro result, one GPU) with ``value`` at ``path``."""
    d = good_dict()
    d["machine"]["gpus"] = [{"name": "RTX 4090", "memory_total": 24 * 2**30}]
    node: Any = d
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return d


def _read(report: Any, path: KeyPath) -> Any:
    """The loaded value at ``path`` (a Report's attributes, dicts and lists)."""
    node = report
    for k in path:
        node = node[k] if isinstance(k, int) or isinstance(node, dict) else getattr(node, k)
    return node


def _refused(data: Any) -> str:
    with pytest.raises(ReportError) as e:
        validate_report_dict(data)
    msg = str(e.value)
    assert "\n" not in msg
    return msg


def _over(kind: str, hi: float) -> int | float:
    """The smallest value above ``hi`` a report can hold for this kind of field."""
    return math.floor(hi) + 1 if kind == "int" else math.nextafter(hi, math.inf)


@pytest.mark.parametrize(("path", "kind", "lo", "hi"), LOADABLE, ids=[_where(p) for p, *_ in LOADABLE])
def test_the_largest_value_of_a_field_loads_as_itself(path: KeyPath, kind: str, lo: float, hi: float) -> None:
    value = int(hi) if kind == "int" else hi
    loaded = _read(validate_report_dict(_with(path, value)), path)
    assert loaded == value and type(loaded) is type(value)


@pytest.mark.parametrize(("path", "kind", "lo", "hi"), LOADABLE, ids=[_where(p) for p, *_ in LOADABLE])
def test_the_smallest_value_of_a_field_loads_as_itself(path: KeyPath, kind: str, lo: float, hi: float) -> None:
    value = int(lo) if kind == "int" else float(lo)
    loaded = _read(validate_report_dict(_with(path, value)), path)
    assert loaded == value and type(loaded) is type(value)


@pytest.mark.parametrize(("path", "kind", "lo", "hi"), LIMITS, ids=[_where(p) for p, *_ in LIMITS])
def test_a_value_over_the_limit_is_refused_as_absurd(path: KeyPath, kind: str, lo: float, hi: float) -> None:
    value = _over(kind, hi)
    shown = f"{value}" if kind == "int" else f"{value:g}"
    assert _refused(_with(path, value)) == f"{_where(path)} = {shown} is absurd (over {hi:g})"


@pytest.mark.parametrize(("path", "kind", "lo", "hi"), LIMITS, ids=[_where(p) for p, *_ in LIMITS])
def test_a_value_under_the_limit_is_refused(path: KeyPath, kind: str, lo: float, hi: float) -> None:
    if kind == "int":
        value: int | float = int(lo) - 1
        assert _refused(_with(path, value)) == f"{_where(path)} must be at least {int(lo)} (got {value})"
    else:
        value = -5e-324  # the negative number closest to zero
        assert _refused(_with(path, value)) == f"{_where(path)} is negative ({value})"


@pytest.mark.parametrize(("path", "kind", "lo", "hi"), LIMITS, ids=[_where(p) for p, *_ in LIMITS])
def test_a_value_of_the_wrong_type_is_refused_naming_the_type(path: KeyPath, kind: str, lo: float, hi: float) -> None:
    wanted = "an integer" if kind == "int" else "an integer or a number"
    assert _refused(_with(path, "12")) == f"{_where(path)} must be {wanted}, not str"
    assert _refused(_with(path, True)) == f"{_where(path)} must be {wanted}, not bool"
    if kind == "int":
        assert _refused(_with(path, 2.0)) == f"{_where(path)} must be an integer, not float"


# ---------------------------------------------------------------- progress, cancel, memory


def _report_file(tmp_path: Path, n_points: int) -> Path:
    path = tmp_path / "r.json"
    path.write_text(make_report(points=[make_point()] * n_points).to_json(), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("n_points", "checked"),
    [(0, []), (3, [0, 1, 2]), (49, list(range(49))), (100, list(range(0, 100, 2))), (160, list(range(0, 160, 3)))],
)
def test_loading_reports_reading_then_parsing_then_checking_about_fifty_times(
    tmp_path: Path, n_points: int, checked: list[int]
) -> None:
    calls: list[tuple[float, str]] = []
    report = load_report(_report_file(tmp_path, n_points), progress=lambda f, what: calls.append((f, what)))
    assert len(report.points) == n_points
    reading = [f for f, what in calls if what == "Reading"]
    assert reading and reading[-1] == pytest.approx(0.35)  # a small file is read at once
    assert calls[len(reading)] == (pytest.approx(0.35), "Parsing")
    checking = calls[len(reading) + 1 :]
    assert [what for _, what in checking] == ["Checking"] * len(checked)
    assert [f for f, _ in checking] == pytest.approx([0.7 + 0.3 * i / n_points for i in checked])


def test_a_cancelled_load_stops_before_reading(tmp_path: Path) -> None:
    token = CancelToken()
    token.cancel()
    calls: list[str] = []
    with pytest.raises(Cancelled):
        load_report(_report_file(tmp_path, 3), progress=lambda f, what: calls.append(what), cancel=token)
    assert calls == []


def test_a_report_without_points_still_stops_when_cancelled() -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        parse_report(make_report(points=[]).to_json(), cancel=token)
    assert parse_report(make_report(points=[]).to_json(), cancel=CancelToken()).points == []


def test_cancelling_while_checking_stops_at_the_next_progress_step() -> None:
    token = CancelToken()
    seen: list[str] = []

    def progress(f: float, what: str) -> None:
        seen.append(what)
        token.cancel()

    d = json.loads(make_report(points=[make_point()] * 120).to_json())
    with pytest.raises(Cancelled):
        validate_report_dict(d, progress=progress, cancel=token)
    assert seen == ["Checking"]  # the first point's step, then the cancel was seen at the second


def test_consuming_validation_frees_each_raw_point_and_loads_the_same_report() -> None:
    d = good_dict()
    kept = validate_report_dict(good_dict())
    assert validate_report_dict(d, consume=True) == kept
    assert d["points"] == [None] * len(kept.points)
    assert d["micro"] == good_dict()["micro"]  # micro results are few: they are kept


def test_a_parse_error_names_its_source() -> None:
    d = good_dict()
    d["points"][0]["samples"] = 0
    with pytest.raises(ReportError) as e:
        parse_report(json.dumps(d), source="run.json")
    assert str(e.value) == "run.json: points[0].samples must be at least 1 (got 0)"
    with pytest.raises(ReportError) as e:
        parse_report(json.dumps(d))
    assert str(e.value) == "report: points[0].samples must be at least 1 (got 0)"
    with pytest.raises(ReportError) as e:
        parse_report("{", source="run.json")
    assert str(e.value).startswith("run.json")


# ---------------------------------------------------------------- what a file loads as


def _minimal_point() -> dict[str, Any]:
    """A point with only the fields a report must have: everything else takes its default."""
    full = good_dict()["points"][0]
    keys = ("device", "family", "params", "architecture", "samples", "batch_size", "epochs", "precision")
    return {**{k: full[k] for k in keys}, "threads": 0, "optimizer": "sgd", "status": "failed"}


def test_a_point_with_only_the_required_fields_loads_with_the_defaults() -> None:
    d = good_dict()
    d["points"] = [_minimal_point()]
    p = validate_report_dict(d).points[0]
    assert (p.status, p.threads, p.optimizer) == ("failed", 0, "sgd")
    assert p.message == p.device_name == p.peak_memory_method == p.estimate_basis == p.backend == ""
    assert p.unstable is False and p.epoch_time_extrapolated is False and p.estimated is False
    assert p.overhead_breakdown_s == {} and p.step_breakdown_s == {} and p.rank_samples_per_s == []
    assert p.world_size == 1
    for key in (
        "samples_per_s",
        "step_time_s",
        "epoch_time_s",
        "fixed_overhead_s",
        "time_to_train_s",
        "peak_memory_bytes",
        "estimated_memory_bytes",
        "flops_per_step",
        "dataset_resident_samples",
        "background_cpu_load",
        "scaling_efficiency",
        "scaling_baseline_samples_per_s",
        "comm_time_s",
        "allreduce_time_s",
    ):
        assert getattr(p, key) is None, key


def test_null_optional_fields_load_as_their_defaults() -> None:
    d = good_dict()
    point = _minimal_point()
    for key in ("samples_per_s", "step_time_s", "peak_memory_bytes", "world_size", "background_cpu_load"):
        point[key] = None
    point.update(overhead_breakdown_s=None, step_breakdown_s=None, rank_samples_per_s=None)
    d["points"] = [point]
    p = validate_report_dict(d).points[0]
    assert p.samples_per_s is None and p.step_time_s is None and p.peak_memory_bytes is None
    assert p.world_size == 1 and p.background_cpu_load is None
    assert p.overhead_breakdown_s == {} and p.step_breakdown_s == {} and p.rank_samples_per_s == []


def test_the_flags_and_texts_of_a_point_load_as_written() -> None:
    d = good_dict()
    d["points"][0].update(
        unstable=True,
        epoch_time_extrapolated=True,
        estimated=True,
        message="m",
        device_name="dn",
        peak_memory_method="rss_delta",
        estimate_basis="roofline",
        backend="nccl",
    )
    p = validate_report_dict(d).points[0]
    assert p.unstable and p.epoch_time_extrapolated and p.estimated
    assert (p.message, p.device_name, p.peak_memory_method, p.estimate_basis) == ("m", "dn", "rss_delta", "roofline")
    assert p.backend == "nccl"


def test_a_report_without_its_optional_top_level_fields_loads_with_the_defaults() -> None:
    d = good_dict()
    for key in ("settings", "cancelled", "gpuwise_version"):
        del d[key]
    r = validate_report_dict(d)
    assert r.settings == {} and r.cancelled is False and r.gpuwise_version == ""
    d["cancelled"] = True
    d["gpuwise_version"] = 2
    r = validate_report_dict(d)
    assert r.cancelled is True and r.gpuwise_version == "2"


def test_a_machine_may_leave_out_its_cpu_its_gpus_or_any_figure() -> None:
    d = good_dict()
    d["machine"] = {"os": "Linux"}
    assert validate_report_dict(d).machine == {"os": "Linux"}
    d["machine"] = {"cpu": None, "gpus": None}
    assert validate_report_dict(d).machine == {"cpu": None, "gpus": None}
    d["machine"] = {"cpu": {"clock_ghz": None, "ram_total": None}, "gpus": [{}, {"memory_total": None}]}
    assert validate_report_dict(d).machine["gpus"] == [{}, {"memory_total": None}]


def test_the_breakdowns_load_every_part_as_a_float() -> None:
    d = good_dict()
    d["points"][0]["overhead_breakdown_s"] = {"init": 1, "transfer": 0, "warmup": 0.25}
    d["points"][0]["step_breakdown_s"] = {"data": 0, "forward": 2}
    p = validate_report_dict(d).points[0]
    assert p.overhead_breakdown_s == {"init": 1.0, "transfer": 0.0, "warmup": 0.25}
    assert p.step_breakdown_s == {"data": 0.0, "forward": 2.0}
    assert all(type(v) is float for v in [*p.overhead_breakdown_s.values(), *p.step_breakdown_s.values()])


def test_step_statistics_load_as_written() -> None:
    d = good_dict()
    d["points"][0]["step_time_s"] = {"median": 0, "iqr": 0, "ci95": [0, 0], "n": 0}
    st = validate_report_dict(d).points[0].step_time_s
    assert st is not None and (st.median, st.iqr, st.ci95, st.n) == (0.0, 0.0, (0.0, 0.0), 0)
    assert type(st.median) is float and type(st.ci95[0]) is float
    d["points"][0]["step_time_s"] = {"median": 2, "iqr": 1, "ci95": [1, 1e12], "n": 7}
    st = validate_report_dict(d).points[0].step_time_s
    assert st is not None and (st.median, st.iqr, st.ci95, st.n) == (2.0, 1.0, (1.0, 1e12), 7)


def test_per_rank_throughputs_load_as_floats_within_their_limits() -> None:
    d = good_dict()
    d["points"][0]["rank_samples_per_s"] = [0, 1e15, 3]
    assert validate_report_dict(d).points[0].rank_samples_per_s == [0.0, 1e15, 3.0]
    for bad in (math.nextafter(1e15, math.inf), -5e-324, math.nan, math.inf, "1", None, True):
        d["points"][0]["rank_samples_per_s"] = [1.0, bad]
        assert _refused(d) == "points[0].rank_samples_per_s[1] must be a finite, non-negative number"


# ---------------------------------------------------------------- how each wrong value is worded


def test_schema_refusals_say_which_schema_was_found_and_which_is_read() -> None:
    d = good_dict()
    d["schema"] = "gpuwise.report/2"
    assert _refused(d) == ("schema version 'gpuwise.report/2' is not supported (this gpuwise reads 'gpuwise.report/1')")
    d["schema"] = "other.report/1"
    assert _refused(d) == "not a gpuwise report (schema is 'other.report/1', expected 'gpuwise.report/1')"
    d["schema"] = 1
    assert _refused(d) == "not a gpuwise report (schema is 1, expected 'gpuwise.report/1')"
    assert _refused([]) == "not a gpuwise report (the top level is not an object)"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("machine",), [], "report.machine must be an object, not list"),
        (("created",), 5, "report.created must be a string, not int"),
        (("points",), {}, "report.points must be a list, not dict"),
        (("micro",), "x", "report.micro must be a list, not str"),
        (("machine",), None, "report.machine is missing"),
        (("settings",), [], "settings must be an object"),
        (("cancelled",), 1, "cancelled must be true or false"),
        (("machine", "cpu"), [], "machine.cpu must be an object"),
        (("machine", "gpus"), {}, "machine.gpus must be a list of objects"),
        (("machine", "gpus"), [{}, 3], "machine.gpus must be a list of objects"),
        (("machine", "gpus"), [{}, {"memory_total": -1}], "machine.gpus[1].memory_total must be at least 0 (got -1)"),
        (("machine", "os"), math.inf, "machine.os holds a non-finite number"),
        (("settings", "budget_s"), [1, math.nan], "settings.budget_s[1] holds a non-finite number"),
        (("points", 0), [], "points[0] must be an object"),
        (("points", 0, "device"), 0, "points[0].device must be a string, not int"),
        (("points", 0, "optimizer"), None, "points[0].optimizer is missing"),
        (("points", 0, "architecture"), [], "points[0].architecture must be an object, not list"),
        (("points", 0, "family"), "rnn", f"points[0].family 'rnn' is not one of {', '.join(families.names())}"),
        (("points", 0, "status"), "done", "points[0].status 'done' is not one of ok, oom, skipped, failed"),
        (("points", 0, "precision"), "fp8", f"points[0].precision 'fp8' is not one of {', '.join(PRECISIONS)}"),
        (("points", 0, "params"), 1010, "points[0].params 1010 is not its architecture's count (1009)"),
        (("points", 0, "step_time_s"), 0.005, "points[0].step_time_s must be an object"),
        (("points", 0, "step_time_s", "ci95"), [1, 2, 3], "points[0].step_time_s.ci95 must be a list of two numbers"),
        (("points", 0, "step_time_s", "ci95"), None, "points[0].step_time_s.ci95 is missing"),
        (("points", 0, "overhead_breakdown_s"), [1.0], "points[0].overhead_breakdown_s must be an object"),
        (("points", 0, "step_breakdown_s"), {"data": None}, "points[0].step_breakdown_s.data is missing"),
        (("points", 0, "estimated"), "yes", "points[0].estimated must be true or false"),
        (("points", 0, "unstable"), None, "points[0].unstable must be true or false"),
        (("points", 0, "backend"), "mpi", "points[0].backend 'mpi' is not one of gloo, nccl"),
        (("points", 0, "rank_samples_per_s"), "fast", "points[0].rank_samples_per_s must be a list"),
        (("micro", 1), 3, "micro[1] must be an object"),
        (("micro", 1, "kind"), 3, "micro[1].kind must be a string, not int"),
        (("micro", 1, "unit"), None, "micro[1].unit is missing"),
        (("micro", 1, "device"), None, "micro[1].device is missing"),
        (("micro", 1, "precision"), 16, "micro[1].precision must be a string, not int"),
        (("points", 0, "samples_per_s"), math.inf, "points[0].samples_per_s is not a finite number"),
        (("points", 0, "epoch_time_s"), math.nan, "points[0].epoch_time_s is not a finite number"),
    ],
)
def test_a_wrong_value_is_refused_with_one_line_naming_it(path: KeyPath, value: Any, message: str) -> None:
    assert _refused(_with(path, value)) == message


@pytest.mark.parametrize("ci", [[0.2, 0.1], [-5e-324, 0.1], [0.1, math.nextafter(1e12, math.inf)], [math.nan, 1]])
def test_a_step_time_interval_out_of_order_or_range_is_refused(ci: list[float]) -> None:
    assert _refused(_with((*_ST, "ci95"), ci)) == (
        "points[0].step_time_s.ci95 must be two finite, non-negative numbers, low first"
    )


def test_an_architecture_that_does_not_fit_its_family_is_refused_naming_it() -> None:
    d = good_dict()
    d["points"][0]["architecture"]["hidden"] = [0]
    assert _refused(d).startswith("points[0].architecture.hidden[0] must be a whole number")


def test_a_rule_that_misses_a_case_still_ends_in_one_line_naming_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_check(spec: Any, family: str, where: str) -> None:
        raise TypeError("unhashable type: 'list'")

    monkeypatch.setattr("gpuwise.core.report.check_spec", broken_check)
    with pytest.raises(ReportError) as e:
        parse_report(make_report().to_json(), source="odd.json")
    assert str(e.value) == "odd.json: not a usable gpuwise report (TypeError: unhashable type: 'list')"


def test_a_file_that_cannot_be_read_is_refused_as_a_report(tmp_path: Path) -> None:
    missing = tmp_path / "absent.json"
    with pytest.raises(ReportError) as e:
        load_report(missing)
    assert str(e.value) == f"report {missing}: no such file"


# ---------------------------------------------------------------- CSV


def test_a_csv_row_holds_every_figure_of_its_point() -> None:
    p = make_point(
        device_name="Big CPU",
        samples_per_s=12345.678,
        step_time_s=StepStats(0.0123456789, 0.000987654321, (0.0111111111, 0.0133333333), 17),
        unstable=True,
        epoch_time_s=2.5,
        epoch_time_extrapolated=True,
        fixed_overhead_s=0.75,
        time_to_train_s=3.25,
        peak_memory_bytes=0,
        estimated=True,
        message="fine",
    )
    text = points_csv([p])
    assert "\r" not in text and text.endswith("\n")
    header, row = text.splitlines()
    assert header == ",".join(CSV_COLUMNS)
    assert dict(zip(CSV_COLUMNS, row.split(","), strict=True)) == {
        "device": "cpu",
        "device_name": "Big CPU",
        "family": "mlp",
        "params": "1009",
        "samples": "2000",
        "batch_size": "128",
        "epochs": "1",
        "precision": "fp32",
        "threads": "2",
        "optimizer": "adam",
        "status": "ok",
        "samples_per_s": "12345.7",
        "step_time_median_s": "0.0123457",
        "step_time_iqr_s": "0.000987654",
        "step_time_ci95_low_s": "0.0111111",
        "step_time_ci95_high_s": "0.0133333",
        "step_time_n": "17",
        "unstable": "True",
        "epoch_time_s": "2.5",
        "epoch_time_extrapolated": "True",
        "fixed_overhead_s": "0.75",
        "time_to_train_s": "3.25",
        "peak_memory_bytes": "0",
        "estimated": "True",
        "message": "fine",
    }


def test_a_csv_row_leaves_what_was_not_measured_empty() -> None:
    p = make_point(
        status="oom",
        samples_per_s=None,
        step_time_s=None,
        epoch_time_s=None,
        fixed_overhead_s=None,
        time_to_train_s=None,
        peak_memory_bytes=None,
    )
    row = dict(zip(CSV_COLUMNS, points_csv([p]).splitlines()[1].split(","), strict=True))
    empty = [k for k, v in row.items() if v == ""]
    assert empty == [
        "samples_per_s",
        "step_time_median_s",
        "step_time_iqr_s",
        "step_time_ci95_low_s",
        "step_time_ci95_high_s",
        "step_time_n",
        "epoch_time_s",
        "fixed_overhead_s",
        "time_to_train_s",
        "peak_memory_bytes",
        "message",
    ]


def test_a_report_file_is_indented_json_ending_in_a_newline() -> None:
    text = make_report().to_json()
    assert text.startswith('{\n  "machine": {\n    "cpu": {\n      "model": "AMD EPYC",')
    assert text.endswith('\n  "schema": "gpuwise.report/1"\n}\n')
    assert validate_report_dict(json.loads(text)) == make_report()


def test_the_busy_machine_text_gives_one_share_or_a_range() -> None:
    assert busy_machine_text([0.614]) == "busy machine: other programs used 61 % of the CPU"
    assert busy_machine_text([0.67, 0.61, 0.64]) == "busy machine: other programs used 61–67 % of the CPU"


def test_a_null_machine_figure_does_not_stop_the_check_of_the_next_ones() -> None:
    d = good_dict()
    d["machine"]["cpu"] = {"physical_cores": None, "clock_ghz": None, "ram_available": -1}
    assert _refused(d) == "machine.cpu.ram_available must be at least 0 (got -1)"
    d["machine"]["cpu"] = {"physical_cores": None, "logical_cores": 4, "clock_ghz": 101}
    assert _refused(d) == "machine.cpu.clock_ghz = 101 is absurd (over 100)"


def test_a_report_larger_than_a_settings_file_loads(tmp_path: Path) -> None:
    # settings and price files are capped at 1 MiB; a report of many points is far larger
    path = tmp_path / "big.json"
    path.write_text(make_report(points=[make_point(message="x" * (3 << 19))]).to_json(), encoding="utf-8")
    assert len(load_report(path).points[0].message) == 3 << 19


def test_cancelling_once_the_file_is_read_stops_before_it_is_checked(tmp_path: Path) -> None:
    token = CancelToken()
    seen: list[str] = []

    def progress(f: float, what: str) -> None:
        seen.append(what)
        if what == "Parsing":
            token.cancel()

    with pytest.raises(Cancelled):
        load_report(_report_file(tmp_path, 3), progress=progress, cancel=token)
    assert "Checking" not in seen


def test_cancelling_while_a_parsed_report_is_checked_stops_it() -> None:
    token = CancelToken()
    seen: list[str] = []

    def progress(f: float, what: str) -> None:
        seen.append(what)
        token.cancel()

    with pytest.raises(Cancelled):
        parse_report(make_report(points=[make_point()] * 120).to_json(), progress=progress, cancel=token)
    assert seen == ["Checking"]
