"""json: one document, shaped like the non-streaming chat completions response."""

from __future__ import annotations

import json
from typing import IO, Any

from perplex_cli.api.answer_text import Update
from perplex_cli.api.chat_events import Accumulator
from perplex_cli.errors import PerplexError
from perplex_cli.output.formatter import error_member


class JsonFormatter:
    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def chunk(self, raw: dict[str, Any], update: Update) -> None:
        pass

    def end(self, acc: Accumulator, error: PerplexError | None) -> None:
        if error is not None and not acc.events and acc.response is None:
            return  # nothing was received: stderr and the exit status say it all
        write_document(self.out, document(acc, error))


def document(acc: Accumulator, error: PerplexError | None) -> dict[str, Any]:
    """The json format's document: the completion, with an `error` member when it failed.

    The message content is the answer only: reasoning (a `<think>` block of the content,
    or the agent API's reasoning events) is moved to `message.reasoning`, so
    `.choices[0].message.content` is what the text format prints as the answer.
    """
    from perplex_cli.api.chat_events import split_reasoning

    doc = acc.completion()
    answer, reasoning = split_reasoning(acc)
    choices = doc.get("choices")
    if reasoning and isinstance(choices, list) and choices and isinstance(choices[0], dict):
        choice = dict(choices[0])
        message = dict(choice.get("message") or {})
        message["content"] = answer
        message["reasoning"] = reasoning
        choice["message"] = message
        doc["choices"] = [choice, *choices[1:]]
    if error is not None:
        doc["error"] = error_member(error)
    return doc


def write_document(out: IO[str], doc: Any) -> None:
    """Pretty JSON, UTF-8 as is, newline-terminated."""
    out.write(json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n")
    out.flush()
