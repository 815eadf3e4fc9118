"""`perplex chat` driven through a pseudo-terminal, as a person at a keyboard drives it."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pexpect
import pytest
from replay import Reply
from streams import answer, sse

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings

SLOW = [f"slow{i} " for i in range(40)]


def leave(child: pexpect.spawn, prompt: str = "sonar> ") -> None:
    """Wait for the prompt (Ctrl-D typed earlier is lost with the line), press Ctrl-D, exit 0."""
    child.expect_exact(prompt)
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def messages(server) -> list[list[dict]]:
    return [r.json()["messages"] for r in server.requests]


def logged(cli) -> list[dict]:
    return json.loads(cli("logs", "-n", "0", "-f", "json").stdout)[::-1]


def test_two_turns_model_switch_ctrl_c_mid_answer_then_a_new_question_then_ctrl_d(
    server, chat, cli
):
    server.reply(
        Reply(body=sse(*answer("Hello there [1].", citations=["https://a.example/1"]))),
        Reply(body=sse(*answer("Second answer."))),
        Reply(pieces=[sse(c) for c in answer(*SLOW)], delay=0.1),
        Reply(body=sse(*answer("After the stop."))),
    )
    child = chat()
    child.expect_exact("sonar> ")
    child.sendline("hi")
    child.expect_exact("Hello there [1].")
    child.expect_exact("[1] https://a.example/1")
    child.expect_exact("sonar> ")
    child.sendline("/model sonar-pro")
    child.expect_exact("sonar-pro> ")
    child.sendline("and then?")
    child.expect_exact("Second answer.")
    child.expect_exact("sonar-pro> ")
    child.sendline("tell me slowly")
    child.expect_exact("slow2 ")
    child.sendintr()
    child.expect_exact("answer stopped")
    child.expect_exact("sonar-pro> ")
    child.sendline("new question")
    child.expect_exact("After the stop.")
    leave(child, "sonar-pro> ")

    models = [r.json()["model"] for r in server.requests]
    assert models == ["sonar", "sonar-pro", "sonar-pro", "sonar-pro"]
    first_two = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "Hello there [1]."},
        {"role": "user", "content": "and then?"},
        {"role": "assistant", "content": "Second answer."},
    ]
    # The stopped answer is not part of the conversation the next question continues.
    assert messages(server)[3] == [*first_two, {"role": "user", "content": "new question"}]
    entries = logged(cli)
    assert [e["status"] for e in entries] == ["ok", "ok", "interrupted", "ok"]
    assert entries[2]["answer"].startswith("slow0 slow1 slow2 ")
    assert not entries[2]["answer"].startswith("".join(SLOW))
    assert len({e["conversation"] for e in entries}) == 1


def test_slash_commands_new_system_sources_usage_and_help(server, chat, cli):
    usage = {
        "prompt_tokens": 4,
        "completion_tokens": 6,
        "total_tokens": 10,
        "cost": {"total_cost": 0.0051},
    }
    server.reply(
        Reply(body=sse(*answer("One [1].", citations=["https://s.example/x"], usage=usage)))
    )
    child = chat("-s", "Be brief.")
    child.expect_exact("sonar> ")
    child.sendline("first")
    child.expect_exact("sonar> ")
    child.sendline("/sources")
    child.expect_exact("[1] https://s.example/x")
    child.sendline("/usage")
    child.expect_exact("4 in + 6 out = 10 tokens, $0.0051")
    child.sendline("/help")
    child.expect_exact("/system TEXT")
    child.sendline("/bogus")
    child.expect_exact("unknown command /bogus")
    child.sendline("/new")
    child.expect_exact("new conversation")
    child.sendline("/system Answer in French.")
    child.expect_exact("system message set")
    child.sendline("//etc/hosts is what?")
    child.expect_exact("One [1].")
    child.expect_exact("sonar> ")
    child.sendline("/exit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert messages(server) == [
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "first"}],
        [
            {"role": "system", "content": "Answer in French."},
            {"role": "user", "content": "/etc/hosts is what?"},
        ],
    ]
    first, second = logged(cli)
    assert first["conversation"] != second["conversation"]


def test_chat_continues_the_latest_conversation_and_keeps_a_private_history(server, chat, cli, env):
    server.reply(Reply(body=sse(*answer("Earlier answer."))))
    assert cli("earlier question").code == 0
    child = chat("-c")
    child.expect_exact("continuing after 1 earlier turn.")
    child.expect_exact("sonar> ")
    child.sendline("follow-up")
    leave(child)
    assert messages(server)[-1] == [
        {"role": "user", "content": "earlier question"},
        {"role": "assistant", "content": "Earlier answer."},
        {"role": "user", "content": "follow-up"},
    ]
    history = Path(env["XDG_DATA_HOME"]) / "perplex" / "chat_history"
    assert "follow-up" in history.read_text()
    assert stat.S_IMODE(history.stat().st_mode) == 0o600


def test_ctrl_c_at_the_prompt_clears_the_line_and_keeps_chatting(server, chat):
    server.reply(Reply(body=sse(*answer("Still here."))))
    child = chat()
    child.expect_exact("sonar> ")
    child.send("half a thought")
    child.expect_exact("half a thought")
    # CPython's readline loop loses a SIGINT that lands while it is still handling the
    # typed characters (it checks signals only when select() is interrupted): give it a
    # moment, as a person would, and press Ctrl-C a second time if the first was lost.
    time.sleep(0.3)
    child.sendintr()
    if child.expect_exact(["sonar> ", pexpect.TIMEOUT], timeout=3) == 1:
        child.sendintr()
        child.expect_exact("sonar> ")
    child.sendline("whole question")
    child.expect_exact("Still here.")
    leave(child)
    assert messages(server) == [[{"role": "user", "content": "whole question"}]]


def test_chat_without_a_terminal_refuses_and_points_to_ask(cli, server):
    result = cli("chat", input="question\n")
    assert result.code == 2
    assert "chat needs a terminal" in result.stderr and "perplex ask" in result.stderr
    assert server.requests == []


@pytest.mark.parametrize("option", ["-f", "--dry-run"])
def test_chat_has_no_json_output_and_no_dry_run(chat, server, option):
    child = chat(option, "json") if option == "-f" else chat(option)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert f"No such option '{option}'" in child.before
    assert server.requests == []


def test_no_log_chat_leaves_no_log_and_no_history(server, chat, env):
    server.reply(Reply(body=sse(*answer("Unrecorded."))))
    child = chat("--no-log")
    child.expect_exact("sonar> ")
    child.sendline("private question")
    child.expect_exact("Unrecorded.")
    leave(child)
    assert not (Path(env["XDG_DATA_HOME"]) / "perplex").exists()
