"""Known models on the command line: bench --model, advise on its report, estimate --model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gpuwise import cli
from gpuwise.core.bench import families


@pytest.fixture(autouse=True)
def _fresh_registry() -> None:
    families.forget()


def test_bench_a_known_model_then_advise(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.json"
    rc = cli.main(
        [
            "bench",
            "--model",
            "resnet18",
            "--image-size",
            "32",
            "--samples",
            "200",
            "--batch",
            "16",
            "--devices",
            "cpu",
            "--budget",
            "1",
            "--no-micro",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    point = json.loads(out.read_text())["points"][0]
    assert point["family"] == "resnet18" and point["params"] == 11_689_512 and point["status"] == "ok"
    assert point["architecture"]["image_size"] == 32
    capsys.readouterr()
    assert cli.main(["advise", str(out)]) == 0
    text = capsys.readouterr().out
    assert "ResNet-18 (torchvision), 11.7M params, 32×32 images" in text


def test_estimate_a_known_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["estimate", "--gpu", "a100-80gb", "--model", "bert_base", "--batch", "32", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["estimated"] is True and doc["workload"]["params"] == 109_483_778
    assert doc["gpus"][0]["step_s"] > 0


@pytest.mark.parametrize(
    ("argv", "expect"),
    [
        (["estimate", "--gpu", "t4", "--model", "resnet50", "--params", "1M"], "has its own size"),
        (["estimate", "--gpu", "t4"], "give --params"),
        (["bench", "--model", "resnet50", "--seq-len", "64"], "does not apply to ResNet-50"),
        (["bench", "--model", "vit_b_16", "--image-size", "100"], "multiple of 16"),
        (["bench", "--model", "not_a_model"], "give a known model name"),
    ],
)
def test_bad_model_arguments_exit_2(argv: list[str], expect: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert expect in err and err.count("\n") == 1
