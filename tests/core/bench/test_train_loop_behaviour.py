"""The measurement loop around the steps: progress ticks, overheads, memory, notes, optimizer, CUDA and ranks.

Same scripted clock as ``test_train_behaviour`` (each training step "takes" a duration the test chose), so every
number checked here is exact. What a CPU-only machine cannot run is replaced by fakes that record what the loop
asked for: the CUDA calls (a "GPU" whose work runs on the CPU), a data-parallel collective with a second, slower
rank, the background-load meter and the process's RSS.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from contextlib import nullcontext
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
import torch
from torch import nn

from gpuwise.core.bench import train
from gpuwise.core.bench.data import BatchStream, SyntheticDataset
from gpuwise.core.bench.train import PointSpec, Tick, measure_point, run_point
from gpuwise.core.bench.workloads import build_model, build_spec, count_flops_per_step, input_bytes_per_sample
from gpuwise.core.cancel import Cancelled, CancelToken
from gpuwise.core.report import BUSY_LOAD, Point, busy_machine_text
from gpuwise.core.units import format_count
from tests.core.bench.test_train import Counting
from tests.core.bench.test_train_behaviour import FAST, HUGE, SLOW, Clock, Stepping, scripted

START = 0.25  # the fake clock's reading when the point starts: elapsed times must subtract it
MIB = 1 << 20
SPEC = build_spec("mlp", 2_000)


@pytest.fixture(autouse=True)
def _restore_threads() -> Generator[None, None, None]:
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def point_spec(samples: int, batch_size: int = 32, **kw: Any) -> PointSpec:
    return PointSpec(
        device=kw.pop("device", "cpu"),
        family="mlp",
        params=2_000,
        samples=samples,
        batch_size=batch_size,
        **{"budget_s": 0.5, "threads": 1, **kw},
    )


def drive(
    clock: Clock, ps: PointSpec, cancel: CancelToken | None = None, coll: Any = None
) -> tuple[list[tuple[Tick, float, int]], Point]:
    """Run a point; every tick comes with the fake clock's reading and the steps trained when it was yielded."""
    seen: list[tuple[Tick, float, int]] = []
    gen = run_point(ps, cancel, coll)
    while True:
        try:
            tick = next(gen)
        except StopIteration as stop:
            return seen, stop.value
        seen.append((tick, clock.now, clock.steps))


@pytest.fixture(autouse=True)
def _quiet_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The load meter would read this busy test machine against the fake clock: it reads nothing unless told."""
    FakeLoad.value, FakeLoad.made = None, []
    monkeypatch.setattr(train, "BackgroundLoad", FakeLoad)


def ok(p: Point) -> Point:
    assert p.status == "ok", p.message
    return p


# --- progress ticks ---------------------------------------------------------------------------------------------


def test_ticks_report_init_each_warm_up_step_and_measured_steps_at_most_every_50_ms(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = scripted(monkeypatch, lambda i: FAST, start=START, real_share=1e-6)
    seen, p = drive(clock, point_spec(samples=640, budget_s=5.0))  # 20 steps of 15.6 ms per epoch: one epoch
    ok(p)
    ticks = [t for t, _, _ in seen]
    assert ticks[0] == Tick("init", 0, 0, 0.0)
    warm = [t for t in ticks if t.phase == "warmup"]
    measuring = [(t, steps) for t, _, steps in seen if t.phase == "measuring"]
    assert [t.step for t in warm] == [1, 2, 3, 4, 5]  # steady from the start: settled after five
    assert all(t.steps == train.WARMUP_MIN_STEPS for t in warm)
    assert [t.phase for t in ticks] == ["init"] + ["warmup"] * 5 + ["measuring"] * len(measuring)
    # the first measured step ticks at once, then one tick per 50 ms (every 4th 15.6 ms step), and the end
    assert [t.step for t, _ in measuring] == [1, 5, 9, 13, 17, 20]
    assert all(t.steps == 20 for t, _ in measuring)
    # a measuring tick counts the measured steps done when it was sent
    assert all(t.step == steps - 5 for t, steps in measuring)
    # elapsed is the time since the point started, on the point's own clock
    for tick, now, _ in seen[1:]:
        assert tick.elapsed_s == pytest.approx(now - START, abs=1e-3)


# --- fixed overheads --------------------------------------------------------------------------------------------


def test_device_init_and_model_transfer_are_timed_up_to_a_device_synchronisation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = scripted(monkeypatch, lambda i: FAST, start=START)
    waits = [2.0**-3, 2.0**-2]  # what the device still had to finish after init, then after the model's copy
    synced: list[str] = []

    def synchronizer(device: str) -> Callable[[], None]:
        def sync() -> None:
            synced.append(device)
            clock.now += waits.pop(0) if waits else 0.0

        return sync

    monkeypatch.setattr(train, "synchronizer", synchronizer)
    _, p = drive(clock, point_spec(samples=320, budget_s=5.0))
    ok(p)
    assert synced == ["cpu", "cpu"]
    assert p.overhead_breakdown_s["init"] == pytest.approx(2.0**-3, abs=5e-3)
    assert p.overhead_breakdown_s["transfer"] == pytest.approx(2.0**-2, abs=5e-3)
    assert p.overhead_breakdown_s["warmup"] == 0.0  # steady steps: nothing in excess
    assert p.fixed_overhead_s == pytest.approx(2.0**-3 + 2.0**-2, abs=1e-2)
    assert set(clock.timer_devices) == {"cpu"}  # the step windows are timed on the point's device
    assert p.flops_per_step == count_flops_per_step(SPEC, 32)
    assert p.step_breakdown_s == {}  # only when asked for


# --- warm-up ----------------------------------------------------------------------------------------------------


def alternating(i: int) -> float:
    """Warm-up steps that never agree within 15 %."""
    return 2.0**-4 if i % 2 == 0 else 2.0**-3


def test_a_warm_up_that_never_settles_ends_with_the_step_that_spends_its_budget_share(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = scripted(monkeypatch, alternating)
    budget = 5 / 3  # its 15 % is exactly 0.25 s: 1/16 + 1/8 + 1/16
    assert budget * train.WARMUP_SHARE == 0.25
    seen, p = drive(clock, point_spec(samples=64, budget_s=budget))
    ok(p)
    assert [t.step for t, _, _ in seen if t.phase == "warmup"] == [1, 2, 3]


def test_a_warm_up_that_never_settles_stops_at_the_step_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = scripted(monkeypatch, alternating)
    seen, p = drive(clock, point_spec(samples=32, budget_s=100.0))  # 15 s of warm-up budget: never reached
    ok(p)
    assert sum(1 for t, _, _ in seen if t.phase == "warmup") == train.WARMUP_MAX_STEPS


# --- the optimizer ----------------------------------------------------------------------------------------------


def recording(real: type[torch.optim.Optimizer], made: list[dict[str, Any]]) -> Callable[..., Any]:
    """``real``, counting its steps and how it clears the gradients."""

    def make(params: Any, **kw: Any) -> torch.optim.Optimizer:
        opt = real(params, **kw)
        rec: dict[str, Any] = {"opt": opt, "steps": 0, "cleared": []}
        made.append(rec)
        opt.register_step_post_hook(lambda *_: rec.__setitem__("steps", rec["steps"] + 1))
        zero_grad = opt.zero_grad

        def clear(set_to_none: bool = True) -> None:
            rec["cleared"].append(set_to_none)
            zero_grad(set_to_none=set_to_none)

        opt.zero_grad = clear  # type: ignore[method-assign]
        return opt

    return make


@pytest.mark.parametrize(
    ("optimizer", "kind", "lr"), [("adam", torch.optim.Adam, 1e-3), ("sgd", torch.optim.SGD, 1e-2)]
)
def test_the_optimizer_named_by_the_point_steps_once_per_batch(
    monkeypatch: pytest.MonkeyPatch, optimizer: str, kind: type, lr: float
) -> None:
    made: list[dict[str, Any]] = []
    monkeypatch.setattr(torch.optim, "Adam", recording(torch.optim.Adam, made))
    monkeypatch.setattr(torch.optim, "SGD", recording(torch.optim.SGD, made))
    clock = scripted(monkeypatch, lambda i: FAST)
    _, p = drive(clock, point_spec(samples=64, optimizer=optimizer))
    assert ok(p).optimizer == optimizer
    [rec] = made
    assert type(rec["opt"]) is kind
    assert rec["opt"].param_groups[0]["lr"] == lr  # the usual rate for each: the weights stay finite
    assert rec["steps"] == clock.steps  # one update per forward pass
    # gradients are released before each backward (PyTorch's default), not zeroed in place
    assert rec["cleared"] == [True] * clock.steps


# --- memory -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("growth", "peak"),
    [
        (lambda steps: 0, 0),  # nothing allocated: 0 B, not a byte more
        (lambda steps: {8: 3 * MIB}.get(steps, MIB if steps else 0), 3 * MIB),  # a peak mid-measurement
    ],
)
def test_cpu_peak_memory_is_the_highest_rss_seen_over_the_rss_before_the_model(
    monkeypatch: pytest.MonkeyPatch, growth: Callable[[int], int], peak: int
) -> None:
    clock = scripted(monkeypatch, lambda i: FAST)
    monkeypatch.setattr(train, "_rss", lambda: 400 * MIB + growth(clock.steps))
    _, p = drive(clock, point_spec(samples=320, budget_s=5.0))  # 5 warm-up steps, then 10 one-step windows
    assert ok(p).peak_memory_bytes == peak
    assert p.peak_memory_method == "rss_delta"


# --- notes: background load, instability, a dataset held in part ------------------------------------------------


class FakeLoad:
    value: ClassVar[float | None] = None
    made: ClassVar[list[tuple[int, ...]]] = []

    def __init__(self, also_own: tuple[int, ...] = ()) -> None:
        FakeLoad.made.append(also_own)

    def read(self) -> float | None:
        return FakeLoad.value


@pytest.mark.parametrize(("load", "busy"), [(None, False), (BUSY_LOAD, False), (0.625, True)])
def test_a_busy_machine_is_noted_only_above_the_busy_load(
    monkeypatch: pytest.MonkeyPatch, load: float | None, busy: bool
) -> None:
    FakeLoad.value = load
    clock = scripted(monkeypatch, lambda i: FAST)
    _, p = drive(clock, point_spec(samples=64))
    assert ok(p).background_cpu_load == load
    assert FakeLoad.made == [()]  # a single process: no other rank's time counts as its own
    note = "during the measurement, so these times are pessimistic (threads compete for cores)"
    if busy:
        assert p.message == f"{busy_machine_text([0.625])} {note}"
    else:
        assert p.message == ""


def test_step_times_that_vary_are_flagged_unstable(monkeypatch: pytest.MonkeyPatch) -> None:
    # steady warm-up, then measured steps alternating between 1 and 2 units, on a busy machine
    FakeLoad.value = 0.625
    clock = scripted(monkeypatch, lambda i: FAST if i < 5 or i % 2 else 2 * FAST)
    _, p = drive(clock, point_spec(samples=320, budget_s=5.0))
    assert ok(p).unstable
    assert p.message == (
        "unstable: step times vary by more than 10 % (IQR/median); another program may be busy; "
        f"{busy_machine_text([0.625])} during the measurement, so these times are pessimistic "
        "(threads compete for cores)"
    )


def host_ram_for(resident: int, world: int = 1) -> int:
    """Host RAM (as ``available_memory('cpu')`` reports it) in which exactly ``resident`` samples per rank fit."""
    return 4 * resident * world * input_bytes_per_sample(SPEC)


def test_a_dataset_held_in_part_counts_the_batches_trained_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(train, "available_memory", {"cpu": host_ram_for(64)}.get)
    monkeypatch.setattr(train, "estimate_training_memory", lambda *a, **k: SimpleNamespace(total=4096))
    clock = scripted(monkeypatch, lambda i: FAST)
    # 120 samples in 4 steps (the last one partial), of which 64 fit in RAM: 3 epochs of 4 one-step windows
    _, p = drive(clock, point_spec(samples=120))
    ok(p)
    assert p.dataset_resident_samples == 64
    assert p.epoch_time_extrapolated
    assert p.message == f"dataset held as a subset of {format_count(64)} samples (RAM); epoch time extrapolated"
    # every measured step trained a full batch drawn from the subset: samples/s is that, not 120 per epoch
    assert p.samples_per_s == pytest.approx(32 / FAST)
    assert p.epoch_time_s == pytest.approx(4 * FAST)
    assert p.estimated_memory_bytes == 4096


# --- cancel -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "warm_up", "interrupted"),
    [(HUGE, 3, True), (FAST, 5, False), (train.SLOW_STEP_S, 3, False)],  # exactly SLOW_STEP_S is not slow yet
)
def test_a_cancel_lands_inside_a_slow_step_before_its_next_layer(
    monkeypatch: pytest.MonkeyPatch, duration: float, warm_up: int, interrupted: bool
) -> None:
    token = CancelToken()

    def step_time(i: int) -> float:
        if i == warm_up + 1:  # during the second measured step's forward pass
            token.cancel()
        return duration

    clock = scripted(monkeypatch, step_time)
    layers: list[Counting] = []

    def model(spec: dict[str, Any]) -> nn.Module:
        layers.append(Counting(build_model(spec)))  # the top-level layer
        return Stepping(layers[-1], clock)

    monkeypatch.setattr(train, "build_model", model)
    with pytest.raises(Cancelled):
        drive(clock, point_spec(samples=320), cancel=token)
    # a step slower than SLOW_STEP_S checks before each top-level layer; a fast one finishes its step first
    assert layers[0].calls == warm_up + (1 if interrupted else 2)


# --- CUDA, with the device faked ---------------------------------------------------------------------------------


class FakeGpu:
    """A 'cuda:0' whose work runs on the CPU; records what the loop asked of CUDA, in order."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.clock = clock
        calls = self.calls
        real_empty = torch.empty
        real_scaler = torch.amp.GradScaler

        def empty(*args: Any, device: Any = None, **kw: Any) -> torch.Tensor:
            if device is not None:  # not the host allocations of model building
                calls.append(("empty", device))
            if isinstance(device, str) and device.startswith("cuda"):
                device = "cpu"
            return real_empty(*args, device=device, **kw)

        class OnFakeGpu(Stepping):
            def to(self, device: Any) -> OnFakeGpu:  # type: ignore[override]
                calls.append(("to", device))
                return self

        def stream(data: SyntheticDataset, batch_size: int, device: str, *, preload: bool = False) -> BatchStream:
            calls.append(("stream", device, batch_size, preload))
            return BatchStream(data, batch_size, "cpu", preload=preload)

        def scaler(device: str = "cuda", enabled: bool = True, **kw: Any) -> Any:
            calls.append(("scaler", device, enabled))
            return real_scaler("cpu", enabled=False)

        def autocast(device: str, precision: str) -> Callable[[], Any]:
            calls.append(("autocast", device, precision))
            return nullcontext

        monkeypatch.setattr(torch, "empty", empty)
        monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: calls.append(("sync", device)))
        monkeypatch.setattr(torch.cuda, "reset_peak_memory_stats", lambda device=None: calls.append(("reset", device)))
        monkeypatch.setattr(
            torch.cuda, "max_memory_allocated", lambda device=None: (calls.append(("peak", device)), 3 * MIB)[1]
        )
        monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
        monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "Fake GPU")
        monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (8, 0))
        monkeypatch.setattr(torch.version, "hip", None)
        monkeypatch.setattr(torch.amp, "GradScaler", scaler)
        monkeypatch.setattr(train, "available_memory", lambda device: None)
        monkeypatch.setattr(train, "BatchStream", stream)
        monkeypatch.setattr(train, "_autocast", autocast)
        monkeypatch.setattr(train, "build_model", lambda spec: OnFakeGpu(build_model(spec), clock))

    def before_first_step(self, *kinds: str) -> list[tuple[Any, ...]]:
        first = next(i for i, c in enumerate(self.calls) if c[0] == "first step")
        return [c for c in self.calls[:first] if c[0] in kinds]


def on_fake_gpu(monkeypatch: pytest.MonkeyPatch, step_time: Callable[[int], float] = lambda i: FAST) -> FakeGpu:
    gpu: FakeGpu | None = None

    def duration(i: int) -> float:
        assert gpu is not None
        if i == 0:
            gpu.calls.append(("first step",))
        return step_time(i)

    clock = scripted(monkeypatch, duration)
    gpu = FakeGpu(monkeypatch, clock)
    return gpu


def test_a_cuda_point_syncs_init_and_transfer_and_reads_the_peak_from_the_allocator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gpu = on_fake_gpu(monkeypatch)
    _, p = drive(gpu.clock, point_spec(samples=64, device="cuda:0", preload=True))
    ok(p)
    dev = torch.device("cuda:0")
    # the device is initialised and synced, the peak counter reset before the model exists, the copy synced
    assert gpu.before_first_step("empty", "sync", "reset", "to") == [
        ("empty", "cuda:0"),
        ("sync", dev),
        ("reset", dev),
        ("to", "cuda:0"),
        ("sync", dev),
    ]
    assert gpu.before_first_step("stream") == [("stream", "cuda:0", 32, True)]
    assert gpu.before_first_step("autocast") == [("autocast", "cuda:0", "fp32")]
    assert ("peak", dev) in gpu.calls
    assert p.peak_memory_bytes == 3 * MIB
    assert p.peak_memory_method == "cuda_max_allocated"
    assert p.device_name == "Fake GPU"
    assert set(gpu.clock.timer_devices) == {"cuda:0"}


@pytest.mark.parametrize(
    ("device", "precision", "scaled"), [("cuda:0", "fp16", True), ("cuda:0", "fp32", False), ("cpu", "fp16", False)]
)
def test_loss_scaling_is_on_only_for_fp16_on_cuda(
    monkeypatch: pytest.MonkeyPatch, device: str, precision: str, scaled: bool
) -> None:
    gpu = on_fake_gpu(monkeypatch)
    _, p = drive(gpu.clock, point_spec(samples=64, device=device, precision=precision))
    ok(p)
    [scaler] = [c for c in gpu.calls if c[0] == "scaler"]
    assert scaler[2] is scaled
    if scaled:
        assert scaler[1] == "cuda"
    assert gpu.before_first_step("autocast") == [("autocast", device, precision)]


@pytest.fixture
def tf32_switches() -> Generator[None, None, None]:
    """Puts torch's process-wide TF32 switches back as they were."""
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


@pytest.mark.parametrize(
    ("device", "precision", "before", "during"),
    [
        ("cuda:0", "fp32", (True, True), (False, False)),  # fp32 on a GPU stays fp32, whatever was set before
        ("cuda:0", "tf32", (False, False), (True, True)),  # TF32 only when the point asks for it
        ("cpu", "fp32", (True, False), (True, False)),  # a CPU point leaves the CUDA switches alone
    ],
)
def test_tf32_is_on_for_a_cuda_point_exactly_when_it_asks_for_tf32(
    monkeypatch: pytest.MonkeyPatch,
    tf32_switches: None,
    device: str,
    precision: str,
    before: tuple[bool, bool],
    during: tuple[bool, bool],
) -> None:
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = before
    seen: set[tuple[bool, bool]] = set()

    def step_time(i: int) -> float:
        seen.add((torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32))
        return FAST

    gpu = on_fake_gpu(monkeypatch, step_time)
    _, p = drive(gpu.clock, point_spec(samples=64, device=device, precision=precision))
    ok(p)
    assert seen == {during}


# --- data-parallel ranks, with a fake collective -----------------------------------------------------------------


class Replica(nn.Module):
    """What ``Collective.wrap`` returns (DistributedDataParallel in real life): counts the steps trained on it."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return self.inner(x)  # type: ignore[no-any-return]


class OtherRankSlower:
    """Rank 1 of 2; rank 0 settles its warm-up later, steps slower and has less budget left."""

    rank = 1
    world_size = 2
    sibling_pids = (4242,)

    def __init__(self, settles_at: int, step_s: float, budget_s: float) -> None:
        self.settles_at = settles_at
        self.step_s = step_s
        self.budget_s = budget_s
        self.votes: list[bool] = []
        self.wrapped: list[nn.Module] = []
        self.replica: Replica | None = None
        self.communicated: list[tuple[nn.Module, float]] = []

    def wrap(self, model: nn.Module) -> nn.Module:
        self.wrapped.append(model)
        self.replica = Replica(model)
        return self.replica

    def all_true(self, flag: bool) -> bool:
        self.votes.append(flag)
        return flag and len(self.votes) >= self.settles_at

    def agree_max(self, value: float) -> float:
        return max(value, self.step_s)

    def agree_min(self, value: float) -> float:
        return min(value, self.budget_s)

    def communication(self, model: nn.Module, step: Callable[[], None], timer: Any) -> dict[str, float]:
        timer.start()
        step()
        self.communicated.append((model, timer.stop()))
        return {"comm_time_s": 2.0**-10, "allreduce_time_s": 2.0**-9}


def two_ranks(monkeypatch: pytest.MonkeyPatch) -> tuple[Clock, OtherRankSlower, list[tuple[Any, ...]]]:
    # host RAM for 320 samples per rank; the rank's share is 640
    monkeypatch.setattr(train, "available_memory", {"cpu": host_ram_for(320, world=2)}.get)
    monkeypatch.setattr(train, "estimate_training_memory", lambda *a, **k: SimpleNamespace(total=4096))
    datasets: list[tuple[Any, ...]] = []

    def dataset(
        spec: dict[str, Any], resident: int, *, seed: int = 0, shard: tuple[int, int] | None = None
    ) -> SyntheticDataset:
        datasets.append((resident, seed, shard))
        return SyntheticDataset(spec, resident, seed=seed, shard=shard)

    monkeypatch.setattr(train, "SyntheticDataset", dataset)
    clock = scripted(monkeypatch, lambda i: FAST)
    # settles at its own 5th step, the other rank at the 8th; the other steps at 62.5 ms and has 0.25 s left
    return clock, OtherRankSlower(settles_at=8, step_s=SLOW, budget_s=0.25), datasets


def test_a_rank_follows_what_the_ranks_agree_on(monkeypatch: pytest.MonkeyPatch) -> None:
    clock, coll, datasets = two_ranks(monkeypatch)
    seen, p = drive(clock, point_spec(samples=640, budget_s=1.0, seed=3), coll=coll)
    ok(p)
    # warm-up lasts until every rank settled
    assert sum(1 for t, _, _ in seen if t.phase == "warmup") == 8
    # the plan is sized for the slowest rank's step and the smallest budget left: 0.25 s of 62.5 ms steps is
    # three windows of one step (alone it would have planned 10 windows of its own 15.6 ms steps)
    assert seen[-1][0].steps == 3
    assert p.step_time_s is not None and p.step_time_s.n == 3 and p.step_time_s.median == FAST
    # every rank holds its share of the RAM; the dataset is one for all ranks, this rank keeps its slice
    assert p.dataset_resident_samples == 320
    assert datasets == [(640, 3, (1, 2))]
    # the steps train the wrapped (all-reducing) model
    assert coll.wrapped and isinstance(coll.wrapped[0], Stepping)
    assert coll.replica is not None and coll.replica.calls == clock.steps == 8 + 3 + 1
    # communication is measured last, on the wrapped model, with the loop's own step and timer
    assert coll.communicated == [(coll.replica, FAST)]
    assert p.comm_time_s == 2.0**-10 and p.allreduce_time_s == 2.0**-9
    # the other ranks on this machine are this measurement's own work, not background load
    assert FakeLoad.made == [(4242,)]


def test_measure_point_runs_the_point_to_its_end_with_the_cancel_and_the_collective(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock, coll, _ = two_ranks(monkeypatch)
    p = measure_point(point_spec(samples=640, budget_s=1.0), None, coll)
    assert ok(p).comm_time_s == 2.0**-10
    assert coll.replica is not None and coll.replica.calls == clock.steps
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        measure_point(point_spec(samples=64), token)


@pytest.mark.parametrize(
    ("samples", "budget_s", "measured", "whole"),
    [
        (128, 4 * SLOW, 4, True),  # an epoch of exactly the agreed budget is measured whole (one-step windows)
        (640, 10 * SLOW, 10, False),  # exactly ten steps of budget: ten windows, not the minimum three
    ],
)
def test_the_plan_at_the_edges_of_the_agreed_budget(
    monkeypatch: pytest.MonkeyPatch, samples: int, budget_s: float, measured: int, whole: bool
) -> None:
    clock, coll, _ = two_ranks(monkeypatch)
    coll.budget_s = budget_s
    seen, p = drive(clock, point_spec(samples=samples, budget_s=1.0), coll=coll)
    assert seen[-1][0].steps == measured
    assert ok(p).epoch_time_extrapolated is not whole


# --- the measurement plan ---------------------------------------------------------------------------------------


def test_the_measurement_fills_the_budget_left_after_set_up(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = scripted(monkeypatch, lambda i: FAST, start=START, real_share=1e-6)
    # 100 steps per epoch never fit: 1 s - 5 warm-up steps leaves 0.92 s, ten windows of 5 steps (0.78 s)
    seen, p = drive(clock, point_spec(samples=3200, budget_s=1.0))
    assert ok(p).step_time_s is not None and p.step_time_s.n == train.TARGET_WINDOWS
    assert seen[-1][0].steps == 50
    assert p.message == "epoch of 100 steps extrapolated from 50 measured steps"


def test_a_point_whose_set_up_ate_the_budget_still_measures_its_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = scripted(monkeypatch, lambda i: FAST)
    waits = [2.0**-3, 2.0**-2]  # a slow device init and model copy: 0.375 s of the 0.5 s budget

    def synchronizer(device: str) -> Callable[[], None]:
        return lambda: setattr(clock, "now", clock.now + (waits.pop(0) if waits else 0.0))

    monkeypatch.setattr(train, "synchronizer", synchronizer)
    seen, p = drive(clock, point_spec(samples=640))
    # 0.3 s (MIN_MEASURE_S) of 15.6 ms steps: ten one-step windows
    assert ok(p).step_time_s is not None and p.step_time_s.n == train.TARGET_WINDOWS
    assert seen[-1][0].steps == 10


def test_a_one_step_epoch_of_a_slow_step_is_measured_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = scripted(monkeypatch, lambda i: HUGE)
    _, p = drive(clock, point_spec(samples=32))  # 1 s steps against a 0.5 s budget, but one step per epoch
    assert not ok(p).epoch_time_extrapolated
    assert p.step_time_s is not None and p.step_time_s.n == train.MIN_WINDOWS  # three whole epochs
    assert p.epoch_time_s == HUGE


def test_the_plan_assumes_the_median_of_the_last_three_warm_up_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    # warm-up 1/8, 1/32, 1/32, 1/16 s spends exactly its 0.25 s share; the last three's median is 1/32
    warm = [2.0**-3, 2.0**-5, 2.0**-5, 2.0**-4]
    clock = scripted(monkeypatch, lambda i: warm[i] if i < len(warm) else 2.0**-5, real_share=1e-6)
    seen, p = drive(clock, point_spec(samples=3200, budget_s=5 / 3))
    assert sum(1 for t, _, _ in seen if t.phase == "warmup") == 4
    # 1.42 s left for ten windows of 1/32 s steps: 4 steps each (a 1/16 s estimate would plan 2)
    assert seen[-1][0].steps == 40
    assert ok(p).step_time_s is not None and p.step_time_s.median == 2.0**-5


@pytest.mark.parametrize(("samples", "epochs", "windows"), [(192, 2, 10), (96, 4, 12)])
def test_whole_epochs_are_cut_into_just_enough_even_windows(
    monkeypatch: pytest.MonkeyPatch, samples: int, epochs: int, windows: int
) -> None:
    clock = scripted(monkeypatch, lambda i: FAST)
    seen, p = drive(clock, point_spec(samples=samples))  # 6 or 3 steps per epoch
    spe = samples // 32
    # whole epochs, enough of them for ten windows, each cut into ceil(10 / epochs) windows (6 steps: 2+1+1+1+1)
    assert seen[-1][0].steps == epochs * spe
    assert ok(p).step_time_s is not None and p.step_time_s.n == windows
    assert not p.epoch_time_extrapolated
    assert p.epoch_time_s == spe * FAST


def test_the_epoch_time_is_the_median_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    # steady warm-up of five steps, then epochs of two steps that take 1, 2, 3, 4, 5 units a step
    clock = scripted(monkeypatch, lambda i: FAST if i < 5 else FAST * (1 + (i - 5) // 2))
    _, p = drive(clock, point_spec(samples=64))
    assert ok(p).step_time_s is not None and p.step_time_s.n == 10
    assert p.epoch_time_s == 2 * 3 * FAST


def test_a_step_breakdown_times_each_part_of_a_step(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = scripted(monkeypatch, lambda i: FAST, real_share=1e-6)
    seen, p = drive(clock, point_spec(samples=64, breakdown=True))
    assert set(ok(p).step_breakdown_s) == {"data", "h2d", "forward", "backward", "optimizer"}
    # the scripted time of a step is spent in its forward pass
    assert p.step_breakdown_s["forward"] == pytest.approx(FAST, abs=1e-3)
    assert all(0.0 <= v < 1e-3 for k, v in p.step_breakdown_s.items() if k != "forward")
    assert [t.step for t, _, _ in seen if t.phase == "measuring"][-5:] == [1, 2, 3, 4, 5]
