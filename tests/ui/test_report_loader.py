"""Loading a report on the thread driver: progress, the report, a refusal as the exception itself, a cancel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gpuwise.core.errors import ReportError
from gpuwise.core.report import save_report
from gpuwise.ui.report_loader import ReportLoad
from gpuwise.ui.worker import readable_error
from tests.ui.conftest import make_point, make_report

HANG_GUARD_MS = 30_000


def _record(load: ReportLoad) -> list[tuple[str, Any]]:
    log: list[tuple[str, Any]] = []
    load.progressed.connect(lambda fraction, phase: log.append(("progressed", phase)))
    load.loaded.connect(lambda report: log.append(("loaded", report)))
    load.failed.connect(lambda error: log.append(("failed", error)))
    load.stopped.connect(lambda: log.append(("stopped", None)))
    return log


def test_a_good_report_loads_with_progress_then_stops(qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "good.json"
    save_report(make_report([make_point(), make_point(params=2000)]), path)
    load = ReportLoad(path)
    log = _record(load)
    with qtbot.waitSignal(load.stopped, timeout=HANG_GUARD_MS):
        load.start()
    names = [name for name, _ in log]
    assert names[-2:] == ["loaded", "stopped"] and "progressed" in names
    assert len(dict(log)["loaded"].points) == 2
    assert not load.is_running()


def test_a_refused_file_fails_with_the_exception_itself(qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{ not json", encoding="utf-8")
    load = ReportLoad(path)
    log = _record(load)
    with qtbot.waitSignal(load.stopped, timeout=HANG_GUARD_MS):
        load.start()
    assert [name for name, _ in log if name != "progressed"] == ["failed", "stopped"]
    error = dict(log)["failed"]
    assert isinstance(error, ReportError)
    assert "not valid JSON" in readable_error(error)


def test_a_cancelled_load_says_neither_loaded_nor_failed(qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "good.json"
    save_report(make_report([make_point()]), path)
    load = ReportLoad(path)
    log = _record(load)
    load.cancel()  # before it starts: the loader sees its token at its first check
    assert load.cancelled
    with qtbot.waitSignal(load.stopped, timeout=HANG_GUARD_MS):
        load.start()
    assert [name for name, _ in log if name != "progressed"] == ["stopped"]
    assert load.wait(0)
