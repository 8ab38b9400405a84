"""Regression test for PySide6-Essentials 6.12.0 on Python 3.11: Qt calls that drop the refcounts of None/True/False.

There, ``processEvents()`` and ``QLabel.setText()`` drop None's count by one per call, a pyqtgraph ``setData()`` by
ten, and signal emits drop True/False; after a few thousand updates Python aborts ("Fatal Python error:
none_dealloc"). A live app makes exactly these calls twice a second forever, so any drift is a crash in waiting.
On Python >= 3.12 these objects are immortal (the counts never move), which hides the bug but keeps this passing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QLabel

from gpuwise.ui.qt import pg

CALLS = 3000
# Unrelated code may hold or release a few references while we loop; a broken binding loses thousands.
TOLERANCE = 50


class _Emitter(QObject):
    flag = Signal(bool)
    maybe = Signal(object)


def _drift(action: Callable[[int], Any]) -> dict[str, int]:
    for i in range(50):  # warm up caches (interned strings, method wrappers) before counting
        action(i)
    before = {"None": sys.getrefcount(None), "True": sys.getrefcount(True), "False": sys.getrefcount(False)}
    for i in range(CALLS):
        action(i)
    after = {"None": sys.getrefcount(None), "True": sys.getrefcount(True), "False": sys.getrefcount(False)}
    return {k: after[k] - before[k] for k in before}


def _assert_no_loss(drift: dict[str, int], what: str) -> None:
    lost = {k: -v for k, v in drift.items() if v < -TOLERANCE}
    assert not lost, (
        f"{what} lost references to {lost} over {CALLS} calls: this PySide6 build corrupts refcounts and will "
        f"crash a long-running app (PySide6 {__import__('PySide6').__version__}, Python {sys.version.split()[0]})"
    )


def test_label_set_text_keeps_refcounts(qapp: QApplication) -> None:
    label = QLabel()
    _assert_no_loss(_drift(lambda i: label.setText(f"{i} %")), "QLabel.setText")


def test_process_events_keeps_refcounts(qapp: QApplication) -> None:
    _assert_no_loss(_drift(lambda i: qapp.processEvents()), "QApplication.processEvents")


def test_pyqtgraph_set_data_keeps_refcounts(qapp: QApplication) -> None:
    plot = pg.PlotWidget()
    curve = plot.plot([], [])
    x = np.arange(100, dtype=float)
    _assert_no_loss(_drift(lambda i: curve.setData(x, x * (i % 7))), "pyqtgraph PlotDataItem.setData")
    plot.close()


@pytest.mark.parametrize("payload", [True, False, None])
def test_signal_emits_keep_refcounts(qapp: QApplication, payload: bool | None) -> None:
    emitter = _Emitter()
    last: dict[str, Any] = {}

    def slot(value: Any) -> None:
        last["value"] = value

    if payload is None:
        emitter.maybe.connect(slot)
        drift = _drift(lambda i: emitter.maybe.emit(None))
    else:
        emitter.flag.connect(slot)
        drift = _drift(lambda i: emitter.flag.emit(payload))
    _assert_no_loss(drift, f"Signal.emit({payload})")
    assert last == {"value": payload}  # the emits were delivered, so the counts saw real traffic
