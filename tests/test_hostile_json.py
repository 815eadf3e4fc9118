"""A hostile server's valid JSON: wrong types, deep nesting, NaN and 1e400, huge integers,
lone surrogates. Each ends with its documented exit code, no internal error, the partial
answer kept and the exchange in the log; a fuzzing test mutates recorded events' fields.
"""

from __future__ import annotations

import json
from typing import Any

import agent_streams as agent
import pytest
from fuzzing import fuzzing
from hypothesis import given
from hypothesis import strategies as st
from replay import Reply
from streams import answer, chunk, sse


def strict_json(text: str) -> Any:
    """json.loads that refuses NaN and Infinity, as any strict consumer (jq) does."""

    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def no_internal_error(result) -> None:  # type: ignore[no-untyped-def]
    assert result.code != 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


def logged(cli) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    shown = cli("logs", "show", "-f", "json")
    no_internal_error(shown)
    assert shown.code == 0, shown.stderr
    return strict_json(shown.stdout)  # type: ignore[no-any-return]


def serve(server, reply: Reply) -> None:  # type: ignore[no-untyped-def]
    """The reply for the next request, and every one after (the queue would hand out the
    previous example's reply first)."""
    server.replies[:] = [reply]


def hello_then(*bad: dict[str, Any] | str) -> bytes:
    """A good first chunk ("hello "), then the hostile events, then the end."""
    return sse(chunk("hello "), *bad, chunk("", finish="stop", obj="chat.completion.done"))


WRONG_TYPES = {
    "content a number": (chunk(5), 8),  # type: ignore[arg-type]
    "content a list": (chunk(["a"]), 8),  # type: ignore[arg-type]
    "citations a number": (chunk("x", citations=5), 0),
    "citations of numbers": (chunk("x", citations=[5, {"u": 1}]), 0),
    "search_results a number": (chunk("x", search_results=5), 0),
    "usage a list": (chunk("x", usage=[1]), 0),
    "model a list": (chunk("x", model=[1]), 0),
    "choices of numbers": (chunk("x", choices=[3]), 8),
}


@pytest.mark.parametrize("name", list(WRONG_TYPES))
@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_field_of_the_wrong_type_is_exit_8_or_ignored_never_a_crash(server, cli, name, fmt):
    bad, code = WRONG_TYPES[name]
    server.reply(Reply(body=hello_then(bad)))
    result = cli("--api", "chat", "-f", fmt, "q")
    no_internal_error(result)
    assert result.code == code, result.stderr
    if fmt == "json":
        doc = strict_json(result.stdout)
        assert doc["choices"][0]["message"]["content"].startswith("hello ")
        assert ("error" in doc) == (code != 0)
    else:
        assert result.stdout.startswith("hello ")
    assert logged(cli)["answer"].startswith("hello ")
    assert cli("logs", "show").code == 0


def test_a_field_of_the_wrong_type_without_streaming_keeps_the_document(server, cli):
    doc = {"id": "x", "model": "sonar", "choices": [{"index": 0, "message": "nope"}]}
    server.reply(Reply(body=json.dumps(doc).encode(), content_type="application/json"))
    result = cli("--api", "chat", "--no-stream", "-f", "json", "q")
    no_internal_error(result)
    assert result.code == 8
    assert "wrong type" in result.stderr
    assert strict_json(result.stdout)["choices"][0]["message"] == "nope"


def test_an_agent_event_of_the_wrong_type_is_exit_8_with_the_partial_answer(server, cli):
    body = agent.sse(
        agent.event("response.created", 0, response=agent.response()),
        agent.event("response.output_text.delta", 1, delta="hello "),
        agent.event("response.completed", 2, response={**agent.response(), "output": 7}),
    )
    server.reply(Reply(body=body))
    result = cli("--api", "agent", "-f", "json", "q")
    no_internal_error(result)
    assert result.code == 8, result.stderr
    assert strict_json(result.stdout)["choices"][0]["message"]["content"] == "hello "
    assert logged(cli)["answer"] == "hello "


@pytest.mark.parametrize("depth", [70, 100_000])
def test_deeply_nested_json_is_exit_8_with_the_partial_answer_kept(server, cli, depth):
    deep = json.dumps(chunk("x")).replace(
        '"model"', '"x": ' + "[" * depth + "]" * depth + ', "model"'
    )
    server.reply(Reply(body=hello_then(deep)))
    result = cli("--api", "chat", "-f", "json", "q")
    no_internal_error(result)
    assert result.code == 8
    assert "nested more than 64 levels deep" in result.stderr
    doc = strict_json(result.stdout)
    assert doc["choices"][0]["message"]["content"] == "hello "
    assert doc["error"]["type"] == "protocol_error"
    assert logged(cli)["answer"] == "hello "


@pytest.mark.parametrize("depth", [63, 64])
def test_an_event_64_levels_deep_is_read_and_65_is_exit_8(server, cli, depth):
    # Many sources beside the nested field: more brackets than levels, counted apart.
    sources = [{"title": f"t{i} ]]}}", "url": f"https://s/{i}"} for i in range(80)]
    deep = json.dumps(chunk("x", search_results=sources)).replace(
        '"model"', '"x": ' + "[" * depth + "]" * depth + ', "model"'
    )
    server.reply(Reply(body=hello_then(deep)))
    result = cli("--api", "chat", "-f", "json", "q")
    no_internal_error(result)
    if depth == 63:  # the chunk itself is the first level
        assert result.code == 0, result.stderr
        assert len(strict_json(result.stdout)["search_results"]) == 80
        assert len(logged(cli)["search_results"]) == 80
    else:
        assert result.code == 8
        assert "nested more than 64 levels deep" in result.stderr


def test_nan_infinity_and_1e400_are_read_as_absent(server, cli):
    last = chunk("", finish="stop", obj="chat.completion.done")
    text = json.dumps(last).replace(
        '"prompt_tokens": 5', '"prompt_tokens": NaN, "x": -Infinity, "cost": {"total_cost": 1e400}'
    )
    server.reply(Reply(body=sse(chunk("hi"), text)))
    result = cli("--api", "chat", "-f", "json", "--usage", "q")
    no_internal_error(result)
    assert result.code == 0
    doc = strict_json(result.stdout)  # valid JSON: no NaN, no Infinity
    assert doc["usage"]["prompt_tokens"] is None
    assert doc["usage"]["cost"]["total_cost"] is None
    assert "inf" not in result.stderr and "cost not reported" in result.stderr
    assert logged(cli)["usage"]["prompt_tokens"] is None


def test_a_huge_integer_and_a_lone_surrogate_are_logged_safely(server, cli):
    last = json.dumps(chunk("", finish="stop", obj="chat.completion.done")).replace(
        '"prompt_tokens": 5', '"prompt_tokens": 99999999999999999999999'
    )
    server.reply(Reply(body=sse(json.dumps(chunk("a")).replace('"a"', '"a\\ud800b"'), last)))
    result = cli("--api", "chat", "-f", "json", "q")
    no_internal_error(result)
    assert result.code == 0
    doc = strict_json(result.stdout)
    assert doc["choices"][0]["message"]["content"] == "a\ufffdb"
    assert doc["usage"]["prompt_tokens"] == 99999999999999999999999  # valid JSON: as sent
    row = logged(cli)
    assert row["answer"] == "a\ufffdb"
    assert row["usage"]["prompt_tokens"] is None


def test_logs_show_survives_rows_an_older_version_stored_with_wrong_types(server, cli):
    import sqlite3

    server.reply(Reply(body=sse(*answer("kept"))))
    assert cli("--api", "chat", "q").code == 0
    path = cli("logs", "path").stdout.strip()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE exchanges SET citations = '5', search_results = '\"x\"', "
            "usage = '[1]', images = 'NaN', related_questions = '{}'"
        )
    for fmt in ("text", "json", "ndjson"):
        shown = cli("logs", "show", "-f", fmt)
        no_internal_error(shown)
        assert shown.code == 0
        assert "kept" in shown.stdout
    row = logged(cli)
    assert row["citations"] == [] and not row["usage"] and not row["images"]
    listed = cli("logs", "-f", "json")
    no_internal_error(listed)
    strict_json(listed.stdout)


# Fuzzing: every field of recorded-shape events replaced by a value of another type.
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def paths_of(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in doc, at any depth (the root itself left out)."""
    found = [path] if path else []
    items = (
        doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else []
    )
    for key, value in items:
        found += paths_of(value, (*path, key))
    return found


def replaced(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(doc))
    target: Any = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


def mutations(doc: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """doc with one field, at any depth, replaced by a value of any type."""
    return st.builds(
        lambda path, value: replaced(doc, path, value), st.sampled_from(paths_of(doc)), VALUES
    )


# One value of each JSON type: every field of a document gets each in turn.
EACH_TYPE = [None, 7, "s", [1], {"k": 1}]


CHAT_FIRST = chunk("hello ", citations=["https://a.example"], search_results=[{"url": "u"}])
CHAT_LAST = answer("", finish="stop")[-1]
AGENT_DONE = agent.response(
    "completed",
    output=[agent.message("hi", [{"type": "url_citation", "url": "u"}])],
    usage=agent.USAGE,
)


@fuzzing(80)
@given(
    first=mutations(CHAT_FIRST),
    last=mutations(CHAT_LAST),
    agent_done=mutations(AGENT_DONE),
    api=st.sampled_from(["chat", "agent"]),
    fmt=st.sampled_from(["text", "json", "ndjson"]),
    stream=st.booleans(),
)
def test_fuzzed_server_json_never_causes_an_internal_error(
    server, cli, first, last, agent_done, api, fmt, stream
):
    text = lambda doc: json.dumps(doc, allow_nan=True)  # noqa: E731 - NaN is the point
    if api == "chat" and stream:
        body, ctype = sse(text(first), text(last)), "text/event-stream"
    elif api == "chat":
        body, ctype = text({**first, **last}).encode(), "application/json"
    elif stream:
        body = agent.sse(
            agent.event("response.output_text.delta", 1, delta="hi"),
            ("response.completed", json.loads(text({"response": agent_done}))),
        )
        ctype = "text/event-stream"
    else:
        body, ctype = text(agent_done).encode(), "application/json"
    serve(server, Reply(body=body, content_type=ctype))
    flags = [] if stream else ["--no-stream"]
    result = cli("--api", api, "-f", fmt, "--usage", *flags, "q")
    no_internal_error(result)
    assert result.code in (0, 4, 6, 7, 8), result.stderr
    if fmt == "json" and result.stdout:
        strict_json(result.stdout)
    for line in result.stdout.split("\n")[:-1] if fmt == "ndjson" else []:
        strict_json(line)
    shown = cli("logs", "show", "-f", "json")
    no_internal_error(shown)


SEARCH = {
    "id": "search-1",
    "results": [{"title": "T", "url": "https://a.example", "snippet": "s", "date": "2025-01-01"}],
}


@fuzzing(60)
@given(doc=mutations(SEARCH), fmt=st.sampled_from(["text", "json", "ndjson"]))
def test_fuzzed_search_json_never_causes_an_internal_error(server, cli, doc, fmt):
    body = json.dumps(doc, allow_nan=True).encode()
    serve(server, Reply(body=body, content_type="application/json"))
    result = cli("search", "-f", fmt, "q")
    no_internal_error(result)
    assert result.code in (0, 8), result.stderr
    for line in result.stdout.split("\n")[:-1] if fmt == "ndjson" else []:
        strict_json(line)
    if fmt == "json":
        strict_json(result.stdout)


JOB = {
    "id": "job-1",
    "model": "sonar-deep-research",
    "status": "COMPLETED",
    "created_at": 1780000000,
    "response": {
        "id": "r1",
        "model": "sonar-deep-research",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "deep"}}],
        "citations": ["https://a.example"],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
    },
}


@fuzzing(40)
@given(job=mutations(JOB), fmt=st.sampled_from(["text", "json", "ndjson"]))
def test_fuzzed_research_jobs_never_cause_an_internal_error(server, cli, job, fmt):
    body = json.dumps(job, allow_nan=True).encode()
    for args in (["wait", "--interval", "0.01", "--max-wait", "1", "-f", fmt], ["status"]):
        serve(server, Reply(body=body, content_type="application/json"))
        result = cli("research", args[0], "--api", "chat", *args[1:], "job-1")
        no_internal_error(result)
        assert result.code in (0, 6, 7, 8), result.stderr
        if fmt == "json" and result.stdout and args[0] == "wait":
            strict_json(result.stdout)


MODELS = {
    "object": "list",
    "data": [
        {
            "id": "openai/gpt-5.5",
            "object": "model",
            "owned_by": "openai",
            "pricing": {"unit": "usd_per_1m_tokens", "input": 1.25, "output": 10},
        }
    ],
}


SWEEPS = {
    "chat stream": (CHAT_FIRST, ["--api", "chat"], "text/event-stream"),
    "agent response": (AGENT_DONE, ["--api", "agent", "--no-stream"], "application/json"),
    "search": (SEARCH, ["search"], "application/json"),
    "model list": (MODELS, ["models", "--api", "agent"], "application/json"),
}


@pytest.mark.parametrize("name", list(SWEEPS))
def test_every_field_of_every_type_never_causes_an_internal_error(server, cli, name):
    doc, args, ctype = SWEEPS[name]
    for path in paths_of(doc):
        for value in EACH_TYPE:
            bad = replaced(doc, path, value)
            body = sse(bad, CHAT_LAST) if name == "chat stream" else json.dumps(bad).encode()
            serve(server, Reply(body=body, content_type=ctype))
            result = cli(*args, "q") if name != "model list" else cli(*args)
            assert "internal error" not in result.stderr, (path, value, result.stderr)
            assert result.code in (0, 4, 6, 7, 8), (path, value, result.stderr)
