"""`perplex research` on the Agent API: background runs (queued -> in_progress -> completed,
failed, incomplete or cancelled), against the state machine in agent_runs.py."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pexpect
import pytest
from agent_runs import FAILURE, RESULTS
from conftest import SENTINEL_KEY
from test_research import terminal

RUNS = "/v1/agent"


def posts(api):
    return [r for r in api.requests if r.method == "POST" and r.path == RUNS]


def gets(api, run_id):
    return [r for r in api.requests if r.method == "GET" and r.path == f"{RUNS}/{run_id}"]


def report(question, answer=None):
    """What text output shows for a finished run: the answer, then the recorded sources."""
    sources = "".join(
        f"[{n}] {r['title']} - {r['url']}\n" for n, r in enumerate(RESULTS["results"], 1)
    )
    return f"{answer or f'Report on {question} [1].'}\n\n{sources}"


def listed(cli):
    result = cli("research", "list", "-f", "json")
    assert result.code == 0, result.stderr
    return {run["id"]: run for run in json.loads(result.stdout)["requests"]}


def test_submit_queues_a_background_run_with_preset_medium_and_prints_its_id(api, cli):
    result = cli("research", "submit", "state", "of", "fusion")
    assert (result.code, result.stdout) == (0, "resp_bg-1\n"), result.stderr
    (request,) = posts(api)
    assert request.json() == {
        "preset": "medium",
        "input": "state of fusion",
        "stream": False,
        "background": True,
    }
    assert [r.path for r in api.requests] == [RUNS], "no async chat endpoint"


def test_submit_json_prints_the_queued_response(api, cli):
    doc = json.loads(cli("research", "submit", "-f", "json", "q").stdout)
    assert (doc["id"], doc["status"], doc["model"], doc["output"]) == (
        "resp_bg-1",
        "queued",
        "medium",
        [],
    )


@pytest.mark.parametrize(
    "flags,engine",
    [
        (["--preset", "high"], {"preset": "high"}),
        (["-m", "sonar-pro"], {"preset": "low"}),
        (["-m", "sonar-deep-research"], {"preset": "medium"}),
        (["-m", "openai/gpt-5.5"], {"model": "openai/gpt-5.5", "tools": [{"type": "web_search"}]}),
    ],
)
def test_model_and_preset_choose_the_engine(api, cli, flags, engine):
    assert cli("research", "submit", *flags, "q").code == 0
    body = posts(api)[0].json()
    assert {k: body[k] for k in engine} == engine
    assert "preset" in engine or "preset" not in body


def test_a_model_or_preset_from_the_config_is_not_researchs(api, cli, env):
    config = Path(env["XDG_CONFIG_HOME"]) / "perplex" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('model = "openai/gpt-5.5"\npreset = "fast"\n')
    assert cli("research", "submit", "q").code == 0
    body = posts(api)[0].json()
    assert (body["preset"], "model" in body) == ("medium", False)


def test_system_prompt_and_search_options_reach_the_body(api, cli):
    result = cli("research", "submit", "-s", "be thorough", "--search-domain", "arxiv.org", "q")
    assert result.code == 0, result.stderr
    body = posts(api)[0].json()
    assert body["instructions"] == "be thorough"
    assert body["tools"] == [
        {"type": "web_search", "filters": {"search_domain_filter": ["arxiv.org"]}}
    ]


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_chat_chosen_by_name_keeps_the_async_chat_endpoints(api, cli, env, monkeypatch, how):
    config = Path(env["XDG_CONFIG_HOME"]) / "perplex" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('api = "agent"\n')  # the flag and the variable win over the file
    args = ["--api", "chat"] if how == "flag" else []
    if how == "environment":
        monkeypatch.setenv("PERPLEX_API", "chat")
    result = cli("research", "submit", *args, "q")
    assert (result.code, result.stdout) == (0, "job-1\n"), result.stderr
    assert [r.path for r in api.requests] == ["/async/chat/completions"]
    assert api.requests[0].json()["request"]["model"] == "sonar-deep-research"


@pytest.mark.parametrize(
    "args,message",
    [
        (
            ["submit", "--idempotency-key", "k", "q"],
            "--idempotency-key: not available on the Agent API",
        ),
        (["submit", "--stop", "x", "q"], "--stop"),
        (["run", "--dry-run", "q"], "--dry-run"),
        (
            ["submit", "--usage", "--plain", "q"],
            "--usage, --render/--plain: submit prints the id only",
        ),
        (
            ["list", "--timeout", "5"],
            "--timeout: on the Agent API, research list reads the local log",
        ),
        (["submit", "--api", "chat", "--preset", "high", "q"], "--preset"),
        (["wait", "--max-wait", "0", "resp_bg-1"], "--max-wait"),
        (["cancel", "--api", "chat", "job-1"], "research cancel: not available with --api chat"),
    ],
)
def test_options_the_agent_api_cannot_honour_are_refused_by_name(api, cli, args, message):
    result = cli("research", *args)
    assert result.code == 2, result.stderr
    assert message in result.stderr
    assert api.requests == []


def test_status_follows_the_run_and_updates_the_local_log(api, cli):
    cli("research", "submit", "fusion")
    first = cli("research", "status", "resp_bg-1")
    assert first.code == 0, first.stderr
    lines = dict(line.split(None, 1) for line in first.stdout.splitlines())
    assert (lines["id"], lines["status"], lines["question"], lines["model"]) == (
        "resp_bg-1",
        "in_progress",
        "fusion",
        "medium",
    )
    assert listed(cli)["resp_bg-1"]["status"] == "in_progress"
    cli("research", "status", "resp_bg-1")
    doc = json.loads(cli("research", "status", "-f", "json", "resp_bg-1").stdout)
    assert (doc["status"], doc["id"]) == ("completed", "resp_bg-1")
    assert listed(cli)["resp_bg-1"]["status"] == "completed"


def test_wait_polls_until_completed_and_prints_the_answer_with_sources(api, cli):
    cli("research", "submit", "fusion")
    result = cli("research", "wait", "--interval", "0.01", "resp_bg-1")
    assert result.code == 0, result.stderr
    assert result.stdout == report("fusion")
    assert len(gets(api, "resp_bg-1")) == 1 + api.runs.polls
    assert listed(cli)["resp_bg-1"]["status"] == "completed"


def test_wait_in_json_and_ndjson(api, cli):
    cli("research", "submit", "fusion")
    doc = json.loads(
        cli("research", "wait", "--interval", "0.01", "-f", "json", "resp_bg-1").stdout
    )
    assert doc["choices"][0]["message"]["content"] == "Report on fusion [1]."
    assert doc["citations"] == [r["url"] for r in RESULTS["results"]]
    (line,) = cli("research", "wait", "-f", "ndjson", "resp_bg-1").stdout.splitlines()
    assert json.loads(line) == api.runs.public(api.runs.runs["resp_bg-1"])


def test_a_completed_run_goes_to_the_log_with_its_question(api, cli):
    cli("research", "submit", "fusion")
    assert cli("research", "wait", "--interval", "0.01", "resp_bg-1").code == 0
    rows = json.loads(cli("logs", "-f", "json").stdout)
    rows = rows if isinstance(rows, list) else [rows]
    assert [(r["prompt"], r["answer"]) for r in rows] == [("fusion", "Report on fusion [1].")]


@pytest.mark.parametrize(
    "question,message",
    [
        ("please FAIL", f"research resp_bg-1 failed: {FAILURE} [server_error]"),
        ("please NULLFAIL", "the research run failed (resp_bg-1)"),
    ],
)
def test_a_failed_run_is_exit_6_with_the_apis_message(api, cli, question, message):
    cli("research", "submit", question)
    result = cli("research", "wait", "--interval", "0.01", "resp_bg-1")
    assert (result.code, result.stdout) == (6, "")
    assert f"perplex: error: {message}\n" in result.stderr
    assert "None" not in result.stderr and "Traceback" not in result.stderr
    assert listed(cli)["resp_bg-1"]["status"] == "failed"


@pytest.mark.parametrize(
    "question,warning",
    [
        ("INCOMPLETE", "stopped at the token limit"),
        ("STEPS", "research resp_bg-1 ended incomplete (max_steps)"),
    ],
)
def test_an_incomplete_run_prints_the_partial_answer_and_warns(api, cli, question, warning):
    cli("research", "submit", question)
    result = cli("research", "wait", "--interval", "0.01", "resp_bg-1")
    assert result.code == 0, result.stderr
    assert result.stdout.startswith(f"Report on {question}, cut short\n")
    assert warning in result.stderr
    streamed = cli("research", "run", question)
    assert streamed.code == 0, streamed.stderr
    assert streamed.stdout.startswith(f"Report on {question}, cut short\n")
    assert warning.replace("resp_bg-1", "resp_bg-2") in streamed.stderr


def test_cancel_stops_a_running_run_and_wait_then_says_so(api, cli):
    cli("research", "submit", "q")
    result = cli("research", "cancel", "resp_bg-1")
    assert (result.code, result.stdout) == (0, "id         resp_bg-1\nstatus     cancelling\n")
    assert listed(cli)["resp_bg-1"]["status"] == "cancelling"
    waited = cli("research", "wait", "--interval", "0.01", "resp_bg-1")
    assert waited.code == 6
    assert "perplex: error: research resp_bg-1 was cancelled\n" in waited.stderr
    assert listed(cli)["resp_bg-1"]["status"] == "cancelled"


def test_cancel_json_prints_the_apis_answer(api, cli):
    cli("research", "submit", "q")
    doc = json.loads(cli("research", "cancel", "-f", "json", "resp_bg-1").stdout)
    assert doc == {"response_id": "resp_bg-1", "status": "cancelling"}


def test_cancelling_a_finished_run_is_exit_4_with_a_clear_message(api, cli):
    cli("research", "submit", "q")
    assert cli("research", "wait", "--interval", "0.01", "resp_bg-1").code == 0
    result = cli("research", "cancel", "resp_bg-1")
    assert (result.code, result.stdout) == (4, "")
    assert result.stderr.startswith("perplex: error: research resp_bg-1 has already ended")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["status", "wait", "cancel"])
def test_an_unknown_id_is_exit_4(api, cli, command):
    result = cli("research", command, "resp_nope")
    assert result.code == 4
    assert "perplex: error: unknown research id 'resp_nope'" in result.stderr


def test_max_wait_is_exit_7_with_the_id_to_wait_again(api, cli):
    api.runs.polls = 10_000
    result = cli("research", "run", "--interval", "0.02", "--max-wait", "0.2", "q")
    assert result.code == 7
    assert "research resp_bg-1 is still in_progress after 0.2 s" in result.stderr
    assert "perplex research wait resp_bg-1" in result.stderr
    assert posts(api)[0].json()["stream"] is False, "--max-wait polls"


def test_polls_back_off(api, cli):
    api.runs.polls = 5
    cli("research", "submit", "q")
    assert cli("research", "wait", "--interval", "0.05", "resp_bg-1").code == 0
    times = [r.at for r in gets(api, "resp_bg-1")]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[-1] > 4 * gaps[0]  # doubling: 0.05, 0.1, 0.2, 0.4, 0.8


def test_run_streams_the_background_run_and_records_it(api, cli):
    result = cli("research", "run", "--usage", "fusion")
    assert result.code == 0, result.stderr
    assert result.stdout == report("fusion")
    assert posts(api)[0].json()["stream"] is True
    assert posts(api)[0].json()["background"] is True
    assert "perplex: research resp_bg-1 submitted" in result.stderr
    assert "tokens" in result.stderr, "--usage"
    assert gets(api, "resp_bg-1") == [], "the stream carried it all"
    run = listed(cli)["resp_bg-1"]
    assert (run["status"], run["question"], run["model"]) == ("completed", "fusion", "medium")
    rows = json.loads(cli("logs", "-f", "json").stdout)
    rows = rows if isinstance(rows, list) else [rows]
    assert rows[0]["answer"] == "Report on fusion [1]."


@pytest.mark.parametrize("fmt", ["json", "ndjson"])
def test_run_streams_json_and_ndjson_as_ask_does(api, cli, fmt):
    result = cli("research", "run", "-f", fmt, "fusion")
    assert result.code == 0, result.stderr
    if fmt == "json":
        doc = json.loads(result.stdout)
        assert doc["choices"][0]["message"]["content"] == "Report on fusion [1]."
    else:
        events = [json.loads(line)["event"] for line in result.stdout.splitlines()]
        assert events[0] == "response.created" and events[-1] == "response.completed"


def test_run_no_stream_polls_instead(api, cli):
    result = cli("research", "run", "--no-stream", "--interval", "0.01", "fusion")
    assert (result.code, result.stdout) == (0, report("fusion")), result.stderr
    assert posts(api)[0].json()["stream"] is False
    assert len(gets(api, "resp_bg-1")) == 1 + api.runs.polls


def test_a_run_that_fails_while_streaming_is_exit_6(api, cli):
    result = cli("research", "run", "please FAIL")
    assert result.code == 6
    assert FAILURE in result.stderr
    assert listed(cli)["resp_bg-1"]["status"] == "failed"


def test_a_broken_stream_leaves_the_run_to_wait_for(api, cli):
    api.runs.cut_after = 6  # the search, then two words of the answer
    result = cli("research", "run", "fusion")
    assert result.code == 7
    assert result.stdout.startswith("Report on")
    assert "perplex research wait resp_bg-1" in result.stderr
    waited = cli("research", "wait", "--interval", "0.01", "resp_bg-1")
    assert (waited.code, waited.stdout) == (0, report("fusion"))


def test_list_comes_from_the_local_log_in_each_format(api, cli):
    assert cli("research", "list").stderr == "perplex: no research requests\n"
    cli("research", "submit", "first question")
    cli("research", "submit", "--preset", "high", "second")
    text = cli("research", "list").stdout.splitlines()
    assert text[0].split() == ["ID", "STATUS", "ENGINE", "SUBMITTED", "QUESTION"]
    assert [line.split()[:3] for line in text[1:]] == [
        ["resp_bg-1", "queued", "medium"],
        ["resp_bg-2", "queued", "high"],
    ]
    assert text[1].endswith("first question")
    lines = cli("research", "list", "-f", "ndjson").stdout.splitlines()
    assert [json.loads(line)["question"] for line in lines] == ["first question", "second"]
    assert not [r for r in api.requests if r.method == "GET"], "the API has no list endpoint"


def test_no_log_records_no_run(api, cli):
    assert cli("research", "submit", "--no-log", "q").code == 0
    assert listed(cli) == {}


def test_pruning_the_log_forgets_older_runs_too(api, cli):
    cli("research", "submit", "private question")
    assert cli("logs", "prune", "--before", "2999-01-01").code == 0
    assert listed(cli) == {}


def test_the_key_never_reaches_the_runs_list(api, cli):
    assert cli("research", "submit", f"is {SENTINEL_KEY} safe").code == 0
    shown = cli("research", "list", "-f", "json").stdout
    assert SENTINEL_KEY not in shown and "is " in shown


@pytest.mark.parametrize("command", ["status", "wait", "cancel"])
def test_a_rejected_key_echoed_by_the_api_is_never_shown(api, cli, tmp_path, command):
    from test_security import ECHOING_401, files_holding

    cli("research", "submit", "q")
    api.runs.route = lambda method, path, body: (401, ECHOING_401, "application/json")
    result = cli("research", command, "resp_bg-1")
    assert result.code == 3
    assert "Invalid API key" in result.stderr
    assert SENTINEL_KEY not in result.stdout + result.stderr
    assert files_holding(tmp_path, SENTINEL_KEY) == []


def test_wait_and_polled_run_show_usage_and_quiet_silences_the_notes(api, cli):
    cli("research", "submit", "q")
    waited = cli("research", "wait", "--usage", "--interval", "0.01", "resp_bg-1")
    assert "tokens" in waited.stderr
    ran = cli("research", "run", "-q", "--interval", "0.01", "quiet one")
    assert (ran.code, ran.stderr, ran.stdout) == (0, "", report("quiet one"))


def test_on_a_terminal_run_asks_first_and_no_sends_nothing(api, env):
    child = terminal(api, env, "run", "q")
    child.expect("deep research with preset medium costs dollars per question, not cents")
    child.sendline("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert posts(api) == []


def test_on_a_terminal_run_streams_after_yes(api, env):
    child = terminal(api, env, "run", "q")
    child.expect("Submit\\?")
    child.sendline("y")
    child.expect("Report on q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert posts(api)[0].json()["stream"] is True
