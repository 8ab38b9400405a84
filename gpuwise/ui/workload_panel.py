"""The workload panel: what to train (model family and size), on what data, where, and how long to measure.

Everything it shows live — the architecture, the memory each device needs, the run's ETA — comes from pure-Python
core functions (no torch), recomputed on a short debounce so dragging a slider never stutters. Its product is a
:class:`~gpuwise.core.bench.sweep.SweepPlan`.
"""

from __future__ import annotations

import html
import time
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gpuwise.core.bench import families, memory, workloads
from gpuwise.core.bench.sweep import MAX_SAMPLES, MIN_SAMPLES, SweepPlan, estimate_plan_seconds, validate_plan
from gpuwise.core.devices import CpuInfo, DeviceInventory, cpu_info
from gpuwise.core.errors import UserInputError
from gpuwise.core.units import format_bytes, format_duration
from gpuwise.ui.log_slider import LogSlider, human_count
from gpuwise.ui.settings import Settings
from gpuwise.ui.sweep_range import SweepRange

# the picker's entries, in the registry's order (labels live in the registry)
FAMILY_LABELS = tuple((key, families.picker_label(key)) for key in families.names())
CUSTOM = "custom"
PRECISION_LABELS = (
    ("fp32", "fp32 (full precision)"),
    ("tf32", "tf32 (NVIDIA tensor cores)"),
    ("bf16", "bf16 (mixed precision)"),
    ("fp16", "fp16 (mixed precision)"),
)
BATCH_SIZES = tuple(2**k for k in range(0, 14))  # 1 … 8192
DEFAULTS: dict[str, Any] = {
    "family": "mlp",
    "params": 1_000_000,
    "samples": 100_000,
    "batch": 128,
    "epochs": 10,
    "precision": "fp32",
    "budget_s": 30,
    "micro": True,
}
DEBOUNCE_MS = 40
FIT_COLORS = {"fits": "#22a35a", "tight": "#f08c00", "no": "#e5484d"}


def _badge(text: str, color: str) -> str:
    return f"<span style='color: white; background-color: {color}; font-weight: bold'>&nbsp;{text}&nbsp;</span>"


class WorkloadPanel(QWidget):
    planChanged = Signal(object)  # SweepPlan, after the debounce
    runRequested = Signal(object)  # SweepPlan
    validityChanged = Signal(bool)
    estimatesUpdated = Signal()  # the live labels were refreshed (tests wait on it)

    def __init__(self, settings: Settings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._inventory: DeviceInventory | None = None
        self._cpu: CpuInfo = cpu_info()  # no torch; cached by core after the first call
        self._device_boxes: dict[str, QCheckBox] = {}
        self._gpu_note = "Looking for GPUs…"
        self._valid = True
        self._error = ""
        self._eta_s: float | None = None
        self._loading = True
        self._cpu_avail: tuple[float, int | None] = (0.0, None)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.refresh_estimates)

        self._build_ui()
        self._restore()
        self._loading = False
        self.refresh_estimates()

    # -- construction --------------------------------------------------------------------------------------

    def _build_ui(self) -> None:
        # Model
        self.family_combo = QComboBox()
        # The longest model name would otherwise set the whole panel's width (~420 px) and the dock, at 360 px,
        # would cut every row on the right: the closed combo shows what fits, the open list shows names in full.
        self.family_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.family_combo.setMinimumContentsLength(16)
        for key, label in FAMILY_LABELS:
            self.family_combo.addItem(label, key)
        self.family_combo.setToolTip(
            "The kind of network to train: a family sized by the slider, a model people "
            "know, or your own (a Python file with a build() function)"
        )
        self._custom_source: str | None = None
        self._last_family = "mlp"
        self.model_slider = LogSlider(
            "Model size",
            workloads.MIN_PARAMS,
            workloads.MAX_PARAMS,
            DEFAULTS["params"],
            fmt=lambda v: f"{human_count(v)} params",
        )
        self.model_sweep = SweepRange("model size", workloads.MIN_PARAMS, workloads.MAX_PARAMS)
        self.arch_label = QLabel()
        self.arch_label.setWordWrap(True)
        self.arch_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.arch_label.setToolTip("The network that will be built for the chosen size")
        model_box = QGroupBox("Model")
        ml = QVBoxLayout(model_box)
        ml.addWidget(self.family_combo)
        ml.addWidget(self.model_slider)
        # the input-size knob of a model with one (image size, sequence length); hidden for the others
        self.input_label = QLabel()
        self.input_spin = QSpinBox()
        self.input_spin.setAccelerated(True)
        self.input_spin.setToolTip("The input size the model trains on: its native size by default")
        self._input_sizes: dict[str, int] = {}
        input_row = QHBoxLayout()
        input_row.addWidget(self.input_label)
        input_row.addWidget(self.input_spin, 1)
        self.input_row = QWidget()
        self.input_row.setLayout(input_row)
        input_row.setContentsMargins(0, 0, 0, 0)
        self.input_row.setVisible(False)
        self.input_spin.valueChanged.connect(self._on_input_size)
        ml.addWidget(self.input_row)
        ml.addWidget(self.model_sweep)
        ml.addWidget(self.arch_label)

        # Data and training
        self.data_slider = LogSlider(
            "Dataset size",
            MIN_SAMPLES,
            MAX_SAMPLES,
            DEFAULTS["samples"],
            fmt=lambda v: f"{human_count(v)} samples",
        )
        self.data_sweep = SweepRange("dataset size", MIN_SAMPLES, MAX_SAMPLES)
        self.data_label = QLabel()
        self.data_label.setWordWrap(True)
        self.batch_combo = QComboBox()
        for b in BATCH_SIZES:
            self.batch_combo.addItem(str(b), b)
        self.batch_combo.setToolTip("Samples per training step")
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(1, 100_000)
        self.epochs_spin.setToolTip("Passes over the dataset: time-to-train is epochs × epoch time + overhead")
        self.precision_combo = QComboBox()
        for key, label in PRECISION_LABELS:
            self.precision_combo.addItem(label, key)
        self.precision_combo.setToolTip("Number format for training (mixed precision keeps fp32 weights)")
        data_box = QGroupBox("Data and training")
        dl = QVBoxLayout(data_box)
        dl.addWidget(self.data_slider)
        dl.addWidget(self.data_sweep)
        dl.addWidget(self.data_label)
        form = QGridLayout()
        form.setContentsMargins(0, 4, 0, 0)
        form.addWidget(QLabel("Batch size"), 0, 0)
        form.addWidget(self.batch_combo, 0, 1)
        form.addWidget(QLabel("Epochs"), 0, 2)
        form.addWidget(self.epochs_spin, 0, 3)
        form.addWidget(QLabel("Precision"), 1, 0)
        form.addWidget(self.precision_combo, 1, 1, 1, 3)
        form.setColumnStretch(1, 1)
        form.setColumnStretch(3, 1)
        dl.addLayout(form)

        # Devices
        self.devices_box = QGroupBox("Devices to compare")
        self._devices_layout = QVBoxLayout(self.devices_box)
        cpu_box = QCheckBox(f"CPU · {self._cpu.physical_cores} cores")
        cpu_box.setToolTip(self._cpu.model)
        cpu_box.setChecked(True)
        self._add_device_box("cpu", cpu_box)
        self.gpu_note_label = QLabel(self._gpu_note)
        self.gpu_note_label.setWordWrap(True)
        self.gpu_note_label.setEnabled(False)
        small = self.gpu_note_label.font()
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.9))
        self.gpu_note_label.setFont(small)
        self._devices_layout.addWidget(self.gpu_note_label)
        self.ddp_spin = QSpinBox()
        self.ddp_spin.setObjectName("ddp-processes")
        self.ddp_spin.setRange(1, 64)
        self.ddp_spin.setSpecialValueText("off")
        self.ddp_spin.setSuffix(" processes")
        self.ddp_spin.setToolTip(
            "Data-parallel scaling: train each size with DistributedDataParallel across 1, 2, 4, … N processes "
            "(gloo on the CPU, which then shares its cores between them; NCCL with one GPU each) and chart the "
            "throughput and efficiency against the number of processes"
        )
        ddp_row = QHBoxLayout()
        ddp_row.setContentsMargins(0, 0, 0, 0)
        ddp_label = QLabel("Data-parallel")
        ddp_label.setBuddy(self.ddp_spin)
        ddp_row.addWidget(ddp_label)
        ddp_row.addWidget(self.ddp_spin, 1)
        self._devices_layout.addLayout(ddp_row)

        # Measuring
        self.budget_spin = QSpinBox()
        self.budget_spin.setRange(5, 24 * 3600)
        self.budget_spin.setSingleStep(10)
        self.budget_spin.setSuffix(" s")
        self.budget_spin.setToolTip(
            "Total time to spend measuring (the time budget); each point gets a share of it. Longer budgets give "
            "tighter confidence intervals."
        )
        self.micro_box = QCheckBox("+ micro-benchmarks")
        self.micro_box.setToolTip(
            "Also measure raw matmul speed (GFLOP/s) and memory bandwidth of each device, within the budget"
        )

        # Live estimates
        self.fit_labels: dict[str, tuple[QLabel, QLabel]] = {}
        self.fit_grid = QGridLayout()
        self.fit_grid.setContentsMargins(0, 0, 0, 0)
        self.fit_grid.setColumnStretch(1, 1)
        self.memory_title = QLabel()
        self.memory_title.setWordWrap(True)
        self.eta_label = QLabel()
        self.eta_label.setWordWrap(True)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #e5484d; font-weight: bold;")
        self.error_label.setVisible(False)

        self.run_button = QPushButton("Run comparison")
        self.run_button.setToolTip("Measure every size on every chosen device (Ctrl+R)")
        font = self.run_button.font()
        font.setBold(True)
        self.run_button.setFont(font)
        self.run_button.setMinimumHeight(32)
        self.run_button.clicked.connect(self.request_run)

        content = QWidget()
        cl = QVBoxLayout(content)
        cl.setContentsMargins(6, 6, 6, 6)
        for w in (model_box, data_box, self.devices_box):
            cl.addWidget(w)
        cl.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll, 1)
        # The live estimates stay in view below the scrolling inputs: they answer "can I run this, and how
        # long will it take?" while the sliders move, whatever the window height.
        footer = QFrame()
        footer.setFrameShape(QFrame.Shape.StyledPanel)
        fl = QVBoxLayout(footer)
        fl.setContentsMargins(8, 6, 8, 8)
        fl.setSpacing(4)
        budget_row = QHBoxLayout()
        budget_row.setContentsMargins(0, 0, 0, 0)
        budget_row.addWidget(QLabel("Measure for"))
        budget_row.addWidget(self.budget_spin)
        budget_row.addWidget(self.micro_box)
        budget_row.addStretch(1)
        fl.addLayout(budget_row)
        fl.addWidget(self.memory_title)
        fl.addLayout(self.fit_grid)
        fl.addWidget(self.eta_label)
        fl.addWidget(self.error_label)
        fl.addWidget(self.run_button)
        outer.addWidget(footer)
        self.setMinimumWidth(330)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)

        # Cheap label updates happen at once (LogSlider); the estimates wait for the debounce.
        self.family_combo.currentIndexChanged.connect(self._on_family)
        self.model_slider.realValueChanged.connect(self._on_model_slider)
        self.data_slider.realValueChanged.connect(self._on_data_slider)
        self.model_sweep.changed.connect(self._changed)
        self.data_sweep.changed.connect(self._changed)
        self.batch_combo.currentIndexChanged.connect(self._changed)
        self.epochs_spin.valueChanged.connect(self._changed)
        self.precision_combo.currentIndexChanged.connect(self._changed)
        self.budget_spin.valueChanged.connect(self._changed)
        self.micro_box.toggled.connect(self._changed)
        self.ddp_spin.valueChanged.connect(self._changed)

    def _add_device_box(self, device: str, box: QCheckBox) -> None:
        self._device_boxes[device] = box
        box.toggled.connect(self._changed)
        self._devices_layout.insertWidget(len(self._device_boxes) - 1, box)

    # -- settings ------------------------------------------------------------------------------------------

    def _restore(self) -> None:
        s = self._settings
        get_int = (lambda k, d, lo, hi: s.get_int(k, d, lo=lo, hi=hi)) if s else (lambda k, d, lo, hi: d)
        # your own model is never reloaded from settings: its code runs only when you choose it
        choices = tuple(f for f in families.names() if f != CUSTOM)
        family = s.get_str("workload/family", DEFAULTS["family"], choices=choices) if s else "mlp"
        self._last_family = family
        self.family_combo.setCurrentIndex(max(0, self.family_combo.findData(family)))
        self._on_family(self.family_combo.currentIndex())
        self.model_slider.set_real_value(
            get_int("workload/params", DEFAULTS["params"], workloads.MIN_PARAMS, workloads.MAX_PARAMS)
        )
        self.data_slider.set_real_value(get_int("workload/samples", DEFAULTS["samples"], MIN_SAMPLES, MAX_SAMPLES))
        batch = get_int("workload/batch", DEFAULTS["batch"], 1, 65536)
        idx = self.batch_combo.findData(batch)
        self.batch_combo.setCurrentIndex(idx if idx >= 0 else self.batch_combo.findData(DEFAULTS["batch"]))
        self.epochs_spin.setValue(get_int("workload/epochs", DEFAULTS["epochs"], 1, 100_000))
        prec = s.get_str("workload/precision", "fp32", choices=[k for k, _ in PRECISION_LABELS]) if s else "fp32"
        self.precision_combo.setCurrentIndex(max(0, self.precision_combo.findData(prec)))
        self.budget_spin.setValue(get_int("workload/budget_s", DEFAULTS["budget_s"], 5, 24 * 3600))
        self.micro_box.setChecked(s.get_bool("workload/micro", True) if s else True)
        self.ddp_spin.setValue(get_int("workload/ddp", 1, 1, 64))
        for key, sweep, slider in (
            ("params", self.model_sweep, self.model_slider),
            ("samples", self.data_sweep, self.data_slider),
        ):
            sweep.enabled_box.setChecked(s.get_bool(f"workload/sweep_{key}", True) if s else True)
            sweep.points_spin.setValue(get_int(f"workload/sweep_{key}_points", 3, 2, 12))
            sweep.follow(slider.real_value())
            if s is not None and s.contains(f"workload/sweep_{key}_from"):
                sweep.from_edit.setText(s.get_str(f"workload/sweep_{key}_from", sweep.from_edit.text()))
                sweep.to_edit.setText(s.get_str(f"workload/sweep_{key}_to", sweep.to_edit.text()))
        self._wanted_devices = s.get_str_list("workload/devices", ["cpu"]) if s else ["cpu"]
        self._device_boxes["cpu"].setChecked("cpu" in self._wanted_devices or len(self._wanted_devices) == 0)

    def save_settings(self) -> None:
        """Store every choice now (they are also stored on each debounced refresh)."""
        if self._debounce.isActive():
            self.refresh_estimates()  # saves as well
        else:
            self._save()

    def _save(self) -> None:
        s = self._settings
        if s is None:
            return
        s.set("workload/family", self.family())
        s.set("workload/params", self.model_slider.real_value())
        s.set("workload/samples", self.data_slider.real_value())
        s.set("workload/batch", self.batch_size())
        s.set("workload/epochs", self.epochs_spin.value())
        s.set("workload/precision", self.precision())
        s.set("workload/budget_s", self.budget_spin.value())
        s.set("workload/micro", self.micro_box.isChecked())
        s.set("workload/ddp", self.ddp_spin.value())
        for key, sweep in (("params", self.model_sweep), ("samples", self.data_sweep)):
            s.set(f"workload/sweep_{key}", sweep.is_enabled())
            s.set(f"workload/sweep_{key}_points", sweep.points_spin.value())
            s.set(f"workload/sweep_{key}_from", sweep.from_edit.text())
            s.set(f"workload/sweep_{key}_to", sweep.to_edit.text())
        if self._inventory is not None:  # before discovery, unchecked GPUs are unknown, not deselected
            s.set_str_list("workload/devices", self.devices())

    # -- reading the choices -------------------------------------------------------------------------------

    def family(self) -> str:
        return str(self.family_combo.currentData())

    def model_options(self) -> dict[str, Any]:
        if self.family() == CUSTOM:
            return {"source": self._custom_source} if self._custom_source else {}
        opt = families.get(self.family()).input_option
        return {opt.key: self._input_sizes.get(self.family(), opt.default)} if opt is not None else {}

    def params(self) -> int:
        if not workloads.is_resizable(self.family()):  # its own size, which the slider only shows
            return int(workloads.build_spec(self.family(), workloads.MIN_PARAMS, self.model_options())["params"])
        return self.model_slider.real_value()

    def choose_custom_model(self, path: str | None = None, function: str = "build") -> bool:
        """Load your own model from ``path`` (asks with a file dialog when None); False when not loaded."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self, "Your model: a Python file with a build() function", "", "Python files (*.py)"
            )
            if not path:
                return False
        from gpuwise.core.bench.families import custom

        try:
            spec = custom.load(f"{path}:{function}")
        except UserInputError as e:
            box = QMessageBox(
                QMessageBox.Icon.Warning,
                "Your model could not be loaded",
                "gpuwise could not use this model:",
                parent=self,
            )
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.setInformativeText(str(e))
            box.setObjectName("custom-model-error")
            box.open()
            self.custom_error_box = box
            return False
        self._custom_source = str(spec["source"])
        idx = self.family_combo.findData(CUSTOM)
        self.family_combo.setItemText(idx, f"Your model: {spec.get('name', path)}")
        return True

    def _on_family(self, _index: int) -> None:
        fam = self.family()
        if fam == CUSTOM and not self._loading and not self.choose_custom_model():
            self.family_combo.blockSignals(True)
            self.family_combo.setCurrentIndex(max(0, self.family_combo.findData(self._last_family)))
            self.family_combo.blockSignals(False)
            return
        self._last_family = self.family()
        opt = families.get(self.family()).input_option
        self.input_row.setVisible(opt is not None)
        if opt is not None:
            self.input_spin.blockSignals(True)
            self.input_spin.setRange(opt.lo, opt.hi)
            self.input_spin.setSingleStep(opt.step)
            self.input_spin.setSuffix(f" {opt.unit}")
            self.input_spin.setValue(self._input_sizes.get(self.family(), opt.default))
            self.input_spin.blockSignals(False)
            self.input_label.setText(opt.label)
        self._show_fixed_size()
        self._changed()

    def _show_fixed_size(self) -> None:
        fixed = not workloads.is_resizable(self.family())
        self.model_slider.set_fixed(self.params() if fixed else None)
        self.model_sweep.setEnabled(not fixed)

    def _on_input_size(self, value: int) -> None:
        opt = families.get(self.family()).input_option
        if opt is None:
            return
        snapped = max(opt.lo, min(opt.hi, round(value / opt.step) * opt.step))
        if snapped != value:  # a typed size off the model's grid (ViT: multiples of its 16-pixel patches)
            self.input_spin.setValue(snapped)
            return
        self._input_sizes[self.family()] = value
        self._show_fixed_size()
        self._changed()

    def samples(self) -> int:
        return self.data_slider.real_value()

    def batch_size(self) -> int:
        return int(self.batch_combo.currentData())

    def epochs(self) -> int:
        return int(self.epochs_spin.value())

    def precision(self) -> str:
        return str(self.precision_combo.currentData())

    def devices(self) -> list[str]:
        return [d for d, box in self._device_boxes.items() if box.isEnabled() and box.isChecked()]

    def device_box(self, device: str) -> QCheckBox | None:
        return self._device_boxes.get(device)

    def is_valid(self) -> bool:
        return self._valid

    def error(self) -> str:
        return self._error

    def eta_seconds(self) -> float | None:
        return self._eta_s

    def plan(self) -> SweepPlan:
        """The sweep the current choices describe. Raises UserInputError when a typed range is malformed."""
        return SweepPlan(
            family=self.family(),
            model_options=self.model_options(),
            params=self.model_sweep.values(self.params()) if workloads.is_resizable(self.family()) else [self.params()],
            samples=self.data_sweep.values(self.samples()),
            batch_size=self.batch_size(),
            epochs=self.epochs(),
            precisions=[self.precision()],
            devices=self.devices(),
            budget_s=float(self.budget_spin.value()),
            micro=self.micro_box.isChecked(),
            ddp=self.ddp_spin.value() if self.ddp_spin.value() > 1 else 0,
        )

    # -- devices -------------------------------------------------------------------------------------------

    def set_inventory(self, inventory: DeviceInventory) -> None:
        """Device discovery finished (it imports torch, so it runs in the background after the window shows)."""
        self._inventory = inventory
        self._cpu = inventory.cpu
        for gpu in inventory.gpus:
            if gpu.id in self._device_boxes:
                continue
            mem = f", {format_bytes(gpu.memory_total)}" if gpu.memory_total else ""
            box = QCheckBox(f"{gpu.id} · {gpu.name}{mem}")
            box.setToolTip(f"{gpu.name} ({gpu.backend}{mem})")
            box.setChecked(gpu.id in self._wanted_devices)
            self._add_device_box(gpu.id, box)
        if inventory.gpus:
            note = "\n".join(inventory.notes)
        else:
            note = "No usable GPU here: " + (" ".join(inventory.notes) or "none was found.")
            # A disabled box says plainly that the GPU column will be missing, and why (tooltip).
            if "gpu" not in self._device_boxes:
                box = QCheckBox("GPU · not available")
                box.setEnabled(False)
                box.setChecked(False)
                self._add_device_box("gpu", box)
            self._device_boxes["gpu"].setToolTip(note)
        self._gpu_note = note
        self.gpu_note_label.setText(note)
        self.gpu_note_label.setVisible(bool(note))
        self.refresh_estimates()

    def set_discovery_failed(self, message: str) -> None:
        self._gpu_note = f"Could not look for GPUs: {message}"
        self.gpu_note_label.setText(self._gpu_note)

    def gpu_note(self) -> str:
        return self._gpu_note

    # -- live estimates ------------------------------------------------------------------------------------

    def _on_model_slider(self, value: int) -> None:
        self.model_sweep.follow(value)
        self._changed()

    def _on_data_slider(self, value: int) -> None:
        self.data_sweep.follow(value)
        self._changed()

    def _changed(self, *_args: object) -> None:
        if not self._loading:
            self._debounce.start()

    def _available(self, device: str) -> int | None:
        if device == "cpu" or device == "mps":
            # psutil is cheap, but not free: refresh at most every two seconds while dragging
            at, value = self._cpu_avail
            now = time.monotonic()
            if value is None or now - at > 2.0:
                value = memory.available_memory("cpu")
                self._cpu_avail = (now, value)
            return value
        if self._inventory is not None:
            for g in self._inventory.gpus:
                if g.id == device:
                    # Total, not free: asking torch for free VRAM would create a CUDA context in the GUI.
                    return g.memory_total
        return None

    def refresh_estimates(self) -> None:
        self._debounce.stop()
        fam = self.family()
        spec = workloads.build_spec(fam, self.params(), self.model_options())
        fixed = "" if workloads.is_resizable(fam) else " (the model's own size)"
        self.arch_label.setText(
            f"<b>Builds:</b> {html.escape(workloads.describe(spec))}<br>exactly {spec['params']:,} parameters{fixed}"
        )
        bytes_per = workloads.input_bytes_per_sample(spec)
        self.data_label.setText(
            f"Synthetic data, {format_bytes(bytes_per * self.samples())} in RAM for {self.samples():,} samples"
        )
        error = ""
        plan: SweepPlan | None = None
        try:
            plan = self.plan()
            if not plan.devices:
                raise UserInputError("choose at least one device")
            inventory = self._inventory or DeviceInventory(cpu=self._cpu)
            plan = validate_plan(plan, inventory)
        except UserInputError as e:
            error = str(e)
            plan = None
        self.model_sweep.set_error("sweep" in error and "model" in error)
        self.data_sweep.set_error("sweep" in error and "dataset" in error)
        self._update_fit(fam, plan)
        if plan is not None:
            self._eta_s = estimate_plan_seconds(plan)
            n = len(plan.params) * len(plan.samples) * len(plan.devices) * len(plan.precisions)
            if plan.ddp:
                from gpuwise.core.bench.ddp import SPAWN_S, world_sizes

                sizes = world_sizes(plan.ddp)
                self._eta_s += SPAWN_S
                self.eta_label.setText(
                    f"<b>Run time:</b> about {format_duration(self._eta_s)} (estimate) for {n * len(sizes)} "
                    f"data-parallel points ({', '.join(map(str, sizes))} processes)"
                )
            else:
                self.eta_label.setText(
                    f"<b>Run time:</b> about {format_duration(self._eta_s)} (estimate) for {n} point"
                    f"{'s' if n != 1 else ''}" + (" and micro-benchmarks" if plan.micro else "")
                )
        else:
            self._eta_s = None
            self.eta_label.setText("<b>Run time:</b> –")
        self._error = error
        self.error_label.setText(error)
        self.error_label.setVisible(bool(error))
        valid = not error
        self.run_button.setEnabled(valid)
        if valid != self._valid:
            self._valid = valid
            self.validityChanged.emit(valid)
        self._save()
        if plan is not None:
            self.planChanged.emit(plan)
        self.estimatesUpdated.emit()

    def _fit_row(self, device: str) -> tuple[QLabel, QLabel]:
        row = self.fit_labels.get(device)
        if row is None:
            name = QLabel("CPU RAM" if device == "cpu" else device)
            value = QLabel()
            value.setWordWrap(True)
            value.setObjectName(f"fit-{device}")
            r = len(self.fit_labels)
            self.fit_grid.addWidget(name, r, 0, Qt.AlignmentFlag.AlignTop)
            self.fit_grid.addWidget(value, r, 1)
            row = self.fit_labels[device] = (name, value)
        return row

    def _update_fit(self, fam: str, plan: SweepPlan | None) -> None:
        largest = max(plan.params) if plan is not None else self.params()
        spec = workloads.build_spec(fam, largest, self.model_options())
        est = memory.estimate_training_memory(spec, self.batch_size(), precision=self.precision())
        which = "the largest model" if plan is not None and len(plan.params) > 1 else "this model"
        self.memory_title.setText(
            f"<b>Memory</b> for {which} ({human_count(largest)} params, batch {self.batch_size()}): "
            f"about {format_bytes(est.total)} (estimate)"
        )
        self.memory_title.setToolTip(
            f"weights {format_bytes(est.weights)}, gradients {format_bytes(est.gradients)}, optimizer state "
            f"{format_bytes(est.optimizer_state)}, activations {format_bytes(est.activations)}, batch "
            f"{format_bytes(est.batch)}, plus 20 % slack"
        )
        devices = [d for d, b in self._device_boxes.items() if b.isEnabled()]
        usable = getattr(memory, "USABLE_FRACTION", 0.85)
        for device in devices:
            avail = self._available(device)
            if avail is None:
                badge, detail = _badge("?", "#888888"), "free memory unknown"
            elif est.total <= avail * usable * 0.8:
                badge, detail = _badge("fits", FIT_COLORS["fits"]), f"{format_bytes(avail)} free"
            elif est.total <= avail * usable:
                badge, detail = _badge("tight", FIT_COLORS["tight"]), f"{format_bytes(avail)} free"
            else:
                fits = memory.largest_batch_that_fits(spec, int(avail * usable), precision=self.precision())
                hint = f"; batch ≤ {fits} would fit" if fits else ""
                badge, detail = _badge("does not fit", FIT_COLORS["no"]), f"{format_bytes(avail)} free{hint}"
            if device != "cpu" and avail is not None:
                detail = detail.replace("free", "total")
            _name, value = self._fit_row(device)
            value.setText(f"{badge} {detail}")

    def fit_text(self, device: str) -> str:
        """The fits / does-not-fit line for ``device`` (plain text, for tests and the status bar)."""
        from PySide6.QtGui import QTextDocument

        row = self.fit_labels.get(device)
        if row is None:
            return ""
        doc = QTextDocument()
        doc.setHtml(row[1].text())
        return " ".join(doc.toPlainText().replace("\xa0", " ").split())

    # -- running -------------------------------------------------------------------------------------------

    def request_run(self) -> None:
        self.refresh_estimates()
        if not self._valid:
            return
        self.runRequested.emit(self.plan())

    def set_running(self, running: bool) -> None:
        """While a run is in flight the controls are read-only (the plan being measured cannot change)."""
        for w in [*self.findChildren(QGroupBox), self.budget_spin, self.micro_box]:
            w.setEnabled(not running)
        self.run_button.setEnabled(not running and self._valid)
