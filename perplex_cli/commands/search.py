"""`perplex search`: the Search API (`POST /search`): ranked results, no generated answer.

The request body is made in `search_request.py`: search's own options, the filters shared
with `ask`, and `-o KEY=VALUE` over them.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from perplex_cli.api.search_request import MAX_LANGUAGES, MAX_RESULTS, MAX_TOKENS, SearchOptions
from perplex_cli.cli.epilog import examples_epilog
from perplex_cli.cli.lazy import command_app
from perplex_cli.cli.options import shared_options
from perplex_cli.errors import ProtocolError, UsageError
from perplex_cli.request.options import CONNECTION_FLAGS, Options

if TYPE_CHECKING:
    from perplex_cli.request.settings import Settings

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
MAX_QUERIES = 5
SNIPPET_CHARS = 400  # text is for reading; json and ndjson carry the whole snippet


def _own(*names: str, help: str, metavar: str | None = None) -> Any:
    return typer.Option(*names, help=help, metavar=metavar, show_default=False)


@shared_options(only=SEARCH_FLAGS)
def search_command(
    query: Annotated[
        list[str] | None,
        typer.Argument(
            help="The query (its words are joined); without one, or with '-', one query per line of stdin (up to 5).",
            show_default=False,
        ),
    ] = None,
    # search's own options: the Search API's request fields (search_request.py). Their
    # Python names differ from the shared options' (shared_options takes those by name).
    max_results: Annotated[
        int | None,
        _own(
            "--max-results",
            help=f"How many results [max_results]: 1..{MAX_RESULTS}; more with --search-type people.",
            metavar="N",
        ),
    ] = None,
    country: Annotated[
        str | None,
        _own(
            "--country",
            help="Rank results for a country [country]: ISO 3166-1 alpha-2 (US, DE, ...).",
            metavar="CC",
        ),
    ] = None,
    total_tokens: Annotated[
        int | None,
        _own(
            "--max-tokens",
            help=f"Most tokens of page content over all results [max_tokens]: 1..{MAX_TOKENS}.",
            metavar="N",
        ),
    ] = None,
    page_tokens: Annotated[
        int | None,
        _own(
            "--max-tokens-per-page",
            help=f"Most tokens of content from each page [max_tokens_per_page]: 1..{MAX_TOKENS}.",
            metavar="N",
        ),
    ] = None,
    languages: Annotated[
        list[str] | None,
        _own(
            "--search-language",
            help=f"Only pages in this language, an ISO 639-1 code (en, de, ...); repeatable, at most {MAX_LANGUAGES} [search_language_filter].",
            metavar="LANG",
        ),
    ] = None,
    mode: Annotated[
        str | None,
        _own(
            "--search-mode",
            help="Where to search [search_mode]: web, academic (scholarly articles) or sec (SEC filings).",
            metavar="MODE",
        ),
    ] = None,
    context_size: Annotated[
        str | None,
        _own(
            "--search-context-size",
            help="How much page content each result carries [search_context_size]: low, medium or high; the token limits are the finer control.",
            metavar="SIZE",
        ),
    ] = None,
    kind: Annotated[
        str | None,
        _own(
            "--search-type",
            help="What to search [search_type]: web, or people (professional profiles).",
            metavar="TYPE",
        ),
    ] = None,
    overrides: Annotated[
        list[str] | None,
        _own(
            "-o",
            "--option",
            help="Set any field of the search request; VALUE is JSON when it parses, else a string; dotted keys nest; overrides the flags; repeatable (-o display_server_time=true).",
            metavar="KEY=VALUE",
        ),
    ] = None,
    *,
    opts: Options,
) -> None:
    """Search the web: ranked results with title, URL, date and snippet, no answer."""
    own = SearchOptions(
        max_results=max_results,
        country=country,
        max_tokens=total_tokens,
        max_tokens_per_page=page_tokens,
        languages=languages,
        search_mode=mode,
        context_size=context_size,
        search_type=kind,
        option=overrides,
    )
    run_search(query or [], opts, own)


def run_search(words: list[str], opts: Options, own: SearchOptions) -> None:
    from perplex_cli.api.search_request import search_fields
    from perplex_cli.output.json import write_document
    from perplex_cli.output.ndjson import write_line
    from perplex_cli.output.streams import current
    from perplex_cli.request.settings import resolve
    from perplex_cli.request.values import validate

    settings = resolve(opts)
    opts = settings.options
    validate(opts)
    search_fields(own)  # refused before stdin is read
    body, doc = search(_query(words), opts, settings, own, err=current().stderr)
    out = current().out()
    if settings.format == "json":
        write_document(out, doc)
        return
    groups = result_groups(doc, body.get("query"))
    if settings.format == "ndjson":
        for query, results in groups:
            for result in results:
                write_line(out, dict(result, query=query) if len(groups) > 1 else result)
        return
    if not any(results for _, results in groups) and not settings.quiet:
        current().stderr.write("perplex: no results\n")
    write_text(out, groups)


def search(
    query: str | list[str], opts: Options, settings: Settings, own: SearchOptions, *, err: IO[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The body sent to the Search API and the document it answered, for validated options
    (`request.validate`) and their settings; retry notices go to `err`."""
    from perplex_cli.api.jsonapi import fetch
    from perplex_cli.api.search_request import search_body
    from perplex_cli.transport.connect import open_transport

    body = search_body(query, opts, settings, own)
    transport = open_transport(settings, err)
    try:
        return body, fetch(transport, "POST", "/search", body)
    finally:
        transport.close()


def _query(words: list[str]) -> str | list[str]:
    from perplex_cli.request.prompt import read_stdin, stdin_is_terminal, stdin_stream

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


def result_groups(doc: dict[str, Any], query: Any) -> list[tuple[str, list[Any]]]:
    """(query, results) pairs: one list for the whole request, as the API answers one query
    or several (the pair's query is then unused); one pair per query only when a response
    groups its results per query (a list of lists)."""
    results = doc.get("results") or []
    if not isinstance(results, list):
        raise ProtocolError("the search response's results are not a list")
    queries = query if isinstance(query, list) else [query]
    if results and all(isinstance(r, list) for r in results):
        return [
            (str(queries[i]) if i < len(queries) else "", [r for r in group if isinstance(r, dict)])
            for i, group in enumerate(results)
        ]
    return [(str(queries[0]), [r for r in results if isinstance(r, dict)])]


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


app = command_app(
    "search",
    search_command,
    epilog=examples_epilog(
        '  perplex search "rust web frameworks"',
        "  perplex search --max-results 5 -f json q | jq -r '.results[].url'",
        "  perplex search --search-recency week --country US election results",
    ),
)
