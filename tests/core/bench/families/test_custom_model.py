"""Your own model: loaded only when asked, errors show your traceback, reports carry facts and a hash, not code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gpuwise import cli
from gpuwise.core.bench import families, workloads
from gpuwise.core.bench.families import custom
from gpuwise.core.errors import UserInputError
from gpuwise.core.report import load_report

GOOD = """
import torch
from torch import nn

def build():
    return nn.Sequential(nn.Flatten(), nn.Linear(48, 64), nn.ReLU(), nn.Linear(64, 3)), torch.randn(1, 3, 4, 4)
"""


@pytest.fixture(autouse=True)
def _fresh_registry() -> None:
    families.forget()


def _write(tmp_path: Path, text: str, name: str = "m.py") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_good_file_is_loaded_traced_and_hashed(tmp_path: Path) -> None:
    spec = custom.load(f"{_write(tmp_path, GOOD)}:build")
    assert spec["params"] == 48 * 64 + 64 + 64 * 3 + 3
    assert spec["num_classes"] == 3 and spec["input"]["shape"] == [3, 4, 4]
    assert len(spec["sha256"]) == 64 and spec["name"] == "m.py:build"
    # forward and grad-weight for the first layer (its input needs no gradient), all three for the second
    assert workloads.count_flops_per_step(spec, 10) == pytest.approx(2 * 10 * (2 * 48 * 64 + 3 * 64 * 3))
    model = workloads.build_model(spec)
    assert sum(p.numel() for p in model.parameters()) == spec["params"]


def test_cli_bench_and_advise_with_a_custom_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.json"
    rc = cli.main(
        [
            "bench",
            "--model",
            f"{_write(tmp_path, GOOD)}:build",
            "--samples",
            "200",
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
    raw = json.loads(out.read_text())
    point = raw["points"][0]
    assert point["family"] == "custom" and point["architecture"]["sha256"]
    assert "import torch" not in out.read_text()  # facts and a hash, never the code
    capsys.readouterr()
    assert cli.main(["advise", str(out)]) == 0
    assert "m.py:build" in capsys.readouterr().out


def test_a_report_never_runs_the_code_it_names(tmp_path: Path) -> None:
    spec = custom.load(f"{_write(tmp_path, GOOD)}:build")
    custom._LOADED.clear()  # a new session: the user has not loaded the model
    families.forget()
    with pytest.raises(UserInputError, match="not loaded in this session"):
        workloads.build_model(spec)


def test_a_file_changed_after_loading_is_not_built(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    spec = custom.load(f"{path}:build")
    path.write_text(GOOD + "\n# edited\n")
    with pytest.raises(UserInputError, match="changed since it was loaded"):
        workloads.build_model(spec)


@pytest.mark.parametrize(
    ("text", "ref_suffix", "expect"),
    [
        ("def build():\n    raise ValueError('boom in my model')\n", ":build", "boom in my model"),
        ("def build():\n    return 3\n", ":build", "must return (module, example_input)"),
        ("import torch\ndef build():\n    return torch.nn.Linear(4, 2), torch.zeros(())\n", ":build", "batch"),
        ("import torch\ndef build():\n    return torch.nn.Linear(4, 1), torch.zeros(1, 4)\n", ":build", "logits"),
        ("x = (\n", ":build", "SyntaxError"),
        (GOOD, ":make", "no function make()"),
    ],
)
def test_bad_models_exit_2_with_a_readable_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, ref_suffix: str, expect: str
) -> None:
    rc = cli.main(["bench", "--model", f"{_write(tmp_path, text)}{ref_suffix}", "--devices", "cpu"])
    err = capsys.readouterr().err
    assert rc == 2
    assert expect in err
    assert "gpuwise/core" not in err  # their traceback, not ours


def test_the_users_traceback_shows_their_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "def helper():\n    return 1 / 0\n\ndef build():\n    return helper()\n")
    assert cli.main(["bench", "--model", f"{path}:build", "--devices", "cpu"]) == 2
    err = capsys.readouterr().err
    assert f'File "{path}", line 2, in helper' in err and "ZeroDivisionError" in err


def test_a_missing_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert cli.main(["bench", "--model", f"{tmp_path / 'nope.py'}:build", "--devices", "cpu"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_control_characters_in_their_message_are_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "def build():\n    raise RuntimeError('bad\\x1b[31mred')\n")
    assert cli.main(["bench", "--model", f"{path}:build", "--devices", "cpu"]) == 2
    assert "\x1b" not in capsys.readouterr().err


def test_a_report_with_a_broken_trace_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    rc = cli.main(
        [
            "bench",
            "--model",
            f"{_write(tmp_path, GOOD)}:build",
            "--samples",
            "200",
            "--devices",
            "cpu",
            "--budget",
            "1",
            "--no-micro",
            "--out",
            str(path),
        ]
    )
    assert rc == 0
    raw = json.loads(path.read_text())
    raw["points"][0]["architecture"]["trace"]["ops"] = [["gemm", "x"]]
    path.write_text(json.dumps(raw))
    with pytest.raises(UserInputError, match=r"trace\.ops"):
        load_report(path)


def test_advising_on_a_report_runs_none_of_the_code_it_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, GOOD)
    out = tmp_path / "r.json"
    assert (
        cli.main(
            [
                "bench",
                "--model",
                f"{path}:build",
                "--samples",
                "200",
                "--devices",
                "cpu",
                "--budget",
                "1",
                "--no-micro",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    custom._LOADED.clear()  # a new session
    families.forget()
    marker = tmp_path / "ran"
    path.write_text(f"open({str(marker)!r}, 'w').close()\n" + GOOD)  # would leave a trace if imported
    capsys.readouterr()
    assert cli.main(["advise", str(out)]) == 0
    assert "m.py:build" in capsys.readouterr().out
    assert not marker.exists()
