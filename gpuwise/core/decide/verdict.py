"""The verdict: is a GPU worth its price for this training job? Measured where possible, estimated where not.

This module only assembles: prices from ``pricing``, times from ``time_to_train``, memory from ``memory_fit``,
the decision from ``rule``, break-even sizes from ``break_even`` and the words from ``text``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gpuwise.core import estimate as est
from gpuwise.core.catalog import GpuSpec, find_gpu, match_device_name
from gpuwise.core.decide import break_even, memory_fit, rule, text
from gpuwise.core.decide.pricing import Pricing, report_cores, resolve_prices
from gpuwise.core.decide.time_to_train import Timing, timing
from gpuwise.core.decide.values import DEFAULT_COMPARISON, DeviceVerdict, Verdict, Workload
from gpuwise.core.errors import UserInputError
from gpuwise.core.prices import PriceSettings, default_prices
from gpuwise.core.report import Point, Report


def measured_points(report: Report, device: str | None = None) -> list[Point]:
    """Points measured (not estimated) with an ok status, of one device or all."""
    return [p for p in report.points if p.measured and device in (None, p.device)]


def default_workload(report: Report) -> Workload:
    """The report's largest measured CPU workload (the one a user most likely cares about)."""
    cpu = measured_points(report, "cpu")
    if not cpu:
        raise UserInputError(
            "the report has no measured CPU points: the verdict compares GPUs against this CPU, so measure the "
            "CPU first (gpuwise bench --devices cpu)"
        )
    p = max(cpu, key=lambda q: (q.params, q.samples, q.epochs))
    return Workload(
        family=p.family,
        params=p.params,
        samples=p.samples,
        epochs=p.epochs,
        batch_size=p.batch_size,
        precision=p.precision,
        optimizer=p.optimizer,
    )


def _spec_for(report: Report, w: Workload) -> dict[str, Any]:
    for p in report.points:
        if p.family == w.family and p.params == w.params and p.architecture.get("family") == w.family:
            return dict(p.architecture)
    from gpuwise.core.bench.workloads import build_spec

    spec = build_spec(w.family, w.params)
    # the user's size may round to a model measured under its exact count
    for p in report.points:
        if p.family == w.family and p.params == spec["params"] and p.architecture.get("family") == w.family:
            return dict(p.architecture)
    return spec


def _catalog(compare: Sequence[str], prices: PriceSettings, measured: list[str], notes: list[str]) -> list[GpuSpec]:
    catalog: list[GpuSpec] = []
    for name in compare:
        g = find_gpu(name)
        if g not in catalog:
            catalog.append(g)
    if not measured and not catalog:
        catalog = [find_gpu(n) for n in DEFAULT_COMPARISON]
        notes.append(
            f"No GPU was measured: comparing with estimates for {', '.join(DEFAULT_COMPARISON)} "
            f"(pick others: 'Compare with…' in the app, --gpu on the command line)."
        )
    if prices.gpu and not measured:
        g = find_gpu(prices.gpu)
        if g not in catalog:
            catalog.insert(0, g)
    return catalog


def compute_verdict(
    report: Report,
    workload: Workload | None = None,
    *,
    prices: PriceSettings | None = None,
    compare: Sequence[str] = (),
    flops_method: str = "auto",
) -> Verdict:
    """The verdict for ``workload`` (default: the report's largest CPU workload) at ``prices``.

    ``compare``: catalog GPU names to estimate. Without a measured GPU and without names, the default comparison
    (``DEFAULT_COMPARISON``) is used, so the verdict always has a GPU to talk about.
    """
    default = default_workload(report)  # also: refuses a report without CPU points
    w = workload or default
    given = prices or default_prices(report_cores(report))
    billing = rule.check_billing(given.billing)
    notes: list[str] = []
    measured = list(dict.fromkeys(p.device for p in measured_points(report) if p.device != "cpu"))
    catalog = _catalog(compare, given, measured, notes)
    pricing = resolve_prices(report, given, measured, catalog)
    notes += pricing.notes
    settings = pricing.settings
    spec = _spec_for(report, w)
    points = report.points
    cpu_model = est.cpu_model(report)
    cpu_avail = memory_fit.cpu_available(report)

    cpu_t = timing(cpu_model, points, "cpu", spec, w, flops_method)
    assert cpu_t is not None
    cpu_time, cpu_ci = cpu_t.time(w)
    cpu_cost, cpu_cost_ci = rule.cost_range(cpu_time, cpu_ci, settings.cpu_per_hour, billing)
    need, fits, largest = memory_fit.memory_fit(spec, w, cpu_avail)
    cpu = DeviceVerdict(
        device="cpu",
        label=cpu_model.label,
        kind="cpu",
        source=cpu_t.source,
        basis=cpu_t.basis,
        step_s=cpu_t.step,
        step_ci95=(cpu_t.step_lo, cpu_t.step_hi),
        time_s=cpu_time,
        time_ci95=cpu_ci,
        usd_per_hour=settings.cpu_per_hour,
        price_note=f"preset {settings.cpu_preset}" if settings.cpu_preset else "your price",
        cost_usd=cpu_cost,
        cost_ci95=cpu_cost_ci,
        cost_hourly_usd=rule.job_cost(cpu_time, settings.cpu_per_hour)[1],
        fits=fits,
        memory_needed=need,
        memory_available=cpu_avail,
        largest_batch=largest,
    )

    gpus: list[tuple[DeviceVerdict, Timing | None, est.DeviceModel | None]] = []
    for dev in measured:
        name = pricing.names[dev]  # what the device calls itself, as it was priced
        match = match_device_name(name)
        model = est.gpu_model(match) if match else None
        avail = memory_fit.measured_gpu_memory(report, dev) or (model.memory_bytes if model else None)
        gpus.append(_gpu_verdict(dev, name, model, avail, points, spec, w, cpu, pricing, flops_method, billing))
    for g in catalog:
        model = est.gpu_model(g)
        gpus.append(
            _gpu_verdict(
                g.name, g.name, model, model.memory_bytes, points, spec, w, cpu, pricing, flops_method, billing
            )
        )

    prim, prim_t, prim_model = next(x for x in gpus if x[0].device == pricing.primary)
    outcome, sentence = text.sentence(cpu, prim, w)
    if outcome != "gpu_pays":
        better = [g for g, _, _ in gpus if g.outcome == "pays" and g.cost_usd is not None]
        if better:
            b = min(better, key=lambda g: g.cost_usd or 0.0)
            assert b.speedup is not None and b.price_ratio is not None
            sentence += (
                f" But the {b.label} pays{' (estimate)' if b.estimated else ''}: "
                f"{text.format_ratio(b.speedup)} faster at {text.format_ratio(b.price_ratio)} the price "
                f"({text.format_usd(b.cost_usd)}, {b.price_note})."
            )
    be_samples = (
        break_even.break_even_samples(cpu_t, prim_t, prim, w, settings.cpu_per_hour, billing)
        if prim_t is not None
        else None
    )
    be_params = break_even.break_even_params(points, cpu_model, prim_model, cpu, prim, w, cpu_avail, billing)
    idle = (
        f"An idle hour costs {text.format_usd(prim.usd_per_hour)} on the {prim.label} machine (vs "
        f"{text.format_usd(settings.cpu_per_hour)} for the CPU): rented machines bill while they wait."
    )
    from gpuwise.core.bench.workloads import describe

    return Verdict(
        workload=w,
        prices=settings,
        cpu=cpu,
        gpus=tuple(g for g, _, _ in gpus),
        primary=pricing.primary,
        outcome=outcome,
        sentence=sentence,
        break_even_samples=be_samples,
        break_even_params=be_params,
        memory_lines=tuple(memory_fit.memory_line(d, w) for d in (cpu, *(g for g, _, _ in gpus))),
        idle_hour=idle,
        architecture=describe(spec),
        notes=tuple(notes),
        billing=billing,
    )


def _gpu_verdict(
    device: str,
    label: str,
    model: est.DeviceModel | None,
    available: int | None,
    points: Sequence[Point],
    spec: dict[str, Any],
    w: Workload,
    cpu: DeviceVerdict,
    pricing: Pricing,
    flops_method: str,
    billing: rule.Billing,
) -> tuple[DeviceVerdict, Timing | None, est.DeviceModel | None]:
    need, fits, largest = memory_fit.memory_fit(spec, w, available)
    gp = pricing.gpu_price(device)
    common: dict[str, Any] = dict(
        device=device,
        label=label,
        kind="gpu",
        usd_per_hour=gp.usd_per_hour,
        price_note=gp.note,
        fits=fits,
        memory_needed=need,
        memory_available=available,
        largest_batch=largest,
    )
    t = timing(model, points, device, spec, w, flops_method)
    if t is None:
        return (
            DeviceVerdict(
                source="estimate",
                basis="no measurement for this workload and no catalog entry to estimate from",
                note="unknown GPU",
                **common,
            ),
            None,
            model,
        )
    time_s, time_ci = t.time(w)
    assert cpu.time_s is not None and cpu.usd_per_hour is not None and cpu.cost_ci95 is not None
    s, s_ci = rule.speedup_range(cpu.time_s, cpu.time_ci95, time_s, time_ci)
    price = gp.usd_per_hour
    k = price / cpu.usd_per_hour if price is not None else None
    cost = cost_ci = hourly = None
    outcome: rule.Outcome
    note = ""
    if price is not None:
        cost, cost_ci = rule.cost_range(time_s, time_ci, price, billing)
        hourly = rule.job_cost(time_s, price)[1]
    if fits is False:
        outcome = "does_not_fit"
    elif cost_ci is None or price is None:
        outcome = "no_price"
    else:
        outcome = rule.decide_costs(cpu.cost_ci95, cost_ci)
        # the same ranges billed in proportion to time: where they decide otherwise, the billing decided
        c_lo, c_hi = cpu.time_ci95 or (cpu.time_s, cpu.time_s)
        g_lo, g_hi = time_ci
        proportional = rule.decide_costs(
            (min(c_lo, cpu.time_s) * cpu.usd_per_hour, max(c_hi, cpu.time_s) * cpu.usd_per_hour),
            (min(g_lo, time_s) * price, max(g_hi, time_s) * price),
        )
        if proportional != outcome:
            note = "billing minimum" if billing == "per_second" else "hourly billing"
    dv = DeviceVerdict(
        note=note,
        source=t.source,
        basis=t.basis,
        step_s=t.step,
        step_ci95=(t.step_lo, t.step_hi),
        time_s=time_s,
        time_ci95=time_ci,
        cost_usd=cost,
        cost_ci95=cost_ci,
        cost_hourly_usd=hourly,
        speedup=s,
        speedup_ci95=s_ci,
        price_ratio=k,
        outcome=outcome,
        **common,
    )
    return dv, t, model
