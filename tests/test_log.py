"""The local log: what an exchange leaves behind, conversations continued from it, and its
behaviour when it cannot be written (docs/conversations-and-log.md)."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import SENTINEL_KEY
from recordings import PERPLEXITY, chunks_of, content_of, last
from replay import Reply
from streams import answer, chunk, sse

from perplex_cli.local.schema import MIGRATIONS, SCHEMA_VERSION
from perplex_cli.local.store import Store

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings

CITED = PERPLEXITY / (
    "ruby_llm__citations_with_perplexity_sonar_returns_search_result_citations_when_streaming"
    "__20260612_f6c0e66__0.sse"
)


def db_path(env: dict[str, str]) -> Path:
    return Path(env["XDG_DATA_HOME"]) / "perplex" / "logs.db"


def logged(cli) -> list[dict]:
    result = cli("logs", "-n", "0", "-f", "json")
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def test_round_trip_ask_then_logs_json_shows_answer_sources_usage_and_cost(server, cli):
    server.reply(Reply(body=CITED.read_bytes(), split=300))
    chunks = chunks_of(CITED)
    assert cli("which sources").code == 0
    [entry] = logged(cli)
    assert entry["prompt"] == "which sources"
    assert entry["answer"] == content_of(chunks)
    assert entry["citations"] == last(chunks, "citations")
    assert entry["search_results"] == last(chunks, "search_results")
    assert entry["usage"] == last(chunks, "usage")
    assert entry["cost"] == pytest.approx(last(chunks, "usage")["cost"]["total_cost"])
    assert entry["status"] == "ok" and entry["error"] is None
    assert entry["model"] == "sonar"
    assert 0 <= entry["first_token"] <= entry["duration"]


def test_logs_show_prints_the_answer_with_its_numbered_sources(server, cli):
    server.reply(
        Reply(
            body=sse(
                *answer(
                    "Blue light scatters [1].",
                    citations=["https://a.example/1"],
                    search_results=[{"title": "A", "url": "https://a.example/1"}],
                )
            )
        )
    )
    cli("why blue")
    shown = cli("logs", "show")
    assert shown.stdout == "Blue light scatters [1].\n\n[1] A - https://a.example/1\n"
    doc = json.loads(cli("logs", "show", str(logged(cli)[0]["id"]), "-f", "json").stdout)
    assert doc["request"]["messages"] == [{"role": "user", "content": "why blue"}]


def test_reasoning_is_kept_apart_from_the_answer(server, cli):
    server.reply(Reply(body=sse(*answer("<think>weigh it</think>", "The answer."))))
    cli("q")
    [entry] = logged(cli)
    assert (entry["answer"], entry["reasoning"]) == ("The answer.", "weigh it")


def test_continue_sends_the_earlier_turns_in_api_order(server, cli):
    server.reply(
        Reply(body=sse(*answer("Paris."))),
        Reply(body=sse(*answer("About 2.1 million."))),
        Reply(body=sse(*answer("Yes."))),
    )
    assert cli("-s", "Be brief.", "capital of France?").code == 0
    assert cli("-c", "population?").code == 0
    assert cli("-c", "sure?").code == 0
    assert server.requests[-1].json()["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "capital of France?"},
        {"role": "assistant", "content": "Paris."},
        {"role": "user", "content": "population?"},
        {"role": "assistant", "content": "About 2.1 million."},
        {"role": "user", "content": "sure?"},
    ]
    entries = logged(cli)
    assert len({e["conversation"] for e in entries}) == 1


def test_an_ask_without_continue_starts_a_new_conversation(server, cli):
    server.reply(Reply(body=sse(*answer("one"))))
    cli("first")
    cli("second")
    assert server.requests[-1].json()["messages"] == [{"role": "user", "content": "second"}]
    first, second = logged(cli)
    assert first["conversation"] != second["conversation"]


def test_cid_continues_a_chosen_conversation_and_sources_stay_out_of_history(server, cli):
    server.reply(Reply(body=sse(*answer("A [1].", citations=["https://x.example"]))))
    cli("alpha")
    cli("beta")
    alpha = logged(cli)[1]
    assert cli("--cid", alpha["conversation"], "more").code == 0
    assert server.requests[-1].json()["messages"] == [
        {"role": "user", "content": "alpha"},
        {"role": "assistant", "content": "A [1]."},
        {"role": "user", "content": "more"},
    ]


def test_unknown_cid_is_a_usage_error_before_any_request(server, cli):
    server.reply(Reply(body=sse(*answer("x"))))
    result = cli("--cid", "nosuchid", "q")
    assert result.code == 2
    assert "unknown conversation id 'nosuchid'" in result.stderr
    assert server.requests == []


def test_continue_with_an_empty_log_is_a_usage_error(server, cli):
    result = cli("-c", "q")
    assert result.code == 2 and "no conversation to continue" in result.stderr


def test_partial_answer_is_logged_as_partial_and_left_out_of_the_history(server, cli):
    cut = sse(chunk("The first half"), chunk(" and more"))
    server.reply(
        Reply(body=sse(*answer("Hello."))), Reply(body=cut), Reply(body=sse(*answer("ok")))
    )
    cli("greet")
    assert cli("-c", "go on").code == 7
    latest = logged(cli)[0]
    assert latest["status"] == "partial"
    assert latest["answer"] == "The first half and more"
    assert "ended before the answer was complete" in latest["error"]
    assert cli("-c", "again").code == 0
    assert server.requests[-1].json()["messages"] == [
        {"role": "user", "content": "greet"},
        {"role": "assistant", "content": "Hello."},
        {"role": "user", "content": "again"},
    ]


def test_an_api_error_is_logged_with_its_message(server, cli):
    body = b'{"error":{"message":"Invalid model","type":"invalid_model","code":400}}'
    server.reply(Reply(status=400, body=body, content_type="application/json"))
    assert cli("-m", "nope", "q").code == 4
    [entry] = logged(cli)
    assert (entry["status"], entry["model"], entry["answer"]) == ("error", "nope", "")
    assert "Invalid model" in entry["error"]


def test_the_key_never_reaches_the_log(server, cli, env):
    server.reply(Reply(body=sse(*answer(f"echo {SENTINEL_KEY}"))))
    cli(f"my key is {SENTINEL_KEY}")
    cli("logs", "-n", "0")  # the log is closed and checkpointed by now
    for name in ("logs.db", "logs.db-wal"):
        path = db_path(env).parent / name
        if path.exists():
            assert SENTINEL_KEY.encode() not in path.read_bytes()
    assert SENTINEL_KEY not in json.dumps(logged(cli))


def test_no_log_writes_nothing(server, cli, env):
    server.reply(Reply(body=sse(*answer("x"))))
    assert cli("--no-log", "q").code == 0
    assert not db_path(env).exists()


def test_log_file_and_directory_are_private(server, cli, env):
    server.reply(Reply(body=sse(*answer("x"))))
    cli("q")
    path = db_path(env)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for extra in path.parent.glob("logs.db-*"):
        assert stat.S_IMODE(extra.stat().st_mode) & 0o077 == 0


def test_perplex_log_db_overrides_the_path(server, cli, env, tmp_path, monkeypatch):
    target = tmp_path / "elsewhere" / "mine.db"
    monkeypatch.setenv("PERPLEX_LOG_DB", str(target))
    server.reply(Reply(body=sse(*answer("x"))))
    cli("q")
    assert target.is_file() and not db_path(env).exists()
    assert cli("logs", "path").stdout == f"{target}\n"


def test_unwritable_log_path_still_prints_the_answer_with_one_warning(
    server, cli, tmp_path, monkeypatch
):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("PERPLEX_LOG_DB", str(blocker / "logs.db"))
    server.reply(Reply(body=sse(*answer("The answer."))))
    result = cli("q")
    assert result.code == 0
    assert result.stdout == "The answer.\n"
    warnings = [line for line in result.stderr.splitlines() if line]
    assert len(warnings) == 1 and warnings[0].startswith("perplex: warning: not logged")


def test_locked_log_warns_and_never_fails_the_answer(server, cli, env, monkeypatch):
    from perplex_cli.local import store

    server.reply(Reply(body=sse(*answer("first"))), Reply(body=sse(*answer("second"))))
    cli("create the log")
    monkeypatch.setattr(store, "BUSY_TIMEOUT", 0.05)
    holder = sqlite3.connect(db_path(env), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = cli("q")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (result.code, result.stdout) == (0, "second\n")
    assert result.stderr.count("perplex: warning: not logged") == 1
    assert "locked" in result.stderr


def test_a_log_from_a_newer_perplex_is_left_alone(server, cli, env):
    path = db_path(env)
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    server.reply(Reply(body=sse(*answer("still answered"))))
    result = cli("q")
    assert (result.code, result.stdout) == (0, "still answered\n")
    assert "schema version 99" in result.stderr
    assert cli("logs").code == 3


# The first schema, frozen as version 1 shipped it: the migration test must not follow the code.
SCHEMA_V1 = """
CREATE TABLE exchanges (
    id INTEGER PRIMARY KEY, conversation TEXT NOT NULL, started REAL NOT NULL, model TEXT,
    system TEXT, prompt TEXT NOT NULL, answer TEXT NOT NULL DEFAULT '',
    reasoning TEXT NOT NULL DEFAULT '', request TEXT, response_id TEXT, finish_reason TEXT,
    citations TEXT, search_results TEXT, images TEXT, related_questions TEXT, usage TEXT,
    prompt_tokens INTEGER, completion_tokens INTEGER, total_tokens INTEGER, cost REAL,
    first_token REAL, duration REAL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'partial', 'error', 'interrupted')), error TEXT
);
CREATE INDEX exchanges_by_conversation ON exchanges (conversation, id);
CREATE INDEX exchanges_by_start ON exchanges (started);
PRAGMA user_version = 1;
INSERT INTO exchanges (conversation, started, model, prompt, answer, status)
VALUES ('oldconvers1', 1700000000, 'sonar', 'tell me about glaciers', 'Glaciers are slow rivers of ice.', 'ok');
"""


def test_a_version_1_log_is_migrated_and_its_exchanges_are_searchable(server, cli, env):
    path = db_path(env)
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA_V1)
    found = cli("logs", "search", "glacier", "-f", "json")
    assert found.code == 0, found.stderr
    assert [e["prompt"] for e in json.loads(found.stdout)] == ["tell me about glaciers"]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    server.reply(Reply(body=sse(*answer("Yes."))))
    assert cli("--cid", "oldconvers1", "still moving?").code == 0
    assert server.requests[-1].json()["messages"][:2] == [
        {"role": "user", "content": "tell me about glaciers"},
        {"role": "assistant", "content": "Glaciers are slow rivers of ice."},
    ]


def fts_count(path: Path, word: str) -> int:
    with sqlite3.connect(path) as conn:
        found = conn.execute(
            "SELECT COUNT(*) FROM exchanges_text WHERE exchanges_text MATCH ?", (word,)
        ).fetchone()[0]
        conn.execute("INSERT INTO exchanges_text (exchanges_text) VALUES ('integrity-check')")
    return int(found)


def test_an_answer_enters_the_full_text_index_when_the_log_is_searched(server, cli, env):
    server.reply(Reply(body=sse(*answer("Basalt cools quickly."))))
    assert cli("lava rocks").code == 0
    assert fts_count(db_path(env), "basalt") == 0  # written, not yet indexed
    found = cli("logs", "search", "basalt", "-f", "json")
    assert [e["prompt"] for e in json.loads(found.stdout)] == ["lava rocks"]
    assert "indexed" not in json.loads(found.stdout)[0]
    assert fts_count(db_path(env), "basalt") == 1


@pytest.mark.parametrize("searched_first", [False, True])
def test_deleting_indexed_and_unindexed_exchanges_keeps_the_index_whole(
    server, cli, env, searched_first
):
    server.reply(*(Reply(body=sse(*answer(t))) for t in ("Granite is slow.", "Obsidian is glass.")))
    assert cli("rocks").code == 0 and cli("rocks").code == 0
    if searched_first:
        assert cli("logs", "search", "granite").code == 0
    listed = json.loads(cli("logs", "-f", "json").stdout)
    granite = [e["id"] for e in listed if "Granite" in e["answer"]]
    assert cli("logs", "rm", *map(str, granite)).code == 0
    assert fts_count(db_path(env), "granite") == 0  # and the integrity check passed
    found = json.loads(cli("logs", "search", "obsidian", "-f", "json").stdout)
    assert [e["answer"].strip() for e in found] == ["Obsidian is glass."]


def test_a_version_2_log_keeps_its_index_through_the_migration(server, cli, env):
    path = db_path(env)
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA_V1)
        for statement in MIGRATIONS[1]:  # version 2 as it shipped: indexed by triggers
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 2")
    assert fts_count(path, "glaciers") == 1
    found = cli("logs", "search", "glacier", "-f", "json")
    assert [e["prompt"] for e in json.loads(found.stdout)] == ["tell me about glaciers"]
    assert cli("logs", "rm", "oldconvers1").code == 0
    assert fts_count(path, "glaciers") == 0


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from perplex_cli.local.store import Exchange, Log
    path, name, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    while not go.exists():
        time.sleep(0.001)
    log = Log(path, enabled=True, warn=lambda line: print(line, file=sys.stderr))
    for i in range(100):
        log.record(Exchange(conversation=name, prompt=f"{name} {i}", started=time.time(),
                            answer="word " * 50, usage={"total_tokens": 3}))
    log.close()
    """
)


def test_two_processes_write_the_same_log_at_once(tmp_path):
    path = tmp_path / "data" / "logs.db"
    go = tmp_path / "go"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), name, str(go)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("writera", "writerb")
    ]
    go.touch()
    for proc in writers:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0 and err == "", err
    store = Store.open(path)
    assert store is not None
    store.index()
    store.close()
    with sqlite3.connect(path) as conn:
        counts = dict(conn.execute("SELECT conversation, COUNT(*) FROM exchanges GROUP BY 1"))
        indexed = conn.execute(
            "SELECT COUNT(*) FROM exchanges_text WHERE exchanges_text MATCH 'word'"
        ).fetchone()[0]
    assert counts == {"writera": 100, "writerb": 100}
    assert indexed == 200


def test_the_log_is_in_wal_mode(server, cli, env):
    server.reply(Reply(body=sse(*answer("x"))))
    cli("q")
    with sqlite3.connect(db_path(env)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert os.path.getsize(db_path(env)) > 0


def test_ctrl_c_during_ask_logs_the_partial_answer_as_interrupted(server, spawn, cli):
    import signal

    server.reply(
        Reply(pieces=[sse(c) for c in answer(*[f"part{i} " for i in range(50)])], delay=0.1)
    )
    proc = spawn("q")
    seen = b""
    while b"part1 " not in seen:
        block = os.read(proc.stdout.fileno(), 4096)
        assert block, proc.stderr.read()
        seen += block
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=20)
    assert proc.returncode == 130
    [entry] = logged(cli)
    assert entry["status"] == "interrupted"
    assert entry["answer"].startswith("part0 part1 ")
    assert len(entry["answer"]) < len("".join(f"part{i} " for i in range(50)))


@pytest.mark.api("agent")
def test_agent_answers_are_logged_and_continue_as_agent_input(server, cli):
    import agent_streams as a

    server.reply(
        Reply(body=a.sse(*a.answer("Agent ", "answer."))), Reply(body=a.sse(*a.answer("More.")))
    )
    assert cli("--preset", "fast", "first").code == 0
    [entry] = logged(cli)
    assert (entry["answer"], entry["model"], entry["cost"]) == ("Agent answer.", "fast", 0.001)
    assert cli("-c", "--preset", "fast", "second").code == 0
    assert server.requests[-1].json()["input"] == [
        {"type": "message", "role": "user", "content": "first"},
        {"type": "message", "role": "assistant", "content": "Agent answer."},
        {"type": "message", "role": "user", "content": "second"},
    ]


def test_no_stream_answers_are_logged_like_streamed_ones(server, cli):
    doc = {
        "id": "x",
        "model": "sonar",
        "object": "chat.completion",
        "citations": ["https://c.example"],
        "usage": {"total_tokens": 7, "cost": {"total_cost": 0.002}},
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "<think>hm</think>Whole."},
            }
        ],
    }
    server.reply(Reply(body=json.dumps(doc).encode(), content_type="application/json"))
    assert cli("--no-stream", "q").code == 0
    [entry] = logged(cli)
    assert (entry["answer"], entry["reasoning"], entry["status"]) == ("Whole.", "hm", "ok")
    assert entry["citations"] == ["https://c.example"] and entry["cost"] == 0.002


def test_dry_run_with_continue_shows_the_history_and_logs_nothing(server, cli, monkeypatch):
    server.reply(Reply(body=sse(*answer("Earlier."))))
    cli("before")
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    shown = cli("-c", "--dry-run", "-f", "json", "after")
    assert shown.code == 0, shown.stderr
    assert json.loads(shown.stdout)["body"]["messages"] == [
        {"role": "user", "content": "before"},
        {"role": "assistant", "content": "Earlier."},
        {"role": "user", "content": "after"},
    ]
    assert len(logged(cli)) == 1 and len(server.requests) == 1


def test_an_attached_file_is_logged_by_type_and_size_not_bytes(server, cli, tmp_path):
    image = tmp_path / "chart.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(3000))
    server.reply(Reply(body=sse(*answer("A chart."))))
    assert cli("-a", str(image), "what is this").code == 0
    sent = server.requests[-1].json()["messages"][-1]["content"][1]["image_url"]["url"]
    assert sent.startswith("data:image/png;base64,") and len(sent) > 4000
    [entry] = logged(cli)
    doc = json.loads(cli("logs", "show", str(entry["id"]), "-f", "json").stdout)
    kept = doc["request"]["messages"][-1]["content"][1]["image_url"]["url"]
    assert kept == f"data:image/png;base64,... ({len(sent)} characters not logged)"
    assert cli("-c", "and now?").code == 0
    assert server.requests[-1].json()["messages"][0] == {"role": "user", "content": "what is this"}


def test_a_reader_that_leaves_a_json_answer_stops_it_and_the_log_keeps_it(server, spawn, cli):
    import time

    server.reply(
        Reply(pieces=[sse(c) for c in answer(*[f"w{i} " for i in range(300)])], delay=0.01)
    )
    proc = spawn("-f", "json", "q")
    deadline = time.monotonic() + 10
    while len(server.writes) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.stdout.close()  # json writes at the end: only the watch on stdout can notice
    proc.wait(timeout=10)
    assert proc.returncode == 141
    [entry] = logged(cli)
    assert entry["status"] == "partial" and entry["error"] == "stdout was closed by the reader"
    assert entry["answer"].startswith("w0 w1 ") and not entry["answer"].endswith("w299 ")
