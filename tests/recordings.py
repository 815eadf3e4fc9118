"""The recorded Perplexity responses, and the results the CLI must give for them.

The expected results are computed here from the recordings with a deliberately plain
reader (split on blank lines), independent of the product's own SSE layer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from replay import FIXTURES

PERPLEXITY = FIXTURES / "perplexity"
STREAMS = sorted(PERPLEXITY.glob("*.sse"))
STATUS_200_JSON = [p for p in sorted(PERPLEXITY.glob("*.json")) if b'"choices"' in p.read_bytes()]


def chunks_of(path: Path) -> list[dict[str, Any]]:
    text = path.read_bytes().decode("utf-8").replace("\r\n", "\n")
    out = []
    for block in text.split("\n\n"):
        data = [
            line[5:].lstrip(" ") if line.startswith("data:") else None for line in block.split("\n")
        ]
        payload = "\n".join(d for d in data if d is not None)
        if payload and payload != "[DONE]":
            out.append(json.loads(payload))
    return out


def content_of(chunks: list[dict[str, Any]]) -> str:
    return "".join(
        ((c.get("choices") or [{}])[0].get("delta") or {}).get("content") or "" for c in chunks
    )


def last(chunks: list[dict[str, Any]], name: str) -> Any:
    value = None
    for c in chunks:
        if c.get(name):
            value = c[name]
    return value


def split_think(content: str) -> tuple[str, str | None]:
    """The content without a leading `<think>` block, and that block's text (None: none)."""
    import re

    found = re.match(r"\s*<think>(.*?)</think>\s*", content, flags=re.S)
    if found is None:
        return content, None
    return content[found.end() :], found.group(1)


def expected_text(chunks: list[dict[str, Any]]) -> str:
    answer = split_think(content_of(chunks))[0]
    body = answer.strip("\n")  # the text formatter drops blank lines around the answer
    out = body + "\n" if body else ""
    citations = last(chunks, "citations") or []
    titles = {r["url"]: r.get("title") for r in last(chunks, "search_results") or []}
    if citations:
        out += "\n"
        for n, url in enumerate(citations, 1):
            title = titles.get(url)
            out += f"[{n}] {title} - {url}\n" if title else f"[{n}] {url}\n"
    return out


def finish_reason(chunks: list[dict[str, Any]]) -> str | None:
    reason = None
    for c in chunks:
        for choice in c.get("choices") or []:
            if choice.get("finish_reason"):
                reason = choice["finish_reason"]
    return reason


assert STREAMS, f"no recorded streams under {PERPLEXITY}"
