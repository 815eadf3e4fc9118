"""An answer that fails part-way keeps everything received, in every format.

Each fault is injected by the local server after two events ("Hello ", "world"). The
contract (docs/failures.md): text keeps what was printed and ends the line;
json is the partial document plus "error": {"type", "message"}; ndjson ends with
{"error": {...}}; stderr is exactly one line; nothing is retried once the answer started.
"""

from __future__ import annotations

import json

import pytest
from replay import Reply
from streams import answer, chunk, sse

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings

RECEIVED = [chunk("Hello "), chunk("world")]
EVENTS = [sse(c) for c in RECEIVED]
TRUNCATED = b'data: {"id":"synthetic-1","choices":[{"delta":{"content":" and mo'

# fault name -> (reply, extra argv, exit code, error type, words of the stderr line)
FAULTS = {
    "reset": (Reply(pieces=EVENTS, fault="reset"), [], 7, "cut_stream", "connection reset"),
    "chunked-closed-early": (
        Reply(pieces=EVENTS, framing="chunked", fault="close"),
        [],
        7,
        "cut_stream",
        "ended early",
    ),
    "close-delimited-ended": (
        Reply(pieces=EVENTS, framing="close"),
        [],
        7,
        "cut_stream",
        "before the answer was complete",
    ),
    "length-body-complete-answer-not": (
        Reply(pieces=EVENTS, framing="length"),
        [],
        7,
        "cut_stream",
        "before the answer was complete",
    ),
    "length-body-short": (
        Reply(pieces=EVENTS, framing="length", declared_length=5000),
        [],
        7,
        "cut_stream",
        "ended early",
    ),
    "truncated-last-event": (
        Reply(pieces=[*EVENTS, TRUNCATED], framing="close"),
        [],
        7,
        "cut_stream",
        "in the middle of an event",
    ),
    "truncated-last-event-gzip": (
        Reply(pieces=[*EVENTS, TRUNCATED], framing="chunked", gzip=True),
        [],
        7,
        "cut_stream",
        "in the middle of an event",
    ),
    "stall": (
        Reply(pieces=EVENTS, fault="stall", stall=5),
        ["--timeout", "0.2"],
        7,
        "cut_stream",
        "no data from the server for 0.2 s",
    ),
    "event-not-json": (
        Reply(pieces=[*EVENTS, sse("{not json"), sse(*answer("more"))]),
        [],
        8,
        "protocol_error",
        "not valid JSON",
    ),
    "event-not-a-chunk": (
        Reply(pieces=[*EVENTS, sse('{"choices": "nope"}')]),
        [],
        8,
        "protocol_error",
        "an event has a field of the wrong type",
    ),
}


def stderr_line(result) -> str:
    lines = result.stderr.splitlines()
    assert "Traceback" not in result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("perplex: error: ")
    return lines[0]


def run_fault(server, cli, fault: str, fmt: str):
    """Inject the fault, run the CLI in fmt; check the exit code and that nothing was retried."""
    reply, args, code, kind, words = FAULTS[fault]
    server.reply(reply)
    result = cli("-f", fmt, *args, "q")
    assert result.code == code
    assert len(server.requests) == 1  # never retried once the answer started
    return result, kind, words


@pytest.mark.parametrize("fault", FAULTS)
def test_text_keeps_what_was_printed_and_ends_the_line(server, cli, fault):
    result, _, words = run_fault(server, cli, fault, "text")
    assert result.stdout == "Hello world\n"
    assert words in stderr_line(result)


@pytest.mark.parametrize("fault", FAULTS)
def test_json_is_the_partial_document_with_an_error_member(server, cli, fault):
    result, kind, words = run_fault(server, cli, fault, "json")
    doc = json.loads(result.stdout)
    assert doc["object"] == "chat.completion"
    assert doc["choices"][0]["message"]["content"] == "Hello world"
    assert doc["choices"][0]["finish_reason"] is None
    assert doc["usage"] == RECEIVED[-1]["usage"]
    assert doc["error"]["type"] == kind
    assert words in doc["error"]["message"]
    assert doc["error"]["message"] in stderr_line(result)


@pytest.mark.parametrize("fault", FAULTS)
def test_ndjson_is_every_chunk_received_then_an_error_line(server, cli, fault):
    result, kind, words = run_fault(server, cli, fault, "ndjson")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[:-1] == RECEIVED
    assert lines[-1] == {"error": {"type": kind, "message": lines[-1]["error"]["message"]}}
    assert words in lines[-1]["error"]["message"]
    assert lines[-1]["error"]["message"] in stderr_line(result)


def test_stall_closes_the_connection_instead_of_waiting_for_the_server(server, cli):
    server.reply(Reply(pieces=EVENTS, fault="stall", stall=5))
    result = cli("--timeout", "0.2", "q")
    assert result.code == 7
    assert server.closed_early.wait(2), "the client kept the stalled connection open"


def test_a_break_after_the_answer_is_complete_is_success(server, cli):
    server.reply(Reply(pieces=[sse(c) for c in answer("Hello", " world")], fault="reset"))
    result = cli("q")
    assert (result.code, result.stdout, result.stderr) == (0, "Hello world\n", "")


def test_invalid_utf8_is_replaced_and_the_answer_goes_on_in_every_format(server, cli):
    body = sse(*answer("caf\u00e9", " ok")).replace("caf\u00e9".encode(), b"caf\xc3(")
    server.reply(Reply(body=body, split=3))
    assert cli("q").stdout == "caf\ufffd( ok\n"
    doc = json.loads(cli("-f", "json", "q").stdout)
    assert doc["choices"][0]["message"]["content"] == "caf\ufffd( ok"
    assert "error" not in doc
    assert cli("-f", "ndjson", "q").code == 0


@pytest.mark.parametrize("fmt", ["text", "json", "ndjson"])
@pytest.mark.parametrize(
    "body,content_type,first_line",
    [
        (b"<html>\n<head><title>Bad Gateway</title></head>\n</html>\n", "text/html", "<html>"),
        (
            b'{"error":{"message":"nope","code":500}}',
            "application/json",
            '{"error":{"message":"nope"',
        ),
        (b"", "text/event-stream", "empty"),
        (
            b"Service temporarily unavailable\r\nplease retry\r\n",
            "text/plain",
            "Service temporarily unavailable",
        ),
    ],
    ids=["html", "json-error", "empty", "plain-text"],
)
def test_a_200_body_with_no_event_is_exit_8_quoting_its_first_line(
    server, cli, fmt, body, content_type, first_line
):
    server.reply(Reply(body=body, content_type=content_type))
    result = cli("-f", fmt, "q")
    assert result.code == 8
    assert result.stdout == ""  # nothing was received, so there is no partial answer
    assert first_line in stderr_line(result)
    assert "please retry" not in result.stderr
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    "error,code,kind",
    [
        ({"message": "model overloaded", "code": 503}, 6, "server_error"),
        ({"message": "slow down", "code": 429}, 5, "rate_limited"),
        ({"message": "bad field", "code": 400}, 4, "api_error"),
    ],
)
def test_an_error_object_inside_the_stream_exits_by_its_code(server, cli, error, code, kind):
    server.reply(Reply(pieces=[*EVENTS, sse(json.dumps({"error": error}))]))
    result = cli("-f", "json", "q")
    assert result.code == code
    doc = json.loads(result.stdout)
    assert doc["choices"][0]["message"]["content"] == "Hello world"
    assert doc["error"] == {"type": kind, "message": error["message"]}
    assert stderr_line(result) == f"perplex: error: {error['message']}"
    assert len(server.requests) == 1
