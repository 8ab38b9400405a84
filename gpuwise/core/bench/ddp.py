"""Data-parallel scaling: one model trained with torch's DistributedDataParallel across N processes.

gloo joins CPU processes, NCCL joins GPUs. The ranks are started with torch.multiprocessing's spawn (what
torchrun does on one machine): this process hosts the rendezvous store, like torchrun's c10d rendezvous, and
supervises the ranks. One spawn serves the whole scaling curve: world size w is measured by ranks 0..w-1 in their
own process group while the others wait, so the single-process baseline and every larger world run in the same
run, on the same data, with the same loop (``train.run_point``, given a ``Collective``).

Threads: the active ranks on a machine share its cores (``cores // active ranks`` each, recorded in the point),
so N ranks never oversubscribe the CPU and the single-process baseline uses every core, as a fair baseline must.

Failure: a rank that raises, crashes or reports a failed point ends the run: every rank is terminated (then
killed), the supervisor waits for each, and the caller gets ``DdpFailed`` naming the rank and the reason. A rank
also ends itself when its parent dies, so nothing is left behind.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from gpuwise.core.bench.events import Phase
from gpuwise.core.bench.timing import WindowTimer
from gpuwise.core.bench.train import PointSpec, Tick, run_point
from gpuwise.core.cancel import Cancelled, CancelToken
from gpuwise.core.errors import UserInputError
from gpuwise.core.report import Point

if TYPE_CHECKING:
    import torch

MAX_PROCESSES = 256
SPAWN_S = 6.0  # starting a rank (a fresh interpreter importing torch): 3-10 s measured on 2 busy cores
TERMINATE_GRACE_S = 3.0
COMM_REPEATS = 5  # windows of synced and no_sync steps, interleaved
COMM_STEPS = 2  # steps per window
_TICK_EVERY_S = 0.1
SUPERLINEAR = 1.15  # efficiency above this is flagged


class DdpFailed(RuntimeError):
    """A rank failed; all ranks were stopped. ``points`` are those measured before (the failed one last)."""

    def __init__(self, message: str, points: Sequence[Point] = ()) -> None:
        super().__init__(message)
        self.points = list(points)


@dataclass(frozen=True)
class DdpPlan:
    """What every rank runs. ``jobs`` are complete points (whole dataset, per-rank batch, point budget)."""

    jobs: list[PointSpec]
    world_sizes: list[int]  # ascending, starting at 1: the baseline
    nproc: int  # processes on this machine
    backend: str  # "gloo" or "nccl"
    cores: int  # CPU threads this machine's active ranks share
    nnodes: int = 1
    node_rank: int = 0
    master_addr: str = "127.0.0.1"
    master_port: int = 0  # 0: this process picks a free port (one machine only)
    timeout_s: float = 300.0

    @property
    def world(self) -> int:
        return self.nproc * self.nnodes


@dataclass(frozen=True)
class RankTick:
    job: int
    world_size: int
    phase: Phase
    step: int
    steps: int


@dataclass(frozen=True)
class ScalingMeasured:
    """One world size of one job, merged over its ranks."""

    job: int
    point: Point


DdpEvent = RankTick | ScalingMeasured


# ---------------------------------------------------------------- pure parts (tested without processes)


def world_sizes(n: int) -> list[int]:
    """1, 2, 4, ... up to ``n``, and ``n`` itself: the curve's x values."""
    if n < 1:
        raise UserInputError(f"--ddp needs at least 1 process (got {n})")
    out = [1]
    while out[-1] * 2 < n:
        out.append(out[-1] * 2)
    if out[-1] != n:
        out.append(n)
    return out


def backend_for(device: str) -> str:
    if device == "cpu":
        return "gloo"
    if device.startswith("cuda"):
        return "nccl"
    raise UserInputError(f"data-parallel runs on the CPU (gloo) or on CUDA GPUs (NCCL), not on {device!r}")


def active_local_ranks(world_size: int, nproc: int, node_rank: int) -> int:
    """How many of ranks 0..world_size-1 run on machine ``node_rank`` (ranks are numbered machine by machine)."""
    lo = node_rank * nproc
    return max(0, min(world_size, lo + nproc) - lo)


def threads_per_rank(cores: int, active_here: int) -> int:
    return max(1, cores // max(1, active_here))


def rank_samples(samples: int, world_size: int) -> int:
    """Each rank's share of the dataset (a DistributedSampler pads the last shard to this size)."""
    return max(1, math.ceil(samples / world_size))


def parse_master(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (IPv6 in brackets) -> (host, port)."""
    host, sep, port = text.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise UserInputError(f"--master {text!r} must be HOST:PORT, e.g. 10.0.0.1:29500")
    return host, int(port)


def merge_ranks(ranks: Sequence[Point], job: PointSpec, backend: str) -> Point:
    """One point for a world size from its ranks' points: throughput adds up, times are the slowest rank's."""
    if not ranks:
        raise ValueError("no rank points")
    world = len(ranks)
    first = ranks[0]
    bad = next((p for p in ranks if p.status != "ok"), None)
    common: dict[str, Any] = dict(device=job.device, samples=job.samples, world_size=world, backend=backend)
    if bad is not None:
        r = ranks.index(bad)
        return replace(bad, **common, message=f"rank {r} of {world}: {bad.message}")
    sps = [p.samples_per_s or 0.0 for p in ranks]
    slowest = max(ranks, key=lambda p: p.epoch_time_s or 0.0)

    def most(name: str) -> Any:
        vals = [getattr(p, name) for p in ranks if getattr(p, name) is not None]
        return max(vals) if vals else None

    notes = [first.message] if first.message else []
    if world > 1:
        notes.append(
            f"{world} processes ({backend}): batch {job.batch_size} per rank ({job.batch_size * world} "
            f"in all), {first.threads} thread(s) per rank; memory is per rank"
        )
    return replace(
        first,
        **common,
        message="; ".join(notes),
        samples_per_s=sum(sps),
        rank_samples_per_s=sps,
        step_time_s=slowest.step_time_s,
        unstable=any(p.unstable for p in ranks),
        epoch_time_s=slowest.epoch_time_s,
        epoch_time_extrapolated=any(p.epoch_time_extrapolated for p in ranks),
        fixed_overhead_s=most("fixed_overhead_s"),
        time_to_train_s=most("time_to_train_s"),
        overhead_breakdown_s=slowest.overhead_breakdown_s,
        peak_memory_bytes=most("peak_memory_bytes"),
        background_cpu_load=most("background_cpu_load"),
        comm_time_s=most("comm_time_s"),
        allreduce_time_s=most("allreduce_time_s"),
        dataset_resident_samples=sum(p.dataset_resident_samples or 0 for p in ranks) or None,
    )


def with_efficiency(point: Point, baseline: Point | None) -> Point:
    """``scaling_efficiency`` = total throughput / (world size x the single-process throughput)."""
    base = baseline.samples_per_s if baseline is not None and baseline.status == "ok" else None
    if point.status != "ok" or not base or point.samples_per_s is None:
        return replace(point, scaling_baseline_samples_per_s=base)
    eff = point.samples_per_s / (point.world_size * base)
    message = point.message
    if eff > SUPERLINEAR:
        # N ranks cannot do more than N times the work; a slowed baseline (a busy machine hits many threads
        # harder than one) or caches that fit a smaller shard can make it look so
        message = "; ".join(
            m
            for m in (
                message,
                f"efficiency {eff:.0%} is above ideal: the single-process "
                f"baseline was probably slowed (see its notes), so compare with care",
            )
            if m
        )
    return replace(point, scaling_efficiency=eff, scaling_baseline_samples_per_s=base, message=message)


# ---------------------------------------------------------------- inside a rank


class RankCollective:
    """``train.Collective`` over a torch.distributed process group (the ranks 0..world_size-1)."""

    def __init__(self, group: Any, rank: int, world_size: int, device: str, sibling_pids: tuple[int, ...]) -> None:
        self.group = group
        self.rank = rank
        self.world_size = world_size
        self.device = device
        self.sibling_pids = sibling_pids

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        import torch
        from torch.nn.parallel import DistributedDataParallel

        dev = torch.device(self.device)
        ids = [dev.index] if dev.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=ids, process_group=self.group)

    def _reduce(self, value: float, op: Any) -> float:
        import torch
        import torch.distributed as dist

        t = torch.tensor([value], dtype=torch.float64, device=self.device)
        dist.all_reduce(t, op=op, group=self.group)
        return float(t.item())

    def all_true(self, flag: bool) -> bool:
        import torch.distributed as dist

        return self._reduce(1.0 if flag else 0.0, dist.ReduceOp.MIN) == 1.0

    def agree_max(self, value: float) -> float:
        import torch.distributed as dist

        return self._reduce(value, dist.ReduceOp.MAX)

    def agree_min(self, value: float) -> float:
        import torch.distributed as dist

        return self._reduce(value, dist.ReduceOp.MIN)

    def communication(self, model: torch.nn.Module, step: Callable[[], None], timer: WindowTimer) -> dict[str, float]:
        """Exposed communication per step and one all-reduce of all gradients alone. Nothing to talk to alone.

        Exposed = a synced step minus a ``no_sync`` step (the all-reduce DDP could not hide behind the backward
        pass, plus waiting for the slowest rank). Windows alternate so a drifting machine affects both alike.
        """
        if self.world_size == 1:
            return {}
        import statistics
        from contextlib import nullcontext

        import torch
        import torch.distributed as dist

        no_sync: Callable[[], Any] = getattr(model, "no_sync", nullcontext)
        synced: list[float] = []
        local: list[float] = []
        for _ in range(COMM_REPEATS):
            for ctx, out in ((nullcontext, synced), (no_sync, local)):
                self.agree_max(0.0)  # start together: a no_sync window must not absorb the last one's wait
                timer.start()
                for _ in range(COMM_STEPS):
                    with ctx():
                        step()
                out.append(timer.stop() / COMM_STEPS)
        n = sum(p.numel() for p in model.parameters() if p.requires_grad)
        flat = torch.zeros(n, dtype=torch.float32, device=self.device)
        reduce_times: list[float] = []
        for i in range(COMM_REPEATS + 1):
            self.agree_max(0.0)
            timer.start()
            dist.all_reduce(flat, group=self.group)
            dt = timer.stop()
            if i:  # the first one sets up buffers
                reduce_times.append(dt)
        return {
            "comm_time_s": max(0.0, statistics.median(synced) - statistics.median(local)),
            "allreduce_time_s": statistics.median(reduce_times),
        }


RankWork = Callable[[int, DdpPlan, Any], None]


def rank_work(local_rank: int, plan: DdpPlan, conn: Any) -> None:
    """One rank: join the group, then measure every job at every world size it takes part in."""
    import socket

    import torch
    import torch.distributed as dist

    from gpuwise.core.bench.sweep import _prime_torch

    rank = plan.node_rank * plan.nproc + local_rank
    cuda = plan.backend == "nccl"
    device = f"cuda:{local_rank}" if cuda else "cpu"
    if cuda:
        torch.cuda.set_device(local_rank)
    timeout = timedelta(seconds=plan.timeout_s)
    store = dist.TCPStore(  # type: ignore[attr-defined]
        plan.master_addr, plan.master_port, plan.world, is_master=False, timeout=timeout
    )
    bind: dict[str, Any] = {"device_id": torch.device(device)} if cuda else {}  # NCCL: one GPU per rank
    dist.init_process_group(plan.backend, store=store, rank=rank, world_size=plan.world, timeout=timeout, **bind)
    where: list[Any] = [None] * plan.world
    dist.all_gather_object(where, (socket.gethostname(), os.getpid(), plan.node_rank))
    # every rank must take part in creating every group, members or not
    groups = {w: dist.new_group(list(range(w))) for w in plan.world_sizes}
    _prime_torch()
    for j, job in enumerate(plan.jobs):
        for w in plan.world_sizes:
            point: Point | None = None
            if rank < w:
                here = active_local_ranks(w, plan.nproc, plan.node_rank)
                siblings = tuple(
                    pid for r, (_h, pid, node) in enumerate(where) if r < w and r != rank and node == plan.node_rank
                )
                ps = replace(
                    job, device=device, samples=rank_samples(job.samples, w), threads=threads_per_rank(plan.cores, here)
                )
                coll = RankCollective(groups[w], rank, w, device, siblings)
                point = _run_rank_point(ps, coll, conn if local_rank == 0 else None, j, w)
                if point.status in ("failed", "oom"):
                    conn.send(("failed", rank, j, w, point))
                    return
            gathered: list[Any] = [None] * plan.world
            dist.all_gather_object(gathered, point)
            if local_rank == 0:
                conn.send(("point", j, w, gathered[:w]))
    dist.barrier()
    dist.destroy_process_group()


def _run_rank_point(ps: PointSpec, coll: RankCollective, conn: Any, job: int, w: int) -> Point:
    gen = run_point(ps, None, coll)
    last = 0.0
    while True:
        try:
            tick: Tick = next(gen)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        now = time.monotonic()
        if conn is not None and now - last >= _TICK_EVERY_S:
            last = now
            conn.send(("tick", RankTick(job, w, tick.phase, tick.step, tick.steps)))


def _watch_parent(parent_pid: int) -> None:
    """End this rank when the process that started it is gone (it was killed: nobody will collect us)."""

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent_pid:
                os._exit(3)

    threading.Thread(target=watch, name="gpuwise-ddp-parent-watch", daemon=True).start()


def _rank_entry(local_rank: int, plan: DdpPlan, conns: list[Any], parent_pid: int, work: RankWork) -> None:
    """torch.multiprocessing's target: run ``work``, report how it ended, never hang on the way out."""
    conn = conns[local_rank]
    _watch_parent(parent_pid)
    rank = plan.node_rank * plan.nproc + local_rank
    try:
        work(local_rank, plan, conn)
        conn.send(("done", rank))
    except BaseException as e:
        lines = str(e).strip().splitlines()
        detail = f"{type(e).__name__}: {lines[0]}" if lines else type(e).__name__
        try:
            conn.send(("error", rank, detail[:300]))
        finally:
            # a process group in an error state can hang in its exit handlers: leave at once
            os._exit(1)
    os._exit(0)


# ---------------------------------------------------------------- the supervisor


def run_ddp(
    plan: DdpPlan, cancel: CancelToken | None = None, *, work: RankWork = rank_work
) -> Generator[DdpEvent, None, list[Point]]:
    """Start ``plan.nproc`` ranks here, relay their progress, return the merged points (efficiency filled in).

    Raises ``DdpFailed`` (all ranks stopped) or ``Cancelled`` (all ranks stopped, completed points kept by the
    caller from the events).
    """
    import multiprocessing.connection as mpc

    import torch.distributed as dist
    import torch.multiprocessing as tmp
    from torch.multiprocessing.spawn import start_processes

    store = None
    addr, port = plan.master_addr, plan.master_port
    if plan.node_rank == 0:
        # the rendezvous lives here, like torchrun's: no port race between choosing it and a rank binding it
        store = dist.TCPStore(  # type: ignore[attr-defined]
            addr if plan.nnodes > 1 else "127.0.0.1",
            port,
            plan.world,
            is_master=True,
            timeout=timedelta(seconds=plan.timeout_s),
            wait_for_workers=False,
        )
        port = store.port
    plan = replace(plan, master_port=port)
    ctx = tmp.get_context("spawn")
    pipes = [ctx.Pipe(duplex=False) for _ in range(plan.nproc)]
    readers = [r for r, _w in pipes]
    writers = [w for _r, w in pipes]
    pctx = start_processes(
        _rank_entry, args=(plan, writers, os.getpid(), work), nprocs=plan.nproc, join=False, start_method="spawn"
    )
    procs = list(pctx.processes)
    for w in writers:
        w.close()
    points: list[Point] = []
    baselines: dict[int, Point] = {}
    done: set[int] = set()
    open_readers = list(readers)
    try:
        while len(done) < plan.nproc:
            if cancel is not None and cancel.cancelled:
                raise Cancelled()
            running = [p.sentinel for i, p in enumerate(procs) if plan.node_rank * plan.nproc + i not in done]
            ready = mpc.wait(open_readers + running, timeout=0.1)  # a finished rank's sentinel stays ready
            for r in ready:
                if r not in open_readers:
                    continue
                try:
                    msg = r.recv()
                except EOFError:
                    open_readers.remove(r)
                    continue
                kind = msg[0]
                if kind == "tick":
                    yield msg[1]
                elif kind == "point":
                    _kind, j, w, rank_points = msg
                    merged = merge_ranks(rank_points, plan.jobs[j], plan.backend)
                    if w == 1:
                        baselines[j] = merged
                    merged = with_efficiency(merged, baselines.get(j))
                    points.append(merged)
                    yield ScalingMeasured(j, merged)
                elif kind == "done":
                    done.add(msg[1])
                elif kind == "failed":
                    _kind, rank, j, w, bad = msg
                    job = plan.jobs[j]
                    points.append(
                        replace(
                            bad,
                            device=job.device,
                            samples=job.samples,
                            world_size=w,
                            backend=plan.backend,
                            message=f"rank {rank} of {w}: {bad.message}",
                        )
                    )
                    raise DdpFailed(
                        f"rank {rank} of {w} failed ({bad.status}): {bad.message}; all ranks were stopped", points
                    )
                elif kind == "error":
                    raise DdpFailed(f"rank {msg[1]} failed: {msg[2]}; all ranks were stopped", points)
            for i, p in enumerate(procs):
                rank = plan.node_rank * plan.nproc + i
                if p.exitcode is not None and rank not in done:
                    # it may have said why just before exiting: read that first
                    reader = readers[i]
                    while reader in open_readers and reader.poll():
                        try:
                            msg = reader.recv()
                        except EOFError:
                            break
                        if msg[0] == "error":
                            raise DdpFailed(f"rank {msg[1]} failed: {msg[2]}; all ranks were stopped", points)
                        if msg[0] == "done":
                            done.add(rank)
                    if rank not in done:
                        raise DdpFailed(
                            f"rank {rank} ended unexpectedly (exit code {p.exitcode}); all ranks were stopped", points
                        )
    finally:
        stop_processes(procs)
        for r in readers:
            r.close()
        del store
    return points


def stop_processes(procs: Sequence[Any], grace_s: float = TERMINATE_GRACE_S) -> None:
    """Terminate every live process, wait up to ``grace_s``, kill the rest, and reap them all."""
    for p in procs:
        if p.is_alive():
            p.terminate()
    deadline = time.monotonic() + grace_s
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
    for p in procs:
        if p.is_alive():
            p.kill()
            p.join()


# ---------------------------------------------------------------- as a sweep (the CLI and the app)


def check_ddp(processes: int, devices: Sequence[str], nnodes: int, node_rank: int, master: str, gpu_count: int) -> None:
    """Refuse a data-parallel request that cannot run, before anything starts. Raises UserInputError."""
    if not 1 <= processes <= MAX_PROCESSES:
        raise UserInputError(f"--ddp {processes} is out of range (1 to {MAX_PROCESSES} processes)")
    if not 1 <= nnodes <= 1024:
        raise UserInputError(f"--nnodes {nnodes} is out of range (1 to 1024 machines)")
    if not 0 <= node_rank < nnodes:
        raise UserInputError(f"--node-rank {node_rank} must be between 0 and {nnodes - 1} (--nnodes {nnodes})")
    if nnodes > 1 and not master:
        raise UserInputError("several machines need --master HOST:PORT (machine 0's address and a free port)")
    if master:
        parse_master(master)
    for d in devices:
        if backend_for(d) == "nccl" and processes > gpu_count:
            raise UserInputError(
                f"--ddp {processes} needs {processes} GPUs on this machine, it has {gpu_count} "
                f"(NCCL gives every rank its own GPU)"
            )


def scaling_jobs(plan: Any, threads: int, budget_per_point: float) -> list[PointSpec]:
    """The sweep plan's grid for data-parallel runs: one job per size, precision and device kind."""
    kinds: list[str] = []
    for d in plan.devices:
        kind = "cpu" if d == "cpu" else "cuda:0"
        if kind not in kinds:
            kinds.append(kind)
    return [
        plan.point_spec(dev, params, samples, prec, threads, budget_per_point)
        for dev in kinds
        for params in plan.params
        for samples in plan.samples
        for prec in plan.precisions
    ]


def run_scaling_sweep(
    plan: Any, cancel: CancelToken | None, machine: dict[str, Any], threads: int
) -> Generator[Any, None, None]:
    """``gpuwise bench --ddp N`` as a sweep: Progress and PointMeasured events, then SweepFinished.

    One spawn per device kind (gloo for the CPU, NCCL for the GPUs); each serves every job and world size.
    """
    from gpuwise.core.bench.events import PointMeasured, Progress, SweepFinished
    from gpuwise.core.bench.sweep import make_report

    sizes = world_sizes(plan.ddp * plan.nnodes)
    jobs = scaling_jobs(plan, threads, 1.0)
    n_points = len(jobs) * len(sizes)
    kinds = sorted({j.device for j in jobs}, key=lambda d: d != "cpu")
    start = time.perf_counter()
    spawn_total = SPAWN_S * len(kinds)
    per_point = max(0.5, (plan.budget_s - spawn_total) / max(1, n_points))
    expected = plan.budget_s + spawn_total + n_points * 1.0
    points: list[Point] = []
    index = 0

    def progress(phase: Phase, label: str, step: int, steps: int) -> Progress:
        elapsed = time.perf_counter() - start
        total = max(expected, elapsed + 0.1)
        return Progress(
            phase, index, n_points, label, step, steps, min(0.99, elapsed / total), max(0.0, total - elapsed)
        )

    host, port = parse_master(plan.master) if plan.master else ("127.0.0.1", 0)
    cancelled = False
    before = 0
    try:
        for kind in kinds:
            before = len(points)
            kind_jobs = [replace(j, budget_s=per_point) for j in jobs if j.device == kind]
            dplan = DdpPlan(
                jobs=kind_jobs,
                world_sizes=sizes,
                nproc=plan.ddp,
                backend=backend_for(kind),
                cores=threads,
                nnodes=plan.nnodes,
                node_rank=plan.node_rank,
                master_addr=host,
                master_port=port,
                timeout_s=300.0 + 4 * per_point * len(sizes),
            )
            yield progress("preparing", f"starting {plan.ddp} {dplan.backend} processes", 0, 0)
            gen = run_ddp(dplan, cancel)
            while True:
                try:
                    ev = next(gen)
                except StopIteration:
                    break
                if isinstance(ev, RankTick):
                    job = kind_jobs[ev.job]
                    yield progress(ev.phase, f"{job.label()}, {ev.world_size} process(es)", ev.step, ev.steps)
                else:
                    points.append(ev.point)
                    yield PointMeasured(index, ev.point)
                    index += 1
    except Cancelled:
        cancelled = True
    except DdpFailed as e:
        e.points = points[:before] + e.points  # other device kinds' points, then this run's (the failed one last)
        raise
    yield SweepFinished(make_report(plan, machine, points, [], cancelled), cancelled)
