"""What a new user sees first (issue 14): keyboard focus, a visible focus ring, one-line status texts, the
verdict card without a scrollbar at 1280×800, "1 point"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPalette

from gpuwise.ui.elided_label import ElidedLabel
from gpuwise.ui.log_slider import FocusRingSlider
from gpuwise.ui.main_window import MainWindow
from gpuwise.ui.settings import Settings
from gpuwise.ui.status_progress import StatusProgressBar
from tests.ui.conftest import FakeSampler, fake_inventory, fake_sweep
from tests.ui.open_helpers import open_and_wait

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "example-h200-xeon16-mlp.json"
LONG_PATH = "Saved 16 points to /home/someone/.local/share/gpuwise/reports/2026-11-26/example-h200-xeon16-mlp.json."


@pytest.fixture
def window(qtbot: Any, settings: Settings, tmp_path: Path) -> Callable[..., MainWindow]:
    def make(**kw: Any) -> MainWindow:
        w = MainWindow(
            settings,
            sampler=FakeSampler(),
            monitor_threaded=False,
            discover=fake_inventory,
            data_dir=tmp_path / "data",
            **kw,
        )
        qtbot.addWidget(w)
        w.resize(1280, 800)
        w.show()
        qtbot.waitUntil(lambda: w.is_ready() and w.inventory() is not None and not w.is_busy(), timeout=5000)
        return w

    return make


def test_the_model_slider_has_keyboard_focus_at_start(window: Callable[..., MainWindow]) -> None:
    w = window()
    assert w.focusWidget() is w.workload.model_slider.slider


def test_a_focused_slider_draws_a_ring_in_the_highlight_colour(qtbot: Any) -> None:
    slider = FocusRingSlider(Qt.Orientation.Horizontal)
    qtbot.addWidget(slider)
    slider.resize(200, 30)
    slider.show()
    highlight = QColor("#ff00ff")  # a colour the style itself never uses
    pal = slider.palette()
    pal.setColor(QPalette.ColorRole.Highlight, highlight)
    slider.setPalette(pal)

    def magenta_pixels() -> int:
        image: QImage = slider.grab().toImage()
        return sum(
            1
            for x in range(image.width())
            for y in (1, 2, image.height() - 2)
            if image.pixelColor(x, y).red() > 200 and image.pixelColor(x, y).green() < 60
        )

    assert magenta_pixels() == 0
    slider.hasFocus = lambda: True  # type: ignore[method-assign]  # focus needs an active window offscreen
    assert magenta_pixels() > 150  # a ring along the top and bottom edges


def test_a_long_status_text_is_elided_in_the_middle_with_the_whole_text_in_its_tooltip(qtbot: Any) -> None:
    label = ElidedLabel()
    qtbot.addWidget(label)
    label.resize(260, 24)
    label.show()
    label.setText(LONG_PATH)
    shown = label.shown_text()
    assert "…" in shown and shown.startswith("Saved 16") and shown.endswith("mlp.json.")  # both ends kept
    assert label.fontMetrics().horizontalAdvance(shown) <= label.contentsRect().width()
    assert label.text() == LONG_PATH and label.toolTip() == LONG_PATH
    label.resize(2000, 24)
    assert label.shown_text() == LONG_PATH and label.toolTip() == ""  # fits: nothing hidden, no tooltip
    label.setText("two\nlines")
    assert label.text() == "two lines"  # one line: the status bar keeps its height


def test_the_progress_text_stays_on_one_line_and_fits_the_bar(qtbot: Any) -> None:
    bar = StatusProgressBar()
    qtbot.addWidget(bar)
    bar.resize(200, 24)
    bar.setValue(0)  # a bar that was never set shows no text at all
    bar.show()
    bar.setFormat("measuring · point 3/9 · ~2.5 min left · cuda:0 mlp 25M params batch 128")
    shown = bar.text()
    assert shown.endswith("…") and "\n" not in shown
    assert bar.fontMetrics().horizontalAdvance(shown) < bar.width()
    assert bar.toolTip() == bar.full_text()
    bar.setFormat("Idle")
    assert bar.text() == "Idle" and bar.toolTip() == ""


def test_one_cancelled_point_is_one_point(qtbot: Any, window: Callable[..., MainWindow]) -> None:
    w = window(run_sweep=fake_sweep(points=1, block_until_cancel=True))
    points: list[Any] = []
    w.runner.pointMeasured.connect(points.append)
    w.start_run()
    qtbot.waitUntil(lambda: len(points) == 1, timeout=5000)
    with qtbot.waitSignal(w.runner.stopped, timeout=5000):
        w.cancel_run()
    assert w.progress.full_text() == "Cancelled · 1 point"
    assert "Cancelled: 1 point in" in w.status_label.text()


def test_the_verdict_card_fits_at_1280x800_without_scrolling(qtbot: Any, window: Callable[..., MainWindow]) -> None:
    w = window()
    assert open_and_wait(qtbot, w, EXAMPLE)
    card = w.verdict
    assert card is not None
    qtbot.waitUntil(lambda: card.verdict() is not None, timeout=10_000)
    assert card.details_button.isVisible() and not card.details_label.isVisible()  # details folded
    page = card.scroll_area.widget()
    viewport = card.scroll_area.viewport()
    assert page.heightForWidth(viewport.width()) <= viewport.height()
    assert not card.scroll_area.verticalScrollBar().isVisible()
    assert page.minimumSizeHint().width() <= viewport.width()  # nothing cut off on the right either
    card.details_button.click()  # unfolded: the details are there, and now the card may scroll
    assert card.details_label.isVisible() and "Break-even" in card.details_label.text()


def test_the_workload_panel_is_not_cut_off_at_1280x800(window: Callable[..., MainWindow]) -> None:
    from PySide6.QtWidgets import QScrollArea

    w = window()
    scroll = w.workload.findChild(QScrollArea)
    assert scroll is not None
    assert scroll.widget().minimumSizeHint().width() <= scroll.viewport().width()
