"""Picking up an Agent API answer whose stream broke, where it stopped.

Once `response.created` has given the response id, a stream that breaks, stays silent
longer than --timeout, or ends before a terminal event is reopened with
`GET /v1/agent/{id}?stream=true&starting_after=N`, N the last sequence number received.
The new stream goes through the same accumulator and formatter, which skip the events the
server sends again, so the output goes on as if nothing had happened.

Each reconnect is one attempt of the --retries budget (shared by every cut of the answer),
announced on stderr and made after the transport's backoff. A 400 says the server no
longer holds the events: the stored response is then read (`GET /v1/agent/{id}`, polled
while the run goes on, for at most --timeout) and the part of its text not yet shown is
shown. A 404, a run that ended failed or cancelled, any other refusal, or a spent budget
ends the answer as a cut one (exit 7), with everything received kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from perplex_cli.api.answer_text import Update
from perplex_cli.errors import ApiError, CutStream, PerplexError

if TYPE_CHECKING:
    import requests

    from perplex_cli.api.agent_events import AgentAccumulator
    from perplex_cli.output.formatter import Formatter
    from perplex_cli.transport.client import Transport

# Statuses of a stored response that will not change any more.
TERMINAL = frozenset({"completed", "incomplete", "failed", "cancelled", "requires_action"})
POLL_DELAY_CAP = 5.0  # the longest wait between two reads of a running response


class Resume:
    """The reconnects of one agent answer: its accumulator, the transport, the budget."""

    def __init__(
        self, transport: Transport, acc: AgentAccumulator, notice: Callable[[str], None]
    ) -> None:
        self.transport = transport
        self.acc = acc
        self.notice = notice
        self.budget = max(0, transport.settings.retries)
        self.used = 0

    def reconnect(self, formatter: Formatter, cut: CutStream) -> requests.Response | None:
        """The stream that goes on after the last event received, or None when the answer
        was finished from the stored response; raises CutStream when it cannot go on."""
        acc = self.acc
        if acc.id is None or acc.sequence is None or self.budget == 0:
            raise cut  # nothing to resume from: the answer ends as a cut one
        from perplex_cli.api.agent_request import AGENT_PATH
        from perplex_cli.transport.retry import backoff, retryable

        path = f"{AGENT_PATH}/{quote(str(acc.id), safe='')}"
        reason = cut.message
        refused = ""  # why the last reconnect itself failed
        while self.used < self.budget:
            self.used += 1
            self.notice(f"perplex: reconnecting (attempt {self.used} of {self.budget}): {reason}")
            time.sleep(backoff(self.transport.settings.retry_base, self.used))
            acc.after = acc.sequence
            try:
                return self.transport.request(
                    "GET",
                    f"{path}?stream=true&starting_after={acc.sequence}",
                    stream=True,
                    attempts=1,
                )
            except PerplexError as exc:
                if isinstance(exc, ApiError) and exc.status == 400:
                    # The events are gone, the stored response is not.
                    self._finish_from_stored(path, formatter, cut, exc)
                    return None
                if not retryable(exc):
                    raise _beyond(cut, f"the answer cannot be resumed: {exc.message}") from exc
                reason = refused = exc.message
        spent = f"gave up after {self.budget} reconnect attempts"
        raise _beyond(cut, f"{spent} (the last: {refused})" if refused else spent)

    def _finish_from_stored(
        self, path: str, formatter: Formatter, cut: CutStream, refusal: ApiError
    ) -> None:
        """Wait for the stored response to end; show the text not yet shown, as its final event."""
        self.notice(
            f"perplex: the stream cannot be resumed ({refusal.message}); "
            "reading the stored response"
        )
        doc = self._terminal(path, cut)
        status = doc.get("status")
        if status in ("failed", "cancelled"):
            error = doc.get("error")
            said = error.get("message") if isinstance(error, dict) else error
            raise _beyond(cut, f"the response ended {status}" + (f": {said}" if said else ""))
        acc = self.acc
        shown = acc.content  # before the final response: the text streamed so far
        name = "response.incomplete" if status == "incomplete" else "response.completed"
        raw = acc.envelope(name, {"type": name, "response": doc})
        update = acc.feed(raw)
        if not acc.content.startswith(shown):
            # The stored text does not continue what was printed, which cannot be taken
            # back: it follows on a line of its own, whole.
            update = Update(answer="\n" + acc.content)
        formatter.chunk(raw, update)

    def _terminal(self, path: str, cut: CutStream) -> dict[str, Any]:
        """The stored response once its status is terminal, read with backoff."""
        from perplex_cli.api.jsonapi import read_object
        from perplex_cli.transport.retry import backoff

        settings = self.transport.settings
        deadline = time.monotonic() + settings.read_timeout
        polls = 0
        while True:
            try:
                doc = read_object(self.transport.request("GET", path), "the stored response")
            except PerplexError as exc:
                raise _beyond(cut, f"the stored response cannot be read: {exc.message}") from exc
            status = doc.get("status")
            if status in TERMINAL:
                return doc
            left = deadline - time.monotonic()
            if left <= 0:
                raise _beyond(
                    cut, f"the response was still {status} after {settings.read_timeout:g} s"
                )
            polls += 1
            time.sleep(min(backoff(settings.retry_base, polls), POLL_DELAY_CAP, left))


def _beyond(cut: CutStream, why: str) -> CutStream:
    """The cut that ends the answer, saying why it could not be resumed."""
    return CutStream(f"{cut.message}; {why}")
