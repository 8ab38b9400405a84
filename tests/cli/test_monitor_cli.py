"""``gpuwise monitor``: options, the human and JSON output, Ctrl-C and closed pipes.

In-process tests drive :func:`monitor` with fake probes and a fake clock (no sleeping); subprocess tests run
the real thing at the shortest interval.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pynvml
import pytest

from gpuwise.cli import main as cli_main
from gpuwise.cli.commands import monitor as cli_monitor
from gpuwise.cli.commands.monitor import check_count, check_interval, format_human, monitor, run
from gpuwise.core.errors import UserInputError
from gpuwise.core.telemetry import nvml as nvml_mod
from gpuwise.core.telemetry.host import HostProbe, HostSample
from gpuwise.core.telemetry.nvml import NvmlProbe
from gpuwise.core.telemetry.sampler import Sample, Sampler
from tests.core.telemetry.fake_pynvml import HW_THERMAL, IDLE, MISSING_PID, FakeAtexit, FakeGpu, FakeNvml

REPO = Path(__file__).resolve().parents[2]
HOST = HostSample(
    cpu_pct=42.0,
    per_core_pct=tuple(float(i) for i in range(20)),
    cpu_freq_mhz=1996.2,
    cpu_freq_max_mhz=None,
    ram_used_bytes=3 * 2**30,
    ram_total_bytes=8 * 2**30,
    swap_used_bytes=0,
    swap_total_bytes=2**30,
    temperatures=(),
    cpu_temp_c=None,
)


class FixedHostProbe(HostProbe):
    def __init__(self) -> None:
        pass

    def sample(self) -> HostSample:
        return HOST


class FakeTime:
    """A monotonic clock that only moves when ``sleep`` is called."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def no_real_atexit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nvml_mod, "atexit", FakeAtexit())


def fake_sampler(fake: FakeNvml) -> Sampler:
    return Sampler(FixedHostProbe(), NvmlProbe(fake))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gpuwise")
    cli_monitor.add_parser(p.add_subparsers())
    return p


# -- options ----------------------------------------------------------------------------------------------


def test_defaults() -> None:
    args = parser().parse_args(["monitor"])
    assert (args.once, args.json, args.interval, args.count) == (False, False, 1.0, None)
    assert args.func is run


def test_options_parse() -> None:
    # read as typed; run() checks them, as every command does (one argument style)
    args = parser().parse_args(["monitor", "--json", "--interval", "0.25", "--count", "3"])
    assert (args.json, args.interval, args.count) == (True, "0.25", "3")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--interval", "0.1"], "--interval: '0.1' is out of range"),
        (["--interval", "61"], "out of range"),
        (["--interval", "nan"], "out of range"),
        (["--interval", "soon"], "not a number"),
        (["--count", "0"], "--count: '0' is not at least 1"),
        (["--count", "2.5"], "whole number"),
        (["--once", "--count", "3"], "not allowed with"),
    ],
)
def test_bad_options_exit_2_with_one_error_line(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        status = cli_main(["monitor", *argv])
    except SystemExit as e:  # argparse's own errors (two exclusive options)
        status = int(e.code or 0)
    assert status == 2
    err = capsys.readouterr().err
    [error_line] = err.splitlines()
    assert error_line.startswith("gpuwise: error: ") and words in error_line


def test_check_functions_accept_the_bounds() -> None:
    assert check_interval("0.25") == 0.25
    assert check_interval(60) == 60.0
    assert check_count(None) is None
    assert check_count("7") == 7


def test_run_refuses_bad_values_given_directly() -> None:
    args = argparse.Namespace(once=False, json=False, interval=0.01, count=None)
    with pytest.raises(UserInputError, match=r"^--interval: 0\.01 is out of range"):
        run(args, sampler=fake_sampler(FakeNvml()))


# -- the loop ---------------------------------------------------------------------------------------------


def test_json_lines_one_object_per_tick_on_a_fixed_schedule() -> None:
    out = io.StringIO()
    t = FakeTime()
    monitor(fake_sampler(FakeNvml()), interval=0.5, count=3, as_json=True, out=out, sleep=t.sleep, clock=t.clock)

    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    for line in lines:
        data = json.loads(line)
        assert data["host"]["cpu_pct"] == 42.0
        assert data["gpus"][0]["name"] == "NVIDIA Fake A100"
        assert data["gpu_state"]["ok"] is True
    # Each reading covers the interval before it, the first one included.
    assert t.sleeps == [0.5, 0.5, 0.5]


def test_json_without_nvidia_explains_why() -> None:
    out = io.StringIO()
    t = FakeTime()
    fake = FakeNvml(init_error=pynvml.NVML_ERROR_DRIVER_NOT_LOADED)
    monitor(fake_sampler(fake), interval=1.0, count=1, as_json=True, out=out, sleep=t.sleep, clock=t.clock)
    data = json.loads(out.getvalue())
    assert data["gpus"] == []
    assert data["gpu_state"]["status"] == "driver_not_loaded"
    assert "not loaded" in data["gpu_state"]["message"]


def test_a_slow_tick_does_not_cause_a_burst_of_catch_up_ticks() -> None:
    t = FakeTime()

    class SlowSampler(Sampler):
        def sample(self) -> Sample:
            t.now += 5.0  # e.g. the laptop was suspended
            return super().sample()

    out = io.StringIO()
    slow = SlowSampler(FixedHostProbe(), NvmlProbe(FakeNvml(gpus=[])))
    monitor(slow, interval=1.0, count=3, as_json=True, out=out, sleep=t.sleep, clock=t.clock)
    assert t.sleeps == [1.0, 1.0, 1.0]


def test_human_block_shows_host_and_each_gpu() -> None:
    gpu = FakeGpu(event_reasons=IDLE | HW_THERMAL, compute_procs=[(os.getpid(), 2**30), (MISSING_PID, None)])
    sample = fake_sampler(FakeNvml(gpus=[gpu])).sample()

    text = format_human(sample)

    assert "CPU     42 %" in text
    assert "clock 1996 MHz (max n/a)" in text
    assert "RAM    3 GiB / 8 GiB" in text
    cores = [line for line in text.splitlines() if line.startswith(("cores", "       ")) and "  1 " in line]
    assert cores, text  # per-core loads are printed, 16 to a line
    assert "GPU0   NVIDIA Fake A100" in text
    assert "util 87 %" in text
    assert "power 252 W / 400 W" in text
    assert "THROTTLED: hardware thermal slowdown" in text
    assert f"{os.getpid()} " in text and f"{MISSING_PID} n/a (n/a)" in text


def test_human_block_without_nvidia_is_the_one_sentence_reason() -> None:
    sample = fake_sampler(FakeNvml(init_error=pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)).sample()
    text = format_human(sample)
    [gpu_line] = [line for line in text.splitlines() if line.startswith("GPU")]
    assert gpu_line == f"GPU    {sample.gpu_state.message}"


def test_human_block_marks_missing_gpu_metrics_na() -> None:
    not_supported = pynvml.NVML_ERROR_NOT_SUPPORTED
    gpu = FakeGpu(
        errors={
            "nvmlDeviceGetPowerUsage": not_supported,
            "nvmlDeviceGetCurrentClocksEventReasons": not_supported,
            "nvmlDeviceGetCurrentClocksThrottleReasons": not_supported,
        }
    )
    text = format_human(fake_sampler(FakeNvml(gpus=[gpu])).sample())
    assert "power n/a / 400 W" in text
    assert "clocks: n/a" in text


def test_output_the_console_cannot_encode_is_replaced_not_fatal() -> None:
    # Windows pipes and files default to cp1252 (or worse); "°C" or a process name must not end the run.
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="ascii")
    t = FakeTime()
    monitor(fake_sampler(FakeNvml()), interval=1.0, count=1, as_json=False, out=out, sleep=t.sleep, clock=t.clock)
    assert "64 ?C" in raw.getvalue().decode("ascii")


def test_ctrl_c_ends_run_with_status_0() -> None:
    class InterruptedSampler(Sampler):
        def sample(self) -> Sample:
            raise KeyboardInterrupt

    args = argparse.Namespace(once=False, json=True, interval=0.25, count=None)
    sampler = InterruptedSampler(FixedHostProbe(), NvmlProbe(FakeNvml()))
    assert run(args, sampler=sampler) == 0


# -- the real command in a subprocess -------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _gpuwise_monitor(*args: str) -> list[str]:
    return [sys.executable, "-m", "gpuwise", "monitor", *args]


def test_python_m_gpuwise_monitor_once_json() -> None:
    done = subprocess.run(
        _gpuwise_monitor("--once", "--json", "--interval", "0.25"),
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    data = json.loads(line)
    assert set(data) == {"timestamp", "host", "gpus", "gpu_state"}
    assert data["host"]["cpu_pct"] is not None
    assert data["host"]["ram_total_bytes"] > 0
    assert isinstance(data["gpu_state"]["message"], str) and data["gpu_state"]["message"]
    assert done.stderr == ""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX-only")
def test_subprocess_ctrl_c_exits_0_without_a_traceback() -> None:
    with subprocess.Popen(
        _gpuwise_monitor("--json", "--interval", "0.25"),
        cwd=REPO,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            json.loads(proc.stdout.readline())  # running: it printed its first tick
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0
    assert "Traceback" not in err


@pytest.mark.skipif(sys.platform == "win32", reason="closed-pipe semantics differ on Windows")
def test_subprocess_closed_pipe_exits_0_quietly() -> None:
    # ``gpuwise monitor | head -1``: the reader leaves; the monitor must not print a BrokenPipeError traceback.
    with subprocess.Popen(
        _gpuwise_monitor("--json", "--interval", "0.25"),
        cwd=REPO,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        try:
            assert proc.stdout is not None and proc.stderr is not None
            proc.stdout.readline()
            proc.stdout.close()
            err = proc.stderr.read()  # EOF once the monitor has exited
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0
    assert err == b""


def test_python_m_gpuwise_monitor_bad_interval_is_one_line_and_exit_2() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gpuwise", "monitor", "--interval", "0"],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert "--interval" in line and "out of range" in line
    assert done.stdout == ""
