"""The roofline estimator on fixed FLOP counts, device models from reports and the catalog, projections."""

from __future__ import annotations

import math
import sys
from dataclasses import replace

import pytest

from gpuwise.core import estimate as est
from gpuwise.core.bench.workloads import analytic_flops_per_step, build_spec, input_bytes_per_sample
from gpuwise.core.errors import UserInputError
from gpuwise.core.report import MicroResult, Report

SPEC = build_spec("mlp", 1_000_000)


def simple_model(kind: str = "cpu", **kw: object) -> est.DeviceModel:
    """A device whose step time can be computed by hand: 100 GFLOP/s, 10 GB/s, no size penalty, no overhead."""
    base = est.DeviceModel(
        name="test",
        kind=kind,
        label="test device",
        peak_gflops={"fp32": 100.0, "bf16": 400.0},  # type: ignore[arg-type]
        gemm_efficiency=1.0,
        conv_efficiency=1.0,
        gemm_d0=0.0,
        conv_d0=0.0,
        bandwidth_gbs=10.0,
        dispatch_s=0.0,
        step_base_s=0.0,
        optimizer_base_s=0.0,
        optimizer_per_tensor_s=0.0,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def micro_report(matmul: float = 150.0, triad: float = 25.0, threads: int = 2) -> Report:
    return Report(
        machine={"cpu": {"model": "Test CPU", "ram_total": 8 << 30, "peak_fp32_gflops": 400.0}},
        points=[],
        micro=[
            MicroResult("cpu", "matmul", "fp32", 512, matmul * 0.8, "GFLOP/s"),
            MicroResult("cpu", "matmul", "fp32", 2048, matmul, "GFLOP/s"),
            MicroResult("cpu", "triad", "fp32", 1 << 26, triad, "GB/s"),
            MicroResult("cuda:0", "matmul", "fp32", 2048, 9999.0, "GFLOP/s"),
        ],
        created="2026-01-01T00:00:00+00:00",
        settings={"threads": threads},
    )


def test_compute_time_is_flops_over_peak_on_a_fixed_flop_count() -> None:
    m = simple_model(bandwidth_gbs=1e6)
    e1 = est.estimate_step(m, SPEC, 128, flops=1e9)
    # with memory this fast every product is compute-bound: 1e9 FLOPs at 100 GFLOP/s take 10 ms, whatever the
    # split over layers
    assert e1.compute_s == pytest.approx(1e9 / 100e9, rel=1e-9)
    assert e1.flops == 1e9 and e1.flops_method == "given"
    e2 = est.estimate_step(m, SPEC, 128, flops=2e9)
    assert e2.compute_s == pytest.approx(2 * e1.compute_s)
    # Adam streams 72 bytes a parameter
    assert e1.optimizer_s == pytest.approx(SPEC["params"] * 72 / 1e15)
    # at 10 GB/s the thin last layer (534 -> 10) turns memory-bound: the roofline takes the larger time
    slow = est.estimate_step(simple_model(), SPEC, 128, flops=1e9)
    assert slow.compute_s > e1.compute_s
    assert e1.step_s == pytest.approx(e1.compute_s + e1.memory_s + e1.optimizer_s)
    assert e1.transfer_s == 0.0 and e1.host_s == 0.0


def test_sgd_streams_less_than_adam_and_mixed_precision_uses_its_peak() -> None:
    m = simple_model()
    adam = est.estimate_step(m, SPEC, 128, flops=1e9)
    sgd = est.estimate_step(m, SPEC, 128, flops=1e9, optimizer="sgd")
    assert sgd.optimizer_s == pytest.approx(adam.optimizer_s * 12 / 72)
    fast = simple_model(bandwidth_gbs=1e6)
    fp32 = est.estimate_step(fast, SPEC, 128, flops=1e9)
    bf16 = est.estimate_step(fast, SPEC, 128, flops=1e9, precision="bf16")
    assert bf16.compute_s == pytest.approx(fp32.compute_s / 4, rel=1e-6)


def test_host_overheads_add_on_a_cpu_and_overlap_on_a_gpu() -> None:
    cpu = simple_model(dispatch_s=1e-3, step_base_s=2e-3)
    gpu = simple_model("gpu", dispatch_s=1e-3, step_base_s=2e-3)
    c = est.estimate_step(cpu, SPEC, 128, flops=1e9)
    g = est.estimate_step(gpu, SPEC, 128, flops=1e9)
    assert c.host_s == pytest.approx(2e-3 + c.kernels * 1e-3)
    assert c.step_s == pytest.approx(c.compute_s + c.memory_s + c.optimizer_s + c.host_s)
    assert g.step_s == pytest.approx(max(g.compute_s + g.memory_s + g.optimizer_s, g.host_s))


def test_host_link_transfer_is_the_batch_over_the_link() -> None:
    m = simple_model("gpu", host_link_gbs=1.0)
    e = est.estimate_step(m, SPEC, 256, flops=1e9)
    assert e.transfer_s == pytest.approx(input_bytes_per_sample(SPEC) * 256 / 1e9)


def test_small_products_are_less_efficient() -> None:
    fast = est.estimate_step(simple_model(bandwidth_gbs=1e6), SPEC, 128, flops=1e9)
    slow = est.estimate_step(simple_model(bandwidth_gbs=1e6, gemm_d0=128.0), SPEC, 128, flops=1e9)
    assert slow.compute_s > 1.5 * fast.compute_s


def test_cpu_model_comes_from_the_reports_micro_benchmarks() -> None:
    m = est.cpu_model(micro_report(150.0, 25.0))
    assert m.peak_gflops["fp32"] == 150.0  # the best CPU matmul, never a GPU's
    assert m.peak_for("bf16") == 150.0  # unmeasured 16-bit: no faster than fp32
    assert m.bandwidth_gbs == 25.0
    assert m.threads == 2 and "2 threads" in m.label and "Test CPU" in m.label
    assert "measured matmul peak 150 GFLOP/s" in m.basis
    assert m.memory_bytes == int((8 << 30) * 0.85)


def test_cpu_model_without_micro_benchmarks_says_what_it_assumed() -> None:
    r = replace(micro_report(), micro=[])
    m = est.cpu_model(r)
    assert m.peak_gflops["fp32"] == pytest.approx(200.0)  # half the formula peak
    assert "no matmul measurement" in m.basis and "no bandwidth measurement" in m.basis


def test_gpu_model_uses_catalog_peaks_and_documented_efficiency() -> None:
    m = est.gpu_model("a10g")
    assert m.kind == "gpu" and m.name == "A10G"
    assert m.peak_gflops["fp32"] == 35_000.0 and m.peak_gflops["bf16"] == 70_000.0
    assert m.basis.startswith("roofline from catalog peaks and achieved rates (A10G: memory")
    # no published GEMM measurement of an A10G: its power-limited class default, marked as an assumption
    assert m.efficiency_notes["bf16"] == "bf16 60% of peak (assumed)"
    assert m.memory_bytes == int(24 * (1 << 30) * est.GPU_USABLE_FRACTION)
    assert m.spread > est.CPU_ESTIMATE_SPREAD
    with pytest.raises(UserInputError):
        est.gpu_model("H900")


def test_a_tiny_model_on_a_gpu_is_bound_by_overhead() -> None:
    e = est.estimate_step(est.gpu_model("H100 SXM"), build_spec("mlp", 50_000), 128, flops_method="analytic")
    assert e.bound == "overhead"
    assert e.step_s == pytest.approx(e.host_s)


def test_estimated_point_is_labeled_and_adds_up() -> None:
    m = est.gpu_model("T4")
    p = est.estimate_point(m, SPEC, samples=10_000, batch_size=128, epochs=3, flops=3e9)
    assert p.estimated and p.status == "ok" and p.device == "T4"
    assert p.estimate_basis.startswith("estimate: roofline from catalog peaks and achieved rates (T4")
    st = p.step_time_s
    assert st is not None and st.n == 0 and st.ci95[0] < st.median < st.ci95[1]
    assert p.epoch_time_s == pytest.approx(math.ceil(10_000 / 128) * st.median)
    assert p.epoch_time_s is not None
    assert p.time_to_train_s == pytest.approx(3 * p.epoch_time_s + (p.fixed_overhead_s or 0.0))
    assert p.flops_per_step == 3e9 and p.epoch_time_extrapolated


def test_a_model_that_does_not_fit_is_an_estimated_oom_point() -> None:
    big = build_spec("transformer", 2_000_000_000)
    p = est.estimate_point(est.gpu_model("T4"), big, samples=1000, batch_size=32, flops=1e15)
    assert p.status == "oom" and p.estimated and p.step_time_s is None
    assert p.message.startswith("estimate: needs about")


def test_estimate_points_like_twins_each_cpu_point() -> None:
    from tests.core.test_verdict import cpu_report

    pts = est.estimate_points_like(cpu_report(), ["T4", "H100 SXM"], flops_method="analytic")
    assert len(pts) == 4 and {p.device for p in pts} == {"T4", "H100 SXM"}
    assert all(p.estimated and p.flops_per_step == 1e9 for p in pts)


def test_bad_inputs_are_user_errors() -> None:
    m = simple_model()
    with pytest.raises(UserInputError):
        est.estimate_step(m, SPEC, 0, flops=1.0)
    with pytest.raises(UserInputError):
        est.estimate_step(m, SPEC, 8, flops=1.0, precision="fp8")
    with pytest.raises(UserInputError):
        est.estimate_step(m, SPEC, 8, flops=1.0, optimizer="lion")


def test_analytic_flops_never_import_torch() -> None:
    flops, method = est.flops_per_step(SPEC, 64, "analytic")
    assert (flops, method) == (analytic_flops_per_step(SPEC, 64), "analytic")


def test_counted_flops_use_flop_counter_mode_and_match_the_shapes() -> None:
    spec = build_spec("mlp", 20_000)
    flops, method = est.flops_per_step(spec, 32, "auto")
    assert method == "FlopCounterMode" and "torch" in sys.modules
    # the counter skips the input's gradient (the first layer's grad-input product): a little under the formula
    assert 0.8 * analytic_flops_per_step(spec, 32) < flops <= analytic_flops_per_step(spec, 32)
    ops_flops = sum(o.flops for o in est.step_ops(spec, 32))
    assert ops_flops == pytest.approx(flops, rel=0.02)


@pytest.mark.parametrize("family", ["mlp", "cnn", "transformer"])
def test_step_ops_match_the_analytic_count_per_family(family: str) -> None:
    spec = build_spec(family, 300_000)
    ops = est.step_ops(spec, 16)
    analytic = analytic_flops_per_step(spec, 16)
    assert 0.6 * analytic < sum(o.flops for o in ops) <= 1.05 * analytic
    assert all(o.bytes >= 0 and o.kernels >= 1 for o in ops)


# ---------------------------------------------------------------- large models


def test_a_10b_model_takes_years_on_a_cpu() -> None:
    r = micro_report(100.0)
    cpu = est.project_large_model(10_000_000_000, 1_000_000, 64, 1, "cpu", report=r)
    assert cpu.flops == pytest.approx(6 * 1e10 * 6.4e7)
    assert cpu.seconds == pytest.approx(cpu.flops / (100e9 * 0.87))
    assert cpu.seconds > 365.25 * 86400
    assert "years" in cpu.text and "(estimate)" in cpu.text
    assert any(a.startswith("training FLOPs = 6 ×") for a in cpu.assumptions)
    assert cpu.devices_for_memory is not None and cpu.devices_for_memory > 1


def test_large_model_on_a_catalog_gpu_uses_its_tensor_peak() -> None:
    h = est.project_large_model(10_000_000_000, 1_000_000, 64, 1, "h100")
    assert h.label == "H100 SXM" and h.peak_gflops == pytest.approx(989_500.0)
    assert h.seconds == pytest.approx(h.flops / (989.5e12 * est.LARGE_MODEL_GPU_MFU))
    assert h.devices_for_memory == math.ceil(16e10 / h.memory_available_bytes)  # type: ignore[operator]
    assert any("at least" in a for a in h.assumptions)
    assert h.to_dict()["text"] == h.text
    with pytest.raises(UserInputError):
        est.project_large_model(0, 1, 1, 1, "cpu")


def test_estimates_are_cached_per_device_spec_batch_and_precision() -> None:
    from gpuwise.core import estimate as est_mod
    from gpuwise.core.bench.workloads import build_spec as _build

    est_mod.clear_estimate_cache()
    spec = _build("mlp", 100_000)
    model = est_mod.gpu_model("T4")
    first = est_mod.estimate_step(model, spec, 64)
    assert est_mod.estimate_step(model, dict(spec), 64) is first  # an equal spec hits the cache
    assert est_mod.estimate_step(model, spec, 128) is not first
    assert est_mod.estimate_step(model, spec, 64, precision="bf16") is not first
    assert est_mod.estimate_step(est_mod.gpu_model("H100 SXM"), spec, 64).device == "H100 SXM"
