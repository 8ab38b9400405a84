"""The verdict's values (``gpuwise.core.decide.values``), stated as behaviour: which jobs a ``Workload`` accepts
and how it refuses the others, what a break-even and a price book answer, and the verdict's JSON.

Written against the mutants of ``benchmarks/mutation.py values`` that the verdict tests let through.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from gpuwise.core.decide.values import BreakEven, DeviceVerdict, PriceBook, Verdict, Workload
from gpuwise.core.errors import UserInputError
from gpuwise.core.prices import PriceSettings


@pytest.mark.parametrize(
    "kw",
    [
        {"family": "resnet18", "params": 1},  # a fixed model: any positive size (its own)
        {"params": 1000},
        {"params": 10**10},
        {"samples": 1},
        {"samples": 10**12},
        {"epochs": 10**6},
        {"batch_size": 1},
        {"batch_size": 65536},
        {"optimizer": "sgd"},
    ],
)
def test_a_workload_accepts_every_size_up_to_its_limits(kw: dict[str, Any]) -> None:
    args = {"family": "mlp", "params": 100_000, "samples": 1000, **kw}
    assert Workload(**args).to_dict()["params"] == args["params"]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"family": "resnet18", "params": 0}, "model size 0 is out of range (1k to 10B parameters)"),
        ({"params": 999}, "model size 999 is out of range (1k to 10B parameters)"),
        ({"params": 10**10 + 1}, "model size 10,000,000,001 is out of range (1k to 10B parameters)"),
        ({"samples": 0}, "dataset size 0 is out of range (1 to 1,000,000,000,000)"),
        ({"samples": 10**12 + 1}, "dataset size 1,000,000,000,001 is out of range (1 to 1,000,000,000,000)"),
        ({"epochs": 10**6 + 1}, "epochs 1,000,001 is out of range (1 to 1,000,000)"),
        ({"batch_size": 65537}, "batch size 65,537 is out of range (1 to 65,536)"),
        ({"optimizer": "lion"}, "unknown optimizer 'lion' (choose from adam, sgd)"),
    ],
)
def test_a_workload_out_of_range_is_refused_in_one_readable_line(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(UserInputError, match=f"^{re.escape(message)}$"):
        Workload(**{"family": "mlp", "params": 100_000, "samples": 1000, **kw})


def test_a_break_even_range_includes_both_ends() -> None:
    be = BreakEven("samples", None, "", "", False, ((None, 5.0), (10.0, 20.0)))
    assert [be.pays_at(x) for x in (5.0, 5.5, 10.0, 20.0, 20.5)] == [True, False, True, True, False]


def test_a_break_even_as_json_has_its_ranges_as_lists_and_its_line() -> None:
    be = BreakEven("params", 5e5, "above", "why", False, ((5e5, None),), "cuda:0")
    assert be.to_dict() == {
        "dimension": "params",
        "value": 5e5,
        "direction": "above",
        "reason": "why",
        "estimated": False,
        "pays_on": [[5e5, None]],
        "device": "cuda:0",
        "text": "Break-even model size: the GPU pays above ~500k parameters (why)",
    }


def test_a_price_book_prices_each_listed_gpu_and_the_rest_alike() -> None:
    book = PriceBook(0.5, 3.0, "per_hour", (("A100", 2.0),))
    assert (book.gpu("A100"), book.gpu("T4")) == (2.0, 3.0)
    assert (book.ratio("A100"), book.ratio("T4")) == (4.0, 6.0)
    flat = PriceBook.flat(4.0)
    assert (flat.cpu_per_hour, flat.gpu_per_hour, flat.billing, flat.gpus) == (1.0, 4.0, "per_second", ())
    assert flat.ratio("anything") == 4.0


def device(device: str, kind: str, **kw: Any) -> DeviceVerdict:
    return DeviceVerdict(
        **{"device": device, "label": device.upper(), "kind": kind, "source": "measured", "basis": "", **kw}
    )


def test_the_verdict_price_book_and_json() -> None:
    w = Workload("mlp", 100_000, samples=1000)
    prices = PriceSettings(0.5, 3.0, billing="per_hour")
    be = BreakEven("samples", 2e4, "above", "why", False)
    g = device("cuda:0", "gpu", usd_per_hour=2.0, source="estimate")
    v = Verdict(
        workload=w,
        prices=prices,
        cpu=device("cpu", "cpu"),
        gpus=(g, device("t4", "gpu")),
        primary="cuda:0",
        outcome="gpu_pays",
        sentence="A GPU pays.",
        break_even_samples=be,
        break_even_params=None,
        memory_lines=("m",),
        idle_hour="idle",
        architecture="arch",
        notes=("n",),
        billing="per_hour",
    )
    book = v.price_book()
    assert (book.cpu_per_hour, book.gpu_per_hour, book.billing, book.gpus) == (0.5, 3.0, "per_hour", (("cuda:0", 2.0),))
    assert v.to_dict() == {
        "workload": w.to_dict(),
        "architecture": "arch",
        "prices": prices.to_dict(),
        "price_ratio": 6.0,
        "billing": "per_hour",
        "outcome": "gpu_pays",
        "sentence": "A GPU pays.",
        "estimated": True,
        "primary": "cuda:0",
        "cpu": v.cpu.to_dict(),
        "gpus": [g.to_dict(), v.gpus[1].to_dict()],
        "break_even_samples": be.to_dict(),
        "break_even_params": None,
        "memory": ["m"],
        "idle_hour": "idle",
        "rules": list(v.rules),
        "notes": ["n"],
    }


def test_a_speedup_reads_with_its_range_where_it_has_one() -> None:
    assert device("cpu", "cpu", speedup=3.0).speedup_text() == "1×"
    assert device("x", "gpu").speedup_text() == "n/a"
    assert device("x", "gpu", speedup=4.0).speedup_text() == "4.0×"
    ranged = device("x", "gpu", speedup=4.0, speedup_ci95=(3.0, 5.0))
    assert ranged.speedup_text() == "4.0× (3–5×)"
    assert ranged.speedup_text(" [{}]") == "4.0× [3–5×]"


def test_a_workload_describes_itself_for_people() -> None:
    assert Workload("mlp", 1_000_000, samples=1000, epochs=2, optimizer="sgd", batch_size=64).describe() == (
        "MLP 1M params, 1k samples × 2 epochs, batch 64, fp32, SGD"
    )
    assert Workload("mlp", 1_000_000, samples=1000).describe().endswith("1k samples × 1 epoch, batch 128, fp32, Adam")


def test_a_verdict_as_json_has_each_break_even_it_has() -> None:
    w = Workload("mlp", 100_000, samples=1000)
    be = BreakEven("params", 5e5, "above", "why", False)
    v = Verdict(
        workload=w,
        prices=PriceSettings(1.0, 2.0),
        cpu=device("cpu", "cpu"),
        gpus=(device("cuda:0", "gpu"),),
        primary="cuda:0",
        outcome="gpu_pays",
        sentence="",
        break_even_samples=None,
        break_even_params=be,
        memory_lines=(),
        idle_hour="",
    )
    d = v.to_dict()
    assert (d["break_even_samples"], d["break_even_params"]) == (None, be.to_dict())
