"""Any chart's model by its name: the one table from a chart name to the function that computes it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from gpuwise.charts.epoch_time import epoch_model
from gpuwise.charts.micro import micro_model
from gpuwise.charts.model import MEASURING_PLACEHOLDER, PLACEHOLDER, ChartInputs, ChartModel
from gpuwise.charts.names import check_chart_name
from gpuwise.charts.scaling import scaling_model
from gpuwise.charts.speedup import speedup_model
from gpuwise.charts.throughput import throughput_model


def _scaling(inputs: ChartInputs) -> ChartModel:
    return scaling_model(inputs.scaling_points)


BUILDERS: dict[str, Callable[[ChartInputs], ChartModel]] = {
    "epoch-time": epoch_model,
    "throughput": throughput_model,
    "speedup": speedup_model,
    "matmul": micro_model,
    "scaling": _scaling,
}


def build_model(name: str, inputs: ChartInputs) -> ChartModel:
    model = BUILDERS[check_chart_name(name)](inputs)
    if inputs.measuring and not model.has_data and model.placeholder == PLACEHOLDER:
        return replace(model, placeholder=MEASURING_PLACEHOLDER)
    return model
