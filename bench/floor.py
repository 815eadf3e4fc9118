"""The floor: the least a client with perplex's dependencies can do for one answer.

typer and requests imported; one streaming request; the body read through `raw.read1`
and cut into events at blank lines (CRLF or LF, `data: ` lines, no other SSE rule); each
event's JSON parsed, its text delta printed and flushed. No options, no checks, no log.
perplex is measured against this, in the same run (bench/run.py), on the same protocol:

    python bench/floor.py BASE_URL               # chat completions: POST /chat/completions
    python bench/floor.py BASE_URL --api agent   # the Agent API: POST /v1/agent
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from typing import TextIO

import requests
import typer

AGENT_DELTA = "response.output_text.delta"


def main(base_url: str, api: str = "chat") -> None:
    agent = api == "agent"
    response = requests.post(
        base_url + ("/v1/agent" if agent else "/chat/completions"),
        json={"preset": "fast", "input": "q", "stream": True}
        if agent
        else {"model": "sonar", "messages": [{"role": "user", "content": "q"}], "stream": True},
        headers={
            "Authorization": "Bearer " + os.environ.get("PERPLEXITY_API_KEY", ""),
            "Accept": "text/event-stream",
        },
        stream=True,
        timeout=(10, 300),
    )
    (print_agent if agent else print_chat)(events(response), sys.stdout)
    sys.stdout.write("\n")
    response.close()


def events(response: requests.Response) -> Iterator[str]:
    """The data of each event: the body read through `raw.read1`, cut at blank lines."""
    held = b""
    while True:
        data = response.raw.read1(65536, decode_content=True)
        if not data:
            return
        blocks = (held + data).replace(b"\r\n", b"\n").split(b"\n\n")
        held = blocks.pop()
        for block in blocks:
            lines = [x[6:] for x in block.decode().split("\n") if x.startswith("data: ")]
            if lines:  # a comment alone (": ping") is no event
                yield "\n".join(lines)


def print_chat(events: Iterator[str], out: TextIO) -> None:
    for data in events:
        if data == "[DONE]":
            return
        choices = json.loads(data).get("choices") or [{}]
        delta = (choices[0].get("delta") or {}).get("content")
        if delta:
            out.write(delta)
            out.flush()


def print_agent(events: Iterator[str], out: TextIO) -> None:
    for data in events:
        event = json.loads(data)
        if event.get("type") == AGENT_DELTA:
            out.write(event["delta"])
            out.flush()


if __name__ == "__main__":
    typer.run(main)
