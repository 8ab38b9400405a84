"""Test-wide settings: GUI tests run offscreen; torch stays on few threads so the suite fits a 2-core box."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
