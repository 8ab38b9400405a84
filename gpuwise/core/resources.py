"""Data files shipped in ``resources/`` (installed as the ``gpuwise.resources`` package)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

_REPO_RESOURCES = Path(__file__).resolve().parents[2] / "resources"


def resource_path(name: str) -> Path:
    """The path of a shipped resource, from the installed package or, in a source checkout, the repo."""
    try:
        candidate = Path(str(resources.files("gpuwise.resources").joinpath(name)))
        if candidate.exists():
            return candidate
    except ModuleNotFoundError:
        pass
    return _REPO_RESOURCES / name


def load_json_resource(name: str) -> Any:
    with resource_path(name).open(encoding="utf-8") as f:
        return json.load(f)
