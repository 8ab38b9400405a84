"""One price resolution for every surface: which $/h the verdict uses for the CPU and for each GPU, and why.

- The CPU is priced for the report's machine: a CPU preset follows the report's core count (a 16-core report
  opened on a 2-core laptop is not priced as a 2-vCPU instance); a price the user typed is kept.
- A measured GPU is priced as what it is: the given price when it is for that GPU (or typed by the user), else its
  list price, else its same-architecture sibling's list price (with a note).
- The primary catalog GPU (no GPU measured) gets the given GPU price; every other catalog GPU its list price, else
  its sibling's, else no price (a GPU one buys rather than rents).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from gpuwise.core.catalog import GpuSpec, find_gpu, load_catalog, match_device_name, normalize_name
from gpuwise.core.errors import UserInputError
from gpuwise.core.prices import Preset, PriceSettings, default_cpu_preset, find_preset, list_price, load_presets
from gpuwise.core.report import Point, Report


@dataclass(frozen=True)
class GpuPrice:
    usd_per_hour: float | None
    note: str  # where the price came from, for people
    preset: str = ""  # the preset it is, if any
    gpu: str = ""  # the catalog GPU the preset is for
    like: str = ""  # for a GPU without a list price: how its sibling's was chosen


def is_catalog(name: str) -> bool:
    try:
        find_gpu(name)
    except UserInputError:
        return False
    return True


def _sibling(gpu: GpuSpec) -> Preset | None:
    """The list price of the catalog GPU of the same architecture and segment closest in fp32 peak, or None.

    Only a rented class prices its kin: a GeForce card one buys is not priced like a data-centre rental.
    """
    priced = [
        (g, list_price(g.name))
        for g in load_catalog()
        if g.architecture == gpu.architecture and g.segment == gpu.segment and g != gpu
    ]
    found = [(g, pr) for g, pr in priced if pr is not None]
    if not found:
        return None
    return min(found, key=lambda gp: abs(gp[0].fp32_tflops - gpu.fp32_tflops))[1]


def catalog_price(gpu: GpuSpec) -> GpuPrice:
    """A catalog GPU's rental price: its list price, else its sibling's (said), else none."""
    listed = list_price(gpu.name)
    if listed is not None:
        return GpuPrice(listed.usd_per_hour, f"list price: {listed.label}, {listed.date}", listed.name, listed.gpu)
    sib = _sibling(gpu)
    if sib is not None:
        like = f"priced like the {sib.gpu} (the same {gpu.architecture} chip class; {sib.label}, {sib.date})"
        return GpuPrice(sib.usd_per_hour, f"no list price for the {gpu.name}: {like}", sib.name, sib.gpu, like)
    return GpuPrice(None, "no rental price known (a GPU one buys rather than rents)")


def cpu_prices_for(settings: PriceSettings, logical_cores: int | None) -> PriceSettings:
    """A CPU preset for another core count is swapped for the report machine's; a typed or picked one stays."""
    if not settings.cpu_preset or settings.cpu_pinned or not logical_cores:
        return settings
    cpus = [p for p in load_presets() if p.kind == "cpu"]
    current = next((p for p in cpus if p.name == settings.cpu_preset), None)
    if current is None or current.vcpus == logical_cores or not any(p.vcpus == logical_cores for p in cpus):
        return settings
    target = default_cpu_preset(logical_cores)
    return replace(settings, cpu_per_hour=target.usd_per_hour, cpu_preset=target.name)


def report_cores(report: Report) -> int | None:
    cpu = report.machine.get("cpu")
    v = cpu.get("logical_cores") if isinstance(cpu, dict) else None
    return v if isinstance(v, int) and not isinstance(v, bool) and v > 0 else None


def measured_gpu_name(points: Sequence[Point], device: str) -> str:
    return next((p.device_name for p in points if p.device == device and p.device_name), device)


def price_measured_gpu(name: str, settings: PriceSettings) -> tuple[PriceSettings, str]:
    """``settings`` with the GPU price for a measured GPU called ``name``, and a note when it was changed."""
    if not settings.gpu_preset:
        return settings, ""  # typed by the user: theirs
    match = match_device_name(name)
    try:
        preset_gpu = find_preset(settings.gpu_preset).gpu
    except UserInputError:
        preset_gpu = settings.gpu
    if match is not None and preset_gpu and normalize_name(preset_gpu) == normalize_name(match.name):
        return settings, ""
    found = catalog_price(match) if match is not None else None
    if found is None or found.usd_per_hour is None:
        return settings, (
            f"No list price is known for the measured {name}: it is priced like the "
            f"{preset_gpu or 'preset'} (${settings.gpu_per_hour:g}/h). Set its real price "
            f"(--gpu-price, or the GPU price in the app)."
        )
    note = (
        f"The measured {name} is priced at its {found.note}."
        if not found.like
        else f"No list price is known for the measured {name}: it is {found.like}. Set its real price (--gpu-price, "
        f"or the GPU price in the app)."
    )
    return replace(settings, gpu_per_hour=found.usd_per_hour, gpu_preset=found.preset, gpu=found.gpu), note


@dataclass(frozen=True)
class Pricing:
    """The resolved prices: ``settings`` as the verdict uses them and the GPU its GPU price is for."""

    settings: PriceSettings
    primary: str  # the device (measured) or catalog name the GPU price is for
    primary_label: str
    notes: tuple[str, ...] = ()
    # what each measured device calls itself: a second measured GPU ("cuda:1") is priced by its name
    names: Mapping[str, str] = field(default_factory=dict)

    def gpu_price(self, device: str) -> GpuPrice:
        if device == self.primary:
            s = self.settings
            return GpuPrice(
                s.gpu_per_hour, f"preset {s.gpu_preset}" if s.gpu_preset else "your price", s.gpu_preset, s.gpu
            )
        name = self.names.get(device, device)
        if is_catalog(name):
            return catalog_price(find_gpu(name))
        match = match_device_name(name)
        return catalog_price(match) if match else GpuPrice(None, "no rental price known")


def resolve_prices(
    report: Report, settings: PriceSettings, measured_gpus: Sequence[str], catalog: Sequence[GpuSpec]
) -> Pricing:
    """The prices of this verdict: the CPU for the report's machine, the primary GPU, the note on each change."""
    settings = cpu_prices_for(settings, report_cores(report))
    if measured_gpus:
        primary = measured_gpus[0]
        name = measured_gpu_name(report.points, primary)
        settings, note = price_measured_gpu(name, settings)
        names = {d: measured_gpu_name(report.points, d) for d in measured_gpus}
        return Pricing(settings, primary, name, (note,) if note else (), names)
    if settings.gpu and is_catalog(settings.gpu):
        g = find_gpu(settings.gpu)
        return Pricing(settings, g.name, g.name)
    first = catalog[0]
    return Pricing(settings, first.name, first.name)


def prices_for_gpu(settings: PriceSettings, gpu: GpuSpec) -> tuple[PriceSettings, str]:
    """``settings`` with the GPU price for the catalog ``gpu`` the user asked about first (``advise --gpu X``)."""
    found = catalog_price(gpu)
    if found.usd_per_hour is None:
        raise UserInputError(f"no rental price is known for the {gpu.name}: give one with --gpu-price")
    note = "" if found.gpu == gpu.name else f"The {found.note}."
    return replace(settings, gpu_per_hour=found.usd_per_hour, gpu_preset=found.preset, gpu=gpu.name), note
