"""Which API answers, and the agent request body each option makes (or the refusal)."""

from __future__ import annotations

import json

import pytest
from agent_recordings import LLM_OPTIONS, STREAMS, cassette
from replay import Reply

from perplex_cli.api.agent_request import (
    ANTHROPIC_MAX_OUTPUT_TOKENS,
    REFUSED,
    agent_input,
    build_agent_body,
    validate_agent,
)
from perplex_cli.errors import UsageError
from perplex_cli.request.options import Options
from perplex_cli.request.settings import resolve

PROMPT = [{"role": "user", "content": "why"}]


def body_for(**given):
    """The body build_agent_body makes for options given by field name (also ones this
    build does not define yet: they are read with getattr)."""
    opts = Options()
    for name, value in given.items():
        setattr(opts, name, value)
    validate_agent(opts)
    settings = resolve(opts)
    return build_agent_body(PROMPT, settings.options, settings, stream=True)


BASE = {"preset": "fast", "input": "why", "stream": True}


def web_search(**tool):
    return {"tools": [{"type": "web_search", **tool}]}


ROWS = [
    ({"max_tokens": 50}, {"max_output_tokens": 50}),
    ({"temperature": 0.5}, {"temperature": 0.5}),
    ({"top_p": 0.9}, {"top_p": 0.9}),
    ({"language": "de"}, {"language_preference": "de"}),
    ({"reasoning_effort": "low"}, {"reasoning": {"effort": "low"}}),
    (
        {"json_schema": {"type": "object"}},
        {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": {"type": "object"}},
            }
        },
    ),
    (
        {"search_domain": ["a.com", "-b.com"]},
        web_search(filters={"search_domain_filter": ["a.com", "-b.com"]}),
    ),
    ({"search_domain": "a.com"}, web_search(filters={"search_domain_filter": ["a.com"]})),
    ({"search_recency": "week"}, web_search(filters={"search_recency_filter": "week"})),
    (
        {"search_after": "2026-03-07"},
        web_search(filters={"search_after_date_filter": "03/07/2026"}),
    ),
    (
        {"search_before": "3/7/2026"},
        web_search(filters={"search_before_date_filter": "03/07/2026"}),
    ),
    (
        {"updated_after": "2026-01-02"},
        web_search(filters={"last_updated_after_filter": "01/02/2026"}),
    ),
    (
        {"updated_before": "12/31/2025"},
        web_search(filters={"last_updated_before_filter": "12/31/2025"}),
    ),
    ({"search_context_size": "high"}, web_search(search_context_size="high")),
    (
        {"location": "48.85,2.35,fr"},
        web_search(user_location={"latitude": 48.85, "longitude": 2.35, "country": "FR"}),
    ),
    ({"location": "48.85, 2.35"}, web_search(user_location={"latitude": 48.85, "longitude": 2.35})),
    ({"no_search": True}, {"max_tool_calls": 0}),
    (
        {"option": ["max_steps=3", "reasoning.effort=high", "note=plain text"]},
        {"max_steps": 3, "reasoning": {"effort": "high"}, "note": "plain text"},
    ),
    ({"option": ["stream=false"]}, {"stream": False}),
]


@pytest.mark.parametrize("given,added", ROWS, ids=[",".join(given) for given, _ in ROWS])
def test_each_option_lands_where_the_agent_api_expects_it(given, added):
    assert body_for(**given) == {**BASE, **added}


def test_search_options_share_one_web_search_tool():
    body = body_for(search_domain=["a.com"], search_recency="day", search_context_size="low")
    assert body["tools"] == [
        {
            "type": "web_search",
            "filters": {"search_domain_filter": ["a.com"], "search_recency_filter": "day"},
            "search_context_size": "low",
        }
    ]


def test_the_recorded_request_that_the_api_accepted_is_what_the_options_make():
    sent = json.loads(cassette(LLM_OPTIONS)["request"]["body"])
    ours = body_for(
        search_domain=["simonwillison.net"],
        search_recency="year",
        search_context_size="low",
        reasoning_effort="low",
        max_tokens=200,
        option=["stream=false"],
    )
    del sent["input"], ours["input"]  # the recording sent bare {role, content} items
    assert ours == sent


@pytest.mark.parametrize("name,flag", REFUSED)
def test_options_with_no_agent_equivalent_are_refused_by_name(name, flag):
    with pytest.raises(UsageError, match=flag):
        body_for(**{name: ["x"] if name in ("stop", "image_domain", "image_format") else "x"})


def test_every_refused_option_given_is_named_at_once():
    opts = Options(search_mode="academic", images=True)
    with pytest.raises(UsageError, match="--search-mode, --images: not available on the agent API"):
        validate_agent(opts)


def test_a_flag_that_was_not_given_is_not_refused():
    assert body_for(images=False, stop=[]) == BASE


def test_no_search_leaves_out_the_web_search_tool_of_a_direct_model():
    assert "tools" not in body_for(model="openai/gpt-5.5", no_search=True)
    assert body_for(model="openai/gpt-5.5")["tools"] == [{"type": "web_search"}]
    assert "tool_choice" not in body_for(model="openai/gpt-5.5", no_search=True)


def test_no_search_with_a_search_filter_is_a_usage_error():
    with pytest.raises(UsageError, match="--no-search cannot be combined with --search-domain"):
        body_for(no_search=True, search_domain=["a.com"])


@pytest.mark.parametrize(
    "given,words",
    [
        ({"search_after": "yesterday"}, "--search-after"),
        ({"location": "north"}, "--location"),
        ({"json_schema": "/nonexistent/schema.json"}, "--json-schema"),
        ({"option": ["no-equals-sign"]}, "-o/--option"),
        ({"preset": "two words"}, "--preset"),
    ],
)
def test_bad_values_are_usage_errors_naming_the_option(given, words):
    with pytest.raises(UsageError, match=words):
        body_for(**given)


def test_json_schema_is_read_from_a_file(tmp_path):
    path = tmp_path / "schema.json"
    path.write_text('{"type": "object", "properties": {"city": {"type": "string"}}}')
    schema = body_for(json_schema=str(path))["response_format"]["json_schema"]
    assert schema == {
        "name": "answer",
        "schema": {"type": "object", "properties": {"city": {"type": "string"}}},
    }


def test_anthropic_models_get_a_max_output_tokens_unless_given():
    assert (
        body_for(model="anthropic/claude-sonnet-4-6")["max_output_tokens"]
        == ANTHROPIC_MAX_OUTPUT_TOKENS
    )
    assert body_for(model="anthropic/claude-sonnet-4-6", max_tokens=100)["max_output_tokens"] == 100
    assert "max_output_tokens" not in body_for(model="openai/gpt-5.5")
    fallback = body_for(option=['models=["openai/gpt-5.5","anthropic/claude-haiku-4-5"]'])
    assert fallback["max_output_tokens"] == ANTHROPIC_MAX_OUTPUT_TOKENS


def test_earlier_turns_become_message_items_and_system_the_instructions():
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "capital of France?"},
        {"role": "assistant", "content": "Paris.[1]"},
        {"role": "user", "content": "and of Italy?"},
    ]
    assert agent_input(messages) == (
        "be brief",
        [
            {"type": "message", "role": "user", "content": "capital of France?"},
            {"type": "message", "role": "assistant", "content": "Paris.[1]"},
            {"type": "message", "role": "user", "content": "and of Italy?"},
        ],
    )
    assert agent_input(messages[1:2]) == (None, "capital of France?")


def test_content_parts_become_input_parts_and_unsendable_ones_are_refused():
    parts = [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
    ]
    assert agent_input([{"role": "user", "content": parts}]) == (
        None,
        [
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "what is this?"},
                    {"type": "input_image", "image_url": "https://example.com/a.png"},
                ],
            }
        ],
    )
    local = [{"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 4000}}]
    with pytest.raises(UsageError, match="2048"):
        agent_input([{"role": "user", "content": local}])
    with pytest.raises(UsageError, match="file_url"):
        agent_input([{"role": "user", "content": [{"type": "file_url", "file_url": {"url": "x"}}]}])


# --- through the command line -------------------------------------------------------------


@pytest.fixture
def agent_ok(server):
    server.reply(Reply(body=STREAMS["llm-perplexity"]))
    return server


def test_the_request_carries_key_preset_input_instructions_and_stream(agent_ok, cli, env):
    result = cli(
        "--api",
        "agent",
        "-s",
        "be brief",
        "--max-tokens",
        "50",
        "--temperature",
        "0.5",
        "why",
        "blue",
    )
    assert result.code == 0, result.stderr
    [req] = agent_ok.requests
    assert (req.method, req.path) == ("POST", "/v1/agent")
    assert req.headers["authorization"] == "Bearer " + env["PERPLEXITY_API_KEY"]
    assert req.headers["accept"] == "text/event-stream"
    assert req.json() == {
        "preset": "fast",
        "input": "why blue",
        "instructions": "be brief",
        "max_output_tokens": 50,
        "temperature": 0.5,
        "stream": True,
    }


WEB = {"type": "web_search"}
SEARCHING = {"tools": [WEB], "tool_choice": WEB}  # a named model, made to search
PRESET_ONLY = {"model": None, "tools": None, "tool_choice": None}

# The engine each choice sends (Perplexity's Sonar -> Agent API migration mapping); a
# key mapped to None must be absent from the body.
ENGINES = [
    ([], "/v1/agent", {"preset": "fast", **PRESET_ONLY}),
    (["-m", "sonar"], "/v1/agent", {"model": "perplexity/sonar", "preset": None, **SEARCHING}),
    (["-m", "sonar-pro"], "/v1/agent", {"preset": "low", **PRESET_ONLY}),
    (["-m", "sonar-reasoning-pro"], "/v1/agent", {"preset": "low", **PRESET_ONLY}),
    (["-m", "sonar-reasoning"], "/v1/agent", {"preset": "low", **PRESET_ONLY}),
    (["-m", "sonar-deep-research"], "/v1/agent", {"preset": "medium", **PRESET_ONLY}),
    (["-m", "openai/gpt-5.5"], "/v1/agent", {"model": "openai/gpt-5.5", **SEARCHING}),
    (["-m", "perplexity/sonar"], "/v1/agent", {"model": "perplexity/sonar", **SEARCHING}),
    (["--api", "agent"], "/v1/agent", {"preset": "fast", **PRESET_ONLY}),
    (["--preset", "low"], "/v1/agent", {"preset": "low", **PRESET_ONLY}),
    (["--preset", "fast@2026-10-16.0"], "/v1/agent", {"preset": "fast@2026-10-16.0"}),
    (
        ["--preset", "high", "-m", "openai/gpt-5.5"],
        "/v1/agent",
        {"preset": "high", "model": "openai/gpt-5.5", "tools": None, "tool_choice": None},
    ),
    (["--preset", "high", "-m", "sonar-pro"], "/v1/agent", {"preset": "high", **PRESET_ONLY}),
    (
        ["-m", "openai/gpt-5.5", "--no-search"],
        "/v1/agent",
        {"model": "openai/gpt-5.5", "tools": None, "tool_choice": None, "max_tool_calls": None},
    ),
    (["--no-search"], "/v1/agent", {"preset": "fast", "tools": None, "max_tool_calls": 0}),
    (
        ["-m", "openai/gpt-5.5", "--search-recency", "week"],
        "/v1/agent",
        {
            "tools": [{"type": "web_search", "filters": {"search_recency_filter": "week"}}],
            "tool_choice": WEB,
        },
    ),
    (
        ["--search-recency", "week"],
        "/v1/agent",
        {
            "preset": "fast",
            "tools": [{"type": "web_search", "filters": {"search_recency_filter": "week"}}],
            "tool_choice": None,
        },
    ),
    (
        ["-m", "openai/gpt-5.5", "-o", 'tool_choice="auto"'],
        "/v1/agent",
        {"tool_choice": "auto", "tools": [WEB]},
    ),
    (
        ["-m", "anthropic/claude-sonnet-4-6"],
        "/v1/agent",
        {
            "model": "anthropic/claude-sonnet-4-6",
            "max_output_tokens": ANTHROPIC_MAX_OUTPUT_TOKENS,
            **SEARCHING,
        },
    ),
    (["--reasoning-effort", "xhigh"], "/v1/agent", {"reasoning": {"effort": "xhigh"}}),
    (["--reasoning-effort", "MAX"], "/v1/agent", {"reasoning": {"effort": "max"}}),
    (["--api", "chat"], "/chat/completions", {"model": "sonar", "preset": None}),
    (["--api", "chat", "-m", "sonar-pro"], "/chat/completions", {"model": "sonar-pro"}),
    (
        ["--api", "chat", "-m", "openai/gpt-5.5"],
        "/chat/completions",
        {"model": "openai/gpt-5.5", "tools": None},
    ),
    (
        ["--api", "chat", "--reasoning-effort", "high"],
        "/chat/completions",
        {"reasoning_effort": "high"},
    ),
]


@pytest.mark.parametrize("args,path,engine", ENGINES, ids=[" ".join(a) for a, _, _ in ENGINES])
def test_the_api_and_engine_follow_the_flags_and_the_migration_mapping(
    server, cli, args, path, engine
):
    server.reply(Reply(body=b"data: {}\n\n"))  # the answer does not matter here
    cli(*args, "q")
    [req] = server.requests
    assert req.path == path
    body = req.json()
    assert {k: body.get(k) for k in engine} == engine


@pytest.mark.parametrize(
    "args,words",
    [
        (["--api", "chat", "--preset", "fast"], "--preset needs the agent API (--api chat)"),
        (
            ["--api", "chat", "--reasoning-effort", "xhigh"],
            "invalid value for --reasoning-effort: 'xhigh' on the chat API",
        ),
        (["--api", "chat", "--reasoning-effort", "max"], "max needs the agent API"),
        (["--reasoning-effort", "extreme"], "invalid value for --reasoning-effort: 'extreme'"),
        (["--api", "responses"], "invalid value for --api: 'responses' (choose from chat, agent)"),
        (["--preset", "no way"], "invalid value for --preset"),
    ],
)
def test_impossible_api_choices_are_usage_errors_before_any_request(server, cli, args, words):
    result = cli(*args, "q")
    assert result.code == 2
    assert words in result.stderr
    assert server.requests == []
