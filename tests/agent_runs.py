"""The Agent API's background runs, as a state machine for the test server (apiserver.py).

- `POST /v1/agent` with `background: true` queues a run: `stream: false` answers with the
  queued response object; `stream: true` answers with the run's whole event stream
  (created, in_progress, search, text deltas, the terminal event) and the run is over;
- each `GET /v1/agent/{id}` moves the run one step: queued -> in_progress (no output, as
  the API sends it) -> after `polls` polls in progress, its end;
- `POST /v1/agent/{id}/cancel` answers `cancelling` and the run ends `cancelled`; a run
  that has ended is 400, an unknown id 404 (with the API's `{"error": {...}}` body, `code`
  an integer as in the recorded 401).

How a run ends depends on its question: "NULLFAIL" fails with `error: null`, "FAIL" fails
with a message, "INCOMPLETE" stops at the token limit, "STEPS" ends incomplete for another
reason; anything else completes. The final object is the recorded response
(vercel-ai__agent-web-search.json) with this run's id, status and answer; its search
results are the recording's.
"""

from __future__ import annotations

import copy
import json
import threading
from typing import Any

from replay import FIXTURES

RECORDED = json.loads((FIXTURES / "agent" / "vercel-ai__agent-web-search.json").read_text("utf-8"))
RESULTS = next(item for item in RECORDED["output"] if item["type"] == "search_results")
FAILURE = "the research could not be completed"
ENDED = ("completed", "failed", "incomplete", "cancelled")

Reply = tuple[int, bytes, str]  # status, body, content type


def question_of(body: dict[str, Any]) -> str:
    text = body.get("input")
    if isinstance(text, list):
        text = text[-1].get("content") if text else ""
    return text if isinstance(text, str) else json.dumps(text)


def answer_text(question: str, status: str) -> str:
    if status == "incomplete":
        return f"Report on {question}, cut short"
    return f"Report on {question} [1]."


class AgentRuns:
    def __init__(self) -> None:
        self.polls = 2  # GETs a run stays in_progress
        self.cut_after: int | None = None  # a streamed run's body ends after this many events
        self.runs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def route(self, method: str, path: str, body: dict[str, Any]) -> Reply | None:
        """The reply to a background-run request, or None for another request."""
        parts = path.strip("/").split("/")  # v1, agent[, id[, cancel]]
        if method == "POST" and len(parts) == 2 and body.get("background") is True:
            run = self._create(body)
            if body.get("stream") is True:
                return 200, self._stream(run), "text/event-stream; charset=utf-8"
            return _json(self.public(run))
        if len(parts) < 3 or parts[2] not in self.runs:
            return None  # not a run of ours: the server's other handlers, else not_found
        run = self.runs[parts[2]]
        if method == "GET" and len(parts) == 3:
            return _json(self._advance(run))
        if method == "POST" and parts[3:] == ["cancel"]:
            with self._lock:
                if run["status"] in ENDED:
                    return _error(400, f"response is already {run['status']}", "invalid_request")
                run["_cancelled"] = True
            return _json({"response_id": run["id"], "status": "cancelling"})
        return None

    def not_found(self, path: str) -> Reply:
        """The API's 404 for an id it does not know."""
        parts = path.strip("/").split("/")
        return _error(404, f"response {parts[2] if len(parts) > 2 else ''} not found", "not_found")

    def _create(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            run_id = f"resp_bg-{len(self.runs) + 1}"
            self.runs[run_id] = {
                "id": run_id,
                "status": "queued",
                "model": body.get("preset") or body.get("model"),
                "created_at": 1790000000 + len(self.runs),
                "_question": question_of(body),
                "_polls": 0,
                "_cancelled": False,
            }
            return self.runs[run_id]

    def _advance(self, run: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if run["status"] not in ENDED and run["_cancelled"]:
                run["status"] = "cancelled"
            elif run["status"] == "queued":
                run["status"] = "in_progress"
            elif run["status"] == "in_progress":
                run["_polls"] += 1
                if run["_polls"] >= self.polls:
                    run["status"] = self.ending(run)
            return self.public(run)

    @staticmethod
    def ending(run: dict[str, Any]) -> str:
        question = run["_question"]
        if "FAIL" in question:
            return "failed"
        if "INCOMPLETE" in question or "STEPS" in question:
            return "incomplete"
        return "completed"

    def public(self, run: dict[str, Any]) -> dict[str, Any]:
        """The response object as the API shows the run now."""
        status = run["status"]
        if status not in ENDED:
            return {
                "id": run["id"],
                "object": "response",
                "created_at": run["created_at"],
                "status": status,
                "model": run["model"],
                "background": True,
                "output": [],
                "error": None,
                "incomplete_details": None,
                "usage": None,
            }
        doc = copy.deepcopy(RECORDED)
        question = run["_question"]
        doc.update(
            id=run["id"],
            status=status,
            background=True,
            created_at=run["created_at"],
            completed_at=run["created_at"] + 100,
            store=True,
            tools=[],
        )
        message = next(item for item in doc["output"] if item["type"] == "message")
        message["content"][0]["text"] = answer_text(question, status)
        if status in ("failed", "cancelled"):
            doc.update(output=[], usage=None, completed_at=None)
            if status == "failed" and "NULLFAIL" not in question:
                doc["error"] = {"message": FAILURE, "type": "server_error", "code": 500}
        elif status == "incomplete":
            reason = "max_steps" if "STEPS" in question else "max_output_tokens"
            doc["incomplete_details"] = {"reason": reason}
        return doc

    def _stream(self, run: dict[str, Any]) -> bytes:
        """The run's events from start to end; the run has ended when they are sent."""
        with self._lock:
            run["status"] = self.ending(run)
        final = self.public(run)
        started = {**self.public({**run, "status": "queued"})}
        text = answer_text(run["_question"], run["status"])
        events: list[tuple[str, dict[str, Any]]] = [
            ("response.created", {"response": started}),
            ("response.in_progress", {"response": {**started, "status": "in_progress"}}),
            ("response.reasoning.search_queries", {"queries": RESULTS["queries"], "thought": ""}),
            ("response.reasoning.search_results", {"results": RESULTS["results"]}),
        ]
        if run["status"] == "failed":
            error = final["error"] or {"message": FAILURE}
            events.append(("response.failed", {"error": error}))
        else:
            first, *rest = text.split(" ")
            events += [
                ("response.output_text.delta", {"delta": delta, "item_id": "msg_1"})
                for delta in [first, *(" " + word for word in rest)]
            ]
            done = "response.completed" if run["status"] == "completed" else "response.incomplete"
            events.append((done, {"response": final}))
        if self.cut_after is not None:
            with self._lock:
                run["status"] = "in_progress"  # the run goes on: the stream broke, not the run
            events = events[: self.cut_after]
        return b"".join(
            f"event: {name}\ndata: {json.dumps({**data, 'type': name, 'sequence_number': n})}\n\n".encode()
            for n, (name, data) in enumerate(events)
        )


def _json(doc: Any, status: int = 200) -> Reply:
    return status, json.dumps(doc).encode(), "application/json"


def _error(status: int, message: str, kind: str) -> Reply:
    return _json({"error": {"message": message, "type": kind, "code": status}}, status)
