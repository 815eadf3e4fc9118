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
from collections.abc import Iterable, Iterator
from typing import Any

KEY_VARIABLES = (
    "PERPLEXITY_API_KEY",
    "PPLX_API_KEY",
)  # the environment variables that hold the key


_BEARER = re.compile(r"(Bearer\s+)[^\s'\"]+", re.IGNORECASE)
_MASK = "***"
# Keys in use in this process, so that text produced far from the key (a traceback,
# the --debug exchange) can still be cleaned.
_REMEMBERED: set[str] = set()
# What may hide a secret in JSON text: the secret as written, as JSON escapes it (a key
# may hold `"` or `\`), or any of its characters spelled `\uXXXX` (or `/` as `\/`).
# Only those escapes count: the API's own `\u0026` for `&` is not in a key. Built by
# `remember`, as text (one document) and as bytes (the reads of a stream).
_HIDING: re.Pattern[str] | None = None
# For reads, the same as literal byte strings and a pattern of escapes: a substring test and
# a pattern with a literal start are each many times faster than one alternation.
_NEEDLE_BYTES: tuple[bytes, ...] = ()
_ESCAPE_BYTES: re.Pattern[bytes] | None = None
_LONGEST = 0  # the longest match, to find one cut between two reads


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
    global _HIDING, _NEEDLE_BYTES, _ESCAPE_BYTES, _LONGEST
    if secret and len(secret) >= 4 and secret not in _REMEMBERED:
        if not _REMEMBERED:
            no_core_dumps()
        _REMEMBERED.add(secret)
        import json

        needles = _REMEMBERED | {json.dumps(s)[1:-1] for s in _REMEMBERED}
        chars = sorted({f"{ord(c):04x}" for s in _REMEMBERED for c in s})
        escapes = r"\\u(?i:" + "|".join(chars) + ")"
        if any("/" in s for s in _REMEMBERED):
            escapes += r"|\\/"
        spelled = [re.escape(n) for n in sorted(needles, key=len, reverse=True)]
        _HIDING = re.compile("|".join([*spelled, escapes]))
        _NEEDLE_BYTES = tuple(n.encode("utf-8") for n in needles)
        _ESCAPE_BYTES = re.compile(escapes.encode("ascii"))
        _LONGEST = max(len(n) for n in _NEEDLE_BYTES) + 6


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
    if not any(secret in text for secret in _REMEMBERED):
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
    if _HIDING is None or _HIDING.search(text) is None:
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


class Watch:
    """A body's reads, passed on as they are, noting whether any may hide a secret.

    A stream is cleaned event by event (`keyfree_json`) only from the read where a secret,
    or an escape that could spell one, first appears: the reads are searched, each once,
    and an event of a stream without one costs a test of `hit`.
    """

    def __init__(self, reads: Iterable[bytes]) -> None:
        self.reads = reads
        self.hit = False

    def __iter__(self) -> Iterator[bytes]:
        needles, escapes = _NEEDLE_BYTES, _ESCAPE_BYTES
        if escapes is None:
            yield from self.reads
            return
        tail = b""  # the end of the reads so far: a match may be cut between two
        for piece in self.reads:
            if not self.hit:
                window = tail + piece
                for needle in needles:
                    if needle in window:
                        self.hit = True
                        break
                else:  # every escape starts with a backslash: memchr first, the pattern rarely
                    self.hit = b"\\" in window and escapes.search(window) is not None
                tail = window[-_LONGEST:]
            yield piece


def _clean(value: Any) -> Any:
    """value with every secret masked in its strings, keys included."""
    if isinstance(value, str):
        return keyfree(value)
    if isinstance(value, dict):
        return {keyfree(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value
