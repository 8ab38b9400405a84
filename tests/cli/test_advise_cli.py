"""``gpuwise advise``: exit codes, one-line errors, readable text and valid JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gpuwise.cli import main
from gpuwise.core.report import save_report
from tests.core.test_verdict import cpu_report, gpu_report, point, report

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def private_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GPUWISE_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "config"


@pytest.fixture
def cpu_report_path(tmp_path: Path) -> Path:
    path = tmp_path / "report.json"
    save_report(cpu_report(), path)
    return path


def advise(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["advise", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_json_output_is_valid_and_labels_estimates(capsys: pytest.CaptureFixture[str], cpu_report_path: Path) -> None:
    rc, out, err = advise(capsys, str(cpu_report_path), "--json", "--cpu-price", "0.1", "--gpu-price", "0.5")
    assert rc == 0, err
    d = json.loads(out)
    assert d["price_ratio"] == pytest.approx(5.0)
    assert [g["device"] for g in d["gpus"]] == ["T4", "H100 SXM"]
    assert all(g["estimated"] and g["source"] == "estimate" for g in d["gpus"])
    assert d["cpu"]["source"] == "measured" and not d["cpu"]["estimated"]
    assert "(estimate)" in d["sentence"]
    assert d["large_model_projection"] == []


def test_text_output_is_readable(capsys: pytest.CaptureFixture[str], cpu_report_path: Path) -> None:
    rc, out, _ = advise(
        capsys,
        str(cpu_report_path),
        "--gpu",
        "a100-80gb,l4",
        "--samples",
        "1M",
        "--epochs",
        "3",
        "--params",
        "300k",
        "--flops",
        "analytic",
    )
    assert rc == 0
    first = out.splitlines()[0]
    assert first.startswith(("A GPU pays", "Stay on the CPU", "Can't tell yet"))
    assert "A100 80GB SXM [estimate]" in out and "L4 [estimate]" in out
    assert "1M samples × 3 epochs" in out
    assert "Break-even dataset size" in out and "Memory:" in out and "idle hour" in out


def test_preset_sets_the_gpu_and_its_price(capsys: pytest.CaptureFixture[str], cpu_report_path: Path) -> None:
    rc, out, _ = advise(capsys, str(cpu_report_path), "--preset", "aws-g5.xlarge,aws-c7i.xlarge", "--json")
    assert rc == 0
    d = json.loads(out)
    assert d["primary"] == "A10G"
    assert d["prices"]["gpu_per_hour"] == pytest.approx(1.006)
    assert d["prices"]["cpu_per_hour"] == pytest.approx(0.1785)


def test_gpu_flag_prices_the_first_gpu_at_its_list_price(
    capsys: pytest.CaptureFixture[str], cpu_report_path: Path
) -> None:
    rc, out, _ = advise(capsys, str(cpu_report_path), "--gpu", "h100-pcie", "--json")
    assert rc == 0
    d = json.loads(out)
    assert d["primary"] == "H100 PCIe" and d["prices"]["gpu_per_hour"] == pytest.approx(2.49)


def test_measured_gpu_is_the_one_the_verdict_is_about(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "gpu.json"
    save_report(gpu_report(0.3, 0.1), path)
    rc, out, _ = advise(capsys, str(path), "--cpu-price", "1", "--gpu-price", "3", "--json")
    assert rc == 0
    d = json.loads(out)
    assert d["primary"] == "cuda:0" and d["outcome"] == "stay_on_cpu"  # 3.0x at 3x the price: a tie
    assert d["gpus"][0]["source"] == "measured"


def test_large_model_gets_a_projection(capsys: pytest.CaptureFixture[str], cpu_report_path: Path) -> None:
    rc, out, _ = advise(capsys, str(cpu_report_path), "--params", "2B", "--samples", "100k", "--flops", "analytic")
    assert rc == 0
    assert "Large-model projection" in out and "6 × 2B parameters" in out


def test_list_presets(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = advise(capsys, "--list-presets")
    assert rc == 0 and "aws-g4dn.xlarge" in out and "List prices on the date shown" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gpu", "a1000"], "unknown GPU 'a1000'; did you mean"),  # h200 joined the catalog
        (["--cpu-price", "0"], "CPU price must be more than $0/h"),
        (["--gpu-price=-2"], "GPU price must be more than $0/h"),
        (["--gpu-price", "cheap"], "GPU price 'cheap' is not a number"),
        (["--preset", "aws-x9"], "unknown price preset 'aws-x9'"),
        (["--gpu", "rtx3060"], "no rental price is known for the RTX 3060"),
        (["--samples", "lots"], "dataset size 'lots' is not a number"),
        (["--params", "10"], "model size 10 is out of range"),
        (["--precision", "fp8"], "unknown precision 'fp8'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], cpu_report_path: Path, args: list[str], message: str
) -> None:
    rc, out, err = advise(capsys, str(cpu_report_path), *args)
    assert rc == 2
    assert out == ""
    assert err.startswith("gpuwise: error: ") and message in err
    assert err.count("\n") == 1


def test_report_without_cpu_points_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "gpu-only.json"
    save_report(report([point("cuda:0", 100_000, 0.01)]), path)
    rc, _, err = advise(capsys, str(path))
    assert rc == 2 and "no measured CPU points" in err


@pytest.mark.parametrize("content", ["{broken", '{"schema": "gpuwise.report/99"}', "[]"])
def test_bad_report_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    rc, _, err = advise(capsys, str(path))
    assert rc == 2 and err.startswith("gpuwise: error: ") and err.count("\n") == 1


def test_missing_report_argument_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = advise(capsys)
    assert rc == 2 and "give a report JSON" in err


def test_python_dash_m_gpuwise_advise(cpu_report_path: Path, tmp_path: Path) -> None:
    env = {**os.environ, "GPUWISE_CONFIG_DIR": str(tmp_path / "config")}
    ok = subprocess.run(
        [sys.executable, "-m", "gpuwise", "advise", str(cpu_report_path), "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["workload"]["family"] == "mlp"
    bad = subprocess.run(
        [sys.executable, "-m", "gpuwise", "advise", str(cpu_report_path), "--gpu", "nope"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("gpuwise: error: unknown GPU 'nope'")
