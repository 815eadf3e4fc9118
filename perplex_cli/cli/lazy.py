"""Commands imported when they run: the root group knows each by name, module and summary.

The root group's `commands` is a `LazyCommands` mapping (click's pattern for large
applications, done on the mapping so that click and click-default-group keep working as
they are): its keys are every command's name, in the order --help lists them, and a
command's module is imported and the command built the first time it is looked up. The
root's --help lists the commands by their summaries, importing none of them. So a start
pays for the command it runs, not for the ~330 parameters of the whole tree
(docs/decisions.md); shell completion and the generated docs look up every command.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import click
import typer


@dataclass(frozen=True)
class Entry:
    target: str  # "module:attribute" of the typer app that holds the command (or group)
    summary: str  # the first line of its help, for the root's --help


class LazyCommands(MutableMapping[str, click.Command]):
    """Command name -> click command, each imported and built when first looked up."""

    def __init__(self, entries: dict[str, Entry]) -> None:
        self._entries = dict(entries)
        self._built: dict[str, click.Command] = {}
        self._listing = False

    def __getitem__(self, name: str) -> click.Command:
        if name in self._built:
            return self._built[name]
        entry = self._entries[name]
        if self._listing:  # a stand-in with the same short help, for the root's --help
            return click.Command(name, help=entry.summary)
        command = build(name, entry.target)
        self._built[name] = command
        return command

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._built[name] = command
        self._entries.setdefault(name, Entry("", command.help or ""))

    def __delitem__(self, name: str) -> None:
        self._entries.pop(name)
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def built(self) -> list[str]:
        """The names of the commands built so far."""
        return list(self._built)

    @contextmanager
    def listing(self) -> Iterator[None]:
        """Within it, a lookup gives a stand-in with the command's summary, not the command."""
        self._listing = True
        try:
            yield
        finally:
            self._listing = False


def build(name: str, target: str) -> click.Command:
    """The click command (or group) of the typer app at `target`, named `name`."""
    module, attribute = target.split(":")
    app: typer.Typer = getattr(importlib.import_module(module), attribute)
    command = typer.main.get_command(app)
    command.name = name
    return command


def command_app(name: str, function: Callable[..., Any], **registration: Any) -> typer.Typer:
    """A typer app holding one command, as the root group builds it (`build`)."""
    app = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False, add_completion=False)
    app.command(name, **registration)(function)
    return app
