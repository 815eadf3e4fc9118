"""Streams bound for a terminal, with the control characters of what passes through shown.

An answer, its source titles and URLs, the model's reasoning and the API's messages are
untrusted web-derived text: `ESC ] 52 ; ...` can write the user's clipboard, `ESC [ 2 J`
clears the screen, a title can rewrite the window title or move the cursor over what was
printed. On a terminal they are shown, not obeyed (`style.neutralise`, the one neutraliser,
also used by --render); into a pipe or a file the text passes byte-exact, since there it is
data.

Whether a stream is a terminal is decided once, when the stream is wrapped (`guard`);
formatters just write to what they are given. A stream that carries our own escapes
(--render's styles, the spinner) is not guarded: that code neutralises what it shows.

Every line perplex itself writes to stderr (a retry or reconnect notice, a warning, a
progress line, the error line, the --debug exchange) may quote the server: a reason
phrase, a job status, an error message. `diagnostic` is the one path for all of them: the
key masked wherever the line goes, and its control characters shown on a terminal.
"""

from __future__ import annotations

import os
from typing import IO, Any, cast

from perplex_cli.output.style import isatty, neutralise

__all__ = ["diagnostic", "guard", "is_terminal", "neutralise", "say"]


def is_terminal(stream: Any) -> bool:
    """Whether `stream` is a terminal (what reaches it is neutralised, styled or not)."""
    return stream is not None and isatty(stream)


class TerminalWriter:
    """A text stream on a terminal: everything written through it is neutralised."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(neutralise(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def guard(stream: IO[str]) -> IO[str]:
    """stream itself when it is a pipe or file; a neutralising writer when it is a terminal."""
    return cast(IO[str], TerminalWriter(stream)) if is_terminal(stream) else stream


def diagnostic(text: str, stream: Any) -> str:
    """A line of ours as `stream` may show it: no key, and no control obeyed on a terminal."""
    from perplex_cli.redact import KEY_VARIABLES, redact

    text = redact(text, [os.environ.get(name) for name in KEY_VARIABLES])
    return neutralise(text) if is_terminal(stream) else text


def say(stream: Any, line: str) -> None:
    """Write one diagnostic line; a closed or failing stderr is not a reason to fail."""
    try:
        stream.write(diagnostic(line, stream) + "\n")
        stream.flush()
    except (OSError, ValueError, AttributeError):
        pass
