"""The process's standard streams, built at the entry point and handed to every command.

`Streams.of_process()` takes stdin, stdout and stderr as perplex uses them: text written as
UTF-8 whatever the locale says (undecodable text replaced), a stream closed before perplex
started written to /dev/null. `__main__.run` builds it for each command line and `current()`
hands it to the commands; no other module names `sys.stdin`, `sys.stdout` or `sys.stderr`.
A test gives its own with `using(Streams(...))`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any


@dataclass
class Streams:
    stdin: Any  # the text stdin as Python gave it (prompt.py reads its buffer); None: closed
    stdout: IO[str]
    stderr: IO[str]

    @classmethod
    def of_process(cls) -> Streams:
        return cls(sys.stdin, text_stream(sys.stdout), text_stream(sys.stderr))

    def out(self) -> IO[str]:
        """stdout for text from the web: control characters shown, not obeyed, on a terminal."""
        from perplex_cli.output.terminal import guard

        return guard(self.stdout)

    def say(self, line: str) -> None:
        """One line of ours on stderr (a notice, a warning, an error)."""
        from perplex_cli.output.terminal import say

        say(self.stderr, line)

    def flush_stdout(self) -> None:
        """Flush stdout; a stream closed before perplex started is no error."""
        try:
            self.stdout.flush()
        except (AttributeError, ValueError):
            pass

    def silence_stdout(self) -> None:
        """Point stdout at /dev/null, so that no later flush can fail (docs/decisions.md)."""
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass


_CURRENT: list[Streams] = []


def current() -> Streams:
    """The streams of the command line being run (the process's own outside of one)."""
    return _CURRENT[-1] if _CURRENT else Streams.of_process()


@contextmanager
def using(streams: Streams) -> Iterator[Streams]:
    """Run with `streams` as the current ones."""
    _CURRENT.append(streams)
    try:
        yield streams
    finally:
        _CURRENT.pop()


def text_stream(stream: Any) -> IO[str]:
    """The given stdout/stderr, writing UTF-8 whatever the locale says.

    A stream closed before perplex started (`>&-`) can be None in Python: /dev/null then.
    """
    if stream is None:
        return open(os.devnull, "w", encoding="utf-8")
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(encoding="utf-8", errors="replace")
        except (ValueError, OSError):
            pass
    return stream  # type: ignore[no-any-return]
