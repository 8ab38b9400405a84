"""The scaling verdict: measured curves, GPU-to-GPU links, and N devices vs 1 vs the CPU in time and cost."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpuwise.core.catalog import find_gpu
from gpuwise.core.scaling import (
    MIN_EXPOSED,
    Interconnect,
    estimate_allreduce_s,
    exposed_comm_s,
    interconnect_for,
    scaling_curves,
    scaling_verdict,
    single_process_report,
)
from tests.core.test_report import make_point, make_report


@dataclass(frozen=True)
class Row:
    device: str
    label: str
    kind: str
    step_s: float | None
    time_s: float | None
    usd_per_hour: float | None
    estimated: bool


@dataclass(frozen=True)
class Job:
    params: int = 25_000_000
    samples: int = 1_000_000
    epochs: int = 1
    batch_size: int = 128


def _ddp_points(ratio: float = 1.6) -> list[Any]:
    base = make_point(world_size=1, backend="gloo", samples_per_s=1000.0, scaling_efficiency=1.0)
    two = make_point(
        world_size=2,
        backend="gloo",
        samples_per_s=1000.0 * ratio,
        threads=1,
        rank_samples_per_s=[500.0 * ratio] * 2,
        scaling_efficiency=ratio / 2,
    )
    return [base, two]


def test_single_process_report_keeps_only_single_process_points() -> None:
    plain = make_point()
    report = make_report(points=[plain, *_ddp_points()])
    kept = single_process_report(report).points
    assert [(p.world_size, p.backend) for p in kept] == [(1, ""), (1, "gloo")]


def test_curves_group_a_job_and_give_the_measured_ratio() -> None:
    curves = scaling_curves([make_point(), *_ddp_points(1.6)])
    assert len(curves) == 1
    c = curves[0]
    assert [p.world_size for p in c.points] == [1, 2]
    assert c.ratio(2) == pytest.approx(1.6)
    assert c.ratio(4) is None


def test_links_come_from_the_catalog_and_the_interconnect_file() -> None:
    h100 = interconnect_for(find_gpu("H100 SXM"))
    t4 = interconnect_for(find_gpu("T4"))
    assert h100 is not None and h100.nvlink and h100.gbs_per_direction == 450 and h100.source
    assert t4 is not None and not t4.nvlink and t4.link.startswith("PCIe")
    assert interconnect_for(find_gpu("M2 Max")) is None  # Apple GPUs do not come in groups


@given(mb=st.floats(0.001, 1e5), n=st.integers(2, 64), gbs=st.floats(1.0, 1000.0))
def test_allreduce_grows_with_bytes_and_shrinks_with_bandwidth(mb: float, n: int, gbs: float) -> None:
    link = Interconnect("x", gbs, None, False)
    faster = Interconnect("y", gbs * 2, None, False)
    t = estimate_allreduce_s(mb * 1e6, n, link)
    assert t > 0
    assert estimate_allreduce_s(mb * 2e6, n, link) > t
    assert estimate_allreduce_s(mb * 1e6, n, faster) < t
    assert estimate_allreduce_s(mb * 1e6, 1, link) == 0.0


@given(ar=st.floats(0.0, 10.0), step=st.floats(0.0, 10.0))
def test_exposed_communication_is_between_the_last_bucket_and_all_of_it(ar: float, step: float) -> None:
    e = exposed_comm_s(ar, step)
    assert MIN_EXPOSED * ar - 1e-12 <= e <= ar + 1e-12


def test_n_gpus_vs_one_vs_the_cpu() -> None:
    report = make_report(points=[make_point(), *_ddp_points(1.6)], settings={"ddp": 2})
    cpu = Row("cpu", "CPU", "cpu", 1.0, 8000.0, 0.34, False)
    h100 = Row("H100 SXM", "H100 SXM", "gpu", 0.02, 200.0, 3.0, True)
    v = scaling_verdict(report, Job(), cpu, [h100], n=2)
    by = {o.label: o for o in v.options}
    assert set(by) == {"CPU, 1 process", "CPU, 2 processes", "1 × H100 SXM", "2 × H100 SXM"}
    cpu2 = by["CPU, 2 processes"]
    assert cpu2.source == "measured scaling" and cpu2.time_s == pytest.approx(8000.0 / 1.6)
    assert cpu2.usd_per_hour == 0.34  # the same machine
    two = by["2 × H100 SXM"]
    assert two.estimated and two.usd_per_hour == 6.0
    assert two.time_s is not None and 100.0 < two.time_s < 200.0  # faster than one, never twice as fast
    assert two.cost_usd == pytest.approx(6.0 * two.time_s / 3600)
    assert "NVLink" in two.basis
    assert by["1 × H100 SXM"].source == "estimate"
    assert "Fastest: 2 × H100 SXM (estimate)" in v.sentence
    text = v.to_text()
    assert "2 × H100 SXM [estimate]" in text and "CPU, 2 processes [measured scaling]" in text
    assert v.to_dict()["options"][3]["estimated"] is True


def test_beyond_one_nvlink_domain_there_is_no_estimate() -> None:
    report = make_report(points=[make_point()])
    rtx = Row("RTX 3090", "RTX 3090", "gpu", 0.02, 200.0, 0.5, True)
    v = scaling_verdict(report, Job(), Row("cpu", "CPU", "cpu", 1.0, 8000.0, 0.34, False), [rtx], n=4)
    four = next(o for o in v.options if o.label == "4 × RTX 3090")
    assert four.time_s is None and "at most 2 GPUs" in four.basis
    assert any("--ddp 4" in n for n in v.notes)  # no measured CPU curve: says how to measure it
