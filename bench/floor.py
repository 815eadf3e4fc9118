"""The floor: the least a client with perplex's dependencies can do for one answer.

typer and requests imported; one streaming request; the body read through `raw.read1`
and cut into events at blank lines (CRLF or LF, `data: ` lines, no other SSE rule); each
event's delta printed and flushed. No options, no checks, no log. perplex is measured
against this, in the same run (bench/run.py).

    python bench/floor.py BASE_URL
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator

import requests
import typer


def main(base_url: str) -> None:
    response = requests.post(
        base_url + "/chat/completions",
        json={"model": "sonar", "messages": [{"role": "user", "content": "q"}], "stream": True},
        headers={
            "Authorization": "Bearer " + os.environ.get("PERPLEXITY_API_KEY", ""),
            "Accept": "text/event-stream",
        },
        stream=True,
        timeout=(10, 300),
    )
    raw = response.raw

    def events() -> Iterator[str]:
        held = b""
        while True:
            data = raw.read1(65536, decode_content=True)
            if not data:
                return
            blocks = (held + data).replace(b"\r\n", b"\n").split(b"\n\n")
            held = blocks.pop()
            for block in blocks:
                lines = [x[6:] for x in block.decode().split("\n") if x.startswith("data: ")]
                if lines:  # a comment alone (": ping") is no event
                    yield "\n".join(lines)

    out = sys.stdout
    for data in events():
        if data == "[DONE]":
            break
        choices = json.loads(data).get("choices") or [{}]
        delta = (choices[0].get("delta") or {}).get("content")
        if delta:
            out.write(delta)
            out.flush()
    out.write("\n")
    response.close()


if __name__ == "__main__":
    typer.run(main)
