"""The scaling chart: throughput against processes with the ideal dashed, efficiency beside it; the app's control."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gpuwise.core.report import Point
from gpuwise.ui.charts import ChartsWidget
from gpuwise.ui.export import export_chart
from gpuwise.ui.scaling_chart import SCALING_COLUMNS, scaling_model
from gpuwise.ui.workload_panel import WorkloadPanel
from tests.ui.chart_samples import point, synthetic_report

BASE = 1000.0


def ddp_points(effs: tuple[float, ...] = (1.0, 0.8, 0.6)) -> list[Point]:
    out = []
    for w, eff in zip((1, 2, 4), effs, strict=True):
        total = w * BASE * eff
        out.append(
            point(
                "cpu",
                10_000,
                10_000 / total,
                world_size=w,
                backend="gloo",
                samples_per_s=total,
                rank_samples_per_s=[total / w] * w,
                scaling_efficiency=eff,
                threads=max(1, 4 // w),
                scaling_baseline_samples_per_s=BASE,
                comm_time_s=None if w == 1 else 0.002 * w,
                allreduce_time_s=None if w == 1 else 0.001 * w,
            )
        )
    return out


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


def test_charts_keep_data_parallel_points_off_the_single_device_charts(qtbot: Any, tmp_path: Path) -> None:
    charts = ChartsWidget()
    qtbot.addWidget(charts)
    charts.resize(900, 600)
    charts.set_report(synthetic_report())
    before = charts.chart_data("throughput")
    for p in ddp_points():
        charts.add_point(p)  # world sizes 1, 2, 4 of one job must not replace each other
    assert len(charts.chart_data("scaling")) == 3
    after = charts.chart_data("throughput")
    assert len(after) == len(before) + 1  # the 1-process run is a real CPU point; 2 and 4 are not
    charts.set_current_chart("scaling")
    png = export_chart(charts, "scaling", tmp_path / "scaling.png", size=(800, 500))
    assert png.stat().st_size > 1000


@pytest.mark.parametrize(("value", "ddp"), [(1, 0), (4, 4)])
def test_the_panel_asks_for_data_parallel_processes(qtbot: Any, value: int, ddp: int) -> None:
    panel = WorkloadPanel(None)
    qtbot.addWidget(panel)
    panel.ddp_spin.setValue(value)
    assert panel.plan().ddp == ddp
    assert panel.ddp_spin.text().startswith("off" if value == 1 else "4")
