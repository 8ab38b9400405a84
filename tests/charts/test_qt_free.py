"""The chart models load without Qt, pyqtgraph, the UI, the CLI or torch, so the tests in this folder need no
QApplication (they run with ``-p no:pytestqt``) and ``gpuwise plot`` checks its input before Qt starts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import gpuwise.charts
from gpuwise.charts.names import CHART_NAMES

REPO = Path(__file__).resolve().parents[2]
CHARTS = Path(gpuwise.charts.__file__).parent
FORBIDDEN = ("PySide6", "pyqtgraph", "shiboken6", "gpuwise.ui", "gpuwise.cli", "torch")


def test_importing_every_chart_module_and_building_every_chart_loads_no_qt_ui_cli_or_torch() -> None:
    modules = sorted(f"gpuwise.charts.{p.stem}" for p in CHARTS.glob("*.py") if p.stem != "__init__")
    assert len(modules) >= 10 and "gpuwise.charts.build" in modules, "the chart modules were not found"
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "from gpuwise.charts.build import build_model\n"
        "from gpuwise.charts.model import ChartInputs\n"
        "from gpuwise.charts.names import CHART_NAMES\n"
        "from tests.charts.samples import ddp_points, estimate_points, synthetic_report\n"
        "r = synthetic_report()\n"
        "inputs = ChartInputs(r.points, estimate_points(), r.micro, r.machine, scaling_points=ddp_points())\n"
        "drawn = [n for n in CHART_NAMES if build_model(n, inputs).has_data]\n"
        "print(json.dumps({'drawn': drawn, 'loaded': sorted(sys.modules)}))\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120, check=False
    )
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout.splitlines()[-1])
    loaded = set(data["loaded"])
    assert set(modules) <= loaded
    assert data["drawn"] == list(CHART_NAMES)  # the check below saw real work
    assert sorted(m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)) == []
