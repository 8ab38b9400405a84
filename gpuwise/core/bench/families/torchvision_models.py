"""torchvision classifiers with random weights (never downloaded): ResNet-18/50, MobileNetV3-Small, ViT-B/16.

Each trains at its native 224×224 input unless an ``image_size`` option says otherwise, with torchvision's default
1000 ImageNet classes (the head's size is part of the model people know).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gpuwise.core.bench.families import Family, InputOption
from gpuwise.core.bench.families.fixed import FixedFamily, check_size

if TYPE_CHECKING:
    import torch

NATIVE_IMAGE_SIZE = 224
NUM_CLASSES = 1000


def import_models() -> Any:
    """``torchvision.models``, also where only torchvision's CUDA wheel sits beside a CPU-only torch.

    That wheel's C extension cannot load, and torchvision (0.28) then fails at import on registering fake kernels
    for its detection ops ``nms``/``qnms``. gpuwise uses no detection op: declaring the two schemas (without
    kernels) lets the classifiers import; calling those ops would still fail loudly.
    """
    try:
        import torchvision.models as models
    except RuntimeError as e:
        if "torchvision::nms" not in str(e):
            raise
        import torch

        for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[name]
        for op in ("nms", "qnms"):
            torch.library.define(f"torchvision::{op}", "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        import torchvision.models as models
    return models


class TorchvisionClassifier(FixedFamily):
    options = ("image_size",)

    def __init__(self, key: str, label: str, builder: str, min_size: int, multiple: int, note: str) -> None:
        super().__init__()
        self.key = key
        self.label = label
        self.picker_label = f"{label} (torchvision, {note})"
        self._builder = builder
        self.input_option = InputOption("image_size", "Image size", "px", min_size, 1024, NATIVE_IMAGE_SIZE, multiple)

    def base_spec(self, options: Mapping[str, Any]) -> dict[str, Any]:
        size = options.get("image_size") or NATIVE_IMAGE_SIZE
        opt = self.input_option
        assert opt is not None
        size = check_size(size, "image size", opt.lo, opt.hi, opt.step)
        return {
            "family": self.key,
            "image_size": size,
            "num_classes": NUM_CLASSES,
            "input": {"shape": [3, size, size], "dtype": "float32"},
            "labels": {"shape": []},
        }

    def module(self, spec: dict[str, Any]) -> torch.nn.Module:
        models = import_models()
        kwargs: dict[str, Any] = {"weights": None, "num_classes": spec["num_classes"]}
        if self.key.startswith("vit"):
            kwargs["image_size"] = spec["image_size"]
        return getattr(models, self._builder)(**kwargs)  # type: ignore[no-any-return]

    def describe(self, spec: dict[str, Any]) -> str:
        from gpuwise.core.units import format_count

        s = spec["image_size"]
        return f"{self.label} (torchvision), {format_count(spec['params'])} params, {s}×{s} images"


FAMILIES: tuple[Family, ...] = (
    TorchvisionClassifier("resnet18", "ResNet-18", "resnet18", 32, 1, "224×224 images"),
    TorchvisionClassifier("resnet50", "ResNet-50", "resnet50", 32, 1, "224×224 images"),
    TorchvisionClassifier("mobilenet_v3_small", "MobileNetV3-Small", "mobilenet_v3_small", 32, 1, "224×224 images"),
    TorchvisionClassifier("vit_b_16", "ViT-B/16", "vit_b_16", 32, 16, "224×224 images"),
)
