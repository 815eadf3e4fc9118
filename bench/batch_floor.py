"""The batch floor: the least a client with perplex's dependencies can do for many prompts.

`-j` threads share one requests session (one connection each, kept alive); each takes the
next prompt, posts it, reads its events as bench/floor.py does (typer imported with it),
parses every event's JSON and keeps the answer text; the main thread writes one JSON
line per answer as the answers end. No options, no checks, no log, no retries, no pacing.
bench/batch.py runs it against the same server as perplex, in the same run:

    python bench/batch_floor.py BASE_URL PROMPTS_FILE -j 8 [--api agent]

`--client http.client` posts with the standard library instead of requests (a connection
per thread, the same reads), to show what the HTTP library itself costs.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import requests
from floor import AGENT_DELTA, events  # bench/ is this script's directory


def answer(data: Iterator[str], agent: bool) -> str:
    text = []
    for event in data:
        if event == "[DONE]":
            break
        doc = json.loads(event)
        if agent:
            if doc.get("type") == AGENT_DELTA:
                text.append(doc.get("delta", ""))
        else:
            for choice in doc.get("choices") or []:
                text.append((choice.get("delta") or {}).get("content") or "")
    return "".join(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base_url")
    parser.add_argument("prompts")
    parser.add_argument("-j", type=int, default=8)
    parser.add_argument("--api", choices=("chat", "agent"), default="chat")
    parser.add_argument("--client", choices=("requests", "http.client"), default="requests")
    args = parser.parse_args()
    agent = args.api == "agent"
    url = args.base_url + ("/v1/agent" if agent else "/chat/completions")
    headers = {
        "Authorization": "Bearer " + os.environ.get("PERPLEXITY_API_KEY", ""),
        "Accept": "text/event-stream",
    }
    todo: queue.SimpleQueue[tuple[int, str] | None] = queue.SimpleQueue()
    with open(args.prompts, encoding="utf-8") as source:
        for index, line in enumerate(source):
            todo.put((index, line.rstrip("\n")))
    for _ in range(args.j):
        todo.put(None)
    done: queue.SimpleQueue[tuple[int, str] | None] = queue.SimpleQueue()
    post = requests_poster(args.j) if args.client == "requests" else StdlibPost

    def work() -> None:
        send = post()
        while (job := todo.get()) is not None:
            index, prompt = job
            body = (
                {"preset": "fast", "input": prompt, "stream": True}
                if agent
                else {
                    "model": "sonar",
                    "messages": [{"role": "user", "content": prompt}],
                    "stream": True,
                }
            )
            done.put((index, answer(events(send(url, body, headers)), agent)))
        done.put(None)

    for _ in range(args.j):
        threading.Thread(target=work, daemon=True).start()
    workers = args.j
    while workers:
        result = done.get()
        if result is None:
            workers -= 1
            continue
        sys.stdout.write(json.dumps({"index": result[0], "text": result[1]}) + "\n")
        sys.stdout.flush()


Post = Callable[[str, dict[str, Any], dict[str, str]], Any]


def requests_poster(threads: int) -> Callable[[], Post]:
    """Each thread posts through one shared requests session."""
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=threads))

    def post(url: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        return session.post(url, json=body, headers=headers, stream=True, timeout=300)

    return lambda: post


class StdlibPost:
    """One thread's poster on its own http.client connection; the response is handed out
    as `events` reads a requests one (its `raw.read1`)."""

    def __init__(self) -> None:
        self.conn: http.client.HTTPConnection | None = None
        self.raw = self  # `events` reads `response.raw.read1`: this object is both
        self.response: http.client.HTTPResponse | None = None

    def __call__(self, url: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        where = urlsplit(url)
        if self.conn is None:
            self.conn = http.client.HTTPConnection(where.hostname or "", where.port)
        sent = {**headers, "Content-Type": "application/json"}
        self.conn.request("POST", where.path, json.dumps(body).encode(), sent)
        self.response = self.conn.getresponse()
        return self

    def read1(self, size: int, **_: Any) -> bytes:
        assert self.response is not None
        # read() at the end frees the connection for the next request
        return self.response.read1(size) or self.response.read()


if __name__ == "__main__":
    main()
