"""``gpuwise history``, ``import``, ``export``; run ids in ``advise``/``plot``; ``bench`` keeps every run.

The kill and signal tests run a real tiny bench in a subprocess (MLP 1k params, a few hundred samples) and stop
it after its first point: SIGTERM/SIGHUP end it cleanly (report written, run in the history), SIGKILL leaves the
completed point in the database.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from gpuwise.cli import main
from gpuwise.core.history import History, default_path
from gpuwise.core.report import load_report, save_report
from tests.cli.test_bench_cli import _env, gpuwise
from tests.core.test_report import make_report

H200 = Path(__file__).resolve().parents[2] / "resources" / "example-h200-xeon16-mlp.json"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


# ---------------------------------------------------------------- history, import, export


def test_an_empty_history_says_how_to_fill_it(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run_cli(capsys, "history")
    assert rc == 0
    assert "empty" in out and "gpuwise bench" in out and "gpuwise import" in out
    rc, out, _ = run_cli(capsys, "history", "--json")
    assert json.loads(out)["runs"] == []


def test_import_lists_advises_and_exports_a_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rc, out, _ = run_cli(capsys, "import", str(H200), "--name", "cloud box", "--tag", "h200,fp32")
    assert rc == 0 and "run 1" in out and "gpuwise advise 1" in out
    rc, out, _ = run_cli(capsys, "history")
    assert rc == 0
    row = out.splitlines()[1]
    assert row.split()[0] == "1" and "complete" in row and "NVIDIA H200" in row
    assert '"cloud box"' in row and "[h200]" in row and "A GPU pays" in row  # the verdict's own sentence
    runs = json.loads(run_cli(capsys, "history", "--json")[1])["runs"]
    assert [r["id"] for r in runs] == [1] and runs[0]["tags"] == ["h200", "fp32"] and runs[0]["points"] == 16

    rc, from_run, _ = run_cli(capsys, "advise", "1", "--json")
    rc2, from_file, _ = run_cli(capsys, "advise", str(H200), "--json")
    assert rc == rc2 == 0
    assert json.loads(from_run) == json.loads(from_file)

    out_file = tmp_path / "back.json"
    rc, out, _ = run_cli(capsys, "export", "1", "--out", str(out_file))
    assert rc == 0 and "16 points" in out
    assert load_report(out_file) == load_report(H200)


def test_import_refuses_a_bad_report_and_leaves_the_history_unchanged(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run_cli(capsys, "import", str(H200))
    before = default_path().read_bytes() if default_path().exists() else b""
    bad = json.loads(H200.read_text())
    bad["points"][3]["step_time_s"]["median"] = -1.0
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    rc, out, err = run_cli(capsys, "import", str(path))
    assert rc == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "negative" in err and "Traceback" not in err
    with History() as h:
        assert [r.id for r in h.runs()] == [1]
    assert before  # the history existed and the refused file added nothing
    assert len(json.loads(run_cli(capsys, "history", "--json")[1])["runs"]) == 1


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (["export", "42", "--out", "x.json"], "no run 42"),
        (["export", "report.json", "--out", "x.json"], "not a run id"),
        (["advise", "42"], "no run 42"),
        (["history", "--limit", "0"], "at least 1"),
    ],
)
def test_bad_run_references_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], word: str
) -> None:
    monkeypatch.chdir(tmp_path)
    rc, _out, err = run_cli(capsys, *args)
    assert rc == 2 and word in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.json").exists()


def test_history_filters_limits_and_never_prints_control_characters(capsys: pytest.CaptureFixture[str]) -> None:
    hostile = make_report(machine={"cpu": {"model": "Evil\x1b[2J CPU", "physical_cores": 2}, "gpus": []})
    with History() as h:
        a = h.import_report(make_report())
        b = h.import_report(hostile)
        h.rename(a, "laptop")
    _rc, out, _ = run_cli(capsys, "history", "--filter", "laptop")
    assert [line.split()[0] for line in out.splitlines()[1:-1]] == [str(a)]
    _rc, out, _ = run_cli(capsys, "history", "--limit", "1")
    assert len(out.splitlines()) == 3  # header, one run, the hint
    _rc, out, _ = run_cli(capsys, "history")
    assert "\x1b" not in out and f"{b}" in out
    assert "Evil\\x1b[2J" in out  # shown, not obeyed


@pytest.mark.slow  # the plot command starts Qt
def test_plot_takes_a_run_id(capsys: pytest.CaptureFixture[str], tmp_path: Path, qapp: object) -> None:
    with History() as h:
        run = h.import_report(load_report(H200))
    out = tmp_path / "speedup.png"
    rc, _o, err = run_cli(capsys, "plot", str(run), "--chart", "speedup", "--out", str(out))
    assert rc == 0, err
    assert out.stat().st_size > 1000


# ---------------------------------------------------------------- bench keeps every run


def test_bench_refuses_a_name_too_long_before_measuring(tmp_path: Path) -> None:
    res = gpuwise(
        "bench",
        "--params",
        "1k",
        "--samples",
        "200",
        "--budget",
        "1",
        "--no-micro",
        "--devices",
        "cpu",
        "--out",
        str(tmp_path / ("r" * 300 + ".json")),
        cwd=tmp_path,
    )
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1 and "name" in res.stderr and "bytes" in res.stderr
    assert "gpuwise bench:" not in res.stderr  # refused before the run started
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # ~5 s: torch in a fresh process
def test_bench_without_out_keeps_the_run_and_says_how_to_advise(tmp_path: Path) -> None:
    res = gpuwise(
        "bench",
        "--params",
        "1k",
        "--samples",
        "200",
        "--budget",
        "1",
        "--no-micro",
        "--devices",
        "cpu",
        "--threads",
        "1",
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    assert "run 1 is in the history" in res.stderr and "gpuwise advise 1" in res.stderr
    with History() as h:
        (run,) = h.runs()
        assert run.status == "complete" and run.points == 1 and run.source == "bench"
        assert run.headline  # the verdict's sentence, for the list
        assert h.load(run.id).points[0].threads == 1
    assert list(tmp_path.iterdir()) == []  # no stray report file


@pytest.mark.slow
def test_a_failed_final_write_says_where_the_run_is(tmp_path: Path) -> None:
    # the folder is there when checked and gone when the run ends: what an unmounted or full disk looks like
    folder = tmp_path / "out"
    folder.mkdir()
    code = (
        "import shutil, sys\nimport gpuwise.cli.commands.bench as b\nreal = b._write_outputs\n"
        f"def late(*a):\n    shutil.rmtree({str(folder)!r})\n    return real(*a)\n"
        "b._write_outputs = late\nfrom gpuwise.cli import main\n"
        f"sys.exit(main(['bench', '--params', '1k', '--samples', '200', '--budget', '1', '--no-micro', "
        f"'--devices', 'cpu', '--threads', '1', '--out', {str(folder / 'r.json')!r}]))"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=_env(), timeout=120, check=False
    )
    assert res.returncode == 1, res.stderr
    assert "Traceback" not in res.stderr
    err = [line for line in res.stderr.splitlines() if "error" in line]
    assert len(err) == 1 and "cannot write" in err[0] and "run 1" in err[0] and "history" in err[0]
    assert "gpuwise export 1" in err[0]
    with History() as h:
        assert h.get(1).points == 1


def _bench_until_second_point(tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    """A bench whose first point is quick and whose second would run long; returns once the second began."""
    cmd = [
        sys.executable,
        "-m",
        "gpuwise",
        "bench",
        "--params",
        "1k",
        "--samples",
        "200,1M",
        "--budget",
        "60",
        "--no-micro",
        "--devices",
        "cpu",
        "--threads",
        "1",
        *extra,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=_env())
    assert proc.stderr is not None
    for line in proc.stderr:  # a line per point when stderr is not a terminal
        if "1M samples" in line:
            return proc
    proc.kill()
    raise AssertionError(f"the bench ended before its second point: {proc.communicate()}")


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_end_a_bench_cleanly(tmp_path: Path, sig: str) -> None:
    out = tmp_path / "r.json"
    proc = _bench_until_second_point(tmp_path, "--out", str(out))
    try:
        proc.send_signal(getattr(signal, sig))
        stdout, stderr = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + getattr(signal, sig), stderr
    assert "Traceback" not in stderr and sig in stderr
    assert "samples/s" in stdout
    report = load_report(out)
    assert report.cancelled is True
    assert [(p.samples, p.status) for p in report.points] == [(200, "ok")]
    with History() as h:
        (run,) = h.runs()
        assert run.status == "cancelled" and run.points == 1
        assert h.load(run.id).points == report.points


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigkill_mid_sweep_leaves_the_completed_points_in_the_history(tmp_path: Path) -> None:
    proc = _bench_until_second_point(tmp_path)
    with sqlite3.connect(default_path()) as db:  # read while the bench runs (WAL: no lock on the writer)
        committed = db.execute("SELECT COUNT(*) FROM points").fetchone()[0]
    proc.kill()
    proc.communicate(timeout=30)
    assert committed == 1
    with History() as h:
        (run,) = h.runs()
        assert run.status == "interrupted" and run.points == 1
        report = h.load(run.id)
    assert report.cancelled and [(p.samples, p.status) for p in report.points] == [(200, "ok")]
    assert report.machine["cpu"]["physical_cores"] >= 1  # the machine is known even though the run never ended
    save_report(report, tmp_path / "rescued.json")  # and it exports like any report
