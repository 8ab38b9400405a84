"""Curves from points: grouping, shades, names, titles and the shared chart assembly (properties on any points)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpuwise.charts.model import Mark
from gpuwise.charts.series import (
    chart_title,
    curve_key,
    device_variants,
    dim_label,
    point_chart,
    point_curves,
    point_kind,
    point_series,
    series_name,
    varying_dims,
)
from gpuwise.core.report import Point
from tests.charts.samples import point

DIMS = ["precision", "batch_size"]
points_st = st.lists(
    st.builds(
        lambda device, estimated, precision, batch, samples: point(
            device, samples, 1.0, estimated=estimated, precision=precision, batch_size=batch
        ),
        st.sampled_from(["cpu", "cuda:0", "cuda:1 · laptop"]),
        st.booleans(),
        st.sampled_from(["fp32", "bf16"]),
        st.sampled_from([32, 128]),
        st.sampled_from([1_000, 10_000]),
    ),
    max_size=12,
)


@given(points_st)
def test_curves_partition_the_points_by_their_key_in_first_seen_order(pts: list[Point]) -> None:
    curves = point_curves(pts, DIMS)
    assert sorted(id(p) for _, group, _ in curves for p in group) == sorted(id(p) for p in pts)
    for key, group, _ in curves:
        assert all(curve_key(p, DIMS) == key for p in group)
    assert [key for key, _, _ in curves] == list(dict.fromkeys(curve_key(p, DIMS) for p in pts))


@given(points_st)
def test_each_device_s_curves_are_shaded_0_1_2_in_order(pts: list[Point]) -> None:
    curves = point_curves(pts, DIMS)
    by_device: dict[tuple[str, bool], list[int]] = {}
    for key, _, variant in curves:
        by_device.setdefault((key[0], key[1]), []).append(variant)
    assert all(v == list(range(len(v))) for v in by_device.values())
    assert device_variants([key for key, _, _ in curves]) == {key: v for key, _, v in curves}


@given(points_st)
def test_varying_dims_are_exactly_the_settings_with_two_values(pts: list[Point]) -> None:
    dims = ["precision", "batch_size", "family"]
    assert varying_dims(pts, dims) == [d for d in dims if len({getattr(p, d) for p in pts}) > 1]


def test_names_say_estimate_and_the_settings_that_vary() -> None:
    p = point("A10G", 1_000, 1.0, estimated=True, precision="bf16", batch_size=64)
    assert series_name(p, []) == "A10G (estimate)"
    assert series_name(p, ["precision", "batch_size", "samples"]) == "A10G (estimate) · bf16 · batch 64 · 1k samples"
    assert (point_kind(p, epoch=True), point_kind(point("cpu", 1_000_000, 1.0), epoch=True)) == (
        "estimate",
        "extrapolated",
    )
    assert point_kind(point("cpu", 1_000_000, 1.0), epoch=False) == "measured"


def test_titles_name_what_every_curve_shares() -> None:
    pts = [point("cpu", 1_000, 1.0)]
    assert chart_title("Epoch time vs dataset size", pts, []) == (
        "Epoch time vs dataset size — MLP 1M params, batch 128, fp32"
    )
    assert chart_title("Throughput vs model size", pts, ["batch_size"]) == "Throughput vs model size — MLP, fp32"
    assert chart_title("Speedup", pts, ["family"], samples=10_000, epochs=1) == (
        "Speedup — 10k samples, 1 epoch, batch 128, fp32"
    )
    assert chart_title("Empty", [], []) == "Empty"


def test_point_series_takes_device_estimate_and_marker_from_its_point() -> None:
    p = point("A10G", 1_000, 1.0, estimated=True, precision="bf16")
    s = point_series(("k",), "A10G (estimate)", p, 2, [Mark(1.0, 2.0, "estimate", "")], role="secondary")
    assert (s.device, s.estimated, s.symbol_key, s.variant, s.role, len(s.marks)) == (
        "A10G",
        True,
        "bf16",
        2,
        "secondary",
        1,
    )


def test_point_chart_adds_failures_and_the_lone_point_note() -> None:
    ok = point("cpu", 1_000, 1.0)
    failed = point("cuda:0", 10_000, None, status="oom")
    series = [point_series(("cpu",), "cpu", ok, 0, [Mark(1_000.0, 1.0, "measured", "")])]
    m = point_chart(
        "epoch-time",
        title="t",
        x_label="x",
        y_label="y",
        columns=("series", "status"),
        rows=[{"series": "cpu", "status": "ok"}],
        series=series,
        points=[ok, failed],
        x_of=lambda p: p.samples,
        one_size_note="only one",
    )
    assert m.rows == [{"series": "cpu", "status": "ok"}, {"series": "cuda:0", "status": "oom"}]
    assert [f.x for f in m.failures] == [10_000.0]
    assert [n.text for n in m.notes] == ["only one"]
    assert (m.x_log, m.y_log) == (True, True)


def test_each_setting_has_a_short_label() -> None:
    p = point("cpu", 10_000, 1.0, epochs=3, batch_size=64, precision="bf16")
    dims = ["precision", "family", "params", "samples", "batch_size", "epochs"]
    assert [dim_label(d, p) for d in dims] == ["bf16", "MLP", "1M params", "10k samples", "batch 64", "3 epochs"]
    with pytest.raises(KeyError):
        dim_label("optimizer", p)
