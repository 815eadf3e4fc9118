"""Formatters: each consumes the chunks of one answer and writes to the streams it is given.

Every formatter has the same three calls: `chunk` per event (the raw chunk and the text it
adds), `end` once with the accumulated answer and the error that ended it, if any.
They never name `sys.stdout`; the caller owns the streams.
"""

from __future__ import annotations

from typing import IO, Any, Protocol

from ..errors import PerplexError
from ..events import Accumulator, Update
from ..style import StreamStyle


class Formatter(Protocol):
    def chunk(self, raw: dict[str, Any], update: Update) -> None: ...

    def end(self, acc: Accumulator, error: PerplexError | None) -> None: ...


def error_member(error: PerplexError) -> dict[str, str]:
    """The `error` object that json and ndjson output carry when an answer failed."""
    return {"type": error.kind, "message": error.message}


def make_formatter(
    name: str,
    out: IO[str],
    err: IO[str],
    *,
    citations: bool = True,
    reasoning: bool = False,
    render: StreamStyle | None = None,
) -> Formatter:
    """The formatter for `-f NAME`; `render` (--render) is the style of `out`, which decides."""
    if name == "json":
        from .json import JsonFormatter

        return JsonFormatter(out)
    if name == "ndjson":
        from .ndjson import NdjsonFormatter

        return NdjsonFormatter(out)
    if render is not None and render.styled:
        from .render import RenderFormatter

        return RenderFormatter(out, err, citations=citations, reasoning=reasoning, live=render.live)
    from .text import TextFormatter

    return TextFormatter(out, err, citations=citations, reasoning=reasoning)
