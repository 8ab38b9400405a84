"""A logarithmic slider over round numbers (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k).

Sizes that span seven decades cannot be chosen on a linear slider; a log slider with round stops gives labels a
person can read ("25 M params") and makes every arrow key press a ~20 % step and PageUp/PageDown one decade.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPainter, QPalette, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QSlider, QVBoxLayout, QWidget

MANTISSAS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0)
STEPS_PER_DECADE = len(MANTISSAS)


def human_count(n: float) -> str:
    """``25_000_000`` -> ``"25 M"``, ``1_500`` -> ``"1.5 k"``, ``100`` -> ``"100"`` (spaced, for labels)."""
    a = abs(n)
    for factor, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= factor * 0.9995:
            return f"{n / factor:.3g} {suffix}"
    return f"{n:.3g}" if not float(n).is_integer() else str(int(n))


def log_stops(lo: int, hi: int) -> list[int]:
    """Every round stop from ``lo`` to ``hi`` inclusive (both must be powers of ten or round stops)."""
    out: list[int] = []
    decade = math.floor(math.log10(lo))
    while True:
        for m in MANTISSAS:
            v = round(m * 10**decade)
            if v > hi:
                return out
            if v >= lo:
                out.append(v)
        decade += 1


class FocusRingSlider(QSlider):
    """A slider that shows plainly when it has the keyboard: Fusion's own focus cue is a faint tint of the
    handle, easy to miss when the arrow keys are about to change a size."""

    RING_WIDTH = 2.0

    def paintEvent(self, event: Any) -> None:
        super().paintEvent(event)
        if not self.hasFocus():
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), self.RING_WIDTH))
        painter.drawRoundedRect(self.rect().adjusted(1, 1, -1, -1), 3.0, 3.0)
        painter.end()


class LogSlider(QWidget):
    """Title, value label and a QSlider whose integer positions index :func:`log_stops`."""

    realValueChanged = Signal(object)  # int; Signal(int) is a C int and 10B parameters overflow it

    def __init__(
        self,
        title: str,
        lo: int,
        hi: int,
        value: int,
        fmt: Callable[[int], str] = human_count,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._stops = log_stops(lo, hi)
        self._fmt = fmt

        self.title_label = QLabel(title)
        self.value_label = QLabel()
        self.value_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        font = self.value_label.font()
        font.setBold(True)
        self.value_label.setFont(font)

        self.slider = FocusRingSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, len(self._stops) - 1)
        self.slider.setSingleStep(1)
        self.slider.setPageStep(STEPS_PER_DECADE)  # PageUp/PageDown: one decade
        self.slider.setTickInterval(STEPS_PER_DECADE)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.slider.setAccessibleName(title)
        self.setFocusProxy(self.slider)

        self.range_text = f"{fmt(self._stops[0])} to {fmt(self._stops[-1])}"
        self.slider.setToolTip(f"{title}: {self.range_text} (log scale). ←/→ a step, PgUp/PgDn ×10")

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.title_label)
        top.addStretch(1)
        top.addWidget(self.value_label)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(top)
        lay.addWidget(self.slider)

        self._free_index: int | None = None  # the slider's place before a fixed value took it over
        self.slider.valueChanged.connect(self._on_index)
        self.set_real_value(value)
        self._on_index(self.slider.value())

    @property
    def stops(self) -> list[int]:
        return list(self._stops)

    def real_value(self) -> int:
        return self._stops[self.slider.value()]

    def index_of(self, value: float) -> int:
        """The stop nearest to ``value`` on the log scale."""
        if value <= 0:
            return 0
        lv = math.log(value)
        return min(range(len(self._stops)), key=lambda i: abs(math.log(self._stops[i]) - lv))

    def set_real_value(self, value: float) -> None:
        if self._free_index is not None:  # showing a fixed value: this is where the slider returns to
            self._free_index = self.index_of(value)
            return
        self.slider.setValue(self.index_of(value))

    def text(self) -> str:
        return self.value_label.text()

    def set_fixed(self, value: float | None, note: str = "fixed") -> None:
        """Show a fixed ``value`` (a model with its own size) with the slider disabled; None: free again, at the
        value it had before."""
        if value is None:
            if self._free_index is not None:
                self.slider.setValue(self._free_index)
                self._free_index = None
            self.setEnabled(True)
            self._on_index(self.slider.value())
            return
        if self._free_index is None:
            self._free_index = self.slider.value()
        self.slider.blockSignals(True)
        self.slider.setValue(self.index_of(value))
        self.slider.blockSignals(False)
        self.setEnabled(False)
        self.value_label.setText(f"{self._fmt(int(value))} ({note})")

    def _on_index(self, index: int) -> None:
        v = self._stops[index]
        self.value_label.setText(self._fmt(v))
        self.realValueChanged.emit(v)
