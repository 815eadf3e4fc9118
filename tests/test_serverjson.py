"""The cheap tests that decide whether server JSON needs the careful path agree with it.

`nesting` measures depth from the text without parsing it; the log writes a value it finds
nothing to fix in with one encoding. Both are checked here against the plain definitions
on generated values: nested containers whose strings hold brackets, quotes and
backslashes, NaN, infinities, integers beyond 64 bits and lone surrogates.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from perplex_cli.api.serverjson import MAX_DEPTH, clean, loads, nesting, too_nested
from perplex_cli.errors import PerplexError
from perplex_cli.local.records import _dumps

TEXT = st.text(alphabet=st.sampled_from('ab[]{}"\\:, é\ud800\udfff'), max_size=8)
KEYS = st.text(alphabet=st.sampled_from('k[{"\\\udc00'), max_size=3)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
)


def chain(depth: int, inner: Any) -> Any:
    """inner inside `depth` alternating lists and objects."""
    for level in range(depth):
        inner = [inner] if level % 2 else {"k": inner}
    return inner


VALUES = st.builds(
    chain,
    st.integers(min_value=0, max_value=MAX_DEPTH + 3),
    st.recursive(
        SCALARS,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
        max_leaves=12,
    ),
)


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


@settings(max_examples=400)
@given(value=VALUES, indent=st.sampled_from([None, 1]))
def test_nesting_is_the_depth_of_any_json_text(value: Any, indent: int | None) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=indent is None)
    assert nesting(text) == min(depth(value), MAX_DEPTH + 1)
    assert too_nested(text) == (depth(value) > MAX_DEPTH)


def careful(value: Any) -> str | None:
    """What the log stored for every value before its one-encoding path."""
    if value is None:
        return None
    try:
        copy = loads(json.dumps(value), "a value to log")
        return json.dumps(clean(copy, "a value to log"), ensure_ascii=False, allow_nan=False)
    except (PerplexError, RecursionError):
        return None


@settings(max_examples=400)
@given(value=VALUES)
def test_the_log_writes_every_value_as_the_careful_path_does(value: Any) -> None:
    assert _dumps(value) == careful(value)


def test_the_log_reads_nan_infinity_huge_integers_and_surrogates_as_safe_values() -> None:
    stored = _dumps({"n": math.nan, "i": -math.inf, "big": 2**64, "s\ud800": "a\udfffb"})
    assert stored is not None
    assert json.loads(stored) == {"n": None, "i": None, "big": None, "s\ufffd": "a\ufffdb"}
    assert _dumps(chain(MAX_DEPTH + 1, 1)) is None
