"""``transformer``: token ids (vocabulary V, sequence 64) -> Embedding -> L encoder layers (d_model d, 4d
feed-forward, head dim 64, sinusoidal positions: no parameters) -> LayerNorm -> mean pool -> Linear(d, 10). Layers
take ~85 % of the budget (L grows with size), the vocabulary size V fills the rest.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gpuwise.core.bench.families import Family
from gpuwise.core.bench.families.synthetic import BYTES_LABEL, BYTES_TOKEN, NUM_CLASSES, SEQ_LEN

if TYPE_CHECKING:
    import torch


def _layer_params(d: int, ff: int) -> int:
    attn = 3 * d * d + 3 * d + d * d + d  # in_proj (q, k, v) and out_proj, with biases
    mlp = d * ff + ff + ff * d + d
    norms = 4 * d
    return attn + mlp + norms


def transformer_params(vocab: int, d: int, layers: int, ff: int) -> int:
    return vocab * d + layers * _layer_params(d, ff) + 2 * d + d * NUM_CLASSES + NUM_CLASSES


class Transformer(Family):
    key = "transformer"
    label = "Transformer"
    picker_label = "Transformer (encoder, 64-token text)"

    def build_spec(self, target_params: int, options: Mapping[str, Any]) -> dict[str, Any]:
        target = target_params
        layers = next(
            n
            for limit, n in ((1e5, 1), (1e6, 2), (1e7, 4), (1e8, 6), (1e9, 12), (1e10, 24), (math.inf, 32))
            if target < limit
        )
        share = 0.5 if target < 1e5 else 0.85
        d_real = math.sqrt(share * target / (12 * layers))
        # head dim 64 once the model is wide enough; below that one head, width a multiple of 4
        d = 64 * max(1, round(d_real / 64)) if d_real >= 64 else max(4, 4 * round(d_real / 4))
        vocab_floor = 16
        while d > 4 and transformer_params(vocab_floor, d, layers, 4 * d) > target:
            d = d - 64 if d > 64 else d - 4
        rest = target - transformer_params(0, d, layers, 4 * d)
        vocab = max(vocab_floor, round(rest / d))
        return {
            "family": "transformer",
            "vocab_size": vocab,
            "seq_len": SEQ_LEN,
            "d_model": d,
            "n_layers": layers,
            "n_heads": max(1, d // 64),
            "ff_dim": 4 * d,
            "num_classes": NUM_CLASSES,
            "activation": "ReLU",
            "positional": "sinusoidal",
        }

    def count_params(self, spec: dict[str, Any]) -> int:
        return int(transformer_params(spec["vocab_size"], spec["d_model"], spec["n_layers"], spec["ff_dim"]))

    def describe(self, spec: dict[str, Any]) -> str:
        return (
            f"Transformer {spec['n_layers']} layers, d={spec['d_model']}, {spec['n_heads']} heads, "
            f"seq {spec['seq_len']}, vocab {spec['vocab_size']:,}"
        )

    def tokens_per_sample(self, spec: dict[str, Any]) -> int:
        return int(spec["seq_len"])

    def input_bytes_per_sample(self, spec: dict[str, Any]) -> int:
        return int(spec["seq_len"] * BYTES_TOKEN + BYTES_LABEL)

    def activation_floats_per_sample(self, spec: dict[str, Any]) -> int:
        s, d, ff, heads = spec["seq_len"], spec["d_model"], spec["ff_dim"], spec["n_heads"]
        per_layer = 10 * s * d + 2 * s * ff + 2 * heads * s * s
        return int(spec["n_layers"] * per_layer + 2 * s * d)

    def analytic_flops_per_step(self, spec: dict[str, Any], batch_size: int) -> float:
        s, d, ff = spec["seq_len"], spec["d_model"], spec["ff_dim"]
        per_layer = s * (4 * d * d + 2 * d * ff) + 2 * s * s * d
        macs = spec["n_layers"] * per_layer + d * spec["num_classes"]
        return float(3.0 * 2.0 * macs * batch_size)

    def build_module(self, spec: dict[str, Any], device: str | torch.device | None = None) -> torch.nn.Module:
        import torch

        from gpuwise.core.bench.torch_models import TokenClassifier

        with torch.device(device if device is not None else "cpu"):
            return TokenClassifier(spec)

    def example_batch(self, spec: dict[str, Any], batch_size: int, device: str | torch.device) -> torch.Tensor:
        import torch

        return torch.zeros(batch_size, spec["seq_len"], dtype=torch.long, device=device)

    def dataset(self, spec: dict[str, Any], n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        import torch

        x = torch.randint(0, spec["vocab_size"], (n, spec["seq_len"]), generator=gen)
        return x, x.sum(dim=1) % spec["num_classes"]


FAMILIES: tuple[Family, ...] = (Transformer(),)
