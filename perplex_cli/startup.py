"""The click command tree for one command line: only the part that runs.

Building the whole tree makes typer convert every parameter of every command (about 330,
most of them the shared request options of ask, chat, batch and research): it cost more
than importing typer and click together, on every start (issue 9). The command that argv
runs is all a start needs; the root's own help, shell completion and `completions` (which
print the tree) still get the whole tree.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import click
import typer
from typer.main import get_command

ROOT_FLAGS = frozenset({"--version", "--debug"})
HELP_FLAGS = frozenset({"-h", "--help"})
WHOLE_TREE = frozenset({"completions"})  # commands that read every other command
DEFAULT = "ask"


def command_for(app: typer.Typer, args: list[str], prog: str = "perplex") -> click.Command:
    """The root group with only the subcommand that `args` runs (its whole subtree)."""
    if os.environ.get(f"_{prog.upper()}_COMPLETE"):
        return get_command(app)
    word = next((a for a in args if a not in ROOT_FLAGS), None)
    if word in HELP_FLAGS:
        return get_command(app)
    names = {_command_name(c): c for c in app.registered_commands}
    groups = {_group_name(g): g for g in app.registered_groups}
    # As the default group routes it: a first word that is no command name goes to `ask`.
    wanted = word if word in names or word in groups else DEFAULT
    if wanted in WHOLE_TREE:
        return get_command(app)
    pruned = copy.copy(app)
    pruned.registered_commands = [names[wanted]] if wanted in names else []
    pruned.registered_groups = [groups[wanted]] if wanted in groups else []
    return get_command(pruned)


def _command_name(info: Any) -> str:
    return str(info.name or info.callback.__name__.lower().replace("_", "-"))


def _group_name(info: Any) -> str:
    name = _value(info.name) or _value(info.typer_instance.info.name)
    return str(name)


def _value(name: Any) -> Any:
    """A name typer left as a placeholder for its default, or the name itself."""
    return getattr(name, "value", name)
