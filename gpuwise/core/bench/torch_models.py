"""The torch side of workloads: modules built from an architecture spec. Imported only when measuring starts."""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Any

import torch
from torch import nn


class SinusoidalPositions(nn.Module):
    """Fixed sine/cosine positions (no parameters, so the parameter count stays the spec's)."""

    pe: torch.Tensor

    def __init__(self, seq_len: int, d_model: int) -> None:
        super().__init__()
        pos = torch.arange(seq_len, dtype=torch.float32).unsqueeze(1)
        div = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(seq_len, d_model)
        pe[:, 0::2] = torch.sin(pos * div)
        pe[:, 1::2] = torch.cos(pos * div[: d_model // 2])
        self.register_buffer("pe", pe, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.pe[: x.shape[1]]


class TokenClassifier(nn.Module):
    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__()
        d = spec["d_model"]
        self.embed = nn.Embedding(spec["vocab_size"], d)
        self.pos = SinusoidalPositions(spec["seq_len"], d)
        layer = nn.TransformerEncoderLayer(
            d,
            spec["n_heads"],
            dim_feedforward=spec["ff_dim"],
            dropout=0.0,
            activation="relu",
            batch_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, spec["n_layers"], enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, spec["num_classes"])

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.encoder(self.pos(self.embed(tokens)))
        return self.head(self.norm(x).mean(dim=1))  # type: ignore[no-any-return]


def _activation(name: str) -> nn.Module:
    cls = getattr(nn, name, None)
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise ValueError(f"unknown activation {name!r}")
    return cls()


def build(spec: dict[str, Any], device: str | torch.device | None = None) -> nn.Module:
    fam = spec["family"]
    if fam == "mlp":
        dims = [spec["input_dim"], *spec["hidden"], spec["num_classes"]]
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(pairwise(dims)):
            layers.append(nn.Linear(a, b, device=device))
            if i < len(dims) - 2:
                layers.append(_activation(spec["activation"]))
        return nn.Sequential(*layers)
    if fam == "cnn":
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
    if fam == "transformer":
        with torch.device(device if device is not None else "cpu"):
            return TokenClassifier(spec)
    raise ValueError(f"unknown model family {fam!r}")


def example_batch(spec: dict[str, Any], batch_size: int, device: str | torch.device) -> torch.Tensor:
    fam = spec["family"]
    if fam == "mlp":
        return torch.zeros(batch_size, spec["input_dim"], device=device)
    if fam == "cnn":
        return torch.zeros(batch_size, *spec["image_shape"], device=device)
    return torch.zeros(batch_size, spec["seq_len"], dtype=torch.long, device=device)


def count_training_flops(spec: dict[str, Any], batch_size: int) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    model = build(spec, device="meta")
    x = example_batch(spec, batch_size, "meta")
    y = torch.zeros(batch_size, dtype=torch.long, device="meta")
    counter = FlopCounterMode(display=False)
    with counter:
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
    return float(counter.get_total_flops())
