"""The run history: every run and every point it measured, in SQLite, so nothing measured is ever lost.

One database file (``history.sqlite3``) in the user data folder (platformdirs), or under ``$GPUWISE_DATA_DIR``
when set (tests, portable installs). WAL mode: a point is committed the moment it is measured, so a process killed
mid-sweep (SIGKILL, a power cut of the process, a dropped ssh session) leaves every completed point behind, and a
reader (the app's History view, ``gpuwise history``) never blocks a running benchmark.

The schema is versioned with ``PRAGMA user_version``; ``_MIGRATIONS[i]`` brings a database from version ``i`` to
``i + 1``, so a history written by any older gpuwise opens in a newer one. Points and micro-benchmarks are stored as
the report's own JSON (defaults left out) and come back through the report validator: a run loads exactly like a
report file, with the same checks.

Runs are never replaced. A run is ``running`` until it ends as ``complete``, ``cancelled`` or ``failed``; a run
whose process died (its pid is gone) reads as ``interrupted``. Deleting is soft until :meth:`History.purge_deleted`,
so the app can offer Undo.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, NamedTuple

from gpuwise.core.errors import UserInputError
from gpuwise.core.machine_text import devices_text, machine_summary
from gpuwise.core.report import SCHEMA, MicroResult, Point, Report, load_report, validate_report_dict
from gpuwise.core.units import format_count

DATA_ENV = "GPUWISE_DATA_DIR"
DB_NAME = "history.sqlite3"
RunStatus = Literal["running", "complete", "cancelled", "failed", "interrupted"]
FINAL_STATUSES = ("complete", "cancelled", "failed")
PARTIAL_STATUSES = ("cancelled", "failed", "interrupted", "running")
_RUN_REF = re.compile(r"^(?:#|run:?)?(\d{1,18})$", re.IGNORECASE)


class HistoryError(UserInputError):
    """The history cannot be opened or a run asked for does not exist."""


def data_dir() -> Path:
    """The user data folder: ``$GPUWISE_DATA_DIR`` when set, else the platform's (platformdirs)."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("gpuwise", "gpuwise"))


def default_path() -> Path:
    return data_dir() / DB_NAME


# ---------------------------------------------------------------- schema and migrations


def _migrate_0_to_1(db: sqlite3.Connection) -> None:
    """The first schema: runs with their machine and settings, points and micro-benchmarks as report JSON."""
    for statement in (
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created TEXT NOT NULL,
            status TEXT NOT NULL,
            source TEXT NOT NULL,
            machine_json TEXT NOT NULL,
            settings_json TEXT NOT NULL,
            gpuwise_version TEXT NOT NULL DEFAULT '',
            pid INTEGER,
            host TEXT
        )""",
        """CREATE TABLE points (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            json TEXT NOT NULL,
            PRIMARY KEY (run_id, seq)
        ) WITHOUT ROWID""",
        """CREATE TABLE micro (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            json TEXT NOT NULL,
            PRIMARY KEY (run_id, seq)
        ) WITHOUT ROWID""",
    ):  # not executescript: it would commit the migration's transaction half-way
        db.execute(statement)


def _migrate_1_to_2(db: sqlite3.Connection) -> None:
    """Names, tags, soft delete, and the summary a list shows (kept in the row so 10,000 runs list at once)."""
    for column in (
        "name TEXT NOT NULL DEFAULT ''",
        "tags TEXT NOT NULL DEFAULT ''",
        "deleted INTEGER NOT NULL DEFAULT 0",
        "machine_text TEXT NOT NULL DEFAULT ''",
        "workload_text TEXT NOT NULL DEFAULT ''",
        "devices_text TEXT NOT NULL DEFAULT ''",
        "headline TEXT NOT NULL DEFAULT ''",
        "n_points INTEGER NOT NULL DEFAULT 0",
        "search TEXT NOT NULL DEFAULT ''",
    ):
        db.execute(f"ALTER TABLE runs ADD COLUMN {column}")
    # the list's order, and its filter's text, read from the index alone (the rows carry the machine/settings JSON)
    db.execute("CREATE INDEX runs_list ON runs(deleted, created, id, search)")
    rows = db.execute("SELECT id, machine_json, settings_json FROM runs").fetchall()
    for run_id, machine_json, settings_json in rows:
        machine, settings = _json_obj(machine_json), _json_obj(settings_json)
        pts = [_json_obj(j) for (j,) in db.execute("SELECT json FROM points WHERE run_id = ?", (run_id,))]
        db.execute(
            "UPDATE runs SET machine_text = ?, workload_text = ?, devices_text = ?, n_points = ? WHERE id = ?",
            (
                machine_summary(machine),
                workload_text(settings, pts),
                _devices(settings, pts, machine),
                len(pts),
                run_id,
            ),
        )
        _update_search(db, run_id)


_MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_migrate_0_to_1, _migrate_1_to_2)
SCHEMA_VERSION = len(_MIGRATIONS)


def migrate(db: sqlite3.Connection, to_version: int = SCHEMA_VERSION) -> None:
    """Bring ``db`` up to ``to_version``, one migration per transaction (a crash leaves a consistent version)."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise HistoryError(
            f"the history was written by a newer gpuwise (schema {version}, this one reads up to "
            f"{SCHEMA_VERSION}); update gpuwise"
        )
    while version < to_version:
        with db:  # one transaction: the migration and its version number land together
            db.execute("BEGIN IMMEDIATE")
            _MIGRATIONS[version](db)
            db.execute(f"PRAGMA user_version = {version + 1}")
        version += 1


# ---------------------------------------------------------------- summaries


def _json_obj(text: str) -> dict[str, Any]:
    try:
        v = json.loads(text)
    except ValueError:
        return {}
    return v if isinstance(v, dict) else {}


def _span(values: Iterable[Any]) -> str:
    nums = sorted({int(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)})
    if not nums:
        return "?"
    return format_count(nums[0]) if len(nums) == 1 else f"{format_count(nums[0])}–{format_count(nums[-1])}"


def workload_text(settings: dict[str, Any], points: Sequence[dict[str, Any]] = ()) -> str:
    """``mlp 100k–10M params × 10k–100k samples`` from a run's settings (or its points when it has none)."""
    params = settings.get("params") if isinstance(settings.get("params"), list) else None
    samples = settings.get("samples") if isinstance(settings.get("samples"), list) else None
    family = settings.get("family")
    if not params or not samples or not isinstance(family, str):
        if not points:
            return "?"
        params = [p.get("params") for p in points]
        samples = [p.get("samples") for p in points]
        family = "/".join(sorted({str(p.get("family")) for p in points}))
    return f"{family} {_span(params)} params × {_span(samples)} samples"


def _devices(settings: dict[str, Any], points: Sequence[dict[str, Any]], machine: dict[str, Any]) -> str:
    devs = [str(p.get("device")) for p in points]
    planned = settings.get("devices")
    if isinstance(planned, list):
        devs += [str(d) for d in planned]
    return devices_text(devs, machine)


class RunSummary(NamedTuple):
    """One row of the history: what a list shows, without loading the run's points.

    A named tuple, not a frozen dataclass: cheaper to build by the ten thousand (``gpuwise history`` lists all)."""

    id: int
    created: str
    status: RunStatus
    source: str  # "bench", "app", "import"
    name: str
    tags: tuple[str, ...]
    machine: str
    workload: str
    devices: str
    headline: str
    points: int

    @property
    def partial(self) -> bool:
        return self.status != "complete"

    @property
    def title(self) -> str:
        return self.name or f"Run {self.id}"

    def search_text(self) -> str:
        """Everything a filter matches, lower-cased once."""
        return " ".join(
            (
                f"#{self.id}",
                self.created,
                self.status,
                self.source,
                self.name,
                " ".join(self.tags),
                self.machine,
                self.workload,
                self.devices,
                self.headline,
            )
        ).lower()

    def to_dict(self) -> dict[str, Any]:
        d = self._asdict()
        d["tags"] = list(self.tags)
        return d


def _where(query: str) -> tuple[str, list[str]]:
    """SQL that keeps the runs whose row text has every word of ``query`` (case-insensitive), and its values.

    Words are matched in the ``search`` column (:meth:`RunSummary.search_text`, kept up to date on every write)
    by SQLite itself: 10,000 runs filter in milliseconds, without building a Python object per run."""
    words = query.lower().split()
    clause = " AND ".join(["deleted = 0", *(["search LIKE ? ESCAPE '\\'"] * len(words))])
    values = ["%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for w in words]
    return clause, values


_SUMMARY_COLUMNS = (
    "id, created, status, source, name, tags, machine_text, workload_text, devices_text, headline, n_points, pid, host"
)


def _update_search(db: sqlite3.Connection, run_id: int) -> None:
    row = db.execute(f"SELECT {_SUMMARY_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
    if row is not None:
        tags = tuple(row[5].split(",")) if row[5] else ()
        summary = RunSummary(row[0], row[1], row[2], row[3], row[4], tags, row[6], row[7], row[8], row[9], row[10])
        db.execute("UPDATE runs SET search = ? WHERE id = ?", (summary.search_text(), run_id))


# ---------------------------------------------------------------- JSON of points


def _compact(obj: Any, defaults: dict[str, Any]) -> dict[str, Any]:
    """The dataclass as a dict without the fields that hold their default: a third of the size on disk.

    Shallow: ``asdict`` deep-copies every architecture dict (importing 300 runs of 100 points took 7.0 s with it,
    1.4 s without, here); nested dataclasses (the step statistics) are converted, plain dicts and lists go to
    ``json.dumps`` as they are."""
    out: dict[str, Any] = {}
    for name in _field_names(type(obj)):
        v = getattr(obj, name)
        if name in defaults and v == defaults[name]:
            continue
        out[name] = asdict(v) if hasattr(v, "__dataclass_fields__") else v
    return out


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def _field_defaults(cls: type) -> dict[str, Any]:
    from dataclasses import MISSING

    out: dict[str, Any] = {}
    for f in fields(cls):
        if f.default is not MISSING:
            out[f.name] = f.default
        elif f.default_factory is not MISSING:
            out[f.name] = f.default_factory()
    return out


_POINT_DEFAULTS = _field_defaults(Point)
_MICRO_DEFAULTS = _field_defaults(MicroResult)


def point_json(point: Point) -> str:
    return json.dumps(_compact(point, _POINT_DEFAULTS), separators=(",", ":"), allow_nan=False)


def micro_json(result: MicroResult) -> str:
    return json.dumps(_compact(result, _MICRO_DEFAULTS), separators=(",", ":"), allow_nan=False)


# ---------------------------------------------------------------- the store


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _pid_alive(pid: int) -> bool:
    import psutil

    return bool(psutil.pid_exists(pid))


class History:
    """The run history in one SQLite file. Use from one thread (the app's GUI thread, the CLI's main thread)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        except (OSError, sqlite3.Error) as e:
            raise HistoryError(f"cannot open the run history {self.path}: {e}") from None
        try:
            self._db.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode: a committed point survives the process being killed (it is in the OS), only a
            # power cut can lose the last transactions, and each commit costs no fsync (~0.1 ms, not ~10 ms).
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            migrate(self._db)
        except sqlite3.DatabaseError as e:
            self._db.close()
            raise HistoryError(
                f"the run history {self.path} cannot be read ({e}); move it aside to start a new one"
            ) from None
        self._host = socket.gethostname()

    def close(self) -> None:
        self._db.close()

    def db_journal_mode(self) -> str:
        return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    def __enter__(self) -> History:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            yield self._db

    # -- writing a run as it is measured -------------------------------------------------------------------

    def begin_run(
        self,
        machine: dict[str, Any],
        settings: dict[str, Any],
        *,
        source: str,
        created: str | None = None,
        gpuwise_version: str = "",
    ) -> int:
        """A new run in state ``running``; returns its id."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO runs (created, status, source, machine_json, settings_json, gpuwise_version, pid, "
                "host, machine_text, workload_text, devices_text) VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    created or _now(),
                    source,
                    json.dumps(machine, allow_nan=False),
                    json.dumps(settings, allow_nan=False),
                    gpuwise_version,
                    os.getpid(),
                    self._host,
                    machine_summary(machine),
                    workload_text(settings),
                    _devices(settings, [], machine),
                ),
            )
            run_id = int(cur.lastrowid or 0)
            _update_search(db, run_id)
            return run_id

    def add_point(self, run_id: int, point: Point) -> None:
        """Commit one measured point now (it survives the process being killed right after)."""
        with self._tx() as db:
            n = db.execute("SELECT n_points FROM runs WHERE id = ?", (run_id,)).fetchone()
            if n is None:
                raise HistoryError(f"no run {run_id} in the history")
            db.execute("INSERT INTO points (run_id, seq, json) VALUES (?, ?, ?)", (run_id, n[0], point_json(point)))
            db.execute("UPDATE runs SET n_points = n_points + 1 WHERE id = ?", (run_id,))

    def add_micro(self, run_id: int, result: MicroResult) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO micro (run_id, seq, json) VALUES (?, (SELECT COUNT(*) FROM micro WHERE run_id = ?), ?)",
                (run_id, run_id, micro_json(result)),
            )

    def finish_run(
        self,
        run_id: int,
        status: RunStatus,
        *,
        headline: str = "",
        machine: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
    ) -> None:
        """Mark a run ended. ``machine``/``settings``: what the sweep knew at the end (threads resolved), if any."""
        if status not in FINAL_STATUSES:
            raise ValueError(f"a run ends as one of {FINAL_STATUSES}, not {status!r}")
        with self._tx() as db:
            row = db.execute("SELECT machine_json, settings_json FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                raise HistoryError(f"no run {run_id} in the history")
            m = machine if machine is not None else _json_obj(row[0])
            settings = settings if settings is not None else _json_obj(row[1])
            pts = [_json_obj(j) for (j,) in db.execute("SELECT json FROM points WHERE run_id = ?", (run_id,))]
            db.execute(
                "UPDATE runs SET status = ?, headline = ?, machine_json = ?, settings_json = ?, machine_text = ?, "
                "workload_text = ?, devices_text = ? WHERE id = ?",
                (
                    status,
                    headline,
                    json.dumps(m, allow_nan=False),
                    json.dumps(settings, allow_nan=False),
                    machine_summary(m),
                    workload_text(settings, pts),
                    _devices(settings, pts, m),
                    run_id,
                ),
            )
            _update_search(db, run_id)

    def set_headline(self, run_id: int, headline: str) -> None:
        self._update("UPDATE runs SET headline = ? WHERE id = ?", (headline,), run_id)

    def import_report(self, report: Report, *, source: str = "import", headline: str = "") -> int:
        """Store a whole report as one run, in one transaction (all of it or nothing)."""
        status: RunStatus = "cancelled" if report.cancelled else "complete"
        pts = [
            {"device": p.device, "family": p.family, "params": p.params, "samples": p.samples} for p in report.points
        ]  # what the summary reads
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO runs (created, status, source, machine_json, settings_json, gpuwise_version, "
                "machine_text, workload_text, devices_text, headline, n_points) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    report.created,
                    status,
                    source,
                    json.dumps(report.machine, allow_nan=False),
                    json.dumps(report.settings, allow_nan=False),
                    report.gpuwise_version,
                    machine_summary(report.machine),
                    workload_text(report.settings, pts),
                    _devices(report.settings, pts, report.machine),
                    headline,
                    len(report.points),
                ),
            )
            run_id = int(cur.lastrowid or 0)
            db.executemany(
                "INSERT INTO points (run_id, seq, json) VALUES (?, ?, ?)",
                [(run_id, i, point_json(p)) for i, p in enumerate(report.points)],
            )
            db.executemany(
                "INSERT INTO micro (run_id, seq, json) VALUES (?, ?, ?)",
                [(run_id, i, micro_json(m)) for i, m in enumerate(report.micro)],
            )
            _update_search(db, run_id)
        return run_id

    # -- reading -------------------------------------------------------------------------------------------

    def _status(self, status: str, pid: int | None, host: str | None) -> RunStatus:
        if status == "running" and host == self._host and (pid is None or not _pid_alive(pid)):
            # the process that measured it is gone without saying how it ended: killed, crashed, logged out
            # (a run from another host sharing this file cannot be checked and stays "running")
            return "interrupted"
        return status  # type: ignore[return-value]

    _SUMMARY = f"SELECT {_SUMMARY_COLUMNS} FROM runs"

    def _summary(self, row: tuple[Any, ...]) -> RunSummary:
        status = row[2] if row[2] != "running" else self._status(row[2], row[11], row[12])
        tags = tuple(row[5].split(",")) if row[5] else ()
        return RunSummary(row[0], row[1], status, row[3], row[4], tags, row[6], row[7], row[8], row[9], row[10])

    def runs(self, query: str = "") -> list[RunSummary]:
        """Every run not deleted (whose row has every word of ``query``), newest first."""
        where, values = _where(query)
        rows = self._db.execute(f"{self._SUMMARY} WHERE {where} ORDER BY created DESC, id DESC", values).fetchall()
        return [self._summary(r) for r in rows]

    def run_ids(self, query: str = "") -> list[int]:
        """The ids :meth:`runs` would list, without building the rows (a list view pages them in)."""
        where, values = _where(query)
        return [
            i for (i,) in self._db.execute(f"SELECT id FROM runs WHERE {where} ORDER BY created DESC, id DESC", values)
        ]

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM runs WHERE deleted = 0").fetchone()[0])

    def summaries(self, ids: Sequence[int]) -> dict[int, RunSummary]:
        """The rows of ``ids`` (deleted or unknown ones are left out)."""
        out: dict[int, RunSummary] = {}
        for i in range(0, len(ids), 500):  # SQLite's limit on bound values is 999 in older builds
            chunk = list(ids[i : i + 500])
            marks = ",".join("?" * len(chunk))
            for row in self._db.execute(f"{self._SUMMARY} WHERE deleted = 0 AND id IN ({marks})", chunk):
                out[row[0]] = self._summary(row)
        return out

    def get(self, run_id: int) -> RunSummary:
        row = self._db.execute(self._SUMMARY + " WHERE id = ? AND deleted = 0", (run_id,)).fetchone()
        if row is None:
            raise HistoryError(f"no run {run_id} in the history ('gpuwise history' lists them)")
        return self._summary(row)

    def last_complete(self) -> RunSummary | None:
        row = self._db.execute(
            self._SUMMARY + " WHERE deleted = 0 AND status = 'complete' ORDER BY created DESC, id DESC LIMIT 1"
        ).fetchone()
        return self._summary(row) if row is not None else None

    def load(self, run_id: int) -> Report:
        """The run as a Report, through the same validation as a report file."""
        summary = self.get(run_id)
        row = self._db.execute(
            "SELECT machine_json, settings_json, gpuwise_version FROM runs WHERE id = ?", (run_id,)
        ).fetchone()
        points = [
            json.loads(j)
            for (j,) in self._db.execute("SELECT json FROM points WHERE run_id = ? ORDER BY seq", (run_id,))
        ]
        micro = [
            json.loads(j)
            for (j,) in self._db.execute("SELECT json FROM micro WHERE run_id = ? ORDER BY seq", (run_id,))
        ]
        data = {
            "schema": SCHEMA,
            "created": summary.created,
            "machine": json.loads(row[0]),
            "settings": json.loads(row[1]),
            "points": points,
            "micro": micro,
            "cancelled": summary.partial,
            "gpuwise_version": row[2],
        }
        try:
            return validate_report_dict(data)
        except UserInputError as e:
            raise HistoryError(f"run {run_id} in the history cannot be read: {e}") from None

    # -- editing -------------------------------------------------------------------------------------------

    def _update(self, sql: str, args: tuple[Any, ...], run_id: int) -> None:
        with self._tx() as db:
            if db.execute(sql, (*args, run_id)).rowcount == 0:
                raise HistoryError(f"no run {run_id} in the history")
            _update_search(db, run_id)

    def rename(self, run_id: int, name: str) -> None:
        self._update("UPDATE runs SET name = ? WHERE id = ?", (" ".join(name.split())[:200],), run_id)

    def set_tags(self, run_id: int, tags: Iterable[str]) -> None:
        clean: list[str] = []
        for t in tags:
            word = "-".join(t.replace(",", " ").split()).lower()[:40]
            if word and word not in clean:
                clean.append(word)
        self._update("UPDATE runs SET tags = ? WHERE id = ?", (",".join(clean),), run_id)

    def delete(self, run_id: int) -> None:
        """Hide a run (undo with :meth:`undelete`; :meth:`purge_deleted` removes it for good)."""
        self._update("UPDATE runs SET deleted = 1 WHERE id = ?", (), run_id)

    def undelete(self, run_id: int) -> None:
        self._update("UPDATE runs SET deleted = 0 WHERE id = ?", (), run_id)

    def purge_deleted(self) -> int:
        with self._tx() as db:
            return db.execute("DELETE FROM runs WHERE deleted = 1").rowcount


def verdict_headline(report: Report) -> str:
    """The verdict's one sentence for a run's own workload at the user's prices ("" when there is none: no CPU
    point to compare with). The same call as ``gpuwise advise``, so the history never words a verdict itself."""
    from gpuwise.core.decide import compute_verdict
    from gpuwise.core.decide.pricing import report_cores
    from gpuwise.core.prices import effective_prices

    if not any(p.device == "cpu" and p.status == "ok" for p in report.points):
        return ""
    try:
        prices, _note = effective_prices(report_cores(report))
        return compute_verdict(report, prices=prices).sentence
    except UserInputError:
        return ""


# ---------------------------------------------------------------- one resolver for every command


def run_id_of(arg: str) -> int | None:
    """``12``, ``#12`` or ``run12`` -> 12; anything else -> None."""
    m = _RUN_REF.match(arg.strip())
    return int(m.group(1)) if m else None


def load_report_or_run(arg: str, history_path: str | os.PathLike[str] | None = None) -> Report:
    """A report file, or a run of the history by its id (``gpuwise history`` lists them), or ``last``."""
    p = Path(arg)
    run_id = run_id_of(arg)
    is_last = arg.strip().lower() == "last"
    if (run_id is None and not is_last) or p.exists():
        return load_report(p)
    with History(history_path) as h:
        if is_last:
            last = h.last_complete()
            if last is None:
                raise HistoryError("the history has no complete run yet (measure one with 'gpuwise bench')")
            run_id = last.id
        assert run_id is not None
        return h.load(run_id)
