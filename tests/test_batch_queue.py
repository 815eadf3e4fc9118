"""The jobs queued ahead for the batch workers: a freed worker starts its next request at
once, yet a 429, a rejected key or Ctrl-C still stops every request that was only queued."""

from __future__ import annotations

import signal
import time

from apiserver import Answer, echo_answer
from test_batch import lines_of, wait_for_requests, write_prompts
from userfiles import write_config


def slow_except(failing: int, failure: Answer, delay: float):
    """Answers after `delay`, except the `failing`-th request, which gets `failure` at once."""
    sent: list[float] = []

    def chat(request, n):
        if n == failing:
            sent.append(time.monotonic())
            return failure
        return Answer(echo_answer(request, n).body, delay=delay)

    return chat, sent


def test_a_429_holds_back_the_queued_requests_until_its_pause_ends(env, api, cli, tmp_path):
    # The first request goes alone; then 4 run and 4 wait in the queue. The 5th request is
    # refused while 3 others still run: when they end, their workers must not take the
    # queued ones before the pause (0.8 s) is over.
    write_config(env, 'api = "chat"\n')
    refusal = Answer(b"{}", 429, "application/json", {"Retry-After": "0.8"})
    api.chat, refused = slow_except(5, refusal, 0.3)
    result = cli("batch", "-j", "4", str(write_prompts(tmp_path, 16)))
    assert result.code == 0, result.stderr
    (at,) = refused
    during = [r.at for r in api.chat_requests() if at + 0.1 < r.at < at + 0.7]
    assert during == [], "queued requests started during the pause of a 429"
    assert len(lines_of(result.stdout)) == 16


def test_a_rejected_key_sends_none_of_the_queued_requests(env, api, cli, tmp_path):
    write_config(env, 'api = "chat"\n')
    rejection = Answer(b'{"error":{"message":"invalid key"}}', 401, "application/json")
    api.chat, rejected = slow_except(5, rejection, 0.3)
    result = cli("batch", "-j", "4", str(write_prompts(tmp_path, 30)))
    assert result.code == 3
    (at,) = rejected
    assert [r for r in api.chat_requests() if r.at > at + 0.1] == []
    # The 3 running when the key was refused end as they would; 25 were never sent.
    assert len(api.chat_requests()) == 5
    assert "25 not started" in result.stderr


def test_ctrl_c_starts_none_of_the_queued_requests(env, api, spawn, tmp_path):
    write_config(env, 'api = "chat"\n')
    api.chat = lambda request, n: Answer(echo_answer(request, n).body, delay=0.3)
    out = tmp_path / "out.ndjson"
    proc = spawn("batch", "-j", "3", "--output", str(out), str(write_prompts(tmp_path, 30)))
    wait_for_requests(api, 4)
    proc.send_signal(signal.SIGINT)
    stopped = time.monotonic()
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130, err
    late = [r for r in api.chat_requests() if r.at > stopped + 0.1]
    assert late == [], "a queued request started after Ctrl-C"
    records = lines_of(out.read_text())
    assert len(records) == len(api.chat_requests()), "a started request was not written"
    assert b"not started" in err
