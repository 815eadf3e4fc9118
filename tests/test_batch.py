"""`perplex batch`: concurrency, shared backoff, pacing, order, resume (on either API),
Ctrl-C, failures."""

from __future__ import annotations

import json
import random
import signal
import time
from pathlib import Path

import pytest
from apiserver import Answer, echo_agent_answer, echo_answer, prompt_of
from streams import chunk, sse
from userfiles import write_config

CHAT_CONFIG = 'api = "chat"\n'


@pytest.fixture(autouse=True)
def chat_unless_told(env):
    """The configured API is chat: what a test does not send with --api speaks chat."""
    write_config(env, CHAT_CONFIG)


def lines_of(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def write_prompts(tmp_path: Path, count: int, name: str = "prompts.txt") -> Path:
    path = tmp_path / name
    path.write_text("".join(f"prompt {i}\n" for i in range(count)))
    return path


def paced(low: float, high: float, every: int | None = None, retry_after: str = "0.05"):
    """Answers after a random delay; every `every`-th request gets a 429 instead."""
    rng = random.Random(8)

    def chat(request, n):
        if every and n % every == 0:
            return Answer(
                b'{"error":{"message":"slow down"}}',
                429,
                "application/json",
                {"Retry-After": retry_after},
            )
        reply = echo_answer(request, n)
        reply.delay = rng.uniform(low, high)
        return reply

    return chat


def wait_for_requests(api, count: int, limit: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Wait until the server has received `count` chat requests, or `limit` seconds."""
    deadline = time.monotonic() + limit
    while len(api.chat_requests()) < count and time.monotonic() < deadline:
        time.sleep(0.01)


def wait_for_lines(path: Path, count: int, limit: float = 20.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().count("\n") >= count:
            return
        time.sleep(0.01)
    raise AssertionError(f"{path} never reached {count} lines")


def test_every_prompt_appears_exactly_once_despite_delays_and_429s(api, cli, tmp_path):
    api.chat = paced(0.010, 0.050, every=25)
    result = cli("batch", "-j", "8", str(write_prompts(tmp_path, 200)))
    assert result.code == 0, result.stderr
    records = lines_of(result.stdout)
    assert sorted(r["index"] for r in records) == list(range(200))
    assert sorted(r["id"] for r in records) == list(range(200))
    assert {r["status"] for r in records} == {"ok"}
    for r in records:
        assert r["completion"]["choices"][0]["message"]["content"] == f"answer to prompt {r['id']}"
        assert r["completion"]["object"] == "chat.completion"
    assert len(api.chat_requests()) == 200 + 200 // 25
    assert result.stderr.count("perplex: retrying") == 200 // 25


def test_a_429_pauses_the_whole_pool_for_its_retry_after(api, cli, tmp_path):
    limited: list[float] = []

    def chat(request, n):
        if n == 5:
            limited.append(time.monotonic())
            return Answer(b"{}", 429, "application/json", {"Retry-After": "0.8"})
        return Answer(echo_answer(request, n).body, delay=0.02)

    api.chat = chat
    result = cli("batch", "-j", "4", str(write_prompts(tmp_path, 80)))
    assert result.code == 0, result.stderr
    (at,) = limited
    # The pool learns of the 429 a moment after the server sent it (later on a busy
    # machine): requests started in that moment are fair; none may start after it.
    during = [r.at for r in api.chat_requests() if at + 0.2 < r.at < at + 0.7]
    assert during == [], "requests started while the pool should have been waiting"
    assert "all requests wait" in result.stderr


def test_ordered_writes_the_results_in_input_order(api, cli, tmp_path):
    api.chat = paced(0.0, 0.04)
    result = cli("batch", "-j", "6", "--ordered", str(write_prompts(tmp_path, 40)))
    assert result.code == 0, result.stderr
    assert [r["index"] for r in lines_of(result.stdout)] == list(range(40))


def test_without_ordered_results_come_as_they_finish(api, cli, tmp_path):
    # Not the first prompt: the first request goes alone until its response head.
    api.chat = lambda request, n: Answer(
        echo_answer(request, n).body, delay=0.3 if prompt_of(request) == "prompt 1" else 0
    )
    result = cli("batch", "-j", "2", str(write_prompts(tmp_path, 4)))
    assert [r["index"] for r in lines_of(result.stdout)][-1] == 1


def test_rate_spaces_the_starts_evenly_and_never_exceeds_it(api, cli, tmp_path):
    rate = 50
    result = cli("batch", "-j", "8", "--rate", str(rate), str(write_prompts(tmp_path, 70)))
    assert result.code == 0, result.stderr
    times = sorted(r.at for r in api.chat_requests())
    assert len(times) == 70
    for i in range(len(times) - rate):
        assert times[i + rate] - times[i] > 0.97, "more than --rate requests within a second"
    for i in range(len(times) - 4):
        assert times[i + 4] - times[i] > 2.0 / rate, "a burst: starts are not evenly spaced"


def test_workers_reuse_their_connections(api, cli, tmp_path):
    api.chat = paced(0.0, 0.03)
    result = cli("batch", "-j", "12", str(write_prompts(tmp_path, 96)))
    assert result.code == 0
    assert len(api.chat_requests()) == 96
    assert len(api.connections) <= 12, "connections were opened again instead of reused"


@pytest.mark.parametrize("which", ["chat", "agent"])
def test_resume_after_a_kill_finishes_the_rest_without_repeating(api, spawn, cli, tmp_path, which):
    api.chat = paced(0.02, 0.04)
    api.agent = lambda request, n: Answer(echo_agent_answer(request, n).body, delay=0.03)
    sent = api.agent_requests if which == "agent" else api.chat_requests
    prompts = write_prompts(tmp_path, 60)
    out = tmp_path / "out.ndjson"
    proc = spawn("batch", "--api", which, "-j", "2", "--output", str(out), str(prompts))
    wait_for_lines(out, 15)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    first = lines_of(out.read_text())
    asked_first = len(sent())
    result = cli("batch", "--api", which, "-j", "4", "--output", str(out), "--resume", str(prompts))
    assert result.code == 0, result.stderr
    records = lines_of(out.read_text())
    assert sorted(r["id"] for r in records) == list(range(60))
    assert all(r["status"] == "ok" for r in records)
    resent = {prompt_of(r.json()) for r in sent()[asked_first:]}
    assert not resent & {f"prompt {r['id']}" for r in first}, "a finished prompt was sent again"


def test_first_ctrl_c_lets_running_requests_finish_and_resume_completes(api, spawn, cli, tmp_path):
    api.chat = paced(0.05, 0.06)
    prompts = write_prompts(tmp_path, 40)
    out = tmp_path / "out.ndjson"
    proc = spawn("batch", "-j", "3", "--output", str(out), str(prompts))
    wait_for_lines(out, 6)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130
    assert b"not started" in err and b"--resume" in err
    records = lines_of(out.read_text())
    assert len(records) == len(api.chat_requests()), "a started request was not written"
    assert all(r["status"] == "ok" for r in records)
    result = cli("batch", "--output", str(out), "--resume", "--ordered", str(prompts))
    assert result.code == 0
    assert sorted(r["id"] for r in lines_of(out.read_text())) == list(range(40))


def test_second_ctrl_c_cancels_running_requests(api, spawn, tmp_path):
    api.chat = lambda request, n: Answer(echo_answer(request, n).body, delay=5.0)
    out = tmp_path / "out.ndjson"
    proc = spawn("batch", "-j", "2", "--output", str(out), str(write_prompts(tmp_path, 5)))
    wait_for_requests(api, 2)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    begun = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=10)
    assert proc.returncode == 130
    assert time.monotonic() - begun < 2.0, "the running requests were not cancelled"
    records = lines_of(out.read_text())
    assert [r["error"]["type"] for r in records] == ["interrupted", "interrupted"]


def run_jsonl(cli, tmp_path: Path, text: str, *args: str):
    """`perplex batch ARGS` on a JSONL file holding `text`; it must succeed."""
    path = tmp_path / "p.jsonl"
    path.write_text(text)
    result = cli("batch", *args, str(path))
    assert result.code == 0, result.stderr
    return result


def test_jsonl_options_reach_each_request(api, cli, tmp_path):
    result = run_jsonl(
        cli,
        tmp_path,
        '{"id": "a", "prompt": "first", "model": "sonar-pro", "system": "be brief"}\n'
        "\n"
        "plain second\n"
        '{"id": "c", "prompt": "third", "max-tokens": "7", "temperature": 1}\n',
        "-m",
        "sonar-reasoning",
        "--ordered",
    )
    assert [(r["id"], r["index"]) for r in lines_of(result.stdout)] == [("a", 0), (1, 1), ("c", 2)]
    bodies = {prompt_of(r.json()): r.json() for r in api.chat_requests()}
    assert bodies["first"]["model"] == "sonar-pro"
    assert bodies["first"]["messages"][0] == {"role": "system", "content": "be brief"}
    assert bodies["plain second"]["model"] == "sonar-reasoning"
    assert (bodies["third"]["max_tokens"], bodies["third"]["temperature"]) == (7, 1.0)
    assert all(b["stream"] is True for b in bodies.values())


@pytest.mark.parametrize(
    "line,message",
    [
        ('{"prompt": "x"', "line 2: not a valid JSON object"),
        ('{"id": 1}', 'line 2: "prompt" must be a non-empty string'),
        ('{"prompt": "x", "colour": "red"}', "line 2: unknown key 'colour'"),
        ('{"prompt": "x", "timeout": 3}', "line 2: 'timeout' applies to the whole batch"),
        ('{"prompt": "x", "temperature": 5}', "line 2: invalid value for --temperature"),
        ('{"prompt": "x", "max_tokens": "many"}', "line 2: invalid value for 'max_tokens'"),
        ('{"prompt": "x", "id": 0}', "line 2: id 0 is also on line 1"),
        ('{"prompt": "x", "id": [1]}', 'line 2: "id" must be a string or an integer'),
    ],
)
def test_a_bad_input_line_is_exit_2_before_any_request(api, cli, tmp_path, line, message):
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": 0, "prompt": "fine"}\n' + line + "\n")
    result = cli("batch", str(path))
    assert result.code == 2
    assert message in result.stderr
    assert api.requests == []


@pytest.mark.parametrize(
    "args,message",
    [
        (["--resume"], "--resume needs --output"),
        (["-j", "0"], "-j/--concurrency"),
        (["--rate", "0"], "--rate"),
        (["-f", "json"], "-f/--format: 'json' (batch always writes NDJSON)"),
    ],
)
def test_bad_batch_options_are_exit_2(api, cli, tmp_path, args, message):
    result = cli("batch", *args, str(write_prompts(tmp_path, 2)))
    assert result.code == 2
    assert message in result.stderr


def test_empty_or_missing_input_is_exit_2(api, cli, tmp_path):
    (tmp_path / "empty").write_text("\n  \n")
    assert "no prompts" in cli("batch", str(tmp_path / "empty")).stderr
    assert cli("batch", str(tmp_path / "missing")).code == 2
    assert cli("batch", str(tmp_path)).code == 2


def test_prompts_from_stdin(api, cli):
    result = cli("batch", "-", input="one\ntwo\n")
    assert result.code == 0
    assert len(lines_of(result.stdout)) == 2


def test_failures_get_error_lines_and_the_most_severe_exit_code(api, cli, tmp_path):
    def chat(request, n):
        prompt = prompt_of(request)
        if prompt == "prompt 1":
            return Answer(b'{"error":{"message":"bad request"}}', 400, "application/json")
        if prompt == "prompt 2":
            return Answer(b'{"error":{"message":"down"}}', 503, "application/json")
        return echo_answer(request, n)

    api.chat = chat
    result = cli("batch", "--ordered", str(write_prompts(tmp_path, 4)))
    assert result.code == 6
    records = lines_of(result.stdout)
    assert [r["status"] for r in records] == ["ok", "error", "error", "ok"]
    assert records[1]["error"] == {"type": "api_error", "message": "bad request (HTTP 400)"}
    assert records[2]["error"]["type"] == "server_error"
    assert "completion" not in records[1]
    assert "2 of 4 ok, 2 failed (1 api error, 1 server error)" in result.stderr
    assert len([r for r in api.chat_requests() if prompt_of(r.json()) == "prompt 2"]) == 3


def test_a_cut_answer_keeps_its_partial_completion(api, cli, tmp_path):
    api.chat = lambda request, n: Answer(sse(chunk("half an ans")))
    result = cli("batch", str(write_prompts(tmp_path, 1)))
    assert result.code == 7
    (record,) = lines_of(result.stdout)
    assert record["status"] == "error"
    assert record["error"]["type"] == "cut_stream"
    assert record["completion"]["choices"][0]["message"]["content"] == "half an ans"
    assert record["completion"]["error"]["type"] == "cut_stream"


def test_a_rejected_key_stops_the_batch(api, cli, tmp_path):
    api.chat = lambda request, n: Answer(
        b'{"error":{"message":"invalid key"}}', 401, "application/json"
    )
    result = cli("batch", "-j", "1", str(write_prompts(tmp_path, 50)))
    assert result.code == 3
    assert len(api.chat_requests()) == 1
    assert "49 not started" in result.stderr


def test_output_appends_and_drops_a_line_cut_by_a_kill(api, cli, tmp_path):
    out = tmp_path / "out.ndjson"
    out.write_text('{"id":"old","status":"ok"}\n{"id":7,"status":"o')
    result = cli("batch", "--output", str(out), str(write_prompts(tmp_path, 2)))
    assert result.code == 0
    assert result.stdout == ""
    records = lines_of(out.read_text())
    assert records[0]["id"] == "old"
    assert sorted(r["id"] for r in records[1:]) == [0, 1]


def test_no_progress_bar_or_escapes_when_stderr_is_not_a_terminal(api, cli, tmp_path):
    result = cli("batch", str(write_prompts(tmp_path, 3)))
    assert "\r" not in result.stderr and "\x1b" not in result.stderr
    assert result.stderr == ""


def test_on_a_terminal_a_progress_bar_counts_up_and_is_erased(api, env, tmp_path):
    import os
    import sys

    import pexpect

    api.chat = paced(0.01, 0.02)
    out = tmp_path / "out.ndjson"
    child = pexpect.spawn(
        sys.executable,
        [
            "-m",
            "perplex_cli",
            "batch",
            "-j",
            "2",
            "--output",
            str(out),
            str(write_prompts(tmp_path, 30)),
        ],
        env=dict(os.environ),
        timeout=10,
        encoding="utf-8",
    )
    child.expect(r"\] \d+/30 done, 0 failed, [\d.]+/s, ETA")
    child.expect("\r\x1b\\[Kperplex: batch: 30 of 30 ok in")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert len(lines_of(out.read_text())) == 30
