"""``gpuwise install-desktop [--uninstall]``: put gpuwise in the applications menu of a Linux desktop (this user).

Installs, following the freedesktop.org specs, under ``$XDG_DATA_HOME`` (default ``~/.local/share``):

- ``applications/io.github.gpuwise.desktop``: the launcher, whose Exec line names *this* gpuwise by its absolute
  path (a virtual environment's scripts are not on the desktop session's PATH; a bundle has no script at all);
- ``icons/hicolor/scalable/apps/io.github.gpuwise.svg``: the icon;
- ``metainfo/io.github.gpuwise.metainfo.xml``: the AppStream description software centres show.

``--uninstall`` removes exactly those files. Each file is written atomically. No Qt, no torch.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gpuwise.cli.options import Subparsers
from gpuwise.core.errors import UserInputError
from gpuwise.core.report import atomic_write_bytes
from gpuwise.core.resources import resource_path

APP_ID = "io.github.gpuwise"
DESKTOP_FILE = f"{APP_ID}.desktop"
METAINFO_FILE = f"{APP_ID}.metainfo.xml"
ICON_SOURCE = "gpuwise.svg"


def add_parser(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "install-desktop",
        help="add gpuwise to this user's applications menu on Linux (--uninstall removes it)",
        description="Install the launcher, icon and AppStream metadata of gpuwise for the current user "
        "($XDG_DATA_HOME, default ~/.local/share), so the app appears in the desktop's applications menu and "
        "opens gpuwise reports. The launcher starts this very gpuwise (its absolute path).",
    )
    p.add_argument("--uninstall", action="store_true", help="remove the files that install-desktop installed")
    p.set_defaults(func=run)


@dataclass(frozen=True)
class Targets:
    desktop: Path
    icon: Path
    metainfo: Path

    def all(self) -> tuple[Path, Path, Path]:
        return (self.desktop, self.icon, self.metainfo)


def data_home(env: dict[str, str] | None = None) -> Path:
    """``$XDG_DATA_HOME``, or ``~/.local/share`` when unset or relative (the spec says to ignore relative ones)."""
    env = dict(os.environ) if env is None else env
    value = env.get("XDG_DATA_HOME", "")
    if value and os.path.isabs(value):
        return Path(value)
    return Path(env.get("HOME") or Path.home()) / ".local" / "share"


def targets(home: Path) -> Targets:
    return Targets(
        desktop=home / "applications" / DESKTOP_FILE,
        icon=home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg",
        metainfo=home / "metainfo" / METAINFO_FILE,
    )


def launcher_command() -> list[str]:
    """How the desktop should start this gpuwise: the bundle, this environment's script, or ``python -m``."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "gui"]
    script = Path(sys.executable).parent / ("gpuwise.exe" if sys.platform == "win32" else "gpuwise")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script), "gui"]
    return [sys.executable, "-m", "gpuwise", "gui"]


_PLAIN_ARG = re.compile(r"[A-Za-z0-9_./+,:=@-]+")


def exec_argument(arg: str) -> str:
    """``arg`` quoted and escaped as the Desktop Entry spec wants inside an Exec value."""
    if _PLAIN_ARG.fullmatch(arg):
        quoted = arg
    else:
        inner = re.sub(r'(["`$\\])', r"\\\1", arg)
        quoted = f'"{inner}"'
    # then the value-level escapes of every desktop-file string: a backslash is written twice, % as %%
    return quoted.replace("\\", "\\\\").replace("%", "%%")


def desktop_entry(template: str, command: Sequence[str]) -> str:
    """The shipped desktop entry with Exec and TryExec pointing at ``command``."""
    exec_line = " ".join(exec_argument(a) for a in command) + " %f"
    out = []
    for line in template.splitlines():
        if line.startswith("Exec="):
            line = f"Exec={exec_line}"
        elif line.startswith("TryExec="):
            line = "TryExec=" + command[0].replace("\\", "\\\\")  # a path, not a command line: no quoting
        out.append(line)
    return "\n".join(out) + "\n"


def install(home: Path, command: Sequence[str]) -> Targets:
    t = targets(home)
    template = resource_path(DESKTOP_FILE).read_text(encoding="utf-8")
    files = {
        t.desktop: desktop_entry(template, command).encode("utf-8"),
        t.icon: resource_path(ICON_SOURCE).read_bytes(),
        t.metainfo: resource_path(METAINFO_FILE).read_bytes(),
    }
    for path, data in files.items():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, data)
        except OSError as e:
            raise UserInputError(f"cannot write {path}: {e.strerror or e}") from None
    _refresh_menu_cache(t.desktop.parent)
    return t


def uninstall(home: Path) -> list[Path]:
    """Remove what ``install`` wrote; returns the files that were there."""
    removed = []
    t = targets(home)
    for path in t.all():
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as e:
            raise UserInputError(f"cannot remove {path}: {e.strerror or e}") from None
        removed.append(path)
    if removed:
        _refresh_menu_cache(t.desktop.parent)
    return removed


def _refresh_menu_cache(applications: Path) -> None:
    """Let the desktop notice the MIME types at once (best effort: menus rescan on their own anyway)."""
    tool = shutil.which("update-desktop-database")
    if tool and applications.is_dir():
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            subprocess.run([tool, "-q", str(applications)], check=False, timeout=30, capture_output=True)


def run(args: argparse.Namespace, *, platform: str = sys.platform) -> int:
    if not platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        raise UserInputError(
            "install-desktop is for Linux and BSD desktops (freedesktop.org menus); on Windows and macOS use the app "
            "bundle (packaging/build.sh) or a shortcut to gpuwise-gui"
        )
    home = data_home()
    if args.uninstall:
        removed = uninstall(home)
        if not removed:
            print(f"nothing to remove: gpuwise is not installed in {home}")
        for path in removed:
            print(f"removed {path}")
        return 0
    command = launcher_command()
    t = install(home, command)
    for path in t.all():
        print(f"installed {path}")
    print(f"gpuwise is in the applications menu now; it starts: {' '.join(command)}")
    return 0
