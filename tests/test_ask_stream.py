"""Every recorded stream, in every framing, decodes exactly in every format."""

from __future__ import annotations

import json

import pytest
from recordings import (
    STREAMS,
    chunks_of,
    content_of,
    expected_text,
    finish_reason,
    last,
    split_think,
)
from replay import Reply
from streams import answer

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings

FRAMINGS = {
    "chunked": dict(framing="chunked"),
    "chunked-split": dict(framing="chunked", split=7),
    "close": dict(framing="close"),
    "close-split": dict(framing="close", split=13),
    "length": dict(framing="length"),
    "gzip-chunked": dict(framing="chunked", gzip=True, split=4096),
    "gzip-close": dict(framing="close", gzip=True, split=101),
}


def reply_for(path, framing: str) -> Reply:
    kw = dict(FRAMINGS[framing])
    body = path.read_bytes()
    if kw.get("split") and len(body) // kw["split"] > 20000:
        kw["split"] = 4099  # keep the largest recordings fast; still cuts inside events
    return Reply(body=body, **kw)


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.name[:60])
def test_text_is_the_answer_then_numbered_sources(server, cli, path, framing):
    server.reply(reply_for(path, framing))
    result = cli("why")
    assert result.code == 0, result.stderr
    assert result.stdout == expected_text(chunks_of(path))


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.name[:60])
def test_ndjson_is_every_chunk_in_order(server, cli, path, framing):
    server.reply(reply_for(path, framing))
    result = cli("-f", "ndjson", "why")
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [json.loads(line) for line in lines] == chunks_of(path)
    assert all(": " not in line[:3] for line in lines)  # one compact object per line


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.name[:60])
def test_json_is_the_reconstructed_completion(server, cli, path, framing):
    server.reply(reply_for(path, framing))
    result = cli("-f", "json", "why")
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    chunks = chunks_of(path)
    assert doc["object"] == "chat.completion"
    assert doc["id"] == chunks[0]["id"]
    # The answer only: a reasoning model's <think> block is the message's `reasoning`.
    answer, reasoning = split_think(content_of(chunks))
    assert doc["choices"][0]["message"]["content"] == answer
    assert doc["choices"][0]["message"].get("reasoning") == reasoning
    assert doc["choices"][0]["finish_reason"] == finish_reason(chunks)
    assert doc["usage"] == chunks[-1]["usage"]
    assert doc.get("citations") == last(chunks, "citations")
    assert doc.get("search_results") == last(chunks, "search_results")


def test_cumulative_message_content_is_never_printed_twice(server, cli):
    path = next(p for p in STREAMS if "20260608" in p.name and "supports_streaming" in p.name)
    server.reply(Reply(body=path.read_bytes()))
    result = cli("why")
    answer = content_of(chunks_of(path))
    assert result.stdout.split("\n\n[1] ")[0] == answer


def test_final_usage_and_cost_come_from_the_last_chunk(server, cli):
    path = next(p for p in STREAMS if "extended_thinking" in p.name)
    server.reply(Reply(body=path.read_bytes()))
    doc = json.loads(cli("-f", "json", "q").stdout)
    assert doc["usage"]["cost"]["total_cost"] == chunks_of(path)[-1]["usage"]["cost"]["total_cost"]
    assert doc["usage"]["cost"]["total_cost"] > 0


def test_request_carries_key_model_messages_and_stream(server, cli, env):
    path = STREAMS[0]
    server.reply(Reply(body=path.read_bytes()))
    cli(
        "-m",
        "sonar-pro",
        "-s",
        "be brief",
        "--max-tokens",
        "50",
        "--temperature",
        "0.5",
        "why",
        "blue",
    )
    [req] = server.requests
    assert req.method == "POST"
    assert req.path == "/chat/completions"
    assert req.headers["authorization"] == "Bearer " + env["PERPLEXITY_API_KEY"]
    assert req.headers["accept"] == "text/event-stream"
    body = req.json()
    assert body == {
        "model": "sonar-pro",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "why blue"},
        ],
        "max_tokens": 50,
        "temperature": 0.5,
        "stream": True,
    }


def test_ndjson_writes_compact_events_as_they_came(server, cli):
    # The 2026 API sends compact JSON: each line is the event's data, byte for byte (its
    # own number spelling included, 0.00001 rather than 1e-05), with no re-encoding.
    path = next(p for p in STREAMS if "extended_thinking" in p.name)
    body = path.read_bytes()
    server.reply(Reply(body=body))
    result = cli("-f", "ndjson", "q")
    data = [line[len(b"data: ") :] for line in body.split(b"\r\n") if line.startswith(b"data: ")]
    assert result.stdout_bytes.split(b"\n")[:-1] == data
    assert b'"input_tokens_cost":0.00009' in result.stdout_bytes


def test_ndjson_re_encodes_events_that_are_not_compact(server, cli):
    chunks = answer("spaced ", "out")
    body = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)
    assert b'": ' in body
    server.reply(Reply(body=body))
    lines = cli("-f", "ndjson", "q").stdout.splitlines()
    assert [json.loads(line) for line in lines] == chunks
    assert all('": ' not in line and ', "' not in line for line in lines)
