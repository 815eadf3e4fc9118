"""The click command tree for one command line: only the part that runs.

Building the whole tree makes typer convert every parameter of every command (about 330,
most of them the shared request options of ask, chat, batch and research): it cost more
than importing typer and click together, on every start (docs/decisions.md). The command that argv
runs is all a start needs; shell completion still gets the whole tree, and the root's own
help a listing of it.
"""

from __future__ import annotations

import copy
import importlib
import os
from typing import Any, cast

import click
import typer
from typer.main import get_command

ROOT_FLAGS = frozenset({"--version", "--debug"})
HELP_FLAGS = frozenset({"-h", "--help"})


def command_for(app: typer.Typer, args: list[str], prog: str = "perplex") -> click.Command:
    """The root group with only the subcommand that `args` runs (its whole subtree)."""
    if os.environ.get(f"_{prog.upper()}_COMPLETE"):
        return get_command(app)
    word = next((a for a in args if a not in ROOT_FLAGS), None)
    if word in HELP_FLAGS:
        return get_command(_listing(app))
    names = {_command_name(c): c for c in app.registered_commands}
    groups = {_group_name(g): g for g in app.registered_groups}
    # As the default group routes it: a first word that is no command name goes to `ask`;
    # --version alone exits while the root's options are read, before any command.
    default = getattr(app.info.cls, "default_command", None)
    wanted = word if word in names or word in groups else default
    if word is None and "--version" in args:
        wanted = ""
    pruned = copy.copy(app)
    pruned.registered_commands = [names[wanted]] if wanted in names else []
    pruned.registered_groups = [groups[wanted]] if wanted in groups else []
    return get_command(pruned)


def command_names(app: typer.Typer) -> list[str]:
    """The names of the root's commands and groups, in their order, without building any."""
    return [_command_name(c) for c in app.registered_commands] + [
        _group_name(g) for g in app.registered_groups
    ]


def _listing(app: typer.Typer) -> typer.Typer:
    """The app as its --help lists it: every command and group, none of their parameters.

    The root's help shows each command's name and the first line of its help, which typer
    takes from the registration and the docstring; converting their parameters (the cost
    of the whole tree) changes nothing in it.
    """
    listed = copy.copy(app)
    listed.registered_commands = [_without_parameters(c) for c in app.registered_commands]
    listed.registered_groups = [_without_commands(g) for g in app.registered_groups]
    return listed


def _without_parameters(info: Any) -> Any:
    def command() -> None:
        """Never run: stands for a command in the root's --help."""

    command.__name__ = info.callback.__name__
    lazy = isinstance(info.callback, LazyCommand)
    command.__doc__ = info.callback.summary if lazy else info.callback.__doc__
    stand_in = copy.copy(info)
    stand_in.callback = command
    return stand_in


def _without_commands(info: Any) -> Any:
    stand_in = copy.copy(info)
    # Every group is a LazyApp: the listing shows only the first line of its help.
    stand_in.typer_instance = typer.Typer(help=info.typer_instance.summary)
    return stand_in


def _command_name(info: Any) -> str:
    return str(info.name or info.callback.__name__.lower().replace("_", "-"))


def _group_name(info: Any) -> str:
    name = _value(info.name) or _value(info.typer_instance.info.name)
    return str(name)


def _value(name: Any) -> Any:
    """A name typer left as a placeholder for its default, or the name itself."""
    return getattr(name, "value", name)


class LazyCommand:
    """A command function registered by name, imported when typer first reads it.

    typer reads a command's function only when it builds that command: its signature (through
    __wrapped__), annotations, docstring, and later calls it. Registering this stand-in
    keeps the command's module out of every start that runs another command. `summary` is
    the first line of its docstring, for the root's --help (tests/test_startup.py checks it).
    """

    def __init__(self, module: str, name: str, summary: str) -> None:
        self._module = module
        self.summary = summary
        self.__name__ = self.__qualname__ = name
        self._function: Any = None

    @property
    def __wrapped__(self) -> Any:
        if self._function is None:
            self._function = getattr(importlib.import_module(self._module), self.__name__)
        return self._function

    @property
    def __annotations__(self) -> Any:  # type: ignore[override]
        return self.__wrapped__.__annotations__

    @property
    def __doc__(self) -> Any:  # type: ignore[override]
        return self.__wrapped__.__doc__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.__wrapped__(*args, **kwargs)


class LazyApp:
    """A typer sub-app registered by its module, imported when typer first reads it.

    `summary` is the first line of its help, for the root's --help.
    """

    def __init__(self, module: str, summary: str, name: str = "app") -> None:
        self._module = module
        self._name = name
        self.summary = summary

    def load(self) -> typer.Typer:
        app: typer.Typer = getattr(importlib.import_module(self._module), self._name)
        return app

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.load(), attribute)


def lazy_app(module: str, summary: str) -> typer.Typer:
    """A LazyApp where typer expects its app (typer only reads attributes of it)."""
    return cast(typer.Typer, LazyApp(module, summary))
