"""The charts gpuwise draws, by the names the app's tabs, ``gpuwise plot --chart`` and exports use.

A module of its own (no imports) so that the command line can list them in ``--help`` without loading the
chart models.
"""

from __future__ import annotations

from typing import Final

CHART_NAMES: Final = ("epoch-time", "throughput", "speedup", "matmul", "scaling")


def check_chart_name(name: str) -> str:
    """``name`` when gpuwise draws such a chart; a KeyError that lists the charts otherwise."""
    if name not in CHART_NAMES:
        raise KeyError(f"unknown chart {name!r} (one of {', '.join(CHART_NAMES)})")
    return name
