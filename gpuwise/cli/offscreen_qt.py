"""A QApplication for the commands that draw (``plot``, ``report``), offscreen when there is no display."""

from __future__ import annotations

import os
import sys
from typing import Any

# Kept at module level: a QApplication destroyed before the widgets it made crashes on exit.
_APP: Any = None


def use_offscreen_without_display() -> None:
    """With no display (a server, CI, ssh), Qt's default platform would abort; draw offscreen instead."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return
    if sys.platform.startswith(("win", "darwin")):
        return  # these always have their native platform
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"


def ensure_qt_app() -> None:
    """Start Qt (offscreen without a display) unless a QApplication already runs."""
    use_offscreen_without_display()
    from gpuwise.ui.qt import QtWidgets

    global _APP
    if QtWidgets.QApplication.instance() is None:
        _APP = QtWidgets.QApplication([sys.argv[0] if sys.argv else "gpuwise"])
