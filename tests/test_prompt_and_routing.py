"""The prompt rules (docs/prompt-and-formats.md) and the routing to the default command."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from replay import Reply
from streams import answer, sse

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings


@pytest.fixture
def ok(server):
    server.reply(Reply(body=sse(*answer("fine"))))
    return server


def sent_prompt(server) -> str:
    return server.requests[-1].json()["messages"][-1]["content"]


def test_words_are_joined_with_single_spaces(ok, cli):
    assert cli("why", "is", "the sky", "blue").code == 0
    assert sent_prompt(ok) == "why is the sky blue"


def test_ask_spelled_out_is_the_same(ok, cli):
    assert cli("ask", "why").code == 0
    assert sent_prompt(ok) == "why"


def test_piped_stdin_alone_is_the_prompt(ok, cli):
    assert cli(input="what is 2+2\n").code == 0
    assert sent_prompt(ok) == "what is 2+2\n"


def test_dash_reads_stdin(ok, cli):
    assert cli("-", input="from stdin").code == 0
    assert sent_prompt(ok) == "from stdin"


def test_stdin_is_the_material_and_words_the_instruction(ok, cli):
    assert cli("summarise", "this", input="line one\nline two\n").code == 0
    assert sent_prompt(ok) == "line one\nline two\n\nsummarise this"


def test_ignore_stdin_never_reads_it(ok, cli):
    assert cli("--ignore-stdin", "only", "words", input="material").code == 0
    assert sent_prompt(ok) == "only words"


@pytest.mark.parametrize(
    "args", [["-m", "sonar-pro", "q"], ["q", "-m", "sonar-pro"], ["ask", "q", "-m", "sonar-pro"]]
)
def test_options_before_and_after_the_question(ok, cli, args):
    assert cli(*args).code == 0
    body = ok.requests[-1].json()
    assert (body["model"], body["messages"][-1]["content"]) == ("sonar-pro", "q")


def test_question_starting_with_dash_after_double_dash(ok, cli):
    assert cli("ask", "--", "-5", "degrees").code == 0
    assert sent_prompt(ok) == "-5 degrees"


@pytest.mark.parametrize(
    "args,stdin",
    [([], ""), (["   "], None), ([], "  \n\t "), (["--ignore-stdin"], "material")],
)
def test_no_or_empty_prompt_is_a_usage_error(server, cli, args, stdin):
    result = cli(*args, input=stdin)
    assert result.code == 2
    assert "prompt" in result.stderr
    assert server.requests == []


@pytest.mark.parametrize("data", [b"caf\xe9 au lait", b"binary\x00data"])
def test_bad_stdin_is_a_usage_error(server, cli, data):
    result = cli("summarise", input=data)
    assert result.code == 2
    assert "stdin" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_option_is_a_usage_error_in_click_short_form(cli):
    result = cli("--no-such-option", "q")
    assert result.code == 2
    assert "No such option" in result.stderr
    assert "Traceback" not in result.stderr and "\u256d" not in result.stderr


def test_bad_format_value_is_a_usage_error(server, cli):
    result = cli("-f", "xml", "q")
    assert result.code == 2
    assert "text, ndjson, json" in result.stderr
    assert server.requests == []


def test_version(cli):
    from perplex_cli import __version__

    result = cli("--version")
    assert (result.code, result.stdout) == (0, f"perplex {__version__}\n")


def test_root_help_lists_ask_as_default(cli):
    result = cli("--help")
    assert result.code == 0
    assert "ask*" in result.stdout and "default" in result.stdout


def test_ask_help_is_plain_text(cli):
    result = cli("ask", "--help")
    assert result.code == 0
    assert "--model" in result.stdout and "\u2500" not in result.stdout


def test_top_level_completion_offers_command_names(env):
    e = dict(os.environ, _PERPLEX_COMPLETE="complete_bash", COMP_WORDS="perplex as", COMP_CWORD="1")
    out = subprocess.run(
        [sys.executable, "-m", "perplex_cli"], env=e, capture_output=True, text=True
    )
    assert "plain,ask" in out.stdout.splitlines()
    e["COMP_WORDS"], e["COMP_CWORD"] = "perplex why --mo", "2"
    out = subprocess.run(
        [sys.executable, "-m", "perplex_cli"], env=e, capture_output=True, text=True
    )
    assert "plain,--model" in out.stdout.splitlines()


def test_closed_stdin_counts_as_empty(server, env):
    server.reply(Reply(body=sse(*answer("fine"))))
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, sys; os.close(0); from perplex_cli.__main__ import main; main()",
            "q",
        ],
        capture_output=True,
        text=True,
    )
    assert (out.returncode, out.stdout) == (0, "fine\n"), out.stderr
