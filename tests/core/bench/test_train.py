"""One measured point: a real (tiny) CPU training loop, its statistics, and every way a point can end.

Sizes are tiny (1k-10k parameters, a few hundred samples, half-second budgets) so each test takes well under
a few seconds on a busy 2-core box. Nothing asserts on absolute times: steps and events are counted instead.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Generator
from typing import Any

import pytest
import torch
from torch import nn

from gpuwise.core.bench import train
from gpuwise.core.bench.data import steps_per_epoch
from gpuwise.core.bench.events import PointMeasured, SweepFinished
from gpuwise.core.bench.sweep import SweepPlan, run_sweep
from gpuwise.core.bench.train import PointSpec, Tick, precision_problem, run_point
from gpuwise.core.bench.workloads import build_model, build_spec
from gpuwise.core.cancel import Cancelled, CancelToken
from gpuwise.core.devices import DeviceInventory, cpu_info
from gpuwise.core.report import Point, Report, validate_report_dict

REAL_BUILD_MODEL = build_model


@pytest.fixture(autouse=True)
def _one_thread() -> Generator[None, None, None]:
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def tiny(family: str = "mlp", **kw: Any) -> PointSpec:
    base: dict[str, Any] = dict(
        device="cpu", family=family, params=2_000, samples=300, batch_size=32, threads=1, budget_s=0.5
    )
    base.update(kw)
    return PointSpec(**base)


def drive(gen: Generator[Tick, None, Point]) -> tuple[list[Tick], Point]:
    ticks: list[Tick] = []
    while True:
        try:
            ticks.append(next(gen))
        except StopIteration as stop:
            return ticks, stop.value


def as_report(point: Point) -> Report:
    """Wrap a point in a report and push it through JSON and the loader's validation."""
    rep = Report(machine={}, points=[point], micro=[], created="2026-01-01T00:00:00+00:00")
    return validate_report_dict(json.loads(rep.to_json()))


class Counting(nn.Module):
    """Wraps a real model and counts the forward passes (= training steps)."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return self.inner(x)  # type: ignore[no-any-return]


class Raising(nn.Module):
    def __init__(self, exc: BaseException) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(4))  # the optimizer needs a parameter
        self.exc = exc

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise self.exc


# ---------------------------------------------------------------- real points


@pytest.mark.parametrize(("family", "params"), [("mlp", 2_000), ("cnn", 1_000), ("transformer", 3_000)])
def test_tiny_real_point_per_family(family: str, params: int) -> None:
    ps = tiny(family, params=params)
    ticks, p = drive(run_point(ps))
    assert p.status == "ok", p.message
    assert p.device == "cpu" and p.family == family and p.threads == 1 and p.optimizer == "adam"
    assert p.architecture == build_spec(family, params)
    assert p.params == p.architecture["params"]
    st = p.step_time_s
    assert st is not None
    assert st.n >= 3
    assert st.median > 0 and st.iqr >= 0
    assert st.ci95[0] <= st.median <= st.ci95[1]
    assert p.samples_per_s is not None and p.samples_per_s > 0
    assert p.fixed_overhead_s is not None and p.fixed_overhead_s > 0
    assert set(p.overhead_breakdown_s) == {"init", "transfer", "warmup"}
    assert sum(p.overhead_breakdown_s.values()) == pytest.approx(p.fixed_overhead_s)
    assert p.flops_per_step is not None and p.flops_per_step > 0
    assert p.epoch_time_s is not None and p.epoch_time_s > 0
    assert p.time_to_train_s == pytest.approx(p.epochs * p.epoch_time_s + p.fixed_overhead_s)
    assert p.peak_memory_bytes is not None and p.peak_memory_bytes >= 0
    assert p.peak_memory_method == "rss_delta"
    assert p.estimated_memory_bytes is not None and p.estimated_memory_bytes > 0
    assert p.device_name == cpu_info().model
    assert p.unstable == (st.iqr / st.median > 0.10)
    # phases in order, and the measuring phase ends at its planned step count
    phases = [t.phase for t in ticks]
    assert phases[0] == "init"
    assert phases.index("warmup") < phases.index("measuring")
    assert "init" not in phases[1:] and "warmup" not in phases[phases.index("measuring") :]
    assert sum(1 for t in ticks if t.phase == "warmup") >= train.WARMUP_MIN_STEPS
    last = ticks[-1]
    assert last.phase == "measuring" and last.step == last.steps > 0
    assert [t.elapsed_s for t in ticks] == sorted(t.elapsed_s for t in ticks)
    as_report(p)


def test_epoch_is_measured_when_it_fits_the_budget() -> None:
    ps = tiny(samples=300, batch_size=32)
    _ticks, p = drive(run_point(ps))
    assert p.status == "ok"
    assert p.epoch_time_extrapolated is False
    assert "extrapolated" not in p.message
    assert p.dataset_resident_samples == 300
    # samples/s counts real samples of whole epochs (the last batch is partial)
    assert p.samples_per_s is not None and p.epoch_time_s is not None
    assert p.samples_per_s * p.epoch_time_s == pytest.approx(300, rel=0.5)


def test_epoch_is_extrapolated_and_flagged_when_it_does_not_fit() -> None:
    ps = tiny(samples=200_000, batch_size=32, budget_s=0.5)
    ticks, p = drive(run_point(ps))
    assert p.status == "ok", p.message
    assert p.epoch_time_extrapolated is True
    assert "extrapolated" in p.message
    spe = steps_per_epoch(200_000, 32)
    measured = ticks[-1].steps
    assert measured < spe
    assert p.step_time_s is not None and p.epoch_time_s is not None
    assert p.epoch_time_s == pytest.approx(spe * p.step_time_s.median)
    assert as_report(p).points[0].epoch_time_extrapolated is True


def test_dataset_too_big_for_ram_is_a_flagged_subset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(train, "resident_samples", lambda spec, samples, avail: 256)
    _ticks, p = drive(run_point(tiny(samples=5_000)))
    assert p.status == "ok"
    assert p.dataset_resident_samples == 256
    assert p.epoch_time_extrapolated is True
    assert "subset" in p.message


def test_breakdown_and_sgd() -> None:
    _ticks, p = drive(run_point(tiny(optimizer="sgd", breakdown=True)))
    assert p.status == "ok"
    assert p.optimizer == "sgd"
    assert set(p.step_breakdown_s) == {"data", "h2d", "forward", "backward", "optimizer"}
    assert all(v >= 0 for v in p.step_breakdown_s.values())
    assert p.step_breakdown_s["forward"] > 0


# ---------------------------------------------------------------- points that do not run


def test_point_that_cannot_fit_is_skipped_before_allocating(monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_run(*a: Any, **k: Any) -> Any:
        raise AssertionError("allocated although the point cannot fit")

    monkeypatch.setattr(train, "available_memory", lambda device: 64 * 2**20)
    monkeypatch.setattr(train, "build_model", must_not_run)
    monkeypatch.setattr(train, "SyntheticDataset", must_not_run)
    ticks, p = drive(run_point(tiny(params=10_000_000)))
    assert ticks == []
    assert p.status == "skipped"
    assert "needs about" in p.message and "free on cpu" in p.message
    assert p.estimated_memory_bytes is not None and p.estimated_memory_bytes > 64 * 2**20
    assert p.step_time_s is None and p.samples_per_s is None
    assert p.params == build_spec("mlp", 10_000_000)["params"]
    as_report(p)


def test_tf32_on_cpu_is_skipped_with_the_reason() -> None:
    ticks, p = drive(run_point(tiny(precision="tf32")))
    assert ticks == []
    assert p.status == "skipped"
    assert "TF32" in p.message
    assert precision_problem("cpu", "fp32") is None
    assert precision_problem("cpu", "bf16") is None


@pytest.mark.parametrize("message", ["CUDA out of memory. Tried to allocate 20.00 GiB", ""])
def test_oom_inside_a_step_is_marked_oom_and_memory_released(monkeypatch: pytest.MonkeyPatch, message: str) -> None:
    models: list[weakref.ref[nn.Module]] = []
    alive_at_release: list[bool] = []
    real_release = train._release

    def build(spec: dict[str, Any], device: Any = None) -> nn.Module:
        m = Raising(torch.OutOfMemoryError(message))
        models.append(weakref.ref(m))
        return m

    def release(device: str) -> None:
        real_release(device)
        alive_at_release.append(models[-1]() is not None)

    monkeypatch.setattr(train, "build_model", build)
    monkeypatch.setattr(train, "_release", release)
    _ticks, p = drive(run_point(tiny()))
    assert p.status == "oom"
    assert p.message.startswith("ran out of memory")
    if message:
        assert "Tried to allocate 20.00 GiB" in p.message
    assert "\n" not in p.message
    # the model (and everything the failed step held) is gone when memory is released
    assert alive_at_release == [False]
    as_report(p)


def test_generic_exception_is_a_failed_point(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(train, "build_model", lambda spec, device=None: Raising(ValueError("shapes do not match")))
    _ticks, p = drive(run_point(tiny()))
    assert p.status == "failed"
    assert p.message == "ValueError: shapes do not match"
    as_report(p)


def test_oom_point_does_not_stop_the_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    def build(spec: dict[str, Any], device: Any = None) -> nn.Module:
        if spec["params"] < 1_500:
            return Raising(torch.OutOfMemoryError("CUDA out of memory"))
        return REAL_BUILD_MODEL(spec, device)

    monkeypatch.setattr(train, "build_model", build)
    plan = SweepPlan(
        family="mlp", params=[1_000, 3_000], samples=[200], batch_size=32, threads=1, budget_s=1.0, micro=False
    )
    events = list(run_sweep(plan, inventory=DeviceInventory(cpu=cpu_info())))
    measured = [e.point for e in events if isinstance(e, PointMeasured)]
    assert [p.status for p in measured] == ["oom", "ok"]
    finished = events[-1]
    assert isinstance(finished, SweepFinished) and not finished.cancelled
    assert [p.status for p in finished.report.points] == ["oom", "ok"]


# ---------------------------------------------------------------- cancel


def test_cancel_after_the_first_measuring_tick_stops_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[Counting] = []

    def build(spec: dict[str, Any], device: Any = None) -> nn.Module:
        built.append(Counting(REAL_BUILD_MODEL(spec, device)))
        return built[-1]

    monkeypatch.setattr(train, "build_model", build)
    token = CancelToken()
    gen = run_point(tiny(samples=200_000, budget_s=5.0), token)  # would measure for seconds if not cancelled
    steps_at_cancel = -1
    with pytest.raises(Cancelled):
        for tick in gen:
            if tick.phase == "measuring" and steps_at_cancel < 0:
                token.cancel()
                steps_at_cancel = built[0].calls
    assert steps_at_cancel > 0
    assert built[0].calls - steps_at_cancel <= 1  # a cancel lands within one step


def test_cancel_before_start_runs_no_step(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[Counting] = []

    def build(spec: dict[str, Any], device: Any = None) -> nn.Module:
        built.append(Counting(REAL_BUILD_MODEL(spec, device)))
        return built[-1]

    monkeypatch.setattr(train, "build_model", build)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        drive(run_point(tiny(), token))
    assert sum(m.calls for m in built) == 0


def test_cancel_lands_inside_a_slow_step(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slow steps get a cancel check before each top-level layer, so a cancel need not wait out the step."""
    monkeypatch.setattr(train, "SLOW_STEP_S", 0.0)  # treat the tiny model's steps as slow
    token = CancelToken()
    armed = False
    calls = {"first": 0, "last": 0}

    def build(spec: dict[str, Any], device: Any = None) -> nn.Module:
        model = REAL_BUILD_MODEL(spec, device)
        layers = list(model.children())

        def first(_m: nn.Module, _a: Any) -> None:
            calls["first"] += 1
            if armed:
                token.cancel()  # cancelled while the step is already running

        def last(_m: nn.Module, _a: Any) -> None:
            calls["last"] += 1

        # registered before the engine's hooks, so they run first
        layers[0].register_forward_pre_hook(first)
        layers[-1].register_forward_pre_hook(last)
        return model

    monkeypatch.setattr(train, "build_model", build)
    gen = run_point(tiny(samples=200_000, budget_s=5.0), token)
    with pytest.raises(Cancelled):
        for tick in gen:
            if tick.phase == "measuring":
                assert calls["first"] == calls["last"]  # whole steps so far
                armed = True
    assert calls["first"] == calls["last"] + 1  # the step stopped before its last layer
