"""Sweeps: a grid of model sizes x dataset sizes x devices x precisions, measured within a total time budget.

``run_sweep`` is a generator: it yields progress, each micro-benchmark and each point as they are measured, and
ends with ``SweepFinished``. A cancel keeps every completed point and still produces a report.
"""

from __future__ import annotations

import itertools
import platform
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import gpuwise
from gpuwise.core.bench.data import steps_per_epoch
from gpuwise.core.bench.events import MicroMeasured, Phase, PointMeasured, Progress, SweepEvent, SweepFinished
from gpuwise.core.bench.memory import check_optimizer
from gpuwise.core.bench.workloads import (
    MAX_PARAMS,
    MIN_PARAMS,
    build_spec,
    check_family,
    check_params,
    input_bytes_per_sample,
    is_resizable,
)
from gpuwise.core.cancel import Cancelled, CancelToken
from gpuwise.core.devices import DeviceInventory, cpu_info, resolve_devices
from gpuwise.core.errors import UserInputError
from gpuwise.core.precision import PRECISIONS
from gpuwise.core.report import MicroResult, Point, Report

if TYPE_CHECKING:
    from gpuwise.core.bench.train import PointSpec

MIN_SAMPLES = 100
MAX_SAMPLES = 100_000_000
MIN_POINT_BUDGET_S = 0.5
MICRO_SHARE = 0.2  # at most this share of the budget goes to micro-benchmarks
_SETUP_S_PER_POINT = 0.3  # model build, dataset generation, teardown (measured here: 0.1-0.5 s)
_GEN_BYTES_PER_S = 1e9  # synthetic data generation speed, roughly


@dataclass
class SweepPlan:
    family: str = "mlp"
    params: list[int] = field(default_factory=lambda: [100_000, 1_000_000, 10_000_000])
    samples: list[int] = field(default_factory=lambda: [10_000, 100_000])
    batch_size: int = 128
    epochs: int = 1
    precisions: list[str] = field(default_factory=lambda: ["fp32"])
    devices: list[str] = field(default_factory=lambda: ["cpu"])
    threads: int | None = None  # None: the number of physical cores
    budget_s: float = 20.0
    optimizer: str = "adam"
    micro: bool = True
    preload: bool = False
    breakdown: bool = False
    seed: int = 0
    # what the family needs besides a size: image_size, seq_len, or a custom model's source ("file.py:build")
    model_options: dict[str, Any] = field(default_factory=dict)
    # data-parallel scaling (gpuwise.core.bench.ddp): processes on this machine, 0 = a plain sweep
    ddp: int = 0
    nnodes: int = 1
    node_rank: int = 0
    master: str = ""  # HOST:PORT of machine 0's rendezvous, for several machines

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def point_spec(
        self, device: str, params: int, samples: int, precision: str, threads: int, budget_s: float
    ) -> PointSpec:
        """One point of this plan: the one place where a plan's settings become a point's (the sweep's and the
        data-parallel jobs'), architecture and model options included."""
        from gpuwise.core.bench.train import PointSpec  # imports torch: not before a point is planned

        return PointSpec(
            device=device,
            family=self.family,
            params=params,
            samples=samples,
            batch_size=self.batch_size,
            epochs=self.epochs,
            precision=precision,
            threads=threads,
            optimizer=self.optimizer,
            budget_s=budget_s,
            preload=self.preload,
            breakdown=self.breakdown,
            seed=self.seed,
            architecture=build_spec(self.family, params, self.model_options),
        )


def default_threads() -> int:
    return cpu_info().physical_cores


def validate_plan(plan: SweepPlan, inventory: DeviceInventory | None = None) -> SweepPlan:
    """Check every field; return the plan with devices resolved (``all`` expanded). Raises UserInputError."""
    family = check_family(plan.family)
    if not is_resizable(family):  # a known or custom model has one size: its own
        plan = replace(plan, params=[build_spec(family, MIN_PARAMS, plan.model_options)["params"]])
    if not plan.params:
        raise UserInputError("no model size given")
    if not plan.samples:
        raise UserInputError("no dataset size given")
    for p in plan.params if is_resizable(family) else ():
        check_params(p)
    for s in plan.samples:
        if not MIN_SAMPLES <= s <= MAX_SAMPLES:
            raise UserInputError(f"dataset size {s:,} is out of range (100 to 100M samples)")
    if not 1 <= plan.batch_size <= 65536:
        raise UserInputError(f"batch size {plan.batch_size} is out of range (1 to 65536)")
    if not 1 <= plan.epochs <= 100_000:
        raise UserInputError(f"epochs {plan.epochs} is out of range (1 to 100000)")
    precisions: list[str] = []
    for prec in plan.precisions:
        q = prec.strip().lower()
        if q not in PRECISIONS:
            raise UserInputError(f"unknown precision {prec!r} (choose from {', '.join(PRECISIONS)})")
        if q not in precisions:
            precisions.append(q)
    if not precisions:
        raise UserInputError("no precision given")
    if plan.threads is not None and not 1 <= plan.threads <= 1024:
        raise UserInputError(f"threads {plan.threads} is out of range (1 to 1024)")
    if not plan.budget_s > 0 or plan.budget_s != plan.budget_s or plan.budget_s > 7 * 86400:
        raise UserInputError(f"budget must be a positive number of seconds (got {plan.budget_s})")
    optimizer = check_optimizer(plan.optimizer)
    if inventory is None:
        from gpuwise.core.devices import discover_devices

        inventory = discover_devices()
    devices = resolve_devices(plan.devices, inventory)
    logical = inventory.cpu.logical_cores
    if plan.threads is not None and "cpu" in devices and logical and plan.threads > logical:
        # More threads than cores only time-slices them: 999 threads on 2 cores ran 370x slower, which the point
        # would then blame on "other programs". Refuse rather than publish an oversubscribed CPU time.
        raise UserInputError(
            f"threads {plan.threads} is more than this machine's {logical} logical CPU cores (use at most "
            f"{logical}; the default is its {inventory.cpu.physical_cores} physical cores)"
        )
    if plan.ddp:
        from gpuwise.core.bench.ddp import check_ddp

        check_ddp(
            plan.ddp,
            devices,
            plan.nnodes,
            plan.node_rank,
            plan.master,
            sum(1 for g in inventory.gpus if g.id.startswith("cuda")),
        )
    return replace(
        plan,
        family=family,
        precisions=precisions,
        devices=devices,
        optimizer=optimizer,
        params=sorted(set(plan.params)),
        samples=sorted(set(plan.samples)),
    )


def expand(plan: SweepPlan) -> list[tuple[int, int, str, str]]:
    """The points of a plan as (params, samples, device, precision), devices innermost so curves grow together."""
    return list(itertools.product(plan.params, plan.samples, plan.devices, plan.precisions))


def estimate_plan_seconds(plan: SweepPlan) -> float:
    """Roughly how long the sweep takes: its budget plus per-point setup and dataset generation (no torch)."""
    setup = 0.0
    for params, samples, _d, _p in expand(plan):
        spec = build_spec(plan.family, params, plan.model_options) if MIN_PARAMS <= params <= MAX_PARAMS else None
        gen_bytes = input_bytes_per_sample(spec) * samples if spec else 0
        setup += _SETUP_S_PER_POINT + gen_bytes / _GEN_BYTES_PER_S
    return plan.budget_s + setup


def machine_info(devices: list[str]) -> dict[str, Any]:
    import torch

    from gpuwise.core.devices import discover_devices

    inv = discover_devices()
    return {
        "cpu": inv.cpu.to_dict(),
        "gpus": [g.to_dict() for g in inv.gpus if g.id in devices or "all" in devices],
        "os": f"{platform.system()} {platform.release()}",
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "torch": str(torch.__version__),
        "torch_threads_default": torch.get_num_threads(),
        "notes": inv.notes,
    }


def make_report(
    plan: SweepPlan, machine: dict[str, Any], points: list[Point], micro: list[MicroResult], cancelled: bool
) -> Report:
    return Report(
        machine=machine,
        points=list(points),
        micro=list(micro),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        settings=plan.to_dict(),
        cancelled=cancelled,
        gpuwise_version=gpuwise.__version__,
    )


def run_sweep(
    plan: SweepPlan, cancel: CancelToken | None = None, *, inventory: DeviceInventory | None = None
) -> Iterator[SweepEvent]:
    """Measure ``plan``. Yields Progress/MicroMeasured/PointMeasured, then SweepFinished (also on cancel)."""
    from gpuwise.core.bench.micro import run_micro
    from gpuwise.core.bench.train import run_point

    plan = validate_plan(plan, inventory)
    threads = plan.threads or default_threads()
    plan = replace(plan, threads=threads)
    machine = machine_info(plan.devices)
    if plan.ddp:
        from gpuwise.core.bench.ddp import run_scaling_sweep

        yield from run_scaling_sweep(plan, cancel, machine, threads)
        return
    _prime_torch()
    grid = expand(plan)
    n = len(grid)
    start = time.perf_counter()
    expected = estimate_plan_seconds(plan)
    points: list[Point] = []
    micro: list[MicroResult] = []

    def progress(phase: Phase, index: int, label: str, step: int, steps: int) -> Progress:
        elapsed = time.perf_counter() - start
        total = max(expected, elapsed + 0.1)
        return Progress(phase, index, n, label, step, steps, min(0.99, elapsed / total), max(0.0, total - elapsed))

    cancelled = False
    try:
        if plan.micro:
            micro_deadline = start + plan.budget_s * MICRO_SHARE
            for i, count, result in run_micro(plan.devices, plan.precisions, threads=threads, cancel=cancel):
                if result is not None:
                    micro.append(result)
                    yield MicroMeasured(result)
                yield progress("micro", -1, f"micro-benchmarks ({i + 1}/{count})", i + 1, count)
                if time.perf_counter() > micro_deadline:
                    break
        for i, (params, samples, device, precision) in enumerate(grid):
            remaining = plan.budget_s - (time.perf_counter() - start)
            budget = max(MIN_POINT_BUDGET_S, remaining / (n - i) - _SETUP_S_PER_POINT)
            ps = plan.point_spec(device, params, samples, precision, threads, budget)
            label = ps.label()
            yield progress("preparing", i, label, 0, 0)
            gen = run_point(ps, cancel)
            while True:
                try:
                    tick = next(gen)
                except StopIteration as stop:
                    point: Point = stop.value
                    break
                yield progress(tick.phase, i, label, tick.step, tick.steps)
            points.append(point)
            yield PointMeasured(i, point)
    except Cancelled:
        cancelled = True
    report = make_report(plan, machine, points, micro, cancelled)
    yield SweepFinished(report, cancelled)


def _prime_torch() -> None:
    """Pay torch's one-off lazy imports (the first optimizer pulls in torch._dynamo: ~2 s here) before timing.

    Otherwise the first point of a session would spend seconds outside any timed region while its progress
    stood still, and the per-point budget split would be skewed.
    """
    import torch
    from torch.utils.flop_counter import FlopCounterMode  # noqa: F401

    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


def point_label(point: Point) -> str:
    spe = steps_per_epoch(point.samples, point.batch_size)
    return f"{point.family} {point.params:,} params x {point.samples:,} samples ({spe:,} steps/epoch)"
