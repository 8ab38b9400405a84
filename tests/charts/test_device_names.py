"""Device names on the charts: a compared report's tag, the CPU, and estimates."""

from __future__ import annotations

from gpuwise.charts.device_names import device_label, is_cpu, split_device


def test_a_compared_report_tags_its_devices() -> None:
    assert split_device("cuda:0 · laptop") == ("cuda:0", "laptop")
    assert split_device("cpu") == ("cpu", "")
    assert is_cpu("cpu · laptop") and is_cpu("cpu")
    assert not is_cpu("cuda:0") and not is_cpu("cpus")


def test_an_estimate_says_so() -> None:
    assert device_label("A10G", True) == "A10G (estimate)"
    assert device_label("cuda:0", False) == "cuda:0"
