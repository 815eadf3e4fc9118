"""What `perplex research` does on either API: the session, confirmation, polling, output.

A research command opens a `ResearchSession` (ask's `Session`, with the research engine
and API chosen), then hands it to `research_agent` (the Agent API's background runs) or
`research_chat` (the async chat endpoints). Both poll with `poll`, and print a finished
answer with `present`: ask's formatters, the usage line and the local log.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import IO, TYPE_CHECKING, Any

from perplex_cli.commands.session import Session
from perplex_cli.errors import (
    Declined,
    Interrupted,
    NetworkError,
    PerplexError,
    ProtocolError,
    UsageError,
)
from perplex_cli.output.streams import current
from perplex_cli.request.options import Options

if TYPE_CHECKING:
    from perplex_cli.api.chat_events import Accumulator
    from perplex_cli.output.progress import StatusLine
    from perplex_cli.request.conversation import Conversation
    from perplex_cli.request.settings import Settings
    from perplex_cli.transport.client import Transport

RESEARCH_MODEL = "sonar-deep-research"  # on --api chat
RESEARCH_PRESET = "medium"  # on the Agent API: the preset that replaced sonar-deep-research
LONGEST_INTERVAL = 30.0  # polls slow down to this, unless --interval asks for longer


@dataclass(frozen=True)
class Wait:
    """How `run` and `wait` wait: --interval (None: the API's default) and --max-wait."""

    interval: float | None = None
    max_wait: float | None = None

    def check(self) -> None:
        if self.interval is not None and self.interval <= 0:
            raise UsageError("invalid value for --interval: must be > 0 seconds")
        if self.max_wait is not None and self.max_wait <= 0:
            raise UsageError("invalid value for --max-wait: must be > 0 seconds")


class ResearchSession(Session):
    """ask's session, on the API research uses; on the Agent API each run is a background run."""

    def request(
        self, conversation: Conversation, prompt: str
    ) -> tuple[str, dict[str, Any], Accumulator]:
        path, body, acc = super().request(conversation, prompt)
        if self.api == "agent":
            body["background"] = True
        return path, body, acc


@contextmanager
def research_session(
    opts: Options, *, asks: bool = False, kind: type[ResearchSession] = ResearchSession
) -> Iterator[ResearchSession]:
    """The session of one research command; closed at the end.

    With `asks` (submit, run), the engine is research's own unless -m or --preset name one:
    preset medium on the Agent API, sonar-deep-research on chat; a model or preset from the
    config file is for ask, not for research. `kind` is the session's class.
    """
    model, preset = opts.model, opts.preset  # as given on the command line
    session = kind(opts)
    try:
        if asks and session.api == "agent":
            if model == RESEARCH_MODEL:
                model = None  # chat's deep-research model: on this API, research's own preset
            chosen = preset or (None if model else RESEARCH_PRESET)
            session.opts = replace(session.opts, model=model, preset=chosen)
        elif asks:
            session.opts = replace(session.opts, model=model or RESEARCH_MODEL)
        session.settings = replace(
            session.settings,
            model=session.opts.model or session.settings.model,
            options=session.opts,
        )
        yield session
    finally:
        session.close()


def confirm(engine: str, yes: bool, err: IO[str]) -> None:
    """On a terminal, ask before spending: deep research costs dollars, not cents."""
    from perplex_cli.output.style import isatty
    from perplex_cli.request.prompt import stdin_is_terminal

    if yes or not stdin_is_terminal() or not isatty(err):
        return
    import click

    question = (
        f"perplex: deep research with {engine} costs dollars per question, not cents. Submit?"
    )
    if not click.confirm(question, default=False, err=True):
        raise Declined("not submitted: the question was not sent")


def announce(session: Session, run_id: str) -> None:
    session.notice(f"perplex: research {run_id} submitted; Ctrl-C stops waiting, not the research")


def poll(
    fetch: Callable[[Transport, str], dict[str, Any]],
    ended: Collection[str],
    session: Session,
    run_id: str,
    wait: Wait,
    *,
    first: float,
    growth: float,
) -> dict[str, Any]:
    """Fetch the run until its `status` is one of `ended`, and return it, slowing down: the
    first pause is --interval (else `first`), each next one `growth` times longer, up to
    LONGEST_INTERVAL. --max-wait ends it with exit 7, Ctrl-C with 130; either way the
    research goes on and the message says how to wait for it again."""
    from perplex_cli.output.progress import spinner

    assert session.transport is not None, "connect() first"
    line = status_line(session.settings)
    resume = f"perplex research wait {run_id}"
    interval = first if wait.interval is None else wait.interval
    started = time.monotonic()
    delay = interval
    try:
        while True:
            try:
                doc = fetch(session.transport, run_id)
            except PerplexError as exc:
                if exc.hint is None and getattr(exc, "status", 0) != 404:
                    exc.hint = f"the research goes on; wait for it again: {resume}"
                raise
            status = str(doc.get("status") or "")
            if status in ended:
                return doc
            now = time.monotonic()
            if wait.max_wait is not None and now - started >= wait.max_wait:
                raise NetworkError(
                    f"research {run_id} is still {status or 'unfinished'} after {wait.max_wait:g} s",
                    hint=f"wait again: {resume}",
                )
            until = (
                now + delay if wait.max_wait is None else min(now + delay, started + wait.max_wait)
            )
            label = f"researching ({status.lower() or 'waiting'})"
            while (left := until - time.monotonic()) > 0:
                line.show(spinner(label, time.monotonic() - started))
                time.sleep(min(left, 0.1))
            delay = min(delay * growth, max(interval, LONGEST_INTERVAL))
    except KeyboardInterrupt:
        raise Interrupted("stopped waiting; the research goes on", hint=resume) from None
    finally:
        line.clear()


def present(
    session: Session,
    doc: dict[str, Any],
    acc: Accumulator,
    *,
    prompt: str | None,
    run_id: str,
    body: dict[str, Any] | None = None,
) -> None:
    """A finished answer as ask prints it (format, sources, --usage), kept in the local log."""
    from perplex_cli.api.chat_events import answer_and_reasoning
    from perplex_cli.api.nonstream import feed_document
    from perplex_cli.api.stream import warn_if_cut
    from perplex_cli.local.records import Exchange, keyfree, loggable_request
    from perplex_cli.request.conversation import Conversation

    formatter = session.formatter()
    error: ProtocolError | None = None
    try:
        formatter.chunk(doc, feed_document(acc, doc))
    except ProtocolError as exc:
        error = exc  # what was received is still printed and logged
    formatter.end(acc, error)
    if session.settings.usage:
        from perplex_cli.output.usage import usage_line

        session.err.write(usage_line(acc.usage) + "\n")
        session.err.flush()
    answer, reasoning = answer_and_reasoning(acc)
    secrets = session.secrets()
    session.log.record(
        Exchange(
            conversation=Conversation().id,
            prompt=keyfree(prompt or f"(research {run_id})", secrets),
            started=time.time(),
            model=acc.model or session.settings.model,
            answer=keyfree(answer, secrets),
            reasoning=keyfree(reasoning, secrets),
            request=None if body is None else loggable_request(body, secrets),
            response_id=run_id or acc.id,
            finish_reason=acc.finish_reason,
            metadata=acc.metadata,
            usage=acc.usage,
            status="ok" if error is None else "partial",
            error=None if error is None else error.message,
        )
    )
    if error is not None:
        raise error
    warn_if_cut(acc, session.err, session.settings.quiet)


def show(doc: dict[str, Any], fmt: str, text: str) -> None:
    """A document in the chosen format: json as returned, ndjson on one line, else `text`."""
    from perplex_cli.output.json import write_document
    from perplex_cli.output.ndjson import write_line
    from perplex_cli.output.streams import current

    out = current().out()
    if fmt == "json":
        write_document(out, doc)
    elif fmt == "ndjson":
        write_line(out, doc)
    else:
        out.write(text)
        out.flush()


def show_list(
    doc: dict[str, Any], runs: list[dict[str, Any]], fmt: str, quiet: bool, text: str
) -> None:
    """A list of research runs: json the whole `doc`, ndjson one run a line, else `text`;
    an empty one says so on stderr."""
    if fmt == "ndjson":
        for run in runs:
            show(run, "ndjson", "")
        return
    if not runs and fmt == "text" and not quiet:
        current().stderr.write("perplex: no research requests\n")
    show(doc, fmt, text)


def rows_text(rows: list[tuple[str, Any]]) -> str:
    """`name  value` lines, for the rows that have a value."""
    return "".join(f"{name:<10} {value}\n" for name, value in rows if value not in (None, ""))


def table(rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell (the last one is not); nothing when only a header."""
    if len(rows) < 2:
        return ""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "".join(
        "  ".join(
            [*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]
        ).rstrip()
        + "\n"
        for row in rows
    )


def when(value: Any) -> str | None:
    """A timestamp (epoch seconds) as UTC; other values as given."""
    from datetime import datetime, timezone

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        except (ValueError, OverflowError, OSError):  # no date a calendar can show
            return str(value)
    return None if value in (None, "") else str(value)


def status_line(settings: Settings) -> StatusLine:
    from perplex_cli.output.progress import StatusLine, is_live
    from perplex_cli.output.streams import current

    err = current().stderr
    return StatusLine(err, is_live(err, settings.quiet))
