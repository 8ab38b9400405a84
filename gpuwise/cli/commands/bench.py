"""``gpuwise bench``: measure training on this machine's devices, headless (cloud GPU boxes have no display)."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from gpuwise.cli.models import add_model_arguments, model_choice, resizable_names
from gpuwise.cli.options import Subparsers, positive_number
from gpuwise.core.errors import UserInputError
from gpuwise.core.report import busy_machine_text
from gpuwise.core.terminal_text import SafeWriter, terminal_safe
from gpuwise.core.units import format_bytes, format_count, format_duration, parse_count, parse_count_list

EPILOG = """examples:
  gpuwise bench                                   # ~20 s: MLP 100k/1M/10M params x 10k/100k samples
  gpuwise bench --params 1M,25M --samples 1e5,1e6 --devices all --out report.json
  gpuwise bench --family cnn --params 100k,1M --precision fp32,bf16 --budget 60 --csv points.csv
  gpuwise bench --model resnet50 --image-size 160 --samples 10k --devices all --out resnet50.json
  gpuwise bench --model my_model.py:build --samples 10k      # your own: build() -> (module, example input)
  gpuwise bench --params 1e6 --samples 4000 --devices cpu --ddp 2 --out r.json   # data-parallel scaling
Ctrl-C stops early: completed points are kept and the report is still written."""


def add_parser(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "bench",
        help="measure CPU vs GPU training speed",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train real PyTorch models on synthetic data on each device and report step times, "
        "throughput, epoch times and the fixed overhead. Numbers: 2000, 670k, 25M, 1.5e6, 10B.",
    )
    p.add_argument(
        "--family", default="mlp", help=f"model family, sized by --params: {resizable_names()} (default mlp)"
    )
    add_model_arguments(p)
    p.add_argument("--params", default="100k,1M,10M", help="model sizes in parameters (default 100k,1M,10M)")
    p.add_argument("--samples", default="10k,100k", help="dataset sizes in samples (default 10k,100k)")
    p.add_argument("--batch", default="128", help="batch size (default 128)")
    p.add_argument("--epochs", default="1", help="epochs for time-to-train (default 1)")
    p.add_argument("--precision", default="fp32", help="fp32, tf32, bf16, fp16, comma-separated (default fp32)")
    p.add_argument("--devices", default="all", help="cpu, cuda:0, mps, ... or all (default all)")
    p.add_argument("--threads", default=None, help="CPU threads (default: physical cores)")
    p.add_argument("--optimizer", default="adam", help="adam or sgd (default adam)")
    p.add_argument("--budget", default="20", help="total time budget in seconds (default 20)")
    p.add_argument("--out", default=None, help="write the JSON report here")
    p.add_argument("--csv", default=None, help="write the points as CSV here")
    p.add_argument("--no-micro", action="store_true", help="skip the matmul/bandwidth micro-benchmarks")
    p.add_argument("--preload", action="store_true", help="keep the dataset on the GPU (no per-step copy)")
    p.add_argument("--breakdown", action="store_true", help="also time data/copy/forward/backward/optimizer")
    p.add_argument("--seed", default="0", help="dataset and model seed (default 0)")
    d = p.add_argument_group("data-parallel scaling (DistributedDataParallel: gloo on the CPU, NCCL on GPUs)")
    d.add_argument(
        "--ddp",
        default=None,
        metavar="N",
        help="train across 1, 2, 4, ... N processes on this machine and report the scaling",
    )
    d.add_argument("--nnodes", default="1", metavar="M", help="machines taking part (default 1)")
    d.add_argument("--node-rank", default="0", metavar="R", help="this machine's number, 0 to M-1 (default 0)")
    d.add_argument(
        "--master",
        default="",
        metavar="HOST:PORT",
        help="where machine 0 hosts the rendezvous (needed with --nnodes > 1)",
    )
    p.set_defaults(func=run)


def plan_from_args(args: argparse.Namespace) -> Any:
    from gpuwise.core.bench.sweep import SweepPlan

    family, options = model_choice(args)
    return SweepPlan(
        family=family,
        model_options=options,
        params=parse_count_list(args.params, what="model size"),
        samples=parse_count_list(args.samples, what="dataset size"),
        batch_size=parse_count(args.batch, what="batch size"),
        epochs=parse_count(args.epochs, what="epochs"),
        precisions=[p for p in args.precision.split(",") if p.strip()],
        devices=[d for d in args.devices.split(",") if d.strip()],
        threads=parse_count(args.threads, what="threads") if args.threads is not None else None,
        budget_s=positive_number(args.budget, "budget", "seconds"),
        optimizer=args.optimizer,
        micro=not args.no_micro,
        preload=args.preload,
        breakdown=args.breakdown,
        seed=parse_count(args.seed, what="seed"),
        **_ddp_args(args),
    )


def _ddp_args(args: argparse.Namespace) -> dict[str, Any]:
    if args.ddp is None:
        if args.nnodes != "1" or args.node_rank != "0" or args.master:
            raise UserInputError("--nnodes, --node-rank and --master go with --ddp N")
        return {}
    from gpuwise.core.bench.ddp import MAX_PROCESSES

    ddp = parse_count(args.ddp, what="--ddp")
    if not 1 <= ddp <= MAX_PROCESSES:  # 0 would silently mean "no data-parallel run"
        raise UserInputError(f"--ddp {ddp} is out of range (1 to {MAX_PROCESSES} processes)")
    return {
        "ddp": ddp,
        "nnodes": parse_count(args.nnodes, what="--nnodes"),
        "node_rank": _non_negative(args.node_rank, "--node-rank"),
        "master": args.master.strip(),
    }


def _non_negative(text: str, what: str) -> int:
    if not text.strip().isdigit():
        raise UserInputError(f"{what} {text!r} must be a whole number, 0 or more")
    return int(text)


class ProgressBar:
    """One line on stderr, redrawn in place on a terminal; a line per point when stderr is a file or pipe."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._last = 0.0
        self._last_label = ""

    def update(self, fraction: float, eta_s: float, label: str, phase: str) -> None:
        now = time.monotonic()
        if self.tty:
            if now - self._last < 0.1:
                return
            self._last = now
            width = 24
            filled = int(width * fraction)
            bar = "#" * filled + "-" * (width - filled)
            shown = terminal_safe(label, one_line=True)
            line = f"\r[{bar}] {fraction * 100:3.0f}%  ETA {format_duration(eta_s):>8}  {phase:<9} {shown}"
            self.stream.write(line[:160].ljust(160))
            self.stream.flush()
        elif label != self._last_label:
            self._last_label = label
            self.stream.write(f"[{fraction * 100:3.0f}%] {terminal_safe(label, one_line=True)}\n")
            self.stream.flush()

    def done(self) -> None:
        if self.tty:
            self.stream.write("\r" + " " * 160 + "\r")
            self.stream.flush()


def run(args: argparse.Namespace) -> int:
    from gpuwise.core.report import check_writable

    plan = plan_from_args(args)
    for path in (args.out, args.csv):
        if path:
            check_writable(path)
    from gpuwise.core.bench.sweep import validate_plan

    plan = validate_plan(plan)  # before any long work, so bad input fails fast
    return _run_plan(plan, args)


def _run_plan(plan: Any, args: argparse.Namespace) -> int:
    from gpuwise.core.bench.events import MicroMeasured, PointMeasured, Progress, SweepFinished
    from gpuwise.core.bench.sweep import machine_info, make_report, run_sweep
    from gpuwise.core.cancel import CancelToken

    bar = ProgressBar(sys.stderr)
    points = []
    micro = []
    report = None
    cancel = CancelToken()
    machine = machine_info(plan.devices)
    store = _RunStore.open(machine, plan.to_dict())
    if plan.ddp:
        from gpuwise.core.bench.ddp import world_sizes

        sizes = ", ".join(str(w) for w in world_sizes(plan.ddp * plan.nnodes))
        print(
            f"gpuwise bench: data-parallel scaling over {sizes} processes on {', '.join(plan.devices)} within "
            f"~{plan.budget_s:g} s plus start-up (Ctrl-C keeps what is done)",
            file=sys.stderr,
        )
    else:
        print(
            f"gpuwise bench: {len(plan.params) * len(plan.samples) * len(plan.devices) * len(plan.precisions)} "
            f"points on {', '.join(plan.devices)} within ~{plan.budget_s:g} s (Ctrl-C keeps what is done)",
            file=sys.stderr,
        )
    from gpuwise.core.bench.ddp import DdpFailed

    failure = ""
    stop = _StopOnSignals(cancel, bar)
    try:
        with stop:
            for ev in run_sweep(plan, cancel):
                if isinstance(ev, Progress):
                    bar.update(ev.fraction, ev.eta_s, ev.label, ev.phase)
                elif isinstance(ev, PointMeasured):
                    points.append(ev.point)
                    store.add_point(ev.point)  # committed now: a kill after this line keeps the point
                elif isinstance(ev, MicroMeasured):
                    micro.append(ev.result)
                    store.add_micro(ev.result)
                elif isinstance(ev, SweepFinished):
                    report = ev.report
    except KeyboardInterrupt:
        bar.done()
        print("gpuwise: interrupted: keeping the completed points", file=sys.stderr)
        report = make_report(plan, machine, points, micro, cancelled=True)
    except DdpFailed as e:
        # every rank is already stopped; keep what was measured, the failed point included
        bar.done()
        failure = str(e)
        for p in e.points:
            if p not in points:
                store.add_point(p)
        report = make_report(plan, machine, e.points, micro, cancelled=False)
    except BaseException:
        store.finish(None)
        raise
    bar.done()
    assert report is not None
    cancelled = report.cancelled or stop.signum is not None
    if cancelled and not report.cancelled:
        report = make_report(plan, report.machine, report.points, report.micro, cancelled=True)
    print_table(report, sys.stdout)
    store.finish(report, failed=bool(failure))
    written = _write_outputs(report, args, store)
    if failure:
        print(f"gpuwise: error: data-parallel run stopped: {failure}", file=sys.stderr)
        return 1
    if not written:
        return 1
    if stop.signum is not None:
        return 128 + stop.signum
    return 130 if report.cancelled else 0


class _StopOnSignals:
    """SIGTERM and SIGHUP (a `timeout`, a dropped ssh session) stop the sweep like Ctrl-C: after the current
    step, with the completed points kept and the report still written. A second one stops at once."""

    def __init__(self, cancel: Any, bar: ProgressBar) -> None:
        self.cancel = cancel
        self.bar = bar
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, _frame: Any) -> None:
        if self.signum is not None:
            raise KeyboardInterrupt
        self.signum = signum
        self.cancel.cancel()
        self.bar.done()
        name = signal.Signals(signum).name
        print(f"gpuwise: {name}: stopping after the current step; completed points are kept", file=sys.stderr)

    def __enter__(self) -> _StopOnSignals:
        for name in ("SIGTERM", "SIGHUP"):
            sig = getattr(signal, name, None)  # Windows has no SIGHUP
            if sig is not None:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *_exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


class _RunStore:
    """The run in the history, written point by point. Without a usable history the run still goes on."""

    def __init__(self, history: Any, run_id: int | None) -> None:
        self.history = history
        self.run_id = run_id

    @classmethod
    def open(cls, machine: dict[str, Any], settings: dict[str, Any]) -> _RunStore:
        import sqlite3

        import gpuwise
        from gpuwise.core.history import History, HistoryError

        try:
            h = History()
            return cls(h, h.begin_run(machine, settings, source="bench", gpuwise_version=gpuwise.__version__))
        except (HistoryError, sqlite3.Error, OSError) as e:
            print(f"gpuwise: warning: {e}: this run is not kept in the history", file=sys.stderr)
            return cls(None, None)

    def _safely(self, what: str, call: Any) -> None:
        import sqlite3

        if self.history is None or self.run_id is None:
            return
        try:
            call()
        except (sqlite3.Error, OSError) as e:  # a full disk must not stop the measuring: say so once
            print(f"gpuwise: warning: cannot {what} in the history ({e}); the report still gets it", file=sys.stderr)
            self.history.close()
            self.history = None

    def add_point(self, point: Any) -> None:
        self._safely("save a point", lambda: self.history.add_point(self.run_id, point))

    def add_micro(self, result: Any) -> None:
        self._safely("save a micro-benchmark", lambda: self.history.add_micro(self.run_id, result))

    def finish(self, report: Any | None, *, failed: bool = False) -> None:
        """End the run: ``report`` None (or ``failed``) means the run failed."""
        from gpuwise.core.history import verdict_headline

        if report is None or failed:
            self._safely("end the run", lambda: self.history.finish_run(self.run_id, "failed"))
        else:
            status = "cancelled" if report.cancelled else "complete"
            # a partial run gets no verdict in the list (the app does the same): a point or two is no basis
            headline = verdict_headline(report) if self.history is not None and status == "complete" else ""
            self._safely(
                "end the run",
                lambda: self.history.finish_run(
                    self.run_id, status, headline=headline, machine=report.machine, settings=report.settings
                ),
            )
        if self.history is not None:
            print(
                terminal_safe(
                    f"run {self.run_id} is in the history ({self.history.path}); the verdict on it: "
                    f"gpuwise advise {self.run_id}",
                    one_line=True,
                ),
                file=sys.stderr,
            )
            self.history.close()

    def where(self) -> str:
        if self.run_id is None:
            return ""
        from gpuwise.core.history import default_path

        return (
            f"the run is kept in the history as run {self.run_id} ({default_path()}): "
            f"'gpuwise export {self.run_id} --out FILE' writes it elsewhere"
        )


def _write_outputs(report: Any, args: argparse.Namespace, store: _RunStore) -> bool:
    """Write --out and --csv; a failure says where the run is kept instead (False), never a traceback."""
    from gpuwise.core.report import atomic_write_text, points_csv, save_report

    def write_report(p: str) -> None:
        save_report(report, p)

    def write_csv(p: str) -> None:
        atomic_write_text(p, points_csv(report.points))

    ok = True
    writers: tuple[tuple[str | None, str, Callable[[str], None]], ...] = (
        (args.out, "report", write_report),
        (args.csv, "points", write_csv),
    )
    for path, what, write in writers:
        if not path:
            continue
        try:
            write(path)
        except (OSError, UserInputError) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            kept = store.where() or "the points are printed above"
            print(
                terminal_safe(f"gpuwise: error: cannot write {path}: {reason}; {kept}", one_line=True), file=sys.stderr
            )
            ok = False
        else:
            print(terminal_safe(f"{what} written to {path}", one_line=True), file=sys.stderr)
    return ok


def print_table(report: Any, out: TextIO) -> None:
    """A readable table of the points and, when a GPU was measured, the speedups."""
    out = SafeWriter(out)  # type: ignore[assignment]  # names and messages come from devices and reports
    cpu = report.machine.get("cpu", {})
    out.write(
        f"machine: {cpu.get('model', '?')}, {cpu.get('physical_cores', '?')} cores; "
        f"torch {report.machine.get('torch', '?')}\n"
    )
    mm = [m for m in report.micro if m.kind == "matmul" and m.device == "cpu" and m.precision == "fp32"]
    if mm:
        from gpuwise.core.devices import describe_cpu_peak

        best = max(mm, key=lambda m: m.value)
        peak = describe_cpu_peak(cpu, best.value)
        out.write(
            f"cpu matmul: {best.value:.0f} GFLOP/s measured (n={best.size})"
            + (f" vs {peak.formula_gflops:g} GFLOP/s {peak.formula_label}" if peak.formula_gflops else "")
            + "\n"
            + "".join(f"note: {n}\n" for n in peak.notes)
        )
    header = (
        f"{'device':<8} {'params':>7} {'samples':>8} {'prec':<5} {'step time':>17} {'samples/s':>10} "
        f"{'epoch':>10} {'overhead':>9} {'memory':>10}  note"
    )
    out.write(header + "\n" + "-" * len(header) + "\n")
    for p in report.points:
        dev = p.device if p.world_size <= 1 else f"{p.device}×{p.world_size}"
        if p.status != "ok" or p.step_time_s is None:
            out.write(
                f"{dev:<8} {format_count(p.params):>7} {format_count(p.samples):>8} {p.precision:<5} "
                f"{p.status.upper():>17}  {p.message}\n"
            )
            continue
        st = p.step_time_s
        step = f"{format_duration(st.median)} ±{st.iqr / st.median * 100 if st.median else 0:.0f}%"
        epoch = ("~" if p.epoch_time_extrapolated else "") + format_duration(p.epoch_time_s or 0)
        mem = format_bytes(p.peak_memory_bytes) if p.peak_memory_bytes is not None else "n/a"
        note = ", ".join(n for n in ("unstable" if p.unstable else "", _busy_share(p)) if n)
        out.write(
            f"{dev:<8} {format_count(p.params):>7} {format_count(p.samples):>8} {p.precision:<5} "
            f"{step:>17} {format_count(p.samples_per_s or 0):>10} {epoch:>10} "
            f"{format_duration(p.fixed_overhead_s or 0):>9} {mem:>10}  {note}\n"
        )
    out.write("~ = extrapolated from the measured steps; ± = IQR of step time over measurement windows\n")
    busy = [p.background_cpu_load for p in report.points if p.busy]
    if busy:
        out.write(
            f"{busy_machine_text(busy)} while measuring {len(busy)} of these points: their times are "
            "pessimistic (threads compete for cores); measure again on a quieter machine\n"
        )
    _print_scaling(report, out)
    _print_speedups(report, out)


def _busy_share(p: Any) -> str:
    return f"busy: others used {round(p.background_cpu_load * 100)} % CPU" if p.busy else ""


def _print_scaling(report: Any, out: TextIO) -> None:
    """The data-parallel curves: throughput, efficiency and communication per number of processes."""
    from gpuwise.core.scaling import baseline_text, scaling_curves

    for c in scaling_curves(report.points):
        out.write(f"data-parallel scaling, {c.label()} ({baseline_text(c)}):\n")
        out.write(
            f"  {'procs':>5} {'threads/rank':>12} {'samples/s':>10} {'per rank':>17} {'efficiency':>10} "
            f"{'comm/step':>10} {'all-reduce':>10}\n"
        )
        for p in c.points:
            if p.status != "ok":
                out.write(f"  {p.world_size:>5} {p.status.upper():>12}  {p.message}\n")
                continue
            ranks = "/".join(format_count(s) for s in p.rank_samples_per_s)
            eff = f"{p.scaling_efficiency:.0%}" if p.scaling_efficiency is not None else "n/a"
            comm = format_duration(p.comm_time_s) if p.comm_time_s is not None else "-"
            ar = format_duration(p.allreduce_time_s) if p.allreduce_time_s is not None else "-"
            out.write(
                f"  {p.world_size:>5} {p.threads:>12} {format_count(p.samples_per_s or 0):>10} "
                f"{ranks[:17]:>17} {eff:>10} {comm:>10} {ar:>10}\n"
            )
        out.write(
            "  efficiency = total samples/s ÷ (processes × the baseline); comm/step = exposed communication "
            "(a synced step minus a no_sync step)\n"
        )


def _print_speedups(report: Any, out: TextIO) -> None:
    ok = [p for p in report.points if p.status == "ok" and p.step_time_s and p.world_size <= 1]
    cpu = {(p.params, p.samples, p.precision): p for p in ok if p.device == "cpu"}
    rows = []
    for p in ok:
        base = cpu.get((p.params, p.samples, p.precision))
        if p.device != "cpu" and base and p.epoch_time_s and base.epoch_time_s:
            rows.append(
                f"  {p.device} vs cpu, {format_count(p.params)} params x {format_count(p.samples)} "
                f"samples: {base.epoch_time_s / p.epoch_time_s:.1f}x faster per epoch"
            )
    if rows:
        out.write("speedup:\n" + "\n".join(rows) + "\n")
    elif all(p.device == "cpu" for p in report.points):
        out.write("No GPU measured here. `gpuwise advise REPORT.json` estimates what a rented GPU would do.\n")
