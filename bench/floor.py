"""The floor: the least a client with perplex's dependencies can do for one answer.

typer, requests and sseclient-py imported; one streaming request; the body read through
`raw.read1` into sseclient; each event's delta printed and flushed. No options, no checks,
no log. perplex is measured against this, in the same run (bench/run.py).

    python bench/floor.py BASE_URL
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator

import requests
import sseclient
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

    def reads() -> Iterator[bytes]:
        while True:
            data = raw.read1(65536, decode_content=True)
            if not data:
                return
            yield data

    out = sys.stdout
    for event in sseclient.SSEClient(reads()).events():
        if event.data == "[DONE]":
            break
        choices = json.loads(event.data).get("choices") or [{}]
        delta = (choices[0].get("delta") or {}).get("content")
        if delta:
            out.write(delta)
            out.flush()
    out.write("\n")
    response.close()


if __name__ == "__main__":
    typer.run(main)
