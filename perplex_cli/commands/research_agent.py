"""Deep research on the Agent API: background runs.

`POST {base}/v1/agent` with `background: true` queues a run and answers at once with its
id (`status: queued`); `GET /v1/agent/{id}` shows it (`in_progress` carries no output
yet) until it ends `completed`, `incomplete`, `failed` or `cancelled`;
`POST /v1/agent/{id}/cancel` asks it to stop. `research run` posts with `stream: true` as
well and follows the run's events as `ask` does; closing that stream does not stop a
background run, so Ctrl-C or a broken connection leave it running for `research wait`.

The Agent API has no list endpoint: every run submitted is kept in the local log (id,
question, engine, status), and `status` and `wait` keep its status up to date there.
A cancelled run ends `wait` with exit 6, as a failed one does: no answer will come.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from perplex_cli.commands import research_jobs as jobs
from perplex_cli.errors import ApiError, ProtocolError, ServerError, UsageError

if TYPE_CHECKING:
    from perplex_cli.api.answer_text import Update
    from perplex_cli.api.chat_events import Accumulator
    from perplex_cli.commands.research_jobs import ResearchSession
    from perplex_cli.output.formatter import Formatter
    from perplex_cli.transport.client import Transport

RUNS = "/v1/agent"
ENDED = ("completed", "incomplete", "failed", "cancelled")
FIRST_INTERVAL = 1.0
GROWTH = 2.0


def start(
    session: ResearchSession, prompt: str, *, yes: bool, key: str | None, wait: jobs.Wait | None
) -> None:
    """submit (wait is None) or run: a background run, then (run) its answer.

    run streams the run unless --no-stream, --interval or --max-wait ask for polling.
    """
    if key is not None:
        raise UsageError("--idempotency-key: not available on the Agent API (use --api chat)")
    streams = wait == jobs.Wait() and not session.opts.no_stream
    session.opts = replace(session.opts, no_stream=not streams)
    _, body, _ = session.request(session.conversation(), prompt)  # a usage error comes first
    engine = str(body.get("preset") or body.get("model") or ",".join(body.get("models") or []))
    jobs.confirm(f"preset {engine}" if body.get("preset") else engine, yes, session.err)
    if streams:
        follow(session, prompt, engine)
        return
    doc = submit(session, body, prompt, engine)
    run_id = str(doc["id"])
    if wait is None:
        jobs.show(doc, session.settings.format, run_id + "\n")
        return
    jobs.announce(session, run_id)
    finish(session, run_id, wait, prompt=prompt, body=body)


def submit(
    session: ResearchSession, body: dict[str, Any], prompt: str, engine: str
) -> dict[str, Any]:
    """Queue a background run (not streamed) and keep it in the local log; the API's answer,
    which has the run's `id`."""
    from perplex_cli.api.jsonapi import fetch

    assert session.transport is not None, "connect() first"
    doc = fetch(session.transport, "POST", RUNS, body)
    run_id = str(doc.get("id") or "")
    if not run_id:
        raise ProtocolError("the Agent API accepted the research but sent no response id")
    remember(session, run_id, prompt, engine, str(doc.get("status") or "queued"))
    return doc


def follow(session: ResearchSession, prompt: str, engine: str) -> None:
    """Stream the run as ask streams an answer; the run goes on if the stream ends early."""
    from perplex_cli.api.stream import warn_if_cut
    from perplex_cli.errors import Interrupted, NetworkError

    def started(run_id: str, status: str) -> None:
        remember(session, run_id, prompt, engine, status)
        jobs.announce(session, run_id)

    formatter = Following(session.formatter(), started)
    outcome = session.ask(session.conversation(), prompt, formatter)
    acc, error = outcome.acc, outcome.error
    if acc.id:
        if acc.complete:
            _note(session, str(acc.id), getattr(acc, "status", None))
        elif isinstance(error, ApiError):  # the run itself failed: an error event
            _note(session, str(acc.id), "failed")
        elif isinstance(error, (Interrupted, NetworkError)):
            if isinstance(error, Interrupted):
                error.message = "stopped following; the research goes on"
            error.hint = f"the research goes on; wait for it: perplex research wait {acc.id}"
    if error is not None:
        raise error
    warn_if_cut(acc, session.err, session.settings.quiet)
    warn_if_incomplete(session, str(acc.id), acc)


class Following:
    """The formatter of `research run`: tells `started` the run's id when it arrives."""

    def __init__(self, formatter: Formatter, started: Callable[[str, str], None]) -> None:
        self.formatter = formatter
        self.started: Callable[[str, str], None] | None = started

    def chunk(self, raw: dict[str, Any], update: Update) -> None:
        if self.started is not None:
            data = raw.get("data")
            response = data.get("response") if isinstance(data, dict) else None
            if isinstance(response, dict) and response.get("id"):
                self.started(str(response["id"]), str(response.get("status") or "queued"))
                self.started = None
        self.formatter.chunk(raw, update)

    def end(self, acc: Any, error: Any) -> None:
        self.formatter.end(acc, error)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.formatter, name)


def finish(
    session: ResearchSession,
    run_id: str,
    wait: jobs.Wait,
    *,
    prompt: str | None = None,
    body: dict[str, Any] | None = None,
) -> None:
    """Poll until the run ends; print its answer (failed or cancelled: exit 6)."""
    doc = jobs.poll(fetch_run, ENDED, session, run_id, wait, first=FIRST_INTERVAL, growth=GROWTH)
    conclude(session, run_id, doc, prompt=prompt, body=body)


def conclude(
    session: ResearchSession,
    run_id: str,
    doc: dict[str, Any],
    *,
    prompt: str | None = None,
    body: dict[str, Any] | None = None,
) -> None:
    """An ended run: its answer through the session's formatter, kept in the log; a failed
    or cancelled run is a ServerError (exit 6)."""
    from perplex_cli.api.agent_events import AgentAccumulator, agent_error

    status = str(doc.get("status"))
    _note(session, run_id, status)
    if status in ("failed", "cancelled"):
        error = doc.get("error")
        reason = agent_error(error)["message"] if error else None
        if status == "cancelled":
            raise ServerError(
                f"research {run_id} was cancelled" + (f": {reason}" if reason else "")
            )
        raise ServerError(
            f"research {run_id} failed: {reason}"
            if reason
            else f"the research run failed ({run_id})"
        )
    acc = AgentAccumulator()
    jobs.present(
        session, doc, acc, prompt=prompt or _question(session, run_id), run_id=run_id, body=body
    )
    warn_if_incomplete(session, run_id, acc)
    if session.opts.save_files is not None and session.transport is not None:
        from perplex_cli.api.agent_files import save_announced

        save_announced(session.transport, acc, session.opts.save_files, session.err)


def warn_if_incomplete(session: ResearchSession, run_id: str, acc: Accumulator) -> None:
    """An incomplete run for another reason than the token limit (ask warns about that)."""
    reason = acc.finish_reason
    if session.settings.quiet or reason == "length":
        return
    if getattr(acc, "status", None) == "incomplete":
        session.err.write(
            f"perplex: warning: research {run_id} ended incomplete ({reason}); "
            "the answer may be partial\n"
        )
        session.err.flush()


def fetch_run(transport: Transport, run_id: str) -> dict[str, Any]:
    from perplex_cli.api.jsonapi import fetch

    try:
        return fetch(transport, "GET", f"{RUNS}/{run_id}")
    except ApiError as exc:
        raise _unknown(exc, run_id) from None


def _unknown(exc: ApiError, run_id: str) -> ApiError:
    """A 404 as "unknown research id"; other errors as they are."""
    if exc.status != 404:
        return exc
    return ApiError(
        f"unknown research id {run_id!r}",
        status=404,
        hint="a job submitted with --api chat is seen with --api chat",
    )


def status(session: ResearchSession, run_id: str) -> None:
    assert session.transport is not None, "connect() first"
    doc = fetch_run(session.transport, run_id)
    _note(session, run_id, str(doc.get("status") or ""))
    jobs.show(doc, session.settings.format, status_text(doc, _question(session, run_id)))


def status_text(doc: dict[str, Any], question: str | None = None) -> str:
    error = doc.get("error")
    error = error if isinstance(error, dict) else {}
    details = doc.get("incomplete_details")
    details = details if isinstance(details, dict) else {}
    return jobs.rows_text(
        [
            ("id", doc.get("id") or doc.get("response_id")),
            ("status", doc.get("status")),
            ("question", question),
            ("model", doc.get("model")),
            ("created", jobs.when(doc.get("created_at"))),
            ("completed", jobs.when(doc.get("completed_at"))),
            ("error", error.get("message")),
            ("reason", details.get("reason")),
        ]
    )


def cancel(session: ResearchSession, run_id: str) -> None:
    """Ask the run to stop: the API answers `cancelling`, and the run ends `cancelled`."""
    from perplex_cli.api.jsonapi import fetch

    assert session.transport is not None, "connect() first"
    try:
        doc = fetch(session.transport, "POST", f"{RUNS}/{run_id}/cancel")
    except ApiError as exc:
        if exc.status == 400:
            raise ApiError(
                f"research {run_id} has already ended: nothing to cancel ({exc.message})",
                status=400,
                hint=f"perplex research status {run_id} shows how it ended",
            ) from None
        raise _unknown(exc, run_id) from None
    state = str(doc.get("status") or "cancelling")
    _note(session, run_id, state)
    jobs.show(doc, session.settings.format, jobs.rows_text([("id", run_id), ("status", state)]))


def list_runs(session: ResearchSession) -> None:
    """The runs the local log holds, oldest first (the Agent API cannot list them)."""
    runs = [
        {
            "id": run["id"],
            "status": run["status"],
            "model": run["engine"],
            "created_at": run["submitted"],
            "question": run["question"],
        }
        for run in recorded_runs()
    ]
    rows = [("ID", "STATUS", "ENGINE", "SUBMITTED", "QUESTION")] + [
        (
            str(r["id"]),
            str(r["status"]),
            str(r["model"] or ""),
            jobs.when(r["created_at"]) or "",
            _one_line(str(r["question"]), 60),
        )
        for r in runs
    ]
    jobs.show_list(
        {"requests": runs}, runs, session.settings.format, session.settings.quiet, jobs.table(rows)
    )


def recorded_runs() -> list[dict[str, Any]]:
    """The research runs of the local log (none when there is no log yet)."""
    import sqlite3

    from perplex_cli.errors import LogError
    from perplex_cli.local.store import Store, log_path

    path = log_path()
    try:
        store = Store.open(path, create=False)
        if store is None:
            return []
        try:
            return store.runs()
        finally:
            store.close()
    except (sqlite3.Error, OSError) as exc:
        raise LogError(f"cannot read the log {path}: {exc}") from None


def remember(session: ResearchSession, run_id: str, prompt: str, engine: str, status: str) -> None:
    """Keep a submitted run in the local log (key-free), for `research list`."""
    from perplex_cli.local.records import ResearchRun, keyfree

    run = ResearchRun(
        id=run_id,
        question=keyfree(prompt, session.secrets()),
        engine=engine or None,
        status=status,
        submitted=time.time(),
    )
    session.log.write(lambda store: store.add_run(run))


def _note(session: ResearchSession, run_id: str, status: str | None) -> None:
    if status:
        session.log.write(lambda store: store.set_run_status(run_id, status))


def _question(session: ResearchSession, run_id: str) -> str | None:
    """The question of a run this log recorded (the API does not echo it back)."""
    found = session.log.write(
        lambda store: [r["question"] for r in store.runs() if r["id"] == run_id]
    )
    return found[0] if found else None


def _one_line(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
