"""Progress on stderr for the commands that run long (batch, research wait): terminals only.

A status line is drawn in place with a carriage return and erased when the work ends, so
it leaves nothing behind. It is drawn only when the stream is a terminal that may get
cursor movement: not with -q, `NO_COLOR` or `TERM=dumb` (docs/prompt-and-formats.md). Notes
(retry lines) are always written as whole lines, above the status line when there is one.
"""

from __future__ import annotations

import shutil
import time
from typing import IO

from perplex_cli.output.terminal import diagnostic

SPINNER = "|/-\\"
REDRAW_EVERY = 0.1  # seconds; a faster redraw only costs terminal output


def is_live(stream: IO[str], quiet: bool) -> bool:
    """True when `stream` is a terminal that may get a redrawn status line: the live
    decision of style.decide, the one rule for every stream."""
    from perplex_cli.output.style import decide

    return decide(stream, quiet=quiet).live


class StatusLine:
    """One line redrawn in place on a live terminal; inert anywhere else."""

    def __init__(self, stream: IO[str], live: bool) -> None:
        self.stream = stream
        self.live = live
        self._text = ""
        self._drawn_at = 0.0

    def show(self, text: str, *, force: bool = False) -> None:
        if not self.live:
            return
        now = time.monotonic()
        if not force and now - self._drawn_at < REDRAW_EVERY:
            self._text = text
            return
        self._text = text
        self._drawn_at = now
        width = shutil.get_terminal_size((80, 24)).columns
        shown = diagnostic(text, self.stream)  # a job's status comes from the server
        self._write("\r" + shown[: max(width - 1, 10)] + "\x1b[K")

    def note(self, line: str) -> None:
        """A whole line for the reader (a retry notice), above the status line."""
        line = diagnostic(line, self.stream)
        if self.live and self._text:
            self._write("\r\x1b[K" + line + "\n")
            self.show(self._text, force=True)
        else:
            self._write(line + "\n")

    def clear(self) -> None:
        if self.live and self._text:
            self._write("\r\x1b[K")
        self._text = ""

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass  # progress is a courtesy: a closed stderr must not stop the work


def bar(done: int, failed: int, total: int, elapsed: float, width: int = 20) -> str:
    """`[#####-----] 120/200 done, 2 failed, 35.1/s, ETA 0:03`."""
    filled = width * done // total if total else width
    rate = done / elapsed if elapsed > 0 else 0.0
    eta = _clock((total - done) / rate) if rate > 0 else "?"
    return (
        f"[{'#' * filled}{'-' * (width - filled)}] {done}/{total} done, {failed} failed, "
        f"{rate:.1f}/s, ETA {eta}"
    )


def spinner(text: str, elapsed: float) -> str:
    """`| researching (IN_PROGRESS) 1:05`."""
    frame = SPINNER[int(elapsed / REDRAW_EVERY) % len(SPINNER)]
    return f"{frame} {text} {_clock(elapsed)}"


def _clock(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
