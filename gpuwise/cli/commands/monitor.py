"""``gpuwise monitor``: live CPU, memory and NVIDIA GPU readings in the terminal, or as JSON lines.

Each tick's reading covers the interval before it (CPU load is a difference of counters), so even ``--once``
waits one interval before it prints.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from collections.abc import Callable
from typing import TextIO, TypeVar

from gpuwise.cli.options import Subparsers, add_json_flag
from gpuwise.core.errors import UserInputError
from gpuwise.core.telemetry.host import HostSample
from gpuwise.core.telemetry.na import NA
from gpuwise.core.telemetry.na import format_number as _num
from gpuwise.core.telemetry.na import format_pct as _pct
from gpuwise.core.telemetry.na import format_size as _bytes
from gpuwise.core.telemetry.nvml import GpuSample
from gpuwise.core.telemetry.sampler import Sample, Sampler
from gpuwise.core.terminal_text import terminal_safe

MIN_INTERVAL_S = 0.25  # faster polling of NVML can stall a GPU and mostly shows counter noise
MAX_INTERVAL_S = 60.0
DEFAULT_INTERVAL_S = 1.0
_CORES_PER_LINE = 16
_V = TypeVar("_V")
_R = TypeVar("_R")


def check_interval(value: float | str) -> float:
    """Seconds between readings, 0.25–60; anything else is a :class:`UserInputError` saying why."""
    try:
        seconds = float(value)
    except ValueError:
        raise UserInputError(f"{value!r} is not a number of seconds") from None
    if not (MIN_INTERVAL_S <= seconds <= MAX_INTERVAL_S):  # also refuses NaN
        raise UserInputError(f"{value!r} is out of range: use {MIN_INTERVAL_S:g} to {MAX_INTERVAL_S:g} s")
    return seconds


def check_count(value: int | str | None) -> int | None:
    """How many readings to print; ``None`` means until Ctrl-C."""
    if value is None:
        return None
    try:
        count = int(value)
    except ValueError:
        raise UserInputError(f"{value!r} is not a whole number") from None
    if count < 1:
        raise UserInputError(f"{value!r} is not at least 1")
    return count


def _option(name: str, check: Callable[[_V], _R], value: _V) -> _R:
    try:
        return check(value)
    except UserInputError as err:
        raise UserInputError(f"{name}: {err}") from None


def add_parser(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "monitor",
        help="live CPU, memory and NVIDIA GPU readings",
        description=(
            "Print CPU load (total and per core), CPU clock, RAM and swap, and per NVIDIA GPU its load, "
            "memory, temperature, power, SM clock, throttling and processes. Without one it says why."
        ),
    )
    how_many = p.add_mutually_exclusive_group()
    how_many.add_argument("--once", action="store_true", help="print one reading and exit")
    how_many.add_argument(
        "--count", default=None, metavar="N", help="print N readings and exit (default: until Ctrl-C)"
    )
    add_json_flag(p, "one JSON object per line (n/a readings are null)")
    p.add_argument(
        "--interval",
        default=DEFAULT_INTERVAL_S,
        metavar="S",
        help=f"seconds between readings, {MIN_INTERVAL_S:g}–{MAX_INTERVAL_S:g} (default {DEFAULT_INTERVAL_S:g})",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace, *, sampler: Sampler | None = None) -> int:
    """Run ``gpuwise monitor``. Bad options raise :class:`UserInputError` (exit 2); Ctrl-C ends it with 0."""
    interval = _option("--interval", check_interval, getattr(args, "interval", DEFAULT_INTERVAL_S))
    once = bool(getattr(args, "once", False))
    count = 1 if once else _option("--count", check_count, getattr(args, "count", None))
    as_json = bool(getattr(args, "json", False))
    try:
        source = sampler if sampler is not None else Sampler()
        monitor(source, interval=interval, count=count, as_json=as_json)
    except KeyboardInterrupt:
        return 0
    except BrokenPipeError:
        # The reader went away (``gpuwise monitor | head``). Point stdout at devnull so that Python's final
        # flush at exit does not raise a second time with a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return 0


def monitor(
    sampler: Sampler,
    *,
    interval: float,
    count: int | None,
    as_json: bool,
    out: TextIO | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Print ``count`` readings (forever if ``None``), one every ``interval`` seconds on a fixed schedule."""
    stream = out if out is not None else sys.stdout
    if isinstance(stream, io.TextIOWrapper):
        # Redirected output on Windows is cp1252: a process name or "°C" it cannot encode must not end the run.
        stream.reconfigure(errors="replace")
    next_tick = clock() + interval
    printed = 0
    while count is None or printed < count:
        delay = next_tick - clock()
        if delay > 0:
            sleep(delay)
        sample = sampler.sample()
        # GPU and process names come from drivers: shown, never obeyed by the terminal
        stream.write(format_json(sample) if as_json else terminal_safe(format_human(sample)))
        stream.flush()  # a pipe reader (jq, a log) should see each tick as it happens
        printed += 1
        next_tick += interval
        if next_tick < clock():
            next_tick = clock() + interval  # after a suspend or a slow tick: skip, rather than print a burst


def format_json(sample: Sample) -> str:
    return json.dumps(sample.to_dict(), allow_nan=False) + "\n"


def format_human(sample: Sample) -> str:
    stamp = time.strftime("%H:%M:%S", time.localtime(sample.timestamp))
    lines = [f"-- {stamp} " + "-" * 40, *_host_lines(sample.host)]
    for gpu in sample.gpus:
        lines.extend(_gpu_lines(gpu))
    if not sample.gpu_state.ok:
        lines.append(f"GPU    {sample.gpu_state.message}")
    return "\n".join(lines) + "\n\n"


def _host_lines(host: HostSample) -> list[str]:
    cpu = (
        f"CPU    {_pct(host.cpu_pct):>5}   clock {_num(host.cpu_freq_mhz, 'MHz')}"
        f" (max {_num(host.cpu_freq_max_mhz, 'MHz')})   temp {_num(host.cpu_temp_c, '°C')}"
    )
    lines = [cpu]
    cores = host.per_core_pct or ()
    for start in range(0, len(cores), _CORES_PER_LINE):
        chunk = " ".join(f"{c:3.0f}" for c in cores[start : start + _CORES_PER_LINE])
        label = "cores" if start == 0 else ""
        lines.append(f"{label:<6} {chunk}")
    lines.append(
        f"RAM    {_bytes(host.ram_used_bytes)} / {_bytes(host.ram_total_bytes)}"
        f"   swap {_bytes(host.swap_used_bytes)} / {_bytes(host.swap_total_bytes)}"
    )
    return lines


def _gpu_lines(gpu: GpuSample) -> list[str]:
    head = (
        f"GPU{gpu.index:<3} {gpu.name}   util {_pct(gpu.utilization_pct)}"
        f"   mem {_bytes(gpu.memory_used_bytes)} / {_bytes(gpu.memory_total_bytes)}"
        f"   {_num(gpu.temperature_c, '°C')}"
        f"   power {_num(gpu.power_w, 'W')} / {_num(gpu.power_limit_w, 'W')}"
        f"   SM {_num(gpu.sm_clock_mhz, 'MHz')} / {_num(gpu.sm_clock_max_mhz, 'MHz')}"
    )
    reasons = gpu.throttle_reasons
    if reasons is NA:
        clocks = "clocks: n/a"
    elif reasons:
        clocks = "THROTTLED: " + ", ".join(reasons)
    else:
        events = gpu.clock_events or ()  # NA is falsy
        clocks = "not throttled" + (f" ({', '.join(events)})" if events else "")
    lines = [head, f"       {clocks}"]
    if gpu.processes is NA:
        lines.append("       processes: n/a")
    elif gpu.processes:
        procs = ", ".join(f"{p.pid} {p.name} ({_bytes(p.used_memory_bytes)})" for p in gpu.processes)
        lines.append(f"       processes: {procs}")
    else:
        lines.append("       processes: none")
    return lines
