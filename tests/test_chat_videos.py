"""The chat API's `videos` field is kept in the `-f json` document, streamed or not.

The answers are real chat completions recordings with the `videos` member the API adds
when videos were asked for (`media_response.overrides.return_videos`).
"""

from __future__ import annotations

import json

import pytest
from recordings import PERPLEXITY, chunks_of, last
from replay import Reply
from streams import sse

pytestmark = pytest.mark.api("chat")  # chat completions recordings

STREAM = (
    PERPLEXITY
    / "ruby_llm__streaming_responses_perplexity_sonar_supports_streaming_responses__20260316_ce76568__0.sse"
)
RESPONSE = (
    PERPLEXITY
    / "ruby_llm__citations_with_perplexity_sonar_returns_search_result_citations__20260612_f6c0e66__0.json"
)
VIDEOS = [
    {
        "url": "https://www.youtube.com/watch?v=gJEC9-B37KI",
        "thumbnail_url": "https://i.ytimg.com/vi/gJEC9-B37KI/hqdefault.jpg",
        "thumbnail_width": 480,
        "thumbnail_height": 360,
        "duration": 187.0,
    }
]


def streamed_with_videos() -> tuple[bytes, list[dict]]:
    """The recorded stream, its chunks from the middle on carrying `videos` (as the
    metadata fields arrive: repeated on every later chunk)."""
    chunks = chunks_of(STREAM)
    half = len(chunks) // 2
    chunks = chunks[:half] + [dict(c, videos=VIDEOS) for c in chunks[half:]]
    return sse(*chunks, "[DONE]"), chunks


def test_a_streamed_answer_keeps_its_videos_in_json(server, cli):
    body, chunks = streamed_with_videos()
    server.reply(Reply(body=body, split=97))
    doc = json.loads(cli("-f", "json", "q").stdout)
    assert doc["videos"] == VIDEOS
    # beside the other metadata, which stays as it was
    assert doc["search_results"] == last(chunks, "search_results")
    assert doc["citations"] == last(chunks, "citations")


def test_a_stream_without_videos_has_no_videos_member(server, cli):
    server.reply(Reply(body=STREAM.read_bytes()))
    assert "videos" not in json.loads(cli("-f", "json", "q").stdout)


def test_a_non_streamed_answer_keeps_its_videos_in_json(server, cli):
    doc = dict(json.loads(RESPONSE.read_bytes()), videos=VIDEOS)
    body = json.dumps(doc).encode()
    server.reply(Reply(body=body, content_type="application/json", framing="length"))
    out = json.loads(cli("--no-stream", "-f", "json", "q").stdout)
    assert out["videos"] == VIDEOS
    assert out["search_results"] == doc["search_results"]


def test_videos_arrive_on_each_ndjson_line_that_carried_them(server, cli):
    body, chunks = streamed_with_videos()
    server.reply(Reply(body=body))
    lines = [json.loads(line) for line in cli("-f", "ndjson", "q").stdout.splitlines()]
    assert sum(1 for line in lines if line.get("videos") == VIDEOS) == sum(
        1 for c in chunks if "videos" in c
    )
