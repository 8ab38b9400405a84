"""``gpuwise advise REPORT.json``: the verdict — is a GPU worth its price for this job? — from a measured report."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from typing import Any

from gpuwise.cli.options import Subparsers, add_json_flag, add_report_argument, count
from gpuwise.core.errors import UserInputError
from gpuwise.core.terminal_text import json_terminal_safe, terminal_safe

EPILOG = """examples:
  gpuwise advise report.json                         # estimates for T4 and H100 SXM at list prices
  gpuwise advise report.json --gpu A100-80GB,l4 --samples 10M --epochs 20
  gpuwise advise report.json --preset aws-g5.xlarge --cpu-price 0.17
  gpuwise advise report.json --cpu-price 0.34 --gpu-price 1.01 --gpu a10g --json
  gpuwise advise report.json --params 10B --samples 1M  # with a large-model projection
  gpuwise advise report.json --ddp 8 --gpu H100-SXM,A10G  # 8 GPUs vs 1 GPU vs the CPU
  gpuwise advise --list-presets
Prices are US dollars per hour. Without price flags the prices saved in the app are used, else list prices."""

# From this size on (or when the model does not fit this machine) the back-of-the-envelope 6·N·D projection
# is added: the article's "a 10B model takes years on a CPU".
PROJECT_FROM_PARAMS = 1_000_000_000


def add_parser(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "advise",
        help="is a GPU worth its price for this job? (verdict from a report)",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Turn a measured report into a verdict: time to train and job cost on the CPU and on GPUs "
        "(measured, or estimated from the GPU catalog — labeled), the speedup with its 95 % CI against the "
        "price ratio, break-even dataset and model sizes, and whether the model fits in memory.",
    )
    add_report_argument(p, "a report JSON written by 'gpuwise bench --out' or the app, or a run id", optional=True)
    add_price_arguments(p)
    p.add_argument("--family", help="model family of the job (default: the report's)")
    p.add_argument("--params", help="model size in parameters, e.g. 25M (default: the report's largest)")
    p.add_argument("--samples", help="dataset size in samples, e.g. 1M (default: the report's)")
    p.add_argument("--epochs", help="epochs (default: the report's)")
    p.add_argument("--batch", help="batch size (default: the report's)")
    p.add_argument("--precision", help="fp32, tf32, bf16 or fp16 (default: the report's)")
    p.add_argument("--project", action="store_true", help="add the 6·N·D large-model projection")
    p.add_argument(
        "--flops",
        choices=("counted", "analytic"),
        default="counted",
        help="FLOPs of models not measured: counted by torch's FlopCounterMode (default) or "
        "from the layer shapes (faster, no torch import, within a few %%)",
    )
    p.add_argument(
        "--ddp",
        metavar="N",
        help="also compare N GPUs (data-parallel) with 1 GPU and the CPU "
        "(default: shown when the report has 'bench --ddp' points, for their largest N)",
    )
    add_json_flag(p, "print the verdict as JSON")
    p.add_argument("--list-presets", action="store_true", help="list the price presets and exit")
    p.set_defaults(func=run)


def add_price_arguments(p: argparse.ArgumentParser) -> None:
    """The price and comparison options, the same for every command that prices a job (advise, plot)."""
    p.add_argument("--cpu-price", help="CPU machine price in $/h")
    p.add_argument("--gpu-price", help="GPU machine price in $/h (for the measured GPU, or the first --gpu)")
    p.add_argument("--preset", help="price preset name(s), comma-separated (see --list-presets)")
    p.add_argument("--billing", help="per-second (60 s minimum; the default) or per-hour (per started hour)")
    p.add_argument("--gpu", help="catalog GPUs to compare, comma-separated (e.g. T4,A100-80GB,H100)")


def parse_price(text: str, what: str) -> float:
    from gpuwise.core.prices import check_price

    try:
        value = float(text.strip().lstrip("$").removesuffix("/h"))
    except ValueError:
        raise UserInputError(f"{what} {text!r} is not a number of dollars per hour (e.g. 0.34)") from None
    return check_price(value, what)


def build_prices(args: argparse.Namespace, logical_cores: int | None, has_measured_gpu: bool) -> tuple[Any, str]:
    """PriceSettings from saved prices / presets / flags (flags win), and a note on what was ignored.

    Only the user's wishes are gathered here: which price each device gets is resolved once, in core.decide.
    """
    from gpuwise.core.catalog import find_gpus
    from gpuwise.core.decide.pricing import prices_for_gpu
    from gpuwise.core.decide.rule import check_billing
    from gpuwise.core.prices import effective_prices, find_preset

    base, note = effective_prices(logical_cores)
    changes: dict[str, Any] = {}
    preset_gpu = False
    for name in (args.preset or "").split(","):
        if not name.strip():
            continue
        pr = find_preset(name.strip())
        if pr.kind == "cpu":
            changes.update(cpu_per_hour=pr.usd_per_hour, cpu_preset=pr.name, cpu_pinned=True)
        else:
            changes.update(gpu_per_hour=pr.usd_per_hour, gpu_preset=pr.name, gpu=pr.gpu)
            preset_gpu = True
    settings = replace(base, **changes)
    if args.gpu and not preset_gpu and not has_measured_gpu:
        # the verdict is about the first GPU asked for: its list price (or its sibling's) unless the user gives one
        first = find_gpus(args.gpu)[0]
        if args.gpu_price is None:
            settings, why = prices_for_gpu(settings, first)
            note = "; ".join(n for n in (note, why) if n)
        else:
            settings = replace(settings, gpu=first.name)
    if args.cpu_price is not None:
        settings = replace(settings, cpu_per_hour=parse_price(args.cpu_price, "CPU price"), cpu_preset="")
    if args.gpu_price is not None:
        settings = replace(settings, gpu_per_hour=parse_price(args.gpu_price, "GPU price"), gpu_preset="")
    if args.billing is not None:
        settings = replace(settings, billing=check_billing(args.billing))
    if has_measured_gpu:
        settings = replace(settings, gpu="")
    return settings, note


def prices_for_report(args: argparse.Namespace, report: Any) -> tuple[Any, str, list[str]]:
    """The user's prices for ``report`` (from the price options), a note, and the catalog GPUs to compare."""
    from gpuwise.core.catalog import find_gpus
    from gpuwise.core.decide import measured_points
    from gpuwise.core.decide.pricing import report_cores

    measured_gpu = any(p.device != "cpu" for p in measured_points(report))
    prices, note = build_prices(args, report_cores(report), measured_gpu)
    compare = [g.name for g in find_gpus(args.gpu)] if args.gpu else []
    return prices, note, compare


def _list_presets() -> str:
    from gpuwise.core.prices import load_presets

    lines = ["name                 $/h       kind  what (source, date)"]
    for p in load_presets():
        lines.append(f"{p.name:20} {p.usd_per_hour:<9.4g} {p.kind:5} {p.label} ({p.provider}, {p.date})")
    lines.append("List prices on the date shown: edit them with --cpu-price / --gpu-price or in the app.")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.list_presets:
        print(_list_presets())
        return 0
    if not args.report:
        raise UserInputError("give a report JSON (from 'gpuwise bench --out report.json')")
    from gpuwise.core.history import load_report_or_run
    from gpuwise.core.verdict import compute_verdict, default_workload

    report = load_report_or_run(args.report)
    from gpuwise.core.scaling import single_process_report

    full_report, report = report, single_process_report(report)  # data-parallel points feed only the scaling
    workload = default_workload(report)  # also refuses a report without CPU points
    changes: dict[str, Any] = {}
    for key, what in (
        ("params", "model size"),
        ("samples", "dataset size"),
        ("epochs", "epochs"),
        ("batch", "batch size"),
    ):
        v = count(getattr(args, key), what)
        if v is not None:
            changes["batch_size" if key == "batch" else key] = v
    if args.family:
        changes["family"] = args.family.strip().lower()
    if args.precision:
        changes["precision"] = args.precision.strip().lower()
    workload = replace(workload, **changes)
    prices, note, compare = prices_for_report(args, report)
    method = "auto" if args.flops == "counted" else "analytic"
    verdict = compute_verdict(report, workload, prices=prices, compare=compare, flops_method=method)
    projections = _projections(args, report, verdict)
    scaling = _scaling(args, full_report, verdict)
    if args.json:
        out = verdict.to_dict()
        out["large_model_projection"] = [p.to_dict() for p in projections]
        if scaling is not None:
            out["scaling"] = scaling.to_dict()
        if note:
            out["notes"].append(note)
        print(json_terminal_safe(json.dumps(out, indent=2, ensure_ascii=False, allow_nan=False)))
        return 0
    text = verdict.to_text()
    if projections:
        text += "\n\nLarge-model projection (6 × parameters × tokens FLOPs; estimates):\n"
        text += "\n".join(p.text for p in projections)
    if scaling is not None:
        text += "\n\n" + scaling.to_text()
    if note:
        print(f"gpuwise: note: {terminal_safe(note, one_line=True)}", file=sys.stderr)
    print(terminal_safe(text))  # report strings are shown, never obeyed
    return 0


def _projections(args: argparse.Namespace, report: Any, verdict: Any) -> list[Any]:
    from gpuwise.core.bench.workloads import build_spec, tokens_per_sample
    from gpuwise.core.estimate import project_large_model

    w = verdict.workload
    cpu_fits = verdict.cpu.fits
    if not (args.project or w.params >= PROJECT_FROM_PARAMS or cpu_fits is False):
        return []
    tokens = tokens_per_sample(build_spec(w.family, w.params))
    devices = ["cpu", *(g.device for g in verdict.gpus if g.estimated)]
    return [project_large_model(w.params, w.samples, tokens, w.epochs, d, report=report) for d in devices]


def _scaling(args: argparse.Namespace, report: Any, verdict: Any) -> Any:
    """N GPUs vs 1 GPU vs the CPU: asked for with --ddp N, or shown because the report measured scaling."""
    from gpuwise.core.scaling import scaling_curves, scaling_verdict

    n = count(args.ddp, "--ddp")
    if n is None and not scaling_curves(report.points):
        return None
    if n is not None and not 2 <= n <= 1024:
        raise UserInputError(f"--ddp {n} is out of range (2 to 1024 devices)")
    return scaling_verdict(report, verdict.workload, verdict.cpu, verdict.gpus, n, billing=verdict.billing)
