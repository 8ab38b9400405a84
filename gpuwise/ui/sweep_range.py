"""One sweep row of the workload panel: "☑ sweep from [250k] to [25M] in [3] points".

Curves need several points, so each size can be swept on a log scale. The range follows its slider (the chosen
size is the largest point, smaller ones show the trend) until the user types their own bounds.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QLineEdit, QSpinBox, QWidget

from gpuwise.core.errors import UserInputError
from gpuwise.core.units import format_count, parse_count

DEFAULT_SPAN = 100.0  # the sweep starts two decades below the chosen size
MAX_POINTS = 12


def log_points(lo: int, hi: int, n: int) -> list[int]:
    """``n`` sizes from ``lo`` to ``hi`` evenly spaced on a log scale, rounded to 2 significant digits."""
    if n <= 1 or lo == hi:
        return [hi]
    out: list[int] = []
    for i in range(n):
        v = math.exp(math.log(lo) + (math.log(hi) - math.log(lo)) * i / (n - 1))
        if 0 < i < n - 1:
            digits = max(0, math.floor(math.log10(v)) - 1)
            v = round(v / 10**digits) * 10**digits
        r = round(v)
        if r not in out:
            out.append(r)
    return sorted(out)


class SweepRange(QWidget):
    changed = Signal()

    def __init__(self, what: str, lo: int, hi: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._what = what
        self._lo, self._hi = lo, hi
        self.enabled_box = QCheckBox("sweep from")
        self.enabled_box.setToolTip(f"Measure several {what}s so the charts draw curves, not single dots")
        self.from_edit = QLineEdit()
        self.to_edit = QLineEdit()
        for edit in (self.from_edit, self.to_edit):
            edit.setMaximumWidth(70)
            edit.setToolTip("A size such as 2000, 670k, 25M or 1.5e6")
        self.points_spin = QSpinBox()
        self.points_spin.setRange(2, MAX_POINTS)
        self.points_spin.setValue(3)
        self.points_spin.setSuffix(" points")
        self.points_spin.setToolTip("How many sizes to measure, evenly spaced on a log scale")
        self.to_label = QLabel("to")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        lay.addWidget(self.enabled_box)
        lay.addWidget(self.from_edit)
        lay.addWidget(self.to_label)
        lay.addWidget(self.to_edit)
        lay.addWidget(self.points_spin)
        lay.addStretch(1)
        self.enabled_box.toggled.connect(self._on_toggled)
        self.from_edit.textEdited.connect(lambda _t: self.changed.emit())
        self.to_edit.textEdited.connect(lambda _t: self.changed.emit())
        self.points_spin.valueChanged.connect(lambda _v: self.changed.emit())
        self._on_toggled(self.enabled_box.isChecked())

    def _on_toggled(self, on: bool) -> None:
        for w in (self.from_edit, self.to_edit, self.points_spin, self.to_label):
            w.setEnabled(on)
        self.changed.emit()

    def is_enabled(self) -> bool:
        return self.enabled_box.isChecked()

    def follow(self, chosen: int) -> None:
        """Put the range two decades below the chosen size up to it (clamped to the allowed sizes)."""
        lo = max(self._lo, round(chosen / DEFAULT_SPAN))
        self.from_edit.setText(format_count(lo))
        self.to_edit.setText(format_count(chosen))

    def bounds(self) -> tuple[int, int]:
        """The typed bounds; raises UserInputError with a sentence for the panel's message line."""
        lo = parse_count(self.from_edit.text(), what=f"sweep start ({self._what})")
        hi = parse_count(self.to_edit.text(), what=f"sweep end ({self._what})")
        for v in (lo, hi):
            if not self._lo <= v <= self._hi:
                raise UserInputError(
                    f"{self._what} {format_count(v)} is out of range ({format_count(self._lo)} to "
                    f"{format_count(self._hi)})"
                )
        if lo > hi:
            lo, hi = hi, lo
        return lo, hi

    def values(self, chosen: int) -> list[int]:
        if not self.is_enabled():
            return [chosen]
        lo, hi = self.bounds()
        return log_points(lo, hi, self.points_spin.value())

    def set_error(self, bad: bool) -> None:
        style = "QLineEdit { border: 1px solid #e5484d; }" if bad else ""
        self.from_edit.setStyleSheet(style)
        self.to_edit.setStyleSheet(style)
