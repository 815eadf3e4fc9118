"""`perplex search`: the Search API (`POST /search`): ranked results, no generated answer.

The filters are the shared request options (`--search-domain`, `--search-recency`, the
date filters): the Search API takes them under the same field names as chat completions,
so they are validated and converted by `request.validate`/`build_body`, and the search
body takes those fields from the chat body that `build_body` makes.
"""

from __future__ import annotations

import re
import sys
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from .errors import ProtocolError, UsageError
from .options import shared_options
from .optionset import CONNECTION_FLAGS, Options
from .terminal import guard

if TYPE_CHECKING:
    from .settings import Settings

SEARCH_FLAGS = (
    "--search-domain",
    "--search-recency",
    "--search-after",
    "--search-before",
    "--updated-after",
    "--updated-before",
    "--format",
    *CONNECTION_FLAGS,
)
FILTER_FIELDS = (
    "search_domain_filter",
    "search_recency_filter",
    "search_after_date_filter",
    "search_before_date_filter",
    "last_updated_after_filter",
    "last_updated_before_filter",
)
MAX_QUERIES = 5
SNIPPET_CHARS = 400  # text is for reading; json and ndjson carry the whole snippet


@shared_options(only=SEARCH_FLAGS)
def search_command(
    query: Annotated[
        list[str] | None,
        typer.Argument(
            help="The query (its words are joined); without one, or with '-', one query per line of stdin (up to 5).",
            show_default=False,
        ),
    ] = None,
    max_results: Annotated[
        int | None,
        typer.Option(
            "--max-results",
            help="How many results, 1..20 [max_results].",
            metavar="N",
            show_default=False,
        ),
    ] = None,
    country: Annotated[
        str | None,
        typer.Option(
            "--country",
            help="Rank results for a country [country]: ISO 3166-1 alpha-2 (US, DE, ...).",
            metavar="CC",
            show_default=False,
        ),
    ] = None,
    *,
    opts: Options,
) -> None:
    """Search the web: ranked results with title, URL, date and snippet, no answer."""
    run_search(query or [], opts, max_results=max_results, country=country)


def run_search(
    words: list[str], opts: Options, *, max_results: int | None, country: str | None
) -> None:
    from .output.json import write_document
    from .output.ndjson import write_line
    from .request import validate
    from .run import text_stream
    from .settings import resolve

    settings = resolve(opts)
    validate(opts)
    body, doc = search(
        _query(words),
        opts,
        settings,
        max_results=max_results,
        country=country,
        err=text_stream(sys.stderr),
    )
    out = guard(text_stream(sys.stdout))
    if settings.format == "json":
        write_document(out, doc)
        return
    groups = result_groups(doc, body["query"])
    if settings.format == "ndjson":
        for query, results in groups:
            for result in results:
                write_line(out, dict(result, query=query) if len(groups) > 1 else result)
        return
    if not any(results for _, results in groups) and not settings.quiet:
        sys.stderr.write("perplex: no results\n")
    write_text(out, groups)


def search(
    query: str | list[str],
    opts: Options,
    settings: Settings,
    *,
    max_results: int | None,
    country: str | None,
    err: IO[str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The body sent to the Search API and the document it answered, for validated options
    (`request.validate`) and their settings; retry notices go to `err`."""
    from .jsonapi import fetch
    from .request import build_body
    from .run import open_transport

    body: dict[str, Any] = {"query": query}
    if max_results is not None:
        if not 1 <= max_results <= 20:
            raise UsageError("invalid value for --max-results: must be between 1 and 20")
        body["max_results"] = max_results
    if country is not None:
        if not re.fullmatch(r"[A-Za-z]{2}", country):
            raise UsageError("invalid value for --country: a two-letter ISO 3166-1 code (US, DE)")
        body["country"] = country.upper()
    chat = build_body([], opts, settings, stream=False)
    body.update({name: chat[name] for name in FILTER_FIELDS if name in chat})
    transport = open_transport(settings, err)
    try:
        return body, fetch(transport, "POST", "/search", body)
    finally:
        transport.close()


def _query(words: list[str]) -> str | list[str]:
    from .prompt import read_stdin, stdin_is_terminal, stdin_stream

    if words and words != ["-"]:
        query = " ".join(words).strip()
        if not query:
            raise UsageError("the query is empty")
        return query
    source = stdin_stream()
    if source is None:
        if words == ["-"] and stdin_is_terminal():
            raise UsageError("'-' reads the queries from stdin, but stdin is a terminal")
        raise UsageError(
            'no query: give one (perplex search "rust web frameworks") '
            "or pipe queries in, one per line"
        )
    queries = [line.strip() for line in read_stdin(source).splitlines() if line.strip()]
    if not queries:
        raise UsageError("no query on stdin")
    if len(queries) > MAX_QUERIES:
        raise UsageError(
            f"{len(queries)} queries on stdin: the Search API takes at most {MAX_QUERIES} at once"
        )
    return queries[0] if len(queries) == 1 else queries


def result_groups(doc: dict[str, Any], query: str | list[str]) -> list[tuple[str, list[Any]]]:
    """(query, results) pairs: one for a single query, one per query when several were sent."""
    results = doc.get("results") or []
    if not isinstance(results, list):
        raise ProtocolError("the search response's results are not a list")
    queries = query if isinstance(query, list) else [query]
    if results and all(isinstance(r, list) for r in results):
        return [
            (queries[i] if i < len(queries) else "", [r for r in group if isinstance(r, dict)])
            for i, group in enumerate(results)
        ]
    return [(queries[0], [r for r in results if isinstance(r, dict)])]


def write_text(out: IO[str], groups: list[tuple[str, list[Any]]]) -> None:
    """Numbered results: title, URL, dates, and the snippet on one line."""
    blocks = []
    for query, results in groups:
        lines = [f"Results for: {query}\n"] if len(groups) > 1 else []
        for n, result in enumerate(results, 1):
            lines.append(f"{n}. {_one_line(result.get('title')) or '(no title)'}\n")
            lines.append(f"   {result.get('url') or ''}\n")
            dates = _dates(result)
            if dates:
                lines.append(f"   {dates}\n")
            snippet = _one_line(result.get("snippet"))
            if snippet:
                if len(snippet) > SNIPPET_CHARS:
                    snippet = snippet[: SNIPPET_CHARS - 1].rstrip() + "\u2026"
                lines.append(f"   {snippet}\n")
            lines.append("\n")
        blocks.append("".join(lines))
    text = "".join(blocks).rstrip("\n")
    if text:
        out.write(text + "\n")
        out.flush()


def _dates(result: dict[str, Any]) -> str:
    date, updated = result.get("date"), result.get("last_updated")
    parts = [str(date)] if date else []
    if updated and updated != date:
        parts.append(f"updated {updated}")
    return ", ".join(parts)


def _one_line(value: Any) -> str:
    return " ".join(str(value or "").split())
