"""Small synthetic Agent API streams, in the shapes the recordings show, for cases they lack."""

from __future__ import annotations

import json
from typing import Any

RESPONSE_ID = "resp_synthetic-1"


def response(status: str = "in_progress", model: str = "fast", **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": RESPONSE_ID,
        "object": "response",
        "created_at": 1790000000,
        "status": status,
        "model": model,
        "output": [],
        "usage": None,
    }
    doc.update(extra)
    return doc


def event(name: str, seq: int = 0, **data: Any) -> tuple[str, dict[str, Any]]:
    return name, {**data, "sequence_number": seq, "type": name}


def sse(*events: tuple[str, dict[str, Any]]) -> bytes:
    return "".join(
        f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'), ensure_ascii=False)}\n\n"
        for name, data in events
    ).encode("utf-8")


def message(text: str, annotations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "type": "message",
        "id": "msg_1",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": annotations or []}],
    }


USAGE = {
    "input_tokens": 10,
    "output_tokens": 4,
    "total_tokens": 14,
    "cost": {"currency": "USD", "total_cost": 0.001},
}


def answer(
    *deltas: str,
    results: list[dict[str, Any]] | None = None,
    status: str = "completed",
    final: dict[str, Any] | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """created, optional search results, the deltas, completed (with gaps in the numbering)."""
    events = [event("response.created", 0, response=response())]
    output: list[dict[str, Any]] = []
    if results:
        events.append(
            event("response.reasoning.search_results", 4, results=results, thought="Found")
        )
        output.append({"type": "search_results", "results": results})
    events += [
        event("response.output_text.delta", 10 + 2 * i, delta=d, item_id="msg_1")
        for i, d in enumerate(deltas)
    ]
    output.append(message("".join(deltas)))
    done = response(status, model="openai/gpt-test", output=output, usage=USAGE)
    done.update(final or {})
    events.append(event("response.completed", 99, response=done))
    return events
