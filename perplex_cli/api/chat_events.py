"""Chunks of the chat completions stream and the accumulator that turns them into one answer.

Plain data and plain functions: no I/O here. The accumulator keeps only what the final
document needs: the text of `delta.content` (never the cumulative `message.content`), the
last non-empty value of each metadata field (at most MAX_SOURCES items of each list), and
the last `usage`.

Concise streams (`stream_mode: "concise"`) use the same path: `chat.reasoning` chunks carry
`delta.reasoning_steps`, `chat.reasoning.done` and `chat.completion.done` repeat the steps
so far in `message.reasoning_steps`, `chat.completion.chunk` carries text deltas. A
non-streaming response goes through `feed_response`, as one chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from perplex_cli.errors import PerplexError

from perplex_cli.api.answer_text import TextBuffer, ThinkSplitter, Update
from perplex_cli.errors import for_status

# Kept in the json document as the chat API sent them (`videos`: with media_response's
# return_videos, some answers carry video results).
METADATA_FIELDS = ("citations", "search_results", "images", "videos", "related_questions")
MAX_SOURCES = 1000  # items kept of each of those lists in one answer (the first ones)
_METADATA_SET = frozenset(METADATA_FIELDS)
DONE_OBJECTS = frozenset({"chat.completion.done"})


@dataclass
class Accumulator:
    """Builds the completion from the chunks, in order."""

    # Events reach the formatters as they came (no envelope), and an error is an event
    # with an `error` member (ask._pump relies on both).
    plain_events: ClassVar[bool] = True
    # Whether a whole response that reports a failure still holds the run (id, usage, any
    # output) to show before the error; a chat error document holds only the error.
    partial_documents: ClassVar[bool] = False
    id: str | None = None
    model: str | None = None
    created: int | None = None
    object: str | None = None
    usage: dict[str, Any] | None = None
    finish_reason: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    reasoning_steps: list[Any] = field(default_factory=list)
    complete: bool = False
    events: int = 0
    response: dict[str, Any] | None = None  # a whole response document, kept as returned
    _content: TextBuffer = field(default_factory=TextBuffer)
    _reasoning: TextBuffer = field(default_factory=TextBuffer)
    _think: ThinkSplitter = field(default_factory=ThinkSplitter)
    _update: Update = field(default_factory=Update)

    def envelope(self, name: str, data: dict[str, Any]) -> dict[str, Any]:
        """The event as the formatters get it: a chat chunk as it came (its SSE name unused)."""
        return data

    def replayed(self, raw: dict[str, Any]) -> bool:
        """Whether the event was received before a reconnect (only agent streams resume)."""
        return False

    def error_in(self, raw: dict[str, Any]) -> Any:
        """The error an event carries instead of an answer, or None."""
        if "error" in raw and "choices" not in raw:
            return raw["error"] or "the API reported an error"
        return None

    def document_error(self, doc: dict[str, Any]) -> PerplexError | None:
        """The failure a whole (non-streamed) response document reports, or None."""
        err = self.error_in(doc)
        return None if err is None else stream_error(err)

    def feed(self, chunk: dict[str, Any]) -> Update:
        """Take one chunk; return the text it adds.

        This runs once per event, so it costs as few interpreter steps as it can (`bench/run.py`:
        each lookup or object here was a measurable share of the events per second): the
        usual chunk is read with plain subscripts, and the Update returned for an ordinary
        chunk is the same object each time, so use it before feeding the next chunk.
        """
        self.events += 1
        if self.id is None:
            self.id = text_or_none(chunk.get("id"))
            created = chunk.get("created")
            self.created = created if type(created) is int else None
        try:
            # The shape of every chunk of today's API; any other takes _fields().
            model = chunk["model"]
            obj = chunk["object"]
            usage = chunk["usage"]
            choice = chunk["choices"][0]
            reason = choice["finish_reason"] if "finish_reason" in choice else None
            delta = choice["delta"]
            text = delta["content"]
        except (KeyError, IndexError, TypeError):
            model, obj, usage, choice, reason, delta, text = _fields(chunk)
        if type(text) is not str and text is not None:
            raise TypeError("the content is not a string")
        if model and type(model) is str:
            self.model = model
        if obj and type(obj) is str:
            self.object = obj
            if obj in DONE_OBJECTS:
                self.complete = True
        if usage and type(usage) is dict:
            self.usage = usage
        if not _METADATA_SET.isdisjoint(chunk):
            for name in METADATA_FIELDS:
                if chunk.get(name) and type(chunk[name]) is list:
                    self.metadata[name] = chunk[name][:MAX_SOURCES]
        if reason:
            self.finish_reason = reason if type(reason) is str else str(reason)
            self.complete = True
        message = choice["message"] if "message" in choice else None
        repeated = (
            message["reasoning_steps"]
            if isinstance(message, dict) and "reasoning_steps" in message
            else None
        )
        steps = delta["reasoning_steps"] if delta and "reasoning_steps" in delta else None
        if steps or repeated:
            return self._steps(steps, text, repeated)
        update = self._update
        update.reasoning = update.data = ""
        if not text:
            update.answer = ""
            return update
        self._content.write(text)
        think = self._think
        if think.answer_started and not think.in_think:
            update.answer = text  # past any reasoning block: the text is the answer
            return update
        return self._split(text)

    def _steps(self, steps: Any, text: Any, repeated: Any) -> Update:
        """A concise-mode chunk: reasoning steps in its delta, or all the steps so far in
        its message (the done chunks), and perhaps text too."""
        update = Update()
        if steps:
            self.reasoning_steps.extend(steps)
            update.reasoning = _steps_text(steps)
        if text:
            self._content.write(text)
            split = self._split(text)
            update.answer = split.answer
            update.reasoning += split.reasoning
        if repeated and isinstance(repeated, list):
            # Concise done chunks repeat all the steps so far: keep that list, and
            # show only the steps that no delta has shown yet.
            unseen = repeated[len(self.reasoning_steps) :]
            self.reasoning_steps = list(repeated)
            update.reasoning = _steps_text(unseen) + update.reasoning
        return update

    def _split(self, text: str) -> Update:
        update = self._think.feed(text)
        if update.reasoning:
            self._reasoning.write(update.reasoning)
        return update

    def feed_response(self, doc: dict[str, Any]) -> Update:
        """Take a whole non-streaming response, as one chunk whose delta is the answer."""
        self.response = doc
        chunk = dict(doc)
        choices = doc.get("choices")
        if choices and isinstance(choices[0], dict):
            choice = dict(choices[0])
            message = choice.pop("message", None) or {}
            delta = {"content": message.get("content") or ""}
            if message.get("reasoning_steps"):
                delta["reasoning_steps"] = message["reasoning_steps"]
            choice["delta"] = delta
            chunk["choices"] = [choice]
        update = self.feed(chunk)
        self.complete = True  # a whole document is complete by definition
        return update

    def finish(self) -> Update:
        """Flush text held back at the end of the stream."""
        update = self._think.finish()
        if update.reasoning:
            self._reasoning.write(update.reasoning)
        return update

    def mark_done(self) -> None:
        """`data: [DONE]` arrived."""
        self.complete = True

    @property
    def content(self) -> str:
        """The content as the API would return it in one piece (reasoning tags included)."""
        return self._content.getvalue()

    @property
    def reasoning(self) -> str:
        return self._reasoning.getvalue()

    def completion(self) -> dict[str, Any]:
        """The chat.completion document that a non-streaming request would have returned."""
        if self.response is not None:
            return dict(self.response)  # it was one: as the API returned it
        doc: dict[str, Any] = {
            "id": self.id,
            "model": self.model,
            "created": self.created,
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": self.content},
                    "finish_reason": self.finish_reason,
                }
            ],
        }
        for name in METADATA_FIELDS:
            if name in self.metadata:
                doc[name] = self.metadata[name]
        if self.reasoning_steps:
            doc["choices"][0]["message"]["reasoning_steps"] = self.reasoning_steps
        if self.usage is not None:
            doc["usage"] = self.usage
        return doc


def _fields(chunk: dict[str, Any]) -> tuple[Any, Any, Any, Any, Any, Any, Any]:
    """model, object, usage, choices[0], finish_reason, delta and content of any chunk."""
    choices = chunk.get("choices")
    choice = choices[0] if choices else {}
    delta = choice.get("delta")
    text = delta.get("content") if delta else None
    return (
        chunk.get("model"),
        chunk.get("object"),
        chunk.get("usage"),
        choice,
        choice.get("finish_reason"),
        delta,
        text,
    )


def text_or_none(value: Any) -> str | None:
    return value if type(value) is str else None


def _steps_text(steps: list[Any]) -> str:
    """One line per reasoning step (its thought), and the search keywords of a web search."""
    lines = []
    for step in steps:
        if isinstance(step, dict):
            thought = step.get("thought") or step.get("type") or ""
            lines.append(str(thought))
            search = step.get("web_search")
            keywords = search.get("search_keywords") if isinstance(search, dict) else None
            if keywords and isinstance(keywords, list):
                lines.append("searching: " + ", ".join(str(k) for k in keywords))
        else:
            lines.append(str(step))
    return "".join(line + "\n" for line in lines if line)


def sources(metadata: dict[str, Any]) -> list[tuple[str, str]]:
    """(title, url) per source, numbered like the `[n]` markers (the citations order)."""
    results = [r for r in metadata.get("search_results") or [] if isinstance(r, dict)]
    titles = {str(r.get("url")): str(r.get("title") or "") for r in results}
    citations = metadata.get("citations") or []
    if citations and isinstance(citations, list):
        return [(titles.get(str(url), ""), str(url)) for url in citations]
    return [(str(r.get("title") or ""), str(r.get("url") or "")) for r in results]


def answer_and_reasoning(acc: Accumulator) -> tuple[str, str]:
    """The answer without its reasoning, and the reasoning, as the text output separated them.

    Computed once from the whole content after the stream, so that keeping the answer for
    the log costs nothing per event. Reasoning is the concise mode's steps, then the
    `<think>` block of the content or, where the protocol sends it apart (the agent API's
    reasoning events), what the accumulator collected.
    """
    answer, reasoning = split_reasoning(acc)
    return answer, _steps_text(acc.reasoning_steps) + reasoning


def split_reasoning(acc: Accumulator) -> tuple[str, str]:
    """The answer without a leading `<think>` block, and that block's text or, where the
    protocol sends reasoning apart (the agent API's reasoning events), what was collected."""
    splitter = ThinkSplitter()
    head = splitter.feed(acc.content)
    tail = splitter.finish()
    think = head.reasoning + tail.reasoning
    return head.answer + tail.answer, think or acc.reasoning


def stream_error(err: Any) -> PerplexError:
    """An error object sent inside the stream, typed by its code (errors.for_status)."""
    message = err.get("message") if isinstance(err, dict) else str(err)
    code = err.get("code") if isinstance(err, dict) else None
    text = str(message or "the API reported an error")
    return for_status(code if type(code) is int else 0, text)
