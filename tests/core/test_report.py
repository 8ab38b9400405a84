"""The report: versioned JSON, strict validation on load, atomic writes, CSV of the points."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpuwise.core.errors import ReportError, UserInputError
from gpuwise.core.report import (
    CSV_COLUMNS,
    SCHEMA,
    MicroResult,
    Point,
    Report,
    StepStats,
    atomic_write_bytes,
    atomic_write_text,
    busy_machine_text,
    check_writable,
    load_report,
    parse_report,
    points_csv,
    save_report,
    validate_report_dict,
)

ARCH = {"family": "mlp", "input_dim": 16, "hidden": [37], "num_classes": 10, "activation": "ReLU", "params": 1009}


def make_point(**kw: Any) -> Point:
    base: dict[str, Any] = dict(
        device="cpu",
        family="mlp",
        params=1009,
        architecture=ARCH,
        samples=2000,
        batch_size=128,
        epochs=1,
        precision="fp32",
        threads=2,
        optimizer="adam",
        status="ok",
        message="",
        device_name="AMD EPYC",
        samples_per_s=25_000.0,
        step_time_s=StepStats(0.005, 0.0002, (0.0049, 0.0052), 10),
        unstable=False,
        epoch_time_s=0.08,
        epoch_time_extrapolated=False,
        fixed_overhead_s=0.3,
        overhead_breakdown_s={"init": 0.1, "transfer": 0.05, "warmup": 0.15},
        time_to_train_s=0.38,
        peak_memory_bytes=12_345_678,
        peak_memory_method="rss_delta",
        estimated_memory_bytes=10_000_000,
        flops_per_step=1.4e5,
        dataset_resident_samples=2000,
    )
    base.update(kw)
    return Point(**base)


def make_report(**kw: Any) -> Report:
    base: dict[str, Any] = dict(
        machine={
            "cpu": {"model": "AMD EPYC", "physical_cores": 2},
            "gpus": [],
            "os": "Linux",
            "python": "3.11",
            "torch": "2.13.0",
        },
        points=[
            make_point(),
            make_point(
                status="skipped",
                message="needs 40 GiB",
                samples_per_s=None,
                step_time_s=None,
                epoch_time_s=None,
                fixed_overhead_s=None,
                time_to_train_s=None,
                peak_memory_bytes=None,
            ),
        ],
        micro=[
            MicroResult("cpu", "matmul", "fp32", 1024, 180.5, "GFLOP/s", 0.7),
            MicroResult("cpu", "triad", "fp32", 3 * 4 * 2**24, 12.0, "GB/s"),
        ],
        created="2026-01-01T00:00:00+00:00",
        settings={"family": "mlp", "budget_s": 20.0},
        gpuwise_version="0.1.0",
    )
    base.update(kw)
    return Report(**base)


def good_dict() -> dict[str, Any]:
    d: dict[str, Any] = json.loads(make_report().to_json())
    return d


# ---------------------------------------------------------------- round trip


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    rep = make_report()
    path = tmp_path / "r.json"
    save_report(rep, path)
    loaded = load_report(path)
    assert loaded == rep
    assert loaded.schema == SCHEMA == "gpuwise.report/1"
    assert loaded.points[0].step_time_s == StepStats(0.005, 0.0002, (0.0049, 0.0052), 10)
    assert isinstance(loaded.points[0].step_time_s.ci95, tuple)


def test_json_has_the_minimum_fields() -> None:
    d = good_dict()
    assert {"schema", "created", "machine", "points", "micro"} <= d.keys()
    for key in ("cpu", "gpus", "os", "python", "torch"):
        assert key in d["machine"]
    point_keys = {
        "device",
        "family",
        "params",
        "architecture",
        "samples",
        "batch_size",
        "epochs",
        "precision",
        "threads",
        "optimizer",
        "status",
        "message",
        "samples_per_s",
        "step_time_s",
        "unstable",
        "epoch_time_s",
        "epoch_time_extrapolated",
        "fixed_overhead_s",
        "peak_memory_bytes",
    }
    assert point_keys <= d["points"][0].keys()
    assert set(d["points"][0]["step_time_s"]) == {"median", "iqr", "ci95", "n"}
    assert {"device", "kind", "precision", "size", "value", "unit", "peak_fraction"} <= d["micro"][0].keys()


def test_save_refuses_an_invalid_report_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    bad = make_report(points=[make_point(samples_per_s=-1.0)])
    with pytest.raises(ReportError, match="negative"):
        save_report(bad, path)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_to_json_refuses_nan() -> None:
    with pytest.raises(ValueError):
        make_report(points=[make_point(samples_per_s=float("nan"))]).to_json()


# ---------------------------------------------------------------- validation


def _refused(data: Any, *words: str) -> str:
    with pytest.raises(ReportError) as e:
        validate_report_dict(data)
    msg = str(e.value)
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"
    assert "\n" not in msg
    return msg


def test_malformed_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"schema": "gpuwise.report/1", "points": [', encoding="utf-8")
    with pytest.raises(ReportError, match="not valid JSON") as e:
        load_report(path)
    assert str(path) in str(e.value)


def test_missing_file_and_directory_and_binary(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no such file"):
        load_report(tmp_path / "absent.json")
    with pytest.raises(ReportError, match="directory"):
        load_report(tmp_path)
    binary = tmp_path / "model.pt"
    binary.write_bytes(b"\x80\x04\x95\xff\xfe pickle bytes")
    with pytest.raises(ReportError):
        load_report(binary)


def test_not_an_object_is_refused() -> None:
    _refused([1, 2, 3], "not a gpuwise report")
    _refused("text", "not a gpuwise report")


def test_wrong_schema_version_is_refused() -> None:
    d = good_dict()
    d["schema"] = "gpuwise.report/2"
    msg = _refused(d, "gpuwise.report/2", "not supported")
    assert "gpuwise.report/1" in msg


@pytest.mark.parametrize("schema", ["something.else/1", None, 1])
def test_unknown_schema_is_refused(schema: Any) -> None:
    d = good_dict()
    if schema is None:
        del d["schema"]
    else:
        d["schema"] = schema
    _refused(d, "not a gpuwise report")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity_constants_are_refused(constant: str) -> None:
    text = make_report().to_json().replace('"samples_per_s": 25000.0', f'"samples_per_s": {constant}', 1)
    assert constant in text
    with pytest.raises(ReportError, match="not allowed"):
        parse_report(text)


def test_overflowing_number_is_refused() -> None:
    text = make_report().to_json().replace('"epoch_time_s": 0.08', '"epoch_time_s": 1e999', 1)
    with pytest.raises(ReportError, match="finite"):
        parse_report(text)


def test_nan_hidden_in_machine_or_architecture_is_refused() -> None:
    d = good_dict()
    d["machine"]["cpu"]["clock_ghz"] = float("nan")
    _refused(d, "machine.cpu.clock_ghz", "non-finite")
    d = good_dict()
    d["points"][0]["architecture"]["hidden"] = [float("inf")]
    _refused(d, "points[0].architecture", "non-finite")


@pytest.mark.parametrize(
    ("key", "value", "word"),
    [
        ("samples_per_s", -5.0, "negative"),
        ("epoch_time_s", -0.1, "negative"),
        ("fixed_overhead_s", -1, "negative"),
        ("peak_memory_bytes", -1, "at least"),
        ("params", 0, "at least 1"),
        ("samples", -100, "at least 1"),
        ("batch_size", 0, "at least 1"),
        ("params", 10**20, "absurd"),
        ("samples", 10**15, "absurd"),
        ("epoch_time_s", 1e30, "absurd"),
        ("samples_per_s", 1e30, "absurd"),
        ("peak_memory_bytes", 10**20, "absurd"),
        ("threads", 10**9, "absurd"),
    ],
)
def test_negative_and_absurd_values_are_refused(key: str, value: Any, word: str) -> None:
    d = good_dict()
    d["points"][0][key] = value
    _refused(d, f"points[0].{key}", word)


@pytest.mark.parametrize(
    ("key", "value", "word"),
    [
        ("params", "1009", "integer"),  # a string for a count
        ("params", 1009.5, "integer"),
        ("params", True, "integer"),  # a bool is not an int here
        ("batch_size", False, "integer"),
        ("samples_per_s", "fast", "number"),
        ("samples_per_s", True, "number"),
        ("device", 0, "string"),
        ("architecture", [], "object"),
        ("unstable", "no", "true or false"),
        ("epoch_time_extrapolated", 1, "true or false"),
    ],
)
def test_wrong_types_are_refused(key: str, value: Any, word: str) -> None:
    d = good_dict()
    d["points"][0][key] = value
    _refused(d, f"points[0].{key}", word)


@pytest.mark.parametrize(
    "key",
    [
        "device",
        "family",
        "params",
        "architecture",
        "samples",
        "batch_size",
        "epochs",
        "precision",
        "threads",
        "optimizer",
        "status",
    ],
)
def test_missing_point_fields_are_refused(key: str) -> None:
    d = good_dict()
    del d["points"][0][key]
    _refused(d, f"points[0].{key}", "missing")


@pytest.mark.parametrize("key", ["machine", "created", "points", "micro"])
def test_missing_top_level_fields_are_refused(key: str) -> None:
    d = good_dict()
    del d[key]
    _refused(d, key, "missing")


@pytest.mark.parametrize(("key", "value"), [("status", "great"), ("family", "resnet"), ("precision", "fp8")])
def test_unknown_enumerations_are_refused(key: str, value: str) -> None:
    d = good_dict()
    d["points"][0][key] = value
    _refused(d, f"points[0].{key}", value, "not one of")


@pytest.mark.parametrize(
    "ci", [[0.1], [0.1, 0.2, 0.3], "0.1,0.2", [0.1, "0.2"], [0.3, 0.1], [-0.1, 0.2], [True, False], {"lo": 1}]
)
def test_ci95_of_the_wrong_shape_is_refused(ci: Any) -> None:
    d = good_dict()
    d["points"][0]["step_time_s"]["ci95"] = ci
    _refused(d, "points[0].step_time_s.ci95")


def test_step_time_fields_are_checked() -> None:
    d = good_dict()
    d["points"][0]["step_time_s"]["median"] = -0.5
    _refused(d, "step_time_s.median", "negative")
    d = good_dict()
    del d["points"][0]["step_time_s"]["n"]
    _refused(d, "step_time_s.n", "missing")
    d = good_dict()
    d["points"][0]["step_time_s"] = [0.005]
    _refused(d, "step_time_s", "object")


def test_micro_results_are_checked() -> None:
    d = good_dict()
    d["micro"][0]["value"] = -3
    _refused(d, "micro[0].value", "negative")
    d = good_dict()
    d["micro"][1]["unit"] = None
    _refused(d, "micro[1].unit", "missing")
    d = good_dict()
    d["micro"][0] = "matmul"
    _refused(d, "micro[0]", "object")


def test_other_top_level_types_are_checked() -> None:
    d = good_dict()
    d["points"] = {"0": {}}
    _refused(d, "points", "list")
    d = good_dict()
    d["cancelled"] = "yes"
    _refused(d, "cancelled", "true or false")
    d = good_dict()
    d["settings"] = []
    _refused(d, "settings", "object")


def test_load_prefixes_the_file_name(tmp_path: Path) -> None:
    d = good_dict()
    d["points"][0]["params"] = "many"
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(ReportError) as e:
        load_report(path)
    assert str(e.value).startswith(f"{path}: points[0].params")


def test_report_error_is_a_user_input_error() -> None:
    # front ends map UserInputError to "exit 2, one line": a bad report must take that path too
    assert issubclass(ReportError, UserInputError)


# ---------------------------------------------------------------- atomic writes


def test_atomic_write_replaces_the_content(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    atomic_write_text(path, "old")
    atomic_write_text(path, "néw")
    assert path.read_text(encoding="utf-8") == "néw"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_failed_replace_keeps_the_old_file_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "report.json"
    path.write_text("old content", encoding="utf-8")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space"):
        save_report(make_report(), path)
    assert path.read_text(encoding="utf-8") == "old content"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_failed_write_keeps_the_old_file_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "points.csv"
    path.write_bytes(b"old")

    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="Input/output"):
        atomic_write_bytes(path, b"new" * 1000)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["points.csv"]


def test_write_into_a_missing_folder_fails_cleanly(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        atomic_write_text(tmp_path / "nope" / "r.json", "x")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- check_writable


def test_check_writable_accepts_a_new_file_and_creates_nothing(tmp_path: Path) -> None:
    assert check_writable(tmp_path / "r.json") == tmp_path / "r.json"
    assert list(tmp_path.iterdir()) == []


def test_check_writable_refuses_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="does not exist"):
        check_writable(tmp_path / "missing" / "r.json")


def test_check_writable_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="is a directory"):
        check_writable(tmp_path)


def test_check_writable_refuses_when_permission_is_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # os.access is faked: tests may run as root, for whom a read-only folder is still writable
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(UserInputError, match="permission denied"):
        check_writable(tmp_path / "r.json")


def test_check_writable_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert check_writable("r.json") == Path("r.json")


# ---------------------------------------------------------------- CSV


def test_points_csv_header_and_rows() -> None:
    rep = make_report()
    text = points_csv(rep.points)
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 1 + len(rep.points)
    ok = dict(zip(rows[0], rows[1], strict=True))
    assert ok["device"] == "cpu" and ok["status"] == "ok" and ok["params"] == "1009"
    assert float(ok["samples_per_s"]) == 25_000.0
    assert float(ok["step_time_median_s"]) == 0.005
    assert float(ok["step_time_ci95_low_s"]) == 0.0049 and float(ok["step_time_ci95_high_s"]) == 0.0052
    assert ok["step_time_n"] == "10"
    skipped = dict(zip(rows[0], rows[2], strict=True))
    assert skipped["status"] == "skipped" and skipped["message"] == "needs 40 GiB"
    assert skipped["samples_per_s"] == "" and skipped["step_time_median_s"] == "" and skipped["step_time_n"] == ""


def test_points_csv_quotes_messages_with_commas() -> None:
    text = points_csv([make_point(message='slow, "unstable"\nsecond line')])
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2
    assert rows[1][CSV_COLUMNS.index("message")] == 'slow, "unstable"\nsecond line'


def test_points_csv_of_no_points_is_just_the_header() -> None:
    assert points_csv([]).splitlines() == [",".join(CSV_COLUMNS)]


def test_validation_does_not_mutate_its_input() -> None:
    d = good_dict()
    before = copy.deepcopy(d)
    validate_report_dict(d)
    assert d == before


@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=20))
def test_busy_machine_text_spans_the_loads(loads: list[float]) -> None:
    text = busy_machine_text(loads)
    assert text.startswith("busy machine: other programs used ") and text.endswith(" % of the CPU")
    share = text.removeprefix("busy machine: other programs used ").removesuffix(" % of the CPU")
    lo, _, hi = share.partition("–")
    assert int(lo) == round(min(loads) * 100) and int(hi or lo) == round(max(loads) * 100)


def test_measured_and_busy_points() -> None:
    assert make_point().measured and not make_point(status="oom").measured
    assert not make_point(estimated=True).measured
    assert make_point(background_cpu_load=0.16).busy and not make_point(background_cpu_load=0.15).busy
    assert not make_point(background_cpu_load=None).busy


def test_a_points_settings_key_is_what_was_measured_not_the_result() -> None:
    a = make_point()
    again = replace(a, samples_per_s=(a.samples_per_s or 1.0) * 2, message="measured again")
    assert again.settings_key == a.settings_key  # the same measurement, a new result: one replaces the other
    for change in ({"batch_size": a.batch_size * 2}, {"precision": "bf16"}, {"estimated": True}, {"world_size": 2}):
        assert replace(a, **change).settings_key != a.settings_key, change
