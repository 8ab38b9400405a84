"""Memory pre-flight: what training a model needs, estimated before anything is allocated.

Adam in fp32 keeps weights, gradients and two moment buffers: ~16 bytes per parameter. Activations saved for
backward come from the architecture (workloads.activation_floats_per_sample). Mixed precision keeps fp32 master
weights, so it saves activation memory, not optimizer memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gpuwise.core.bench.workloads import activation_floats_per_sample, count_params, input_bytes_per_sample
from gpuwise.core.errors import UserInputError
from gpuwise.core.precision import ACTIVATION_BYTES

OPTIMIZERS = ("adam", "sgd")
_OPTIMIZER_STATE_BYTES = {"adam": 8, "sgd": 0}  # SGD without momentum keeps no state
# Framework workspace, allocator fragmentation and the loss: measured peaks run ~10-20 % over the sum of parts.
_SLACK = 1.2
# Usable fraction of what the OS/driver reports free: the rest is for everything else on the machine.
USABLE_FRACTION = 0.85


@dataclass(frozen=True)
class MemoryEstimate:
    weights: int
    gradients: int
    optimizer_state: int
    activations: int
    batch: int
    total: int


def check_optimizer(name: str) -> str:
    n = name.strip().lower()
    if n not in OPTIMIZERS:
        raise UserInputError(f"unknown optimizer {name!r} (choose from {', '.join(OPTIMIZERS)})")
    return n


def estimate_training_memory(
    spec: dict[str, Any], batch_size: int, *, optimizer: str = "adam", precision: str = "fp32"
) -> MemoryEstimate:
    params = count_params(spec)
    weights = 4 * params
    grads = 4 * params
    state = _OPTIMIZER_STATE_BYTES[check_optimizer(optimizer)] * params
    acts = activation_floats_per_sample(spec) * batch_size * ACTIVATION_BYTES.get(precision, 4)
    batch = input_bytes_per_sample(spec) * batch_size
    total = int((weights + grads + state + acts + batch) * _SLACK)
    return MemoryEstimate(weights, grads, state, acts, batch, total)


def largest_batch_that_fits(
    spec: dict[str, Any], available_bytes: int, *, optimizer: str = "adam", precision: str = "fp32"
) -> int:
    """The largest power-of-two batch (up to 65536) whose estimate fits in ``available_bytes``; 0 if none."""
    best = 0
    b = 1
    while b <= 65536:
        if estimate_training_memory(spec, b, optimizer=optimizer, precision=precision).total > available_bytes:
            break
        best = b
        b *= 2
    return best


def available_memory(device: str) -> int | None:
    """Bytes free for a training run on ``device`` now (None when it cannot be told)."""
    if device == "cpu":
        import psutil

        return int(psutil.virtual_memory().available)
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            return None
        free, _total = torch.cuda.mem_get_info(torch.device(device))
        return int(free)
    if device == "mps":
        # MPS shares the unified memory with the CPU; the OS's available memory is the honest bound.
        import psutil

        return int(psutil.virtual_memory().available)
    return None
