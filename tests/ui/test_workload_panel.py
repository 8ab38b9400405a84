"""The workload panel: log sliders, live architecture/memory/ETA, devices, sweeps, keyboard, settings."""

from __future__ import annotations

import re
from typing import Any

import pytest
from PySide6.QtCore import Qt

from gpuwise.core.bench import memory
from gpuwise.core.devices import GpuDevice
from gpuwise.ui.log_slider import LogSlider, human_count, log_stops
from gpuwise.ui.settings import Settings
from gpuwise.ui.sweep_range import log_points
from gpuwise.ui.workload_panel import WorkloadPanel
from tests.ui.conftest import fake_inventory

GIB = 1 << 30


@pytest.fixture
def panel(qtbot: Any, settings: Settings) -> WorkloadPanel:
    p = WorkloadPanel(settings)
    qtbot.addWidget(p)
    p.resize(360, 900)
    p.show()
    return p


def test_human_labels_and_round_log_stops() -> None:
    assert human_count(25_000_000) == "25 M"
    assert human_count(1_500) == "1.5 k"
    assert human_count(10_000_000_000) == "10 B"
    assert human_count(100) == "100"
    stops = log_stops(1_000, 10_000_000_000)
    assert stops[0] == 1_000 and stops[-1] == 10_000_000_000
    assert 25_000_000 in stops and len(stops) == 71  # 10 round stops a decade, 7 decades
    assert log_stops(100, 100_000_000)[-1] == 100_000_000


def test_sweep_points_are_log_spaced_and_round() -> None:
    assert log_points(10_000, 1_000_000, 3) == [10_000, 100_000, 1_000_000]
    assert log_points(1_000, 1_000_000, 4) == [1_000, 10_000, 100_000, 1_000_000]
    assert log_points(5_000, 5_000, 3) == [5_000]
    pts = log_points(1_000, 25_000_000, 5)
    assert pts[0] == 1_000 and pts[-1] == 25_000_000 and pts == sorted(pts)


def test_keyboard_moves_the_sliders_and_updates_labels_and_estimates(qtbot: Any, panel: WorkloadPanel) -> None:
    panel.model_slider.set_real_value(1_000_000)
    panel.refresh_estimates()
    arch_before = panel.arch_label.text()
    panel.model_slider.slider.setFocus()
    with qtbot.waitSignal(panel.estimatesUpdated, timeout=2000):
        qtbot.keyClick(panel.model_slider.slider, Qt.Key.Key_Right)
    assert panel.params() == 1_200_000
    assert panel.model_slider.text() == "1.2 M params"
    with qtbot.waitSignal(panel.estimatesUpdated, timeout=2000):
        qtbot.keyClick(panel.model_slider.slider, Qt.Key.Key_PageUp)
    assert panel.params() == 12_000_000  # PageUp: one decade
    assert panel.model_slider.text() == "12 M params"
    assert panel.arch_label.text() != arch_before
    exact = re.search(r"exactly ([\d,]+) parameters", panel.arch_label.text())
    assert exact is not None and abs(int(exact.group(1).replace(",", "")) - 12_000_000) < 1_200_000
    with qtbot.waitSignal(panel.estimatesUpdated, timeout=2000):
        qtbot.keyClick(panel.data_slider.slider, Qt.Key.Key_PageDown)
    assert panel.samples() == 10_000
    assert panel.data_slider.text() == "10 k samples"
    assert "about" in panel.eta_label.text() and "estimate" in panel.eta_label.text()
    assert panel.fit_text("cpu").startswith("fits")


def test_family_choice_changes_the_architecture(panel: WorkloadPanel) -> None:
    panel.family_combo.setCurrentIndex(panel.family_combo.findData("transformer"))
    panel.refresh_estimates()
    assert "Transformer" in panel.arch_label.text()
    assert panel.plan().family == "transformer"
    panel.family_combo.setCurrentIndex(panel.family_combo.findData("cnn"))
    panel.refresh_estimates()
    assert "CNN" in panel.arch_label.text()


def test_a_model_too_big_for_memory_says_does_not_fit(monkeypatch: pytest.MonkeyPatch, panel: WorkloadPanel) -> None:
    monkeypatch.setattr(memory, "available_memory", lambda device: 8 * GIB)
    panel._cpu_avail = (0.0, None)
    panel.model_slider.set_real_value(10_000_000_000)
    panel.refresh_estimates()
    text = panel.fit_text("cpu")
    assert text.startswith("does not fit") and "8 GiB free" in text
    assert "10 B params" in panel.memory_title.text()
    panel.model_slider.set_real_value(10_000)
    panel.refresh_estimates()
    assert panel.fit_text("cpu").startswith("fits")


def test_the_plan_follows_the_choices_and_the_sweeps(panel: WorkloadPanel) -> None:
    panel.model_slider.set_real_value(1_000_000)
    panel.data_slider.set_real_value(100_000)
    panel.batch_combo.setCurrentIndex(panel.batch_combo.findData(64))
    panel.epochs_spin.setValue(3)
    panel.precision_combo.setCurrentIndex(panel.precision_combo.findData("bf16"))
    panel.budget_spin.setValue(60)
    plan = panel.plan()
    assert plan.params == [10_000, 100_000, 1_000_000]  # default sweep: two decades below, up to the choice
    assert plan.samples == [1_000, 10_000, 100_000]
    assert (plan.batch_size, plan.epochs, plan.precisions, plan.budget_s) == (64, 3, ["bf16"], 60.0)
    assert plan.devices == ["cpu"]
    panel.model_sweep.enabled_box.setChecked(False)
    panel.data_sweep.points_spin.setValue(2)
    plan = panel.plan()
    assert plan.params == [1_000_000] and plan.samples == [1_000, 100_000]


def test_a_bad_sweep_range_is_explained_and_blocks_run(qtbot: Any, panel: WorkloadPanel) -> None:
    with qtbot.waitSignal(panel.validityChanged, timeout=2000) as blocker:
        panel.model_sweep.from_edit.setText("lots")
        panel.refresh_estimates()
    assert blocker.args == [False]
    assert not panel.is_valid() and not panel.run_button.isEnabled()
    assert "not a number" in panel.error_label.text()
    with qtbot.assertNotEmitted(panel.runRequested):
        panel.request_run()
    panel.model_sweep.from_edit.setText("50G")
    panel.refresh_estimates()
    assert "out of range" in panel.error()
    panel.model_sweep.from_edit.setText("2k")
    panel.refresh_estimates()
    assert panel.is_valid() and panel.run_button.isEnabled()
    with qtbot.waitSignal(panel.runRequested, timeout=2000) as run:
        panel.run_button.click()
    assert run.args[0].params[0] == 2_000


def test_devices_without_a_gpu_show_a_disabled_box_with_the_reason(panel: WorkloadPanel) -> None:
    assert "Looking for GPUs" in panel.gpu_note()
    panel.set_inventory(fake_inventory())
    box = panel.device_box("gpu")
    assert box is not None and not box.isEnabled() and not box.isChecked()
    assert "NVML" in box.toolTip()
    assert "No usable GPU" in panel.gpu_note_label.text()
    assert panel.devices() == ["cpu"]


def test_a_gpu_becomes_a_choice_with_its_own_memory_check(panel: WorkloadPanel, settings: Settings) -> None:
    gpu = GpuDevice("cuda:0", "NVIDIA Test 24GB", "cuda", 24 * GIB, "8.9", "550", "12.4")
    panel.set_inventory(fake_inventory([gpu]))
    box = panel.device_box("cuda:0")
    assert box is not None and box.isEnabled() and "NVIDIA Test 24GB" in box.text()
    box.setChecked(True)
    panel.refresh_estimates()
    assert panel.plan().devices == ["cpu", "cuda:0"]
    assert panel.fit_text("cuda:0").startswith("fits") and "24 GiB total" in panel.fit_text("cuda:0")
    assert settings.get_str_list("workload/devices", []) == ["cpu", "cuda:0"]
    panel.device_box("cpu").setChecked(False)  # type: ignore[union-attr]
    panel.device_box("cuda:0").setChecked(False)  # type: ignore[union-attr]
    panel.refresh_estimates()
    assert not panel.is_valid() and "at least one device" in panel.error()


def test_every_choice_is_remembered(qtbot: Any, panel: WorkloadPanel, settings: Settings) -> None:
    panel.family_combo.setCurrentIndex(panel.family_combo.findData("cnn"))
    panel.model_slider.set_real_value(2_500_000)
    panel.data_slider.set_real_value(30_000)
    panel.batch_combo.setCurrentIndex(panel.batch_combo.findData(256))
    panel.epochs_spin.setValue(7)
    panel.precision_combo.setCurrentIndex(panel.precision_combo.findData("fp16"))
    panel.budget_spin.setValue(45)
    panel.micro_box.setChecked(False)
    panel.data_sweep.points_spin.setValue(5)
    panel.refresh_estimates()
    again = WorkloadPanel(settings)
    qtbot.addWidget(again)
    assert again.family() == "cnn"
    assert again.params() == 2_500_000 and again.samples() == 30_000
    assert (again.batch_size(), again.epochs(), again.precision()) == (256, 7, "fp16")
    assert again.budget_spin.value() == 45 and not again.micro_box.isChecked()
    assert again.plan() == panel.plan()


def test_garbage_in_the_settings_falls_back_to_defaults(qtbot: Any, settings: Settings) -> None:
    settings.set("workload/params", "a lot")
    settings.set("workload/family", "rnn")
    settings.set("workload/batch", 3)
    settings.set("workload/epochs", -4)
    p = WorkloadPanel(settings)
    qtbot.addWidget(p)
    assert (p.params(), p.family(), p.batch_size(), p.epochs()) == (1_000_000, "mlp", 128, 10)


def test_log_slider_keeps_values_beyond_a_c_int(qtbot: Any) -> None:
    s = LogSlider("Model size", 1_000, 10_000_000_000, 1_000)
    qtbot.addWidget(s)
    with qtbot.waitSignal(s.realValueChanged, timeout=1000) as blocker:
        s.set_real_value(10e9)
    assert blocker.args == [10_000_000_000]
