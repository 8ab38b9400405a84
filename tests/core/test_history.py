"""The run history: SQLite store, migrations from the first schema on, runs never replaced, one resolver."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpuwise.core import history as hist
from gpuwise.core.bench.workloads import build_spec
from gpuwise.core.errors import ReportError, UserInputError
from gpuwise.core.history import History, HistoryError, load_report_or_run, migrate, run_id_of
from gpuwise.core.report import MicroResult, Point, StepStats, save_report
from tests.core.test_report import make_point, make_report


def sized(params: int, **kw: object) -> Point:
    """A point whose parameter count is its architecture's (the loader checks that they agree)."""
    spec = build_spec("mlp", params)
    return make_point(params=spec["params"], architecture=spec, **kw)


MACHINE = {"cpu": {"model": "AMD EPYC 7B13", "physical_cores": 2}, "gpus": [{"id": "cuda:0", "name": "NVIDIA H200"}]}
SETTINGS = {"family": "mlp", "params": [1000, 10000], "samples": [200, 400], "devices": ["cpu", "cuda:0"]}


def test_data_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(hist.DATA_ENV, str(tmp_path / "x"))
    assert hist.default_path() == tmp_path / "x" / "history.sqlite3"
    monkeypatch.delenv(hist.DATA_ENV)
    assert hist.default_path().name == "history.sqlite3" and "gpuwise" in str(hist.default_path())


def test_points_are_committed_as_measured_and_visible_to_another_connection(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with History(path) as h:
        run = h.begin_run(MACHINE, SETTINGS, source="bench")
        h.add_point(run, make_point())
        # a second process's view (the app's History, `gpuwise history`) sees it while the run goes on
        other = sqlite3.connect(path)
        assert other.execute("SELECT COUNT(*) FROM points WHERE run_id = ?", (run,)).fetchone()[0] == 1
        other.close()
        assert h.get(run).status == "running" and h.get(run).points == 1
        assert h.db_journal_mode() == "wal"


def test_a_finished_run_loads_as_the_report_it_measured(tmp_path: Path) -> None:
    rep = make_report()
    with History(tmp_path / "h.sqlite3") as h:
        run = h.begin_run(
            rep.machine, rep.settings, source="bench", created=rep.created, gpuwise_version=rep.gpuwise_version
        )
        for p in rep.points:
            h.add_point(run, p)
        for m in rep.micro:
            h.add_micro(run, m)
        h.finish_run(run, "complete", headline="The CPU is enough")
        loaded = h.load(run)
        summary = h.get(run)
    assert loaded == rep
    assert summary.status == "complete" and summary.headline == "The CPU is enough"
    assert summary.machine == "AMD EPYC (2 cores)"


def test_a_cancelled_run_is_its_own_run_and_never_replaces_another(tmp_path: Path) -> None:
    with History(tmp_path / "h.sqlite3") as h:
        first = h.begin_run(MACHINE, SETTINGS, source="app")
        for n in (1000, 10000):
            h.add_point(first, sized(n))
        h.finish_run(first, "complete")
        second = h.begin_run(MACHINE, SETTINGS, source="app")
        h.add_point(second, sized(1000, samples=200))
        h.finish_run(second, "cancelled")
        runs = h.runs()
        assert [r.id for r in runs] == [second, first]
        assert [r.status for r in runs] == ["cancelled", "complete"]
        assert runs[0].partial and not runs[1].partial
        assert len(h.load(first).points) == 2 and not h.load(first).cancelled
        assert h.load(second).cancelled
        assert h.last_complete() is not None and h.last_complete().id == first  # type: ignore[union-attr]


def test_a_run_whose_process_died_reads_as_interrupted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with History(tmp_path / "h.sqlite3") as h:
        run = h.begin_run(MACHINE, SETTINGS, source="bench")
        assert h.get(run).status == "running"  # this process is alive
        monkeypatch.setattr(hist, "_pid_alive", lambda _pid: False)
        assert h.get(run).status == "interrupted"


def test_summary_columns_name_workload_machine_and_devices(tmp_path: Path) -> None:
    with History(tmp_path / "h.sqlite3") as h:
        run = h.begin_run(MACHINE, SETTINGS, source="bench")
        s = h.get(run)
    assert s.workload == "mlp 1k–10k params × 200–400 samples"
    assert s.devices == "CPU, NVIDIA H200"
    assert s.machine == "AMD EPYC 7B13 (2 cores) + NVIDIA H200"


def test_rename_tag_delete_and_undo(tmp_path: Path) -> None:
    with History(tmp_path / "h.sqlite3") as h:
        run = h.import_report(make_report())
        h.rename(run, "  laptop\nbaseline ")
        h.set_tags(run, ["Laptop", "fp32 run", "laptop", ""])
        s = h.get(run)
        assert s.name == "laptop baseline" and s.title == "laptop baseline"
        assert s.tags == ("laptop", "fp32-run")
        h.delete(run)
        assert h.runs() == []
        with pytest.raises(HistoryError, match="no run"):
            h.load(run)
        h.undelete(run)
        assert [r.id for r in h.runs()] == [run]
        h.delete(run)
        assert h.purge_deleted() == 1
        with pytest.raises(HistoryError):
            h.undelete(run)
        with sqlite3.connect(h.path) as db:  # the points went with it
            assert db.execute("SELECT COUNT(*) FROM points").fetchone()[0] == 0


def test_filter_matches_every_word_anywhere(tmp_path: Path) -> None:
    with History(tmp_path / "h.sqlite3") as h:
        a = h.import_report(make_report())
        b = h.import_report(make_report(machine=MACHINE))
        h.set_tags(a, ["baseline"])
        h.rename(b, "50%_off")
        assert h.run_ids("H200") == [b]
        assert h.run_ids("baseline mlp") == [a]
        assert h.run_ids(f"#{a}") == [a]
        assert sorted(h.run_ids("")) == [a, b] and h.count() == 2
        assert h.run_ids("nothing-like-this") == []
        assert h.run_ids("50%_") == [b] and h.run_ids("5%") == []  # % and _ are matched as themselves
        assert [r.id for r in h.runs("baseline")] == [a]
        assert set(h.summaries([a, b, 999])) == {a, b}
        h.delete(b)
        assert h.run_ids("") == [a] and h.summaries([b]) == {}


# ---------------------------------------------------------------- migrations


def _v1_database(path: Path) -> None:
    """A history exactly as the first schema wrote it, with one run and its points."""
    db = sqlite3.connect(path, isolation_level=None)
    migrate(db, to_version=1)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    rep = make_report(machine=MACHINE, settings=SETTINGS)
    db.execute(
        "INSERT INTO runs (created, status, source, machine_json, settings_json, gpuwise_version) "
        "VALUES (?, 'complete', 'bench', ?, ?, '0.1.0')",
        (rep.created, json.dumps(rep.machine), json.dumps(rep.settings)),
    )
    for i, p in enumerate(rep.points):
        db.execute("INSERT INTO points VALUES (1, ?, ?)", (i, hist.point_json(p)))
    for i, m in enumerate(rep.micro):
        db.execute("INSERT INTO micro VALUES (1, ?, ?)", (i, hist.micro_json(m)))
    db.close()


def test_a_version_1_history_is_migrated_and_keeps_its_runs(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _v1_database(path)
    with History(path) as h:
        (run,) = h.runs()
        report = h.load(run.id)
        # the summary a list shows was filled in from the old rows
        assert run.points == 2 and run.devices == "CPU, NVIDIA H200" and run.workload.startswith("mlp 1k")
        assert h.run_ids("h200 mlp") == [run.id]  # and found by the filter
        h.rename(run.id, "kept")  # and the new columns work
        assert h.run_ids("kept") == [run.id]
    assert report == make_report(machine=MACHINE, settings=SETTINGS)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == hist.SCHEMA_VERSION


def test_every_migration_step_is_tested_from_an_empty_file(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "steps.sqlite3", isolation_level=None)
    for version in range(1, hist.SCHEMA_VERSION + 1):
        migrate(db, to_version=version)
        assert db.execute("PRAGMA user_version").fetchone()[0] == version
    db.close()


def test_a_history_from_a_newer_gpuwise_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {hist.SCHEMA_VERSION + 1}")
    with pytest.raises(HistoryError, match="newer gpuwise"):
        History(path)


def test_a_corrupt_history_says_so_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(HistoryError, match="cannot be read") as e:
        History(path)
    assert "\n" not in str(e.value)


# ---------------------------------------------------------------- one resolver


def test_run_ids_are_recognised() -> None:
    assert run_id_of("12") == 12 and run_id_of("#12") == 12 and run_id_of("run12") == 12
    assert run_id_of("report.json") is None and run_id_of("") is None and run_id_of("-1") is None


def test_load_report_or_run_takes_a_file_an_id_or_last(tmp_path: Path) -> None:
    rep = make_report()
    file = tmp_path / "r.json"
    save_report(rep, file)
    assert load_report_or_run(str(file)) == rep
    with History() as h:  # the default path: the test's private data folder
        run = h.import_report(rep)
        h.import_report(replace(rep, cancelled=True))  # a partial run is not "last"
    assert load_report_or_run(str(run)) == rep
    assert load_report_or_run("last") == rep
    with pytest.raises(HistoryError, match="no run 999"):
        load_report_or_run("999")
    with pytest.raises(ReportError, match="no such file"):
        load_report_or_run(str(tmp_path / "missing.json"))


def test_a_file_named_like_a_run_id_is_still_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    save_report(make_report(), tmp_path / "7")
    assert load_report_or_run("7") == make_report()


def test_a_damaged_point_in_the_history_is_refused_like_a_damaged_report(tmp_path: Path) -> None:
    with History(tmp_path / "h.sqlite3") as h:
        run = h.import_report(make_report())
        with sqlite3.connect(h.path) as db:
            db.execute(
                "UPDATE points SET json = ? WHERE run_id = ? AND seq = 0",
                (json.dumps({"device": "cpu", "status": "ok"}), run),
            )
        with pytest.raises(UserInputError, match=f"run {run} .*cannot be read"):
            h.load(run)


# ---------------------------------------------------------------- invariants


finite = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
opt_finite = st.none() | finite


@st.composite
def points(draw: st.DrawFn) -> Point:
    step = draw(
        st.none()
        | st.tuples(finite, finite, finite).map(lambda t: StepStats(t[0], t[1], (min(t[0], t[2]), max(t[0], t[2])), 10))
    )
    return sized(
        draw(st.sampled_from([1_000, 10_000, 100_000])),
        device=draw(st.sampled_from(["cpu", "cuda:0", "mps"])),
        samples=draw(st.integers(100, 10**8)),
        dataset_resident_samples=None,
        status=draw(st.sampled_from(["ok", "oom", "skipped", "failed"])),
        message=draw(st.text(max_size=30)),
        device_name=draw(st.text(max_size=20)),
        samples_per_s=draw(opt_finite),
        step_time_s=step,
        unstable=draw(st.booleans()),
        epoch_time_s=draw(opt_finite),
        epoch_time_extrapolated=draw(st.booleans()),
        peak_memory_bytes=draw(st.none() | st.integers(0, 10**12)),
        estimated=draw(st.booleans()),
        overhead_breakdown_s=draw(st.dictionaries(st.sampled_from(["init", "warmup"]), finite, max_size=2)),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pts=st.lists(points(), max_size=6), cancelled=st.booleans())
def test_any_run_comes_back_exactly_as_measured(tmp_path: Path, pts: list[Point], cancelled: bool) -> None:
    micro = [MicroResult("cpu", "matmul", "fp32", 1024, 180.0, "GFLOP/s", None)]
    with History(tmp_path / "prop.sqlite3") as h:
        run = h.begin_run(MACHINE, SETTINGS, source="bench")
        for p in pts:
            h.add_point(run, p)
        h.add_micro(run, micro[0])
        h.finish_run(run, "cancelled" if cancelled else "complete")
        back = h.load(run)
        assert back.points == pts and back.micro == micro
        assert back.cancelled == cancelled
        assert h.get(run).points == len(pts)
