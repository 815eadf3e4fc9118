"""`perplex batch`: many prompts, concurrently, one NDJSON result line each, resumable.

The input is read and every prompt's request built and validated before the first request,
so a bad line is exit 2 with its line number and nothing is sent. Each prompt's API is
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

import sys
import time
from dataclasses import dataclass, fields, replace
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from perplex_cli.cli.options import shared_options
from perplex_cli.commands.batch_input import (
    finished_ids,
    id_key,
    open_output,
    parse_prompts,
    read_input,
)
from perplex_cli.errors import Interrupted, PerplexError, UsageError
from perplex_cli.request.options import Options

if TYPE_CHECKING:
    import click

    from perplex_cli.api.chat_events import Accumulator
    from perplex_cli.commands.batch_input import Prompt
    from perplex_cli.commands.batch_pool import Finished, Pool
    from perplex_cli.commands.session import Session
    from perplex_cli.request.settings import Settings

_OPTION_FIELDS = frozenset(f.name for f in fields(Options))
# Exit codes from the most to the least severe: the batch exits with the worst it met.
_SEVERITY = (130, 1, 3, 8, 7, 6, 5, 4, 2)


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
    from perplex_cli.output.streams import text_stream
    from perplex_cli.output.terminal import guard
    from perplex_cli.transport.connect import open_transport

    session = Session(opts)  # settings, the command line's checks and API, the log
    try:
        data, name = read_input(file)
        prompts = parse_prompts(data, name, ctx)
        requests = {p.index: line_request(p, opts, session.settings, name) for p in prompts}
        session.transport = open_transport(
            session.settings,
            session.err,
            retries=0,  # the pool retries, with one backoff for all
            pool_size=concurrency,
            need_key=not opts.dry_run,
        )
        session.key = session.transport.settings.api_key
        done_ids = finished_ids(output) if resume else set()
        todo = [p for p in prompts if id_key(p.id) not in done_ids]
        if opts.dry_run:
            show_requests(session, todo, requests)
            return
        out = open_output(output, file) if output else guard(text_stream(sys.stdout))
        try:
            _run(session, out, prompts, todo, requests, concurrency, ordered, rate, output)
        finally:
            if output:
                out.close()
    finally:
        session.close()


def _run(
    session: Session,
    out: IO[str],
    prompts: list[Prompt],
    todo: list[Prompt],
    requests: dict[int, Request],
    concurrency: int,
    ordered: bool,
    rate: float | None,
    output: str | None,
) -> None:
    from perplex_cli.api.stream import Outcome
    from perplex_cli.commands.batch_pool import Job, Pool
    from perplex_cli.output.progress import StatusLine, bar, is_live
    from perplex_cli.request.conversation import Conversation
    from perplex_cli.transport.client import retry_base_from_env

    settings = session.settings
    assert session.transport is not None
    status = StatusLine(
        session.raw_err, is_live(session.raw_err, settings.quiet or settings.no_color)
    )
    by_index = {p.index: p for p in todo}
    results = Results(out, [p.index for p in todo] if ordered else None)
    failures: list[PerplexError] = []
    usages: list[dict[str, Any]] = []
    started = time.monotonic()

    def show() -> None:
        status.show(
            bar(
                len(results.written) + len(results.pending),
                len(failures),
                len(todo),
                time.monotonic() - started,
            )
        )

    def finished(done: Finished) -> None:
        prompt = by_index[done.job.index]
        request = requests[prompt.index]
        outcome = done.outcome or Outcome(request.accumulator(), done.error)
        results.add(prompt.index, result_line(prompt, done, outcome, settings))
        if done.error is not None:
            failures.append(done.error)
        if outcome.acc.usage:
            usages.append(outcome.acc.usage)
        # The log is written here, in the main thread: one SQLite writer, never the workers.
        assert done.job.clock is not None, "every job that ends has started"
        session._record(
            Conversation(system=request.system), prompt.text, request.body, outcome, done.job.clock
        )
        show()

    def note(line: str) -> None:
        if not settings.quiet:
            status.note(line)

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
    jobs = [
        Job(p.index, r.path, r.body, r.accumulator, f"id {p.id}")
        for p in todo
        for r in [requests[p.index]]
    ]
    try:
        pool.run(jobs)
    finally:
        results.close()
        status.clear()
    if settings.usage:
        session.err.write(usage_summary(usages) + "\n")
        session.err.flush()
    _conclude(pool, failures, len(todo), len(prompts) - len(todo), resumable=bool(output))
    if status.live:
        done = _summary(len(todo), [], 0, len(prompts) - len(todo))
        status.note(f"perplex: batch: {done} in {time.monotonic() - started:.1f} s")


def line_request(prompt: Prompt, base: Options, settings: Settings, name: str) -> Request:
    """The request for one prompt: the command line's options, then the prompt's own, on
    the API `ask` would choose for them."""
    from perplex_cli.api.agent_request import choose_api, validate_agent
    from perplex_cli.api.chat_request import build_messages
    from perplex_cli.commands.session import request_for
    from perplex_cli.request.values import validate

    opts = replace(base, **{k: v for k, v in prompt.given.items() if k in _OPTION_FIELDS})
    opts.extra = {
        **base.extra,
        **{k: v for k, v in prompt.given.items() if k not in _OPTION_FIELDS},
    }
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


def result_line(prompt: Prompt, done: Finished, outcome: Any, settings: Settings) -> dict[str, Any]:
    """The NDJSON result of one prompt (the shape the module docstring describes)."""
    from perplex_cli.api.chat_events import answer_and_reasoning
    from perplex_cli.output.formatter import error_member
    from perplex_cli.output.json import document

    error = done.error
    line: dict[str, Any] = {
        "id": prompt.id,
        "index": prompt.index,
        "status": "ok" if error is None else "error",
    }
    acc = outcome.acc
    if done.outcome is not None and (error is None or acc.events):
        completion = document(acc, error)
        if settings.no_citations:
            completion.pop("citations", None)
            completion.pop("search_results", None)
        line["completion"] = completion
        if settings.reasoning:
            line["reasoning"] = answer_and_reasoning(acc)[1]
    if error is not None:
        line["error"] = error_member(error)
    return line


def show_requests(session: Session, todo: list[Prompt], requests: dict[int, Request]) -> None:
    """--dry-run: one line per prompt, `{"id", "index", "method", "url", "headers", "body"}`,
    the key masked as `ask --dry-run -f ndjson` masks it; nothing is sent or logged."""
    import io
    import json

    from perplex_cli.output.ndjson import write_line
    from perplex_cli.output.streams import text_stream
    from perplex_cli.output.terminal import guard
    from perplex_cli.request.dry_run import show_request

    assert session.transport is not None
    out = guard(text_stream(sys.stdout))
    for prompt in todo:
        request = requests[prompt.index]
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


def usage_summary(usages: list[dict[str, Any]]) -> str:
    """`perplex: usage: 3 answers, 60 prompt + 15 completion = 75 tokens, $0.015`: the
    usage of every answer that reported one, added up."""
    from perplex_cli.output.usage import total_cost, usage_line

    total: dict[str, Any] = {}
    for usage in usages:
        for name in ("prompt_tokens", "completion_tokens", "total_tokens", "num_search_queries"):
            value = usage.get(name)
            if isinstance(value, int) and not isinstance(value, bool):
                total[name] = total.get(name, 0) + value
        cost = total_cost(usage.get("cost"))
        if cost is not None:
            total["cost"] = total.get("cost", 0.0) + cost
    answers = f"{len(usages)} answer{'' if len(usages) == 1 else 's'}"
    line = usage_line(total).removeprefix("perplex: usage: ")
    return f"perplex: usage: {answers}, {line}" if usages else f"perplex: usage: {line}"


def _conclude(
    pool: Pool, failures: list[PerplexError], ran: int, skipped: int, *, resumable: bool
) -> None:
    """Raise the error that says how a batch that did not fully succeed ended (its exit code)."""
    summary = _summary(ran - pool.not_started - len(failures), failures, pool.not_started, skipped)
    if pool.interrupts and (pool.not_started or failures):
        hint = (
            "run the same command again with --resume to finish"
            if resumable
            else "write the results with --output FILE to be able to --resume"
        )
        raise Interrupted(f"interrupted: {summary}", hint=hint)
    if pool.stopped_by is not None:
        raise type(pool.stopped_by)(
            f"{pool.stopped_by.message}; stopped: {summary}", hint=pool.stopped_by.hint
        )
    if failures:
        worst = min(failures, key=lambda e: _rank(e.exit_code))
        raise type(worst)(f'batch: {summary}; their lines have "status": "error"')


class Results:
    """Writes one line per prompt: as each finishes or, with an `order`, in that order."""

    def __init__(self, out: IO[str], order: list[int] | None) -> None:
        self.out = out
        self.order = order
        self._next = 0  # position in `order` of the next line to write
        self.pending: dict[int, dict[str, Any]] = {}
        self.written: list[int] = []

    def add(self, index: int, record: dict[str, Any]) -> None:
        if self.order is None:
            self._write(index, record)
            return
        self.pending[index] = record
        while self._next < len(self.order) and self.order[self._next] in self.pending:
            index = self.order[self._next]
            self._write(index, self.pending.pop(index))
            self._next += 1

    def close(self) -> None:
        """Write what finished but waits behind a prompt that never will (a stopped batch)."""
        for index in sorted(self.pending):
            self._write(index, self.pending.pop(index))

    def _write(self, index: int, record: dict[str, Any]) -> None:
        from perplex_cli.output.ndjson import write_line

        write_line(self.out, record)
        self.written.append(index)


def _summary(ok: int, failures: list[PerplexError], not_started: int, skipped: int) -> str:
    total = ok + len(failures) + not_started + skipped
    parts = [f"{ok + skipped} of {total} ok" + (f" ({skipped} from before)" if skipped else "")]
    if failures:
        kinds: dict[str, int] = {}
        for error in failures:
            kinds[error.kind] = kinds.get(error.kind, 0) + 1
        parts.append(
            f"{len(failures)} failed ("
            + ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(kinds.items()))
            + ")"
        )
    if not_started:
        parts.append(f"{not_started} not started")
    return ", ".join(parts)


def _rank(code: int) -> int:
    return _SEVERITY.index(code) if code in _SEVERITY else len(_SEVERITY)
