"""`perplex research`: deep research through the async API: submit, status, wait, list, run.

A job is submitted with `POST /async/chat/completions` (`{"request": <chat body>,
"idempotency_key"}`) and polled with `GET .../{id}` until it is COMPLETED (its `response`
is a chat.completion) or FAILED. The finished answer goes through the same formatters as
`ask`, fed as one whole response. Every submission carries an idempotency key (a fresh one
unless `--idempotency-key` gives it), so a POST retried after a lost connection cannot
start, and bill, the same research twice.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from .epilog import examples_epilog
from .errors import ApiError, Interrupted, NetworkError, PerplexError, ServerError, UsageError
from .options import Options, given, shared_options
from .terminal import guard

if TYPE_CHECKING:
    from .events import Accumulator
    from .progress import StatusLine
    from .settings import Settings
    from .transport import Transport

RESEARCH_MODEL = "sonar-deep-research"
JOBS = "/async/chat/completions"
LONGEST_INTERVAL = 30.0  # polls slow down to this, unless --interval asks for longer
CONNECTION = (
    "--quiet",
    "--base-url",
    "--timeout",
    "--connect-timeout",
    "--retries",
    "--proxy",
    "--api-key-file",
    "--allow-insecure-http",
)
ANSWER = ("--format", "--reasoning", "--no-citations", *CONNECTION)

app = typer.Typer(
    name="research",
    help="Deep research through the async API: submit a question, wait for the report.",
    epilog=examples_epilog(
        '  perplex research run --yes "compare EU and US AI regulation"',
        '  id=$(perplex research submit --yes "q") && perplex research wait "$id"',
        "  perplex research list",
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
        help="Submitting again with the same key returns the same job instead of a new one.",
        metavar="KEY",
        show_default=False,
    ),
]
_Id = Annotated[
    str,
    typer.Argument(help="The request id that submit printed.", metavar="ID", show_default=False),
]
_Interval = Annotated[
    float,
    typer.Option(
        "--interval",
        help=f"Seconds before the first poll; later polls slow down to {LONGEST_INTERVAL:g} s.",
        metavar="S",
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
        '  perplex research submit --idempotency-key job-42 "q"',
    ),
)
@shared_options
def submit_command(
    prompt: _Prompt = None,
    ignore_stdin: _IgnoreStdin = False,
    yes: _Yes = False,
    idempotency_key: _Key = None,
    *,
    opts: Options,
) -> None:
    """Submit a deep-research question and print its request id."""
    run_research(prompt or [], opts, ignore_stdin=ignore_stdin, yes=yes, key=idempotency_key)


@app.command(
    "run",
    epilog=examples_epilog(
        '  perplex research run --yes "compare EU and US AI regulation"',
        '  perplex research run -f json --yes "q" > report.json',
    ),
)
@shared_options
def run_command(
    prompt: _Prompt = None,
    ignore_stdin: _IgnoreStdin = False,
    yes: _Yes = False,
    idempotency_key: _Key = None,
    interval: _Interval = 5.0,
    max_wait: _MaxWait = None,
    *,
    opts: Options,
) -> None:
    """Submit a deep-research question, wait for it, and print the answer like ask."""
    run_research(
        prompt or [],
        opts,
        ignore_stdin=ignore_stdin,
        yes=yes,
        key=idempotency_key,
        wait=(interval, max_wait),
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
    request_id: _Id, interval: _Interval = 5.0, max_wait: _MaxWait = None, *, opts: Options
) -> None:
    """Wait for a research request to finish and print its answer like ask."""
    from .run import text_stream
    from .settings import resolve

    settings = resolve(opts)
    _check_wait(interval, max_wait)
    with connection(settings) as transport:
        job = wait_for(transport, request_id, interval, max_wait, _status_line(settings))
    err = guard(text_stream(sys.stderr))
    acc = show_answer(job, settings, guard(text_stream(sys.stdout)), err)
    remember(job, acc, settings, err, prompt=None)


@app.command(
    "status",
    epilog=examples_epilog(
        "  perplex research status ID", "  perplex research status ID -f json | jq -r .status"
    ),
)
@shared_options(only=("--format", *CONNECTION))
def status_command(request_id: _Id, *, opts: Options) -> None:
    """Show the state of one research request."""
    from .settings import resolve

    settings = resolve(opts)
    with connection(settings) as transport:
        job = fetch_job(transport, request_id)
    show(job, settings.format, status_text(job))


@app.command(
    "list", epilog=examples_epilog("  perplex research list", "  perplex research list -f json")
)
@shared_options(only=("--format", *CONNECTION))
def list_command(*, opts: Options) -> None:
    """List your research requests (the API keeps them for 7 days)."""
    from .jsonapi import fetch
    from .settings import resolve

    settings = resolve(opts)
    with connection(settings) as transport:
        doc = fetch(transport, "GET", JOBS)
    jobs = [job for job in doc.get("requests") or [] if isinstance(job, dict)]
    if settings.format == "ndjson":
        for job in jobs:
            show(job, "ndjson", "")
        return
    if not jobs and settings.format == "text" and not settings.quiet:
        sys.stderr.write("perplex: no research requests\n")
    show(doc, settings.format, list_text(jobs))


def run_research(
    words: list[str],
    opts: Options,
    *,
    ignore_stdin: bool,
    yes: bool,
    key: str | None,
    wait: tuple[float, float | None] | None = None,
) -> None:
    """submit (wait is None) or run: prompt -> request -> confirmation -> job [-> answer]."""
    import uuid

    from .jsonapi import fetch
    from .prompt import build_prompt
    from .request import build_body, build_messages, validate
    from .run import text_stream
    from .settings import resolve

    if given(opts, "dry_run"):
        raise UsageError("research has no --dry-run: nothing was submitted")
    if opts.model is None:
        opts = replace(opts, model=RESEARCH_MODEL)
    settings = resolve(opts)
    validate(opts)
    if wait is not None:
        _check_wait(*wait)
    prompt = build_prompt(words, ignore_stdin=ignore_stdin)
    body = build_body(build_messages(prompt, opts), opts, settings, stream=False)
    out, err = guard(text_stream(sys.stdout)), guard(text_stream(sys.stderr))
    with connection(settings) as transport:
        confirm(settings.model, yes, err)
        submission = {"request": body, "idempotency_key": key or uuid.uuid4().hex}
        job = fetch(transport, "POST", JOBS, submission)
        job_id = str(job.get("id") or "")
        if wait is None:
            show(job, settings.format, job_id + "\n")
            return
        if not settings.quiet:
            err.write(
                f"perplex: research {job_id} submitted; Ctrl-C stops waiting, not the research\n"
            )
            err.flush()
        job = wait_for(transport, job_id, *wait, _status_line(settings))
    acc = show_answer(job, settings, out, err)
    remember(job, acc, settings, err, prompt=prompt)


@contextmanager
def connection(settings: Settings) -> Iterator[Transport]:
    from .run import open_transport, text_stream

    transport = open_transport(settings, text_stream(sys.stderr))
    try:
        yield transport
    finally:
        transport.close()


def confirm(model: str, yes: bool, err: IO[str]) -> None:
    """On a terminal, ask before spending: deep research costs dollars, not cents."""
    from .prompt import stdin_is_terminal

    if yes or not stdin_is_terminal() or not _isatty(err):
        return
    import click

    question = f"perplex: deep research with {model} costs dollars per question, not cents. Submit?"
    if not click.confirm(question, default=False, err=True):
        raise Interrupted("not submitted")


def fetch_job(transport: Transport, job_id: str) -> dict[str, Any]:
    from .jsonapi import fetch

    try:
        return fetch(transport, "GET", f"{JOBS}/{job_id}")
    except ApiError as exc:
        if exc.status == 404:
            raise ApiError(
                f"no research request {job_id!r} (the API keeps them for 7 days)", 404
            ) from None
        raise


def wait_for(
    transport: Transport, job_id: str, interval: float, max_wait: float | None, line: StatusLine
) -> dict[str, Any]:
    """Poll until the job is COMPLETED (returned) or FAILED (exit 6), slowing down as it goes."""
    from .progress import spinner

    resume = f"perplex research wait {job_id}"
    started = time.monotonic()
    delay = interval
    try:
        while True:
            try:
                job = fetch_job(transport, job_id)
            except PerplexError as exc:
                if exc.hint is None and getattr(exc, "status", 0) != 404:
                    exc.hint = f"the research goes on; wait for it again: {resume}"
                raise
            status = str(job.get("status") or "")
            if status == "COMPLETED":
                return job
            if status == "FAILED":
                reason = job.get("error_message") or "no reason given"
                raise ServerError(f"research {job_id} failed: {reason}")
            now = time.monotonic()
            if max_wait is not None and now - started >= max_wait:
                raise NetworkError(
                    f"research {job_id} is still {status or 'unfinished'} after {max_wait:g} s",
                    hint=f"wait again: {resume}",
                )
            until = now + delay if max_wait is None else min(now + delay, started + max_wait)
            while (left := until - time.monotonic()) > 0:
                line.show(
                    spinner(
                        f"researching ({status.lower() or 'waiting'})", time.monotonic() - started
                    )
                )
                time.sleep(min(left, 0.1))
            delay = min(delay * 1.5, max(interval, LONGEST_INTERVAL))
    except KeyboardInterrupt:
        raise Interrupted("stopped waiting; the research goes on", hint=resume) from None
    finally:
        line.clear()


def show_answer(job: dict[str, Any], settings: Settings, out: IO[str], err: IO[str]) -> Accumulator:
    """The finished job's chat.completion through the formatters, as `ask` would print it."""
    from .ask import warn_if_cut
    from .errors import ProtocolError
    from .events import Accumulator
    from .output import make_formatter

    doc = job.get("response")
    if not isinstance(doc, dict):
        raise ProtocolError(f"research {job.get('id')} is COMPLETED but carries no response")
    formatter = make_formatter(
        settings.format, out, err, citations=not settings.no_citations, reasoning=settings.reasoning
    )
    acc = Accumulator()
    formatter.chunk(doc, acc.feed_response(doc))
    formatter.end(acc, None)
    warn_if_cut(acc, err, settings.quiet)
    return acc


def remember(
    job: dict[str, Any], acc: Accumulator, settings: Settings, err: IO[str], *, prompt: str | None
) -> None:
    """Keep a completed research answer in the local log, as `ask` keeps its answers.

    `prompt` is the question when this run asked it; `wait ID` only knows the id, so the
    request the job echoes is used when there is one. A log failure warns once on stderr.
    """
    from .conversation import Conversation
    from .events import answer_and_reasoning
    from .store import Exchange, Log, log_path

    def warn(line: str) -> None:
        err.write(line + "\n")
        err.flush()

    request = job.get("request") if isinstance(job.get("request"), dict) else None
    if prompt is None and request:
        messages = [m for m in request.get("messages") or [] if isinstance(m, dict)]
        users = [m.get("content") for m in messages if m.get("role") == "user"]
        prompt = users[-1] if users and isinstance(users[-1], str) else None
    answer, reasoning = answer_and_reasoning(acc)
    log = Log(log_path(), enabled=bool(settings.log), warn=warn)
    try:
        log.record(
            Exchange(
                conversation=Conversation().id,
                prompt=prompt or f"(research {job.get('id')})",
                started=time.time(),
                model=acc.model or settings.model,
                answer=answer,
                reasoning=reasoning,
                response_id=str(job.get("id") or acc.id or ""),
                finish_reason=acc.finish_reason,
                metadata=acc.metadata,
                usage=acc.usage,
            )
        )
    finally:
        log.close()


def show(doc: dict[str, Any], fmt: str, text: str) -> None:
    """A document in the chosen format: json as returned, ndjson on one line, else `text`."""
    from .output.json import write_document
    from .output.ndjson import write_line
    from .run import text_stream

    out = guard(text_stream(sys.stdout))
    if fmt == "json":
        write_document(out, doc)
    elif fmt == "ndjson":
        write_line(out, doc)
    else:
        out.write(text)
        out.flush()


def status_text(job: dict[str, Any]) -> str:
    rows = [
        ("id", job.get("id")),
        ("status", job.get("status")),
        ("model", job.get("model")),
        ("created", _when(job.get("created_at"))),
        ("started", _when(job.get("started_at"))),
        ("completed", _when(job.get("completed_at"))),
        ("failed", _when(job.get("failed_at"))),
        ("error", job.get("error_message")),
    ]
    return "".join(f"{name:<10} {value}\n" for name, value in rows if value not in (None, ""))


def list_text(jobs: list[dict[str, Any]]) -> str:
    if not jobs:
        return ""
    rows = [("ID", "STATUS", "MODEL", "CREATED")] + [
        (
            str(j.get("id") or ""),
            str(j.get("status") or ""),
            str(j.get("model") or ""),
            _when(j.get("created_at")) or "",
        )
        for j in jobs
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "".join(
        f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}".rstrip()
        + "\n"
        for row in rows
    )


def _when(value: Any) -> str | None:
    """An API timestamp (epoch seconds) as UTC; other values as given."""
    from datetime import datetime, timezone

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return None if value in (None, "") else str(value)


def _check_wait(interval: float, max_wait: float | None) -> None:
    if interval <= 0:
        raise UsageError("invalid value for --interval: must be > 0 seconds")
    if max_wait is not None and max_wait <= 0:
        raise UsageError("invalid value for --max-wait: must be > 0 seconds")


def _status_line(settings: Settings) -> StatusLine:
    from .progress import StatusLine, is_live
    from .run import text_stream

    err = text_stream(sys.stderr)
    return StatusLine(err, is_live(err, settings.quiet))


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False
