"""The typer commands: parse, call one function, hand the result to a formatter.

The root group is click-default-group's DefaultGroup combined with typer's group (D1), so
that `perplex "q"` runs `ask`. A question that is exactly a command name runs that command;
`perplex ask models` asks it.
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import click
import typer
from click_default_group import DefaultGroup
from typer.core import TyperGroup

from . import __version__
from .commandtree import examples_epilog
from .completions import EPILOG as COMPLETIONS_EPILOG
from .completions import completions_command
from .options import Options, shared_options


class PerplexGroup(DefaultGroup, TyperGroup):
    """The root group: `ask` is the default command."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", "ask")
        kwargs.setdefault("default_if_no_args", True)
        super().__init__(*args, **kwargs)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if ctx.resilient_parsing and not args:
            # Completing the first word: offer the command names, not ask's arguments.
            return TyperGroup.parse_args(self, ctx, args)
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=PerplexGroup,
    name="perplex",
    help="Ask Perplexity from the command line: cited answers, streamed.\n\n"
    "'ask' is the default command (marked *): perplex \"why is the sky blue\" is "
    "perplex ask \"why is the sky blue\". 'perplex COMMAND --help' tells more.",
    epilog=examples_epilog(
        '  perplex "why is the sky blue"',
        '  cat notes.md | perplex "summarise this"',
        "  perplex -f json \"capital of France\" | jq -r '.choices[0].message.content'",
        "  perplex completions bash > ~/.local/share/bash-completion/completions/perplex",
    ),
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
    no_args_is_help=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        click.echo(f"perplex {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", help="Print the version and exit.", callback=_version, is_eager=True),
    ] = None,
) -> None:
    """Options of perplex itself; the help text is the app's."""


@app.command(
    "ask",
    context_settings={"allow_interspersed_args": True},
    epilog=examples_epilog(
        '  perplex "why is the sky blue"',
        '  cat notes.md | perplex "summarise this"      # stdin is the material',
        "  perplex --render --usage \"how do magnets work\"  # formatted, then tokens and cost",
        "  perplex -f json \"q\" | jq -r '.citations[]'",
        "  perplex ask -- -5 degrees in kelvin           # a question that starts with -",
    ),
)
@shared_options
def ask_command(
    prompt: Annotated[Optional[list[str]], typer.Argument(help="The question; '-' reads stdin.", show_default=False)] = None,
    ignore_stdin: Annotated[bool, typer.Option("--ignore-stdin", help="Never read stdin.")] = False,
    *,
    opts: Options,
) -> None:
    """Ask one question and stream the cited answer.

    This is the default command: perplex "q" is perplex ask "q". Piped stdin is read as
    the material and the words as the instruction; --render formats the answer on a
    terminal.
    """
    from .run import run_ask

    run_ask(prompt or [], opts, ignore_stdin=ignore_stdin)


app.command("completions", epilog=COMPLETIONS_EPILOG)(completions_command)
