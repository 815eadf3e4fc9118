"""With no flags and no config, ask, -c and chat talk to the Agent API; chat stays a choice.

The answers are the recorded Agent API streams (and chat completions ones where a test
chooses chat), served by the local replay server.
"""

from __future__ import annotations

import json

import agent_streams as a
import pexpect
import pytest
from agent_recordings import STREAMS, events_of, expected_text, final_response, of_type
from replay import Reply
from streams import answer, sse
from test_ask_stream import FRAMINGS

from perplex_cli.api.protocol import RETIRED_HINT

CASES = [(name, framing) for name in STREAMS for framing in FRAMINGS]


def serve(server, *replies: Reply) -> None:
    """These replies to the next requests, the last one repeated."""
    server.replies[:] = list(replies)


@pytest.mark.parametrize("name,framing", CASES)
def test_a_plain_question_asks_the_agent_api_in_every_framing_and_format(
    server, cli, name, framing
):
    events = events_of(STREAMS[name])
    serve(server, Reply(body=STREAMS[name], **FRAMINGS[framing]))
    text = cli("why")
    assert (text.code, text.stdout) == (0, expected_text(events)), text.stderr
    [req] = server.requests
    assert (req.method, req.path) == ("POST", "/v1/agent")
    assert req.json() == {"preset": "fast", "input": "why", "stream": True}
    lines = cli("-f", "ndjson", "why").stdout.splitlines()
    assert [json.loads(line) for line in lines] == events
    doc = json.loads(cli("-f", "json", "why").stdout)
    assert doc["id"] == final_response(events)["id"]
    content = of_type(events, "response.output_text.done")[0]["text"]
    assert doc["choices"][0]["message"]["content"] == content
    assert all(r.path == "/v1/agent" for r in server.requests)


def test_continue_asks_the_agent_api_with_the_conversation_as_input_items(server, cli):
    serve(server, Reply(body=STREAMS["llm-perplexity"]))
    first = cli("what is the capital of France")
    assert first.code == 0
    answer_text = of_type(events_of(STREAMS["llm-perplexity"]), "response.output_text.done")[0]
    again = cli("-c", "and its population?")
    assert again.code == 0, again.stderr
    second = server.requests[-1]
    assert second.path == "/v1/agent"
    assert second.json()["preset"] == "fast"
    assert second.json()["input"] == [
        {"type": "message", "role": "user", "content": "what is the capital of France"},
        {"type": "message", "role": "assistant", "content": answer_text["text"]},
        {"type": "message", "role": "user", "content": "and its population?"},
    ]
    events = events_of(STREAMS["llm-perplexity"])
    lines = cli("-c", "-f", "ndjson", "and its size?").stdout.splitlines()
    assert [json.loads(line) for line in lines] == events
    doc = json.loads(cli("-c", "-f", "json", "and its age?").stdout)
    assert doc["choices"][0]["message"]["content"] == answer_text["text"]
    assert [r.path for r in server.requests] == ["/v1/agent"] * 4
    assert len(server.requests[-1].json()["input"]) == 7  # three earlier turns, then this one


def bye(child: pexpect.spawn, prompt: str) -> None:
    child.expect_exact(prompt)
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_chat_asks_the_agent_api_and_shows_the_preset(server, chat):
    serve(server, Reply(body=a.sse(*a.answer("Agent ", "says hi."))))
    child = chat()
    child.expect_exact("perplex chat: fast on the agent API")  # the banner names the engine
    child.expect_exact("fast> ")
    child.sendline("hi")
    child.expect_exact("Agent says hi.")
    bye(child, "fast> ")
    [req] = server.requests
    assert (req.path, req.json()["preset"], req.json()["input"]) == ("/v1/agent", "fast", "hi")


# --- choosing the API: flag > PERPLEX_API > config > agent ---------------------------------

CHAT_ANSWER = Reply(body=sse(*answer("Chat answer.")))
AGENT_ANSWER = Reply(body=a.sse(*a.answer("Agent answer.")))


@pytest.mark.parametrize(
    "variable,config,args,path",
    [
        ("chat", None, [], "/chat/completions"),
        ("chat", None, ["--api", "agent"], "/v1/agent"),
        ("agent", "chat", [], "/v1/agent"),
        (None, "chat", [], "/chat/completions"),
        ("chat", "agent", [], "/chat/completions"),
        (None, "chat", ["--api", "agent"], "/v1/agent"),
    ],
)
def test_perplex_api_chooses_as_the_config_does_and_wins_over_it(
    server, cli, monkeypatch, variable, config, args, path
):
    if config is not None:
        assert cli("config", "set", "api", config).code == 0
    if variable is not None:
        monkeypatch.setenv("PERPLEX_API", variable)
    serve(server, CHAT_ANSWER if path == "/chat/completions" else AGENT_ANSWER)
    result = cli(*args, "q")
    assert result.code == 0, result.stderr
    [req] = server.requests
    assert req.path == path
    if path == "/chat/completions":
        assert req.json()["model"] == "sonar"  # chat keeps its default model
        assert result.stdout == "Chat answer.\n"


def test_a_bad_perplex_api_is_exit_3_naming_the_variable(server, cli, monkeypatch):
    monkeypatch.setenv("PERPLEX_API", "responses")
    result = cli("q")
    assert (result.code, result.stdout) == (3, "")
    assert result.stderr == "perplex: error: PERPLEX_API: 'responses' (choose from chat, agent)\n"
    assert server.requests == []


def test_preset_on_the_chat_api_names_who_chose_chat(server, cli, monkeypatch):
    monkeypatch.setenv("PERPLEX_API", "chat")
    result = cli("--preset", "low", "q")
    assert result.code == 2
    assert result.stderr == (
        "perplex: error: --preset needs the agent API (api chat from PERPLEX_API)\n"
    )
    assert server.requests == []


def test_a_model_in_the_config_counts_as_given(server, cli):
    assert cli("config", "set", "model", "sonar").code == 0
    serve(server, AGENT_ANSWER)
    assert cli("q").code == 0
    body = server.requests[-1].json()
    assert (body["model"], "preset" in body) == ("perplexity/sonar", False)
    assert body["tool_choice"] == {"type": "web_search"}


# --- the retired chat endpoint -------------------------------------------------------------


@pytest.mark.parametrize(
    "status,body",
    [
        (404, b'{"detail": "Not Found"}'),
        (410, b'{"error": {"message": "Gone", "type": "gone"}}'),
        (400, b'{"error": {"message": "The chat completions API is deprecated"}}'),
        (400, b'{"error": {"message": "sonar was retired on 2026-09-27"}}'),
    ],
)
def test_a_retired_chat_endpoint_is_exit_4_pointing_to_the_agent_api(server, cli, status, body):
    serve(server, Reply(status=status, body=body, content_type="application/json"))
    result = cli("--api", "chat", "q")
    assert (result.code, result.stdout) == (4, "")
    [line] = result.stderr.splitlines()
    assert line.startswith("perplex: error: ") and line.endswith(f"({RETIRED_HINT})")
    assert f"(HTTP {status})" in line


def test_other_chat_errors_and_an_agent_404_carry_no_hint(server, cli):
    serve(server, Reply(status=400, body=b'{"error": {"message": "bad temperature"}}'))
    assert cli("--api", "chat", "q").stderr == "perplex: error: bad temperature (HTTP 400)\n"
    said = b'{"error": {"message": "search_mode is deprecated: use search_type"}}'
    serve(server, Reply(status=400, body=said))
    assert cli("--api", "chat", "q").stderr == (
        "perplex: error: search_mode is deprecated: use search_type (HTTP 400)\n"
    )
    serve(server, Reply(status=404, body=b'{"error": {"message": "Not Found"}}'))
    result = cli("q")
    assert (result.code, result.stderr) == (4, "perplex: error: Not Found (HTTP 404)\n")
