"""Each event reaches stdout as soon as its bytes arrive, whatever the HTTP framing.

A test of the mechanism, not of the machine's speed: the server paces events 200 ms
apart, and each event's text must be on the CLI's stdout before the next one is sent.
"""

from __future__ import annotations

import os
import threading
import time

import pytest
from replay import Reply
from streams import answer, sse

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings

TOKENS = [f"tok{i} " for i in range(5)]


def read_with_times(fd: int) -> list[tuple[float, bytes]]:
    arrivals = []
    while True:
        data = os.read(fd, 65536)
        if not data:
            return arrivals
        arrivals.append((time.monotonic(), data))


@pytest.mark.parametrize(
    "framing,gzip", [("close", False), ("close", True), ("chunked", False), ("chunked", True)]
)
@pytest.mark.parametrize("fmt", ["text", "ndjson"])
def test_each_event_is_on_stdout_before_the_next_is_sent(server, spawn, framing, gzip, fmt):
    chunks = answer(*TOKENS)
    pieces = [sse(c) for c in chunks]
    server.reply(Reply(pieces=pieces, delay=0.2, framing=framing, gzip=gzip))
    proc = spawn("-f", fmt, "q")
    arrivals: list[tuple[float, bytes]] = []
    reader = threading.Thread(target=lambda: arrivals.extend(read_with_times(proc.stdout.fileno())))
    reader.start()
    proc.wait(timeout=30)
    reader.join()
    assert proc.returncode == 0, proc.stderr.read()
    sent = [t for t, piece in server.writes if piece]
    seen = b""
    first_seen = {}
    for t, data in arrivals:
        seen += data
        for i, tok in enumerate(TOKENS):
            if i not in first_seen and tok.encode() in seen:
                first_seen[i] = t
    assert sorted(first_seen) == list(range(len(TOKENS)))
    for i in range(len(TOKENS) - 1):
        assert first_seen[i] < sent[i + 1], f"event {i} was held back until the next one arrived"
