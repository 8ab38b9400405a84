"""Known models: each trains one real step on the CPU at a tiny input; their traces agree with torch's counts."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gpuwise.core import estimate
from gpuwise.core.bench import families, memory, torch_models, workloads
from gpuwise.core.bench.data import SyntheticDataset
from gpuwise.core.errors import UserInputError

TINY = {
    "resnet18": {"image_size": 32},
    "resnet50": {"image_size": 32},
    "mobilenet_v3_small": {"image_size": 32},
    "vit_b_16": {"image_size": 32},
    "bert_base": {"seq_len": 8},
    "gpt2_small": {"seq_len": 8},
}
PUBLISHED_PARAMS = {
    "resnet18": 11_689_512,
    "resnet50": 25_557_032,
    "mobilenet_v3_small": 2_542_856,
    "bert_base": 109_483_778,
    "gpt2_small": 124_439_808,
}


@pytest.fixture(autouse=True)
def _fresh_registry() -> None:
    families.forget()


@pytest.mark.parametrize("name", list(TINY))
def test_known_model_trains_one_step_on_cpu(name: str) -> None:
    spec = workloads.build_spec(name, 1, TINY[name])
    assert not workloads.is_resizable(name)
    model = workloads.build_model(spec)
    assert sum(p.numel() for p in model.parameters()) == spec["params"]
    data = SyntheticDataset(spec, 2, seed=0)
    opt = torch.optim.Adam(model.parameters())
    before = [p.detach().clone() for p in model.parameters()]
    loss = torch.nn.functional.cross_entropy(model(data.x), data.y)
    loss.backward()
    opt.step()
    assert torch.isfinite(loss)
    assert any(not torch.equal(b, p) for b, p in zip(before, model.parameters(), strict=True))


@pytest.mark.parametrize("name", list(PUBLISHED_PARAMS))
def test_native_models_have_their_published_parameter_counts(name: str) -> None:
    assert workloads.build_spec(name, 1)["params"] == PUBLISHED_PARAMS[name]


@pytest.mark.parametrize("name", ["resnet18", "bert_base"])
def test_trace_flops_equal_flop_counter_mode(name: str) -> None:
    spec = workloads.build_spec(name, 1, TINY[name])
    counted = workloads.count_flops_per_step(spec, 8)
    spec_without_trace = dict(spec)
    fresh = torch_models.count_training_flops(spec_without_trace, 8)
    assert counted == pytest.approx(fresh, rel=1e-6)
    assert sum(o.flops for o in estimate.step_ops(spec, 8)) == pytest.approx(counted, rel=1e-6)


def test_estimator_works_from_the_trace() -> None:
    spec = workloads.build_spec("resnet50", 1)
    t4 = estimate.estimate_step(estimate.gpu_model("T4"), spec, 32)
    h100 = estimate.estimate_step(estimate.gpu_model("H100 SXM"), spec, 32)
    assert 0 < h100.step_s < t4.step_s
    assert estimate.param_tensors(spec) == 161  # ResNet-50: conv and BatchNorm weights/biases, fc
    assert t4.flops == pytest.approx(3 * 8.18e9 * 32, rel=0.05)  # 4.09 GMACs forward per 224×224 image


def test_resnet50_at_a_batch_that_cannot_fit_16gb_is_refused_with_numbers() -> None:
    spec = workloads.build_spec("resnet50", 1)
    need = memory.estimate_training_memory(spec, 1024).total
    assert need > 16 * 2**30
    largest = memory.largest_batch_that_fits(spec, 16 * 2**30)
    assert 32 <= largest < 1024


def test_the_trace_counts_saved_activations_per_sample() -> None:
    small = workloads.build_spec("resnet18", 1, {"image_size": 64})
    big = workloads.build_spec("resnet18", 1, {"image_size": 128})
    ratio = workloads.activation_floats_per_sample(big) / workloads.activation_floats_per_sample(small)
    assert 3.5 < ratio < 4.5  # 4× the pixels, 4× the activations


def test_options_are_checked() -> None:
    with pytest.raises(UserInputError, match="image size"):
        workloads.build_spec("vit_b_16", 1, {"image_size": 100})  # not a multiple of 16
    with pytest.raises(UserInputError, match="sequence length"):
        workloads.build_spec("bert_base", 1, {"seq_len": 100_000})


def test_every_family_has_a_label_and_a_picker_label() -> None:
    labels = [families.label(n) for n in families.names()]
    assert len(set(labels)) == len(labels)
    assert all(families.picker_label(n) for n in families.names())
    assert families.label("not-a-family") == "not-a-family"


@settings(max_examples=20, deadline=None)
@given(batch=st.integers(1, 4096))
def test_traced_flops_and_bytes_grow_with_the_batch(batch: int) -> None:
    spec = workloads.build_spec("mobilenet_v3_small", 1, {"image_size": 32})
    one = estimate.step_ops(spec, batch)
    two = estimate.step_ops(spec, batch * 2)
    assert sum(o.flops for o in two) == pytest.approx(2 * sum(o.flops for o in one), rel=1e-9)
    assert sum(o.bytes for o in two) > sum(o.bytes for o in one)
    assert all(o.min_dim >= 0 for o in two)


def test_the_shipped_native_traces_match_a_fresh_trace() -> None:
    """resources/known_model_traces.json (regenerate: python -m gpuwise.core.bench.families.fixed)."""
    from gpuwise.core.bench.families.fixed import KNOWN_TRACES
    from gpuwise.core.resources import load_json_resource

    shipped = load_json_resource(KNOWN_TRACES)["specs"]
    assert set(shipped) == {n for n in families.names() if not workloads.is_resizable(n) and n != "custom"}
    for name in ("resnet18", "bert_base"):  # a fresh trace of each costs a second or two
        fam = families.get(name)
        spec = fam.base_spec({})  # type: ignore[attr-defined]
        fresh = fam._trace(spec)  # type: ignore[attr-defined]
        assert shipped[name]["trace"] == fresh
        assert workloads.build_spec(name, 1)["trace"] == fresh
