"""Open or compare a report in the window and wait until the background load has ended."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gpuwise.ui.main_window import MainWindow


def open_and_wait(qtbot: Any, window: MainWindow, path: Path, *, compare: bool = False) -> bool:
    """True when the report was shown (or overlaid); False when it was refused (a dialog says why) or not
    started."""
    shown: list[object] = []
    signal = window.reportCompared if compare else window.reportShown
    signal.connect(shown.append)
    try:
        with qtbot.waitSignal(window.reportLoadStopped, timeout=30_000, raising=False) as blocker:
            started = window.compare_report(path) if compare else window.open_report(path)
            if not started:
                return False
        assert blocker.signal_triggered, "the report load did not end"
    finally:
        signal.disconnect(shown.append)
    return bool(shown)
