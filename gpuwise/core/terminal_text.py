"""Text for a terminal: control characters from reports, devices and paths are shown, never obeyed.

A report's device name or message can hold ANSI escape sequences (clear the screen, retitle the terminal, fake a
prompt), a carriage return that overwrites the line, or bidirectional overrides that reorder what is shown. Every
command line front end passes what it prints through :func:`terminal_safe` (or :func:`json_terminal_safe` for
JSON), which replaces each such character with a visible escape such as ``\\x1b`` and keeps newlines and tabs.
"""

from __future__ import annotations

import re
from typing import Any, TextIO

# C0 controls but tab and newline, DEL, C1 controls (0x9b is an 8-bit CSI on some terminals), the bidirectional
# formatting characters (Trojan Source), and lone surrogates (they cannot even be encoded for output).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# In JSON text C0 controls are already escaped by json.dumps; the rest can only appear inside strings.
_UNSAFE_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def _json_escape(m: re.Match[str]) -> str:
    return f"\\u{ord(m.group()):04x}"


def terminal_safe(text: object, *, one_line: bool = False) -> str:
    """``text`` with every control character replaced by a visible escape (newlines and tabs kept, unless
    ``one_line``)."""
    return (_UNSAFE_LINE if one_line else _UNSAFE).sub(_escape, str(text))


def json_terminal_safe(json_text: str) -> str:
    """JSON text that is still the same JSON, with the characters a terminal would obey written as ``\\uXXXX``."""
    return _UNSAFE_JSON.sub(_json_escape, json_text)


class SafeWriter:
    """A text stream that passes everything written through :func:`terminal_safe`."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(terminal_safe(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
