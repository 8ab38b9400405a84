"""The torch side of workloads: modules built from an architecture spec. Imported only when measuring starts."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from gpuwise.core.bench import families


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


def build(spec: dict[str, Any], device: str | torch.device | None = None) -> nn.Module:
    return families.of(spec).build_module(spec, device)


def example_batch(spec: dict[str, Any], batch_size: int, device: str | torch.device) -> torch.Tensor:
    return families.of(spec).example_batch(spec, batch_size, device)


def example_labels(spec: dict[str, Any], batch_size: int, device: str | torch.device) -> torch.Tensor:
    return families.of(spec).example_labels(spec, batch_size, device)


def count_training_flops(spec: dict[str, Any], batch_size: int) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    model = build(spec, device="meta")
    x = example_batch(spec, batch_size, "meta")
    y = example_labels(spec, batch_size, "meta")
    counter = FlopCounterMode(display=False)
    with counter:
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
    return float(counter.get_total_flops())
