"""Agent API events -> the same completion the chat accumulator builds.

The agent stream is named SSE events (`event: response.output_text.delta` and one JSON
line). `AgentAccumulator` is an `Accumulator`, so the formatters, the log and
`ask.stream_answer` use it as they use the chat one; each event reaches the formatters as
`{"event": NAME, "data": {...}}`, which is what `-f ndjson` prints.

Where things come from in the Agent API's events:
- text: `response.output_text.delta`; the message text of the final response is
  authoritative for the json document;
- reasoning and search progress (`--reasoning`): the `response.reasoning.*` events;
- sources: every search result seen (the reasoning event, the `search_results` output
  item and the final output repeat them), de-duplicated by URL in order of arrival, so
  the n-th source is result id n that the `[n]` markers name; `url_citation` annotations
  add their URLs after those; the other tools' sources (fetched pages, people, finance
  sources: `agent_items.py`) come after all of them, so they never shift those numbers;
  the first MAX_SOURCES (1000) sources are kept, no more;
- files: the `share_file` items (`files`, and a `files` member in the json document);
  each tool item without a URL to show adds a line to the reasoning, once;
- model, usage and cost: `response.completed` (`response.created` may name the preset);
- the answer is complete at `response.completed` or `response.incomplete` (or `[DONE]`);
  sequence numbers are not checked (they skip), only kept: the last one received is where
  a broken stream is resumed (`resume.py`), and after a reconnect the events the server
  sends again (numbered at or below `after`) are `replayed`, and skipped;
- the run fails at `response.failed`, `response.cancelled`, a bare `error` event, or a
  final response whose `status` is failed or cancelled (a non-streamed one comes with
  HTTP 200): the error is the API's, or says so when the API gave none. Every other
  event type is ignored (the API adds new ones). An event's name is its `event:` line,
  else its JSON `type`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

from perplex_cli.api.agent_items import shared_file, summary, tool_sources
from perplex_cli.api.answer_text import Update
from perplex_cli.api.chat_events import MAX_SOURCES, Accumulator, text_or_none
from perplex_cli.errors import PerplexError, ProtocolError

DONE_EVENTS = frozenset({"response.completed", "response.incomplete"})
FAILED_EVENTS = frozenset({"response.failed", "response.cancelled", "error"})
FAILED_STATUSES = frozenset({"failed", "cancelled"})
UNFINISHED_STATUSES = frozenset({"queued", "in_progress"})
STARTED_EVENTS = frozenset({"response.created", "response.in_progress"})
RESPONSE_EVENTS = STARTED_EVENTS | DONE_EVENTS
# The events that may end the answer with an error (a done event whose status failed).
ENDING_EVENTS = FAILED_EVENTS | DONE_EVENTS
TEXT_DELTA = "response.output_text.delta"
ENDED = frozenset({"completed", "incomplete", "requires_action"})
FINISH_REASONS = {"completed": "stop", "incomplete": "length", "requires_action": "tool_calls"}

# Error types and string codes -> the HTTP status they stand for (for the exit code).
ERROR_STATUSES = {
    "invalid_api_key": 401,
    "authentication_error": 401,
    "permission_denied": 403,
    "rate_limit_exceeded": 429,
    "request_rate_limit_exceeded": 429,
    "invalid_request_error": 400,
}


@dataclass
class AgentAccumulator(Accumulator):
    """Builds the chat.completion document from Agent API events, in order."""

    plain_events: ClassVar[bool] = False  # named events, wrapped as {event, data}
    partial_documents: ClassVar[bool] = True  # a failed run is a response object too
    status: str | None = None
    sequence: int | None = None  # the last sequence_number received
    after: int | None = None  # set on a reconnect: events up to this one were received
    files: list[dict[str, Any]] = field(default_factory=list)  # delivered by share_file
    _web: list[dict[str, Any]] = field(default_factory=list)  # web results: the [n] markers
    _tools: list[dict[str, Any]] = field(default_factory=list)  # other tools' sources, after
    _urls: set[str] = field(default_factory=set)
    _seen: set[str] = field(default_factory=set)  # the tool items already summarised
    _final_text: str | None = None

    def envelope(self, name: str, data: dict[str, Any]) -> dict[str, Any]:
        """The event as the formatters get it; `message` is the SSE name for none."""
        if not name or name == "message":
            name = str(data.get("type") or "message")
        return {"event": name, "data": data}

    def replayed(self, raw: dict[str, Any]) -> bool:
        """Whether a reconnected stream sent this event again (it was received before)."""
        if self.after is None:
            return False
        seq = raw["data"].get("sequence_number")
        return type(seq) is int and seq <= self.after

    def error_in(self, raw: dict[str, Any]) -> Any:
        """The error that ends the answer, as {message, code}, or None."""
        name = raw.get("event")
        if name not in ENDING_EVENTS:  # most events: one test
            return None
        data = raw.get("data") or {}
        found = data.get("response")
        response: dict[str, Any] = found if isinstance(found, dict) else {}
        status = text_or_none(response.get("status"))  # a status of another type is none
        if name not in FAILED_EVENTS and not (name in DONE_EVENTS and status in FAILED_STATUSES):
            return None
        if name == "response.cancelled":
            status = "cancelled"
        err = data.get("error") or response.get("error")
        if err is None and name == "error":
            err = data  # a bare error event may carry message and code itself
        return agent_error(err, "cancelled" if status == "cancelled" else "failed")

    def document_error(self, doc: dict[str, Any]) -> PerplexError | None:
        """The failure a whole (non-streamed) response reports, or None: a failed or
        cancelled status (the API sends those with HTTP 200), an error document, or a
        run that has not finished."""
        from perplex_cli.api.chat_events import stream_error

        if "status" not in doc and "output" not in doc and doc.get("error"):
            return stream_error(agent_error(doc["error"]))
        failure = self.error_in(self.envelope("response.completed", {"response": doc}))
        if failure is not None:
            return stream_error(failure)
        if text_or_none(doc.get("status")) in UNFINISHED_STATUSES:
            return ProtocolError(f"the response is not finished (status {doc['status']})")
        return None

    def feed(self, chunk: dict[str, Any]) -> Update:
        """Take one event envelope; return the text it adds.

        Runs once per event: a text delta (most events) is handled first, with no other test."""
        self.events += 1
        name, data = chunk.get("event") or "", chunk.get("data")
        if not isinstance(data, dict):
            return Update()
        seq = data.get("sequence_number")
        if type(seq) is int:
            self.sequence = seq
        if name == TEXT_DELTA:
            text = data.get("delta")
            if type(text) is str and text:
                self._content.write(text)
                return Update(answer=text)
            return Update()
        response = data.get("response")
        if name in RESPONSE_EVENTS and isinstance(response, dict):
            return self._response(response, final=name in DONE_EVENTS)
        if name == "response.output_item.done" and isinstance(data.get("item"), dict):
            return Update(reasoning=self._item(data["item"]))
        if name.startswith("response.reasoning."):
            self._add_sources(data.get("results"))
            if name.endswith(".fetch_url_results"):
                self._add_tool_sources(tool_sources({**data, "type": "fetch_url_results"}))
            return Update(reasoning=self._note(progress(name, data)))
        return Update()

    def feed_response(self, doc: dict[str, Any]) -> Update:
        """A whole non-streamed response, read as the stream's final event would be."""
        event = {"type": "response.completed", "response": doc}
        return self.feed(self.envelope("response.completed", event))

    @property
    def content(self) -> str:
        """The answer: the final response's text once it arrived, else what streamed."""
        return self._final_text if self._final_text is not None else self._content.getvalue()

    def _response(self, response: dict[str, Any], *, final: bool) -> Update:
        if self.id is None:
            self.id = text_or_none(response.get("id"))
            created = response.get("created_at")
            self.created = created if type(created) is int else None
        model = text_or_none(response.get("model"))
        if model and (final or self.model is None):
            self.model = model  # at the end: the model that answered, not the preset
        self.status = text_or_none(response.get("status")) or self.status
        if not final:
            return Update()
        self.complete = self.status in ENDED or self.status is None
        self.finish_reason = finish_reason(response)
        usage = response.get("usage")
        if isinstance(usage, dict):
            self.usage = chat_usage(usage)
        texts, notes = [], ""
        for item in response.get("output") or []:
            if isinstance(item, dict):
                notes += self._item(item)
                if item.get("type") == "message":
                    texts.append(message_text(item))
        if not texts:
            return Update(reasoning=notes)
        self._final_text = "".join(texts)
        streamed = self._content.getvalue()
        # Text that never streamed (a non-streamed body, or deltas that did not come) is
        # shown now; text that contradicts what was already printed cannot be taken back.
        if self._final_text.startswith(streamed):
            return Update(answer=self._final_text[len(streamed) :], reasoning=notes)
        return Update(reasoning=notes)

    def completion(self) -> dict[str, Any]:
        """The chat.completion document, with the `files` the run delivered."""
        doc = super().completion()
        if self.files:
            doc["files"] = self.files
        return doc

    def _note(self, text: str) -> str:
        self._reasoning.write(text)
        return text

    def _item(self, item: dict[str, Any]) -> str:
        """Take an output item's sources and files; the reasoning line it adds, once."""
        kind = item.get("type")
        if kind == "search_results":
            self._add_sources(item.get("results"))
        elif kind == "message":
            parts = [p for p in item.get("content") or [] if isinstance(p, dict)]
            notes = [n for p in parts for n in p.get("annotations") or [] if isinstance(n, dict)]
            self._add_sources(
                {"title": n.get("title") or "", "url": n.get("url")}
                for n in notes
                if n.get("type") == "url_citation"
            )
        else:
            return self._tool_item(item)
        return ""

    def _tool_item(self, item: dict[str, Any]) -> str:
        call = item.get("call_id")
        key = f"{item.get('type')}:{call}" if type(call) is str else json.dumps(item, default=str)
        if key in self._seen:  # an item is sent when done and again in the final response
            return ""
        self._seen.add(key)
        self._add_tool_sources(tool_sources(item))
        found = shared_file(item)
        if found is not None and all(f["id"] != found["id"] for f in self.files):
            self.files.append(found)
        return self._note(summary(item))

    def _add_sources(self, results: Any) -> None:
        """Web results, in order of arrival: the n-th is the [n] of the answer. Each new
        source is kept up to MAX_SOURCES: a stream that keeps naming new URLs cannot make
        the answer grow without end."""
        added = False
        for result in results or []:
            if len(self._urls) >= MAX_SOURCES:
                break
            url = result.get("url") if isinstance(result, dict) else None
            if not url or type(url) is not str or url in self._urls:
                continue
            self._urls.add(url)
            self._web.append(result)
            added = True
        if added:
            self._tools = [s for s in self._tools if s["url"] not in self._urls]
            self._publish()

    def _add_tool_sources(self, found: list[dict[str, Any]]) -> None:
        """Other tools' sources, numbered after every web result (seen or still to come)."""
        known = self._urls | {s["url"] for s in self._tools}
        added = False
        for source in found:
            if len(known) >= MAX_SOURCES:
                break
            if source["url"] not in known:
                known.add(source["url"])
                self._tools.append(source)
                added = True
        if added:
            self._publish()

    def _publish(self) -> None:
        listed = self._web + self._tools
        self.metadata["search_results"] = listed
        self.metadata["citations"] = [s["url"] for s in listed]


def message_text(item: dict[str, Any]) -> str:
    """The text of a `message` output item (there is no output_text field on the wire)."""
    return "".join(
        str(part.get("text") or "")
        for part in item.get("content") or []
        if isinstance(part, dict) and part.get("type") == "output_text"
    )


def finish_reason(response: dict[str, Any]) -> str | None:
    status = response.get("status")
    if status == "incomplete":
        reason = (response.get("incomplete_details") or {}).get("reason")
        return "length" if reason in (None, "max_output_tokens") else str(reason)
    return FINISH_REASONS.get(str(status))


def chat_usage(usage: dict[str, Any]) -> dict[str, Any]:
    """Agent usage in the chat names (prompt/completion/total tokens); cost and the
    details are kept as the API gave them."""
    out: dict[str, Any] = {
        "prompt_tokens": usage.get("input_tokens"),
        "completion_tokens": usage.get("output_tokens"),
        "total_tokens": usage.get("total_tokens"),
    }
    reasoning = (usage.get("output_tokens_details") or {}).get("reasoning_tokens")
    if reasoning is not None:
        out["reasoning_tokens"] = reasoning
    for name, value in usage.items():
        if name not in ("input_tokens", "output_tokens", "total_tokens"):
            out[name] = value
    return out


def progress(name: str, data: dict[str, Any]) -> str:
    """A reasoning event as lines for stderr: the thought, then the queries or URLs."""
    thought = data.get("thought")
    kind = name.rsplit(".", 1)[-1]
    items: list[Any] = []
    if kind == "search_queries":
        thought, items = thought or "Searching the web", data.get("queries") or []
    elif kind == "search_results":
        thought = thought or f"Found {len(data.get('results') or [])} results"
    elif kind == "fetch_url_queries":
        thought, items = thought or "Reading pages", data.get("urls") or []
    elif kind == "fetch_url_results":
        thought = thought or f"Read {len(data.get('contents') or [])} pages"
    lines = ([str(thought)] if thought else []) + [f"  {item}" for item in items]
    return "".join(line + "\n" for line in lines)


def agent_error(err: Any, status: str = "failed") -> dict[str, Any]:
    """An agent error object (code a string or an int) as {message, code: HTTP status};
    a run that `status` ended with no error object gets a message that says so."""
    if err is None or err == "":
        if status == "cancelled":
            return {"message": "the response was cancelled", "code": None}
        return {"message": "the response failed (the API gave no reason)", "code": None}
    if not isinstance(err, dict):
        return {"message": str(err), "code": None}
    kind = err.get("type")
    kind = None if kind in FAILED_EVENTS else kind
    message = str(err.get("message") or err.get("detail") or f"the response {status}")
    code = err.get("code")
    if isinstance(code, str) and code.isdigit():
        code = int(code)
    if not isinstance(code, int):
        code = ERROR_STATUSES.get(str(code)) or ERROR_STATUSES.get(str(kind))
    return {"message": f"{message} [{kind}]" if kind else message, "code": code}
