"""The one loader for every JSON file gpuwise did not just write itself: reports, saved prices, shipped resources.

A file from another machine, a download or a damaged disk can be anything. This module makes sure that reading it
can only ever end in a value or in one :class:`UserInputError` with a plain message:

* **regular files only**: the file is opened without blocking (a FIFO would otherwise wait for a writer for good)
  and checked with ``fstat`` before a byte is read; FIFOs, devices (``/dev/zero``), sockets and folders are refused;
* **a size cap** checked before reading (and enforced while reading: the file may grow);
* **a nesting-depth limit** checked before parsing (deep nesting would otherwise end in ``RecursionError``);
* **duplicate keys refused** (JSON leaves them undefined; Python silently keeps the last one);
* **every number finite and of a sane length**: ``NaN``/``Infinity``, floats that overflow to infinity and integers
  of more than :data:`MAX_INT_DIGITS` digits are refused (a 400-digit integer would end in ``OverflowError``).

Reading reports progress and honours a cancel token, so a front end can load a large file in the background.
"""

from __future__ import annotations

import codecs
import contextlib
import gc
import math
import os
import re
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from gpuwise.core.atomic_write import file_kind
from gpuwise.core.cancel import Cancelled, CancelToken
from gpuwise.core.errors import UserInputError

KIB = 1 << 10
MIB = 1 << 20
# A report of 100,000 points is ~120 MB pretty-printed (~1.2 kB a point); 256 MiB leaves room for the largest
# sweep anyone measures while refusing /dev/zero-like files long before memory runs out.
MAX_REPORT_BYTES = 256 * MIB
MAX_SMALL_FILE_BYTES = 1 * MIB  # saved prices, comparison picks, settings
MAX_RESOURCE_BYTES = 16 * MIB  # files shipped inside gpuwise (catalog, presets, example report)
MAX_DEPTH = 32  # a report nests 5 deep (report > points > point > architecture > hidden); leave room
MAX_INT_DIGITS = 20  # int64 has 19 digits: longer integers are not a count or a byte size of this world
_CHUNK = 4 * MIB
_PIECE = 1 * MIB  # bytes handled per C call while checking a file: each call holds the GIL (~1 ms a MiB)

Progress = Callable[[float], None]  # fraction of the file read, 0..1


def describe_size(n: int) -> str:
    return f"{n / MIB:g} MiB" if n >= MIB else f"{n / KIB:g} KiB"


def read_regular_file(
    path: str | os.PathLike[str],
    *,
    what: str = "file",
    max_bytes: int = MAX_SMALL_FILE_BYTES,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> bytearray:
    """The bytes of the regular file at ``path`` (at most ``max_bytes``), or a UserInputError saying why not.

    A missing file raises ``FileNotFoundError`` wrapped in a UserInputError whose ``__cause__`` is kept, so
    callers that treat "not there" as "nothing saved" can tell it apart (see :func:`is_missing`).
    """
    p = Path(path)
    # Refuse what stat already shows, so nothing is even opened (on Windows O_NONBLOCK does not exist).
    try:
        st = os.stat(p)
    except FileNotFoundError as e:
        raise UserInputError(f"{what} {p}: no such file") from e
    except OSError as e:
        raise UserInputError(f"cannot read {what} {p}: {e.strerror or e}") from None
    if not stat.S_ISREG(st.st_mode):
        raise UserInputError(f"cannot read {what} {p}: it is {file_kind(st.st_mode)}, not a file")
    if st.st_size > max_bytes:
        raise UserInputError(
            f"{what} {p} is too large ({describe_size(st.st_size)}; gpuwise reads at most {describe_size(max_bytes)})"
        )
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(p, flags)
    except OSError as e:
        raise UserInputError(f"cannot read {what} {p}: {e.strerror or e}") from None
    try:
        st = os.fstat(fd)  # the file may have been swapped for a FIFO or a device since the stat above
        if not stat.S_ISREG(st.st_mode):
            raise UserInputError(f"cannot read {what} {p}: it is {file_kind(st.st_mode)}, not a file")
        total = max(st.st_size, 1)
        # Read into one buffer (the GIL is released while the OS copies): joining 80 MB of chunks afterwards held
        # it for 0.1-0.3 s. One byte more than the file has tells whether it grew meanwhile.
        buf = bytearray(min(st.st_size, max_bytes) + 1)
        view = memoryview(buf)
        size = 0
        with os.fdopen(os.dup(fd), "rb", buffering=0) as f:
            while size < len(buf):
                if cancel is not None and cancel.cancelled:
                    raise Cancelled()
                n = f.readinto(view[size : size + _CHUNK])
                if not n:
                    break
                size += n
                if progress is not None:
                    progress(min(1.0, size / total))
            if size == len(buf):  # more than stat said: it grew while we read (or is past the cap)
                raise UserInputError(f"{what} {p} changed size while it was read; try again when it is complete")
        view.release()
        del buf[size:]
        return buf
    except OSError as e:
        raise UserInputError(f"cannot read {what} {p}: {e.strerror or e}") from None
    finally:
        os.close(fd)


def is_missing(err: UserInputError) -> bool:
    """True when ``err`` from :func:`read_regular_file` only means that the file does not exist."""
    return isinstance(err.__cause__, FileNotFoundError)


_KEEP = b'"[]{}'
_DROP = bytes(c for c in range(256) if c not in _KEEP)
_STRING = re.compile(rb'"[^"]*"')
_TO_PARENS = bytes.maketrans(b"[]{}", b"()()")


def nesting_depth(data: bytes | bytearray, limit: int = 1 << 30) -> int:
    """The deepest nesting of arrays/objects in JSON text (at most ``limit + 1``), found without parsing.

    Everything is done by C-speed bytes methods (~1 s for a 150 MB report): escaped backslashes and quotes go
    first, then every byte but quotes and brackets, then the strings (a "[" inside a string does not nest). Each
    pass of removing "()" strips the innermost level. Malformed text may get a wrong depth; the parser refuses it.
    The text is handled in pieces cut at newlines (never inside a JSON string), so a thread doing this lets go of
    the GIL every few milliseconds and a GUI thread beside it stays responsive.
    """
    x = b"".join(_brackets(piece) for piece in _pieces(data)).translate(_TO_PARENS)
    depth = 0
    while x and depth <= limit:
        shorter = x.replace(b"()", b"")
        if len(shorter) == len(x):  # unbalanced leftovers: not JSON, the parser says so
            break
        x, depth = shorter, depth + 1
    return depth


def _brackets(piece: bytes | bytearray) -> bytes:
    x = piece.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _DROP)
    return _STRING.sub(b"", x)


def _pieces(data: bytes | bytearray, size: int = _PIECE) -> Iterator[bytes | bytearray]:
    start = 0
    while start < len(data):
        cut = data.find(b"\n", start + size)
        end = len(data) if cut < 0 else cut + 1
        yield data[start:end]
        start = end


def _decode(data: bytes | bytearray) -> str:
    """UTF-8 (with or without a BOM) decoded in pieces, for the same reason as above."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    parts = [decoder.decode(data[i : i + _PIECE]) for i in range(0, len(data), _PIECE)]
    parts.append(decoder.decode(b"", final=True))
    return "".join(parts)


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while a large file becomes millions of objects.

    Each full collection walks every object with the GIL held: loading a 50k-point report triggered collections
    of 0.2-0.6 s that froze the GUI thread beside the loader (and made the load slower). The objects made here
    hold no cycles; collection resumes when the last pause ends (nested and concurrent pauses are counted).

    Before it resumes, everything alive is moved to the permanent generation (``gc.freeze``, as the app does after
    start-up): otherwise the first collection afterwards walks the millions of new objects at once (~0.2 s). They
    are still freed by reference counting when the report is dropped; only cycles among them would stay.
    """
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.freeze()
                gc.enable()


class _Refused(ValueError):
    """A value the hooks below refuse; turned into one UserInputError by :func:`parse_json`."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise _Refused(f"the key {dup!r} appears twice in one object")
    return obj


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _Refused(f"the integer {text[:12]}… has {len(text.lstrip('-'))} digits (too large to be real)")
    return int(text)


def _float(text: str) -> float:
    v = float(text)
    if not math.isfinite(v):
        raise _Refused(f"the number {text[:24]} is too large (not finite)")
    return v


def _constant(name: str) -> float:
    raise _Refused(f"{name} is not allowed (every number must be finite)")


def parse_json(data: bytes | bytearray | str, *, what: str = "file", max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON text with the limits above; any problem is one UserInputError."""
    import json

    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    depth = nesting_depth(raw, max_depth)
    if depth > max_depth:
        raise UserInputError(f"{what} nests arrays/objects more than {max_depth} deep (refused)")
    try:
        text = _decode(raw)
    except UnicodeDecodeError:
        raise UserInputError(f"{what} is not UTF-8 text") from None
    try:
        return json.loads(text, object_pairs_hook=_pairs, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except _Refused as e:
        raise UserInputError(f"{what} is refused: {e}") from None
    except RecursionError:  # unbalanced brackets hide their depth from the check above
        raise UserInputError(f"{what} nests arrays/objects too deeply and is not valid JSON") from None
    except (ValueError, MemoryError) as e:
        # ValueError covers json.JSONDecodeError and Python's own integer-length limit
        raise UserInputError(f"{what} is not valid JSON ({_short(e)})") from None


def _short(e: BaseException) -> str:
    text = str(e) or type(e).__name__
    return text if len(text) <= 160 else text[:157] + "…"


def load_json_file(
    path: str | os.PathLike[str],
    *,
    what: str = "file",
    max_bytes: int = MAX_SMALL_FILE_BYTES,
    max_depth: int = MAX_DEPTH,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> Any:
    """Read and parse one untrusted JSON file: the bounded read, then :func:`parse_json`."""
    data = read_regular_file(path, what=what, max_bytes=max_bytes, progress=progress, cancel=cancel)
    return parse_json(data, what=f"{what} {Path(path)}", max_depth=max_depth)
