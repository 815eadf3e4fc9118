"""A programmable Perplexity-shaped API on 127.0.0.1: answers by path and request body.

Where `replay.py` replays a queue of fixed byte streams, this server computes each answer
from the request, for the commands that send many or different requests:

- `POST /chat/completions`: `chat(request, n)` (n counts chat requests from 1) returns an
  `Answer`; by default a short streamed answer that quotes the prompt;
- `POST /v1/agent`: `agent(request, n)` (n counts agent requests from 1), by default the
  recorded Agent API stream (or, for `stream: false`, its final response) with its text
  replaced by the same answer that quotes the prompt;
- `GET /v1/agent/{id}...` of an id that is not a background run: `agent_get(received)`, by
  default the API's 404 (a test that resumes a stream answers it);
- `POST /search`: `search(body)` returns the JSON document (or an `Answer`); by default
  one list of results that quote the queries;
- `POST /v1/embeddings`: `embeddings(body)`, the same; by default vectors computed from
  each text, of the requested size and encoding (`embeddings_api.py`), or the API's 400;
- the async API: `POST /async/chat/completions` creates a job (an idempotency key returns
  the job it created before), `GET /async/chat/completions` lists the jobs (`list_page`
  a page, the next one at `?next_token=`), and each
  `GET /async/chat/completions/{id}` moves the job one step: CREATED -> IN_PROGRESS ->
  (after `job_polls` polls in progress) COMPLETED with a chat.completion, or FAILED when
  the prompt contains "FAIL";
- the Agent API's background runs (`/v1/agent` with `background: true`, and
  `/v1/agent/{id}[/cancel]`): `runs`, an `agent_runs.AgentRuns`.

HTTP/1.1 with keep-alive (clients reuse connections, as a real API allows). Every request is
recorded with its arrival time. Bounded: it stops itself after `lifetime` seconds, and idle
connections close after a few seconds.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from agent_runs import AgentRuns
from agent_streams import sse as agent_sse
from embeddings_api import echo_embeddings
from replay import Received
from streams import answer, sse


@dataclass
class Answer:
    """One response: a status, headers, a body, and how long to wait before sending it."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/event-stream; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    reason: str = ""  # the status line's reason phrase ("" for the standard one)


def prompt_of(request: dict[str, Any]) -> str:
    """The last user message of a chat request, or the input of an agent request."""
    if "input" in request:
        given = request["input"]
        content = given if isinstance(given, str) else given[-1].get("content", "")
    else:
        content = (request.get("messages") or [{}])[-1].get("content", "")
    return content if isinstance(content, str) else json.dumps(content)


def echo_answer(request: dict[str, Any], n: int) -> Answer:
    """A streamed answer that quotes the prompt, with a source and usage."""
    chunks = answer(
        f"answer to {prompt_of(request)}",
        id=f"cmpl-{n}",
        model=request.get("model", "sonar"),
        citations=["https://example.com/a"],
    )
    return Answer(sse(*chunks))


def echo_agent_answer(request: dict[str, Any], n: int) -> Answer:
    """The recorded agent stream (or its final response, for `stream: false`), answering
    `answer to <prompt>` in the recorded shape, under a response id of its own (and, when
    the request names a model, as that model)."""
    text = f"answer to {prompt_of(request)}"
    model = request.get("model")
    if request.get("stream") is False:
        final = retexted(_recorded_agent_events()[-1]["data"], text, f"resp_echo-{n}", model)
        return Answer(json.dumps(final["response"]).encode(), content_type="application/json")
    head, tail, seq, recorded_model = _agent_template()
    words = text.split(" ")
    deltas = [
        ("response.output_text.delta", {**_DELTA, "delta": w, "sequence_number": seq + i})
        for i, w in enumerate(words[:1] + [" " + w for w in words[1:]])
    ]
    values = {
        _ID: f"resp_echo-{n}",
        _TEXT: json.dumps(text)[1:-1],
        _MODEL: json.dumps(model or recorded_model)[1:-1],
    }

    def fill(part: bytes) -> bytes:
        for placeholder, value in values.items():
            part = part.replace(placeholder, value.encode())
        return part

    return Answer(fill(head) + agent_sse(*deltas) + fill(tail))


_DELTA: dict[str, Any] = {}
_AGENT_EVENTS: list[dict[str, Any]] = []
_TEMPLATE: list[tuple[bytes, bytes, int, str]] = []
# Placeholders in the cached stream, replaced per answer: the text, response id and model.
_TEXT, _ID, _MODEL = b"@@TEXT@@", b"@@ID@@", b"@@MODEL@@"


def _recorded_agent_events() -> list[dict[str, Any]]:
    """The events of the recorded llm-perplexity stream (its deltas taken out)."""
    if not _AGENT_EVENTS:
        from agent_recordings import STREAMS, events_of

        for e in events_of(STREAMS["llm-perplexity"]):
            if e["event"] == "response.output_text.delta":
                _DELTA.update({k: v for k, v in e["data"].items() if k != "delta"})
            else:
                _AGENT_EVENTS.append(e)
    return _AGENT_EVENTS


def _agent_template() -> tuple[bytes, bytes, int, str]:
    """The recorded stream before and after its deltas, with placeholders; the number of
    the first delta; the model that answered the recording."""
    if not _TEMPLATE:
        recorded = _recorded_agent_events()
        marked = [
            (e["event"], retexted(e["data"], _TEXT.decode(), _ID.decode(), _MODEL.decode()))
            for e in recorded
        ]
        at = next(i for i, e in enumerate(marked) if e[0] == "response.output_text.done")
        seq = marked[at - 1][1]["sequence_number"] + 1
        model = recorded[-1]["data"]["response"]["model"]
        _TEMPLATE.append((agent_sse(*marked[:at]), agent_sse(*marked[at:]), seq, model))
    return _TEMPLATE[0]


def retexted(data: dict[str, Any], text: str, ident: str, model: str | None) -> dict[str, Any]:
    """An event's data with the message text, the response id and (at completion, when
    given) the model replaced."""
    data = json.loads(json.dumps(data))
    if "text" in data:
        data["text"] = text
    for holder in [data.get("item"), *(data.get("response") or {}).get("output", [])]:
        if isinstance(holder, dict) and holder.get("type") == "message" and holder["content"]:
            holder["content"][0]["text"] = text
    if isinstance(data.get("response"), dict):
        data["response"]["id"] = ident
        if model and data["response"]["status"] == "completed":
            data["response"]["model"] = model
    return data


def completion(request: dict[str, Any], job_id: str) -> dict[str, Any]:
    """The chat.completion a finished job carries."""
    return {
        "id": job_id,
        "model": request.get("model"),
        "created": 1780000000,
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {
                    "role": "assistant",
                    "content": f"<think>planning</think>Report on {prompt_of(request)} [1].",
                },
            }
        ],
        "citations": ["https://example.com/report"],
        "search_results": [{"title": "Report source", "url": "https://example.com/report"}],
        "usage": {
            "prompt_tokens": 10,
            "completion_tokens": 20,
            "total_tokens": 30,
            "cost": {"total_cost": 1.25},
        },
    }


def echo_search(body: dict[str, Any]) -> dict[str, Any]:
    """One ranked list for the request, as the Search API answers one query or several:
    the queries' results taken in turn, `max_results` (default 3) in all."""
    queries = body["query"] if isinstance(body.get("query"), list) else [body.get("query")]
    count = body.get("max_results", 3)
    ranked = [
        {
            "title": f"Result {i} for {q}",
            "url": f"https://example.com/{i}" if n == 0 else f"https://example.com/{n}/{i}",
            "snippet": f"snippet {i}",
            "date": f"2025-01-{i:02d}",
            "last_updated": "2025-02-01",
        }
        for i in range(1, count + 1)
        for n, q in enumerate(queries)
    ]
    return {"id": "search-1", "results": ranked[:count]}


class ApiServer:
    """Start with `ApiServer()`, program with its attributes, stop with `.close()`."""

    def __init__(self, lifetime: float = 60.0) -> None:
        self.chat: Callable[[dict[str, Any], int], Answer] = echo_answer
        self.agent: Callable[[dict[str, Any], int], Answer] = echo_agent_answer
        self.agent_get: Callable[[Received], Answer] = self._agent_unknown
        self.search: Callable[[dict[str, Any]], dict[str, Any] | Answer] = echo_search
        self.embeddings: Callable[[dict[str, Any]], dict[str, Any] | Answer] = echo_embeddings
        self.job_polls = 2  # polls a job stays IN_PROGRESS
        self.list_page: int | None = None  # jobs per page of the list (None: all on one)
        self.first: list[Answer] = []  # sent, in order, before any request is routed
        self.jobs: dict[str, dict[str, Any]] = {}
        self.runs = AgentRuns()
        self.requests: list[Received] = []
        self.connections: set[int] = set()  # the client ports seen: one per connection
        self._chats = 0
        self._agents = 0
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 5  # idle keep-alive connections end

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes: without this, Nagle's algorithm and
                # the client's delayed ACK hold the body back ~40 ms on a reused connection.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self) -> None:
                outer._serve(self, b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                outer._serve(self, self.rfile.read(length))

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128  # many workers connect at once; 5 would drop SYNs

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        self._timer = threading.Timer(lifetime, self.close)
        self._timer.daemon = True
        self._timer.start()

    def close(self) -> None:
        self._timer.cancel()
        self._server.shutdown()
        self._server.server_close()

    def chat_requests(self) -> list[Received]:
        return [r for r in self.requests if r.path == "/chat/completions"]

    def agent_requests(self) -> list[Received]:
        return [r for r in self.requests if r.path == "/v1/agent"]

    def _serve(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        received = Received(
            handler.command, handler.path, dict(handler.headers), body, time.monotonic()
        )
        with self._lock:
            self.requests.append(received)
            self.connections.add(handler.client_address[1])
        try:
            with self._lock:
                early = self.first.pop(0) if self.first else None
            reply = early or self._route(received)
        except Exception as exc:  # a mistake in a test's handler shows as a 500 with its text
            reply = _json({"error": {"message": f"test server: {exc!r}"}}, 500)
        if reply.delay:
            time.sleep(reply.delay)
        handler.send_response(reply.status, reply.reason or None)
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        try:
            handler.wfile.write(reply.body)
            handler.wfile.flush()
        except OSError:
            pass  # the client went away (a cancelled or killed batch)

    def _route(self, r: Received) -> Answer:
        path = r.path.split("?", 1)[0]
        if path.startswith("/v1/agent"):  # background runs first: other agent requests pass
            found = self.runs.route(r.method, path, r.json() if r.body else {})
            if found is not None:
                return Answer(found[1], found[0], found[2])
        if r.method == "POST" and path == "/chat/completions":
            with self._lock:
                self._chats += 1
                n = self._chats
            return self.chat(r.json(), n)
        if r.method == "POST" and path == "/v1/agent":
            with self._lock:
                self._agents += 1
                n = self._agents
            return self.agent(r.json(), n)
        if path.startswith("/v1/agent/"):
            return self.agent_get(r) if r.method == "GET" else self._agent_unknown(r)
        if r.method == "POST" and path == "/search":
            found = self.search(r.json())
            return found if isinstance(found, Answer) else _json(found)
        if r.method == "POST" and path == "/v1/embeddings":
            found = self.embeddings(r.json())
            return found if isinstance(found, Answer) else _json(found)
        if path == "/async/chat/completions":
            if r.method == "POST":
                return _json(self._create_job(r.json()))
            return _json(self._list_jobs(r.path))
        if r.method == "GET" and path.startswith("/async/chat/completions/"):
            job_id = path.rsplit("/", 1)[1]
            if job_id not in self.jobs:
                return _json({"detail": f"request {job_id} not found"}, 404)
            return _json(self._advance(self.jobs[job_id]))
        return _json({"detail": "Not Found"}, 404)

    def _list_jobs(self, path: str) -> dict[str, Any]:
        """One page of the job list: `list_page` jobs from where `?next_token=` says."""
        from urllib.parse import parse_qs, urlsplit

        jobs = [_summary(job) for job in self.jobs.values()]
        token = parse_qs(urlsplit(path).query).get("next_token", [""])[0]
        start = int(token.removeprefix("after-job-")) if token else 0
        end = len(jobs) if self.list_page is None else start + self.list_page
        more = end < len(jobs)
        return {"requests": jobs[start:end], "next_token": f"after-job-{end}" if more else None}

    def _agent_unknown(self, r: Received) -> Answer:
        status, body, content_type = self.runs.not_found(r.path.split("?", 1)[0])
        return Answer(body, status, content_type)

    def _create_job(self, body: dict[str, Any]) -> dict[str, Any]:
        key = body.get("idempotency_key")
        with self._lock:
            for job in self.jobs.values():
                if key is not None and job["_key"] == key:
                    return _public(job)
            job_id = f"job-{len(self.jobs) + 1}"
            self.jobs[job_id] = {
                "id": job_id,
                "model": body["request"].get("model"),
                "status": "CREATED",
                "created_at": 1780000000,
                "started_at": None,
                "completed_at": None,
                "failed_at": None,
                "error_message": None,
                "response": None,
                "_key": key,
                "_request": body["request"],
                "_polls": 0,
            }
            return _public(self.jobs[job_id])

    def _advance(self, job: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if job["status"] == "CREATED":
                job.update(status="IN_PROGRESS", started_at=1780000010)
            elif job["status"] == "IN_PROGRESS":
                job["_polls"] += 1
                if job["_polls"] >= self.job_polls:
                    if "FAIL" in prompt_of(job["_request"]):
                        job.update(
                            status="FAILED",
                            failed_at=1780000100,
                            error_message="the research could not be completed",
                        )
                    else:
                        job.update(
                            status="COMPLETED",
                            completed_at=1780000100,
                            response=completion(job["_request"], job["id"]),
                        )
            return _public(job)


def _public(job: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in job.items() if not k.startswith("_")}


def _summary(job: dict[str, Any]) -> dict[str, Any]:
    return {
        k: job[k]
        for k in ("id", "created_at", "model", "status", "started_at", "completed_at", "failed_at")
    }


def _json(doc: Any, status: int = 200) -> Answer:
    return Answer(json.dumps(doc).encode(), status, "application/json")
