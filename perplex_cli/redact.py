"""The one function that keeps the key out of everything that leaves the process.

Every secret the process learns (the API key once found, a proxy password) is remembered
here, so `redact(text)` masks it even where the caller does not hold the key: the error
boundary in `__main__`, tracebacks and the --debug exchange, --dry-run, the log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_BEARER = re.compile(r"(Bearer\s+)[^\s'\"]+", re.IGNORECASE)
_MASK = "***"
# Keys in use in this process, so that text produced far from the key (a traceback,
# the --debug exchange) can still be cleaned.
_REMEMBERED: set[str] = set()


def remember(secret: str | None) -> None:
    """Redact this secret from everything `redact` cleans from now on."""
    if secret and len(secret) >= 4:
        _REMEMBERED.add(secret)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Replace every known secret and any bearer token in text with ***."""
    # Longest first, so that a secret containing another is masked whole.
    for secret in sorted({*_REMEMBERED, *(s for s in secrets if s)}, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, _MASK)
    return _BEARER.sub(r"\1" + _MASK, text)
