"""Typed access to the app's QSettings.

QSettings hands values back as strings on some back ends (INI files on Linux) and as native types on others
(the Windows registry, macOS plists), and a hand-edited or older settings file can hold anything. Every getter
here returns the requested type or the default, never raises, so a bad setting can never stop the app from
starting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, QTemporaryDir

from gpuwise.core.errors import UserInputError
from gpuwise.core.safe_json import MAX_SMALL_FILE_BYTES, is_missing, read_regular_file

ORGANIZATION = "gpuwise"
APPLICATION = "gpuwise"


class Settings:
    """A thin, forgiving wrapper. ``qsettings`` is injectable so tests never touch the user's real settings."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.problem = ""  # why the saved settings were set aside, for the window to say once
        if qsettings is None:
            self.problem = _check_settings_file(_default_settings_file())
            qsettings = _scratch_settings() if self.problem else QSettings(ORGANIZATION, APPLICATION)
        self._s = qsettings

    @classmethod
    def at_path(cls, path: str) -> Settings:
        """Settings kept in one INI file (tests, portable installs)."""
        problem = _check_settings_file(Path(path))
        settings = cls(_scratch_settings() if problem else QSettings(path, QSettings.Format.IniFormat))
        settings.problem = problem
        return settings

    @property
    def qsettings(self) -> QSettings:
        return self._s

    def contains(self, key: str) -> bool:
        return bool(self._s.contains(key))

    def set(self, key: str, value: Any) -> None:
        if isinstance(value, bool):
            # INI files store bools as "true"/"false"; store ints so every back end reads the same thing.
            value = int(value)
        self._s.setValue(key, value)

    def remove(self, key: str) -> None:
        self._s.remove(key)

    def sync(self) -> None:
        self._s.sync()

    def _raw(self, key: str) -> Any:
        return self._s.value(key) if self._s.contains(key) else None

    def get_int(self, key: str, default: int, *, lo: int | None = None, hi: int | None = None) -> int:
        raw = self._raw(key)
        try:
            v = int(float(raw)) if raw is not None and not isinstance(raw, bool) else default
        except (TypeError, ValueError, OverflowError):
            v = default
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            return default
        return v

    def get_float(self, key: str, default: float, *, lo: float | None = None, hi: float | None = None) -> float:
        raw = self._raw(key)
        try:
            v = float(raw) if raw is not None and not isinstance(raw, bool) else default
        except (TypeError, ValueError, OverflowError):
            v = default
        if v != v or (lo is not None and v < lo) or (hi is not None and v > hi):  # v != v: NaN
            return default
        return v

    def get_bool(self, key: str, default: bool) -> bool:
        raw = self._raw(key)
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int):
            return raw != 0
        if isinstance(raw, str):
            low = raw.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
        return default

    def get_str(self, key: str, default: str, *, choices: tuple[str, ...] | list[str] | None = None) -> str:
        raw = self._raw(key)
        v = raw if isinstance(raw, str) else default
        if choices is not None and v not in choices:
            return default
        return v

    def get_str_list(self, key: str, default: list[str]) -> list[str]:
        raw = self._raw(key)
        if isinstance(raw, str):
            # QSettings gives a one-element list back as a plain string on INI back ends.
            return [p for p in raw.split(",") if p] if raw else []
        if isinstance(raw, (list, tuple)) and all(isinstance(x, str) for x in raw):
            return list(raw)
        return list(default)

    def set_str_list(self, key: str, values: list[str]) -> None:
        # A comma-joined string reads back identically on every back end (lists of one do not).
        self._s.setValue(key, ",".join(values))

    def get_bytes(self, key: str) -> QByteArray | None:
        raw = self._raw(key)
        if isinstance(raw, QByteArray):
            return raw
        if isinstance(raw, bytes):
            return QByteArray(raw)
        return None


# -- a settings file that must not be read -----------------------------------------------------------------------

_SCRATCH: list[QTemporaryDir] = []  # kept alive for the process: the scratch settings live there


def _default_settings_file() -> Path | None:
    """The file QSettings(ORGANIZATION, APPLICATION) reads, found without reading it (None: not a file, e.g. the
    Windows registry). A probe under another name costs one missing-file lookup."""
    probe = QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, ORGANIZATION, "gpuwise-probe")
    name = Path(probe.fileName())
    if not name.is_absolute() or not name.suffix:
        return None
    return name.with_name(APPLICATION + name.suffix)


def _check_settings_file(path: Path | None) -> str:
    """Empty when Qt may read ``path`` (or there is none); else why not. Qt reads a settings file whole when it
    opens it: a FIFO there hung the app before its window showed. The same checks as every untrusted file."""
    if path is None:
        return ""
    try:
        read_regular_file(path, what="settings file", max_bytes=MAX_SMALL_FILE_BYTES)
    except UserInputError as e:
        return "" if is_missing(e) else f"{e}; gpuwise starts with default settings and leaves the file alone"
    return ""


def _scratch_settings() -> QSettings:
    folder = QTemporaryDir()
    _SCRATCH.append(folder)
    return QSettings(str(Path(folder.path()) / "settings.ini"), QSettings.Format.IniFormat)
