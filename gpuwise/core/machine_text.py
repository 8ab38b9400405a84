"""Short texts that name a report's machine and devices for people (titles, history rows, chart legends).

Any field may be missing or of the wrong type: reports come from other machines and other versions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def _cpu(machine: dict[str, Any]) -> dict[str, Any]:
    cpu = machine.get("cpu")
    return cpu if isinstance(cpu, dict) else {}


def gpu_names(machine: dict[str, Any]) -> dict[str, str]:
    """``{"cuda:0": "NVIDIA H200", ...}`` from a report's machine dict."""
    gpus = machine.get("gpus")
    if not isinstance(gpus, list):
        return {}
    return {str(g.get("id")): str(g.get("name")) for g in gpus if isinstance(g, dict) and g.get("name")}


def machine_summary(machine: dict[str, Any]) -> str:
    """One line such as ``Intel Xeon … (2 cores) + NVIDIA A10G``."""
    cpu = _cpu(machine)
    text = str(cpu.get("model") or "unknown CPU")
    cores = cpu.get("physical_cores")
    if isinstance(cores, int) and not isinstance(cores, bool):
        text += f" ({cores} cores)"
    names = list(gpu_names(machine).values())
    if names:
        text += " + " + ", ".join(names)
    return text


def machine_short(machine: dict[str, Any]) -> str:
    """A short tag for a legend: ``16-core Xeon`` style, the CPU's model shortened to its brand words."""
    cpu = _cpu(machine)
    model = str(cpu.get("model") or "unknown CPU")
    for noise in ("(R)", "(TM)", "(tm)", "CPU", "Processor", "processor"):
        model = model.replace(noise, " ")
    model = " ".join(model.split()[:3]) or "CPU"
    cores = cpu.get("physical_cores")
    if isinstance(cores, int) and not isinstance(cores, bool):
        return f"{cores}-core {model}"
    return model


def device_display_name(device: str, device_name: str, machine: dict[str, Any]) -> str:
    """The device by its name ("NVIDIA H200", not "cuda:0"); the CPU as "CPU"."""
    if device == "cpu":
        return "CPU"
    return device_name or gpu_names(machine).get(device) or device


def devices_text(devices: Iterable[str], machine: dict[str, Any]) -> str:
    """``CPU, NVIDIA H200`` for the devices a run measured (or planned to)."""
    names = gpu_names(machine)
    out: list[str] = []
    for d in devices:
        label = "CPU" if d == "cpu" else names.get(d, d)
        if label not in out:
            out.append(label)
    return ", ".join(out)


def tagged_device(device: str, device_name: str, machine: dict[str, Any], tag: str) -> str:
    """A device renamed for a chart that overlays several machines: ``NVIDIA H200 · 16-core Intel Xeon``.

    The CPU keeps the id ``cpu`` (the charts pair each GPU with the CPU of the same tag by it)."""
    base = "cpu" if device == "cpu" else device_display_name(device, device_name, machine)
    return f"{base} · {tag}"
