"""The bounded loader: what it refuses before reading, while reading and while parsing."""

from __future__ import annotations

import gc
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpuwise.core.errors import UserInputError
from gpuwise.core.report import load_report
from gpuwise.core.safe_json import (
    MAX_DEPTH,
    MAX_REPORT_BYTES,
    load_json_file,
    nesting_depth,
    parse_json,
    paused_gc,
    read_regular_file,
)
from tests.data.hostile.make_corpus import EXAMPLE

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev exist on POSIX only")


@posix_only
@pytest.mark.timeout(20)
def test_a_fifo_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "report.json"
    os.mkfifo(fifo)  # no writer: opening it for reading would block for good
    with pytest.raises(UserInputError, match="named pipe"):
        load_report(fifo)


@posix_only
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_devices_are_refused(device: str, tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="is a device"):
        load_report(device)
    link = tmp_path / "innocent.json"
    link.symlink_to(device)
    with pytest.raises(UserInputError, match="is a device"):
        load_report(link)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="directory"):
        load_json_file(tmp_path)


def test_the_size_cap_is_checked_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(MAX_REPORT_BYTES + 1)  # sparse: costs no disk, would cost 256 MiB of memory to read
    with pytest.raises(UserInputError, match=r"too large \(256 MiB; gpuwise reads at most 256 MiB\)"):
        load_report(big)
    small_cap = tmp_path / "prices.json"
    small_cap.write_bytes(b" " * 2048)
    with pytest.raises(UserInputError, match="too large"):
        read_regular_file(small_cap, max_bytes=1024)


def test_the_cap_leaves_room_for_a_report_of_100k_points() -> None:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    per_point = max(len(json.dumps(p, indent=2)) for p in data["points"]) + 8  # indented one level deeper
    assert 100_000 * per_point < MAX_REPORT_BYTES * 0.8, per_point


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="no such file"):
        load_json_file(tmp_path / "absent.json")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (b'{"a": 1, "a": 2}', "the key 'a' appears twice"),
        (b'{"x": {"b": [], "b": []}}', "the key 'b' appears twice"),
        (b"[1e400]", "not finite"),
        (b"[-1e400]", "not finite"),
        (b"[" + b"9" * 400 + b"]", "400 digits"),
        (b"[-" + b"9" * 21 + b"]", "21 digits"),
        (b"[NaN]", "NaN is not allowed"),
        (b"[Infinity]", "Infinity is not allowed"),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), f"more than {MAX_DEPTH} deep"),
        (b"[" * 100_000, "too deeply"),
        (b"\xff", "not UTF-8"),
        (b"{", "not valid JSON"),
    ],
)
def test_parse_refusals_are_one_plain_error(text: bytes, words: str) -> None:
    with pytest.raises(UserInputError, match=words.replace("(", r"\(").replace("[", r"\[")):
        parse_json(text)


def test_what_is_within_the_limits_parses() -> None:
    assert parse_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None
    bom_and_19_digits = b'\xef\xbb\xbf{"a": [1, 2.5, "x[{", -' + b"9" * 19 + b"]}"
    assert parse_json(bom_and_19_digits) == {"a": [1, 2.5, "x[{", -(10**19 - 1)]}
    assert parse_json('{"s": "\\"[\\\\"}') == {"s": '"[\\'}


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**18), 10**18)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.sampled_from('ab[]{}"\\\n\t\u00e9'), max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=30,
)


def _depth(v: Any) -> int:
    if isinstance(v, list):
        return 1 + max((_depth(x) for x in v), default=0)
    if isinstance(v, dict):
        return 1 + max((_depth(x) for x in v.values()), default=0)
    return 0


@settings(max_examples=150, deadline=None)
@given(json_values, st.sampled_from([None, 1, 2]))
def test_nesting_depth_matches_the_parsed_depth(value: Any, indent: int | None) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=False).encode()
    assert nesting_depth(text) == _depth(value)
    assert parse_json(text) == value


def test_paused_gc_nests_and_restores() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()
