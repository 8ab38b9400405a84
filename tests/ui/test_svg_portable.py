"""SVG that renders alike outside Qt: librsvg draws the export like the PNG; shapes are vector, fonts generic."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpuwise.ui.charts import ChartsWidget
from gpuwise.ui.export import render_image, svg_bytes
from gpuwise.ui.qt import QtGui
from gpuwise.ui.svg_portable import make_portable, non_scaling_shapes
from tests.charts.samples import estimate_points, synthetic_report
from tests.system_tools import require

SMALL = (480, 300)
CHARTS = ["epoch-time", "throughput", "speedup", "matmul"]
NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def charts(qtbot: Any) -> ChartsWidget:
    widget = ChartsWidget()
    qtbot.addWidget(widget)
    widget.set_report(synthetic_report())
    widget.set_estimates(estimate_points())  # dotted estimate curves: the ones librsvg used to fill
    return widget


def _ink_per_region(image: QtGui.QImage, n: int = 4) -> np.ndarray:
    """Share of dark pixels in each cell of an n×n grid over the image."""
    grey = image.convertToFormat(QtGui.QImage.Format.Format_Grayscale8)
    rows = np.frombuffer(grey.constBits(), np.uint8, grey.bytesPerLine() * grey.height())
    ink = rows.reshape(grey.height(), grey.bytesPerLine())[:, : grey.width()] < 160
    h, w = ink.shape
    return np.array(
        [[ink[i * h // n : (i + 1) * h // n, j * w // n : (j + 1) * w // n].mean() for j in range(n)] for i in range(n)]
    )


@pytest.mark.parametrize("name", CHARTS)
def test_librsvg_draws_the_svg_like_the_png(charts: ChartsWidget, name: str) -> None:
    rsvg = require("rsvg-convert")
    svg = svg_bytes(charts, name, SMALL)
    done = subprocess.run(
        [rsvg, "-w", str(SMALL[0]), "-h", str(SMALL[1]), "-b", "white"],
        input=svg,
        capture_output=True,
        timeout=60,
        check=True,
    )
    drawn = QtGui.QImage()
    assert drawn.loadFromData(done.stdout), done.stderr
    assert (drawn.width(), drawn.height()) == SMALL
    png, from_svg = _ink_per_region(render_image(charts, name, SMALL)), _ink_per_region(drawn)
    # Measured: at most 0.02 apart per cell (antialiasing); Qt's raw SVG filled whole cells (0.2–0.96 apart).
    assert np.abs(png - from_svg).max() < 0.05, (png.round(3), from_svg.round(3))
    assert png.max() > 0.05  # the comparison is about a drawn chart, not two blank canvases


@pytest.mark.parametrize("name", CHARTS)
def test_markers_are_shapes_and_fonts_generic(charts: ChartsWidget, name: str) -> None:
    svg = svg_bytes(charts, name, SMALL)
    root = ET.fromstring(svg)
    assert root.findall(f".//{NS}image") == []  # markers used to be embedded bitmaps
    assert non_scaling_shapes(svg) == []
    families = {el.get("font-family") for el in root.iter() if el.get("font-family")}
    assert families and all(f.endswith(("sans-serif", "monospace")) for f in families), families
    assert all("Sans Serif" not in f for f in families)


def test_open_curves_say_fill_none_on_the_shape_itself(charts: ChartsWidget) -> None:
    root = ET.fromstring(svg_bytes(charts, "epoch-time", SMALL))
    lines = [el for el in root.iter() if el.tag in (f"{NS}polyline", f"{NS}path") and el.get("stroke-dasharray")]
    for group in root.iter(f"{NS}g"):
        if group.get("fill") == "none" and group.get("stroke-dasharray"):
            lines += list(group)
    assert lines, "the dashed and dotted curves are in the file"
    assert all(el.get("fill") == "none" for el in lines)


# ---------------------------------------------------------------- the rewrite itself, on hand-written SVG


def _svg(body: str) -> bytes:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="100" height="100" viewBox="0 0 100 100">{body}</svg>'
    ).encode()


def test_a_scaled_non_scaling_stroke_is_baked_into_the_coordinates() -> None:
    body = (
        '<g fill="none" stroke="#2ca02c" stroke-width="2" transform="matrix(10,0,0,-5,3,50)" '
        'font-family="Sans Serif"><path vector-effect="non-scaling-stroke" d="M1,2 L3,4 C1,1 2,2 3,3 Z"/>'
        '<polyline vector-effect="non-scaling-stroke" points="0,0 1,1"/>'
        '<text x="1" y="1">label</text></g>'
    )
    out = ET.fromstring(make_portable(_svg(body), lambda f: "DejaVu Sans"))
    path = out.find(f".//{NS}path")
    poly = out.find(f".//{NS}polyline")
    assert path is not None and poly is not None
    assert path.get("d") == "M 13,40 L 33,30 C 13,45 23,40 33,35 Z"
    assert poly.get("points") == "3,50 13,45"
    assert path.get("fill") == "none" and path.get("vector-effect") is None
    # the shapes' group lost the transform; the text kept it
    text = out.find(f".//{NS}text")
    holder = next(g for g in out.iter(f"{NS}g") if text in list(g))
    assert holder.get("transform") == "matrix(10,0,0,-5,3,50)"
    assert all(path not in list(g) or g.get("transform") is None for g in out.iter(f"{NS}g"))
    assert {g.get("font-family") for g in out.iter(f"{NS}g")} == {"DejaVu Sans, sans-serif"}


def test_unknown_path_commands_are_left_alone() -> None:
    body = (
        '<g fill="none" transform="matrix(2,0,0,2,0,0)"><path vector-effect="non-scaling-stroke" '
        'd="M0,0 A5,5 0 0 1 10,10"/></g>'
    )
    out = make_portable(_svg(body))
    assert b'd="M0,0 A5,5 0 0 1 10,10"' in out
    assert non_scaling_shapes(out) == ["path"]  # still needs the property: it was not baked


def test_font_names_that_need_quotes_are_quoted() -> None:
    out = make_portable(_svg('<text font-family="Sans Serif">x</text>'), lambda f: "Noto Sans CJK JP (1)")
    assert b"font-family=\"'Noto Sans CJK JP (1)', sans-serif\"" in out
    mono = make_portable(_svg('<text font-family="Monospace">x</text>'), lambda f: "DejaVu Sans Mono")
    assert b'font-family="DejaVu Sans Mono, monospace"' in mono


_coord = st.floats(-1e4, 1e4, allow_nan=False).map(lambda v: round(v, 3))
_scale = st.floats(-200, 200, allow_nan=False).filter(lambda v: abs(v) > 1e-3).map(lambda v: round(v, 3))


@given(points=st.lists(st.tuples(_coord, _coord), min_size=2, max_size=12), m=st.tuples(_scale, _scale, _coord, _coord))
def test_baking_equals_applying_the_transform(
    points: list[tuple[float, float]], m: tuple[float, float, float, float]
) -> None:
    a, d, e, f = m
    d_attr = "M" + " L".join(f"{x},{y}" for x, y in points)
    body = (
        f'<g fill="none" transform="matrix({a},0,0,{d},{e},{f})">'
        f'<path vector-effect="non-scaling-stroke" d="{d_attr}"/></g>'
    )
    path = ET.fromstring(make_portable(_svg(body))).find(f".//{NS}path")
    assert path is not None
    numbers = [float(v) for v in re.findall(r"[-+]?[\d.]+(?:e[-+]?\d+)?", path.get("d", ""))]
    want = [v for x, y in points for v in (a * x + e, d * y + f)]
    assert np.allclose(numbers, want, rtol=1e-6, atol=1e-3)
