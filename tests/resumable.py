"""The server side of a resumable Agent API stream, replaying a recorded one.

`Resumable(body, cuts)` is a `ReplayServer.respond`:

- `POST /v1/agent`: the recording's events, the connection broken by `fault` after
  `cuts[0]` events;
- `GET /v1/agent/{id}?stream=true&starting_after=N`: the events numbered above N, after
  `resend` events the client has already (a server may send some again). Reconnect k is
  broken again after `cuts[k]` events when the list goes that far. `refuse` holds the
  statuses the first reconnects are answered with instead (400: the cursor expired, 404:
  an unknown id, 503: try again);
- `GET /v1/agent/{id}`: the next of `stored` (response objects), the last one repeated;
- anything else, or another id: 404.

`hold`, when given, is waited for before any reconnect is answered (a test reads the
output of the first connection meanwhile).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from agent_recordings import events_of, final_response
from replay import Received, Reply

STALL = 5.0  # seconds a stalled reply stays silent; the client gives up long before


def blocks(body: bytes) -> list[bytes]:
    """The recorded body as one piece of bytes per event, blank line included."""
    return [block + b"\n\n" for block in body.split(b"\n\n") if block.strip()]


def faulty(pieces: list[bytes], fault: str, rest: bytes = b"") -> Reply:
    """A reply of these event pieces that breaks as `fault` says, or ends (`None`)."""
    if fault == "reset":  # the connection reset by the server
        return Reply(pieces=pieces, fault="reset")
    if fault == "chunked-close":  # the chunked body ends without its last chunk
        return Reply(pieces=pieces, fault="close")
    if fault == "eof":  # a close-delimited body ends before a terminal event
        return Reply(pieces=pieces, framing="close")
    if fault == "truncated":  # and ends in the middle of the next event
        return Reply(pieces=[*pieces, rest[: len(rest) // 2]], framing="close")
    if fault == "stall":  # the server goes silent
        return Reply(pieces=pieces, fault="stall", stall=STALL)
    raise ValueError(fault)


def error_reply(status: int) -> Reply:
    body = {"error": {"message": f"test refusal {status}", "type": "invalid_request"}}
    return Reply(status=status, body=json.dumps(body).encode(), content_type="application/json")


def in_progress(final: dict[str, Any]) -> dict[str, Any]:
    """The stored response while the run goes on: no output, no usage."""
    return {**final, "status": "in_progress", "output": [], "usage": None, "completed_at": None}


@dataclass
class Resumable:
    body: bytes
    cuts: list[int]
    fault: str = "chunked-close"
    resend: int = 2
    refuse: list[int] = field(default_factory=list)
    stored: list[dict[str, Any]] = field(default_factory=list)
    hold: threading.Event | None = None
    connections: int = 0

    def __post_init__(self) -> None:
        self.events = blocks(self.body)
        parsed = events_of(self.body)
        assert len(parsed) == len(self.events)
        self.numbers = [e["data"]["sequence_number"] for e in parsed]
        self.id = final_response(parsed)["id"]
        self.refusals = list(self.refuse)

    def __call__(self, request: Received) -> Reply:
        path, _, query = request.path.partition("?")
        if request.method == "POST" and path == "/v1/agent":
            return self._stream(0)
        if request.method != "GET" or path != f"/v1/agent/{self.id}":
            return error_reply(404)
        if self.hold is not None:
            assert self.hold.wait(10), "the test never let the reconnect through"
        if not query:
            return self._stored()
        after = re.fullmatch(r"stream=true&starting_after=(\d+)", query)
        assert after, query
        if self.refusals:
            return error_reply(self.refusals.pop(0))
        start = sum(1 for n in self.numbers if n <= int(after.group(1)))
        return self._stream(max(0, start - self.resend))

    def _stream(self, start: int) -> Reply:
        self.connections += 1
        k = self.connections - 1
        if k >= len(self.cuts):
            return Reply(pieces=self.events[start:])
        end = start + self.cuts[k]
        rest = self.events[end] if end < len(self.events) else b""
        return faulty(self.events[start:end], self.fault, rest)

    def _stored(self) -> Reply:
        doc = self.stored.pop(0) if len(self.stored) > 1 else self.stored[0]
        return Reply(body=json.dumps(doc).encode(), content_type="application/json")
