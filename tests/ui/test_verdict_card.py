"""The verdict card: sentence and table from a report, editable and remembered prices, the GPU picker, copy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QTableWidgetItem
from pytestqt.qtbot import QtBot

from gpuwise.core.prices import PriceSettings, load_comparison, load_user_prices, save_user_prices
from gpuwise.core.report import Point
from gpuwise.ui.verdict_card import CARD_MIN_WIDTH, VerdictCard
from tests.core.test_verdict import cpu_report, gpu_report, point, report

REPO = Path(__file__).resolve().parents[2]
WAIT_MS = 5000


@pytest.fixture(autouse=True)
def private_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GPUWISE_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "config"


@pytest.fixture
def card(qtbot: QtBot) -> VerdictCard:
    c = VerdictCard()
    qtbot.addWidget(c)
    return c


def cell(card: VerdictCard, row: int, col: int) -> QTableWidgetItem:
    item = card.table.item(row, col)
    assert item is not None
    return item


def show(qtbot: QtBot, card: VerdictCard, r: object) -> None:
    with qtbot.waitSignal(card.verdictChanged, timeout=WAIT_MS):
        card.set_report(r)  # type: ignore[arg-type]


def test_without_a_report_there_is_nothing_to_copy(card: VerdictCard) -> None:
    assert card.verdict() is None
    assert "Run a comparison" in card.sentence_label.text()
    assert not card.copy_button.isEnabled()
    assert card.table.rowCount() == 0


def test_cpu_only_report_compares_with_the_default_gpus_as_estimates(qtbot: QtBot, card: VerdictCard) -> None:
    with (
        qtbot.waitSignal(card.comparisonChanged, timeout=WAIT_MS) as names,
        qtbot.waitSignal(card.estimatesChanged, timeout=WAIT_MS) as estimates,
        qtbot.waitSignal(card.pricesChanged, timeout=WAIT_MS) as prices,
    ):
        card.set_report(cpu_report())
    # the first verdict announces the prices it stands on (the window connected after construction)
    assert prices.args == pytest.approx([card.cpu_spin.value(), card.gpu_spin.value()], abs=1e-4)
    assert names.args == [["T4", "H100 SXM"]]
    assert card.comparison() == ["T4", "H100 SXM"]
    points = estimates.args[0]
    assert points and all(isinstance(p, Point) and p.estimated for p in points)
    assert {p.device for p in points} == {"T4", "H100 SXM"}
    v = card.verdict()
    assert v is not None and v.estimated
    assert card.sentence_label.text() == v.sentence and "(estimate)" in v.sentence
    assert card.table.rowCount() == 3
    cells = [cell(card, r, 0).text() for r in range(3)]
    assert cells == ["CPU", "T4\nestimate", "H100 SXM\nestimate"]
    assert cell(card, 1, 0).font().italic()
    assert "estimate: roofline" in cell(card, 1, 0).toolTip()
    details = card.details_label.text()
    assert "Break-even" in details and "idle hour" in details and "Memory:" in details
    assert card.compare_actions["T4"].isChecked() and card.compare_actions["H100 SXM"].isChecked()


def test_measured_gpu_rows_are_not_labeled_estimates(qtbot: QtBot, card: VerdictCard) -> None:
    card.set_prices(1.0, 2.0)
    show(qtbot, card, gpu_report(0.3, 0.1))
    assert cell(card, 1, 0).text() == "NVIDIA A100-SXM4-80GB"
    assert card.comparison() == []
    v = card.verdict()
    assert v is not None and not v.estimated


def test_prices_are_editable_signalled_and_remembered(qtbot: QtBot, card: VerdictCard, private_config: Path) -> None:
    show(qtbot, card, cpu_report())
    with qtbot.waitSignal(card.pricesChanged, timeout=WAIT_MS) as sig:
        card.set_prices(0.25, 1.5)
    assert sig.args == [0.25, 1.5]
    assert card.cpu_preset.currentData() == "" and card.gpu_preset.currentData() == ""  # "Custom"
    saved = load_user_prices()
    assert saved is not None and (saved.cpu_per_hour, saved.gpu_per_hour) == (0.25, 1.5)
    assert json.loads((private_config / "prices.json").read_text())["gpu_per_hour"] == 1.5
    qtbot.waitUntil(
        lambda: card.verdict() is not None and card.verdict().prices.gpu_per_hour == 1.5,  # type: ignore[union-attr]
        timeout=WAIT_MS,
    )
    # a new card (the next start of the app) comes up with them
    again = VerdictCard()
    qtbot.addWidget(again)
    assert (again.cpu_spin.value(), again.gpu_spin.value()) == (0.25, 1.5)


def test_spin_boxes_show_dollars_per_hour(card: VerdictCard) -> None:
    assert card.cpu_spin.suffix() == " $/h" and card.gpu_spin.suffix() == " $/h"
    assert card.cpu_spin.minimum() > 0


def test_choosing_a_gpu_preset_prices_that_gpu_and_adds_it(qtbot: QtBot, card: VerdictCard) -> None:
    show(qtbot, card, cpu_report())
    i = card.gpu_preset.findData("aws-g5.xlarge")
    assert i > 0
    with qtbot.waitSignal(card.pricesChanged, timeout=WAIT_MS) as sig:
        card.gpu_preset.setCurrentIndex(i)
    assert sig.args[1] == pytest.approx(1.006)
    assert card.gpu_spin.value() == pytest.approx(1.006)
    qtbot.waitUntil(lambda: "A10G" in card.comparison(), timeout=WAIT_MS)
    v = card.verdict()
    assert v is not None and v.primary == "A10G"
    assert "A10G" in card.price_note.text()


def test_editing_a_preset_price_switches_to_custom(qtbot: QtBot, card: VerdictCard) -> None:
    card.gpu_preset.setCurrentIndex(card.gpu_preset.findData("aws-g4dn.xlarge"))
    assert card.gpu_spin.value() == pytest.approx(0.526)
    card.gpu_spin.setValue(0.6)
    assert card.gpu_preset.currentData() == ""
    assert card.prices().gpu == "T4"  # the price is still for the T4


def test_compare_picker_changes_the_comparison(qtbot: QtBot, card: VerdictCard) -> None:
    show(qtbot, card, cpu_report())
    with qtbot.waitSignal(card.comparisonChanged, timeout=WAIT_MS) as sig:
        card.compare_actions["A100 80GB SXM"].setChecked(True)  # added to the default pair shown checked
    assert sig.args == [["T4", "A100 80GB SXM", "H100 SXM"]]
    with qtbot.waitSignal(card.comparisonChanged, timeout=WAIT_MS):
        card.set_comparison(["l4"])
    assert card.comparison() == ["T4", "L4"]  # the priced T4 stays: its price is what the sentence is about
    assert card.compare_actions["L4"].isChecked() and not card.compare_actions["H100 SXM"].isChecked()


def test_copy_verdict_puts_the_text_on_the_clipboard(qtbot: QtBot, card: VerdictCard) -> None:
    show(qtbot, card, cpu_report())
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(card.copy_button, Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]
    text = QGuiApplication.clipboard().text()
    assert text == card.verdict_text() and text.startswith(card.sentence_label.text())
    assert "How the non-measured numbers were made" in text


def test_report_without_cpu_points_is_explained_inline(qtbot: QtBot, card: VerdictCard) -> None:
    show(qtbot, card, report([point("cuda:0", 100_000, 0.01)]))
    assert card.verdict() is None
    assert "no measured CPU points" in card.sentence_label.text()
    assert not card.copy_button.isEnabled()


def test_workload_changes_recompute(qtbot: QtBot, card: VerdictCard) -> None:
    show(qtbot, card, cpu_report())
    with qtbot.waitSignal(card.verdictChanged, timeout=WAIT_MS):
        card.set_workload("mlp", 300_000, 1_000_000, 5, 128, "fp32")
    v = card.verdict()
    assert v is not None and v.workload.samples == 1_000_000 and v.workload.epochs == 5
    card.set_workload("mlp", 10, 100, 1, 128, "fp32")  # out of range: said inline, the card keeps working
    assert card.message_label.isVisibleTo(card) and "out of range" in card.message_label.text()


def test_damaged_saved_prices_fall_back_to_list_prices(qtbot: QtBot, private_config: Path) -> None:
    private_config.mkdir(parents=True)
    (private_config / "prices.json").write_text("{oops", encoding="utf-8")
    c = VerdictCard()
    qtbot.addWidget(c)
    assert c.gpu_spin.value() == pytest.approx(0.526)
    assert "using list prices" in c.message_label.text()


def test_saved_preset_prices_come_back_with_their_preset(qtbot: QtBot) -> None:
    save_user_prices(PriceSettings(0.357, 1.006, gpu_preset="aws-g5.xlarge", cpu_preset="aws-c7i.2xlarge", gpu="A10G"))
    c = VerdictCard()
    qtbot.addWidget(c)
    assert c.gpu_preset.currentData() == "aws-g5.xlarge" and c.cpu_preset.currentData() == "aws-c7i.2xlarge"
    assert c.prices().gpu == "A10G"


def test_the_card_never_imports_torch(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from gpuwise.ui.verdict_card import VerdictCard\n"
        "from tests.core.test_verdict import cpu_report\n"
        "c = VerdictCard(); c.set_report(cpu_report()); c.recompute()\n"
        "assert c.verdict() is not None\n"
        "print('torch' in sys.modules)\n"
    )
    env = {**os.environ, "GPUWISE_CONFIG_DIR": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    res = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "False"


def test_comparison_picks_are_remembered_across_launches(qtbot: QtBot, private_config: Path) -> None:
    first = VerdictCard()
    qtbot.addWidget(first)
    first.compare_actions["A10G"].setChecked(True)  # as a click in "Compare with…" does
    assert load_comparison() == ["A10G"]
    second = VerdictCard()  # the next launch
    qtbot.addWidget(second)
    assert second.compare_actions["A10G"].isChecked() and not second.compare_actions["T4"].isChecked()
    with qtbot.waitSignal(second.comparisonChanged, timeout=WAIT_MS) as names:
        second.set_report(cpu_report())
    assert "A10G" in names.args[0] and "H100 SXM" not in names.args[0]


def test_a_damaged_comparison_file_falls_back_to_the_default(qtbot: QtBot, private_config: Path) -> None:
    private_config.mkdir(parents=True, exist_ok=True)
    (private_config / "comparison.json").write_text("{broken", encoding="utf-8")
    c = VerdictCard()
    qtbot.addWidget(c)
    assert "default GPUs" in c.message_label.text()
    show(qtbot, c, cpu_report())
    assert c.comparison() == ["T4", "H100 SXM"]


def test_the_table_fits_the_minimum_width_without_scrolling(qtbot: QtBot, card: VerdictCard) -> None:
    card.resize(CARD_MIN_WIDTH, 700)
    card.show()
    qtbot.waitExposed(card)
    show(qtbot, card, cpu_report())
    header = card.table.horizontalHeader()
    assert header.length() <= card.table.viewport().width()
    for c in range(1, card.table.columnCount()):  # every column gets at least its content's width
        assert header.sectionSize(c) >= card.table.sizeHintForColumn(c)
    assert header.sectionSize(0) >= card.table.sizeHintForColumn(0) - 2
    assert cell(card, 1, 3).textAlignment() & Qt.AlignmentFlag.AlignRight
    assert card.legend_label.isVisible() and "estimate" in card.legend_label.text()
    assert "AWS" in card.gpu_preset.toolTip() or card.gpu_preset.currentIndex() == 0


def test_preset_combos_keep_full_names_in_tooltips(card: VerdictCard) -> None:
    combo = card.gpu_preset
    i = combo.findData("aws-g4dn.xlarge")
    combo.setCurrentIndex(i)
    assert "AWS g4dn.xlarge (1× T4)" in combo.toolTip() and "$0.526/h" in combo.toolTip()
    assert "AWS g4dn.xlarge (1× T4)" in combo.itemText(i)


def test_a_price_edit_reuses_the_estimates(qtbot: QtBot, card: VerdictCard) -> None:
    from gpuwise.core import estimate

    show(qtbot, card, cpu_report())
    cached = len(estimate._STEP_CACHE)
    assert cached > 0
    card.set_prices(0.2, 3.0)
    with qtbot.waitSignal(card.verdictChanged, timeout=WAIT_MS):
        pass
    assert len(estimate._STEP_CACHE) == cached  # prices only change costs and the sentence


def test_a_report_from_a_16_core_machine_prices_its_cpu_as_16_vcpus(card: VerdictCard, qtbot: QtBot) -> None:
    from gpuwise.core.prices import find_preset
    from gpuwise.core.report import load_report
    from gpuwise.core.resources import resource_path

    typed_before = card.cpu_preset.currentData()
    with qtbot.waitSignal(card.verdictChanged, timeout=WAIT_MS):
        card.set_report(load_report(resource_path("example-h200-xeon16-mlp.json")))
    preset = card.cpu_preset.currentData()
    assert preset and find_preset(preset).vcpus == 16
    assert card.cpu_spin.value() == pytest.approx(find_preset(preset).usd_per_hour, abs=1e-4)
    assert typed_before != preset or find_preset(typed_before).vcpus == 16


def test_the_gpu_price_box_shows_the_price_the_verdict_uses_and_for_which_gpu(card: VerdictCard, qtbot: QtBot) -> None:
    from gpuwise.core.report import load_report
    from gpuwise.core.resources import resource_path

    with qtbot.waitSignal(card.verdictChanged, timeout=WAIT_MS) as got:
        card.set_report(load_report(resource_path("example-h200-xeon16-mlp.json")))
    v = got.args[0]
    prim = v.primary_gpu
    assert prim is not None and prim.usd_per_hour is not None
    assert card.gpu_spin.value() == pytest.approx(prim.usd_per_hour, abs=1e-4)  # not the T4 preset's $0.526
    assert "H200" in card.gpu_spin.toolTip() and "H200" in card.price_note.text()
    assert card.prices().gpu_preset != v.prices.gpu_preset or card.prices().gpu == v.prices.gpu  # user's kept


def test_a_typed_cpu_price_survives_opening_a_report(card: VerdictCard) -> None:
    from gpuwise.core.report import load_report
    from gpuwise.core.resources import resource_path

    card.set_prices(0.42, 1.5)
    card.set_report(load_report(resource_path("example-h200-xeon16-mlp.json")))
    assert card.cpu_spin.value() == pytest.approx(0.42)
