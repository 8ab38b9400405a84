"""Price presets (``gpuwise.core.prices``), stated as behaviour: what a valid presets file becomes, how a broken
one is refused (one line naming the row and the field), and which prices are plausible.

Written against the mutants of ``benchmarks/mutation.py prices`` that the price tests let through.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from gpuwise.core.errors import UserInputError
from gpuwise.core.prices import (
    COMPARISON_SCHEMA,
    CONFIG_ENV,
    PRICES_SCHEMA,
    USER_PRICES_SCHEMA,
    Preset,
    PricesError,
    PriceSettings,
    check_price,
    config_dir,
    default_prices,
    effective_prices,
    find_preset,
    load_comparison,
    load_presets,
    load_user_prices,
    save_comparison,
    save_user_prices,
    validate_presets,
)

CPU_ROW: dict[str, Any] = {
    "name": "c1",
    "label": "A CPU box",
    "kind": "cpu",
    "usd_per_hour": 0.5,
    "provider": "Cloud",
    "billing": "per_second",
    "source": "https://example.com/cpu",
    "date": "2025-01",
    "vcpus": 8,
}
GPU_ROW: dict[str, Any] = {
    "name": "g1",
    "label": "A GPU box",
    "kind": "gpu",
    "usd_per_hour": 2,
    "provider": "Cloud",
    "billing": "per_hour",
    "source": "https://example.com/gpu",
    "date": "2025-02",
    "gpu": "a100-80gb-sxm",
    "notes": "spot",
}


def presets(*rows: dict[str, Any], **top: Any) -> tuple[Preset, ...]:
    data = {"schema": PRICES_SCHEMA, "presets": list(rows), "default_cpu": "c1", "default_gpu": "g1", **top}
    return validate_presets(data)


def test_a_valid_presets_file_becomes_presets_with_catalog_gpu_names_and_counts() -> None:
    cpu, gpu = presets(CPU_ROW, GPU_ROW)
    assert cpu == Preset(
        "c1", "A CPU box", "cpu", 0.5, "Cloud", "per_second", "https://example.com/cpu", "2025-01", "", 0, 8, ""
    )
    assert gpu == Preset(
        "g1",
        "A GPU box",
        "gpu",
        2.0,
        "Cloud",
        "per_hour",
        "https://example.com/gpu",
        "2025-02",
        "A100 80GB SXM",
        1,
        None,
        "spot",
    )
    assert isinstance(gpu.usd_per_hour, float)
    eight = presets(CPU_ROW, {**GPU_ROW, "gpu_count": 8})[1]
    assert eight.gpu_count == 8


def refused(message: str, *rows: dict[str, Any], **top: Any) -> None:
    with pytest.raises(PricesError, match=f"^{re.escape(message)}$"):
        presets(*rows, **top)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("not a row", "presets[1] must be an object"),
        ({**GPU_ROW, "label": "  "}, "presets[1].label must be a non-empty string"),
        ({**GPU_ROW, "date": 2025}, "presets[1].date must be a non-empty string"),
        ({**GPU_ROW, "kind": "tpu"}, "presets[1] (g1).kind must be 'cpu' or 'gpu'"),
        ({**GPU_ROW, "gpu": None}, "presets[1] (g1).gpu must name a catalog GPU"),
        ({**GPU_ROW, "gpu_count": -1}, "presets[1] (g1): gpu_count and vcpus must be positive integers"),
        ({**GPU_ROW, "gpu_count": "8"}, "presets[1] (g1): gpu_count and vcpus must be positive integers"),
        ({**GPU_ROW, "vcpus": 0}, "presets[1] (g1): gpu_count and vcpus must be positive integers"),
        ({**GPU_ROW, "vcpus": 1.5}, "presets[1] (g1): gpu_count and vcpus must be positive integers"),
        ({**GPU_ROW, "source": "http://example.com"}, "presets[1] (g1).source must be an https:// URL"),
        ({**GPU_ROW, "usd_per_hour": 0}, "presets[1] (g1): usd_per_hour must be more than $0/h (got 0)"),
    ],
)
def test_a_broken_row_is_refused_naming_the_row_and_the_field(row: Any, message: str) -> None:
    refused(message, CPU_ROW, row)


def test_a_gpu_row_with_one_vcpu_and_no_gpus_is_valid() -> None:
    p = presets(CPU_ROW, {**GPU_ROW, "vcpus": 1, "gpu_count": 0})[1]
    assert (p.vcpus, p.gpu_count) == (1, 0)


def test_a_broken_file_is_refused_in_one_line() -> None:
    with pytest.raises(PricesError, match=re.escape(f"the price presets file must be a {PRICES_SCHEMA!r} object")):
        validate_presets({"schema": "other", "presets": [CPU_ROW]})
    with pytest.raises(PricesError, match=re.escape(f"the price presets file must be a {PRICES_SCHEMA!r} object")):
        validate_presets([CPU_ROW])
    refused("the price presets file has no 'presets' list")
    refused("preset name 'c1' appears twice", CPU_ROW, {**GPU_ROW, "name": "C1"})
    refused("default_cpu 'g1' is not a cpu preset", CPU_ROW, GPU_ROW, default_cpu="g1")
    refused("default_gpu None is not a gpu preset", CPU_ROW, GPU_ROW, default_gpu=None)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "GPU price must be a number of dollars per hour"),
        ("2", "GPU price must be a number of dollars per hour"),
        (float("nan"), "GPU price must be a finite number (got nan)"),
        (-1.0, "GPU price must be more than $0/h (got -1)"),
        (10_000.5, "GPU price $10000.5/h is implausible (over $10000/h)"),
    ],
)
def test_an_implausible_price_is_refused_saying_why(value: Any, message: str) -> None:
    with pytest.raises(UserInputError, match=f"^{re.escape(message)}$"):
        check_price(value, "GPU price")


def test_a_price_up_to_10000_an_hour_is_plausible() -> None:
    assert check_price(10_000) == 10_000.0 and isinstance(check_price(3), float)


def test_an_unknown_preset_suggests_close_names_or_lists_them() -> None:
    name = load_presets()[0].name
    assert find_preset(f"  {name.upper()} ") == load_presets()[0]
    with pytest.raises(UserInputError, match=re.escape(f"unknown price preset {name + 'x'!r}; did you mean")):
        find_preset(name + "x")
    every = ", ".join(p.name for p in load_presets())
    message = f"unknown price preset 'zzzz'; presets: {every}"
    with pytest.raises(UserInputError, match=f"^{re.escape(message)}$"):
        find_preset("zzzz")


# --- the user's saved prices and comparison ----------------------------------------------------------------------


def test_saved_prices_come_back_as_saved_with_defaults_for_missing_fields(tmp_path: Path) -> None:
    s = PriceSettings(0.5, 2.5, gpu_preset="gp", cpu_preset="cp", gpu="T4", billing="per_hour")
    path = save_user_prices(s, tmp_path / "a" / "b" / "prices.json")
    assert path == tmp_path / "a" / "b" / "prices.json"
    assert path.read_text("utf-8").startswith('{\n  "schema": ')  # indented for people who open it
    assert json.loads(path.read_text("utf-8"))["schema"] == USER_PRICES_SCHEMA
    assert load_user_prices(path) == s
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps({"schema": USER_PRICES_SCHEMA, "cpu_per_hour": 1, "gpu_per_hour": 2}), "utf-8")
    assert load_user_prices(bare) == PriceSettings(1.0, 2.0, "", "", "", "per_second")


def test_saved_prices_live_in_the_config_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path))
    assert config_dir() == tmp_path
    assert load_user_prices() is None and load_comparison() == []
    assert effective_prices(16) == (default_prices(16), "")
    s = PriceSettings(0.5, 2.5)
    assert save_user_prices(s) == tmp_path / "prices.json"
    assert load_user_prices() == s and effective_prices(16) == (s, "")
    assert save_comparison(["T4", "H100 SXM"]) == tmp_path / "comparison.json"
    assert load_comparison() == ["T4", "H100 SXM"]
    monkeypatch.setenv(CONFIG_ENV, "")
    assert config_dir() != Path("")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"schema": "other"}, "are not a gpuwise prices file"),
        ([1, 2], "are not a gpuwise prices file"),
        ({"schema": USER_PRICES_SCHEMA, "cpu_per_hour": 0, "gpu_per_hour": 2}, ": CPU price must be more than $0/h"),
        ({"schema": USER_PRICES_SCHEMA, "cpu_per_hour": 1, "gpu_per_hour": 2, "billing": "x"}, ": unknown billing 'x'"),
    ],
)
def test_damaged_saved_prices_are_refused_naming_the_file(tmp_path: Path, content: Any, message: str) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(content), "utf-8")
    with pytest.raises(UserInputError, match=re.escape(f"saved prices {path}") + ".*" + re.escape(message)):
        load_user_prices(path)


def test_damaged_saved_prices_fall_back_to_list_prices_saying_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path))
    (tmp_path / "prices.json").write_text("{not json", "utf-8")
    prices, why = effective_prices(16)
    assert prices == default_prices(16)
    assert why.startswith("saved prices") and why.endswith("; using list prices")


def test_a_saved_comparison_comes_back_once_per_name_and_in_order(tmp_path: Path) -> None:
    path = save_comparison(["T4", "A100 80GB SXM", "T4"], tmp_path / "a" / "b" / "c.json")
    assert path.read_text("utf-8").startswith('{\n  "schema": ')
    assert json.loads(path.read_text("utf-8")) == {"schema": COMPARISON_SCHEMA, "gpus": ["T4", "A100 80GB SXM", "T4"]}
    assert load_comparison(path) == ["T4", "A100 80GB SXM"]


@pytest.mark.parametrize(
    "content",
    [
        {"schema": "other", "gpus": ["T4"]},
        {"schema": COMPARISON_SCHEMA, "gpus": "T4"},
        ["T4"],
        {"schema": COMPARISON_SCHEMA, "gpus": ["T4", 3]},
    ],
)
def test_a_damaged_saved_comparison_is_refused_naming_the_file(tmp_path: Path, content: Any) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps(content), "utf-8")
    with pytest.raises(
        UserInputError, match=f"^{re.escape(f'saved GPU comparison {path} is not a gpuwise comparison file')}$"
    ):
        load_comparison(path)


def test_prices_that_cannot_be_saved_say_where(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", "utf-8")
    with pytest.raises(UserInputError, match=re.escape(f"cannot save prices to {blocker / 'prices.json'}: ")):
        save_user_prices(PriceSettings(1.0, 2.0), blocker / "prices.json")
    with pytest.raises(UserInputError, match=re.escape(f"cannot save the GPU comparison to {blocker / 'c.json'}: ")):
        save_comparison(["T4"], blocker / "c.json")


def test_a_preset_as_json_is_its_fields() -> None:
    p = load_presets()[0]
    assert p.to_dict() == {f: getattr(p, f) for f in p.__dataclass_fields__}


def test_unreadable_saved_comparison_says_which_file(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text("{bad", "utf-8")
    with pytest.raises(UserInputError, match=f"^{re.escape(f'saved GPU comparison {path} is not valid JSON')}"):
        load_comparison(path)


def test_without_an_override_the_config_folder_is_the_platform_one_for_gpuwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    assert config_dir().name == "gpuwise"


def test_an_unknown_preset_suggests_at_most_five_close_names() -> None:
    with pytest.raises(UserInputError) as e:
        find_preset("aws-g4dn.xlargex")
    hint = str(e.value).split("did you mean ", 1)[1].rstrip("?")
    names = hint.split(", ")
    assert len(names) == 5 and "aws-g4dn.xlarge" in names
    assert all(find_preset(n).name == n for n in names)


def test_the_default_name_in_a_price_refusal_is_price() -> None:
    with pytest.raises(UserInputError, match=re.escape("price must be more than $0/h (got -1)")):
        check_price(-1)


def test_a_loosely_typed_preset_name_still_gets_a_suggestion() -> None:
    # "h100" is only 47 % like "lambda-h100-sxm" by difflib's ratio (its default cut-off is 60 %): still suggested
    with pytest.raises(
        UserInputError, match=r"^unknown price preset 'h100'; did you mean lambda-h100-pcie, lambda-h100-sxm\?$"
    ):
        find_preset("h100")


def test_on_windows_the_prices_live_in_one_gpuwise_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    def windows_like(appname: str, appauthor: str | bool | None = None, **_: Any) -> str:
        # platformdirs on Windows: the author folder comes first, and defaults to the app's name unless False
        author = appname if appauthor is None else appauthor
        return "C:/Users/u/AppData/Local/" + (f"{author}/" if author else "") + appname

    monkeypatch.delenv(CONFIG_ENV, raising=False)
    monkeypatch.setattr(platformdirs, "user_config_dir", windows_like)
    assert config_dir() == Path("C:/Users/u/AppData/Local/gpuwise")  # not ...\gpuwise\gpuwise
