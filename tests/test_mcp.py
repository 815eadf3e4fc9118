"""`perplex mcp`: an MCP client (the SDK's, over stdio) against the server as a subprocess.

The server asks the local API server (apiserver.py: recorded Agent API streams, the Search
API, background runs); each tool's result is compared with what the command line prints
for the same request, and the log with what it keeps. Skipped without the `mcp` package.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mcp")

import anyio
from apiserver import Answer, echo_agent_answer
from conftest import SENTINEL_KEY
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

pytestmark = pytest.mark.api("agent")

Body = Callable[[ClientSession], Awaitable[Any]]


def serve(tmp_path: Path, body: Body, *args: str) -> Any:
    """Run `perplex mcp ARGS` and a client session on it; what `body` returns."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "perplex_cli", "mcp", *args],
        env={**os.environ, "PERPLEX_API": "agent"},
    )

    async def main() -> Any:
        with (tmp_path / "server-stderr.txt").open("w") as errlog:
            async with (
                stdio_client(params, errlog=errlog) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                return await body(session)

    return anyio.run(main)


def call(tmp_path: Path, tool: str, arguments: dict[str, Any], *args: str) -> Any:
    async def body(session: ClientSession) -> Any:
        return await session.call_tool(tool, arguments)

    return serve(tmp_path, body, *args)


def text_of(result: Any) -> str:
    return "".join(block.text for block in result.content)


def logged(cli) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    listed = cli("logs", "-f", "ndjson")
    assert listed.code == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    return sorted(rows, key=lambda row: row["id"])  # oldest first


def test_the_tools_are_listed_with_schemas_and_descriptions(env, tmp_path):
    async def body(session: ClientSession) -> Any:
        return (await session.list_tools()).tools

    tools = {tool.name: tool for tool in serve(tmp_path, body)}
    assert set(tools) == {"ask", "search", "research", "research_result"}
    required = {"ask": "question", "search": "query", "research": "question"}
    for name, field in {**required, "research_result": "id"}.items():
        schema = tools[name].input_schema
        assert schema["required"] == [field], name
        assert len(tools[name].description or "") > 80, name
    properties = tools["ask"].input_schema["properties"]
    assert {"model", "preset", "search_domains", "search_recency", "reasoning_effort"} <= set(
        properties
    )
    assert "week" in json.dumps(properties["search_recency"])


def test_ask_gives_the_document_of_json_output_and_the_text_of_text_output(api, cli, tmp_path):
    result = call(tmp_path, "ask", {"question": "why is the sky blue"})
    assert not result.is_error, text_of(result)
    printed = cli("--api", "agent", "-f", "json", "why is the sky blue")
    assert printed.code == 0, printed.stderr
    expected = json.loads(printed.stdout)
    # Each answer of the server has its own response id; the rest is the same document.
    assert result.structured_content["id"] == "resp_echo-1"
    assert expected["id"] == "resp_echo-2"
    assert {**result.structured_content, "id": None} == {**expected, "id": None}
    text = cli("--api", "agent", "why is the sky blue")
    assert text_of(result) == text.stdout
    assert "[1] " in text_of(result)  # the numbered sources
    rows = logged(cli)
    assert [(r["prompt"], r["source"], r["status"]) for r in rows] == [
        ("why is the sky blue", "mcp", "ok"),
        ("why is the sky blue", "cli", "ok"),
        ("why is the sky blue", "cli", "ok"),
    ]


def test_ask_sends_the_filters_and_the_engine_it_is_given(api, tmp_path):
    arguments = {
        "question": "rust web frameworks",
        "preset": "low",
        "search_domains": ["docs.rs"],
        "search_recency": "week",
    }
    result = call(tmp_path, "ask", arguments)
    assert not result.is_error, text_of(result)
    sent = api.agent_requests()[0].json()
    assert sent["preset"] == "low"
    assert "docs.rs" in json.dumps(sent) and "week" in json.dumps(sent)


def test_the_servers_options_apply_to_every_call(api, cli, tmp_path):
    result = call(tmp_path, "ask", {"question": "q"}, "--api", "chat", "--no-log")
    assert not result.is_error, text_of(result)
    assert len(api.chat_requests()) == 1 and api.agent_requests() == []
    assert result.structured_content["object"] == "chat.completion"
    assert cli("logs", "-f", "ndjson").stdout == ""  # --no-log: nothing was written


def test_search_gives_the_ranked_results_of_search_json(api, cli, tmp_path):
    result = call(tmp_path, "search", {"query": "rust web frameworks", "max_results": 3})
    assert not result.is_error, text_of(result)
    printed = cli("search", "--max-results", "3", "-f", "json", "rust web frameworks")
    assert printed.code == 0, printed.stderr
    assert result.structured_content == json.loads(printed.stdout)
    assert text_of(result) == cli("search", "--max-results", "3", "rust web frameworks").stdout


def test_research_reports_progress_and_returns_the_report_of_research_wait(api, cli, tmp_path):
    seen: list[str] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        seen.append(message or "")

    async def body(session: ClientSession) -> Any:
        return await session.call_tool(
            "research", {"question": "solid-state batteries"}, progress_callback=progress
        )

    result = serve(tmp_path, body)
    assert not result.is_error, text_of(result)
    assert "Report on solid-state batteries [1]." in text_of(result)
    assert any("resp_bg-1 submitted" in line for line in seen), seen
    assert any("in_progress" in line for line in seen), seen
    submitted = next(r for r in api.requests if r.method == "POST").json()
    assert submitted["background"] is True and submitted["preset"] == "medium"
    again = cli("research", "wait", "--api", "agent", "-f", "json", "resp_bg-1")
    assert again.code == 0, again.stderr
    assert result.structured_content == json.loads(again.stdout)
    rows = logged(cli)
    assert rows[0]["source"] == "mcp" and rows[0]["prompt"] == "solid-state batteries"


def test_research_past_its_wait_returns_the_id_and_research_result_the_report(api, tmp_path):
    api.runs.polls = 3

    async def body(session: ClientSession) -> Any:
        first = await session.call_tool("research", {"question": "q1", "max_wait_seconds": 1})
        later = await session.call_tool("research_result", {"id": first.structured_content["id"]})
        return first, later

    first, later = serve(tmp_path, body)
    assert not first.is_error, text_of(first)
    assert first.structured_content == {"id": "resp_bg-1", "status": "in_progress"}
    assert "research_result" in text_of(first)
    assert not later.is_error, text_of(later)
    assert "Report on q1 [1]." in text_of(later)


def test_a_failed_research_run_is_a_tool_error_with_the_clis_message(api, cli, tmp_path):
    result = call(tmp_path, "research", {"question": "this will FAIL"})
    assert result.is_error
    printed = cli("research", "wait", "--api", "agent", "resp_bg-1")
    assert printed.code == 6
    assert text_of(result).splitlines()[0] == printed.stderr.splitlines()[0]


def rejected(status: int, message: str) -> Answer:
    body = {"error": {"message": message, "type": "error", "code": status}}
    return Answer(json.dumps(body).encode(), status, "application/json")


def test_a_rejected_key_is_a_tool_error_with_the_clis_line_and_the_server_goes_on(
    api, cli, tmp_path
):
    api.agent = lambda request, n: (
        rejected(401, f"invalid key {SENTINEL_KEY}") if n == 1 else echo_agent_answer(request, n)
    )

    async def body(session: ClientSession) -> Any:
        failed = await session.call_tool("ask", {"question": "q"})
        answered = await session.call_tool("ask", {"question": "q"})
        return failed, answered

    failed, answered = serve(tmp_path, body)
    assert failed.is_error
    api.agent = lambda request, n: rejected(401, f"invalid key {SENTINEL_KEY}")
    printed = cli("--api", "agent", "q")
    assert printed.code == 3
    assert text_of(failed).splitlines()[0] == printed.stderr.splitlines()[0]
    assert SENTINEL_KEY not in text_of(failed)
    assert "Traceback" not in text_of(failed)
    assert not answered.is_error and "q" in text_of(answered)
    statuses = [(r["source"], r["status"]) for r in logged(cli)]
    assert statuses[:2] == [("mcp", "error"), ("mcp", "ok")]


def test_no_key_is_a_tool_error_naming_what_to_do(api, tmp_path, monkeypatch):
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    result = call(tmp_path, "ask", {"question": "q"})
    assert result.is_error
    assert text_of(result).startswith("perplex: error: ")
    assert "key" in text_of(result).lower()


def test_rate_limited_once_is_retried_and_answered(api, tmp_path):
    api.agent = lambda request, n: (
        rejected(429, "slow down") if n == 1 else echo_agent_answer(request, n)
    )
    result = call(tmp_path, "ask", {"question": "q"})
    assert not result.is_error, text_of(result)
    assert len(api.agent_requests()) == 2


def test_rate_limited_past_the_retries_is_the_clis_message(api, cli, tmp_path):
    api.agent = lambda request, n: rejected(429, "slow down")
    result = call(tmp_path, "ask", {"question": "q"}, "--retries", "0")
    assert result.is_error
    printed = cli("--api", "agent", "--retries", "0", "q")
    assert printed.code == 5
    assert text_of(result).splitlines()[0] == printed.stderr.splitlines()[0]


def cut(request: dict[str, Any], n: int) -> Answer:
    """The recorded stream, ending in the middle of the answer's text."""
    whole = echo_agent_answer(request, n).body
    events = whole.split(b"\n\n")
    at = next(i for i, e in enumerate(events) if b"output_text.delta" in e) + 1
    return Answer(b"\n\n".join(events[:at]) + b"\n\n")


def test_a_cut_stream_is_a_tool_error_with_the_partial_text(api, cli, tmp_path):
    api.agent = cut
    result = call(tmp_path, "ask", {"question": "why is the sky blue"}, "--retries", "0")
    assert result.is_error
    printed = cli("--api", "agent", "--retries", "0", "why is the sky blue")
    assert printed.code == 7
    assert text_of(result).splitlines()[0] == printed.stderr.splitlines()[0]
    assert printed.stdout.strip()
    assert printed.stdout.strip() in text_of(result)
    assert result.structured_content["error"]["type"] == "cut_stream"
    assert logged(cli)[0]["status"] == "partial"


def test_stdout_carries_only_protocol_messages(api, spawn):
    lines = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "test", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "ask", "arguments": {"question": "q"}},
        },
    ]
    import subprocess

    proc = spawn("mcp", stdin=subprocess.PIPE, extra_env={"PERPLEX_API": "agent"})
    sent = "".join(json.dumps(line) + "\n" for line in lines).encode()
    proc.stdin.write(sent)
    proc.stdin.flush()
    replies: list[dict[str, Any]] = []
    while len([r for r in replies if "id" in r]) < 2:
        line = proc.stdout.readline()
        assert line, proc.stderr.read().decode()
        replies.append(json.loads(line))  # every line is one JSON-RPC message
    rest, err = proc.communicate(timeout=20)  # closes stdin: the server ends
    assert proc.returncode == 0, err.decode()
    for line in rest.splitlines():
        assert json.loads(line)["jsonrpc"] == "2.0"
    answer = next(r for r in replies if r.get("id") == 2)
    assert answer["result"]["isError"] is False
    assert all(r["jsonrpc"] == "2.0" for r in replies)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_http_serves_the_same_tools_on_loopback(api, spawn):
    import time

    from mcp.client.streamable_http import streamable_http_client

    port = free_port()
    proc = spawn("mcp", "--http", f"127.0.0.1:{port}", extra_env={"PERPLEX_API": "agent"})

    async def main() -> Any:
        async with (
            streamable_http_client(f"http://127.0.0.1:{port}/mcp") as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            names = [tool.name for tool in (await session.list_tools()).tools]
            return names, await session.call_tool("ask", {"question": "over http"})

    try:
        for _ in range(100):  # until it listens
            if proc.poll() is not None:
                break
            try:
                import socket

                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        names, result = anyio.run(main)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert sorted(names) == ["ask", "research", "research_result", "search"], err
    assert not result.is_error, text_of(result)
    assert "over http" in text_of(result)
