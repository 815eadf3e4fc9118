"""Command groups with a default subcommand: click-default-group combined with typer (D1)."""

from __future__ import annotations

from typing import Any

import click
from click_default_group import DefaultGroup  # type: ignore[import-untyped]
from typer.core import TyperGroup


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
