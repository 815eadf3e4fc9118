"""One retry policy for every request, single or in a batch: which failures may pass on
another attempt, and how long to wait before it."""

from __future__ import annotations

import email.utils
import os
import random
import time

from perplex_cli.errors import ApiError, AuthError, NetworkError, PerplexError

RETRY_STATUSES = frozenset({408, 409, 429})

RETRY_AFTER_CAP = 60.0

MAX_DELAY = 60.0  # the longest backoff between two attempts, whatever --retries says


def backoff(base: float, attempt: int) -> float:
    """Exponential backoff with jitter: about base, 2 base, 4 base ..., capped at MAX_DELAY."""
    return min(base * 2.0 ** min(attempt - 1, 32), MAX_DELAY) * random.uniform(0.5, 1.0)


def seconds(delay: float) -> str:
    """A delay as the retry line shows it: 1.0, 12.5, 0.25, 0.0071 (never a misleading 0.0)."""
    return f"{delay:.1f}" if delay >= 1 else f"{delay:.2g}"


def retryable(error: PerplexError) -> bool:
    """Whether another attempt may succeed: a network failure, 408, 409, 429 or a 5xx."""
    if isinstance(error, ApiError):
        return retryable_status(error.status)
    return isinstance(error, NetworkError)


def retryable_status(status: int) -> bool:
    """408, 409, 429 and every 5xx: statuses that another attempt may not meet."""
    return status in RETRY_STATUSES or status >= 500


def status_line(error: PerplexError) -> str:
    """How a retry line names the failure: the status line of a refusal, else the message."""
    if isinstance(error, (ApiError, AuthError)) and error.status:
        return f"{error.status} {error.reason}".strip()
    return error.message


def retry_after(value: str | None, cap: float = RETRY_AFTER_CAP) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or HTTP date), capped at 60 s."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), cap)


def retry_base_from_env() -> float:
    """PERPLEX_RETRY_BASE: the first backoff delay in seconds (default 1)."""
    try:
        return max(0.0, float(os.environ.get("PERPLEX_RETRY_BASE", "1")))
    except ValueError:
        return 1.0
