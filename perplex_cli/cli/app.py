"""The root of the command line: perplex's own options and the table of its commands.

The root group is click-default-group's DefaultGroup combined with typer's group, so
that `perplex "q"` runs `ask`. A question that is exactly a command name runs that command;
`perplex ask models` asks it (routing.py decides which command a command line runs). Each
command lives in its own module under commands/, imported when it runs (lazy.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated, Any

import click
import typer

from perplex_cli import __version__
from perplex_cli.cli.epilog import examples_epilog
from perplex_cli.cli.groups import DefaultCommandGroup
from perplex_cli.cli.lazy import Entry, LazyCommands
from perplex_cli.errors import Interrupted, PipeClosed
from perplex_cli.transport.debug import enable_option


class PerplexGroup(DefaultCommandGroup):
    """The root group: `ask` is the default command."""

    default_command = "ask"
    suggest_typos = False  # routing.py decides: a one-word question only

    # Click would turn a broken pipe into exit 1 and Ctrl-C into "Aborted!": both are handed
    # over as the typed errors of docs/decisions.md (a closed pipe and Ctrl-C) before click sees them, while parsing (--help | head)
    # and while any command runs.
    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _typed_pipe_and_interrupt():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with _typed_pipe_and_interrupt():
            return super().invoke(ctx)

    def subcommand_first(self, ctx: click.Context, args: list[str]) -> list[str]:
        return args  # routing.py has put the command first already

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands by their summaries: listing them imports none."""
        commands = self.commands
        if not isinstance(commands, LazyCommands):
            return super().format_commands(ctx, formatter)
        with commands.listing():
            return super().format_commands(ctx, formatter)


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
    help="Ask Perplexity from the command line: cited answers, streamed.\n\n"
    "'ask' is the default command (marked *): perplex \"why is the sky blue\" is "
    "perplex ask \"why is the sky blue\". 'perplex COMMAND --help' tells more; "
    "the request options and search filters are listed by: perplex ask --help.",
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
        bool | None,
        typer.Option(
            "--version", help="Print the version and exit.", callback=_version, is_eager=True
        ),
    ] = None,
    debug: Annotated[
        bool | None,
        typer.Option(
            "--debug",
            help="Show the HTTP exchange and tracebacks on stderr (key redacted).",
            callback=enable_option,
            is_eager=True,
        ),
    ] = None,
) -> None:
    """Options of perplex itself; the help text is the app's."""


# Every command, in the order the root's --help lists them: where its typer app is, and the
# first line of its help (the listing shows it without importing the command's module;
# tests/test_startup.py checks that each is its command's own).
COMMANDS: dict[str, Entry] = {
    "ask": Entry("perplex_cli.commands.ask:app", "Ask one question and stream the cited answer."),
    "chat": Entry(
        "perplex_cli.commands.chat:app",
        "Talk with Perplexity in the terminal: line editing, history, /commands.",
    ),
    "models": Entry(
        "perplex_cli.commands.models:app",
        "List the presets and models: what each is for and what -m NAME sends.",
    ),
    "batch": Entry(
        "perplex_cli.commands.batch:app",
        "Run many prompts concurrently: one NDJSON result line each, resumable.",
    ),
    "search": Entry(
        "perplex_cli.commands.search:app",
        "Search the web: ranked results with title, URL, date and snippet, no answer.",
    ),
    "embed": Entry(
        "perplex_cli.commands.embed:app",
        "Embed texts: one NDJSON line with the vector of each, in input order.",
    ),
    "research": Entry(
        "perplex_cli.commands.research:app",
        "Deep research in the background: submit a question, get the report.",
    ),
    "key": Entry(
        "perplex_cli.commands.key:app", "Store the API key safely and say where it comes from."
    ),
    "config": Entry(
        "perplex_cli.commands.config:app",
        "Defaults in the config file, typed and checked like the flags.",
    ),
    "completions": Entry(
        "perplex_cli.commands.completions:app", "Print the completion script for bash, zsh or fish."
    ),
    "logs": Entry(
        "perplex_cli.commands.logs:app", "Browse, search and prune the local log of every exchange."
    ),
    "mcp": Entry(
        "perplex_cli.commands.mcp:app", "Serve ask, search and research to coding agents over MCP."
    ),
}


def root_command() -> PerplexGroup:
    """The root group: its options here, every command looked up by name when it runs."""
    group = typer.main.get_command(app)
    assert isinstance(group, PerplexGroup)
    group.commands = LazyCommands(COMMANDS)
    return group
