"""ndjson: every chunk the API sent, one compact JSON object per line, flushed per line."""

from __future__ import annotations

import functools
import json
from typing import IO, Any

from perplex_cli.api.answer_text import Update
from perplex_cli.api.chat_events import Accumulator
from perplex_cli.errors import PerplexError
from perplex_cli.output.formatter import error_member

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def is_compact_line(data: str) -> bool:
    """Whether an event's data, already parsed as a JSON object, is one compact line.

    The API sends compact JSON since 2026: written as it came, each chunk costs no
    re-encoding (which would halve ndjson's throughput) and keeps the API's own number
    spelling. A space after a separator, or a line break, means another serialiser: that
    data is re-encoded. A `": ` inside a string only costs the fast path, never correctness.
    """
    return (
        data[:1] == "{"
        and data[-1:] == "}"
        and '": ' not in data
        and ', "' not in data
        and "\n" not in data
        and "\t" not in data
        and "\r" not in data
    )


def write_line(out: IO[str], doc: Any) -> None:
    """One compact JSON object on its own line, flushed: the unit of every ndjson output."""
    out.write(_dumps(doc) + "\n")
    out.flush()


@functools.lru_cache(maxsize=64)
def _envelope_head(name: str) -> str:
    """The line of an event in its envelope, up to its data (a stream has few names)."""
    return '{"event":' + _dumps(name) + ',"data":'


class NdjsonFormatter:
    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.lines = 0

    def chunk(self, raw: dict[str, Any], update: Update) -> None:
        data = update.data
        if not is_compact_line(data):
            line = _dumps(raw)
        elif update.event:  # raw is {"event": update.event, "data": <data parsed>}
            line = _envelope_head(update.event) + data + "}"
        else:
            line = data
        self.out.write(line + "\n")
        self.out.flush()
        self.lines += 1

    def end(self, acc: Accumulator, error: PerplexError | None) -> None:
        if error is not None and self.lines:  # nothing shown: no partial answer to end
            self.out.write(_dumps({"error": error_member(error)}) + "\n")
            self.out.flush()
