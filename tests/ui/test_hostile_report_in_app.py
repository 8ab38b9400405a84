"""A hostile report in the app: its strings are shown as text everywhere; a refused file is a dialog and the app
keeps working; a FIFO or a device never hangs the window."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as QtGuiNamespace
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QGraphicsTextItem,
    QGraphicsView,
    QLabel,
    QMessageBox,
    QWidget,
)

from gpuwise.ui.main_window import MainWindow
from gpuwise.ui.settings import Settings
from tests.data.hostile.make_corpus import HTML, MARKER, cases
from tests.ui.conftest import FakeSampler, fake_inventory
from tests.ui.open_helpers import open_and_wait


@pytest.fixture
def window(qtbot: Any, settings: Settings, tmp_path: Path) -> MainWindow:
    w = MainWindow(
        settings, sampler=FakeSampler(), monitor_threaded=False, discover=fake_inventory, data_dir=tmp_path / "data"
    )
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.is_ready() and w.inventory() is not None and not w.is_busy(), timeout=5000)
    return w


def _write(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(cases()[name][0])
    return path


def _rendered_as_html(text: str, fmt: Qt.TextFormat) -> bool:
    if HTML.split(">")[0] not in text:  # "<h1": the raw markup is not in this string
        return False
    return fmt == Qt.TextFormat.RichText or (fmt == Qt.TextFormat.AutoText and QtGuiNamespace.mightBeRichText(text))


def rich_text_renderings(root: QWidget) -> list[str]:
    """Every place under ``root`` (and its dialogs) where the hostile markup would be rendered as HTML."""
    found = []
    widgets = [root, *root.findChildren(QWidget)]
    for wdg in widgets:
        name = f"{type(wdg).__name__}({wdg.objectName()})"
        if isinstance(wdg, QLabel) and _rendered_as_html(wdg.text(), wdg.textFormat()):
            found.append(f"{name} label: {wdg.text()[:80]!r}")
        if isinstance(wdg, QMessageBox) and _rendered_as_html(wdg.text(), wdg.textFormat()):
            found.append(f"{name} message: {wdg.text()[:80]!r}")
        if _rendered_as_html(wdg.toolTip(), Qt.TextFormat.AutoText):
            found.append(f"{name} tooltip: {wdg.toolTip()[:80]!r}")
        if isinstance(wdg, QAbstractItemView) and wdg.model() is not None:
            model = wdg.model()
            for r in range(model.rowCount()):
                for c in range(model.columnCount()):
                    tip = model.data(model.index(r, c), Qt.ItemDataRole.ToolTipRole)
                    if isinstance(tip, str) and _rendered_as_html(tip, Qt.TextFormat.AutoText):
                        found.append(f"{name} item tooltip: {tip[:80]!r}")
        if isinstance(wdg, QGraphicsView) and wdg.scene() is not None:
            for item in wdg.scene().items():
                # pyqtgraph titles, legends and notes are HTML by design: the markup must come out literally
                text = item.toPlainText() if isinstance(item, QGraphicsTextItem) else ""
                if MARKER in text and HTML.split(">")[0] not in text:
                    found.append(f"{name} graphics text: {item.toPlainText()[:80]!r}")
    for action in root.findChildren(QWidget):
        for a in action.actions():
            if _rendered_as_html(a.toolTip(), Qt.TextFormat.AutoText):
                found.append(f"action tooltip: {a.toolTip()[:80]!r}")
    return found


def test_the_walk_finds_rich_text_when_there_is_some(qtbot: Any) -> None:
    root = QWidget()
    qtbot.addWidget(root)
    QLabel(f"device {HTML}", root)
    assert len(rich_text_renderings(root)) == 1


def test_a_hostile_report_is_shown_as_plain_text_everywhere(qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    assert open_and_wait(qtbot, window, _write(tmp_path, "html-strings.json"))
    assert window.verdict is not None
    qtbot.waitUntil(
        lambda: MARKER in window.verdict.sentence_label.text() or window.verdict.table.rowCount() > 0, timeout=10_000
    )
    # compared curves are named after their file: a hostile name reaches the chart legends
    other = tmp_path / "<h1>BIG ERROR<img src=x>.json"
    other.write_bytes(cases()["ansi-escapes.json"][0])
    assert open_and_wait(qtbot, window, other, compare=True)
    # a failed point's message, the machine and the device names are on screen somewhere
    shown = [w.text() for w in window.findChildren(QLabel)] + [window.windowTitle()]
    assert any(MARKER in t for t in shown), shown
    # an error dialog quoting the report's strings
    window.show_message("Cannot open the report", f"device {HTML}", warning=True)
    for chart in range(window.charts.count()):
        window.charts.setCurrentIndex(chart)
        # the tab's redraw is deferred to the next event-loop turn: run it (it builds the plot's text items)
        qtbot.waitUntil(lambda: window.charts.plot_widget(window.charts.current_chart_name()).isVisible())
        QApplication.processEvents()
    assert rich_text_renderings(window) == []
    texts = [
        i.toPlainText()
        for v in window.findChildren(QGraphicsView)
        if v.scene() is not None
        for i in v.scene().items()
        if isinstance(i, QGraphicsTextItem)
    ]
    assert any(MARKER in t for t in texts), "the walk saw no chart text with the report's strings"


@pytest.mark.parametrize(
    "name",
    [
        "deep-array-100000.json",
        "int-400-digits.json",
        "arch-family-only.json",
        "duplicate-schema.json",
        "ram-total-1e30.json",
    ],
)
def test_a_refused_report_is_a_dialog_and_the_app_goes_on(
    qtbot: Any, window: MainWindow, tmp_path: Path, name: str
) -> None:
    assert not open_and_wait(qtbot, window, _write(tmp_path, name))
    box = window.last_message_box
    assert box is not None and box.isVisible() and box.textFormat() == Qt.TextFormat.PlainText
    assert "\n" not in box.text() and name in box.text()
    box.done(QMessageBox.StandardButton.Ok)
    assert open_and_wait(qtbot, window, _write(tmp_path, "utf8-bom.json"))  # still works
    assert window.charts.inputs().points


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev exist on POSIX only")
@pytest.mark.timeout(60)
@pytest.mark.parametrize("special", ["fifo", "/dev/zero"])
def test_a_fifo_or_a_device_never_hangs_the_window(
    qtbot: Any, window: MainWindow, tmp_path: Path, special: str
) -> None:
    path = Path(special)
    if special == "fifo":
        path = tmp_path / "report.json"
        os.mkfifo(path)
    assert not open_and_wait(qtbot, window, path)
    assert window.last_message_box is not None
    assert "not a file" in window.last_message_box.text()
    window.last_message_box.done(QMessageBox.StandardButton.Ok)
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)  # the close request is honoured


def test_closing_while_a_report_loads_cancels_it(qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    path = _write(tmp_path, "utf8-bom.json")
    with qtbot.waitSignal(window.reportLoadStopped, timeout=10_000):
        assert window.open_report(path)
        assert window.is_loading() and window.is_busy() and not window.open_action.isEnabled()
        window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    assert not window.is_loading()


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs exist on POSIX only")
@pytest.mark.timeout(60)
def test_a_fifo_as_the_settings_file_does_not_hang_the_start(qtbot: Any, tmp_path: Path) -> None:
    fifo = tmp_path / "gpuwise.ini"
    os.mkfifo(fifo)  # Qt would read it whole and block for good before the window showed
    settings = Settings.at_path(str(fifo))
    assert "named pipe" in settings.problem
    settings.set("files/last_dir", "/x")
    assert settings.get_str("files/last_dir", "") == "/x"  # works, in a scratch file
    w = MainWindow(
        settings, sampler=FakeSampler(), monitor_threaded=False, discover=fake_inventory, data_dir=tmp_path / "data"
    )
    qtbot.addWidget(w)
    assert "Settings not loaded" in w.status_label.text() and "named pipe" in w.status_label.text()
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # left alone


def test_the_default_settings_file_is_checked_too(tmp_path: Path) -> None:
    from gpuwise.ui import settings as settings_mod

    path = settings_mod._default_settings_file()
    assert path is not None and path.name == "gpuwise.conf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b" " * (2 << 20))
    try:
        assert "too large" in Settings().problem
    finally:
        path.unlink()
    assert Settings().problem == ""
