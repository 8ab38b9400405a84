"""The micro-benchmarks chart's model: matmul curves beside the CPU's peak line, bandwidth bars, and their rows."""

from __future__ import annotations

import pytest

from gpuwise.charts.micro import MICRO_COLUMNS, _bar_value_text, micro_model
from gpuwise.charts.model import PLACEHOLDER, ChartInputs, ChartModel
from gpuwise.core.report import MicroResult
from tests.charts.samples import PEAK_GFLOPS, measured_points, synthetic_report


def _model() -> ChartModel:
    r = synthetic_report()
    return micro_model(ChartInputs(points=r.points, estimates=[], micro=r.micro, machine=r.machine))


def test_matmul_curves_by_matrix_size() -> None:
    m = _model()
    curves = {s.name: [(mk.x, mk.y) for mk in s.marks] for s in m.series}
    assert curves == {
        "cpu · matmul": [(256.0, 50.0), (512.0, 120.0), (1024.0, 180.0)],
        "cuda:0 · matmul": [(256.0, 500.0), (512.0, 3000.0), (1024.0, 8000.0)],
    }
    assert "16% of formula peak" in m.series[0].marks[0].tip  # 50 of 307.2, named as the line is
    assert m.y_label == "matmul speed (GFLOP/s)" and m.bar_y_label == "bandwidth (GB/s)"


def test_the_cpu_peak_line_and_how_close_the_best_matmul_came() -> None:
    m = _model()
    [peak] = m.hlines
    assert (peak.y, peak.role) == (PEAK_GFLOPS, "peak")
    # the sample report does not say where its clock came from: its formula is not called a theoretical peak
    assert peak.label == "CPU formula peak fp32: 307.2 GFLOP/s"
    assert m.notes[0].text.startswith("CPU best fp32 matmul: 180 GFLOP/s = 59% of the formula peak 307.2 GFLOP/s")
    [row] = [r for r in m.rows if r["kind"] == "theoretical_peak"]
    assert row["value"] == PEAK_GFLOPS


def test_bandwidth_bars_cpu_first_with_short_labels_and_the_best_size() -> None:
    r = synthetic_report()
    micro = [*r.micro, MicroResult("cpu", "triad", "fp32", 1 << 20, 20.0, "GB/s")]
    m = micro_model(ChartInputs(points=[], estimates=[], micro=micro, machine=r.machine))
    assert [(b.label, b.value) for b in m.bars] == [("cpu\nRAM", 20.0), ("copy\npinned", 11.0)]
    assert m.bars[1].tip.startswith("copy host → cuda:0 from pinned memory")  # the device, in full
    # copies to two GPUs: each bar names its GPU
    two = [*micro, MicroResult("cuda:1", "h2d_pinned", "fp32", 1 << 20, 12.0, "GB/s")]
    labels = [b.label for b in micro_model(ChartInputs(points=[], estimates=[], micro=two, machine=r.machine)).bars]
    assert labels == ["cpu\nRAM", "→cuda:0\npinned", "→cuda:1\npinned"]
    assert m.bars[0].tip.startswith("cpu memory bandwidth (STREAM triad)\nbest 20 GB/s\n1 MiB: 20 GB/s\n64 MiB")
    assert len([r for r in m.rows if r["kind"] == "triad"]) == 2


def test_rows_follow_the_columns() -> None:
    m = _model()
    assert all(list(r) == list(MICRO_COLUMNS) for r in m.rows)
    assert len(m.rows) == len(synthetic_report().micro) + 1  # and the peak


def test_bar_numbers_stay_short() -> None:
    assert [_bar_value_text(v) for v in (3580.4, 99.96, 19.34, 0.5)] == ["3580", "100", "19.3", "0.5"]


def test_a_report_without_micro_benchmarks_says_so() -> None:
    m = micro_model(ChartInputs(points=measured_points(), estimates=[], micro=[], machine={}))
    assert not m.has_data and m.placeholder == "No micro-benchmarks in this report"
    assert micro_model(ChartInputs(points=[], estimates=[], micro=[], machine={})).placeholder == PLACEHOLDER


@pytest.mark.parametrize("peak", [None, 0, -1.0, True, "307"])
def test_no_usable_peak_no_line(peak: object) -> None:
    r = synthetic_report()
    machine = {"cpu": {"peak_fp32_gflops": peak}}
    m = micro_model(ChartInputs(points=[], estimates=[], micro=r.micro, machine=machine))
    assert m.hlines == [] and m.series  # the curves stay
