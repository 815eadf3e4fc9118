"""Command groups with a default subcommand: click-default-group combined with typer."""

from __future__ import annotations

from typing import Any

import click
import typer.main
from click_default_group import DefaultGroup  # type: ignore[import-untyped]
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from perplex_cli.cli.routing import command_first, positionals
from perplex_cli.cli.suggest import closest, did_you_mean


class HelpfulArgument(TyperArgument):
    """typer's argument, keeping its help text whatever the click release.

    click 8.5 gave `Argument` a `help` of its own, set in its constructor after typer's
    (typer up to 0.25 does not pass it on), so every argument lost its help line. Setting
    it after the constructor gives the same help under click 8.1 to 8.5 and later.
    """

    def __init__(self, *, help: str | None = None, **kwargs: Any) -> None:
        super().__init__(help=help, **kwargs)
        self.help = help


class NoEnvOption(TyperOption):
    """typer's option, naming no environment variable in its messages.

    No option of perplex is read from an environment variable of its own; click 8.2.1
    still wrote "(env var: 'None')" into a bad value's message for typer's options.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.show_envvar = False


class ArgumentsOnceCommand(TyperCommand):
    """typer's command, listing its arguments once.

    typer writes an "Arguments" section beside the options; click 8.5 added a
    "Positional arguments" section of its own for arguments with help. Keep typer's.
    """

    def format_arguments(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        return None


class SuggestOnceGroup(TyperGroup):
    """typer's group, saying "Did you mean" once, by the rule of suggest.py.

    click and typer each add a suggestion to an unknown subcommand (twice the same line).
    The first word that is neither an option nor an option's value names the subcommand,
    as at the root: the options before it are moved after it (`perplex research -f json
    list` runs `research list -f json`), so that a typo is told as one wherever it stands.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, self.subcommand_first(ctx, args))

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            hint = did_you_mean(name, self.list_commands(ctx))
            raise click.UsageError(f"No such command {name!r}.{hint}", ctx)
        return click.Group.resolve_command(self, ctx, args)

    def subcommand_first(self, ctx: click.Context, args: list[str]) -> list[str]:
        """`args` with the first word first, when it names the subcommand (or a typo of one)."""
        if ctx.resilient_parsing or not args or not args[0].startswith("-"):
            return args  # completing, or the word is first already (or there is none)
        own = self._own_options(ctx)
        values = {
            name
            for command in self.commands.values()
            for param in command.params
            if isinstance(param, click.Option) and not param.is_flag and not param.count
            for name in param.opts
        }
        words, end = positionals(args, lambda name: name not in own and name in values)
        if not words or words[0] >= end or not self.names_subcommand(ctx, args[words[0]]):
            return args
        return command_first(args, words[0], own)

    def names_subcommand(self, ctx: click.Context, word: str) -> bool:
        """Whether `word`, the first word, is meant as the subcommand: always, here."""
        return True

    def _own_options(self, ctx: click.Context) -> set[str]:
        return {name for p in self.get_params(ctx) for name in (*p.opts, *p.secondary_opts)}


# typer builds every argument, command and group through these names: from here on, these.
typer.main.TyperArgument = HelpfulArgument  # type: ignore[attr-defined]
typer.main.TyperOption = NoEnvOption  # type: ignore[attr-defined]
typer.main.TyperCommand = ArgumentsOnceCommand  # type: ignore[attr-defined]
typer.main.TyperGroup = SuggestOnceGroup  # type: ignore[attr-defined]


class DefaultCommandGroup(DefaultGroup, SuggestOnceGroup):  # type: ignore[misc]
    """Runs `default_command` when the first word is not a subcommand, or there is none.

    A first word a keystroke or two from a subcommand is a usage error, not a word for the
    default command (`perplex logs lst`, `perplex logs -n 5 lst`); the root leaves that to
    routing.py, where a question of several words may start with one.
    """

    suggest_typos = True

    default_command = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", self.default_command)
        kwargs.setdefault("default_if_no_args", True)
        super().__init__(*args, **kwargs)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = self.subcommand_first(ctx, args)
        if ctx.resilient_parsing and not args:
            # Completing the first word: offer the command names, not the default's arguments.
            return TyperGroup.parse_args(self, ctx, args)
        if args and args[0] not in self.commands and args[0] not in self._own_options(ctx):
            # All of argv belongs to the default command: the group must not read an option
            # value such as the '-huffpost.com' of '--search-domain -huffpost.com' as its -h.
            if self.suggest_typos and not args[0].startswith("-"):
                hint = did_you_mean(args[0], self.list_commands(ctx))
                if hint:
                    raise click.UsageError(f"No such command {args[0]!r}.{hint}", ctx)
            args = [str(self.default_cmd_name), *args]
        return super().parse_args(ctx, args)

    def names_subcommand(self, ctx: click.Context, word: str) -> bool:
        """A subcommand's name, or a typo of one to be told as such; else a word for the
        default command."""
        commands = self.list_commands(ctx)
        return word in commands or (self.suggest_typos and bool(closest(word, commands)))
