"""An answer keeps at most 1000 sources: a stream that never stops naming new URLs cannot
grow perplex's memory without end (the first 1000 are kept, the answer is not affected)."""

from __future__ import annotations

import json
import socket

from agent_streams import event, response, sse
from hostile import HEAD, HostileServer, chunked, measured
from replay import Reply
from streams import chunk
from streams import sse as chat_sse

from perplex_cli.api.chat_events import MAX_SOURCES

EVENTS = 4000  # of 50 new sources each: 200,000 sources in all


def url(n: int) -> str:
    return f"https://example.com/page/{n}"


def many_sources(sock: socket.socket) -> None:
    """An agent stream whose reasoning events keep finding new sources, then its answer."""
    sock.sendall(HEAD)
    chunked(sock, sse(event("response.created", 0, response=response())))
    for n in range(EVENTS):
        results = [{"url": url(50 * n + i), "title": f"page {50 * n + i}"} for i in range(50)]
        chunked(sock, sse(event("response.reasoning.search_results", n + 1, results=results)))
    chunked(sock, sse(event("response.output_text.delta", EVENTS + 1, delta="Hello")))
    done = response("completed", output=[], usage={"input_tokens": 1, "output_tokens": 1})
    chunked(sock, sse(event("response.completed", EVENTS + 2, response=done)))
    chunked(sock, b"")


def test_an_agent_stream_of_endless_new_sources_keeps_the_first_1000(env):
    server = HostileServer(many_sources)
    try:
        run = measured(["ask", "--no-log", "--base-url", server.url, "-f", "json", "q"])
    finally:
        server.close()
    assert run.code == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["choices"][0]["message"]["content"] == "Hello"
    assert doc["citations"] == [url(n) for n in range(MAX_SOURCES)]
    assert [r["title"] for r in doc["search_results"]] == [f"page {n}" for n in range(1000)]
    # Keeping all 200,000 peaked at 267 MB (and printed them all); 33 MB with the limit.
    assert run.peak_mb < 80, run.peak_mb


def test_a_chat_chunk_with_5000_citations_keeps_the_first_1000(server, cli):
    urls = [url(n) for n in range(5000)]
    results = [{"url": u, "title": "t"} for u in urls]
    body = chat_sse(
        chunk("Hi", citations=urls, search_results=results),
        chunk("", finish="stop", citations=urls, search_results=results),
    )
    server.reply(Reply(body=body))
    result = cli("ask", "--api", "chat", "-f", "json", "q")
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["citations"] == urls[:MAX_SOURCES]
    assert doc["search_results"] == results[:MAX_SOURCES]
    assert MAX_SOURCES == 1000  # the number docs/failures.md gives
