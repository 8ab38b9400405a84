"""``gpuwise devices``: every compute device, as text and JSON, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from gpuwise.cli import main
from gpuwise.cli.commands import devices as cli_devices
from gpuwise.core import devices as devices_mod
from gpuwise.core.devices import CpuInfo, DeviceInventory, GpuDevice

REPO = Path(__file__).resolve().parents[2]


def gpuwise(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.run(
        [sys.executable, "-m", "gpuwise", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
        check=False,
    )


def test_devices_json_is_valid_and_explains_the_missing_gpu() -> None:
    res = gpuwise("devices", "--json")
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    data = json.loads(res.stdout)
    assert {"cpu", "gpus", "notes", "torch"} <= data.keys()
    cpu = data["cpu"]
    for key in (
        "model",
        "arch",
        "physical_cores",
        "logical_cores",
        "simd",
        "clock_ghz",
        "peak_fp32_gflops",
        "peak_formula",
        "ram_total",
        "ram_available",
    ):
        assert key in cpu
    assert cpu["physical_cores"] >= 1
    if not data["gpus"]:
        assert data["notes"], "no GPU and no word why"
        assert any("GPU" in n or "NVML" in n or "CPU-only" in n for n in data["notes"])


def test_devices_text_lists_the_cpu_and_the_notes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("cpu ")
    assert any("physical" in line and "logical" in line and "SIMD" in line for line in lines)
    assert any("GFLOP/s" in line or "peak unknown" in line for line in lines)
    assert any(line.startswith("torch ") for line in lines)


FAKE = DeviceInventory(
    cpu=CpuInfo("Fake CPU", "x86_64", 8, 16, "avx2", 3.0, 32, 768.0, "8 cores x 3 GHz x 32 FLOPs/cycle", 2**35, 2**34),
    gpus=[
        GpuDevice("cuda:0", "NVIDIA H100", "cuda", 80 * 2**30, "9.0", "550.54.15", "12.4"),
        GpuDevice("cuda:1", "AMD Instinct MI300X", "rocm", 192 * 2**30, None, None, "6.2"),
        GpuDevice("mps", "Apple GPU (Metal)", "mps", None, None, None, None),
    ],
    notes=["One sentence about something."],
    torch_version="2.13.0",
)


@pytest.fixture(autouse=True)
def fake_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devices_mod, "probe_cpu_matmul_gflops", lambda: (700.0, "fp32 matmul n=2048, 8 threads"))


def test_devices_text_with_every_kind_of_gpu(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(devices_mod, "discover_devices", lambda: FAKE)
    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    assert "768 GFLOP/s fp32 theoretical = 8 cores x 3 GHz x 32 FLOPs/cycle" in out
    assert "700 GFLOP/s measured (fp32 matmul n=2048, 8 threads)" in out
    assert "cuda:0   NVIDIA H100, 80 GiB (compute capability 9.0, driver 550.54.15, CUDA 12.4)" in out
    assert "cuda:1   AMD Instinct MI300X, 192 GiB (ROCm/HIP 6.2)" in out
    assert "mps      Apple GPU (Metal), shared memory" in out
    assert "note     One sentence about something." in out


def test_devices_json_with_fakes(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(devices_mod, "discover_devices", lambda: FAKE)
    assert main(["devices", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [g["id"] for g in data["gpus"]] == ["cuda:0", "cuda:1", "mps"]
    assert data["gpus"][1]["backend"] == "rocm"
    assert data["cpu"]["peak_fp32_gflops"] == 768.0
    assert data["cpu_peak"]["formula_label"] == "theoretical peak" and data["cpu_peak"]["measured_gflops"] == 700.0
    assert cli_devices.run.__module__ == "gpuwise.cli.commands.devices"


VM = replace(
    FAKE,
    cpu=replace(
        FAKE.cpu,
        physical_cores=2,
        logical_cores=2,
        clock_ghz=2.445,
        peak_fp32_gflops=156.5,
        peak_formula="2 cores x 2.445 GHz x 32 FLOPs/cycle",
        clock_source="current",
    ),
    gpus=[],
    notes=[],
)


def test_a_vm_without_a_max_clock_shows_measured_vs_formula_with_notes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(devices_mod, "discover_devices", lambda: VM)
    monkeypatch.setattr(devices_mod, "probe_cpu_matmul_gflops", lambda: (165.0, "fp32 matmul n=2048, 2 threads"))
    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    assert "theoretical" not in out.replace("not a theoretical peak", "")
    assert "156.5 GFLOP/s fp32 formula (not a theoretical peak) = 2 cores x 2.445 GHz" in out
    assert "clock 2.445 GHz (current clock; the maximum is not reported)" in out
    assert "165 GFLOP/s measured (fp32 matmul n=2048, 2 threads)" in out
    assert "note     the measured 165 GFLOP/s is above the formula's 156" in out
    assert main(["devices", "--json"]) == 0
    peak = json.loads(capsys.readouterr().out)["cpu_peak"]
    assert peak["formula_label"] == "formula peak" and len(peak["notes"]) == 2


def test_no_probe_skips_the_measurement(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(devices_mod, "discover_devices", lambda: VM)

    def boom() -> tuple[float, str]:
        raise AssertionError("probed")

    monkeypatch.setattr(devices_mod, "probe_cpu_matmul_gflops", boom)
    assert main(["devices", "--no-probe"]) == 0
    out = capsys.readouterr().out
    assert "measured" not in out and "not a theoretical peak here" in out


def test_a_report_path_without_a_command_means_open_it_in_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    import gpuwise.cli as cli
    from gpuwise.cli.commands import gui

    opened: list[list[str]] = []
    monkeypatch.setattr(gui, "run", lambda args: opened.append([args.report]) or 0)
    assert cli.main(["results/report.json"]) == 0
    assert opened == [["results/report.json"]]
