"""Safe writes: an existing file keeps its mode (and owner where permitted); devices, FIFOs and folders are refused;
a symlinked target is written through (documented in gpuwise.core.atomic_write)."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from gpuwise.cli import main
from gpuwise.core.atomic_write import atomic_write_bytes, atomic_write_text, check_writable
from gpuwise.core.errors import UserInputError

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="modes, owners, FIFOs and /dev are POSIX")


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


@posix_only
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444 | 0o200, 0o755])
def test_replacing_a_file_keeps_its_mode(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "report.json"
    path.write_text("old", encoding="utf-8")
    os.chmod(path, mode)
    atomic_write_text(path, "new")
    assert path.read_text(encoding="utf-8") == "new"
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert _leftovers(tmp_path) == []


@posix_only
def test_a_new_file_gets_the_usual_mode(tmp_path: Path) -> None:
    mask = os.umask(0o027)
    try:
        import importlib

        import gpuwise.core.atomic_write as aw

        importlib.reload(aw)  # the umask is read once, at import
        aw.atomic_write_bytes(tmp_path / "new.json", b"x")
    finally:
        os.umask(mask)
        importlib.reload(aw)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o640


@posix_only
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving a file away needs root")
def test_replacing_a_file_keeps_its_owner_where_permitted(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text("old", encoding="utf-8")
    os.chown(path, 1234, 5678)
    os.chmod(path, 0o600)
    atomic_write_text(path, "new")
    st = path.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 5678, 0o600)


@posix_only
def test_a_symlink_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "data" / "report.json"
    real.parent.mkdir()
    real.write_text("old", encoding="utf-8")
    os.chmod(real, 0o600)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    atomic_write_text(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text(encoding="utf-8") == "new" and stat.S_IMODE(real.stat().st_mode) == 0o600
    assert _leftovers(tmp_path) == [] and _leftovers(real.parent) == []


@posix_only
def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "target.json")
    atomic_write_text(link, "new")
    assert link.is_symlink() and (tmp_path / "target.json").read_text(encoding="utf-8") == "new"


@posix_only
@pytest.mark.parametrize("device", ["/dev/null", "/dev/full", "link-to-dev-null"])
def test_devices_are_refused_and_left_alone(device: str, tmp_path: Path) -> None:
    if device.startswith("link"):
        (tmp_path / device).symlink_to("/dev/null")
        device = str(tmp_path / device)
    before = os.stat(device)
    for write in (lambda: atomic_write_bytes(device, b"x"), lambda: check_writable(device)):
        with pytest.raises(UserInputError, match="is a device; gpuwise only replaces files"):
            write()
    after = os.stat(device)
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


@posix_only
@pytest.mark.timeout(20)
def test_a_fifo_and_a_folder_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "out.json"
    os.mkfifo(fifo)
    with pytest.raises(UserInputError, match="named pipe"):
        atomic_write_text(fifo, "x")
    with pytest.raises(UserInputError, match="named pipe"):
        check_writable(fifo)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    with pytest.raises(UserInputError, match="directory"):
        atomic_write_text(tmp_path, "x")
    assert _leftovers(tmp_path) == []


@posix_only
@pytest.mark.parametrize("flag", ["--out", "--csv"])
def test_bench_refuses_a_device_output_before_measuring(flag: str, capfd: pytest.CaptureFixture[str]) -> None:
    before = os.stat("/dev/full")
    assert main(["bench", flag, "/dev/full", "--params", "1k", "--samples", "100"]) == 2
    _out, err = capfd.readouterr()
    assert err.strip() == "gpuwise: error: cannot write /dev/full: it is a device; gpuwise only replaces files"
    assert "points on" not in err  # nothing was measured
    assert os.stat("/dev/full").st_ino == before.st_ino
