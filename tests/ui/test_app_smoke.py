"""The bundle smoke test's switch (packaging/smoke.sh): the app builds its whole window, closes it and exits 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gpuwise.ui.app import SMOKE_ENV

REPO = Path(__file__).resolve().parents[2]


def test_the_smoke_switch_opens_the_full_window_and_exits_cleanly(tmp_path: Path) -> None:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        PYTHONPATH=str(REPO),
    )
    env[SMOKE_ENV] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "gpuwise", "gui"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )
    assert done.returncode == 0, done.stderr
    # the window really was built and closed: it saved its layout on the way out (torch loaded, devices found)
    assert list((tmp_path / "config").rglob("*.conf")) or list((tmp_path / "config").rglob("*.ini")), done.stderr
