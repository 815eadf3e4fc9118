"""The one function that keeps the key out of everything that leaves the process.

Every secret the process learns (the API key once found, a proxy password) is remembered
here, so `redact(text)` masks it even where the caller does not hold the key: the error
boundary in `__main__`, tracebacks and the --debug exchange, --dry-run, the log.

What the server sends is untrusted too: it may echo the key (in a citation, an id, a
finish_reason, a reason phrase). `keyfree_json` masks it in JSON text from the network
before the text is parsed, so no stream, file or log row made from it can hold the key;
`keyfree` does the same for plain text. Both cost one substring test per secret when the
secret is absent, which is the case on every event of an answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_BEARER = re.compile(r"(Bearer\s+)[^\s'\"]+", re.IGNORECASE)
_MASK = "***"
# Keys in use in this process, so that text produced far from the key (a traceback,
# the --debug exchange) can still be cleaned.
_REMEMBERED: set[str] = set()
# What to look for in JSON text: each secret as written and as JSON escapes it (a key may
# hold `"` or `\`). A server can also spell any character as `\uXXXX` (or `/` as `\/`):
# printable ASCII escaped that way is rare, and only then is the text parsed to look.
_NEEDLES: list[str] = []
_ESCAPED_ASCII = re.compile(r"\\u00[2-7][0-9a-fA-F]|\\/")


def no_core_dumps() -> None:
    """Let no core dump of this process hold the key (the soft RLIMIT_CORE set to 0).

    Called before the key is looked up and whenever a secret is learned. Linux's
    prctl(PR_SET_DUMPABLE, 0) would also keep ptrace by other processes of the user out,
    but only through ctypes, whose import costs more start-up time (about 2.5 ms) than the
    whole rest of this; the core limit is what keeps the key off the disk.
    """
    try:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_CORE)
        resource.setrlimit(resource.RLIMIT_CORE, (0, hard))
    except (ImportError, ValueError, OSError):  # no such limit here (Windows)
        pass


def remember(secret: str | None) -> None:
    """Redact this secret from everything `redact` cleans from now on."""
    if secret and len(secret) >= 4 and secret not in _REMEMBERED:
        if not _REMEMBERED:
            no_core_dumps()
        _REMEMBERED.add(secret)
        import json

        needles = set(_REMEMBERED) | {json.dumps(s)[1:-1] for s in _REMEMBERED}
        _NEEDLES[:] = sorted(needles, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Replace every known secret and any bearer token in text with ***."""
    # Longest first, so that a secret containing another is masked whole.
    for secret in sorted({*_REMEMBERED, *(s for s in secrets if s)}, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, _MASK)
    return _BEARER.sub(r"\1" + _MASK, text)


def keyfree(text: str) -> str:
    """Text from the network with every remembered secret masked; itself when none is in it.

    Unlike `redact`, a `Bearer word` that is not a secret stays: an answer may say that.
    """
    for secret in _NEEDLES:
        if secret in text:
            break
    else:
        return text
    for secret in sorted(_REMEMBERED, key=len, reverse=True):
        text = text.replace(secret, _MASK)
    return text


def keyfree_json(text: str) -> str:
    """JSON text from the network with every remembered secret masked in its strings.

    The text itself (no copy, no parse) when no secret can be in it; otherwise it is parsed,
    cleaned and written again compact. Text that is not JSON is masked as plain text (the
    caller's parse then reports it).
    """
    for needle in _NEEDLES:
        if needle in text:
            break
    else:
        if not _NEEDLES or ("\\u00" not in text and "\\/" not in text):
            return text
        if _ESCAPED_ASCII.search(text) is None:
            return text
    import json

    try:
        doc = json.loads(text)
        cleaned = _clean(doc)
    except (ValueError, RecursionError):
        return keyfree(text)
    if cleaned == doc:
        return text
    return json.dumps(cleaned, ensure_ascii=False, separators=(",", ":"))


def _clean(value: Any) -> Any:
    """value with every secret masked in its strings, keys included."""
    if isinstance(value, str):
        return keyfree(value)
    if isinstance(value, dict):
        return {keyfree(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value
