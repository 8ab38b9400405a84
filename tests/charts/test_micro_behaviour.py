"""The micro-benchmarks chart (``gpuwise.charts.micro``) stated as behaviour: which results it plots, how its
curves, the CPU's peak line, its notes and its bars are named, and every CSV row.

Written against the mutants of ``benchmarks/mutation.py charts`` that the chart tests let through.
"""

from __future__ import annotations

from typing import Any

import pytest

from gpuwise.charts.micro import micro_model
from gpuwise.charts.model import ChartInputs, ChartModel
from gpuwise.core.report import MicroResult
from tests.charts.samples import PEAK_GFLOPS, synthetic_report

FORMULA = "2 cores × 2.4 GHz × 64 FLOP/cycle"
UNKNOWN_CLOCK_NOTE = (
    "The formula uses a clock this report does not record: a turbo clock can exceed it, so the formula is not a "
    "theoretical peak here"
)


def _model(micro: list[MicroResult] | None = None, cpu: dict[str, Any] | None = None) -> ChartModel:
    r = synthetic_report()
    machine = r.machine if cpu is None else {"cpu": cpu}
    return micro_model(
        ChartInputs(points=r.points, estimates=[], micro=r.micro if micro is None else micro, machine=machine)
    )


def _matmul(device: str, n: int, gflops: float, precision: str = "fp32", **kw: Any) -> MicroResult:
    return MicroResult(device, "matmul", precision, n, gflops, "GFLOP/s", **kw)


def _bw(device: str, kind: str, size: int, gbs: float) -> MicroResult:
    return MicroResult(device, kind, "fp32", size, gbs, "GB/s")


def test_the_chart_is_titled_and_its_axes_say_what_they_measure() -> None:
    m = _model()
    assert m.name == "matmul"
    assert m.title == "Matrix multiply speed — by matrix size"
    assert m.x_label == "matrix size n (n × n, fp32 unless noted)"
    assert (m.y_label, m.bar_y_label) == ("matmul speed (GFLOP/s)", "bandwidth (GB/s)")


def test_each_device_s_matmul_is_a_measured_curve_named_by_its_device() -> None:
    m = _model()
    assert [(s.key, s.name, s.device, s.estimated, s.variant, s.symbol_key, s.role) for s in m.series] == [
        (("matmul", "cpu", False, "fp32"), "cpu · matmul", "cpu", False, 0, "fp32", "main"),
        (("matmul", "cuda:0", False, "fp32"), "cuda:0 · matmul", "cuda:0", False, 0, "fp32", "main"),
    ]
    assert all(mk.kind == "measured" for s in m.series for mk in s.marks)
    # a GPU's result has no peak fraction: its tip says only what ran and what it reached
    assert [mk.tip for mk in m.series[1].marks] == [
        "cuda:0 · fp32 matmul 256×256\n500 GFLOP/s\nmeasured",
        "cuda:0 · fp32 matmul 512×512\n3000 GFLOP/s\nmeasured",
        "cuda:0 · fp32 matmul 1024×1024\n8000 GFLOP/s\nmeasured",
    ]


@pytest.mark.parametrize(
    ("source", "label"), [("", "formula peak"), ("current", "formula peak"), ("max", "theoretical peak")]
)
def test_a_cpu_point_s_share_of_the_peak_names_the_peak_as_the_line_does(source: str, label: str) -> None:
    cpu = {"peak_fp32_gflops": PEAK_GFLOPS, "clock_ghz": 2.4, "clock_source": source}
    m = _model(cpu=cpu)
    assert m.series[0].marks[0].tip == f"cpu · fp32 matmul 256×256\n50 GFLOP/s\n16% of {label}\nmeasured"
    assert m.hlines[0].label == f"CPU {label} fp32: 307.2 GFLOP/s" and m.hlines[0].short == f"CPU {label}"
    [peak_row] = [r for r in m.rows if r["kind"] == "theoretical_peak"]
    assert peak_row["series"] == f"cpu {label}"


def test_a_gpu_point_s_share_is_of_its_published_peak_whatever_the_cpu_s_clock() -> None:
    # the CPU's formula peak names only the CPU's share; a GPU's share is of its catalog (theoretical) peak
    cpu = {"peak_fp32_gflops": PEAK_GFLOPS, "clock_ghz": 2.4, "clock_source": "current"}
    m = _model([_matmul("cpu", 256, 50.0, peak_fraction=0.16), _matmul("cuda:0", 256, 500.0, peak_fraction=0.025)], cpu)
    tips = {s.device: s.marks[0].tip for s in m.series}
    assert tips == {
        "cpu": "cpu · fp32 matmul 256×256\n50 GFLOP/s\n16% of formula peak\nmeasured",
        "cuda:0": "cuda:0 · fp32 matmul 256×256\n500 GFLOP/s\n2% of theoretical peak\nmeasured",
    }


@pytest.mark.parametrize(
    ("precisions", "names"),
    [
        (("fp32",), ["cpu · matmul"]),
        (("bf16",), ["cpu bf16 · matmul"]),  # not the default precision: say it even alone
        (("fp32", "bf16"), ["cpu fp32 · matmul", "cpu bf16 · matmul"]),
    ],
)
def test_a_curve_names_its_precision_unless_every_curve_is_fp32(precisions: tuple[str, ...], names: list[str]) -> None:
    m = _model([_matmul("cpu", 256, 50.0, p) for p in precisions])
    assert [s.name for s in m.series] == names
    assert [s.symbol_key for s in m.series] == list(precisions)
    assert [r["series"] for r in m.rows if r["kind"] == "matmul"] == [n.removesuffix(" · matmul") for n in names]


def test_only_results_above_zero_are_plotted() -> None:
    micro = [
        _matmul("cpu", 1, 0.5),
        _matmul("cpu", 256, 0.0),
        _matmul("cpu", 0, 50.0),
        _bw("cpu", "triad", 1 << 20, 0.5),
        _bw("cuda:0", "h2d_pinned", 1 << 20, 0.0),
    ]
    m = _model(micro)
    assert [[(mk.x, mk.y) for mk in s.marks] for s in m.series] == [[(1.0, 0.5)]]
    assert [(b.device, b.value) for b in m.bars] == [("cpu", 0.5)]


def test_the_peak_line_and_the_best_cpu_matmul_against_it() -> None:
    m = _model()
    assert [(h.y, h.label, h.role, h.short, h.device) for h in m.hlines] == [
        (PEAK_GFLOPS, "CPU formula peak fp32: 307.2 GFLOP/s", "peak", "CPU formula peak", None)
    ]
    assert [(n.text, n.device) for n in m.notes] == [
        (f"CPU best fp32 matmul: 180 GFLOP/s = 59% of the formula peak 307.2 GFLOP/s ({FORMULA})", "cpu"),
        (UNKNOWN_CLOCK_NOTE, "cpu"),
    ]


@pytest.mark.parametrize("formula", [None, "", 5])
def test_a_missing_or_unreadable_formula_is_left_out_of_the_note(formula: object) -> None:
    m = _model(cpu={"peak_fp32_gflops": PEAK_GFLOPS, "peak_formula": formula})
    assert m.notes[0].text == "CPU best fp32 matmul: 180 GFLOP/s = 59% of the formula peak 307.2 GFLOP/s"


def test_a_small_but_positive_peak_still_draws_its_line() -> None:
    m = _model([_matmul("cpu", 256, 0.4)], cpu={"peak_fp32_gflops": 0.5})
    assert [h.y for h in m.hlines] == [0.5]


def test_a_cpu_matmul_above_the_formula_peak_gets_a_capitalised_note_saying_so() -> None:
    m = _model([_matmul("cpu", 1024, 400.0)], cpu={"peak_fp32_gflops": PEAK_GFLOPS, "clock_source": "max"})
    assert [(n.text, n.device) for n in m.notes] == [
        ("CPU best fp32 matmul: 400 GFLOP/s = 130% of the theoretical peak 307.2 GFLOP/s", "cpu"),
        (
            "The measured 400 GFLOP/s is above the formula's 307: this CPU runs a faster clock or has more FMA "
            "units than the formula assumes",
            "cpu",
        ),
    ]


def test_without_a_cpu_matmul_the_peak_line_stands_alone() -> None:
    m = _model([_matmul("cuda:0", 1024, 8000.0)])
    assert [h.y for h in m.hlines] == [PEAK_GFLOPS]
    assert m.notes == []


def test_every_row_has_every_column_the_peak_in_gflops_and_each_bar_s_results_by_size() -> None:
    micro = [_matmul("cpu", 256, 50.0, peak_fraction=0.25), _bw("cpu", "triad", 1 << 26, 12.0)]
    micro.append(_bw("cpu", "triad", 1 << 20, 20.0))
    assert _model(micro).rows == [
        {
            "series": "cpu",
            "device": "cpu",
            "kind": "matmul",
            "precision": "fp32",
            "size": 256,
            "value": 50.0,
            "unit": "GFLOP/s",
            "peak_fraction": 0.25,
        },
        {
            "series": "cpu formula peak",
            "device": "cpu",
            "kind": "theoretical_peak",
            "precision": "fp32",
            "size": "",
            "value": PEAK_GFLOPS,
            "unit": "GFLOP/s",
            "peak_fraction": "",
        },
        *(
            {
                "series": "cpu memory bandwidth (STREAM triad)",
                "device": "cpu",
                "kind": "triad",
                "precision": "fp32",
                "size": size,
                "value": value,
                "unit": "GB/s",
                "peak_fraction": "",
            }
            for size, value in ((1 << 20, 20.0), (1 << 26, 12.0))
        ),
    ]


def test_bars_carry_their_device_kind_best_value_and_short_number() -> None:
    micro = [_bw("cpu", "triad", 1 << 20, 20.04), _bw("cpu", "triad", 1 << 26, 12.0)]
    micro.append(_bw("cuda:0", "h2d_pageable", 1 << 26, 3580.4))
    bars = _model(micro).bars
    assert [(b.label, b.device, b.kind, b.value, b.value_text) for b in bars] == [
        ("cpu\nRAM", "cpu", "triad", 20.04, "20"),
        ("copy\npageable", "cuda:0", "h2d_pageable", 3580.4, "3580"),
    ]


def test_a_measurement_of_an_unknown_kind_is_named_by_its_device_and_kind() -> None:
    [bar] = _model([_bw("cuda:0", "d2h", 1 << 20, 9.0)]).bars
    assert bar.label == "cuda:0\nd2h"
    assert bar.tip == "cuda:0 d2h\nbest 9 GB/s\n1 MiB: 9 GB/s\nmeasured"


def test_the_cpu_s_bars_come_first_whatever_the_other_devices_are_called() -> None:
    micro = [_bw("amd:0", "h2d_pinned", 1 << 20, 9.0), _bw("cpu", "triad", 1 << 20, 20.0)]
    micro.append(_bw("cpu · laptop", "triad", 1 << 20, 15.0))
    assert [b.device for b in _model(micro).bars] == ["cpu", "cpu · laptop", "amd:0"]
