"""The benchmark's API server: a separate process, so that its CPU, its memory and its
bodies never count against the client being measured.

Started by run.py as `python bench/server.py`; prints `PORT <n>` once it listens. The
scenario is the request path in front of `/chat/completions` or `/v1/agent`, so that
perplex, the floor script and curl all reach it through an ordinary base URL; the path's
end chooses the protocol of the events (chat chunks, or Agent API events built by
agent_shapes.py from the recordings):

    /rec/<answer|largest>/<chunked|close>/<whole|events>  a recording, in one write or
                                                          one write per event
    /synth/<n>/<chunked|close>                            n small chunks and a final one,
                                                          in 64 KiB writes
    /paced/<n>/<chunked|close>/<plain|gzip>/<ms>/<tag>    n events, one write each, <ms> apart

For paced streams the server prints `W <tag> <i> <t>` to stdout just before writing event
i, with t from time.monotonic() (one clock for every process on the machine).
"""

from __future__ import annotations

import socket
import socketserver
import sys
import threading
import time
import zlib
from pathlib import Path

import agent_shapes

ROOT = Path(__file__).resolve().parent.parent
RECORDINGS = ROOT / "tests" / "fixtures" / "perplexity"
RECORDING_NAMES = {
    # The 2026-06 sonar answer (case 2) and the largest recording (case 3).
    "answer": "ruby_llm__streaming_responses_perplexity_sonar_supports_streaming_responses"
    "__20260608_75b5cd5__0.sse",
    "largest": "ruby_llm__with_extended_thinking_perplexity_sonar-reasoning-pro_streams_thinking"
    "_content_when_available__20260608_75b5cd5__0.sse",
}
WRITE_SIZE = 65536

_cache: dict[str, bytes] = {}
_cache_lock = threading.Lock()
_print_lock = threading.Lock()


def synthetic_chunk(i: int) -> bytes:
    """One small chunk in the shape of the 2026 recordings (usage on every chunk, no
    finish_reason before the last), without their search results: a short delta."""
    return (
        b'data: {"id":"bench","model":"sonar","created":1780000000,'
        b'"usage":{"prompt_tokens":9,"completion_tokens":%d,"total_tokens":%d},'
        b'"object":"chat.completion.chunk","choices":[{"index":0,'
        b'"delta":{"role":"assistant","content":"w%d "}}]}\r\n\r\n' % (i, i + 9, i)
    )


FINAL_CHUNK = (
    b'data: {"id":"bench","model":"sonar","created":1780000000,'
    b'"usage":{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10},'
    b'"object":"chat.completion.done","choices":[{"index":0,'
    b'"delta":{"role":"assistant","content":""},"finish_reason":"stop"}]}\r\n\r\n'
)


def synthetic_answer(n: int) -> str:
    """The text the n-chunk synthetic stream carries (for checking a client's output)."""
    return "".join(synthetic_texts(n))


def paced_token(i: int) -> str:
    return f"t{i:03d}z "


def synthetic_texts(n: int) -> list[str]:
    return [f"w{i} " for i in range(n)]


def synthetic_body(n: int, agent: bool = False) -> bytes:
    key = f"synth{n}{'agent' if agent else ''}"
    with _cache_lock:
        if key not in _cache:
            if agent:
                _cache[key] = b"".join(agent_shapes.pieces(synthetic_texts(n)))
            else:
                _cache[key] = b"".join(synthetic_chunk(i) for i in range(n)) + FINAL_CHUNK
        return _cache[key]


def recording(name: str, agent: bool = False) -> bytes:
    if agent:
        return agent_shapes.recording(name)
    with _cache_lock:
        if name not in _cache:
            _cache[name] = (RECORDINGS / RECORDING_NAMES[name]).read_bytes()
        return _cache[name]


def split_events(body: bytes) -> list[bytes]:
    """The body cut after every blank line (CRLF or LF), each piece byte-exact."""
    pieces = []
    start = 0
    while True:
        ends = [(body.find(sep, start), len(sep)) for sep in (b"\r\n\r\n", b"\n\n")]
        found = [(at, size) for at, size in ends if at >= 0]
        if not found:
            break
        at, size = min(found)
        pieces.append(body[start : at + size])
        start = at + size
    if start < len(body):
        pieces.append(body[start:])
    return pieces


def paced_event(i: int, last: bool) -> bytes:
    reason = b'"stop"' if last else b"null"
    obj = b"chat.completion.done" if last else b"chat.completion.chunk"
    text = b"" if last else paced_token(i).encode()
    return (
        b'data: {"id":"bench","model":"sonar","created":1780000000,"object":"%s",'
        b'"choices":[{"index":0,"delta":{"content":"%s"},"finish_reason":%s}]}\r\n\r\n'
        % (obj, text, reason)
    )


class Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        path = read_request(sock)
        if path is None:
            return
        parts = [p for p in path.split("/") if p]
        try:
            serve(sock, parts)
        except OSError:
            pass  # the client went away: nothing to report


def serve(sock: socket.socket, parts: list[str]) -> None:
    kind = parts[0] if parts else ""
    agent = parts[-2:] == ["v1", "agent"]
    if kind == "rec":
        body = recording(parts[1], agent)
        pieces = split_events(body) if parts[3] == "events" else [body]
        send(sock, parts[2], False, pieces)
    elif kind == "synth":
        body = synthetic_body(int(parts[1]), agent)
        view = memoryview(body)
        send(
            sock,
            parts[2],
            False,
            (view[i : i + WRITE_SIZE] for i in range(0, len(body), WRITE_SIZE)),
        )
    elif kind == "paced":
        n, framing, gz, ms, tag = (
            int(parts[1]),
            parts[2],
            parts[3] == "gzip",
            int(parts[4]),
            parts[5],
        )
        if agent:
            events = agent_shapes.pieces([paced_token(i) for i in range(n)])
        else:
            events = [paced_event(i, i == n) for i in range(n + 1)]
        send(sock, framing, gz, events, delay=ms / 1000.0, tag=tag)
    else:
        sock.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def send(
    sock: socket.socket, framing: str, gz: bool, pieces, delay: float = 0.0, tag: str = ""
) -> None:  # type: ignore[no-untyped-def]
    head = ["HTTP/1.1 200 OK", "Content-Type: text/event-stream; charset=utf-8"]
    if gz:
        head.append("Content-Encoding: gzip")
    head.append("Transfer-Encoding: chunked" if framing == "chunked" else "Connection: close")
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
    comp = zlib.compressobj(6, zlib.DEFLATED, 31) if gz else None
    next_at = time.monotonic()
    for i, piece in enumerate(pieces):
        if comp is not None:
            # A sync flush per event, as a compressing proxy streaming events would do.
            piece = comp.compress(piece) + comp.flush(zlib.Z_SYNC_FLUSH)
        if delay:
            next_at += delay
            time.sleep(max(0.0, next_at - time.monotonic()))
        if tag:
            with _print_lock:
                sys.stdout.write(f"W {tag} {i} {time.monotonic():.9f}\n")
                sys.stdout.flush()
        write(sock, framing, piece)
    if comp is not None:
        write(sock, framing, comp.flush())
    if framing == "chunked":
        sock.sendall(b"0\r\n\r\n")
    sock.shutdown(socket.SHUT_WR)
    sock.settimeout(5.0)
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass


def write(sock: socket.socket, framing: str, piece: bytes | memoryview) -> None:
    if not piece:
        return
    if framing == "chunked":
        # One write per piece, framing included, as a streaming server sends it.
        sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
    else:
        sock.sendall(piece)


def read_request(sock: socket.socket) -> str | None:
    data = b""
    while b"\r\n\r\n" not in data:
        block = sock.recv(65536)
        if not block:
            return None
        data += block
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(rest) < length:
        block = sock.recv(65536)
        if not block:
            break
        rest += block
    return lines[0].split(" ")[1]


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def main() -> None:
    server = Server(("127.0.0.1", 0), Handler)
    sys.stdout.write(f"PORT {server.server_address[1]}\n")
    sys.stdout.flush()
    server.serve_forever(poll_interval=0.05)


if __name__ == "__main__":
    main()
