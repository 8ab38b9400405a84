"""Sweeps (``gpuwise.core.bench.sweep``), stated as behaviour with a scripted clock and a stand-in for the point
measurement: how the budget is split between points, what each point is asked to measure, the progress the user
sees, the report at the end (also on cancel), the micro-benchmark share of the budget and the time estimate.

Written against the mutants of ``benchmarks/mutation.py sweep`` that the sweep tests let through.
"""

from __future__ import annotations

import platform
import re
import sys
from collections.abc import Generator, Iterator
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import pytest

import gpuwise
from gpuwise.core.bench import micro, sweep, train
from gpuwise.core.bench.events import MicroMeasured, PointMeasured, Progress, SweepFinished
from gpuwise.core.bench.sweep import SweepPlan, estimate_plan_seconds, machine_info, make_report, point_label, run_sweep
from gpuwise.core.bench.train import PointSpec, Tick
from gpuwise.core.bench.workloads import MAX_PARAMS, build_spec, input_bytes_per_sample
from gpuwise.core.cancel import Cancelled, CancelToken
from gpuwise.core.devices import DeviceInventory, GpuDevice, cpu_info
from gpuwise.core.errors import UserInputError
from gpuwise.core.report import MicroResult, Point

CPU_ONLY = DeviceInventory(cpu=cpu_info())


class Clock:
    """``time.perf_counter`` for the sweep: time passes only inside the stand-in measurements."""

    def __init__(self) -> None:
        self.t = 1000.0

    def perf_counter(self) -> float:
        return self.t


def fake_point(ps: PointSpec) -> Point:
    return Point(
        device=ps.device,
        family=ps.family,
        params=ps.params,
        architecture=ps.architecture,
        samples=ps.samples,
        batch_size=ps.batch_size,
        epochs=ps.epochs,
        precision=ps.precision,
        threads=ps.threads,
        optimizer=ps.optimizer,
        status="ok",
    )


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(sweep, "time", c)
    monkeypatch.setattr(sweep, "machine_info", lambda devices: {"devices": list(devices)})
    monkeypatch.setattr(sweep, "_prime_torch", lambda: None)
    return c


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> list[PointSpec]:
    """The points the sweep asks for; each takes 2 s and reports two training steps."""
    specs: list[PointSpec] = []

    def run_point(ps: PointSpec, cancel: Any = None) -> Generator[Tick, None, Point]:
        specs.append(ps)
        for step in (1, 2):
            clock.t += 1.0
            yield Tick("training", step, 2, 0.0)
        return fake_point(ps)

    monkeypatch.setattr(train, "run_point", run_point)
    return specs


def plan(**kw: Any) -> SweepPlan:
    base: dict[str, Any] = dict(
        family="mlp",
        params=[1_000, 2_000, 3_000],
        samples=[200],
        batch_size=32,
        epochs=2,
        precisions=["fp32"],
        devices=["cpu"],
        threads=1,
        budget_s=20.0,
        micro=False,
        optimizer="sgd",
        preload=True,
        breakdown=True,
        seed=7,
    )
    base.update(kw)
    return SweepPlan(**base)


def test_each_point_gets_an_equal_share_of_what_is_left_of_the_budget(asked: list[PointSpec]) -> None:
    list(run_sweep(plan(precisions=["bf16"]), inventory=CPU_ONLY))
    # 20 s for 3 points, each taking 2 s, less the 0.3 s set-up each
    assert [ps.budget_s for ps in asked] == pytest.approx([20 / 3 - 0.3, 18 / 2 - 0.3, 16 / 1 - 0.3])
    assert asked == [
        PointSpec(
            device="cpu",
            family="mlp",
            params=p,
            samples=200,
            batch_size=32,
            epochs=2,
            precision="bf16",
            threads=1,
            optimizer="sgd",
            budget_s=ps.budget_s,
            preload=True,
            breakdown=True,
            seed=7,
            architecture=build_spec("mlp", p),
        )
        for p, ps in zip((1_000, 2_000, 3_000), asked, strict=True)
    ]


def test_a_point_gets_at_least_half_a_second(asked: list[PointSpec]) -> None:
    list(run_sweep(plan(budget_s=3.0), inventory=CPU_ONLY))
    assert [ps.budget_s for ps in asked] == pytest.approx([3 / 3 - 0.3, 0.5, 0.5])  # then 1/2 - 0.3 and less


def test_without_threads_the_sweep_uses_the_physical_cores(asked: list[PointSpec]) -> None:
    events = list(run_sweep(plan(threads=None), inventory=CPU_ONLY))
    assert {ps.threads for ps in asked} == {sweep.default_threads()}
    finished = events[-1]
    assert isinstance(finished, SweepFinished)
    assert finished.report.settings["threads"] == sweep.default_threads()


def test_progress_says_where_the_sweep_stands_and_how_long_is_left(asked: list[PointSpec]) -> None:
    p = plan()
    expected = estimate_plan_seconds(p)  # 20 s budget plus set-up: more than the 6 s the points take here
    events = list(run_sweep(p, inventory=CPU_ONLY))
    progress = [e for e in events if isinstance(e, Progress)]
    label = asked[0].label()
    assert progress[:3] == [
        Progress("preparing", 0, 3, label, 0, 0, 0.0, expected),
        Progress("training", 0, 3, label, 1, 2, 1 / expected, expected - 1),
        Progress("training", 0, 3, label, 2, 2, 2 / expected, expected - 2),
    ]
    assert [e.point_index for e in progress] == [0, 0, 0, 1, 1, 1, 2, 2, 2]


def test_past_the_estimate_progress_stays_below_one_and_expects_a_tenth_of_a_second_more(
    asked: list[PointSpec],
) -> None:
    p = plan(budget_s=0.5)  # the points take 6 s, far past the estimate
    progress = [e for e in run_sweep(p, inventory=CPU_ONLY) if isinstance(e, Progress)]
    last = progress[-1]
    assert last.fraction == pytest.approx(min(0.99, 6 / 6.1))
    assert last.eta_s == pytest.approx(0.1)


def test_the_sweep_reports_each_point_and_ends_with_the_report(asked: list[PointSpec]) -> None:
    p = plan()
    events = list(run_sweep(p, inventory=CPU_ONLY))
    measured = [e for e in events if isinstance(e, PointMeasured)]
    assert [(e.index, e.point.params) for e in measured] == [(0, 1_000), (1, 2_000), (2, 3_000)]
    finished = events[-1]
    assert isinstance(finished, SweepFinished) and not finished.cancelled and not finished.report.cancelled
    assert finished.report.points == [e.point for e in measured]
    assert finished.report.machine == {"devices": ["cpu"]}
    assert finished.report.settings["budget_s"] == 20.0 and finished.report.settings["seed"] == 7


def test_a_cancel_keeps_the_points_measured_before(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    def run_point(ps: PointSpec, cancel: Any = None) -> Generator[Tick, None, Point]:
        if ps.params == 2_000:
            raise Cancelled()
        yield Tick("training", 1, 1, 0.0)
        return fake_point(ps)

    monkeypatch.setattr(train, "run_point", run_point)
    events = list(run_sweep(plan(), inventory=CPU_ONLY))
    finished = events[-1]
    assert isinstance(finished, SweepFinished) and finished.cancelled and finished.report.cancelled
    assert [q.params for q in finished.report.points] == [1_000]


def test_micro_benchmarks_stop_once_past_their_share_of_the_budget(
    monkeypatch: pytest.MonkeyPatch, clock: Clock, asked: list[PointSpec]
) -> None:
    results = [MicroResult("cpu", "matmul", "fp32", n, 1.0, "GFLOP/s") for n in (64, 128, 256, 512)]
    given: list[Any] = []

    def run_micro(devices: list[str], precisions: list[str], *, threads: int, cancel: Any = None) -> Iterator[Any]:
        given.append(cancel)
        for i, r in enumerate(results):
            clock.t += 2.0  # the share is 20 % of 20 s: 4 s, reached (not passed) after the second
            yield i, len(results), r if i != 1 else None

    monkeypatch.setattr(micro, "run_micro", run_micro)
    token = CancelToken()
    events = list(run_sweep(plan(micro=True), token, inventory=CPU_ONLY))
    assert given == [token]
    assert [e.result for e in events if isinstance(e, MicroMeasured)] == [results[0], results[2]]
    micro_progress = [e for e in events if isinstance(e, Progress) and e.phase == "micro"]
    assert [(e.point_index, e.label, e.step, e.steps) for e in micro_progress] == [
        (-1, "micro-benchmarks (1/4)", 1, 4),
        (-1, "micro-benchmarks (2/4)", 2, 4),
        (-1, "micro-benchmarks (3/4)", 3, 4),
    ]
    finished = events[-1]
    assert isinstance(finished, SweepFinished) and finished.report.micro == [results[0], results[2]]


def test_a_long_sweep_never_shows_more_than_99_percent_before_it_ends(
    monkeypatch: pytest.MonkeyPatch, clock: Clock
) -> None:
    def run_point(ps: PointSpec, cancel: Any = None) -> Generator[Tick, None, Point]:
        clock.t += 50.0
        yield Tick("training", 1, 1, 0.0)
        return fake_point(ps)

    monkeypatch.setattr(train, "run_point", run_point)
    progress = [e for e in run_sweep(plan(budget_s=1.0), inventory=CPU_ONLY) if isinstance(e, Progress)]
    assert max(e.fraction for e in progress) == 0.99


def test_a_sweep_plans_on_the_devices_of_the_inventory_it_is_given(asked: list[PointSpec]) -> None:
    gpu = DeviceInventory(
        cpu=cpu_info(), gpus=[GpuDevice("cuda:0", "NVIDIA H100", "cuda", 80 << 30, "9.0", "550", "12.4")]
    )
    list(run_sweep(plan(devices=["cuda:0"], params=[1_000]), inventory=gpu))
    assert [ps.device for ps in asked] == ["cuda:0"]


def test_a_fixed_size_model_is_swept_at_its_own_size() -> None:
    p = sweep.validate_plan(plan(family="resnet18", params=[5, 6]), CPU_ONLY)
    assert p.params == [build_spec("resnet18", 1_000)["params"]]


def test_the_time_estimate_is_the_budget_plus_set_up_and_data_generation_per_point() -> None:
    p = plan(params=[1_000, 2_000], samples=[200, 5_000], devices=["cpu"], precisions=["fp32", "bf16"])
    per_sample = {n: input_bytes_per_sample(build_spec("mlp", n)) for n in (1_000, 2_000)}
    setup = sum(0.3 + per_sample[n] * s / 1e9 for n in (1_000, 2_000) for s in (200, 5_000) for _ in range(2))
    assert estimate_plan_seconds(p) == pytest.approx(20.0 + setup, rel=1e-12)
    outside = plan(params=[MAX_PARAMS * 10], samples=[200])  # no model is built for a size out of range
    assert estimate_plan_seconds(outside) == 20.0 + 0.3
    top = plan(params=[MAX_PARAMS], samples=[200])
    top_bytes = input_bytes_per_sample(build_spec("mlp", MAX_PARAMS)) * 200
    assert estimate_plan_seconds(top) == pytest.approx(20.0 + 0.3 + top_bytes / 1e9, rel=1e-15)


def test_the_report_carries_the_plan_the_machine_the_version_and_a_utc_time() -> None:
    p = plan()
    pt = fake_point(PointSpec("cpu", "mlp", 1_000, 200))
    before = datetime.now(timezone.utc).replace(microsecond=0)
    rep = make_report(p, {"m": 1}, [pt], [], cancelled=True)
    created = datetime.fromisoformat(rep.created)
    assert created.tzinfo is not None and created.utcoffset() == timezone.utc.utcoffset(None)
    assert before <= created <= datetime.now(timezone.utc)
    assert "." not in rep.created  # whole seconds
    assert (rep.settings, rep.machine, rep.points, rep.cancelled) == (p.to_dict(), {"m": 1}, [pt], True)
    assert rep.gpuwise_version == gpuwise.__version__


def test_the_machine_info_describes_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from gpuwise.core import devices

    inv = DeviceInventory(cpu=cpu_info(), notes=["a note"])  # fixed: the free RAM changes from call to call
    monkeypatch.setattr(devices, "discover_devices", lambda: inv)
    info = machine_info(["cpu"])
    assert info["cpu"] == inv.cpu.to_dict()
    assert info["os"] == f"{platform.system()} {platform.release()}"
    assert info["platform"] == platform.platform()
    assert info["python"] == sys.version.split()[0]
    assert info["torch"] == str(torch.__version__)
    assert info["torch_threads_default"] == torch.get_num_threads()
    assert info["notes"] == ["a note"]


def test_the_machine_info_lists_the_gpus_swept_or_all(monkeypatch: pytest.MonkeyPatch) -> None:
    from gpuwise.core import devices

    h100 = GpuDevice("cuda:0", "NVIDIA H100", "cuda", 80 << 30, "9.0", "550", "12.4")
    l4 = GpuDevice("cuda:1", "NVIDIA L4", "cuda", 24 << 30, "8.9", "550", "12.4")
    monkeypatch.setattr(devices, "discover_devices", lambda: DeviceInventory(cpu=cpu_info(), gpus=[h100, l4]))
    assert machine_info(["cpu"])["gpus"] == []
    assert machine_info(["cpu", "cuda:1"])["gpus"] == [l4.to_dict()]
    assert machine_info(["all"])["gpus"] == [h100.to_dict(), l4.to_dict()]


def test_a_point_label_names_the_model_the_data_and_the_steps() -> None:
    pt = fake_point(PointSpec("cpu", "mlp", 1_000, 200, batch_size=32))
    assert point_label(pt) == "mlp 1,000 params x 200 samples (7 steps/epoch)"


BIG_CPU = DeviceInventory(cpu=replace(cpu_info(), logical_cores=2048, physical_cores=1024))


@pytest.mark.parametrize(
    "kw",
    [
        {"samples": [100, 100_000_000]},
        {"batch_size": 1},
        {"batch_size": 65536},
        {"epochs": 100_000},
        {"threads": 1024},
        {"budget_s": 7 * 86400.0},
    ],
)
def test_a_plan_at_its_limits_is_accepted(kw: dict[str, Any]) -> None:
    p = sweep.validate_plan(plan(**kw), BIG_CPU)
    assert all(getattr(p, k) == (sorted(v) if isinstance(v, list) else v) for k, v in kw.items())


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"params": []}, "no model size given"),
        ({"samples": []}, "no dataset size given"),
        ({"precisions": []}, "no precision given"),
        ({"precisions": ["fp8"]}, "unknown precision 'fp8' (choose from fp32, tf32, bf16, fp16)"),
        ({"samples": [99]}, "dataset size 99 is out of range (100 to 100M samples)"),
        ({"samples": [100_000_001]}, "dataset size 100,000,001 is out of range (100 to 100M samples)"),
        ({"batch_size": 65537}, "batch size 65537 is out of range (1 to 65536)"),
        ({"batch_size": 0}, "batch size 0 is out of range (1 to 65536)"),
        ({"epochs": 100_001}, "epochs 100001 is out of range (1 to 100000)"),
        ({"threads": 1025}, "threads 1025 is out of range (1 to 1024)"),
        ({"budget_s": 7 * 86400 + 1.0}, "budget must be a positive number of seconds (got 604801.0)"),
    ],
)
def test_a_plan_past_its_limits_is_refused_in_one_line(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(UserInputError, match=f"^{re.escape(message)}$"):
        sweep.validate_plan(plan(**kw), BIG_CPU)
