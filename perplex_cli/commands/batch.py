"""`perplex batch`: many prompts, concurrently, one NDJSON result line each, resumable.

The input is read twice, a line at a time, and never held whole: first every line is
checked (its JSON, its id, and a request built for each distinct set of a line's own
options), so that a bad line is exit 2 with its line number and nothing is sent; then
each request is built as the pool takes it, at most twice -j at a time, so memory stays
flat whatever the input's size. Each prompt's API is
chosen as `ask` chooses it (`--api`, else its model or preset, else the configured API),
and its request is built by the same code as `ask`'s.

Each result is one line, of the same shape on either API:
`{"id", "index", "status": "ok", "completion": <the json format's document>}` or
`{"id", "index", "status": "error", "error": {"type", "message"}}` (with the partial
`completion` when the answer had started). The completion is the chat.completion
document (`choices[0].message.content`, `citations`, `search_results`, `usage`, ...),
built from either API's answer; `--no-citations` leaves out its `citations` and
`search_results`, and `--reasoning` adds a `"reasoning"` member with the model's reasoning.
`--resume` reads the `--output` file and skips the ids whose line says "ok", so a batch
that was stopped continues where it stopped.

Every exchange is written to the local log as `ask` writes it (unless --no-log), one per
prompt as it finishes, from the main thread. `--usage` ends with one line on stderr that
adds up the tokens and cost of all the answers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from perplex_cli.cli.epilog import examples_epilog
from perplex_cli.cli.lazy import command_app
from perplex_cli.cli.options import shared_options
from perplex_cli.commands.batch_input import (
    Input,
    check_prompts,
    finished_ids,
    id_key,
    open_output,
    read_prompts,
)
from perplex_cli.commands.batch_results import result_line
from perplex_cli.errors import UsageError
from perplex_cli.request.options import Options

if TYPE_CHECKING:
    import click

    from perplex_cli.api.chat_events import Accumulator
    from perplex_cli.commands.batch_input import Prompt
    from perplex_cli.commands.batch_jobs import Finished
    from perplex_cli.commands.session import Session
    from perplex_cli.request.settings import Settings

_OPTION_FIELDS = frozenset(f.name for f in fields(Options))
_CHECKED_KEPT = 4096  # distinct option sets remembered as checked while the input is read


@dataclass
class Request:
    """One prompt's request, built before anything is sent."""

    path: str
    body: dict[str, Any]
    accumulator: type[Accumulator]  # the API's: a fresh one decodes each attempt
    system: str | None  # for the log


@shared_options(exclude=("--format", "--render", "--no-markers", "--save-files"))
def batch_command(
    file: Annotated[
        str,
        typer.Argument(
            help='Prompts, one per line or JSONL objects ({"id", "prompt", "model", "preset", ...}); \'-\' reads stdin.',
            metavar="FILE|-",
            show_default=False,
        ),
    ],
    concurrency: Annotated[
        int, typer.Option("-j", "--concurrency", help="Requests running at once.", metavar="N")
    ] = 4,
    ordered: Annotated[
        bool,
        typer.Option(
            "--ordered", help="Write the results in input order (default: as they finish)."
        ),
    ] = False,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            help="Append the results to FILE instead of writing them to stdout.",
            metavar="FILE",
            show_default=False,
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Skip the ids already in the --output file with status ok."),
    ] = False,
    rate: Annotated[
        float | None,
        typer.Option(
            "--rate",
            help="Start at most N requests per second, evenly spaced.",
            metavar="N",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "-f",
            "--format",
            help="Output: ndjson, one result line per prompt (the only format).",
            metavar="FORMAT",
            show_default=False,
        ),
    ] = None,
    *,
    opts: Options,
) -> None:
    """Run many prompts concurrently: one NDJSON result line each, resumable."""
    import click

    if concurrency < 1:
        raise UsageError("invalid value for -j/--concurrency: must be >= 1")
    if rate is not None and rate <= 0:
        raise UsageError("invalid value for --rate: must be > 0 requests per second")
    if resume and output is None:
        raise UsageError("--resume needs --output FILE: the results file to continue")
    if fmt not in (None, "ndjson"):
        raise UsageError(f"invalid value for -f/--format: {fmt!r} (batch always writes NDJSON)")
    if opts.dry_run and output is not None:
        raise UsageError("--dry-run prints the requests on stdout: leave out --output")
    if file == "-" and opts.api_key_file == "-":
        raise UsageError("stdin cannot hold both the key (--api-key-file -) and the prompts (-)")
    run_batch(
        file,
        opts,
        click.get_current_context(),
        concurrency=concurrency,
        ordered=ordered,
        output=output,
        resume=resume,
        rate=rate,
    )


def run_batch(
    file: str,
    opts: Options,
    ctx: click.Context | None,
    *,
    concurrency: int,
    ordered: bool,
    output: str | None,
    resume: bool,
    rate: float | None,
) -> None:
    from perplex_cli.commands.session import Session
    from perplex_cli.output.streams import current
    from perplex_cli.transport.connect import open_transport

    session = Session(opts)  # settings, the command line's checks and API, the log
    opts = session.opts  # with the environment's and config's values
    try:
        with Input(file) as source:
            done_ids = finished_ids(output) if resume else set()
            total, skipped = check_input(source, ctx, opts, session.settings, done_ids)
            session.transport = open_transport(
                session.settings,
                session.err,
                retries=0,  # the pool retries, with one backoff for all
                pool_size=concurrency,
                need_key=not opts.dry_run,
            )
            session.key = session.transport.settings.api_key
            todo = Todo(source, ctx, opts, session.settings, done_ids, total - skipped)
            if opts.dry_run:
                show_requests(session, todo)
                return
            out = open_output(output, file) if output else current().out()
            try:
                _run(session, out, todo, skipped, concurrency, ordered, rate, output)
            finally:
                if output:
                    out.close()
    finally:
        session.close()


def check_input(
    source: Input, ctx: click.Context | None, opts: Options, settings: Settings, done: set[str]
) -> tuple[int, int]:
    """Check every line before anything is sent: its JSON, its id (unique), its request (as
    `ask` would build it); exit 2 on the first bad one. The number of prompts, and of those
    that `done` (the --resume ids) skips."""
    total = skipped = 0
    checked: set[str] = set()  # the sets of a line's own options whose request was built
    for prompt in check_prompts(source, ctx):
        # Whether a request can be built depends on its options, not on its text: lines
        # with the same options (all the plain lines) are checked once.
        options = repr(sorted(prompt.given.items())) if prompt.given else ""
        if options not in checked:
            line_request(prompt, opts, settings, source.name)
            if len(checked) < _CHECKED_KEPT:
                checked.add(options)
        total += 1
        skipped += bool(done) and id_key(prompt.id) in done
    if not total:
        raise UsageError(f"no prompts in {source.name}")
    return total, skipped


@dataclass
class Todo:
    """The prompts to run, read again from the checked input, each request built as it is
    needed: `count` of them."""

    source: Input
    ctx: click.Context | None
    opts: Options
    settings: Settings
    done: set[str]
    count: int

    def __iter__(self) -> Iterator[tuple[Prompt, Request]]:
        for prompt in read_prompts(self.source, self.ctx):
            if not self.done or id_key(prompt.id) not in self.done:
                yield prompt, line_request(prompt, self.opts, self.settings, self.source.name)


def _run(
    session: Session,
    out: IO[str],
    todo: Todo,
    skipped: int,
    concurrency: int,
    ordered: bool,
    rate: float | None,
    output: str | None,
) -> None:
    from perplex_cli import signals
    from perplex_cli.api.stream import Outcome
    from perplex_cli.commands.batch_jobs import Job
    from perplex_cli.commands.batch_pool import Pool
    from perplex_cli.commands.batch_results import Results, Tally, conclude
    from perplex_cli.output.progress import StatusLine, bar, is_live
    from perplex_cli.request.conversation import Conversation
    from perplex_cli.transport.retry import retry_base_from_env

    settings = session.settings
    assert session.transport is not None
    status = StatusLine(
        session.raw_err, is_live(session.raw_err, settings.quiet or settings.no_color)
    )
    running: dict[int, tuple[Prompt, Request]] = {}  # the jobs given to the pool, not ended
    results = Results(out, ordered)
    tally = Tally()
    started = time.monotonic()

    def show() -> None:
        status.show(bar(results.count, tally.failed, todo.count, time.monotonic() - started))

    def finished(done: Finished) -> None:
        prompt, request = running.pop(done.job.index)
        outcome = done.outcome or Outcome(request.accumulator(), done.error)
        results.add(prompt.index, result_line(prompt, done, outcome, settings))
        tally.add(done.error, outcome.acc.usage)
        # The log is written here, in the main thread: one SQLite writer, never the workers.
        assert done.job.clock is not None, "every job that ends has started"
        session._record(
            Conversation(system=request.system), prompt.text, request.body, outcome, done.job.clock
        )
        show()

    def note(line: str) -> None:
        if not settings.quiet:
            status.note(line)

    def jobs() -> Iterator[Job]:
        for prompt, request in todo:
            running[prompt.index] = (prompt, request)
            results.expect(prompt.index)
            yield Job(
                prompt.index, request.path, request.body, request.accumulator, f"id {prompt.id}"
            )

    pool = Pool(
        session.transport,
        concurrency,
        finished,
        note,
        show,
        rate=rate,
        retries=settings.retries,
        retry_base=retry_base_from_env(),
    )
    try:
        pool.run(jobs())
    finally:
        with signals.deferred():  # the lines held for --ordered are written whole
            results.close()
        status.clear()
    if settings.usage:
        session.err.write(tally.usage_line() + "\n")
        session.err.flush()
    not_started = todo.count - results.count
    conclude(pool, tally, not_started, todo.count, skipped, resumable=bool(output))
    if status.live:
        done = Tally().summary(todo.count, 0, skipped)
        status.note(f"perplex: batch: {done} in {time.monotonic() - started:.1f} s")


def line_request(prompt: Prompt, base: Options, settings: Settings, name: str) -> Request:
    """The request for one prompt: the command line's options, then the prompt's own, on
    the API `ask` would choose for them."""
    from perplex_cli.api.agent_request import choose_api, validate_agent
    from perplex_cli.api.chat_request import build_messages
    from perplex_cli.api.protocol import request_for
    from perplex_cli.request.values import validate

    opts = replace(base, **{k: v for k, v in prompt.given.items() if k in _OPTION_FIELDS})
    own = (
        replace(settings, model=opts.model) if opts.model and "model" in prompt.given else settings
    )
    try:
        validate(opts)
        api = choose_api(opts, own)
        if api == "agent":
            validate_agent(opts)
        messages = build_messages(prompt.text, opts)
        path, body, acc = request_for(api, messages, opts, own, stream=not opts.no_stream)
    except UsageError as exc:
        raise UsageError(f"{name}, line {prompt.line}: {exc.message}", hint=exc.hint) from None
    return Request(path, body, type(acc), opts.system)


def show_requests(session: Session, todo: Todo) -> None:
    """--dry-run: one line per prompt, `{"id", "index", "method", "url", "headers", "body"}`,
    the key masked as `ask --dry-run -f ndjson` masks it; nothing is sent or logged."""
    import io
    import json

    from perplex_cli.output.ndjson import write_line
    from perplex_cli.output.streams import current
    from perplex_cli.request.dry_run import show_request

    assert session.transport is not None
    out = current().out()
    for prompt, request in todo:
        shown = io.StringIO()
        show_request(
            shown,
            "ndjson",
            "POST",
            session.transport.url(request.path),
            session.transport.headers(request.body.get("stream") is True),
            request.body,
            [session.key],
        )
        write_line(out, {"id": prompt.id, "index": prompt.index, **json.loads(shown.getvalue())})


app = command_app(
    "batch",
    batch_command,
    epilog=examples_epilog(
        "  perplex batch questions.txt > answers.ndjson",
        "  perplex batch -j 8 --output out.ndjson --resume prompts.jsonl",
        "  cat prompts.txt | perplex batch --ordered -m sonar-pro -",
    ),
)
