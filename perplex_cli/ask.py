"""One question: request -> transport -> events -> accumulator -> formatter.

The answer is complete at a `finish_reason`, an `object` of `chat.completion.done`, or
`data: [DONE]`; reading goes on until the body ends or `[DONE]`. Whatever happens, the
formatter's `end` runs with what was received, and the error is raised after it.
The accumulator decides the protocol: the chat one by default, or the agent API's
(`agent_events.AgentAccumulator`, complete at `response.completed`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from .errors import (
    ApiError,
    AuthError,
    CutStream,
    Interrupted,
    PerplexError,
    ProtocolError,
    RateLimited,
    ServerError,
)
from .events import Accumulator
from .output import Formatter

if TYPE_CHECKING:
    import requests


@dataclass
class Outcome:
    """How an answer ended, for the caller (exit code) and the log."""

    acc: Accumulator
    error: PerplexError | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def stream_answer(
    response: requests.Response, formatter: Formatter, acc: Accumulator | None = None
) -> Outcome:
    """Read the whole event stream of `response` through `formatter`; always closes it."""
    from .sse import NormalisedBytes, iter_events
    from .transport import body_reads, first_line

    acc = Accumulator() if acc is None else acc
    source = NormalisedBytes(body_reads(response))
    error: PerplexError | None = None
    try:
        try:
            for event in iter_events(source):
                data = event.data
                if data == "[DONE]":
                    acc.mark_done()
                    break
                try:
                    chunk = json.loads(data)
                except ValueError:
                    raise ProtocolError(
                        f"an event is not valid JSON: {first_line(data, 80)!r}"
                    ) from None
                if not isinstance(chunk, dict):
                    raise ProtocolError(f"an event is not a JSON object: {first_line(data, 80)!r}")
                raw = acc.envelope(event.event, chunk)
                failure = acc.error_in(raw)
                if failure is not None:
                    raise stream_error(failure)
                formatter.chunk(raw, acc.feed(raw))
            if not acc.complete:
                if acc.events == 0:
                    raise not_a_stream(source)
                if source.truncated_tail:
                    raise CutStream("the stream ended in the middle of an event; the answer is incomplete")
                raise CutStream("the stream ended before the answer was complete")
        except CutStream:
            if not acc.complete:
                raise
    except PerplexError as exc:
        error = exc
    except KeyboardInterrupt:
        error = Interrupted("interrupted")
    finally:
        response.close()
    formatter.end(acc, error)
    return Outcome(acc, error)


def not_a_stream(source: Any) -> ProtocolError:
    from .transport import first_line

    head = first_line(getattr(source, "head", ""), 120)
    if not source.received_any:
        return ProtocolError("the response body is empty; expected an event stream")
    return ProtocolError(f"the response is not an event stream: {head!r}" if head else
                         "the response is not an event stream")


def stream_error(err: Any) -> PerplexError:
    """An error object sent inside the stream, typed by its code."""
    message = err.get("message") if isinstance(err, dict) else str(err)
    code = err.get("code") if isinstance(err, dict) else None
    text = str(message or "the API reported an error")
    if code in (401, 403):
        return AuthError(text)
    if code == 429:
        return RateLimited(text, 429)
    if isinstance(code, int) and code >= 500:
        return ServerError(text, code)
    if isinstance(code, int) and 400 <= code < 500:
        return ApiError(text, code)
    return ServerError(text)


def warn_if_cut(acc: Accumulator, err: IO[str], quiet: bool) -> None:
    if acc.finish_reason == "length" and not quiet:
        err.write(
            "perplex: warning: the answer stopped at the token limit (finish_reason: length); "
            "raise --max-tokens for more\n"
        )
        err.flush()
