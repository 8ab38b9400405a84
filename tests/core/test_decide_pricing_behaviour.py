"""Price resolution (``gpuwise.core.decide.pricing``), stated as behaviour: which $/h the verdict uses and why.

Written against the mutants of ``benchmarks/mutation.py pricing`` that the verdict tests let through.
"""

from __future__ import annotations

from typing import Any

import pytest

from gpuwise.core.catalog import find_gpu
from gpuwise.core.decide.pricing import (
    GpuPrice,
    catalog_price,
    cpu_prices_for,
    is_catalog,
    measured_gpu_name,
    price_measured_gpu,
    prices_for_gpu,
    report_cores,
    resolve_prices,
)
from gpuwise.core.errors import UserInputError
from gpuwise.core.prices import PriceSettings, find_preset, load_presets
from gpuwise.core.report import Point, Report


def _cpu(vcpus: int) -> str:
    return next(p.name for p in load_presets() if p.kind == "cpu" and p.vcpus == vcpus)


def _settings(cpu_vcpus: int = 2, **kw: Any) -> PriceSettings:
    preset = find_preset(_cpu(cpu_vcpus))
    return PriceSettings(cpu_per_hour=preset.usd_per_hour, gpu_per_hour=2.0, cpu_preset=preset.name, **kw)


def _report(machine: dict[str, Any]) -> Report:
    return Report(machine=machine, points=[], micro=[], created="2026-01-01T00:00:00+00:00")


def test_a_cpu_preset_follows_the_core_count_of_the_report_machine() -> None:
    swapped = cpu_prices_for(_settings(2), 16)
    target = find_preset(_cpu(16))
    assert (swapped.cpu_preset, swapped.cpu_per_hour) == (target.name, target.usd_per_hour)
    assert (swapped.gpu_per_hour, swapped.billing) == (2.0, "per_second")  # only the CPU price moves


def test_a_cpu_preset_already_for_the_report_machine_is_kept() -> None:
    s = _settings(8)
    assert cpu_prices_for(s, 8) == s


def test_a_picked_cpu_preset_is_not_swapped() -> None:
    s = _settings(2, cpu_pinned=True)
    assert cpu_prices_for(s, 16) == s


def test_a_typed_cpu_price_is_not_swapped() -> None:
    s = PriceSettings(cpu_per_hour=0.5, gpu_per_hour=2.0)
    assert cpu_prices_for(s, 16) == s


@pytest.mark.parametrize("cores", [None, 0])
def test_an_unknown_core_count_keeps_the_cpu_preset(cores: int | None) -> None:
    s = _settings(4)
    assert cpu_prices_for(s, cores) == s


def test_a_core_count_no_preset_has_keeps_the_cpu_preset() -> None:
    assert not any(p.vcpus == 6 for p in load_presets() if p.kind == "cpu")
    s = _settings(4)
    assert cpu_prices_for(s, 6) == s


@pytest.mark.parametrize(
    ("machine", "cores"),
    [
        ({"cpu": {"logical_cores": 16}}, 16),
        ({"cpu": {"logical_cores": 1}}, 1),
        ({"cpu": {"logical_cores": 0}}, None),
        ({"cpu": {"logical_cores": -4}}, None),
        ({"cpu": {"logical_cores": True}}, None),
        ({"cpu": {"logical_cores": "16"}}, None),
        ({"cpu": {"logical_cores": 16.0}}, None),
        ({"cpu": "16 cores"}, None),
        ({"cpu": {}}, None),
        ({}, None),
    ],
)
def test_the_report_core_count_is_a_positive_integer_or_unknown(machine: dict[str, Any], cores: int | None) -> None:
    assert report_cores(_report(machine)) == cores


def test_a_measured_gpu_without_a_device_name_is_called_by_its_device() -> None:
    p = Point(
        device="cuda:1",
        family="mlp",
        params=1000,
        architecture={},
        samples=128,
        batch_size=128,
        epochs=1,
        precision="fp32",
        threads=2,
        optimizer="adam",
        status="ok",
        device_name="",
    )
    assert measured_gpu_name([p], "cuda:1") == "cuda:1"
    assert measured_gpu_name([], "cuda:0") == "cuda:0"


def test_only_catalog_gpus_are_catalog_gpus() -> None:
    assert is_catalog("H100 SXM")
    assert not is_catalog("Imaginary GPU 9000")


@pytest.mark.parametrize("name", ["RTX 3060", "RTX 3090"])
def test_a_consumer_card_without_a_rental_is_not_priced_like_a_data_centre_one(name: str) -> None:
    assert catalog_price(find_gpu(name)).usd_per_hour is None


def test_a_gpu_without_a_list_price_is_priced_like_its_sibling_and_says_so() -> None:
    price = catalog_price(find_gpu("H200 SXM"))
    sibling = catalog_price(find_gpu("H100 SXM"))
    assert price.usd_per_hour == sibling.usd_per_hour
    assert (price.preset, price.gpu) == (sibling.preset, "H100 SXM")
    assert "H200 SXM" in price.note and "H100 SXM" in price.note
    assert "H100 SXM" in price.like


def test_a_listed_gpu_carries_its_preset_and_the_source_of_its_price() -> None:
    price = catalog_price(find_gpu("T4"))
    preset = find_preset(price.preset)
    assert (price.usd_per_hour, price.gpu, preset.gpu) == (preset.usd_per_hour, "T4", "T4")
    assert preset.label in price.note and preset.date in price.note
    assert price.like == ""


def test_asking_about_a_listed_gpu_prices_it_at_its_list_price() -> None:
    s, note = prices_for_gpu(_settings(2), find_gpu("T4"))
    preset = find_preset(catalog_price(find_gpu("T4")).preset)
    assert (s.gpu_per_hour, s.gpu_preset, s.gpu) == (preset.usd_per_hour, preset.name, "T4")
    assert s.cpu_per_hour == _settings(2).cpu_per_hour
    assert note == ""


def test_asking_about_an_unlisted_gpu_prices_it_like_its_sibling_and_says_so() -> None:
    s, note = prices_for_gpu(_settings(2), find_gpu("H200 SXM"))
    assert s.gpu == "H200 SXM"
    assert s.gpu_per_hour == catalog_price(find_gpu("H100 SXM")).usd_per_hour
    assert "H100 SXM" in note and note.endswith(".")


def test_asking_about_a_gpu_one_buys_asks_for_a_price() -> None:
    with pytest.raises(UserInputError, match="--gpu-price"):
        prices_for_gpu(_settings(2), find_gpu("RTX 3060"))


def _gpu_point(device: str, name: str) -> Point:
    return Point(
        device=device,
        family="mlp",
        params=1000,
        architecture={},
        samples=128,
        batch_size=128,
        epochs=1,
        precision="fp32",
        threads=2,
        optimizer="adam",
        status="ok",
        device_name=name,
    )


def _h100_settings(**kw: Any) -> PriceSettings:
    h100 = find_preset("lambda-h100-sxm")
    cpu = find_preset(_cpu(2))
    return PriceSettings(
        cpu_per_hour=cpu.usd_per_hour,
        gpu_per_hour=h100.usd_per_hour,
        cpu_preset=cpu.name,
        gpu_preset=h100.name,
        gpu="H100 SXM",
        **kw,
    )


def test_a_measured_gpu_priced_by_its_own_preset_keeps_it_without_a_note() -> None:
    s = _h100_settings()
    assert price_measured_gpu("H100 SXM", s) == (s, "")


def test_a_typed_gpu_price_is_kept_for_any_measured_gpu() -> None:
    s = PriceSettings(cpu_per_hour=0.1, gpu_per_hour=3.3)
    assert price_measured_gpu("NVIDIA A100-SXM4-80GB", s) == (s, "")


def test_a_measured_gpu_of_another_kind_is_priced_at_its_own_list_price_and_says_so() -> None:
    s, note = price_measured_gpu("NVIDIA A100-SXM4-80GB", _h100_settings())
    a100 = catalog_price(find_gpu("A100 80GB SXM"))
    assert (s.gpu_per_hour, s.gpu_preset, s.gpu) == (a100.usd_per_hour, a100.preset, "A100 80GB SXM")
    assert note.startswith("The measured NVIDIA A100-SXM4-80GB is priced at its list price")


def test_a_measured_gpu_without_a_list_price_is_priced_like_its_sibling_and_says_so() -> None:
    s, note = price_measured_gpu("NVIDIA H200", _settings(2, gpu_preset="lambda-a10", gpu="A10"))
    assert (s.gpu_per_hour, s.gpu) == (find_preset("lambda-h100-sxm").usd_per_hour, "H100 SXM")
    assert "No list price is known for the measured NVIDIA H200" in note and "--gpu-price" in note


def test_an_unknown_measured_gpu_keeps_the_preset_price_and_names_it() -> None:
    s = _h100_settings()
    out, note = price_measured_gpu("Mystery GPU", s)
    assert out == s
    assert "Mystery GPU" in note and "priced like the H100 SXM" in note and f"${s.gpu_per_hour:g}/h" in note


def test_resolved_prices_follow_the_report_machine_and_name_the_measured_gpu() -> None:
    report = _report({"cpu": {"logical_cores": 16}})
    report.points.append(_gpu_point("cuda:0", "NVIDIA A100-SXM4-80GB"))
    p = resolve_prices(report, _h100_settings(), ["cuda:0"], [find_gpu("T4")])
    assert p.settings.cpu_preset == _cpu(16)
    assert (p.primary, p.primary_label) == ("cuda:0", "NVIDIA A100-SXM4-80GB")
    assert len(p.notes) == 1


def test_resolved_prices_for_a_gpu_already_priced_carry_no_note() -> None:
    report = _report({"cpu": {"logical_cores": 2}})
    report.points.append(_gpu_point("cuda:0", "H100 SXM"))
    p = resolve_prices(report, _h100_settings(), ["cuda:0"], [find_gpu("T4")])
    assert (p.primary_label, p.notes) == ("H100 SXM", ())


def test_without_a_measured_gpu_the_price_is_for_the_named_catalog_gpu_else_the_first_compared() -> None:
    report = _report({"cpu": {"logical_cores": 2}})
    catalog = [find_gpu("T4"), find_gpu("L4")]
    named = resolve_prices(report, _h100_settings(), [], catalog)
    assert (named.primary, named.primary_label) == ("H100 SXM", "H100 SXM")
    for gpu in ("", "Imaginary GPU 9000"):
        first = resolve_prices(report, _settings(2, gpu=gpu), [], catalog)
        assert (first.primary, first.primary_label) == ("T4", "T4")


def test_the_primary_gpu_is_priced_as_set_and_says_where_the_price_came_from() -> None:
    report = _report({"cpu": {"logical_cores": 2}})
    preset = resolve_prices(report, _h100_settings(), [], [find_gpu("T4")]).gpu_price("H100 SXM")
    assert (preset.usd_per_hour, preset.note, preset.preset, preset.gpu) == (
        find_preset("lambda-h100-sxm").usd_per_hour,
        "preset lambda-h100-sxm",
        "lambda-h100-sxm",
        "H100 SXM",
    )
    typed = resolve_prices(report, PriceSettings(cpu_per_hour=0.1, gpu_per_hour=3.3), [], [find_gpu("T4")])
    assert typed.gpu_price("T4") == GpuPrice(3.3, "your price", "", "")


def test_other_gpus_are_priced_by_what_they_are() -> None:
    p = resolve_prices(_report({}), _h100_settings(), [], [find_gpu("T4")])
    assert p.gpu_price("T4") == catalog_price(find_gpu("T4"))
    assert p.gpu_price("NVIDIA A100-SXM4-80GB") == catalog_price(find_gpu("A100 80GB SXM"))
    assert p.gpu_price("Mystery GPU") == GpuPrice(None, "no rental price known")


def test_a_gpu_one_buys_says_it_has_no_rental_price() -> None:
    price = catalog_price(find_gpu("RTX 3060"))
    assert price == GpuPrice(None, "no rental price known (a GPU one buys rather than rents)")


@pytest.mark.parametrize("name", ["retired-cpu-preset", "lambda-h100-sxm"])
def test_a_cpu_preset_that_is_not_a_shipped_cpu_preset_is_kept(name: str) -> None:
    s = PriceSettings(cpu_per_hour=0.2, gpu_per_hour=2.0, cpu_preset=name)
    assert cpu_prices_for(s, 16) == s


def test_a_cpu_preset_for_the_report_machine_keeps_the_price_it_came_with() -> None:
    s = PriceSettings(cpu_per_hour=0.5, gpu_per_hour=2.0, cpu_preset=_cpu(16))  # e.g. saved before a price change
    assert cpu_prices_for(s, 16) == s


@pytest.mark.parametrize(
    ("gpu", "said"), [("H100 SXM", "priced like the H100 SXM ($2.5/h)"), ("", "priced like the preset ($2.5/h)")]
)
def test_an_unknown_gpu_priced_by_a_retired_preset_names_what_it_is_priced_like(gpu: str, said: str) -> None:
    s = PriceSettings(cpu_per_hour=0.1, gpu_per_hour=2.5, gpu_preset="retired-gpu-preset", gpu=gpu)
    out, note = price_measured_gpu("Mystery GPU", s)
    assert out == s
    assert said in note
