"""`perplex research`: deep research: submit, run, status, wait, cancel, list.

The commands and their options. Research runs on the Agent API (background runs, in
`research_agent`) unless chat is chosen, which keeps the async chat endpoints
(`research_chat`); `research_jobs` holds what both share.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from perplex_cli.cli.epilog import examples_epilog
from perplex_cli.cli.options import shared_options
from perplex_cli.request.options import CONNECTION_FLAGS, Options

if TYPE_CHECKING:
    from perplex_cli.commands.research_jobs import ResearchSession, Wait

LONGEST_INTERVAL = 30.0  # as research_jobs.LONGEST_INTERVAL, which --help must not import
CONNECTION = CONNECTION_FLAGS
ANSWER = (
    "--api",
    "--format",
    "--reasoning",
    "--no-citations",
    "--no-markers",
    "--usage",
    "--log",
    "--save-files",
    *CONNECTION,
)
LOOK = ("--api", "--format", *CONNECTION)
# Options that change how an answer is shown (submit shows none), and that shape requests.
# submit prints the id only: it takes none of the options that shape an answer.
NOT_SUBMIT = (
    "--reasoning",
    "--no-citations",
    "--no-markers",
    "--usage",
    "--render",
    "--dry-run",
    "--save-files",
)
SENDING = (
    "base_url",
    "timeout",
    "connect_timeout",
    "retries",
    "proxy",
    "api_key_file",
    "allow_insecure_http",
)

app = typer.Typer(
    name="research",
    help=(
        "Deep research in the background: submit a question, get the report.\n\n"
        "Research runs on the Agent API unless chat is chosen by name (--api chat, "
        'PERPLEX_API=chat or api = "chat" in the config file), which keeps the async '
        "chat endpoints."
    ),
    epilog=examples_epilog(
        '  perplex research run --yes "compare EU and US AI regulation"',
        '  id=$(perplex research submit --yes "q") && perplex research wait "$id"',
        "  perplex research list",
        "  perplex research cancel ID",
    ),
    rich_markup_mode=None,
    add_completion=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_Prompt = Annotated[
    list[str] | None, typer.Argument(help="The question; '-' reads stdin.", show_default=False)
]
_IgnoreStdin = Annotated[bool, typer.Option("--ignore-stdin", help="Never read stdin.")]
_Yes = Annotated[
    bool, typer.Option("-y", "--yes", help="Do not ask for confirmation on a terminal.")
]
_Key = Annotated[
    str | None,
    typer.Option(
        "--idempotency-key",
        help="Submitting again with the same key returns the same job instead of a new one (--api chat only).",
        metavar="KEY",
        show_default=False,
    ),
]
_Id = Annotated[
    str,
    typer.Argument(help="The id that submit printed.", metavar="ID", show_default=False),
]
_Interval = Annotated[
    float | None,
    typer.Option(
        "--interval",
        help=f"Seconds before the first poll (default 1, on --api chat 5); later polls slow down to {LONGEST_INTERVAL:g} s.",
        metavar="S",
        show_default=False,
    ),
]
_MaxWait = Annotated[
    float | None,
    typer.Option(
        "--max-wait",
        help="Give up waiting after S seconds (exit 7; the research goes on).",
        metavar="S",
        show_default=False,
    ),
]


@app.command(
    "submit",
    epilog=examples_epilog(
        '  perplex research submit --yes "state of solid-state batteries"',
        '  perplex research submit --preset high -f json "q" | jq -r .id',
    ),
)
@shared_options(exclude=NOT_SUBMIT)
def submit_command(
    prompt: _Prompt = None,
    ignore_stdin: _IgnoreStdin = False,
    yes: _Yes = False,
    idempotency_key: _Key = None,
    *,
    opts: Options,
) -> None:
    """Submit a deep-research question and print its id (preset medium by default)."""
    _start(prompt or [], opts, ignore_stdin=ignore_stdin, yes=yes, key=idempotency_key, wait=None)


@app.command(
    "run",
    epilog=examples_epilog(
        '  perplex research run --yes "compare EU and US AI regulation"',
        '  perplex research run -f json --yes "q" > report.json',
    ),
)
@shared_options(exclude=("--dry-run",))
def run_command(
    prompt: _Prompt = None,
    ignore_stdin: _IgnoreStdin = False,
    yes: _Yes = False,
    idempotency_key: _Key = None,
    interval: _Interval = None,
    max_wait: _MaxWait = None,
    *,
    opts: Options,
) -> None:
    """Submit a deep-research question and print the answer like ask.

    On the Agent API the run is streamed as it goes; --no-stream, --interval or --max-wait
    poll for it instead, as --api chat always does.
    """
    from perplex_cli.commands.research_jobs import Wait

    _start(
        prompt or [],
        opts,
        ignore_stdin=ignore_stdin,
        yes=yes,
        key=idempotency_key,
        wait=Wait(interval, max_wait),
    )


@app.command(
    "wait",
    epilog=examples_epilog(
        "  perplex research wait ID",
        "  perplex research wait ID --interval 10 --max-wait 1800 -f json",
    ),
)
@shared_options(only=ANSWER)
def wait_command(
    request_id: _Id, interval: _Interval = None, max_wait: _MaxWait = None, *, opts: Options
) -> None:
    """Wait for a research run to end and print its answer like ask."""
    from perplex_cli.commands.research_jobs import Wait

    wait = Wait(interval, max_wait)
    wait.check()
    _on_run(opts, "finish", request_id, wait)


@app.command(
    "status",
    epilog=examples_epilog(
        "  perplex research status ID", "  perplex research status ID -f json | jq -r .status"
    ),
)
@shared_options(only=LOOK)
def status_command(request_id: _Id, *, opts: Options) -> None:
    """Show the state of one research run (queued, in_progress, completed, ...)."""
    _on_run(opts, "status", request_id)


@app.command(
    "cancel",
    epilog=examples_epilog(
        "  perplex research cancel ID", "  perplex research cancel ID -f json | jq -r .status"
    ),
)
@shared_options(only=LOOK)
def cancel_command(request_id: _Id, *, opts: Options) -> None:
    """Ask a research run to stop (Agent API); an ended run is exit 4."""
    _on_run(opts, "cancel", request_id)


@app.command(
    "list", epilog=examples_epilog("  perplex research list", "  perplex research list -f json")
)
@shared_options(only=LOOK)
def list_command(*, opts: Options) -> None:
    """List your research runs, from the local log (--api chat: from the API)."""
    from perplex_cli.commands.research_jobs import research_session

    sending = [name for name in SENDING if getattr(opts, name) is not None]
    with research_session(opts) as session:
        if session.api == "chat":
            session.connect()
        else:
            _refuse(opts, sending, "on the Agent API, research list reads the local log only")
        _api(session).list_runs(session)


def _refuse(opts: Options, names: Sequence[str], why: str) -> None:
    """Exit 2 naming the options among `names` that were given, which this command cannot use."""
    from perplex_cli.errors import UsageError
    from perplex_cli.request.settings import flag_name

    given = [flag_name(name) for name in names if getattr(opts, name) is not None]
    if given:
        raise UsageError(f"{', '.join(given)}: {why}")


def _start(
    words: list[str],
    opts: Options,
    *,
    ignore_stdin: bool,
    yes: bool,
    key: str | None,
    wait: Wait | None,
) -> None:
    """submit (wait is None) or run: checks, the question, then the API's own flow."""
    from perplex_cli.commands.research_jobs import research_session
    from perplex_cli.request.prompt import build_prompt

    if wait is not None:
        wait.check()
    with research_session(opts, asks=True) as session:
        prompt = build_prompt(words, ignore_stdin=ignore_stdin)
        session.connect()
        _api(session).start(session, prompt, yes=yes, key=key, wait=wait)


def _on_run(opts: Options, action: str, *args: Any) -> None:
    """`action` of the session's API module on one run; refused (exit 2) where it has none."""
    from perplex_cli.commands.research_jobs import research_session
    from perplex_cli.errors import UsageError

    with research_session(opts) as session:
        do = getattr(_api(session), action, None)
        if do is None:
            raise UsageError(
                f"research {action}: not available with --api chat"
                f" (the async chat endpoints cannot {action} a job)"
            )
        session.connect()
        do(session, *args)


def _api(session: ResearchSession) -> ModuleType:
    """The module that speaks the session's API."""
    if session.api == "chat":
        from perplex_cli.commands import research_chat

        return research_chat
    from perplex_cli.commands import research_agent

    return research_agent
