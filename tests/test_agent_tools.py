"""The Agent API's tools as flags: the request bodies they make, their refusals, and a run
with tool output items (fetched page, finance data, sandbox, a shared file) shown in
every format, sources numbered after the web results, files listed and downloaded."""

from __future__ import annotations

import json
import os

import pexpect
import pytest
from agent_recordings import TOOLS_CHUNKS, chunks_sse, events_of, final_response
from apiserver import Answer

TOOLS_SSE = chunks_sse(TOOLS_CHUNKS)
EVENTS = events_of(TOOLS_SSE)
FINAL = final_response(EVENTS)
RID = FINAL["id"]
TEXT = FINAL["output"][-1]["content"][0]["text"]
WEB = FINAL["output"][0]["results"]
FETCHED = FINAL["output"][1]["contents"][0]
FINANCE_URL = FINAL["output"][2]["results"][0]["sources"][0]
CSV = b"quarter,revenue\nQ3 FY2027,81.2\n"

WEB_SEARCH = {"type": "web_search"}
FORCED = {"tool_choice": {"type": "web_search"}}

# (arguments, the body they make, without input and stream)
BODIES = [
    (["--tool", "fetch_url"], {"preset": "fast", "tools": [{"type": "fetch_url"}]}),
    (
        ["--tool", "finance_search", "--tool", "people_search"],
        {"preset": "fast", "tools": [{"type": "finance_search"}, {"type": "people_search"}]},
    ),
    (
        ["--tool", "FETCH_URL", "--tool", "fetch_url"],
        {"preset": "fast", "tools": [{"type": "fetch_url"}]},
    ),
    (
        ["--tool", "sandbox", "--skill", "office/docx"],
        {
            "preset": "fast",
            "tools": [{"type": "sandbox"}],
            "skills": [{"type": "builtin", "name": "office/docx"}],
        },
    ),
    (["--skill", "office"], {"preset": "fast", "skills": [{"type": "builtin", "name": "office"}]}),
    (["--max-steps", "7"], {"preset": "fast", "max_steps": 7}),
    (
        ["--max-results", "12"],
        {"preset": "fast", "tools": [{"type": "web_search", "max_results": 12}]},
    ),
    (
        ["--models", "openai/gpt-5.5, perplexity/sonar"],
        {"models": ["openai/gpt-5.5", "perplexity/sonar"], "tools": [WEB_SEARCH], **FORCED},
    ),
    (
        ["--models", "anthropic/claude-sonnet-4-6", "-m", "openai/gpt-5.5"],
        {
            "models": ["anthropic/claude-sonnet-4-6"],
            "tools": [WEB_SEARCH],
            **FORCED,
            "max_output_tokens": 8192,
        },
    ),
    (
        ["--preset", "high", "--models", "openai/gpt-5.5,xai/grok-4"],
        {"preset": "high", "models": ["openai/gpt-5.5", "xai/grok-4"]},
    ),
    (
        ["-m", "openai/gpt-5.5", "--tool", "finance_search"],
        {
            "model": "openai/gpt-5.5",
            "tools": [WEB_SEARCH, {"type": "finance_search"}],
            "max_steps": 3,
        },
    ),
    (
        [
            "-m",
            "openai/gpt-5.5",
            "--skill",
            "office/xlsx",
            "--max-steps",
            "9",
            "--max-results",
            "3",
        ],
        {
            "model": "openai/gpt-5.5",
            "tools": [{"type": "web_search", "max_results": 3}],
            "skills": [{"type": "builtin", "name": "office/xlsx"}],
            "max_steps": 9,
        },
    ),
    (
        ["-m", "openai/gpt-5.5", "--no-search", "--tool", "fetch_url"],
        {"model": "openai/gpt-5.5", "tools": [{"type": "fetch_url"}], "max_steps": 3},
    ),
    (
        ["-m", "openai/gpt-5.5", "--max-steps", "2"],
        {"model": "openai/gpt-5.5", "tools": [WEB_SEARCH], **FORCED, "max_steps": 2},
    ),
    (
        ["--tool", "fetch_url", "-o", "max_steps=4"],
        {"preset": "fast", "tools": [{"type": "fetch_url"}], "max_steps": 4},
    ),
]


@pytest.mark.parametrize("args,body", BODIES, ids=[" ".join(a) for a, _ in BODIES])
def test_each_flag_sends_the_field_the_agent_api_documents(api, cli, args, body):
    result = cli("ask", *args, "q")
    assert result.code == 0, result.stderr
    sent = api.agent_requests()[-1].json()
    assert {k: v for k, v in sent.items() if k not in ("input", "stream")} == body
    assert sent["input"] == "q"


def test_save_files_changes_no_field_and_asks_for_no_file_when_none_was_shared(api, cli, tmp_path):
    result = cli("ask", "--save-files", str(tmp_path / "out"), "q")
    assert result.code == 0, result.stderr
    assert api.agent_requests()[-1].json() == {"preset": "fast", "input": "q", "stream": True}
    assert [r.path for r in api.requests] == ["/v1/agent"]
    assert not (tmp_path / "out").exists()


# (arguments, what stderr names): each is exit 2 before any request.
REFUSED = [
    (["--tool", "web_search"], "invalid value for --tool: 'web_search' (choose from fetch_url"),
    (["--tool", "browser"], "invalid value for --tool: 'browser'"),
    (["--skill", "office/odt"], "invalid value for --skill: 'office/odt' (choose from office,"),
    (["--max-steps", "0"], "invalid value for --max-steps: 0 (must be between 1 and 100)"),
    (["--max-steps", "101"], "invalid value for --max-steps: 101 (must be between 1 and 100)"),
    (["--max-steps", "three"], "Invalid value for '--max-steps': 'three' is not a valid integer"),
    (["--max-results", "0"], "invalid value for --max-results: 0 (must be between 1 and 50)"),
    (["--max-results", "51"], "invalid value for --max-results: 51 (must be between 1 and 50)"),
    (["--models", "a/b,,c/d"], "invalid value for --models: 'a/b,,c/d'"),
    (["--models", "a/b c/d"], "invalid value for --models"),
    (["--models", "a/1,a/2,a/3,a/4,a/5,a/6"], "too many --models: 6 (at most 5)"),
    (["--no-search", "--max-results", "5"], "--no-search cannot be combined with --max-results"),
    (
        ["--no-search", "--tool", "fetch_url", "--skill", "office"],
        "--no-search with a preset stops every tool: it cannot be combined with --tool, --skill",
    ),
    (["--api", "chat", "--tool", "fetch_url"], "--tool needs the agent API (--api chat)"),
    (
        ["--api", "chat", "--max-steps", "3", "--models", "a/b", "--max-results", "4"],
        "--max-steps, --max-results, --models need the agent API (--api chat)",
    ),
    (["--api", "chat", "--skill", "office"], "--skill needs the agent API (--api chat)"),
]


@pytest.mark.parametrize("args,said", REFUSED, ids=[" ".join(a) for a, _ in REFUSED])
def test_bad_values_and_chat_are_refused_by_name_before_any_request(api, cli, args, said):
    result = cli("ask", *args, "q")
    assert result.code == 2
    assert said in result.stderr
    assert "Traceback" not in result.stderr
    if not said.startswith("Invalid"):  # click's own words for a type, on its usage lines
        assert result.stderr.startswith(f"perplex: error: {said}")
    assert api.requests == []


def test_save_files_into_a_file_is_refused(api, cli, tmp_path):
    target = tmp_path / "plain"
    target.write_text("x")
    result = cli("ask", "--save-files", str(target), "q")
    assert result.code == 2
    assert f"--save-files {target}: not a directory" in result.stderr
    assert api.requests == []


def test_a_chat_api_from_the_environment_is_named(api, cli, monkeypatch):
    monkeypatch.setenv("PERPLEX_API", "chat")
    result = cli("ask", "--save-files", "d", "q")
    assert result.code == 2
    assert "--save-files needs the agent API (api chat from PERPLEX_API)" in result.stderr


def test_batch_and_research_submit_take_the_tools_but_do_not_offer_save_files(api, cli):
    for command in (["batch"], ["research", "submit"]):
        shown = cli(*command, "--help")
        assert "--tool" in shown.stdout and "--max-steps" in shown.stdout
        assert "--save-files" not in shown.stdout
    for command in (["ask"], ["chat"], ["research", "run"], ["research", "wait"]):
        assert "--save-files" in cli(*command, "--help").stdout


# --- a run with tool output items ------------------------------------------------------


def tools_run(request: dict, n: int) -> Answer:
    if request.get("stream") is False:
        return Answer(json.dumps(FINAL).encode(), content_type="application/json")
    return Answer(TOOLS_SSE)


SOURCES = (
    f"[1] {WEB[0]['title']} - {WEB[0]['url']}\n"
    f"[2] {WEB[1]['title']} - {WEB[1]['url']}\n"
    f"[3] {FETCHED['title']} - {FETCHED['url']}\n"
    f"[4] quote (NVDA) - {FINANCE_URL}\n"
)
FILES = "\nFiles:\n- nvda.csv (38 bytes)\n"
SUMMARY = [
    "Finance data: income_statement (NVDA)\n",
    "Loaded skill office/xlsx\n",
    "Sandbox (python): completed, exit 0, 1.2 s\n",
    "Shared file nvda.csv (38 bytes)\n",
]


@pytest.mark.parametrize("stream", [[], ["--no-stream"]], ids=["streamed", "no-stream"])
def test_text_numbers_web_results_first_then_tool_sources_then_lists_the_files(api, cli, stream):
    api.agent = tools_run
    result = cli("ask", "--plain", *stream, "q")
    assert result.code == 0, result.stderr
    assert result.stdout == TEXT + "\n\n" + SOURCES + FILES
    assert not any(line in result.stderr for line in SUMMARY)  # without --reasoning


@pytest.mark.parametrize("stream", [[], ["--no-stream"]], ids=["streamed", "no-stream"])
def test_reasoning_summarises_each_item_without_a_url_once(api, cli, stream):
    api.agent = tools_run
    result = cli("ask", "--plain", "--reasoning", *stream, "q")
    assert result.code == 0, result.stderr
    for line in SUMMARY:
        assert result.stderr.count(line) == 1, (line, result.stderr)
    assert result.stdout == TEXT + "\n\n" + SOURCES + FILES


@pytest.mark.parametrize("stream", [[], ["--no-stream"]], ids=["streamed", "no-stream"])
def test_json_carries_the_sources_in_order_and_a_files_member(api, cli, stream):
    api.agent = tools_run
    result = cli("ask", "-f", "json", *stream, "q")
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["choices"][0]["message"]["content"] == TEXT
    assert doc["citations"] == [WEB[0]["url"], WEB[1]["url"], FETCHED["url"], FINANCE_URL]
    assert [r.get("source") for r in doc["search_results"]] == [
        "web",
        "web",
        "fetch_url",
        "finance",
    ]
    assert doc["files"] == [{"id": "file_7e1a", "filename": "nvda.csv", "bytes": 38}]
    assert doc["model"] == "openai/gpt-5.6-sol"


def test_ndjson_passes_every_event_with_its_tool_items(api, cli):
    api.agent = tools_run
    result = cli("ask", "-f", "ndjson", "q")
    assert result.code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines == EVENTS
    kinds = [e["data"]["item"]["type"] for e in lines if e["event"] == "response.output_item.done"]
    assert kinds == [
        "search_results",
        "fetch_url_results",
        "finance_results",
        "skill_loaded",
        "sandbox_results",
        "share_file",
        "message",
    ]


# --- --save-files ----------------------------------------------------------------------


def serve_files(
    api, name: str, content: bytes = CSV, *, size: int | None = None, file_id="file_7e1a"
):
    """The run's files: the list, and the content of its one file."""
    listing = {
        "object": "list",
        "data": [
            {
                "id": file_id,
                "filename": name,
                "bytes": len(content) if size is None else size,
                "created_at": 1790500041,
                "object": "file",
            }
        ],
    }

    def get(received):
        path = received.path
        if path == f"/v1/agent/{RID}/files":
            return Answer(json.dumps(listing).encode(), content_type="application/json")
        if path.startswith(f"/v1/agent/{RID}/files/") and path.endswith("/content"):
            return Answer(content, content_type="text/csv")
        return Answer(b'{"error":{"message":"not found"}}', 404, "application/json")

    api.agent = tools_run
    api.agent_get = get


def saved(directory):
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@pytest.mark.parametrize(
    "name,kept",
    [
        ("nvda.csv", "nvda.csv"),
        ("../escape.csv", "escape.csv"),
        ("../../../../../../tmp/escape.csv", "escape.csv"),
        ("/etc/passwd", "passwd"),
        ("sub\\dir\\win.csv", "win.csv"),
        ("a\x00b\x1b[31m.csv", "a_b_[31m.csv"),
        ("x" * 300 + ".csv", "x" * 196 + ".csv"),
        ("\u202egnp.csv", "_gnp.csv"),
        ("..", "file-file_7e1a"),
        ("", "file-file_7e1a"),
    ],
)
def test_a_file_lands_inside_dir_whatever_its_name_says(api, cli, tmp_path, name, kept):
    serve_files(api, name)
    out = tmp_path / "out"
    result = cli("ask", "--plain", "--save-files", str(out), "q")
    assert result.code == 0, result.stderr
    assert saved(out) == {kept: CSV}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out"]  # data: the log
    assert f"perplex: saved {out / kept} ({len(CSV)} bytes)" in result.stderr
    assert result.stdout.startswith(TEXT)


def test_an_existing_file_is_never_replaced(api, cli, tmp_path):
    serve_files(api, "nvda.csv")
    (tmp_path / "nvda.csv").write_bytes(b"mine")
    (tmp_path / "nvda-2.csv").write_bytes(b"mine too")
    result = cli("ask", "--save-files", str(tmp_path), "q")
    assert result.code == 0, result.stderr
    assert (tmp_path / "nvda.csv").read_bytes() == b"mine"
    assert (tmp_path / "nvda-2.csv").read_bytes() == b"mine too"
    assert (tmp_path / "nvda-3.csv").read_bytes() == CSV
    assert f"saved {tmp_path / 'nvda-3.csv'} ({len(CSV)} bytes) (nvda.csv exists)" in result.stderr


@pytest.mark.parametrize("dangling", [True, False])
def test_a_symlink_in_dir_is_not_followed(api, cli, tmp_path, dangling):
    serve_files(api, "nvda.csv")
    out, outside = tmp_path / "out", tmp_path / "outside.txt"
    out.mkdir()
    if not dangling:
        outside.write_bytes(b"untouched")
    (out / "nvda.csv").symlink_to(outside)
    result = cli("ask", "--save-files", str(out), "q")
    assert result.code == 0, result.stderr
    assert (out / "nvda-2.csv").read_bytes() == CSV
    assert (out / "nvda.csv").is_symlink()
    assert outside.exists() is not dangling
    if not dangling:
        assert outside.read_bytes() == b"untouched"


def test_ids_are_percent_encoded_in_the_paths(api, cli, tmp_path):
    serve_files(api, "x.csv", file_id="../../models")
    result = cli("ask", "--save-files", str(tmp_path), "q")
    assert result.code == 0, result.stderr
    gets = [r.path for r in api.requests if r.method == "GET"]
    assert gets == [f"/v1/agent/{RID}/files", f"/v1/agent/{RID}/files/..%2F..%2Fmodels/content"]


def test_an_unknown_run_is_exit_4_after_the_answer(api, cli, tmp_path):
    api.agent = tools_run  # no file routes: the list is a 404
    result = cli("ask", "--plain", "--save-files", str(tmp_path / "out"), "q")
    assert result.code == 4
    assert result.stdout == TEXT + "\n\n" + SOURCES + FILES
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("perplex: error: ") and last.endswith("(HTTP 404)")


def test_more_bytes_than_announced_leave_no_file(api, cli, tmp_path):
    serve_files(api, "nvda.csv", size=5)
    out = tmp_path / "out"
    result = cli("ask", "--save-files", str(out), "q")
    assert result.code == 8
    assert "more bytes than the file list announced (5)" in result.stderr
    assert list(out.iterdir()) == []


def test_a_dir_that_cannot_be_made_is_exit_2_naming_it(api, cli, tmp_path):
    serve_files(api, "nvda.csv")
    (tmp_path / "plain").write_text("x")
    under_a_file = tmp_path / "plain" / "out"
    result = cli("ask", "--save-files", str(under_a_file), "q")
    assert result.code == 2
    assert result.stdout.startswith(TEXT)
    assert f"perplex: error: --save-files {under_a_file}: Not a directory" in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only directory")
def test_a_dir_that_cannot_be_written_is_exit_2_naming_it(api, cli, tmp_path):
    serve_files(api, "nvda.csv")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        result = cli("ask", "--save-files", str(locked), "q")
    finally:
        locked.chmod(0o700)
    assert result.code == 2
    assert f"--save-files {locked}: cannot create nvda.csv: Permission denied" in result.stderr
    assert list(locked.iterdir()) == []


def test_batch_sends_the_tool_flags_with_every_prompt(api, cli, tmp_path):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("one\ntwo\n")
    result = cli("batch", "--tool", "fetch_url", "--max-steps", "4", str(prompts))
    assert result.code == 0, result.stderr
    sent = sorted((r.json() for r in api.agent_requests()), key=lambda b: b["input"])
    assert [(b["input"], b["tools"], b["max_steps"]) for b in sent] == [
        ("one", [{"type": "fetch_url"}], 4),
        ("two", [{"type": "fetch_url"}], 4),
    ]


def test_research_submits_a_run_with_its_tools_and_skills(api, cli):
    result = cli("research", "submit", "--yes", "--tool", "sandbox", "--skill", "office/xlsx", "q")
    assert result.code == 0, result.stderr
    sent = api.agent_requests()[-1].json()
    assert sent["background"] is True
    assert sent["tools"] == [{"type": "sandbox"}]
    assert sent["skills"] == [{"type": "builtin", "name": "office/xlsx"}]


OTHER_ITEMS = [
    {
        "type": "people_search_results",
        "queries": ["Jensen Huang"],
        "results": [
            {"name": "Jensen Huang", "url": "https://www.linkedin.com/in/jenhsunhuang"},
            {"name": "No Link"},
        ],
    },
    {"type": "finance_results", "results": [{"category": "profile", "content": "..."}]},
    {
        "type": "sandbox_results",
        "code": "1/0",
        "stdout": "",
        "stderr": "Traceback (most recent call last):\nZeroDivisionError: division by zero\n",
        "exit_code": 1,
        "duration_ms": 80,
        "status": "failed",
    },
    {"type": "share_file", "call_id": "c2", "filename": "gone.csv", "error": "file not found"},
    {"type": "mcp_call", "id": "m1", "name": "x", "arguments": "{}", "server_label": "s"},
]


def test_other_shapes_people_the_flat_sandbox_and_a_failed_share(api, cli):
    """The older flat sandbox item, people with and without a URL, a share that failed,
    an item type perplex does not know: sources where there is a URL, a line otherwise."""
    from agent_streams import message, response

    done = response("completed", output=[*OTHER_ITEMS, message("Answer.")])
    api.agent = lambda request, n: Answer(
        json.dumps(done).encode(), content_type="application/json"
    )
    result = cli("ask", "--plain", "--reasoning", "--no-stream", "q")
    assert result.code == 0, result.stderr
    assert result.stdout == (
        "Answer.\n\n[1] Jensen Huang - https://www.linkedin.com/in/jenhsunhuang\n"
    )
    assert "Finance data: profile\n" in result.stderr
    assert "Sandbox (code): failed, exit 1, 0.1 s\n  ZeroDivisionError: division by zero\n" in (
        result.stderr
    )
    assert "Sharing gone.csv failed: file not found\n" in result.stderr
    assert "People search" not in result.stderr  # its result with a URL is a source
    doc = json.loads(cli("ask", "-f", "json", "--no-stream", "q").stdout)
    assert "files" not in doc


def test_chat_saves_the_files_of_an_answer(api, chat, tmp_path):
    serve_files(api, "nvda.csv")
    out = tmp_path / "out"
    child = chat("--save-files", str(out))
    child.expect_exact("fast> ")
    child.sendline("make the table")
    child.expect_exact("- nvda.csv (38 bytes)")
    child.expect_exact(f"perplex: saved {out / 'nvda.csv'} ({len(CSV)} bytes)")
    child.expect_exact("fast> ")
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert saved(out) == {"nvda.csv": CSV}


def test_research_run_saves_the_files_of_the_streamed_run(api, cli, tmp_path):
    serve_files(api, "nvda.csv")
    api.first = [Answer(TOOLS_SSE)]  # the background run's stream
    out = tmp_path / "out"
    result = cli("research", "run", "--yes", "--plain", "--save-files", str(out), "q")
    assert result.code == 0, result.stderr
    assert api.agent_requests()[0].json()["background"] is True
    assert saved(out) == {"nvda.csv": CSV}


def test_research_wait_saves_the_files_of_the_ended_run(api, cli, tmp_path):
    serve_files(api, "nvda.csv")
    files = api.agent_get

    def get(received):
        if received.path == f"/v1/agent/{RID}":
            return Answer(json.dumps(FINAL).encode(), content_type="application/json")
        return files(received)

    api.agent_get = get
    out = tmp_path / "out"
    result = cli("research", "wait", "--save-files", str(out), RID)
    assert result.code == 0, result.stderr
    assert TEXT in result.stdout and "- nvda.csv (38 bytes)" in result.stdout
    assert saved(out) == {"nvda.csv": CSV}


def odd_variants(index):
    """The run with one field of the tool item at `index` (or of its first entry) given a
    value of each type, in turn."""
    import copy

    item = FINAL["output"][index]
    places = [()] + [(k, 0) for k in ("results", "contents") if isinstance(item.get(k), list)]
    for where in places:
        holder = item
        for step in where:
            holder = holder[step]
        for field in holder:
            for value in (None, 7, ["x", 1], {"k": "v"}):
                doc = copy.deepcopy(FINAL)
                target = doc["output"][index]
                for step in where:
                    target = target[step]
                target[field] = value
                yield f"{list(where)}.{field}={value!r}", doc


TOOL_ITEMS = range(1, len(FINAL["output"]) - 1)


@pytest.mark.parametrize("index", TOOL_ITEMS, ids=[FINAL["output"][i]["type"] for i in TOOL_ITEMS])
def test_a_tool_item_field_of_any_type_never_causes_an_internal_error(api, cli, index):
    for case, doc in odd_variants(index):
        api.agent = lambda request, n, doc=doc: Answer(
            json.dumps(doc).encode(), content_type="application/json"
        )
        result = cli("ask", "-f", "json", "--reasoning", "--no-stream", "--no-log", "q")
        assert result.code in (0, 8), (case, result.stderr)
        assert "internal error" not in result.stderr, case
        if result.code == 0:
            assert json.loads(result.stdout)["choices"][0]["message"]["content"] == TEXT, case
