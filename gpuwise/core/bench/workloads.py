"""Models built to a requested parameter count, described by a plain-dict architecture spec.

The spec is complete enough to rebuild the identical model in plain torch, and everything that only needs the
shape of the model (parameter count, FLOPs, memory) is computed from it in pure Python, so the GUI's sliders can
show it live without importing torch.

Width/depth rules (each leaves a fine-grained knob that lands the exact count within a few percent of the target):

* ``mlp``: Linear -> ReLU -> ... -> Linear, no norm, no dropout. ``input_dim`` = clamp(2^round(log2(sqrt(P)/4)),
  16, 1024); hidden layers: 1 below 10k params, 2 below 1M, 4 below 100M, 8 above; all hidden layers share one width,
  solved from the quadratic parameter count.
* ``cnn``: 3x32x32 images; three blocks Conv3x3 -> ReLU -> MaxPool2 with c, 2c, 4c channels, global average pool,
  then Linear(4c, h) -> ReLU -> Linear(h, 10). ``c`` takes ~80 % of the budget, the head width ``h`` the rest.
* ``transformer``: token ids (vocabulary V, sequence 64) -> Embedding -> L encoder layers (d_model d, 4d feed-forward,
  head dim 64, sinusoidal positions: no parameters) -> LayerNorm -> mean pool -> Linear(d, 10). Layers take ~85 %
  of the budget (L grows with size), the vocabulary size V fills the rest.
"""

from __future__ import annotations

import math
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from gpuwise.core.errors import UserInputError

if TYPE_CHECKING:
    import torch

FAMILIES = ("mlp", "cnn", "transformer")
MIN_PARAMS = 1_000
MAX_PARAMS = 10_000_000_000
NUM_CLASSES = 10
IMAGE_SHAPE = (3, 32, 32)
SEQ_LEN = 64
BYTES_FP32 = 4
BYTES_TOKEN = 8  # int64 token ids


def check_family(family: str) -> str:
    f = family.strip().lower()
    if f not in FAMILIES:
        raise UserInputError(f"unknown model family {family!r} (choose from {', '.join(FAMILIES)})")
    return f


def check_params(target: int) -> int:
    if not MIN_PARAMS <= target <= MAX_PARAMS:
        raise UserInputError(f"model size {target:,} is out of range (1k to 10B parameters)")
    return target


def build_spec(family: str, target_params: int) -> dict[str, Any]:
    """The architecture of a ``family`` model with about ``target_params`` parameters (exact count in "params")."""
    family = check_family(family)
    check_params(int(target_params))
    builder = {"mlp": _mlp_spec, "cnn": _cnn_spec, "transformer": _transformer_spec}[family]
    spec = builder(int(target_params))
    spec["params"] = count_params(spec)
    return spec


# ---------------------------------------------------------------- MLP


def _mlp_params(input_dim: int, hidden: list[int], num_classes: int) -> int:
    dims = [input_dim, *hidden, num_classes]
    return sum(a * b + b for a, b in pairwise(dims))


def _mlp_spec(target: int) -> dict[str, Any]:
    input_dim = int(min(1024, max(16, 2 ** round(math.log2(math.sqrt(target) / 4)))))
    layers = 1 if target < 10_000 else 2 if target < 1_000_000 else 4 if target < 100_000_000 else 8
    # params = (L-1) w^2 + (input_dim + L + C) w + C  for L hidden layers of width w
    a, b, c = layers - 1, input_dim + layers + NUM_CLASSES, NUM_CLASSES - target
    w_real = -c / b if a == 0 else (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
    best = min(
        (max(1, w) for w in (math.floor(w_real), math.ceil(w_real))),
        key=lambda w: abs(_mlp_params(input_dim, [w] * layers, NUM_CLASSES) - target),
    )
    return {
        "family": "mlp",
        "input_dim": input_dim,
        "hidden": [best] * layers,
        "num_classes": NUM_CLASSES,
        "activation": "ReLU",
    }


# ---------------------------------------------------------------- CNN


def _cnn_conv_params(c: int) -> int:
    chans = [IMAGE_SHAPE[0], c, 2 * c, 4 * c]
    return sum(9 * a * b + b for a, b in pairwise(chans))


def _cnn_params(c: int, h: int) -> int:
    return _cnn_conv_params(c) + (4 * c * h + h) + (h * NUM_CLASSES + NUM_CLASSES)


def _cnn_spec(target: int) -> dict[str, Any]:
    # conv params ~ 90 c^2: give the convolutions ~80 % and let the head width absorb the remainder exactly.
    c = max(1, math.floor(math.sqrt(0.8 * target / 90)))
    while c > 1 and _cnn_params(c, 1) > target:
        c -= 1
    h = max(1, round((target - _cnn_conv_params(c) - NUM_CLASSES) / (4 * c + 1 + NUM_CLASSES)))
    return {
        "family": "cnn",
        "image_shape": list(IMAGE_SHAPE),
        "channels": [c, 2 * c, 4 * c],
        "head_hidden": h,
        "num_classes": NUM_CLASSES,
        "activation": "ReLU",
    }


# ---------------------------------------------------------------- Transformer


def _transformer_layer_params(d: int, ff: int) -> int:
    attn = 3 * d * d + 3 * d + d * d + d  # in_proj (q, k, v) and out_proj, with biases
    mlp = d * ff + ff + ff * d + d
    norms = 4 * d
    return attn + mlp + norms


def _transformer_params(vocab: int, d: int, layers: int, ff: int) -> int:
    return vocab * d + layers * _transformer_layer_params(d, ff) + 2 * d + d * NUM_CLASSES + NUM_CLASSES


def _transformer_spec(target: int) -> dict[str, Any]:
    layers = next(n for limit, n in ((1e5, 1), (1e6, 2), (1e7, 4), (1e8, 6), (1e9, 12), (1e10, 24),
                                     (math.inf, 32)) if target < limit)  # fmt: skip
    share = 0.5 if target < 1e5 else 0.85
    d_real = math.sqrt(share * target / (12 * layers))
    # head dim 64 once the model is wide enough; below that one head, width a multiple of 4
    d = 64 * max(1, round(d_real / 64)) if d_real >= 64 else max(4, 4 * round(d_real / 4))
    vocab_floor = 16
    while d > 4 and _transformer_params(vocab_floor, d, layers, 4 * d) > target:
        d = d - 64 if d > 64 else d - 4
    rest = target - _transformer_params(0, d, layers, 4 * d)
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


# ---------------------------------------------------------------- checking a spec from a file

ACTIVATIONS = ("ReLU", "GELU", "SiLU", "Tanh", "Sigmoid", "LeakyReLU")
_MAX_DIM = 1 << 24  # ~16.7M: wider than any layer gpuwise builds (a 10B MLP is ~35k wide)
_MAX_LAYERS = 1024
_SPEC_KEYS: dict[str, tuple[str, ...]] = {
    "mlp": ("input_dim", "num_classes"),
    "cnn": ("head_hidden", "num_classes"),
    "transformer": ("vocab_size", "seq_len", "d_model", "n_layers", "n_heads", "ff_dim", "num_classes"),
}


def check_spec(spec: Any, family: str, where: str = "architecture") -> None:
    """Refuse (UserInputError) an architecture spec that the shape functions above could not use.

    Specs come from report files: each family's keys must be there, whole numbers within bounds, lists of the
    right length, and the activation a known one (the torch side builds it by name).
    """
    if not isinstance(spec, dict):
        raise UserInputError(f"{where} must be an object")
    fam = spec.get("family", family)
    if fam != family:
        raise UserInputError(f"{where}.family {fam!r} does not match the point's family {family!r}")
    if family not in _SPEC_KEYS:
        raise UserInputError(f"{where}: unknown model family {family!r}")

    def dim(key: str, value: Any, hi: int = _MAX_DIM) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= hi:
            raise UserInputError(f"{where}.{key} must be a whole number from 1 to {hi:,} (got {value!r:.40})")
        return value

    def dims(key: str, n: tuple[int, int]) -> list[int]:
        v = spec.get(key)
        if not isinstance(v, list) or not n[0] <= len(v) <= n[1]:
            size = f"{n[0]}" if n[0] == n[1] else f"{n[0]} to {n[1]}"
            raise UserInputError(f"{where}.{key} must be a list of {size} whole numbers")
        return [dim(f"{key}[{i}]", x) for i, x in enumerate(v)]

    for key in _SPEC_KEYS[family]:
        if key not in spec:
            raise UserInputError(f"{where}.{key} is missing (a {family} spec needs {', '.join(_SPEC_KEYS[family])})")
        dim(key, spec[key], _MAX_LAYERS if key in ("n_layers", "n_heads") else _MAX_DIM)
    if family == "mlp":
        dims("hidden", (1, _MAX_LAYERS))
    elif family == "cnn":
        dims("image_shape", (3, 3))
        dims("channels", (3, 3))
    elif spec["d_model"] % spec["n_heads"]:
        raise UserInputError(f"{where}: d_model {spec['d_model']} is not a multiple of n_heads {spec['n_heads']}")
    act = spec.get("activation")
    if act not in ACTIVATIONS:
        raise UserInputError(f"{where}.activation {act!r:.40} is not one of {', '.join(ACTIVATIONS)}")
    counted = count_params(spec)
    if counted > MAX_PARAMS * 10:
        raise UserInputError(f"{where} describes a model of {counted:,} parameters (absurd)")
    if spec.get("params") != counted:  # the verdict matches points by it: it must be the layers' count
        raise UserInputError(f"{where}.params {spec.get('params')!r:.40} is not the count of its layers ({counted:,})")


# ---------------------------------------------------------------- shape-only facts (pure Python)


def count_params(spec: dict[str, Any]) -> int:
    return int(_count_params(spec))


def _count_params(spec: dict[str, Any]) -> Any:
    fam = spec["family"]
    if fam == "mlp":
        return _mlp_params(spec["input_dim"], list(spec["hidden"]), spec["num_classes"])
    if fam == "cnn":
        c = spec["channels"][0]
        return _cnn_params(c, spec["head_hidden"])
    if fam == "transformer":
        return _transformer_params(spec["vocab_size"], spec["d_model"], spec["n_layers"], spec["ff_dim"])
    raise UserInputError(f"unknown model family {fam!r}")


def describe(spec: dict[str, Any]) -> str:
    fam = spec["family"]
    if fam == "mlp":
        hidden = spec["hidden"]
        return f"MLP {spec['input_dim']} → {len(hidden)}×{hidden[0]} → {spec['num_classes']}, {spec['activation']}"
    if fam == "cnn":
        ch = spec["channels"]
        return (f"CNN 3×32×32 → conv {ch[0]}/{ch[1]}/{ch[2]} ch → {spec['head_hidden']} → "
                f"{spec['num_classes']}")  # fmt: skip
    return (f"Transformer {spec['n_layers']} layers, d={spec['d_model']}, {spec['n_heads']} heads, "
            f"seq {spec['seq_len']}, vocab {spec['vocab_size']:,}")  # fmt: skip


def tokens_per_sample(spec: dict[str, Any]) -> int:
    return int(spec["seq_len"]) if spec["family"] == "transformer" else 1


def input_bytes_per_sample(spec: dict[str, Any]) -> int:
    """Bytes one sample (input + int64 label) occupies in host memory."""
    return int(_input_bytes_per_sample(spec))


def _input_bytes_per_sample(spec: dict[str, Any]) -> Any:
    fam = spec["family"]
    label = 8
    if fam == "mlp":
        return spec["input_dim"] * BYTES_FP32 + label
    if fam == "cnn":
        return math.prod(spec["image_shape"]) * BYTES_FP32 + label
    return spec["seq_len"] * BYTES_TOKEN + label


def activation_floats_per_sample(spec: dict[str, Any]) -> int:
    """Floats saved for backward per sample (a rough count used by the memory pre-flight)."""
    return int(_activation_floats_per_sample(spec))


def _activation_floats_per_sample(spec: dict[str, Any]) -> Any:
    fam = spec["family"]
    if fam == "mlp":
        return spec["input_dim"] + 2 * sum(spec["hidden"]) + spec["num_classes"]
    if fam == "cnn":
        c1, c2, c3 = spec["channels"]
        # conv out + relu out + pool out at 32x32, 16x16, 8x8
        return 3 * 1024 + 2 * (c1 * 1024 + c2 * 256 + c3 * 64) + c1 * 256 + c2 * 64 + c3 * 16 + 2 * spec["head_hidden"]
    s, d, ff, heads = spec["seq_len"], spec["d_model"], spec["ff_dim"], spec["n_heads"]
    per_layer = 10 * s * d + 2 * s * ff + 2 * heads * s * s
    return spec["n_layers"] * per_layer + 2 * s * d


def analytic_flops_per_step(spec: dict[str, Any], batch_size: int) -> float:
    """Training FLOPs of one step (forward + backward ~ 3x the forward's 2*MACs), from the shapes alone."""
    fam = spec["family"]
    if fam == "mlp":
        dims = [spec["input_dim"], *spec["hidden"], spec["num_classes"]]
        macs = sum(a * b for a, b in pairwise(dims))
    elif fam == "cnn":
        c1, c2, c3 = spec["channels"]
        macs = (
            9 * (3 * c1 * 1024 + c1 * c2 * 256 + c2 * c3 * 64)
            + 4 * c1 * spec["head_hidden"]
            + spec["head_hidden"] * spec["num_classes"]
        )
    else:
        s, d, ff = spec["seq_len"], spec["d_model"], spec["ff_dim"]
        per_layer = s * (4 * d * d + 2 * d * ff) + 2 * s * s * d
        macs = spec["n_layers"] * per_layer + d * spec["num_classes"]
    return float(3.0 * 2.0 * macs * batch_size)


# ---------------------------------------------------------------- torch


def build_model(spec: dict[str, Any], device: str | torch.device | None = None) -> torch.nn.Module:
    """The torch module for ``spec`` (plain torch.nn layers, so a user can rebuild it from the spec)."""
    from gpuwise.core.bench import torch_models

    return torch_models.build(spec, device)


def count_flops_per_step(spec: dict[str, Any], batch_size: int) -> float:
    """Training FLOPs of one step counted by torch's FlopCounterMode on the meta device (no memory used)."""
    key = (repr(sorted((k, repr(v)) for k, v in spec.items())), batch_size)
    cached = _FLOPS_CACHE.get(key)
    if cached is None:
        from gpuwise.core.bench import torch_models

        cached = torch_models.count_training_flops(spec, batch_size)
        _FLOPS_CACHE[key] = cached
    return cached


_FLOPS_CACHE: dict[tuple[str, int], float] = {}
