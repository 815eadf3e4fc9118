"""A real HTTP server on 127.0.0.1 that replays recorded bodies with a chosen framing.

Framings: chunked, close-delimited, content-length, each optionally gzip-encoded, the
body cut into pieces (every N bytes, or at given boundaries) and paced with delays.
Faults: reset the connection, close early, stall, promise a longer body than is sent.
Replies come from a queue, or from `respond(request)`. Connections are kept alive between
replies, as real servers do. Every request received is recorded with the time it arrived;
`closed_early` is set when the client went away before the reply was sent in full.
"""

from __future__ import annotations

import gzip
import json
import socket
import socketserver
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Recorded responses, byte-exact; each folder's SOURCES.md says where each comes from.
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass
class Reply:
    """One scripted response."""

    body: bytes = b""
    status: int = 200
    reason: str = ""
    content_type: str = "text/event-stream; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    framing: str = "chunked"  # chunked | close | length
    gzip: bool = False
    split: int | None = None  # write the body in pieces of this many bytes
    pieces: list[bytes] | None = None  # or in exactly these pieces
    delay: float = 0.0  # seconds between pieces
    fault: str | None = None  # after the pieces: "reset", "close" (no chunked end), "stall"
    stall: float = 0.0
    wait_before: float = 0.0  # seconds before the status line
    declared_length: int | None = None  # a Content-Length other than the body's (framing=length)

    def chunks(self) -> list[bytes]:
        if self.pieces is not None:
            return list(self.pieces)
        if self.split:
            return [self.body[i : i + self.split] for i in range(0, len(self.body), self.split)]
        return [self.body] if self.body else []


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


RESET_GRACE = 0.5  # seconds between the last piece and a "reset" fault


class ReplayServer:
    """Start with `ReplayServer()`, script with `.reply(...)`, stop with `.close()`."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        # Or: each reply computed from its request (the queue is then unused).
        self.respond: Callable[[Received], Reply] | None = None
        self.requests: list[Received] = []
        self.writes: list[tuple[float, bytes]] = []  # (time, piece) per body piece sent
        self.closed_early = threading.Event()
        self.lock = threading.Lock()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                outer._handle(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def reply(self, *replies: Reply) -> ReplayServer:
        """Queue replies; the last one is repeated for further requests."""
        self.replies.extend(replies)
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self) -> Reply:
        with self.lock:
            if len(self.replies) > 1:
                return self.replies.pop(0)
            return self.replies[0] if self.replies else Reply(status=500, body=b"no reply")

    def _handle(self, sock: socket.socket) -> None:
        # Keep-alive, as real servers do: a client may send its retry on the same connection.
        while True:
            sock.settimeout(10.0)  # an idle kept-alive connection is not kept for ever
            try:
                request = _read_request(sock)
            except OSError:
                return
            if request is None:
                return
            self.requests.append(request)
            reply = self.respond(request) if self.respond else self._next()
            try:
                if not self._send(sock, reply):
                    return
            except OSError:
                self.closed_early.set()
                return

    def _send(self, sock: socket.socket, reply: Reply) -> bool:
        """Send one reply; True when the connection stays open for another request."""
        if reply.wait_before:
            time.sleep(reply.wait_before)
        lines = [f"HTTP/1.1 {reply.status} {reply.reason or _reason(reply.status)}"]
        if reply.content_type:
            lines.append(f"Content-Type: {reply.content_type}")
        pieces = reply.chunks()
        if reply.gzip:
            lines.append("Content-Encoding: gzip")
            if reply.framing == "length":
                pieces = [gzip.compress(reply.body)]
            else:
                pieces = _gzip_pieces(pieces)
        if reply.framing == "chunked":
            lines.append("Transfer-Encoding: chunked")
        elif reply.framing == "length":
            length = sum(len(p) for p in pieces)
            lines.append(f"Content-Length: {reply.declared_length or length}")
        # One request per connection: saying so keeps a client that reuses its session
        # (chat) from writing its next request into a connection about to be dropped.
        lines.append("Connection: close")
        lines.extend(f"{k}: {v}" for k, v in reply.headers.items())
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        for i, piece in enumerate(pieces):
            if i and reply.delay:
                time.sleep(reply.delay)
            if reply.framing == "chunked":
                if not piece:
                    continue
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            else:
                sock.sendall(piece)
            self.writes.append((time.monotonic(), piece))
        if reply.fault == "reset":
            if pieces:
                # A reset throws away what the client has not read yet, and a client that
                # saw nothing may rightly retry; give it time to read what was sent.
                time.sleep(RESET_GRACE)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            return False
        if reply.fault == "stall":
            if _wait_closed(sock, reply.stall or 30.0):
                self.closed_early.set()
            return False
        if reply.framing == "chunked" and reply.fault != "close":
            sock.sendall(b"0\r\n\r\n")
        if reply.fault == "close" or reply.framing == "close" or reply.declared_length:
            sock.shutdown(socket.SHUT_WR)
            _wait_closed(sock, 2.0)
            return False
        return True


def _gzip_pieces(pieces: list[bytes]) -> list[bytes]:
    """Compress piece by piece with a sync flush, so each piece can be decoded on arrival."""
    comp = zlib.compressobj(6, zlib.DEFLATED, 31)
    out = [comp.compress(p) + comp.flush(zlib.Z_SYNC_FLUSH) for p in pieces]
    out.append(comp.flush())
    return out


def _wait_closed(sock: socket.socket, limit: float) -> bool:
    """Wait until the client closes the connection; False when it did not within limit."""
    sock.settimeout(limit)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    except OSError:
        pass
    return True


def _read_request(sock: socket.socket) -> Received | None:
    data = b""
    while b"\r\n\r\n" not in data:
        block = sock.recv(65536)
        if not block:
            return None
        data += block
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        block = sock.recv(65536)
        if not block:
            break
        rest += block
    return Received(method, path, headers, rest[:length], time.monotonic())


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
