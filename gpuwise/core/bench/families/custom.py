"""``custom``: the user's own model, from ``path/to/file.py:build`` or ``package.module:build``.

The protocol: ``build()`` takes no arguments and returns ``(module, example_input)``: a ``torch.nn.Module`` and
one example input whose first dimension is the batch. The module's output must be class logits
``(batch, classes)``; gpuwise trains it with cross-entropy on random labels. An integer example input is read as
token ids: random ids are drawn below the example's largest value + 1 (give ``torch.full(shape, vocab - 1)``).

User code runs only when the user loads it (``gpuwise bench --model``, the app's "Your model…"): ``load()`` is
the one place that imports it, and building the module for a measurement needs a model loaded in this process
(with the file unchanged since). A report records the model's name, parameter count, FLOPs, its trace and a
SHA-256 of the file, never the code, so opening a report runs nothing.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gpuwise.core.bench.families import Family
from gpuwise.core.bench.families.fixed import FixedFamily
from gpuwise.core.bench.families.trace import trace_step
from gpuwise.core.errors import UserInputError

if TYPE_CHECKING:
    import torch

PROTOCOL = (
    "build() must return (module, example_input): a torch.nn.Module and one example input tensor whose "
    "first dimension is the batch"
)


class UserCodeError(UserInputError):
    """An exception inside the user's own code; the message carries their traceback."""


def _user_traceback(e: BaseException, user_file: str | None) -> str:
    """The traceback from the user's first frame on (gpuwise's and importlib's frames are not theirs)."""
    te = traceback.TracebackException.from_exception(e)
    frames = list(te.stack)
    if user_file:
        first = next((i for i, f in enumerate(frames) if os.path.abspath(f.filename) == user_file), None)
        # no frame of theirs (a SyntaxError in their file): the exception alone says where
        te.stack = traceback.StackSummary.from_list(frames[first:] if first is not None else [])
    text = "".join(te.format()).rstrip()
    # their message may hold terminal control characters: shown escaped, never raw
    return "".join(c if c == "\n" or c.isprintable() else repr(c)[1:-1] for c in text)


def _resolve(ref: str) -> tuple[str, str, str | None]:
    """(module or file, function name, absolute file path or None) of ``ref``."""
    target, sep, func = ref.rpartition(":")
    if not sep or not target or not func.isidentifier():
        raise UserInputError(f"--model {ref!r}: give a known model name, path/to/file.py:build or package.module:build")
    if target.endswith(".py") or os.sep in target or "/" in target:
        path = os.path.abspath(os.path.expanduser(target))
        if not os.path.isfile(path):
            raise UserInputError(f"model file {target!r} does not exist")
        return target, func, path
    return target, func, None


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class _Loaded:
    def __init__(self, ref: str, build: Callable[[], Any], path: str | None, sha: str | None) -> None:
        self.ref, self.build, self.path, self.sha = ref, build, path, sha


_LOADED: dict[str, _Loaded] = {}


def _import(ref: str) -> _Loaded:
    target, func, path = _resolve(ref)
    try:
        if path is not None:
            name = "gpuwise_user_model_" + hashlib.sha1(path.encode()).hexdigest()[:12]
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                raise UserInputError(f"model file {target!r} is not a Python file")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(target)
            path = getattr(module, "__file__", None)
            path = os.path.abspath(path) if path else None
    except UserInputError:
        raise
    except ModuleNotFoundError as e:
        if path is None and e.name and target.startswith(e.name):
            raise UserInputError(f"model module {target!r} cannot be imported (no module named {e.name!r})") from None
        raise UserCodeError(f"error while importing {ref}:\n{_user_traceback(e, path)}") from None
    except BaseException as e:  # their code: SyntaxError, SystemExit, anything
        if isinstance(e, KeyboardInterrupt):
            raise
        raise UserCodeError(f"error while importing {ref}:\n{_user_traceback(e, path)}") from None
    build = getattr(module, func, None)
    if not callable(build):
        raise UserInputError(f"{ref}: {target} has no function {func}()")
    return _Loaded(ref, build, path, file_sha256(path) if path else None)


def _call_build(loaded: _Loaded) -> tuple[torch.nn.Module, torch.Tensor]:
    import torch

    try:
        result = loaded.build()
    except BaseException as e:
        if isinstance(e, KeyboardInterrupt):
            raise
        raise UserCodeError(f"error in {loaded.ref}():\n{_user_traceback(e, loaded.path)}") from None
    if not (isinstance(result, tuple) and len(result) == 2):
        raise UserInputError(f"{loaded.ref}: {PROTOCOL} (it returned {type(result).__name__})")
    module, example = result
    if not isinstance(module, torch.nn.Module):
        raise UserInputError(f"{loaded.ref}: {PROTOCOL} (the first item is a {type(module).__name__})")
    if not isinstance(example, torch.Tensor) or example.dim() < 1:
        raise UserInputError(f"{loaded.ref}: {PROTOCOL} (the second item is not a tensor with a batch dimension)")
    return module, example


class Custom(FixedFamily):
    key = "custom"
    label = "Your model"
    picker_label = "Your model…"
    options = ("source",)

    def load(self, ref: str) -> dict[str, Any]:
        """Import the user's code, build the model once, trace it; the spec (this runs their code)."""
        loaded = _import(ref.strip())
        module, example = _call_build(loaded)
        spec = self._spec_from(loaded, module, example)
        _LOADED[loaded.ref] = loaded
        self._current = spec
        return dict(spec)

    def _spec_from(self, loaded: _Loaded, module: torch.nn.Module, example: torch.Tensor) -> dict[str, Any]:
        import torch

        sample = example[0]
        integer = not (sample.is_floating_point() or sample.is_complex())
        with torch.no_grad():
            try:
                out = module(example[:1].repeat(2, *([1] * (example.dim() - 1))))
            except Exception as e:
                raise UserCodeError(
                    f"error running {loaded.ref}()'s model on its example input:\n{_user_traceback(e, loaded.path)}"
                ) from None
        if not isinstance(out, torch.Tensor) or out.dim() != 2 or out.shape[0] != 2 or out.shape[1] < 2:
            got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise UserInputError(
                f"{loaded.ref}: the model must return class logits of shape (batch, classes); "
                f"for a batch of 2 it returned {got}"
            )
        x_spec: dict[str, Any] = {"shape": list(sample.shape), "dtype": "int64" if integer else "float32"}
        if integer:
            x_spec["high"] = max(1, int(example.max()) + 1)
        name = Path(loaded.path).name if loaded.path else loaded.ref.rpartition(":")[0]
        spec: dict[str, Any] = {
            "family": "custom",
            "source": loaded.ref,
            "name": f"{name}:{loaded.ref.rpartition(':')[2]}",
            "model_class": type(module).__name__,
            "sha256": loaded.sha,
            "num_classes": int(out.shape[1]),
            "input": x_spec,
            "labels": {"shape": []},
        }
        spec["trace"] = self._trace_module(module, spec, loaded)
        spec["params"] = spec["trace"]["params"]
        return spec

    def _trace_module(self, module: torch.nn.Module, spec: dict[str, Any], loaded: _Loaded) -> dict[str, Any]:
        import copy

        try:
            meta = copy.deepcopy(module).to("meta")
            return trace_step(
                lambda: meta, lambda b: (self.example_batch(spec, b, "meta"), self.example_labels(spec, b, "meta"))
            )
        except Exception:  # code that needs real values (.item(), data-dependent shapes): trace on the CPU
            pass
        try:
            return trace_step(lambda: module, lambda b: self._cpu_batch(spec, b))
        except Exception as e:
            raise UserCodeError(
                f"error in a training step of {loaded.ref}()'s model:\n{_user_traceback(e, loaded.path)}"
            ) from None

    def _cpu_batch(self, spec: dict[str, Any], b: int) -> tuple[torch.Tensor, torch.Tensor]:
        import torch

        gen = torch.Generator().manual_seed(0)
        x, y = self.dataset(spec, b, gen)
        return x, y

    def build_spec(self, target_params: int, options: Mapping[str, Any]) -> dict[str, Any]:
        source = options.get("source")
        if source:
            if self._current is not None and self._current.get("source") == source:
                return dict(self._current)
            return self.load(str(source))
        if self._current is not None:
            return dict(self._current)
        raise UserInputError(
            "no model of your own is loaded: give it as --model path/to/file.py:build "
            '(or choose "Your model…" in the app)'
        )

    def base_spec(self, options: Mapping[str, Any]) -> dict[str, Any]:
        raise UserInputError("a model of your own is built by load()")

    def build_module(self, spec: dict[str, Any], device: str | torch.device | None = None) -> torch.nn.Module:
        loaded = _LOADED.get(str(spec.get("source")))
        if loaded is None:
            raise UserInputError(
                f"{spec.get('name', 'your model')} was not loaded in this session; gpuwise runs "
                'your code only when you load it (--model or "Your model…")'
            )
        if loaded.path and spec.get("sha256") and file_sha256(loaded.path) != spec["sha256"]:
            raise UserInputError(f"{loaded.path} changed since it was loaded: load it again")
        module, _example = _call_build(loaded)
        return module.to(device) if device is not None else module

    def describe(self, spec: dict[str, Any]) -> str:
        from gpuwise.core.units import format_count

        shape = "×".join(str(d) for d in spec["input"]["shape"])
        return (
            f"{spec.get('name', 'your model')} ({spec.get('model_class', 'Module')}), "
            f"{format_count(spec['params'])} params, input {shape}, {spec['num_classes']} classes"
        )


CUSTOM = Custom()
FAMILIES: tuple[Family, ...] = (CUSTOM,)


def load(ref: str) -> dict[str, Any]:
    """Load the user's model ``ref`` (runs their code) and return its spec."""
    return CUSTOM.load(ref)
