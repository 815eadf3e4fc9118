"""Every recorded Agent API stream, in every framing, decodes exactly in every format."""

from __future__ import annotations

import json

import pytest
from agent_recordings import STREAMS, events_of, expected_text, final_response, of_type, sources
from replay import Reply
from test_ask_stream import FRAMINGS

CASES = [(name, framing) for name in STREAMS for framing in FRAMINGS]


def ask_agent(server, cli, name: str, framing: str, *args: str):
    server.reply(Reply(body=STREAMS[name], **FRAMINGS[framing]))
    result = cli("--api", "agent", *args, "why")
    assert result.code == 0, result.stderr
    assert server.requests[-1].path == "/v1/agent"
    return result


@pytest.mark.parametrize("name,framing", CASES)
def test_text_is_the_answer_then_the_sources_numbered_like_the_markers(server, cli, name, framing):
    result = ask_agent(server, cli, name, framing)
    assert result.stdout == expected_text(events_of(STREAMS[name]))


@pytest.mark.parametrize("name,framing", CASES)
def test_ndjson_is_every_event_with_its_name(server, cli, name, framing):
    result = ask_agent(server, cli, name, framing, "-f", "ndjson")
    assert [json.loads(line) for line in result.stdout.splitlines()] == events_of(STREAMS[name])


@pytest.mark.parametrize("name,framing", CASES)
def test_json_is_the_chat_completion_document(server, cli, name, framing):
    result = ask_agent(server, cli, name, framing, "-f", "json")
    doc = json.loads(result.stdout)
    events = events_of(STREAMS[name])
    final = final_response(events)
    listed = sources(events)
    assert doc["object"] == "chat.completion"
    assert doc["id"] == final["id"]
    assert doc["model"] == final["model"] != "fast"  # the model that answered, not the preset
    assert (
        doc["choices"][0]["message"]["content"]
        == of_type(events, "response.output_text.done")[0]["text"]
    )
    assert doc["choices"][0]["finish_reason"] == "stop"
    assert doc["citations"] == [r["url"] for r in listed]
    assert doc["search_results"] == listed
    usage = final["usage"]
    assert doc["usage"]["prompt_tokens"] == usage["input_tokens"]
    assert doc["usage"]["completion_tokens"] == usage["output_tokens"]
    assert doc["usage"]["total_tokens"] == usage["total_tokens"]
    assert doc["usage"]["cost"] == usage["cost"]
    assert "error" not in doc


@pytest.mark.parametrize("name", STREAMS)
def test_sources_repeated_three_times_are_listed_once(server, cli, name):
    doc = json.loads(ask_agent(server, cli, name, "chunked", "-f", "json").stdout)
    assert len(doc["citations"]) == len(set(doc["citations"])) == 10


def test_the_inline_marker_names_the_source_listed_under_its_number(server, cli):
    result = ask_agent(server, cli, "vercel", "chunked")
    answer, _, listing = result.stdout.partition("\n\n")
    assert answer.endswith("[7]")
    assert (
        "[7] TypeScript: JavaScript With Syntax For Types. - https://www.typescriptlang.org/"
        in (listing.splitlines())
    )


def test_search_progress_goes_to_stderr_with_reasoning_only(server, cli):
    result = ask_agent(server, cli, "llm-perplexity", "chunked", "--reasoning")
    assert "Searching the web...\n  What is the capital of France? One sentence.\n" in result.stderr
    assert "Found 10 results" in result.stderr
    assert "Searching" not in result.stdout
    assert ask_agent(server, cli, "llm-perplexity", "chunked").stderr == ""


@pytest.mark.parametrize("name", STREAMS)
def test_ndjson_writes_each_compact_event_as_it_came_in_its_envelope(server, cli, name):
    # Each line is {"event": NAME, "data": <the event's data, byte for byte>}: no re-encoding.
    result = ask_agent(server, cli, name, "chunked", "-f", "ndjson")
    body = STREAMS[name].decode("utf-8").replace("\r\n", "\n")
    expected = [
        '{"event":' + json.dumps(e["event"]) + ',"data":' + line[len("data: ") :] + "}"
        for e, line in zip(
            events_of(STREAMS[name]),
            [x for x in body.split("\n") if x.startswith("data: ")],
            strict=True,
        )
    ]
    assert result.stdout.splitlines() == expected


def test_ndjson_re_encodes_agent_events_that_are_not_compact(server, cli):
    events = [(e["event"], e["data"]) for e in events_of(STREAMS["llm-perplexity"])]
    body = "".join(f"event: {n}\ndata: {json.dumps(d)}\n\n" for n, d in events).encode()
    assert b'": ' in body
    server.reply(Reply(body=body))
    lines = cli("--api", "agent", "-f", "ndjson", "q").stdout.splitlines()
    assert [json.loads(line) for line in lines] == [{"event": n, "data": d} for n, d in events]
    assert all('": ' not in line and ', "' not in line for line in lines)
