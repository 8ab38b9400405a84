"""``cnn``: 3x32x32 images; three blocks Conv3x3 -> ReLU -> MaxPool2 with c, 2c, 4c channels, global average pool,
then Linear(4c, h) -> ReLU -> Linear(h, 10). ``c`` takes ~80 % of the budget, the head width ``h`` the rest.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from gpuwise.core.bench.families import Family
from gpuwise.core.bench.families.synthetic import BYTES_FP32, BYTES_LABEL, IMAGE_SHAPE, NUM_CLASSES

if TYPE_CHECKING:
    import torch


def _conv_params(c: int) -> int:
    chans = [IMAGE_SHAPE[0], c, 2 * c, 4 * c]
    return sum(9 * a * b + b for a, b in pairwise(chans))


def cnn_params(c: int, h: int) -> int:
    return _conv_params(c) + (4 * c * h + h) + (h * NUM_CLASSES + NUM_CLASSES)


class Cnn(Family):
    key = "cnn"
    label = "CNN"
    picker_label = "CNN (convolutions, 32×32 images)"

    def build_spec(self, target_params: int, options: Mapping[str, Any]) -> dict[str, Any]:
        target = target_params
        # conv params ~ 90 c^2: give the convolutions ~80 % and let the head width absorb the remainder exactly.
        c = max(1, math.floor(math.sqrt(0.8 * target / 90)))
        while c > 1 and cnn_params(c, 1) > target:
            c -= 1
        h = max(1, round((target - _conv_params(c) - NUM_CLASSES) / (4 * c + 1 + NUM_CLASSES)))
        return {
            "family": "cnn",
            "image_shape": list(IMAGE_SHAPE),
            "channels": [c, 2 * c, 4 * c],
            "head_hidden": h,
            "num_classes": NUM_CLASSES,
            "activation": "ReLU",
        }

    def count_params(self, spec: dict[str, Any]) -> int:
        return int(cnn_params(spec["channels"][0], spec["head_hidden"]))

    def describe(self, spec: dict[str, Any]) -> str:
        ch = spec["channels"]
        return f"CNN 3×32×32 → conv {ch[0]}/{ch[1]}/{ch[2]} ch → {spec['head_hidden']} → {spec['num_classes']}"

    def input_bytes_per_sample(self, spec: dict[str, Any]) -> int:
        return int(math.prod(spec["image_shape"]) * BYTES_FP32 + BYTES_LABEL)

    def activation_floats_per_sample(self, spec: dict[str, Any]) -> int:
        c1, c2, c3 = spec["channels"]
        # conv out + relu out + pool out at 32x32, 16x16, 8x8
        return int(
            3 * 1024 + 2 * (c1 * 1024 + c2 * 256 + c3 * 64) + c1 * 256 + c2 * 64 + c3 * 16 + 2 * spec["head_hidden"]
        )

    def analytic_flops_per_step(self, spec: dict[str, Any], batch_size: int) -> float:
        c1, c2, c3 = spec["channels"]
        macs = (
            9 * (3 * c1 * 1024 + c1 * c2 * 256 + c2 * c3 * 64)
            + 4 * c1 * spec["head_hidden"]
            + spec["head_hidden"] * spec["num_classes"]
        )
        return float(3.0 * 2.0 * macs * batch_size)

    def build_module(self, spec: dict[str, Any], device: str | torch.device | None = None) -> torch.nn.Module:
        from torch import nn

        c_in = spec["image_shape"][0]
        blocks: list[nn.Module] = []
        for c in spec["channels"]:
            blocks += [nn.Conv2d(c_in, c, 3, padding=1, device=device), nn.ReLU(), nn.MaxPool2d(2)]
            c_in = c
        h = spec["head_hidden"]
        blocks += [
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(c_in, h, device=device),
            nn.ReLU(),
            nn.Linear(h, spec["num_classes"], device=device),
        ]
        return nn.Sequential(*blocks)

    def example_batch(self, spec: dict[str, Any], batch_size: int, device: str | torch.device) -> torch.Tensor:
        import torch

        return torch.zeros(batch_size, *spec["image_shape"], device=device)

    def dataset(self, spec: dict[str, Any], n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        import torch

        x = torch.randn(n, *spec["image_shape"], generator=gen)
        y = (x.mean(dim=(2, 3)) @ torch.randn(x.shape[1], spec["num_classes"], generator=gen)).argmax(dim=1)
        return x, y


FAMILIES: tuple[Family, ...] = (Cnn(),)
