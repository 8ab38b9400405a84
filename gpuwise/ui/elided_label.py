"""A one-line label that elides long text in the middle ("…/.local/share/gpuwise/runs.sqlite" keeps both ends:
where it lives and which file it is) and shows the full text in its tooltip.

``text()`` stays the full text (what callers and screen readers get); only the painting is shortened.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QSizePolicy, QStyleOption, QWidget

from gpuwise.ui.plain_text import plain_tooltip


class ElidedLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)  # status texts quote file names and report strings
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:
        super().setText(" ".join(text.split()))  # one line: a newline would double the status bar's height
        self._update_tooltip()

    def shown_text(self) -> str:
        """The text as painted at the current width."""
        width = max(0, self.contentsRect().width())
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideMiddle, width)

    def minimumSizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance("x…x") * 4, super().minimumSizeHint().height())

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._update_tooltip()

    def paintEvent(self, _event: Any) -> None:
        painter = QPainter(self)
        opt = QStyleOption()
        opt.initFrom(self)
        self.style().drawItemText(
            painter,
            self.contentsRect(),
            int(self.alignment()),
            opt.palette,
            self.isEnabled(),
            self.shown_text(),
            self.foregroundRole(),
        )
        painter.end()

    def _update_tooltip(self) -> None:
        self.setToolTip(plain_tooltip(self.text()) if self.shown_text() != self.text() else "")
