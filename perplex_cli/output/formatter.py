"""What every formatter is: `chunk` per event, `end` once, and the error member they share."""

from __future__ import annotations

from typing import Any, Protocol

from perplex_cli.api.answer_text import Update
from perplex_cli.api.chat_events import Accumulator
from perplex_cli.errors import PerplexError


class Formatter(Protocol):
    def chunk(self, raw: dict[str, Any], update: Update) -> None: ...

    def end(self, acc: Accumulator, error: PerplexError | None) -> None: ...


def error_member(error: PerplexError) -> dict[str, str]:
    """The `error` object that json and ndjson output carry when an answer failed."""
    return {"type": error.kind, "message": error.message}
