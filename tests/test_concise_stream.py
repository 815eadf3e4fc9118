"""--stream-mode concise: the four chunk kinds of the concise stream, through every format.

The stream is built from the structures the API's stream-mode page
describes: `chat.reasoning` chunks with `delta.reasoning_steps`, `chat.reasoning.done` with
the search results, partial usage and all steps in `message.reasoning_steps`,
`chat.completion.chunk` text deltas with an empty message, and `chat.completion.done` with
the final usage, cost and the whole message.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from replay import Reply
from streams import sse

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings

SEARCH = {
    "thought": "Searching the web for Seattle weather",
    "type": "web_search",
    "web_search": {"search_keywords": ["Seattle weather", "Seattle rain"], "search_results": []},
}
WEIGH = {"thought": "Comparing the two forecasts", "type": "reasoning"}
RESULTS = [{"title": "Forecast", "url": "https://weather.example/sea", "date": "2026-01-02"}]
IMAGES = [
    {"image_url": "https://weather.example/cloud.png", "origin_url": "https://weather.example"}
]
FINAL_USAGE = {
    "prompt_tokens": 6,
    "completion_tokens": 9,
    "total_tokens": 15,
    "search_context_size": "low",
    "cost": {
        "input_tokens_cost": 0.0,
        "output_tokens_cost": 0.0001,
        "request_cost": 0.005,
        "total_cost": 0.0051,
    },
}


def concise(
    kind: str,
    *,
    delta: dict[str, Any] | None = None,
    message: dict[str, Any] | None = None,
    finish: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": "concise-1",
        "model": "sonar-pro",
        "created": 1780000000,
        "object": kind,
        "choices": [
            {
                "index": 0,
                "finish_reason": finish,
                "message": {"role": "assistant", "content": "", **(message or {})},
                "delta": {"role": "assistant", "content": "", **(delta or {})},
            }
        ],
    }
    doc.update(extra)
    return doc


def stream(*, reasoning_deltas: bool = True) -> list[dict[str, Any]]:
    steps = [SEARCH, WEIGH]
    chunks = [concise("chat.reasoning", delta={"reasoning_steps": [s]}) for s in steps]
    if not reasoning_deltas:
        chunks = []
    return [
        *chunks,
        concise(
            "chat.reasoning.done",
            message={"reasoning_steps": steps},
            usage={"prompt_tokens": 6, "completion_tokens": 0, "total_tokens": 6},
            search_results=RESULTS,
            images=IMAGES,
        ),
        concise("chat.completion.chunk", delta={"content": "Seattle is "}),
        concise("chat.completion.chunk", delta={"content": "rainy [1]."}),
        concise(
            "chat.completion.done",
            finish="stop",
            usage=FINAL_USAGE,
            message={"content": "Seattle is rainy [1].", "reasoning_steps": steps},
            search_results=RESULTS,
            images=IMAGES,
        ),
    ]


@pytest.fixture
def concise_server(server):
    server.reply(Reply(body=sse(*stream()), split=9))
    return server


def test_text_prints_the_deltas_once_then_sources(concise_server, cli):
    result = cli("--stream-mode", "concise", "q")
    assert result.code == 0, result.stderr
    assert result.stdout == "Seattle is rainy [1].\n\n[1] Forecast - https://weather.example/sea\n"
    assert result.stderr == ""


def test_reasoning_steps_go_to_stderr_once_each(concise_server, cli):
    result = cli("--stream-mode", "concise", "--reasoning", "q")
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("Seattle is rainy [1].\n")
    assert result.stderr == (
        "Searching the web for Seattle weather\n"
        "searching: Seattle weather, Seattle rain\n"
        "Comparing the two forecasts\n"
    )


def test_steps_only_in_the_done_chunk_are_shown_too(server, cli):
    server.reply(Reply(body=sse(*stream(reasoning_deltas=False))))
    result = cli("--stream-mode", "concise", "--reasoning", "q")
    assert result.code == 0
    assert result.stderr.count("Comparing the two forecasts") == 1


def test_json_keeps_steps_final_usage_and_metadata(concise_server, cli):
    result = cli("--stream-mode", "concise", "-f", "json", "q")
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["object"] == "chat.completion"
    assert doc["id"] == "concise-1" and doc["model"] == "sonar-pro"
    message = doc["choices"][0]["message"]
    assert message["content"] == "Seattle is rainy [1]."
    assert message["reasoning_steps"] == [SEARCH, WEIGH]
    assert doc["choices"][0]["finish_reason"] == "stop"
    assert doc["usage"] == FINAL_USAGE
    assert doc["search_results"] == RESULTS
    assert doc["images"] == IMAGES


def test_ndjson_is_every_concise_chunk_in_order(concise_server, cli):
    result = cli("--stream-mode", "concise", "-f", "ndjson", "q")
    assert result.code == 0, result.stderr
    assert [json.loads(line) for line in result.stdout.splitlines()] == stream()


def test_reasoning_done_alone_does_not_complete_the_answer(server, cli):
    server.reply(Reply(body=sse(*stream()[:3])))
    result = cli("--stream-mode", "concise", "q")
    assert result.code == 7
