"""The API's rate-limit headers: batch paces itself by them, --debug shows them, a 429
says when the limit resets, and a zero the server does not enforce never stalls a batch.

The limited server counts requests in fixed one-second windows aligned to whole epoch
seconds, so that its `x-ratelimit-reset` (epoch seconds, as the Agent API sends it) is
honest; beyond the budget it answers 429, and it counts those.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from datetime import datetime, timedelta

import pytest
from agent_recordings import LLM_STREAM, cassette, response_body
from apiserver import Answer, echo_agent_answer
from conftest import SENTINEL_KEY
from replay import Reply
from test_batch import lines_of, write_prompts
from test_retries import retry_lines

from perplex_cli.transport import pacing


class Limited:
    """`per` requests per wall-clock second, with honest headers; a 429 beyond them."""

    def __init__(self, per: int) -> None:
        self.per = per
        self.rejected = 0
        self.window = 0
        self.used = 0
        self.lock = threading.Lock()

    def __call__(self, request, n) -> Answer:
        with self.lock:
            window = int(time.time())
            if window != self.window:
                self.window, self.used = window, 0
            over = self.used >= self.per
            self.used += 0 if over else 1
            self.rejected += over
            headers = {
                "x-ratelimit-limit": str(self.per),
                "x-ratelimit-remaining": str(self.per - self.used),
                "x-ratelimit-reset": str(window + 1),
                "x-ratelimit-used": str(self.used),
            }
        if over:
            body = {"error": {"message": "rate limit exceeded", "type": "rate_limit"}}
            return Answer(json.dumps(body).encode(), 429, "application/json", headers)
        reply = echo_agent_answer(request, n)
        reply.headers.update(headers)
        return reply


def answered(result, count: int) -> None:
    assert result.code == 0, result.stderr
    records = lines_of(result.stdout)
    assert sorted(r["index"] for r in records) == list(range(count))
    for r in records:
        assert r["status"] == "ok"
        text = r["completion"]["choices"][0]["message"]["content"]
        assert text == f"answer to prompt {r['index']}"


def test_batch_at_a_low_rate_limit_finishes_with_no_429(api, cli, tmp_path):
    api.agent = limited = Limited(per=5)
    result = cli("batch", "-j", "8", str(write_prompts(tmp_path, 20)))
    answered(result, 20)
    assert limited.rejected == 0, "the batch found the limit by 429s"
    assert len(api.agent_requests()) == 20  # no request was sent twice
    assert "retrying" not in result.stderr


def zero_left(reset_after: int):
    """Answers that all say none of a limit of one is left, until `reset_after` seconds from
    now, and are never refused; and the wall-clock second each request arrived in."""
    arrivals: list[int] = []

    def agent(request, n):
        now = int(time.time())
        arrivals.append(now)
        reply = echo_agent_answer(request, n)
        reply.headers.update(
            {
                "x-ratelimit-limit": "1",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": str(now + reset_after),
            }
        )
        return reply

    return agent, arrivals


def test_a_zero_the_server_does_not_enforce_costs_one_short_wait(api, cli, tmp_path):
    api.agent, _ = zero_left(30)
    started = time.monotonic()
    result = cli("--debug", "batch", "-j", "2", str(write_prompts(tmp_path, 8)))
    took = time.monotonic() - started
    answered(result, 8)
    # Believed, the zeros would hold each request for 30 s; the one probe costs 2 s.
    assert pacing.UNCONFIRMED_WAIT - 0.1 < took < pacing.UNCONFIRMED_WAIT + 4
    assert "perplex: batch: rate limit spent; new requests wait 2.0 s (it resets in " in (
        result.stderr
    )
    assert "a request past a zero rate limit succeeded: zeros are not waited for" in (result.stderr)
    assert SENTINEL_KEY not in result.stderr


def test_the_recorded_headers_pace_a_batch_to_their_reset_and_no_longer(api, cli, tmp_path):
    # The recording: limit 1, remaining 0, a reset one second after its Date.
    api.agent, seconds = zero_left(1)
    result = cli("batch", "-j", "4", str(write_prompts(tmp_path, 4)))
    answered(result, 4)
    assert len(set(seconds)) == 4, "the limit of one a second was not waited for"
    arrivals = [r.at for r in api.agent_requests()]
    assert max(b - a for a, b in itertools.pairwise(arrivals)) < 1.5, "a wait went past the reset"


def test_a_429_pauses_a_batch_until_the_reset_its_headers_give(api, cli, tmp_path):
    spent = {"x-ratelimit-limit": "4", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "0.5"}

    def agent(request, n):
        if n == 1:
            return Answer(b"{}", 429, "application/json", spent)
        return echo_agent_answer(request, n)

    api.agent = agent
    result = cli("batch", "-j", "4", str(write_prompts(tmp_path, 4)))
    answered(result, 4)
    assert "perplex: retrying id 0 in 0.5 s (attempt 2 of 3): 429" in result.stderr
    arrivals = [r.at for r in api.agent_requests()]
    assert len(arrivals) == 5
    assert arrivals[1] - arrivals[0] >= 0.5, "a request started before the reset"


def recorded_limit_headers() -> dict[str, str]:
    headers = cassette(LLM_STREAM)["response"]["headers"]
    names = [n for n in headers if n.startswith("x-ratelimit-") or n == "date"]
    return {n: headers[n][0] for n in names}


def test_debug_shows_the_rate_limit_headers_and_what_they_say(server, cli):
    recorded = recorded_limit_headers()
    assert recorded["x-ratelimit-remaining"] == "0"
    server.reply(Reply(body=response_body(LLM_STREAM), headers=recorded))
    result = cli("--debug", "q")
    assert result.code == 0, result.stderr
    lines = result.stderr.splitlines()
    for name in ("limit", "remaining", "reset", "used"):
        assert f"< x-ratelimit-{name}: {recorded[f'x-ratelimit-{name}']}" in lines
    # The recorded reset is one second after the recorded Date (the clocks differ by
    # months, so the distance is read against the server's Date).
    (said,) = [line for line in lines if line.startswith("perplex: rate limit:")]
    assert said.startswith("perplex: rate limit: 0 of 1 requests left, resets in 1.0 s (at ")
    assert SENTINEL_KEY not in result.stderr


def clock_of(line: str) -> datetime:
    match = re.search(r"\(at (\d\d:\d\d:\d\d)\)", line)
    assert match, line
    return datetime.strptime(match[1], "%H:%M:%S")


def near(clock: datetime, seconds: float) -> bool:
    expected = datetime.now() + timedelta(seconds=seconds)
    expected = expected.replace(year=clock.year, month=clock.month, day=clock.day)
    return abs((expected - clock).total_seconds()) < 3


def test_a_429_says_when_the_rate_limit_resets(server, cli):
    headers = {"x-ratelimit-limit": "50", "x-ratelimit-remaining": "0"}
    headers["x-ratelimit-reset"] = str(int(time.time()) + 125)
    body = b'{"error":{"message":"rate limit exceeded","type":"request_rate_limit_exceeded"}}'
    server.reply(Reply(status=429, body=body, content_type="application/json", headers=headers))
    result = cli("--retries", "0", "q")
    assert result.code == 5
    error, hint = result.stderr.splitlines()[-2:]
    assert error.startswith(
        "perplex: error: rate limit exceeded [request_rate_limit_exceeded] (HTTP 429); "
        "the rate limit resets in 2 min (at "
    )
    assert near(clock_of(error), 125)
    assert hint == "perplex: hint: slow down, or raise --retries"


def test_a_429_with_retry_after_only_says_when_to_retry(server, cli):
    server.reply(Reply(status=429, headers={"Retry-After": "600"}))
    result = cli("--retries", "0", "q")
    assert result.code == 5
    error = result.stderr.splitlines()[-2]
    assert error.startswith(
        "perplex: error: Too Many Requests (HTTP 429); the server asks to retry in 10 min (at "
    )
    assert near(clock_of(error), 600)


def test_a_429_without_retry_after_waits_for_the_reset_its_headers_give(server, cli):
    limited = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "0.4"}
    server.reply(Reply(status=429, headers=limited), Reply(body=response_body(LLM_STREAM)))
    result = cli("q")
    assert result.code == 0, result.stderr
    [(delay, _, _, why)] = retry_lines(result.stderr)
    assert (delay, why) == (0.4, "429 Too Many Requests")  # not the 0.01 s backoff
    assert server.requests[1].at - server.requests[0].at >= 0.4


@pytest.mark.parametrize(
    "headers,expected",
    [
        ({}, None),
        ({"X-Request-Id": "abc"}, None),
        (
            {"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "7", "X-RateLimit-Reset": "12"},
            pacing.Reading(50, 7, 12.0),
        ),
        (
            {"x-ratelimit-limit-requests": "60", "x-ratelimit-remaining-requests": "59"},
            pacing.Reading(60, 59, None),
        ),
        ({"x-ratelimit-reset-requests": "1m30s"}, pacing.Reading(None, None, 90.0)),
        ({"x-ratelimit-reset": "250ms"}, pacing.Reading(None, None, 0.25)),
        ({"x-ratelimit-reset": str(1_800_000_030)}, pacing.Reading(None, None, 30.0)),
        ({"x-ratelimit-reset": str(1_700_000_000)}, pacing.Reading(None, None, 0.0)),
        (
            {"x-ratelimit-remaining": "-1", "x-ratelimit-limit": "many", "x-ratelimit-reset": "x"},
            None,
        ),
        ({"x-ratelimit-reset": "nan"}, None),
        ({"x-ratelimit-reset": "5 s"}, None),
    ],
)
def test_rate_limit_headers_are_read_in_every_form_seen(headers, expected):
    assert pacing.read(headers, now=1_800_000_000) == expected
