"""`perplex research --api chat`: the async job's life (CREATED -> IN_PROGRESS -> COMPLETED |
FAILED), as it was before research moved to the Agent API. Every test here chooses chat
in the config file (`api = "chat"`); test_research_agent.py covers the Agent API."""

from __future__ import annotations

import itertools
import json
import os
import signal
import sys
import time
from pathlib import Path

import pexpect
import pytest
from conftest import needs_shared_flag

JOBS = "/async/chat/completions"


@pytest.fixture(autouse=True)
def chat_in_the_config(env):
    path = Path(env["XDG_CONFIG_HOME"]) / "perplex" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('api = "chat"\n')


def posts(api):
    return [r for r in api.requests if r.method == "POST" and r.path == JOBS]


def polls(api, job_id="job-1"):
    return [r for r in api.requests if r.method == "GET" and r.path == f"{JOBS}/{job_id}"]


def test_submit_prints_the_request_id_and_sends_a_deep_research_body(api, cli):
    result = cli("research", "submit", "state", "of", "fusion")
    assert (result.code, result.stdout) == (0, "job-1\n")
    (request,) = posts(api)
    body = request.json()
    assert body["request"] == {
        "model": "sonar-deep-research",
        "messages": [{"role": "user", "content": "state of fusion"}],
        "stream": False,
    }
    assert len(body["idempotency_key"]) >= 16, "every submission carries an idempotency key"


def test_submit_takes_the_ask_options_and_an_idempotency_key(api, cli):
    first = cli(
        "research",
        "submit",
        "-m",
        "sonar-pro",
        "-s",
        "be thorough",
        "--idempotency-key",
        "k-1",
        "q",
    )
    again = cli("research", "submit", "--idempotency-key", "k-1", "q")
    assert first.stdout == again.stdout == "job-1\n"
    body = posts(api)[0].json()
    assert body["idempotency_key"] == "k-1"
    assert body["request"]["model"] == "sonar-pro"
    assert body["request"]["messages"][0] == {"role": "system", "content": "be thorough"}


def test_submit_json_prints_the_created_job(api, cli):
    doc = json.loads(cli("research", "submit", "-f", "json", "q").stdout)
    assert (doc["id"], doc["status"], doc["model"]) == ("job-1", "CREATED", "sonar-deep-research")


def test_run_submits_polls_through_the_states_and_prints_the_answer(api, cli):
    result = cli("research", "run", "--interval", "0.01", "fusion")
    assert result.code == 0, result.stderr
    assert result.stdout == (
        "Report on fusion [1].\n\n[1] Report source - https://example.com/report\n"
    )
    assert len(polls(api)) == 1 + api.job_polls  # CREATED -> IN_PROGRESS, then the polls
    assert "perplex: research job-1 submitted" in result.stderr
    assert "\r" not in result.stderr and "\x1b" not in result.stderr, "a spinner on a pipe"


def test_a_completed_research_answer_goes_to_the_local_log(api, cli):
    assert cli("research", "run", "--interval", "0.01", "fusion").code == 0
    assert cli("research", "wait", "--interval", "0.01", "job-1").code == 0
    result = cli("logs", "-f", "json")
    assert result.code == 0, result.stderr
    rows = json.loads(result.stdout)
    rows = rows if isinstance(rows, list) else [rows]
    assert len(rows) == 2
    assert all("Report on fusion" in json.dumps(row) for row in rows)
    assert any(row.get("prompt") == "fusion" for row in rows)


@pytest.mark.parametrize("fmt", ["json", "ndjson"])
def test_wait_prints_the_response_as_returned_in_json_and_ndjson(api, cli, fmt):
    cli("research", "submit", "q")
    result = cli("research", "wait", "--interval", "0.01", "-f", fmt, "job-1")
    assert result.code == 0, result.stderr
    (doc,) = (
        [json.loads(result.stdout)]
        if fmt == "json"
        else [json.loads(line) for line in result.stdout.splitlines()]
    )
    returned = api.jobs["job-1"]["response"]
    assert returned["choices"][0]["message"]["content"].startswith("<think>planning</think>")
    if fmt == "ndjson":
        assert doc == returned
        return
    # json: the answer only in `content`, the <think> block in `reasoning`, the rest as is.
    message = doc["choices"][0]["message"]
    assert message["reasoning"] == "planning"
    assert (
        message["content"]
        == returned["choices"][0]["message"]["content"].split("</think>", 1)[1].lstrip()
    )
    assert {k: v for k, v in doc.items() if k != "choices"} == {
        k: v for k, v in returned.items() if k != "choices"
    }


def test_wait_shows_the_reasoning_only_when_asked(api, cli):
    cli("research", "submit", "q")
    result = cli("research", "wait", "--interval", "0.01", "--reasoning", "--no-citations", "job-1")
    assert result.stdout == "Report on q [1].\n"
    assert "planning" in result.stderr


def test_a_failed_job_is_exit_6_with_its_message(api, cli):
    result = cli("research", "run", "--interval", "0.01", "please FAIL")
    assert result.code == 6
    assert "research job-1 failed: the research could not be completed" in result.stderr
    assert result.stdout == ""


def test_max_wait_is_exit_7_with_the_id_to_resume(api, cli):
    api.job_polls = 10_000
    began = time.monotonic()
    result = cli("research", "run", "--interval", "0.02", "--max-wait", "0.2", "q")
    assert result.code == 7
    assert time.monotonic() - began < 2
    assert "research job-1 is still IN_PROGRESS after 0.2 s" in result.stderr
    assert "perplex research wait job-1" in result.stderr


def test_polls_slow_down(api, cli):
    api.job_polls = 5
    cli("research", "submit", "q")
    assert cli("research", "wait", "--interval", "0.05", "job-1").code == 0
    times = [r.at for r in polls(api)]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[-1] > 2 * gaps[0]


def test_waiting_for_an_unknown_id_is_exit_4(api, cli):
    result = cli("research", "wait", "nope")
    assert result.code == 4
    assert "no research request 'nope'" in result.stderr


def test_status_shows_the_state_of_a_job(api, cli):
    cli("research", "submit", "q")
    text = cli("research", "status", "job-1").stdout  # each look moves the job one step
    assert text == (
        "id         job-1\n"
        "status     IN_PROGRESS\n"
        "model      sonar-deep-research\n"
        "created    2026-05-28 20:26:40 UTC\n"
        "started    2026-05-28 20:26:50 UTC\n"
    )
    cli("research", "status", "job-1")
    doc = json.loads(cli("research", "status", "-f", "json", "job-1").stdout)
    assert (doc["status"], doc["completed_at"]) == ("COMPLETED", 1780000100)
    assert doc["response"]["object"] == "chat.completion"


def test_list_shows_the_jobs_in_each_format(api, cli):
    cli("research", "submit", "first")
    cli("research", "submit", "second")
    text = cli("research", "list").stdout.splitlines()
    assert text[0].split() == ["ID", "STATUS", "MODEL", "CREATED"]
    assert [line.split()[:2] for line in text[1:]] == [["job-1", "CREATED"], ["job-2", "CREATED"]]
    assert [
        json.loads(line)["id"]
        for line in cli("research", "list", "-f", "ndjson").stdout.splitlines()
    ] == ["job-1", "job-2"]
    assert len(json.loads(cli("research", "list", "-f", "json").stdout)["requests"]) == 2


def test_an_empty_list_says_so_on_stderr(api, cli):
    result = cli("research", "list")
    assert (result.code, result.stdout, result.stderr) == (0, "", "perplex: no research requests\n")


def lists(api):
    return [r.path for r in api.requests if r.method == "GET" and r.path.startswith(JOBS + "?")]


@pytest.mark.parametrize("total,page", [(7, 3), (6, 3), (2, 1)])
def test_list_follows_next_token_through_every_page(api, cli, total, page):
    for n in range(total):
        cli("research", "submit", f"question {n}")
    api.list_page = page
    text = cli("research", "list")
    assert text.code == 0, text.stderr
    ids = [f"job-{n}" for n in range(1, total + 1)]
    assert [line.split()[0] for line in text.stdout.splitlines()[1:]] == ids
    pages = -(-total // page)
    # the first page without a token, each next one with the token the page before gave
    assert lists(api) == [f"{JOBS}?next_token=after-job-{k * page}" for k in range(1, pages)]
    nd = cli("research", "list", "-f", "ndjson").stdout.splitlines()
    assert [json.loads(line)["id"] for line in nd] == ids
    doc = json.loads(cli("research", "list", "-f", "json").stdout)
    assert [job["id"] for job in doc["requests"]] == ids
    assert doc["next_token"] is None


def page(ids, token):
    from apiserver import Answer

    jobs = [{"id": i, "status": "COMPLETED", "model": "sonar-deep-research"} for i in ids]
    body = json.dumps({"requests": jobs, "next_token": token}).encode()
    return Answer(body, 200, "application/json")


def test_a_next_token_is_sent_url_encoded_as_given(api, cli):
    api.first = [page(["a"], "x y/z+=&"), page(["b"], None)]
    result = cli("research", "list", "-f", "ndjson")
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a", "b"]
    assert lists(api) == [f"{JOBS}?next_token=x%20y%2Fz%2B%3D%26"]


@pytest.mark.parametrize(
    "second,message",
    [
        (page(["b"], "t1"), "gives the same next_token twice"),
        (page(["b"], 7), "next_token that is not text"),
    ],
)
def test_a_list_that_does_not_end_is_exit_8_after_showing_the_jobs_it_gave(
    api, cli, second, message
):
    api.first = [page(["a"], "t1"), second]
    result = cli("research", "list")
    assert result.code == 8
    assert message in result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines()[1:]] == ["a", "b"]


def test_a_page_that_fails_keeps_the_jobs_of_the_pages_before(api, cli):
    from apiserver import Answer

    refused = Answer(b'{"error":{"message":"bad token"}}', 400, "application/json")
    api.first = [page(["a", "b"], "t1"), refused]
    result = cli("research", "list", "-f", "ndjson")
    assert result.code == 4
    assert "bad token" in result.stderr
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a", "b"]


@pytest.mark.parametrize(
    "args,message",
    [
        (["run", "--interval", "0", "q"], "--interval"),
        (["run", "--max-wait", "-1", "q"], "--max-wait"),
        (["submit", "--temperature", "9", "q"], "--temperature"),
        (["submit"], "no prompt"),
    ],
)
def test_bad_research_arguments_are_exit_2_before_any_request(api, cli, args, message):
    result = cli("research", *args)
    assert result.code == 2
    assert message in result.stderr
    assert api.requests == []


def terminal(api, env, *args):
    child_env = dict(os.environ)
    child_env.pop("PYTHONUNBUFFERED", None)
    return pexpect.spawn(
        sys.executable,
        ["-m", "perplex_cli", "research", *args],
        env=child_env,
        timeout=10,
        encoding="utf-8",
    )


def test_on_a_terminal_submit_asks_first_and_no_sends_nothing(api, env):
    child = terminal(api, env, "submit", "q")
    child.expect("costs dollars per question, not cents. Submit\\? \\[y/N\\]")
    child.sendline("n")
    child.expect_exact("perplex: not submitted: the question was not sent")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0  # a choice, not a failure and not a Ctrl-C
    assert "error" not in child.before
    assert posts(api) == []


def test_on_a_terminal_run_goes_ahead_on_yes_and_shows_a_spinner(api, env):
    child = terminal(api, env, "run", "--interval", "0.15", "q")
    child.expect("Submit\\?")
    child.sendline("y")
    child.expect("researching \\(in_progress\\) 0:00")
    child.expect("\r\x1b\\[K")  # the spinner erases itself before the answer
    child.expect("Report on q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert len(posts(api)) == 1


def test_yes_skips_the_question_on_a_terminal(api, env):
    child = terminal(api, env, "submit", "--yes", "q")
    child.expect("job-1")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_ctrl_c_while_waiting_leaves_the_research_running(api, spawn):
    api.job_polls = 10_000
    proc = spawn("research", "run", "--interval", "0.05", "q")
    deadline = time.monotonic() + 10
    while len(polls(api)) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130
    assert b"the research goes on" in err
    assert b"perplex research wait job-1" in err
    assert b"Traceback" not in err


def test_dry_run_submits_nothing(api, cli):
    needs_shared_flag("--dry-run")
    result = cli("research", "run", "--dry-run", "q")
    assert result.code == 2
    assert api.requests == []
