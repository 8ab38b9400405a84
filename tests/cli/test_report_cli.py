"""``gpuwise report``: an HTML file without a display and without torch; bad input exits 2 with one line."""

from __future__ import annotations

import html
import os
import subprocess
import sys
from pathlib import Path

from gpuwise.core.resources import resource_path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = str(resource_path("example-h200-xeon16-mlp.json"))


def _gpuwise(*args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    """`gpuwise ARGS` with no display and no platform chosen: the command must pick offscreen by itself."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-c", code] if code else [sys.executable, "-m", "gpuwise", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=120)


def test_report_writes_html_without_a_display_or_torch(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    code = (
        "import sys; from gpuwise.cli import main; "
        f"rc = main(['report', {EXAMPLE!r}, '--out', {str(out)!r}]); "
        "print('torch loaded' if 'torch' in sys.modules else 'no torch'); sys.exit(rc)"
    )
    done = _gpuwise(code=code)
    assert done.returncode == 0, done.stderr
    assert f"wrote {out}" in done.stdout and "no torch" in done.stdout
    doc = out.read_text(encoding="utf-8")
    assert doc.startswith("<!DOCTYPE html>") and doc.count("<svg") == 4
    assert "A GPU pays" in doc  # the verdict of the shipped H200 example


def test_price_options_are_those_of_advise(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    done = _gpuwise("report", EXAMPLE, "--out", str(out), "--cpu-price", "0.5", "--gpu-price", "10")
    assert done.returncode == 0, done.stderr
    advise = _gpuwise("advise", EXAMPLE, "--cpu-price", "0.5", "--gpu-price", "10")
    sentence = advise.stdout.splitlines()[0]
    doc = out.read_text(encoding="utf-8")
    assert html.escape(sentence) in doc and "CPU $0.5/h (your price), GPU $10/h (your price)" in doc


def test_bad_input_exits_2_with_one_line_and_no_file(tmp_path: Path) -> None:
    cases = [
        ([EXAMPLE, "--out", str(tmp_path / "r.pdf")], "is not .html"),
        ([str(tmp_path / "missing.json"), "--out", str(tmp_path / "r.html")], "no such file"),
        ([EXAMPLE, "--out", str(tmp_path / "no-folder" / "r.html")], "does not exist"),
        ([EXAMPLE, "--out", str(tmp_path / "r.html"), "--cpu-price", "cheap"], "is not a number"),
    ]
    for args, why in cases:
        done = _gpuwise("report", *args)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.count("\n") == 1 and why in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []
