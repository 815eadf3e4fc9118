"""Agent answers beyond the recordings: failures, ends, citations, non-streamed bodies, errors."""

from __future__ import annotations

import json
import os
import threading
import time

import agent_streams as a
import pytest
from agent_recordings import BODIES, LLM_401, cassette
from replay import Reply

RESULTS = [
    {"id": 1, "url": "https://a.example/1", "title": "First"},
    {"id": 2, "url": "https://b.example/2", "title": "Second"},
]


def ask(server, cli, body: bytes, *args: str):
    server.reply(Reply(body=body, split=11))
    return cli("--api", "agent", *args, "q")


def test_a_failed_response_keeps_the_partial_answer_and_exits_6(server, cli):
    events = [
        *a.answer("Hello ", "wor")[:-1],
        a.event(
            "response.failed", 40, error={"message": "model overloaded", "type": "server_error"}
        ),
    ]
    text = ask(server, cli, a.sse(*events))
    assert (text.code, text.stdout) == (6, "Hello wor\n")
    assert text.stderr == "perplex: error: model overloaded [server_error]\n"
    doc = json.loads(ask(server, cli, a.sse(*events), "-f", "json").stdout)
    assert doc["choices"][0]["message"]["content"] == "Hello wor"
    assert doc["error"] == {"type": "server_error", "message": "model overloaded [server_error]"}
    lines = ask(server, cli, a.sse(*events), "-f", "ndjson").stdout.splitlines()
    assert [json.loads(line)["event"] for line in lines[:-1]] == [n for n, _ in events[:-1]]
    assert json.loads(lines[-1])["error"]["type"] == "server_error"


@pytest.mark.parametrize(
    "name,payload,code",
    [
        (
            "response.failed",
            {"error": {"message": "bad key", "type": "invalid_api_key", "code": 401}},
            3,
        ),
        ("response.failed", {"error": {"message": "slow down", "code": "429"}}, 5),
        ("error", {"error": {"message": "slow down", "type": "rate_limit_exceeded"}}, 5),
        ("error", {"message": "bad request", "code": 400}, 4),
        (
            "response.completed",
            {"response": a.response("failed", error={"message": "it broke"})},
            6,
        ),
        ("response.completed", {"response": a.response("cancelled")}, 6),
    ],
)
def test_errors_in_the_stream_give_the_documented_exit_codes(server, cli, name, payload, code):
    events = [*a.answer("partial")[:-1], a.event(name, 50, **payload)]
    result = ask(server, cli, a.sse(*events))
    assert (result.code, result.stdout) == (code, "partial\n")
    assert result.stderr.startswith("perplex: error:")


def test_a_stream_cut_before_response_completed_is_exit_7_with_the_answer_kept(server, cli):
    result = ask(server, cli, a.sse(*a.answer("Hello ", "world")[:-1]))
    assert (result.code, result.stdout) == (7, "Hello world\n")
    cut = a.sse(*a.answer("Hello ")[:-1]) + b'event: response.output_text.delta\ndata: {"del'
    assert ask(server, cli, cut).code == 7


@pytest.mark.parametrize(
    "body,ctype",
    [(b"", "text/event-stream"), (json.dumps(BODIES["vercel"]).encode(), "application/json")],
)
def test_a_body_with_no_event_is_exit_8(server, cli, body, ctype):
    server.reply(Reply(body=body, content_type=ctype))
    result = cli("--api", "agent", "q")
    assert (result.code, result.stdout) == (8, "")


def test_an_answer_stopped_by_max_output_tokens_warns_and_succeeds(server, cli):
    final = {"incomplete_details": {"reason": "max_output_tokens"}}
    events = a.answer("cut sho", status="incomplete", final=final)
    result = ask(server, cli, a.sse(*events))
    assert (result.code, result.stdout) == (0, "cut sho\n")
    assert "token limit" in result.stderr
    doc = json.loads(ask(server, cli, a.sse(*events), "-f", "json").stdout)
    assert doc["choices"][0]["finish_reason"] == "length"


def test_text_that_only_arrives_in_the_final_response_is_shown(server, cli):
    events = a.answer()
    events[-1][1]["response"]["output"] = [a.message("Only at the end.")]
    assert ask(server, cli, a.sse(*events)).stdout == "Only at the end.\n"


def test_the_final_text_is_authoritative_for_json_when_deltas_went_missing(server, cli):
    events = a.answer("Hello ", "wrld")
    events[-1][1]["response"]["output"] = [a.message("Hello world")]
    assert ask(server, cli, a.sse(*events)).stdout == "Hello wrld\n"
    doc = json.loads(ask(server, cli, a.sse(*events), "-f", "json").stdout)
    assert doc["choices"][0]["message"]["content"] == "Hello world"


def test_events_without_an_event_line_are_named_by_their_type(server, cli):
    body = (
        b"".join(
            b"data: " + json.dumps(data).encode() + b"\n\n"
            for _, data in a.answer("typed", results=RESULTS)
        )
        + b"data: [DONE]\n\n"
    )
    result = ask(server, cli, body)
    assert (
        result.stdout
        == "typed\n\n[1] First - https://a.example/1\n[2] Second - https://b.example/2\n"
    )


def test_url_citation_annotations_are_listed_after_the_search_results(server, cli):
    note = {
        "type": "url_citation",
        "url": "https://c.example/3",
        "title": "Third",
        "start_index": 0,
        "end_index": 4,
    }
    events = a.answer("See [1].", results=RESULTS)
    events[-1][1]["response"]["output"][-1] = a.message("See [1].", [note])
    result = ask(server, cli, a.sse(*events))
    assert result.stdout.endswith(
        "[2] Second - https://b.example/2\n[3] Third - https://c.example/3\n"
    )
    assert ask(server, cli, a.sse(*events), "--no-citations").stdout == "See [1].\n"


def test_the_recorded_401_is_exit_3_with_the_api_message(server, cli):
    recorded = cassette(LLM_401)["response"]
    server.reply(
        Reply(
            status=recorded["status"]["code"],
            body=recorded["body"]["string"].encode(),
            content_type="application/json",
        )
    )
    result = cli("--api", "agent", "q")
    assert result.code == 3
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == (
        "perplex: error: Invalid API key provided. Ensure your API key is correct and active. "
        "[invalid_api_key] (HTTP 401)"
    )


def no_stream(server, cli, doc: dict, *args: str):
    """`perplex --api agent --no-stream ARGS q` against a server answering with `doc`."""
    server.reply(Reply(body=json.dumps(doc).encode(), content_type="application/json"))
    result = cli("--api", "agent", "--no-stream", *args, "q")
    assert server.requests[-1].json()["stream"] is False
    return result


@pytest.mark.parametrize("name", BODIES)
def test_a_non_streamed_response_maps_to_the_same_document(server, cli, name):
    body = BODIES[name]
    [message] = [item for item in body["output"] if item["type"] == "message"]
    [search] = [item for item in body["output"] if item["type"] == "search_results"]
    text = message["content"][0]["text"]
    result = no_stream(server, cli, body, "-f", "json")
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["id"], doc["model"], doc["object"]) == (
        body["id"],
        body["model"],
        "chat.completion",
    )
    assert doc["choices"][0] == {
        "index": 0,
        "message": {"role": "assistant", "content": text},
        "finish_reason": "stop",
    }
    assert doc["citations"] == [r["url"] for r in search["results"]]
    assert doc["search_results"] == search["results"]
    assert doc["usage"]["prompt_tokens"] == body["usage"]["input_tokens"]
    assert doc["usage"]["reasoning_tokens"] == 0
    assert doc["usage"]["cost"]["total_cost"] == body["usage"]["cost"]["total_cost"]
    plain = no_stream(server, cli, body, "--plain", "--no-citations")
    assert plain.stdout.rstrip("\n") == text.rstrip("\n")


@pytest.mark.parametrize("error,code", [({"message": "nope", "code": 401}, 3), (None, 6)])
def test_a_failed_non_streamed_response_reports_its_error(server, cli, error, code):
    failed = dict(BODIES["vercel"], status="failed", error=error)
    result = no_stream(server, cli, failed, "-f", "json")
    assert result.code == code
    assert json.loads(result.stdout)["error"]["type"] in ("authentication_error", "server_error")


def test_each_delta_is_on_stdout_before_the_next_is_sent(server, spawn):
    # close-delimited gzip is the framing that buffers when read the wrong way (docs/decisions.md).
    tokens = [f"tok{i} " for i in range(4)]
    pieces = [a.sse(e) for e in a.answer(*tokens)]
    server.reply(Reply(pieces=pieces, delay=0.2, framing="close", gzip=True))
    proc = spawn("--api", "agent", "q")
    seen: list[tuple[float, bytes]] = []

    def read() -> None:
        while data := os.read(proc.stdout.fileno(), 65536):
            seen.append((time.monotonic(), data))

    reader = threading.Thread(target=read)
    reader.start()
    proc.wait(timeout=30)
    reader.join()
    assert proc.returncode == 0, proc.stderr.read()
    sent = [t for t, piece in server.writes if piece]  # piece 0: created, i + 1: delta i
    for i, token in enumerate(tokens[:-1]):
        assert first_seen(seen, token.encode()) < sent[i + 2], f"delta {i} was held back"


def first_seen(reads: list[tuple[float, bytes]], wanted: bytes) -> float:
    """When `wanted` was first complete on stdout."""
    total = b""
    for at, data in reads:
        total += data
        if wanted in total:
            return at
    raise AssertionError(f"{wanted!r} never arrived")


def test_json_content_is_the_answer_and_the_reasoning_events_are_its_reasoning(server, cli):
    events = a.answer("The answer [1].", results=RESULTS)
    events.insert(1, a.event("response.reasoning.search_queries", 2, queries=["magnets"]))
    doc = json.loads(ask(server, cli, a.sse(*events), "-f", "json").stdout)
    message = doc["choices"][0]["message"]
    assert message["content"] == "The answer [1]."
    assert message["reasoning"] == "Searching the web\n  magnets\nFound\n"
    lines = ask(server, cli, a.sse(*events), "-f", "ndjson").stdout.splitlines()
    assert [json.loads(line)["event"] for line in lines] == [n for n, _ in events]


def test_json_of_an_agent_answer_without_reasoning_events_has_no_reasoning(server, cli):
    doc = json.loads(ask(server, cli, a.sse(*a.answer("Plain.")), "-f", "json").stdout)
    assert doc["choices"][0]["message"] == {"role": "assistant", "content": "Plain."}
