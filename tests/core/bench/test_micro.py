"""Micro-benchmarks: matmul GFLOP/s, STREAM-like triad bandwidth, and the plan of what runs where."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
import torch

from gpuwise.core.bench import micro
from gpuwise.core.bench.micro import MATMUL_SIZES, micro_plan, run_micro, time_op
from gpuwise.core.cancel import Cancelled, CancelToken
from gpuwise.core.devices import cpu_info
from gpuwise.core.report import MicroResult

SMALL_TRIAD = 1 << 16


@pytest.fixture(autouse=True)
def _small_triad(monkeypatch: pytest.MonkeyPatch) -> Generator[None, None, None]:
    real = micro.triad_gbs
    monkeypatch.setattr(micro, "triad_gbs", lambda device, n=SMALL_TRIAD: real(device, n))
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_run_micro_on_cpu_measures_matmul_and_triad() -> None:
    out = list(run_micro(["cpu"], ["fp32"], threads=1, sizes=(64, 128)))
    assert [i for i, _n, _r in out] == list(range(len(out)))
    assert {n for _i, n, _r in out} == {3}
    results = [r for _i, _n, r in out]
    assert all(isinstance(r, MicroResult) for r in results)
    matmuls = [r for r in results if r is not None and r.kind == "matmul"]
    assert [m.size for m in matmuls] == [64, 128]
    assert all(m.value > 0 and m.unit == "GFLOP/s" and m.device == "cpu" and m.precision == "fp32" for m in matmuls)
    peak = cpu_info().peak_fp32_gflops
    for m in matmuls:
        if peak:
            assert m.peak_fraction == pytest.approx(m.value / peak)
        else:
            assert m.peak_fraction is None
    triad = [r for r in results if r is not None and r.kind == "triad"]
    assert len(triad) == 1 and triad[0].value > 0 and triad[0].unit == "GB/s"


def test_run_micro_sets_the_thread_count() -> None:
    list(run_micro(["cpu"], ["fp32"], threads=1, sizes=(64,)))
    assert torch.get_num_threads() == 1


def test_micro_plan_for_cpu() -> None:
    plan = micro_plan(["cpu"], ["fp32", "tf32", "bf16"])
    kinds = [(k, p) for _d, k, p, _s in plan]
    assert ("matmul", "tf32") not in kinds  # TF32 is an NVIDIA thing
    assert [s for _d, k, p, s in plan if k == "matmul" and p == "fp32"] == list(MATMUL_SIZES)
    assert [s for _d, k, p, s in plan if k == "matmul" and p == "bf16"] == list(MATMUL_SIZES)
    assert [k for _d, k, _p, _s in plan].count("triad") == 1
    assert not any(k.startswith("h2d") for _d, k, _p, _s in plan)
    assert MATMUL_SIZES[0] == 256 and MATMUL_SIZES[-1] == 4096


def test_slow_sizes_are_left_out_not_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(micro, "MAX_MATMUL_CALL_S", 1e-12)
    calls: list[int] = []
    real = micro.matmul_gflops

    def counting(device: str, precision: str, n: int) -> float:
        calls.append(n)
        return real(device, precision, n)

    monkeypatch.setattr(micro, "matmul_gflops", counting)
    out = list(run_micro(["cpu"], ["fp32"], threads=1, sizes=(64, 128, 256)))
    assert calls == [64]  # the first size tells how long the next would take
    assert [r is None for _i, _n, r in out] == [False, True, True, False]


def test_a_benchmark_that_cannot_run_yields_none_and_the_rest_go_on(monkeypatch: pytest.MonkeyPatch) -> None:
    def unsupported(device: str, precision: str, n: int) -> float:
        raise RuntimeError(f"'addmm' not implemented for {precision}")

    monkeypatch.setattr(micro, "matmul_gflops", unsupported)
    out = list(run_micro(["cpu"], ["fp16"], threads=1, sizes=(64,)))
    assert [r is None for _i, _n, r in out] == [True, False]
    assert out[1][2] is not None and out[1][2].kind == "triad"


def test_cancel_stops_the_micro_benchmarks() -> None:
    token = CancelToken()
    gen = run_micro(["cpu"], ["fp32"], threads=1, cancel=token, sizes=(64, 128))
    first = next(gen)
    assert first[0] == 0
    token.cancel()
    with pytest.raises(Cancelled):
        next(gen)


def test_time_op_warms_up_and_takes_the_median_over_blocks() -> None:
    calls = 0

    def op() -> Any:
        nonlocal calls
        calls += 1
        return sum(range(200))

    t = time_op(op, "cpu", min_block_s=0.001, blocks=5, max_total_s=0.2)
    assert t > 0
    assert calls >= 1 + 2  # one warm-up call, then at least two blocks
