"""``gpuwise estimate``: per-GPU estimates as text and JSON, labeled; bad input exits 2 with one line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from gpuwise.cli import main
from gpuwise.core import estimate as est
from gpuwise.core.bench.workloads import build_spec

ARGS = [
    "--gpu",
    "A100-80GB,H100-SXM,T4",
    "--family",
    "transformer",
    "--params",
    "110M",
    "--batch",
    "32",
    "--precision",
    "fp16",
]


def estimate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["estimate", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_json_has_one_labeled_entry_per_gpu(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = estimate(capsys, *ARGS, "--json")
    assert rc == 0 and err == ""
    doc = json.loads(out)
    assert doc["estimated"] is True
    assert [g["gpu"] for g in doc["gpus"]] == ["A100 80GB SXM", "H100 SXM", "T4"]
    for g in doc["gpus"]:
        assert g["estimated"] is True
        for key in ("step_s", "samples_per_s", "tflops", "limited_by", "band"):
            assert key in g, key
        lo, hi = g["band"]
        assert lo < g["step_s"] < hi
        assert g["samples_per_s"] == pytest.approx(32 / g["step_s"])
        assert g["tflops"] == pytest.approx(g["flops_per_step"] / g["step_s"] / 1e12)
        assert g["limited_by"] in ("compute", "memory bandwidth", "host overhead", "host link")
        assert g["fits"] is True and g["memory_needed_bytes"] < g["memory_available_bytes"]
        assert "time_to_train_s" not in g
    # the same numbers the estimator gives: the command decides nothing itself
    spec = build_spec("transformer", 110_000_000)
    direct = est.estimate_step(est.gpu_model("T4"), spec, 32, precision="fp16", flops_method="analytic")
    assert doc["gpus"][2]["step_s"] == pytest.approx(direct.step_s)
    assert doc["workload"]["params"] == spec["params"] and doc["workload"]["precision"] == "fp16"


def test_samples_and_epochs_add_a_time_to_train(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = estimate(capsys, *ARGS, "--samples", "1M", "--epochs", "3", "--json")
    assert rc == 0
    g = json.loads(out)["gpus"][0]
    steps = 3 * -(-1_000_000 // 32)
    assert g["time_to_train_s"] > steps * g["step_s"]  # plus the one-time start-up
    assert g["time_to_train_s"] == pytest.approx(steps * g["step_s"], rel=0.01)
    lo, hi = g["time_to_train_band_s"]
    assert lo < g["time_to_train_s"] < hi


def test_text_labels_every_figure_as_an_estimate(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = estimate(capsys, *ARGS, "--samples", "100k")
    assert rc == 0 and err == ""
    lines = out.splitlines()
    assert "estimates" in lines[0] and "not measured" in lines[0]
    header = next(line for line in lines if line.startswith("GPU"))
    assert "step (est.)" in header and "band" in header and "time to train 100k x 1 (est.)" in header
    for name in ("A100 80GB SXM", "H100 SXM", "T4"):
        row = next(line for line in lines if line.startswith(name + " "))
        assert "fits" in row
        assert f"  {name}: estimate: roofline" in out


def test_a_model_too_big_for_a_gpu_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = estimate(capsys, "--gpu", "T4,H200", "--params", "3B", "--batch", "8", "--json")
    assert rc == 0
    fits = {g["gpu"]: g["fits"] for g in json.loads(out)["gpus"]}
    assert fits == {"T4": False, "H200 SXM": True}
    rc, out, _ = estimate(capsys, "--gpu", "T4", "--params", "3B", "--batch", "8")
    assert "does NOT fit" in out


def test_t4_bf16_is_estimated_slower_than_fp16(capsys: pytest.CaptureFixture[str]) -> None:
    steps = {}
    for p in ("bf16", "fp16"):
        _rc, out, _ = estimate(capsys, "--gpu", "T4", "--params", "100M", "--batch", "64", "--precision", p, "--json")
        steps[p] = json.loads(out)["gpus"][0]["step_s"]
    assert steps["bf16"] > 2 * steps["fp16"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--gpu", "X100", "--params", "1M"], "unknown GPU 'X100'"),
        (["--gpu", "T4", "--params", "abc"], "is not a number"),
        (["--gpu", "T4", "--params", "1M", "--precision", "fp8"], "unknown precision"),
        (["--gpu", "T4", "--params", "1M", "--family", "rnn"], "unknown model family"),
        (["--gpu", "T4", "--params", "1M", "--batch", "0"], "batch size must be at least 1"),
        (["--gpu", "T4", "--params", "20B"], "out of range"),
        (["--gpu", "T4", "--params", "1M", "--optimizer", "lion"], "unknown optimizer"),
        (["--gpu", " , ", "--params", "1M"], "no GPU named"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    rc, out, err = estimate(capsys, *args)
    assert rc == 2 and out == ""
    assert err.startswith("gpuwise: error: ") and message in err and err.count("\n") == 1


def test_missing_required_flags_exit_2_without_a_traceback() -> None:
    res = subprocess.run(
        [sys.executable, "-m", "gpuwise", "estimate", "--params", "1M"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert res.returncode == 2 and "--gpu" in res.stderr and "Traceback" not in res.stderr
    assert res.stderr.count("\n") == 1
