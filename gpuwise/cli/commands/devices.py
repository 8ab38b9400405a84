"""``gpuwise devices``: every compute device, and in one sentence why a GPU cannot be used."""

from __future__ import annotations

import argparse
import json

from gpuwise.cli.options import Subparsers, add_json_flag
from gpuwise.core.terminal_text import json_terminal_safe, terminal_safe
from gpuwise.core.units import format_bytes


def add_parser(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "devices",
        help="list the CPU and GPUs gpuwise can measure",
        description="List every compute device: the CPU with its peak (the formula, called "
        "theoretical only when the maximum clock is known, beside a short measured matmul), CUDA/ROCm "
        "GPUs and Apple MPS, and why a GPU is not usable when it is not.",
    )
    add_json_flag(p)
    p.add_argument("--no-probe", action="store_true", help="skip the ~1 s CPU matmul measurement")
    p.set_defaults(func=run)


def _print(text: str) -> None:
    print(terminal_safe(text))  # names and notes come from drivers and /proc


def run(args: argparse.Namespace) -> int:
    from gpuwise.core import devices

    inv = devices.discover_devices()
    measured, how = (None, "") if args.no_probe else devices.probe_cpu_matmul_gflops()
    peak = devices.describe_cpu_peak(inv.cpu, measured, how)
    if args.json:
        out = inv.to_dict()
        out["cpu_peak"] = peak.to_dict()
        print(json_terminal_safe(json.dumps(out, indent=2)))
        return 0
    c = inv.cpu
    label = "theoretical" if peak.formula_label == "theoretical peak" else "formula (not a theoretical peak)"
    formula = f"{c.peak_fp32_gflops:g} GFLOP/s fp32 {label}" if c.peak_fp32_gflops else "peak unknown"
    clock_from = devices.CLOCK_SOURCES.get(c.clock_source, "origin unknown")
    _print(f"cpu      {c.model}")
    _print(
        f"         {c.physical_cores} physical / {c.logical_cores} logical cores, {c.arch}, SIMD {c.simd}, "
        f"clock {c.clock_ghz or '?'} GHz ({clock_from})"
    )
    _print(f"         {formula} = {c.peak_formula}")
    if measured:
        _print(f"         {measured:.0f} GFLOP/s measured ({how})")
    _print(f"         RAM {format_bytes(c.ram_total)} total, {format_bytes(c.ram_available)} available")
    for g in inv.gpus:
        mem = format_bytes(g.memory_total) if g.memory_total else "shared memory"
        extra = []
        if g.compute_capability:
            extra.append(f"compute capability {g.compute_capability}")
        if g.driver_version:
            extra.append(f"driver {g.driver_version}")
        if g.runtime_version:
            extra.append(f"{'ROCm/HIP' if g.backend == 'rocm' else 'CUDA'} {g.runtime_version}")
        _print(f"{g.id:<8} {g.name}, {mem}" + (f" ({', '.join(extra)})" if extra else ""))
    for note in (*peak.notes, *inv.notes):
        _print(f"note     {note}")
    _print(f"torch    {inv.torch_version}")
    return 0
