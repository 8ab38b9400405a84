"""Data files shipped in ``resources/`` (installed as the ``gpuwise.resources`` package)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from gpuwise.core.safe_json import MAX_RESOURCE_BYTES, load_json_file

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
    # shipped files go through the bounded loader too: an installation can be damaged or tampered with
    return load_json_file(resource_path(name), what="gpuwise data file", max_bytes=MAX_RESOURCE_BYTES)
