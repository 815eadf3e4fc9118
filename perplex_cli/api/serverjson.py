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
# For `nesting`: the strings of JSON text, what is neither a bracket nor a brace, and the
# containers that hold no other (once only brackets and braces are left).
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"\[\]|\{\}")
# Every digit as "0", so that 19 zeros in a row are a number that may not fit in 64 bits.
_DIGITS = bytes.maketrans(b"0123456789", b"0" * 10)
_LONG_NUMBER = b"0" * 19


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
    never echoed as it came. Substring tests first: this runs for every event."""
    return (
        "\\ud" in text or "\\uD" in text or "NaN" in text or "Infinity" in text or too_nested(text)
    )


def unstorable(text: str) -> bool:
    """Whether JSON text written by Python's encoder (not ASCII-escaped) may hold what
    `clean` must fix before it is stored: a lone surrogate (which UTF-8 cannot encode), an
    integer beyond 64 bits (any run of 19 digits), or nesting deeper than MAX_DEPTH."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return _LONG_NUMBER in data.translate(_DIGITS) or too_nested(text)


def too_nested(text: str) -> bool:
    """Whether JSON text may nest deeper than MAX_DEPTH: never false when it does.

    Counting the brackets and braces settles almost every document; a larger one (an
    answer with many sources) is measured by `nesting`, still without parsing it."""
    return text.count("[") + text.count("{") > MAX_DEPTH and nesting(text) > MAX_DEPTH


def nesting(text: str) -> int:
    """How deep the containers of JSON text nest, counted up to MAX_DEPTH + 1.

    Its strings taken out, only the brackets and braces are kept; each round then removes
    the containers that hold no other, so the rounds are the depth. Text that is not JSON
    (unbalanced) counts as too deep: the parser is what refuses it.
    """
    shape = _NOT_BRACKET.sub("", _STRING.sub("", text))
    depth = 0
    while shape and depth <= MAX_DEPTH:
        inner = _INNERMOST.sub("", shape)
        if inner == shape:  # nothing to remove: unbalanced
            return MAX_DEPTH + 1
        shape = inner
        depth += 1
    return depth


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
            for key in [k for k in container if not k.isascii() and _SURROGATE.search(k)]:
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
    """value with its lone surrogates as U+FFFD; itself when it has none (tested in C: ASCII
    has none, and UTF-8 encodes every other character but them)."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", value)
    return value
