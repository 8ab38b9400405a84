"""Text from files and devices is shown as text, never interpreted as HTML.

Qt labels, message boxes and tooltips guess: a string that "might be rich text" is rendered as HTML, so a report
whose device is called ``<h1>BIG ERROR</h1><img src=x>`` would draw a heading and fetch an image. Every widget
that can show such a string sets its format explicitly through these helpers (``tests/hostile`` walks the
widgets of a window showing a hostile report to check).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as QtGuiNamespace
from PySide6.QtWidgets import QLabel, QMessageBox


def plain_label(label: QLabel) -> QLabel:
    """``label`` set to show its text literally, whatever it contains."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def plain_message_box(box: QMessageBox) -> QMessageBox:
    box.setTextFormat(Qt.TextFormat.PlainText)
    return box


def plain_tooltip(text: str) -> str:
    """A tooltip showing ``text`` literally (tooltips have no text format: rich-looking text is escaped)."""
    if not QtGuiNamespace.mightBeRichText(text):
        return text
    return QtGuiNamespace.convertFromPlainText(text, Qt.WhiteSpaceMode.WhiteSpacePre)


def html_text(text: str) -> str:
    """``text`` escaped for a place that is HTML by design (a pyqtgraph title, a label with bold parts)."""
    return html.escape(text, quote=False).replace("\n", "<br>")
