"""Live telemetry without Qt: host (psutil) and NVIDIA GPU (NVML) probes, a sampler and a ring-buffer history.

Front ends (``gpuwise monitor``, the desktop monitor panel) poll a :class:`Sampler` into a :class:`History`.
"""

from gpuwise.core.telemetry.host import HostProbe, HostSample, TemperatureReading
from gpuwise.core.telemetry.na import NA, NotAvailable, format_pair, format_pct, format_reading, format_size
from gpuwise.core.telemetry.nvml import (
    THROTTLING_EVENTS,
    GpuProcess,
    GpuSample,
    NvmlProbe,
    NvmlState,
    NvmlStatus,
    decode_clock_events,
    get_nvml_probe,
)
from gpuwise.core.telemetry.sampler import (
    PROCESS_POLL_INTERVAL_S,
    History,
    Sample,
    Sampler,
    history_capacity,
    sample_metrics,
)

__all__ = [
    "NA",
    "PROCESS_POLL_INTERVAL_S",
    "THROTTLING_EVENTS",
    "GpuProcess",
    "GpuSample",
    "History",
    "HostProbe",
    "HostSample",
    "NotAvailable",
    "NvmlProbe",
    "NvmlState",
    "NvmlStatus",
    "Sample",
    "Sampler",
    "TemperatureReading",
    "decode_clock_events",
    "format_pair",
    "format_pct",
    "format_reading",
    "format_size",
    "get_nvml_probe",
    "history_capacity",
    "sample_metrics",
]
