"""The kernels of one training step, as the estimator sees them: matrix products and convolutions (FLOPs, bytes,
smallest dimension) and memory-bound kernels (bytes moved).

``step_ops(spec, batch, precision)`` is the one entry point. The built-in families (mlp, cnn, transformer) are
written out layer by layer. Any other model can be described by a ``layers`` spec: a plain list of per-sample
layer records, the form a trace of a torch module (e.g. on the meta device) maps to naturally:

* ``{"op": "linear", "rows": R, "n_in": K, "n_out": N, "grad_input": true}``: a product on ``R`` rows per sample
  (tokens for a transformer, 1 for an MLP): forward, grad-weight and (unless it is the first layer) grad-input.
* ``{"op": "conv", "out_hw": H*W, "in_hw": H'*W', "c_in": C, "c_out": C', "k": 3, "grad_input": true}``: a
  convolution as the implicit matrix product cuDNN runs (M = batch x out_hw, K = c_in x k x k, N = c_out).
* ``{"op": "attention", "seq": S, "heads": H, "head_dim": D}``: QK^T and AV, forward and backward.
* ``{"op": "elementwise", "elements": E, "fwd": 2, "bwd": 3}``: a memory-bound kernel pair over ``E`` elements
  per sample that reads/writes ``fwd`` (forward) and ``bwd`` (backward) tensors of that size: activations,
  normalisation, residual adds, softmax, pooling, dropout.
* ``{"op": "embedding", "tokens": T, "dim": D, "vocab": V}``: a lookup and its dense gradient.

A ``layers`` spec also carries ``params``, ``param_tensors``, ``input_bytes_per_sample`` and ``num_classes``;
its FLOPs are the records' own (``layer_flops``). Any record may carry ``"count": n`` (repeat it n times).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Literal

from gpuwise.core.errors import UserInputError
from gpuwise.core.precision import ACTIVATION_BYTES

OpKind = Literal["gemm", "conv", "elementwise"]


@dataclass(frozen=True)
class Op:
    kind: OpKind
    flops: float
    bytes: float
    min_dim: int = 0
    kernels: int = 1


def _linear(ops: list[Op], rows: int, n_in: int, n_out: int, ab: int, *, grad_input: bool) -> None:
    """A Linear layer on ``rows`` rows: forward, grad-weight, grad-input products and the bias gradient."""
    flops = 2.0 * rows * n_in * n_out
    nbytes = ab * (rows * n_in + rows * n_out) + 4 * n_in * n_out
    d = min(rows, n_in, n_out)
    for _ in range(3 if grad_input else 2):
        ops.append(Op("gemm", flops, nbytes, d))
    ops.append(Op("elementwise", 0.0, ab * rows * n_out))  # bias grad: a reduction over rows


def _elementwise(ops: list[Op], elements: float, ab: int, fwd_passes: int = 2, bwd_passes: int = 3) -> None:
    ops.append(Op("elementwise", 0.0, ab * elements * fwd_passes))
    ops.append(Op("elementwise", 0.0, ab * elements * bwd_passes))


def _loss(ops: list[Op], batch: int, classes: int) -> None:
    # log_softmax + nll forward, and their backward: tiny tensors, four kernels
    ops.extend(Op("elementwise", 0.0, 4.0 * batch * classes * 2) for _ in range(4))


def _family_hook(spec: dict[str, Any], what: str, *args: Any) -> Any:
    """What a registry family knows itself (known and custom models: from their trace), else None."""
    from gpuwise.core.bench import families

    fam = spec.get("family")
    if not isinstance(fam, str) or not families.is_known(fam):
        return None
    return getattr(families.get(fam), what)(spec, *args)


def step_ops(spec: dict[str, Any], batch_size: int, precision: str = "fp32") -> list[Op]:
    """The kernels of one training step of the model ``spec`` (see workloads.build_spec) at ``batch_size``."""
    traced = _family_hook(spec, "step_ops", batch_size, precision)
    if traced is not None:
        return list(traced)
    ab = ACTIVATION_BYTES.get(precision, 4)
    b = batch_size
    ops: list[Op] = []
    fam = spec["family"]
    classes = int(spec.get("num_classes", 10))
    if fam == "mlp":
        dims = [int(spec["input_dim"]), *(int(h) for h in spec["hidden"]), classes]
        ops.append(Op("elementwise", 0.0, 2 * 4 * b * dims[0]))  # gather the batch from the dataset
        for i, (a, c) in enumerate(itertools.pairwise(dims)):
            _linear(ops, b, a, c, ab, grad_input=i > 0)
            if i < len(dims) - 2:
                _elementwise(ops, b * c, ab)  # ReLU
    elif fam == "cnn":
        c_in, size = int(spec["image_shape"][0]), int(spec["image_shape"][1])
        ops.append(Op("elementwise", 0.0, 2 * 4 * b * c_in * size * size))
        for i, c in enumerate(int(x) for x in spec["channels"]):
            m, k = b * size * size, 9 * c_in
            flops = 2.0 * m * c * k
            nbytes = ab * (b * c_in * size * size + m * c) + 4 * k * c
            for _ in range(3 if i > 0 else 2):
                ops.append(Op("conv", flops, nbytes, min(c, k)))
            out = b * c * size * size
            ops.append(Op("elementwise", 0.0, ab * out))  # bias grad
            _elementwise(ops, out, ab)  # ReLU
            # max-pool 2x2: read all, write a quarter plus int64 indices; backward scatters back
            ops.append(Op("elementwise", 0.0, ab * out + out / 4 * (ab + 8)))
            ops.append(Op("elementwise", 0.0, ab * out + out / 4 * (ab + 8)))
            c_in, size = c, size // 2
        _elementwise(ops, b * c_in * size * size, ab, 1, 1)  # global average pool
        h = int(spec["head_hidden"])
        _linear(ops, b, c_in, h, ab, grad_input=True)
        _elementwise(ops, b * h, ab)
        _linear(ops, b, h, classes, ab, grad_input=True)
    elif fam == "transformer":
        s, d, layers = int(spec["seq_len"]), int(spec["d_model"]), int(spec["n_layers"])
        heads, ff, vocab = int(spec["n_heads"]), int(spec["ff_dim"]), int(spec["vocab_size"])
        t = b * s
        ops.append(Op("elementwise", 0.0, 2 * 8 * t))  # gather token ids
        ops.append(Op("elementwise", 0.0, (4 + ab) * t * d))  # embedding lookup
        ops.append(Op("elementwise", 0.0, 4.0 * vocab * d + 2 * 4 * t * d))  # dense embedding grad
        _elementwise(ops, t * d, ab, 3, 0)  # + positions
        head_dim = max(1, d // heads)
        for _ in range(layers):
            _linear(ops, t, d, 3 * d, ab, grad_input=True)  # q, k, v projection
            _elementwise(ops, 3 * t * d, ab, 2, 2)  # head split / layout copies
            attn = 2.0 * b * heads * s * s * head_dim  # one of QK^T or AV
            # scaled-dot-product attention: two products forward, four backward, fused softmax
            ops.append(Op("gemm", 2 * attn, ab * 4 * t * d, min(s, head_dim)))
            ops.append(Op("gemm", 4 * attn, ab * 8 * t * d, min(s, head_dim), kernels=2))
            _linear(ops, t, d, d, ab, grad_input=True)  # output projection
            for _ in range(2):  # residual add + LayerNorm after attention and after the feed-forward block
                _elementwise(ops, t * d, ab, 3, 1)
                _elementwise(ops, t * d, ab, 2, 4)
                _elementwise(ops, t * d, ab, 2, 2)  # dropout (p=0 still copies)
            _linear(ops, t, d, ff, ab, grad_input=True)
            _elementwise(ops, t * ff, ab)  # ReLU
            _linear(ops, t, ff, d, ab, grad_input=True)
        _elementwise(ops, t * d, ab, 2, 4)  # final LayerNorm
        _elementwise(ops, t * d, ab, 1, 1)  # mean over positions
        _linear(ops, b, d, classes, ab, grad_input=True)
    elif fam == "layers":
        ops.append(Op("elementwise", 0.0, 2.0 * b * int(spec.get("input_bytes_per_sample", 0))))
        for layer in _layer_records(spec):
            for _ in range(int(layer.get("count", 1))):
                _layer_ops(ops, layer, b, ab)
    else:
        raise UserInputError(f"unknown model family {fam!r}")
    _loss(ops, b, classes)
    return ops


def _layer_records(spec: dict[str, Any]) -> list[dict[str, Any]]:
    layers = spec.get("layers")
    if not isinstance(layers, list) or not all(isinstance(x, dict) for x in layers):
        raise UserInputError("a 'layers' model needs a list of layer records")
    return layers


def _layer_ops(ops: list[Op], layer: dict[str, Any], b: int, ab: int) -> None:
    kind = layer.get("op")
    try:
        if kind == "linear":
            _linear(
                ops,
                b * int(layer.get("rows", 1)),
                int(layer["n_in"]),
                int(layer["n_out"]),
                ab,
                grad_input=bool(layer.get("grad_input", True)),
            )
        elif kind == "conv":
            out_hw, c_in, c_out, k = int(layer["out_hw"]), int(layer["c_in"]), int(layer["c_out"]), int(layer["k"])
            in_hw = int(layer.get("in_hw", out_hw))
            m, kk = b * out_hw, c_in * k * k
            flops = 2.0 * m * kk * c_out
            nbytes = ab * (b * c_in * in_hw + m * c_out) + 4 * kk * c_out
            for _ in range(3 if layer.get("grad_input", True) else 2):
                ops.append(Op("conv", flops, nbytes, min(c_out, kk)))
        elif kind == "attention":
            seq, heads, hd = int(layer["seq"]), int(layer["heads"]), int(layer["head_dim"])
            attn = 2.0 * b * heads * seq * seq * hd
            t_d = b * seq * heads * hd
            ops.append(Op("gemm", 2 * attn, ab * 4 * t_d, min(seq, hd)))
            ops.append(Op("gemm", 4 * attn, ab * 8 * t_d, min(seq, hd), kernels=2))
            _elementwise(ops, b * heads * seq * seq, ab, 2, 3)  # softmax over the scores
        elif kind == "elementwise":
            _elementwise(ops, b * float(layer["elements"]), ab, int(layer.get("fwd", 2)), int(layer.get("bwd", 3)))
        elif kind == "embedding":
            t, d, v = int(layer["tokens"]), int(layer["dim"]), int(layer["vocab"])
            ops.append(Op("elementwise", 0.0, (4 + ab) * b * t * d))
            ops.append(Op("elementwise", 0.0, 4.0 * v * d + 2 * 4 * b * t * d))
        else:
            raise UserInputError(f"unknown layer op {kind!r} (linear, conv, attention, elementwise, embedding)")
    except (KeyError, TypeError, ValueError) as e:
        raise UserInputError(f"layer record {layer!r} is incomplete or malformed ({e})") from None


def layer_flops(spec: dict[str, Any], batch_size: int) -> float:
    """Training FLOPs of one step of a ``layers`` spec: its matrix products and convolutions."""
    return sum(o.flops for o in step_ops(spec, batch_size))


def param_tensors(spec: dict[str, Any]) -> int:
    """How many parameter tensors the optimizer walks over (weights and biases)."""
    traced = _family_hook(spec, "param_tensors")
    if traced is not None:
        return int(traced)
    fam = spec["family"]
    if fam == "mlp":
        return 2 * (len(spec["hidden"]) + 1)
    if fam == "cnn":
        return 2 * len(spec["channels"]) + 4
    if fam == "layers":
        return int(spec.get("param_tensors", 2 * len(_layer_records(spec))))
    return 1 + 12 * int(spec["n_layers"]) + 2 + 2
