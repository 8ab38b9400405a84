"""The scaling chart (``gpuwise.charts.scaling``) stated as behaviour: what it is titled, what each curve and its
dashed ideal are called, what a point's tooltip and the notes say, and every CSV column of every row.

Written against the mutants of ``benchmarks/mutation.py charts`` that the chart tests let through.
"""

from __future__ import annotations

import dataclasses

from gpuwise.charts.scaling import SCALING_COLUMNS, scaling_model
from gpuwise.core.report import Point
from tests.charts.samples import DDP_BASE, ddp_points, point

BASELINE = "baseline: 1 process with 4 thread(s) = 1k samples/s, measured in the same run"


def test_the_chart_is_titled_and_its_axes_say_what_they_measure() -> None:
    m = scaling_model(ddp_points())
    assert m.name == "scaling"
    assert m.title == "Data-parallel scaling: throughput vs processes"
    assert m.x_label == "processes (DistributedDataParallel ranks)"
    assert m.y_label == "throughput (samples/s, all ranks)"


def test_one_job_is_named_by_its_device_and_backend_and_its_ideal_after_it() -> None:
    m = scaling_model(ddp_points())
    main, ideal = m.series
    key = ("scaling", "cpu", "gloo", 1_000_000, 10_000, 128, "fp32")
    assert (main.key, main.name, main.device, main.variant, main.role, main.symbol_key) == (
        key,
        "cpu (gloo)",
        "cpu",
        0,
        "main",
        "fp32",
    )
    assert (ideal.key, ideal.name, ideal.device, ideal.variant, ideal.role) == (
        (*key, "ideal"),
        "cpu (gloo): ideal",
        "cpu",
        0,
        "secondary",
    )


def test_each_point_s_tooltip_says_processes_threads_throughput_efficiency_and_communication() -> None:
    main, ideal = scaling_model(ddp_points()).series
    assert [mk.tip for mk in main.marks] == [
        f"1 process (gloo), 4 thread(s) each\n1k samples/s in all\nefficiency 100% of ideal\n{BASELINE}",
        "2 processes (gloo), 2 thread(s) each\n1.6k samples/s in all\nper rank: 800, 800\nefficiency 80% of ideal\n"
        f"exposed communication 4 ms a step\nall-reduce of all gradients 2 ms\n{BASELINE}",
        "4 processes (gloo), 1 thread(s) each\n2.4k samples/s in all\nper rank: 600, 600, 600, 600\n"
        f"efficiency 60% of ideal\nexposed communication 8 ms a step\nall-reduce of all gradients 4 ms\n{BASELINE}",
    ]
    assert [mk.tip for mk in ideal.marks] == [
        "ideal: 1 × 1k = 1k samples/s",
        "ideal: 2 × 1k = 2k samples/s",
        "ideal: 4 × 1k = 4k samples/s",
    ]


def test_the_notes_give_each_job_s_efficiency_beyond_one_process_and_explain_the_dashes() -> None:
    notes = scaling_model(ddp_points()).notes
    assert [(n.text, n.device, n.variant, n.priority) for n in notes] == [
        ("cpu (gloo): efficiency 2 → 80%, 4 → 60%", "cpu", 0, 1),
        (f"Dashed: ideal scaling (N × one process of the same run). {BASELINE}", None, 0, 0),
    ]


def test_every_row_has_every_column_with_the_point_s_own_figures() -> None:
    rows = scaling_model(ddp_points()).rows
    common = {
        "series": "cpu (gloo)",
        "device": "cpu",
        "backend": "gloo",
        "family": "mlp",
        "params": 1_000_000,
        "samples": 10_000,
        "batch_size": 128,
        "precision": "fp32",
        "baseline_samples_per_s": DDP_BASE,
        "status": "ok",
        "message": "",
    }
    assert rows == [
        {
            **common,
            "processes": w,
            "threads_per_rank": 4 // w,
            "samples_per_s": total,
            "ideal_samples_per_s": w * DDP_BASE,
            "scaling_efficiency": eff,
            "rank_samples_per_s": ranks,
            "comm_time_s": comm,
            "allreduce_time_s": allreduce,
        }
        for w, total, eff, ranks, comm, allreduce in (
            (1, 1000.0, 1.0, "1000", "", ""),
            (2, 1600.0, 0.8, "800 800", 0.004, 0.002),
            (4, 2400.0, 0.6, "600 600 600 600", 0.008, 0.004),
        )
    ]
    assert all(list(r) == list(SCALING_COLUMNS) for r in rows)


def _other_job(params: int) -> list[Point]:
    return [
        dataclasses.replace(p, params=params, architecture=point("cpu", 1, 1.0, params=params).architecture)
        for p in ddp_points()
    ]


def test_several_jobs_are_told_apart_by_model_and_dataset_size_and_shaded_in_order() -> None:
    m = scaling_model([*ddp_points(), *_other_job(100_000)])
    assert [(s.name, s.variant) for s in m.series] == [
        ("cpu (gloo), 1M params × 10k", 0),
        ("cpu (gloo), 1M params × 10k: ideal", 0),
        ("cpu (gloo), 100k params × 10k", 1),
        ("cpu (gloo), 100k params × 10k: ideal", 1),
    ]
    assert [(n.text, n.device, n.variant) for n in m.notes[:2]] == [
        ("cpu (gloo), 1M params × 10k: efficiency 2 → 80%, 4 → 60%", "cpu", 0),
        ("cpu (gloo), 100k params × 10k: efficiency 2 → 80%, 4 → 60%", "cpu", 1),
    ]
    assert [r["series"] for r in m.rows] == ["cpu (gloo), 1M params × 10k"] * 3 + ["cpu (gloo), 100k params × 10k"] * 3


def test_without_a_single_process_baseline_there_is_no_ideal_line_and_no_ideal_column() -> None:
    pts = ddp_points()
    pts[0] = dataclasses.replace(pts[0], status="failed", message="gloo init failed", samples_per_s=None)
    m = scaling_model(pts)
    [main] = m.series
    assert [mk.x for mk in main.marks] == [2.0, 4.0]
    assert [r["ideal_samples_per_s"] for r in m.rows] == ["", "", ""]
    assert [n.text for n in m.notes] == [
        "Dashed: ideal scaling (N × one process of the same run). "
        "no single-process baseline was measured, so no efficiency"
    ]


def test_a_baseline_that_measured_no_throughput_gives_no_ideal_line() -> None:
    pts = ddp_points()
    pts[0] = dataclasses.replace(pts[0], samples_per_s=None)
    m = scaling_model(pts)
    assert [s.role for s in m.series] == ["main"]
    assert [r["ideal_samples_per_s"] for r in m.rows] == ["", "", ""]


def test_a_failed_point_is_a_red_cross_with_its_message_never_a_mark_even_with_a_throughput() -> None:
    pts = ddp_points()
    pts[2] = dataclasses.replace(pts[2], status="failed", message="NCCL timeout")
    m = scaling_model(pts)
    assert [mk.x for mk in m.series[0].marks] == [1.0, 2.0]
    assert [(f.x, f.tip) for f in m.failures] == [(4.0, "4 processes: failed: NCCL timeout")]
    assert m.rows[2]["status"] == "failed" and m.rows[2]["message"] == "NCCL timeout"


def test_a_point_without_an_efficiency_is_left_out_of_the_efficiency_note() -> None:
    pts = ddp_points()
    pts[1] = dataclasses.replace(pts[1], scaling_efficiency=None)
    notes = scaling_model(pts).notes
    assert notes[0].text == "cpu (gloo): efficiency 4 → 60%"


def test_a_job_measured_on_one_process_only_is_a_lone_point_beside_its_ideal() -> None:
    m = scaling_model(ddp_points()[:1])
    main, ideal = m.series
    assert [(mk.x, mk.y) for mk in main.marks] == [(1.0, 1000.0)]
    assert [(mk.x, mk.y) for mk in ideal.marks] == [(1.0, 1000.0)]
    assert main.device == ideal.device == "cpu" and main.symbol_key == ideal.symbol_key == "fp32"
