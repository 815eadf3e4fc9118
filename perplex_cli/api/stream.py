"""One question: request -> transport -> events -> accumulator -> formatter.

The answer is complete at a `finish_reason`, an `object` of `chat.completion.done`, or
`data: [DONE]`; reading goes on until the body ends or `[DONE]`. Whatever happens (a cut,
a stall, Ctrl-C), the response is closed at once and the formatter's `end` runs with what
was received; the caller raises the error after it. Only a closed stdout skips `end`:
nothing more can be shown. The accumulator decides the protocol (`protocol.py` picks it):
the agent API's (`agent_events.AgentAccumulator`, complete at `response.completed` or
`response.incomplete`) or the chat one. An agent answer that breaks before it is complete
may be resumed (`resume.py`): the events of the reconnected stream go through the same
accumulator and formatter.
"""

from __future__ import annotations

import os
import select
import stat
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from perplex_cli.api.chat_events import Accumulator, stream_error
from perplex_cli.errors import CutStream, Interrupted, PerplexError, PipeClosed, ProtocolError
from perplex_cli.output.formatter import Formatter

if TYPE_CHECKING:
    import requests

    from perplex_cli.api.resume import Resume
    from perplex_cli.redact import Watch
    from perplex_cli.transport.sse import NormalisedBytes


@dataclass
class Outcome:
    """How an answer ended, for the caller (exit code) and the log."""

    acc: Accumulator
    error: PerplexError | None = None


def stream_answer(
    response: requests.Response,
    formatter: Formatter,
    acc: Accumulator | None = None,
    resume: Resume | None = None,
) -> Outcome:
    """Read the whole event stream of `response` through `formatter`; always closes it.

    With `resume`, a stream cut before the answer is complete is picked up again on the
    connection it opens (or finished from the stored response); without it, the cut ends
    the answer.
    """
    acc = Accumulator() if acc is None else acc
    error: PerplexError | None = None
    reading = response
    try:
        while True:
            try:
                _read(reading, acc, formatter)
                break
            except CutStream as cut:
                if acc.complete:
                    break
                if resume is None:
                    raise
                reading.close()  # at once: the new connection replaces it
                resumed = resume.reconnect(formatter, cut)
                if resumed is None:  # finished from the stored response
                    break
                reading = resumed
    except PerplexError as exc:
        error = exc
    except KeyboardInterrupt:
        error = Interrupted()
    except BrokenPipeError:
        error = PipeClosed()
    finally:
        # At once, whatever ended the answer: a closed connection stops the generation.
        reading.close()
    if not isinstance(error, PipeClosed):
        try:
            formatter.end(acc, error)
        except BrokenPipeError:  # the reader left during the sources or the JSON document
            error = PipeClosed()
    return Outcome(acc, error)


def _read(response: requests.Response, acc: Accumulator, formatter: Formatter) -> None:
    """One connection's events; CutStream when it ends before the answer is complete."""
    from perplex_cli.redact import Watch
    from perplex_cli.transport.client import body_reads
    from perplex_cli.transport.sse import NormalisedBytes

    watch = Watch(body_reads(response))  # whether the server may have echoed the key
    source = NormalisedBytes(watch)
    _pump(source, acc, formatter, watch)
    if not acc.complete:
        if acc.events == 0:
            raise not_a_stream(source)
        if source.truncated_tail:
            raise CutStream("the stream ended in the middle of an event; the answer is incomplete")
        raise CutStream("the stream ended before the answer was complete")


def _pump(source: NormalisedBytes, acc: Accumulator, formatter: Formatter, watch: Watch) -> None:
    """Every complete event of the body: parsed, fed to `acc`, shown by `formatter`.

    This loop runs once per event, so it is written for the interpreter (`bench/run.py`, the throughput case):
    methods are looked up once, the chat protocol's events skip the envelope, and the
    checks that almost never fire cost one test each.
    """
    from perplex_cli.api.serverjson import clean, raw_decode, suspicious, too_deep
    from perplex_cli.api.serverjson import loads as server_json
    from perplex_cli.errors import first_line
    from perplex_cli.redact import keyfree, keyfree_json
    from perplex_cli.transport.sse import iter_events

    gone = reader_watch(getattr(formatter, "out", None))
    plain = acc.plain_events
    envelope, error_in, feed, replayed = acc.envelope, acc.error_in, acc.feed, acc.replayed
    for event in iter_events(source):
        data = event.data
        if watch.hit:  # the server may have echoed the key: it is never shown, kept or logged
            data = keyfree_json(data)
        if data == "[DONE]":
            acc.mark_done()
            return
        try:
            chunk, end = raw_decode(data)
            if end != len(data):
                chunk = server_json(data, "an event")  # whitespace around it (or more after it)
        except ValueError:
            chunk = _loads(data)
        except RecursionError:
            raise too_deep("an event") from None
        suspect = suspicious(data)  # measured once the data is known to be JSON
        if suspect:
            chunk = clean(chunk, "an event")
        if plain and type(chunk) is dict:
            raw = chunk
        elif not isinstance(chunk, dict):
            raise ProtocolError(f"an event is not a JSON object: {first_line(data, 80)!r}")
        try:
            if plain:
                failure = error_in(raw) if "error" in raw else None
            else:
                raw = envelope(keyfree(event.event) if watch.hit else event.event, chunk)
                if replayed(raw):  # sent again by a resumed stream: shown already
                    continue
                failure = error_in(raw)
            if failure is not None:
                raise stream_error(failure)
            update = feed(raw)
        except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
            raise ProtocolError(
                f"an event has a field of the wrong type: {first_line(data, 80)!r}"
            ) from exc
        # The event's text, for ndjson to write as it came (in its envelope, named, when
        # the formatters get one: the agent API's events); not when it had to be cleaned.
        update.data = "" if suspect else data
        if raw is not chunk:
            update.event = raw["event"]
        formatter.chunk(raw, update)
        if gone is not _never and gone():
            raise PipeClosed()


def _loads(data: str) -> Any:
    """json.loads for the data `_pump`'s fast path refused: surrounding whitespace, or no JSON."""
    from perplex_cli.api.serverjson import loads as server_json
    from perplex_cli.errors import first_line

    try:
        return server_json(data, "an event")
    except ValueError:
        raise ProtocolError(f"an event is not valid JSON: {first_line(data, 80)!r}") from None


def reader_watch(out: Any) -> Callable[[], bool]:
    """A check, cheap enough for every event, that the reader of a stdout pipe is gone.

    Writing finds that out only when something is written; json writes at the end and text
    writes nothing while the model reasons, yet the connection must be closed at once so
    that the API stops generating (and billing). Files and terminals never go away.
    """
    try:
        fd = out.fileno()
        mode = os.fstat(fd).st_mode
    except (AttributeError, OSError, ValueError):  # in-memory streams have no descriptor
        return _never
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)) or not hasattr(select, "poll"):
        return _never
    poller = select.poll()
    poller.register(fd, 0)  # no events asked: poll still reports POLLERR and POLLHUP

    def gone() -> bool:
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))

    return gone


def _never() -> bool:
    return False


def not_a_stream(source: Any) -> ProtocolError:
    from perplex_cli.errors import first_line

    head = first_line(getattr(source, "head", ""), 120)
    if not source.received_any:
        return ProtocolError("the response body is empty; expected an event stream")
    return ProtocolError(
        f"the response is not an event stream: {head!r}"
        if head
        else "the response is not an event stream"
    )


def warn_if_cut(acc: Accumulator, err: IO[str], quiet: bool) -> None:
    """One warning line for an answer the API ended early (it is kept, and exit stays 0)."""
    if quiet:
        return
    agent = getattr(acc, "status", None) == "incomplete"
    if acc.finish_reason == "length":
        said = "incomplete: max_output_tokens" if agent else "finish_reason: length"
        err.write(
            f"perplex: warning: the answer stopped at the token limit ({said}); "
            "raise --max-tokens for more\n"
        )
    elif agent:
        err.write(f"perplex: warning: the answer is incomplete (reason: {acc.finish_reason})\n")
    err.flush()
