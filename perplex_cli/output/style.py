"""Whether a stream may carry escape sequences, decided here once per stream, and the
neutraliser that keeps untrusted text from sending its own.

Rules, first match wins:

1. `--no-color`, `-q/--quiet`, or `NO_COLOR` set to any non-empty value: plain.
2. `FORCE_COLOR` set (not empty, "0" or "false"): styled, even on a pipe; cursor
   movement (spinner, redrawing) still only on a terminal that is not `TERM=dumb`.
3. `TERM=dumb`, or the stream is not a terminal: plain.
4. Otherwise: styled, with cursor movement.

Plain means no escape sequence at all on that stream: no colour, style, hyperlink, cursor
movement or spinner.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any


@dataclass(frozen=True)
class StreamStyle:
    """What one output stream may carry."""

    styled: bool  # colour, styles and hyperlinks
    live: bool  # cursor movement: a spinner, a region redrawn in place


PLAIN = StreamStyle(styled=False, live=False)


def decide(
    stream: IO[Any],
    *,
    no_color: bool = False,
    quiet: bool = False,
    environ: Mapping[str, str] | None = None,
) -> StreamStyle:
    """The style of `stream` under the rules in this module's docstring."""
    env = os.environ if environ is None else environ
    if no_color or quiet or env.get("NO_COLOR"):
        return PLAIN
    terminal = isatty(stream) and env.get("TERM") != "dumb"
    if env.get("FORCE_COLOR", "").lower() not in ("", "0", "false"):
        return StreamStyle(styled=True, live=terminal)
    return StreamStyle(styled=terminal, live=terminal)


def isatty(stream: IO[Any]) -> bool:
    """Whether `stream` is a terminal; a closed or odd stream is not."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


# C0 controls but tab and newline, DEL, C1 controls, and the Unicode bidirectional
# controls that can reorder what a reader sees.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def neutralise(text: str) -> str:
    """Text for a terminal with its control characters shown, not obeyed (ESC as ^[)."""
    return _UNSAFE.sub(_visible, text)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20 or code == 0x7F:
        return "^" + chr(code ^ 0x40)
    return f"<U+{code:04X}>"
