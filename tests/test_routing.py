"""Which command a command line runs: typos never become paid questions.

The first word that is neither an option nor an option's value names the command; a lone
word a keystroke or two from a command name is a usage error with one suggestion.
"""

from __future__ import annotations

import json
import os
import pty

import pytest
from replay import Reply
from streams import answer, sse

from perplex_cli import __version__
from perplex_cli.cli.suggest import closest, distance


@pytest.mark.parametrize(
    "word,meant",
    [("modles", "models"), ("serch", "search"), ("chta", "chat"), ("verison", "version")],
)
def test_a_lone_typo_of_a_command_is_a_usage_error_and_no_request(server, cli, word, meant):
    result = cli(word)
    assert result.code == 2
    assert result.stderr.count("Did you mean") == 1
    assert f"Did you mean {meant!r}?" in result.stderr
    assert f"perplex ask {word}" in result.stderr  # how to ask it after all
    assert server.requests == []


@pytest.mark.parametrize(
    "args,meant",
    [(["serch", "rust"], "search"), (["reserch", "fusion", "power"], "research")],
)
def test_a_typo_of_a_command_that_takes_words_is_a_usage_error_with_its_words(
    server, cli, args, meant
):
    result = cli(*args)
    assert result.code == 2
    assert f"Did you mean {meant!r}?" in result.stderr
    assert "perplex ask " + " ".join(args) in result.stderr
    assert server.requests == []


@pytest.mark.parametrize(
    "args,sent",
    [
        (["ask", "modles"], "modles"),
        (["ask", "serch", "rust"], "serch rust"),
        (["--", "modles"], "modles"),
        (["modles", "of", "the", "atom"], "modles of the atom"),
        (["cat", "facts"], "cat facts"),
        (["searches", "for", "x"], "searches for x"),
    ],
)
def test_a_typo_asked_on_purpose_or_within_a_question_is_asked(server, cli, args, sent):
    server.reply(Reply(body=sse(*answer("fine"))))
    assert cli("--api", "chat", *args).code == 0
    assert server.requests[-1].json()["messages"][-1]["content"] == sent


@pytest.mark.parametrize(
    "args",
    [["-f", "json", "models"], ["models", "-f", "json"], ["--debug", "-f", "json", "models"]],
)
def test_options_before_a_command_name_go_to_that_command(server, cli, args):
    result = cli(*args)
    assert result.code == 0, result.stderr
    ids = [entry["id"] for entry in json.loads(result.stdout)]
    assert {"fast", "sonar"} <= set(ids)  # the presets and the Sonar models, as -f json
    assert server.requests == []


def test_an_option_the_command_does_not_take_is_refused_by_name(server, cli):
    result = cli("--no-stream", "models")
    assert result.code == 2
    assert "--no-stream" in result.stderr
    assert server.requests == []


def test_an_option_value_is_not_the_command_word(server, cli):
    server.reply(Reply(body=sse(*answer("fine"))))
    assert cli("--api", "chat", "-s", "models", "why").code == 0
    body = server.requests[-1].json()
    assert body["messages"][0]["content"] == "models"
    assert body["messages"][-1]["content"] == "why"


@pytest.mark.parametrize(
    "args,shown",
    [
        (["help"], "Usage: perplex [OPTIONS] COMMAND"),
        (["help", "logs", "list"], "perplex logs list"),
    ],
)
def test_help_shows_help(server, cli, args, shown):
    result = cli(*args)
    assert result.code == 0
    assert shown in result.stdout
    assert server.requests == []


def test_help_of_a_typo_suggests_the_command(server, cli):
    result = cli("help", "modles")
    assert result.code == 2 and "Did you mean 'models'?" in result.stderr
    assert server.requests == []


def test_version_as_a_word_prints_the_version(server, cli):
    assert cli("version").stdout == f"perplex {__version__}\n"
    assert server.requests == []


@pytest.mark.parametrize(
    "args,meant",
    [
        (["key", "stauts"], "'status'"),
        (["logs", "lst"], "'list'"),
        (["research", "stauts"], "'status'"),
        (["--verison"], "'--version'"),
        (["why", "--modle", "sonar"], "'--model'"),
    ],
)
def test_each_suggestion_is_made_once_and_names_the_nearest(server, cli, args, meant):
    result = cli(*args)
    assert result.code == 2
    assert result.stderr.count("Did you mean") == 1
    assert f"Did you mean {meant}?" in result.stderr
    assert "--reasoning" not in result.stderr
    assert server.requests == []


def test_a_config_key_typo_suggests_the_key(cli):
    result = cli("config", "set", "modle", "sonar-pro")
    assert result.code == 2
    assert "unknown config key 'modle'. Did you mean 'model'?" in result.stderr


def test_bare_perplex_on_a_terminal_shows_a_short_usage(server, spawn):
    main, side = pty.openpty()
    proc = spawn(stdin=side)
    out, err = proc.communicate(timeout=20)
    os.close(main)
    os.close(side)
    assert proc.returncode == 2
    assert out == b""
    assert b"usage: perplex" in err and b"examples:" in err and b"models" in err
    assert server.requests == []


def test_the_distance_counts_a_swap_as_one_edit():
    assert (distance("modles", "models"), distance("lst", "list"), distance("a", "")) == (1, 1, 1)
    assert closest("zebra", ["models", "chat"]) == []
    assert closest("--verison", ["--version", "--reasoning", "--retries"]) == ["--version"]


@pytest.mark.parametrize(
    "args,runs",
    [(["-f", "json", "models"], "models"), (["-m", "sonar", "logs"], "logs"), (["help"], None)],
)
def test_a_routed_command_line_names_its_command_first(args, runs):
    # which modules such a start imports: tests/test_startup.py
    from perplex_cli.cli.app import COMMANDS
    from perplex_cli.cli.routing import route

    routed = route(args, list(COMMANDS))
    assert routed[0] == runs if runs else routed == ["--help"]


# Options before a group's subcommand: the first word that is no option or option value is
# the subcommand, as at the root; each line pairs a command line with its plain form.
OPTIONS_FIRST_TYPOS = [
    (["logs", "-n", "5", "lst"], ["logs", "lst"]),
    (["logs", "-n5", "lst"], ["logs", "lst"]),
    (["logs", "--limit=5", "-f", "json", "lst"], ["logs", "lst"]),
    (["-f", "json", "logs", "-n", "5", "lst"], ["logs", "lst"]),
    (["key", "-f", "json", "stauts"], ["key", "stauts"]),
    (["config", "--all", "lst"], ["config", "lst"]),
    (["config", "-f", "json", "lst"], ["config", "lst"]),
    (["research", "-f", "json", "lst"], ["research", "lst"]),
    (["research", "--api", "agent", "stauts", "ID"], ["research", "stauts"]),
]


@pytest.mark.parametrize("args,plain", OPTIONS_FIRST_TYPOS, ids=" ".join)
def test_options_before_a_mistyped_subcommand_change_nothing_in_its_error(server, cli, args, plain):
    expected = cli(*plain)
    result = cli(*args)
    assert (result.code, expected.code) == (2, 2)
    assert result.stderr == expected.stderr
    assert result.stderr.count("Did you mean") == 1
    assert server.requests == []


OPTIONS_FIRST = [
    (["logs", "-n", "1", "-f", "json", "list"], ["logs", "list", "-n", "1", "-f", "json"]),
    (["logs", "-f", "json", "search", "fine"], ["logs", "search", "fine", "-f", "json"]),
    (["logs", "-n", "1", "-f", "json"], ["logs", "list", "-n", "1", "-f", "json"]),
    (["key", "-f", "json", "status"], ["key", "status", "-f", "json"]),
    (["config", "--all", "list"], ["config", "list", "--all"]),
    (["research", "-f", "json", "list"], ["research", "list", "-f", "json"]),
]


@pytest.mark.parametrize("args,plain", OPTIONS_FIRST, ids=" ".join)
def test_options_before_a_subcommand_go_to_it(server, cli, args, plain):
    server.reply(Reply(body=sse(*answer("fine"))))
    assert cli("--api", "chat", "q").code == 0  # something in the log to list and find
    expected = cli(*plain)
    result = cli(*args)
    assert (result.code, expected.code) == (0, 0), result.stderr
    assert (result.stdout, result.stderr) == (expected.stdout, expected.stderr)
    assert result.stdout.strip()
