"""Terminal output: control characters are shown as escapes, never obeyed; the raw bytes of bench and devices."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpuwise.cli import main
from gpuwise.cli.commands.bench import ProgressBar, print_table
from gpuwise.core.devices import DeviceInventory, GpuDevice, cpu_info
from gpuwise.core.report import load_report
from gpuwise.core.terminal_text import SafeWriter, json_terminal_safe, terminal_safe
from tests.data.hostile.make_corpus import ANSI, BIDI, C1, SURROGATE, cases
from tests.hostile.test_corpus import assert_terminal_safe

HOSTILE = ANSI + C1 + BIDI + SURROGATE + "\x00\x7f"


def test_control_characters_become_visible_escapes() -> None:
    assert terminal_safe("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert terminal_safe("x\ry") == "x\\x0dy"
    assert terminal_safe("\x9b\u202e\udc80") == "\\x9b\\u202e\\udc80"
    assert terminal_safe("line 1\n\tline 2 — 5 × 3 µs ✓") == "line 1\n\tline 2 — 5 × 3 µs ✓"
    assert terminal_safe("a\nb\tc", one_line=True) == "a\\x0ab\\x09c"


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_comes_out_terminal_safe(text: str) -> None:
    shown = terminal_safe(text)
    assert_terminal_safe(shown.encode("utf-8"))
    assert terminal_safe(shown) == shown  # idempotent: escapes are plain text


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.text() | st.integers(), lambda x: st.lists(x, max_size=3) | st.dictionaries(st.text(), x, max_size=3)
    )
)
def test_json_stays_the_same_json(value: Any) -> None:
    for ensure_ascii in (True, False):
        text = json.dumps(value, ensure_ascii=ensure_ascii)
        shown = json_terminal_safe(text)
        assert json.loads(shown) == value
        assert_terminal_safe(shown.encode("utf-8"))


def test_bench_table_and_progress_write_clean_bytes(tmp_path: Any) -> None:
    path = tmp_path / "r.json"
    path.write_bytes(cases()["ansi-escapes.json"][0])
    report = load_report(path)
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
    print_table(report, out)
    bar = ProgressBar(out)
    bar.update(0.5, 10.0, f"cuda:0 {HOSTILE}", "measuring")
    assert b"msg \\x1b[2J" in raw.getvalue() or b"failed \\x1b[2J" in raw.getvalue()
    assert_terminal_safe(raw.getvalue())


def test_safe_writer_passes_everything_through_the_filter() -> None:
    buf = io.StringIO()
    w = SafeWriter(buf)
    assert w.write("\x1b]0;x\x07ok\n") == len("\x1b]0;x\x07ok\n")
    assert buf.getvalue() == "\\x1b]0;x\\x07ok\n"


@pytest.mark.parametrize("as_json", [False, True])
def test_devices_output_is_clean_bytes(
    monkeypatch: pytest.MonkeyPatch, capfdbinary: pytest.CaptureFixture[bytes], as_json: bool
) -> None:
    from dataclasses import replace

    import gpuwise.core.devices as devices

    hostile = DeviceInventory(
        cpu=replace(cpu_info(), model=f"CPU {HOSTILE}"),
        gpus=[GpuDevice("cuda:0", f"GPU {HOSTILE}", "cuda", 2**30, "9.0", f"550{ANSI}", "12.4")],
        notes=[f"note {HOSTILE}"],
    )
    monkeypatch.setattr(devices, "discover_devices", lambda: hostile)
    assert main(["devices", *(["--json"] if as_json else [])]) == 0
    out, err = capfdbinary.readouterr()
    assert b"GPU " in out
    assert_terminal_safe(out + err)
    if as_json:
        assert json.loads(out)["gpus"][0]["name"] == f"GPU {HOSTILE}"  # the data itself is kept


def test_monitor_prints_a_hostile_gpu_name_as_clean_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    from gpuwise.cli.commands.monitor import monitor
    from gpuwise.core.telemetry import nvml as nvml_mod
    from tests.cli.test_monitor_cli import FakeTime, fake_sampler
    from tests.core.telemetry.fake_pynvml import FakeAtexit, FakeGpu, FakeNvml

    monkeypatch.setattr(nvml_mod, "atexit", FakeAtexit())
    sampler = fake_sampler(FakeNvml(gpus=[FakeGpu(name=f"GPU {ANSI}{C1}{BIDI}")]))
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
    t = FakeTime()
    monitor(sampler, interval=1.0, count=1, as_json=False, out=out, sleep=t.sleep, clock=t.clock)
    assert b"GPU \\x1b[2J" in raw.getvalue()
    assert_terminal_safe(raw.getvalue())
