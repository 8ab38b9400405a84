"""``gpuwise bench`` and the CLI front door, run as a user runs them: in a subprocess.

Bad input must exit 2 with one readable line and write nothing; a tiny real bench writes a report the loader
accepts; Ctrl-C keeps the completed points; ``--help`` stays fast because it never imports torch.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from gpuwise.core.report import CSV_COLUMNS, load_report

REPO = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("PYTHONWARNINGS", None)
    return env


def gpuwise(*args: str, cwd: Path = REPO, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gpuwise", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=_env(),
        timeout=timeout,
        check=False,
    )


def python_prints(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=_env(), timeout=60, check=True
    )
    return out.stdout.strip()


# ---------------------------------------------------------------- help and lazy imports


def test_help_exits_zero_and_lists_the_commands() -> None:
    res = gpuwise("--help")
    assert res.returncode == 0, res.stderr
    assert "bench" in res.stdout and "devices" in res.stdout
    assert res.stderr == ""


def test_bench_help_shows_options_and_examples() -> None:
    res = gpuwise("bench", "--help")
    assert res.returncode == 0
    for option in (
        "--family",
        "--params",
        "--samples",
        "--precision",
        "--devices",
        "--budget",
        "--out",
        "--csv",
        "--no-micro",
    ):
        assert option in res.stdout
    assert "25M" in res.stdout and "Ctrl-C" in res.stdout


@pytest.mark.parametrize(
    "code",
    [
        "from gpuwise.cli import build_parser; build_parser()",
        "import gpuwise.core",
        "import gpuwise.core.bench.sweep",
        "import gpuwise.cli.commands.bench, gpuwise.cli.commands.devices",
    ],
)
def test_parser_and_core_imports_load_neither_torch_nor_qt(code: str) -> None:
    printed = python_prints(f"import sys; {code}; print('torch' in sys.modules, 'PySide6' in sys.modules)")
    assert printed == "False False"


def test_running_help_imports_neither_torch_nor_qt() -> None:
    code = (
        "import sys\nfrom gpuwise.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit as e:\n"
        "    assert e.code == 0\nprint('torch' in sys.modules, 'PySide6' in sys.modules)"
    )
    assert python_prints(code).splitlines()[-1] == "False False"


# ---------------------------------------------------------------- bad input


BAD_INPUTS = [
    (["--family", "resnet"], "resnet"),
    (["--params", "10"], "out of range"),
    (["--params", "1e11"], "out of range"),
    (["--params", "abc"], "not a number"),
    (["--samples", "50"], "out of range"),
    (["--devices", "cuda:9"], "cuda:9"),
    (["--budget", "0"], "budget"),
    (["--budget", "-1"], "budget"),
    (["--budget", "soon"], "budget"),
    (["--precision", "fp8"], "fp8"),
    (["--batch", "0"], "batch size"),
    (["--threads", "0"], "threads"),
    (["--optimizer", "lion"], "optimizer"),
]


@pytest.mark.parametrize(("args", "word"), BAD_INPUTS, ids=[" ".join(a) for a, _w in BAD_INPUTS])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path: Path, args: list[str], word: str) -> None:
    out, table = tmp_path / "r.json", tmp_path / "p.csv"
    res = gpuwise("bench", *args, "--out", str(out), "--csv", str(table), cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("gpuwise: error: ")
    assert word in lines[0]
    assert "Traceback" not in res.stderr
    assert res.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_unwritable_out_exits_2_and_creates_nothing(tmp_path: Path) -> None:
    target = tmp_path / "nonexistent-dir" / "r.json"
    res = gpuwise("bench", "--out", str(target), cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.splitlines() == [f"gpuwise: error: cannot write {target}: folder {target.parent} does not exist"]
    assert not target.parent.exists()
    res = gpuwise("bench", "--out", "/nonexistent-dir/r.json", cwd=tmp_path)
    assert res.returncode == 2 and len(res.stderr.splitlines()) == 1 and "Traceback" not in res.stderr
    assert not Path("/nonexistent-dir").exists()


def test_out_that_is_a_directory_exits_2(tmp_path: Path) -> None:
    res = gpuwise("bench", "--csv", str(tmp_path), cwd=tmp_path)
    assert res.returncode == 2
    assert "is a directory" in res.stderr and len(res.stderr.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_unknown_option_exits_2_with_one_line() -> None:
    res = gpuwise("bench", "--bogus")
    assert res.returncode == 2
    assert len(res.stderr.splitlines()) == 1 and res.stderr.startswith("gpuwise: error:")


# ---------------------------------------------------------------- real runs


@pytest.mark.slow  # ~5 s: torch's first import and optimizer set-up in a fresh process
def test_tiny_bench_writes_a_valid_report_and_csv(tmp_path: Path) -> None:
    out, table = tmp_path / "r.json", tmp_path / "p.csv"
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
        "--out",
        str(out),
        "--csv",
        str(table),
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    assert "samples/s" in res.stdout
    assert "cpu" in res.stdout and "1.01k" in res.stdout  # the exact count (1009), in human form
    report = load_report(out)
    assert report.cancelled is False
    assert len(report.points) == 1
    p = report.points[0]
    assert p.status == "ok" and p.device == "cpu" and p.params == 1009 and p.samples == 200 and p.threads == 1
    assert report.micro == []
    rows = list(csv.reader(io.StringIO(table.read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 2 and rows[1][CSV_COLUMNS.index("status")] == "ok"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["p.csv", "r.json"]  # no temp files left


@pytest.mark.slow  # ~5 s, like the tiny bench
@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_keeps_the_completed_points_and_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    # the first point's epoch fits (quick); the second would measure for many seconds
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
        "--out",
        str(out),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=_env())
    assert proc.stderr is not None
    seen = []
    try:
        for line in proc.stderr:  # a line per point when stderr is not a terminal
            seen.append(line)
            if "1M samples" in line:
                proc.send_signal(signal.SIGINT)
                break
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert any("1M samples" in line for line in seen), "".join(seen)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "interrupted" in stderr
    assert "samples/s" in stdout
    report = load_report(out)
    assert report.cancelled is True
    assert [(p.samples, p.status) for p in report.points] == [(200, "ok")]


def test_the_table_notes_a_matmul_above_a_formula_peak() -> None:
    import io

    from gpuwise.cli.commands.bench import print_table
    from gpuwise.core.report import MicroResult, Report

    cpu = {"model": "VM", "physical_cores": 2, "peak_fp32_gflops": 156.5, "clock_ghz": 2.445, "clock_source": "current"}
    r = Report(
        machine={"cpu": cpu},
        points=[],
        micro=[MicroResult("cpu", "matmul", "fp32", 2048, 165.0, "GFLOP/s")],
        created="2026-01-01T00:00:00+00:00",
        settings={},
    )
    out = io.StringIO()
    print_table(r, out)
    text = out.getvalue()
    assert "cpu matmul: 165 GFLOP/s measured (n=2048) vs 156.5 GFLOP/s formula peak" in text
    assert "theoretical peak here" in text and "note: the measured 165 GFLOP/s is above the formula's 156" in text


def test_the_table_says_the_machine_was_busy_not_only_unstable() -> None:
    import io

    from gpuwise.cli.commands.bench import print_table
    from gpuwise.core.report import Report
    from tests.core.test_report import make_point

    busy = "busy machine: other programs used 61 % of the CPU during the measurement, so these times are pessimistic"
    points = [
        make_point(samples=2000, unstable=True, background_cpu_load=0.61, message=busy),
        make_point(samples=20_000, unstable=True, background_cpu_load=0.67),
        make_point(samples=200_000, background_cpu_load=0.05),
    ]
    r = Report(
        machine={"cpu": {"model": "VM", "physical_cores": 2}},
        points=points,
        micro=[],
        created="2026-01-01T00:00:00+00:00",
        settings={},
    )
    out = io.StringIO()
    print_table(r, out)
    rows = [line for line in out.getvalue().splitlines() if line.startswith("cpu ")]
    assert rows[0].endswith("unstable, busy: others used 61 % CPU")
    assert rows[1].endswith("unstable, busy: others used 67 % CPU")
    assert "busy" not in rows[2]  # 5 % is an ordinary background
    assert "busy machine: other programs used 61–67 % of the CPU while measuring 2 of these points" in out.getvalue()


def test_a_quiet_run_has_no_busy_line() -> None:
    import io

    from gpuwise.cli.commands.bench import print_table
    from gpuwise.core.report import Report
    from tests.core.test_report import make_point

    r = Report(
        machine={"cpu": {"model": "VM"}},
        points=[make_point(background_cpu_load=0.15)],
        micro=[],
        created="2026-01-01T00:00:00+00:00",
        settings={},
    )
    out = io.StringIO()
    print_table(r, out)
    assert "busy" not in out.getvalue()
