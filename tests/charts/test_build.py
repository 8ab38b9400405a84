"""Every chart name has its model; an unknown name is refused, naming the charts there are."""

from __future__ import annotations

import pytest

from gpuwise.charts.build import BUILDERS, build_model
from gpuwise.charts.model import MEASURING_PLACEHOLDER, PLACEHOLDER, ChartInputs
from gpuwise.charts.names import CHART_NAMES, check_chart_name
from tests.charts.samples import ddp_points, estimate_points, synthetic_report


def test_every_chart_name_has_a_model_in_the_tabs_order() -> None:
    assert tuple(BUILDERS) == CHART_NAMES
    r = synthetic_report()
    inputs = ChartInputs(r.points, estimate_points(), r.micro, r.machine, scaling_points=ddp_points())
    for name in CHART_NAMES:
        m = build_model(name, inputs)
        assert m.name == name and m.has_data and m.rows, name
        assert all(list(row) == list(m.columns) for row in m.rows), name


def test_with_nothing_to_draw_every_chart_shows_its_placeholder() -> None:
    empty = ChartInputs(points=[], estimates=[], micro=[], machine={})
    for name in CHART_NAMES:
        m = build_model(name, empty)
        assert not m.has_data and m.rows == [] and PLACEHOLDER in m.placeholder, name


def test_while_a_run_measures_an_empty_chart_says_its_points_are_coming() -> None:
    measuring = ChartInputs(points=[], estimates=[], micro=[], machine={}, measuring=True)
    texts = {name: build_model(name, measuring).placeholder for name in CHART_NAMES}
    assert texts["epoch-time"] == texts["speedup"] == MEASURING_PLACEHOLDER
    assert PLACEHOLDER in texts["scaling"]  # its own advice (set Data-parallel) stays
    r = synthetic_report()
    # a chart with data has no placeholder to show, running or not
    assert build_model("epoch-time", ChartInputs(r.points, [], [], r.machine, measuring=True)).has_data


def test_an_unknown_chart_is_refused_with_the_list() -> None:
    assert check_chart_name("speedup") == "speedup"
    with pytest.raises(KeyError, match="unknown chart 'pie' \\(one of epoch-time, throughput, speedup, matmul"):
        build_model("pie", ChartInputs(points=[], estimates=[], micro=[], machine={}))
