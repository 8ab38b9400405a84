"""The scaling chart in the app: data-parallel points stay off the one-device charts; the panel's control."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gpuwise.ui.charts import ChartsWidget
from gpuwise.ui.export import export_chart
from gpuwise.ui.workload_panel import WorkloadPanel
from tests.charts.samples import ddp_points, synthetic_report


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
