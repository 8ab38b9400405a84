"""Fuzzing the report loader (and advise after it): mutations of a valid report, bounded so CI runs it in seconds.

Whatever a mutation does, loading ends in a Report or in one ReportError, and ``advise`` on a report that loaded
exits 0 or 2: any other exception is a bug that would show a traceback (CLI) or fail silently (app).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpuwise.cli import main
from gpuwise.core.errors import ReportError
from gpuwise.core.report import Report, parse_report
from tests.data.hostile.make_corpus import base

BASE = base()
BASE_BYTES = json.dumps(BASE).encode()

wild_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**25), 10**25)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(
        [
            "mlp",
            "cnn",
            "transformer",
            "ok",
            "failed",
            "fp32",
            "bf16",
            "cpu",
            "cuda:0",
            "ReLU",
            "",
            "gpuwise.report/1",
            0,
            1,
            -1,
            2**63,
            1e308,
            0.0,
            [],
            {},
        ]
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a JSON tree."""
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


PATHS = [p for p in _paths(BASE) if p]


@st.composite
def mutated_reports(draw: st.DrawFn) -> Any:
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(PATHS))
        parent: Any = data
        try:
            for key in path[:-1]:
                parent = parent[key]
            action = draw(st.sampled_from(["replace", "delete", "add"]))
            if action == "delete" and isinstance(parent, dict):
                parent.pop(path[-1], None)
            elif action == "add" and isinstance(parent, dict):
                parent[draw(st.text(max_size=8))] = draw(wild_values)
            else:
                parent[path[-1]] = draw(wild_values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or retyped this path
    return data


def _load(text: str | bytes) -> Report | None:
    try:
        return parse_report(text)
    except ReportError as e:
        assert str(e)  # (it may quote a key holding a newline: the CLI prints it on one line, escaped)
        return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated_reports())
def test_mutated_reports_load_or_are_one_report_error(data: Any) -> None:
    _load(json.dumps(data))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, len(BASE_BYTES) - 1), st.binary(max_size=3), st.integers(0, 3)), min_size=1, max_size=4
    )
)
def test_byte_level_damage_loads_or_is_one_report_error(edits: list[tuple[int, bytes, int]]) -> None:
    raw = bytearray(BASE_BYTES)
    for at, insert, delete in edits:
        raw[at : at + delete] = insert
    _load(bytes(raw))


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("fuzz")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GPUWISE_CONFIG_DIR", str(folder / "config"))  # never the user's saved prices
        yield folder


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated_reports())
def test_advise_on_a_mutated_report_exits_0_or_2(data: Any, fuzz_dir: Path) -> None:
    path = fuzz_dir / "r.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(["advise", str(path), "--flops", "analytic"])
    assert rc in (0, 2), err.getvalue()
    if rc == 2:
        assert err.getvalue().count("\n") == 1 and err.getvalue().startswith("gpuwise: error: ")
