"""A synthetic report with round numbers, shared by the chart, export and `gpuwise plot` tests.

cpu and cuda:0 train an MLP of 1M parameters on 1k…1M samples. The CPU takes 0.1 s per sample; the GPU a flat
1000 s (overhead-bound), so the GPU/CPU speedup is 0.1, 1, 10, 100 and crosses a price ratio of 3 at exactly
10^(4 + log10 3) = 30k samples (every job is longer than the 60 s billing minimum, so cost follows time).
The 1M-sample points are extrapolated; cuda:0 ran out of memory at 10M samples.
The estimated A10G is twice as fast as cuda:0 and crosses 3 at 10^(4 + log10 1.5) = 15k samples.
"""

from __future__ import annotations

from typing import Any

from gpuwise.core.bench.workloads import count_params
from gpuwise.core.report import MicroResult, Point, Report, StepStats

SAMPLES = (1_000, 10_000, 100_000, 1_000_000)
PARAMS = 1_000_000
CPU_PER_SAMPLE_S = 0.1
GPU_EPOCH_S = 1000.0
STEP_MEDIAN_S = 0.01
STEP_CI = (0.009, 0.012)
PEAK_GFLOPS = 307.2
CROSSOVER_CUDA = 30_000.0
CROSSOVER_A10G = 15_000.0


def mlp_spec(params: int) -> dict[str, Any]:
    """An MLP of exactly ``params`` parameters (one hidden layer), as a report holds it: the round sizes keep the
    chart tests' arithmetic simple, and the loader checks that a spec's count is its point's."""
    width = next(k for k in range(12, 1025) if (params - 10) % k == 0)  # (input + 11) * hidden + 10 = params
    spec = {
        "family": "mlp",
        "input_dim": width - 11,
        "hidden": [(params - 10) // width],
        "num_classes": 10,
        "activation": "ReLU",
    }
    spec["params"] = count_params(spec)
    assert spec["params"] == params
    return spec


def point(device: str, samples: int, epoch_s: float | None, *, status: str = "ok", **kw: Any) -> Point:
    ok = status == "ok"
    fields: dict[str, Any] = dict(
        device=device,
        family="mlp",
        params=PARAMS,
        architecture=mlp_spec(kw.get("params", PARAMS)),
        samples=samples,
        batch_size=128,
        epochs=1,
        precision="fp32",
        threads=2 if device == "cpu" else 0,
        optimizer="adam",
        status=status,
        message="" if ok else "CUDA out of memory. Tried to allocate 2.00 GiB",
        device_name="Test CPU" if device == "cpu" else "Test GPU",
        samples_per_s=samples / epoch_s if ok and epoch_s else None,
        step_time_s=StepStats(STEP_MEDIAN_S, 0.001, STEP_CI, 20) if ok else None,
        epoch_time_s=epoch_s if ok else None,
        epoch_time_extrapolated=ok and samples >= 1_000_000,
        fixed_overhead_s=0.0 if ok else None,
        time_to_train_s=epoch_s if ok else None,
    )
    fields.update(kw)
    return Point(**fields)


def measured_points() -> list[Point]:
    pts = []
    for s in SAMPLES:
        pts.append(point("cpu", s, s * CPU_PER_SAMPLE_S))
        pts.append(point("cuda:0", s, GPU_EPOCH_S))
    pts.append(point("cuda:0", 10_000_000, None, status="oom"))
    return pts


def estimate_points() -> list[Point]:
    basis = "roofline from the spec sheet"
    kw: dict[str, Any] = dict(estimated=True, step_time_s=None, epoch_time_extrapolated=False, estimate_basis=basis)
    return [point("A10G", s, GPU_EPOCH_S / 2, **kw) for s in SAMPLES]


def micro_results() -> list[MicroResult]:
    out = [
        MicroResult("cpu", "matmul", "fp32", n, v, "GFLOP/s", v / PEAK_GFLOPS)
        for n, v in ((256, 50.0), (512, 120.0), (1024, 180.0))
    ]
    out += [
        MicroResult("cuda:0", "matmul", "fp32", n, v, "GFLOP/s")
        for n, v in ((256, 500.0), (512, 3000.0), (1024, 8000.0))
    ]
    out.append(MicroResult("cpu", "triad", "fp32", 1 << 26, 12.0, "GB/s"))
    out.append(MicroResult("cuda:0", "h2d_pinned", "fp32", 1 << 26, 11.0, "GB/s"))
    return out


def synthetic_report(points: list[Point] | None = None) -> Report:
    return Report(
        machine={
            "cpu": {
                "model": "Test CPU",
                "peak_fp32_gflops": PEAK_GFLOPS,
                "peak_formula": "2 cores × 2.4 GHz × 64 FLOP/cycle",
            },
            "gpus": [],
        },
        points=measured_points() if points is None else points,
        micro=micro_results(),
        created="2026-01-01T00:00:00+00:00",
        gpuwise_version="test",
    )


GRID_PARAMS = (10_000, 100_000, 1_000_000)


def grid_points() -> tuple[list[Point], list[Point]]:
    """A default-sized sweep: 3 model sizes × 3 dataset sizes on cpu and cuda:0, plus A10G estimates (10 epochs).

    Epoch time grows with both sizes; time to train is 10 epochs plus 1 s of fixed overhead.
    """
    measured: list[Point] = []
    estimated: list[Point] = []
    kw: dict[str, Any] = dict(
        estimated=True, step_time_s=None, epoch_time_extrapolated=False, estimate_basis="roofline"
    )
    for params in GRID_PARAMS:
        for s in SAMPLES[:3]:
            for device, per_sample, extra in (("cpu", 1e-10, {}), ("cuda:0", 1e-11, {}), ("A10G", 5e-12, kw)):
                epoch = s * params * per_sample
                p = point(device, s, epoch, params=params, epochs=10, time_to_train_s=10 * epoch + 1.0, **extra)
                (estimated if device == "A10G" else measured).append(p)
    return measured, estimated


DDP_BASE = 1000.0  # samples/s of one process in ddp_points()


def ddp_points(effs: tuple[float, ...] = (1.0, 0.8, 0.6)) -> list[Point]:
    """One data-parallel CPU job (gloo) on 1, 2 and 4 processes at these efficiencies of the ideal."""
    out = []
    for w, eff in zip((1, 2, 4), effs, strict=True):
        total = w * DDP_BASE * eff
        out.append(
            point(
                "cpu",
                10_000,
                10_000 / total,
                world_size=w,
                backend="gloo",
                samples_per_s=total,
                rank_samples_per_s=[total / w] * w,
                scaling_efficiency=eff,
                threads=max(1, 4 // w),
                scaling_baseline_samples_per_s=DDP_BASE,
                comm_time_s=None if w == 1 else 0.002 * w,
                allreduce_time_s=None if w == 1 else 0.001 * w,
            )
        )
    return out
