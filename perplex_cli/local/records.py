"""What the log keeps of an exchange and of a research run, as plain data, and back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from perplex_cli.errors import PerplexError
from perplex_cli.output.usage import total_cost

if TYPE_CHECKING:
    import sqlite3
T = TypeVar("T")


JSON_COLUMNS = ("request", "citations", "search_results", "images", "related_questions", "usage")


@dataclass
class Exchange:
    """One question and its answer, as the log keeps it. Text must already be key-free."""

    conversation: str
    prompt: str
    started: float
    status: str = "ok"
    model: str | None = None
    system: str | None = None
    answer: str = ""
    reasoning: str = ""
    request: dict[str, Any] | None = None
    response_id: str | None = None
    finish_reason: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    usage: dict[str, Any] | None = None
    first_token: float | None = None
    duration: float | None = None
    error: str | None = None
    source: str | None = None  # None: the command line; "mcp": the MCP server

    def row(self) -> dict[str, Any]:
        """The columns, each storable: SQLite takes no lone surrogate, no 65-bit integer."""
        from perplex_cli.api.serverjson import clean

        return clean(self._row(), "the exchange")  # type: ignore[no-any-return]

    def _row(self) -> dict[str, Any]:
        usage = self.usage if isinstance(self.usage, dict) else {}
        return {
            "conversation": self.conversation,
            "started": self.started,
            "model": self.model,
            "system": self.system,
            "prompt": self.prompt,
            "answer": self.answer,
            "reasoning": self.reasoning,
            "request": _dumps(self.request),
            "response_id": self.response_id,
            "finish_reason": self.finish_reason,
            "citations": _dumps(self.metadata.get("citations")),
            "search_results": _dumps(self.metadata.get("search_results")),
            "images": _dumps(self.metadata.get("images")),
            "related_questions": _dumps(self.metadata.get("related_questions")),
            "usage": _dumps(self.usage),
            "prompt_tokens": _int(usage.get("prompt_tokens")),
            "completion_tokens": _int(usage.get("completion_tokens")),
            "total_tokens": _int(usage.get("total_tokens")),
            "cost": total_cost(usage.get("cost")),
            "first_token": self.first_token,
            "duration": self.duration,
            "status": self.status,
            "error": self.error,
            "source": self.source,
        }


@dataclass
class ResearchRun:
    """A research run submitted to the Agent API. The question must already be key-free."""

    id: str
    question: str
    engine: str | None
    status: str
    submitted: float


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


_ENCODE = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode


def _dumps(value: Any) -> str | None:
    """JSON text that any reader takes: NaN and Infinity as null, surrogates as U+FFFD.

    A value with nothing to fix (every answer's, as a rule) is encoded once; one that may
    have something is encoded, parsed, cleaned and encoded again."""
    if value is None:
        return None
    from perplex_cli.api.serverjson import clean, loads, unstorable

    try:
        text = _ENCODE(value)
    except (ValueError, RecursionError):  # NaN or Infinity, or nested too deeply
        pass
    else:
        if not unstorable(text):
            return text
    try:
        copy = loads(json.dumps(value), "a value to log")  # NaN and Infinity become null
        return json.dumps(clean(copy, "a value to log"), ensure_ascii=False, allow_nan=False)
    except (PerplexError, RecursionError):  # nested too deeply to keep
        return None


def record(row: sqlite3.Row) -> dict[str, Any]:
    """A row as plain data, its JSON columns parsed (the index's bookkeeping left out)."""
    from perplex_cli.api.serverjson import loads

    doc = dict(row)
    doc.pop("indexed", None)
    for name in JSON_COLUMNS:
        text = doc.get(name)
        if text is not None:
            try:
                doc[name] = loads(text, name)
            except (ValueError, PerplexError):
                pass
    # Rows written by older versions may hold anything the server sent: show them anyway.
    for name in ("citations", "search_results", "images", "related_questions"):
        if not isinstance(doc.get(name), (list, type(None))):
            doc[name] = None
    if not isinstance(doc.get("usage"), (dict, type(None))):
        doc["usage"] = None
    return doc


# An attached local file travels inline (a data URI or bare base64 under "url"); the log
# keeps its type and size, not its bytes.
ATTACHMENT_KEPT = 1024


def loggable_request(body: dict[str, Any], secrets: list[str | None]) -> Any:
    """The request body as the log keeps it: no key, and no attached file's bytes."""
    import json

    def shrink(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: shrink(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [shrink(v) for v in value]
        inline = isinstance(value, str) and not value.startswith(("https://", "http://"))
        if key == "url" and inline and len(value) > ATTACHMENT_KEPT:
            head = value.split(",", 1)[0] + "," if value.startswith("data:") else ""
            return f"{head}... ({len(value)} characters not logged)"
        return value

    return json.loads(keyfree(json.dumps(shrink(body), ensure_ascii=False), secrets))


def keyfree(text: str, secrets: list[str | None]) -> str:
    """The text with any key masked; left untouched when it holds none.

    As for --dry-run, redact runs only when a key is there: its bearer pattern would
    otherwise rewrite an answer that happens to say "Bearer something".
    """
    from perplex_cli.redact import redact

    found = [s for s in secrets if s and s in text]
    return redact(text, found) if found else text
