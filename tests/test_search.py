"""`perplex search`: the request it sends, the three formats, filters, errors."""

from __future__ import annotations

import json

import pytest
from apiserver import Answer, echo_search
from conftest import SENTINEL_KEY, needs_shared_flag


def searches(api):
    return [r for r in api.requests if r.path == "/search"]


def test_text_lists_numbered_results_with_url_date_and_snippet(api, cli):
    result = cli("search", "rust", "web", "frameworks", "--max-results", "2")
    assert result.code == 0, result.stderr
    assert result.stdout == (
        "1. Result 1 for rust web frameworks\n"
        "   https://example.com/1\n"
        "   2025-01-01, updated 2025-02-01\n"
        "   snippet 1\n"
        "\n"
        "2. Result 2 for rust web frameworks\n"
        "   https://example.com/2\n"
        "   2025-01-02, updated 2025-02-01\n"
        "   snippet 2\n"
    )
    (request,) = searches(api)
    assert request.method == "POST"
    assert request.json() == {"query": "rust web frameworks", "max_results": 2}
    assert request.headers["Authorization"] == f"Bearer {SENTINEL_KEY}"


def test_json_prints_the_response_as_returned(api, cli):
    doc = {
        "id": "s-9",
        "results": [
            {"title": "T", "url": "https://t", "snippet": "s", "date": None, "last_updated": None}
        ],
        "extra": {"k": 1},
    }
    api.search = lambda body: doc
    result = cli("search", "-f", "json", "q")
    assert json.loads(result.stdout) == doc


def test_ndjson_prints_one_result_per_line(api, cli):
    result = cli("search", "-f", "ndjson", "q", "--max-results", "3")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["url"] for line in lines] == [f"https://example.com/{i}" for i in (1, 2, 3)]


def test_several_queries_are_sent_as_a_list_and_answered_with_one_list(api, cli):
    result = cli("search", "--max-results", "3", input="first topic\n\nsecond topic\n")
    assert result.code == 0, result.stderr
    assert searches(api)[0].json()["query"] == ["first topic", "second topic"]
    # One ranked list for the request: numbered once, no per-query headings.
    titles = [line for line in result.stdout.splitlines() if line[:1].isdigit()]
    assert titles == [
        "1. Result 1 for first topic",
        "2. Result 1 for second topic",
        "3. Result 2 for first topic",
    ]
    assert "Results for:" not in result.stdout
    nd = cli("search", "-f", "ndjson", "--max-results", "2", "-", input="a\nb\n")
    lines = [json.loads(line) for line in nd.stdout.splitlines()]
    assert [line["title"] for line in lines] == ["Result 1 for a", "Result 1 for b"]
    assert all("query" not in line for line in lines)


def test_results_grouped_per_query_are_shown_per_query(api, cli):
    def grouped(body):
        return {
            "id": "s",
            "results": [echo_search({**body, "query": q})["results"] for q in body["query"]],
        }

    api.search = grouped
    result = cli("search", "--max-results", "1", input="first topic\nsecond topic\n")
    assert result.code == 0, result.stderr
    assert "Results for: first topic\n1. Result 1 for first topic" in result.stdout
    assert "Results for: second topic\n1. Result 1 for second topic" in result.stdout
    nd = cli("search", "-f", "ndjson", "--max-results", "1", "-", input="a\nb\n")
    assert [json.loads(line)["query"] for line in nd.stdout.splitlines()] == ["a", "b"]


def test_country_is_sent_upper_case(api, cli):
    cli("search", "--country", "de", "q")
    assert searches(api)[0].json()["country"] == "DE"


def test_a_long_snippet_is_shortened_in_text_only(api, cli):
    long = "word " * 200
    api.search = lambda body: {"results": [{"title": "T", "url": "https://t", "snippet": long}]}
    text = cli("search", "q").stdout
    assert max(len(line) for line in text.splitlines()) < 420
    assert text.rstrip().endswith("\u2026")
    assert json.loads(cli("search", "-f", "json", "q").stdout)["results"][0]["snippet"] == long


@pytest.mark.parametrize(
    "args,message",
    [
        (["--max-results", "21", "q"], "--max-results"),
        (["--max-results", "0", "q"], "--max-results"),
        (["--country", "Germany", "q"], "--country"),
        (["-f", "yaml", "q"], "-f/--format"),
        ([], "no query"),
        (["  "], "the query is empty"),
    ],
)
def test_bad_search_arguments_are_exit_2_before_any_request(api, cli, args, message):
    result = cli("search", *args)
    assert result.code == 2
    assert message in result.stderr
    assert api.requests == []


def test_more_than_five_queries_are_refused(api, cli):
    result = cli("search", input="".join(f"q{i}\n" for i in range(6)))
    assert result.code == 2
    assert "at most 5" in result.stderr


@pytest.mark.parametrize(
    "status,code",
    [(401, 3), (400, 4), (422, 4)],
)
def test_api_errors_keep_their_exit_codes(api, cli, status, code):
    api.search = lambda body: Answer(b'{"error":{"message":"nope"}}', status, "application/json")
    result = cli("search", "q")
    assert result.code == code
    assert "nope" in result.stderr


def test_a_body_that_is_not_json_is_exit_8(api, cli):
    api.search = lambda body: Answer(b"<html>", 200, "text/html")
    result = cli("search", "q")
    assert result.code == 8
    assert "not JSON" in result.stderr


def test_no_results_says_so_on_stderr(api, cli):
    api.search = lambda body: {"id": "s", "results": []}
    result = cli("search", "q")
    assert (result.code, result.stdout, result.stderr) == (0, "", "perplex: no results\n")


# The filters are the shared request options; they arrive with the option work.
FILTERS = [
    (["--search-domain", "example.com"], "search_domain_filter", ["example.com"]),
    (
        ["--search-domain", "a.com", "--search-domain", "-b.com"],
        "search_domain_filter",
        ["a.com", "-b.com"],
    ),
    (["--search-recency", "week"], "search_recency_filter", "week"),
    (["--search-after", "2025-01-31"], "search_after_date_filter", "1/31/2025"),
    (["--search-before", "3/4/2025"], "search_before_date_filter", "3/4/2025"),
    (["--updated-after", "2024-12-01"], "last_updated_after_filter", "12/1/2024"),
    (["--updated-before", "2025-02-03"], "last_updated_before_filter", "2/3/2025"),
]


@pytest.mark.parametrize("args,field,value", FILTERS)
def test_search_filters_are_sent_under_their_api_names(api, cli, args, field, value):
    needs_shared_flag(args[0])
    result = cli("search", *args, "q")
    assert result.code == 0, result.stderr
    body = searches(api)[0].json()
    assert body[field] == value
    assert set(body) == {"query", field}


def test_search_takes_no_chat_only_options(api, cli):
    result = cli("search", "-m", "sonar", "q")
    assert result.code == 2
    assert api.requests == []


def test_help_of_batch_search_and_research_imports_no_network_library():
    import subprocess
    import sys

    code = (
        "import sys, contextlib, io\n"
        "from perplex_cli.__main__ import run\n"
        "for args in (['batch', '-h'], ['search', '-h'], ['research', '-h'],"
        " ['research', 'run', '-h']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        assert run(args) == 0\n"
        "print(sorted(m for m in ('requests', 'sseclient', 'rich') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "[]\n"


# search's own options: what the local server received, for each (the query is "q").
OWN = [
    (["--max-results", "20"], {"max_results": 20}),
    (["--country", "de"], {"country": "DE"}),
    (["--max-tokens", "5000"], {"max_tokens": 5000}),
    (["--max-tokens", "1000000"], {"max_tokens": 1_000_000}),
    (["--max-tokens-per-page", "512"], {"max_tokens_per_page": 512}),
    (["--search-language", "en"], {"search_language_filter": ["en"]}),
    (
        ["--search-language", "EN", "--search-language", " de "],
        {"search_language_filter": ["en", "de"]},
    ),
    (["--search-mode", "academic"], {"search_mode": "academic"}),
    (["--search-mode", "SEC"], {"search_mode": "sec"}),
    (["--search-mode", "web"], {"search_mode": "web"}),
    (["--search-context-size", "low"], {"search_context_size": "low"}),
    (["--search-context-size", "High"], {"search_context_size": "high"}),
    (["--search-type", "web"], {"search_type": "web"}),
    (["--search-type", "people"], {"search_type": "people"}),
    (
        ["--search-type", "people", "--max-results", "50"],
        {"search_type": "people", "max_results": 50},
    ),
    (["-o", "display_server_time=true"], {"display_server_time": True}),
    (["-o", "note=not json"], {"note": "not json"}),
    (["-o", "a.b=1", "-o", "a.c=[1, 2]"], {"a": {"b": 1, "c": [1, 2]}}),
    (["--max-tokens", "5", "-o", "max_tokens=100"], {"max_tokens": 100}),
    (["--search-mode", "academic", "-o", "search_mode=web"], {"search_mode": "web"}),
    (["--search-domain", "a.com", "-o", "search_domain_filter=[]"], {"search_domain_filter": []}),
    (["-o", 'query=["x", "y"]'], {"query": ["x", "y"]}),
    (
        ["--search-language", "fr", "--search-domain", "lemonde.fr", "--search-recency", "day"],
        {
            "search_language_filter": ["fr"],
            "search_domain_filter": ["lemonde.fr"],
            "search_recency_filter": "day",
        },
    ),
]


@pytest.mark.parametrize(
    "args,fields", OWN, ids=lambda x: " ".join(x) if isinstance(x, list) else ""
)
def test_search_options_are_sent_under_their_api_names(api, cli, args, fields):
    result = cli("search", *args, "q")
    assert result.code == 0, result.stderr
    assert searches(api)[0].json() == {"query": "q", **fields}


REFUSED = [
    (
        ["--max-results", "21"],
        "--max-results: 21 (must be between 1 and 20; more only with --search-type people)",
    ),
    (["--search-type", "people", "--max-results", "0"], "--max-results: 0 (must be 1 or more)"),
    (["--max-tokens", "0"], "--max-tokens: 0 (must be between 1 and 1000000)"),
    (["--max-tokens", "1000001"], "--max-tokens: 1000001 (must be between 1 and 1000000)"),
    (["--max-tokens", "many"], "'--max-tokens'"),
    (["--max-tokens-per-page", "-3"], "--max-tokens-per-page: -3 (must be between 1 and 1000000)"),
    (["--search-language", "english"], "--search-language: 'english' (an ISO 639-1 code"),
    (["--search-language", "e1"], "--search-language: 'e1'"),
    (
        [arg for code in range(21) for arg in ("--search-language", f"{chr(97 + code)}a")],
        "too many --search-language values: 21 (at most 20)",
    ),
    (["--search-mode", "news"], "--search-mode: 'news' (choose from web, academic, sec)"),
    (
        ["--search-context-size", "huge"],
        "--search-context-size: 'huge' (choose from low, medium, high)",
    ),
    # ask's search depths are not search types of the Search API
    (["--search-type", "pro"], "--search-type: 'pro' (choose from web, people)"),
    (["-o", "display_server_time"], "-o/--option: 'display_server_time' (use KEY=VALUE"),
    (["-o", "a..b=1"], "-o/--option: 'a..b=1'"),
    (
        ["--max-tokens", "5", "-o", "max_tokens.deep=1"],
        "-o max_tokens.deep: max_tokens is a number",
    ),
]


@pytest.mark.parametrize(
    "args,message", REFUSED, ids=lambda x: " ".join(x)[:40] if isinstance(x, list) else ""
)
def test_bad_search_options_are_exit_2_naming_the_option_before_any_request(
    api, cli, args, message
):
    result = cli("search", *args, "q")
    assert result.code == 2, result.stderr
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1 or "Usage:" in result.stderr
    assert api.requests == []


def test_a_bad_option_is_refused_before_the_queries_are_read(api, cli):
    # stdin holds more queries than the API takes: the option is what is named.
    result = cli("search", "--search-mode", "news", input="".join(f"q{i}\n" for i in range(9)))
    assert result.code == 2
    assert "--search-mode" in result.stderr and "at most" not in result.stderr


def test_search_help_lists_the_search_api_values_not_asks():
    from perplex_cli.reference.commandtree import command_tree

    search = {o.long: o for o in command_tree().find(("search",)).options}
    ask = {o.long: o for o in command_tree().find(("ask",)).options}
    assert search["--search-type"].values == ("web", "people")
    assert ask["--search-type"].values == ("fast", "pro", "auto")
    assert search["--search-mode"].values == ("web", "academic", "sec")
    assert search["--search-context-size"].values == ("low", "medium", "high")
    assert {"--max-tokens", "--max-tokens-per-page", "--search-language", "--option"} <= set(search)
    assert search["--option"].names == ("-o", "--option")
