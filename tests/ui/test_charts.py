"""The charts: what each one plots, how honest styles are applied, failures, break-even and crossover, hover."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from gpuwise.charts.model import PLACEHOLDER
from gpuwise.ui.charts import ChartsWidget
from gpuwise.ui.qt import QtCore, QtGui
from tests.charts.samples import (
    CPU_PER_SAMPLE_S,
    CROSSOVER_A10G,
    CROSSOVER_CUDA,
    GRID_PARAMS,
    PEAK_GFLOPS,
    SAMPLES,
    STEP_CI,
    STEP_MEDIAN_S,
    estimate_points,
    grid_points,
    measured_points,
    point,
    synthetic_report,
)


@pytest.fixture
def charts(qtbot: Any) -> ChartsWidget:
    widget = ChartsWidget()
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.set_report(synthetic_report())
    widget.set_estimates(estimate_points())
    return widget


def _xy(item: Any) -> tuple[np.ndarray, np.ndarray]:
    x, y = item.getData()
    return 10 ** np.asarray(x), 10 ** np.asarray(y)


def test_chart_names_are_stable(charts: ChartsWidget) -> None:
    assert charts.chart_names() == ["epoch-time", "throughput", "speedup", "matmul", "scaling"]
    assert charts.current_chart_name() == "epoch-time"
    charts.set_current_chart("speedup")
    assert charts.current_chart_name() == "speedup"
    with pytest.raises(KeyError, match="unknown chart"):
        charts.plot_widget("pie")


def test_epoch_time_curves_per_device_with_the_measured_values(charts: ChartsWidget) -> None:
    view = charts.plot_widget("epoch-time")
    curves = view.curve_items()
    assert set(curves) == {"cpu", "cuda:0", "A10G (estimate)"}
    x, y = _xy(curves["cpu"])
    np.testing.assert_allclose(x, SAMPLES)
    np.testing.assert_allclose(y, [s * CPU_PER_SAMPLE_S for s in SAMPLES])
    # Both axes logarithmic, labelled with units.
    assert view.plot.getAxis("bottom").logMode and view.plot.getAxis("left").logMode
    assert "(samples)" in view.plot.getAxis("bottom").labelText
    assert "(s)" in view.plot.getAxis("left").labelText


def test_device_colours_are_the_same_in_every_chart(charts: ChartsWidget) -> None:
    epoch = charts.plot_widget("epoch-time").curve_items()
    speed = charts.plot_widget("throughput").curve_items()
    cpu_colour = epoch["cpu"].opts["pen"].color().name()
    assert speed["cpu"].opts["pen"].color().name() == cpu_colour
    assert epoch["cuda:0"].opts["pen"].color().name() != cpu_colour
    assert speed["A10G (estimate)"].opts["pen"].color().name() not in (cpu_colour, "#d62728")


def test_extrapolated_points_are_dashed_and_hollow(charts: ChartsWidget) -> None:
    items = charts.plot_widget("epoch-time").series_items()["cpu"]
    # The solid line stops at the last measured point; the segment to the extrapolated one is dashed.
    assert list(items.main.opts["connect"][:3]) == [True, True, False]
    assert items.dashed is not None
    assert items.dashed.opts["pen"].style() == QtCore.Qt.PenStyle.DashLine
    assert list(items.dashed.opts["connect"][:3]) == [False, False, True]
    hx, _ = items.hollow.getData()
    np.testing.assert_allclose(10 ** np.asarray(hx), [1_000_000])


def test_estimates_are_dotted_and_named_estimate(charts: ChartsWidget) -> None:
    curves = charts.plot_widget("epoch-time").curve_items()
    est = curves["A10G (estimate)"]
    assert est.opts["pen"].style() == QtCore.Qt.PenStyle.DotLine
    assert curves["cpu"].opts["pen"].style() == QtCore.Qt.PenStyle.SolidLine
    model = charts.model("epoch-time")
    assert {m.kind for s in model.series if s.estimated for m in s.marks} == {"estimate"}
    # set_estimates replaces the whole set.
    charts.set_estimates([])
    assert "A10G (estimate)" not in charts.plot_widget("epoch-time").curve_items()


def test_error_bars_come_from_the_step_time_ci(charts: ChartsWidget) -> None:
    errors = charts.plot_widget("epoch-time").series_items()["cpu"].errors
    assert errors is not None
    y = np.log10([s * CPU_PER_SAMPLE_S for s in SAMPLES])
    top = np.log10([s * CPU_PER_SAMPLE_S * STEP_CI[1] / STEP_MEDIAN_S for s in SAMPLES]) - y
    np.testing.assert_allclose(errors.opts["top"], top)
    np.testing.assert_allclose(errors.opts["bottom"], y - np.log10([s * CPU_PER_SAMPLE_S * 0.9 for s in SAMPLES]))


def test_failed_points_are_red_crosses_on_the_bottom_edge(charts: ChartsWidget) -> None:
    view = charts.plot_widget("epoch-time")
    ((fx, fy),) = view.failure_positions()
    assert fx == pytest.approx(7.0)  # log10(10M samples)
    lowest = min(float(np.min(item.getData()[1])) for item in view.curve_items().values())
    assert fy < lowest
    rows = [r for r in charts.chart_data("epoch-time") if r["status"] == "oom"]
    assert rows and "out of memory" in rows[0]["message"]
    # Also on the throughput chart, at its model size.
    (tx, _), *_ = charts.plot_widget("throughput").failure_positions()
    assert tx == pytest.approx(6.0)


def test_speedup_break_even_line_follows_the_price_ratio(charts: ChartsWidget) -> None:
    view = charts.plot_widget("speedup")
    (line,) = view.reference_lines()
    assert line.value() == pytest.approx(math.log10(3.0))
    charts.set_price_ratio(5)
    (line,) = charts.plot_widget("speedup").reference_lines()
    assert line.value() == pytest.approx(math.log10(5.0))
    assert charts.price_ratio() == 5
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="positive"):
            charts.set_price_ratio(bad)


def test_speedup_crossover_is_computed_and_labelled(charts: ChartsWidget) -> None:
    view = charts.plot_widget("speedup")
    _, y = _xy(view.curve_items()["cuda:0"])
    np.testing.assert_allclose(y, [0.1, 1.0, 10.0, 100.0])
    found = {c.device: c for c in charts.crossovers()}
    assert found["cuda:0"].x == pytest.approx(CROSSOVER_CUDA, rel=1e-9)
    assert found["cuda:0"].direction == "up"
    assert "GPU pays above ~30k samples" in found["cuda:0"].text
    assert found["A10G"].x == pytest.approx(CROSSOVER_A10G, rel=1e-9)
    assert "estimate" in found["A10G"].text
    assert "GPU pays above ~30k samples" in view.notes_text()


def test_speedup_from_estimates_alone_says_estimate(qtbot: Any) -> None:
    charts = ChartsWidget()
    qtbot.addWidget(charts)
    cpu_only = [p for p in measured_points() if p.device == "cpu"]
    charts.set_report(synthetic_report(cpu_only))
    charts.set_estimates(estimate_points())
    (cross,) = charts.crossovers()
    assert cross.text == "GPU pays above ~15k samples (estimate)"
    assert charts.plot_widget("speedup").curve_items()["A10G (estimate)"].opts["pen"].style() == (
        QtCore.Qt.PenStyle.DotLine
    )


def test_points_appear_as_they_are_measured_without_rebuilding(qtbot: Any) -> None:
    charts = ChartsWidget()
    qtbot.addWidget(charts)
    view = charts.plot_widget("epoch-time")
    assert PLACEHOLDER in view.placeholder_text()
    charts.add_point(point("cpu", 1_000, 0.1))
    # Drawing waits for the event loop (a point and its estimates are drawn once); reading back draws now.
    assert view.curve_items() == {}
    qtbot.waitUntil(lambda: "cpu" in view.curve_items(), timeout=2000)
    first = view.curve_items()["cpu"]
    charts.add_point(point("cpu", 10_000, 1.0))
    curve = charts.plot_widget("epoch-time").curve_items()["cpu"]
    assert curve is first  # the same item, updated in place
    np.testing.assert_allclose(_xy(curve)[0], [1_000, 10_000])
    assert view.placeholder_text() == ""
    # A point re-measured at the same settings replaces the old one.
    charts.add_point(point("cpu", 10_000, 2.0))
    charts.plot_widget("epoch-time")
    np.testing.assert_allclose(_xy(curve)[1], [0.1, 2.0])


def test_empty_charts_show_a_placeholder(qtbot: Any) -> None:
    charts = ChartsWidget()
    qtbot.addWidget(charts)
    for name in charts.chart_names():
        assert PLACEHOLDER in charts.plot_widget(name).placeholder_text()
        assert not charts.has_data(name)
        assert charts.chart_data(name) == []
        assert not charts.plot_widget(name).tick_values_shown()  # no numbers on axes with nothing on them
    charts.set_measuring(True)  # a run started: the empty charts say their points are coming
    assert "Measuring" in charts.plot_widget("epoch-time").placeholder_text()
    charts.add_point(point("cpu", 1_000, 1.0))
    assert charts.plot_widget("epoch-time").tick_values_shown()
    charts.set_measuring(False)
    charts.clear()
    assert charts.plot_widget("epoch-time").placeholder_text() == PLACEHOLDER  # the run is over: asks for one


def test_clear_empties_every_chart(charts: ChartsWidget) -> None:
    charts.clear()
    assert charts.plot_widget("epoch-time").curve_items() == {}
    assert charts.plot_widget("matmul").reference_lines() == []


def test_hover_shows_the_exact_values_of_the_nearest_point(qtbot: Any, charts: ChartsWidget) -> None:
    charts.show()
    qtbot.waitExposed(charts)
    view = charts.plot_widget("epoch-time")
    view.plot.vb.autoRange()
    pos = view.view_to_scene(view.plot, math.log10(10_000), math.log10(1000.0))
    tip = view.tooltip_at(pos + QtCore.QPointF(3, -2))  # a few pixels off still finds it
    assert tip is not None
    assert "10k samples" in tip and "epoch time: 16.7 min" in tip and "measured" in tip
    assert ("cpu" in tip) != ("cuda:0" in tip)  # cpu and cuda:0 both take 1000 s at 10k: either, not both
    far = view.view_to_scene(view.plot, math.log10(3_000), math.log10(30_000.0))
    assert view.tooltip_at(far) is None
    (fx, fy), *_ = view.failure_positions()
    failed_tip = view.tooltip_at(view.view_to_scene(view.plot, fx, fy))
    assert failed_tip is not None and "OOM: CUDA out of memory" in failed_tip
    view.scene().sigMouseMoved.emit(pos)  # the live path: hover ring and QToolTip, without raising


def test_throughput_is_samples_per_second_by_model_size(charts: ChartsWidget) -> None:
    view = charts.plot_widget("throughput")
    x, y = _xy(view.curve_items()["cpu"])
    np.testing.assert_allclose(x, [1_000_000])
    np.testing.assert_allclose(y, [1 / CPU_PER_SAMPLE_S])  # median over the dataset sizes
    assert "(parameters)" in view.plot.getAxis("bottom").labelText
    assert "(samples/s)" in view.plot.getAxis("left").labelText
    assert "One model size" in view.notes_text()


def test_matmul_chart_has_peak_line_and_bandwidth_bars(charts: ChartsWidget) -> None:
    view = charts.plot_widget("matmul")
    (peak,) = view.reference_lines()
    assert peak.value() == pytest.approx(math.log10(PEAK_GFLOPS))
    x, y = _xy(view.curve_items()["cpu · matmul"])
    np.testing.assert_allclose(x, [256, 512, 1024])
    np.testing.assert_allclose(y, [50, 120, 180])
    assert "GFLOP/s" in view.plot.getAxis("left").labelText
    assert view.bar_plot is not None and "GB/s" in view.bar_plot.getAxis("left").labelText
    assert [b.value for b in charts.model("matmul").bars] == [12.0, 11.0]
    # the sample report does not say where its clock came from: its formula is not called a theoretical peak
    assert "59% of the formula peak" in view.notes_text() and "theoretical peak 307" not in view.notes_text()


def test_chart_data_rows_match_the_columns(charts: ChartsWidget) -> None:
    # a data-parallel point (for the scaling chart; the other charts leave it out)
    charts.add_point(point("cpu", 10_000, 0.6, world_size=2, backend="gloo", scaling_efficiency=0.8))
    for name in charts.chart_names():
        rows = charts.chart_data(name)
        assert rows, name
        assert all(list(r) == list(charts.chart_columns(name)) for r in rows)
    speed = charts.chart_data("speedup")
    crossing = [r for r in speed if r["kind"] == "crossover"]
    assert {round(r["samples"]) for r in crossing} == {30_000, 15_000}


def test_charts_follow_a_dark_palette(charts: ChartsWidget) -> None:
    dark = QtGui.QPalette()
    for role in (QtGui.QPalette.ColorRole.Window, QtGui.QPalette.ColorRole.Base):
        dark.setColor(role, QtGui.QColor("#202124"))
    for role in (QtGui.QPalette.ColorRole.WindowText, QtGui.QPalette.ColorRole.Text):
        dark.setColor(role, QtGui.QColor("#e8eaed"))
    charts.setPalette(dark)
    view = charts.plot_widget("epoch-time")
    assert view.backgroundBrush().color().lightnessF() < 0.3
    assert view.plot.getAxis("left").textPen().color().lightnessF() > 0.7
    assert "cpu" in view.curve_items()  # curves are redrawn, not lost


def test_a_narrow_chart_puts_the_legend_under_the_plot(qtbot: Any) -> None:
    charts = ChartsWidget()
    qtbot.addWidget(charts)
    charts.set_report(synthetic_report())
    charts.set_estimates(estimate_points())
    charts.set_current_chart("speedup")
    charts.resize(1200, 700)
    charts.show()
    qtbot.waitExposed(charts)
    view = charts.plot_widget("speedup")
    assert view.legend_beside()
    charts.resize(600, 500)
    qtbot.waitUntil(lambda: not view.legend_beside(), timeout=2000)
    # The plot keeps the full width; the legend sits below it.
    assert view.plot.sceneBoundingRect().width() > 0.8 * view.width()
    assert view.legend.sceneBoundingRect().top() >= view.plot.sceneBoundingRect().bottom() - 1
    assert "GPU pays above ~30k samples" in view.notes_text()


def test_a_zoomed_view_stays_put_while_points_arrive_but_resets_for_a_new_report(charts: ChartsWidget) -> None:
    view = charts.plot_widget("epoch-time")
    view.plot.setXRange(3.0, 4.0, padding=0)  # what a person's zoom does: auto-range turns off
    assert not view.plot.vb.autoRangeEnabled()[0]
    charts.add_point(point("cpu", 5_000, 0.5))
    assert not view.plot.vb.autoRangeEnabled()[0]
    assert view.plot.vb.viewRange()[0] == pytest.approx([3.0, 4.0])
    charts.set_report(synthetic_report())
    assert charts.plot_widget("epoch-time").plot.vb.autoRangeEnabled()[0]


@pytest.fixture
def grid(qtbot: Any) -> ChartsWidget:
    widget = ChartsWidget()
    qtbot.addWidget(widget)
    widget.resize(1000, 500)
    measured, estimated = grid_points()
    widget.set_report(synthetic_report(measured))
    widget.set_estimates(estimated)
    return widget


def test_epoch_chart_shows_one_model_size_the_largest_by_default(grid: ChartsWidget) -> None:
    assert grid.model_sizes() == list(GRID_PARAMS)
    assert grid.model_size() == 1_000_000
    view = grid.plot_widget("epoch-time")
    assert set(view.curve_items()) == {"cpu", "cuda:0", "A10G (estimate)"}
    np.testing.assert_allclose(_xy(view.curve_items()["cpu"])[1], [s * 1e6 * 1e-10 for s in SAMPLES[:3]])
    assert "1M params" in grid.model("epoch-time").title
    assert grid.size_combo.currentText() == "1M params" and grid.size_combo.count() == 3
    # Choosing a size in the combo redraws that size; chart_data returns exactly what is plotted.
    grid.size_combo.activated.emit(grid.size_combo.findData(10_000))
    assert grid.model_size() == 10_000
    np.testing.assert_allclose(_xy(view.curve_items()["cpu"])[1], [s * 1e4 * 1e-10 for s in SAMPLES[:3]])
    assert {r["params"] for r in grid.chart_data("epoch-time")} == {10_000}
    grid.set_model_size(None)
    assert grid.model_size() == 1_000_000


def test_metric_toggle_switches_to_time_to_train(grid: ChartsWidget) -> None:
    assert grid.epoch_metric() == "epoch"
    assert grid.metric_combo.itemText(1) == "Time to train (10 epochs)"
    grid.metric_combo.activated.emit(1)
    assert grid.epoch_metric() == "train"
    view = grid.plot_widget("epoch-time")
    np.testing.assert_allclose(_xy(view.curve_items()["cpu"])[1], [10 * s * 1e-4 + 1 for s in SAMPLES[:3]])
    assert grid.model("epoch-time").title.startswith("Time to train (10 epochs)")
    assert "time to train" in view.plot.getAxis("left").labelText
    with pytest.raises(ValueError, match="unknown metric"):
        grid.set_epoch_metric("walltime")  # type: ignore[arg-type]


def test_legends_stay_short_with_three_devices_and_three_sizes(qtbot: Any, grid: ChartsWidget) -> None:
    grid.resize(600, 400)  # the charts' share of a 1280×800 window: legend under the plot
    grid.show()
    qtbot.waitExposed(grid)
    for name in ("epoch-time", "throughput", "speedup"):
        grid.set_current_chart(name)
        view = grid.plot_widget(name)
        assert 0 < len(view.legend.items) <= 6, name
        qtbot.waitUntil(lambda v=view: v.plot.sceneBoundingRect().height() >= 0.6 * v.height(), timeout=2000)


def test_speedup_picks_one_dataset_size_when_both_sizes_vary(grid: ChartsWidget) -> None:
    assert grid.speedup_dataset_sizes() == list(SAMPLES[:3])
    assert grid.speedup_samples() == 100_000
    names = set(grid.plot_widget("speedup").curve_items())
    assert names == {"cuda:0", "A10G (estimate)"}
    grid.set_speedup_samples(1_000)
    assert {r["samples"] for r in grid.chart_data("speedup") if r["kind"] != "crossover"} == {1_000}


def test_mid_run_the_default_size_is_one_with_a_curve(qtbot: Any) -> None:
    charts = ChartsWidget()
    qtbot.addWidget(charts)
    measured, _ = grid_points()
    # The run has measured 10k and 100k params at every dataset size, 1M at one so far.
    charts.set_report(synthetic_report([p for p in measured if p.params < 1_000_000 or p.samples == 1_000]))
    assert charts.model_size() == 100_000
    charts.set_report(synthetic_report(measured))
    assert charts.model_size() == 1_000_000
