"""The training precisions gpuwise knows, and what each costs per activation: defined once, checked once."""

from __future__ import annotations

from typing import Final

from gpuwise.core.errors import UserInputError

PRECISIONS: Final = ("fp32", "tf32", "bf16", "fp16")
# Bytes per stored activation element: tf32 keeps fp32 storage (only the matmul inputs are rounded).
ACTIVATION_BYTES: Final = {"fp32": 4, "tf32": 4, "bf16": 2, "fp16": 2}


def check_precision(precision: str) -> str:
    """``precision`` when gpuwise knows it, else a :class:`UserInputError` listing the choices."""
    if precision not in PRECISIONS:
        raise UserInputError(f"unknown precision {precision!r} (choose from {', '.join(PRECISIONS)})")
    return precision
