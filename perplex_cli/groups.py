"""Command groups with a default subcommand: click-default-group combined with typer."""

from __future__ import annotations

from typing import Any

import click
import typer.main
from click_default_group import DefaultGroup  # type: ignore[import-untyped]
from typer.core import TyperArgument, TyperCommand, TyperGroup

from .suggest import did_you_mean


class HelpfulArgument(TyperArgument):
    """typer's argument, keeping its help text whatever the click release.

    click 8.5 gave `Argument` a `help` of its own, set in its constructor after typer's
    (typer up to 0.25 does not pass it on), so every argument lost its help line. Setting
    it after the constructor gives the same help under click 8.1 to 8.5 and later.
    """

    def __init__(self, *, help: str | None = None, **kwargs: Any) -> None:
        super().__init__(help=help, **kwargs)
        self.help = help


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
    """

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            hint = did_you_mean(name, self.list_commands(ctx))
            raise click.UsageError(f"No such command {name!r}.{hint}", ctx)
        return click.Group.resolve_command(self, ctx, args)


# typer builds every argument, command and group through these names: from here on, these.
typer.main.TyperArgument = HelpfulArgument  # type: ignore[attr-defined]
typer.main.TyperCommand = ArgumentsOnceCommand  # type: ignore[attr-defined]
typer.main.TyperGroup = SuggestOnceGroup  # type: ignore[attr-defined]


class DefaultCommandGroup(DefaultGroup, SuggestOnceGroup):  # type: ignore[misc]
    """Runs `default_command` when the first word is not a subcommand, or there is none.

    A first word a keystroke or two from a subcommand is a usage error, not a word for the
    default command (`perplex logs lst`); the root leaves that to routing.py, where a
    question of several words may start with one.
    """

    suggest_typos = True

    default_command = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", self.default_command)
        kwargs.setdefault("default_if_no_args", True)
        super().__init__(*args, **kwargs)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
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

    def _own_options(self, ctx: click.Context) -> set[str]:
        return {name for p in self.get_params(ctx) for name in (*p.opts, *p.secondary_opts)}
