"""The spinner on stderr between the request and the first answer token.

It runs in a thread that draws one line every tenth of a second, starting only after a
short grace period (a fast answer shows no spinner at all). The first output stops it:
`until_first_output` wraps the formatter, and once output starts the wrapper hands every later
event straight to the formatter, so the spinner costs nothing per event afterwards.
Stopping erases the line, leaving no residue; it never waits for the thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import IO, Any

from perplex_cli.api.answer_text import Update
from perplex_cli.api.chat_events import Accumulator
from perplex_cli.errors import PerplexError
from perplex_cli.output.formatter import Formatter

FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
INTERVAL = 0.1
GRACE = 0.15
ERASE = "\r\x1b[2K"


class Spinner:
    """ "searching... 3s" on a terminal stream, until `stop`."""

    def __init__(self, stream: IO[str], label: str = "searching...") -> None:
        self.stream = stream
        self.label = label
        self._lock = threading.Lock()
        self._stopped = False
        self._drawn = False
        self._wake = threading.Event()
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="perplex-spinner", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        if self._wake.wait(GRACE):
            return
        frame = 0
        while True:
            with self._lock:
                if self._stopped:
                    return
                elapsed = time.monotonic() - self._started
                self._write(f"\r{FRAMES[frame % len(FRAMES)]} {self.label} {elapsed:.0f}s")
                self._drawn = True
            frame += 1
            if self._wake.wait(INTERVAL):
                return

    def say(self, line: str) -> None:
        """Print a line of its own (a retry notice) above the spinner."""
        from perplex_cli.output.terminal import diagnostic

        with self._lock:
            self._write((ERASE if self._drawn else "") + diagnostic(line, self.stream) + "\n")
            self._drawn = False

    def stop(self) -> None:
        """Stop and erase the line; safe to call more than once."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            self._wake.set()
            if self._drawn:
                self._write(ERASE)

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass


class _UntilFirstOutput:
    """A formatter that stops the spinner before the first output, then gets out of the way."""

    def __init__(
        self, formatter: Formatter, spinner: Spinner, shows: Callable[[Update], bool]
    ) -> None:
        self.formatter = formatter
        self.spinner = spinner
        self.shows = shows
        # The stream the formatter writes to, so a closed reader is still noticed (api/stream.py).
        self.out = getattr(formatter, "out", None)

    def chunk(self, raw: dict[str, Any], update: Update) -> None:
        if self.shows(update):
            self.spinner.stop()
            # From now on events go to the formatter directly: no work per event here.
            self.chunk = self.formatter.chunk  # type: ignore[method-assign]
        elif update.reasoning:
            self.spinner.label = "thinking..."
        self.formatter.chunk(raw, update)

    def end(self, acc: Accumulator, error: PerplexError | None) -> None:
        self.spinner.stop()
        self.formatter.end(acc, error)


def until_first_output(
    formatter: Formatter, spinner: Spinner | None, shows: Callable[[Update], bool]
) -> Formatter:
    """`formatter`, stopping `spinner` before the first event for which `shows` is true."""
    return formatter if spinner is None else _UntilFirstOutput(formatter, spinner, shows)
