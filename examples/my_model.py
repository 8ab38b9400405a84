"""An example of your own model for gpuwise: ``gpuwise bench --model examples/my_model.py:build``.

build() returns the module (random weights are fine) and one example input whose first dimension is the batch;
the module returns class logits (batch, classes).
"""

import torch
from torch import nn


def build() -> tuple[nn.Module, torch.Tensor]:
    model = nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(64, 10),
    )
    return model, torch.randn(1, 3, 64, 64)
