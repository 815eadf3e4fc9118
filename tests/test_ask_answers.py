"""Answer shapes the pipeline must handle: reasoning blocks, metadata, ends, warnings."""

from __future__ import annotations

import json

import pytest
from replay import Reply
from streams import answer, chunk, sse

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings

SOURCES = dict(
    citations=["https://a.example/1", "https://b.example/2"],
    search_results=[
        {"title": "First", "url": "https://a.example/1"},
        {"title": "Second", "url": "https://b.example/2"},
    ],
)


@pytest.mark.parametrize(
    "parts",
    [
        ["<think>plan it</think>\n\nThe answer."],
        ["<thi", "nk>plan", " it</th", "ink>", "\n\nThe ", "answer."],
        ["<", "t", "h", "i", "n", "k", ">", "plan it", "<", "/", "think>The answer."],
        ["\n<think>", "plan it", "</think>", "The answer."],
    ],
)
def test_reasoning_is_split_out_even_when_tags_are_cut(server, cli, parts):
    server.reply(Reply(body=sse(*answer(*parts)), split=5))
    result = cli("--reasoning", "q")
    assert result.stdout == "The answer.\n"
    assert "plan it" in result.stderr
    quiet = cli("q")
    assert quiet.stdout == "The answer.\n"
    assert "plan it" not in quiet.stderr


def test_unclosed_reasoning_block_never_reaches_stdout(server, cli):
    server.reply(Reply(body=sse(*answer("<think>still thinking", " and more"))))
    result = cli("--reasoning", "q")
    assert result.code == 0
    assert result.stdout == ""
    assert "still thinking and more" in result.stderr


def test_json_content_is_the_answer_and_the_think_block_is_its_reasoning(server, cli):
    server.reply(Reply(body=sse(*answer("<think>x</think>", "Answer"))))
    doc = json.loads(cli("-f", "json", "q").stdout)
    assert doc["choices"][0]["message"] == {
        "role": "assistant",
        "content": "Answer",
        "reasoning": "x",
    }


def test_json_content_without_reasoning_is_the_content_as_the_api_produced_it(server, cli):
    server.reply(Reply(body=sse(*answer("\n Use the ", "<think> tag ", "like </think> this."))))
    message = json.loads(cli("-f", "json", "q").stdout)["choices"][0]["message"]
    assert message == {"role": "assistant", "content": "\n Use the <think> tag like </think> this."}


def test_an_answer_about_think_tags_is_printed_as_is(server, cli):
    server.reply(Reply(body=sse(*answer("Use the ", "<think> tag ", "like </think> this."))))
    assert cli("q").stdout == "Use the <think> tag like </think> this.\n"


def test_sources_are_numbered_in_citation_order_with_titles(server, cli):
    server.reply(Reply(body=sse(*answer("See [1] and [2].", **SOURCES))))
    assert cli("q").stdout == (
        "See [1] and [2].\n\n[1] First - https://a.example/1\n[2] Second - https://b.example/2\n"
    )
    assert cli("--no-citations", "q").stdout == "See [1] and [2].\n"


def test_metadata_keeps_the_last_non_empty_value(server, cli):
    chunks = [
        chunk("a", citations=["https://x"], images=[{"image_url": "i"}]),
        chunk("b", citations=[], related_questions=["why?"]),
        chunk("", finish="stop", obj="chat.completion.done"),
    ]
    server.reply(Reply(body=sse(*chunks)))
    doc = json.loads(cli("-f", "json", "q").stdout)
    assert doc["citations"] == ["https://x"]
    assert doc["images"] == [{"image_url": "i"}]
    assert doc["related_questions"] == ["why?"]


def test_usage_chunk_after_finish_reason_is_kept(server, cli):
    late = chunk(
        "",
        usage={
            "prompt_tokens": 1,
            "completion_tokens": 2,
            "total_tokens": 3,
            "cost": {"total_cost": 0.5},
        },
    )
    late["choices"] = []
    server.reply(Reply(body=sse(chunk("hi"), chunk("", finish="stop"), late, "[DONE]")))
    doc = json.loads(cli("-f", "json", "q").stdout)
    assert doc["usage"]["cost"]["total_cost"] == 0.5


def test_done_marker_completes_an_answer_without_finish_reason(server, cli):
    server.reply(Reply(body=sse(chunk("hello"), "[DONE]")))
    result = cli("q")
    assert (result.code, result.stdout) == (0, "hello\n")


def test_length_finish_warns_on_stderr(server, cli):
    server.reply(Reply(body=sse(*answer("partial", finish="length"))))
    result = cli("q")
    assert result.code == 0
    assert result.stdout == "partial\n"
    assert "token limit" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_invalid_utf8_inside_an_event_is_replaced_and_the_answer_goes_on(server, cli):
    body = sse(*answer("caf\u00e9", " ok")).replace("caf\u00e9".encode(), b"caf\xff")
    server.reply(Reply(body=body))
    result = cli("q")
    assert (result.code, result.stdout) == (0, "caf\ufffd ok\n")


def test_cut_stream_keeps_what_arrived_and_exits_7(server, cli):
    server.reply(Reply(body=sse(chunk("Hello "), chunk("world"))))
    result = cli("q")
    assert result.code == 7
    assert result.stdout == "Hello world\n"
    assert result.stderr.startswith("perplex: error:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_cut_stream_in_json_and_ndjson_carries_the_error(server, cli):
    server.reply(Reply(body=sse(chunk("Hello ")) + b'data: {"id":"x","cho'))
    doc = json.loads(cli("-f", "json", "q").stdout)
    assert doc["choices"][0]["message"]["content"] == "Hello "
    assert doc["error"]["type"] == "cut_stream"
    lines = cli("-f", "ndjson", "q").stdout.splitlines()
    assert json.loads(lines[0])["choices"][0]["delta"]["content"] == "Hello "
    assert "error" in json.loads(lines[-1]) and len(lines) == 2


@pytest.mark.parametrize(
    "body,content_type",
    [
        (b"<html><head><title>Bad Gateway</title></head></html>", "text/html"),
        (b'{"error":{"message":"nope"}}', "application/json"),
        (b"", "text/event-stream"),
    ],
)
def test_a_body_with_no_event_is_not_a_stream(server, cli, body, content_type):
    server.reply(Reply(body=body, content_type=content_type))
    result = cli("q")
    assert result.code == 8
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_complete_event_that_is_not_json_is_exit_8(server, cli):
    server.reply(Reply(body=sse(chunk("ok "), "{not json")))
    result = cli("q")
    assert result.code == 8
    assert result.stdout == "ok \n"


@pytest.mark.parametrize("pad", [(" ", ""), ("", "  "), ("\t", " ")])
def test_an_event_padded_with_whitespace_is_still_json(server, cli, pad):
    before, after = pad
    body = b"".join(
        b"data: " + before.encode() + json.dumps(c).encode() + after.encode() + b"\n\n"
        for c in answer("padded")
    )
    server.reply(Reply(body=body))
    result = cli("q")
    assert (result.code, result.stdout) == (0, "padded\n")


def test_an_event_with_data_after_the_json_is_exit_8(server, cli):
    server.reply(Reply(body=sse(chunk("ok "), '{"a":1} {"b":2}')))
    result = cli("q")
    assert result.code == 8
    assert "not valid JSON" in result.stderr
