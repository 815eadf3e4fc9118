"""The MCP server of `perplex mcp`: the tools' schemas and descriptions, on the `mcp` SDK.

Imported only by `perplex mcp`, once the `mcp` package is known to be there. Each tool
runs its blocking work (`mcp_tools`) in a worker thread, so the server keeps answering
(pings, cancellations, other calls) meanwhile; a research call sends MCP progress
notifications from that thread while it polls. Over stdio the SDK points the process's
stdout at stderr while it serves, so only protocol messages reach the client.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from perplex_cli import __version__
from perplex_cli.commands import mcp_tools as tools
from perplex_cli.request.choices import REASONING_EFFORTS, RECENCIES
from perplex_cli.request.options import Options

ASK = (
    "Ask Perplexity a question and get a web-grounded answer with numbered citations. "
    "Use it for anything current or factual you would otherwise search the web for: "
    "library versions, API changes, error messages, news. Text content: the answer, then "
    "its sources as '[n] Title - URL' lines matching the [n] markers. Structured content: "
    "the chat.completion document of `perplex -f json` (choices[0].message.content, "
    "citations, search_results, usage with cost). A failure is a tool error with perplex's "
    "one-line message (and any partial answer)."
)
SEARCH = (
    "Search the web with Perplexity's Search API: ranked results (title, url, date, "
    "snippet), no generated answer. Cheaper and faster than ask when you want pages to read "
    "rather than an answer. Structured content: the Search API's document ({results: [...]})."
)
RESEARCH = (
    "Deep research: submit a question for a multi-step research run (minutes, and dollars "
    "rather than cents per question) and return the cited report. Progress notifications "
    "report the run's status. If the report is not ready within max_wait_seconds, the result "
    "is {id, status} instead: call research_result with that id later to fetch the report. "
    "Use only for questions that need a thorough, sourced report; use ask otherwise."
)
RESEARCH_RESULT = (
    "Fetch the report of a research run started by the research tool, by its id; waits "
    "up to max_wait_seconds and returns {id, status} again if it is still running. A run "
    "that failed or was cancelled is a tool error."
)

Question = Annotated[str, Field(description="The question, in natural language.", min_length=1)]
Model = Annotated[
    str | None,
    Field(
        description="Model: a Sonar name (sonar, sonar-pro, sonar-reasoning-pro) or a "
        "provider/model name (perplex models lists them). Default: the user's configuration."
    ),
]
Preset = Annotated[
    str | None,
    Field(description="Agent API preset: fast, low, medium, high or xhigh (more = deeper)."),
]
Domains = Annotated[
    list[str] | None,
    Field(
        description="Only search these domains (example.com); prefix one with '-' to "
        "exclude it. At most 20."
    ),
]
Recency = Annotated[
    str | None,
    Field(
        description="Only sources published within the last hour/day/week/month/year.",
        json_schema_extra={"enum": list(RECENCIES)},
    ),
]
Effort = Annotated[
    str | None,
    Field(
        description="How hard a reasoning model thinks before answering.",
        json_schema_extra={"enum": list(REASONING_EFFORTS)},
    ),
]
Wait = Annotated[
    float | None,
    Field(
        description="Seconds to wait for the report before returning the run's id; "
        "default: the server's --research-wait (50 s). Keep it below your tool-call timeout.",
        gt=0,
    ),
]


def build(base: Options, *, research_wait: float) -> MCPServer[Any]:
    """The server with its four tools; `base` holds the options `perplex mcp` was given."""
    server: MCPServer[Any] = MCPServer(
        "perplex",
        version=__version__,
        instructions="Web-grounded answers with citations, web search and deep research "
        "from Perplexity, through the perplex command-line client.",
        log_level="WARNING",
    )
    reading = ToolAnnotations(read_only_hint=True, open_world_hint=True)

    @server.tool(name="ask", description=ASK, annotations=reading)
    async def ask(
        question: Question,
        model: Model = None,
        preset: Preset = None,
        search_domains: Domains = None,
        search_recency: Recency = None,
        reasoning_effort: Effort = None,
    ) -> CallToolResult:
        opts = tools.options(
            base,
            model=model,
            preset=preset,
            search_domain=search_domains,
            search_recency=search_recency,
            reasoning_effort=reasoning_effort,
        )
        return await _run(lambda: tools.ask(opts, question))

    @server.tool(name="search", description=SEARCH, annotations=reading)
    async def search(
        query: Annotated[str, Field(description="What to search for.", min_length=1)],
        max_results: Annotated[
            int | None, Field(description="How many results, 1 to 20.", ge=1, le=20)
        ] = None,
        search_domains: Domains = None,
        search_recency: Recency = None,
        country: Annotated[
            str | None, Field(description="Rank for a country: ISO 3166-1 alpha-2 (US, DE).")
        ] = None,
    ) -> CallToolResult:
        opts = tools.options(base, search_domain=search_domains, search_recency=search_recency)
        return await _run(
            lambda: tools.search(opts, query, max_results=max_results, country=country)
        )

    @server.tool(name="research", description=RESEARCH, annotations=reading)
    async def research(
        question: Question,
        ctx: Context,
        model: Model = None,
        preset: Preset = None,
        max_wait_seconds: Wait = None,
    ) -> CallToolResult:
        opts = tools.options(base, api="agent", model=model, preset=preset)
        progress = _reporter(ctx)
        wait = max_wait_seconds or research_wait
        return await _run(lambda: tools.research(opts, question, max_wait=wait, progress=progress))

    @server.tool(name="research_result", description=RESEARCH_RESULT, annotations=reading)
    async def research_result(
        id: Annotated[str, Field(description="The run id the research tool returned.")],
        ctx: Context,
        max_wait_seconds: Wait = None,
    ) -> CallToolResult:
        opts = tools.options(base, api="agent")
        progress = _reporter(ctx)
        wait = max_wait_seconds or research_wait
        return await _run(lambda: tools.research_result(opts, id, max_wait=wait, progress=progress))

    return server


async def _run(work: Callable[[], tools.Reply]) -> CallToolResult:
    """The work in a worker thread, its reply as the tool's result (a failure: isError)."""
    reply = await anyio.to_thread.run_sync(tools.guarded, work)
    return CallToolResult(
        content=[TextContent(type="text", text=reply.text)],
        structured_content=reply.data,
        is_error=reply.error,
    )


def _reporter(ctx: Context) -> tools.Progress:
    """A progress callback for the worker thread: each call is a progress notification."""
    step = [0]

    def report(message: str, waited: float) -> None:
        step[0] += 1
        anyio.from_thread.run(ctx.report_progress, step[0], None, f"{message} ({waited:.0f} s)")

    return report


def serve(base: Options, *, research_wait: float, address: tuple[str, int] | None) -> None:
    """Serve until the client goes away: stdio, or streamable HTTP on `address`."""
    server = build(base, research_wait=research_wait)
    if address is None:
        anyio.run(server.run_stdio_async)
        return
    host, port = address
    anyio.run(lambda: server.run_streamable_http_async(host=host, port=port))
