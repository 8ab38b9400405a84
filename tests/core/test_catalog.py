"""The GPU catalog: the shipped file passes its schema, names match loosely, broken catalogs fail loudly."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from gpuwise.core.catalog import (
    CatalogError,
    find_gpu,
    find_gpus,
    load_catalog,
    match_device_name,
    normalize_name,
    validate_catalog,
)
from gpuwise.core.errors import UserInputError
from gpuwise.core.resources import load_json_resource

REQUIRED = (
    "T4",
    "L4",
    "A10",
    "A10G",
    "A100 40GB SXM",
    "A100 80GB SXM",
    "H100 PCIe",
    "H100 SXM",
    "RTX 3060",
    "RTX 3090",
    "RTX 4090",
)


def shipped() -> dict[str, Any]:
    return copy.deepcopy(load_json_resource("gpus.json"))


def test_shipped_catalog_validates_and_holds_the_common_gpus() -> None:
    specs = validate_catalog(shipped())
    names = {g.name for g in specs}
    assert set(REQUIRED) <= names
    assert any(g.vendor == "Apple" for g in specs)
    assert load_catalog() == specs


def test_every_row_has_a_source_a_date_and_sane_peaks() -> None:
    for g in load_catalog():
        assert g.source.startswith("https://"), g.name
        assert len(g.date) >= 7, g.name
        assert g.memory_gib > 0 and g.memory_bandwidth_gbs > 0 and g.host_link_gbs > 0
        # a tensor path is never slower than the plain FP32 units
        for p in ("tf32", "bf16", "fp16"):
            v = getattr(g, f"{p}_tflops")
            assert v is None or v >= g.fp32_tflops, (g.name, p)


def test_reference_numbers_from_the_design_table() -> None:
    assert find_gpu("T4").fp32_tflops == 8.1 and find_gpu("T4").fp16_tflops == 65.0
    a100 = find_gpu("A100 80GB SXM")
    peaks = (a100.fp32_tflops, a100.tf32_tflops, a100.bf16_tflops, a100.memory_bandwidth_gbs)
    assert peaks == (19.5, 156.0, 312.0, 2039)
    assert find_gpu("H100 SXM").memory_bandwidth_gbs == 3350
    assert find_gpu("RTX 4090").fp32_tflops == 82.6


@pytest.mark.parametrize("name", ["a100-80gb", "A100 80GB", "a10080gb", "A100-SXM4-80GB", "  a100 80gb sxm  "])
def test_find_gpu_ignores_case_spaces_and_dashes(name: str) -> None:
    assert find_gpu(name).name == "A100 80GB SXM"


def test_similar_names_stay_distinct() -> None:
    assert find_gpu("a10").name == "A10"
    assert find_gpu("A10G").name == "A10G"
    assert find_gpu("h100").name == "H100 SXM"
    assert find_gpu("h100-pcie").name == "H100 PCIe"
    assert find_gpu("a100-40gb").name == "A100 40GB SXM"


def test_unknown_gpu_lists_close_names() -> None:
    with pytest.raises(UserInputError) as e:
        find_gpu("A100-90GB")
    assert "unknown GPU 'A100-90GB'" in str(e.value)
    assert "A100 80GB SXM" in str(e.value)
    with pytest.raises(UserInputError, match="known GPUs: T4"):
        find_gpu("zzzz")


def test_find_gpus_parses_a_comma_list_without_duplicates() -> None:
    assert [g.name for g in find_gpus("t4, A100-80GB,,T4")] == ["T4", "A100 80GB SXM"]
    with pytest.raises(UserInputError):
        find_gpus(" , ")


def test_peak_falls_back_to_fp32_without_a_fast_path() -> None:
    t4 = find_gpu("T4")
    assert t4.peak_tflops("bf16") == t4.fp32_tflops and not t4.has_fast_path("bf16")
    assert t4.peak_tflops("fp16") == 65.0 and t4.has_fast_path("fp16")
    with pytest.raises(UserInputError):
        t4.peak_tflops("fp8")


def test_torch_device_names_map_to_catalog_rows() -> None:
    assert match_device_name("NVIDIA A100-SXM4-80GB") == find_gpu("A100 80GB SXM")
    assert match_device_name("NVIDIA GeForce RTX 4090") == find_gpu("RTX 4090")
    assert match_device_name("Tesla T4") == find_gpu("T4")
    assert match_device_name("Some Unknown Accelerator") is None


def test_normalize_name() -> None:
    assert normalize_name(" RTX-4090 ") == "rtx4090"


# ---------------------------------------------------------------- broken catalogs


def _broken(edit: Any) -> dict[str, Any]:
    data = shipped()
    edit(data)
    return data


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["gpus"][0].pop("memory_bandwidth_gbs"), r"gpus\[0\] \(T4\) is missing memory_bandwidth_gbs"),
        (lambda d: d["gpus"][1].update(fp32_tflops=-3), r"L4\)\.fp32_tflops must be a positive finite number"),
        (lambda d: d["gpus"][1].update(fp32_tflops=float("nan")), r"fp32_tflops must be a positive finite"),
        (lambda d: d["gpus"][1].update(memory_gib=float("inf")), r"memory_gib must be a positive finite"),
        (lambda d: d["gpus"][1].update(fp32_tflops=None), r"fp32_tflops must be a number, not null"),
        (lambda d: d["gpus"][1].update(bf16_tflops="121"), r"bf16_tflops must be a number, not str"),
        (lambda d: d["gpus"][1].update(bf16_tflops=True), r"bf16_tflops must be a number, not bool"),
        (lambda d: d["gpus"][1].update(fp16_tflops=1e9), r"implausible"),
        (lambda d: d["gpus"][2].update(source="www.example.com"), r"source must be an https:// URL"),
        (lambda d: d["gpus"][2].update(date="last year"), r"date must look like YYYY-MM"),
        (lambda d: d["gpus"][2].update(segment="gaming"), r"segment must be one of"),
        (lambda d: d["gpus"][2].update(aliases="A10"), r"aliases must be a list"),
        (lambda d: d["gpus"][2].update(colour="green"), r"unknown field\(s\) colour"),
        (lambda d: d["gpus"].append(copy.deepcopy(d["gpus"][0])), r"GPU name 'T4' of gpus\[\d+\] is already used"),
        (lambda d: d["gpus"][1]["aliases"].append("t-4"), r"name 't-4' of gpus\[1\] is already used by gpus\[0\]"),
        (lambda d: d.update(schema="gpuwise.gpus/9"), r"schema is 'gpuwise.gpus/9'"),
        (lambda d: d.update(gpus=[]), r"no 'gpus' list"),
        (lambda d: d["gpus"].__setitem__(0, "T4"), r"gpus\[0\] must be an object"),
    ],
)
def test_broken_catalog_is_refused_with_the_row_and_field(edit: Any, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        validate_catalog(_broken(edit))


def test_catalog_must_be_an_object() -> None:
    with pytest.raises(CatalogError):
        validate_catalog(json.loads("[1, 2]"))
