"""The model picker: known models show their fixed size; "Your model…" loads a file only when the user picks it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from gpuwise.core.bench import families
from gpuwise.ui.settings import Settings
from gpuwise.ui.workload_panel import WorkloadPanel

GOOD = """
import torch
from torch import nn

def build():
    return nn.Sequential(nn.Flatten(), nn.Linear(12, 64), nn.ReLU(), nn.Linear(64, 4)), torch.randn(1, 12)
"""


@pytest.fixture
def panel(qtbot: Any, settings: Settings) -> WorkloadPanel:
    families.forget()
    p = WorkloadPanel(settings)
    qtbot.addWidget(p)
    p.show()
    return p


def _pick_file(monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (path, "")))


def test_every_registered_model_is_in_the_picker(panel: WorkloadPanel) -> None:
    keys = [panel.family_combo.itemData(i) for i in range(panel.family_combo.count())]
    assert keys == list(families.names())
    assert panel.family_combo.itemText(keys.index("resnet50")) == families.picker_label("resnet50")


def test_a_known_model_shows_its_fixed_size(panel: WorkloadPanel) -> None:
    before = panel.params()
    panel.family_combo.setCurrentIndex(panel.family_combo.findData("resnet18"))
    panel.refresh_estimates()
    assert not panel.model_slider.isEnabled()
    assert panel.params() == 11_689_512
    assert panel.model_slider.text() == "11.7 M params (fixed)"
    assert "ResNet-18" in panel.arch_label.text() and "the model's own size" in panel.arch_label.text()
    assert panel.plan().params == [11_689_512]
    panel.family_combo.setCurrentIndex(panel.family_combo.findData("mlp"))
    assert panel.model_slider.isEnabled()
    assert panel.params() == before  # the family's own size comes back


def test_your_model_loads_the_chosen_file(
    panel: WorkloadPanel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "net.py"
    path.write_text(GOOD)
    _pick_file(monkeypatch, str(path))
    panel.family_combo.setCurrentIndex(panel.family_combo.findData("custom"))
    panel.refresh_estimates()
    assert panel.family() == "custom"
    assert "net.py:build" in panel.family_combo.currentText()
    plan = panel.plan()
    assert plan.model_options == {"source": f"{path}:build"}
    assert panel.params() == 12 * 64 + 64 + 64 * 4 + 4
    assert panel.is_valid()


def test_cancelling_the_dialog_keeps_the_previous_model(panel: WorkloadPanel, monkeypatch: pytest.MonkeyPatch) -> None:
    panel.family_combo.setCurrentIndex(panel.family_combo.findData("cnn"))
    _pick_file(monkeypatch, "")
    panel.family_combo.setCurrentIndex(panel.family_combo.findData("custom"))
    assert panel.family() == "cnn"


def test_an_error_in_your_code_is_a_plain_text_dialog(
    qtbot: Any, panel: WorkloadPanel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bad.py"
    path.write_text("def build():\n    raise ValueError('<b>not bold</b> broken')\n")
    _pick_file(monkeypatch, str(path))
    panel.family_combo.setCurrentIndex(panel.family_combo.findData("custom"))
    box = panel.custom_error_box
    qtbot.waitUntil(box.isVisible)
    assert box.textFormat() == Qt.TextFormat.PlainText
    assert "<b>not bold</b> broken" in box.informativeText() and "bad.py" in box.informativeText()
    assert panel.family() == "mlp"  # back to what was chosen before
    box.close()


def test_a_known_model_restored_from_settings_shows_its_own_size(qtbot: Any, settings: Settings) -> None:
    settings.set("workload/family", "resnet50")
    settings.set("workload/params", 20_000)
    p = WorkloadPanel(settings)
    qtbot.addWidget(p)
    assert p.model_slider.text() == "25.6 M params (fixed)"
    p.family_combo.setCurrentIndex(p.family_combo.findData("mlp"))
    assert p.params() == 20_000  # the saved size of the sized families comes back


def test_your_model_is_never_restored_from_settings(qtbot: Any, settings: Settings) -> None:
    settings.set("workload/family", "custom")
    p = WorkloadPanel(settings)
    qtbot.addWidget(p)
    assert p.family() == "mlp"


def test_an_input_size_knob_for_models_that_have_one(panel: WorkloadPanel) -> None:
    assert not panel.input_row.isVisibleTo(panel)
    panel.family_combo.setCurrentIndex(panel.family_combo.findData("vit_b_16"))
    assert panel.input_row.isVisibleTo(panel) and panel.input_spin.value() == 224
    native = panel.params()
    panel.input_spin.setValue(70)  # snapped to the 16-pixel patch grid
    assert panel.input_spin.value() == 64
    assert panel.plan().model_options == {"image_size": 64}
    assert panel.params() < native  # fewer positions to embed
    panel.refresh_estimates()
    assert "64×64" in panel.arch_label.text()
    panel.family_combo.setCurrentIndex(panel.family_combo.findData("gpt2_small"))
    assert panel.input_label.text() == "Sequence length" and panel.input_spin.value() == 256
    panel.family_combo.setCurrentIndex(panel.family_combo.findData("vit_b_16"))
    assert panel.input_spin.value() == 64  # remembered per model


def test_a_known_model_chosen_last_time_does_not_load_torch_before_the_window(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    ini = tmp_path / "s.ini"
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from gpuwise.ui.settings import Settings\n"
        "from gpuwise.ui.workload_panel import WorkloadPanel\n"
        f"s = Settings.at_path({str(ini)!r}); s.set('workload/family', 'resnet50')\n"
        "p = WorkloadPanel(s); p.show(); app.processEvents()\n"
        "assert p.family() == 'resnet50' and p.params() == 25_557_032, (p.family(), p.params())\n"
        "assert 'torch' not in sys.modules, 'torch was imported to show a known model'\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
