"""Estimated training on catalog GPUs for one workload: what ``gpuwise estimate`` shows, decided here once.

Every figure is an estimate from the GPU catalog (spec peaks, published efficiencies) and core.estimate's op
model, never a measurement; each row carries its uncertainty band, what limits the step and whether the model fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gpuwise.core import estimate as est
from gpuwise.core.catalog import find_gpus
from gpuwise.core.errors import UserInputError
from gpuwise.core.precision import check_precision

# What limits a step, in words (StepEstimate.bound -> text)
LIMITED_BY = {"compute": "compute", "memory": "memory bandwidth", "overhead": "host overhead", "transfer": "host link"}


@dataclass(frozen=True)
class GpuEstimate:
    gpu: str
    step: est.StepEstimate
    samples: int | None  # dataset size, when a time to train was asked for
    epochs: int
    fixed_overhead_s: float  # once per run: context, warm-up, copying the weights

    @property
    def step_s(self) -> float:
        return self.step.step_s

    @property
    def samples_per_s(self) -> float:
        return self.step.samples_per_s

    @property
    def limited_by(self) -> str:
        return LIMITED_BY.get(self.step.bound, self.step.bound)

    @property
    def time_to_train_s(self) -> float | None:
        if self.samples is None:
            return None
        steps = self.epochs * est.steps_per_epoch(self.samples, self.step.batch_size)
        return steps * self.step_s + self.fixed_overhead_s

    @property
    def time_band_s(self) -> tuple[float, float] | None:
        if self.samples is None:
            return None
        steps = self.epochs * est.steps_per_epoch(self.samples, self.step.batch_size)
        return steps * self.step.band[0] + self.fixed_overhead_s, steps * self.step.band[1] + self.fixed_overhead_s

    def to_dict(self) -> dict[str, Any]:
        e = self.step
        d: dict[str, Any] = {
            "gpu": self.gpu,
            "estimated": True,
            "step_s": e.step_s,
            "band": list(e.band),
            "samples_per_s": self.samples_per_s,
            "samples_per_s_band": [e.batch_size / e.band[1], e.batch_size / e.band[0]],
            "tflops": e.tflops,
            "limited_by": self.limited_by,
            "parts_s": {
                "compute": e.compute_s,
                "memory": e.memory_s,
                "optimizer": e.optimizer_s,
                "transfer": e.transfer_s,
                "host": e.host_s,
            },
            "fits": e.fits,
            "memory_needed_bytes": e.memory_needed,
            "memory_available_bytes": e.memory_available,
            "flops_per_step": e.flops,
            "flops_method": e.flops_method,
            "basis": e.basis,
        }
        if self.samples is not None:
            d["time_to_train_s"] = self.time_to_train_s
            d["time_to_train_band_s"] = list(self.time_band_s or ())
        return d


def estimate_gpus(
    gpus: str | list[str],
    spec: dict[str, Any],
    batch_size: int,
    *,
    precision: str = "fp32",
    optimizer: str = "adam",
    samples: int | None = None,
    epochs: int = 1,
    flops_method: str = "auto",
) -> list[GpuEstimate]:
    """One estimate per catalog GPU named in ``gpus`` (comma-separated or a list) for ``spec`` at ``batch_size``."""
    check_precision(precision)
    if batch_size < 1 or epochs < 1 or (samples is not None and samples < 1):
        raise UserInputError("batch size, epochs and dataset size must be at least 1")
    out = []
    for g in find_gpus(gpus):
        model = est.gpu_model(g)
        step = est.estimate_step(
            model, spec, batch_size, precision=precision, optimizer=optimizer, flops_method=flops_method
        )
        weights_s = 4 * int(spec.get("params") or 0) / (model.host_link_gbs * 1e9) if model.host_link_gbs else 0.0
        out.append(GpuEstimate(g.name, step, samples, epochs, model.fixed_overhead_s + weights_s))
    return out
