"""The live monitor: CPU, RAM and every NVIDIA GPU, as readouts and rolling plots.

Samples come from :mod:`gpuwise.core.telemetry` on a small thread (see :mod:`gpuwise.ui.monitor_sampler`), land in
a fixed-size :class:`~gpuwise.core.telemetry.sampler.History` on the GUI thread, and redraw the plots. Without an
NVIDIA GPU the GPU area says why, in the words of :class:`~gpuwise.core.telemetry.nvml.NvmlState`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from gpuwise.core.telemetry.na import NA, format_number, format_pair, format_pct, format_reading, format_size
from gpuwise.core.telemetry.nvml import GpuSample
from gpuwise.core.telemetry.sampler import History, Sample, history_capacity
from gpuwise.core.units import format_bytes
from gpuwise.ui.monitor_plots import COLORS, PHASE_COLORS, PHASE_NAMES, CoreBars, PhaseSpan, RollingPlot
from gpuwise.ui.monitor_readouts import Readouts
from gpuwise.ui.monitor_sampler import SamplerLike, SamplerWorker, TimerSampler
from gpuwise.ui.plain_text import html_text, plain_label, plain_tooltip
from gpuwise.ui.settings import Settings

WINDOW_CHOICES_S = (60, 120, 300, 600, 900, 1800, 3600)
DEFAULT_WINDOW_S = 300
MIN_RATE_HZ, MAX_RATE_HZ, DEFAULT_RATE_HZ = 0.5, 4.0, 2.0
MAX_PHASES = 400  # a long sweep has two shaded phases a point; older ones scroll out of any window anyway
GIB = float(1 << 30)
# Plots redraw at most this often, whatever the sample rate: a 1-minute window on 550 px moves ~5 px per 2 Hz
# sample, and redrawing every one cost ~2/3 of the monitor's CPU. Readouts still follow every sample.
MIN_REDRAW_INTERVAL_S = 1.0
SHADED_PHASES = ("warmup", "measuring", "micro")
# NVML's clock-event names, shortened to fit a readout (the tooltip and the CLI keep the full ones).
SHORT_REASONS = {
    "software power cap": "power cap",
    "hardware slowdown": "hw slowdown",
    "software thermal slowdown": "too hot",
    "hardware thermal slowdown": "too hot (hw)",
    "hardware power brake slowdown": "power brake",
}


def _window_label(seconds: int) -> str:
    return f"{seconds // 60} min" if seconds < 3600 else f"{seconds // 3600} h"


class GpuCard(QFrame):
    """Readouts and two rolling plots for one GPU."""

    def __init__(self, index: int, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = index
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(f"<b>GPU {index}</b> · {html_text(name)}")  # the name comes from the driver
        self.title.setToolTip(plain_tooltip(name))
        # No word wrap: a wrapping label gives the card a height-for-width, and the scroll area then sizes the
        # card by its plots' preferred heights (hundreds of pixels) instead of the space the dock has.
        self.readouts = Readouts(
            [
                ("util", "Load"),
                ("vram", "VRAM"),
                ("temp", "Temperature"),
                ("power", "Power / limit"),
                ("clock", "SM clock"),
                ("throttle", "Throttling"),
                ("procs", "Processes"),
            ]
        )
        p = f"gpu{index}."
        self.load_plot = RollingPlot(f"GPU {index}", "%", y_range=(0, 100))
        self.load_plot.add_curve(p + "util", "load", COLORS["orange"])
        self.load_plot.add_curve(p + "mem_pct", "VRAM", COLORS["purple"])
        self.heat_plot = RollingPlot(f"GPU {index}", "W / °C")
        self.heat_plot.add_curve(p + "power", "W", COLORS["red"])
        self.heat_plot.add_curve(p + "temp", "°C", COLORS["teal"], dashed=True)

        readouts = QWidget()
        rl = QVBoxLayout(readouts)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.title)
        rl.addWidget(self.readouts)
        rl.addStretch(1)
        readouts.setMinimumWidth(185)
        readouts.setMaximumWidth(280)
        # Under the charts (a row): readouts beside the two plots stacked, so a card needs ~420 px, not 650.
        # Beside the charts (a column): everything stacked.
        self._plots = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self._plots.setContentsMargins(0, 0, 0, 0)
        self._plots.addWidget(self.load_plot, 1)
        self._plots.addWidget(self.heat_plot, 1)
        self._layout = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self._layout.addWidget(readouts)
        self._layout.addLayout(self._plots, 1)

    def plots(self) -> list[RollingPlot]:
        return [self.load_plot, self.heat_plot]

    def set_direction(self, direction: QBoxLayout.Direction) -> None:
        self._layout.setDirection(direction)

    def update_readouts(self, g: GpuSample) -> None:
        r = self.readouts
        r.set("util", format_pct(g.utilization_pct))
        r.set("vram", format_pair(g.memory_used_bytes, g.memory_total_bytes, format_bytes))
        r.set("temp", format_number(g.temperature_c, "°C"))
        r.set("power", format_pair(g.power_w, g.power_limit_w, lambda x: f"{x:.0f}", " W"))
        r.set("clock", format_pair(g.sm_clock_mhz, g.sm_clock_max_mhz, lambda x: f"{x:.0f}", " MHz"))
        reasons = g.throttle_reasons
        if reasons is NA:
            r.set("throttle", "n/a")
        elif reasons:
            r.set("throttle", "yes: " + ", ".join(SHORT_REASONS.get(x, x) for x in reasons), COLORS["red"])
        else:
            r.set("throttle", "no")
        procs = g.processes
        if procs is NA:
            text = "n/a (not reported)"
        elif not procs:
            text = "none"
        else:
            parts = []
            for proc in procs[:6]:
                name = "?" if proc.name is NA else str(proc.name)
                mem = "" if proc.used_memory_bytes is NA else f" {format_size(proc.used_memory_bytes)}"
                parts.append(f"{name} ({proc.pid}){mem}")
            text = "; ".join(parts) + (f"; +{len(procs) - 6} more" if len(procs) > 6 else "")
        r.set("procs", text)


class MonitorPanel(QWidget):
    """Live CPU/RAM/GPU monitor. Call :meth:`start` once the window shows and :meth:`stop` before it closes."""

    gpuStateChanged = Signal(str)  # the sentence shown in the GPU area

    def __init__(
        self,
        sampler: SamplerLike | None = None,
        *,
        threaded: bool = True,
        settings: Settings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._sampler_obj = sampler
        self._threaded = threaded
        self._settings = settings
        self._source: SamplerWorker | TimerSampler | None = None
        self._paused = False
        self._phases: list[PhaseSpan] = []
        self._gpu_cards: dict[int, GpuCard] = {}
        self._gpu_message = "Checking for NVIDIA GPUs…"
        self._last_sample: Sample | None = None
        self._drawn_at = -math.inf  # sample time of the last plot redraw
        self.redraws = 0
        self._samples_seen = 0

        window_s = DEFAULT_WINDOW_S
        rate = DEFAULT_RATE_HZ
        if settings is not None:
            window_s = settings.get_int("monitor/window_s", DEFAULT_WINDOW_S, lo=60, hi=3600)
            if window_s not in WINDOW_CHOICES_S:
                window_s = DEFAULT_WINDOW_S
            rate = settings.get_float("monitor/rate_hz", DEFAULT_RATE_HZ, lo=MIN_RATE_HZ, hi=MAX_RATE_HZ)
        self._window_s = float(window_s)
        self._rate = rate
        self.history = History(self._capacity())

        self._build_ui()
        self.window_combo.setCurrentIndex(WINDOW_CHOICES_S.index(window_s))
        self.rate_spin.setValue(rate)
        for plot in self.plots():
            plot.set_window(self._window_s)
        self.window_combo.currentIndexChanged.connect(self._on_window_choice)
        self.rate_spin.valueChanged.connect(self.set_rate)
        self.pause_button.toggled.connect(self.set_paused)

    # -- construction --------------------------------------------------------------------------------------

    def _build_ui(self) -> None:
        self.window_combo = QComboBox()
        for s in WINDOW_CHOICES_S:
            self.window_combo.addItem(_window_label(s), s)
        self.window_combo.setToolTip("How much history the plots show")
        self.rate_spin = QDoubleSpinBox()
        self.rate_spin.setRange(MIN_RATE_HZ, MAX_RATE_HZ)
        self.rate_spin.setSingleStep(0.5)
        self.rate_spin.setDecimals(1)
        self.rate_spin.setSuffix(" Hz")
        self.rate_spin.setToolTip("Samples per second (0.5–4 Hz)")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("Freeze the plots to look closely (samples are still recorded)")

        controls = QGridLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(QLabel("Show last"), 0, 0)
        controls.addWidget(self.window_combo, 0, 1)
        controls.addWidget(QLabel("Sample at"), 1, 0)
        controls.addWidget(self.rate_spin, 1, 1)
        controls.addWidget(self.pause_button, 2, 0, 1, 2)

        self.host_readouts = Readouts(
            [
                ("cpu", "CPU load"),
                ("freq", "CPU clock"),
                ("ram", "RAM used"),
                ("swap", "Swap used"),
                ("temp", "CPU temp"),
            ]
        )
        self.core_bars = CoreBars()
        swatches = []
        for p in SHADED_PHASES:
            r, g, b, _a = PHASE_COLORS[p]
            swatch = f"<span style='background-color: rgba({r}, {g}, {b}, 0.6)'>&nbsp;&nbsp;</span>"
            swatches.append(f"{swatch}&nbsp;{PHASE_NAMES[p].replace('micro-benchmarks', 'micro')}")
        self.phase_legend = QLabel(" ".join(swatches))
        small = self.phase_legend.font()
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.9))
        self.phase_legend.setFont(small)
        self.phase_legend.setToolTip(
            "Phases of the benchmark run, shaded on every plot: warm-up (not timed), measuring (timed steps), "
            "micro-benchmarks (matmul and memory speed)"
        )
        self.phase_legend.setVisible(False)

        side = QWidget()
        sl = QVBoxLayout(side)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.addLayout(controls)
        sl.addSpacing(4)
        sl.addWidget(self.host_readouts)
        sl.addWidget(self.core_bars)
        sl.addWidget(self.phase_legend)
        sl.addStretch(1)
        side.setMinimumWidth(170)
        side.setMaximumWidth(260)
        self._side = side

        self.cpu_plot = RollingPlot("CPU load", "%", y_range=(0, 100))
        self.cpu_plot.add_curve("cpu", "total", COLORS["blue"], band=True)
        self.mem_plot = RollingPlot("", "GiB used")
        self.mem_plot.add_curve("ram_used", "RAM", COLORS["green"])
        self.mem_plot.add_curve("swap_used", "swap", COLORS["orange"], width=1.5, dashed=True)

        self.gpu_message_label = plain_label(QLabel(self._gpu_message))
        self.gpu_message_label.setWordWrap(True)
        self.gpu_message_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.gpu_message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        gpu_box = QWidget()
        self._gpu_layout = QBoxLayout(QBoxLayout.Direction.TopToBottom, gpu_box)
        self._gpu_layout.setContentsMargins(0, 0, 0, 0)
        gpu_title = QLabel("<b>NVIDIA GPUs</b>")
        self._gpu_layout.addWidget(gpu_title)
        self._gpu_layout.addWidget(self.gpu_message_label)
        self._gpu_cards_layout = QVBoxLayout()
        self._gpu_layout.addLayout(self._gpu_cards_layout, 1)
        self._gpu_layout.addStretch(0)
        self.gpu_scroll = QScrollArea()
        self.gpu_scroll.setWidget(gpu_box)
        self.gpu_scroll.setWidgetResizable(True)
        self.gpu_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.gpu_scroll.setMinimumWidth(160)
        self.gpu_scroll.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

        # CPU and memory plots side by side; stacked once a GPU card needs the width (see _host_direction).
        host_plots = QWidget()
        self._host_plots = QBoxLayout(QBoxLayout.Direction.LeftToRight, host_plots)
        self._host_plots.setContentsMargins(0, 0, 0, 0)
        self._host_plots.addWidget(self.cpu_plot, 1)
        self._host_plots.addWidget(self.mem_plot, 1)

        self._root = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self._root.setContentsMargins(6, 4, 6, 4)
        self._root.addWidget(side)
        self._root.addWidget(host_plots, 4)
        self._root.addWidget(self.gpu_scroll, 3)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self._redraw(force=True)  # what was sampled while hidden

    def sizeHint(self) -> QSize:
        # Modest: the charts, not the monitor, deserve the space of a fresh window.
        return QSize(900, 230)

    # -- public API ----------------------------------------------------------------------------------------

    def plots(self) -> list[RollingPlot]:
        out = [self.cpu_plot, self.mem_plot]
        for card in self._gpu_cards.values():
            out.extend(card.plots())
        return out

    def gpu_cards(self) -> dict[int, GpuCard]:
        return dict(self._gpu_cards)

    def gpu_message(self) -> str:
        return self._gpu_message

    def _host_direction(self) -> QBoxLayout.Direction:
        row = self._root.direction() == QBoxLayout.Direction.LeftToRight
        # In a row with GPU cards beside them, the CPU and memory plots share one column.
        return QBoxLayout.Direction.TopToBottom if row and self._gpu_cards else QBoxLayout.Direction.LeftToRight

    def set_orientation(self, orientation: Qt.Orientation) -> None:
        """Lay out in a row under the charts (horizontal) or in a column beside them (vertical)."""
        horizontal = orientation == Qt.Orientation.Horizontal
        self._root.setDirection(QBoxLayout.Direction.LeftToRight if horizontal else QBoxLayout.Direction.TopToBottom)
        self._side.setMaximumWidth(260 if horizontal else 16_777_215)
        self._host_plots.setDirection(self._host_direction())
        for card in self._gpu_cards.values():
            card.set_direction(QBoxLayout.Direction.LeftToRight if horizontal else QBoxLayout.Direction.TopToBottom)

    def start(self) -> None:
        """Begin sampling (on a thread unless built with ``threaded=False``)."""
        if self._source is not None:
            return
        if self._sampler_obj is None:
            from gpuwise.core.telemetry.sampler import Sampler

            self._sampler_obj = Sampler()
        source: SamplerWorker | TimerSampler
        if self._threaded:
            source = SamplerWorker(self._sampler_obj, self._rate)
        else:
            source = TimerSampler(self._sampler_obj, self._rate)
        source.yielded.connect(self.add_samples)
        self._source = source
        source.start()

    def stop(self) -> None:
        """Stop sampling and wait for the sampling thread to end. Safe to call twice."""
        source, self._source = self._source, None
        if source is not None:
            source.yielded.disconnect(self.add_samples)
            source.shutdown(5_000)

    def is_sampling(self) -> bool:
        return self._source is not None and self._source.is_running()

    def rate(self) -> float:
        return self._rate

    def set_rate(self, rate_hz: float) -> None:
        rate = min(MAX_RATE_HZ, max(MIN_RATE_HZ, float(rate_hz)))
        if rate == self._rate:
            return
        self._rate = rate
        if abs(self.rate_spin.value() - rate) > 1e-9:
            self.rate_spin.setValue(rate)
        self.history.resize(self._capacity())
        if self._source is not None:
            self._source.set_rate(rate)
        if self._settings is not None:
            self._settings.set("monitor/rate_hz", rate)

    def window_seconds(self) -> float:
        return self._window_s

    def set_window(self, seconds: float) -> None:
        seconds = float(min(3600, max(60, seconds)))
        self._window_s = seconds
        idx = min(range(len(WINDOW_CHOICES_S)), key=lambda i: abs(WINDOW_CHOICES_S[i] - seconds))
        if self.window_combo.currentIndex() != idx:
            self.window_combo.blockSignals(True)
            self.window_combo.setCurrentIndex(idx)
            self.window_combo.blockSignals(False)
        self.history.resize(self._capacity())
        for plot in self.plots():
            plot.set_window(seconds)
        if self._settings is not None:
            self._settings.set("monitor/window_s", int(seconds))
        self._redraw(force=True)

    def is_paused(self) -> bool:
        return self._paused

    def set_paused(self, paused: bool) -> None:
        self._paused = bool(paused)
        if self.pause_button.isChecked() != self._paused:
            self.pause_button.setChecked(self._paused)
        self.pause_button.setText("Resume" if self._paused else "Pause")
        if not self._paused:
            self._redraw(force=True)

    def begin_phase(self, phase: str, at: float | None = None) -> None:
        """Mark the start of a benchmark phase (now, or at the time.time() ``at``); the previous phase ends
        there. Phases that are not shaded just end the previous one."""
        now = time.time() if at is None else at
        if self._phases and self._phases[-1].end is None:
            if self._phases[-1].phase == phase:
                return
            self._phases[-1].end = now
        if phase in SHADED_PHASES:
            self._phases.append(PhaseSpan(phase, now, None))
            self.phase_legend.setVisible(True)
            del self._phases[:-MAX_PHASES]

    def end_phases(self, at: float | None = None) -> None:
        if self._phases and self._phases[-1].end is None:
            self._phases[-1].end = time.time() if at is None else at
        self._redraw(force=True)

    def phases(self) -> list[PhaseSpan]:
        return list(self._phases)

    def samples_seen(self) -> int:
        return self._samples_seen

    def add_sample(self, sample: Sample) -> None:
        """Record one sample and, unless paused, refresh readouts and plots."""
        self.add_samples((sample,))

    def add_samples(self, samples: Sequence[Sample]) -> None:
        """Record a batch of samples (oldest first) and, unless paused, show the newest: readouts and plots
        are refreshed once per batch, however many samples it holds."""
        if not samples:
            return
        for sample in samples:
            self._samples_seen += 1
            self.history.append(sample)
            self._update_gpu_state(sample)
        self._last_sample = samples[-1]
        if not self._paused:
            self._update_readouts(samples[-1])
            self._redraw()

    # -- internals -----------------------------------------------------------------------------------------

    def _capacity(self) -> int:
        return history_capacity(self._window_s, self._rate) + 4

    def _on_window_choice(self, index: int) -> None:
        self.set_window(float(self.window_combo.itemData(index)))

    def _update_gpu_state(self, sample: Sample) -> None:
        state = sample.gpu_state
        for g in sample.gpus:
            if g.index not in self._gpu_cards:
                name = "NVIDIA GPU" if g.name is NA else str(g.name)
                card = GpuCard(g.index, name)
                for plot in card.plots():
                    plot.set_window(self._window_s)
                horizontal = self._root.direction() == QBoxLayout.Direction.LeftToRight
                card.set_direction(QBoxLayout.Direction.LeftToRight if horizontal else QBoxLayout.Direction.TopToBottom)
                self._gpu_cards[g.index] = card
                self._gpu_cards_layout.addWidget(card)
                # A GPU is what this app is about: its card gets the most room in the row, the host plots stack.
                self._root.setStretchFactor(self.gpu_scroll, 6)
                self.gpu_scroll.setMinimumWidth(card.minimumSizeHint().width() + 20)
                self._host_plots.setDirection(self._host_direction())
        if state.ok and sample.gpus:
            message = ""
        elif sample.gpus:
            message = state.message  # e.g. one of two GPUs lost: say so above the one still readable
        else:
            message = state.message + (
                "\nThe CPU is measured as usual, and the verdict estimates common GPUs for comparison."
            )
        if message != self._gpu_message:
            self._gpu_message = message
            self.gpu_message_label.setText(message)
            self.gpu_message_label.setVisible(bool(message))
            self.gpuStateChanged.emit(message)

    def _update_readouts(self, sample: Sample) -> None:
        h = sample.host
        r = self.host_readouts
        cores = len(h.per_core_pct) if h.per_core_pct else 0
        cores_text = f" of {cores} cores" if cores else ""
        r.set("cpu", format_reading(h.cpu_pct, lambda x: f"{x:.0f} %{cores_text}"))
        freq = format_reading(h.cpu_freq_mhz, lambda x: f"{x / 1000:.2f} GHz")
        if h.cpu_freq_max_mhz:
            freq += f" (max {h.cpu_freq_max_mhz / 1000:.2f})"
        r.set("freq", freq)
        r.set("ram", format_pair(h.ram_used_bytes, h.ram_total_bytes, format_bytes))
        if h.swap_total_bytes == 0:
            r.set("swap", "no swap")
        else:
            r.set("swap", format_pair(h.swap_used_bytes, h.swap_total_bytes, format_bytes))
        r.set("temp", format_number(h.cpu_temp_c, "°C") if h.cpu_temp_c else "no sensor")
        self.core_bars.set_values(h.per_core_pct or ())
        for g in sample.gpus:
            card = self._gpu_cards.get(g.index)
            if card is not None:
                card.update_readouts(g)

    def _redraw(self, force: bool = False) -> None:
        """Redraw the plots, but only when the newest data would move them by a pixel or more.

        A 5-minute window on a 250-pixel plot moves one pixel every 1.2 s: redrawing it on every 2 Hz sample
        would repaint the same picture. This keeps the monitor within ~1 % of a core.
        """
        if self._paused or self._last_sample is None:
            return
        if not self.isVisible():  # behind the History tab or minimized: showEvent catches up
            return
        now = self._last_sample.timestamp  # the right edge is the newest sample
        width = max(60, min(p.width() for p in self.plots()) - 50)  # minus the y axis
        step = max(self._window_s / width, MIN_REDRAW_INTERVAL_S)
        if not force and now - self._drawn_at < step - 0.05:  # sample times jitter: 0.999 s is "a second"
            return
        self._drawn_at = now
        self.redraws += 1
        h = self.history
        self.cpu_plot.update_series(now, {"cpu": h.series("cpu")})
        ram_t, ram = h.series("ram_used")
        swap_t, swap = h.series("swap_used")
        total = h.latest("ram_total")
        self.mem_plot.update_series(
            now,
            {"ram_used": (ram_t, ram / GIB), "swap_used": (swap_t, swap / GIB)},
            y_max=total / GIB if math.isfinite(total) else None,
        )
        for card in self._gpu_cards.values():
            p = f"gpu{card.index}."
            t, used = h.series(p + "mem_used")
            _, capacity = h.series(p + "mem_total")
            with np.errstate(invalid="ignore", divide="ignore"):
                mem_pct = 100.0 * used / capacity  # VRAM as a share of the card: shares the load plot's % axis
            card.load_plot.update_series(now, {p + "util": h.series(p + "util"), p + "mem_pct": (t, mem_pct)})
            card.heat_plot.update_series(now, {k: h.series(k) for k in (p + "power", p + "temp")})
        if self._phases:
            for plot in self.plots():
                plot.update_phases(now, self._phases)
