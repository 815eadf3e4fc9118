"""-c, --cid and chat -c continue on the API and engine the conversation used (read from the
logged request of its last exchange), unless --api, -m or --preset now says otherwise."""

from __future__ import annotations

import json

import agent_streams as a
import pexpect
import pytest
from replay import Reply
from streams import answer, sse

WEB = {"type": "web_search"}
AGENT = Reply(body=a.sse(*a.answer("Agent answer.")))
CHAT = Reply(body=sse(*answer("Chat answer.")))


def ask(server, cli, *args: str, on: str = "/v1/agent"):
    """One question, answered in the protocol of the path it is expected on."""
    server.replies[:] = [CHAT if on == "/chat/completions" else AGENT]
    result = cli(*args)
    assert result.code == 0, result.stderr
    assert server.requests[-1].path == on
    return server.requests[-1]


@pytest.mark.parametrize(
    "first,then,path,engine",
    [
        (["-m", "sonar-reasoning-pro"], [], "/v1/agent", {"preset": "low", "model": None}),
        (
            ["-m", "openai/gpt-5.5"],
            [],
            "/v1/agent",
            {"model": "openai/gpt-5.5", "preset": None, "tool_choice": WEB},
        ),
        (["--preset", "high"], [], "/v1/agent", {"preset": "high", "model": None}),
        (
            ["--preset", "high", "-m", "openai/gpt-5.5"],
            [],
            "/v1/agent",
            {"preset": "high", "model": "openai/gpt-5.5"},
        ),
        (["-m", "sonar"], [], "/v1/agent", {"model": "perplexity/sonar", "tool_choice": WEB}),
        (
            ["--api", "chat", "-m", "sonar-reasoning-pro"],
            [],
            "/chat/completions",
            {"model": "sonar-reasoning-pro"},
        ),
        (["--api", "chat"], [], "/chat/completions", {"model": "sonar"}),
        # a flag says otherwise
        (
            ["-m", "openai/gpt-5.5"],
            ["-m", "sonar-pro"],
            "/v1/agent",
            {"preset": "low", "model": None},
        ),
        (
            ["-m", "openai/gpt-5.5"],
            ["--preset", "medium"],
            "/v1/agent",
            {"preset": "medium", "model": None},
        ),
        (["-m", "openai/gpt-5.5"], ["--api", "chat"], "/chat/completions", {"model": "sonar"}),
        (
            ["--api", "chat", "-m", "sonar-pro"],
            ["--api", "agent"],
            "/v1/agent",
            {"preset": "fast", "model": None},
        ),
        (
            ["--api", "chat", "-m", "sonar-pro"],
            ["-m", "sonar"],
            "/chat/completions",
            {"model": "sonar"},
        ),
        (
            ["--api", "chat", "-m", "sonar-pro"],
            ["--preset", "low"],
            "/v1/agent",
            {"preset": "low", "model": None},
        ),
    ],
)
def test_continue_keeps_the_api_and_engine_unless_a_flag_says_otherwise(
    server, cli, first, then, path, engine
):
    on_chat = "--api" in first and "chat" in first
    ask(server, cli, *first, "first", on="/chat/completions" if on_chat else "/v1/agent")
    req = ask(server, cli, "-c", *then, "second", on=path)
    body = req.json()
    assert {k: body.get(k) for k in engine} == engine
    turns = body["messages"] if path == "/chat/completions" else body["input"]
    assert [t["content"] for t in turns][-2:] == [
        "Chat answer." if on_chat else "Agent answer.",
        "second",
    ]


def test_cid_continues_the_named_conversation_on_its_own_engine(server, cli):
    ask(server, cli, "-m", "openai/gpt-5.5", "in the first")
    ask(server, cli, "--preset", "high", "in the second")
    logged = json.loads(cli("logs", "-n", "0", "-f", "json").stdout)
    ids = {e["prompt"]: e["conversation"] for e in logged}
    req = ask(server, cli, "--cid", ids["in the first"], "again")
    assert (req.json()["model"], req.json().get("preset")) == ("openai/gpt-5.5", None)
    req = ask(server, cli, "--cid", ids["in the second"], "and again")
    assert (req.json()["preset"], req.json().get("model")) == ("high", None)
    req = ask(server, cli, "-c", "latest")  # the latest conversation: the second
    assert req.json()["preset"] == "high"


def test_the_engine_kept_is_what_the_config_would_have_replaced(server, cli):
    ask(server, cli, "-m", "openai/gpt-5.5", "first")
    assert cli("config", "set", "model", "sonar-pro").code == 0
    assert cli("config", "set", "api", "chat").code == 0
    req = ask(server, cli, "-c", "second")
    assert req.json()["model"] == "openai/gpt-5.5"
    req = ask(server, cli, "new question", on="/chat/completions")
    assert req.json()["model"] == "sonar-pro"


def test_chat_continue_shows_and_uses_the_conversations_model(server, cli, chat):
    ask(server, cli, "-m", "openai/gpt-5.5", "first")
    server.replies[:] = [AGENT]
    child = chat("-c")
    child.expect_exact("perplex chat: openai/gpt-5.5 on the agent API")
    child.expect_exact("openai/gpt-5.5> ")
    child.sendline("more")
    child.expect_exact("Agent answer.")
    child.expect_exact("openai/gpt-5.5> ")
    child.sendline("/model sonar-pro")
    child.expect_exact("model low")
    child.sendline("and more")
    child.expect_exact("Agent answer.")
    child.expect_exact("low> ")
    child.sendeof()
    child.expect(pexpect.EOF)
    bodies = [r.json() for r in server.requests[-2:]]
    assert (bodies[0]["model"], bodies[0]["input"][-1]["content"]) == ("openai/gpt-5.5", "more")
    assert (bodies[1]["preset"], bodies[1].get("model")) == ("low", None)
