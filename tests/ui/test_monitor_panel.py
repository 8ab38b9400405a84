"""The live monitor: readouts, plots, the GPU area in every NVML state (through a fake pynvml), controls."""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
import pynvml
import pytest
from PySide6.QtGui import QColor

from gpuwise.core.telemetry import nvml as nvml_mod
from gpuwise.core.telemetry.nvml import NvmlProbe
from gpuwise.core.telemetry.sampler import Sampler
from gpuwise.ui.monitor_panel import MonitorPanel
from gpuwise.ui.monitor_plots import COLORS, ago_tick_spacing, decimate, format_ago, nice_ceiling, y_ticks
from gpuwise.ui.monitor_sampler import SamplerWorker
from gpuwise.ui.settings import Settings
from tests.core.telemetry.fake_pynvml import SW_POWER_CAP, FakeAtexit, FakeGpu, FakeNvml
from tests.ui.conftest import FakeSampler


@pytest.fixture(autouse=True)
def _no_real_exit_hooks(monkeypatch: pytest.MonkeyPatch) -> None:
    # A fake NVML that initialises would register its shutdown with the real atexit.
    monkeypatch.setattr(nvml_mod, "atexit", FakeAtexit())


def _panel(qtbot: Any, sampler: Any, **kw: Any) -> MonitorPanel:
    panel = MonitorPanel(sampler, threaded=False, **kw)
    qtbot.addWidget(panel)
    panel.resize(1200, 260)
    panel.show()
    return panel


def _sampled(qtbot: Any, panel: MonitorPanel, n: int = 1) -> None:
    panel.start()
    qtbot.waitUntil(lambda: panel.samples_seen() >= n, timeout=5000)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (pynvml.NVML_ERROR_LIBRARY_NOT_FOUND, "No NVIDIA driver library"),
        (pynvml.NVML_ERROR_DRIVER_NOT_LOADED, "driver is installed but not loaded"),
        (pynvml.NVML_ERROR_LIB_RM_VERSION_MISMATCH, "different versions"),
    ],
)
def test_without_nvml_the_gpu_area_says_why_and_the_cpu_still_works(qtbot: Any, code: int, words: str) -> None:
    sampler = Sampler(nvml_probe=NvmlProbe(FakeNvml(init_error=code)))
    panel = _panel(qtbot, sampler)
    _sampled(qtbot, panel)
    assert words in panel.gpu_message()
    assert words in panel.gpu_message_label.text()
    assert "CPU is measured as usual" in panel.gpu_message()
    assert panel.gpu_cards() == {}
    assert "%" in panel.host_readouts.text("cpu")
    assert "GiB" in panel.host_readouts.text("ram") or "MiB" in panel.host_readouts.text("ram")
    assert len(panel.core_bars.values()) >= 1
    panel.stop()


def test_each_gpu_gets_readouts_and_plots(qtbot: Any) -> None:
    fake = FakeNvml([FakeGpu(), FakeGpu(name="NVIDIA Fake T4", event_reasons=SW_POWER_CAP)])
    panel = _panel(qtbot, Sampler(nvml_probe=NvmlProbe(fake)))
    _sampled(qtbot, panel, 2)
    cards = panel.gpu_cards()
    assert sorted(cards) == [0, 1]
    r = cards[0].readouts
    assert r.text("util") == "87 %"
    assert r.text("vram") == "30 GiB / 80 GiB"
    assert r.text("temp") == "64 °C"
    assert r.text("power") == "252 / 400 W"
    assert r.text("clock") == "1395 / 1410 MHz"
    assert r.text("throttle") == "no" and r.color("throttle") is None
    assert f"({os.getpid()})" in r.text("procs")
    assert cards[1].readouts.text("throttle") == "yes: power cap"
    assert cards[1].readouts.color("throttle") is not None  # drawn in red, bold
    assert "Fake T4" in cards[1].title.text()
    assert panel.gpu_message() == ""
    # the curves hold data: GPU load, and VRAM as a share of the card (30 of 80 GiB)
    y = cards[0].load_plot.curve("gpu0.util").yData
    assert y is not None and y[-1] == 87
    mem = cards[0].load_plot.curve("gpu0.mem_pct").yData
    assert mem is not None and mem[-1] == pytest.approx(37.5)
    panel.stop()


def test_a_gpu_lost_mid_run_is_named_and_the_others_go_on(qtbot: Any) -> None:
    fake = FakeNvml([FakeGpu(), FakeGpu()])
    panel = _panel(qtbot, Sampler(nvml_probe=NvmlProbe(fake)))
    _sampled(qtbot, panel)
    fake.gpus[1].lost = True
    seen = panel.samples_seen()
    qtbot.waitUntil(lambda: panel.samples_seen() > seen, timeout=5000)
    assert "stopped responding" in panel.gpu_message()
    panel.stop()


def test_plots_roll_with_the_window_and_rate_and_remember_them(qtbot: Any, settings: Settings) -> None:
    panel = _panel(qtbot, FakeSampler(), settings=settings)
    assert panel.window_seconds() == 300 and panel.rate() == 2.0
    panel.set_window(3600)
    assert panel.history.capacity >= 7200
    assert all(p.window_seconds() == 3600 for p in panel.plots())
    assert panel.window_combo.currentText() == "1 h"
    panel.rate_spin.setValue(4.0)
    assert panel.rate() == 4.0 and panel.history.capacity >= 14_400
    panel.set_rate(10)  # clamped to the 0.5–4 Hz range
    assert panel.rate() == 4.0
    panel.window_combo.setCurrentIndex(0)
    assert panel.window_seconds() == 60
    again = _panel(qtbot, FakeSampler(), settings=settings)
    assert again.window_seconds() == 60 and again.rate() == 4.0


def test_pause_freezes_the_plots_and_resume_catches_up(qtbot: Any) -> None:
    panel = _panel(qtbot, FakeSampler())
    sampler = FakeSampler()
    panel.add_sample(sampler.sample())
    before = panel.cpu_plot.curve("cpu").yData
    panel.pause_button.click()
    assert panel.is_paused() and panel.pause_button.text() == "Resume"
    for _ in range(5):
        panel.add_sample(sampler.sample())
    frozen = panel.cpu_plot.curve("cpu").yData
    assert frozen is not None and before is not None and len(frozen) == len(before)
    assert len(panel.history) == 6  # recording goes on while paused
    panel.pause_button.click()
    after = panel.cpu_plot.curve("cpu").yData
    assert after is not None and len(after) == 6


def test_run_phases_are_shaded_on_every_plot(qtbot: Any) -> None:
    panel = _panel(qtbot, FakeSampler())
    panel.add_sample(FakeSampler().sample())
    panel.begin_phase("preparing")  # not shaded
    panel.begin_phase("warmup")
    panel.begin_phase("warmup")  # repeated progress of one phase is one span
    panel.begin_phase("measuring")
    panel.end_phases()
    spans = panel.phases()
    assert [s.phase for s in spans] == ["warmup", "measuring"]
    assert all(s.end is not None and s.end >= s.start for s in spans)
    assert all(p.region_count() == 2 for p in panel.plots())
    assert panel.phase_legend.isVisibleTo(panel)


def test_sampling_on_a_thread_delivers_samples_and_stops_cleanly(qtbot: Any) -> None:
    sampler = FakeSampler()
    worker = SamplerWorker(sampler, rate_hz=4.0)
    got: list[tuple[Any, ...]] = []
    worker.yielded.connect(got.append)
    worker.start()
    qtbot.waitUntil(lambda: sum(map(len, got)) >= 8, timeout=10_000)
    samples = [s for batch in got for s in batch]
    assert [s.timestamp for s in samples] == sorted(s.timestamp for s in samples)  # oldest first, none lost
    # 4 samples a second cross to the GUI thread in batches, about one a second, not one wake per sample
    assert all(batch for batch in got) and len(got) < len(samples)
    assert worker.shutdown(10_000)
    assert not worker.is_running()


def test_a_new_rate_applies_at_once_and_a_stop_never_waits_out_the_interval(qtbot: Any) -> None:
    worker = SamplerWorker(FakeSampler(), rate_hz=1 / 3600)  # one sample an hour
    got: list[tuple[Any, ...]] = []
    worker.yielded.connect(got.append)
    with qtbot.waitSignal(worker.yielded, timeout=10_000):
        worker.start()
    assert len(got) == 1
    worker.set_rate(4.0)  # the hour-long wait ends now, not in an hour
    qtbot.waitUntil(lambda: sum(map(len, got)) >= 3, timeout=10_000)
    worker.set_rate(1 / 3600)
    assert worker.shutdown(10_000)  # wakes the hour-long wait at once (else: the hang guard, not an hour)
    assert not worker.is_running()


def test_the_threaded_panel_stops_its_thread(qtbot: Any) -> None:
    panel = MonitorPanel(FakeSampler(), threaded=True)
    qtbot.addWidget(panel)
    panel.start()
    qtbot.waitUntil(lambda: panel.samples_seen() >= 1, timeout=5000)
    assert panel.is_sampling()
    panel.stop()
    assert not panel.is_sampling()


def test_a_failing_probe_does_not_stop_monitoring(qtbot: Any) -> None:
    class Flaky(FakeSampler):
        def sample(self) -> Any:
            self.count += 1
            if self.count == 1:
                raise OSError("psutil hiccup")
            return super().sample()

    panel = _panel(qtbot, Flaky())
    with qtbot.captureExceptions() as errors:
        panel.start()
        qtbot.waitUntil(lambda: panel.samples_seen() >= 1, timeout=5000)
    assert errors == []
    panel.stop()


def test_orientation_switches_between_row_and_column(qtbot: Any) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QBoxLayout

    panel = _panel(qtbot, FakeSampler())
    panel.set_orientation(Qt.Orientation.Vertical)
    assert panel._root.direction() == QBoxLayout.Direction.TopToBottom
    panel.set_orientation(Qt.Orientation.Horizontal)
    assert panel._root.direction() == QBoxLayout.Direction.LeftToRight


def test_time_axis_labels_read_as_time_ago() -> None:
    assert format_ago(0) == "now"
    assert format_ago(-30) == "−30 s"
    assert format_ago(-300) == "−5 min"
    assert format_ago(-3600) == "−1 h"


def test_plots_redraw_only_when_the_data_moves_a_pixel(qtbot: Any) -> None:
    from tests.ui.conftest import host_sample

    panel = _panel(qtbot, FakeSampler())
    panel.set_window(3600)  # an hour on ~250 px: ~15 s of data per pixel
    start = time.time() - 600
    from gpuwise.core.telemetry.sampler import Sample
    from tests.ui.conftest import NO_NVML

    before = panel.redraws
    for i in range(1200):  # ten minutes at 2 Hz
        panel.add_sample(Sample(start + i * 0.5, host_sample(i), [], NO_NVML))
    drawn = panel.redraws - before
    assert 0 < drawn < 120  # every ~15 s of data, not 1200 times
    assert len(panel.history) == 1200  # every sample is kept
    assert panel.host_readouts.text("cpu").endswith("of 2 cores")  # readouts follow every sample


def test_readouts_paint_partial_rows_and_elide_long_values(qtbot: Any) -> None:
    from gpuwise.ui.monitor_readouts import Readouts

    r = Readouts([("a", "Load"), ("b", "Processes")])
    qtbot.addWidget(r)
    r.resize(160, r.sizeHint().height())
    r.show()
    r.set("a", "12 %")
    r.set("b", "python (1234) 2 GiB; " * 20)
    image = r.grab().toImage()  # paints every row through the dirty-region path
    assert not image.isNull() and r.text("a") == "12 %"
    assert r.minimumSizeHint().height() == r.sizeHint().height() > 0


def test_a_hidden_monitor_does_not_redraw_and_catches_up_when_shown(qtbot: Any) -> None:
    from gpuwise.core.telemetry.sampler import Sample
    from tests.ui.conftest import NO_NVML, host_sample

    panel = _panel(qtbot, FakeSampler())
    panel.hide()  # e.g. the History tab is in front of it
    before = panel.redraws
    start = time.time() - 100
    for i in range(20):
        panel.add_sample(Sample(start + i * 0.5, host_sample(i), [], NO_NVML))
    assert panel.redraws == before and len(panel.history) == 20  # recorded, not drawn
    panel.show()
    assert panel.redraws == before + 1
    y = panel.cpu_plot.curve("cpu").yData
    assert y is not None and len(y) == 20


def test_dense_cpu_load_is_a_mean_line_over_a_light_band(qtbot: Any) -> None:
    from dataclasses import replace

    from gpuwise.core.telemetry.sampler import Sample
    from tests.ui.conftest import NO_NVML, host_sample

    panel = _panel(qtbot, FakeSampler())
    panel.set_window(3600)
    start = time.time() - 1800
    for i in range(3600):  # half an hour at 2 Hz, the load swinging 0 % / 100 % every sample
        host = replace(host_sample(i), cpu_pct=100.0 * (i % 2))
        panel.add_sample(Sample(start + i * 0.5, host, [], NO_NVML))
    plot = panel.cpu_plot
    # every sample is drawn from (redrawn at most once a second, so the last may wait); one point a pixel is shown
    assert len(plot.curve("cpu").xData) > 3590
    image = plot.grab().toImage()
    rect = plot.plot_rect()
    line, light = QColor(COLORS["blue"]), 0
    solid = 0
    recent = range(int(rect.center().x()) + 5, int(rect.right()) - 5)  # the half of the plot with data
    for x in recent:
        for y in range(int(rect.top()) + 2, int(rect.bottom()) - 2):
            c = image.pixelColor(x, y)
            if c == line:
                solid += 1
            elif c.blue() > c.red() + 20:  # the band: the line's colour, light
                light += 1
    column = rect.height() - 4
    # Extremes alone would paint the half solid; the mean is one line, the 0–100 % spread a light band.
    assert solid < 0.15 * column * len(recent)
    assert light > 0.6 * column * len(recent)


def test_decimation_keeps_one_mean_min_and_max_per_pixel_column() -> None:
    x = np.arange(100, dtype=float) - 100  # 100 s of samples before now
    y = np.where(np.arange(100) % 2 == 0, 0.0, 10.0)
    y[55] = np.nan  # a missing reading leaves a gap in its column only
    xs, mean, low, high = decimate(x, y, -100.0, 100.0, 10)
    assert len(xs) == 10 and np.all(np.diff(xs) > 0)
    ok = np.isfinite(mean)
    assert ok.sum() == 9 and not ok[5]
    assert np.all(mean[ok] == 5.0) and np.all(low[ok] == 0.0) and np.all(high[ok] == 10.0)


def test_axis_tops_and_ticks_are_round_numbers() -> None:
    assert [nice_ceiling(v) for v in (0.7, 3.0, 16.0, 240.0, 0.0)] == [1.0, 5.0, 20.0, 250.0, 1.0]
    assert y_ticks(100.0, 200.0) == [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    assert y_ticks(16.0, 80.0) == [0.0, 10.0]
    assert ago_tick_spacing(60, 300) == 15.0 and ago_tick_spacing(3600, 300) == 900.0
    assert ago_tick_spacing(300, 120, label_px=60) == 300.0  # too narrow for more: "now" and "−5 min" only
