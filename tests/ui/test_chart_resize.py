"""A chart that shrinks keeps its whole plot inside the view (seen cut off at 1280x800 after a run)."""

from __future__ import annotations

from typing import Any

from gpuwise.ui.charts import ChartsWidget
from gpuwise.ui.qt import QtCore
from tests.charts.samples import synthetic_report


def test_shrinking_a_chart_never_leaves_its_layout_wider_than_the_view(qtbot: Any) -> None:
    charts = ChartsWidget()
    qtbot.addWidget(charts)
    charts.resize(1000, 500)
    charts.show()
    charts.set_report(synthetic_report())
    view = charts.plot_widget("epoch-time")
    qtbot.waitUntil(lambda: view.width() >= 900)
    charts.resize(506, 420)  # under WIDE_LAYOUT_PX: the legend and notes move under the plot
    qtbot.waitUntil(lambda: view.width() <= 520)
    qtbot.waitUntil(lambda: view.ci.geometry().width() <= view.width())
    assert view.ci.effectiveSizeHint(QtCore.Qt.SizeHint.MinimumSize).width() <= view.width()
