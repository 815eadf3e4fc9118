"""--no-stream: one JSON response through the same accumulator and formatters as a stream.

The response document is fed to the accumulator as one chunk, so text prints the answer
and sources, ndjson prints the document on one line, and json prints it as the API
returned it. As with a stream, the formatter's `end` always runs and the error is
returned for the caller to raise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from perplex_cli.api.answer_text import Update
from perplex_cli.api.chat_events import Accumulator
from perplex_cli.api.stream import Outcome
from perplex_cli.errors import Interrupted, PerplexError, ProtocolError
from perplex_cli.output.formatter import Formatter

if TYPE_CHECKING:
    import requests


def read_answer(response: requests.Response, formatter: Formatter, acc: Accumulator) -> Outcome:
    """Read the whole JSON body of `response` through `formatter`; always closes it."""
    from perplex_cli.api.jsonapi import read_object

    error: PerplexError | None = None
    try:
        doc = read_object(response)
        failure = acc.document_error(doc)
        if failure is None or acc.partial_documents:
            formatter.chunk(doc, feed_document(acc, doc))
        if failure is not None:
            raise failure
    except PerplexError as exc:
        error = exc
    except KeyboardInterrupt:
        error = Interrupted("interrupted")
    formatter.end(acc, error)
    return Outcome(acc, error)


def feed_document(acc: Accumulator, doc: dict[str, Any]) -> Update:
    """acc.feed_response(doc); a field of the wrong type is a protocol error (exit 8)."""
    try:
        return acc.feed_response(doc)
    except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
        raise ProtocolError("the response has a field of the wrong type") from exc
