"""The rendered answer's first text comes as fast as the plain text's: written as it came
(neutralised) while rich is imported, then erased and drawn rendered, with nothing lost or
shown twice."""

from __future__ import annotations

import re
import sys

import pytest
from replay import Reply
from streams import answer, sse
from terminal import TmuxScreen, drafted, lines, on_terminal, terminal_env
from test_render import CITATIONS, MARKDOWN, RESULTS, tokens

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings

TALL = (
    "## Part one\n\n"
    + " ".join(f"Sentence {i} about magnets [1]." for i in range(40))
    + "\n\n```python\n"
    + "".join(f"x{i} = {i}\n" for i in range(25))
    + "```\n\nEnd of answer.\n"
)


def pieces(text: str) -> list[bytes]:
    return [sse(c) for c in answer(*tokens(text), citations=CITATIONS, search_results=RESULTS)]


def shown(tmp, server, text: str, size: tuple[int, int], wait: float) -> tuple[str, bytes]:
    """The whole screen (history included) once `perplex q` has answered `text`, streamed
    after `wait` seconds, and every byte the terminal received."""
    server.replies.clear()  # this reply for this run, not the last run's
    server.reply(Reply(pieces=pieces(text), delay=0.002, wait_before=wait))
    tmp.mkdir()
    raw = tmp / "pane.raw"
    tmux = TmuxScreen(tmp, ["q"], terminal_env(), size=size, record=raw)
    try:
        tmux.wait_for("[exit 0]")
        return tmux.screen(history=True), raw.read_bytes()
    finally:
        tmux.close()


@pytest.mark.parametrize(("text", "size"), [(MARKDOWN, (40, 100)), (TALL, (15, 60))])
def test_a_drafted_answer_ends_as_the_one_rendered_from_its_first_token(
    server, env, tmp_path, text, size
):
    # At once: the first text comes long before rich is imported, and is drafted.
    drafted_screen, drafted_raw = shown(tmp_path / "now", server, text, size, wait=0.0)
    # After a wait that the import hides behind: rendered from the first token.
    waited_screen, waited_raw = shown(tmp_path / "wait", server, text, size, wait=1.5)
    heading = text.split("\n")[0].encode()  # "# Magnets": only raw text shows the marker
    assert heading in drafted_raw and heading not in waited_raw
    if text is MARKDOWN:  # shorter than the screen: the same screen, row for row
        assert drafted_screen == waited_screen
    else:  # cut into blocks where each run's text happened to end: the same words
        assert drafted_screen.split() == waited_screen.split()
        assert drafted_screen.count("Sentence 0 about") == 1


def test_the_first_text_is_written_neutralised_as_it_came(server, env):
    evil = "\x1b[31mRed\x1b[0m **alert** here.\n\nMore text.\n"
    server.reply(Reply(pieces=pieces(evil), delay=0.002))
    run = on_terminal("q", stderr_tty=False)
    assert run.code == 0, run.err
    draft, rendered = drafted(run.out)
    assert lines(draft).startswith(b"^[[31mRed^[[0m **alert**")
    assert b"\x1b[31m" not in run.out
    # Then erased, and drawn rendered: the markers gone, the text once.
    assert draft.endswith(b"\r") and rendered.startswith(b"\x1b[2K")
    unstyled = re.sub(rb"\x1b\[[0-9;?]*[a-zA-Z]|\x1b\]8;[^\x1b]*\x1b\\", b"", rendered)
    assert b"**" not in unstyled and unstyled.count(b"alert") == 1


def test_the_draft_is_drawn_rendered_as_soon_as_rich_is_ready(server, env, tmp_path):
    """The first paragraph comes at once, the rest only seconds later: rich is imported
    meanwhile and draws the paragraph rendered, without waiting for more text."""
    first, rest = pieces("**Bold** start of the answer [1].\n\n"), pieces("More.\n")
    server.reply(Reply(pieces=[b"".join(first), b"".join(rest)], delay=3.0))
    raw = tmp_path / "pane.raw"
    tmux = TmuxScreen(tmp_path, ["q"], terminal_env(), record=raw)
    try:
        rendered = tmux.wait_for("Bold start of the answer [1].", timeout=4)
        assert "More." not in rendered  # still held back by the server
        tmux.wait_for("[exit 0]")
    finally:
        tmux.close()
    assert "**" not in rendered
    assert b"**Bold** start of the answer [1]." in drafted(raw.read_bytes())[0]


# Text whose rows a terminal counts in every way: full rows, wide characters that do not
# fit at the end of a row, tabs, combining accents, empty lines, a row filled exactly.
TRICKY = [
    "a" * 20,
    "b\n",
    "x" * 19 + "日本語\n",
    "\tone\ttwo\tthree four\n",
    "e\u0301" * 25 + "\n\n",
    "y" * 20 + "\n",
    "末" * 10,
    "z" * 7,
]
DRAFT_PROGRAM = """
import sys, time
from perplex_cli.output.draft import Draft
print("START")
draft = Draft(sys.stdout, 80, 30)
for piece in PIECES:
    draft.write(piece)
time.sleep(0.3)
draft.erase()
print("END")
"""


def test_the_draft_is_erased_row_for_row_as_the_terminal_wrapped_it(tmp_path):
    program = DRAFT_PROGRAM.replace("PIECES", repr(TRICKY))
    tmux = TmuxScreen(
        tmp_path, [], terminal_env(), size=(20, 20), program=[sys.executable, "-c", program]
    )
    try:
        screen = tmux.wait_for("[exit 0]")
    finally:
        tmux.close()
    assert screen.split() == ["START", "END", "[exit", "0]"], screen
