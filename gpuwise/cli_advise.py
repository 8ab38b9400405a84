"""``gpuwise advise REPORT.json``: the verdict — is a GPU worth its price for this job? — from a measured report."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from typing import Any

from gpuwise.core.errors import UserInputError
from gpuwise.core.units import parse_count

EPILOG = """examples:
  gpuwise advise report.json                         # estimates for T4 and H100 SXM at list prices
  gpuwise advise report.json --gpu A100-80GB,l4 --samples 10M --epochs 20
  gpuwise advise report.json --preset aws-g5.xlarge --cpu-price 0.17
  gpuwise advise report.json --cpu-price 0.34 --gpu-price 1.01 --gpu a10g --json
  gpuwise advise report.json --params 10B --samples 1M  # with a large-model projection
  gpuwise advise --list-presets
Prices are US dollars per hour. Without price flags the prices saved in the app are used, else list prices."""

# From this size on (or when the model does not fit this machine) the back-of-the-envelope 6·N·D projection
# is added: the article's "a 10B model takes years on a CPU".
PROJECT_FROM_PARAMS = 1_000_000_000


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "advise", help="is a GPU worth its price for this job? (verdict from a report)", epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Turn a measured report into a verdict: time to train and job cost on the CPU and on GPUs "
        "(measured, or estimated from the GPU catalog — labeled), the speedup with its 95 % CI against the "
        "price ratio, break-even dataset and model sizes, and whether the model fits in memory.",
    )  # fmt: skip
    p.add_argument("report", nargs="?", help="a report JSON written by 'gpuwise bench --out' or the app")
    p.add_argument("--cpu-price", help="CPU machine price in $/h")
    p.add_argument("--gpu-price", help="GPU machine price in $/h (for the measured GPU, or the first --gpu)")
    p.add_argument("--preset", help="price preset name(s), comma-separated (see --list-presets)")
    p.add_argument("--gpu", help="catalog GPUs to compare, comma-separated (e.g. T4,A100-80GB,H100)")
    p.add_argument("--family", help="model family of the job (default: the report's)")
    p.add_argument("--params", help="model size in parameters, e.g. 25M (default: the report's largest)")
    p.add_argument("--samples", help="dataset size in samples, e.g. 1M (default: the report's)")
    p.add_argument("--epochs", help="epochs (default: the report's)")
    p.add_argument("--batch", help="batch size (default: the report's)")
    p.add_argument("--precision", help="fp32, tf32, bf16 or fp16 (default: the report's)")
    p.add_argument("--project", action="store_true", help="add the 6·N·D large-model projection")
    p.add_argument("--flops", choices=("counted", "analytic"), default="counted",
                   help="FLOPs of models not measured: counted by torch's FlopCounterMode (default) or "
                   "from the layer shapes (faster, no torch import, within a few %%)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")
    p.add_argument("--list-presets", action="store_true", help="list the price presets and exit")
    p.set_defaults(func=run)


def parse_price(text: str, what: str) -> float:
    from gpuwise.core.prices import check_price

    try:
        value = float(text.strip().lstrip("$").removesuffix("/h"))
    except ValueError:
        raise UserInputError(f"{what} {text!r} is not a number of dollars per hour (e.g. 0.34)") from None
    return check_price(value, what)


def _count(text: str | None, what: str) -> int | None:
    if text is None:
        return None
    v = parse_count(text, what=what)
    if v < 1:
        raise UserInputError(f"{what} must be at least 1 (got {text})")
    return v


def build_prices(args: argparse.Namespace, logical_cores: int | None, has_measured_gpu: bool) -> tuple[Any, str]:
    """PriceSettings from saved prices / presets / flags (flags win), and a note on what was ignored."""
    from gpuwise.core.catalog import find_gpus
    from gpuwise.core.prices import PriceSettings, effective_prices, find_preset, list_price

    base, note = effective_prices(logical_cores)
    cpu, gpu, cpu_preset, gpu_preset, gpu_name = (base.cpu_per_hour, base.gpu_per_hour, base.cpu_preset,
                                                  base.gpu_preset, base.gpu)  # fmt: skip
    preset_gpu = False
    for name in (args.preset or "").split(","):
        if not name.strip():
            continue
        pr = find_preset(name.strip())
        if pr.kind == "cpu":
            cpu, cpu_preset = pr.usd_per_hour, pr.name
        else:
            gpu, gpu_preset, gpu_name, preset_gpu = pr.usd_per_hour, pr.name, pr.gpu, True
    if args.gpu and not preset_gpu and not has_measured_gpu:
        # the verdict is about the first GPU asked for: its list price unless the user gives one
        first = find_gpus(args.gpu)[0]
        gpu_name = first.name
        listed = list_price(first.name)
        if listed is not None:
            gpu, gpu_preset = listed.usd_per_hour, listed.name
        elif args.gpu_price is None:
            raise UserInputError(f"no rental price is known for the {first.name}: give one with --gpu-price")
    if args.cpu_price is not None:
        cpu, cpu_preset = parse_price(args.cpu_price, "CPU price"), ""
    if args.gpu_price is not None:
        gpu, gpu_preset = parse_price(args.gpu_price, "GPU price"), ""
    return PriceSettings(cpu, gpu, gpu_preset=gpu_preset, cpu_preset=cpu_preset,
                         gpu="" if has_measured_gpu else gpu_name), note  # fmt: skip


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
    workload = default_workload(report)  # also refuses a report without CPU points
    changes: dict[str, Any] = {}
    for key, what in (("params", "model size"), ("samples", "dataset size"), ("epochs", "epochs"),
                      ("batch", "batch size")):  # fmt: skip
        v = _count(getattr(args, key), what)
        if v is not None:
            changes["batch_size" if key == "batch" else key] = v
    if args.family:
        changes["family"] = args.family.strip().lower()
    if args.precision:
        changes["precision"] = args.precision.strip().lower()
    workload = replace(workload, **changes)
    measured_gpu = any(p.device != "cpu" and p.status == "ok" and not p.estimated for p in report.points)
    cpu = report.machine.get("cpu")
    cores = cpu.get("logical_cores") if isinstance(cpu, dict) else None
    prices, note = build_prices(args, cores if isinstance(cores, int) else None, measured_gpu)
    from gpuwise.core.catalog import find_gpus

    compare = [g.name for g in find_gpus(args.gpu)] if args.gpu else []
    method = "auto" if args.flops == "counted" else "analytic"
    verdict = compute_verdict(report, workload, prices=prices, compare=compare, flops_method=method)
    projections = _projections(args, report, verdict)
    if args.json:
        out = verdict.to_dict()
        out["large_model_projection"] = [p.to_dict() for p in projections]
        if note:
            out["notes"].append(note)
        print(json.dumps(out, indent=2, ensure_ascii=False, allow_nan=False))
        return 0
    text = verdict.to_text()
    if projections:
        text += "\n\nLarge-model projection (6 × parameters × tokens FLOPs; estimates):\n"
        text += "\n".join(p.text for p in projections)
    if note:
        print(f"gpuwise: note: {note}", file=sys.stderr)
    print(text)
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
