"""`perplex chat` as a place to work: pasted blocks, several lines, /edit, /retry, /copy,
/export, /attach, /preset, Tab completion, partial answers in /usage, rendered answers.

Driven through a pseudo-terminal as a person at a keyboard drives it; the local server
sees what would reach the API.
"""

from __future__ import annotations

import base64
import os

import agent_streams
import pexpect
import pytest
from replay import Reply
from streams import answer, sse
from test_chat import leave

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings

PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"


def questions(server) -> list[str]:
    """The last user message of each request, in order."""
    return [r.json()["messages"][-1]["content"] for r in server.requests]


def say(child: pexpect.spawn, line: str, shown: str, prompt: str = "sonar> ") -> None:
    """Type a line, see `shown`, then the prompt again."""
    child.sendline(line)
    child.expect_exact(shown)
    child.expect_exact(prompt)


def test_a_pasted_block_of_three_lines_is_one_question(server, chat):
    server.reply(Reply(body=sse(*answer("One answer."))))
    child = chat()
    child.expect_exact("sonar> ")
    child.send(f"{PASTE_START}first line\nsecond line\nthird line{PASTE_END}")
    child.send("\r")
    child.expect_exact("One answer.")
    leave(child)
    assert questions(server) == ["first line\nsecond line\nthird line"]


def test_a_pasted_block_on_a_rendering_terminal_is_one_question(server, chat):
    server.reply(Reply(body=sse(*answer("One answer."))))
    child = chat(term="xterm-256color")
    child.expect_exact("sonar> ")
    child.send(f"{PASTE_START}alpha\nbeta\ngamma\n{PASTE_END}\r")
    child.expect_exact("One answer.")
    leave(child)
    assert [q.strip() for q in questions(server)] == ["alpha\nbeta\ngamma"]


def test_a_trailing_backslash_and_a_triple_quote_block_make_one_message_each(server, chat):
    server.reply(Reply(body=sse(*answer("A."))), Reply(body=sse(*answer("B."))))
    child = chat()
    child.expect_exact("sonar> ")
    child.sendline("one \\")
    child.expect_exact("... ")
    child.sendline("two")
    child.expect_exact("A.")
    child.expect_exact("sonar> ")
    child.sendline('"""')
    child.sendline("x = 1")
    child.sendline("")
    child.sendline("y = 2")
    child.sendline('"""')
    child.expect_exact("B.")
    leave(child)
    assert questions(server) == ["one \ntwo", "x = 1\n\ny = 2"]


def test_retry_asks_the_same_question_again_in_place_of_the_last_answer(server, chat):
    server.reply(
        Reply(body=sse(*answer("Zeroth."))),
        Reply(body=sse(*answer("First try."))),
        Reply(body=sse(*answer("Second try."))),
    )
    child = chat()
    child.expect_exact("sonar> ")
    say(child, "before", "Zeroth.")
    say(child, "why?", "First try.")
    child.sendline("/retry")
    child.expect_exact("Second try.")
    leave(child)
    assert questions(server) == ["before", "why?", "why?"]
    # The retried answer replaces the first try: the history holds the earlier turn only.
    assert server.requests[2].json()["messages"] == [
        {"role": "user", "content": "before"},
        {"role": "assistant", "content": "Zeroth."},
        {"role": "user", "content": "why?"},
    ]


def test_export_writes_the_conversation_as_markdown_with_its_sources(server, chat, tmp_path):
    results = [{"title": "Magnets", "url": "https://m.example/1"}]
    server.reply(
        Reply(
            body=sse(
                *answer(
                    "<think>hm</think>Spins [1].",
                    citations=["https://m.example/1"],
                    search_results=results,
                )
            )
        ),
        Reply(body=sse(*answer("No sources here."))),
    )
    child = chat()
    child.expect_exact("sonar> ")
    say(child, "how do magnets work?", "Spins [1].")
    say(child, "and then?", "No sources here.")
    target = tmp_path / "chat.md"
    child.sendline(f"/export {target}")
    child.expect_exact(f"wrote 2 questions and answers to {target}")
    leave(child)
    text = target.read_text()
    assert text.startswith("# perplex chat ")
    assert "## Question\n\nhow do magnets work?\n\n## Answer\n\nSpins [1].\n" in text
    assert "Sources:\n\n1. [Magnets](<https://m.example/1>)\n" in text
    assert text.endswith("## Question\n\nand then?\n\n## Answer\n\nNo sources here.\n")
    assert "hm" not in text  # the reasoning is not the answer


def test_edit_sends_what_the_editor_wrote(server, chat, monkeypatch, tmp_path):
    editor = tmp_path / "editor.sh"
    seen, name = tmp_path / "seen", tmp_path / "name"
    editor.write_text(
        f'#!/bin/sh\ncat "$1" > {seen}\necho "$1" > {name}\nprintf "edited\\nquestion\\n" > "$1"\n'
    )
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    server.reply(Reply(body=sse(*answer("First."))), Reply(body=sse(*answer("Edited."))))
    child = chat()
    child.expect_exact("sonar> ")
    say(child, "the draft", "First.")
    child.sendline("/edit")
    child.expect_exact("Edited.")
    leave(child)
    assert questions(server) == ["the draft", "edited\nquestion"]
    # The editor started from the last question, in a file that is gone afterwards.
    assert seen.read_text() == "the draft"
    assert not os.path.exists(name.read_text().strip())


def test_copy_puts_the_answer_on_the_clipboard_through_osc_52(server, chat):
    server.reply(Reply(body=sse(*answer("<think>plan</think>Copy **me**."))))
    child = chat(term="xterm-256color")
    child.expect_exact("sonar> ")
    say(child, "q", "me")
    child.sendline("/copy")
    data = base64.b64encode(b"Copy **me**.").decode()
    child.expect_exact(f"\x1b]52;c;{data}\x07")
    child.expect_exact("copied the last answer (12 characters)")
    leave(child)


def test_copy_where_escape_sequences_are_off_says_why(server, chat):
    server.reply(Reply(body=sse(*answer("Plain."))))
    child = chat()  # TERM=dumb
    child.expect_exact("sonar> ")
    say(child, "q", "Plain.")
    child.sendline("/copy")
    child.expect_exact("/copy writes the clipboard through the terminal (OSC 52)")
    leave(child)
    assert "\x1b]52" not in child.before


def test_tab_completes_slash_commands(server, chat, tmp_path):
    server.reply(Reply(body=sse(*answer("Done."))))
    child = chat()
    child.expect_exact("sonar> ")
    say(child, "q", "Done.")
    target = tmp_path / "tabbed.md"
    child.send("/ex\t")
    child.expect_exact("/export ")
    child.send(f"{target}\r")
    child.expect_exact("wrote 1 questions and answers")
    leave(child)
    assert "Done." in target.read_text()


def test_a_stopped_answer_counts_as_partial_in_usage(server, chat):
    usage = {"prompt_tokens": 4, "completion_tokens": 6, "total_tokens": 10}
    slow = [sse(c) for c in answer(*[f"slow{i} " for i in range(40)], usage=None)]
    server.reply(Reply(body=sse(*answer("Done.", usage=usage))), Reply(pieces=slow, delay=0.1))
    child = chat()
    child.expect_exact("sonar> ")
    say(child, "first", "Done.")
    child.sendline("second")
    child.expect_exact("slow2 ")
    child.sendintr()
    child.expect_exact("answer stopped")
    child.expect_exact("sonar> ")
    child.sendline("/usage")
    child.expect_exact("last answer (partial): usage not reported")
    child.expect_exact("this chat: 2 answers (1 partial), 10 tokens, $0.0000 so far")
    leave(child)


def test_attach_goes_with_the_next_question_only(server, chat, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("the notes")
    server.reply(Reply(body=sse(*answer("Read it."))), Reply(body=sse(*answer("Again."))))
    child = chat()
    child.expect_exact("sonar> ")
    child.sendline(f"/attach {tmp_path / 'missing.txt'}")
    child.expect_exact("perplex: error:")
    child.sendline(f"/attach {notes}")
    child.expect_exact(f"attached to the next question: {notes}")
    say(child, "summarise", "Read it.")
    child.sendline("and now?")
    child.expect_exact("Again.")
    leave(child)
    first, second = questions(server)
    assert first[0] == {"type": "text", "text": "summarise"}
    assert len(first) == 2 and first[1]["type"] == "file_url"
    assert second == "and now?"


@pytest.mark.api("agent")
def test_preset_switches_the_engine_of_the_next_questions(server, chat):
    stream = agent_streams.sse(*agent_streams.answer("Agent answer."))
    server.reply(Reply(body=stream), Reply(body=stream))
    child = chat()
    child.expect_exact("fast> ")
    child.sendline("/preset pro-search")
    child.expect_exact("preset pro-search on the agent API")
    child.sendline("q")
    child.expect_exact("Agent answer.")
    child.sendline("/model openai/gpt-test")
    child.expect_exact("model openai/gpt-test on the agent API")
    child.sendline("q2")
    child.expect_exact("Agent answer.")
    child.expect_exact("> ")
    child.sendeof()
    child.expect(pexpect.EOF)
    first, second = (r.json() for r in server.requests)
    assert (first["preset"], "model" in first) == ("pro-search", False)
    assert ("preset" in second, second["model"]) == (False, "openai/gpt-test")


@pytest.mark.parametrize(
    "line,said",
    [
        ("/export", "perplex: error: /export needs a file name"),
        (
            "/preset pro-search",
            "perplex: error: a preset needs the agent API; this chat asks the chat API",
        ),
        ("/retry", "no question to ask again yet"),
        ("/copy", "no answer to copy yet"),
    ],
)
def test_a_command_that_cannot_run_says_why_and_the_chat_goes_on(server, chat, line, said):
    child = chat()
    child.expect_exact("sonar> ")
    child.sendline(line)
    child.expect_exact(said)
    leave(child)
    assert server.requests == []


def test_chat_renders_the_answer_on_a_terminal_that_takes_colour(server, chat):
    server.reply(Reply(body=sse(*answer("Magnets are **strong**."))))
    child = chat(term="xterm-256color")
    child.expect_exact("sonar> ")
    child.sendline("q")
    child.expect(r"\x1b\[[0-9;]*1[0-9;]*mstrong")
    leave(child)


def test_where_readline_leaves_the_paste_markers_the_lines_are_read_up_to_the_end_marker():
    """Without readline (or with one that has no bracketed paste) the markers arrive as
    text, one line at a time: the message is everything up to the closing marker."""
    from perplex_cli.commands.chat_input import LineReader

    typed = iter([f"{PASTE_START}one", "two", f"three{PASTE_END}", "next"])
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return next(typed)

    reader = LineReader(None, [])
    assert reader.read("> ", ask) == "one\ntwo\nthree"
    assert reader.read("> ", ask) == "next"
    assert prompts == ["> ", "", "", "> "]
