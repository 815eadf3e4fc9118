"""The typer commands: parse, call one function, hand the result to a formatter.

The root group is click-default-group's DefaultGroup combined with typer's group (D1), so
that `perplex "q"` runs `ask`. A question that is exactly a command name runs that command;
`perplex ask models` asks it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated, Any, Optional

import click
import typer

from . import __version__
from .debug import enable_option
from .errors import Interrupted, PipeClosed
from .groups import DefaultCommandGroup
from .logs import app as logs_app
from .models import models_command
from .options import Options, shared_options


class PerplexGroup(DefaultCommandGroup):
    """The root group: `ask` is the default command."""

    default_command = "ask"

    # Click would turn a broken pipe into exit 1 and Ctrl-C into "Aborted!": both are handed
    # over as the typed errors of D5 before click sees them, while parsing (--help | head)
    # and while any command runs.
    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _typed_pipe_and_interrupt():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with _typed_pipe_and_interrupt():
            return super().invoke(ctx)


@contextlib.contextmanager
def _typed_pipe_and_interrupt() -> Iterator[None]:
    try:
        yield
    except BrokenPipeError:
        raise PipeClosed() from None
    except KeyboardInterrupt:
        raise Interrupted() from None


app = typer.Typer(
    cls=PerplexGroup,
    name="perplex",
    help="Ask Perplexity from the command line: cited answers, streamed. "
    "'ask' is the default command: perplex \"why is the sky blue\". "
    "The request options and search filters are listed by: perplex ask --help.",
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
    debug: Annotated[
        Optional[bool],
        typer.Option("--debug", help="Show the HTTP exchange and tracebacks on stderr (key redacted).",
                     callback=enable_option, is_eager=True),
    ] = None,
) -> None:
    """Ask Perplexity from the command line: cited answers, streamed.

    'ask' is the default command, so perplex "why is the sky blue" asks.
    """


# Which conversation to continue, for ask and chat; the turns come from the local log.
ContinueOption = Annotated[bool, typer.Option("-c", "--continue", help="Continue the latest conversation in the log.")]
CidOption = Annotated[Optional[str], typer.Option("--cid", help="Continue the conversation with this id (perplex logs shows ids).", metavar="ID", show_default=False)]


@app.command(
    "ask",
    context_settings={"allow_interspersed_args": True},
    epilog='Examples: perplex "why is the sky blue" | cat notes.md | perplex "summarise" | '
    'perplex -f json "q" | jq .citations | perplex ask -- -5 degrees in kelvin',
)
@shared_options
def ask_command(
    prompt: Annotated[Optional[list[str]], typer.Argument(help="The question; '-' reads stdin.", show_default=False)] = None,
    ignore_stdin: Annotated[bool, typer.Option("--ignore-stdin", help="Never read stdin.")] = False,
    continue_last: ContinueOption = False,
    cid: CidOption = None,
    *,
    opts: Options,
) -> None:
    """Ask one question and stream the cited answer (the default command)."""
    from .run import run_ask

    run_ask(prompt or [], opts, ignore_stdin=ignore_stdin, continue_last=continue_last, cid=cid)


@app.command("chat", epilog="In the chat: /help lists the commands; Ctrl-C stops an answer, Ctrl-D leaves.")
@shared_options
def chat_command(
    continue_last: ContinueOption = False,
    cid: CidOption = None,
    *,
    opts: Options,
) -> None:
    """Talk with Perplexity in the terminal: line editing, history, /commands."""
    from .chat import run_chat

    run_chat(opts, continue_last=continue_last, cid=cid)


app.command("models")(models_command)
app.add_typer(logs_app)
