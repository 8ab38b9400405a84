"""The verdict, by concern: ``values`` (what it says), ``rule`` (the one decision, on job cost), ``pricing`` (one
price resolution), ``time_to_train``, ``memory_fit``, ``break_even``, ``text`` (one renderer) and ``verdict``
(which assembles them)."""

from gpuwise.core.decide.rule import (
    BILLING_LABELS,
    BILLINGS,
    MIN_BILLED_S,
    TIE_TOLERANCE,
    Billing,
    Outcome,
    billed_cost,
    check_billing,
    cost_crossovers,
    cost_range,
    decide_costs,
    job_cost,
    pays_at,
    speedup_range,
)
from gpuwise.core.decide.text import PAYS_WORDS, format_band, format_ratio, format_usd
from gpuwise.core.decide.values import (
    DEFAULT_COMPARISON,
    BreakEven,
    DeviceVerdict,
    Overall,
    PriceBook,
    Source,
    Verdict,
    Workload,
)
from gpuwise.core.decide.verdict import compute_verdict, default_workload, measured_points

__all__ = [
    "BILLINGS",
    "BILLING_LABELS",
    "DEFAULT_COMPARISON",
    "MIN_BILLED_S",
    "PAYS_WORDS",
    "TIE_TOLERANCE",
    "Billing",
    "BreakEven",
    "DeviceVerdict",
    "Outcome",
    "Overall",
    "PriceBook",
    "Source",
    "Verdict",
    "Workload",
    "billed_cost",
    "check_billing",
    "compute_verdict",
    "cost_crossovers",
    "cost_range",
    "decide_costs",
    "default_workload",
    "format_band",
    "format_ratio",
    "format_usd",
    "job_cost",
    "measured_points",
    "pays_at",
    "speedup_range",
]
