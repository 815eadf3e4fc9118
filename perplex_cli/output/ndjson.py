"""ndjson: every chunk the API sent, one compact JSON object per line, flushed per line."""

from __future__ import annotations

import json
from typing import IO, Any

from ..errors import PerplexError
from ..events import Accumulator, Update
from . import error_member

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def write_line(out: IO[str], doc: Any) -> None:
    """One compact JSON object on its own line, flushed: the unit of every ndjson output."""
    out.write(_dumps(doc) + "\n")
    out.flush()


class NdjsonFormatter:
    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.lines = 0

    def chunk(self, raw: dict[str, Any], update: Update) -> None:
        self.out.write(_dumps(raw) + "\n")
        self.out.flush()
        self.lines += 1

    def end(self, acc: Accumulator, error: PerplexError | None) -> None:
        if error is not None and self.lines:  # nothing shown: no partial answer to end
            self.out.write(_dumps({"error": error_member(error)}) + "\n")
            self.out.flush()
