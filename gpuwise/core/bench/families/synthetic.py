"""What gpuwise's own synthetic families (mlp, cnn, transformer) share: class count, shapes, the size range."""

from __future__ import annotations

from gpuwise.core.errors import UserInputError

MIN_PARAMS = 1_000
MAX_PARAMS = 10_000_000_000
NUM_CLASSES = 10
IMAGE_SHAPE = (3, 32, 32)
SEQ_LEN = 64
BYTES_FP32 = 4
BYTES_TOKEN = 8  # int64 token ids
BYTES_LABEL = 8  # int64 class label


def check_params(target: int) -> int:
    if not MIN_PARAMS <= target <= MAX_PARAMS:
        raise UserInputError(f"model size {target:,} is out of range (1k to 10B parameters)")
    return target
