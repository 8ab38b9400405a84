"""The one place that binds pyqtgraph to PySide6 and sets its global options.

pyqtgraph picks its Qt binding at import time; importing PySide6 first (and naming it in PYQTGRAPH_QT_LIB) makes
sure it never binds another one that happens to be installed. Every gpuwise module imports pyqtgraph from here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6 import QtCore, QtGui, QtSvg, QtWidgets

# isort: split
import pyqtgraph as pg  # after PySide6, so that it binds this Qt

# Antialiasing: thin log-log curves look jagged without it, and the cost is negligible for a few hundred points.
pg.setConfigOptions(antialias=True, useNumba=False)

__all__ = ["ChartTheme", "QtCore", "QtGui", "QtSvg", "QtWidgets", "current_theme", "pg"]


@dataclass(frozen=True)
class ChartTheme:
    """Colours for charts, taken from the Qt palette so charts follow the system's dark or light mode."""

    background: QtGui.QColor
    foreground: QtGui.QColor
    muted: QtGui.QColor  # grid lines, reference lines, secondary text
    dark: bool


def current_theme(widget: QtWidgets.QWidget | None = None) -> ChartTheme:
    """The chart colours for ``widget``'s palette (or the application's when there is no widget)."""
    palette = widget.palette() if widget is not None else QtGui.QGuiApplication.palette()
    bg = QtGui.QColor(palette.color(QtGui.QPalette.ColorRole.Base))
    fg = QtGui.QColor(palette.color(QtGui.QPalette.ColorRole.WindowText))
    dark = bg.lightnessF() < 0.5
    # An opaque mix rather than a translucent foreground: exporters and HTML labels drop alpha.
    mix = 0.55  # of the foreground
    muted = QtGui.QColor.fromRgbF(
        mix * fg.redF() + (1 - mix) * bg.redF(),
        mix * fg.greenF() + (1 - mix) * bg.greenF(),
        mix * fg.blueF() + (1 - mix) * bg.blueF(),
    )
    return ChartTheme(background=bg, foreground=fg, muted=muted, dark=dark)
