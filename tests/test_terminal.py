"""Escape sequences in an answer are inert on a terminal and byte-exact into a pipe.

On a terminal the answer is rendered by default (tests/test_render.py checks that path);
here `--plain` shows the raw text, which must be just as inert."""

from __future__ import annotations

import json

import pytest
from replay import Reply
from streams import answer, sse
from terminal import on_terminal

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings

CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4=\x07"  # OSC 52: write to the user's clipboard
CLEAR = "\x1b[2J"
ANSWER = f"before {CLIPBOARD} mid {CLEAR} after"
SOURCES = dict(
    citations=["https://a.example/\x1b[8m"],
    search_results=[{"title": "Title\x1b]0;owned\x07", "url": "https://a.example/\x1b[8m"}],
)


def run(args: list[str], *, stdout_tty: bool, stderr_tty: bool) -> tuple[bytes, bytes, int]:
    """(what the terminal showed, what the pipe received, exit code)."""
    result = on_terminal(*args, stdout_tty=stdout_tty, stderr_tty=stderr_tty)
    if stdout_tty:
        return result.out, result.err, result.code
    return result.err, result.out, result.code


def test_answer_and_sources_are_neutralised_on_a_terminal(server, env):
    server.reply(Reply(body=sse(*answer(*ANSWER.split(" "), **SOURCES))))
    shown, _, code = run(["--plain", "q"], stdout_tty=True, stderr_tty=False)
    assert code == 0
    assert b"\x1b" not in shown and b"\x07" not in shown
    text = shown.decode().replace("\r\n", "\n")
    assert "^[]52;c;cm0gLXJmIH4=^G" in text and "^[[2J" in text
    assert "[1] Title^[]0;owned^G - https://a.example/^[[8m" in text


def test_answer_is_byte_exact_into_a_pipe(server, env):
    server.reply(Reply(body=sse(*answer(*ANSWER.split(" "), **SOURCES))))
    _, out, code = run(["q"], stdout_tty=False, stderr_tty=True)
    assert code == 0
    expected = (
        ANSWER.replace(" ", "") + "\n\n[1] Title\x1b]0;owned\x07 - https://a.example/\x1b[8m\n"
    )
    assert out == expected.encode()


def test_agent_answer_is_neutralised_on_a_terminal(server, env):
    import agent_streams

    server.reply(Reply(body=agent_streams.sse(*agent_streams.answer(*ANSWER.split(" ")))))
    shown, _, code = run(["--api", "agent", "--plain", "q"], stdout_tty=True, stderr_tty=False)
    assert code == 0
    assert b"\x1b" not in shown and b"^[]52;c;cm0gLXJmIH4=^G" in shown


def test_json_on_a_terminal_stays_valid_json_and_inert(server, env):
    server.reply(Reply(body=sse(*answer("a\x9b31mb\x7f"))))
    shown, _, code = run(["-f", "json", "q"], stdout_tty=True, stderr_tty=False)
    assert code == 0
    assert "\x9b".encode() not in shown and b"\x7f" not in shown
    doc = json.loads(shown.decode())
    assert doc["choices"][0]["message"]["content"] == "a<U+009B>31mb^?"  # readable, still JSON


def test_reasoning_on_a_terminal_stderr_is_neutralised(server, env):
    server.reply(Reply(body=sse(*answer("<think>plan \x1b[2J</think>", "ok"))))
    shown, out, code = run(["--reasoning", "q"], stdout_tty=False, stderr_tty=True)
    assert code == 0 and out == b"ok\n"
    assert b"\x1b" not in shown and b"plan ^[[2J" in shown


def test_an_api_error_message_on_a_terminal_stderr_is_neutralised(server, env):
    body = json.dumps({"error": {"message": "bad \x1b]52;c;eA==\x07 model", "code": 400}}).encode()
    server.reply(Reply(status=400, body=body, content_type="application/json", framing="length"))
    shown, _, code = run(["q"], stdout_tty=False, stderr_tty=True)
    assert code == 4
    assert b"\x1b" not in shown and b"bad ^[]52;c;eA==^G model" in shown


@pytest.mark.parametrize(
    "text,shown",
    [
        ("a\x1bb", "a^[b"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("cr\rx", "cr^Mx"),
        ("bell\x07", "bell^G"),
        ("del\x7f", "del^?"),
        ("csi\x9b", "csi<U+009B>"),
        ("bidi\u202eevil", "bidi<U+202E>evil"),
        ("plain é ü 中", "plain é ü 中"),
    ],
)
def test_neutralise_shows_every_control_but_newline_and_tab(text, shown):
    from perplex_cli.output.terminal import neutralise

    assert neutralise(text) == shown


@pytest.mark.parametrize(
    "args,raw,visible",
    [
        (["search", "q"], b"\x1b", b"^[[2J"),  # a result title
        (["batch", "PROMPTS"], "\x9b".encode(), b"<U+009B>"),  # NDJSON escapes C0 itself
        (
            ["research", "run", "-y", "--plain", "--interval", "0.01", f"q{CLEAR}"],
            b"\x1b",
            b"^[[2J",
        ),  # the report
    ],
)
def test_other_commands_neutralise_web_text_on_a_terminal(api, env, tmp_path, args, raw, visible):
    """Search titles, batch answers and research reports are web text too."""
    from apiserver import Answer, echo_search

    api.job_polls = 0
    api.search = lambda body: {
        **echo_search(body),
        "results": [{"title": f"T{CLEAR}", "url": "https://a.example/", "snippet": "s"}],
    }
    api.chat = lambda body, n: Answer(body=sse(*answer("csi \x9b31m here")))
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("one\n")
    shown, _, code = run(
        [str(prompts) if a == "PROMPTS" else a for a in args], stdout_tty=True, stderr_tty=False
    )
    assert code == 0, shown
    assert raw not in shown and visible in shown
