"""Desktop integration: the shipped .desktop and AppStream files validate; install-desktop installs and removes."""

from __future__ import annotations

import argparse
import configparser
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpuwise.cli import main
from gpuwise.cli.commands.desktop import (
    DESKTOP_FILE,
    METAINFO_FILE,
    desktop_entry,
    exec_argument,
    install,
    run,
    targets,
    uninstall,
)
from gpuwise.core.errors import UserInputError
from gpuwise.core.resources import resource_path
from tests.system_tools import require

DESKTOP = resource_path(DESKTOP_FILE)
METAINFO = resource_path(METAINFO_FILE)


def _validate_desktop(path: Path) -> None:
    done = subprocess.run([require("desktop-file-validate"), str(path)], capture_output=True, text=True, timeout=60)
    # Errors fail with status 1; hints and warnings only print: a clean file prints nothing at all.
    assert done.returncode == 0 and not done.stdout.strip() and not done.stderr.strip(), done.stdout + done.stderr


def _entry(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text(encoding="utf-8"))
    return dict(parser["Desktop Entry"])


def unquote_exec(value: str) -> list[str]:
    """An Exec value split into arguments, by the Desktop Entry spec (string escapes first, then quoting)."""
    value = re.sub(r"\\(.)", lambda m: {"s": " ", "n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), value)
    args, i = [], 0
    while i < len(value):
        if value[i] == " ":
            i += 1
            continue
        if value[i] == '"':
            out, i = [], i + 1
            while value[i] != '"':
                if value[i] == "\\":
                    i += 1
                out.append(value[i])
                i += 1
            args.append("".join(out).replace("%%", "%"))
            i += 1
        else:
            j = value.find(" ", i)
            j = len(value) if j < 0 else j
            args.append(value[i:j] if value[i:j] == "%f" else value[i:j].replace("%%", "%"))
            i = j
    return args


def test_the_shipped_desktop_entry_validates() -> None:
    _validate_desktop(DESKTOP)
    entry = _entry(DESKTOP)
    assert entry["Version"] == "1.4"  # what Debian 12's validator knows; the entry uses nothing newer
    assert entry["Icon"] == "io.github.gpuwise"


def test_the_appstream_metainfo_validates_and_matches_the_entry() -> None:
    done = subprocess.run(
        [require("appstreamcli"), "validate", "--no-net", "--pedantic", str(METAINFO)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("launchable") == DESKTOP_FILE
    assert root.findtext("icon") == _entry(DESKTOP)["Icon"]
    assert root.findtext("id") == DESKTOP_FILE.removesuffix(".desktop")


def test_install_and_uninstall_for_this_user(tmp_path: Path) -> None:
    command = [str(tmp_path / "my apps" / "gpuwise $HOME"), "gui"]  # a space and a $: both must be quoted
    t = install(tmp_path, command)
    assert t == targets(tmp_path)
    assert t.desktop == tmp_path / "applications" / "io.github.gpuwise.desktop"
    assert t.icon == tmp_path / "icons" / "hicolor" / "scalable" / "apps" / "io.github.gpuwise.svg"
    assert t.metainfo.read_bytes() == METAINFO.read_bytes()
    assert ET.parse(t.icon).getroot().tag.endswith("svg")
    _validate_desktop(t.desktop)
    entry = _entry(t.desktop)
    assert unquote_exec(entry["Exec"]) == [*command, "%f"]
    assert entry["TryExec"] == command[0]
    assert uninstall(tmp_path) == list(t.all())
    assert not any(p.exists() for p in t.all())
    assert uninstall(tmp_path) == []


@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40))
def test_any_argument_survives_the_exec_quoting(arg: str) -> None:
    assert unquote_exec(exec_argument(arg) + " %f") == [arg, "%f"]


def test_the_command_installs_under_xdg_data_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert main(["install-desktop"]) == 0
    out = capsys.readouterr().out
    installed = tmp_path / "data" / "applications" / DESKTOP_FILE
    assert f"installed {installed}" in out and installed.exists()
    exec_args = unquote_exec(_entry(installed)["Exec"])
    assert exec_args[-2:] == ["gui", "%f"] and Path(exec_args[0]).is_absolute()
    assert main(["install-desktop", "--uninstall"]) == 0
    assert f"removed {installed}" in capsys.readouterr().out
    assert not installed.exists()
    assert main(["install-desktop", "--uninstall"]) == 0
    assert "nothing to remove" in capsys.readouterr().out


def test_a_relative_xdg_data_home_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gpuwise.cli.commands.desktop import data_home

    assert data_home({"XDG_DATA_HOME": "rel/dir", "HOME": str(tmp_path)}) == tmp_path / ".local" / "share"
    assert data_home({"XDG_DATA_HOME": str(tmp_path / "x"), "HOME": "/nowhere"}) == tmp_path / "x"


def test_other_systems_are_told_what_to_do_instead() -> None:
    with pytest.raises(UserInputError, match="Windows and macOS"):
        run(argparse.Namespace(uninstall=False), platform="win32")


def test_an_unwritable_data_home_is_one_readable_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(UserInputError, match="cannot write"):
        install(blocker, ["/usr/bin/gpuwise", "gui"])


def test_desktop_entry_rewrites_only_exec_and_tryexec() -> None:
    template = DESKTOP.read_text(encoding="utf-8")
    out = desktop_entry(template, ["/opt/gpuwise/gpuwise", "gui"])
    changed = [(a, b) for a, b in zip(template.splitlines(), out.splitlines(), strict=True) if a != b]
    assert changed == [
        ("Exec=gpuwise gui %f", "Exec=/opt/gpuwise/gpuwise gui %f"),
        ("TryExec=gpuwise", "TryExec=/opt/gpuwise/gpuwise"),
    ]
