"""Text bound for a terminal, with its control characters made visible.

An answer, its source titles and URLs and the model's reasoning are untrusted web-derived
text: `\\x1b]52;...` can write the user's clipboard, `\\x1b[2J` clears the screen, a title
can rewrite the window title or move the cursor over what was printed. On a terminal every
control character except newline and tab is shown as a visible escape instead; into a
pipe or a file the text passes byte-exact, since there it is data.

Whether a stream is a terminal is decided once, when the stream is wrapped (`guard`);
formatters just write to what they are given.
"""

from __future__ import annotations

from typing import IO, Any, cast

# C0 controls as \xNN (as Python and most tools show them); DEL and the C1 controls
# (0x9b is a one-character CSI on some terminals) as \u00NN, which stays valid inside a
# JSON string, so json output on a terminal is still JSON.
_VISIBLE = {code: f"\\x{code:02x}" for code in range(0x20) if chr(code) not in "\n\t"}
_VISIBLE.update({code: f"\\u{code:04x}" for code in range(0x7F, 0xA0)})


def neutralise(text: str) -> str:
    """text with every control character but newline and tab shown as a visible escape."""
    return text.translate(_VISIBLE)


def is_terminal(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, OSError, ValueError):
        return False


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
