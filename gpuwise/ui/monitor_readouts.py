"""A compact caption/value table for the live monitor, painted in one go.

Ten QLabels changing twice a second cost ~0.4 ms each here (every setText re-lays out the panel); this widget
has a fixed size hint and repaints itself once per tick, whatever changed, so readouts stay nearly free.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QHelpEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

VALUE_MIN_WIDTH = 130
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter  # built once: PySide enum ops are slow


class Readouts(QWidget):
    def __init__(self, rows: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._keys = [k for k, _ in rows]
        self._captions = dict(rows)
        self._values: dict[str, str] = {k: "…" for k in self._keys}
        self._colors: dict[str, str | None] = {k: None for k in self._keys}
        self._metrics_key = ""
        self._metrics_cache = (0, 0)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        # Opaque: a repaint then stops here instead of first repainting every parent's background.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)

    # -- values ----------------------------------------------------------------------------------------------

    def set(self, key: str, text: str, color: str | None = None) -> None:
        """Show ``text`` for ``key`` (in ``color``, bold, when it needs attention). Repaints only on a change."""
        if self._values[key] != text or self._colors[key] != color:
            self._values[key] = text
            self._colors[key] = color
            i = self._keys.index(key)
            h, cw = self._metrics()
            self.update(QRect(cw, i * h, self.width() - cw, h))  # just this value; its caption stays

    def text(self, key: str) -> str:
        return self._values[key]

    def color(self, key: str) -> str | None:
        return self._colors[key]

    def keys(self) -> list[str]:
        return list(self._keys)

    # -- geometry --------------------------------------------------------------------------------------------

    def _metrics(self) -> tuple[int, int]:
        # (row height, caption column width), measured once per font
        key = self.font().key()
        if self._metrics_key != key:
            fm = self.fontMetrics()
            self._metrics_cache = (fm.height() + 2, max(fm.horizontalAdvance(c) for c in self._captions.values()) + 10)
            self._metrics_key = key
        return self._metrics_cache

    def _row_height(self) -> int:
        return self._metrics()[0]

    def _caption_width(self) -> int:
        return self._metrics()[1]

    def sizeHint(self) -> QSize:
        return QSize(self._caption_width() + VALUE_MIN_WIDTH, self._row_height() * len(self._keys))

    def minimumSizeHint(self) -> QSize:
        return QSize(self._caption_width() + 60, self._row_height() * len(self._keys))

    def _row_at(self, pos: QPoint) -> str | None:
        i = pos.y() // self._row_height()
        return self._keys[i] if 0 <= i < len(self._keys) else None

    # -- painting --------------------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        try:
            pal = self.palette()
            text = pal.color(QPalette.ColorRole.WindowText)
            muted = QColor(text)
            muted.setAlphaF(0.6)
            fm = self.fontMetrics()
            h, cw = self._metrics()
            vw = max(10, self.width() - cw)
            bold = QFont(self.font())
            bold.setBold(True)
            # Only the rows (and columns) that changed: Qt hands over the exact dirty rectangles.
            cells: set[tuple[int, bool]] = set()
            for dirty in iter(event.region()):  # type: ignore[call-overload]  # QRegion iterates its rects
                p.fillRect(dirty, pal.color(QPalette.ColorRole.Window))
                with_caption = dirty.left() < cw
                for i in range(max(0, dirty.top() // h), min(len(self._keys) - 1, dirty.bottom() // h) + 1):
                    cells.add((i, with_caption))
            rows: dict[int, bool] = {}
            for i, with_caption in cells:
                rows[i] = rows.get(i, False) or with_caption
            for i, with_caption in sorted(rows.items()):
                key = self._keys[i]
                y = i * h
                p.setFont(self.font())
                if with_caption:
                    p.setPen(muted)
                    p.drawText(QRect(0, y, cw, h), _LEFT, self._captions[key])
                color = self._colors[key]
                if color:
                    p.setFont(bold)
                    p.setPen(QColor(color))
                else:
                    p.setPen(text)
                value = fm.elidedText(self._values[key], Qt.TextElideMode.ElideRight, vw)
                p.drawText(QRect(cw, y, vw, h), _LEFT, value)
        finally:
            p.end()

    def event(self, ev: QEvent) -> bool:
        # Show the whole value of a row that did not fit (e.g. a long process list).
        if ev.type() == QEvent.Type.ToolTip and isinstance(ev, QHelpEvent):
            key = self._row_at(ev.pos())
            if key is not None:
                QToolTip.showText(ev.globalPos(), f"{self._captions[key]}: {self._values[key]}", self)
            else:
                QToolTip.hideText()
            return True
        return super().event(ev)
