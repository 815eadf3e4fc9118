"""The one function that keeps the key out of everything that leaves the process.

Every secret the process learns (the API key once found, a proxy password) is remembered
here, so `redact(text)` masks it even where the caller does not hold the key: the error
boundary in `__main__`, tracebacks under --debug, --dry-run, the log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_BEARER = re.compile(r"(Bearer\s+)[^\s'\"]+", re.IGNORECASE)
_MASK = "***"
_KNOWN: set[str] = set()


def remember(secret: str) -> None:
    """Mask secret in everything redact() sees from now on."""
    if secret:
        _KNOWN.add(secret)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Replace every known secret and any bearer token in text with ***."""
    # Longest first, so a secret that contains another is masked whole.
    for secret in sorted({*_KNOWN, *(s for s in secrets if s)}, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, _MASK)
    return _BEARER.sub(r"\1" + _MASK, text)
