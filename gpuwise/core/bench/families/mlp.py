"""``mlp``: Linear -> ReLU -> ... -> Linear, no norm, no dropout, on dense feature vectors (tabular data).

``input_dim`` = clamp(2^round(log2(sqrt(P)/4)), 16, 1024); hidden layers: 1 below 10k params, 2 below 1M, 4 below
100M, 8 above; all hidden layers share one width, solved from the quadratic parameter count.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from gpuwise.core.bench.families import Family
from gpuwise.core.bench.families.synthetic import BYTES_FP32, BYTES_LABEL, NUM_CLASSES

if TYPE_CHECKING:
    import torch


def mlp_params(input_dim: int, hidden: list[int], num_classes: int) -> int:
    dims = [input_dim, *hidden, num_classes]
    return sum(a * b + b for a, b in pairwise(dims))


def _activation(name: str) -> torch.nn.Module:
    from torch import nn

    cls = getattr(nn, name, None)
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise ValueError(f"unknown activation {name!r}")
    return cls()


class Mlp(Family):
    key = "mlp"
    label = "MLP"
    picker_label = "MLP (dense layers, tabular data)"

    def build_spec(self, target_params: int, options: Mapping[str, Any]) -> dict[str, Any]:
        target = target_params
        input_dim = int(min(1024, max(16, 2 ** round(math.log2(math.sqrt(target) / 4)))))
        layers = 1 if target < 10_000 else 2 if target < 1_000_000 else 4 if target < 100_000_000 else 8
        # params = (L-1) w^2 + (input_dim + L + C) w + C  for L hidden layers of width w
        a, b, c = layers - 1, input_dim + layers + NUM_CLASSES, NUM_CLASSES - target
        w_real = -c / b if a == 0 else (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
        best = min(
            (max(1, w) for w in (math.floor(w_real), math.ceil(w_real))),
            key=lambda w: abs(mlp_params(input_dim, [w] * layers, NUM_CLASSES) - target),
        )
        return {
            "family": "mlp",
            "input_dim": input_dim,
            "hidden": [best] * layers,
            "num_classes": NUM_CLASSES,
            "activation": "ReLU",
        }

    def count_params(self, spec: dict[str, Any]) -> int:
        return int(mlp_params(spec["input_dim"], list(spec["hidden"]), spec["num_classes"]))

    def describe(self, spec: dict[str, Any]) -> str:
        hidden = spec["hidden"]
        return f"MLP {spec['input_dim']} → {len(hidden)}×{hidden[0]} → {spec['num_classes']}, {spec['activation']}"

    def input_bytes_per_sample(self, spec: dict[str, Any]) -> int:
        return int(spec["input_dim"] * BYTES_FP32 + BYTES_LABEL)

    def activation_floats_per_sample(self, spec: dict[str, Any]) -> int:
        return int(spec["input_dim"] + 2 * sum(spec["hidden"]) + spec["num_classes"])

    def analytic_flops_per_step(self, spec: dict[str, Any], batch_size: int) -> float:
        dims = [spec["input_dim"], *spec["hidden"], spec["num_classes"]]
        macs = sum(a * b for a, b in pairwise(dims))
        return float(3.0 * 2.0 * macs * batch_size)

    def build_module(self, spec: dict[str, Any], device: str | torch.device | None = None) -> torch.nn.Module:
        from torch import nn

        dims = [spec["input_dim"], *spec["hidden"], spec["num_classes"]]
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(pairwise(dims)):
            layers.append(nn.Linear(a, b, device=device))
            if i < len(dims) - 2:
                layers.append(_activation(spec["activation"]))
        return nn.Sequential(*layers)

    def example_batch(self, spec: dict[str, Any], batch_size: int, device: str | torch.device) -> torch.Tensor:
        import torch

        return torch.zeros(batch_size, spec["input_dim"], device=device)

    def dataset(self, spec: dict[str, Any], n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        import torch

        # labels from a fixed random "teacher": the task is learnable, so the loss falls
        x = torch.randn(n, spec["input_dim"], generator=gen)
        teacher = torch.randn(spec["input_dim"], spec["num_classes"], generator=gen)
        return x, (x @ teacher).argmax(dim=1)


FAMILIES: tuple[Family, ...] = (Mlp(),)
