"""The workload functions the rest of gpuwise calls, dispatched to the family registry (bench/families/).

A spec is a plain dict complete enough to rebuild the identical model; everything that needs only its shape
(parameter count, FLOPs, memory) is answered from it without the model, and for gpuwise's own families without
torch, so the GUI's sliders can show it live. Each family's module documents its size rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gpuwise.core.bench import families
from gpuwise.core.bench.families.synthetic import (  # re-exported: callers import them from here
    BYTES_FP32,
    BYTES_TOKEN,
    IMAGE_SHAPE,
    MAX_PARAMS,
    MIN_PARAMS,
    NUM_CLASSES,
    SEQ_LEN,
    check_params,
)
from gpuwise.core.errors import UserInputError

if TYPE_CHECKING:
    import torch

__all__ = [
    "BYTES_FP32",
    "BYTES_TOKEN",
    "IMAGE_SHAPE",
    "MAX_PARAMS",
    "MIN_PARAMS",
    "NUM_CLASSES",
    "SEQ_LEN",
    "activation_floats_per_sample",
    "analytic_flops_per_step",
    "build_model",
    "build_spec",
    "check_family",
    "check_params",
    "check_spec",
    "count_flops_per_step",
    "count_params",
    "describe",
    "family_label",
    "input_bytes_per_sample",
    "is_resizable",
    "tokens_per_sample",
]


def check_family(family: str) -> str:
    return families.get(family).key


def build_spec(family: str, target_params: int, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The architecture of a ``family`` model with about ``target_params`` parameters (exact count in "params").

    ``options``: what the family understands (image_size, seq_len, source); fixed-size families ignore the size.
    """
    fam = families.get(family)
    if fam.resizable:
        check_params(int(target_params))
    spec = fam.build_spec(int(target_params), dict(options or {}))
    spec["params"] = fam.count_params(spec)
    return spec


def is_resizable(family: str) -> bool:
    return families.get(family).resizable


def family_label(family: str) -> str:
    return families.label(family)


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
    if not families.get(family).resizable:  # a known or custom model: its trace and input are checked
        problem = families.adopt(family, spec)
        if problem:
            raise UserInputError(f"{where}: {problem}")
        return
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


def count_params(spec: dict[str, Any]) -> int:
    return int(families.of(spec).count_params(spec))


def describe(spec: dict[str, Any]) -> str:
    return families.of(spec).describe(spec)


def tokens_per_sample(spec: dict[str, Any]) -> int:
    return int(families.of(spec).tokens_per_sample(spec))


def input_bytes_per_sample(spec: dict[str, Any]) -> int:
    """Bytes one sample (input + int64 label) occupies in host memory."""
    return int(families.of(spec).input_bytes_per_sample(spec))


def activation_floats_per_sample(spec: dict[str, Any]) -> int:
    """Floats saved for backward per sample (a rough count used by the memory pre-flight)."""
    return int(families.of(spec).activation_floats_per_sample(spec))


def analytic_flops_per_step(spec: dict[str, Any], batch_size: int) -> float:
    """Training FLOPs of one step (forward + backward ~ 3x the forward's 2*MACs), from the shapes alone."""
    return float(families.of(spec).analytic_flops_per_step(spec, batch_size))


def build_model(spec: dict[str, Any], device: str | torch.device | None = None) -> torch.nn.Module:
    """The torch module for ``spec`` (plain torch.nn layers, so a user can rebuild it from the spec)."""
    return families.of(spec).build_module(spec, device)


def count_flops_per_step(spec: dict[str, Any], batch_size: int) -> float:
    """Training FLOPs of one step counted by torch's FlopCounterMode on the meta device (no memory used)."""
    counted = families.of(spec).counted_flops_per_step(spec, batch_size)
    if counted is not None:
        return counted  # counted by torch when the spec was traced
    key = (repr(sorted((k, repr(v)) for k, v in spec.items())), batch_size)
    cached = _FLOPS_CACHE.get(key)
    if cached is None:
        from gpuwise.core.bench import torch_models

        cached = torch_models.count_training_flops(spec, batch_size)
        _FLOPS_CACHE[key] = cached
    return cached


_FLOPS_CACHE: dict[tuple[str, int], float] = {}
