"""The root group builds a command when it is looked up, and lists them all by summary.

A start builds only the command that argv runs, and the root's --help lists the commands
without importing them (docs/decisions.md). Every help text must still be the one the
whole tree gives, at any width, and argv must reach the same command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click
import pytest

from perplex_cli.cli.app import COMMANDS, root_command
from perplex_cli.cli.lazy import LazyCommands


def help_of(root: click.Command, path: list[str], width: int) -> str:
    ctx = click.Context(root, info_name="perplex", terminal_width=width, **root.context_settings)
    cmd = root
    for word in path:
        assert isinstance(cmd, click.Group)
        sub = cmd.get_command(ctx, word)
        assert sub is not None, word
        cmd = sub
        ctx = click.Context(
            cmd, info_name=word, parent=ctx, terminal_width=width, **cmd.context_settings
        )
    return cmd.get_help(ctx)


def paths(cmd: click.Command, prefix: list[str]) -> list[list[str]]:
    out = [prefix]
    if isinstance(cmd, click.Group):
        for name in list(cmd.commands):
            out += paths(cmd.commands[name], [*prefix, name])
    return out


def whole() -> click.Group:
    """The root with every command built."""
    root = root_command()
    for name in list(root.commands):
        root.commands[name]
    return root


WHOLE = whole()


@pytest.mark.parametrize("width", [60, 80, 120])
def test_the_root_help_lists_what_the_whole_tree_lists(width):
    fresh = root_command()
    assert help_of(fresh, [], width) == help_of(WHOLE, [], width)
    assert isinstance(fresh.commands, LazyCommands)
    assert fresh.commands.built() == []  # the listing built no command


@pytest.mark.parametrize("path", paths(WHOLE, [])[1:], ids=" ".join)
def test_each_command_built_alone_has_the_whole_trees_help(path):
    fresh = root_command()
    assert help_of(fresh, path, 80) == help_of(WHOLE, path, 80)
    assert isinstance(fresh.commands, LazyCommands)
    assert fresh.commands.built() == [path[0]]


DRIVER = """
import json, os, sys
from perplex_cli.__main__ import run
code = run(sys.argv[1:])
with open(os.environ["MODULES_OUT"], "w") as out:
    json.dump(sorted(sys.modules), out)
"""


@pytest.mark.parametrize(
    "args,runs",
    [
        (["models"], "models"),
        (["--debug", "logs", "path"], "logs"),
        (["--dry-run", "why", "is", "the", "sky", "blue"], "ask"),
        (["--dry-run", "--", "models"], "ask"),
        ([], "ask"),
        (["-m", "sonar", "--dry-run", "q"], "ask"),
        (["--version"], None),
        (["--debug", "--version"], None),
        (["--help"], None),
        (["mcp", "--help"], "mcp"),
        # An option before the command: routing reads which of ask's options take a value
        # from ask's own declarations (its module, not its command), to find the command.
        (["-f", "json", "models"], "ask models"),
        (["-m", "sonar", "logs", "path"], "ask logs"),
    ],
)
def test_a_start_imports_the_command_argv_runs_and_no_other(env, tmp_path, args, runs):
    out = tmp_path / "modules.json"
    subprocess.run(
        [sys.executable, "-c", DRIVER, *args],
        check=False,
        env=dict(os.environ, MODULES_OUT=str(out)),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
    )
    loaded = set(json.loads(out.read_text()))
    modules = {name: entry.target.split(":")[0] for name, entry in COMMANDS.items()}
    assert {name for name, module in modules.items() if module in loaded} == set(
        runs.split() if runs else ()
    )


def test_the_shared_names_known_without_the_table_are_the_tables():
    from perplex_cli.cli.options import shared_parameters
    from perplex_cli.request.options import SHARED_NAMES

    assert {name for name, _ in shared_parameters()} == SHARED_NAMES


@pytest.mark.parametrize("name", COMMANDS)
def test_each_summary_is_the_first_line_of_its_commands_help(name):
    # The root's --help lists the commands by these summaries, without importing them.
    assert (WHOLE.commands[name].help or "").strip().splitlines()[0] == COMMANDS[name].summary


def test_a_command_is_built_once_and_named_as_the_root_names_it():
    root = root_command()
    assert root.commands["logs"] is root.commands["logs"]
    assert [root.commands[name].name for name in COMMANDS] == list(COMMANDS)
