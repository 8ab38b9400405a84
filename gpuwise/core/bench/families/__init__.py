"""The workload registry: every model family gpuwise can train, one module each, behind one interface.

A family turns a requested size (and options such as an image size) into a plain-dict *spec*, and answers
everything else from that spec: parameter count, a one-line description, bytes per sample, activation memory,
FLOPs, the torch module, example batches and the synthetic dataset. The rest of gpuwise asks the registry and
never branches on a family name; labels live here and nowhere else.

Families:

* ``mlp``, ``cnn``, ``transformer``: gpuwise's synthetic models, built to any size (pure-Python shape rules).
* ``resnet18``, ``resnet50``, ``mobilenet_v3_small``, ``vit_b_16``: torchvision classifiers with random weights.
* ``bert_base``, ``gpt2_small``: BERT-base-like encoder and GPT-2-small-like decoder in plain torch.
* ``custom``: the user's own ``build()`` function (runs only when the user loads it).

Known models and the user's own are *fixed-size*: their spec carries a trace (FLOPs, saved activations, the
kernels of a step) recorded once on the meta device, so estimates never need the model again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gpuwise.core.errors import UserInputError

if TYPE_CHECKING:
    import torch

    from gpuwise.core.step_ops import Op


@dataclass(frozen=True)
class InputOption:
    """A family's input-size knob (image size, sequence length): its spec key, words and range."""

    key: str
    label: str
    unit: str
    lo: int
    hi: int
    default: int
    step: int = 1


class Family:
    """The interface every family supplies (defaults suit fixed-size, traced models)."""

    key: str = ""
    label: str = ""  # short, for charts and tables: "MLP", "ResNet-50"
    picker_label: str = ""  # for the app's model picker: what it is and what it eats
    resizable: bool = True  # False: one fixed size (the size slider shows it)
    options: tuple[str, ...] = ()  # spec options the family understands (image_size, seq_len, source)
    input_option: InputOption | None = None  # the input-size knob the app shows, if the family has one

    def build_spec(self, target_params: int, options: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def count_params(self, spec: dict[str, Any]) -> int:
        return int(spec["params"])

    def describe(self, spec: dict[str, Any]) -> str:
        raise NotImplementedError

    def tokens_per_sample(self, spec: dict[str, Any]) -> int:
        return 1

    def input_bytes_per_sample(self, spec: dict[str, Any]) -> int:
        raise NotImplementedError

    def activation_floats_per_sample(self, spec: dict[str, Any]) -> int:
        raise NotImplementedError

    def analytic_flops_per_step(self, spec: dict[str, Any], batch_size: int) -> float:
        raise NotImplementedError

    def counted_flops_per_step(self, spec: dict[str, Any], batch_size: int) -> float | None:
        """FLOPs already counted by torch when the spec was made (None: count now on the meta device)."""
        return None

    def build_module(self, spec: dict[str, Any], device: str | torch.device | None = None) -> torch.nn.Module:
        raise NotImplementedError

    def example_batch(self, spec: dict[str, Any], batch_size: int, device: str | torch.device) -> torch.Tensor:
        raise NotImplementedError

    def example_labels(self, spec: dict[str, Any], batch_size: int, device: str | torch.device) -> torch.Tensor:
        import torch

        return torch.zeros(batch_size, dtype=torch.long, device=device)

    def dataset(self, spec: dict[str, Any], n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def step_ops(self, spec: dict[str, Any], batch_size: int, precision: str) -> list[Op] | None:
        """The kernels of one training step, when the family knows them (None: the estimator's own rules)."""
        return None

    def param_tensors(self, spec: dict[str, Any]) -> int | None:
        return None

    def adopt(self, spec: dict[str, Any]) -> None:
        """Remember a spec seen in a report (fixed-size families answer later size-only questions with it)."""

    def forget(self) -> None:
        """Forget remembered specs."""


_REGISTRY: dict[str, Family] = {}


def _load() -> dict[str, Family]:
    if not _REGISTRY:
        from gpuwise.core.bench.families import cnn, custom, language, mlp, torchvision_models, transformer

        for mod in (mlp, cnn, transformer, torchvision_models, language, custom):
            for fam in mod.FAMILIES:
                _REGISTRY[fam.key] = fam
    return _REGISTRY


def names() -> tuple[str, ...]:
    """Every family key, in picker order."""
    return tuple(_load())


def resizable_names() -> tuple[str, ...]:
    return tuple(k for k, f in _load().items() if f.resizable)


def is_known(name: str) -> bool:
    return name in _load()


def get(name: str) -> Family:
    fam = _load().get(name.strip().lower())
    if fam is None:
        raise UserInputError(f"unknown model family {name!r} (choose from {', '.join(names())})")
    return fam


def of(spec: dict[str, Any]) -> Family:
    return get(str(spec["family"]))


def label(name: str) -> str:
    """The short label of a family ("ResNet-50"); an unknown name is shown as it is."""
    fam = _load().get(name)
    return fam.label if fam is not None else name


def picker_label(name: str) -> str:
    return get(name).picker_label


def adopt(family: str, spec: dict[str, Any]) -> str | None:
    """Check a spec read from a report and let its family remember it; a problem as text, else None.

    A report's spec is data: it is checked, never executed (a custom model's code is not loaded from it).
    """
    fam = get(family)
    if fam.resizable:
        return None
    if spec.get("family") != family:
        return f"family {spec.get('family')!r} does not match {family!r}"
    from gpuwise.core.bench.families.fixed import check_traced_spec

    problem = check_traced_spec(spec)
    if problem is None:
        fam.adopt(spec)
    return problem


def forget() -> None:
    """Forget every remembered spec (tests; a new session)."""
    for fam in _load().values():
        fam.forget()
