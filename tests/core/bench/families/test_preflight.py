"""Memory pre-flight and OOM handling for known models: refused with numbers before anything is allocated."""

from __future__ import annotations

from typing import Any

import pytest

from gpuwise.core.bench import families, train, workloads
from gpuwise.core.bench.train import PointSpec


def _must_not_run(*a: Any, **k: Any) -> Any:
    raise AssertionError("the pre-flight should have refused before building anything")


def test_resnet50_at_a_batch_that_cannot_fit_16gb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    families.forget()
    spec = workloads.build_spec("resnet50", 1)
    monkeypatch.setattr(train, "available_memory", lambda device: 16 * 2**30)
    monkeypatch.setattr(train, "build_model", _must_not_run)
    monkeypatch.setattr(train, "SyntheticDataset", _must_not_run)
    ps = PointSpec(
        device="cuda:0", family="resnet50", params=spec["params"], samples=10_000, batch_size=2048, architecture=spec
    )
    gen = train.run_point(ps)
    with pytest.raises(StopIteration) as stop:
        next(gen)
    point = stop.value.value
    assert point.status == "skipped"
    assert "needs about" in point.message and "16 GiB" in point.message and "GiB" in point.message
    assert point.estimated_memory_bytes is not None and point.estimated_memory_bytes > 16 * 2**30
    assert point.family == "resnet50" and point.params == 25_557_032


def test_an_oom_inside_a_known_models_step_is_an_oom_point(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    families.forget()
    spec = workloads.build_spec("resnet18", 1, {"image_size": 32})

    class Oom(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr(train, "build_model", lambda spec, device=None: Oom())
    ps = PointSpec(
        device="cpu",
        family="resnet18",
        params=spec["params"],
        samples=256,
        batch_size=8,
        budget_s=0.5,
        architecture=spec,
    )
    point = train.measure_point(ps)
    assert point.status == "oom"
