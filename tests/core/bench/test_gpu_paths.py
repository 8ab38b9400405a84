"""CUDA/MPS code paths, exercised with fakes on any machine; real tiny CUDA runs marked ``gpu``.

The fakes stand in for ``torch.cuda.Event``/``synchronize``/capabilities so that the branches a GPU box takes are
tested here too. The ``gpu`` tests run a real point and micro-benchmarks and are skipped without CUDA.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Any, ClassVar

import pytest
import torch

from gpuwise.core.bench import micro, train
from gpuwise.core.bench.micro import micro_plan
from gpuwise.core.bench.timing import WindowTimer, synchronizer
from gpuwise.core.bench.train import PointSpec, precision_problem, run_point
from gpuwise.core.report import Report, validate_report_dict
from tests.core.bench.test_train import drive

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA/ROCm GPU")


class FakeEvent:
    """Records what a CUDA event is asked to do; ``elapsed_time`` answers in milliseconds like the real one."""

    made: ClassVar[list[FakeEvent]] = []

    def __init__(self, enable_timing: bool = False) -> None:
        self.enable_timing = enable_timing
        self.recorded = 0
        self.synchronized = 0
        FakeEvent.made.append(self)

    def record(self, stream: Any = None) -> None:
        self.recorded += 1

    def synchronize(self) -> None:
        self.synchronized += 1

    def elapsed_time(self, end: FakeEvent) -> float:
        assert self.recorded and end.recorded and end.synchronized, "read before the end event completed"
        return 12.5


@pytest.fixture
def fake_cuda(monkeypatch: pytest.MonkeyPatch) -> Generator[list[Any], None, None]:
    syncs: list[Any] = []
    FakeEvent.made = []
    monkeypatch.setattr(torch.cuda, "Event", FakeEvent)
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: syncs.append(device))
    yield syncs


def test_window_timer_uses_cuda_events_on_cuda(fake_cuda: list[Any]) -> None:
    timer = WindowTimer("cuda:0")
    timer.start()
    assert fake_cuda == [torch.device("cuda:0")]  # queued work before the window is not counted
    assert len(FakeEvent.made) == 1 and FakeEvent.made[0].enable_timing and FakeEvent.made[0].recorded == 1
    seconds = timer.stop()
    assert seconds == pytest.approx(0.0125)
    _start, end = FakeEvent.made
    assert end.enable_timing and end.recorded == 1 and end.synchronized == 1


def test_window_timer_on_cpu_uses_no_cuda(fake_cuda: list[Any]) -> None:
    timer = WindowTimer("cpu")
    timer.start()
    assert timer.stop() >= 0
    assert fake_cuda == [] and FakeEvent.made == []


def test_synchronizer_picks_the_device_sync(fake_cuda: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    synchronizer("cuda:1")()
    assert fake_cuda == [torch.device("cuda:1")]
    mps_syncs: list[int] = []
    monkeypatch.setattr(torch.mps, "synchronize", lambda: mps_syncs.append(1))
    synchronizer("mps")()
    assert mps_syncs == [1]
    synchronizer("cpu")()
    assert fake_cuda == [torch.device("cuda:1")] and mps_syncs == [1]


def test_micro_timing_syncs_around_every_cuda_block(fake_cuda: list[Any]) -> None:
    calls = 0

    def op() -> None:
        nonlocal calls
        calls += 1

    micro.time_op(op, "cuda:0", min_block_s=0.001, blocks=3, max_total_s=1.0)
    blocks = len(FakeEvent.made) // 2 - 1  # one pair for the warm-up call
    assert blocks >= 2
    assert all(e.recorded == 1 for e in FakeEvent.made)
    assert len(fake_cuda) == blocks + 1  # a sync before each window starts


@pytest.mark.parametrize(("capability", "problem"), [((7, 5), "Ampere"), ((8, 0), None), ((9, 0), None)])
def test_tf32_needs_ampere(monkeypatch: pytest.MonkeyPatch, capability: tuple[int, int], problem: str | None) -> None:
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(torch.version, "hip", None)
    got = precision_problem("cuda:0", "tf32")
    if problem is None:
        assert got is None
    else:
        assert got is not None and problem in got


def test_bf16_on_a_gpu_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    problem = precision_problem("cuda:0", "bf16")
    assert problem is not None and "bf16" in problem
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert precision_problem("cuda:0", "bf16") is None
    assert precision_problem("cuda:0", "fp16") is None


def test_tf32_on_a_volta_point_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(train, "available_memory", lambda device: 16 * 2**30)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (7, 0))
    monkeypatch.setattr(torch.version, "hip", None)
    ticks, p = drive(
        run_point(PointSpec(device="cuda:0", family="mlp", params=10_000, samples=1_000, precision="tf32"))
    )
    assert ticks == [] and p.status == "skipped" and "Ampere" in p.message


def test_a_point_too_big_for_the_gpu_is_skipped_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(train, "available_memory", lambda device: 24 * 2**30 if device.startswith("cuda") else None)
    ticks, p = drive(run_point(PointSpec(device="cuda:0", family="mlp", params=10_000_000_000, samples=1_000)))
    assert ticks == [] and p.status == "skipped"
    assert "cuda:0" in p.message and "GiB" in p.message


def test_micro_plan_includes_host_to_device_copies_for_cuda() -> None:
    plan = micro_plan(["cpu", "cuda:0"], ["fp32", "tf32"], sizes=(256, 512))
    cuda = [(k, p, s) for d, k, p, s in plan if d == "cuda:0"]
    assert ("h2d_pageable", "fp32", 1 << 28) in cuda and ("h2d_pinned", "fp32", 1 << 28) in cuda
    assert ("matmul", "tf32", 512) in cuda
    assert ("triad", "fp32", 3 * 4 * (1 << 24)) in cuda
    cpu = [k for d, k, _p, _s in plan if d == "cpu"]
    assert not any(k.startswith("h2d") for k in cpu)
    assert plan.index(("cpu", "triad", "fp32", 3 * 4 * (1 << 24))) < plan.index(("cuda:0", "matmul", "fp32", 256))
    assert micro_plan(["mps"], ["fp32"], sizes=(256,)) == [
        ("mps", "matmul", "fp32", 256),
        ("mps", "triad", "fp32", 3 * 4 * (1 << 24)),
    ]


# ---------------------------------------------------------------- real GPU (skipped without one)


@pytest.mark.gpu
@needs_cuda
def test_real_tiny_cuda_point() -> None:
    ps = PointSpec(device="cuda:0", family="mlp", params=100_000, samples=2_000, batch_size=64, budget_s=1.0)
    _ticks, p = drive(run_point(ps))
    assert p.status == "ok", p.message
    assert p.peak_memory_method == "cuda_max_allocated"
    assert p.peak_memory_bytes is not None and p.peak_memory_bytes > 0
    assert p.step_time_s is not None and p.step_time_s.median > 0
    assert p.device_name == torch.cuda.get_device_name(0)
    rep = Report(machine={}, points=[p], micro=[], created="2026-01-01T00:00:00+00:00")
    validate_report_dict(json.loads(rep.to_json()))


@pytest.mark.gpu
@needs_cuda
def test_real_tiny_cuda_point_preloaded_with_breakdown_and_bf16() -> None:
    ps = PointSpec(
        device="cuda:0",
        family="cnn",
        params=50_000,
        samples=1_000,
        batch_size=32,
        budget_s=1.0,
        preload=True,
        breakdown=True,
        precision="bf16" if torch.cuda.is_bf16_supported() else "fp16",
    )
    _ticks, p = drive(run_point(ps))
    assert p.status == "ok", p.message
    assert set(p.step_breakdown_s) == {"data", "h2d", "forward", "backward", "optimizer"}


@pytest.mark.gpu
@needs_cuda
def test_real_cuda_micro_benchmarks(monkeypatch: pytest.MonkeyPatch) -> None:
    real_h2d = micro.h2d_gbs
    monkeypatch.setattr(
        micro, "h2d_gbs", lambda device, *, pinned, nbytes=1 << 24: real_h2d(device, pinned=pinned, nbytes=1 << 24)
    )
    out = [r for _i, _n, r in micro.run_micro(["cuda:0"], ["fp32"], threads=1, sizes=(256, 512))]
    kinds = {r.kind: r for r in out if r is not None}
    assert {"matmul", "triad", "h2d_pageable", "h2d_pinned"} <= kinds.keys()
    assert all(r.value > 0 for r in kinds.values())
