"""The recorded Agent API responses, and the results the CLI must give for them.

The SSE bodies: the llm-perplexity cassette holds the raw body as it came off the wire;
the vercel chunk file holds one event per line, so its envelope (`event:` + `data:`) is
rebuilt here. Expected results are computed with a plain reader (split on blank lines),
independent of the product's SSE layer and accumulator.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from replay import FIXTURES

AGENT = FIXTURES / "agent"
VERCEL_CHUNKS = AGENT / "vercel-ai__agent-web-search.chunks.txt"
VERCEL_JSON = AGENT / "vercel-ai__agent-web-search.json"
LLM_STREAM = AGENT / "llm-perplexity__test_streaming_prompt_yields_several_chunks.yaml"
LLM_OPTIONS = (
    AGENT / "llm-perplexity__test_search_and_generation_options_are_accepted_by_the_api.yaml"
)
LLM_401 = AGENT / "llm-perplexity__test_rejected_key_raises_model_error.yaml"
MODELS = AGENT / "ruby_llm__models_list.yml"
# Synthetic (see SOURCES.md): a run with fetch_url, finance_search, sandbox and a shared file.
TOOLS_CHUNKS = AGENT / "synthetic__agent-tools.chunks.txt"


def cassette(path: Path) -> dict[str, Any]:
    """The first interaction of a VCR cassette (vcrpy or ruby VCR layout)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return (doc.get("interactions") or doc.get("http_interactions"))[0]


def response_body(path: Path) -> bytes:
    return cassette(path)["response"]["body"]["string"].encode("utf-8")


def vercel_sse() -> bytes:
    """The vercel events with the SSE envelope the API sends around each JSON line."""
    return chunks_sse(VERCEL_CHUNKS)


def chunks_sse(path: Path) -> bytes:
    """A file of one JSON event a line, as the API sends it: `event:` + `data:` each."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            out.append(f"event: {json.loads(line)['type']}\ndata: {line}\n\n")
    return "".join(out).encode("utf-8")


STREAMS: dict[str, bytes] = {
    "llm-perplexity": response_body(LLM_STREAM),
    "vercel": vercel_sse(),
}
BODIES: dict[str, dict[str, Any]] = {
    "vercel": json.loads(VERCEL_JSON.read_text(encoding="utf-8")),
    "llm-perplexity": json.loads(response_body(LLM_OPTIONS)),
}


def events_of(body: bytes) -> list[dict[str, Any]]:
    """[{event, data}] in order, read plainly."""
    out = []
    for block in body.decode("utf-8").replace("\r\n", "\n").split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line)
        if "data" in fields:
            out.append(
                {"event": fields.get("event", "message"), "data": json.loads(fields["data"])}
            )
    return out


def of_type(events: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [e["data"] for e in events if e["event"] == name]


def streamed_text(events: list[dict[str, Any]]) -> str:
    return "".join(d["delta"] for d in of_type(events, "response.output_text.delta"))


def final_response(events: list[dict[str, Any]]) -> dict[str, Any]:
    return of_type(events, "response.completed")[-1]["response"]


def sources(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every search result of the recording, first occurrence of each URL, in order."""
    found: dict[str, dict[str, Any]] = {}
    for data in of_type(events, "response.reasoning.search_results"):
        for r in data["results"]:
            found.setdefault(r["url"], r)
    for item in final_response(events)["output"]:
        for r in item.get("results", []):
            found.setdefault(r["url"], r)
    return list(found.values())


def expected_text(events: list[dict[str, Any]]) -> str:
    answer = streamed_text(events)
    out = answer if answer.endswith("\n") else answer + "\n"
    listed = sources(events)
    if listed:
        out += "\n" + "".join(f"[{n}] {r['title']} - {r['url']}\n" for n, r in enumerate(listed, 1))
    return out
