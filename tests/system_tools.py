"""System programs some tests need (rsvg-convert, desktop-file-validate, appstreamcli).

Missing on a developer's machine: the test is skipped and says which Debian package has the program. Missing in CI
(``CI`` set, as .ci/run runs, which installs them): the test fails, so a broken install cannot pass quietly.
"""

from __future__ import annotations

import os
import shutil

import pytest

DEBIAN_PACKAGE = {
    "rsvg-convert": "librsvg2-bin",
    "desktop-file-validate": "desktop-file-utils",
    "appstreamcli": "appstream",
}


def require(program: str) -> str:
    """The path of ``program``; skips the test (fails it in CI) when it is not installed."""
    path = shutil.which(program)
    if path:
        return path
    why = f"{program} is not installed (Debian package {DEBIAN_PACKAGE.get(program, program)})"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{why}: .ci/run should have installed it")
    pytest.skip(why)
