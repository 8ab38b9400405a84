"""The data-parallel fields of a report point: written, read back, validated; old reports still load."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gpuwise.core.errors import ReportError
from gpuwise.core.report import parse_report, validate_report_dict
from tests.core.test_report import good_dict, make_point, make_report


def _ddp_dict() -> dict[str, Any]:
    p = make_point(
        world_size=2,
        backend="gloo",
        rank_samples_per_s=[12_000.0, 11_800.0],
        samples_per_s=23_800.0,
        scaling_efficiency=0.95,
        scaling_baseline_samples_per_s=12_500.0,
        comm_time_s=0.0004,
        allreduce_time_s=0.0011,
    )
    d: dict[str, Any] = json.loads(make_report(points=[p]).to_json())
    return d


def test_ddp_fields_round_trip() -> None:
    back = validate_report_dict(_ddp_dict()).points[0]
    assert (back.world_size, back.backend) == (2, "gloo")
    assert back.rank_samples_per_s == [12_000.0, 11_800.0]
    assert back.scaling_efficiency == 0.95
    assert back.scaling_baseline_samples_per_s == 12_500.0
    assert (back.comm_time_s, back.allreduce_time_s) == (0.0004, 0.0011)


def test_a_report_written_before_the_ddp_fields_loads_as_single_process_points() -> None:
    d = good_dict()
    for key in (
        "world_size",
        "backend",
        "rank_samples_per_s",
        "scaling_efficiency",
        "scaling_baseline_samples_per_s",
        "comm_time_s",
        "allreduce_time_s",
    ):
        for p in d["points"]:
            p.pop(key, None)
    points = parse_report(json.dumps(d)).points
    assert all(p.world_size == 1 and p.backend == "" and p.scaling_efficiency is None for p in points)


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("world_size", 0, "at least 1"),
        ("world_size", 2.5, "integer"),
        ("world_size", 10**9, "absurd"),
        ("backend", "mpi", "not one of"),
        ("backend", 3, "not one of"),
        ("scaling_efficiency", -0.1, "negative"),
        ("scaling_efficiency", 1e6, "absurd"),
        ("scaling_efficiency", "good", "number"),
        ("scaling_baseline_samples_per_s", -5, "negative"),
        ("comm_time_s", -1e-3, "negative"),
        ("allreduce_time_s", 1e30, "absurd"),
        ("rank_samples_per_s", "fast", "list"),
        ("rank_samples_per_s", [1.0, -2.0], "rank_samples_per_s[1]"),
        ("rank_samples_per_s", [True], "rank_samples_per_s[0]"),
    ],
)
def test_bad_ddp_values_are_refused(key: str, value: Any, words: str) -> None:
    d = _ddp_dict()
    d["points"][0][key] = value
    with pytest.raises(ReportError) as exc:
        validate_report_dict(d)
    assert f"points[0].{key}" in str(exc.value)
    assert words in str(exc.value)
