"""One measured point: a real training loop, written as a generator of progress ticks.

The loop draws batches from a host dataset, copies them to the device, runs forward, cross-entropy, backward and
an optimizer step. Timing follows ``timing``: warm-up excluded (its excess reported as fixed overhead together with
device init and model transfer), synchronised windows, median/IQR/bootstrap CI over windows. The cancel token is
checked between steps, so a cancel lands within one step.
"""

from __future__ import annotations

import gc
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Generator
from contextlib import AbstractContextManager, nullcontext, suppress
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from gpuwise.core.bench.data import BatchStream, SyntheticDataset, resident_samples, steps_per_epoch
from gpuwise.core.bench.events import Phase
from gpuwise.core.bench.memory import USABLE_FRACTION, available_memory, estimate_training_memory
from gpuwise.core.bench.timing import WindowTimer, is_unstable, step_stats, synchronizer
from gpuwise.core.bench.workloads import build_model, build_spec, count_flops_per_step
from gpuwise.core.cancel import Cancelled, CancelToken
from gpuwise.core.report import BUSY_LOAD, Point, Status, busy_machine_text
from gpuwise.core.units import format_bytes, format_count

if TYPE_CHECKING:
    import torch

WARMUP_MIN_STEPS = 3
WARMUP_MAX_STEPS = 50
WARMUP_SHARE = 0.15  # of a point's budget
TARGET_WINDOWS = 10
MIN_WINDOWS = 3
MIN_MEASURE_S = 0.3
SLOW_STEP_S = 0.2


@dataclass(frozen=True)
class PointSpec:
    device: str
    family: str
    params: int  # target; the built model's exact count is reported
    samples: int
    batch_size: int = 128
    epochs: int = 1
    precision: str = "fp32"
    threads: int = 1
    optimizer: str = "adam"
    budget_s: float = 2.0
    preload: bool = False
    breakdown: bool = False
    seed: int = 0
    architecture: dict[str, Any] = field(default_factory=dict)  # filled from family/params when empty

    def label(self) -> str:
        return (
            f"{self.family} {format_count(self.params)} params, {format_count(self.samples)} samples on "
            f"{self.device} {self.precision}"
        )


class Collective(Protocol):
    """What a data-parallel rank adds to the loop (``gpuwise.core.bench.ddp``); a single process needs none.

    Every decision the loop makes from its own clock (when warm-up has settled, how many steps to time) is agreed
    between the ranks, because a rank that stops early would leave the others waiting in an all-reduce.
    """

    rank: int
    world_size: int
    sibling_pids: tuple[int, ...]  # the other ranks on this machine: not "other programs" for the load meter

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module: ...

    def all_true(self, flag: bool) -> bool: ...

    def agree_max(self, value: float) -> float: ...

    def agree_min(self, value: float) -> float: ...

    def communication(
        self,
        model: torch.nn.Module,
        step: Callable[[], None],
        timer: WindowTimer,
    ) -> dict[str, float]: ...


@dataclass(frozen=True)
class Tick:
    """Progress inside one point."""

    phase: Phase
    step: int
    steps: int
    elapsed_s: float


class BackgroundLoad:
    """The share of all cores that OTHER processes kept busy between construction and ``read()``.

    A CPU measurement while something else runs is slow in a way the step-time spread does not show: torch's
    threads wait for each other at every parallel region, so one busy core can slow a 2-thread run many times over.
    """

    def __init__(self, also_own: tuple[int, ...] = ()) -> None:
        import psutil

        self._procs = [psutil.Process(os.getpid())]
        for pid in also_own:  # cooperating processes (data-parallel ranks) count as this measurement's own work
            with suppress(psutil.Error):
                self._procs.append(psutil.Process(pid))
        self._sys0 = psutil.cpu_times()
        self._own0 = self._own()
        self._wall0 = time.perf_counter()
        self._cores = psutil.cpu_count() or 1

    def read(self) -> float | None:
        import psutil

        wall = time.perf_counter() - self._wall0
        if wall <= 0.05:
            return None
        sys1 = psutil.cpu_times()
        idle = lambda t: t.idle + getattr(t, "iowait", 0.0)  # noqa: E731
        busy = (sum(sys1) - idle(sys1)) - (sum(self._sys0) - idle(self._sys0))
        own = self._own() - self._own0
        return float(max(0.0, min(1.0, (busy - own) / (wall * self._cores))))

    def _own(self) -> float:
        import psutil

        total = 0.0
        for proc in self._procs:
            try:
                t = proc.cpu_times()
            except psutil.Error:  # a rank that ended: its time is already in the system's busy total
                continue
            total += t.user + t.system
        return total


def measure_point(ps: PointSpec, cancel: CancelToken | None = None, collective: Collective | None = None) -> Point:
    """Run ``run_point`` to the end, ignoring its progress ticks (scripts, benchmarks, data-parallel ranks)."""
    gen = run_point(ps, cancel, collective)
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]


def _settled(times: list[float]) -> bool:
    """Warm-up is over once the last three steps agree within 15 % (and there were at least five)."""
    if len(times) < 5:
        return False
    last = times[-3:]
    return max(last) <= 1.15 * min(last)


def _trim_heap() -> None:
    """Give freed heap memory back to the OS (glibc), so this point's RSS growth is not hidden by the last one's.

    Without it a point measured after a larger one reused that memory and reported "0 B". Elsewhere a no-op.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        libc = ctypes.CDLL(name)
        trim = getattr(libc, "malloc_trim", None)  # glibc only (not musl)
        if trim is not None:
            trim(0)
    except OSError:
        pass


def _rss() -> int:
    import psutil

    return int(psutil.Process(os.getpid()).memory_info().rss)


def _autocast(device: str, precision: str) -> Callable[[], AbstractContextManager[Any]]:
    import torch

    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    if dtype is None:
        return nullcontext
    dev_type = torch.device(device).type
    return lambda: torch.autocast(device_type=dev_type, dtype=dtype)


def precision_problem(device: str, precision: str) -> str | None:
    """Why ``precision`` cannot run on ``device``, or None."""
    import torch

    if precision == "tf32":
        if not device.startswith("cuda"):
            return "TF32 exists only on NVIDIA GPUs (Ampere and newer)"
        if torch.version.hip is None and torch.cuda.get_device_capability(torch.device(device))[0] < 8:
            return "TF32 needs an Ampere or newer GPU (compute capability 8.0+)"
    if precision == "bf16" and device.startswith("cuda") and not torch.cuda.is_bf16_supported():
        return "this GPU does not support bf16"
    return None


def _base_point(ps: PointSpec, spec: dict[str, Any], status: Status, message: str, **kw: Any) -> Point:
    return Point(
        device=ps.device,
        family=ps.family,
        params=int(spec["params"]),
        architecture=spec,
        samples=ps.samples,
        batch_size=ps.batch_size,
        epochs=ps.epochs,
        precision=ps.precision,
        threads=ps.threads,
        optimizer=ps.optimizer,
        status=status,
        message=message,
        **kw,
    )


def _collect_garbage() -> None:
    """A full collection before measuring memory, on the main thread only.

    On a worker thread (the app's sweep) a collection runs the finalizers of the GUI's garbage (PySide objects)
    there: one hung a run for good, the worker in gc.collect() while the GUI thread painted. The CLI and the
    data-parallel ranks measure on their main thread and keep the collection.
    """
    if threading.current_thread() is threading.main_thread():
        gc.collect()


def _release(device: str) -> None:
    _collect_garbage()
    if device.startswith("cuda"):
        import torch

        torch.cuda.empty_cache()


def _is_oom(e: BaseException) -> bool:
    import torch

    return isinstance(e, torch.OutOfMemoryError) or "out of memory" in str(e).lower()


def run_point(
    ps: PointSpec, cancel: CancelToken | None = None, collective: Collective | None = None
) -> Generator[Tick, None, Point]:
    """Measure one point. Yields ``Tick``s; returns the ``Point`` (status ok/oom/skipped/failed).

    Raises ``Cancelled`` when ``cancel`` is set; the caller keeps the points completed before. With a
    ``collective`` this is one rank of a data-parallel run: ``ps.samples`` is then this rank's share.
    """
    spec = ps.architecture or build_spec(ps.family, ps.params)
    est = estimate_training_memory(spec, ps.batch_size, optimizer=ps.optimizer, precision=ps.precision)
    avail = available_memory(ps.device)
    if avail is not None and est.total > avail * USABLE_FRACTION:
        return _base_point(
            ps,
            spec,
            "skipped",
            f"needs about {format_bytes(est.total)} (weights, gradients, optimizer state, "
            f"activations) but only {format_bytes(avail)} is free on {ps.device}",
            estimated_memory_bytes=est.total,
        )
    problem = precision_problem(ps.device, ps.precision)
    if problem:
        return _base_point(ps, spec, "skipped", problem, estimated_memory_bytes=est.total)
    try:
        result = yield from _measure(ps, spec, est.total, cancel, collective)
    except Cancelled:
        _release(ps.device)
        raise
    except Exception as e:
        oom = _is_oom(e)
        status: Status = "oom" if oom else "failed"
        first_line = (str(e).splitlines() or [type(e).__name__])[0]  # an OOM can come without a message
        msg = f"ran out of memory: {first_line[:200]}" if oom else f"{type(e).__name__}: {e}"[:300]
    else:
        _release(ps.device)
        return result
    # Released only after the handler: the exception's traceback holds the failed step's frames (model,
    # optimizer, batches), so nothing could be freed while it was alive.
    _release(ps.device)
    return _base_point(ps, spec, status, msg, estimated_memory_bytes=est.total)


def _measure(
    ps: PointSpec, spec: dict[str, Any], est_bytes: int, cancel: CancelToken | None, coll: Collective | None
) -> Generator[Tick, None, Point]:
    import torch
    from torch import nn

    def check() -> None:
        if cancel is not None and cancel.cancelled:
            raise Cancelled()

    t_start = time.perf_counter()
    torch.set_num_threads(max(1, ps.threads))
    cuda = ps.device.startswith("cuda")
    if ps.precision == "tf32" or cuda:
        # TF32 is opt-in: plain fp32 on CUDA must stay fp32 so CPU and GPU do the same arithmetic.
        torch.backends.cuda.matmul.allow_tf32 = ps.precision == "tf32"
        torch.backends.cudnn.allow_tf32 = ps.precision == "tf32"
    sync = synchronizer(ps.device)
    yield Tick("init", 0, 0, 0.0)

    # device init: context creation, allocator, library handles (not part of any step)
    t0 = time.perf_counter()
    torch.empty(1, device=ps.device)
    sync()
    init_s = time.perf_counter() - t0

    avail_host = available_memory("cpu")
    world = coll.world_size if coll is not None else 1
    if avail_host is not None:
        avail_host //= world  # every rank holds its own share
    resident = resident_samples(spec, ps.samples, avail_host)
    shard = (coll.rank, world) if coll is not None else None
    data = SyntheticDataset(spec, resident * world, seed=ps.seed, shard=shard)
    check()
    _collect_garbage()
    if cuda:
        torch.cuda.reset_peak_memory_stats(torch.device(ps.device))
    _trim_heap()
    rss_base = _rss()

    torch.manual_seed(ps.seed)
    model = build_model(spec)
    t0 = time.perf_counter()
    model = model.to(ps.device)
    sync()
    transfer_s = time.perf_counter() - t0
    if coll is not None:
        model = coll.wrap(model)  # DistributedDataParallel: broadcasts rank 0's weights, hooks the all-reduce
    opt: torch.optim.Optimizer = (
        torch.optim.Adam(model.parameters(), lr=1e-3)
        if ps.optimizer == "adam"
        else torch.optim.SGD(model.parameters(), lr=1e-2)
    )
    scaler = torch.amp.GradScaler(torch.device(ps.device).type, enabled=ps.precision == "fp16" and cuda)
    autocast = _autocast(ps.device, ps.precision)
    stream = BatchStream(data, ps.batch_size, ps.device, preload=ps.preload)
    loss_fn = nn.CrossEntropyLoss()

    def step() -> None:
        xb, yb = stream.next()
        with autocast():
            loss = loss_fn(model(xb), yb)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()

    # warm-up: lazy init, allocator growth, cuDNN/oneDNN kernel choice; timed step by step
    warm_times: list[float] = []
    warm_budget = ps.budget_s * WARMUP_SHARE
    timer = WindowTimer(ps.device)
    while len(warm_times) < WARMUP_MAX_STEPS:
        check()
        timer.start()
        step()
        warm_times.append(timer.stop())
        yield Tick("warmup", len(warm_times), WARMUP_MIN_STEPS, time.perf_counter() - t_start)
        settled = len(warm_times) >= WARMUP_MIN_STEPS and (sum(warm_times) >= warm_budget or _settled(warm_times))
        if coll.all_true(settled) if coll is not None else settled:
            break
    recent = sorted(warm_times[-3:])
    est_step = max(recent[len(recent) // 2], 1e-6)
    if coll is not None:
        est_step = coll.agree_max(est_step)
    if est_step > SLOW_STEP_S and cancel is not None:
        # a step this slow would make a cancel wait for it: also check before each top-level layer's forward
        for child in model.children():
            child.register_forward_pre_hook(lambda _m, _a: check())

    spe = steps_per_epoch(ps.samples, ps.batch_size)
    # a small epoch is worth measuring whole even when set-up ate the point's budget
    measure_budget = max(ps.budget_s - (time.perf_counter() - t_start), MIN_MEASURE_S, est_step * MIN_WINDOWS)
    if coll is not None:
        measure_budget = coll.agree_min(measure_budget)  # every rank must plan the same number of steps
    epoch_fits = spe * est_step <= measure_budget
    if epoch_fits:
        # whole epochs, each cut into windows; extra epochs only to get enough windows for statistics
        epochs_run = max(1, min(int(measure_budget // (spe * est_step)), math.ceil(TARGET_WINDOWS / spe)))
        per_epoch = min(spe, math.ceil(TARGET_WINDOWS / epochs_run))
        windows: list[list[int]] = []
        for _ in range(epochs_run):
            base, extra = divmod(spe, per_epoch)
            windows.append([base + (1 if i < extra else 0) for i in range(per_epoch)])
    else:
        n_win = TARGET_WINDOWS if measure_budget >= TARGET_WINDOWS * est_step else MIN_WINDOWS
        per_window = max(1, int(measure_budget / (n_win * est_step)))
        windows = [[per_window] * n_win]
    total_steps = sum(sum(w) for w in windows)

    step_times: list[float] = []
    epoch_times: list[float] = []
    samples_done = 0
    time_done = 0.0
    peak_rss = _rss()
    done = 0
    last_tick = 0.0
    load_meter = BackgroundLoad(coll.sibling_pids) if coll is not None else BackgroundLoad()
    for epoch_windows in windows:
        epoch_t = 0.0
        for n_steps in epoch_windows:
            timer.start()
            for _ in range(n_steps):
                check()
                step()
                done += 1
                now = time.perf_counter()
                if now - last_tick >= 0.05:  # a tick is cheap, but nobody needs more than 20 a second
                    last_tick = now
                    yield Tick("measuring", done, total_steps, now - t_start)
            dt = timer.stop()
            step_times.append(dt / n_steps)
            epoch_t += dt
            time_done += dt
            samples_done += n_steps * ps.batch_size
            peak_rss = max(peak_rss, _rss())
        epoch_times.append(epoch_t)
    yield Tick("measuring", total_steps, total_steps, time.perf_counter() - t_start)

    stats = step_stats(step_times)
    background = load_meter.read()
    if epoch_fits:
        epoch_time = sorted(epoch_times)[len(epoch_times) // 2]
        # the last batch of an epoch is partial; count real samples, not batch slots
        samples_per_s = (
            ps.samples * len(epoch_times) / sum(epoch_times) if resident == ps.samples else (samples_done / time_done)
        )
    else:
        epoch_time = spe * stats.median
        samples_per_s = samples_done / time_done
    extrapolated = not epoch_fits or resident < ps.samples
    warmup_excess = max(0.0, sum(warm_times) - len(warm_times) * stats.median)
    fixed = init_s + transfer_s + warmup_excess

    breakdown: dict[str, float] = {}
    if ps.breakdown:
        breakdown = yield from _breakdown(stream, model, loss_fn, opt, scaler, autocast, sync, check)
    comm: dict[str, float] = {}
    if coll is not None:
        comm = coll.communication(model, step, timer)  # last: its no_sync steps let the replicas drift apart

    if cuda:
        peak_mem = int(torch.cuda.max_memory_allocated(torch.device(ps.device)))
        method = "cuda_max_allocated"
    else:
        peak_mem = max(0, peak_rss - rss_base)
        method = "rss_delta"
    notes = []
    if resident < ps.samples:
        notes.append(f"dataset held as a subset of {format_count(resident)} samples (RAM); epoch time extrapolated")
    elif not epoch_fits:
        notes.append(f"epoch of {spe:,} steps extrapolated from {total_steps:,} measured steps")
    if is_unstable(stats):
        notes.append("unstable: step times vary by more than 10 % (IQR/median); another program may be busy")
    if background is not None and background > BUSY_LOAD:
        notes.append(
            f"{busy_machine_text([background])} during the measurement, so these times are pessimistic "
            "(threads compete for cores)"
        )
    return _base_point(
        ps,
        spec,
        "ok",
        "; ".join(notes),
        device_name=device_name(ps.device),
        samples_per_s=samples_per_s,
        step_time_s=stats,
        unstable=is_unstable(stats),
        epoch_time_s=epoch_time,
        epoch_time_extrapolated=extrapolated,
        fixed_overhead_s=fixed,
        overhead_breakdown_s={"init": init_s, "transfer": transfer_s, "warmup": warmup_excess},
        time_to_train_s=ps.epochs * epoch_time + fixed,
        peak_memory_bytes=peak_mem,
        peak_memory_method=method,
        estimated_memory_bytes=est_bytes,
        flops_per_step=count_flops_per_step(spec, ps.batch_size),
        dataset_resident_samples=resident,
        step_breakdown_s=breakdown,
        background_cpu_load=background,
        **comm,
    )


def _breakdown(
    stream: BatchStream,
    model: torch.nn.Module,
    loss_fn: Callable[..., torch.Tensor],
    opt: torch.optim.Optimizer,
    scaler: Any,
    autocast: Callable[[], AbstractContextManager[Any]],
    sync: Callable[[], None],
    check: Callable[[], None],
    steps: int = 5,
) -> Generator[Tick, None, dict[str, float]]:
    """Per-part step times (synchronised after each part, so the parts sum to a bit more than a step)."""
    parts: dict[str, list[float]] = {k: [] for k in ("data", "h2d", "forward", "backward", "optimizer")}

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        sync()
        t0 = time.perf_counter()
        out = fn()
        sync()
        parts[name].append(time.perf_counter() - t0)
        return out

    for i in range(steps):
        check()
        xb, yb = timed("data", stream.host_batch)
        xb, yb = timed("h2d", partial(stream.to_device, xb, yb))

        def forward(xb: Any = xb, yb: Any = yb) -> Any:
            with autocast():
                return loss_fn(model(xb), yb)

        loss = timed("forward", forward)
        opt.zero_grad(set_to_none=True)
        timed("backward", scaler.scale(loss).backward)

        def optimizer_step() -> None:
            scaler.step(opt)
            scaler.update()

        timed("optimizer", optimizer_step)
        yield Tick("measuring", i + 1, steps, 0.0)
    return {k: sorted(v)[len(v) // 2] for k, v in parts.items()}


def device_name(device: str) -> str:
    if device == "cpu":
        from gpuwise.core.devices import cpu_info

        return cpu_info().model
    if device.startswith("cuda"):
        import torch

        return str(torch.cuda.get_device_name(torch.device(device)))
    if device == "mps":
        return "Apple GPU (Metal)"
    return device
