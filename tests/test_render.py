"""--render: formatted Markdown with linked sources on a terminal, the text format elsewhere."""

from __future__ import annotations

import re

import pytest
from replay import Reply
from streams import answer, sse
from terminal import TmuxScreen, drafted, lines, on_terminal, terminal_env

from perplex_cli.output.blocks import Block, Blocks
from perplex_cli.output.render import link_citations, preview, safe_url

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings

MARKDOWN = (
    "# Magnets\n\n"
    "Magnets work because of **aligned electron spins** [1]. Each electron is a tiny magnet [2].\n\n"
    "- Ferromagnets: iron, nickel, cobalt [1]\n"
    "- Paramagnets: weakly attracted\n\n"
    "```python\n"
    "def field(r):\n\n"
    "    return 1 / r**3  # not a citation [1]\n"
    "```\n\n"
    "That is all [2].\n"
)
CITATIONS = ["https://en.wikipedia.org/wiki/Magnet", "https://example.org/spin"]
RESULTS = [
    {"title": "Magnet - Wikipedia", "url": CITATIONS[0]},
    {"title": "Spin", "url": CITATIONS[1]},
]
# Untrusted text trying to colour the terminal and to plant a hyperlink of its own.
EVIL_MARKDOWN = MARKDOWN + "\nEscape \x1b[31mred\x1b[0m here.\n"
EVIL_RESULTS = [RESULTS[0], {"title": "Spin \x1b]8;;https://evil.example\x07", "url": CITATIONS[1]}]


def tokens(text: str) -> list[str]:
    return re.findall(r"\S+\s*|\s+", text)


def markdown_chunks(text: str = MARKDOWN, results: list[dict] = RESULTS) -> list[dict]:
    return answer(*tokens(text), citations=CITATIONS, search_results=results)


@pytest.fixture
def markdown(server):
    server.reply(Reply(pieces=[sse(c) for c in markdown_chunks()], delay=0.005))
    return server


@pytest.fixture
def evil(server):
    server.reply(Reply(body=b"".join(sse(c) for c in markdown_chunks(EVIL_MARKDOWN, EVIL_RESULTS))))
    return server


def test_render_piped_is_byte_for_byte_the_text_format(markdown, cli):
    plain = cli("q")
    rendered = cli("--render", "q")
    assert (rendered.code, plain.code) == (0, 0)
    assert rendered.stdout_bytes == plain.stdout_bytes


def test_render_with_stdout_piped_and_stderr_on_a_terminal_is_still_plain(markdown, env):
    plain = on_terminal("q", stdout_tty=False, stderr_tty=False)
    run = on_terminal("--render", "q", stdout_tty=False, stderr_tty=True)
    assert run.code == 0
    assert run.out == plain.out


def test_render_on_a_terminal_draws_markdown_and_links_citations(markdown, env):
    run = on_terminal("--render", "q", stderr_tty=False)
    assert run.code == 0, run.err
    draft, out = drafted(run.out)
    assert MARKDOWN.encode().startswith(lines(draft).removesuffix(b"\r"))
    assert b"**aligned" not in out and b"# Magnets" not in out and b"```" not in out
    assert re.search(rb"\x1b\[[0-9;]*1[0-9;]*maligned electron spins", out), "bold is not drawn"
    # [1] in the prose is an OSC 8 hyperlink to the first citation; the one in code is not.
    assert re.search(
        rb"\x1b\]8;[^;]*;https://en\.wikipedia\.org/wiki/Magnet\x1b\\(\x1b\[[0-9;]*m)*\[1\]", out
    )
    unstyled = re.sub(rb"\x1b\[[0-9;]*m", b"", out)
    assert unstyled.count(b"not a citation [1]") >= 1  # no hyperlink between the words and [1]
    assert b"not a citation \x1b]8;" not in unstyled
    # The sources are listed and linked.
    assert re.search(rb"\[1\] \x1b\]8;[^;]*;https://en\.wikipedia\.org/wiki/Magnet\x1b\\", out)


def test_render_neutralises_escape_sequences_from_the_answer_and_titles(evil, env):
    out = on_terminal("--render", "q", stderr_tty=False).out
    assert b"\x1b[31mred" not in out and b"^[[31mred" in out
    assert b"https://evil.example\x07" not in out and b"^[]8;;https://evil.example^G" in out


def test_render_screen_shows_formatted_text_while_streaming_and_once_at_the_end(
    server, env, tmp_path
):
    chunks = markdown_chunks()
    middle = next(
        i for i, c in enumerate(chunks) if "nickel" in c["choices"][0]["delta"]["content"]
    )
    server.reply(
        Reply(
            pieces=[
                b"".join(sse(c) for c in chunks[: middle + 1]),
                b"".join(sse(c) for c in chunks[middle + 1 :]),
            ],
            delay=1.5,
        )
    )
    tmux = TmuxScreen(tmp_path, ["--render", "q"], terminal_env())
    try:
        # Drawn rendered, once rich is ready, even while no more text comes.
        during = tmux.wait_for("• Ferromagnets: iron, nickel")
        assert "That is all" not in during  # the second half has not been sent yet
        assert "Magnets" in during and "# Magnets" not in during
        assert "aligned electron spins [1]" in during and "**" not in during
        screen = tmux.wait_for("[exit 0]")
        styled = tmux.screen(escapes=True)
    finally:
        tmux.close()
    assert "searching" not in screen
    for once in (
        "Magnets work because",
        "Ferromagnets",
        "Paramagnets",
        "def field(r):",
        "That is all [2].",
    ):
        assert screen.count(once) == 1, (
            f"{once!r} is on the screen {screen.count(once)} times:\n{screen}"
        )
    assert "• Ferromagnets: iron, nickel, cobalt [1]" in screen
    assert "```" not in screen
    assert "[1] Magnet - Wikipedia - https://en.wikipedia.org/wiki/Magnet" in screen
    assert "[2] Spin - https://example.org/spin" in screen
    assert re.search(r"\x1b\[[0-9;]*1[0-9;]*maligned electron spins", styled)
    # Blocks are spaced by one blank line, as in a document rendered whole.
    rows = [row.strip() for row in screen.splitlines()]
    paragraph = rows.index(
        "Magnets work because of aligned electron spins [1]. Each electron is a tiny magnet [2]."
    )
    # The heading, then one blank line: rich draws an h1 in a box before 15, plain from 15 on.
    assert rows[paragraph - 1] == ""
    above = [row.strip("┃┏┓┗┛━ ") for row in rows[: paragraph - 1]]
    assert above[-1] == "Magnets" or above[-2:] == ["Magnets", ""], screen
    assert rows[paragraph + 1] == "" and rows[paragraph + 2].startswith("• Ferromagnets")


def test_render_taller_than_the_screen_prints_every_line_once(server, env, tmp_path):
    """Blocks taller than the live region are cut, so no redraw reaches a scrolled-off line."""
    prose = " ".join(f"Sentence {i} about magnets [1]." for i in range(40))
    code = "```python\n" + "".join(f"x{i} = {i}\n" for i in range(25)) + "```"
    text = f"## Part one\n\n{prose}\n\n{code}\n\nEnd of answer.\n"
    server.reply(
        Reply(pieces=[sse(c) for c in answer(*tokens(text), citations=CITATIONS)], delay=0.002)
    )
    tmux = TmuxScreen(tmp_path, ["--render", "q"], terminal_env(), size=(15, 60))
    try:
        tmux.wait_for("[exit 0]")
        everything = tmux.screen(history=True)
    finally:
        tmux.close()
    flat = " ".join(everything.split())
    for i in range(40):
        assert flat.count(f"Sentence {i} about") == 1, f"sentence {i}:\n{everything}"
    rows = [row.strip() for row in everything.splitlines()]
    for i in range(25):
        assert rows.count(f"x{i} = {i}") == 1, f"code line {i}:\n{everything}"
    code_rows = [n for n, row in enumerate(rows) if row.startswith("x")]
    assert code_rows == list(range(code_rows[0], code_rows[0] + 25)), (
        "the code block is not contiguous"
    )
    assert rows.count("End of answer.") == 1 and rows.count("Part one") == 1


@pytest.mark.parametrize("plain", [{"NO_COLOR": "1"}, {"TERM": "dumb"}, "--no-color", "-q"])
def test_render_is_plain_text_when_colour_is_off(markdown, cli, env, plain):
    expected = cli("q").stdout_bytes
    args = ["--render", "--usage", "q"]
    extra = {}
    if isinstance(plain, str):
        args.insert(0, plain)
    else:
        extra = plain
    run = on_terminal(*args, env=terminal_env(**extra))
    assert run.code == 0
    assert b"\x1b" not in run.out
    assert lines(run.out).startswith(expected)
    assert lines(run.out).endswith(
        b"perplex: usage: 5 prompt + 3 completion = 8 tokens, cost not reported\n"
    )


def test_force_color_renders_into_a_pipe_without_cursor_movement(markdown, env):
    run = on_terminal(
        "--render", "q", stdout_tty=False, stderr_tty=False, env=terminal_env(FORCE_COLOR="1")
    )
    assert run.code == 0
    assert b"\x1b]8;" in run.out and b"**" not in run.out
    assert not re.search(rb"\x1b\[\d*[ABK]", run.out), "cursor movement on a pipe"


def test_blocks_are_finished_at_blank_lines_outside_code_fences():
    blocks = Blocks()
    done = []
    for piece in tokens(MARKDOWN):
        done += blocks.feed(piece)
    done.append(blocks.flush())
    assert not any(b.continues or b.cut for b in done)
    texts = [b.text for b in done]
    assert texts[0] == "# Magnets"
    assert texts[2].startswith("- Ferromagnets") and texts[2].endswith("weakly attracted")
    assert texts[3].startswith("```python") and texts[3].endswith(
        "```"
    )  # the blank line inside stays
    assert "\n\n".join(texts) + "\n" == MARKDOWN


def test_a_block_taller_than_the_live_region_is_cut_and_its_fence_reopened():
    blocks = Blocks(max_lines=5, width=80)
    done = blocks.feed("```sh\n" + "".join(f"echo {i}\n" for i in range(8)))
    head = "```sh\necho 0\necho 1\necho 2\necho 3\necho 4\necho 5\necho 6\necho 7\n```"
    assert done == [Block(head, continues=False, cut=True)]
    assert blocks.pending == "```sh\n" and blocks.continues
    done = blocks.feed("echo 8\n```\n\nnext")
    assert done == [Block("```sh\necho 8\n```", continues=True)]
    assert blocks.flush() == Block("next")


def test_citation_markers_become_links_outside_code_only():
    urls = ["https://a.example/x y", "https://b.example"]
    text = "see [1] and [2][1], not `[1]` nor [3] nor [x](y)\n```\n[1]\n```\n[2]"
    linked = link_citations(text, urls)
    assert linked.startswith(
        "see [\\[1\\]](<https://a.example/x%20y>) and [\\[2\\]](<https://b.example>)"
    )
    assert "`[1]`" in linked and "nor [3] nor [x](y)" in linked
    assert linked.split("\n")[2] == "[1]"
    assert linked.endswith("[\\[2\\]](<https://b.example>)")


def test_safe_url_cannot_end_a_link_or_an_escape_sequence():
    assert (
        safe_url('https://x.example/a b<c>\x1b\\\x07"')
        == "https://x.example/a%20b%3Cc%3E%1B%5C%07%22"
    )


@pytest.mark.parametrize("args", [["q"], ["--render", "q"], ["--render", "--no-color", "q"]])
def test_rich_is_imported_only_to_render_on_a_terminal(markdown, env, args):
    import subprocess
    import sys

    from terminal import ROOT

    code = (
        "import sys; from perplex_cli.__main__ import run; status = run(sys.argv[1:]); "
        "sys.stderr.write(str('rich' in sys.modules)); sys.exit(status)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        check=False,
        capture_output=True,
        cwd=ROOT,
        env=terminal_env(FORCE_COLOR=""),
    )
    assert (out.returncode, out.stderr) == (0, b"False")


def test_a_paragraph_taller_than_the_live_region_is_cut_at_a_space():
    blocks = Blocks(max_lines=3, width=20)
    done = []
    for word in ("word " * 30).split(" "):
        done += blocks.feed(word + " ")
    assert done and all(b.cut and b.text.startswith("word") for b in done)
    assert [b.continues for b in done] == [False] + [True] * (len(done) - 1)
    assert all(len(b.text) <= 3 * 20 + 20 for b in done)
    rest = blocks.flush()
    assert rest.continues
    assert " ".join(b.text for b in done).split() + rest.text.split() == ["word"] * 30


def test_the_growing_block_is_drawn_with_its_open_emphasis_closed():
    assert preview("of **aligned el") == "of **aligned el**"
    assert preview("of **aligned ") == "of **aligned**"
    assert preview("of **") == "of "
    assert preview("use `x[1") == "use `x[1`"
    assert preview("done **bold** and `code`") == "done **bold** and `code`"


@pytest.mark.parametrize("opening", ["", "```\n"])
def test_unbroken_text_is_cut_so_that_rendering_stays_linear(opening):
    import io
    import time

    from perplex_cli.output.render import RenderFormatter

    word = "x" * 100_000  # one word, no line break: redrawn whole at every chunk before
    blocks = Blocks(max_lines=20, width=80)
    done = blocks.feed(opening)
    for i in range(0, len(word), 100):
        done += blocks.feed(word[i : i + 100])
    rest = blocks.flush()
    assert len(done) > 10 and all(len(b.text) <= 20 * 80 + 100 for b in done)
    fence = "```" if opening else ""
    pieces = [b.text.removeprefix(fence + "\n").removesuffix("\n" + fence) for b in done]
    assert "".join(pieces) + rest.text.removeprefix(fence + "\n") == word

    out = io.StringIO()
    formatter = RenderFormatter(out, io.StringIO())
    start = time.monotonic()
    if opening:
        formatter.write_answer(opening)
    for i in range(0, len(word), 100):
        formatter.write_answer(word[i : i + 100])
    formatter.write_end([])
    assert time.monotonic() - start < 8  # 14 s before; about 0.7 s now


# --- rendered by default on a terminal -------------------------------------------------

PIPED = (
    MARKDOWN
    + "\n[1] Magnet - Wikipedia - https://en.wikipedia.org/wiki/Magnet"
    + "\n[2] Spin - https://example.org/spin\n"
)


@pytest.mark.parametrize("args", [[], ["--render"], ["--plain"], ["--no-render"]])
def test_into_a_pipe_the_answer_is_the_raw_text_whatever_the_render_flags(markdown, cli, args):
    run = cli(*args, "q")
    assert run.code == 0
    assert run.stdout_bytes == PIPED.encode()


def test_the_answer_is_rendered_on_a_terminal_without_any_flag(markdown, env):
    run = on_terminal("q", stderr_tty=False)
    assert run.code == 0, run.err
    out = drafted(run.out)[1]
    assert b"**aligned" not in out and b"# Magnets" not in out
    assert re.search(rb"\x1b\[[0-9;]*1[0-9;]*maligned electron spins", out)
    assert re.search(rb"\[1\] \x1b\]8;[^;]*;https://en\.wikipedia\.org/wiki/Magnet\x1b\\", out)


@pytest.mark.parametrize("how", ["--plain", "--no-render", "config"])
def test_plain_or_render_false_in_the_config_gives_the_raw_text_on_a_terminal(
    markdown, env, tmp_path, how
):
    args = ["q"]
    if how == "config":
        config = tmp_path / "config" / "perplex" / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text("render = false\n")
    else:
        args.insert(0, how)
    run = on_terminal(*args, stderr_tty=False)
    assert run.code == 0, run.err
    assert lines(run.out) == PIPED.encode()


def test_force_color_alone_does_not_render_into_a_pipe(markdown, env):
    run = on_terminal("q", stdout_tty=False, stderr_tty=False, env=terminal_env(FORCE_COLOR="1"))
    assert run.code == 0
    assert run.out == PIPED.encode()


def test_render_true_in_the_config_means_what_render_means(markdown, env, tmp_path):
    config = tmp_path / "config" / "perplex" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("render = true\n")
    run = on_terminal("q", stdout_tty=False, stderr_tty=False, env=terminal_env(FORCE_COLOR="1"))
    assert run.code == 0
    assert b"\x1b]8;" in run.out and b"**" not in run.out
