"""Every option `perplex batch --help` lists is honoured or refused by name, on both APIs.

The flags come from the batch command itself (what --help lists), not from a list here:
a flag without a row in `ROWS` fails, so a new option cannot be added to batch and then
be accepted and dropped. Each row runs the CLI against the local API server and checks
that the option shows in the request the server received or in the output, or that it is
refused with exit 2 naming it.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
from apiserver import Answer, ApiServer, echo_answer, prompt_of
from conftest import SENTINEL_KEY
from test_batch import chat_unless_told, lines_of  # noqa: F401 (an autouse fixture)
from test_retries import unaccepting_port  # noqa: F401 (a fixture, used by name)

from perplex_cli.reference.commandtree import root_command

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}}
FILE_KEY = "pplx-test-FROMFILE-0123456789abcdef"
REFUSED = "refused"


def batch_flags() -> list[str]:
    """Every flag of the batch command, as --help lists them (both sides of a/--no-a)."""
    root = root_command()
    top = click.Context(root, **root.context_settings)
    command = root.get_command(top, "batch")  # type: ignore[attr-defined]
    ctx = click.Context(command, parent=top, **command.context_settings)
    return [
        flag
        for param in command.get_params(ctx)
        if isinstance(param, click.Option)
        for flag in [*param.opts, *param.secondary_opts]
    ]


@dataclass
class Case:
    """What a row gets: the CLI, the server, a scratch directory, the test's fixtures."""

    cli: Callable[..., Any]
    api: ApiServer
    tmp: Path
    fixture: Callable[[str], Any]

    def prompts(self, count: int = 1) -> str:
        path = self.tmp / "prompts.txt"
        path.write_text("".join(f"prompt {i}\n" for i in range(count)))
        return str(path)

    def run(self, *args: str, count: int = 1) -> Any:
        return self.cli("batch", *args, self.prompts(count))

    def ok(self, *args: str, count: int = 1) -> list[dict[str, Any]]:
        result = self.run(*args, count=count)
        assert result.code == 0, result.stderr
        return lines_of(result.stdout)

    def body(self, which: str, *args: str) -> dict[str, Any]:
        """The one request `batch --api WHICH ARGS` sent, after a successful answer."""
        self.api.requests.clear()
        self.ok("--api", which, *args)
        [request] = self.api.requests
        assert request.path == ("/v1/agent" if which == "agent" else "/chat/completions")
        return request.json()  # type: ignore[no-any-return]


def at(doc: Any, path: str) -> Any:
    for part in path.split("."):
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def refused(case: Case, flag: str, *args: str) -> None:
    result = case.run(*args)
    assert result.code == 2, result.stderr
    assert flag in result.stderr
    assert case.api.requests == []


def request(
    args: list[str], chat: tuple[str, Any] | str, agent: tuple[str, Any] | str
) -> Callable[[Case, str], None]:
    """A request option: where its value lands in the body on each API, or REFUSED."""

    def check(case: Case, flag: str) -> None:
        for which, expected in (("chat", chat), ("agent", agent)):
            argv = [
                case.tmp.joinpath("schema.json").as_posix() if a == "$SCHEMA" else a for a in args
            ]
            if expected == REFUSED:
                case.api.requests.clear()
                refused(case, flag, "--api", which, *argv)
                continue
            path, value = expected
            body = case.body(which, *argv)
            if callable(value):
                assert value(body), (which, body)
            else:
                assert at(body, path) == value, (which, body)

    return check


def output(check: Callable[[Case], None]) -> Callable[[Case, str], None]:
    return lambda case, flag: check(case)


def _refused_row(*args: str) -> Callable[[Case, str], None]:
    return lambda case, flag: refused(case, flag, *args)


def _no_tools(body: dict[str, Any]) -> bool:
    return "web_search" not in json.dumps(body.get("tools")) or body.get("max_tool_calls") == 0


def _image_part(body: dict[str, Any]) -> bool:
    parts = body["messages"][-1]["content"] if "messages" in body else body["input"][-1]["content"]
    return any("image" in part["type"] for part in parts)


# --- the checks of the options that are not request fields --------------------------


def _concurrency(case: Case) -> None:
    case.api.chat = lambda r, n: Answer(echo_answer(r, n).body, delay=0.1)
    case.ok("-j", "1", count=3)
    starts = sorted(r.at for r in case.api.requests)
    assert all(b - a >= 0.09 for a, b in itertools.pairwise(starts)), "-j 1 ran two at once"


def _ordered(case: Case) -> None:
    case.api.chat = lambda r, n: Answer(
        echo_answer(r, n).body, delay=0.2 if prompt_of(r) == "prompt 0" else 0
    )
    assert [r["index"] for r in case.ok("--ordered", "-j", "3", count=3)] == [0, 1, 2]


def _output(case: Case) -> None:
    out = case.tmp / "out.ndjson"
    assert case.ok("--output", str(out), count=2) == []
    assert sorted(r["id"] for r in lines_of(out.read_text())) == [0, 1]


def _resume(case: Case) -> None:
    out = case.tmp / "out.ndjson"
    out.write_text('{"id": 0, "status": "ok"}\n')
    case.ok("--output", str(out), "--resume", count=2)
    assert [prompt_of(r.json()) for r in case.api.requests] == ["prompt 1"]


def _rate(case: Case) -> None:
    case.ok("--rate", "10", count=3)
    starts = sorted(r.at for r in case.api.requests)
    assert starts[-1] - starts[0] >= 0.18, "--rate 10 started 3 requests within 0.2 s"


def _format(case: Case) -> None:
    assert len(case.ok("-f", "ndjson", count=2)) == 2
    case.api.requests.clear()
    refused(case, "-f/--format", "-f", "json")


def _dry_run(case: Case) -> None:
    [line] = case.ok("--dry-run")
    assert (line["method"], line["body"]["messages"][-1]["content"]) == ("POST", "prompt 0")
    assert case.api.requests == []


def _reasoning(shown: bool) -> Callable[[Case], None]:
    def check(case: Case) -> None:
        flag = "--reasoning" if shown else "--no-reasoning"
        assert all(("reasoning" in r) is shown for r in case.ok("--api", "agent", flag))

    return check


def _citations(listed: bool) -> Callable[[Case], None]:
    def check(case: Case) -> None:
        [line] = case.ok("--citations" if listed else "--no-citations")
        assert ("citations" in line["completion"]) is listed

    return check


def _quiet(quiet: bool) -> Callable[[Case], None]:
    def check(case: Case) -> None:
        case.api.chat = lambda r, n: (
            Answer(b"{}", 429, "application/json", {"Retry-After": "0.01"})
            if n == 1
            else echo_answer(r, n)
        )
        result = case.cli("batch", "-q" if quiet else "--no-quiet", case.prompts())
        assert result.code == 0
        assert ("retrying" in result.stderr) is not quiet

    return check


def _usage(shown: bool) -> Callable[[Case], None]:
    def check(case: Case) -> None:
        result = case.run("--usage" if shown else "--no-usage")
        assert result.code == 0
        assert result.stderr.startswith("perplex: usage: 1 answer, ") is shown

    return check


def _no_color(case: Case) -> None:
    """On a terminal, --no-color leaves out the progress bar (as NO_COLOR does)."""
    import pexpect

    args = ["-m", "perplex_cli", "batch", "--output", str(case.tmp / "o"), case.prompts(3)]
    for extra, drawn in (([], True), (["--no-color"], False)):
        child = pexpect.spawn(
            sys.executable, args + extra, env=dict(os.environ), timeout=10, encoding="utf-8"
        )
        seen = child.read()
        child.close()
        assert child.exitstatus == 0
        assert ("3 of 3 ok" in seen) is drawn, seen


def _base_url(case: Case) -> None:
    case.fixture("monkeypatch").setenv("PERPLEXITY_BASE_URL", "http://127.0.0.1:9")  # no one there
    assert case.ok("--base-url", case.api.url)[0]["status"] == "ok"


def _timeout(case: Case) -> None:
    case.api.chat = lambda r, n: Answer(echo_answer(r, n).body, delay=1.0)
    result = case.run("--timeout", "0.2", "--retries", "0")
    assert result.code == 7
    [line] = lines_of(result.stdout)
    assert line["error"]["message"].endswith("within 0.2 s")


def _connect_timeout(case: Case) -> None:
    url = f"http://127.0.0.1:{case.fixture('unaccepting_port')}"
    result = case.run("--base-url", url, "--connect-timeout", "0.2", "--retries", "0")
    assert result.code == 7
    [line] = lines_of(result.stdout)
    assert line["error"]["message"] == f"could not connect to {url} within 0.2 s"


def _retries(case: Case) -> None:
    case.api.chat = lambda r, n: Answer(b'{"error":{"message":"down"}}', 503, "application/json")
    assert case.run("--retries", "1").code == 6
    assert len(case.api.requests) == 2


def _through_proxy(case: Case, *args: str) -> Any:
    return case.run(
        "--base-url", "http://api.example.test", "--proxy", case.api.url, "--retries", "0", *args
    )


def _proxy(case: Case) -> None:
    _through_proxy(case, "--allow-insecure-http")
    assert [r.path for r in case.api.requests] == ["http://api.example.test/chat/completions"]


def _insecure(case: Case) -> None:
    assert _through_proxy(case).code == 3  # refused without it: plain HTTP to another host
    assert case.api.requests == []
    _proxy(case)


def _key_file(case: Case) -> None:
    keyfile = case.tmp / "key"
    keyfile.write_text(FILE_KEY + "\n")
    keyfile.chmod(0o600)
    case.ok("--api-key-file", str(keyfile))
    [sent] = case.api.requests
    assert sent.headers["Authorization"] == f"Bearer {FILE_KEY}"


def _log(on: bool) -> Callable[[Case], None]:
    def check(case: Case) -> None:
        case.ok("--log" if on else "--no-log", count=2)
        listed = case.cli("logs", "-n", "0", "-f", "json")
        assert len(json.loads(listed.stdout)) == (2 if on else 0)

    return check


def _debug(case: Case) -> None:
    result = case.run("--debug")
    assert result.code == 0
    assert f"> POST {case.api.url}/chat/completions" in result.stderr
    assert SENTINEL_KEY not in result.stderr


def _help(case: Case) -> None:
    result = case.cli("batch", "--help")
    assert result.code == 0 and result.stdout.startswith("Usage: perplex batch")


DAY = ("3/1/2025", "03/01/2025")  # 2025-03-01 as each API takes a date


def search_filter(value: str, field: str, sent: Any) -> Callable[[Case, str], None]:
    """A search filter: top level on chat, on the web_search tool on the agent API."""

    def check(case: Case, flag: str) -> None:
        chat, agent = sent if sent is DAY else (sent, sent)
        request([flag, value], (field, chat), (f"tools.0.filters.{field}", agent))(case, flag)

    return check


ROWS: dict[str, Callable[[Case, str], None]] = {
    "-j": output(_concurrency),
    "--ordered": output(_ordered),
    "--output": output(_output),
    "--resume": output(_resume),
    "--rate": output(_rate),
    "-f": output(_format),
    "-m": request(
        ["-m", "openai/gpt-5.5"], ("model", "openai/gpt-5.5"), ("model", "openai/gpt-5.5")
    ),
    "--api": request([], ("messages.0.content", "prompt 0"), ("input", "prompt 0")),
    "--preset": request(["--preset", "low"], REFUSED, ("preset", "low")),
    "--tool": request(["--tool", "fetch_url"], REFUSED, ("tools", [{"type": "fetch_url"}])),
    "--skill": request(
        ["--skill", "office/pdf"], REFUSED, ("skills", [{"type": "builtin", "name": "office/pdf"}])
    ),
    "--max-steps": request(["--max-steps", "4"], REFUSED, ("max_steps", 4)),
    "--max-results": request(["--max-results", "9"], REFUSED, ("tools.0.max_results", 9)),
    "--models": request(["--models", "openai/a,xai/b"], REFUSED, ("models", ["openai/a", "xai/b"])),
    "-s": request(
        ["-s", "be brief"], ("messages.0.content", "be brief"), ("instructions", "be brief")
    ),
    "--max-tokens": request(["--max-tokens", "7"], ("max_tokens", 7), ("max_output_tokens", 7)),
    "--temperature": request(["--temperature", "0.5"], ("temperature", 0.5), ("temperature", 0.5)),
    "--top-p": request(["--top-p", "0.5"], ("top_p", 0.5), ("top_p", 0.5)),
    "--stop": request(["--stop", "END"], ("stop", "END"), REFUSED),
    "--search-domain": search_filter("nature.com", "search_domain_filter", ["nature.com"]),
    "--search-recency": search_filter("week", "search_recency_filter", "week"),
    "--search-after": search_filter("2025-03-01", "search_after_date_filter", DAY),
    "--search-before": search_filter("2025-03-01", "search_before_date_filter", DAY),
    "--updated-after": search_filter("2025-03-01", "last_updated_after_filter", DAY),
    "--updated-before": search_filter("2025-03-01", "last_updated_before_filter", DAY),
    "--search-mode": request(["--search-mode", "academic"], ("search_mode", "academic"), REFUSED),
    "--search-context-size": request(
        ["--search-context-size", "high"],
        ("web_search_options.search_context_size", "high"),
        ("tools.0.search_context_size", "high"),
    ),
    "--search-type": request(
        ["--search-type", "pro"], ("web_search_options.search_type", "pro"), REFUSED
    ),
    "--location": request(
        ["--location", "48.85,2.35"],
        ("web_search_options.user_location.latitude", 48.85),
        ("tools.0.user_location.latitude", 48.85),
    ),
    "--language": request(
        ["--language", "de"], ("language_preference", "de"), ("language_preference", "de")
    ),
    "--images": request(["--images"], ("return_images", True), REFUSED),
    "--image-domain": request(
        ["--image-domain", "wikimedia.org"], ("image_domain_filter", ["wikimedia.org"]), REFUSED
    ),
    "--image-format": request(["--image-format", "png"], ("image_format_filter", ["png"]), REFUSED),
    "--related-questions": request(
        ["--related-questions"], ("return_related_questions", True), REFUSED
    ),
    "--reasoning-effort": request(
        ["--reasoning-effort", "low"], ("reasoning_effort", "low"), ("reasoning.effort", "low")
    ),
    "--no-search": request(["--no-search"], ("disable_search", True), ("", _no_tools)),
    "--json-schema": request(
        ["--json-schema", "$SCHEMA"],
        ("response_format.json_schema.schema", SCHEMA),
        ("response_format.json_schema.schema", SCHEMA),
    ),
    "--stream-mode": request(["--stream-mode", "concise"], ("stream_mode", "concise"), REFUSED),
    "-o": request(["-o", "top_k=5"], ("top_k", 5), ("top_k", 5)),
    "-a": request(["-a", "https://example.com/a.png"], ("", _image_part), ("", _image_part)),
    "--no-stream": request(["--no-stream"], ("stream", False), ("stream", False)),
    "--dry-run": output(_dry_run),
    "--reasoning": output(_reasoning(True)),
    "--no-reasoning": output(_reasoning(False)),
    "--no-citations": output(_citations(False)),
    "--citations": output(_citations(True)),
    "-q": output(_quiet(True)),
    "--no-quiet": output(_quiet(False)),
    "--usage": output(_usage(True)),
    "--no-usage": output(_usage(False)),
    "--no-color": output(_no_color),
    "--base-url": output(_base_url),
    "--timeout": output(_timeout),
    "--connect-timeout": output(_connect_timeout),
    "--retries": output(_retries),
    "--proxy": output(_proxy),
    "--api-key-file": output(_key_file),
    "--allow-insecure-http": output(_insecure),
    "--log": output(_log(True)),
    "--no-log": output(_log(False)),
    "--debug": output(_debug),
    "-h": output(_help),
}
# The long spelling of a flag whose row is under its short one.
SAME = {
    "--concurrency": "-j",
    "--format": "-f",
    "--model": "-m",
    "--system": "-s",
    "--option": "-o",
    "--attach": "-a",
    "--quiet": "-q",
    "--help": "-h",
}


def _answers(request: dict[str, Any], n: int) -> Answer:
    """The echo answer, or a whole document for a non-streaming chat request."""
    if request.get("stream") is not False:
        return echo_answer(request, n)
    doc = {
        "id": f"cmpl-{n}",
        "model": request["model"],
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": f"answer to {prompt_of(request)}"},
            }
        ],
    }
    return Answer(json.dumps(doc).encode(), content_type="application/json")


@pytest.mark.parametrize("flag", batch_flags())
def test_every_batch_option_is_honoured_or_refused_by_name(api, cli, tmp_path, request, flag):
    row = ROWS.get(SAME.get(flag, flag))
    assert row is not None, f"batch lists {flag} but this table has no row for it"
    (tmp_path / "schema.json").write_text(json.dumps(SCHEMA))
    api.chat = _answers
    row(Case(cli, api, tmp_path, request.getfixturevalue), flag)


def test_the_table_has_no_row_for_an_option_batch_does_not_list():
    listed = set(batch_flags())
    assert set(ROWS) - listed == set()
    assert set(SAME) <= listed
    assert {"--render", "--no-render"}.isdisjoint(listed), "batch writes no text to render"
