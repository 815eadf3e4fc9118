"""A transport adapter that answers from memory: the pipeline without a socket.

`Transport(settings, adapter=MockAdapter(handler))` sends every request to `handler`,
which returns a `Canned` reply: a status, headers and the body as pieces. Each read of
the body returns at most one piece, as a socket returns what has arrived, and `fault`
is raised once the pieces are read (a connection reset, a read timeout). Everything
above the adapter is the product's own code: retries, status checks, body reads, SSE
parsing, accumulation and formatting. The tests that need a real socket (framings,
signals, pipes, delivery timing) use the HTTP server of replay.py instead.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
import requests.adapters
import urllib3


@dataclass
class Canned:
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/event-stream"})
    pieces: list[bytes] = field(default_factory=list)
    fault: BaseException | None = None  # raised by the read after the last piece


class PieceReader(io.RawIOBase):
    """A body whose every read returns at most one piece, then raises `fault` if any."""

    def __init__(self, pieces: list[bytes], fault: BaseException | None) -> None:
        self._pieces = [p for p in pieces if p]
        self._fault = fault

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if not self._pieces:
            if self._fault is not None:
                fault, self._fault = self._fault, None
                raise fault
            return 0
        piece = self._pieces[0]
        n = min(len(buffer), len(piece))
        buffer[:n] = piece[:n]
        if n < len(piece):
            self._pieces[0] = piece[n:]
        else:
            self._pieces.pop(0)
        return n

    def read1(self, size: int = -1) -> bytes:
        buffer = bytearray(size if size and size > 0 else 1 << 20)
        n = self.readinto(memoryview(buffer))
        return bytes(buffer[:n])


class MockAdapter(requests.adapters.BaseAdapter):
    """Answers each request with `handler(request)`; keeps what was sent in `sent`."""

    def __init__(self, handler: Callable[[requests.PreparedRequest], Canned]) -> None:
        super().__init__()
        self.handler = handler
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:  # type: ignore[override]
        self.sent.append(request)
        reply = self.handler(request)
        raw = urllib3.HTTPResponse(
            body=PieceReader(reply.pieces, reply.fault),
            headers=reply.headers,
            status=reply.status,
            preload_content=False,
            decode_content=False,
            request_url=request.url,
        )
        return requests.adapters.HTTPAdapter().build_response(request, raw)

    def close(self) -> None:
        pass


def replies(*canned: Canned) -> Callable[[requests.PreparedRequest], Canned]:
    """A handler answering with `canned` in order, the last one repeated."""
    queue = list(canned)

    def handler(request: requests.PreparedRequest) -> Canned:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler
