"""The model options that ``bench`` and ``estimate`` share: --model, --image-size, --seq-len (and --family)."""

from __future__ import annotations

import argparse
from typing import Any

from gpuwise.core.errors import UserInputError
from gpuwise.core.units import parse_count


def add_model_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        default=None,
        metavar="NAME|FILE.py:build|MODULE:build",
        help=f"a known model ({known_names()}) or your own (see the README); overrides --family/--params",
    )
    p.add_argument("--image-size", default=None, help="input image size of a torchvision model (default 224)")
    p.add_argument("--seq-len", default=None, help="sequence length of a language model (default 128/256)")


def resizable_names() -> str:
    from gpuwise.core.bench import families

    return ", ".join(families.resizable_names())


def known_names() -> str:
    from gpuwise.core.bench import families

    return ", ".join(n for n in families.names() if n not in families.resizable_names() and n != "custom")


def model_choice(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """(family, options) from --model/--family, --image-size and --seq-len. A model of your own is loaded (its
    code runs) here, because the user asked for it on the command line."""
    from gpuwise.core.bench import families

    options: dict[str, Any] = {}
    if args.image_size is not None:
        options["image_size"] = parse_count(args.image_size, what="image size")
    if args.seq_len is not None:
        options["seq_len"] = parse_count(args.seq_len, what="sequence length")
    name = (args.model or args.family).strip()
    if args.model and not families.is_known(name.lower()):
        from gpuwise.core.bench.families import custom

        spec = custom.load(name)
        return "custom", {"source": spec["source"]}
    family = families.get(name).key
    unknown = [k for k in options if k not in families.get(family).options]
    if unknown:
        opt = "--" + unknown[0].replace("_", "-")
        raise UserInputError(f"{opt} does not apply to {families.label(family)}")
    return family, options
