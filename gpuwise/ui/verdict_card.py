"""The verdict card: does a GPU pay for this job? One sentence, the numbers behind it, and the prices it rests on.

Self-contained: the main window feeds it a report (``set_report``) and the workload (``set_workload``); it
recomputes on a short debounce when either or the prices or the comparison change. Prices are editable, come
with presets, and are remembered through ``core.prices``. Without a measured GPU the comparison is never empty:
the cheapest common cloud GPU (T4) and a high-end one (H100 SXM) are estimated until the user picks others.

The computation runs on the GUI thread: it counts FLOPs analytically (no torch import) where no measured point
carries its FlopCounterMode count, and core caches the estimator's pure results (per device model, spec, batch,
precision), so a recompute after a new point or a price edit costs a few milliseconds
(``benchmarks/verdict_cost.py``). The user's "Compare with…" picks are remembered through ``core.prices``.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QStyleOptionComboBox,
    QStylePainter,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gpuwise.core import prices as price_store
from gpuwise.core.catalog import load_catalog
from gpuwise.core.decide import BILLING_LABELS, BILLINGS
from gpuwise.core.errors import UserInputError
from gpuwise.core.report import Report
from gpuwise.core.units import format_duration
from gpuwise.core.verdict import (
    DEFAULT_COMPARISON,
    Verdict,
    Workload,
    compute_verdict,
    format_usd,
)
from gpuwise.ui.plain_text import plain_label, plain_tooltip

_log = logging.getLogger(__name__)

DEBOUNCE_MS = 60
CUSTOM = "Custom"
OUTCOME_COLORS = {"gpu_pays": "#2e7d32", "stay_on_cpu": "#1565c0", "cant_tell": "#b26a00", "nothing_fits": "#c62828"}
PAYS_WORDS = {
    "pays": "yes",
    "does_not_pay": "no",
    "cant_tell": "can't tell",
    "does_not_fit": "no fit",
    "no_price": "no price",
    None: "—",
}
TABLE_HEADERS = ("Device", "Time", "Speedup", "Cost", "Pays")
TABLE_TIPS = (
    "Where the job runs; italic rows are estimates, not measurements",
    "Time to train the whole job",
    "How many times faster than the CPU, with its 95 % CI (or estimate band) below",
    "What the job costs at the price per hour (billed per second)",
    "Does the GPU pay: is it faster by more than it costs more?",
)
NUMERIC_COLUMNS = (1, 2, 3)
# Wide enough for the five columns with two-line cells, narrow enough to leave the charts most of 1280 px.
CARD_MIN_WIDTH = 340


class ElidedComboBox(QComboBox):
    """A combo box that elides its current text to the width it gets (full names in the popup and tooltip)."""

    def paintEvent(self, _event: Any) -> None:
        painter = QStylePainter(self)
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, opt)
        field = self.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, opt, QStyle.SubControl.SC_ComboBoxEditField, self
        )
        opt.currentText = painter.fontMetrics().elidedText(opt.currentText, Qt.TextElideMode.ElideRight, field.width())
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, opt)

    def showPopup(self) -> None:
        # the list shows whole names even when the combo itself is narrow
        view = self.view()
        view.setTextElideMode(Qt.TextElideMode.ElideNone)
        view.setMinimumWidth(max(self.width(), view.sizeHintForColumn(0) + 2 * view.frameWidth() + 24))
        super().showPopup()


class FitTable(QTableWidget):
    """A table exactly as tall as its rows (no inner scrolling), re-fitted when its width changes."""

    def fit(self) -> None:
        self.resizeRowsToContents()
        header = self.horizontalHeader()
        h = header.height() if header.isVisible() and header.height() > 0 else header.sizeHint().height()
        rows = sum(self.rowHeight(r) for r in range(self.rowCount()))
        bar = self.horizontalScrollBar()
        extra = bar.sizeHint().height() if self.horizontalHeader().length() > self.viewport().width() else 0
        self.setFixedHeight(h + rows + extra + 2 * self.frameWidth() + 2)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.fit()


def _spin(parent: QWidget) -> QDoubleSpinBox:
    s = QDoubleSpinBox(parent)
    s.setDecimals(4)
    s.setRange(0.0001, 10_000.0)
    s.setSingleStep(0.01)
    s.setSuffix(" $/h")
    s.setKeyboardTracking(False)  # recompute once the user has finished typing, not per keystroke
    s.setAccelerated(True)
    return s


class VerdictCard(QWidget):
    """The verdict beside the charts. Signals: prices (CPU $/h, GPU $/h), the compared catalog GPUs' names, the
    estimated points for those GPUs (for the charts' dotted curves) and the verdict itself (None when none)."""

    pricesChanged = Signal(float, float)
    comparisonChanged = Signal(list)  # catalog GPU names
    estimatesChanged = Signal(list)  # estimated Points: the report's CPU points re-estimated on each compared GPU
    verdictChanged = Signal(object)  # Verdict | None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("verdictCard")
        self.setMinimumWidth(CARD_MIN_WIDTH)
        self._report: Report | None = None
        self._workload: Workload | None = None
        self._picked: list[str] = []  # the user's comparison; empty = the default
        self._verdict: Verdict | None = None
        self._effective: list[str] = []
        self._gpu_name = ""  # the catalog GPU the GPU price is for
        # the user's prices (saved); the boxes show the prices the verdict resolved from them (core.decide.pricing)
        self._settings: price_store.PriceSettings | None = None
        self._prices_announced = False
        self._updating = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.recompute)
        self._build()
        self._load_prices()
        self._load_comparison()
        self._show_empty()

    # -- building ------------------------------------------------------------------------------------------

    def _build(self) -> None:
        # everything scrolls as one page: the card is narrow beside the charts and its details are long
        page_layout = QVBoxLayout(self)
        page_layout.setContentsMargins(0, 0, 0, 0)
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        page = QWidget(self.scroll_area)
        self.scroll_area.setWidget(page)
        page_layout.addWidget(self.scroll_area)
        outer = QVBoxLayout(page)
        outer.setContentsMargins(6, 4, 6, 4)
        outer.setSpacing(4)  # tight enough that verdict, table and prices fit beside the charts at 1280×800
        title = QLabel("Verdict", self)
        f = title.font()
        f.setBold(True)
        f.setPointSizeF(f.pointSizeF() * 1.15)
        title.setFont(f)
        # the title shares its row with the card's two buttons: a row of its own would push the prices down
        title_row = QHBoxLayout()
        title_row.addWidget(title)
        title_row.addStretch(1)
        outer.addLayout(title_row)

        self.sentence_label = plain_label(QLabel(self))  # verdict texts quote report strings
        self.sentence_label.setObjectName("verdictSentence")
        self.sentence_label.setWordWrap(True)
        self.sentence_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        sf = self.sentence_label.font()
        sf.setPointSizeF(sf.pointSizeF() * 1.2)
        sf.setBold(True)
        self.sentence_label.setFont(sf)
        outer.addWidget(self.sentence_label)

        self.estimate_label = plain_label(QLabel(self))
        self.estimate_label.setWordWrap(True)
        self.estimate_label.setStyleSheet("color: palette(mid);")
        outer.addWidget(self.estimate_label)

        self.message_label = plain_label(QLabel(self))
        self.message_label.setObjectName("verdictMessage")
        self.message_label.setWordWrap(True)
        self.message_label.setStyleSheet("color: #c62828;")
        self.message_label.hide()
        outer.addWidget(self.message_label)
        self._table_slot = outer.count()  # the table goes here, under the sentence (built further down)

        # each price on its own row: caption and $/h spin box, then the preset combo across the card's width
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        grid.setVerticalSpacing(3)
        self.cpu_preset = ElidedComboBox(self)
        self.gpu_preset = ElidedComboBox(self)
        for combo, kind in ((self.cpu_preset, "cpu"), (self.gpu_preset, "gpu")):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
            combo.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            combo.addItem(CUSTOM, "")
            combo.setItemData(0, "A price you typed in", Qt.ItemDataRole.ToolTipRole)
            for p in price_store.load_presets():
                if p.kind == kind:
                    combo.addItem(f"{p.label} — ${p.usd_per_hour:.4g}/h", p.name)
                    combo.setItemData(
                        combo.count() - 1,
                        f"{p.label}: ${p.usd_per_hour:.4g}/h, {p.provider} list price on {p.date} ({p.source})",
                        Qt.ItemDataRole.ToolTipRole,
                    )
            combo.currentIndexChanged.connect(
                lambda _i, c=combo: c.setToolTip(
                    c.itemData(c.currentIndex(), Qt.ItemDataRole.ToolTipRole) or c.currentText()
                )
            )
        self.cpu_spin = _spin(self)
        self.gpu_spin = _spin(self)
        self.cpu_spin.setToolTip("What the CPU machine costs per hour")
        self.gpu_spin.setToolTip("What the GPU machine costs per hour")
        grid.addWidget(QLabel("CPU price", self), 0, 0)
        grid.addWidget(self.cpu_spin, 0, 1)
        grid.addWidget(self.cpu_preset, 1, 0, 1, 2)
        self.gpu_caption = QLabel("GPU price", self)
        self.gpu_caption.setWordWrap(True)  # "GPU price (NVIDIA GeForce RTX 4090)" on two lines, not cut off
        grid.addWidget(self.gpu_caption, 2, 0)
        grid.addWidget(self.gpu_spin, 2, 1)
        grid.addWidget(self.gpu_preset, 3, 0, 1, 2)
        self.price_note = plain_label(QLabel("List prices on a date: edit them to yours.", self))
        self.price_note.setWordWrap(True)
        self.price_note.setStyleSheet("color: palette(mid);")
        grid.addWidget(self.price_note, 4, 0, 1, 2)
        grid.addWidget(QLabel("Billing", self), 5, 0)
        self.billing_combo = QComboBox(self)
        for key in BILLINGS:
            self.billing_combo.addItem(BILLING_LABELS[key], key)
        self.billing_combo.setToolTip(
            "How the rented machines bill: per second with a 60-second minimum (AWS, GCP, "
            "Azure on-demand), or per started hour"
        )
        grid.addWidget(self.billing_combo, 5, 1)
        outer.addLayout(grid)

        self.compare_button = QToolButton(self)
        self.compare_button.setText("Compare with…")
        self.compare_button.setToolTip("Add catalog GPUs as estimated curves and rows")
        self.compare_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.compare_menu = QMenu(self.compare_button)
        self.compare_actions: dict[str, QAction] = {}
        for g in load_catalog():
            act = QAction(g.name, self.compare_menu)
            act.setCheckable(True)
            act.setToolTip(
                f"{g.vendor} {g.name}: {g.fp32_tflops:g} TFLOP/s fp32, {g.memory_gib:g} GiB, "
                f"{g.memory_bandwidth_gbs:g} GB/s ({g.source})"
            )
            act.toggled.connect(self._on_compare_toggled)
            self.compare_menu.addAction(act)
            self.compare_actions[g.name] = act
        self.compare_menu.setToolTipsVisible(True)
        self.compare_button.setMenu(self.compare_menu)
        title_row.addWidget(self.compare_button)
        self.copy_button = QPushButton("Copy verdict", self)
        self.copy_button.setToolTip("Copy the verdict, its table and its assumptions as text")
        self.copy_button.clicked.connect(self.copy_verdict)
        title_row.addWidget(self.copy_button)

        self.table = FitTable(0, len(TABLE_HEADERS), self)
        self.table.setHorizontalHeaderLabels(list(TABLE_HEADERS))
        for c, tip in enumerate(TABLE_TIPS):
            header_item = self.table.horizontalHeaderItem(c)
            if header_item is not None:
                header_item.setToolTip(tip)
                if c in NUMERIC_COLUMNS:
                    header_item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(24)
        # short cells (names on their own line, "estimate" on the next): no wrapping mid-word; if the card is
        # squeezed below its minimum anyway, cells elide (full text in the tooltip) instead of scrolling sideways
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.legend_label = QLabel(
            "<i>Italic rows</i>: estimates from spec sheets, not measurements. Hover a row for its basis.", self
        )
        self.legend_label.setWordWrap(True)
        self.legend_label.setStyleSheet("color: palette(mid);")
        self.legend_label.hide()

        outer.insertWidget(self._table_slot, self.table)
        outer.insertWidget(self._table_slot + 1, self.legend_label)

        # Break-even, memory and the rule run to a dozen lines: folded by default so the verdict, its table and
        # the prices fit the card without scrolling at 1280×800; one click (or Space) unfolds them.
        self.details_button = QToolButton(self)
        self.details_button.setObjectName("verdictDetailsToggle")
        self.details_button.setText("Details: break-even, memory, assumptions")
        self.details_button.setCheckable(True)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.details_button.setAutoRaise(True)
        self.details_button.toggled.connect(self._on_details_toggled)
        outer.addWidget(self.details_button)
        self.details_label = plain_label(QLabel(self))
        self.details_label.setObjectName("verdictDetails")
        self.details_label.setWordWrap(True)
        self.details_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.details_label.hide()
        outer.addWidget(self.details_label)
        outer.addStretch(1)

        self.cpu_spin.valueChanged.connect(self._on_cpu_spin)
        self.gpu_spin.valueChanged.connect(self._on_gpu_spin)
        self.cpu_preset.currentIndexChanged.connect(self._on_cpu_preset)
        self.billing_combo.currentIndexChanged.connect(self._on_billing)
        self.gpu_preset.currentIndexChanged.connect(self._on_gpu_preset)

    def _on_details_toggled(self, shown: bool) -> None:
        self.details_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.details_label.setVisible(shown)

    # -- public API ----------------------------------------------------------------------------------------

    def set_report(self, report: Report | None) -> None:
        """Show the verdict for ``report``. Its machine's CPU gets its own preset (core.decide.pricing): opening a
        16-core report on a 2-core laptop does not price the 16-core CPU as a 2-vCPU instance."""
        self._report = report
        if self._settings is not None and self._settings.cpu_pinned:
            self._settings = replace(self._settings, cpu_pinned=False)  # a pick was for the last report
        self.schedule()

    def set_workload(
        self, family: str, params: int, samples: int, epochs: int, batch_size: int, precision: str
    ) -> None:
        try:
            self._workload = Workload(
                family=family,
                params=int(params),
                samples=int(samples),
                epochs=int(epochs),
                batch_size=int(batch_size),
                precision=precision,
            )
        except UserInputError as e:
            self._workload = None
            self._show_message(f"Workload: {e}")
            return
        self.schedule()

    def set_prices(self, cpu_per_hour: float, gpu_per_hour: float) -> None:
        """Set both prices (as if typed): the presets switch to "Custom" where the price differs."""
        self._updating = True
        try:
            self.cpu_spin.setValue(cpu_per_hour)
            self.gpu_spin.setValue(gpu_per_hour)
        finally:
            self._updating = False
        self._match_presets()
        self._prices_edited()

    def set_comparison(self, names: list[str]) -> None:
        """Compare with these catalog GPUs (empty: the default comparison)."""
        from gpuwise.core.catalog import find_gpu

        picked = list(dict.fromkeys(find_gpu(n).name for n in names))
        self._picked = picked
        self._sync_menu(picked)
        self._save_comparison()
        self.schedule()

    def comparison(self) -> list[str]:
        """The catalog GPUs the verdict currently estimates (the user's choice, the default and the priced one)."""
        return list(self._effective)

    def prices(self) -> price_store.PriceSettings:
        """The user's prices (what is saved); the verdict resolves each device's price from them."""
        if self._settings is None:
            self._settings = self._from_widgets()
        return self._settings

    def _from_widgets(self) -> price_store.PriceSettings:
        return price_store.PriceSettings(
            self.cpu_spin.value(),
            self.gpu_spin.value(),
            gpu_preset=self.gpu_preset.currentData() or "",
            cpu_preset=self.cpu_preset.currentData() or "",
            gpu=self._gpu_name,
            billing=self.billing_combo.currentData() or "per_second",
        )

    def verdict(self) -> Verdict | None:
        return self._verdict

    def verdict_text(self) -> str:
        return self._verdict.to_text() if self._verdict is not None else ""

    def copy_verdict(self) -> None:
        text = self.verdict_text()
        if text:
            QGuiApplication.clipboard().setText(text)

    def schedule(self) -> None:
        """Recompute soon (several changes in a row cost one computation)."""
        self._timer.start()

    # -- prices --------------------------------------------------------------------------------------------

    def _load_prices(self) -> None:
        from gpuwise.core.devices import cpu_info

        try:
            cores = cpu_info().logical_cores
        except Exception:  # a probe failure only changes which CPU preset is the default
            cores = None
        settings, problem = price_store.effective_prices(cores)
        self._settings = settings
        self._display(settings)
        self._match_presets()
        self._update_gpu_caption()
        if problem:
            self._show_message(problem)

    def _display(self, settings: price_store.PriceSettings) -> None:
        """Show these prices in the boxes without taking them as the user's."""
        self._gpu_name = settings.gpu
        self._updating = True
        try:
            self.cpu_spin.setValue(settings.cpu_per_hour)
            self.gpu_spin.setValue(settings.gpu_per_hour)
            self._select(self.cpu_preset, settings.cpu_preset)
            self._select(self.gpu_preset, settings.gpu_preset)
            self._select(self.billing_combo, settings.billing)
        finally:
            self._updating = False

    @staticmethod
    def _select(combo: QComboBox, name: str) -> None:
        i = combo.findData(name) if name else 0
        combo.setCurrentIndex(max(i, 0))

    def _match_presets(self) -> None:
        """A preset stays selected only while its price is the one shown."""
        self._updating = True
        try:
            for combo, spin in ((self.cpu_preset, self.cpu_spin), (self.gpu_preset, self.gpu_spin)):
                name = combo.currentData()
                if name:
                    p = price_store.find_preset(name)
                    if abs(p.usd_per_hour - spin.value()) > 5e-5:
                        combo.setCurrentIndex(0)
        finally:
            self._updating = False

    def _on_cpu_preset(self, _index: int) -> None:
        if self._updating:
            return
        name = self.cpu_preset.currentData()
        if name:
            self._updating = True
            try:
                self.cpu_spin.setValue(price_store.find_preset(name).usd_per_hour)
            finally:
                self._updating = False
        self._prices_edited("cpu", pinned=bool(name))

    def _on_billing(self, _index: int) -> None:
        if not self._updating:
            self._prices_edited("billing")

    def _on_gpu_preset(self, _index: int) -> None:
        if self._updating:
            return
        name = self.gpu_preset.currentData()
        if name:
            p = price_store.find_preset(name)
            self._gpu_name = p.gpu
            self._updating = True
            try:
                self.gpu_spin.setValue(p.usd_per_hour)
            finally:
                self._updating = False
        self._update_gpu_caption()
        self._prices_edited("gpu")

    def _on_cpu_spin(self, _value: float) -> None:
        if not self._updating:
            self._match_presets()
            self._prices_edited("cpu")

    def _on_gpu_spin(self, _value: float) -> None:
        if not self._updating:
            self._match_presets()
            self._prices_edited("gpu")

    def _prices_edited(self, side: str = "both", *, pinned: bool = False) -> None:
        """The user changed ``side`` ("cpu", "gpu", "billing" or "both"): take that side from the boxes."""
        shown = self._from_widgets()
        settings = self.prices()
        if side in ("cpu", "both"):
            settings = replace(
                settings, cpu_per_hour=shown.cpu_per_hour, cpu_preset=shown.cpu_preset, cpu_pinned=pinned
            )
        if side in ("gpu", "both"):
            settings = replace(settings, gpu_per_hour=shown.gpu_per_hour, gpu_preset=shown.gpu_preset, gpu=shown.gpu)
        settings = replace(settings, billing=shown.billing)
        self._settings = settings
        try:
            price_store.save_user_prices(settings)
        except UserInputError as e:  # an unwritable config folder must not stop the verdict
            self._show_message(str(e))
        self._prices_announced = True
        self.pricesChanged.emit(settings.cpu_per_hour, settings.gpu_per_hour)
        self.schedule()

    def _update_gpu_caption(self, target: str = "") -> None:
        """Say which GPU the GPU price is for (the verdict's primary GPU, once there is a verdict)."""
        if not target:
            measured = self._report is not None and any(p.device != "cpu" and p.measured for p in self._report.points)
            target = "the measured GPU" if measured else (self._gpu_name or "the first compared GPU")
        self.gpu_caption.setText(f"GPU price ({target})" if len(target) <= 16 else "GPU price")
        self.gpu_spin.setToolTip(plain_tooltip(f"What the GPU machine costs per hour (this price is for the {target})"))
        self.price_note.setText(f"GPU price is for the {target}. List prices on a date: edit them to yours.")

    # -- comparison ----------------------------------------------------------------------------------------

    def _sync_menu(self, names: list[str]) -> None:
        for name, act in self.compare_actions.items():
            act.blockSignals(True)
            act.setChecked(name in names)
            act.blockSignals(False)

    def _on_compare_toggled(self, _checked: bool) -> None:
        self._picked = [n for n, a in self.compare_actions.items() if a.isChecked()]
        self._save_comparison()
        self.schedule()

    def _save_comparison(self) -> None:
        try:
            price_store.save_comparison(self._picked)
        except UserInputError as e:  # an unwritable config folder must not stop the verdict
            self._show_message(str(e))

    def _load_comparison(self) -> None:
        """The user's last "Compare with…" picks; names no longer in the catalog are dropped."""
        try:
            saved = price_store.load_comparison()
        except UserInputError as e:
            self._show_message(f"{e}; comparing with the default GPUs")
            return
        self._picked = [n for n in saved if n in self.compare_actions]
        self._sync_menu(self._picked)

    # -- computing and showing -----------------------------------------------------------------------------

    def recompute(self) -> None:
        """Compute the verdict now (normally called by the debounce timer)."""
        self._timer.stop()
        self._update_gpu_caption()
        report = self._report
        if report is None:
            self._verdict = None
            self._show_empty()
            self._set_effective([])
            self.verdictChanged.emit(None)
            return
        try:
            verdict = compute_verdict(
                report, self._workload, prices=self.prices(), compare=self._picked, flops_method="analytic"
            )
        except UserInputError as e:
            self._verdict = None
            self._show_empty(str(e))
            self._set_effective([])
            self.verdictChanged.emit(None)
            return
        self._verdict = verdict
        if not self._prices_announced:
            # the window connects after construction: tell it the prices once the first verdict stands on them
            self._prices_announced = True
            self.pricesChanged.emit(verdict.prices.cpu_per_hour, verdict.prices.gpu_per_hour)
        self._show(verdict)
        names = [g.device for g in verdict.gpus if g.device in self.compare_actions]
        self._set_effective(names)
        self.verdictChanged.emit(verdict)

    def _set_effective(self, names: list[str]) -> None:
        self._sync_menu(names)
        changed = names != self._effective
        self._effective = names
        if changed:
            self.comparisonChanged.emit(list(names))
        self.estimatesChanged.emit(self._estimated_points(names))

    def _estimated_points(self, names: list[str]) -> list[Any]:
        if self._report is None or not names:
            return []
        from gpuwise.core.estimate import estimate_points_like

        try:
            return estimate_points_like(self._report, names, flops_method="analytic")
        except (UserInputError, KeyError, TypeError, ValueError) as e:  # a hand-edited report's odd architecture
            _log.warning("cannot estimate curves: %s", e)
            return []

    def _show_message(self, text: str) -> None:
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))

    def _show_empty(self, why: str = "") -> None:
        default = ", ".join(DEFAULT_COMPARISON)
        self.sentence_label.setText(why or "Run a comparison (or open a report) to get a verdict.")
        self.sentence_label.setStyleSheet("")
        self.estimate_label.setText(f"Without a GPU here, the verdict estimates {default} from their spec sheets.")
        self.table.setRowCount(0)
        self.legend_label.hide()
        self.details_label.setText("")
        self.details_button.setVisible(False)
        self.copy_button.setEnabled(False)

    def _show(self, v: Verdict) -> None:
        self._show_message("")
        # the boxes show the prices this verdict uses (resolved in core from the user's), and for which GPU
        self._display(v.prices)
        prim = v.primary_gpu
        self._update_gpu_caption(prim.label if prim is not None else v.primary)
        if (
            prim is not None
            and prim.usd_per_hour is not None
            and abs(prim.usd_per_hour - self.prices().gpu_per_hour) > 5e-5
        ):
            self.price_note.setText(
                f"The {prim.label} is priced at ${prim.usd_per_hour:g}/h ({prim.price_note}): "
                f"type its real price to override."
            )
        self.sentence_label.setText(v.sentence)
        self.sentence_label.setStyleSheet(f"color: {OUTCOME_COLORS.get(v.outcome, '')};")
        if v.estimated:
            self.estimate_label.setText(
                "Estimate: this verdict rests on numbers that were not measured (the italic rows marked 'estimate')."
            )
        else:
            cpu = self._report.machine.get("cpu") if self._report is not None else None
            model = cpu.get("model") if isinstance(cpu, dict) else None
            where = f"Measured on {model}" if model else "Measured"
            self.estimate_label.setText(f"{where}. {v.workload.describe()}.")
        devices = (v.cpu, *v.gpus)
        self.table.setRowCount(len(devices))
        for r, d in enumerate(devices):
            # the name alone on the first line, how it was obtained (if not measured) on the second
            name = "CPU" if d.kind == "cpu" else d.label
            if d.estimated:
                name += "\nestimate"
            elif d.source != "measured":
                name += f"\n{d.source}"
            time = format_duration(d.time_s) if d.time_s is not None else "n/a"
            speed = d.speedup_text(band="\n{}")
            cost = format_usd(d.cost_usd)
            pays = "—" if d.kind == "cpu" else PAYS_WORDS.get(d.outcome, "—")
            tip = (
                f"{d.label}: {d.basis}\nPrice: {format_usd(d.usd_per_hour)}/h ({d.price_note}); per started "
                f"hour: {format_usd(d.cost_hourly_usd)}"
            )
            for c, text in enumerate((name, time, speed, cost, pays)):
                item = QTableWidgetItem(text)
                item.setToolTip(plain_tooltip(tip))
                if c in NUMERIC_COLUMNS:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if d.estimated:
                    font = QFont(item.font())
                    font.setItalic(True)
                    item.setFont(font)
                self.table.setItem(r, c, item)
        self.table.fit()
        self.legend_label.setVisible(any(d.estimated for d in devices))
        lines = []
        for b in (v.break_even_samples, v.break_even_params):
            if b is not None:
                lines.append(b.text)
        lines.append(v.idle_hour)
        lines += [f"Memory: {m}" for m in v.memory_lines]
        lines += list(v.notes)
        lines.append(v.rules[0])
        self.details_label.setText("\n\n".join(lines))
        self.details_button.setVisible(True)
        self.copy_button.setEnabled(True)
