"""Small synthetic streams in the shapes the recordings show, for cases they do not hold."""

from __future__ import annotations

import json
from typing import Any


def chunk(
    content: str = "",
    *,
    finish: str | None = None,
    obj: str = "chat.completion.chunk",
    **extra: Any,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": "synthetic-1",
        "model": "sonar",
        "created": 1780000000,
        "object": obj,
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
        "choices": [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": content},
                "finish_reason": finish,
            }
        ],
    }
    doc.update(extra)
    return doc


def sse(*chunks: dict[str, Any] | str, crlf: bool = True) -> bytes:
    """Events as the API frames them; a str is sent as the raw data value."""
    end = "\r\n" if crlf else "\n"
    out = []
    for c in chunks:
        data = c if isinstance(c, str) else json.dumps(c, separators=(",", ":"), ensure_ascii=False)
        out.append(f"data: {data}{end}{end}")
    return "".join(out).encode("utf-8")


def answer(*parts: str, finish: str = "stop", **extra: Any) -> list[dict[str, Any]]:
    """Chunks carrying the given deltas, then the final chunk."""
    chunks = [chunk(p, **extra) for p in parts]
    chunks.append(chunk("", finish=finish, obj="chat.completion.done", **extra))
    return chunks
