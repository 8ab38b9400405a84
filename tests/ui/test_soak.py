"""Soak: an hour of monitor updates (7200 samples at 2 Hz) through the real monitor plots, in a child process.

The child builds the real MonitorPanel (CPU, memory and one synthetic GPU: six curves), feeds it samples stamped
half a second apart that end "now", with run phases shaded, and repaints after every sample as the app would. The
parent checks that the child lived, took well under a minute, and that its memory stayed flat once the 30-minute
window was full (ring buffers and plot items are reused, so nothing may grow with running time).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

SAMPLES = int(os.environ.get("SOAK_SAMPLES", "7200"))  # one hour at 2 Hz
WINDOW_S = 1800  # the ring buffers are full after 3600 samples and wrap for the second half hour
WARMUP = 3900  # memory must be flat from here on


def _child() -> None:
    import gc

    import psutil
    from PySide6.QtWidgets import QApplication

    from gpuwise.core.telemetry.host import HostSample
    from gpuwise.core.telemetry.nvml import GpuProcess, GpuSample, NvmlState, NvmlStatus
    from gpuwise.core.telemetry.sampler import Sample
    from gpuwise.ui.monitor_panel import MonitorPanel

    app = QApplication([])
    panel = MonitorPanel(None, threaded=False)
    panel.resize(1280, 240)
    panel.show()
    panel.set_window(WINDOW_S)
    proc = psutil.Process()
    state = NvmlState(NvmlStatus.OK, "1 NVIDIA GPU found (synthetic).")
    start = time.time() - SAMPLES * 0.5
    rss: list[int] = []
    t0 = time.perf_counter()
    for i in range(SAMPLES):
        load = 50 + 45 * math.sin(i / 40)
        host = HostSample(
            cpu_pct=load,
            per_core_pct=(load, 100 - load),
            cpu_freq_mhz=2000.0 + i % 300,
            cpu_freq_max_mhz=3500.0,
            ram_used_bytes=(6 << 30) + (i % 600) * (1 << 20),
            ram_total_bytes=16 << 30,
            swap_used_bytes=i % 7,
            swap_total_bytes=2 << 30,
            temperatures=(),
            cpu_temp_c=None,
        )
        gpu = GpuSample(
            index=0,
            name="Synthetic GPU",
            uuid="GPU-0",
            utilization_pct=load,
            memory_utilization_pct=load / 2,
            memory_used_bytes=(10 << 30) + i,
            memory_total_bytes=24 << 30,
            temperature_c=60 + load / 5,
            power_w=100 + load * 2,
            power_limit_w=300.0,
            sm_clock_mhz=1700.0,
            sm_clock_max_mhz=1900.0,
            clock_events=("software power cap",) if i % 500 == 0 else (),
            processes=(GpuProcess(1234 + i % 3, "python", 1 << 30),),
        )
        if i % 50 == 0:
            panel.begin_phase("warmup" if i % 100 == 0 else "measuring", at=start + i * 0.5)
        panel.add_sample(Sample(timestamp=start + i * 0.5, host=host, gpus=[gpu], gpu_state=state))
        app.processEvents()  # repaint as the event loop would after each tick
        if i % 300 == 0:
            gc.collect()
            rss.append(proc.memory_info().rss)
    elapsed = time.perf_counter() - t0
    panel.end_phases(at=start + SAMPLES * 0.5)
    app.processEvents()
    print(
        json.dumps(
            {
                "elapsed_s": elapsed,
                "rss": rss,
                "samples": panel.samples_seen(),
                "history": len(panel.history),
                "regions": max(p.region_count() for p in panel.plots()),
                "redraws": panel.redraws,
            }
        )
    )


@pytest.mark.slow
def test_an_hour_of_monitor_updates_runs_fast_and_flat(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    # a hang guard only: how fast an hour of updates runs is a benchmark's question (benchmarks/monitor_cost.py)
    res = subprocess.run([sys.executable, __file__, "--child"], capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0, f"the soak process died (status {res.returncode}):\n{res.stderr[-3000:]}"
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["samples"] == SAMPLES
    assert out["history"] <= WINDOW_S * 2 + 10  # the ring buffer holds the window, not the hour
    # a phase begins every 50 samples (25 s): only those inside the window are drawn, old ones are dropped
    assert out["regions"] <= WINDOW_S // 25 + 2
    rss = out["rss"]
    settled = rss[WARMUP // 300 + 1 :]
    growth = max(settled) - settled[0]
    assert growth < 8 * 2**20, f"memory grew by {growth / 2**20:.1f} MiB after warm-up: {rss}"


if __name__ == "__main__" and "--child" in sys.argv:
    _child()
elif __name__ == "__main__":
    pytest.main([__file__, "-q"])
