"""The one decision: does a GPU pay for this job? Decided on what the job costs, with the billing the table shows.

A GPU that costs k times the CPU pays only when the job costs less on it. For jobs longer than the billing
minimum that is the article's rule (the GPU must be more than k times faster); for shorter ones the minimum
decides. Each device's time-to-train CI becomes a cost range (cost is monotone in time): the GPU pays when its
whole cost range lies below the CPU's, does not pay when it lies at or above it everywhere, and "can't tell" only
when the ranges overlap. A tie (within 0.01 %) does not pay: the same money buys the same job, with more hassle.

Every surface (the card, ``gpuwise advise``, break-even sizes, the speedup chart's crossovers) asks these
functions; none of them compares speedups with price ratios on its own.
"""

from __future__ import annotations

import math
from typing import Literal

Billing = Literal["per_second", "per_hour"]
Outcome = Literal["pays", "does_not_pay", "cant_tell", "does_not_fit", "no_price"]

BILLINGS: tuple[Billing, ...] = ("per_second", "per_hour")
BILLING_LABELS: dict[str, str] = {
    "per_second": "per second, 60 s minimum",
    "per_hour": "per started hour",
}
TIE_TOLERANCE = 1e-4
MIN_BILLED_S = 60.0


def check_billing(value: str) -> Billing:
    from gpuwise.core.errors import UserInputError

    v = value.strip().lower().replace("-", "_")
    for b in BILLINGS:
        if v == b:
            return b
    raise UserInputError(f"unknown billing {value!r} (choose from per-second, per-hour)")


def billed_cost(seconds: float, usd_per_hour: float, billing: Billing = "per_second") -> float:
    """What a job of ``seconds`` costs: per second with a 60 s minimum, or per started hour."""
    if billing == "per_hour":
        return usd_per_hour * max(1, math.ceil(seconds / 3600.0 - 1e-9))
    return usd_per_hour * max(seconds, MIN_BILLED_S) / 3600.0


def job_cost(seconds: float, usd_per_hour: float) -> tuple[float, float]:
    """(per-second cost with a 60 s minimum, cost per started hour): the two columns of the table."""
    return billed_cost(seconds, usd_per_hour, "per_second"), billed_cost(seconds, usd_per_hour, "per_hour")


def cost_range(
    time_s: float, time_ci: tuple[float, float] | None, usd_per_hour: float, billing: Billing
) -> tuple[float, tuple[float, float]]:
    """The job's cost and its range from the time's CI (the central time always inside the range)."""
    lo_t, hi_t = time_ci if time_ci is not None else (time_s, time_s)
    lo_t, hi_t = min(lo_t, time_s), max(hi_t, time_s)
    return billed_cost(time_s, usd_per_hour, billing), (
        billed_cost(lo_t, usd_per_hour, billing),
        billed_cost(hi_t, usd_per_hour, billing),
    )


def decide_costs(cpu: tuple[float, float], gpu: tuple[float, float]) -> Outcome:
    """Compare the CPU's and the GPU's cost ranges (low, high) for the same job."""
    c_lo, c_hi = cpu
    g_lo, g_hi = gpu
    if g_hi < c_lo * (1 - TIE_TOLERANCE):
        return "pays"
    if g_lo >= c_hi * (1 - TIE_TOLERANCE):
        return "does_not_pay"
    return "cant_tell"


def pays_at(
    cpu_time: float, gpu_time: float, cpu_per_hour: float, gpu_per_hour: float, billing: Billing = "per_second"
) -> bool:
    """The decision on central times alone (curves, break-even sizes, chart crossovers)."""
    c = billed_cost(cpu_time, cpu_per_hour, billing)
    g = billed_cost(gpu_time, gpu_per_hour, billing)
    return decide_costs((c, c), (g, g)) == "pays"


def speedup_range(
    cpu_time: float, cpu_ci: tuple[float, float] | None, gpu_time: float, gpu_ci: tuple[float, float] | None
) -> tuple[float, tuple[float, float]]:
    """T_cpu / T_gpu and the range the two time ranges allow (the same ranges the costs come from)."""
    c_lo, c_hi = cpu_ci if cpu_ci is not None else (cpu_time, cpu_time)
    g_lo, g_hi = gpu_ci if gpu_ci is not None else (gpu_time, gpu_time)
    c_lo, c_hi = min(c_lo, cpu_time), max(c_hi, cpu_time)
    g_lo, g_hi = max(min(g_lo, gpu_time), 1e-300), max(g_hi, gpu_time)
    return cpu_time / gpu_time, (c_lo / g_hi, c_hi / g_lo)


def cost_crossovers(
    xs: list[float], cpu_costs: list[float], gpu_costs: list[float]
) -> list[tuple[float, Literal["up", "down"]]]:
    """Where along ``xs`` (ascending) the decision on these job costs flips, interpolated in log space.

    "up": the GPU starts to pay above that x; "down": it stops paying. A point whose decision is "does not pay"
    (a tie included) is never on the paying side, so a curve touching the break-even line is not a crossover.
    """
    out: list[tuple[float, Literal["up", "down"]]] = []
    prev: tuple[float, float, bool] | None = None
    for x, c, g in zip(xs, cpu_costs, gpu_costs, strict=True):
        if x <= 0 or c <= 0 or g <= 0:
            continue
        pays = decide_costs((c, c), (g, g)) == "pays"
        ratio = math.log(c / g)
        if prev is not None and prev[2] != pays:
            x0, r0, _ = prev
            t = r0 / (r0 - ratio) if r0 != ratio else 0.5
            t = min(max(t, 0.0), 1.0)
            out.append((math.exp(math.log(x0) + t * (math.log(x) - math.log(x0))), "up" if pays else "down"))
        prev = (x, ratio, pays)
    return out
