"""The status bar's progress bar: its text stays on one line, elided to the bar's width, whole in the tooltip.

Some styles wrap a progress text that does not fit ("measuring · point 3/9 · ~2 min left" in a 260 px bar),
which doubles the status bar's height for as long as the run lasts.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressBar, QWidget

from gpuwise.ui.plain_text import plain_tooltip


class StatusProgressBar(QProgressBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tip = ""

    def full_text(self) -> str:
        """The format with its %p/%v filled in, before eliding."""
        return super().text()

    def text(self) -> str:  # the style paints what this returns
        full = self.full_text()
        margin = 2 * self.fontMetrics().horizontalAdvance("x")
        shown = self.fontMetrics().elidedText(full, Qt.TextElideMode.ElideRight, max(0, self.width() - margin))
        tip = full if shown != full else ""
        if tip != self._tip:  # setToolTip on every paint would be wasted work
            self._tip = tip
            self.setToolTip(plain_tooltip(tip))  # a file name being opened can look like HTML
        return shown

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.text()  # the tooltip follows the width
