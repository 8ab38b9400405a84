"""The shareable HTML report: self-contained, escaped, complete, printable."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from html.parser import HTMLParser
from typing import Any

import pytest

from gpuwise.core.report import Report, load_report
from gpuwise.core.resources import resource_path
from gpuwise.core.verdict import compute_verdict
from gpuwise.ui.report_html import build_document, esc, report_html
from tests.ui.conftest import make_point, make_report

EVIL = "<script>alert('x')</script>"
EXAMPLE = "example-h200-xeon16-mlp.json"


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(doc: str) -> _Tags:
    parser = _Tags()
    parser.feed(doc)
    parser.close()
    return parser


def _hostile(report: Report) -> Report:
    """The example report with markup in the host name, the CPU model and a failed point's message."""
    machine = {**report.machine, "hostname": EVIL, "cpu": {**report.machine["cpu"], "model": f"Xeon {EVIL}"}}
    failed = dataclasses.replace(
        report.points[-1],
        status="failed",
        message=f"crashed: {EVIL}\x1b[31m",
        samples_per_s=None,
        step_time_s=None,
        epoch_time_s=None,
        time_to_train_s=None,
    )
    # a device name that reaches the charts' legends (inline SVG) and the tables
    renamed = [dataclasses.replace(p, device=f"cuda:0{EVIL}") if p.device == "cuda:0" else p for p in report.points]
    return dataclasses.replace(report, machine=machine, points=[*renamed, failed])


@pytest.fixture(scope="module")
def example() -> Report:
    return load_report(resource_path(EXAMPLE))


@pytest.fixture
def hostile_doc(qtbot: Any, example: Report) -> str:
    return report_html(_hostile(example), source=f"{EVIL}.json")


def test_report_strings_are_escaped_everywhere(hostile_doc: str) -> None:
    assert "<script" not in hostile_doc.lower()
    assert esc(EVIL) in hostile_doc  # shown, as text
    parsed = _parse(hostile_doc)
    assert "script" not in {tag for tag, _ in parsed.tags}
    text = "".join(parsed.text)
    assert f"hostname{EVIL}" in text.replace("\n", "")  # the machine table row: key, value
    assert f"crashed: {EVIL}\ufffd[31m" in text  # the failed point's message; the terminal escape defused
    charts = hostile_doc.split("<h2>Charts</h2>")[1].split("</section>")[0]
    assert "cuda:0&lt;script&gt;" in charts  # the legends of the inline SVG charts, as text


def test_the_file_is_self_contained(hostile_doc: str) -> None:
    parsed = _parse(hostile_doc)
    for tag, attrs in parsed.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed", "img"), tag
        for name in ("src", "href", "xlink:href", "action"):
            value = attrs.get(name) or ""
            assert not value or value.startswith(("#", "data:")), (tag, name, value)
    csp = [a for t, a in parsed.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in (csp[0].get("content") or "")
    assert "@media print" in hostile_doc and "break-inside: avoid" in hostile_doc


def test_it_holds_the_verdict_charts_machine_points_and_method(qtbot: Any, example: Report) -> None:
    doc = report_html(example)
    parsed = _parse(doc)
    text = "".join(parsed.text)
    verdict = compute_verdict(example)
    assert esc(verdict.sentence) in doc
    for row in verdict.table_rows():
        assert all(esc(cell) in doc for cell in row)
    svgs = [a for t, a in parsed.tags if t == "svg"]
    assert len(svgs) == 4  # epoch time, throughput, speedup, micro-benchmarks: the example has all four
    assert all(a.get("viewbox") for a in svgs)
    assert "NVIDIA H200" in text and "Intel(R) Xeon(R) Processor" in text
    points_table = doc.split("<h2>Every point")[1].split("</table>")[0]
    assert points_table.count('<tbody class="point') == len(example.points)
    assert "Every point: batch 128 · 1 epoch · fp32 · adam · 16 threads." in doc  # said once, not in each row
    assert "How these numbers were made" in text and "bootstrap 95 % CI" in text


def test_a_report_without_a_verdict_still_makes_a_page(qtbot: Any) -> None:
    gpu_only = make_report([make_point(device="cuda:0", device_name="Test GPU")])
    doc = report_html(gpu_only)
    assert "No verdict: the report has no measured CPU points" in doc
    assert "<h2>Every point (1)</h2>" in doc


def test_estimates_are_labeled(qtbot: Any) -> None:
    report = make_report([make_point(params=100_000, samples=10_000)])  # no GPU: the verdict estimates T4, H100
    doc = build_document(report, compute_verdict(report), {}, generated=datetime(2026, 1, 2, tzinfo=timezone.utc))
    assert "rests on estimates" in doc
    assert '<tr class="estimate">' in doc
    assert "2026-01-02 00:00 UTC" in doc


# ---------------------------------------------------------------- File → Export report… in the app


@pytest.fixture
def window(qtbot: Any, settings: Any, tmp_path: Any) -> Any:
    from gpuwise.ui.main_window import MainWindow
    from tests.ui.conftest import FakeSampler, fake_inventory

    w = MainWindow(
        settings, sampler=FakeSampler(), monitor_threaded=False, discover=fake_inventory, data_dir=tmp_path / "data"
    )
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.is_ready() and w.inventory() is not None and not w.is_busy(), timeout=5000)
    return w


def _dismiss(window: Any) -> str:
    box = window.last_message_box
    assert box is not None, "expected a message dialog"
    text = str(box.text())
    box.done(0)
    return text


def test_the_app_exports_the_report_it_shows(qtbot: Any, window: Any, tmp_path: Any) -> None:
    assert window.export_report_action in window.file_menu.actions()
    assert not window.export_report_html(tmp_path / "nothing.html")
    assert "Run a comparison or open a report first" in _dismiss(window)
    assert not (tmp_path / "nothing.html").exists()

    assert window.open_report(resource_path(EXAMPLE))
    qtbot.waitUntil(lambda: window.verdict.verdict() is not None, timeout=5000)
    assert window.export_report_html(tmp_path / "shared")  # the extension is added
    doc = (tmp_path / "shared.html").read_text(encoding="utf-8")
    assert esc(window.verdict.verdict().sentence) in doc  # the card's verdict, with the user's prices
    assert f"from {EXAMPLE}" in doc
    assert doc.count("<svg") == 4
    assert "Exported the report" in window.status_label.text()

    assert not window.export_report_html(tmp_path / "missing-folder" / "r.html")
    assert "missing-folder" in _dismiss(window)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left behind


def test_a_micro_result_s_share_names_the_peak_it_is_a_share_of(qtbot: Any) -> None:
    from gpuwise.core.report import MicroResult

    base = make_report([make_point()])
    cpu = {**base.machine.get("cpu", {}), "peak_fp32_gflops": 300.0, "clock_ghz": 2.4, "clock_source": "current"}
    micro = [
        MicroResult("cpu", "matmul", "fp32", 1024, 150.0, "GFLOP/s", peak_fraction=0.5),
        MicroResult("cuda:0", "matmul", "fp32", 1024, 5000.0, "GFLOP/s", peak_fraction=0.25),
    ]
    doc = report_html(dataclasses.replace(base, machine={**base.machine, "cpu": cpu}, micro=micro))
    table = doc.split("<h2>Micro-benchmarks")[1].split("</table>")[0]
    assert "Share of peak" in table and "theoretical peak</th>" not in table
    # a formula at a clock that is not the maximum is no theoretical peak; a GPU's catalog peak is
    assert "50 % of formula peak" in table and "25 % of theoretical peak" in table
