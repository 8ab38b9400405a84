"""``gpuwise plot``: a chart of a saved report without a display; bad input exits 2 with one line and no file."""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from gpuwise.cli.commands.plot import run
from gpuwise.core.errors import UserInputError
from gpuwise.core.report import Report, save_report
from gpuwise.ui.qt import QtGui
from tests.charts.samples import synthetic_report

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def report_path(tmp_path: Path) -> Path:
    path = tmp_path / "report.json"
    save_report(synthetic_report(), path)
    return path


def _headless_env() -> dict[str, str]:
    """No display and no platform chosen: `gpuwise plot` must pick offscreen by itself."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _gpuwise(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gpuwise", "plot", *args],
        capture_output=True,
        text=True,
        env=_headless_env(),
        cwd=REPO,
        timeout=60,
    )


def _args(report: Path | str, out: Path | str, **kw: Any) -> argparse.Namespace:
    values = {
        "chart": "epoch-time",
        "size": "1600x1000",
        "price_ratio": "3",
        "cpu_price": None,
        "gpu_price": None,
        "preset": None,
        "billing": None,
        "gpu": None,
        "model_size": None,
        "metric": "epoch",
        "samples": None,
    }
    values.update(kw)
    return argparse.Namespace(report=str(report), out=str(out), **values)


def test_plot_writes_a_png_without_a_display(report_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "speedup.png"
    done = _gpuwise(str(report_path), "--chart", "speedup", "--out", str(out), "--size", "640x400")
    assert done.returncode == 0, done.stderr
    assert f"wrote {out}" in done.stdout
    image = QtGui.QImage(str(out))
    assert (image.width(), image.height()) == (640, 400)


def test_plot_writes_an_svg_and_never_imports_torch(report_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "matmul.svg"
    code = (
        "import sys; from gpuwise.cli import main; "
        f"rc = main(['plot', {str(report_path)!r}, '--chart', 'matmul', '--out', {str(out)!r}]); "
        "print('torch loaded' if 'torch' in sys.modules else 'no torch'); sys.exit(rc)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_headless_env(), cwd=REPO, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "no torch" in done.stdout
    root = ET.fromstring(out.read_bytes())
    tags = {el.tag.rsplit("}", 1)[-1] for el in root.iter()}
    assert {"svg", "polyline"} <= tags


@pytest.mark.parametrize(
    ("case", "extra", "message"),
    [
        ("missing report", ["--chart", "speedup"], "no such file"),
        ("malformed report", [], "not valid JSON"),
        ("unknown chart", ["--chart", "pie"], "unknown chart 'pie'"),
        ("bad size", ["--size", "abc"], "size 'abc'"),
        ("bad ratio", ["--price-ratio", "-2"], "price ratio"),
        ("unwritable out", [], "does not exist"),
        ("unknown extension", [], "'.jpg' is not an image format"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_file(
    report_path: Path, tmp_path: Path, case: str, extra: list[str], message: str
) -> None:
    report, out = report_path, tmp_path / "chart.png"
    if case == "missing report":
        report = tmp_path / "nope.json"
    elif case == "malformed report":
        report = tmp_path / "broken.json"
        report.write_text("{not json")
    elif case == "unwritable out":
        out = tmp_path / "no-such-folder" / "chart.png"
    elif case == "unknown extension":
        out = tmp_path / "chart.jpg"
    before = set(tmp_path.rglob("*"))
    done = _gpuwise(str(report), "--out", str(out), *extra)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gpuwise: error:") and message in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    assert set(tmp_path.rglob("*")) == before


def test_run_in_process_writes_the_chart(qapp: Any, report_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "epoch.svg"
    assert run(_args(report_path, out, size="400x300")) == 0
    assert ET.fromstring(out.read_bytes()).tag.endswith("svg")


def test_run_refuses_a_report_with_nothing_to_draw(qapp: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    rep = synthetic_report([])
    save_report(Report(machine=rep.machine, points=[], micro=[], created=rep.created), empty)
    with pytest.raises(UserInputError, match="nothing to draw"):
        run(_args(empty, tmp_path / "x.png", chart="speedup"))
    assert not (tmp_path / "x.png").exists()


def test_run_refuses_bad_values_before_reading_anything(tmp_path: Path) -> None:
    for kw, match in (
        ({"chart": "bars"}, "unknown chart"),
        ({"size": "12"}, "WIDTHxHEIGHT"),
        ({"price_ratio": "cheap"}, "not a number"),
    ):
        with pytest.raises(UserInputError, match=match):
            run(_args(tmp_path / "missing.json", tmp_path / "x.png", **kw))
    with pytest.raises(UserInputError, match="no extension"):
        run(_args(tmp_path / "missing.json", tmp_path / "chart"))


def test_run_explains_a_speedup_without_any_gpu(qapp: Any, tmp_path: Path) -> None:
    cpu_only = tmp_path / "cpu.json"
    rep = synthetic_report()
    save_report(dataclasses.replace(rep, points=[p for p in rep.points if p.device == "cpu"]), cpu_only)
    with pytest.raises(UserInputError, match="a speedup needs a GPU"):
        run(_args(cpu_only, tmp_path / "x.png", chart="speedup"))
    assert run(_args(cpu_only, tmp_path / "epoch.png", size="300x200")) == 0  # the other charts still draw


def test_plot_picks_the_model_size_and_metric(qapp: Any, tmp_path: Path) -> None:
    from gpuwise.core.resources import resource_path

    example = resource_path("example-h200-xeon16-mlp.json")
    out = tmp_path / "train.png"
    assert run(_args(example, out, model_size="10M", metric="train")) == 0
    assert QtGui.QImage(str(out)).width() == 1600
    with pytest.raises(UserInputError, match=r"not in the report \(it has 99.7k, 1M, 10M, 50M\)"):
        run(_args(example, tmp_path / "x.png", model_size="7"))
    assert not (tmp_path / "x.png").exists()


def test_speedup_of_a_cpu_only_report_draws_the_verdicts_estimated_gpus_at_their_own_prices(tmp_path: Path) -> None:
    from tests.core.test_verdict_consistency import _report

    path = tmp_path / "cpu.json"
    save_report(_report(0.02, None, 0.02, 12_800, 0.0), path)
    out = tmp_path / "speedup.svg"
    args = _args(
        path,
        out,
        chart="speedup",
        price_ratio=None,
        cpu_price="0.357",
        gpu_price=None,
        preset=None,
        billing=None,
        gpu="T4,H100-SXM",
    )
    assert run(args) == 0  # a CPU-only report: the app draws estimated GPUs, and so does plot
    svg = out.read_text()
    assert "T4 (estimate)" in svg and "H100 SXM (estimate)" in svg
    assert "break-even 1.5×" in svg and "break-even 8.4×" in svg  # $0.526 and $2.99 against $0.357
