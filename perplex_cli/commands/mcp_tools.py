"""What the tools of `perplex mcp` do, on the command line's own pipeline (no MCP here).

Each tool is one blocking call that returns a `Reply`: `ask` is `Session.ask` (the same
request building, protocol, key chain, config, retries and log) with a formatter that
collects the `-f json` document and the text output in memory; `search` is the Search
API code of `perplex search`; `research` submits a background run on the Agent API and
polls it as `perplex research wait` does, until it ends or the wait is over (then the
reply holds the run's id, for `research_result`). Nothing is written to stdout: answers
go into the reply, diagnostics to stderr. The log marks every exchange as from "mcp".

A failure is a reply with `error` set whose text is the line the command line prints
(`perplex: error: ...`, then its hint), followed by any partial answer.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from perplex_cli.api.answer_text import Update
from perplex_cli.api.chat_events import Accumulator
from perplex_cli.commands.research_jobs import ResearchSession
from perplex_cli.commands.session import Session
from perplex_cli.errors import PerplexError
from perplex_cli.output.json import JsonFormatter
from perplex_cli.output.streams import current
from perplex_cli.output.style import PLAIN
from perplex_cli.output.text import TextFormatter
from perplex_cli.request.options import Options

SOURCE = "mcp"  # how the log marks the exchanges of the MCP server
# Called with a status line and the seconds waited so far, while a research run is polled.
Progress = Callable[[str, float], None]


@dataclass
class Reply:
    """A tool's result: text for the model, the structured document, whether it failed."""

    text: str
    data: dict[str, Any] | None = None
    error: bool = False


@dataclass
class Collector:
    """The formatter of one answer: the `-f json` document and the text output, in memory."""

    err: Any
    json_out: io.StringIO = field(default_factory=io.StringIO)
    text_out: io.StringIO = field(default_factory=io.StringIO)

    def __post_init__(self) -> None:
        self.parts = (JsonFormatter(self.json_out), TextFormatter(self.text_out, self.err))

    def chunk(self, raw: dict[str, Any], update: Update) -> None:
        for part in self.parts:
            part.chunk(raw, update)

    def end(self, acc: Accumulator, error: PerplexError | None) -> None:
        for part in self.parts:
            part.end(acc, error)

    def reply(self, error: PerplexError | None = None) -> Reply:
        document = self.json_out.getvalue()
        data = json.loads(document) if document else None
        text = self.text_out.getvalue()
        if error is None:
            return Reply(text, data)
        partial = f"\n\nThe partial answer, as received:\n{text}" if text.strip() else ""
        return Reply(failure_text(error) + partial, data, error=True)


class McpSession(Session):
    """ask's session, answering into a Collector; no spinner; exchanges logged as MCP."""

    def __init__(self, opts: Options) -> None:
        super().__init__(opts)
        self.err_style = PLAIN  # no spinner on the server's stderr
        self.log.source = SOURCE
        self.collector = Collector(self.err)

    def formatter(self, name: str | None = None) -> Collector:
        self.collector = Collector(self.err)
        return self.collector


class McpResearchSession(McpSession, ResearchSession):
    """research's session (background runs on the Agent API), answering into a Collector."""


def failure_text(error: PerplexError) -> str:
    """The lines the command line prints on stderr for this error."""
    lines = [f"perplex: error: {error.message}"]
    if error.hint:
        lines.append(f"perplex: hint: {error.hint}")
    return "\n".join(lines)


def guarded(work: Callable[[], Reply]) -> Reply:
    """The reply of `work`, or its failure as a reply: never a traceback, never the key."""
    try:
        return work()
    except PerplexError as exc:
        return Reply(failure_text(exc), error=True)
    except Exception as exc:  # a bug: one line here and on stderr, as the command line says it
        from perplex_cli.redact import redact

        line = redact(f"perplex: internal error: {type(exc).__name__}: {exc}")
        current().say(line)
        return Reply(line, error=True)


def options(base: Options, **given: Any) -> Options:
    """The server's options with a call's arguments (those given) on top, as a new object."""
    chosen = {name: value for name, value in given.items() if value is not None}
    return replace(base, **chosen)


def ask(opts: Options, question: str) -> Reply:
    """One question, answered as `perplex -f json` answers it, and logged."""
    session = McpSession(opts)
    try:
        conversation = session.conversation()
        session.connect()
        outcome = session.ask(conversation, question, session.formatter())
    finally:
        session.close()
    return session.collector.reply(outcome.error)


def search(opts: Options, query: str, *, max_results: int | None, country: str | None) -> Reply:
    """The Search API's ranked results, as `perplex search -f json` prints them."""
    from perplex_cli.api.search_request import SearchOptions
    from perplex_cli.commands import search as search_api
    from perplex_cli.request.settings import resolve
    from perplex_cli.request.values import validate

    settings = resolve(opts)
    opts = settings.options
    validate(opts)
    own = SearchOptions(max_results=max_results, country=country)
    body, doc = search_api.search(query, opts, settings, own, err=current().stderr)
    text = io.StringIO()
    search_api.write_text(text, search_api.result_groups(doc, body["query"]))
    return Reply(text.getvalue() or "no results", doc)


def research(opts: Options, question: str, *, max_wait: float, progress: Progress) -> Reply:
    """Submit a background run, then wait for its report at most `max_wait` seconds."""
    from perplex_cli.commands.research_agent import submit
    from perplex_cli.commands.research_jobs import research_session

    with research_session(opts, asks=True, kind=McpResearchSession) as session:
        session.connect()
        session.opts = replace(session.opts, no_stream=True)
        _, body, _ = session.request(session.conversation(), question)
        engine = str(body.get("preset") or body.get("model") or "")
        run_id = str(submit(session, body, question, engine)["id"])
        progress(f"research {run_id} submitted", 0.0)
        return _report(session, run_id, max_wait, progress, prompt=question, body=body)


def research_result(opts: Options, run_id: str, *, max_wait: float, progress: Progress) -> Reply:
    """The report of a run `research` started, waiting for it at most `max_wait` seconds."""
    from perplex_cli.commands.research_jobs import research_session

    with research_session(opts, kind=McpResearchSession) as session:
        session.connect()
        return _report(session, run_id, max_wait, progress)


class StillRunning(Exception):
    """The wait is over and the run has not ended (not an error: its id is the reply)."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


def _report(
    session: ResearchSession,
    run_id: str,
    max_wait: float,
    progress: Progress,
    *,
    prompt: str | None = None,
    body: dict[str, Any] | None = None,
) -> Reply:
    """Poll the run as `research wait` does, telling `progress` each status it shows."""
    from perplex_cli.commands import research_agent as agent
    from perplex_cli.commands.research_jobs import Wait, poll

    assert isinstance(session, McpResearchSession)
    started = time.monotonic()

    def fetch(transport: Any, ident: str) -> dict[str, Any]:
        doc = agent.fetch_run(transport, ident)
        status = str(doc.get("status") or "")
        waited = time.monotonic() - started
        if status in agent.ENDED:
            return doc
        progress(f"research {ident}: {status or 'waiting'}", waited)
        if waited >= max_wait:
            raise StillRunning(status or "unfinished")
        return doc

    wait = Wait(max_wait=max_wait)
    try:
        doc = poll(
            fetch,
            agent.ENDED,
            session,
            run_id,
            wait,
            first=agent.FIRST_INTERVAL,
            growth=agent.GROWTH,
        )
    except StillRunning as running:
        return Reply(
            f"research {run_id} is still {running.status} after {max_wait:g} s; it goes on. "
            f"Call research_result with id {run_id!r} for the report.",
            {"id": run_id, "status": running.status},
        )
    agent.conclude(session, run_id, doc, prompt=prompt, body=body)
    return session.collector.reply()
