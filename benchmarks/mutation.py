"""Mutation testing of the engine, the verdict and the chart models: the kill rate per module.

Runs mutmut (in the `test` extra) once per module, each in a scratch copy of the repo, with only the
tests that module's behaviour is pinned by, and prints killed/survived per module. A mutant listed in
``benchmarks/mutation_equivalent.md`` (a backticked mutant name at the start of a list item, with the reason) is
equivalent: it cannot change behaviour, so it leaves the denominator.

    python benchmarks/mutation.py                 # every module (long: hours on 2 cores)
    python benchmarks/mutation.py units timing    # some modules
    python benchmarks/mutation.py --list          # the modules, their sources and tests
    python benchmarks/mutation.py timing --survivors --keep /tmp/mut   # print each survivor's diff
    python benchmarks/mutation.py verdict --only '*break_even*'        # some functions of a module
    python benchmarks/mutation.py train --tests 'tests/core/bench/test_train_behaviour.py'   # other tests

Slow by nature (every mutant reruns the tests that cover it), so it is not part of the normal test run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import glob
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT_FILE = ROOT / "benchmarks" / "mutation_equivalent.md"
# Each module's last full run: the digest of its sources and tests, and what the run found (`--record` writes it,
# `--changed` reruns the modules whose digest no longer matches).
RECORD_FILE = ROOT / "benchmarks" / "mutation_record.json"
STRICT_SOURCES = ("gpuwise/core/bench/", "gpuwise/core/decide/", "gpuwise/core/verdict.py")
COPIED = ("gpuwise", "tests", "resources", "pyproject.toml")
# Hypothesis draws the same examples in every mutant run, so a kill never depends on luck.
PYTEST_ARGS = ("-p", "no:cacheprovider", "-q", "--hypothesis-seed=0")


@dataclass(frozen=True)
class Target:
    sources: tuple[str, ...]  # globs of files to mutate, relative to the repo
    tests: tuple[str, ...]  # globs of the tests that pin them
    functions: tuple[str, ...] = ()  # mutmut name globs to restrict to (empty: every function of the sources)
    note: str = ""
    # "forkserver" where the tests train with torch: a worker forked from a process whose OpenMP pool already ran
    # deadlocks on its first parallel op (seen here: train mutants hung at 0 % CPU until their timeout). Also where
    # the module remembers results in a module-level cache: a worker forked from the process that ran the clean
    # tests finds the answers cached and never runs the mutated code (seen here: every mutant of
    # memory_fit._memory_uncached "survived").
    isolation: str = "fork"

    @property
    def target_rate(self) -> float:
        """The issue's floor: 90 % in core/bench and the verdict, 85 % elsewhere (`--changed` fails below it)."""
        return 0.90 if all(s.startswith(STRICT_SOURCES) for s in self.sources) else 0.85


MODULES: dict[str, Target] = {
    "units": Target(("gpuwise/core/units.py",), ("tests/core/test_units*.py",)),
    "timing": Target(("gpuwise/core/bench/timing.py",), ("tests/core/bench/test_timing*.py",)),
    "train": Target(
        ("gpuwise/core/bench/train.py",),
        # the loop on a scripted clock (fake CUDA, a fake second rank): test_train.py's real-timing checks retrain
        # for seconds per mutant and failed mutmut's clean run under load
        ("tests/core/bench/test_train_behaviour.py", "tests/core/bench/test_train_loop_behaviour.py"),
        functions=("*.x__measure__mutmut_*", "*.x__settled__mutmut_*", "*.x_measure_point__mutmut_*"),
        note="the measurement loop and its statistics (_measure, _settled, measure_point)",
        isolation="forkserver",
    ),
    "verdict": Target(
        ("gpuwise/core/verdict.py", "gpuwise/core/decide/*.py"),
        ("tests/core/test_verdict*.py",),
        isolation="forkserver",  # memory_fit's caches
    ),
    # the verdict one concern at a time (each fits in minutes here); the whole of it is "verdict" above
    "rule": Target(("gpuwise/core/decide/rule.py",), ("tests/core/test_verdict*.py", "tests/core/test_decide*.py")),
    "pricing": Target(
        ("gpuwise/core/decide/pricing.py",), ("tests/core/test_verdict*.py", "tests/core/test_decide*.py")
    ),
    "break_even": Target(
        ("gpuwise/core/decide/break_even.py",), ("tests/core/test_verdict*.py", "tests/core/test_decide*.py")
    ),
    "time_to_train": Target(
        ("gpuwise/core/decide/time_to_train.py",), ("tests/core/test_verdict*.py", "tests/core/test_decide*.py")
    ),
    "memory_fit": Target(
        ("gpuwise/core/decide/memory_fit.py",),
        ("tests/core/test_verdict*.py", "tests/core/test_decide*.py"),
        isolation="forkserver",  # _MEMORY_CACHE
    ),
    "text": Target(("gpuwise/core/decide/text.py",), ("tests/core/test_verdict*.py", "tests/core/test_decide*.py")),
    "values": Target(("gpuwise/core/decide/values.py",), ("tests/core/test_verdict*.py", "tests/core/test_decide*.py")),
    "decide_verdict": Target(
        ("gpuwise/core/decide/verdict.py",), ("tests/core/test_verdict*.py", "tests/core/test_decide*.py")
    ),
    "prices": Target(
        ("gpuwise/core/prices.py",),
        ("tests/core/test_prices*.py", "tests/core/test_verdict*.py"),
        isolation="forkserver",  # the presets file is loaded once (lru_cache)
    ),
    "estimate": Target(
        ("gpuwise/core/estimate.py",),
        ("tests/core/test_estimate*.py",),
        isolation="forkserver",  # _STEP_CACHE
    ),
    "report": Target(("gpuwise/core/report.py",), ("tests/core/test_report*.py",)),
    "sweep": Target(
        ("gpuwise/core/bench/sweep.py",),
        ("tests/core/bench/test_sweep*.py",),
        isolation="forkserver",  # trains
    ),
    "memory": Target(("gpuwise/core/bench/memory.py",), ("tests/core/bench/test_memory*.py",)),
    # the Qt-free chart models, by their Qt-free tests (the widget tests start Qt: seconds per mutant, and the
    # models' behaviour is stated in tests/charts/test_*_behaviour.py)
    "charts": Target(("gpuwise/charts/*.py",), ("tests/charts/test_*.py",)),
}


@dataclass
class Result:
    module: str
    statuses: dict[str, str]  # mutant name -> mutmut status
    equivalent: set[str]
    seconds: float
    # processor time of mutmut and its workers: unlike the wall time, it hardly depends on how busy the machine was
    cpu_seconds: float | None = None

    def count(self, *statuses: str) -> int:
        return sum(1 for name, s in self.statuses.items() if s in statuses and name not in self.equivalent)

    @property
    def killed(self) -> int:
        return self.count("killed", "timeout")  # a mutant that hangs the tests is caught too

    @property
    def considered(self) -> int:
        return sum(1 for name, s in self.statuses.items() if s != "skipped" and name not in self.equivalent)

    @property
    def kill_rate(self) -> float | None:
        return self.killed / self.considered if self.considered else None

    def survivors(self) -> list[str]:
        return sorted(
            n
            for n, s in self.statuses.items()
            if s not in ("killed", "timeout", "skipped") and n not in self.equivalent
        )


def equivalent_mutants(path: Path = EQUIVALENT_FILE) -> set[str]:
    """Mutant names listed as equivalent: list items that start with a backticked name."""
    if not path.exists():
        return set()
    return set(re.findall(r"^\s*[-*]\s+`([\w.ǁ]+__mutmut_\d+)`", path.read_text("utf-8"), flags=re.MULTILINE))


def _expand(globs: tuple[str, ...], root: Path) -> list[str]:
    return sorted({str(Path(p).relative_to(root)) for g in globs for p in glob.glob(str(root / g))})


def _mutmut_config(sources: list[str], tests: list[str], isolation: str) -> str:
    def toml_list(xs: list[str] | tuple[str, ...]) -> str:
        return "[" + ", ".join(f'"{x}"' for x in xs) + "]"

    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["gpuwise/"]\n'
        f"only_mutate = {toml_list(sources)}\n"
        f"pytest_add_cli_args_test_selection = {toml_list(tests)}\n"
        f"pytest_add_cli_args = {toml_list(PYTEST_ARGS)}\n"
        'also_copy = ["resources/"]\n'
        "use_git_change_detection = false\n"
        f'process_isolation = "{isolation}"\n'
    )


class RunTimedOut(Exception):
    """A module's run took longer than it was given (`--changed` under a time budget)."""


def run_module(
    name: str, target: Target, *, jobs: int, workdir: Path, source: Path, timeout: float | None = None
) -> Result:
    sources = _expand(target.sources, source)
    tests = _expand(target.tests, source)
    if not sources or not tests:
        raise SystemExit(f"{name}: no files match {target.sources} / {target.tests} under {source}")
    work = workdir / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for item in COPIED:
        src = source / item
        if src.is_dir():
            shutil.copytree(src, work / item, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, work / item)
    pyproject = work / "pyproject.toml"
    text = re.sub(r"\n\[tool\.mutmut\][^\[]*", "\n", pyproject.read_text("utf-8"))  # ours replaces any other
    pyproject.write_text(text + _mutmut_config(sources, tests, target.isolation), "utf-8")

    tmp = work / "tmp"
    tmp.mkdir()
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        # pytest's temp folders of its own: concurrent runs sharing /tmp/pytest-of-USER race in its cleanup of old
        # folders, and the warning that race raises (an error here) failed a clean run
        "TMPDIR": str(tmp),
        "PYTEST_ADDOPTS": "-W 'ignore:(rm_rf) error removing:pytest.PytestWarning'",
    }
    mutmut = [sys.executable, "-m", "mutmut"]
    t0 = time.perf_counter()
    cpu0 = _children_cpu()
    with (work / "mutmut-run.log").open("w") as log:
        # a session of its own, so a timeout takes mutmut's workers down with it
        proc = subprocess.Popen(
            [*mutmut, "run", "--max-children", str(jobs), *target.functions],
            cwd=work,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise RunTimedOut(f"{name}: stopped after {timeout:.0f} s") from None
    seconds = time.perf_counter() - t0
    cpu_seconds = _children_cpu() - cpu0
    if proc.returncode != 0:
        tail = (work / "mutmut-run.log").read_text("utf-8", errors="replace")[-2000:]
        raise SystemExit(f"{name}: mutmut run failed (exit {proc.returncode}); log in {work}:\n{tail}")
    out = subprocess.run(
        [*mutmut, "results", "--all", "true"], cwd=work, env=env, capture_output=True, text=True, check=True
    ).stdout
    statuses = dict(re.findall(r"^\s*(\S+__mutmut_\d+): (.+?)\s*$", out, flags=re.MULTILINE))
    if target.functions:
        pats = [re.compile(re.escape(f).replace(r"\*", ".*") + "$") for f in target.functions]
        statuses = {n: s for n, s in statuses.items() if any(p.match(n) for p in pats)}
    return Result(name, statuses, equivalent_mutants() & set(statuses), seconds, cpu_seconds)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def digest(target: Target, root: Path) -> str:
    """What a module's kill rate depends on: its sources, its tests and how mutmut is pointed at them."""
    h = hashlib.sha256(repr((target.functions, target.isolation, PYTEST_ARGS)).encode())
    for rel in _expand(target.sources, root) + _expand(target.tests, root):
        h.update(rel.encode() + b"\0" + (root / rel).read_bytes() + b"\0")
    return h.hexdigest()


def load_record(path: Path = RECORD_FILE) -> dict[str, dict[str, object]]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text("utf-8"))
    return {str(k): dict(v) for k, v in data.items()}


def record_entry(r: Result, target: Target, *, jobs: int, digest_before: str) -> dict[str, object]:
    return {
        "digest": digest_before,
        "mutants": len(r.statuses),
        "equivalent": len(r.equivalent),
        "killed": r.killed,
        "considered": r.considered,
        "kill_rate": round(r.kill_rate, 4) if r.kill_rate is not None else None,
        "target_rate": target.target_rate,
        "seconds": round(r.seconds),
        "cpu_seconds": round(r.cpu_seconds) if r.cpu_seconds is not None else None,
        "jobs": jobs,
        "load_average": round(os.getloadavg()[0], 1),
        "date": dt.date.today().isoformat(),
    }


def write_record(record: dict[str, dict[str, object]], path: Path = RECORD_FILE) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(dict(sorted(record.items())), indent=2) + "\n", "utf-8")
    os.replace(tmp, path)


def add_to_record(name: str, entry: dict[str, object], path: Path = RECORD_FILE) -> None:
    """Record one module, reading the file again first: runs of other modules may have recorded meanwhile."""
    fcntl_lock = path.with_name(path.name + ".lock")
    with fcntl_lock.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        record = load_record(path)
        record[name] = entry
        write_record(record, path)


def changed(record: dict[str, dict[str, object]], names: list[str], root: Path) -> list[str]:
    """The modules whose sources or tests differ from their recorded run (or that have none)."""
    return [n for n in names if record.get(n, {}).get("digest") != digest(MODULES[n], root)]


def show(name: str, mutant: str, workdir: Path) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "mutmut", "show", mutant],
        cwd=workdir / name,
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("modules", nargs="*", help=f"any of: {', '.join(MODULES)} (default: all)")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="mutants tested at once")
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it (mutmut show/browse work there)")
    ap.add_argument("--source", type=Path, default=ROOT, help="the checkout to test (default: this one)")
    ap.add_argument("--survivors", action="store_true", help="print the diff of every surviving mutant")
    ap.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="GLOB",
        help="mutate only functions whose mutmut name matches (e.g. '*break_even*'); repeatable",
    )
    ap.add_argument(
        "--tests",
        action="append",
        default=[],
        metavar="GLOB",
        help="run these tests instead of the module's own list; repeatable",
    )
    ap.add_argument("--list", action="store_true", help="list the modules and exit")
    ap.add_argument("--record", action="store_true", help=f"write each module's result to {RECORD_FILE.name}")
    ap.add_argument(
        "--changed",
        action="store_true",
        help=f"run only the modules whose sources or tests changed since {RECORD_FILE.name} (CI); exit 1 when one "
        "is below its target",
    )
    ap.add_argument(
        "--budget", type=float, default=300.0, metavar="S", help="with --changed: seconds of runs to fit (by records)"
    )
    args = ap.parse_args(argv)
    if args.list:
        for name, t in MODULES.items():
            print(f"{name:14} {' '.join(t.sources)}  <-  {' '.join(t.tests)}" + (f"  ({t.note})" if t.note else ""))
        return 0
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        ap.error(f"unknown module(s) {', '.join(unknown)}; choose from {', '.join(MODULES)}")
    if args.record and (args.only or args.tests):
        ap.error("--record keeps whole-module runs only: drop --only/--tests")
    source = args.source.resolve()
    names = args.modules or list(MODULES)
    record = load_record()
    timeouts: dict[str, float] = {}
    if args.changed:
        names = _fit_changed(record, names, source, args.budget, timeouts, args.jobs)
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="gpuwise-mutation-"))
    results: list[Result] = []
    try:
        for name in names:
            print(f"{name}: running ...", flush=True)
            target = MODULES[name]
            if args.only:
                target = replace(target, functions=tuple(g if g.endswith("*") else g + "*" for g in args.only))
            if args.tests:
                target = replace(target, tests=tuple(args.tests))
            before = digest(target, source)  # the files as copied for the run, not as edited during it
            try:
                r = run_module(name, target, jobs=args.jobs, workdir=workdir, source=source, timeout=timeouts.get(name))
            except RunTimedOut as e:
                # CI's budget ran out on a slow machine: say so, but a slow machine is not a missing test
                print(f"{e}: not measured this time", flush=True)
                continue
            results.append(r)
            rate = f"{r.kill_rate:.1%}" if r.kill_rate is not None else "n/a"
            print(f"{name}: {r.killed}/{r.considered} killed ({rate}) in {r.seconds:.0f} s", flush=True)
            for m in r.survivors():
                print(f"  survived: {m} ({r.statuses[m]})")
                if args.survivors:
                    print(show(name, m, workdir))
            if args.record:
                add_to_record(name, record_entry(r, target, jobs=args.jobs, digest_before=before))
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    if not results:
        print("no module was run")
        return 0
    print()
    print(f"{'module':14} {'mutants':>7} {'equiv':>5} {'killed':>6} {'survived':>8} {'no tests':>8} {'kill rate':>9}")
    for r in results:
        rate = f"{r.kill_rate:.1%}" if r.kill_rate is not None else "n/a"
        print(
            f"{r.module:14} {len(r.statuses):7} {len(r.equivalent):5} {r.killed:6} {r.count('survived'):8} "
            f"{r.count('no tests'):8} {rate:>9}"
        )
    killed = sum(r.killed for r in results)
    considered = sum(r.considered for r in results)
    if considered:
        print(
            f"{'overall':14} {sum(len(r.statuses) for r in results):7} {'':5} {killed:6} {'':8} {'':8} "
            f"{killed / considered:9.1%}"
        )
    below = [r for r in results if r.kill_rate is not None and r.kill_rate < MODULES[r.module].target_rate]
    for r in below:
        print(
            f"{r.module}: {r.kill_rate:.1%} of its mutants killed, below the {MODULES[r.module].target_rate:.0%} "
            "target: kill the survivors above with a test, or list them in benchmarks/mutation_equivalent.md"
        )
    return 1 if below and args.changed else 0


def expected_seconds(entry: dict[str, object], jobs: int) -> float:
    """How long a recorded module's rerun should take with `jobs` workers on an idle machine like the recording one."""
    cpu = entry.get("cpu_seconds")
    if isinstance(cpu, int | float) and not isinstance(cpu, bool):
        return float(cpu) / max(jobs, 1)
    return float(str(entry["seconds"]))  # wall time only: an overestimate when the machine was busy


def _fit_changed(
    record: dict[str, dict[str, object]],
    names: list[str],
    root: Path,
    budget: float,
    timeouts: dict[str, float],
    jobs: int = 1,
) -> list[str]:
    """The changed modules whose last recorded run fits in the budget (CI's time), with a timeout for each."""
    todo = changed(record, names, root)
    print(f"{len(names) - len(todo)} of {len(names)} modules match their recorded run ({RECORD_FILE.name})")
    fit: list[str] = []
    left = budget
    for name in todo:
        entry = record.get(name)
        if entry is None:
            print(f"{name}: no recorded run: skipped (run it by hand with --record)")
            continue
        seconds = expected_seconds(entry, jobs)
        if seconds > left:
            print(
                f"{name}: changed, but its last run took {seconds:.0f} s, more than the {left:.0f} s left: "
                "run it by hand"
            )
            continue
        left -= seconds
        fit.append(name)
        timeouts[name] = max(3 * seconds, 120.0)  # a slower machine, not a hang
    return fit


if __name__ == "__main__":
    raise SystemExit(main())
