"""Test-wide settings: GUI tests run offscreen; torch stays on few threads so the suite fits a 2-core box."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test (and every subprocess it starts) keeps its run history in its own temp folder."""
    folder = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("GPUWISE_DATA_DIR", str(folder))
    yield folder
