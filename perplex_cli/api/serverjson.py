"""JSON from the server, parsed into values every later step can print, store and re-encode.

One decoder for every document and event the API sends. What JSON can say but the rest of
perplex cannot carry faithfully is read as null (absent): `NaN`, `Infinity`, a number
beyond a double's range (`1e400`). A lone UTF-16 surrogate (`"\\ud800"`, which UTF-8
cannot encode) becomes U+FFFD. A document nested deeper than MAX_DEPTH is a protocol error
(exit 8), whoever would have recursed on it. An integer beyond 64 bits is valid JSON and
is kept; `clean` (which the log applies to what it stores) turns it into null, as SQLite
cannot hold it. See docs/failures.md.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from perplex_cli.errors import ProtocolError

MAX_DEPTH = 64
_INT_LIMIT = 2**63


def _finite(text: str) -> float | None:
    value = float(text)
    return value if math.isfinite(value) else None


def _constant(name: str) -> None:
    return None  # NaN, Infinity, -Infinity


_decoder = json.JSONDecoder(parse_constant=_constant, parse_float=_finite)
raw_decode = _decoder.raw_decode
_SURROGATE = re.compile("[\ud800-\udfff]")


def loads(text: str | bytes, what: str) -> Any:
    """The parsed value; ValueError when it is not JSON, ProtocolError when nested too deep."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    try:
        return checked(_decoder.decode(text), text, what)
    except RecursionError:
        raise too_deep(what) from None


def suspicious(text: str) -> bool:
    """Whether JSON text may parse into something `clean` must fix (a surrogate escape, too
    deep), or spells a number as no strict reader takes it (NaN, Infinity): such text is
    never echoed as it came. Substring tests only: this runs for every event."""
    return (
        "\\ud" in text
        or "\\uD" in text
        or "NaN" in text
        or "Infinity" in text
        or text.count("[") + text.count("{") > MAX_DEPTH
    )


def checked(doc: Any, text: str, what: str) -> Any:
    """doc (parsed from text) with its lone surrogates made safe, or too deep refused."""
    if not suspicious(text):
        return doc
    return clean(doc, what)


def clean(doc: Any, what: str) -> Any:
    """doc with its lone surrogates and oversized integers made safe (see the module doc)."""
    if isinstance(doc, (dict, list)):
        _clean(doc, what)
        return doc
    return _value(doc)


def too_deep(what: str) -> ProtocolError:
    return ProtocolError(f"{what} is nested more than {MAX_DEPTH} levels deep")


def _clean(doc: dict[str, Any] | list[Any], what: str) -> None:
    """Fix every value in place, without recursion (the depth is what is being judged)."""
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(doc, 1)]
    while stack:
        container, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise too_deep(what)
        if isinstance(container, dict):
            for key in [k for k in container if _SURROGATE.search(k)]:
                container[_text(key)] = container.pop(key)
            pairs: Any = list(container.items())
        else:
            pairs = enumerate(container)
        for key, value in pairs:
            if isinstance(value, (dict, list)):
                stack.append((value, depth + 1))
            else:
                container[key] = _value(value)


def _value(value: Any) -> Any:
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, int) and not -_INT_LIMIT <= value < _INT_LIMIT:
        return None
    return value


def _text(value: str) -> str:
    return _SURROGATE.sub("\ufffd", value)
