"""The CSV rows behind the charts: every column present, blanks where a figure is unknown."""

from __future__ import annotations

from gpuwise.charts.rows import blank, blank_row, failure_rows, point_identity
from tests.charts.samples import point

COLUMNS = ("series", "device", "samples", "kind", "status", "message", "epoch_time_s")


def test_a_failed_point_is_a_row_of_its_own_ok_ones_are_not() -> None:
    ok = point("cpu", 1_000, 1.0)
    oom = point("A10G", 10_000, None, status="oom", estimated=True)
    [row] = failure_rows([ok, oom], COLUMNS)
    assert list(row) == list(COLUMNS)
    assert row == {
        "series": "A10G (estimate)",
        "device": "A10G",
        "samples": 10_000,
        "kind": "failed",
        "status": "oom",
        "message": "CUDA out of memory. Tried to allocate 2.00 GiB",
        "epoch_time_s": "",
    }


def test_blanks() -> None:
    assert blank(None) == "" and blank(0.0) == 0.0
    assert blank_row(("a", "b")) == {"a": "", "b": ""}
    identity = point_identity(point("cpu", 1_000, 1.0))
    assert identity["device"] == "cpu" and identity["samples"] == 1_000 and identity["epochs"] == 1
