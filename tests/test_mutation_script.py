"""benchmarks/mutation.py's bookkeeping: which modules CI reruns, what counts as killed, which target applies.

The mutmut runs themselves are too slow for the suite; what decides *whether* CI runs one is tested here.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def mutation() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("gpuwise_mutation_script", ROOT / "benchmarks" / "mutation.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through sys.modules
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A repo-shaped folder with one module and its test."""
    (tmp_path / "gpuwise" / "core" / "bench").mkdir(parents=True)
    (tmp_path / "tests").mkdir()
    (tmp_path / "gpuwise" / "core" / "units.py").write_text("X = 1\n")
    (tmp_path / "gpuwise" / "core" / "bench" / "timing.py").write_text("Y = 1\n")
    (tmp_path / "tests" / "test_units.py").write_text("def test_x(): pass\n")
    (tmp_path / "tests" / "test_timing.py").write_text("def test_y(): pass\n")
    return tmp_path


def _targets(mutation: ModuleType) -> dict[str, object]:
    return {
        "units": mutation.Target(("gpuwise/core/units.py",), ("tests/test_units*.py",)),
        "timing": mutation.Target(("gpuwise/core/bench/timing.py",), ("tests/test_timing*.py",)),
    }


def test_the_bench_and_verdict_modules_aim_higher_than_the_rest(mutation: ModuleType) -> None:
    rates = {name: t.target_rate for name, t in mutation.MODULES.items()}
    for name in ("timing", "train", "sweep", "memory", "verdict", "rule", "pricing", "decide_verdict"):
        assert rates[name] == 0.90, name
    for name in ("units", "prices", "estimate", "report", "charts"):
        assert rates[name] == 0.85, name


def test_every_configured_module_names_files_that_exist(mutation: ModuleType) -> None:
    for name, t in mutation.MODULES.items():
        assert mutation._expand(t.sources, ROOT), f"{name}: no sources"
        assert mutation._expand(t.tests, ROOT), f"{name}: no tests"


def test_a_module_is_changed_when_its_source_or_its_tests_change_and_not_otherwise(
    mutation: ModuleType, tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mutation, "MODULES", _targets(mutation))
    record = {n: {"digest": mutation.digest(t, tree)} for n, t in mutation.MODULES.items()}
    assert mutation.changed(record, ["units", "timing"], tree) == []

    (tree / "tests" / "test_units.py").write_text("def test_x(): assert True\n")
    assert mutation.changed(record, ["units", "timing"], tree) == ["units"]

    (tree / "gpuwise" / "core" / "bench" / "timing.py").write_text("Y = 2\n")
    assert mutation.changed(record, ["units", "timing"], tree) == ["units", "timing"]


def test_a_new_test_file_changes_the_digest(mutation: ModuleType, tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    t = _targets(mutation)["units"]
    before = mutation.digest(t, tree)
    (tree / "tests" / "test_units_behaviour.py").write_text("def test_z(): pass\n")
    assert mutation.digest(t, tree) != before


def test_a_module_never_recorded_counts_as_changed(
    mutation: ModuleType, tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mutation, "MODULES", _targets(mutation))
    assert mutation.changed({}, ["units"], tree) == ["units"]


def test_ci_runs_the_changed_modules_that_fit_its_budget_and_skips_the_rest(
    mutation: ModuleType, tree: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(mutation, "MODULES", _targets(mutation))
    record = {"units": {"digest": "old", "seconds": 100}, "timing": {"digest": "old", "seconds": 250}}
    timeouts: dict[str, float] = {}
    fit = mutation._fit_changed(record, ["units", "timing"], tree, 300.0, timeouts)
    assert fit == ["units"]  # 100 s fits; 250 s more does not
    assert timeouts == {"units": 300.0}  # three times its recorded run: a slower machine, not a hang
    assert "timing: changed, but its last run took 250 s, more than the 200 s left" in capsys.readouterr().out

    unrecorded = mutation._fit_changed({}, ["units"], tree, 300.0, {})
    assert unrecorded == []
    assert "units: no recorded run" in capsys.readouterr().out


def test_an_unchanged_module_is_not_rerun(mutation: ModuleType, tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mutation, "MODULES", _targets(mutation))
    record = {n: {"digest": mutation.digest(t, tree), "seconds": 1} for n, t in mutation.MODULES.items()}
    assert mutation._fit_changed(record, ["units", "timing"], tree, 300.0, {}) == []


def test_kill_rate_counts_timeouts_as_killed_and_leaves_out_equivalents_and_skipped(mutation: ModuleType) -> None:
    r = mutation.Result(
        "units",
        {
            "a__mutmut_1": "killed",
            "a__mutmut_2": "timeout",
            "a__mutmut_3": "survived",
            "a__mutmut_4": "survived",
            "a__mutmut_5": "skipped",
            "a__mutmut_6": "no tests",
        },
        equivalent={"a__mutmut_4"},
        seconds=1.0,
    )
    assert r.killed == 2
    assert r.considered == 4  # killed 2 + survived 1 + no tests 1
    assert r.kill_rate == 0.5
    assert r.survivors() == ["a__mutmut_3", "a__mutmut_6"]


def test_the_record_round_trips_and_is_written_whole(mutation: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    record = {"units": {"digest": "abc", "kill_rate": 1.0}, "charts": {"digest": "def", "kill_rate": 0.9}}
    mutation.write_record(record, path)
    assert mutation.load_record(path) == record
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
    assert mutation.load_record(tmp_path / "missing.json") == {}


def test_equivalent_mutants_are_read_from_list_items_that_start_with_a_name(
    mutation: ModuleType, tmp_path: Path
) -> None:
    md = tmp_path / "eq.md"
    md.write_text(
        "# Equivalent\n\n"
        "- `gpuwise.core.units.x_f__mutmut_5`: reason.\n"
        "  continued, mentioning `gpuwise.core.units.x_f__mutmut_9` in passing\n"
        "* `gpuwise.core.report.Report.x_g__mutmut_12`: reason.\n"
    )
    assert mutation.equivalent_mutants(md) == {
        "gpuwise.core.units.x_f__mutmut_5",
        "gpuwise.core.report.Report.x_g__mutmut_12",
    }


def test_the_shipped_record_names_only_configured_modules(mutation: ModuleType) -> None:
    record = mutation.load_record()
    assert set(record) <= set(mutation.MODULES)
    for name, entry in record.items():
        assert 0 <= float(str(entry["kill_rate"])) <= 1, name
        assert entry["target_rate"] == mutation.MODULES[name].target_rate, name


def test_the_expected_run_time_is_processor_time_shared_by_the_workers(mutation: ModuleType) -> None:
    # the wall time of a run on a busy machine overstates the next run; processor time does not
    assert mutation.expected_seconds({"seconds": 600, "cpu_seconds": 200}, jobs=2) == 100.0
    assert mutation.expected_seconds({"seconds": 600, "cpu_seconds": 200}, jobs=1) == 200.0
    assert mutation.expected_seconds({"seconds": 600}, jobs=2) == 600.0  # older records: the wall time
    assert mutation.expected_seconds({"seconds": 600, "cpu_seconds": None}, jobs=2) == 600.0


def test_ci_fits_modules_by_their_processor_time(
    mutation: ModuleType, tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mutation, "MODULES", _targets(mutation))
    record = {"units": {"digest": "old", "seconds": 900, "cpu_seconds": 400}}
    timeouts: dict[str, float] = {}
    assert mutation._fit_changed(record, ["units"], tree, 300.0, timeouts, 2) == ["units"]
    assert timeouts == {"units": 600.0}
    assert mutation._fit_changed(record, ["units"], tree, 300.0, {}, 1) == []


def test_recording_a_module_keeps_what_other_runs_recorded_meanwhile(mutation: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    mutation.write_record({"units": {"digest": "a"}}, path)
    mutation.add_to_record("report", {"digest": "b"}, path)  # a second run, started before the first wrote
    mutation.add_to_record("units", {"digest": "c"}, path)
    assert mutation.load_record(path) == {"report": {"digest": "b"}, "units": {"digest": "c"}}
