"""Language models people know, built from a config in plain torch with random weights.

* ``bert_base``: a BERT-base-like encoder (12 layers, d 768, 12 heads, feed-forward 3072, GELU, post-norm, learned
  positions, token types, pooler) fine-tuned as a 2-class sequence classifier; 128 tokens unless ``seq_len``.
* ``gpt2_small``: a GPT-2-small-like decoder (12 pre-norm causal layers, d 768, vocabulary 50,257, 1,024 learned
  positions, output projection tied to the embedding) trained on next-token prediction; 256 tokens unless
  ``seq_len``. Its module returns logits as (batch, vocabulary, positions), the layout cross-entropy takes, so the
  training loop stays the same as for classifiers.

Plain torch rather than ``transformers``: the step (embeddings, fused attention, GELU feed-forward, LayerNorm) is
what matters for timing, and it needs no extra multi-megabyte dependency or its hub client (gpuwise never
downloads). Dropout 0.1 as in both originals.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gpuwise.core.bench.families import Family, InputOption
from gpuwise.core.bench.families.fixed import FixedFamily, check_size

if TYPE_CHECKING:
    import torch

_D, _LAYERS, _HEADS, _FF, _DROPOUT = 768, 12, 12, 3072, 0.1


def _bert(spec: dict[str, Any]) -> torch.nn.Module:
    import torch
    from torch import nn

    class BertLike(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tokens = nn.Embedding(spec["vocab_size"], _D)
            self.positions = nn.Embedding(spec["max_positions"], _D)
            self.token_types = nn.Embedding(2, _D)
            self.norm = nn.LayerNorm(_D, eps=1e-12)
            self.drop = nn.Dropout(_DROPOUT)
            layer = nn.TransformerEncoderLayer(
                _D, _HEADS, _FF, _DROPOUT, activation="gelu", batch_first=True, layer_norm_eps=1e-12
            )
            self.encoder = nn.TransformerEncoder(layer, _LAYERS, enable_nested_tensor=False)
            self.pooler = nn.Linear(_D, _D)
            self.classifier = nn.Linear(_D, spec["num_classes"])

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            pos = torch.arange(ids.shape[1], device=ids.device)
            x = self.tokens(ids) + self.positions(pos) + self.token_types.weight[0]
            x = self.encoder(self.drop(self.norm(x)))
            pooled = torch.tanh(self.pooler(x[:, 0]))
            return self.classifier(self.drop(pooled))  # type: ignore[no-any-return]

    return BertLike()


def _gpt2(spec: dict[str, Any]) -> torch.nn.Module:
    import torch
    from torch import nn

    class Gpt2Like(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tokens = nn.Embedding(spec["vocab_size"], _D)
            self.positions = nn.Embedding(spec["max_positions"], _D)
            self.drop = nn.Dropout(_DROPOUT)
            self.layers = nn.ModuleList(
                nn.TransformerEncoderLayer(
                    _D, _HEADS, _FF, _DROPOUT, activation="gelu", batch_first=True, norm_first=True, layer_norm_eps=1e-5
                )
                for _ in range(_LAYERS)
            )
            self.norm = nn.LayerNorm(_D)

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            s = ids.shape[1]
            pos = torch.arange(s, device=ids.device)
            x = self.drop(self.tokens(ids) + self.positions(pos))
            mask = nn.Transformer.generate_square_subsequent_mask(s, device=ids.device)
            for layer in self.layers:
                x = layer(x, src_mask=mask, is_causal=True)
            logits = self.norm(x) @ self.tokens.weight.t()  # tied output projection
            return logits.transpose(1, 2)  # type: ignore[no-any-return]  # (batch, vocab, positions)

    return Gpt2Like()


class LanguageModel(FixedFamily):
    options = ("seq_len",)

    def __init__(
        self, key: str, label: str, picker: str, vocab: int, positions: int, seq_len: int, classes: int | None
    ) -> None:
        super().__init__()
        self.key = key
        self.label = label
        self.picker_label = picker
        self._vocab = vocab
        self._positions = positions
        self._seq_len = seq_len
        self.input_option = InputOption("seq_len", "Sequence length", "tokens", 2, positions, seq_len)
        self._classes = classes  # None: next-token prediction over the vocabulary

    def base_spec(self, options: Mapping[str, Any]) -> dict[str, Any]:
        s = check_size(options.get("seq_len") or self._seq_len, "sequence length", 2, self._positions)
        lm = self._classes is None
        return {
            "family": self.key,
            "seq_len": s,
            "vocab_size": self._vocab,
            "max_positions": self._positions,
            "num_classes": self._vocab if lm else self._classes,
            "objective": "next-token" if lm else "classification",
            "input": {"shape": [s], "dtype": "int64", "high": self._vocab},
            "labels": {"shape": [s] if lm else []},
        }

    def module(self, spec: dict[str, Any]) -> torch.nn.Module:
        return _gpt2(spec) if spec["objective"] == "next-token" else _bert(spec)

    def describe(self, spec: dict[str, Any]) -> str:
        from gpuwise.core.units import format_count

        what = "next-token prediction" if spec["objective"] == "next-token" else "sequence classification"
        return f"{self.label}, {format_count(spec['params'])} params, {spec['seq_len']} tokens, {what}"

    def dataset(self, spec: dict[str, Any], n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        if spec["objective"] != "next-token":
            return super().dataset(spec, n, gen)
        import torch

        x = torch.randint(0, spec["vocab_size"], (n, spec["seq_len"]), generator=gen)
        return x, torch.roll(x, -1, dims=1)  # the next token is the label


FAMILIES: tuple[Family, ...] = (
    LanguageModel(
        "bert_base", "BERT-base", "BERT-base-like encoder (text classification, 128 tokens)", 30522, 512, 128, 2
    ),
    LanguageModel(
        "gpt2_small",
        "GPT-2 small",
        "GPT-2-small-like decoder (next-token prediction, 256 tokens)",
        50257,
        1024,
        256,
        None,
    ),
)
