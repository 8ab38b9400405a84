"""A measured GPU is priced as what it is, not as whatever GPU the default preset was for."""

from __future__ import annotations

from dataclasses import replace

from gpuwise.core.prices import PriceSettings, default_prices, find_preset
from gpuwise.core.report import Report, load_report
from gpuwise.core.resources import resource_path
from gpuwise.core.verdict import compute_verdict

EXAMPLE = "example-h200-xeon16-mlp.json"


def _example(device_name: str | None = None) -> Report:
    report = load_report(resource_path(EXAMPLE))
    if device_name is None:
        return report
    points = [replace(p, device_name=device_name) if p.device != "cpu" else p for p in report.points]
    return replace(report, points=points)


def test_an_h200_without_a_list_price_is_priced_like_its_hopper_sibling() -> None:
    v = compute_verdict(_example(), prices=default_prices(16))
    h100 = find_preset(v.prices.gpu_preset)
    assert h100.gpu == "H100 SXM"
    assert v.prices.gpu_per_hour == h100.usd_per_hour
    assert any("No list price is known for the measured NVIDIA H200" in n for n in v.notes)
    assert "at 0.74× the price" not in v.sentence  # the T4's price made an H200 look cheaper than a CPU


def test_a_measured_gpu_with_a_list_price_gets_it() -> None:
    v = compute_verdict(_example("Tesla T4"), prices=default_prices(16))
    assert find_preset(v.prices.gpu_preset).gpu == "T4"
    assert not any("No list price" in n for n in v.notes)


def test_a_price_the_user_typed_is_kept() -> None:
    mine = PriceSettings(cpu_per_hour=0.5, gpu_per_hour=1.25, gpu_preset="", cpu_preset="")
    v = compute_verdict(_example(), prices=mine)
    assert v.prices.gpu_per_hour == 1.25
    assert not any("priced like" in n for n in v.notes)
