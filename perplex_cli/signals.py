"""SIGTERM and SIGHUP end an answer as Ctrl-C does; a write that must not be cut defers them.

`install` makes both raise KeyboardInterrupt in the main thread, so every path that keeps a
partial answer on Ctrl-C (shown, the json document's error member, the log row marked
interrupted) keeps it on them too; the exit status is then 128 + the signal (143, 129).
`deferred` holds SIGINT, SIGTERM and SIGHUP back while the log commits an exchange: the
signal takes effect once the write is done, so a second Ctrl-C cannot lose it. Under
`noted` (the batch pool, whose handlers only take note of a signal) nothing can cut a write
short, and `deferred` has nothing to do.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_NAMES = ("SIGTERM", "SIGHUP")
_received = 0  # the last SIGTERM or SIGHUP received (0: none)
_noting = False  # the handlers in place only take note of the signals (see `noted`)


def install() -> None:
    """Make SIGTERM and SIGHUP interrupt the main thread like Ctrl-C."""
    for signum in ending():
        signal.signal(signum, _interrupt)


def ending() -> list[int]:
    """SIGTERM and SIGHUP, where the platform has them and they are not ignored (`nohup`)."""
    found = (getattr(signal, name, None) for name in _NAMES)
    return [s for s in found if s is not None and signal.getsignal(s) is not signal.SIG_IGN]


def record(signum: int) -> None:
    """Note that SIGTERM or SIGHUP arrived, for `received`, `status` and `describe`."""
    global _received
    _received = signum


def _interrupt(signum: int, frame: Any) -> None:
    record(signum)
    raise KeyboardInterrupt


def received() -> int:
    """The SIGTERM or SIGHUP that interrupted perplex, or 0 (Ctrl-C, or none)."""
    return _received


def status() -> int:
    """The exit status of an interruption: 128 + the signal."""
    return 128 + (_received or signal.SIGINT)


def describe() -> str:
    """What stopped perplex, as the error line and the json error member say it."""
    return f"terminated ({signal.Signals(_received).name})" if _received else "interrupted"


@contextmanager
def noted() -> Iterator[None]:
    """For the duration, the caller's handlers of SIGINT, SIGTERM and SIGHUP only take note
    of them (the batch pool's): `deferred` then leaves the handlers alone, which saves the
    six handler swaps it makes per log write, hundreds of times in a batch."""
    global _noting
    before, _noting = _noting, True
    try:
        yield
    finally:
        _noting = before


@contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP back for the duration; act on them afterwards."""
    if _noting or threading.current_thread() is not threading.main_thread():
        yield  # no handler can cut the write short; they run in the main thread only
        return
    pending: list[int] = []
    held = [signal.SIGINT] + [getattr(signal, n) for n in _NAMES if hasattr(signal, n)]
    previous = {signum: signal.signal(signum, lambda s, f: pending.append(s)) for signum in held}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if pending:
        signum = pending[0]
        handler = previous[signum]
        if callable(handler):
            handler(signum, None)
        elif handler == signal.SIG_DFL:
            os.kill(os.getpid(), signum)
