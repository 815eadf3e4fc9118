"""The API's rate-limit headers: read, described, and used by `batch` to pace itself.

A response may carry `x-ratelimit-limit`, `x-ratelimit-remaining` and `x-ratelimit-reset`
(the Agent API sends these, the reset as epoch seconds; the `-requests` suffixed names,
a reset in seconds and a reset as a duration such as `1m30s` are read too).

`Budget` is what the batch pool asks before it starts a request. The rule (also in
docs/batch.md):

- the first request goes alone; the others wait for its response head (not its answer),
  which says the budget, but at most FIRST_WAIT seconds (a request that is not streamed
  has its head only with its whole answer); a server that sends no such headers is not
  paced at all;
- requests start while the remaining budget, less the requests started since the
  response that reported it (and those still waiting for their head), is above zero;
- when it is spent, new requests wait until the reset time the server gave, but at most
  UNCONFIRMED_WAIT seconds while no 429 has confirmed the limit (CONFIRMED_WAIT after
  one). When that cap ends before the reset, one request is sent past the zero to probe
  it: a 429 confirms the limit, a success proves the zero wrong, and from then on zeros
  are not waited for, until the next 429. So a zero the server does not enforce costs a
  batch one short wait, never a stall.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

FIRST_WAIT = 1.0  # the longest the others wait for the first request's response head
UNCONFIRMED_WAIT = 2.0  # the longest wait on a zero that no 429 has confirmed
CONFIRMED_WAIT = 60.0  # the longest wait on a zero, as for Retry-After
EPOCH = 1e9  # a reset value at least this large is a time (epoch seconds), not a delay
SKEW = 2.0  # clocks further apart than this: the reset is read against the server's Date
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True)
class Reading:
    """What one response said of the budget; `reset_in` counts from its arrival."""

    limit: int | None
    remaining: int | None
    reset_in: float | None


def read(headers: Mapping[str, str], now: float | None = None) -> Reading | None:
    """The rate-limit headers of a response (None when it sends none we understand)."""
    given = {name.lower(): value for name, value in headers.items()}

    def header(name: str) -> str | None:
        return given.get(f"x-ratelimit-{name}") or given.get(f"x-ratelimit-{name}-requests")

    reading = Reading(
        _count(header("limit")),
        _count(header("remaining")),
        _reset_in(header("reset"), given.get("date"), time.time() if now is None else now),
    )
    return None if reading == Reading(None, None, None) else reading


def _count(value: str | None) -> int | None:
    try:
        number = int((value or "").strip())
    except ValueError:
        return None
    return number if number >= 0 else None


def _reset_in(value: str | None, date: str | None, now: float) -> float | None:
    """Seconds until the reset: from epoch seconds, seconds, or a duration like `1m30s`."""
    value = (value or "").strip()
    try:
        number = float(value)
    except ValueError:
        parts = _DURATION.findall(value)
        if not parts or "".join(n + u for n, u in parts) != value:
            return None
        return sum(float(n) * _UNITS[u] for n, u in parts)
    if not math.isfinite(number):
        return None
    if number >= EPOCH:
        server_now = _date(date)
        if server_now is not None and abs(server_now - now) > SKEW:
            now = server_now  # our clock is off: the server's own Date tells the distance
        number -= now
    return max(number, 0.0)


def _date(value: str | None) -> float | None:
    import email.utils

    try:
        return email.utils.parsedate_to_datetime(value or "").timestamp()
    except (TypeError, ValueError):
        return None


def describe(reading: Reading) -> str:
    """E.g. `2 of 3 requests left, resets in 0.4 s (at 10:25:47)`, for --debug."""
    parts = []
    if reading.remaining is not None:
        of = f" of {reading.limit}" if reading.limit is not None else ""
        parts.append(f"{reading.remaining}{of} requests left")
    if reading.reset_in is not None:
        parts.append("resets " + when(reading.reset_in))
    return ", ".join(parts)


def when(seconds: float, now: float | None = None) -> str:
    """`in 12 s (at 10:31:07)`: a delay and the local clock time it ends."""
    at = (time.time() if now is None else now) + seconds
    clock = time.strftime("%H:%M:%S" if seconds < 86400 else "%Y-%m-%d %H:%M", time.localtime(at))
    return f"in {_duration(seconds)} (at {clock})"


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 90 else f"{minutes // 60} h {minutes % 60} min"


@dataclass
class _Start:
    seq: int
    at: float
    past_zero: bool  # started while the budget looked spent: its answer tests the zero


@dataclass
class Budget:
    """The batch pool's view of the server's budget (see the module docstring).

    The pool's thread calls `ready_at` and `started`; its workers call `observe` with each
    response head and `forget` when an attempt got none. Hence the lock.

    Responses do not come back in the order the server counted their requests, so within
    one window the lowest `remaining` reported is believed, less every request whose head
    has not come yet (counted by the server or not: the safe side).
    """

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _seq: int = 0
    _pending: dict[int, _Start] = field(default_factory=dict)  # by job: no head yet
    _reading: Reading | None = None  # the window's reading, with its lowest `remaining`
    _reset_at: float | None = None
    _after_reset: set[int] = field(default_factory=set)  # started once the reset passed
    _confirmed: bool = False  # a 429 was seen (since the last zero proved wrong)
    _ignored: bool = False  # a request past a zero succeeded: zeros are not waited for
    _held_since: float | None = None
    _probe: _Start | None = None  # the first request, or one sent past a zero: its head
    _told: list[str] = field(default_factory=list)  # --debug lines not yet written

    def ready_at(self, now: float, running: int) -> float:
        """When the next request may start, given the number of requests running."""
        try:
            return self._ready_at(now, running)
        finally:
            self._tell()

    def _ready_at(self, now: float, running: int) -> float:
        with self._lock:
            probe = self._probe
            if probe is not None and running:  # its head is awaited, for a while
                return probe.at + (UNCONFIRMED_WAIT if probe.past_zero else FIRST_WAIT)
            left = self._left(now)
            if left is None or left > 0 or self._reset_at is None or self._ignored:
                self._held_since = None
                return now
            if now >= self._reset_at:  # a new window, spent before a response says its end
                if not running or not self._pending:
                    return now
                return max(s.at for s in self._pending.values()) + FIRST_WAIT
            cap = CONFIRMED_WAIT if self._confirmed else UNCONFIRMED_WAIT
            if self._held_since is None:
                self._held_since = now
                wait = _duration(min(self._reset_at - now, cap))
                reset = when(self._reset_at - now)
                self._say(f"rate limit spent; new requests wait {wait} (it resets {reset})")
            return min(self._reset_at, self._held_since + cap)

    def started(self, job: int, now: float) -> None:
        with self._lock:
            self._seq += 1
            left = self._left(now)
            past_zero = left is not None and left <= 0 and not self._ignored
            start = _Start(self._seq, now, past_zero)
            self._pending[job] = start
            if self._reset_at is not None and now >= self._reset_at:
                self._after_reset.add(start.seq)
            if past_zero or start.seq == 1:
                self._probe = start

    def observe(self, job: int, status: int, headers: Mapping[str, str]) -> None:
        """A response head arrived for the latest attempt of `job`."""
        now = time.monotonic()
        with self._lock:
            start = self._forget(job)
            if status == 429:
                self._confirmed, self._ignored = True, False
            elif status < 300 and start is not None and start.past_zero and not self._ignored:
                self._ignored, self._confirmed = True, False
                self._say("a request past a zero rate limit succeeded: zeros are not waited for")
            reading = read(headers)
            if reading is not None and reading.remaining is not None:
                self._read(reading, now)
        self._tell()

    def forget(self, job: int) -> None:
        """The attempt ended with no response head (a network failure)."""
        with self._lock:
            self._forget(job)

    def _forget(self, job: int) -> _Start | None:
        start = self._pending.pop(job, None)
        if start is not None and start is self._probe:
            self._probe = None
        return start

    def _read(self, reading: Reading, now: float) -> None:
        reset_at = None if reading.reset_in is None else now + reading.reset_in
        if reset_at is not None and reset_at <= now:
            return  # from a window that is over
        current, current_reset = self._reading, self._reset_at
        if (
            current is not None
            and current.remaining is not None
            and current_reset is not None
            and current_reset > now
            and reset_at is not None
        ):  # the same window: the lowest count is the latest the server made
            remaining = min(current.remaining, reading.remaining or 0)
            self._reading = Reading(reading.limit or current.limit, remaining, None)
            self._reset_at = max(current_reset, reset_at)
            return
        self._reading, self._reset_at, self._after_reset = reading, reset_at, set()

    def _left(self, now: float) -> int | None:
        """The estimated budget left now, or None when no response has said it."""
        reading = self._reading
        if reading is None or reading.remaining is None:
            return None
        unanswered = {s.seq for s in self._pending.values()}
        if self._reset_at is not None and now >= self._reset_at:  # a new window
            if reading.limit is None:
                return None
            return reading.limit - len(unanswered | self._after_reset)
        return reading.remaining - len(unanswered)

    def _say(self, line: str) -> None:
        """Under --debug, a line for stderr, written once the lock is let go."""
        from perplex_cli.transport import debug

        if debug.enabled():
            self._told.append(f"perplex: batch: {line}")

    def _tell(self) -> None:
        with self._lock:
            told, self._told = self._told, []
        if told:
            from perplex_cli.transport import debug

            debug.show(told)
