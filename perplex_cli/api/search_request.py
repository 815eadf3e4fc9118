"""The Search API request body (`POST /search`), from search's own options and the filters.

Search's own options (`SearchOptions`) are checked by `search_fields` before any I/O, with
the parsers of the request options where both commands take the same kind of value
(`request.choice`, `request.language`, `request.overrides`). The filters are the shared
request options (`--search-domain`, `--search-recency`, the date filters): the Search API
takes them under the same field names as chat completions, so they are validated and
converted by `request.validate`/`build_body`, and the search body takes those fields from
the chat body that `build_body` makes. `-o KEY=VALUE` is applied last, over everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from perplex_cli.errors import UsageError
from perplex_cli.request.choices import CONTEXT_SIZES, SEARCH_API_TYPES, SEARCH_MODES

if TYPE_CHECKING:
    from perplex_cli.request.options import Options
    from perplex_cli.request.settings import Settings

FILTER_FIELDS = (
    "search_domain_filter",
    "search_recency_filter",
    "search_after_date_filter",
    "search_before_date_filter",
    "last_updated_after_filter",
    "last_updated_before_filter",
)
MAX_RESULTS = 20  # web search; people search takes more
MAX_TOKENS = 1_000_000  # max_tokens and max_tokens_per_page
MAX_LANGUAGES = 20


@dataclass
class SearchOptions:
    """The options only `search` takes; None means "not given"."""

    max_results: int | None = None
    country: str | None = None
    max_tokens: int | None = None
    max_tokens_per_page: int | None = None
    languages: list[str] | None = None
    search_mode: str | None = None
    context_size: str | None = None
    search_type: str | None = None
    option: list[str] | None = None


def search_fields(own: SearchOptions) -> dict[str, Any]:
    """The body fields of search's own options (not the query, not -o): exit 2 on a bad one."""
    from perplex_cli.request.values import choice, language, overrides

    search_type = choice(own.search_type, "--search-type", SEARCH_API_TYPES)
    languages = [language(v, "--search-language") for v in own.languages or []]
    if len(languages) > MAX_LANGUAGES:
        raise UsageError(
            f"too many --search-language values: {len(languages)} (at most {MAX_LANGUAGES})"
        )
    fields: dict[str, Any] = {
        "max_results": _max_results(own.max_results, people=search_type == "people"),
        "max_tokens": _tokens(own.max_tokens, "--max-tokens"),
        "max_tokens_per_page": _tokens(own.max_tokens_per_page, "--max-tokens-per-page"),
        "country": _country(own.country),
        "search_language_filter": languages or None,
        "search_mode": choice(own.search_mode, "--search-mode", SEARCH_MODES),
        "search_context_size": choice(own.context_size, "--search-context-size", CONTEXT_SIZES),
        "search_type": search_type,
    }
    overrides(own.option)
    return {name: value for name, value in fields.items() if value is not None}


def search_body(
    query: str | list[str], opts: Options, settings: Settings, own: SearchOptions
) -> dict[str, Any]:
    """The body sent to the Search API, for validated options (`request.validate`)."""
    from perplex_cli.api.chat_request import build_body
    from perplex_cli.request.values import overrides, set_path

    body: dict[str, Any] = {"query": query, **search_fields(own)}
    chat = build_body([], opts, settings, stream=False)
    body.update({name: chat[name] for name in FILTER_FIELDS if name in chat})
    for path, value in overrides(own.option):
        set_path(body, path, value)
    return body


def _max_results(value: int | None, *, people: bool) -> int | None:
    if value is None:
        return None
    if value < 1:
        raise UsageError(f"invalid value for --max-results: {value} (must be 1 or more)")
    if value > MAX_RESULTS and not people:
        raise UsageError(
            f"invalid value for --max-results: {value} (must be between 1 and {MAX_RESULTS}; "
            "more only with --search-type people)"
        )
    return value


def _tokens(value: int | None, flag: str) -> int | None:
    if value is not None and not 1 <= value <= MAX_TOKENS:
        raise UsageError(f"invalid value for {flag}: {value} (must be between 1 and {MAX_TOKENS})")
    return value


def _country(value: str | None) -> str | None:
    if value is None:
        return None
    if not re.fullmatch(r"[A-Za-z]{2}", value):
        raise UsageError("invalid value for --country: a two-letter ISO 3166-1 code (US, DE)")
    return value.upper()
