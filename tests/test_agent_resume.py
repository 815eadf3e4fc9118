"""A broken Agent API stream is resumed where it stopped, in every format.

The local server replays a recorded stream, breaks it after N events, and serves the rest
from `starting_after` (sending two events the client has already, which must be skipped);
or answers the reconnect with 400 and then the stored response, or with 404. The output
must be exactly what the same recording prints when nothing breaks.
"""

from __future__ import annotations

import json
import os
import select
import signal
import threading
import time

import pytest
from agent_recordings import STREAMS, events_of, expected_text, final_response, streamed_text
from conftest import SENTINEL_KEY
from replay import Reply
from resumable import Resumable, in_progress
from test_signals_and_pipes import default_sigint, wait_for

FORMATS = ("text", "json", "ndjson")
LLM = "llm-perplexity"
BROKE = "the connection broke: the body ended early"


def notice(attempt: int, of: int, reason: str = BROKE) -> str:
    return f"perplex: reconnecting (attempt {attempt} of {of}): {reason}\n"


_uncut: dict[tuple[str, str], str] = {}


def uncut(server, cli, name: str, fmt: str) -> str:
    """What the CLI prints for the whole recording, unbroken (run once per case)."""
    if (name, fmt) not in _uncut:
        server.respond = None
        server.reply(Reply(body=STREAMS[name]))
        result = cli("--api", "agent", "-f", fmt, "--no-log", "q")
        assert result.code == 0, result.stderr
        _uncut[name, fmt] = result.stdout
    return _uncut[name, fmt]


def ask(server, cli, side: Resumable, fmt: str, *args: str):
    server.respond = side
    return cli("--api", "agent", "-f", fmt, *args, "q")


def logged(cli) -> dict:
    result = cli("logs", "-n", "1", "-f", "json")
    assert result.code == 0, result.stderr
    [entry] = json.loads(result.stdout)
    return entry


def reconnects(server) -> list[str]:
    return [r.path for r in server.requests if r.method == "GET"]


def cut_points(name: str) -> list[int]:
    """After response.created, after the search results, after the first delta, in the
    middle of the deltas, and just before response.completed."""
    names = [e["event"] for e in events_of(STREAMS[name])]
    first = names.index("response.output_text.delta")
    deltas = names.count("response.output_text.delta")
    return [1, first - 1, first + 1, first + deltas // 2, len(names) - 1]


CUTS = [(name, n) for name in STREAMS for n in cut_points(name)]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name,n", CUTS)
def test_a_broken_stream_goes_on_from_the_last_event_as_if_unbroken(server, cli, name, n, fmt):
    expected = uncut(server, cli, name, fmt)
    side = Resumable(STREAMS[name], cuts=[n])
    result = ask(server, cli, side, fmt)
    assert (result.code, result.stdout, result.stderr) == (0, expected, notice(1, 2))
    last = side.numbers[n - 1]
    assert reconnects(server) == [f"/v1/agent/{side.id}?stream=true&starting_after={last}"]
    entry = logged(cli)
    assert entry["status"] == "ok" and entry["error"] is None
    assert entry["answer"] == streamed_text(events_of(STREAMS[name]))
    assert entry["response_id"] == side.id


FAULTS = {
    "reset": ([], "the connection broke: connection reset by the server"),
    "chunked-close": ([], BROKE),
    "eof": ([], "the stream ended before the answer was complete"),
    "truncated": ([], "the stream ended in the middle of an event; the answer is incomplete"),
    "stall": (["--timeout", "0.3"], "no data from the server for 0.3 s"),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("fault", FAULTS)
def test_every_kind_of_break_is_resumed(server, cli, fault, fmt):
    args, reason = FAULTS[fault]
    expected = uncut(server, cli, "vercel", fmt)
    side = Resumable(STREAMS["vercel"], cuts=[20], fault=fault)
    result = ask(server, cli, side, fmt, *args)
    assert (result.code, result.stdout, result.stderr) == (0, expected, notice(1, 2, reason))
    [path] = reconnects(server)
    last = int(path.rsplit("=", 1)[1])
    # A reset may discard what the client had not read yet: it resumes from what it read.
    assert last == side.numbers[19] or (fault == "reset" and last in side.numbers[:19])
    if fault == "stall":
        assert server.closed_early.wait(2), "the stalled connection was kept open"


def test_every_break_of_one_answer_takes_one_attempt_of_the_retries(server, cli):
    expected = uncut(server, cli, "vercel", "ndjson")
    side = Resumable(STREAMS["vercel"], cuts=[5, 10, 10])  # cut thrice: 3 attempts of 3
    result = ask(server, cli, side, "ndjson", "--retries", "3")
    assert (result.code, result.stdout) == (0, expected)
    assert result.stderr == notice(1, 3) + notice(2, 3) + notice(3, 3)
    assert len(reconnects(server)) == 3


def test_reconnects_refused_until_the_budget_is_spent_say_the_last_refusal(server, cli):
    side = Resumable(STREAMS[LLM], cuts=[10], refuse=[503, 503])
    result = ask(server, cli, side, "text")
    refusal = "test refusal 503 [invalid_request] (HTTP 503)"
    assert result.code == 7
    assert result.stderr == (
        notice(1, 2)
        + notice(2, 2, refusal)
        + f"perplex: error: {BROKE}; gave up after 2 reconnect attempts (the last: {refusal})\n"
    )


def test_a_reconnect_that_fails_is_tried_again_within_the_budget(server, cli):
    expected = uncut(server, cli, LLM, "text")
    side = Resumable(STREAMS[LLM], cuts=[9], refuse=[503])
    result = ask(server, cli, side, "text")
    assert (result.code, result.stdout) == (0, expected)
    assert result.stderr == notice(1, 2) + notice(
        2, 2, "test refusal 503 [invalid_request] (HTTP 503)"
    )


def test_quiet_resumes_without_a_word(server, cli):
    expected = uncut(server, cli, LLM, "text")
    result = ask(server, cli, Resumable(STREAMS[LLM], cuts=[9]), "text", "-q")
    assert (result.code, result.stdout, result.stderr) == (0, expected, "")


def test_the_reconnect_carries_the_key_and_debug_shows_it_masked(server, cli):
    side = Resumable(STREAMS[LLM], cuts=[9])
    result = ask(server, cli, side, "text", "--debug")
    assert result.code == 0
    [get] = [r for r in server.requests if r.method == "GET"]
    assert get.headers["authorization"] == f"Bearer {SENTINEL_KEY}"
    url = f"{server.url}/v1/agent/{side.id}?stream=true&starting_after={side.numbers[8]}"
    assert f"> GET {url}\n" in result.stderr
    assert "> Authorization: Bearer ***\n" in result.stderr
    assert SENTINEL_KEY not in result.stdout + result.stderr


# The stored response: 400 on the reconnect, then in_progress, then the finished run.


def stored_side(name: str, n: int, final: dict | None = None) -> Resumable:
    done = final_response(events_of(STREAMS[name]))
    return Resumable(
        STREAMS[name], cuts=[n], refuse=[400], stored=[in_progress(done), final or done]
    )


EXPIRED = (
    "perplex: the stream cannot be resumed (test refusal 400 [invalid_request] (HTTP 400)); "
    "reading the stored response\n"
)


def answer_of(stdout: str, fmt: str) -> object:
    """The output, but for json's message.reasoning: that is the reasoning events that
    streamed before the cut, and the stored response that finishes the answer has none."""
    if fmt != "json":
        return stdout
    doc = json.loads(stdout)
    doc["choices"][0]["message"].pop("reasoning", None)
    return doc


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("name,n", CUTS)
def test_an_expired_cursor_finishes_the_answer_from_the_stored_response(server, cli, name, n, fmt):
    expected = answer_of(uncut(server, cli, name, fmt), fmt)
    side = stored_side(name, n)
    result = ask(server, cli, side, fmt)
    assert (result.code, answer_of(result.stdout, fmt), result.stderr) == (
        0,
        expected,
        notice(1, 2) + EXPIRED,
    )
    assert reconnects(server)[1:] == [f"/v1/agent/{side.id}"] * 2  # in_progress, then done
    entry = logged(cli)
    assert entry["status"] == "ok"
    assert entry["answer"] == streamed_text(events_of(STREAMS[name]))


@pytest.mark.parametrize("name,n", CUTS)
def test_an_expired_cursor_gives_ndjson_the_stored_response_as_the_final_event(
    server, cli, name, n
):
    events = events_of(STREAMS[name])
    result = ask(server, cli, stored_side(name, n), "ndjson")
    assert result.code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    final = {"type": "response.completed", "response": final_response(events)}
    assert lines == [*events[:n], {"event": "response.completed", "data": final}]


def test_a_stored_text_that_does_not_continue_the_printed_one_follows_on_its_own_line(server, cli):
    done = final_response(events_of(STREAMS[LLM]))
    message = next(item for item in done["output"] if item["type"] == "message")
    other = json.loads(json.dumps(done))
    other_text = "A different answer."
    next(i for i in other["output"] if i["type"] == "message")["content"][0]["text"] = other_text
    result = ask(server, cli, stored_side(LLM, 10, other), "json")
    assert json.loads(result.stdout)["choices"][0]["message"]["content"] == other_text
    result = ask(server, cli, stored_side(LLM, 10, other), "text")
    printed = streamed_text(events_of(STREAMS[LLM])[:10])
    assert printed and not message["content"][0]["text"].startswith(other_text)
    assert result.stdout.startswith(f"{printed}\n{other_text}\n\n[1] ")


# What cannot be resumed ends as a cut answer: everything received kept, exit 7.


def partial_checks(result, name: str, n: int, fmt: str, words: str) -> None:
    events = events_of(STREAMS[name])
    assert result.code == 7
    error_line = result.stderr.splitlines()[-1]
    assert error_line.startswith(f"perplex: error: {BROKE}; ") and words in error_line
    text = streamed_text(events[:n])
    if fmt == "text":
        assert result.stdout == text + "\n"
    elif fmt == "json":
        doc = json.loads(result.stdout)
        assert doc["choices"][0]["message"]["content"] == text
        assert doc["error"]["type"] == "cut_stream" and words in doc["error"]["message"]
    else:
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        assert lines[:-1] == events[:n]
        assert words in lines[-1]["error"]["message"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_response_404_keeps_the_partial_answer_exit_7(server, cli, fmt):
    side = Resumable(STREAMS[LLM], cuts=[10], refuse=[404])
    result = ask(server, cli, side, fmt)
    partial_checks(result, LLM, 10, fmt, "the answer cannot be resumed: test refusal 404")
    assert result.stderr.startswith(notice(1, 2))
    assert len(reconnects(server)) == 1  # a 404 is final
    entry = logged(cli)
    assert entry["status"] == "partial" and "HTTP 404" in entry["error"]
    assert entry["answer"] == streamed_text(events_of(STREAMS[LLM])[:10])


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("status", ["failed", "cancelled"])
def test_a_run_that_ended_failed_or_cancelled_keeps_the_partial_answer_exit_7(
    server, cli, fmt, status
):
    done = final_response(events_of(STREAMS[LLM]))
    ended = {**done, "status": status, "error": {"message": "the model gave up"}}
    result = ask(server, cli, stored_side(LLM, 10, ended), fmt)
    partial_checks(result, LLM, 10, fmt, f"the response ended {status}: the model gave up")
    assert logged(cli)["status"] == "partial"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_spent_retry_budget_keeps_the_partial_answer_exit_7(server, cli, fmt):
    side = Resumable(STREAMS[LLM], cuts=[10, 2, 2])  # each reconnect breaks in the resent events
    result = ask(server, cli, side, fmt)
    partial_checks(result, LLM, 10, fmt, "gave up after 2 reconnect attempts")
    assert result.stderr.splitlines()[-1].endswith("attempts")
    assert result.stderr.startswith(notice(1, 2) + notice(2, 2))
    assert len(reconnects(server)) == 2


def test_no_retries_means_no_reconnect(server, cli):
    result = ask(server, cli, Resumable(STREAMS[LLM], cuts=[10]), "text", "--retries", "0")
    assert (result.code, result.stderr) == (7, f"perplex: error: {BROKE}\n")
    assert reconnects(server) == []


def test_a_run_still_going_after_the_timeout_is_a_cut_answer(server, cli):
    done = final_response(events_of(STREAMS[LLM]))
    side = Resumable(STREAMS[LLM], cuts=[10], refuse=[400], stored=[in_progress(done)])
    result = ask(server, cli, side, "text", "--timeout", "0.3")
    assert result.code == 7
    assert "the response was still in_progress after 0.3 s" in result.stderr.splitlines()[-1]


def held_reconnect(server, spawn, hold: threading.Event, *args: str):
    """A real process writing to a pipe, its stream broken after 12 events and its reconnect
    held unanswered; returns it, once the text before the break and the reconnect are out."""
    server.respond = Resumable(STREAMS[LLM], cuts=[12], hold=hold)
    proc = spawn("--api", "agent", *args, "q", preexec_fn=default_sigint)
    printed = streamed_text(events_of(STREAMS[LLM])[:12]).encode()
    fd = proc.stdout.fileno()
    seen = b""
    deadline = time.monotonic() + 10
    while printed not in seen and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.1)[0]:
            seen += os.read(fd, 65536)
    # Nothing waits in a buffer: the text is out while the reconnect is not answered.
    assert seen == printed
    wait_for(lambda: reconnects(server))
    assert not select.select([fd], [], [], 0.2)[0]  # and nothing more came meanwhile
    return proc, seen


def test_the_text_before_the_break_is_out_before_the_reconnect(server, spawn):
    hold = threading.Event()
    proc, seen = held_reconnect(server, spawn, hold)
    hold.set()
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert (seen + out).decode() == expected_text(events_of(STREAMS[LLM]))


def test_ctrl_c_while_reconnecting_keeps_the_partial_answer(server, spawn):
    hold = threading.Event()
    try:
        proc, seen = held_reconnect(server, spawn, hold)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        hold.set()
    assert proc.returncode == 130
    assert seen + out == seen + b"\n"
    assert err.decode() == notice(1, 2) + "perplex: interrupted\n"
