"""Agent API bodies for the benchmark, in the shapes of the recorded streams.

The recordings (tests/fixtures/agent, read by tests/agent_recordings.py) are served as
they came. The synthetic and paced streams are built from the llm-perplexity recording's
own events: its opening ones (created, in progress, the search, its results), its text
delta event with other text and numbers, and its closing ones (text done, message done,
response completed), which carry the whole answer as the API sends it.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from agent_recordings import STREAMS, events_of, expected_text, streamed_text
from agent_streams import sse
from apiserver import retexted

# Case 2 (one answer) and case 3 (the largest recording), as for chat.
RECORDED = {"answer": "llm-perplexity", "largest": "vercel"}
SHAPES = "llm-perplexity"
DELTA = "response.output_text.delta"

Event = tuple[str, dict[str, Any]]


def recording(key: str) -> bytes:
    return STREAMS[RECORDED[key]]


def recording_output(key: str) -> str:
    """What `perplex` prints for a recording in text (computed by a plain reader)."""
    return expected_text(events_of(recording(key)))


@functools.cache
def _parts() -> tuple[list[Event], dict[str, Any], list[Event]]:
    """The recording's events before its deltas, one delta's data, the events after them."""
    events = [(e["event"], e["data"]) for e in events_of(STREAMS[SHAPES])]
    at = [i for i, (name, _) in enumerate(events) if name == DELTA]
    return events[: at[0]], events[at[0]][1], events[at[-1] + 1 :]


def pieces(texts: list[str]) -> list[bytes]:
    """The stream answering the `texts` deltas: the opening events with the first delta,
    then one piece per further delta, then the closing events in one piece."""
    head, shape, tail = _parts()
    first = int(shape["sequence_number"])
    deltas = [
        sse((DELTA, {**shape, "delta": text, "sequence_number": first + i}))
        for i, text in enumerate(texts)
    ]
    ident = str(tail[-1][1]["response"]["id"])
    answer = "".join(texts)
    closing = sse(
        *(
            (
                name,
                {**retexted(data, answer, ident, None), "sequence_number": first + len(texts) + j},
            )
            for j, (name, data) in enumerate(tail)
        )
    )
    if not deltas:
        return [sse(*head) + closing]
    return [sse(*head) + deltas[0], *deltas[1:], closing]


def event_count(deltas: int) -> int:
    """How many events the stream of `deltas` deltas has (ndjson prints one line each)."""
    head, _, tail = _parts()
    return len(head) + deltas + len(tail)


def text_output(answer: str) -> str:
    """What `perplex` prints in text for a stream built here: the answer, then the sources
    of the recording's search."""
    events = events_of(STREAMS[SHAPES])
    return answer + expected_text(events)[len(streamed_text(events)) :]
