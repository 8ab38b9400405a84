"""Safe, atomic writes: the target holds either its old content or all of the new one, never a part.

The rules (the same for reports, CSV, charts and saved settings):

* **Only regular files are replaced.** A target that exists and is a device (``/dev/stdout``, ``/dev/full``), a
  FIFO, a socket or a folder is refused with a UserInputError before anything is written: an atomic rename would
  otherwise swap a device node for a plain file (as root) or fail half-way.
* **An existing file keeps its mode** (a ``600`` report stays private) **and, where the OS permits, its owner and
  group**. A new file gets the usual ``666 & ~umask``.
* **Symlinks are written through**: when the target is a symlink, the file it points to is replaced and the link
  stays a link (a dangling link creates its target). The temporary file is made beside the real file, so the
  final rename never crosses file systems.
* Hard links to the old file keep the old content (a rename gives the name a new file): the price of atomicity.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from gpuwise.core.errors import UserInputError


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# read once at import: os.umask can only be read by setting it, which would race with other threads later
_UMASK = _read_umask()


def file_kind(mode: int) -> str:
    """What a path that is not a regular file is, for messages (reads and writes refuse the same kinds)."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def resolve_target(path: str | os.PathLike[str]) -> tuple[Path, os.stat_result | None]:
    """The real file a write to ``path`` replaces (symlinks followed) and its stat, None when it does not exist.

    Raises UserInputError when the target exists and is not a regular file.
    """
    p = Path(path)
    try:
        st = os.stat(p)  # follows every link, /dev/stdout's to a pipe or a terminal included
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise UserInputError(f"cannot write {p}: {e.strerror or e}") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise UserInputError(f"cannot write {p}: it is {file_kind(st.st_mode)}; gpuwise only replaces files")
    real = Path(os.path.realpath(p)) if p.is_symlink() else p
    return real, st


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Fail early (before a long run) when ``path`` cannot be written; creates nothing."""
    p = Path(path)
    # the temporary file beside it (".NAME.xxxxxxxx.tmp", see atomic_write_bytes) must fit the name limit too:
    # a name that fits alone but not with those 14 bytes would fail only at the end of a long run
    folder = p.parent if str(p.parent) else Path(".")
    size, limit = len(os.fsencode(p.name)), _name_max(folder)
    if size + _TMP_EXTRA > limit:
        raise UserInputError(
            f"cannot write {p.name[:40]}…: the file name is {size} bytes long; this folder allows "
            f"names up to {limit - _TMP_EXTRA} bytes"
        )
    real, st = resolve_target(p)
    parent = real.parent if str(real.parent) else Path(".")
    if not parent.is_dir():
        raise UserInputError(f"cannot write {p}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (st is not None and not os.access(real, os.W_OK)):
        raise UserInputError(f"cannot write {p}: permission denied")
    return p


_TMP_EXTRA = len(".") + len(".xxxxxxxx.tmp")  # what mkstemp adds around the name in atomic_write_bytes


def _name_max(folder: Path) -> int:
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (AttributeError, OSError, ValueError):  # Windows has no pathconf; NTFS and most others allow 255
        return 255


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, following the rules in this module's docstring."""
    real, old = resolve_target(path)
    folder = real.parent if str(real.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if old is None:
            # mkstemp makes the file owner-only; a new report or chart should get the usual permissions
            os.chmod(tmp, 0o666 & ~_UMASK)
        else:
            _copy_owner_and_mode(tmp, old)
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _copy_owner_and_mode(tmp: str, old: os.stat_result) -> None:
    chown = getattr(os, "chown", None)  # not on Windows
    if chown is not None and (old.st_uid, old.st_gid) != _owner(tmp):
        # Only root may give a file away; anyone may set a group they belong to. Keep what is permitted.
        with contextlib.suppress(PermissionError):
            chown(tmp, old.st_uid, old.st_gid)
        with contextlib.suppress(PermissionError):
            chown(tmp, -1, old.st_gid)
    # after chown: changing the owner clears set-id bits
    os.chmod(tmp, stat.S_IMODE(old.st_mode))


def _owner(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_uid, st.st_gid


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))
