"""Deep research on the async chat endpoints (`--api chat`).

A job is submitted with `POST /async/chat/completions` (`{"request": <chat body>,
"idempotency_key"}`) and polled with `GET .../{id}` until it is COMPLETED (its `response`
is a chat.completion) or FAILED. The finished answer goes through the same formatters as
`ask`, fed as one whole response. Every submission carries an idempotency key (a fresh one
unless `--idempotency-key` gives it), so a POST retried after a lost connection cannot
start, and bill, the same research twice.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from perplex_cli.commands import research_jobs as jobs
from perplex_cli.errors import ApiError, PerplexError, ProtocolError, ServerError

if TYPE_CHECKING:
    from perplex_cli.commands.research_jobs import ResearchSession
    from perplex_cli.transport.client import Transport

JOBS = "/async/chat/completions"
FIRST_INTERVAL = 5.0
GROWTH = 1.5


def start(
    session: ResearchSession, prompt: str, *, yes: bool, key: str | None, wait: jobs.Wait | None
) -> None:
    """submit (wait is None) or run: request -> confirmation -> job [-> answer]."""
    import uuid

    from perplex_cli.api.jsonapi import fetch

    assert session.transport is not None, "connect() first"
    session.opts = replace(session.opts, no_stream=True)
    _, body, _ = session.request(session.conversation(), prompt)
    jobs.confirm(session.settings.model, yes, session.err)
    submission = {"request": body, "idempotency_key": key or uuid.uuid4().hex}
    job = fetch(session.transport, "POST", JOBS, submission)
    job_id = str(job.get("id") or "")
    if wait is None:
        jobs.show(job, session.settings.format, job_id + "\n")
        return
    jobs.announce(session, job_id)
    finish(session, job_id, wait, prompt=prompt)


def finish(
    session: ResearchSession, job_id: str, wait: jobs.Wait, *, prompt: str | None = None
) -> None:
    """Wait for the job, then print its answer (a FAILED job is exit 6)."""
    job = jobs.poll(
        fetch_job,
        ("COMPLETED", "FAILED"),
        session,
        job_id,
        wait,
        first=FIRST_INTERVAL,
        growth=GROWTH,
    )
    if job.get("status") == "FAILED":
        reason = job.get("error_message") or "no reason given"
        raise ServerError(f"research {job_id} failed: {reason}")
    doc = job.get("response")
    if not isinstance(doc, dict):
        raise ProtocolError(f"research {job_id} is COMPLETED but carries no response")
    if prompt is None:
        prompt = _asked(job)
    from perplex_cli.api.chat_events import Accumulator

    jobs.present(session, doc, Accumulator(), prompt=prompt, run_id=job_id)


def _asked(job: dict[str, Any]) -> str | None:
    """The question of a job, from the request it echoes (`wait ID` knows only the id)."""
    request = job.get("request") if isinstance(job.get("request"), dict) else None
    if not request:
        return None
    messages = [m for m in request.get("messages") or [] if isinstance(m, dict)]
    users = [m.get("content") for m in messages if m.get("role") == "user"]
    return users[-1] if users and isinstance(users[-1], str) else None


def fetch_job(transport: Transport, job_id: str) -> dict[str, Any]:
    from perplex_cli.api.jsonapi import fetch

    try:
        return fetch(transport, "GET", f"{JOBS}/{job_id}")
    except ApiError as exc:
        if exc.status == 404:
            raise ApiError(
                f"no research request {job_id!r} (the API keeps them for 7 days)", status=404
            ) from None
        raise


def status(session: ResearchSession, job_id: str) -> None:
    assert session.transport is not None, "connect() first"
    job = fetch_job(session.transport, job_id)
    jobs.show(job, session.settings.format, status_text(job))


def status_text(job: dict[str, Any]) -> str:
    return jobs.rows_text(
        [
            ("id", job.get("id")),
            ("status", job.get("status")),
            ("model", job.get("model")),
            ("created", jobs.when(job.get("created_at"))),
            ("started", jobs.when(job.get("started_at"))),
            ("completed", jobs.when(job.get("completed_at"))),
            ("failed", jobs.when(job.get("failed_at"))),
            ("error", job.get("error_message")),
        ]
    )


def list_runs(session: ResearchSession) -> None:
    """The jobs the API keeps (7 days), every page of them; when a later page fails, the
    jobs of the pages before are shown, then the failure."""
    assert session.transport is not None, "connect() first"
    found: list[dict[str, Any]] = []
    try:
        doc = _all_pages(session.transport, found)
    except PerplexError:
        if found:
            _show_jobs(session, {"requests": found}, found)
        raise
    _show_jobs(session, doc, found)


def _show_jobs(session: ResearchSession, doc: dict[str, Any], found: list[dict[str, Any]]) -> None:
    rows = [("ID", "STATUS", "MODEL", "CREATED")] + [
        (
            str(j.get("id") or ""),
            str(j.get("status") or ""),
            str(j.get("model") or ""),
            jobs.when(j.get("created_at")) or "",
        )
        for j in found
    ]
    jobs.show_list(doc, found, session.settings.format, session.settings.quiet, jobs.table(rows))


def _all_pages(transport: Transport, found: list[dict[str, Any]]) -> dict[str, Any]:
    """Every page of the list, each asked for with the `next_token` of the one before until
    a page has none; their jobs are added to `found` as they come. The last page's document
    with every page's jobs."""
    from urllib.parse import quote

    from perplex_cli.api.jsonapi import fetch

    doc = fetch(transport, "GET", JOBS)
    tokens: set[str] = set()
    while True:
        found += [job for job in doc.get("requests") or [] if isinstance(job, dict)]
        token = doc.get("next_token")
        if token is None or token == "":
            return dict(doc, requests=found)
        if not isinstance(token, str):
            raise ProtocolError("the list of research requests has a next_token that is not text")
        if token in tokens:
            raise ProtocolError("the list of research requests gives the same next_token twice")
        tokens.add(token)
        doc = fetch(transport, "GET", f"{JOBS}?next_token={quote(token, safe='')}")
