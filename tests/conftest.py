"""Test-wide settings: GUI tests run offscreen; torch stays on few threads so the suite fits a 2-core box."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Hypothesis's per-example deadline is a timing assertion: on a shared 2-core machine one slow example (336 ms
# against 200 ms, seen here under load) failed a test that was right. Tests state behaviour, not speed.
settings.register_profile("gpuwise", deadline=None)
settings.load_profile("gpuwise")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test (and every subprocess it starts) keeps its run history in its own temp folder."""
    folder = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("GPUWISE_DATA_DIR", str(folder))
    yield folder
