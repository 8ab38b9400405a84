"""Log axes label round values at both ends of short ranges and never crowd long ones."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtGui import QFontMetricsF

from gpuwise.ui.chart_style import HumanAxis


def _ticks(orientation: str, lo: float, hi: float, size: float) -> tuple[HumanAxis, list[float], list[str]]:
    axis = HumanAxis(orientation)
    axis.setLogMode(True)
    levels = axis.logTickValues(math.log10(lo), math.log10(hi), size, [])
    positions = [v for _, values in levels for v in values]
    strings = [s for spacing, values in levels for s in axis.logTickStrings(values, 1.0, spacing)]
    labelled = [v for v, s in zip(positions, strings, strict=True) if s]
    return axis, labelled, [s for s in strings if s]


def test_a_short_range_is_labelled_at_1_2_5_up_to_its_ends(qtbot: Any) -> None:
    # the matmul plot: sizes 128-4096 with padding, ~330 px wide
    _, _, labels = _ticks("bottom", 100, 5100, 330)
    assert labels[0] == "100" and labels[-1] == "5k" and {"200", "500", "1k", "2k"} <= set(labels)


def test_a_long_range_on_a_narrow_axis_labels_evenly_spaced_decades_that_do_not_touch(qtbot: Any) -> None:
    axis, at, labels = _ticks("bottom", 1, 1e10, 260)
    steps = np.diff(at)
    assert 3 <= len(labels) < 11 and labels[0] == "1"
    assert np.allclose(steps, steps[0]) and float(steps[0]).is_integer()  # every n-th decade
    fm = QFontMetricsF(axis.font())
    widest = max(fm.horizontalAdvance(s) for s in labels)
    assert steps[0] / 10 * 260 >= widest  # centres further apart than the widest label


def test_a_shorter_vertical_axis_gets_fewer_labels_and_keeps_its_ends(qtbot: Any) -> None:
    _, _, tall = _ticks("left", 1, 1000, 400)
    _, _, short = _ticks("left", 1, 1000, 50)
    assert {"1", "10", "100", "1k"} <= set(tall) and len(tall) > 4
    assert 2 <= len(short) < len(tall) and short[0] == "1"
