"""`perplex batch` on either API: one result shape, per-line model and preset, the log,
--no-stream, --usage, --reasoning, --no-citations, --dry-run, retries and resume.

The agent answers are the recorded Agent API stream (tests/apiserver.py), its text
replaced by `answer to <prompt>` so that each result can be matched to its line.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from agent_recordings import STREAMS, events_of, final_response, sources
from apiserver import Answer, echo_agent_answer, echo_answer, prompt_of
from conftest import SENTINEL_KEY
from resumable import blocks
from test_batch import (  # chat_unless_told: an autouse fixture
    CHAT_CONFIG,
    chat_unless_told,  # noqa: F401
    lines_of,
    run_jsonl,
    write_prompts,
)
from userfiles import config_file, write_config

from perplex_cli.request.settings import DEFAULTS

RECORDED = events_of(STREAMS["llm-perplexity"])
RECORDED_USAGE = final_response(RECORDED)["usage"]
RECORDED_URLS = [r["url"] for r in sources(RECORDED)]


def write_jsonl(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "prompts.jsonl"
    path.write_text(
        "".join(json.dumps({"id": f"p{i}", "prompt": f"prompt {i}"}) + "\n" for i in range(count))
    )
    return path


def requests_on(api, name: str):
    return api.agent_requests() if name == "agent" else api.chat_requests()


INPUTS = {
    "lines": (write_prompts, lambda i: i),
    "jsonl": (write_jsonl, lambda i: f"p{i}"),
}


@pytest.mark.parametrize("which", ["chat", "agent"])
@pytest.mark.parametrize("kind", INPUTS)
def test_every_line_is_answered_on_the_chosen_api_in_one_result_shape(
    api, cli, tmp_path, which, kind
):
    write, ident = INPUTS[kind]
    result = cli("batch", "--api", which, "--ordered", "-j", "3", str(write(tmp_path, 6)))
    assert result.code == 0, result.stderr
    records = lines_of(result.stdout)
    assert [r["id"] for r in records] == [ident(i) for i in range(6)]
    for i, r in enumerate(records):
        assert set(r) == {"id", "index", "status", "completion"}
        assert r["status"] == "ok"
        doc = r["completion"]
        assert doc["object"] == "chat.completion"
        assert doc["choices"][0]["message"]["content"] == f"answer to prompt {i}"
        assert doc["choices"][0]["finish_reason"] == "stop"
        assert isinstance(doc["usage"]["total_tokens"], int)
        assert doc["citations"]
    sent = requests_on(api, which)
    other = requests_on(api, "chat" if which == "agent" else "agent")
    assert (len(sent), other) == (6, [])
    assert sorted(prompt_of(r.json()) for r in sent) == [f"prompt {i}" for i in range(6)]
    if which == "agent":
        assert all(r.json()["input"].startswith("prompt ") for r in sent)
        assert records[0]["completion"]["citations"] == RECORDED_URLS
        assert records[0]["completion"]["usage"]["prompt_tokens"] == RECORDED_USAGE["input_tokens"]


def test_per_line_model_and_preset_choose_the_engine_and_api(api, cli, env, tmp_path):
    config_file(env).unlink()  # no configured API: the default
    result = run_jsonl(
        cli,
        tmp_path,
        '{"id": "named", "prompt": "one", "model": "openai/gpt-5.5"}\n'
        '{"id": "preset", "prompt": "two", "preset": "low"}\n'
        '{"id": "plain", "prompt": "three"}\n'
        '{"id": "sonar", "prompt": "four", "model": "sonar-pro"}\n',
        "--ordered",
        "-m",
        "sonar-reasoning",
    )
    agent = {prompt_of(r.json()): r.json() for r in api.agent_requests()}
    chat = {prompt_of(r.json()): r.json() for r in api.chat_requests()}
    # As ask chooses: a provider/model name or a preset means the agent API...
    assert agent["one"]["model"] == "openai/gpt-5.5"
    assert agent["two"]["preset"] == "low"
    assert "model" not in agent["two"]
    # ... and the other lines go to the default API, with -m or their own model.
    rest = {"three", "four"}
    assert set(agent) == {"one", "two"} | (rest if DEFAULTS["api"] == "agent" else set())
    assert set(chat) == (rest if DEFAULTS["api"] == "chat" else set())
    if chat:
        assert (chat["three"]["model"], chat["four"]["model"]) == ("sonar-reasoning", "sonar-pro")
    records = {r["id"]: r for r in lines_of(result.stdout)}
    assert records["named"]["completion"]["model"] == "openai/gpt-5.5"
    assert {r["status"] for r in records.values()} == {"ok"}


def test_a_line_preset_on_the_chat_api_is_exit_2_with_its_line(api, cli, tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"prompt": "fine"}\n\n{"prompt": "x", "preset": "fast"}\n')
    result = cli("batch", "--api", "chat", str(path))
    assert result.code == 2
    assert f"{path}, line 3: --preset needs the agent API" in result.stderr
    assert api.requests == []


def test_a_line_option_the_agent_api_lacks_is_exit_2_with_its_line(api, cli, tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"prompt": "fine"}\n{"prompt": "x", "search_mode": "academic"}\n')
    result = cli("batch", "--api", "agent", str(path))
    assert result.code == 2
    assert "line 2: --search-mode: not available on the agent API" in result.stderr
    assert api.requests == []


@pytest.mark.parametrize("which", ["chat", "agent"])
def test_every_exchange_is_logged_like_ask_logs_it(api, cli, tmp_path, which):
    def agent(request, n):
        if prompt_of(request) == "prompt 2":
            return Answer(b'{"error":{"message":"bad request"}}', 400, "application/json")
        return echo_agent_answer(request, n)

    def chat(request, n):
        if prompt_of(request) == "prompt 2":
            return Answer(b'{"error":{"message":"bad request"}}', 400, "application/json")
        return echo_answer(request, n)

    api.agent, api.chat = agent, chat
    result = cli("batch", "--api", which, "-s", "be brief", str(write_prompts(tmp_path, 4)))
    assert result.code == 4
    rows = {row["prompt"]: row for row in logged(cli)}
    assert set(rows) == {f"prompt {i}" for i in range(4)}
    assert len({row["conversation"] for row in rows.values()}) == 4
    for i in (0, 1, 3):
        row = rows[f"prompt {i}"]
        assert (row["status"], row["answer"], row["error"]) == ("ok", f"answer to prompt {i}", None)
        assert row["system"] == "be brief"
        assert row["usage"]["total_tokens"] > 0 and row["citations"]
        assert 0 <= row["first_token"] <= row["duration"]
    failed = rows["prompt 2"]
    assert (failed["status"], failed["answer"]) == ("error", "")
    assert "bad request" in failed["error"]
    shown = cli("logs", "show", str(rows["prompt 0"]["id"]), "-f", "json")
    request = json.loads(shown.stdout)["request"]
    if which == "agent":
        assert request["input"] == "prompt 0" and request["instructions"] == "be brief"
        assert rows["prompt 0"]["response_id"].startswith("resp_echo-")
    else:
        assert request["messages"][-1] == {"role": "user", "content": "prompt 0"}
    log = Path(cli("logs", "path").stdout.strip()).read_bytes()
    assert SENTINEL_KEY.encode() not in log


def logged(cli) -> list[dict]:
    result = cli("logs", "-n", "0", "-f", "json")
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def test_no_log_and_config_log_false_write_nothing(api, cli, env, tmp_path):
    prompts = str(write_prompts(tmp_path, 3))
    assert cli("batch", "--api", "agent", "--no-log", prompts).code == 0
    assert logged(cli) == []
    write_config(env, CHAT_CONFIG + "log = false\n")
    assert cli("batch", prompts).code == 0
    assert logged(cli) == []
    assert cli("batch", "--log", prompts).code == 0
    assert len(logged(cli)) == 3


@pytest.mark.parametrize("which", ["chat", "agent"])
def test_no_stream_sends_non_streaming_requests(api, cli, tmp_path, which):
    def chat(request, n):
        return Answer(json.dumps(_completion(request, n)).encode(), content_type="application/json")

    api.chat = chat
    result = cli(
        "batch", "--api", which, "--no-stream", "--ordered", str(write_prompts(tmp_path, 3))
    )
    assert result.code == 0, result.stderr
    assert [r.json()["stream"] for r in requests_on(api, which)] == [False] * 3
    for i, r in enumerate(lines_of(result.stdout)):
        assert r["completion"]["choices"][0]["message"]["content"] == f"answer to prompt {i}"
    assert len(logged(cli)) == 3


def _completion(request: dict, n: int) -> dict:
    return {
        "id": f"cmpl-{n}",
        "model": request["model"],
        "created": 1780000000,
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": f"answer to {prompt_of(request)}"},
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
    }


def test_usage_adds_up_every_answer_on_stderr(api, cli, tmp_path):
    result = cli("batch", "--api", "agent", "--usage", str(write_prompts(tmp_path, 3)))
    assert result.code == 0, result.stderr
    u = RECORDED_USAGE
    cost = f"{3 * u['cost']['total_cost']:.6f}".rstrip("0")
    assert result.stderr == (
        f"perplex: usage: 3 answers, {3 * u['input_tokens']} prompt + {3 * u['output_tokens']} "
        f"completion = {3 * u['total_tokens']} tokens, ${cost}\n"
    )
    assert cli("batch", "--api", "agent", str(write_prompts(tmp_path, 1))).stderr == ""


def test_reasoning_adds_it_to_each_line_and_no_citations_drops_the_sources(api, cli, tmp_path):
    prompts = str(write_prompts(tmp_path, 2))
    plain = lines_of(cli("batch", "--api", "agent", prompts).stdout)
    assert all("reasoning" not in r for r in plain)
    assert all(r["completion"]["search_results"] for r in plain)
    shown = lines_of(
        cli("batch", "--api", "agent", "--reasoning", "--no-citations", prompts).stdout
    )
    queries = final_response(RECORDED)["output"][0]["queries"]
    for r in shown:
        assert r["status"] == "ok"
        assert queries[0] in r["reasoning"]
        assert "citations" not in r["completion"] and "search_results" not in r["completion"]
        assert r["completion"]["choices"][0]["message"]["content"].startswith("answer to")


def test_dry_run_prints_each_request_and_sends_nothing(api, cli, monkeypatch, tmp_path):
    monkeypatch.delenv("PERPLEXITY_API_KEY")  # a dry run needs no key
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "a", "prompt": "one", "preset": "low"}\nplain two\n')
    result = cli("batch", "--dry-run", "--api", "agent", str(path))
    assert result.code == 0, result.stderr
    first, second = lines_of(result.stdout)
    assert (first["id"], first["index"], first["method"]) == ("a", 0, "POST")
    assert first["url"] == f"{api.url}/v1/agent"
    assert first["headers"]["Authorization"] == "Bearer ***"
    assert (first["body"]["input"], first["body"]["preset"]) == ("one", "low")
    assert (second["id"], second["body"]["input"]) == (1, "plain two")
    assert api.requests == []
    assert logged(cli) == []


def test_agent_retries_and_a_429_pause_work_as_on_chat(api, cli, tmp_path):
    limited: set[str] = set()

    def agent(request, n):
        prompt = prompt_of(request)
        first = prompt not in limited
        limited.add(prompt)
        if first and prompt.endswith("5"):  # the first try of 5, 15 and 25
            return Answer(b"{}", 429, "application/json", {"Retry-After": "0.05"})
        if first and prompt == "prompt 7":
            return Answer(b'{"error":{"message":"down"}}', 503, "application/json")
        return echo_agent_answer(request, n)

    api.agent = agent
    result = cli("batch", "--api", "agent", "-j", "4", str(write_prompts(tmp_path, 30)))
    assert result.code == 0, result.stderr
    assert sorted(r["id"] for r in lines_of(result.stdout)) == list(range(30))
    assert result.stderr.count("all requests wait") == 3
    assert "retrying id 7" in result.stderr
    assert len(api.agent_requests()) == 34


def test_a_line_may_ask_for_a_non_streaming_request_of_its_own(api, cli, tmp_path):
    result = run_jsonl(
        cli,
        tmp_path,
        '{"id": "whole", "prompt": "one", "no_stream": true}\n{"id": "streamed", "prompt": "two"}\n',
        "--api",
        "agent",
    )
    sent = {prompt_of(r.json()): r.json()["stream"] for r in api.agent_requests()}
    assert sent == {"one": False, "two": True}
    records = {r["id"]: r["completion"] for r in lines_of(result.stdout)}
    assert records["whole"]["choices"][0]["message"]["content"] == "answer to one"
    assert records["whole"]["citations"] == records["streamed"]["citations"] == RECORDED_URLS


def test_the_key_and_the_prompts_cannot_both_come_from_stdin(api, cli):
    result = cli("batch", "--api-key-file", "-", "-", input=SENTINEL_KEY + "\nq\n")
    assert result.code == 2
    assert "stdin cannot hold both" in result.stderr
    assert api.requests == []


def test_a_broken_agent_stream_is_resumed_by_its_worker(api, cli, tmp_path):
    whole: dict[str, list[bytes]] = {}

    def agent(request, n):
        events = blocks(echo_agent_answer(request, n).body)
        whole[f"resp_echo-{n}"] = events
        return Answer(b"".join(events[:9]))  # ends after two deltas, before the answer ends

    def resumed(received):
        url = urlsplit(received.path)
        after = int(parse_qs(url.query)["starting_after"][0])
        events = whole[url.path.rsplit("/", 1)[1]]
        return Answer(b"".join(e for e in events if sequence_of(e) > after))

    api.agent, api.agent_get = agent, resumed
    result = cli("batch", "--api", "agent", "-j", "3", "--ordered", str(write_prompts(tmp_path, 6)))
    assert result.code == 0, result.stderr
    records = lines_of(result.stdout)
    assert [r["status"] for r in records] == ["ok"] * 6
    for i, r in enumerate(records):
        assert r["completion"]["choices"][0]["message"]["content"] == f"answer to prompt {i}"
        assert r["completion"]["citations"] == RECORDED_URLS
    gets = [r for r in api.requests if r.method == "GET"]
    assert len(gets) == 6 and all("stream=true&starting_after=" in r.path for r in gets)
    assert result.stderr.count("perplex: reconnecting (attempt 1 of 2)") == 6
    assert {row["answer"] for row in logged(cli)} == {f"answer to prompt {i}" for i in range(6)}


def sequence_of(event: bytes) -> int:
    data = next(line for line in event.split(b"\n") if line.startswith(b"data: "))
    return int(json.loads(data[6:])["sequence_number"])
