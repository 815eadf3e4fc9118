"""The tree a start builds (startup.command_for) behaves as the whole tree does.

A start builds only the command that argv runs, and the root's --help lists the commands
without converting their parameters (docs/decisions.md). Every help text must still be the one the
whole tree gives, at any width, and argv must reach the same command.
"""

from __future__ import annotations

import click
import pytest
from typer.main import get_command

from perplex_cli.cli.app import app
from perplex_cli.cli.lazy import command_for


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
        for name, sub in cmd.commands.items():
            out += paths(sub, [*prefix, name])
    return out


WHOLE = get_command(app)


@pytest.mark.parametrize("width", [60, 80, 120])
def test_the_root_help_lists_what_the_whole_tree_lists(width):
    assert help_of(command_for(app, ["--help"]), [], width) == help_of(WHOLE, [], width)
    assert help_of(command_for(app, ["--debug", "-h"]), [], width) == help_of(WHOLE, [], width)


@pytest.mark.parametrize("path", paths(WHOLE, [])[1:], ids=" ".join)
def test_each_command_built_alone_has_the_whole_trees_help(path):
    alone = command_for(app, [*path, "--help"])
    assert help_of(alone, path, 80) == help_of(WHOLE, path, 80)


@pytest.mark.parametrize(
    "args,runs",
    [
        (["models"], "models"),
        (["--debug", "logs", "path"], "logs"),
        (["why", "is", "the", "sky", "blue"], "ask"),
        (["--", "models"], "ask"),
        ([], "ask"),
        (["-m", "sonar", "q"], "ask"),
        (["--debug"], "ask"),
        (["--version"], None),
        (["--debug", "--version"], None),
        (["--version", "models"], "models"),
    ],
)
def test_a_start_builds_the_command_argv_runs_and_no_other(args, runs):
    assert isinstance(command_for(app, args), click.Group)
    assert list(command_for(app, args).commands) == ([runs] if runs else [])


def test_the_root_help_lists_every_command():
    assert set(command_for(app, ["--help"]).commands) == set(WHOLE.commands)


def test_the_shared_names_known_without_the_table_are_the_tables():
    from perplex_cli.cli.options import shared_parameters
    from perplex_cli.request.options import SHARED_NAMES

    assert {name for name, _ in shared_parameters()} == SHARED_NAMES


def test_each_lazy_summary_is_the_first_line_of_its_commands_help():
    # The root's --help lists lazy commands by these summaries, without importing them.
    from perplex_cli.cli.lazy import LazyApp, LazyCommand

    lazy = {c.name: c.callback for c in app.registered_commands}
    lazy.update({g.name: g.typer_instance for g in app.registered_groups})
    lazy = {n: s for n, s in lazy.items() if isinstance(s, (LazyCommand, LazyApp))}
    assert len(lazy) == 10
    for name, stand_in in lazy.items():
        assert (WHOLE.commands[name].help or "").strip().splitlines()[0] == stand_in.summary
