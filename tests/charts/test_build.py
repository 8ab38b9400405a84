"""Every chart name has its model; an unknown name is refused, naming the charts there are."""

from __future__ import annotations

import pytest

from gpuwise.charts.build import BUILDERS, build_model
from gpuwise.charts.model import PLACEHOLDER, ChartInputs
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


def test_an_unknown_chart_is_refused_with_the_list() -> None:
    assert check_chart_name("speedup") == "speedup"
    with pytest.raises(KeyError, match="unknown chart 'pie' \\(one of epoch-time, throughput, speedup, matmul"):
        build_model("pie", ChartInputs(points=[], estimates=[], micro=[], machine={}))
