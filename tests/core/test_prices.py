"""Prices: shipped presets, validation of what the user types, and the remembered prices file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gpuwise.core import prices
from gpuwise.core.catalog import find_gpu
from gpuwise.core.errors import UserInputError
from gpuwise.core.prices import (
    PricesError,
    PriceSettings,
    check_price,
    default_cpu_preset,
    default_gpu_preset,
    default_prices,
    effective_prices,
    find_preset,
    list_price,
    load_presets,
    load_user_prices,
    save_user_prices,
    validate_presets,
)
from gpuwise.core.resources import load_json_resource


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GPUWISE_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "config"


def test_presets_have_prices_sources_dates_and_catalog_gpus() -> None:
    presets = load_presets()
    kinds = {p.kind for p in presets}
    assert kinds == {"cpu", "gpu"}
    assert len([p for p in presets if p.kind == "gpu"]) >= 5
    for p in presets:
        assert p.usd_per_hour > 0 and p.source.startswith("https://") and p.date
        if p.kind == "gpu":
            assert find_gpu(p.gpu).name == p.gpu
    assert {p.gpu for p in presets if p.kind == "gpu"} >= {"T4", "A10G", "A100 40GB SXM", "H100 SXM"}


def test_defaults_are_the_cheap_cloud_gpu_and_a_cpu_of_the_same_size() -> None:
    assert default_gpu_preset().gpu == "T4"
    assert default_cpu_preset(2).vcpus == 2
    assert default_cpu_preset(3).name == "aws-c7i.2xlarge"  # no 3-vCPU instance: the file's default
    d = default_prices(2)
    assert d.gpu == "T4" and d.gpu_preset == "aws-g4dn.xlarge" and d.cpu_preset == "aws-c7i.large"
    assert d.ratio == pytest.approx(0.526 / 0.08925)


def test_find_preset_and_list_price() -> None:
    assert find_preset("AWS-G5.XLARGE").gpu == "A10G"
    with pytest.raises(UserInputError, match="unknown price preset 'aws-g9'"):
        find_preset("aws-g9")
    h100 = list_price("h100")
    assert h100 is not None and h100.gpu == "H100 SXM"
    assert h100.usd_per_hour == min(p.usd_per_hour for p in load_presets() if p.gpu == "H100 SXM")
    assert list_price("RTX 3060") is None


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), 1e6, True, "1"])
def test_bad_prices_are_user_errors(bad: object) -> None:
    with pytest.raises(UserInputError):
        check_price(bad)  # type: ignore[arg-type]
    with pytest.raises(UserInputError):
        PriceSettings(bad, 1.0)  # type: ignore[arg-type]
    with pytest.raises(UserInputError):
        PriceSettings(1.0, bad)  # type: ignore[arg-type]


def test_broken_presets_file_is_refused() -> None:
    data = load_json_resource("prices.json")
    data["presets"][0]["usd_per_hour"] = -1
    with pytest.raises(PricesError, match="usd_per_hour must be more than"):
        validate_presets(data)
    data = load_json_resource("prices.json")
    data["presets"][4]["gpu"] = "H900"
    with pytest.raises(PricesError, match="unknown GPU 'H900'"):
        validate_presets(data)
    data = load_json_resource("prices.json")
    data["default_gpu"] = "aws-c7i.large"
    with pytest.raises(PricesError, match="default_gpu"):
        validate_presets(data)


def test_user_prices_round_trip_atomically(config_dir: Path) -> None:
    assert load_user_prices() is None
    s = PriceSettings(0.34, 1.01, gpu_preset="aws-g5.xlarge", cpu_preset="", gpu="A10G")
    path = save_user_prices(s)
    assert path == config_dir / "prices.json" and path.exists()
    assert load_user_prices() == s
    assert [p.name for p in config_dir.iterdir()] == ["prices.json"]  # no temp file left behind
    s2 = PriceSettings(0.5, 2.0)
    save_user_prices(s2)
    assert load_user_prices() == s2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"schema": "something-else"}', "not a gpuwise prices file"),
        ('{"schema": "gpuwise.user-prices/1", "cpu_per_hour": 0, "gpu_per_hour": 1}', "CPU price must be more"),
        ('{"schema": "gpuwise.user-prices/1", "cpu_per_hour": NaN, "gpu_per_hour": 1}', "finite"),
        ('{"schema": "gpuwise.user-prices/1", "cpu_per_hour": 1}', "GPU price must be a number"),
    ],
)
def test_a_damaged_prices_file_is_a_clear_error_and_defaults_still_work(
    config_dir: Path, content: str, message: str
) -> None:
    config_dir.mkdir(parents=True)
    (config_dir / "prices.json").write_text(content, encoding="utf-8")
    with pytest.raises(UserInputError, match=message):
        load_user_prices()
    settings, note = effective_prices(2)
    assert settings == default_prices(2)
    assert "using list prices" in note


def test_effective_prices_prefer_the_saved_ones() -> None:
    save_user_prices(PriceSettings(0.2, 3.0, gpu="H100 SXM"))
    settings, note = effective_prices(2)
    assert (settings.cpu_per_hour, settings.gpu_per_hour, settings.gpu, note) == (0.2, 3.0, "H100 SXM", "")


def test_config_dir_defaults_to_platformdirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("GPUWISE_CONFIG_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert prices.prices_path().name == "prices.json"
    assert "gpuwise" in str(prices.config_dir())


def test_unwritable_config_dir_is_a_user_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("GPUWISE_CONFIG_DIR", str(blocker / "sub"))
    with pytest.raises(UserInputError, match="cannot save prices"):
        save_user_prices(PriceSettings(1.0, 2.0))
    assert json.loads(json.dumps(PriceSettings(1.0, 2.0).to_dict()))["gpu_per_hour"] == 2.0


def test_comparison_round_trips_and_a_damaged_file_is_a_user_error(config_dir: Path) -> None:
    assert prices.load_comparison() == []
    path = prices.save_comparison(["A10G", "T4", "A10G"])
    assert path == config_dir / "comparison.json"
    assert prices.load_comparison() == ["A10G", "T4"]
    path.write_text(json.dumps({"schema": prices.COMPARISON_SCHEMA, "gpus": [1]}), encoding="utf-8")
    with pytest.raises(UserInputError, match="not a gpuwise comparison file"):
        prices.load_comparison()
    path.write_text("{", encoding="utf-8")
    with pytest.raises(UserInputError, match="not valid JSON"):
        prices.load_comparison()
