"""--no-stream: one JSON response, replayed from the recordings, in all three formats."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from recordings import STATUS_200_JSON, expected_text
from replay import Reply

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings

assert STATUS_200_JSON, "no recorded non-streaming responses"


def reply_for(path: Path) -> Reply:
    return Reply(body=path.read_bytes(), content_type="application/json", framing="length")


def as_chunks(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The response as the one chunk the plain reader of recordings.py understands."""
    message = doc["choices"][0]["message"]
    chunk = dict(
        doc,
        choices=[
            {
                "delta": {"content": message["content"]},
                "finish_reason": doc["choices"][0].get("finish_reason"),
            }
        ],
    )
    return [chunk]


@pytest.mark.parametrize("path", STATUS_200_JSON, ids=lambda p: p.name[:60])
def test_text_is_the_answer_then_numbered_sources(server, cli, path):
    server.reply(reply_for(path))
    result = cli("--no-stream", "q")
    assert result.code == 0, result.stderr
    assert result.stdout == expected_text(as_chunks(json.loads(path.read_bytes())))


@pytest.mark.parametrize("path", STATUS_200_JSON, ids=lambda p: p.name[:60])
def test_json_is_the_response_as_the_api_returned_it(server, cli, path):
    server.reply(reply_for(path))
    result = cli("--no-stream", "-f", "json", "q")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(path.read_bytes())


@pytest.mark.parametrize("path", STATUS_200_JSON, ids=lambda p: p.name[:60])
def test_ndjson_is_the_response_on_one_line(server, cli, path):
    server.reply(reply_for(path))
    result = cli("--no-stream", "-f", "ndjson", "q")
    assert result.code == 0, result.stderr
    [line] = result.stdout.splitlines()
    assert json.loads(line) == json.loads(path.read_bytes())


def test_the_request_asks_for_one_json_document(server, cli):
    server.reply(reply_for(STATUS_200_JSON[0]))
    cli("--no-stream", "q")
    [request] = server.requests
    assert request.json()["stream"] is False
    assert request.headers["accept"] == "application/json"


THINKING = {
    "id": "r",
    "object": "chat.completion",
    "model": "sonar-reasoning-pro",
    "created": 1,
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "message": {"role": "assistant", "content": "<think>weigh it</think>\n\nForty-two."},
        }
    ],
}


def test_json_moves_the_think_block_to_reasoning_and_ndjson_keeps_the_response(server, cli):
    body = json.dumps(THINKING).encode()
    server.reply(Reply(body=body, content_type="application/json"))
    doc = json.loads(cli("--no-stream", "-f", "json", "q").stdout)
    message = {"role": "assistant", "content": "Forty-two.", "reasoning": "weigh it"}
    choice = dict(THINKING["choices"][0], message=message)
    assert doc == dict(THINKING, choices=[choice])
    server.reply(Reply(body=body, content_type="application/json"))
    [line] = cli("--no-stream", "-f", "ndjson", "q").stdout.splitlines()
    assert json.loads(line) == THINKING


def test_reasoning_block_goes_to_stderr_only_with_reasoning(server, cli):
    doc = THINKING
    server.reply(Reply(body=json.dumps(doc).encode(), content_type="application/json"))
    result = cli("--no-stream", "--reasoning", "q")
    assert (result.code, result.stdout) == (0, "Forty-two.\n")
    assert "weigh it" in result.stderr
    assert "weigh it" not in cli("--no-stream", "q").stderr


def test_length_finish_warns_as_when_streaming(server, cli):
    doc = {
        "id": "l",
        "object": "chat.completion",
        "model": "sonar",
        "created": 1,
        "choices": [
            {
                "index": 0,
                "finish_reason": "length",
                "message": {"role": "assistant", "content": "cut"},
            }
        ],
    }
    server.reply(Reply(body=json.dumps(doc).encode(), content_type="application/json"))
    result = cli("--no-stream", "q")
    assert (result.code, result.stdout) == (0, "cut\n")
    assert "token limit" in result.stderr


@pytest.mark.parametrize(
    "body,words",
    [
        (b"", "empty"),
        (b"<html><title>Bad Gateway</title></html>", "not a JSON document"),
        (b"data: {}\n\n", "not a JSON document"),
        (b"[1, 2]", "not a JSON object"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_exit_8(server, cli, body, words):
    server.reply(Reply(body=body, content_type="application/json"))
    result = cli("--no-stream", "q")
    assert result.code == 8
    assert result.stdout == ""
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_an_error_document_in_a_200_is_reported_with_its_code(server, cli):
    body = b'{"error": {"message": "over quota", "type": "quota", "code": 429}}'
    server.reply(Reply(body=body, content_type="application/json"))
    result = cli("--no-stream", "-f", "json", "q")
    assert result.code == 5
    assert result.stdout == ""  # no answer was received: stderr and the status say it
    assert "over quota" in result.stderr


def test_a_body_cut_short_is_exit_7(server, cli):
    body = STATUS_200_JSON[0].read_bytes()
    server.reply(
        Reply(
            body=body,
            content_type="application/json",
            framing="chunked",
            pieces=[body[:50]],
            fault="close",
        )
    )
    result = cli("--no-stream", "q")
    assert result.code == 7, result.stderr


def test_option_stream_false_is_a_non_streaming_request(server, cli):
    doc = {
        "id": "x",
        "object": "chat.completion",
        "model": "sonar",
        "created": 1,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
        ],
    }
    server.reply(
        Reply(body=json.dumps(doc).encode(), content_type="application/json", framing="length")
    )
    result = cli("-o", "stream=false", "q")
    assert (result.code, result.stdout) == (0, "hi\n")
    assert server.requests[0].headers["accept"] == "application/json"
