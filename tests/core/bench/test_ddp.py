"""Data-parallel scaling on torch.distributed: real gloo ranks on the CPU, failing ranks, no orphans.

The process tests start real ranks (each a fresh interpreter importing torch), so they use tiny models and the
smallest budgets; the pure parts (world sizes, threads, merging, efficiency) are tested without processes.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import replace
from typing import Any

import psutil
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpuwise.core.bench.ddp import (
    DdpFailed,
    DdpPlan,
    RankTick,
    ScalingMeasured,
    active_local_ranks,
    backend_for,
    check_ddp,
    merge_ranks,
    parse_master,
    rank_samples,
    rank_work,
    run_ddp,
    threads_per_rank,
    with_efficiency,
    world_sizes,
)
from gpuwise.core.bench.train import PointSpec
from gpuwise.core.cancel import Cancelled, CancelToken
from gpuwise.core.errors import UserInputError
from gpuwise.core.report import Point, StepStats

TINY = PointSpec(device="cpu", family="mlp", params=5_000, samples=512, batch_size=32, threads=1, budget_s=0.3)


def _point(sps: float, epoch: float = 1.0, **kw: Any) -> Point:
    base: dict[str, Any] = dict(
        device="cpu",
        family="mlp",
        params=5000,
        architecture={},
        samples=256,
        batch_size=32,
        epochs=1,
        precision="fp32",
        threads=1,
        optimizer="adam",
        status="ok",
        samples_per_s=sps,
        step_time_s=StepStats(epoch / 8, 0.0, (epoch / 8, epoch / 8), 8),
        epoch_time_s=epoch,
        time_to_train_s=epoch + 0.1,
        fixed_overhead_s=0.1,
        peak_memory_bytes=1000,
    )
    base.update(kw)
    return Point(**base)


# ---------------------------------------------------------------- pure parts


def test_world_sizes_double_up_to_n_and_end_at_n() -> None:
    assert world_sizes(1) == [1]
    assert world_sizes(2) == [1, 2]
    assert world_sizes(6) == [1, 2, 4, 6]
    assert world_sizes(8) == [1, 2, 4, 8]
    with pytest.raises(UserInputError):
        world_sizes(0)


def test_ranks_are_numbered_machine_by_machine() -> None:
    # 2 machines x 2 processes: world 1 is rank 0 (machine 0), world 3 is 2 ranks on 0 and 1 on machine 1
    assert [active_local_ranks(w, 2, 0) for w in (1, 2, 3, 4)] == [1, 2, 2, 2]
    assert [active_local_ranks(w, 2, 1) for w in (1, 2, 3, 4)] == [0, 0, 1, 2]


@given(cores=st.integers(1, 512), active=st.integers(1, 256))
def test_active_ranks_never_oversubscribe_the_cores(cores: int, active: int) -> None:
    t = threads_per_rank(cores, active)
    assert t >= 1
    assert active * t <= max(cores, active)  # more ranks than cores: one thread each, the least possible


@given(samples=st.integers(1, 10**8), world=st.integers(1, 256))
def test_rank_shares_cover_the_dataset(samples: int, world: int) -> None:
    share = rank_samples(samples, world)
    assert share * world >= samples
    assert (share - 1) * world < samples


def test_backends_and_master_addresses() -> None:
    assert backend_for("cpu") == "gloo"
    assert backend_for("cuda:0") == "nccl"
    with pytest.raises(UserInputError, match="not on 'mps'"):
        backend_for("mps")
    assert parse_master("10.0.0.1:29500") == ("10.0.0.1", 29500)
    assert parse_master("[::1]:29500") == ("::1", 29500)
    for bad in ("10.0.0.1", ":29500", "host:0", "host:http", "host:70000"):
        with pytest.raises(UserInputError, match="HOST:PORT"):
            parse_master(bad)


def test_check_ddp_refuses_what_cannot_run() -> None:
    check_ddp(2, ["cpu"], 1, 0, "", gpu_count=0)
    for args, words in [
        ((0, ["cpu"], 1, 0, ""), "out of range"),
        ((2, ["cpu"], 2, 0, ""), "--master"),
        ((2, ["cpu"], 2, 2, "h:1"), "--node-rank 2"),
        ((2, ["cuda:0"], 1, 0, ""), "needs 2 GPUs"),
        ((2, ["mps"], 1, 0, ""), "not on 'mps'"),
        ((2, ["cpu"], 2, 1, "nohost"), "HOST:PORT"),
    ]:
        with pytest.raises(UserInputError, match=words):
            check_ddp(*args, gpu_count=1)  # type: ignore[arg-type]


def test_merge_adds_throughput_and_takes_the_slowest_rank() -> None:
    merged = merge_ranks([_point(100.0, 2.0), _point(80.0, 2.5, peak_memory_bytes=3000)], TINY, "gloo")
    assert merged.samples_per_s == 180.0
    assert merged.rank_samples_per_s == [100.0, 80.0]
    assert merged.epoch_time_s == 2.5 and merged.time_to_train_s == 2.6
    assert merged.peak_memory_bytes == 3000
    assert (merged.world_size, merged.backend, merged.samples) == (2, "gloo", TINY.samples)
    assert "batch 32 per rank (64 in all)" in merged.message


def test_merge_reports_the_failed_rank() -> None:
    merged = merge_ranks([_point(100.0), _point(0.0, status="oom", message="ran out of memory")], TINY, "gloo")
    assert merged.status == "oom"
    assert merged.message == "rank 1 of 2: ran out of memory"


@given(base=st.floats(1.0, 1e7), per_rank=st.lists(st.floats(0.0, 1e7), min_size=1, max_size=64))
def test_efficiency_is_total_over_world_times_the_baseline(base: float, per_rank: list[float]) -> None:
    merged = merge_ranks([_point(s) for s in per_rank], TINY, "gloo")
    p = with_efficiency(merged, _point(base, world_size=1))
    assert p.scaling_baseline_samples_per_s == base
    assert p.scaling_efficiency is not None
    assert math.isclose(p.scaling_efficiency * len(per_rank) * base, sum(per_rank), rel_tol=1e-9, abs_tol=1e-6)
    # each rank as fast as the baseline is perfect scaling
    ideal = with_efficiency(merge_ranks([_point(base)] * len(per_rank), TINY, "gloo"), _point(base))
    assert ideal.scaling_efficiency is not None and math.isclose(ideal.scaling_efficiency, 1.0)


def test_superlinear_efficiency_is_flagged() -> None:
    p = with_efficiency(_point(300.0, world_size=2, message="x"), _point(100.0))
    assert p.scaling_efficiency == 1.5
    assert p.message.startswith("x; efficiency 150% is above ideal")
    assert "above ideal" not in (with_efficiency(_point(190.0, world_size=2), _point(100.0)).message)


def test_no_efficiency_without_a_measured_baseline() -> None:
    p = with_efficiency(_point(100.0, world_size=2), _point(0.0, status="failed", samples_per_s=None))
    assert p.scaling_efficiency is None and p.scaling_baseline_samples_per_s is None


# ---------------------------------------------------------------- real ranks


def _plan(**kw: Any) -> DdpPlan:
    base: dict[str, Any] = dict(jobs=[TINY], world_sizes=[1, 2], nproc=2, backend="gloo", cores=2, timeout_s=600)
    base.update(kw)
    return DdpPlan(**base)


class _Children:
    """The processes this test process started, so a test can check that none outlives the run."""

    def __init__(self) -> None:
        self.pids: set[int] = set()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._watch, daemon=True)
        self._t.start()

    def _watch(self) -> None:
        me = psutil.Process(os.getpid())
        while not self._stop.wait(0.05):
            for c in me.children(recursive=True):
                try:
                    cmd = " ".join(c.cmdline())
                except psutil.Error:
                    continue
                # multiprocessing's resource tracker is one helper per parent, by design alive until it exits
                if "spawn_main" in cmd:
                    self.pids.add(c.pid)

    def close(self) -> set[int]:
        self._stop.set()
        self._t.join()
        return self.pids

    @staticmethod
    def alive(pids: set[int]) -> list[int]:
        out = []
        for pid in pids:
            try:
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    out.append(pid)
            except psutil.NoSuchProcess:
                pass
        return out


def _drive(gen: Any) -> tuple[list[Any], list[Point]]:
    events = []
    while True:
        try:
            events.append(next(gen))
        except StopIteration as stop:
            return events, stop.value


@pytest.mark.timeout(240)
def test_two_gloo_ranks_measure_the_scaling_curve() -> None:
    children = _Children()
    events, points = _drive(run_ddp(_plan()))
    pids = children.close()
    assert [p.world_size for p in points] == [1, 2]
    assert all(p.status == "ok" and p.backend == "gloo" for p in points), [p.message for p in points]
    one, two = points
    assert one.threads == 2 and two.threads == 1  # the cores are shared, never oversubscribed
    assert one.scaling_efficiency == 1.0
    assert two.scaling_baseline_samples_per_s == one.samples_per_s
    assert len(two.rank_samples_per_s) == 2 and all(s > 0 for s in two.rank_samples_per_s)
    assert two.samples_per_s == pytest.approx(sum(two.rank_samples_per_s))
    assert two.scaling_efficiency == pytest.approx(two.samples_per_s / (2 * one.samples_per_s))  # type: ignore[operator]
    assert two.comm_time_s is not None and two.allreduce_time_s is not None and two.allreduce_time_s > 0
    assert one.comm_time_s is None  # one process has nobody to talk to
    assert two.samples == TINY.samples  # the whole dataset, split between the ranks
    assert any(isinstance(e, RankTick) for e in events)
    assert [e.point.world_size for e in events if isinstance(e, ScalingMeasured)] == [1, 2]
    assert len(pids) >= 2
    assert _Children.alive(pids) == []


def fail_rank_1(local_rank: int, plan: DdpPlan, conn: Any) -> None:
    """Rank 1 raises in the middle of its warm-up while rank 0 waits for it in an all-reduce."""
    if local_rank == 1:
        import gpuwise.core.bench.ddp as ddp

        real = ddp.run_point

        def failing(ps: PointSpec, cancel: Any, coll: Any) -> Any:
            for tick in real(ps, cancel, coll):
                if tick.phase == "warmup" and tick.step >= 2:
                    raise RuntimeError("boom in rank 1")
                yield tick

        ddp.run_point = failing  # type: ignore[assignment]
    rank_work(local_rank, plan, conn)


def crash_rank_1(local_rank: int, plan: DdpPlan, conn: Any) -> None:
    if local_rank == 1:
        os._exit(7)  # a segfault or an OOM kill: no exception, no message
    rank_work(local_rank, plan, conn)


def hang(local_rank: int, plan: DdpPlan, conn: Any) -> None:
    conn.send(("tick", RankTick(0, 1, "init", 0, 0)))
    threading.Event().wait()


@pytest.mark.timeout(180)  # far below the process group's 600 s timeout: the failure must not wait for it
@pytest.mark.parametrize(
    ("work", "words"),
    [
        (fail_rank_1, "rank 1 failed: RuntimeError: boom in rank 1"),
        (crash_rank_1, "rank 1 ended unexpectedly (exit code 7)"),
    ],
)
def test_a_failing_rank_ends_every_rank_with_a_clear_message(work: Any, words: str) -> None:
    children = _Children()
    with pytest.raises(DdpFailed) as exc:
        _drive(run_ddp(_plan(world_sizes=[2]), work=work))
    pids = children.close()
    assert words in str(exc.value)
    assert "all ranks were stopped" in str(exc.value)
    assert len(pids) >= 2
    assert _Children.alive(pids) == []


@pytest.mark.timeout(180)
def test_cancel_stops_every_rank() -> None:
    children = _Children()
    cancel = CancelToken()
    gen = run_ddp(_plan(), cancel, work=hang)
    first = next(gen)  # a rank is up and waiting forever
    assert isinstance(first, RankTick)
    cancel.cancel()
    with pytest.raises(Cancelled):
        _drive(gen)
    pids = children.close()
    assert len(pids) >= 2
    assert _Children.alive(pids) == []


@pytest.mark.gpu
@pytest.mark.timeout(300)
def test_nccl_ranks_one_gpu_each() -> None:
    """NCCL across the GPUs there are (a machine with one GPU runs the NCCL path with one rank)."""
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    n = min(2, torch.cuda.device_count())
    children = _Children()
    job = replace(TINY, device="cuda:0", params=100_000, samples=4096, batch_size=128, budget_s=1.0)
    _events, points = _drive(
        run_ddp(_plan(jobs=[job], world_sizes=world_sizes(n), nproc=n, backend="nccl", cores=os.cpu_count() or 1))
    )
    pids = children.close()
    assert [p.world_size for p in points] == world_sizes(n)
    assert all(p.status == "ok" and p.backend == "nccl" for p in points), [p.message for p in points]
    assert points[0].device_name and points[0].scaling_efficiency == 1.0
    if n > 1:
        assert points[-1].allreduce_time_s is not None and points[-1].scaling_efficiency is not None
    assert _Children.alive(pids) == []


@pytest.mark.timeout(180)
def test_ranks_end_themselves_when_their_parent_is_killed() -> None:
    """SIGKILL leaves no chance to clean up: the ranks notice that their parent is gone and leave."""
    import signal
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[3]
    script = (
        "import threading, psutil\n"
        "from tests.core.bench.test_ddp import _plan, hang\n"
        "from gpuwise.core.bench.ddp import run_ddp\n"
        "gen = run_ddp(_plan(), work=hang)\n"
        "next(gen)\n"
        "kids = [c.pid for c in psutil.Process().children() if 'spawn_main' in ' '.join(c.cmdline())]\n"
        "print(*kids, flush=True)\n"
        "threading.Event().wait()\n"
    )
    with subprocess.Popen([sys.executable, "-c", script], cwd=repo, stdout=subprocess.PIPE, text=True) as parent:
        try:
            assert parent.stdout is not None
            pids = [int(x) for x in parent.stdout.readline().split()]
            assert len(pids) == 2
            ranks = [psutil.Process(pid) for pid in pids]
            parent.send_signal(signal.SIGKILL)
            parent.wait()
            _gone, alive = psutil.wait_procs(ranks, timeout=60)
            assert alive == []
        finally:
            if parent.poll() is None:
                parent.kill()


def test_data_parallel_jobs_are_the_plans_points_with_their_model_options() -> None:
    from gpuwise.core.bench.ddp import scaling_jobs
    from gpuwise.core.bench.sweep import SweepPlan
    from gpuwise.core.bench.workloads import build_spec

    plan = SweepPlan(family="bert_base", params=[1], samples=[1000], model_options={"seq_len": 32}, ddp=2)
    [job] = scaling_jobs(plan, threads=1, budget_per_point=5.0)
    # each rank builds this architecture: the options (here 32 tokens, not 128) travel with the job
    assert job.architecture == build_spec("bert_base", 1, {"seq_len": 32}) and job.architecture["seq_len"] == 32
    assert job == plan.point_spec("cpu", 1, 1000, "fp32", 1, 5.0)  # the same point a plain sweep would plan
