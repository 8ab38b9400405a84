"""Architecture specs of the models that published GPU training benchmarks use, built by hand for the estimator.

They let ``benchmarks/estimator_published.py`` (and its tests) put published throughput next to gpuwise's
estimate of the same work. ResNet-50 is a ``layers`` spec (see ``core.step_ops``): no convolutional family of
gpuwise has its shape. BERT is a ``transformer`` family spec with BERT-base's dimensions, so the validation
exercises the same op model ``gpuwise estimate --family transformer`` uses; differences from the real model
(learned position and segment embeddings, GELU, a per-token question-answering head) move well under 1 % of the
FLOPs and bytes.
"""

from __future__ import annotations

from typing import Any

from gpuwise.core.errors import UserInputError


def _conv(
    c_in: int, c_out: int, k: int, out_hw: int, in_hw: int | None = None, *, first: bool = False
) -> dict[str, Any]:
    return {
        "op": "conv",
        "c_in": c_in,
        "c_out": c_out,
        "k": k,
        "out_hw": out_hw,
        "in_hw": in_hw or out_hw,
        "grad_input": not first,
    }


def _bn(elements: int, relu: bool = True) -> list[dict[str, Any]]:
    # batch norm: statistics + normalise (read twice, write once); backward reads x and dy twice, writes dx
    out = [{"op": "elementwise", "elements": elements, "fwd": 3, "bwd": 4}]
    if relu:
        out.append({"op": "elementwise", "elements": elements, "fwd": 2, "bwd": 3})
    return out


def resnet50_spec(image: int = 224, classes: int = 1000) -> dict[str, Any]:
    """ResNet-50 v1.5 (stride 2 in the 3x3 convolution of each down-sampling bottleneck), ``image`` pixels square."""
    hw = (image // 2) ** 2
    layers: list[dict[str, Any]] = [_conv(3, 64, 7, hw, image * image, first=True), *_bn(64 * hw)]
    # 3x3 max-pool, stride 2: read the map, write a quarter (with indices); backward scatters into a zeroed map
    layers.append({"op": "elementwise", "elements": 64 * hw, "fwd": 2, "bwd": 2})
    hw //= 4
    c_in = 64
    tensors = 1 + 2  # stem convolution, its batch norm
    for width, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for i in range(blocks):
            s = stride if i == 0 else 1
            out_hw = hw // (s * s)
            layers += [_conv(c_in, width, 1, hw), *_bn(width * hw)]
            layers += [_conv(width, width, 3, out_hw, hw), *_bn(width * out_hw)]
            layers += [_conv(width, 4 * width, 1, out_hw), *_bn(4 * width * out_hw, relu=False)]
            tensors += 9
            if i == 0:
                layers += [_conv(c_in, 4 * width, 1, out_hw, hw), *_bn(4 * width * out_hw, relu=False)]
                tensors += 3
            # residual add, then ReLU
            layers.append({"op": "elementwise", "elements": 4 * width * out_hw, "fwd": 3, "bwd": 1})
            layers.append({"op": "elementwise", "elements": 4 * width * out_hw, "fwd": 2, "bwd": 3})
            c_in, hw = 4 * width, out_hw
    layers.append({"op": "elementwise", "elements": c_in * hw, "fwd": 1, "bwd": 1})  # global average pool
    layers.append({"op": "linear", "rows": 1, "n_in": c_in, "n_out": classes, "grad_input": True})
    tensors += 2
    return {
        "family": "layers",
        "name": "ResNet-50 v1.5",
        "params": 25_557_032,
        "param_tensors": tensors,
        "num_classes": classes,
        "input_bytes_per_sample": 3 * image * image,  # uint8 pixels (DALI decodes on the GPU)
        "layers": layers,
    }


def bert_spec(
    seq_len: int = 384, *, layers: int = 12, d_model: int = 768, heads: int = 12, vocab: int = 30522, classes: int = 2
) -> dict[str, Any]:
    """BERT-base's encoder (12 layers, d=768, 12 heads, 4d feed-forward) as a gpuwise transformer spec."""
    from gpuwise.core.bench.workloads import count_params

    spec: dict[str, Any] = {
        "family": "transformer",
        "vocab_size": vocab,
        "seq_len": seq_len,
        "d_model": d_model,
        "n_layers": layers,
        "n_heads": heads,
        "ff_dim": 4 * d_model,
        "num_classes": classes,
        "activation": "GELU",
        "positional": "learned",
    }
    spec["params"] = count_params(spec)
    return spec


WORKLOADS = {
    "resnet50": lambda: resnet50_spec(),
    "bert-base-squad384": lambda: bert_spec(384),
    "bert-base-seq128": lambda: bert_spec(128),
}


def reference_spec(name: str) -> dict[str, Any]:
    try:
        return WORKLOADS[name]()
    except KeyError:
        raise UserInputError(f"unknown reference workload {name!r} (known: {', '.join(WORKLOADS)})") from None
