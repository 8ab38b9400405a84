"""How the charts name a device: a compared report's tag, the CPU, and "(estimate)" for a catalog GPU."""

from __future__ import annotations


def split_device(device: str) -> tuple[str, str]:
    """``"cuda:0 · laptop"`` -> ``("cuda:0", "laptop")``: a compared report tags its devices with its name."""
    base, _, tag = device.partition(" · ")
    return base, tag


def is_cpu(device: str) -> bool:
    return split_device(device)[0] == "cpu"


def device_label(device: str, estimated: bool) -> str:
    return f"{device} (estimate)" if estimated else device
