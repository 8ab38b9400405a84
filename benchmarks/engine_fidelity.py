"""Is gpuwise's measurement as fast and as honest as plain torch? Ratios measured side by side in one run.

1. Fidelity: gpuwise's CPU samples/s for an MLP vs a hand-written torch training loop with the same model,
   batch, data and threads. Target: ratio within 0.97-1.03.
2. Matmul: gpuwise's GFLOP/s vs torch.utils.benchmark.Timer at the same thread count. Target: >= 0.95.
3. Machinery: the cost of progress ticks and cancel checks on step time (a tiny model, where per-step Python
   work weighs most). Target: <= 2 %.

A and B runs alternate (ABAB...) and the median ratio is reported, so drift on a shared machine hits both.
Run: python benchmarks/engine_fidelity.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from itertools import pairwise

import torch
from torch import nn

from gpuwise.core.bench.micro import matmul_gflops
from gpuwise.core.bench.train import PointSpec, measure_point
from gpuwise.core.bench.workloads import build_spec
from gpuwise.core.cancel import CancelToken
from gpuwise.core.devices import cpu_info


def drive(ps: PointSpec) -> float:
    point = measure_point(ps, CancelToken())
    assert point.status == "ok", point.message
    assert point.samples_per_s is not None
    return float(point.samples_per_s)


def plain_loop(spec: dict, batch: int, samples: int, steps: int, threads: int) -> float:
    """The loop a careful person writes by hand: samples/s over the timed windows after warm-up."""
    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(samples, spec["input_dim"], generator=gen)
    y = torch.randint(0, spec["num_classes"], (samples,), generator=gen)
    dims = [spec["input_dim"], *spec["hidden"], spec["num_classes"]]
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(pairwise(dims)):
        layers.append(nn.Linear(a, b))
        if i < len(dims) - 2:
            layers.append(getattr(nn, spec["activation"])())
    model = nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def step() -> None:
        idx = torch.randint(0, samples, (batch,))
        xb, yb = x.index_select(0, idx), y.index_select(0, idx)
        loss = loss_fn(model(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(5):
        step()
    windows = []
    per = max(1, steps // 10)
    for _ in range(10):
        t0 = time.perf_counter()
        for _ in range(per):
            step()
        windows.append((time.perf_counter() - t0) / per)
    return batch / statistics.fmean(windows)


def timer_gflops(n: int, threads: int) -> float:
    from torch.utils.benchmark import Timer

    a, b = torch.randn(n, n), torch.randn(n, n)
    c = torch.empty(n, n)
    m = Timer(
        "torch.mm(a, b, out=c)", globals={"torch": torch, "a": a, "b": b, "c": c}, num_threads=threads
    ).blocked_autorange(min_run_time=0.5)
    return 2 * n**3 / m.median / 1e9


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    threads = cpu_info().physical_cores
    print(f"threads={threads} torch={torch.__version__} cpu={cpu_info().model}")

    for label, params, target in (
        ("fidelity MLP 1M", 1_000_000, (0.97, 1.03)),
        ("machinery MLP 10k", 10_000, (0.98, 10.0)),
    ):
        spec = build_spec("mlp", params)
        ratios = []
        for _ in range(args.rounds):
            ps = PointSpec("cpu", "mlp", params, 100_000, batch_size=128, threads=threads, budget_s=2.0)
            ours = drive(ps)
            theirs = plain_loop(spec, 128, 100_000, steps=max(20, int(2.0 * ours / 128)), threads=threads)
            ratios.append(ours / theirs)
        r = statistics.median(ratios)
        ok = target[0] <= r <= target[1]
        print(
            f"{label:<20} gpuwise/plain samples/s = {r:.3f} (rounds {', '.join(f'{x:.3f}' for x in ratios)})"
            f"  target {target[0]}-{target[1] if target[1] < 10 else 'inf'}: {'PASS' if ok else 'FAIL'}"
        )

    for n in (512, 1024, 2048):
        ratios = []
        for _ in range(args.rounds):
            torch.set_num_threads(threads)
            ours = matmul_gflops("cpu", "fp32", n)
            theirs = timer_gflops(n, threads)
            ratios.append(ours / theirs)
        r = statistics.median(ratios)
        print(
            f"matmul n={n:<5}        gpuwise/Timer GFLOP/s = {r:.3f}  target >= 0.95: {'PASS' if r >= 0.95 else 'FAIL'}"
        )


if __name__ == "__main__":
    main()
