"""``gpuwise bench --ddp N`` as a user runs it: one machine, two "machines" over localhost, bad input, advise."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from gpuwise.core.report import load_report
from tests.cli.test_bench_cli import REPO, _env, gpuwise

SMALL = (
    "--family",
    "mlp",
    "--params",
    "20k",
    "--samples",
    "1000",
    "--batch",
    "32",
    "--budget",
    "2",
    "--devices",
    "cpu",
)


@pytest.mark.timeout(240)
def test_bench_ddp_writes_points_for_each_world_size_with_efficiency(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    res = gpuwise("bench", *SMALL, "--ddp", "2", "--out", str(out), timeout=200)
    assert res.returncode == 0, res.stderr
    report = load_report(out)
    assert [(p.world_size, p.backend) for p in report.points] == [(1, "gloo"), (2, "gloo")]
    assert all(p.status == "ok" and p.scaling_efficiency is not None for p in report.points)
    assert report.points[1].scaling_baseline_samples_per_s == report.points[0].samples_per_s
    assert report.settings["ddp"] == 2
    assert "data-parallel scaling" in res.stdout and "efficiency" in res.stdout
    assert "cpu×2" in res.stdout

    adv = gpuwise("advise", str(out), "--gpu", "T4", "--cpu-price", "0.34")
    assert adv.returncode == 0, adv.stderr
    assert "Scaling: 2 devices vs 1 vs the CPU" in adv.stdout
    assert "2 × T4 [estimate]" in adv.stdout and "CPU, 2 processes [measured scaling]" in adv.stdout
    adv_json = gpuwise("advise", str(out), "--gpu", "T4", "--cpu-price", "0.34", "--json")
    scaling = json.loads(adv_json.stdout)["scaling"]
    assert scaling["n"] == 2 and any(o["estimated"] for o in scaling["options"])


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--ddp", "0"), "--ddp 0 is out of range"),
        (("--ddp", "2", "--nnodes", "2"), "--master HOST:PORT"),
        (("--ddp", "2", "--nnodes", "2", "--node-rank", "5", "--master", "h:1"), "--node-rank 5"),
        (("--ddp", "1", "--nnodes", "2", "--master", "nohost"), "HOST:PORT"),
        (("--master", "h:1"), "go with --ddp"),
        (("--ddp", "2", "--node-rank", "-1"), "whole number"),
    ],
)
def test_bad_ddp_input_exits_2_with_one_line(args: tuple[str, ...], words: str, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    res = gpuwise("bench", *SMALL, *args, "--out", str(out))
    assert res.returncode == 2
    assert words in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not out.exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.timeout(300)
def test_two_machines_over_localhost_share_one_report(tmp_path: Path) -> None:
    """What the README tells people to run on two machines, with 127.0.0.1 as machine 0's address."""
    master = f"127.0.0.1:{_free_port()}"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gpuwise",
                "bench",
                *SMALL,
                "--ddp",
                "1",
                "--nnodes",
                "2",
                "--node-rank",
                str(r),
                "--master",
                master,
                "--out",
                str(tmp_path / f"node{r}.json"),
            ],
            cwd=REPO,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for r in (0, 1)
    ]
    results = [p.communicate(timeout=280) for p in procs]
    for p, (_out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err
    for r in (0, 1):
        report = load_report(tmp_path / f"node{r}.json")
        assert [p.world_size for p in report.points] == [1, 2]
        two = report.points[1]
        assert two.status == "ok" and len(two.rank_samples_per_s) == 2  # both machines' ranks, merged
        assert two.scaling_efficiency is not None
        assert report.settings["nnodes"] == 2 and report.settings["node_rank"] == r


def test_a_failed_rank_keeps_the_measured_points_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from gpuwise import cli
    from gpuwise.core.bench import sweep
    from gpuwise.core.bench.ddp import DdpFailed
    from gpuwise.core.bench.events import PointMeasured
    from tests.core.test_report import make_point

    measured = make_point(world_size=1, backend="gloo", scaling_efficiency=1.0)
    failed = make_point(
        world_size=2,
        backend="gloo",
        status="failed",
        message="rank 1 of 2: RuntimeError: boom",
        samples_per_s=None,
        step_time_s=None,
    )

    def fake_run_sweep(plan: object, cancel: object) -> object:
        yield PointMeasured(0, measured)
        raise DdpFailed("rank 1 of 2 failed (failed): RuntimeError: boom; all ranks were stopped", [measured, failed])

    monkeypatch.setattr(sweep, "run_sweep", fake_run_sweep)
    monkeypatch.setattr(sweep, "machine_info", lambda devices: {"cpu": {"model": "test", "physical_cores": 2}})
    out = tmp_path / "r.json"
    code = cli.main(["bench", *SMALL, "--ddp", "2", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "gpuwise: error: data-parallel run stopped: rank 1 of 2 failed" in err
    report = load_report(out)
    assert [(p.world_size, p.status) for p in report.points] == [(1, "ok"), (2, "failed")]
