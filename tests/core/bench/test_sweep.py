"""Sweeps: plan validation, the event stream of a tiny real sweep, cancel, and the time estimate."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from gpuwise.core.bench.events import MicroMeasured, PointMeasured, Progress, SweepFinished
from gpuwise.core.bench.sweep import (
    SweepPlan,
    estimate_plan_seconds,
    expand,
    run_sweep,
    validate_plan,
)
from gpuwise.core.cancel import CancelToken
from gpuwise.core.devices import DeviceInventory, GpuDevice, cpu_info
from gpuwise.core.errors import UserInputError
from gpuwise.core.report import load_report, save_report, validate_report_dict

CPU_ONLY = DeviceInventory(cpu=cpu_info(), notes=["This torch (2.13.0+cpu) is a CPU-only build."])
WITH_GPU = DeviceInventory(
    cpu=cpu_info(), gpus=[GpuDevice("cuda:0", "NVIDIA H100", "cuda", 80 * 2**30, "9.0", "550", "12.4")]
)


def tiny_plan(**kw: Any) -> SweepPlan:
    base: dict[str, Any] = dict(
        family="mlp",
        params=[1_000, 2_000],
        samples=[200],
        batch_size=32,
        devices=["cpu"],
        threads=1,
        budget_s=1.5,
        micro=False,
    )
    base.update(kw)
    return SweepPlan(**base)


# ---------------------------------------------------------------- validation


def test_default_plan_is_valid() -> None:
    plan = validate_plan(SweepPlan(), CPU_ONLY)
    assert plan.devices == ["cpu"]
    assert len(expand(plan)) == 6


def test_validate_normalises_the_plan() -> None:
    plan = validate_plan(
        tiny_plan(
            family=" MLP",
            params=[2_000, 1_000, 2_000],
            samples=[500, 200],
            precisions=["FP32", "fp32"],
            devices=["all"],
            optimizer="SGD",
        ),
        WITH_GPU,
    )
    assert plan.family == "mlp"
    assert plan.params == [1_000, 2_000]
    assert plan.samples == [200, 500]
    assert plan.precisions == ["fp32"]
    assert plan.devices == ["cpu", "cuda:0"]
    assert plan.optimizer == "sgd"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"family": "resnet"}, ["unknown model family", "resnet"]),
        ({"params": [999]}, ["out of range"]),
        ({"params": [10_000_000_001]}, ["out of range"]),
        ({"params": []}, ["no model size"]),
        ({"samples": [99]}, ["dataset size", "out of range"]),
        ({"samples": [100_000_001]}, ["dataset size", "out of range"]),
        ({"samples": []}, ["no dataset size"]),
        ({"batch_size": 0}, ["batch size"]),
        ({"epochs": 0}, ["epochs"]),
        ({"budget_s": 0}, ["budget"]),
        ({"budget_s": -1.0}, ["budget"]),
        ({"budget_s": float("nan")}, ["budget"]),
        ({"budget_s": float("inf")}, ["budget"]),
        ({"precisions": ["fp8"]}, ["unknown precision", "fp8"]),
        ({"precisions": []}, ["no precision"]),
        ({"threads": 0}, ["threads"]),
        ({"optimizer": "lion"}, ["unknown optimizer"]),
        ({"devices": ["cuda:9"]}, ["cuda:9", "not available", "CPU-only"]),
        ({"devices": ["tpu"]}, ["unknown device"]),
        ({"devices": []}, ["no device"]),
    ],
)
def test_validate_plan_refuses_bad_plans(change: dict[str, Any], words: list[str]) -> None:
    with pytest.raises(UserInputError) as e:
        validate_plan(replace(tiny_plan(), **change), CPU_ONLY)
    for w in words:
        assert w in str(e.value)


def test_estimate_covers_at_least_the_budget() -> None:
    for plan in (tiny_plan(), SweepPlan(), tiny_plan(samples=[100_000_000], budget_s=5.0)):
        est = estimate_plan_seconds(plan)
        assert est >= plan.budget_s
    # more points or bigger datasets cost more set-up time
    assert estimate_plan_seconds(tiny_plan(params=[1_000, 2_000, 4_000])) > estimate_plan_seconds(tiny_plan())
    assert estimate_plan_seconds(tiny_plan(samples=[10_000_000])) > estimate_plan_seconds(tiny_plan())


def test_estimate_needs_no_torch() -> None:
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys; from gpuwise.core.bench.sweep import SweepPlan, estimate_plan_seconds; "
        "estimate_plan_seconds(SweepPlan()); print('torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------- a real tiny sweep


def test_tiny_sweep_yields_progress_points_and_a_valid_report(tmp_path: Any) -> None:
    events = list(run_sweep(tiny_plan(), inventory=CPU_ONLY))
    progress = [e for e in events if isinstance(e, Progress)]
    measured = [e for e in events if isinstance(e, PointMeasured)]
    finished = events[-1]
    assert isinstance(finished, SweepFinished)
    assert sum(isinstance(e, SweepFinished) for e in events) == 1
    assert not any(isinstance(e, MicroMeasured) for e in events)  # micro off

    assert progress, "no progress at all"
    fractions = [p.fraction for p in progress]
    assert all(0.0 <= f <= 1.0 for f in fractions)
    assert fractions == sorted(fractions)
    assert all(p.eta_s >= 0 and p.point_count == 2 for p in progress)
    assert {p.point_index for p in progress} == {0, 1}
    assert {"preparing", "init", "warmup", "measuring"} <= {p.phase for p in progress}
    assert "mlp 1k params" in progress[0].label and "on cpu fp32" in progress[0].label

    assert [m.index for m in measured] == [0, 1]
    assert [m.point.status for m in measured] == ["ok", "ok"]
    rep = finished.report
    assert finished.cancelled is False and rep.cancelled is False
    assert rep.points == [m.point for m in measured]
    assert [p.params for p in rep.points] == sorted(p.params for p in rep.points)
    assert rep.settings["budget_s"] == 1.5 and rep.settings["threads"] == 1
    assert rep.machine["cpu"]["model"] and rep.machine["torch"] and rep.machine["python"]
    assert rep.created

    loaded = validate_report_dict(json.loads(rep.to_json()))
    assert loaded.points == rep.points
    save_report(rep, tmp_path / "r.json")
    assert load_report(tmp_path / "r.json") == loaded


def test_cancel_during_the_second_point_keeps_the_first() -> None:
    token = CancelToken()
    # the first point's epoch fits (quick); the second would measure for seconds if not cancelled
    plan = tiny_plan(params=[1_000], samples=[200, 200_000], budget_s=10.0)
    events = []
    for ev in run_sweep(plan, token, inventory=CPU_ONLY):
        events.append(ev)
        if isinstance(ev, Progress) and ev.point_index == 1 and ev.phase == "warmup":
            token.cancel()
    measured = [e for e in events if isinstance(e, PointMeasured)]
    finished = events[-1]
    assert isinstance(finished, SweepFinished)
    assert finished.cancelled is True and finished.report.cancelled is True
    assert [m.index for m in measured] == [0]
    assert len(finished.report.points) == 1
    assert finished.report.points[0].status == "ok"
    # nothing after the cancel but the finish
    cancel_at = next(
        i for i, e in enumerate(events) if isinstance(e, Progress) and e.point_index == 1 and e.phase == "warmup"
    )
    assert all(isinstance(e, SweepFinished) for e in events[cancel_at + 1 :])
    validate_report_dict(json.loads(finished.report.to_json()))


def test_sweep_refuses_a_bad_plan_before_measuring() -> None:
    with pytest.raises(UserInputError, match="cuda:9"):
        next(iter(run_sweep(tiny_plan(devices=["cuda:9"]), inventory=CPU_ONLY)))


def test_sweep_with_micro_yields_micro_results(monkeypatch: pytest.MonkeyPatch) -> None:
    from gpuwise.core.bench import micro

    monkeypatch.setattr(micro, "MATMUL_SIZES", (64,))
    real_run_micro = micro.run_micro

    def small_run_micro(*a: Any, **k: Any) -> Any:
        k["sizes"] = (64, 128)
        return real_run_micro(*a, **k)

    real_triad = micro.triad_gbs
    monkeypatch.setattr(micro, "run_micro", small_run_micro)
    monkeypatch.setattr(micro, "triad_gbs", lambda device, n=1 << 16: real_triad(device, n))
    events = list(run_sweep(tiny_plan(params=[1_000], micro=True), inventory=CPU_ONLY))
    micro_events = [e for e in events if isinstance(e, MicroMeasured)]
    assert {(e.result.kind, e.result.size) for e in micro_events} >= {("matmul", 64), ("matmul", 128)}
    finished = events[-1]
    assert isinstance(finished, SweepFinished)
    assert finished.report.micro == [e.result for e in micro_events]
    assert any(isinstance(e, Progress) and e.phase == "micro" and e.point_index == -1 for e in events)
    validate_report_dict(json.loads(finished.report.to_json()))


def test_threads_above_the_logical_cores_are_refused_plainly() -> None:
    cpu = replace(cpu_info(), logical_cores=2, physical_cores=2)
    two_cores = DeviceInventory(cpu=cpu)
    assert validate_plan(tiny_plan(threads=2), two_cores).threads == 2
    with pytest.raises(UserInputError, match=r"threads 999 is more than this machine's 2 logical CPU cores"):
        validate_plan(tiny_plan(threads=999), two_cores)
    with pytest.raises(UserInputError, match="at most 2"):
        validate_plan(tiny_plan(threads=3), two_cores)
