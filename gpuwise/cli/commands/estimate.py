"""``gpuwise estimate``: estimated training speed on GPUs you do not have (from the catalog; always labeled)."""

from __future__ import annotations

import argparse
import json

from gpuwise.cli.models import add_model_arguments, model_choice
from gpuwise.cli.options import Subparsers, add_json_flag, count, required_count
from gpuwise.core.errors import UserInputError
from gpuwise.core.units import format_bytes, format_count, format_duration

EPILOG = """examples:
  gpuwise estimate --gpu A100-80GB,H100-SXM,T4 --family transformer --params 110M --batch 32 --precision fp16
  gpuwise estimate --gpu l4,a10g --family cnn --params 5M --batch 256 --samples 1M --epochs 10
  gpuwise estimate --gpu h100 --family mlp --params 20M --batch 512 --json
  gpuwise estimate --gpu t4,a100-80gb --model resnet50 --batch 256 --precision bf16
Every number is an estimate from spec-sheet peaks and published measurements (see 'gpuwise advise' to compare
with a CPU you measured)."""


def add_parser(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "estimate",
        help="estimate training speed on catalog GPUs (no GPU needed)",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Estimate, per GPU, the step time, samples/s, achieved TFLOP/s, what limits the step, whether "
        "the model fits in memory and the uncertainty band, for a model you describe. Nothing is measured: the "
        "figures come from the GPU catalog's peaks and published efficiencies, and are labeled as estimates.",
    )
    p.add_argument("--gpu", required=True, help="catalog GPUs, comma-separated (e.g. T4,A100-80GB,H100)")
    p.add_argument("--family", default="transformer", help="model family: mlp, cnn or transformer (default)")
    p.add_argument("--params", help="model size in parameters, e.g. 110M (a family's size; not with --model)")
    add_model_arguments(p)
    p.add_argument("--batch", default="32", help="batch size (default 32)")
    p.add_argument("--precision", default="fp32", help="fp32 (default), tf32, bf16 or fp16")
    p.add_argument("--optimizer", default="adam", help="adam (default) or sgd")
    p.add_argument("--samples", help="dataset size in samples: adds the time to train")
    p.add_argument("--epochs", default="1", help="epochs (with --samples; default 1)")
    p.add_argument(
        "--flops",
        choices=("counted", "analytic"),
        default="analytic",
        help="FLOPs from the layer shapes (default, no torch import) or counted by torch's FlopCounterMode",
    )
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gpuwise.core.bench.memory import check_optimizer
    from gpuwise.core.bench.workloads import MIN_PARAMS, build_spec, check_params, describe, is_resizable
    from gpuwise.core.gpu_estimates import estimate_gpus

    family, options = model_choice(args)
    if not is_resizable(family):
        if args.params is not None:
            raise UserInputError(f"--params does not apply to {args.model}: it has its own size")
        params = MIN_PARAMS
    elif args.params is None:
        raise UserInputError("give --params (a model size) or --model")
    else:
        params = check_params(required_count(args.params, "model size"))
    batch = required_count(args.batch, "batch size")
    epochs = required_count(args.epochs, "epochs")
    samples = count(args.samples, "dataset size")
    precision = args.precision.strip().lower()
    optimizer = check_optimizer(args.optimizer)
    spec = build_spec(family, params, options)
    rows = estimate_gpus(
        args.gpu,
        spec,
        batch,
        precision=precision,
        optimizer=optimizer,
        samples=samples,
        epochs=epochs,
        flops_method="auto" if args.flops == "counted" else "analytic",
    )
    workload = {
        "family": family,
        "params": int(spec["params"]),
        "architecture": describe(spec),
        "batch": batch,
        "precision": precision,
        "optimizer": optimizer,
        "samples": samples,
        "epochs": epochs,
    }
    if args.json:
        print(
            json.dumps(
                {"estimated": True, "workload": workload, "gpus": [r.to_dict() for r in rows]},
                indent=2,
                ensure_ascii=False,
                allow_nan=False,
            )
        )
        return 0
    print(
        f"Estimated training on GPUs (estimates from spec peaks and published measurements, not measured)\n"
        f"model: {describe(spec)} ({format_count(spec['params'])} parameters), batch {batch}, {precision}, "
        f"{optimizer}"
    )
    header = ["GPU", "step (est.)", "band", "samples/s", "TFLOP/s", "limited by", "memory"]
    if samples is not None:
        header.append(f"time to train {format_count(samples)} x {epochs} (est.)")
    table = []
    for r in rows:
        e = r.step
        if e.fits is None:
            mem = "fit unknown"
        else:
            verdict = "fits" if e.fits else "does NOT fit"
            mem = f"{verdict} ({format_bytes(e.memory_needed or 0)} of {format_bytes(e.memory_available or 0)})"
        line = [
            r.gpu,
            format_duration(e.step_s),
            f"{format_duration(e.band[0])}–{format_duration(e.band[1])}",
            f"{r.samples_per_s:,.0f}",
            f"{e.tflops:.3g}",
            r.limited_by,
            mem,
        ]
        if samples is not None:
            lo, hi = r.time_band_s or (0.0, 0.0)
            line.append(f"{format_duration(r.time_to_train_s or 0.0)} ({format_duration(lo)}–{format_duration(hi)})")
        table.append(line)
    widths = [max(len(row[i]) for row in (header, *table)) for i in range(len(header))]
    for row in (header, *table):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    print("basis:")
    for r in rows:
        print(f"  {r.gpu}: {r.step.basis}")
    return 0
