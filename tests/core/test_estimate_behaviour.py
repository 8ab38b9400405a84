"""The roofline estimator (``gpuwise.core.estimate``), stated as behaviour on inputs whose answer can be worked out
by hand: one 1000x1000 linear layer on a 100 GFLOP/s, 100 GB/s device; device models from a report's
micro-benchmarks and from a hand-built catalog GPU; the uncertainty band; estimated points and large-model
projections (always labelled as estimates).

Written against the mutants of ``benchmarks/mutation.py estimate`` that the estimator tests let through.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpuwise.core import estimate as est
from gpuwise.core.bench import workloads
from gpuwise.core.bench.workloads import build_spec
from gpuwise.core.catalog import Achieved, GpuSpec, efficiency_defaults
from gpuwise.core.errors import UserInputError
from gpuwise.core.report import MicroResult, Point, Report, StepStats
from gpuwise.core.units import format_bytes, format_count, format_duration

# One linear layer (1000 -> 1000, no grad-input), no input copy, no loss, 1000 parameters in 2 tensors.
# At batch 10 its step is: two products (forward, grad-weight) of 2e7 FLOPs, each moving 4.08e6 bytes, smallest
# dimension 10; a bias-gradient kernel of 4e4 bytes; six empty kernels (input, four loss kernels): 8 kernels.
LINEAR: dict[str, Any] = {
    "family": "layers",
    "params": 1000,
    "param_tensors": 2,
    "input_bytes_per_sample": 0,
    "num_classes": 0,
    "layers": [{"op": "linear", "n_in": 1000, "n_out": 1000, "grad_input": False}],
}
# One convolution (1x1, 10 -> 100 channels on 100 pixels, no grad-input): at batch 10 two products of 2e6 FLOPs,
# 4.44e5 bytes each, smallest dimension 10.
CONV: dict[str, Any] = {
    "family": "layers",
    "params": 1000,
    "param_tensors": 2,
    "input_bytes_per_sample": 0,
    "num_classes": 0,
    "layers": [{"op": "conv", "out_hw": 100, "c_in": 10, "c_out": 100, "k": 1, "grad_input": False}],
}


def device(kind: str = "cpu", **kw: Any) -> est.DeviceModel:
    """100 GFLOP/s fp32 (400 in bf16), 100 GB/s, full efficiency at every size, no host cost."""
    base = est.DeviceModel(
        name="test",
        kind=kind,  # type: ignore[arg-type]
        label="test device",
        peak_gflops={"fp32": 100.0, "bf16": 400.0},
        gemm_efficiency=1.0,
        conv_efficiency=1.0,
        gemm_d0=0.0,
        conv_d0=0.0,
        bandwidth_gbs=100.0,
        dispatch_s=0.0,
        step_base_s=0.0,
        optimizer_base_s=0.0,
        optimizer_per_tensor_s=0.0,
    )
    return replace(base, **kw)


def step(model: est.DeviceModel, spec: dict[str, Any] = LINEAR, batch: int = 10, **kw: Any) -> est.StepEstimate:
    return est.estimate_step(model, spec, batch, **kw)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    est.clear_estimate_cache()


# ---------------------------------------------------------------- the step, by hand


def test_the_linear_layer_step_adds_up_by_hand() -> None:
    e = step(device())
    assert e.compute_s == pytest.approx(2 * 2e7 / 100e9)  # compute-bound: 2e-4 s each beats 4.08e-5 s of bytes
    assert e.memory_s == 4e4 / (100.0 * 1e9)  # exactly: GB/s are 1e9 bytes a second
    assert e.optimizer_s == pytest.approx(1000 * 72 / 100e9)  # Adam
    assert e.transfer_s == 0.0 and e.host_s == 0.0
    assert e.step_s == pytest.approx(4e-4 + 4e-7 + 7.2e-7)
    assert e.flops == 4e7 and e.flops_method == "layer shapes"
    assert e.bytes_moved == 2 * 4_080_000 + 40_000 + 72_000
    assert e.kernels == 8
    assert e.bound == "compute"
    assert e.device == "test" and e.batch_size == 10
    assert e.memory_needed is None and e.memory_available is None and e.fits is None
    assert e.basis == "estimate: ; 40M FLOPs/step (layer shapes)"
    assert e.band == pytest.approx((e.step_s / est.CPU_ESTIMATE_SPREAD, e.step_s * est.CPU_ESTIMATE_SPREAD))
    assert e.samples_per_s == pytest.approx(10 / e.step_s)
    assert e.tflops == pytest.approx(4e7 / e.step_s / 1e12)


def test_given_flops_rescale_the_products_and_are_labelled_given() -> None:
    e = step(device(), flops=8e7)
    assert e.compute_s == pytest.approx(2 * 4e7 / 100e9)
    assert e.flops == 8e7 and e.flops_method == "given"
    assert e.basis.endswith("80M FLOPs/step (given)")
    # a step without any product: given FLOPs have nothing to rescale
    ew = {**LINEAR, "layers": [{"op": "elementwise", "elements": 1000}]}
    e = step(device(), ew, flops=1e9)
    assert e.compute_s == 0.0 and e.memory_s == pytest.approx(10 * 1000 * 4 * 5 / 100e9)


def test_sgd_and_mixed_precision_change_the_optimizer_traffic() -> None:
    assert step(device(), optimizer="sgd").optimizer_s == pytest.approx(1000 * 12 / 100e9)
    # 16-bit training also casts the fp32 weights (read 4, write 2 bytes) every step
    assert step(device(), precision="bf16").optimizer_s == pytest.approx(1000 * (72 + 6) / 100e9)
    assert step(device(), precision="fp16", optimizer="sgd").optimizer_s == pytest.approx(1000 * 18 / 100e9)
    assert step(device(), precision="tf32").optimizer_s == pytest.approx(1000 * 72 / 100e9)


def test_host_costs_add_on_a_cpu_and_overlap_on_a_gpu() -> None:
    host: dict[str, Any] = dict(step_base_s=1e-3, dispatch_s=1e-4, optimizer_base_s=2e-3, optimizer_per_tensor_s=1e-5)
    c = step(device(**host))
    assert c.host_s == pytest.approx(1e-3 + 8 * 1e-4 + 2e-3 + 2 * 1e-5)
    assert c.step_s == pytest.approx(c.compute_s + c.memory_s + c.optimizer_s + c.host_s)
    assert c.bound == "overhead"
    g = step(device("gpu", **host))
    assert g.step_s == pytest.approx(g.host_s)  # the device work hides behind the host's
    g = step(device("gpu", step_base_s=1e-5))
    assert g.step_s == pytest.approx(g.compute_s + g.memory_s + g.optimizer_s)  # the host cost hides


def test_small_products_lose_efficiency_by_their_smallest_dimension() -> None:
    # d0 = 10 = the products' smallest dimension: half the efficiency, twice the time
    assert step(device(gemm_d0=10.0)).compute_s == pytest.approx(2 * 2 * 2e7 / 100e9)
    assert step(device(gemm_efficiency=0.5, gemm_d0=30.0)).compute_s == pytest.approx(2 * 2e7 / (100e9 * 0.5 * 10 / 40))
    # a convolution uses its own efficiency and d0
    assert step(device(conv_d0=10.0, gemm_d0=1e6), CONV).compute_s == pytest.approx(2 * 2 * 2e6 / 100e9)
    assert step(device(conv_efficiency=0.25), CONV).compute_s == pytest.approx(2 * 2e6 / 25e9)


def test_on_a_gpu_the_half_efficiency_size_follows_the_ridge_point() -> None:
    # ridge = 100 GFLOP/s x 0.5 / 100 GB/s = 0.5 FLOP/byte; d0 = 20 x 0.5 = 10 (the fixed d0 is then ignored)
    m = device("gpu", gemm_efficiency=0.5, gemm_d0=1000.0, gemm_d0_per_ridge=20.0, conv_d0_per_ridge=40.0)
    assert step(m).compute_s == pytest.approx(2 * 2e7 / (100e9 * 0.5 * 10 / 20))
    # convolutions: d0 = 40 x 0.5 = 20
    assert step(m, CONV).compute_s == pytest.approx(2 * 2e6 / (100e9 * 1.0 * 10 / 30))
    # a ridge factor under 1: ridge = 100 x 1.0 / 100 = 1 FLOP/byte, d0 = 0.9
    small = device("gpu", gemm_d0_per_ridge=0.9)
    assert step(small).compute_s == pytest.approx(2 * 2e7 / (100e9 * 10 / 10.9))
    # without a ridge factor the fixed d0 applies
    assert step(replace(m, gemm_d0_per_ridge=0.0)).compute_s == pytest.approx(2 * 2e7 / (100e9 * 0.5 * 10 / 1010))


def test_memory_bound_products_take_their_bytes_over_the_bandwidth() -> None:
    e = step(device(bandwidth_gbs=1.0))
    assert e.compute_s == pytest.approx(2 * 4.08e6 / 1e9)
    assert e.memory_s == pytest.approx(4e4 / 1e9)
    assert e.bound == "compute"  # products are compute work even when their bytes limit them
    # 16-bit activations halve the activation bytes (the fp32 weights stay 4 bytes each)
    e = step(device(bandwidth_gbs=1.0), precision="bf16")
    assert e.compute_s == pytest.approx(2 * (2 * (10_000 + 10_000) + 4e6) / 1e9)
    assert e.memory_s == pytest.approx(2 * 10_000 / 1e9)
    e = step(device(bandwidth_gbs=1.0), {**LINEAR, "params": 10_000_000})
    assert e.bound == "memory" and e.optimizer_s == pytest.approx(72e7 / 1e9)


def test_every_kernel_takes_at_least_the_floor() -> None:
    e = step(device(kernel_floor_s=1e-3))
    assert e.compute_s == pytest.approx(2 * 1e-3)
    assert e.memory_s == pytest.approx(6 * 1e-3)
    # the attention backward is two kernels: it takes two floors, and counts as two kernels
    att = {**LINEAR, "layers": [{"op": "attention", "seq": 1, "heads": 1, "head_dim": 1}]}
    e = step(device(kernel_floor_s=1e-3), att)
    assert e.kernels == 1 + 1 + 2 + 2 + 4
    assert e.compute_s == pytest.approx(3e-3)


def test_a_gpu_copies_the_batch_over_its_host_link() -> None:
    spec = {**LINEAR, "input_bytes_per_sample": 1000}
    e = step(device("gpu", host_link_gbs=1.0), spec)
    assert e.transfer_s == 1000 * 10 / 1e9
    assert e.step_s == pytest.approx(e.compute_s + e.memory_s + e.optimizer_s + e.transfer_s)
    assert step(device("gpu", host_link_gbs=1e-3), spec).bound == "transfer"
    # a layers spec that does not say its input size copies nothing
    bare = {k: v for k, v in LINEAR.items() if k != "input_bytes_per_sample"}
    assert step(device("gpu", host_link_gbs=1.0), bare).transfer_s == 0.0
    # the built-in families know their own input size
    mlp = build_spec("mlp", 100_000)
    e = step(device("gpu", host_link_gbs=1.0), mlp, 32, flops=1e9)
    assert e.transfer_s == pytest.approx(workloads.input_bytes_per_sample(mlp) * 32 / 1e9)


def test_a_spec_without_a_parameter_count_is_counted() -> None:
    mlp = build_spec("mlp", 100_000)
    without = {k: v for k, v in mlp.items() if k != "params"}
    assert step(device(), without, 32, flops=1e9).optimizer_s == pytest.approx(mlp["params"] * 72 / 100e9)
    # a declared count is used, however small
    assert step(device(), {**LINEAR, "params": 1}).optimizer_s == pytest.approx(72 / 100e9)
    assert step(device(), {**mlp, "params": 0}, 32, flops=1e9).optimizer_s == pytest.approx(mlp["params"] * 72 / 100e9)


def test_memory_fit_compares_the_need_with_the_device() -> None:
    mlp = build_spec("mlp", 100_000)
    e = step(device(memory_bytes=1 << 40), mlp, 32, flops=1e9)
    assert e.memory_needed is not None and e.memory_needed > 0
    assert e.fits is True and e.memory_available == 1 << 40
    assert step(device(memory_bytes=e.memory_needed), mlp, 32, flops=1e9).fits is True
    assert step(device(memory_bytes=e.memory_needed - 1), mlp, 32, flops=1e9).fits is False
    assert step(device(), mlp, 32, flops=1e9).fits is None
    # the need is the memory model's for this optimizer and precision
    from gpuwise.core.bench.memory import estimate_training_memory

    for optimizer, precision in (("sgd", "fp32"), ("adam", "bf16"), ("sgd", "fp16")):
        e = step(device(), mlp, 32, flops=1e9, optimizer=optimizer, precision=precision)
        want = estimate_training_memory(mlp, 32, optimizer=optimizer, precision=precision).total
        assert e.memory_needed == want


def test_precision_picks_its_peak_and_efficiency() -> None:
    # a CPU is as efficient in 16 bits as in fp32
    assert step(device(), precision="bf16").compute_s == pytest.approx(2 * 2e7 / 400e9)
    # a hand-built GPU without per-precision efficiencies: its tensor cores reach 60 % of their peak
    assert step(device("gpu"), precision="bf16").compute_s == pytest.approx(2 * 2e7 / (400e9 * 0.6))
    assert step(device("gpu", gemm_efficiency=0.5)).compute_s == pytest.approx(2 * 2e7 / 50e9)
    # tf32 without its own peak runs at the fp32 rate and efficiency
    assert step(device("gpu", gemm_efficiency=0.5), precision="tf32").compute_s == pytest.approx(2 * 2e7 / 50e9)
    # per-precision efficiencies win, and convolutions are a share of them
    m = device("gpu", gemm_efficiency_by_precision={"bf16": 0.5}, conv_relative={"bf16": 0.5})
    assert step(m, precision="bf16").compute_s == pytest.approx(2 * 2e7 / 200e9)
    assert step(m, CONV, precision="bf16").compute_s == pytest.approx(2 * 2e6 / 100e9)
    assert step(m, CONV).compute_s == pytest.approx(2 * 2e6 / 100e9)  # fp32: the absolute conv efficiency
    # a precision listed with a zero peak runs at the fp32 peak
    assert device(peak_gflops={"fp32": 100.0, "fp16": 0.0}).peak_for("fp16") == 100.0


def test_the_estimate_names_its_basis_and_the_efficiency_it_used() -> None:
    m = device(basis="roofline here", efficiency_notes={"bf16": "bf16 50% of peak (assumed)"})
    assert step(m, precision="bf16").basis == (
        "estimate: roofline here; matrix products bf16 50% of peak (assumed); 40M FLOPs/step (layer shapes)"
    )
    assert step(m).basis == "estimate: roofline here; 40M FLOPs/step (layer shapes)"


@settings(max_examples=30, deadline=None)
@given(
    peak=st.floats(1.0, 1e5),
    factor=st.floats(1.0, 100.0),
    bw=st.floats(0.1, 1e4),
    kind=st.sampled_from(["cpu", "gpu"]),
    batch=st.integers(1, 64),
)
def test_more_flops_at_fixed_bandwidth_never_shorten_the_step(
    peak: float, factor: float, bw: float, kind: str, batch: int
) -> None:
    m = device(kind, peak_gflops={"fp32": peak}, bandwidth_gbs=bw, gemm_d0=16.0, dispatch_s=1e-5)
    faster_peak = step(replace(m, peak_gflops={"fp32": peak * factor}), batch=batch)
    base = step(m, batch=batch)
    assert faster_peak.step_s <= base.step_s * (1 + 1e-12)
    more_flops = step(m, batch=batch, flops=base.flops * factor)
    assert more_flops.step_s >= base.step_s * (1 - 1e-12)
    assert base.band[0] <= base.step_s <= base.band[1]
    assert base.basis.startswith("estimate: ")


# ---------------------------------------------------------------- the band


def test_the_band_varies_each_part_by_its_own_uncertainty() -> None:
    m = device(compute_spread={"fp32": 2.0}, memory_spread=1.5, host_spread=3.0, step_base_s=1e-4)
    e = step(m)
    c, mem, h = e.compute_s, e.memory_s + e.optimizer_s, e.host_s
    assert e.band == pytest.approx((c / 2 + mem / 1.5 + h / 3, c * 2 + mem * 1.5 + h * 3))
    # on a GPU the parts recombine as the step does (the longer of device and host)
    g = step(replace(m, kind="gpu", host_link_gbs=1.0), {**LINEAR, "input_bytes_per_sample": 100})
    dev = g.compute_s + g.memory_s + g.optimizer_s
    assert g.band == pytest.approx(
        (
            max(g.compute_s / 2 + (dev - g.compute_s + g.transfer_s) / 1.5, g.host_s / 3),
            max(g.compute_s * 2 + (dev - g.compute_s + g.transfer_s) * 1.5, g.host_s * 3),
        )
    )


def test_the_band_is_never_narrower_than_the_better_known_part() -> None:
    # host-bound, and the host is known to 10 %: the step is still only known as well as compute or memory
    m = device("gpu", dispatch_s=1e-2, compute_spread={"fp32": 1.5}, memory_spread=2.0, host_spread=1.1)
    e = step(m)
    assert e.bound == "overhead"
    assert e.band == pytest.approx((e.step_s / 1.5, e.step_s * 1.5))
    m = replace(m, compute_spread={"fp32": 3.0}, memory_spread=1.2)
    assert step(m).band == pytest.approx((e.step_s / 1.2, e.step_s * 1.2))


def test_without_part_uncertainties_the_band_is_the_device_spread() -> None:
    # a spread for another precision is not this one's
    m = device(spread=1.4, compute_spread={"bf16": 2.0})
    e = step(m)
    assert e.band == pytest.approx((e.step_s / 1.4, e.step_s * 1.4))
    # any one part with an uncertainty of its own: the band comes from the parts
    for kw in ({"compute_spread": {"fp32": 2.0}}, {"memory_spread": 2.0}, {"host_spread": 2.0}):
        e = step(device(spread=1.4, step_base_s=1e-3, **kw))
        assert e.band != pytest.approx((e.step_s / 1.4, e.step_s * 1.4))
        assert e.band[0] < e.step_s < e.band[1]


# ---------------------------------------------------------------- the cache


def test_the_cache_forgets_its_oldest_estimate_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(est, "_STEP_CACHE_MAX", 2)
    m = device()
    a, b = step(m, batch=1), step(m, batch=2)
    assert step(m, batch=1) is a and step(m, batch=2) is b
    c = step(m, batch=3)
    assert step(m, batch=3) is c and step(m, batch=2) is b
    again = step(m, batch=1)
    assert again is not a and again == a


def test_each_input_of_an_estimate_is_part_of_its_cache_key() -> None:
    m = device()
    first = step(m)
    assert step(device(), dict(LINEAR)) is first
    for other in (
        step(m, optimizer="sgd"),
        step(m, flops=8e7),
        step(replace(m, bandwidth_gbs=50.0)),
        step(m, {**LINEAR, "params": 2000}),
    ):
        assert other is not first and other != first
    assert step(m, flops_method="analytic") is not first


def test_an_unhashable_spec_is_estimated_without_the_cache() -> None:
    odd = {**LINEAR, "tags": {"hand", "edited"}}
    a = step(device(), odd)
    b = step(device(), odd)
    assert a == b and a is not b
    assert a.step_s == step(device()).step_s


def test_cache_keys_are_hashable_twins_of_json_like_values() -> None:
    assert est.frozen_key({"b": [1, {"a": 2}], 3: (4,)}) == (("3", (4,)), ("b", (1, (("a", 2),))))
    assert est.frozen_key("x") == "x"
    a, b = device(), device()
    assert a.cache_key == b.cache_key and hash(a.cache_key) == hash(b.cache_key)
    assert device(peak_gflops={"fp32": 100.0}).cache_key != a.cache_key
    assert len(a.cache_key) == len(a.to_dict())
    assert a.to_dict()["peak_gflops"] == {"fp32": 100.0, "bf16": 400.0} and a.to_dict()["name"] == "test"


def test_a_step_estimate_serialises_with_its_band_as_a_list() -> None:
    e = step(device())
    d = e.to_dict()
    assert d["band"] == list(e.band) and d["step_s"] == e.step_s and d["batch_size"] == 10
    zero = replace(e, step_s=0.0)
    assert zero.tflops == 0.0 and zero.samples_per_s == 0.0


def test_bad_inputs_name_what_is_wrong() -> None:
    with pytest.raises(UserInputError, match=r"batch size must be at least 1 \(got 0\)"):
        step(device(), batch=0)
    with pytest.raises(UserInputError, match=r"unknown optimizer 'lion' \(choose from adam, sgd\)"):
        step(device(), optimizer="lion")
    assert step(device(), batch=1).batch_size == 1


# ---------------------------------------------------------------- FLOPs


def test_flops_are_counted_by_the_layer_shapes_the_counter_or_the_formula(monkeypatch: pytest.MonkeyPatch) -> None:
    assert est.flops_per_step(LINEAR, 10, "analytic") == (4e7, "layer shapes")
    mlp = build_spec("mlp", 20_000)
    with pytest.raises(ValueError, match="unknown FLOP counting method 'exact'"):
        est.flops_per_step(mlp, 8, "exact")
    # torch's counter (stood in for here: importing torch is slow) unless the formula is asked for
    monkeypatch.setattr(workloads, "count_flops_per_step", lambda spec, batch: 123 * batch)
    assert est.flops_per_step(mlp, 8) == (984.0, "FlopCounterMode")
    assert est.flops_per_step(mlp, 8, "counted") == (984.0, "FlopCounterMode")
    assert est.flops_per_step(mlp, 8, "analytic") == (float(workloads.analytic_flops_per_step(mlp, 8)), "analytic")

    def no_torch(spec: dict[str, Any], batch: int) -> float:
        raise ImportError("no torch")

    monkeypatch.setattr(workloads, "count_flops_per_step", no_torch)
    assert est.flops_per_step(mlp, 8) == (float(workloads.analytic_flops_per_step(mlp, 8)), "analytic")
    with pytest.raises(ImportError):
        est.flops_per_step(mlp, 8, "counted")


def test_steps_per_epoch_round_up_and_never_reach_zero() -> None:
    assert est.steps_per_epoch(100, 10) == 10
    assert est.steps_per_epoch(101, 10) == 11
    assert est.steps_per_epoch(1, 10) == 1
    assert est.steps_per_epoch(0, 10) == 1


# ---------------------------------------------------------------- the CPU model


def micro(*rows: tuple[str, str, str, float], **machine: Any) -> Report:
    return Report(
        machine={"cpu": {"model": "Test CPU", "ram_total": 8 << 30, **machine}},
        points=[],
        micro=[MicroResult(d, k, p, 1024, v, "x") for d, k, p, v in rows],
        created="2026-01-01T00:00:00+00:00",
        settings={"threads": 2},
    )


def test_the_cpu_model_is_this_cpus_measurements_with_fixed_eager_costs() -> None:
    r = micro(
        ("cpu", "matmul", "fp32", 120.0),
        ("cpu", "matmul", "fp32", 150.0),
        ("cpu", "matmul", "bf16", 300.0),
        ("cuda:0", "matmul", "fp16", 9999.0),
        ("cpu", "triad", "fp32", 20.0),
        ("cpu", "triad", "fp32", 25.0),
        ("cuda:0", "triad", "fp32", 2000.0),
    )
    m = est.cpu_model(r)
    assert m.peak_gflops == {"fp32": 150.0, "tf32": 150.0, "bf16": 300.0, "fp16": 150.0}
    assert m.bandwidth_gbs == 25.0
    assert m.basis == (
        "roofline from this CPU's micro-benchmarks (measured matmul peak 150 GFLOP/s, triad 25 GB/s) × 0.87 efficiency"
    )
    assert (m.name, m.kind, m.label, m.threads) == ("cpu", "cpu", "CPU (Test CPU, 2 threads)", 2)
    assert (m.gemm_efficiency, m.conv_efficiency, m.gemm_d0, m.conv_d0) == (0.87, 0.9, 16.0, 40.0)
    assert (m.dispatch_s, m.step_base_s, m.optimizer_base_s, m.optimizer_per_tensor_s) == (
        23e-6,
        0.4e-3,
        0.15e-3,
        0.06e-3,
    )
    assert m.memory_bytes == int((8 << 30) * 0.85) and m.fixed_overhead_s == 0.05
    assert m.spread == est.CPU_ESTIMATE_SPREAD and m.kernel_floor_s == 0.0 and m.host_link_gbs is None
    assert m.gemm_d0_per_ridge == 0.0 and not m.compute_spread


def test_a_cpu_without_measurements_says_what_it_assumed() -> None:
    # no usable matmul (a zero reading is no measurement): half the formula peak
    m = est.cpu_model(micro(("cpu", "matmul", "fp32", 0.0), ("cpu", "matmul", "bf16", 500.0), peak_fp32_gflops=400))
    assert m.peak_gflops == {"fp32": 200.0, "tf32": 200.0, "bf16": 500.0, "fp16": 200.0}
    assert m.bandwidth_gbs == 10.0
    assert m.basis == (
        "roofline from this CPU's micro-benchmarks (no matmul measurement: 50% of the formula peak 400 GFLOP/s, "
        "no bandwidth measurement: assumed 10 GB/s) × 0.87 efficiency"
    )
    # no formula peak either (or a meaningless one): an assumed 50 GFLOP/s
    # a slow but real formula peak still counts
    assert est.cpu_model(micro(peak_fp32_gflops=0.5)).peak_gflops["fp32"] == 0.25
    for machine in ({}, {"peak_fp32_gflops": 0}, {"peak_fp32_gflops": "fast"}):
        m = est.cpu_model(micro(**machine))
        assert m.peak_gflops["fp32"] == 50.0
        assert "(no matmul measurement: assumed 50 GFLOP/s, no bandwidth" in m.basis


def test_a_slow_measurement_is_still_a_measurement() -> None:
    m = est.cpu_model(micro(("cpu", "matmul", "fp32", 0.5), ("cpu", "triad", "fp32", 0.25)))
    assert m.peak_gflops["fp32"] == 0.5 and m.bandwidth_gbs == 0.25


def test_without_a_report_the_cpu_model_asks_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    from gpuwise.core import devices

    class Info:
        peak_fp32_gflops = 300.0

    monkeypatch.setattr(devices, "cpu_info", lambda: Info())
    m = est.cpu_model()
    assert m.peak_gflops["fp32"] == 150.0 and m.threads == 0 and m.label == "CPU (CPU)"
    assert m.memory_bytes is None and m.bandwidth_gbs == 10.0
    assert est.device_model(" CPU ").peak_gflops["fp32"] == 150.0
    # a report that lacks the formula peak is not the machine asked here
    monkeypatch.setattr(devices, "cpu_info", lambda: pytest.fail("asked this machine"))
    assert est.cpu_model(micro()).peak_gflops["fp32"] == 50.0


def cpu_point(threads: int, **kw: Any) -> Point:
    return Point(
        device=kw.pop("device", "cpu"),
        family="mlp",
        params=1000,
        architecture={},
        samples=100,
        batch_size=10,
        epochs=1,
        precision="fp32",
        threads=threads,
        optimizer="adam",
        status=kw.pop("status", "ok"),
        **kw,
    )


def test_the_cpu_models_threads_and_memory_come_from_the_report() -> None:
    r = micro()
    for settings_threads in ({}, {"threads": 0}, {"threads": "4"}):
        r2 = replace(r, settings=settings_threads, points=[cpu_point(3), cpu_point(6), cpu_point(9, device="cuda:0")])
        m = est.cpu_model(r2)
        assert m.threads == 6 and m.label == "CPU (Test CPU, 6 threads)"
    one = replace(r, settings={"threads": 1}, points=[cpu_point(6)])
    assert est.cpu_model(one).threads == 1  # the setting wins over what points ran with
    assert est.cpu_model(replace(r, settings={})).threads == 0
    assert est.cpu_model(replace(r, settings={})).label == "CPU (Test CPU)"
    assert est.cpu_model(replace(r, machine={"cpu": {"ram_total": 0}})).memory_bytes is None
    assert est.cpu_model(replace(r, machine={"cpu": {"ram_total": 1}})).memory_bytes == 0  # known, however small
    assert est.cpu_model(replace(r, machine={"cpu": "?"})).label == "CPU (CPU, 2 threads)"
    assert est.cpu_model(replace(r, machine={})).memory_bytes is None


# ---------------------------------------------------------------- catalog GPUs


def toy_gpu(**kw: Any) -> GpuSpec:
    base = GpuSpec(
        name="Toy",
        aliases=(),
        vendor="X",
        architecture="Y",
        segment="datacenter",
        fp32_tflops=10.0,
        tf32_tflops=20.0,
        bf16_tflops=40.0,
        fp16_tflops=None,
        memory_gib=10.0,
        memory_bandwidth_gbs=1000.0,
        host_link="PCIe 9",
        host_link_gbs=16.0,
        source="https://example.org",
        date="2025-01",
    )
    return replace(base, **kw)


def _short(source: str) -> str:
    return "gpuwise" if source.startswith("gpuwise:") else source.split("://")[1].split("/")[0]


def test_a_gpu_without_measurements_takes_its_class_defaults() -> None:
    d = efficiency_defaults()["datacenter"]
    effs, kinds, notes, bw, bw_note = est.gpu_efficiencies(toy_gpu())
    assert effs == pytest.approx(
        {
            "fp32": d["gemm_fp32"].value,
            "tf32": d["gemm_tf32"].value,
            "bf16": d["gemm_tensor"].value,
            "fp16": d["gemm_fp32"].value,  # no fp16 path: the fp32 rate
        }
    )
    assert set(kinds.values()) == {"default"}
    # either 16-bit format with its own peak runs on the tensor cores
    effs16 = est.gpu_efficiencies(toy_gpu(bf16_tflops=None, fp16_tflops=30.0))[0]
    assert effs16["fp16"] == pytest.approx(d["gemm_tensor"].value) and effs16["bf16"] == effs["fp32"]
    assert notes["fp32"] == f"fp32 {d['gemm_fp32'].value:.0%} of peak (datacenter default, gpuwise)"
    assert notes["bf16"] == f"bf16 {d['gemm_tensor'].value:.0%} of peak (datacenter default, stas00/ml-engineering)"
    assert bw == pytest.approx(d["bandwidth"].value * 1000.0)
    assert bw_note == f"{d['bandwidth'].value:.0%} of 1000 GB/s (default)"


def test_a_class_of_assumptions_says_so() -> None:
    d = efficiency_defaults()["consumer"]
    assert all(x.assumed for x in d.values())
    effs, kinds, notes, bw, bw_note = est.gpu_efficiencies(toy_gpu(efficiency_class="consumer"))
    assert set(kinds.values()) == {"assumption"}
    assert effs["tf32"] == pytest.approx(d["gemm_tf32"].value) and bw == pytest.approx(d["bandwidth"].value * 1000)
    assert notes["tf32"] == f"tf32 {d['gemm_tf32'].value:.0%} of peak (assumed)"
    assert bw_note == f"{d['bandwidth'].value:.0%} of 1000 GB/s (assumed)"


def test_measured_rates_win_over_defaults_and_name_their_source() -> None:
    fp32 = Achieved(8.0, "tflops", "https://github.com/o/r/blob/main/x.md", "2024-06")
    half = Achieved(0.5, "of_fp32", "https://example.org/issue", "2024-05")
    bandwidth = Achieved(900.0, "gbs", "gpuwise:resources/x.json", "2025-01")
    spec = toy_gpu(bf16_tflops=None, achieved_gemm=(("fp32", fp32), ("bf16", half)), achieved_bandwidth=bandwidth)
    effs, kinds, notes, bw, bw_note = est.gpu_efficiencies(spec)
    assert effs["fp32"] == pytest.approx(0.8) and kinds["fp32"] == "measured"
    assert notes["fp32"] == "fp32 8 TFLOP/s measured (o/r, 2024-06)"
    # bf16 without a hardware path: half the measured fp32 rate
    assert effs["bf16"] == pytest.approx(0.5 * 8 / 10) and kinds["bf16"] == "measured"
    assert notes["bf16"] == (
        "bf16 at 50% of the fp32 rate (8 TFLOP/s measured; no bf16 hardware path; example.org, 2024-05)"
    )
    assert (bw, bw_note) == (900.0, "900 GB/s measured (gpuwise)")
    # without an fp32 measurement the share is of the class's default fp32 rate
    d = efficiency_defaults()["datacenter"]["gemm_fp32"].value
    effs, _, notes, _, _ = est.gpu_efficiencies(replace(spec, achieved_gemm=(("bf16", half),)))
    assert effs["bf16"] == pytest.approx(0.5 * d * 10 / 10)
    assert notes["bf16"].startswith(f"bf16 at 50% of the fp32 rate ({d:.0%} of 10; no bf16 hardware path")


@pytest.mark.parametrize(
    "source, short",
    [
        ("gpuwise:resources/gpus.json", "gpuwise"),
        ("https://github.com/owner/repo/issues/1", "owner/repo"),
        ("https://github.com/owner/repo", "owner/repo"),
        ("https://github.com/owner", "github.com"),
        ("https://www.example.org/a/b", "www.example.org"),
        ("example.org/a", "example.org"),
        ("https://web.archive.org/web/2024/https://example.org/page", "web.archive.org"),
    ],
)
def test_a_source_is_named_by_its_host_or_github_repository(source: str, short: str) -> None:
    a = Achieved(5.0, "tflops", source, "2024-01")
    _, _, notes, _, _ = est.gpu_efficiencies(toy_gpu(achieved_gemm=(("fp32", a),)))
    assert notes["fp32"] == f"fp32 5 TFLOP/s measured ({short}, 2024-01)"


TUNING = {
    "gemm_d0": 1.0,
    "conv_d0": 2.0,
    "gemm_d0_ridge": 3.0,
    "conv_d0_ridge": 4.0,
    "conv_rel": 0.5,
    "conv_rel_fp32": 1.5,
    "bw_rel": 0.25,
    "dispatch": 1e-5,
    "floor": 2e-6,
    "base": 3e-4,
    "opt_base": 4e-4,
    "opt_tensor": 5e-6,
}


def test_a_catalog_gpu_becomes_a_device_model() -> None:
    spec = toy_gpu()
    effs, _kinds, notes, bw, bw_note = est.gpu_efficiencies(spec)
    m = est.gpu_model(spec, tuning=TUNING)
    assert (m.name, m.kind, m.label) == ("Toy", "gpu", "Toy")
    assert m.peak_gflops == {"fp32": 10_000.0, "tf32": 20_000.0, "bf16": 40_000.0, "fp16": 10_000.0}
    assert m.gemm_efficiency == effs["fp32"] and m.gemm_efficiency_by_precision == effs
    assert m.conv_efficiency == pytest.approx(effs["fp32"] * 1.5)
    assert m.conv_relative == {"fp32": 1.5, "tf32": 0.5, "bf16": 0.5, "fp16": 1.5}
    assert (m.gemm_d0, m.conv_d0, m.gemm_d0_per_ridge, m.conv_d0_per_ridge) == (1.0, 2.0, 3.0, 4.0)
    assert m.bandwidth_gbs == pytest.approx(bw * 0.25)
    assert (m.dispatch_s, m.kernel_floor_s, m.step_base_s) == (1e-5, 2e-6, 3e-4)
    assert (m.optimizer_base_s, m.optimizer_per_tensor_s) == (4e-4, 5e-6)
    assert m.host_link_gbs == 16.0
    assert m.memory_bytes == int(10 * (1 << 30) * est.GPU_USABLE_FRACTION)
    assert m.fixed_overhead_s == est.GPU_STARTUP_S and m.spread == est.GPU_ESTIMATE_SPREAD
    assert m.efficiency_notes == notes
    assert m.basis == (
        f"roofline from catalog peaks and achieved rates (Toy: memory {bw_note}; PCIe 9 16 GB/s; "
        "~40 µs host time per kernel)"
    )
    assert m.memory_spread == pytest.approx(2470 / 1582) and m.host_spread == 2.0
    assert m.compute_spread == {"fp32": 1.3, "tf32": 1.3, "bf16": 1.3, "fp16": 1.3}


def test_a_gpus_compute_uncertainty_follows_where_its_efficiency_comes_from() -> None:
    fp32 = Achieved(8.0, "tflops", "https://example.org", "2024-06")
    m = est.gpu_model(toy_gpu(efficiency_class="consumer", achieved_gemm=(("fp32", fp32),)))
    assert m.compute_spread == {"fp32": 1.2, "tf32": 1.45, "bf16": 1.45, "fp16": 1.45}
    # without tuning the calibrated constants apply; a name finds the catalog card
    assert est.gpu_model("T4").name == "T4" and est.device_model("t4").name == "T4"
    assert est.gpu_model(toy_gpu()).bandwidth_gbs < est.gpu_efficiencies(toy_gpu())[3]


# ---------------------------------------------------------------- estimated points


def test_an_estimated_point_is_labelled_and_adds_up_by_hand() -> None:
    m = device("gpu", host_link_gbs=1.0, fixed_overhead_s=2.0, spread=2.0, threads=3, basis="hand")
    e = step(m)
    p = est.estimate_point(m, LINEAR, samples=105, batch_size=10, epochs=3)
    assert p.status == "ok" and p.message == "estimate" and p.estimated
    assert (p.device, p.device_name, p.family, p.params, p.threads) == ("test", "test device", "layers", 1000, 3)
    assert p.architecture == LINEAR and p.architecture is not LINEAR
    assert (p.samples, p.batch_size, p.epochs, p.precision, p.optimizer) == (105, 10, 3, "fp32", "adam")
    assert p.samples_per_s == pytest.approx(10 / e.step_s)
    assert p.step_time_s == StepStats(median=e.step_s, iqr=0.0, ci95=(e.step_s / 2, e.step_s * 2), n=0)
    assert p.epoch_time_s == pytest.approx(11 * e.step_s) and p.epoch_time_extrapolated
    weights = 4 * 1000 / 1e9
    assert p.fixed_overhead_s == pytest.approx(2.0 + weights)
    assert p.overhead_breakdown_s == pytest.approx({"init": 2.0, "transfer": weights})
    assert p.time_to_train_s == pytest.approx(3 * 11 * e.step_s + 2.0 + weights)
    assert p.step_breakdown_s == pytest.approx(
        {"compute": e.compute_s, "memory": e.memory_s, "optimizer": e.optimizer_s, "h2d": 0.0, "overhead": 0.0}
    )
    assert p.flops_per_step == 4e7 and p.estimated_memory_bytes is None
    assert p.estimate_basis == "estimate: hand; 40M FLOPs/step (layer shapes); band 0.5–2× the step; limited by compute"
    # on a CPU nothing crosses a link
    c = est.estimate_point(device(), LINEAR, samples=10, batch_size=10, precision="bf16", optimizer="sgd", flops=8e7)
    assert c.overhead_breakdown_s == {"init": 0.0, "transfer": 0.0} and c.fixed_overhead_s == 0.0
    assert (c.precision, c.optimizer, c.flops_per_step, c.epochs) == ("bf16", "sgd", 8e7, 1)
    assert c.time_to_train_s == pytest.approx(c.epoch_time_s)
    e = step(device(), precision="bf16", optimizer="sgd", flops=8e7)
    assert c.step_time_s is not None and c.step_time_s.median == e.step_s
    assert c.step_breakdown_s["optimizer"] == e.optimizer_s
    mlp = build_spec("mlp", 100_000)
    a = est.estimate_point(device(), mlp, samples=10, batch_size=10, flops_method="analytic")
    assert a.flops_per_step == workloads.analytic_flops_per_step(mlp, 10) and "(analytic)" in a.estimate_basis


def test_a_points_link_time_and_interval_are_the_estimates_own() -> None:
    m = device("gpu", host_link_gbs=1.0, spread=2.0, compute_spread={"fp32": 1.5}, memory_spread=3.0, host_spread=3.0)
    e = step(m)
    p = est.estimate_point(m, LINEAR, samples=10, batch_size=10)
    assert p.overhead_breakdown_s["transfer"] == 4 * 1000 / 1e9  # the weights, once over the link
    # the interval is the estimate's own band (the one the verdict uses), not the device's overall spread
    assert p.step_time_s is not None and p.step_time_s.ci95 == e.band
    assert e.band != pytest.approx((e.step_s / 2, e.step_s * 2))


def test_a_model_that_does_not_fit_is_an_estimated_out_of_memory_point() -> None:
    mlp = build_spec("mlp", 100_000)
    need = step(device(), mlp, 32, flops=1e9).memory_needed
    assert need is not None
    p = est.estimate_point(device(memory_bytes=1000), mlp, samples=64, batch_size=32, flops=1e9)
    assert p.status == "oom" and p.estimated and p.step_time_s is None and p.samples_per_s is None
    assert p.message == f"estimate: needs about {format_bytes(need)}, test device has {format_bytes(1000)} usable"
    assert p.estimated_memory_bytes == need and p.estimate_basis.startswith("estimate: ")
    none_left = est.estimate_point(device(memory_bytes=0), mlp, samples=64, batch_size=32, flops=1e9)
    assert none_left.message.endswith(f"test device has {format_bytes(0)} usable")
    assert est.estimate_point(device(memory_bytes=need), mlp, samples=64, batch_size=32, flops=1e9).status == "ok"


def test_estimated_twins_count_flops_as_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    mlp = build_spec("mlp", 20_000)
    pt = replace(cpu_point(2), architecture=mlp, params=mlp["params"])
    r = replace(micro(), points=[pt])
    (analytic,) = est.estimate_points_like(r, ["cpu"], flops_method="analytic")
    assert analytic.flops_per_step == workloads.analytic_flops_per_step(mlp, 10)
    assert "(analytic)" in analytic.estimate_basis
    # by default torch's counter (stood in for here) counts them
    monkeypatch.setattr(workloads, "count_flops_per_step", lambda spec, batch: 7.0 * batch)
    (counted,) = est.estimate_points_like(r, ["cpu"])
    assert counted.flops_per_step == 70.0 and "(FlopCounterMode)" in counted.estimate_basis


def test_estimated_twins_are_made_of_measured_cpu_points_only() -> None:
    spec = dict(LINEAR)
    measured = replace(cpu_point(2, flops_per_step=8e7), architecture=spec, samples=50, epochs=2)
    bf16 = replace(measured, precision="bf16", optimizer="sgd", batch_size=5, flops_per_step=None)
    others = [
        replace(measured, status="failed"),
        replace(measured, estimated=True),
        replace(measured, device="cuda:0"),
    ]
    r = replace(micro(), points=[measured, *others, bf16])
    pts = est.estimate_points_like(r, ["T4", "cpu"], flops_method="analytic")
    assert [(p.device, p.precision, p.batch_size) for p in pts] == [
        ("T4", "fp32", 10),
        ("cpu", "fp32", 10),
        ("T4", "bf16", 5),
        ("cpu", "bf16", 5),
    ]
    assert all(p.estimated and p.samples == 50 and p.epochs == 2 for p in pts)
    assert [p.flops_per_step for p in pts] == [8e7, 8e7, 2e7, 2e7]
    assert pts[2].optimizer == "sgd" and "(layer shapes)" in pts[2].estimate_basis
    assert "(given)" in pts[0].estimate_basis
    assert pts[1].device_name == "CPU (Test CPU, 2 threads)"


# ---------------------------------------------------------------- large models


@pytest.mark.parametrize(
    "args, what",
    [
        ((0, 1, 1, 1), "parameters"),
        ((1, 0, 1, 1), "samples"),
        ((1, 1, 0, 1), "tokens per sample"),
        ((1, 1, 1, 0), "epochs"),
    ],
)
def test_a_large_model_projection_refuses_empty_inputs(args: tuple[int, int, int, int], what: str) -> None:
    with pytest.raises(UserInputError, match=f"^{what} must be at least 1 \\(got 0\\)$"):
        est.project_large_model(*args, "cpu")
    est.project_large_model(1, 1, 1, 1, "cpu", report=micro())


def test_a_large_model_on_this_cpu_is_six_flops_per_parameter_and_token() -> None:
    r = micro(("cpu", "matmul", "fp32", 150.0), ("cpu", "matmul", "bf16", 300.0), ("cpu", "triad", "fp32", 25.0))
    p = est.project_large_model(2_000_000, 1000, 64, 2, " CPU ", report=r)
    assert p.device == "cpu" and p.label == "CPU (Test CPU, 2 threads)"
    assert p.tokens == 1000 * 64 * 2 and p.flops == 6 * 2e6 * 128_000
    assert p.peak_gflops == 150.0 and p.efficiency == 0.87
    assert p.seconds == p.flops / (150.0 * 1e9 * 0.87)
    assert p.memory_needed_bytes == 32_000_000 and p.memory_available_bytes == int((8 << 30) * 0.85)
    assert p.devices_for_memory == 1
    assert p.assumptions == (
        "training FLOPs = 6 × 2M parameters × 128k tokens (1k samples × 64 tokens × 2 epochs) = 1.54e+12",
        "CPU peak 150 GFLOP/s (measured matmul peak 150 GFLOP/s, triad 25 GB/s) × 0.87 efficiency: large matrix "
        "products on this CPU reach about that",
        "fp32; compute only: data loading, communication, checkpoints and restarts not counted",
    )
    assert est.project_large_model(2_000_000, 1000, 64, 2, "cpu", report=r, precision="bf16").peak_gflops == 300.0
    # a CPU whose memory is unknown: no device count
    no_ram = est.project_large_model(2_000_000, 1000, 64, 2, "cpu", report=replace(r, machine={}))
    assert no_ram.devices_for_memory is None and no_ram.memory_available_bytes is None


def test_a_large_model_on_a_catalog_gpu_uses_its_fastest_16_bit_peak(monkeypatch: pytest.MonkeyPatch) -> None:
    cards = {
        "bf16": toy_gpu(bf16_tflops=40.0, fp16_tflops=30.0),
        "fp16": toy_gpu(bf16_tflops=None, fp16_tflops=30.0),
        "fp32": toy_gpu(bf16_tflops=None, fp16_tflops=None),
    }
    for prec, card in cards.items():
        monkeypatch.setattr(est, "find_gpu", lambda name, card=card: card)
        p = est.project_large_model(1_000_000_000, 1_000_000, 100, 1, "toy")
        assert p.device == "Toy" and p.label == "Toy"
        assert p.peak_gflops == card.peak_tflops(prec) * 1000 and p.efficiency == est.LARGE_MODEL_GPU_MFU
        assert p.seconds == pytest.approx(6e9 * 1e8 / (card.peak_tflops(prec) * 1e12 * est.LARGE_MODEL_GPU_MFU))
        assert p.assumptions[1] == (
            f"Toy {prec} dense peak {card.peak_tflops(prec):g} TFLOP/s (spec sheet) × 40% model-FLOPs "
            "utilisation, typical of well-tuned large training runs"
        )
        assert p.assumptions[2].startswith(f"{prec}; compute only")
    avail = int(10 * (1 << 30) * est.GPU_USABLE_FRACTION)
    assert p.memory_available_bytes == avail and p.memory_needed_bytes == 16_000_000_000
    assert p.devices_for_memory == math.ceil(16e9 / avail) == 2
    assert p.assumptions[3] == (
        f"weights, gradients and Adam state alone need ~{format_bytes(16e9)} (16 bytes a parameter), more than one "
        f"device holds ({format_bytes(avail)} usable): at least 2 devices, and the time shown is for one device's "
        "compute (divide by the device count for ideal scaling)"
    )
    assert len(p.assumptions) == 4
    small = est.project_large_model(1_000_000, 1000, 100, 1, "toy", precision="fp16")
    assert small.devices_for_memory == 1 and len(small.assumptions) == 3
    assert small.peak_gflops == 10_000.0  # the fp32-only card asked for fp16 runs at its fp32 rate


def test_a_projection_reads_as_an_estimate_with_its_assumptions() -> None:
    p = est.project_large_model(2_000_000, 1000, 64, 2, "cpu", report=micro(("cpu", "matmul", "fp32", 150.0)))
    lines = p.text.split("\n")
    assert lines[0] == (
        f"CPU (Test CPU, 2 threads): about {format_duration(p.seconds)} (estimate) to train 2M parameters on "
        f"{format_count(128_000)} tokens"
    )
    assert lines[1:] == [f"  - {a}" for a in p.assumptions]
    d = p.to_dict()
    assert d["assumptions"] == list(p.assumptions) and d["text"] == p.text and d["params"] == 2_000_000
