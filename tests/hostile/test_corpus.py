"""The hostile corpus (tests/data/hostile) against the loader and the commands that read reports.

Each case is refused with one plain line (exit 2) or shown with its strings defanged; the raw bytes a command
writes never hold a control character but newline and tab (no escape sequence reaches a terminal).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gpuwise.cli import build_parser, main
from gpuwise.core.errors import ReportError
from gpuwise.core.report import load_report
from tests.data.hostile.make_corpus import HERE, cases, damaged_prices

REPO = Path(__file__).resolve().parents[2]
CASES = cases()
REFUSED = sorted(n for n, (_, want) in CASES.items() if want == "refused")
SHOWN = sorted(n for n, (_, want) in CASES.items() if want == "shown")
# Bytes that must never reach a terminal: C0 controls but \t and \n, DEL, C1 controls and the bidi overrides
# (as UTF-8), and anything that is not UTF-8 at all.
_UNSAFE_BYTES = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]")


def assert_terminal_safe(raw: bytes) -> None:
    m = _UNSAFE_BYTES.search(raw)
    assert m is None, f"unsafe bytes {m.group()!r} at {m.start()}: {raw[max(0, m.start() - 40) : m.end() + 40]!r}"
    raw.decode("utf-8")  # strict: a lone surrogate or stray byte would fail here


@pytest.fixture(autouse=True)
def private_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GPUWISE_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "config"


def _corpus_file(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(CASES[name][0])
    return path


def test_the_committed_corpus_is_what_the_script_makes() -> None:
    committed = {p.name: p.read_bytes() for p in HERE.glob("*.json")}
    assert committed == {name: content for name, (content, _) in CASES.items()}, (
        "run: python tests/data/hostile/make_corpus.py"
    )
    assert max(len(c) for c in committed.values()) < 1_000_000


@pytest.mark.parametrize("name", REFUSED)
def test_refused_cases_are_one_report_error(name: str, tmp_path: Path) -> None:
    with pytest.raises(ReportError) as e:
        load_report(_corpus_file(tmp_path, name))
    assert "\n" not in str(e.value) and len(str(e.value)) < 400


@pytest.mark.parametrize("name", SHOWN)
def test_shown_cases_load(name: str, tmp_path: Path) -> None:
    assert load_report(_corpus_file(tmp_path, name)).points


def _commands_reading_reports(tmp_path: Path) -> dict[str, list[str]]:
    """Each command that reads a report, with the arguments that follow the report. ``import`` (run history) joins
    by itself once it exists."""
    commands = {"advise": ["--flops", "analytic"], "plot": ["--out", str(tmp_path / "chart.png"), "--size", "320x200"]}
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    if "import" in getattr(sub, "choices", {}):
        commands["import"] = []
    return commands


@pytest.mark.parametrize("name", REFUSED)
def test_commands_refuse_with_exit_2_and_one_clean_line(
    name: str, tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    path = _corpus_file(tmp_path, name)
    for command, args in _commands_reading_reports(tmp_path).items():
        rc = main([command, str(path), *args])
        out, err = capfdbinary.readouterr()
        assert rc == 2, (command, out, err)
        assert out == b"" and err.startswith(b"gpuwise: error: ") and err.count(b"\n") == 1, (command, err)
        assert_terminal_safe(err)
    assert not (tmp_path / "chart.png").exists()


@pytest.mark.parametrize("name", SHOWN)
def test_advise_shows_hostile_strings_defanged(
    name: str, tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    path = _corpus_file(tmp_path, name)
    for extra in ([], ["--json"]):
        assert main(["advise", str(path), "--flops", "analytic", *extra]) == 0
        out, err = capfdbinary.readouterr()
        assert out, err
        assert_terminal_safe(out)
        assert_terminal_safe(err)
    if name == "ansi-escapes.json":
        assert b"\\x1b[2J" in out or b"\\u001b[2J" in out  # shown, escaped


@pytest.mark.slow
@pytest.mark.parametrize("name", ["html-strings.json", "ansi-escapes.json"])
def test_plot_draws_hostile_strings_and_prints_clean_bytes(
    name: str, tmp_path: Path, qapp: object, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    out_png = tmp_path / "chart\x1b[2J.png"  # a hostile output name too
    assert main(["plot", str(_corpus_file(tmp_path, name)), "--out", str(out_png), "--size", "320x200"]) == 0
    out, err = capfdbinary.readouterr()
    assert out_png.stat().st_size > 0
    assert b"wrote " in out and b"\\x1b[2J" in out
    assert_terminal_safe(out)
    assert_terminal_safe(err)


@pytest.mark.parametrize("kind", sorted(damaged_prices()))
def test_damaged_saved_prices_do_not_stop_advise(
    kind: str, tmp_path: Path, private_config: Path, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    private_config.mkdir()
    (private_config / "prices.json").write_bytes(damaged_prices()[kind])
    report = _corpus_file(tmp_path, "utf8-bom.json")
    assert main(["advise", str(report), "--flops", "analytic"]) == 0
    out, err = capfdbinary.readouterr()
    assert b"saved prices" in err and b"using list prices" in err
    assert_terminal_safe(out + err)


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev exist on POSIX only")
@pytest.mark.parametrize("special", ["fifo", "/dev/zero", "directory", "sparse-300MB"])
def test_special_files_are_refused_at_once_by_every_command(special: str, tmp_path: Path) -> None:
    """As the user runs it (a subprocess): a FIFO once hung advise and plot for good, /dev/zero grew to GBs."""
    if special == "fifo":
        path = tmp_path / "report.json"
        os.mkfifo(path)
    elif special == "directory":
        path = tmp_path / "folder.json"
        path.mkdir()
    elif special == "sparse-300MB":
        path = tmp_path / "huge.json"
        with open(path, "wb") as f:
            f.truncate(300 * 2**20)
    else:
        path = Path(special)
    for command, args in _commands_reading_reports(tmp_path).items():
        proc = subprocess.run(
            [sys.executable, "-m", "gpuwise", command, str(path), *args], capture_output=True, cwd=REPO, timeout=60
        )
        assert proc.returncode == 2, (command, proc.stderr)
        assert proc.stderr.startswith(b"gpuwise: error: ") and proc.stderr.count(b"\n") == 1, proc.stderr
        assert b"Traceback" not in proc.stderr
