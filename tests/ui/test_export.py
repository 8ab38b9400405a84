"""Chart export: PNG of the asked size, SVG that parses and holds the curves, CSV, clipboard, atomic writes."""

from __future__ import annotations

import csv
import errno
import io
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gpuwise.core.errors import UserInputError
from gpuwise.ui.charts import ChartsWidget
from gpuwise.ui.export import (
    ExportActions,
    ExportError,
    copy_image,
    csv_text,
    export_chart,
    install_export_actions,
    render_image,
    svg_bytes,
)
from gpuwise.ui.image_size import parse_size
from gpuwise.ui.qt import QtCore, QtGui, QtSvg, QtWidgets
from tests.charts.samples import estimate_points, synthetic_report

SMALL = (480, 300)  # keeps the tests fast; the default 1600×1000 gets one test of its own


@pytest.fixture
def charts(qtbot: Any) -> ChartsWidget:
    widget = ChartsWidget()
    qtbot.addWidget(widget)
    widget.set_report(synthetic_report())
    widget.set_estimates(estimate_points())
    return widget


def _svg_tags(data: bytes) -> list[str]:
    root = ET.fromstring(data)
    return [el.tag.rsplit("}", 1)[-1] for el in root.iter()]


def test_png_is_a_valid_image_of_the_default_size(charts: ChartsWidget, tmp_path: Path) -> None:
    out = export_chart(charts, "epoch-time", tmp_path / "chart.png")
    image = QtGui.QImage(str(out))
    assert not image.isNull()
    assert (image.width(), image.height()) == (1600, 1000)
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize("name", ["epoch-time", "throughput", "speedup", "matmul"])
def test_png_of_every_chart_at_a_chosen_size(charts: ChartsWidget, tmp_path: Path, name: str) -> None:
    out = export_chart(charts, name, tmp_path / f"{name}.png", size=SMALL)
    image = QtGui.QImage(str(out))
    assert (image.width(), image.height()) == SMALL
    # Not a blank canvas: the chart drew in more than one colour.
    colours = {image.pixel(x, y) for x in range(0, SMALL[0], 7) for y in range(0, SMALL[1], 7)}
    assert len(colours) > 5


def test_svg_parses_and_contains_the_curves(charts: ChartsWidget, tmp_path: Path) -> None:
    out = export_chart(charts, "epoch-time", tmp_path / "chart.svg", size=SMALL)
    data = out.read_bytes()
    tags = _svg_tags(data)
    assert tags[0] == "svg"
    curves = len(charts.plot_widget("epoch-time").curve_items())
    assert tags.count("polyline") + tags.count("path") >= curves
    texts = "".join(ET.fromstring(data).itertext())
    assert "cpu" in texts and "dataset size (samples)" in texts
    root = ET.fromstring(data)
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == ("480", "300", "0 0 480 300")
    big = ET.fromstring(svg_bytes(charts, "epoch-time", (2000, 1250)))
    assert (big.get("width"), big.get("height"), big.get("viewBox")) == ("2000", "1250", "0 0 1000 625")


def _grey(image: QtGui.QImage) -> np.ndarray:
    image = image.convertToFormat(QtGui.QImage.Format.Format_Grayscale8)
    rows = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * image.height())
    return rows.reshape(image.height(), image.bytesPerLine())[:, : image.width()].astype(float)


@pytest.mark.parametrize("name", ["epoch-time", "throughput", "speedup", "matmul"])
def test_svg_draws_what_the_png_draws(charts: ChartsWidget, name: str) -> None:
    # Catches SVG-only misdrawing, e.g. axes shrunk to 72/96 of their place (pyqtgraph's cached pictures).
    svg = svg_bytes(charts, name, SMALL)
    assert "svg" in _svg_tags(svg)
    renderer = QtSvg.QSvgRenderer(QtCore.QByteArray(svg))
    drawn = QtGui.QImage(*SMALL, QtGui.QImage.Format.Format_RGB32)
    drawn.fill(QtCore.Qt.GlobalColor.white)
    painter = QtGui.QPainter(drawn)
    renderer.render(painter)
    painter.end()
    png, from_svg = _grey(render_image(charts, name, SMALL)), _grey(drawn)
    ink_png, ink_svg = png < 128, from_svg < 128
    assert np.abs(png - from_svg).mean() < 6.0  # 3–4 here (antialiasing); a misplaced axis gives 9+
    assert (ink_png & ink_svg).sum() > 0.55 * ink_png.sum()


def test_csv_has_the_header_and_one_row_per_plotted_value(charts: ChartsWidget, tmp_path: Path) -> None:
    out = export_chart(charts, "speedup", tmp_path / "speedup.csv")
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == charts.chart_columns("speedup")
    assert len(rows) - 1 == len(charts.chart_data("speedup"))
    kinds = {r[rows[0].index("kind")] for r in rows[1:]}
    assert {"measured", "extrapolated", "estimate", "crossover", "failed"} <= kinds
    assert csv_text(charts, "matmul").splitlines()[0].startswith("series,device,kind")


def test_unwritable_paths_raise_export_error_and_leave_no_file(charts: ChartsWidget, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "chart.png"
    with pytest.raises(ExportError, match="does not exist"):
        export_chart(charts, "epoch-time", missing, size=SMALL)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(ExportError):
        export_chart(charts, "epoch-time", a_file / "chart.png", size=SMALL)
    with pytest.raises(ExportError, match="folder"):
        export_chart(charts, "epoch-time", tmp_path, size=SMALL)
    with pytest.raises(ExportError, match="not a known format"):
        export_chart(charts, "epoch-time", tmp_path / "chart.jpg", size=SMALL)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
    assert issubclass(ExportError, UserInputError)  # the CLI reports it as bad input, exit 2


def test_a_full_disk_leaves_the_old_file_whole(
    charts: ChartsWidget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "chart.png"
    target.write_bytes(b"old chart")

    def full_disk(src: Any, dst: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(ExportError, match="No space left on device"):
        export_chart(charts, "epoch-time", target, size=SMALL)
    assert target.read_bytes() == b"old chart"
    assert [p.name for p in tmp_path.iterdir()] == ["chart.png"]  # no temp file left behind


def test_sizes_are_checked(charts: ChartsWidget, tmp_path: Path) -> None:
    assert parse_size("1600x1000") == (1600, 1000)
    assert parse_size(" 800 × 600 ") == (800, 600)
    for bad in ("abc", "1600", "0x0", "20000x100", "-5x5"):
        with pytest.raises(UserInputError):
            parse_size(bad)
    with pytest.raises(ExportError, match="out of range"):
        export_chart(charts, "epoch-time", tmp_path / "x.png", size=(10, 10))
    assert list(tmp_path.iterdir()) == []


def test_copy_image_puts_the_chart_on_the_clipboard(charts: ChartsWidget) -> None:
    image = copy_image(charts, "throughput", SMALL)
    got = QtGui.QGuiApplication.clipboard().image()
    assert (got.width(), got.height()) == SMALL == (image.width(), image.height())


class _Dialogs:
    """Stand-ins for the file/size dialogs and the error box."""

    def __init__(self, path: str | None, size: tuple[int, int] | None = SMALL) -> None:
        self.path, self.size = path, size
        self.errors: list[str] = []
        self.asked: list[tuple[str, str, str]] = []

    def choose_path(self, title: str, suggested: str, filters: str) -> str | None:
        self.asked.append((title, suggested, filters))
        return self.path

    def choose_size(self, current: tuple[int, int]) -> tuple[int, int] | None:
        return self.size

    def show_error(self, message: str) -> None:
        self.errors.append(message)


def _window(qtbot: Any, charts: ChartsWidget) -> QtWidgets.QMainWindow:
    window = QtWidgets.QMainWindow()
    qtbot.addWidget(window)
    window.setCentralWidget(charts)
    return window


def test_save_action_writes_the_format_its_extension_names(qtbot: Any, charts: ChartsWidget, tmp_path: Path) -> None:
    dialogs = _Dialogs(str(tmp_path / "speed.svg"))
    window = _window(qtbot, charts)
    actions = install_export_actions(
        charts,
        window,
        choose_path=dialogs.choose_path,
        choose_size=dialogs.choose_size,
        show_error=dialogs.show_error,
    )
    helper = window.findChild(ExportActions)
    assert helper is not None
    helper.size = SMALL
    charts.set_current_chart("speedup")
    with qtbot.waitSignal(helper.exported, timeout=5000) as sig:
        actions[0].trigger()
    assert sig.args == [str(tmp_path / "speed.svg")]
    assert "svg" in _svg_tags((tmp_path / "speed.svg").read_bytes())
    assert "gpuwise-speedup.png" in dialogs.asked[0][1]  # suggests a name after the chart
    assert dialogs.errors == []


def test_export_actions_have_shortcuts_and_sit_in_each_chart_menu(qtbot: Any, charts: ChartsWidget) -> None:
    window = _window(qtbot, charts)
    actions = install_export_actions(charts, window, choose_path=lambda *a: None)
    shortcuts = {a.shortcut().toString() for a in actions}
    assert {"Ctrl+S", "Ctrl+Shift+C"} <= shortcuts
    assert all(a in window.actions() for a in actions)
    for name in charts.chart_names():
        menu_texts = [a.text() for a in charts.plot_widget(name).plot.vb.menu.actions()]
        assert "&Copy chart image" in menu_texts and "Export chart as S&VG…" in menu_texts
        assert charts.plot_widget(name).scene().contextMenu == []  # pyqtgraph's crashing SVG export is gone


def test_png_export_asks_the_size_and_cancel_writes_nothing(qtbot: Any, charts: ChartsWidget, tmp_path: Path) -> None:
    dialogs = _Dialogs(str(tmp_path / "chart"), size=(300, 200))
    helper = ExportActions(
        charts, None, choose_path=dialogs.choose_path, choose_size=dialogs.choose_size, show_error=dialogs.show_error
    )
    written = helper.export_as("png")
    assert written == tmp_path / "chart.png"  # the extension is added
    image = QtGui.QImage(str(written))
    assert (image.width(), image.height()) == (300, 200)
    dialogs.size = None  # the person cancels the size dialog
    assert helper.export_as("png") is None
    dialogs.size, dialogs.path = (300, 200), None  # …or the file dialog
    assert helper.export_as("csv") is None
    assert [p.name for p in tmp_path.iterdir()] == ["chart.png"]


def test_export_errors_are_shown_not_raised(qtbot: Any, charts: ChartsWidget, tmp_path: Path) -> None:
    dialogs = _Dialogs(str(tmp_path / "missing" / "chart.png"))
    helper = ExportActions(charts, None, choose_path=dialogs.choose_path, show_error=dialogs.show_error)
    with qtbot.waitSignal(helper.failed, timeout=5000):
        assert helper.save_chart() is None
    assert len(dialogs.errors) == 1 and "does not exist" in dialogs.errors[0]
    assert not (tmp_path / "missing").exists()
    assert helper.copy() is True
