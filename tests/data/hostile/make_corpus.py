"""The hostile-input corpus of issue 10: files that once hung, crashed or fooled gpuwise, each with what must happen.

``python tests/data/hostile/make_corpus.py`` (re)writes the small files beside this script (each well under 1 MB);
the tests build the same files from :func:`cases` and check the committed ones match. Cases that are not plain
files (a FIFO, ``/dev/zero``, a folder, a sparse file over the size cap, symlinks) are made by the tests.

Every case has an expectation: ``refused`` (one UserInputError: exit 2 with one line, a dialog in the app) or
``shown`` (loads, and its strings reach the screen as text: no escape sequence obeyed, no HTML rendered).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parents[2] / "resources" / "example-h200-xeon16-mlp.json"

HTML = "<h1>BIG ERROR</h1><img src=x>"
ANSI = "\x1b[2J\x1b[H\x1b]0;pwned\x07\r"  # clear screen, home, retitle the terminal, carriage return
C1 = "\x9b2J"  # an 8-bit CSI: some terminals obey it
BIDI = "\u202eevil\u202c"  # right-to-left override (Trojan Source)
SURROGATE = "\udc80"  # a lone surrogate: valid in JSON text, cannot be encoded for output
MARKER = "BIG ERROR"  # what a test looks for when checking that HTML was not rendered


def base() -> dict[str, Any]:
    """A small valid report (the shipped H200 example, a few points)."""
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["points"] = data["points"][:4]
    data["micro"] = data["micro"][:2]
    return data


def _dump(data: Any) -> bytes:
    return json.dumps(data, indent=1, ensure_ascii=True).encode()


def _with(change: Any) -> bytes:
    data = base()
    change(data)
    return _dump(data)


def _set(path: str, value: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        *keys, last = path.split(".")
        obj: Any = data
        for k in keys:
            obj = obj[int(k)] if isinstance(obj, list) else obj[k]
        obj[last] = value

    return change


def _strings(text: str) -> Any:
    """Every string a report shows (CPU model, GPU name, devices, messages) set to ``text``."""

    def change(data: dict[str, Any]) -> None:
        data["machine"]["cpu"]["model"] = f"Xeon {text}"
        for g in data["machine"]["gpus"]:
            g["name"] = f"NVIDIA {text}"
        data["machine"]["notes"] = [f"note {text}"]
        for p in data["points"]:
            p["device_name"] = f"dev {text}"
            p["message"] = f"msg {text}"
        data["points"][-1]["status"] = "failed"
        data["points"][-1]["message"] = f"failed {text}"

    return change


def cases() -> dict[str, tuple[bytes, str]]:
    """file name -> (content, "refused" or "shown")."""
    report = _dump(base())
    raw_int = report.replace(b'"params": 99690', b'"params": ' + b"9" * 400, 1)
    assert raw_int != report
    # two "schema" keys: Python's json would keep the last (valid) one and accept the file
    dup = report.replace(b"{\n", b'{\n "schema": "something else",\n', 1)
    deep_settings = report.replace(b'"settings": {', b'"settings": {"deep": ' + b"[" * 5000 + b"]" * 5000 + b",", 1)
    return {
        "deep-array-1000.json": (b"[" * 1000 + b"]" * 1000, "refused"),
        "deep-array-100000.json": (b"[" * 100_000 + b"]" * 100_000, "refused"),
        "deep-object-unclosed.json": (b'{"a":' * 20_000, "refused"),
        "deep-in-settings.json": (deep_settings, "refused"),
        "int-400-digits.json": (raw_int, "refused"),
        "float-overflow.json": (report.replace(b'"epochs": 1', b'"epochs": 1e999', 1), "refused"),
        "nan.json": (report.replace(b'"epochs": 1', b'"epochs": NaN', 1), "refused"),
        "duplicate-schema.json": (dup, "refused"),
        "arch-family-only.json": (_with(_set("points.0.architecture", {"family": "mlp"})), "refused"),
        "arch-hidden-xx.json": (_with(_set("points.0.architecture.hidden", "xx")), "refused"),
        "arch-hidden-float.json": (_with(_set("points.0.architecture.hidden", [1.5, 2])), "refused"),
        "arch-family-mismatch.json": (_with(_set("points.0.architecture.family", "cnn")), "refused"),
        "arch-activation-module.json": (_with(_set("points.0.architecture.activation", "Transformer")), "refused"),
        "ram-total-1e30.json": (_with(_set("machine.cpu.ram_total", 10**30)), "refused"),
        "ram-total-1e19.json": (_with(_set("machine.cpu.ram_total", 10**19)), "refused"),
        "cores-negative.json": (_with(_set("machine.cpu.logical_cores", -4)), "refused"),
        "gpu-memory-string.json": (_with(_set("machine.gpus.0.memory_total", "lots")), "refused"),
        "not-utf8.json": (report.replace(b"Xeon", b"X\xff\xfeon", 1), "refused"),
        "empty.json": (b"", "refused"),
        "top-level-list.json": (b"[]", "refused"),
        "truncated.json": (report[: len(report) // 2], "refused"),
        "html-strings.json": (_with(_strings(HTML)), "shown"),
        "ansi-escapes.json": (_with(_strings(ANSI)), "shown"),
        "c1-and-bidi.json": (_with(_strings(C1 + BIDI)), "shown"),
        "lone-surrogate.json": (_with(_strings(SURROGATE)), "shown"),
        "utf8-bom.json": (b"\xef\xbb\xbf" + report, "shown"),
    }


def damaged_prices() -> dict[str, bytes]:
    """Saved-prices files (``prices.json`` in the config folder) that must not stop ``advise`` or the app."""
    return {
        "deep": b'{"schema": "gpuwise.user-prices/1", "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        "int-400-digits": b'{"schema": "gpuwise.user-prices/1", "cpu_per_hour": ' + b"9" * 400 + b"}",
        "nan": b'{"schema": "gpuwise.user-prices/1", "cpu_per_hour": NaN}',
    }


def write(folder: Path = HERE) -> list[Path]:
    written = []
    for name, (content, _) in sorted(cases().items()):
        path = folder / name
        path.write_bytes(content)
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(f"{p.stat().st_size:>9} {p}")
