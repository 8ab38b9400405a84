"""The History view: every run measured here or imported, filterable, with open, overlay, rename, tag, delete/undo.

The list is a flat table model over :class:`~gpuwise.core.history.RunSummary` rows (no per-run queries); filtering
matches precomputed lower-case row texts, so 10,000 runs filter in a few milliseconds on every keystroke. Name and
tags are edited in place (F2, or the Rename/Tags buttons). Delete hides runs at once and offers Undo; the window
purges them for good when it closes.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets

from gpuwise.core.errors import UserInputError
from gpuwise.core.history import History, RunSummary
from gpuwise.core.terminal_text import terminal_safe

Qt = QtCore.Qt

COLUMNS = ("Run", "Measured (UTC)", "Name", "Tags", "Machine", "Devices", "Workload", "Status", "Verdict")
NAME_COLUMN, TAGS_COLUMN = 2, 3
_WIDTHS = (56, 128, 120, 90, 220, 150, 230, 90, 420)
_ROOT = QtCore.QModelIndex()
_DISPLAY, _EDIT, _TIP, _FONT, _ALIGN = (
    int(r.value)
    for r in (
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.EditRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.FontRole,
        Qt.ItemDataRole.TextAlignmentRole,
    )
)
_ROLES = frozenset((_DISPLAY, _EDIT, _TIP, _FONT, _ALIGN))
_RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
_STATUS_WORDS = {
    "complete": "complete",
    "cancelled": "cancelled",
    "failed": "failed",
    "interrupted": "interrupted",
    "running": "running…",
}


class RunTableModel(QtCore.QAbstractTableModel):
    """Runs as rows, paged in: the model holds the ids the filter lets through and fetches the rows the view paints
    (a page of ``PAGE`` at a time), so 10,000 runs open and filter without building 10,000 Python rows."""

    PAGE = 200
    edited = QtCore.Signal(int, int, str)  # run id, column, new text

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._ids: list[int] = []
        self._rows: dict[int, RunSummary] = {}
        self._cells: dict[int, tuple[str, ...]] = {}
        self._italic = QtGui.QFont()
        self._italic.setItalic(True)
        self._load: Callable[[Sequence[int]], dict[int, RunSummary]] = lambda _ids: {}
        self._total = 0

    def set_ids(self, ids: list[int], load: Callable[[Sequence[int]], dict[int, RunSummary]], total: int) -> None:
        self.beginResetModel()
        self._ids, self._load, self._total = ids, load, total
        self._rows, self._cells = {}, {}
        self.endResetModel()

    def run_at(self, row: int) -> RunSummary:
        run_id = self._ids[row]
        summary = self._rows.get(run_id)
        if summary is None:
            start = row - row % self.PAGE
            self._rows.update(self._load(self._ids[start : start + self.PAGE]))
            summary = self._rows.get(run_id)
            if summary is None:  # deleted by another window since the ids were read
                summary = RunSummary(run_id, "", "failed", "", "", (), "", "(no longer in the history)", "", "", 0)
                self._rows[run_id] = summary
        return summary

    def row_of(self, run_id: int) -> int | None:
        try:
            return self._ids.index(run_id)
        except ValueError:
            return None

    def total(self) -> int:
        return self._total

    def rowCount(self, parent: QtCore.QModelIndex | QtCore.QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: QtCore.QModelIndex | QtCore.QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def _texts(self, r: RunSummary) -> tuple[str, ...]:
        texts = self._cells.get(r.id)
        if texts is None:
            values = (
                f"{r.id}",
                r.created[:16].replace("T", " "),
                r.name,
                ", ".join(r.tags),
                r.machine,
                r.devices,
                r.workload,
                _STATUS_WORDS.get(r.status, r.status),
                r.headline,
            )
            # control characters shown as escapes, as on a terminal (Qt would draw them as boxes or nothing)
            texts = self._cells[r.id] = tuple(terminal_safe(v, one_line=True) for v in values)
        return texts

    def data(self, index: QtCore.QModelIndex | QtCore.QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        # roles compared as plain ints: PySide6's enum objects cost ~20 µs a comparison, × cells × roles per paint
        if role not in _ROLES:
            return None
        if not index.isValid():
            return None
        r = self.run_at(index.row())
        col = index.column()
        if role in (_DISPLAY, _EDIT):
            return self._texts(r)[col]
        if role == _TIP:
            # escaped: Qt would render a tooltip that looks like HTML (a report's strings are not trusted)
            text = self._texts(r)[col]
            if r.partial:
                text += f"\n\nA {r.status} run: it has only the points measured before it stopped ({r.points})."
            return "<p>" + html.escape(text).replace("\n", "<br>") + "</p>"
        if role == _FONT:
            return self._italic if r.partial else None
        return _RIGHT if col == 0 else None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if role == _DISPLAY and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def flags(self, index: QtCore.QModelIndex | QtCore.QPersistentModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.column() in (NAME_COLUMN, TAGS_COLUMN):
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def setData(
        self, index: QtCore.QModelIndex | QtCore.QPersistentModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole
    ) -> bool:
        if role != _EDIT or index.column() not in (NAME_COLUMN, TAGS_COLUMN):
            return False
        self.edited.emit(self.run_at(index.row()).id, index.column(), str(value))
        return True


class HistoryView(QtWidgets.QWidget):
    """The list of runs and what can be done with them. ``history`` gives the store (None: not available)."""

    openRequested = QtCore.Signal(int)
    overlayRequested = QtCore.Signal(int)
    runsChanged = QtCore.Signal()

    def __init__(self, history: Callable[[], History | None], parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._history = history
        self._deleted: list[list[int]] = []  # batches of deleted ids, newest last (Undo restores the last)

        self.filter_edit = QtWidgets.QLineEdit()
        self.filter_edit.setPlaceholderText("Filter: machine, device, workload, tag, status, verdict…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.set_filter)
        self.filter_edit.returnPressed.connect(self._to_first_row)  # type, Enter, then Enter opens / Alt+E overlays

        self.model = RunTableModel(self)
        self.model.edited.connect(self._on_edited)
        self.table = QtWidgets.QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(
            QtWidgets.QAbstractItemView.EditTrigger.EditKeyPressed
            | QtWidgets.QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        # fixed row heights and column widths: measuring 10,000 rows' contents would cost seconds
        self.table.verticalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        for col, width in enumerate(_WIDTHS):
            self.table.setColumnWidth(col, width)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.activated.connect(lambda _i: self.open_selected())  # double-click or Enter, as the platform has it
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())

        self.open_button = self._button(
            "&Open", "Show this run on the charts and in the verdict (double-click)", self.open_selected
        )
        self.overlay_button = self._button(
            "Ov&erlay",
            "Add the selected runs to the charts, each curve named by its machine and device",
            self.overlay_selected,
        )
        self.rename_button = self._button(
            "Re&name", "Name the run (F2 edits a name or tags in place)", lambda: self.edit_selected(NAME_COLUMN)
        )
        self.tag_button = self._button("&Tags", "Tags, comma-separated", lambda: self.edit_selected(TAGS_COLUMN))
        self.delete_button = self._button(
            "&Delete",
            "Remove the selected runs from the history (Undo brings them back until gpuwise closes)",
            self.delete_selected,
        )
        self.delete_button.setShortcut(QtGui.QKeySequence(QtGui.QKeySequence.StandardKey.Delete))
        self.undo_button = self._button("&Undo delete", "Bring back the runs just deleted", self.undo_delete)
        self.undo_button.hide()
        self.count_label = QtWidgets.QLabel()
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message = QtWidgets.QLabel()
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)

        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.count_label)
        buttons = QtWidgets.QHBoxLayout()
        for b in (
            self.open_button,
            self.overlay_button,
            self.rename_button,
            self.tag_button,
            self.delete_button,
            self.undo_button,
        ):
            buttons.addWidget(b)
        buttons.addWidget(self.message, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    def _button(self, text: str, tip: str, slot: Callable[[], Any]) -> QtWidgets.QPushButton:
        b = QtWidgets.QPushButton(text)
        b.setToolTip(tip)
        b.clicked.connect(lambda _checked=False: slot())
        return b

    # -- data --------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the runs from the store, keeping the selection where the runs still exist."""
        keep = self.selected_run_ids()
        h = self._history()
        if h is None:
            self.model.set_ids([], lambda _ids: {}, 0)
            self.message.setText("The run history is not available (see the status bar).")
        else:
            query = self.filter_edit.text()
            ids = h.run_ids(query)
            self.model.set_ids(ids, h.summaries, h.count() if query.strip() else len(ids))
        for run_id in keep:
            self.select_run(run_id, add=True)
        self._update_buttons()

    def set_filter(self, text: str) -> None:
        if self.filter_edit.text() != text:
            self.filter_edit.setText(text)  # comes back here through textChanged
            return
        self.refresh()

    def runs_shown(self) -> list[RunSummary]:
        return [self.model.run_at(r) for r in range(self.model.rowCount())]

    # -- selection ---------------------------------------------------------------------------------------

    def selected_run_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedIndexes()})
        return [self.model.run_at(r).id for r in rows if r < self.model.rowCount()]

    def select_run(self, run_id: int, *, add: bool = False) -> bool:
        row = self.model.row_of(run_id)
        if row is None:
            return False
        # explicit flags: selectRow()/setCurrentIndex() follow the keyboard modifiers held at the moment (a Ctrl
        # still down from Ctrl+H would toggle the row instead of selecting it)
        sel = QtCore.QItemSelectionModel.SelectionFlag
        index = self.model.index(row, 0)
        model = self.table.selectionModel()
        model.select(index, (sel.Select if add else sel.ClearAndSelect) | sel.Rows)
        model.setCurrentIndex(index, sel.NoUpdate)
        self.table.scrollTo(index)
        return True

    def _to_first_row(self) -> None:
        if self.model.rowCount():
            self.select_run(self.model.run_at(0).id)
            self.table.setFocus()

    def _update_buttons(self) -> None:
        n = len(self.selected_run_ids())
        self.open_button.setEnabled(n == 1)
        self.overlay_button.setEnabled(n >= 1)
        self.rename_button.setEnabled(n == 1)
        self.tag_button.setEnabled(n == 1)
        self.delete_button.setEnabled(n >= 1)
        shown, total = self.model.rowCount(), self.model.total()
        self.count_label.setText(f"{shown} of {total} runs" if shown != total else f"{total} runs")

    # -- actions -----------------------------------------------------------------------------------------

    def open_selected(self) -> None:
        ids = self.selected_run_ids()
        if len(ids) == 1:
            self.openRequested.emit(ids[0])

    def overlay_selected(self) -> None:
        for run_id in self.selected_run_ids():
            self.overlayRequested.emit(run_id)

    def edit_selected(self, column: int) -> None:
        ids = self.selected_run_ids()
        if len(ids) != 1:
            return
        row = self.model.row_of(ids[0])
        if row is not None:
            self.table.edit(self.model.index(row, column))

    def _on_edited(self, run_id: int, column: int, text: str) -> None:
        h = self._history()
        if h is None:
            return
        try:
            if column == NAME_COLUMN:
                h.rename(run_id, text)
            else:
                h.set_tags(run_id, text.split(","))
        except UserInputError as e:
            self.message.setText(str(e))
            return
        self.refresh()
        self.select_run(run_id)
        self.runsChanged.emit()

    def delete_selected(self) -> None:
        ids = self.selected_run_ids()
        h = self._history()
        if not ids or h is None:
            return
        for run_id in ids:
            h.delete(run_id)
        self._deleted.append(ids)
        self.refresh()
        which = f"run {ids[0]}" if len(ids) == 1 else f"{len(ids)} runs"
        self.message.setText(f"Deleted {which}.")
        self.undo_button.show()
        self.runsChanged.emit()

    def undo_delete(self) -> None:
        h = self._history()
        if not self._deleted or h is None:
            return
        ids = self._deleted.pop()
        for run_id in ids:
            h.undelete(run_id)
        self.refresh()
        for run_id in ids:
            self.select_run(run_id, add=True)
        self.message.setText(f"Restored {len(ids)} run{'s' if len(ids) != 1 else ''}.")
        self.undo_button.setVisible(bool(self._deleted))
        self.runsChanged.emit()
