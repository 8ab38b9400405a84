"""Export a chart: PNG at a chosen size, SVG, CSV of the plotted data, or an image on the clipboard.

Exports are drawn from a fresh offscreen copy of the chart laid out at about 1000 px wide and scaled up to the
requested size, so a 1600×1000 PNG looks the same whatever the window size, with fonts readable on a slide.
SVG goes through QSvgGenerator + QPainter because pyqtgraph 0.14's SVGExporter fails with PySide6 ≥ 6.11; markers
are drawn as shapes and the file is rewritten to render the same outside Qt (``svg_portable``).
Every file is written atomically: it holds either its old content or all of the new one, never a part.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gpuwise.core.errors import UserInputError
from gpuwise.core.report import atomic_write_bytes
from gpuwise.ui.chart_view import ChartView
from gpuwise.ui.charts import TAB_TITLES, ChartsWidget
from gpuwise.ui.image_size import DEFAULT_SIZE, check_size, parse_size
from gpuwise.ui.qt import ChartTheme, QtCore, QtGui, QtSvg, QtWidgets, current_theme
from gpuwise.ui.svg_portable import make_portable

FORMATS = {".png": "png", ".svg": "svg", ".csv": "csv"}
# The layout size an export is drawn at before scaling: fonts then keep their proportion to the image.
_LAYOUT_SIZE = (1000.0, 625.0)

PathChooser = Callable[[str, str, str], "str | None"]  # (dialog title, suggested path, file filter) -> path
SizeChooser = Callable[[tuple[int, int]], "tuple[int, int] | None"]
ErrorReporter = Callable[[str], None]


class ExportError(UserInputError):
    """An export that cannot be made: unwritable path, full disk, unknown format. No partial file is left."""


# ---------------------------------------------------------------- formats


def format_for(path: str | Path) -> str:
    """The export format named by ``path``'s extension (png, svg or csv)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in FORMATS:
        what = f"'{p.suffix}' is not a known format" if suffix else "the name has no extension"
        raise ExportError(f"cannot export to {p.name}: {what} (use .png, .svg or .csv)")
    return FORMATS[suffix]


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    try:
        return check_size(size)
    except UserInputError as e:
        raise ExportError(str(e)) from None


# ---------------------------------------------------------------- rendering


def _layout_scale(size: tuple[int, int]) -> float:
    return max(1.0, min(size[0] / _LAYOUT_SIZE[0], size[1] / _LAYOUT_SIZE[1]))


@contextmanager
def _offscreen_chart(
    charts: ChartsWidget, name: str, size: tuple[float, float], *, item_scale: float, theme: ChartTheme | None = None
) -> Iterator[ChartView]:
    """A throwaway copy of chart ``name`` laid out at ``size`` (logical pixels), never shown on screen.

    ``item_scale`` enlarges what a painter's scaling leaves alone: cosmetic pens and pixel-sized markers.
    """
    view = ChartView(name, charts.device_colors, scale=item_scale)
    try:
        view.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        view.apply_theme(theme or current_theme(charts))
        view.set_model(charts.model(name))
        view.resize(max(1, round(size[0])), max(1, round(size[1])))
        # pyqtgraph lays a chart out on its resize event, which Qt delivers only to a shown widget.
        view.show()
        QtWidgets.QApplication.sendPostedEvents()
        yield view
    finally:
        view.hide()
        view.deleteLater()


def _paint(view: ChartView, painter: QtGui.QPainter, target_size: tuple[float, float]) -> None:
    target = QtCore.QRectF(0, 0, target_size[0], target_size[1])
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing, True)
    painter.fillRect(target, view.theme.background)
    view.scene().prepareForPaint()
    view.scene().render(painter, target, view.sceneRect(), QtCore.Qt.AspectRatioMode.IgnoreAspectRatio)


def render_image(charts: ChartsWidget, name: str, size: tuple[int, int] = DEFAULT_SIZE) -> QtGui.QImage:
    """Chart ``name`` as an image of exactly ``size`` pixels."""
    size = _check_size(size)
    scale = _layout_scale(size)
    image = QtGui.QImage(size[0], size[1], QtGui.QImage.Format.Format_RGB32)
    with _offscreen_chart(charts, name, (size[0] / scale, size[1] / scale), item_scale=scale) as view:
        image.fill(view.theme.background)
        painter = QtGui.QPainter(image)
        try:
            _paint(view, painter, size)
        finally:
            painter.end()
    return image


def png_bytes(charts: ChartsWidget, name: str, size: tuple[int, int] = DEFAULT_SIZE) -> bytes:
    image = render_image(charts, name, size)
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    # PySide6 wants the format as str at run time though its stubs say bytes.
    if not image.save(buffer, "PNG"):  # type: ignore[call-overload]
        raise ExportError(f"could not encode the {name} chart as PNG")
    return bytes(buffer.data().data())


def svg_bytes(
    charts: ChartsWidget, name: str, size: tuple[int, int] = DEFAULT_SIZE, *, theme: ChartTheme | None = None
) -> bytes:
    """Chart ``name`` as SVG of ``size`` pixels: curves become polylines/paths, text stays text.

    The drawing is made at the layout size and the SVG's viewBox scales it to ``size`` in the viewer, so the
    file looks like the PNG of the same size. ``theme``: colours other than the window's (a printable report).
    """
    size = _check_size(size)
    scale = _layout_scale(size)
    layout = (round(size[0] / scale), round(size[1] / scale))
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    generator = QtSvg.QSvgGenerator()
    generator.setOutputDevice(buffer)
    # pyqtgraph caches axes and bars as QPictures, which replay scaled by their DPI over the device's: give the
    # SVG the pictures' DPI or they shrink to 72/96 of their place.
    generator.setResolution(QtGui.QPicture().logicalDpiX())
    generator.setSize(QtCore.QSize(*layout))
    generator.setViewBox(QtCore.QRect(0, 0, *layout))
    generator.setTitle(charts.model(name).title)
    generator.setDescription(f"gpuwise chart: {TAB_TITLES.get(name, name)}")
    with _offscreen_chart(charts, name, layout, item_scale=1.0, theme=theme) as view, _vector_markers(view):
        painter = QtGui.QPainter()
        if not painter.begin(generator):
            raise ExportError(f"could not start drawing the {name} chart as SVG")
        try:
            _paint(view, painter, layout)
        finally:
            painter.end()
    # QSvgGenerator states the size in millimetres at 72 dpi, which viewers turn into other pixel sizes; say
    # the pixels that were asked for.
    svg = bytes(buffer.data().data())
    svg = re.sub(
        rb'<svg width="[^"]*" height="[^"]*"', f'<svg width="{size[0]}" height="{size[1]}"'.encode(), svg, count=1
    )
    return make_portable(svg, _font_in_use)


@contextmanager
def _vector_markers(view: ChartView) -> Iterator[None]:
    """Draw markers as shapes, not as copies of a cached bitmap (pyqtgraph's export mode does that)."""
    items = [i for i in view.scene().items() if hasattr(i, "setExportMode")]
    for item in items:
        item.setExportMode(True, {"antialias": True, "resolutionScale": 1.0})
    try:
        yield
    finally:
        for item in items:
            item.setExportMode(False)


def _font_in_use(family: str) -> str:
    """The face Qt really draws for ``family`` (``"Sans Serif"`` is an alias that only fontconfig knows)."""
    return QtGui.QFontInfo(QtGui.QFont(family)).family()


def csv_text(charts: ChartsWidget, name: str) -> str:
    """The plotted data of chart ``name``: a header row, then one row per plotted point, failure or crossover."""
    columns = charts.chart_columns(name)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in charts.chart_data(name):
        writer.writerow([_csv_cell(row.get(c, "")) for c in columns])
    return out.getvalue()


def _csv_cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


# ---------------------------------------------------------------- writing


def export_chart(charts: ChartsWidget, name: str, path: str | Path, *, size: tuple[int, int] = DEFAULT_SIZE) -> Path:
    """Write chart ``name`` to ``path`` in the format its extension names (.png, .svg, .csv)."""
    p = Path(path)
    _check_target(p)
    fmt = format_for(p)
    if fmt == "png":
        data = png_bytes(charts, name, size)
    elif fmt == "svg":
        data = svg_bytes(charts, name, size)
    else:
        data = csv_text(charts, name).encode("utf-8")
    write_atomically(p, data)
    return p


def _check_target(p: Path) -> None:
    if p.is_dir():
        raise ExportError(f"cannot write {p}: it is a folder")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise ExportError(f"cannot write {p}: folder {parent} does not exist")


def write_atomically(path: Path, data: bytes) -> None:
    """Write all of ``data`` or nothing; OS errors (permission, full disk) become ExportError."""
    _check_target(path)
    try:
        atomic_write_bytes(path, data)
    except OSError as e:
        reason = e.strerror or str(e)
        raise ExportError(f"cannot write {path}: {reason}") from e


def copy_image(charts: ChartsWidget, name: str, size: tuple[int, int] = DEFAULT_SIZE) -> QtGui.QImage:
    """Put chart ``name`` on the clipboard as an image; returns the image."""
    image = render_image(charts, name, size)
    clipboard = QtGui.QGuiApplication.clipboard()
    if clipboard is None:
        raise ExportError("no clipboard is available")
    clipboard.setImage(image)
    return image


# ---------------------------------------------------------------- actions for the main window


_FILTERS = {
    "png": "PNG image (*.png)",
    "svg": "SVG vector image (*.svg)",
    "csv": "CSV data (*.csv)",
}


def _dialog_path(parent: QtWidgets.QWidget | None) -> PathChooser:
    def choose(title: str, suggested: str, filters: str) -> str | None:
        path, selected = QtWidgets.QFileDialog.getSaveFileName(parent, title, suggested, filters)
        if not path:
            return None
        if not Path(path).suffix:
            # A name typed without extension takes the one of the filter the person picked.
            m = re.search(r"\*(\.\w+)", selected or "")
            path += m.group(1) if m else ".png"
        return path

    return choose


def _dialog_size(parent: QtWidgets.QWidget | None) -> SizeChooser:
    def choose(current: tuple[int, int]) -> tuple[int, int] | None:
        while True:
            text, ok = QtWidgets.QInputDialog.getText(
                parent, "PNG size", "Image size in pixels (width x height):", text=f"{current[0]}x{current[1]}"
            )
            if not ok:
                return None
            try:
                return parse_size(text)
            except UserInputError as e:
                QtWidgets.QMessageBox.warning(parent, "PNG size", str(e))

    return choose


def _dialog_error(parent: QtWidgets.QWidget | None) -> ErrorReporter:
    def show(message: str) -> None:
        QtWidgets.QMessageBox.warning(parent, "Export failed", message)

    return show


class ExportActions(QtCore.QObject):
    """The export commands for the chart on show: save (Ctrl+S), PNG, SVG, CSV and copy image (Ctrl+Shift+C).

    Dialogs are injectable (``choose_path``, ``choose_size``, ``show_error``) so tests drive them without a person.
    """

    exported = QtCore.Signal(str)  # the path written
    copied = QtCore.Signal()
    failed = QtCore.Signal(str)  # the message shown

    def __init__(
        self,
        charts: ChartsWidget,
        parent_window: QtWidgets.QWidget | None = None,
        *,
        choose_path: PathChooser | None = None,
        choose_size: SizeChooser | None = None,
        show_error: ErrorReporter | None = None,
        size: tuple[int, int] = DEFAULT_SIZE,
    ) -> None:
        super().__init__(parent_window)
        self.charts = charts
        self.window = parent_window
        self.size = size
        self.folder = Path(
            QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.StandardLocation.PicturesLocation)
            or Path.home()
        )
        self._choose_path = choose_path or _dialog_path(parent_window)
        self._choose_size = choose_size or _dialog_size(parent_window)
        self._show_error = show_error or _dialog_error(parent_window)
        owner = parent_window if parent_window is not None else self
        self.save_action = self._action(owner, "&Save chart as…", self.save_chart, QtGui.QKeySequence.StandardKey.Save)
        self.save_action.setToolTip("Save the chart on show as PNG, SVG or CSV (by the file's extension)")
        self.png_action = self._action(owner, "Export chart as &PNG…", lambda: self.export_as("png"))
        self.svg_action = self._action(owner, "Export chart as S&VG…", lambda: self.export_as("svg"))
        self.csv_action = self._action(owner, "Export chart data as &CSV…", lambda: self.export_as("csv"))
        self.copy_action = self._action(owner, "&Copy chart image", self.copy, QtGui.QKeySequence("Ctrl+Shift+C"))
        self.copy_action.setToolTip("Copy the chart on show to the clipboard as an image")
        # Short names for a toolbar without icons.
        for action, short in zip(self.actions(), ("Save chart…", "PNG…", "SVG…", "CSV…", "Copy image"), strict=True):
            action.setIconText(short)

    def actions(self) -> list[QtGui.QAction]:
        return [self.save_action, self.png_action, self.svg_action, self.csv_action, self.copy_action]

    def _action(
        self, owner: QtCore.QObject, text: str, slot: Callable[[], object], shortcut: Any = None
    ) -> QtGui.QAction:
        action = QtGui.QAction(text, owner)
        if shortcut is not None:
            action.setShortcut(shortcut)
            action.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _suggested(self, ext: str) -> str:
        return str(self.folder / f"gpuwise-{self.charts.current_chart_name()}.{ext}")

    def save_chart(self) -> Path | None:
        filters = ";;".join(_FILTERS.values())
        path = self._choose_path("Save chart", self._suggested("png"), filters)
        return self._export(path) if path else None

    def export_as(self, fmt: str) -> Path | None:
        if fmt == "png":
            size = self._choose_size(self.size)
            if size is None:
                return None
            self.size = size
        path = self._choose_path(f"Export chart as {fmt.upper()}", self._suggested(fmt), _FILTERS[fmt])
        if not path:
            return None
        if not Path(path).suffix:
            path += f".{fmt}"
        return self._export(path)

    def copy(self) -> bool:
        try:
            copy_image(self.charts, self.charts.current_chart_name(), self.size)
        except ExportError as e:
            self._fail(str(e))
            return False
        self._status("Chart image copied to the clipboard")
        self.copied.emit()
        return True

    def _export(self, path: str) -> Path | None:
        try:
            written = export_chart(self.charts, self.charts.current_chart_name(), path, size=self.size)
        except ExportError as e:
            self._fail(str(e))
            return None
        self.folder = written.parent
        self._status(f"Saved {written}")
        self.exported.emit(str(written))
        return written

    def _fail(self, message: str) -> None:
        self.failed.emit(message)
        self._show_error(message)

    def _status(self, message: str) -> None:
        bar = getattr(self.window, "statusBar", None)
        if callable(bar):
            bar().showMessage(message, 5000)


def install_export_actions(
    charts: ChartsWidget,
    parent_window: QtWidgets.QWidget,
    *,
    choose_path: PathChooser | None = None,
    choose_size: SizeChooser | None = None,
    show_error: ErrorReporter | None = None,
) -> list[QtGui.QAction]:
    """Give ``parent_window`` the export commands and each chart's context menu the same entries.

    Returns the actions (save, PNG, SVG, CSV, copy) for the window's toolbar or menus; the window owns them, their
    shortcuts (Ctrl+S, Ctrl+Shift+C) and the ExportActions object (``parent_window.findChild(ExportActions)``).
    """
    helper = ExportActions(
        charts, parent_window, choose_path=choose_path, choose_size=choose_size, show_error=show_error
    )
    actions = helper.actions()
    parent_window.addActions(actions)
    for name in charts.chart_names():
        for plot in charts.plot_widget(name).plot_items():
            menu = plot.vb.menu
            menu.addSeparator()
            menu.addActions(actions)
    return actions
