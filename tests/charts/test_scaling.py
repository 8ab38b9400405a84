"""The scaling chart's model: throughput against processes with the ideal dashed, efficiency beside it."""

from __future__ import annotations

from gpuwise.charts.scaling import SCALING_COLUMNS, scaling_model
from tests.charts.samples import ddp_points, point


def test_measured_curve_ideal_dashed_and_efficiency_notes() -> None:
    m = scaling_model(ddp_points())
    main, ideal = m.series
    assert [(mk.x, mk.y) for mk in main.marks] == [(1.0, 1000.0), (2.0, 1600.0), (4.0, 2400.0)]
    assert all(mk.kind == "measured" for mk in main.marks)
    # the ideal: N x the baseline, every mark 'extrapolated' so the view draws the line dashed
    assert [(mk.x, mk.y) for mk in ideal.marks] == [(1.0, 1000.0), (2.0, 2000.0), (4.0, 4000.0)]
    assert all(mk.kind == "extrapolated" for mk in ideal.marks) and ideal.role == "secondary"
    assert "ideal" in ideal.name
    assert any("2 → 80%, 4 → 60%" in n.text for n in m.notes)
    assert any("baseline: 1 process with 4 thread(s) = 1k samples/s" in n.text for n in m.notes)
    assert "efficiency 60% of ideal" in main.marks[2].tip and "per rank: 600, 600, 600, 600" in main.marks[2].tip
    assert [r["processes"] for r in m.rows] == [1, 2, 4]
    assert [r["scaling_efficiency"] for r in m.rows] == [1.0, 0.8, 0.6]
    assert all(list(r) == list(SCALING_COLUMNS) for r in m.rows)


def test_a_failed_world_size_is_a_failure_mark() -> None:
    pts = ddp_points()
    pts[2] = point("cpu", 10_000, None, status="failed", world_size=4, backend="gloo")
    m = scaling_model(pts)
    assert [f.x for f in m.failures] == [4.0]
    assert len(m.series[0].marks) == 2


def test_no_data_parallel_points_no_curve() -> None:
    m = scaling_model([point("cpu", 1000, 0.1)])
    assert not m.has_data and "--ddp" in m.placeholder
