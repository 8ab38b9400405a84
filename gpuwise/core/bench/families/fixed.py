"""Fixed-size families (known models and the user's own): a traced spec answers every shape-only question.

Their spec holds what the model eats (``input``: shape per sample, dtype, token range; ``labels``: shape per sample
and class count) and its ``trace`` (see trace.py), so parameter counts, FLOPs, memory and the estimator's kernels
come from data; torch is needed only to build the module and the dataset. A trace is recorded once per model and
options in a process and remembered.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gpuwise.core.bench.families import Family
from gpuwise.core.bench.families.trace import trace_step, traced_flops, traced_ops
from gpuwise.core.errors import UserInputError
from gpuwise.core.units import format_count

if TYPE_CHECKING:
    import torch

    from gpuwise.core.step_ops import Op

_DTYPE_BYTES = {"float32": 4, "int64": 8}


def check_size(value: Any, what: str, lo: int, hi: int, multiple: int = 1) -> int:
    try:
        v = int(value)
    except (TypeError, ValueError):
        raise UserInputError(f"{what} {value!r} is not a whole number") from None
    if not lo <= v <= hi or v % multiple:
        extra = f", a multiple of {multiple}" if multiple > 1 else ""
        raise UserInputError(f"{what} {v} is out of range ({lo} to {hi}{extra})")
    return v


def check_traced_spec(spec: dict[str, Any]) -> str | None:
    """What is wrong with a fixed-size spec from a file (None: usable by every shape-only question)."""
    x, y, trace = spec.get("input"), spec.get("labels"), spec.get("trace")
    if not isinstance(spec.get("params"), int) or not isinstance(spec.get("num_classes"), int):
        return "params and num_classes must be whole numbers"
    if not (isinstance(x, dict) and x.get("dtype") in _DTYPE_BYTES and _is_shape(x.get("shape"))):
        return "input must give a shape and a dtype (float32 or int64)"
    if x["dtype"] == "int64" and not (isinstance(x.get("high"), int) and x["high"] >= 1):
        return "token input must give its range (high)"
    if not (isinstance(y, dict) and _is_shape(y.get("shape"), allow_empty=True)):
        return "labels must give a shape"
    if not isinstance(trace, dict):
        return "the trace is missing"
    for key in ("params", "param_tensors", "flops_per_sample", "activation_bytes_per_sample"):
        if not _is_number(trace.get(key)):
            return f"trace.{key} must be a non-negative number"
    ops = trace.get("ops")
    if not isinstance(ops, list) or not all(
        isinstance(o, list)
        and len(o) == 8
        and o[0] in ("gemm", "conv", "elementwise")
        and all(_is_number(v) for v in o[1:])
        for o in ops
    ):
        return "trace.ops must be a list of [kind, 7 non-negative numbers]"
    return None


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0


def _is_shape(v: Any, allow_empty: bool = False) -> bool:
    return (
        isinstance(v, list)
        and (allow_empty or len(v) > 0)
        and len(v) <= 8
        and all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 1 << 24 for d in v)
    )


KNOWN_TRACES = "known_model_traces.json"
_SHIPPED: dict[str, Any] | None = None


def _shipped_trace(spec: dict[str, Any]) -> dict[str, Any] | None:
    """The shipped trace of a known model at this exact spec (its native input size), else None.

    Tracing a ResNet or BERT costs about a second and imports torch; the app's model picker shows these models
    before torch has loaded, so their native-size traces ship with gpuwise (``resources/known_model_traces.json``,
    written by ``python -m gpuwise.core.bench.families.fixed``; a test checks them against a fresh trace).
    """
    global _SHIPPED
    if _SHIPPED is None:
        from gpuwise.core.resources import load_json_resource

        try:
            _SHIPPED = dict(load_json_resource(KNOWN_TRACES).get("specs", {}))
        except (OSError, ValueError, AttributeError):
            _SHIPPED = {}
    shipped = _SHIPPED.get(str(spec["family"]))
    if not isinstance(shipped, dict):
        return None
    base = {k: v for k, v in shipped.items() if k not in ("trace", "params")}
    if base != spec or check_traced_spec(shipped) is not None:
        return None
    return dict(shipped["trace"])


def write_known_traces(path: str) -> None:
    """Trace every known model at its native size and write them as the shipped resource."""
    import json

    import torch

    from gpuwise.core.bench import families

    specs = {}
    for name in families.names():
        fam = families.get(name)
        if not fam.resizable and name != "custom":  # (run as __main__, this module's classes are copies)
            spec = fam.base_spec({})  # type: ignore[attr-defined]
            spec["trace"] = fam._trace(spec)  # type: ignore[attr-defined]
            spec["params"] = spec["trace"]["params"]
            specs[name] = spec
    doc = {
        "about": "meta-device traces of the known models at their native input sizes (see fixed.py)",
        "torch": torch.__version__.split("+")[0],
        "specs": specs,
    }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


class FixedFamily(Family):
    resizable = False

    def __init__(self) -> None:
        self._traces: dict[Any, dict[str, Any]] = {}
        self._current: dict[str, Any] | None = None

    # -- what a subclass supplies -----------------------------------------------------------------------------
    def base_spec(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """The spec without its trace and params: family, input, labels, num_classes and the options."""
        raise NotImplementedError

    def module(self, spec: dict[str, Any]) -> torch.nn.Module:
        """The module (random weights) on the current default device."""
        raise NotImplementedError

    # -- the interface ----------------------------------------------------------------------------------------
    def build_spec(self, target_params: int, options: Mapping[str, Any]) -> dict[str, Any]:
        """The model's spec (``target_params`` is ignored: the size is the model's own).

        Without options this is the spec last built or adopted from a report in this process, so questions
        asked by family and size alone (the verdict's size grid) stay about the same model and input size.
        """
        if not options and self._current is not None:
            return dict(self._current)
        spec = self.base_spec(options)
        key = repr(sorted(spec.items()))
        trace = self._traces.get(key) or _shipped_trace(spec)
        if trace is None:
            trace = self._trace(spec)
        self._traces[key] = trace
        spec["trace"] = trace
        spec["params"] = trace["params"]
        self._current = spec
        return dict(spec)

    def _trace(self, spec: dict[str, Any]) -> dict[str, Any]:
        import torch

        def make_model() -> torch.nn.Module:
            with torch.device("meta"):
                return self.module(spec)

        return trace_step(
            make_model, lambda b: (self.example_batch(spec, b, "meta"), self.example_labels(spec, b, "meta"))
        )

    def adopt(self, spec: dict[str, Any]) -> None:
        if isinstance(spec.get("trace"), dict) and isinstance(spec.get("params"), int):
            self._current = dict(spec)

    def forget(self) -> None:
        self._current = None

    def describe(self, spec: dict[str, Any]) -> str:
        shape = "×".join(str(d) for d in spec["input"]["shape"])
        kind = "tokens" if spec["input"]["dtype"] == "int64" else "input"
        return f"{self.label}, {format_count(spec['params'])} params, {kind} {shape}"

    def tokens_per_sample(self, spec: dict[str, Any]) -> int:
        return int(math.prod(spec["input"]["shape"])) if spec["input"]["dtype"] == "int64" else 1

    def input_bytes_per_sample(self, spec: dict[str, Any]) -> int:
        x = spec["input"]
        y = spec["labels"]
        return int(math.prod(x["shape"]) * _DTYPE_BYTES[x["dtype"]] + math.prod(y["shape"]) * 8)

    def activation_floats_per_sample(self, spec: dict[str, Any]) -> int:
        return int(spec["trace"]["activation_bytes_per_sample"]) // 4

    def analytic_flops_per_step(self, spec: dict[str, Any], batch_size: int) -> float:
        return traced_flops(spec["trace"], batch_size)

    def counted_flops_per_step(self, spec: dict[str, Any], batch_size: int) -> float | None:
        return traced_flops(spec["trace"], batch_size)

    def build_module(self, spec: dict[str, Any], device: str | torch.device | None = None) -> torch.nn.Module:
        import torch

        with torch.device(device if device is not None else "cpu"):
            return self.module(spec)

    def example_batch(self, spec: dict[str, Any], batch_size: int, device: str | torch.device) -> torch.Tensor:
        import torch

        x = spec["input"]
        dtype = torch.long if x["dtype"] == "int64" else torch.float32
        return torch.zeros(batch_size, *x["shape"], dtype=dtype, device=device)

    def example_labels(self, spec: dict[str, Any], batch_size: int, device: str | torch.device) -> torch.Tensor:
        import torch

        return torch.zeros(batch_size, *spec["labels"]["shape"], dtype=torch.long, device=device)

    def dataset(self, spec: dict[str, Any], n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Random inputs and random labels (cross-entropy on random labels: the step costs the same)."""
        import torch

        x_spec, y_spec = spec["input"], spec["labels"]
        if x_spec["dtype"] == "int64":
            x = torch.randint(0, int(x_spec["high"]), (n, *x_spec["shape"]), generator=gen)
        else:
            x = torch.randn(n, *x_spec["shape"], generator=gen)
        y = torch.randint(0, int(spec["num_classes"]), (n, *y_spec["shape"]), generator=gen)
        return x, y

    def step_ops(self, spec: dict[str, Any], batch_size: int, precision: str) -> list[Op] | None:
        return traced_ops(spec["trace"], batch_size, precision, self.input_bytes_per_sample(spec))

    def param_tensors(self, spec: dict[str, Any]) -> int | None:
        return int(spec["trace"]["param_tensors"])


if __name__ == "__main__":
    import sys

    from gpuwise.core.resources import resource_path

    write_known_traces(sys.argv[1] if len(sys.argv) > 1 else str(resource_path(KNOWN_TRACES)))
