"""Start the desktop app: ``gpuwise``, ``gpuwise gui [REPORT.json]`` and ``python -m gpuwise`` end up here.

Before Qt is asked for a window, a quick pre-flight check turns the two classic Linux failures — no display, and
the X11 (xcb) platform plugin missing system libraries — into one plain sentence and exit status 1, instead of
Qt's abort ("Could not load the Qt platform plugin xcb") and a core dump.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# Debian/Ubuntu package of each library Qt's xcb plugin needs beyond a base system (design.md).
XCB_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-util.so.1": "libxcb-util1",
}
ALL_XCB_PACKAGES = " ".join(dict.fromkeys(XCB_PACKAGES.values()))
# Set (to anything) by packaging/smoke.sh: the app closes its window as soon as it has fully started.
SMOKE_ENV = "GPUWISE_SMOKE_QUIT"


def _xcb_plugin() -> Path | None:
    try:
        import PySide6
    except ImportError:
        return None
    base = Path(PySide6.__file__).parent
    for candidate in (
        base / "Qt" / "plugins" / "platforms" / "libqxcb.so",
        base / "plugins" / "platforms" / "libqxcb.so",
    ):
        if candidate.exists():
            return candidate
    return None


def _load_library(path: str) -> None:
    import ctypes

    ctypes.CDLL(path)


def _can_connect(display: str) -> bool | None:
    """Whether an X server answers on ``display`` (None: cannot tell, e.g. libxcb itself is missing)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("xcb") or "libxcb.so.1"
    try:
        xcb = ctypes.CDLL(name)
    except OSError:
        return None
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    conn = xcb.xcb_connect(display.encode(), None)
    try:
        return conn is not None and xcb.xcb_connection_has_error(conn) == 0
    finally:
        if conn is not None:
            xcb.xcb_disconnect(conn)  # also frees the error object xcb hands back on failure


def xcb_problem(
    env: dict[str, str] | None = None,
    *,
    platform: str = sys.platform,
    plugin: Path | None = None,
    load: Callable[[str], Any] = _load_library,
    connect: Callable[[str], bool | None] = _can_connect,
) -> str | None:
    """Why Qt could not open a window here, in words, or None when it should work (or we cannot tell)."""
    env = dict(os.environ) if env is None else env
    if not platform.startswith("linux"):
        return None
    wanted = env.get("QT_QPA_PLATFORM", "").split(":")[0].strip().lower()
    if wanted and wanted != "xcb":
        return None  # offscreen, wayland, vnc…: Qt reports its own, rarer, failures
    if not wanted and env.get("WAYLAND_DISPLAY"):
        return None  # Qt tries Wayland first; it falls back to xcb on its own
    if not env.get("DISPLAY"):
        return (
            "gpuwise cannot open its window: no display was found (DISPLAY is not set). Run it from a desktop "
            "session, or use the command line (gpuwise bench, gpuwise plot) which needs no window."
        )
    plugin = plugin if plugin is not None else _xcb_plugin()
    if plugin is None:
        return None
    try:
        load(str(plugin))
    except OSError as e:
        text = str(e)
        missing = [lib for lib in XCB_PACKAGES if lib in text]
        named = ", ".join(missing) if missing else text
        packages = " ".join(XCB_PACKAGES[m] for m in missing) if missing else ALL_XCB_PACKAGES
        return (
            f"gpuwise cannot open its window: Qt's X11 (xcb) platform plugin needs system libraries that are "
            f"missing ({named}).\nOn Debian/Ubuntu install them with:\n  sudo apt install {packages}\n"
            f"(all of them: {ALL_XCB_PACKAGES}). The command line (gpuwise bench, gpuwise plot) works without them."
        )
    display = env["DISPLAY"]
    if connect(display) is False:
        # Qt would abort here with a misleading hint about xcb-cursor0; say what is actually wrong.
        return (
            f"gpuwise cannot open its window: no X server answers on display {display!r}. Is the desktop session "
            f"still running (over SSH: connect with -X)? The command line (gpuwise bench, gpuwise plot) needs no "
            f"window."
        )
    return None


def _report_arg(argv: Sequence[str]) -> str | None:
    for arg in argv:
        if arg and not arg.startswith("-"):
            return arg
    return None


QUIT_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")


def close_on_signals(window: Any) -> Callable[[], None]:
    """Make SIGINT/SIGTERM/SIGHUP close ``window`` (as its close button does); returns what puts them back."""
    previous: dict[int, Any] = {}
    for name in QUIT_SIGNALS:
        sig = getattr(signal, name, None)  # Windows has no SIGHUP
        if sig is not None:
            previous[sig] = signal.signal(sig, lambda *_: window.close())

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def main(argv: list[str] | None = None) -> int:
    """Open the window (and the report in ``argv``, if any); return the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    problem = xcb_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1

    # PySide6 only: pyqtgraph (~0.5 s) is imported by the window after its first paint (deferred start-up).
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    from PySide6 import QtCore, QtWidgets

    QtCore.QCoreApplication.setOrganizationName("gpuwise")
    QtCore.QCoreApplication.setOrganizationDomain("gpuwise.github.io")
    QtCore.QCoreApplication.setApplicationName("gpuwise")
    app = QtWidgets.QApplication.instance()
    if app is None:
        app = QtWidgets.QApplication([sys.argv[0] if sys.argv else "gpuwise"])
    assert isinstance(app, QtWidgets.QApplication)

    import gpuwise
    from gpuwise.ui.main_window import MainWindow, app_icon

    app.setApplicationVersion(gpuwise.__version__)
    app.setDesktopFileName("io.github.gpuwise")  # lets Wayland docks match the .desktop file and its icon
    app.setWindowIcon(app_icon())

    window = MainWindow(deferred=True, freeze_gc=True)
    window.show()
    report = _report_arg(args)
    if report:
        # After the first paint, so a large report never delays the window.
        QtCore.QTimer.singleShot(0, lambda: window.open_report(report))
    app.aboutToQuit.connect(window.shutdown)
    if os.environ.get(SMOKE_ENV):
        # packaging/smoke.sh: prove a bundle starts completely (charts, monitor, torch loaded and the devices
        # found), then leave. A start that never completes is ended by the script's timeout: a failure.
        def close_when_started() -> None:
            if window.is_ready() and window.inventory() is not None and not window.is_busy():
                window.close()
            else:
                QtCore.QTimer.singleShot(50, close_when_started)

        QtCore.QTimer.singleShot(0, close_when_started)

    # Ctrl+C in the terminal, SIGTERM (logout, `kill`) and SIGHUP (the terminal closed) close the window like the
    # close button: a run is cancelled, its completed points are already in the history (Python only sees signals
    # between Qt events, so a cheap timer lets it look every 200 ms).
    restore = close_on_signals(window)
    ticker = QtCore.QTimer()
    ticker.timeout.connect(lambda: None)
    ticker.start(200)
    try:
        status = int(app.exec())
    finally:
        ticker.stop()
        restore()
    # Delete the window while the QApplication still exists: left to the interpreter's exit, widgets and the
    # application are torn down in no fixed order, and PySide6 then segfaults now and then (seen here).
    window.deleteLater()
    app.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete.value)
    return status
