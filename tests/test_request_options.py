"""Every request option (docs/request-options.md): the field the API receives, and --dry-run.

Each case names the flags and the fields they add to the minimal body; the body the local
server received must be exactly the minimal body plus those fields (nothing else), and
`--dry-run` must show that same body without sending anything.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import SENTINEL_KEY
from replay import Reply
from streams import answer, sse

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


def base(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": "sonar",
        "messages": [{"role": "user", "content": "q"}],
        "stream": True,
    }
    body.update(fields)
    return body


# (flags, the fields they add; "$SCHEMA" in flags is replaced by a schema file's path)
CASES: list[tuple[list[str], dict[str, Any]]] = [
    (["-m", "sonar-pro"], {"model": "sonar-pro"}),
    (["--model", "sonar-next-2030"], {"model": "sonar-next-2030"}),  # unknown: sent as given
    (
        ["-s", "be brief"],
        {"messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "q"}]},
    ),
    (["--max-tokens", "50"], {"max_tokens": 50}),
    (["--temperature", "0"], {"temperature": 0.0}),
    (["--temperature", "2"], {"temperature": 2.0}),
    (["--top-p", "0.9"], {"top_p": 0.9}),
    (["--top-p", "1"], {"top_p": 1.0}),
    (["--stop", "END"], {"stop": "END"}),
    (["--stop", "END", "--stop", "\n\n"], {"stop": ["END", "\n\n"]}),
    (["--search-domain", "nature.com"], {"search_domain_filter": ["nature.com"]}),
    (
        [
            "--search-domain",
            "https://www.Nature.com/articles?x=1",
            "--search-domain",
            "-reddit.com",
        ],
        {"search_domain_filter": ["nature.com", "-reddit.com"]},
    ),
    (
        ["--search-domain", "-http://www.pinterest.com:443/"],
        {"search_domain_filter": ["-pinterest.com"]},
    ),
    # a value starting with -h is the option's value, not the root's -h/--help
    (["--search-domain", "-huffpost.com"], {"search_domain_filter": ["-huffpost.com"]}),
    (["--search-recency", "week"], {"search_recency_filter": "week"}),
    (["--search-recency", "Hour"], {"search_recency_filter": "hour"}),
    (["--search-after", "2025-03-01"], {"search_after_date_filter": "3/1/2025"}),
    (["--search-before", "12/31/2024"], {"search_before_date_filter": "12/31/2024"}),
    (
        ["--search-after", "03/05/2025", "--search-before", "2025-3-6"],
        {"search_after_date_filter": "3/5/2025", "search_before_date_filter": "3/6/2025"},
    ),
    (["--updated-after", "2024-02-29"], {"last_updated_after_filter": "2/29/2024"}),
    (["--updated-before", "1/2/2025"], {"last_updated_before_filter": "1/2/2025"}),
    (
        ["--search-recency", "month", "--updated-after", "2025-01-01"],
        {"search_recency_filter": "month", "last_updated_after_filter": "1/1/2025"},
    ),
    (["--search-mode", "academic"], {"search_mode": "academic"}),
    (["--search-mode", "sec"], {"search_mode": "sec"}),
    (["--search-context-size", "high"], {"web_search_options": {"search_context_size": "high"}}),
    (["--search-type", "pro"], {"web_search_options": {"search_type": "pro"}}),
    (
        ["--location", "48.85,2.35,fr"],
        {
            "web_search_options": {
                "user_location": {"latitude": 48.85, "longitude": 2.35, "country": "FR"}
            }
        },
    ),
    (
        ["--location", "-33.9,151.2"],
        {"web_search_options": {"user_location": {"latitude": -33.9, "longitude": 151.2}}},
    ),
    (
        ["--search-context-size", "low", "--search-type", "auto", "--location", "0,0,US"],
        {
            "web_search_options": {
                "search_context_size": "low",
                "search_type": "auto",
                "user_location": {"latitude": 0.0, "longitude": 0.0, "country": "US"},
            }
        },
    ),
    (["--language", "DE"], {"language_preference": "de"}),
    (["--images"], {"return_images": True}),
    (["--image-domain", "wikimedia.org"], {"image_domain_filter": ["wikimedia.org"]}),
    (
        ["--image-domain", "-gettyimages.com", "--image-domain", "www.flickr.com"],
        {"image_domain_filter": ["-gettyimages.com", "flickr.com"]},
    ),
    (["--image-format", "png"], {"image_format_filter": ["png"]}),
    (["--image-format", "gif", "--image-format", "WEBP"], {"image_format_filter": ["gif", "webp"]}),
    (["--related-questions"], {"return_related_questions": True}),
    (["--reasoning-effort", "minimal"], {"reasoning_effort": "minimal"}),
    (["--no-search"], {"disable_search": True}),
    (
        ["--json-schema", "$SCHEMA"],
        {"response_format": {"type": "json_schema", "json_schema": {"schema": SCHEMA}}},
    ),
    (["--stream-mode", "full"], {"stream_mode": "full"}),
    (["--stream-mode", "concise"], {"stream_mode": "concise"}),
    (["-o", "top_k=5"], {"top_k": 5}),
    (["-o", "note=hello world"], {"note": "hello world"}),
    (
        ["-o", "flag=true", "-o", "none=null", "-o", 'obj={"a": [1, 2]}', "-o", "num=NaN"],
        {"flag": True, "none": None, "obj": {"a": [1, 2]}, "num": "NaN"},
    ),
    (
        ["-o", "web_search_options.search_context_size=high"],
        {"web_search_options": {"search_context_size": "high"}},
    ),
    (
        [
            "--search-context-size",
            "low",
            "--search-type",
            "fast",
            "-o",
            "web_search_options.search_context_size=high",
        ],
        {"web_search_options": {"search_context_size": "high", "search_type": "fast"}},
    ),
    (["--temperature", "0.1", "-o", "temperature=1.5"], {"temperature": 1.5}),
    (["-o", "a.b.c=1"], {"a": {"b": {"c": 1}}}),
    (["-o", "model=sonar-pro", "-m", "sonar"], {"model": "sonar-pro"}),
]


def case_id(case: tuple[list[str], dict[str, Any]]) -> str:
    return " ".join(case[0])[:60]


@pytest.fixture
def schema_file(tmp_path: Path) -> str:
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(SCHEMA))
    return str(path)


def argv(flags: list[str], schema_file: str) -> list[str]:
    return [schema_file if f == "$SCHEMA" else f for f in flags]


@pytest.mark.parametrize("flags,fields", CASES, ids=[case_id(c) for c in CASES])
def test_each_flag_sends_exactly_its_field(server, cli, schema_file, flags, fields):
    server.reply(Reply(body=sse(*answer("ok"))))
    result = cli(*argv(flags, schema_file), "q")
    assert result.code == 0, result.stderr
    [request] = server.requests
    assert request.json() == base(**fields)


@pytest.mark.parametrize("flags,fields", CASES, ids=[case_id(c) for c in CASES])
def test_dry_run_shows_the_same_body_and_sends_nothing(server, cli, schema_file, flags, fields):
    result = cli("--dry-run", *argv(flags, schema_file), "q")
    assert result.code == 0, result.stderr
    assert server.requests == []
    _, blank, body = result.stdout.partition("\n\n")
    assert blank and json.loads(body) == base(**fields)


def test_dry_run_prints_method_url_and_headers_with_the_key_masked(server, cli):
    result = cli("--dry-run", "q")
    lines = result.stdout.split("\n\n")[0].splitlines()
    assert lines[0] == f"POST {server.url}/chat/completions"
    headers = dict(line.split(": ", 1) for line in lines[1:])
    assert headers["Authorization"] == "Bearer ***"
    assert headers["Content-Type"] == "application/json"
    assert headers["Accept"] == "text/event-stream"
    assert SENTINEL_KEY not in result.stdout + result.stderr
    assert server.requests == []


def test_dry_run_works_without_a_key(server, cli, monkeypatch):
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    result = cli("--dry-run", "q")
    assert result.code == 0, result.stderr
    assert "Authorization: Bearer ***" in result.stdout
    assert server.requests == []


def test_dry_run_masks_the_key_even_inside_the_body(server, cli):
    result = cli("--dry-run", "-o", f"note={SENTINEL_KEY}", "q")
    assert result.code == 0
    assert SENTINEL_KEY not in result.stdout
    assert json.loads(result.stdout.split("\n\n", 1)[1])["note"] == "***"


def test_dry_run_leaves_a_prompt_that_mentions_bearer_alone(server, cli):
    result = cli("--dry-run", "what is a Bearer token")
    body = json.loads(result.stdout.split("\n\n", 1)[1])
    assert body["messages"][0]["content"] == "what is a Bearer token"


@pytest.mark.parametrize("fmt", ["json", "ndjson"])
def test_dry_run_as_one_json_document(server, cli, fmt):
    result = cli("--dry-run", "-f", fmt, "--no-stream", "--search-recency", "day", "q")
    assert result.code == 0, result.stderr
    assert len(result.stdout.splitlines()) == (
        1 if fmt == "ndjson" else len(result.stdout.splitlines())
    )
    doc = json.loads(result.stdout)
    assert doc["method"] == "POST"
    assert doc["url"] == f"{server.url}/chat/completions"
    assert doc["headers"]["Authorization"] == "Bearer ***"
    assert doc["headers"]["Accept"] == "application/json"
    assert doc["body"] == base(stream=False, search_recency_filter="day")
    assert server.requests == []


# flag -> what its help must name: the API field and the allowed values
HELP = {
    "--model": ["[model]", "sonar-pro", "sent as given"],
    "--max-tokens": ["[max_tokens]", "> 0"],
    "--temperature": ["[temperature]", "0..2"],
    "--top-p": ["[top_p]", "0..1"],
    "--stop": ["[stop]"],
    "--search-domain": ["[search_domain_filter]", "at most 20", "'-'"],
    "--search-recency": ["[search_recency_filter]", "hour, day, week, month, year"],
    "--search-after": ["[search_after_date_filter]", "YYYY-MM-DD or M/D/YYYY"],
    "--search-before": ["[search_before_date_filter]", "YYYY-MM-DD or M/D/YYYY"],
    "--updated-after": ["[last_updated_after_filter]", "YYYY-MM-DD or M/D/YYYY"],
    "--updated-before": ["[last_updated_before_filter]", "YYYY-MM-DD or M/D/YYYY"],
    "--search-mode": ["[search_mode]", "web, academic, sec"],
    "--search-context-size": ["[web_search_options.search_context_size]", "low, medium, high"],
    "--search-type": ["[web_search_options.search_type]", "fast, pro, auto"],
    "--location": ["[web_search_options.user_location]", "LAT,LON[,CC]"],
    "--language": ["[language_preference]", "ISO 639-1"],
    "--images": ["[return_images"],
    "--image-domain": ["[image_domain_filter]", "at most 10"],
    "--image-format": ["[image_format_filter]", "gif, jpg, png, webp"],
    "--related-questions": ["[return_related_questions"],
    "--reasoning-effort": ["[reasoning_effort]", "minimal, low, medium, high"],
    "--no-search": ["[disable_search"],
    "--json-schema": ["[response_format"],
    "--stream-mode": ["[stream_mode]", "full, concise"],
    "--option": ["KEY=VALUE", "JSON", "dotted keys", "overrides"],
    "--attach": ["png, jpeg, webp, gif", "pdf, doc, docx, txt, rtf", "50 MB"],
    "--no-stream": ["[stream: false]"],
    "--dry-run": ["send nothing"],
}


def help_entries(text: str) -> dict[str, str]:
    """Option flag -> its help text, joined across the wrapped lines."""
    entries: dict[str, str] = {}
    flags: list[str] = []
    for line in text.splitlines():
        if line.startswith("  -"):
            flags = [
                w.rstrip(",")
                for w in itertools.takewhile(lambda w: w.startswith("-"), line.split())
            ]
        elif not line.startswith("      "):
            flags = []
        for flag in flags:
            entries[flag] = entries.get(flag, "") + " " + line.strip()
    return entries


def test_ask_help_lists_every_option_with_its_api_field_and_values(cli):
    result = cli("ask", "--help")
    assert result.code == 0
    entries = help_entries(result.stdout)
    for flag, words in HELP.items():
        assert flag in entries, flag
        for word in words:
            assert word in entries[flag], (flag, word)
