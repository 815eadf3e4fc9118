"""Command groups with a default subcommand: click-default-group combined with typer (D1)."""

from __future__ import annotations

from typing import Any

import click
import typer.main
from click_default_group import DefaultGroup  # type: ignore[import-untyped]
from typer.core import TyperArgument, TyperCommand, TyperGroup


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


# typer builds every argument and command through these names: from here on, these.
typer.main.TyperArgument = HelpfulArgument  # type: ignore[attr-defined]
typer.main.TyperCommand = ArgumentsOnceCommand  # type: ignore[attr-defined]


class DefaultCommandGroup(DefaultGroup, TyperGroup):  # type: ignore[misc]
    """Runs `default_command` when the first word is not a subcommand, or there is none."""

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
            args = [str(self.default_cmd_name), *args]
        return super().parse_args(ctx, args)

    def _own_options(self, ctx: click.Context) -> set[str]:
        return {name for p in self.get_params(ctx) for name in (*p.opts, *p.secondary_opts)}
