"""The typer commands: parse, call one function, hand the result to a formatter.

The root group is click-default-group's DefaultGroup combined with typer's group, so
that `perplex "q"` runs `ask`. A question that is exactly a command name runs that command;
`perplex ask models` asks it (routing.py decides which command a command line runs).
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
from perplex_cli.cli.lazy import LazyCommand, lazy_app
from perplex_cli.cli.options import shared_options
from perplex_cli.errors import Interrupted, PipeClosed
from perplex_cli.request.options import Options
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


# Which conversation to continue, for ask and chat; the turns come from the local log.
ContinueOption = Annotated[
    bool, typer.Option("-c", "--continue", help="Continue the latest conversation in the log.")
]
CidOption = Annotated[
    str | None,
    typer.Option(
        "--cid",
        help="Continue the conversation with this id (perplex logs shows ids).",
        metavar="ID",
        show_default=False,
    ),
]


@app.command(
    "ask",
    context_settings={"allow_interspersed_args": True},
    epilog=examples_epilog(
        '  perplex "why is the sky blue"',
        '  cat notes.md | perplex "summarise this"      # stdin is the material',
        '  perplex --usage "how do magnets work"   # formatted on a terminal, then the cost',
        "  perplex -f json \"q\" | jq -r '.citations[]'",
        "  perplex ask -- -5 degrees in kelvin           # a question that starts with -",
    ),
)
@shared_options
def ask_command(
    prompt: Annotated[
        list[str] | None,
        typer.Argument(help="The question; '-' reads stdin.", show_default=False),
    ] = None,
    ignore_stdin: Annotated[bool, typer.Option("--ignore-stdin", help="Never read stdin.")] = False,
    continue_last: ContinueOption = False,
    cid: CidOption = None,
    *,
    opts: Options,
) -> None:
    """Ask one question and stream the cited answer.

    This is the default command: perplex "q" is perplex ask "q". Piped stdin is read as
    the material and the words as the instruction; on a terminal the answer is
    formatted Markdown (--plain: the raw text).
    """
    from perplex_cli.commands.session import run_ask

    run_ask(prompt or [], opts, ignore_stdin=ignore_stdin, continue_last=continue_last, cid=cid)


@app.command(
    "chat",
    epilog=examples_epilog(
        "  perplex chat",
        '  perplex chat -m sonar-pro -s "Be brief."',
        "  perplex chat -c   # go on with the latest conversation",
    ),
)
@shared_options(exclude=("--format", "--dry-run"))  # chat shows text and sends each question
def chat_command(
    continue_last: ContinueOption = False,
    cid: CidOption = None,
    *,
    opts: Options,
) -> None:
    """Talk with Perplexity in the terminal: line editing, history, /commands.

    In the chat /help lists the commands; Ctrl-C stops an answer, Ctrl-D leaves.
    """
    from perplex_cli.commands.chat import run_chat

    run_chat(opts, continue_last=continue_last, cid=cid)


app.command(
    "models",
    epilog=examples_epilog(
        "  perplex models",
        "  perplex models -f json",
        "  perplex models --api agent",
        '  perplex -m sonar-pro "a harder question"   # ask with one of them',
    ),
)(
    LazyCommand(
        "perplex_cli.commands.models",
        "models_command",
        "List the presets and models: what each is for and what -m NAME sends.",
    )
)
app.command(
    "batch",
    epilog=examples_epilog(
        "  perplex batch questions.txt > answers.ndjson",
        "  perplex batch -j 8 --output out.ndjson --resume prompts.jsonl",
        "  cat prompts.txt | perplex batch --ordered -m sonar-pro -",
    ),
)(
    LazyCommand(
        "perplex_cli.commands.batch",
        "batch_command",
        "Run many prompts concurrently: one NDJSON result line each, resumable.",
    )
)
app.command(
    "search",
    epilog=examples_epilog(
        '  perplex search "rust web frameworks"',
        "  perplex search --max-results 5 -f json q | jq -r '.results[].url'",
        "  perplex search --search-recency week --country US election results",
    ),
)(
    LazyCommand(
        "perplex_cli.commands.search",
        "search_command",
        "Search the web: ranked results with title, URL, date and snippet, no answer.",
    )
)
app.command(
    "embed",
    epilog=examples_epilog(
        '  perplex embed "first text" "second text"',
        "  perplex embed --file sentences.txt > vectors.ndjson",
        "  perplex embed -m pplx-embed-v1-4b --dimensions 512 -f json - < notes.txt",
    ),
)(
    LazyCommand(
        "perplex_cli.commands.embed",
        "embed_command",
        "Embed texts: one NDJSON line with the vector of each, in input order.",
    )
)
# The other commands live in their own modules, imported only when that command is built
# (startup.py): a start pays for the command it runs, not for all of them.
app.add_typer(
    lazy_app(
        "perplex_cli.commands.research",
        "Deep research in the background: submit a question, get the report.",
    ),
    name="research",
)
app.add_typer(
    lazy_app(
        "perplex_cli.commands.key",
        "Store the API key safely and say where it comes from.",
    ),
    name="key",
)
app.add_typer(
    lazy_app(
        "perplex_cli.commands.config",
        "Defaults in the config file, typed and checked like the flags.",
    ),
    name="config",
)
app.command(
    "completions",
    epilog=examples_epilog(
        "  perplex completions bash > ~/.local/share/bash-completion/completions/perplex",
        "  perplex completions zsh > ~/.zfunc/_perplex    # with fpath=(~/.zfunc $fpath) in ~/.zshrc",
        "  perplex completions fish > ~/.config/fish/completions/perplex.fish",
    ),
)(
    LazyCommand(
        "perplex_cli.commands.completions",
        "completions_command",
        "Print the completion script for bash, zsh or fish.",
    )
)
app.add_typer(
    lazy_app(
        "perplex_cli.commands.logs",
        "Browse, search and prune the local log of every exchange.",
    ),
    name="logs",
)
app.command(
    "mcp",
    epilog=examples_epilog(
        "  claude mcp add perplex -- perplex mcp",
        "  perplex mcp --http 127.0.0.1:8765",
        "  perplex mcp --research-wait 100 --retries 5",
    ),
)(
    LazyCommand(
        "perplex_cli.commands.mcp",
        "mcp_command",
        "Serve ask, search and research to coding agents over MCP.",
    )
)
