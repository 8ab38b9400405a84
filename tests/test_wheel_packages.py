"""The wheel lists its packages by hand (resources/ ships as gpuwise.resources): every package folder under
gpuwise/ must be in that list, or an installed gpuwise fails to import it while the checkout works."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_every_package_folder_ships_in_the_wheel() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["packages"])
    folders = {".".join(init.parent.relative_to(REPO).parts) for init in (REPO / "gpuwise").rglob("__init__.py")}
    assert {"gpuwise", "gpuwise.charts", "gpuwise.core"} <= folders  # the walk found the tree
    assert sorted(folders - listed) == []
