"""Every way an Agent API answer ends, streamed (with and without `event:` lines) and not.

The streams are the recorded ones with their final `response.completed` replaced by
another terminal event built from it (same response, another status), so everything
before the end is as the API sent it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from agent_recordings import BODIES, STREAMS, events_of, streamed_text
from replay import Reply

RECORDED = events_of(STREAMS["llm-perplexity"])
ANSWER = streamed_text(RECORDED)
COMPLETED = RECORDED[-1]["data"]
assert COMPLETED["type"] == "response.completed"


def final(status: str, **fields: Any) -> dict[str, Any]:
    """The recorded final response with another status (and fields)."""
    return {**COMPLETED["response"], "status": status, **fields}


def ending(name: str, **data: Any) -> dict[str, Any]:
    return {"event": name, "data": {"type": name, "sequence_number": 99, **data}}


def body(events: list[dict[str, Any]], *, named: bool) -> bytes:
    """The events as SSE: `event:` + `data:` lines as recorded, or `data:` lines alone."""
    blocks = []
    for e in events:
        data = json.dumps(e["data"], separators=(",", ":"))
        blocks.append(f"event: {e['event']}\ndata: {data}\n\n" if named else f"data: {data}\n\n")
    return "".join(blocks).encode()


def serve(server, reply: Reply) -> None:
    """This reply to the next requests (the server repeats its last reply)."""
    server.replies[:] = [reply]


def ask(server, cli, events, *args: str, named: bool = True):
    serve(server, Reply(body=body(events, named=named), split=97))
    result = cli(*args, "q")
    assert server.requests[-1].path == "/v1/agent"
    return result


NAMED = pytest.mark.parametrize("named", [True, False], ids=["event-lines", "data-only"])

# (the event replacing response.completed, exit code, stderr)
FAILURES = {
    "failed": (
        ending(
            "response.failed",
            response=final("failed", error={"message": "model overloaded", "type": "server_error"}),
            error={"message": "model overloaded", "type": "server_error"},
        ),
        6,
        "perplex: error: model overloaded [server_error]\n",
    ),
    "failed-no-reason": (
        ending("response.failed", response=final("failed", error=None)),
        6,
        "perplex: error: the response failed (the API gave no reason)\n",
    ),
    "failed-rate-limited": (
        ending("response.failed", error={"message": "slow down", "code": 429}),
        5,
        "perplex: error: slow down\n",
    ),
    "cancelled": (
        ending("response.cancelled", response=final("cancelled", error=None)),
        6,
        "perplex: error: the response was cancelled\n",
    ),
    "cancelled-status-in-completed": (
        ending("response.completed", response=final("cancelled", error=None)),
        6,
        "perplex: error: the response was cancelled\n",
    ),
    "bare-error": (
        ending("error", error={"message": "upstream reset", "type": "server_error"}),
        6,
        "perplex: error: upstream reset [server_error]\n",
    ),
    "bare-error-flat": (
        ending("error", message="bad request", code=400),
        4,
        "perplex: error: bad request\n",
    ),
}


@NAMED
@pytest.mark.parametrize("case", FAILURES)
def test_a_failed_end_keeps_the_answer_and_gives_the_documented_exit(server, cli, case, named):
    last, code, stderr = FAILURES[case]
    events = [*RECORDED[:-1], last]
    text = ask(server, cli, events, named=named)
    assert (text.code, text.stdout, text.stderr) == (code, ANSWER + "\n", stderr)
    doc = json.loads(ask(server, cli, events, "-f", "json", named=named).stdout)
    assert doc["choices"][0]["message"]["content"] == ANSWER
    assert doc["error"]["message"] == stderr.removeprefix("perplex: error: ").rstrip("\n")
    lines = ask(server, cli, events, "-f", "ndjson", named=named).stdout.splitlines()
    assert [json.loads(line) for line in lines[:-1]] == RECORDED[:-1]
    assert json.loads(lines[-1])["error"]["message"] == doc["error"]["message"]


@NAMED
def test_incomplete_at_max_output_tokens_is_the_token_limit_warning_and_exit_0(server, cli, named):
    last = ending(
        "response.incomplete",
        response=final("incomplete", incomplete_details={"reason": "max_output_tokens"}),
    )
    events = [*RECORDED[:-1], last]
    completed = ask(server, cli, RECORDED, named=named)
    text = ask(server, cli, events, named=named)
    assert (text.code, text.stdout) == (0, completed.stdout)  # the answer and its sources
    assert text.stderr == (
        "perplex: warning: the answer stopped at the token limit "
        "(incomplete: max_output_tokens); raise --max-tokens for more\n"
    )
    assert ask(server, cli, events, "-q", named=named).stderr == ""
    doc = json.loads(ask(server, cli, events, "-f", "json", named=named).stdout)
    assert doc["choices"][0]["finish_reason"] == "length" and "error" not in doc
    lines = ask(server, cli, events, "-f", "ndjson", named=named).stdout.splitlines()
    assert [json.loads(line) for line in lines] == events


def test_incomplete_for_another_reason_keeps_the_answer_with_a_warning_naming_it(server, cli):
    last = ending(
        "response.incomplete",
        response=final("incomplete", incomplete_details={"reason": "content_filter"}),
    )
    result = ask(server, cli, [*RECORDED[:-1], last])
    assert result.code == 0 and result.stdout.startswith(ANSWER + "\n")
    assert result.stderr == "perplex: warning: the answer is incomplete (reason: content_filter)\n"
    doc = json.loads(ask(server, cli, [*RECORDED[:-1], last], "-f", "json").stdout)
    assert doc["choices"][0]["finish_reason"] == "content_filter"


@NAMED
def test_unknown_event_types_are_ignored(server, cli, named):
    odd = [ending("response.unknown", note="x"), ending("response.audio.delta", delta="zz")]
    events = [*RECORDED[:5], *odd, *RECORDED[5:]]
    plain = ask(server, cli, RECORDED, named=named)
    with_odd = ask(server, cli, events, named=named)
    assert (with_odd.code, with_odd.stdout) == (0, plain.stdout)
    lines = ask(server, cli, events, "-f", "ndjson", named=named).stdout.splitlines()
    assert [json.loads(line) for line in lines] == events  # ndjson still shows every event


# --- non-streamed answers: a run that failed still comes with HTTP 200 ---------------------

RECORDED_BODY = BODIES["vercel"]
assert RECORDED_BODY["error"] is None  # a successful body carries error: null too


def no_stream(server, cli, doc: dict[str, Any], *args: str):
    serve(server, Reply(body=json.dumps(doc).encode(), content_type="application/json"))
    result = cli("--no-stream", *args, "q")
    assert server.requests[-1].path == "/v1/agent"
    assert server.requests[-1].json()["stream"] is False
    return result


[RECORDED_MESSAGE] = [i for i in RECORDED_BODY["output"] if i["type"] == "message"]
RECORDED_TEXT = RECORDED_MESSAGE["content"][0]["text"]


@pytest.mark.parametrize(
    "fields,code,message",
    [
        ({"status": "failed"}, 6, "the response failed (the API gave no reason)"),
        (
            {"status": "failed", "error": {"message": "tool crashed", "type": "server_error"}},
            6,
            "tool crashed [server_error]",
        ),
        ({"status": "failed", "error": {"message": "no", "code": 401}}, 3, "no"),
        ({"status": "cancelled"}, 6, "the response was cancelled"),
        ({"status": "cancelled", "output": []}, 6, "the response was cancelled"),
        ({"status": "queued", "output": []}, 8, "the response is not finished (status queued)"),
    ],
)
def test_a_non_streamed_run_that_did_not_complete_is_an_error_with_a_message(
    server, cli, fields, code, message
):
    """The run comes with HTTP 200: its status decides. What it holds is kept, as a cut
    stream's part is: the answer so far on stdout, the document with an error member."""
    doc = {**RECORDED_BODY, **fields}
    shown = RECORDED_TEXT + "\n" if doc["output"] else ""
    text = no_stream(server, cli, doc)
    assert (text.code, text.stdout, text.stderr) == (code, shown, f"perplex: error: {message}\n")
    result = no_stream(server, cli, doc, "-f", "json")
    assert result.code == code
    document = json.loads(result.stdout)
    assert document["id"] == RECORDED_BODY["id"]
    assert document["choices"][0]["message"]["content"] == shown.rstrip("\n")
    assert document["error"]["message"] == message
    lines = no_stream(server, cli, doc, "-f", "ndjson").stdout.splitlines()
    assert json.loads(lines[0]) == doc
    assert json.loads(lines[-1])["error"]["message"] == message


def test_a_non_streamed_completed_body_with_error_null_is_the_answer(server, cli):
    result = no_stream(server, cli, RECORDED_BODY)
    assert result.code == 0, result.stderr
    assert result.stdout.startswith(RECORDED_TEXT + "\n\n[1] ")
    doc = json.loads(no_stream(server, cli, RECORDED_BODY, "-f", "json").stdout)
    assert doc["choices"][0]["message"]["content"] == RECORDED_TEXT


def test_a_non_streamed_incomplete_body_warns_and_succeeds(server, cli):
    doc = {
        **RECORDED_BODY,
        "status": "incomplete",
        "incomplete_details": {"reason": "max_output_tokens"},
    }
    result = no_stream(server, cli, doc)
    assert result.code == 0 and "token limit" in result.stderr
