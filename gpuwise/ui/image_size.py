"""Image sizes people type ("1600x1000"), checked without Qt so the CLI can refuse a typo before Qt starts."""

from __future__ import annotations

import re

from gpuwise.core.errors import UserInputError

DEFAULT_SIZE = (1600, 1000)
MIN_SIDE, MAX_SIDE = 100, 10_000


def parse_size(text: str) -> tuple[int, int]:
    """``"1600x1000"`` (or ``1600×1000``) -> ``(1600, 1000)``; each side 100 to 10000 pixels."""
    m = re.fullmatch(r"\s*(\d{1,6})\s*[xX×*]\s*(\d{1,6})\s*", text)
    if not m:
        raise UserInputError(f"size {text!r} is not WIDTHxHEIGHT in pixels (example: 1600x1000)")
    return check_size((int(m.group(1)), int(m.group(2))))


def check_size(size: tuple[int, int]) -> tuple[int, int]:
    w, h = int(size[0]), int(size[1])
    if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE):
        raise UserInputError(f"size {w}x{h} is out of range: each side must be {MIN_SIDE} to {MAX_SIDE} pixels")
    return w, h
