"""A hostile server: whatever it echoes, the key leaves the process only in the request
header, and no control sequence it sends reaches a terminal.

Each case runs the real command line against a local server that echoes the sentinel key
and escape sequences in every place a response has text: the status line's reason phrase,
citations, titles, ids, a job's status. The key must be absent from stdout, stderr, every
file (the log database and batch output included); on a terminal, no ESC, C1 or bidi
control from the server may arrive raw; into a pipe, text without the key is byte-exact.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
from pathlib import Path

import agent_streams
import pexpect
import pytest
from apiserver import Answer, echo_search
from conftest import SENTINEL_KEY
from replay import Reply
from streams import answer, chunk, sse
from terminal import on_terminal, terminal_env
from test_security import files_holding
from userfiles import toml_str, write_config

KEY = SENTINEL_KEY
CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4=\x07"  # OSC 52: write the user's clipboard
TITLE = "\x1b]0;owned\x07"  # OSC 0: retitle the window
# A reason phrase must be Latin-1: ESC, BEL and the C1 CSI are.
REASON = f"Busy {KEY} {CLIPBOARD}{TITLE} \x9b31m"
# Every C0/C1 control and bidi control the server can send, as a terminal must not get them.
RAW = [b"\x1b", b"\x07", "\x9b".encode(), "\u202e".encode(), "\u2066".encode()]


def escaped(text: str) -> str:
    """text as a JSON string body with every character spelled \\uXXXX (a hiding server)."""
    return "".join(f"\\u{ord(c):04x}" for c in text)


def no_raw_controls(shown: bytes) -> None:
    for raw in RAW[2:]:
        assert raw not in shown
    assert b"\x1b]" not in shown and b"\x07" not in shown  # our own escapes are CSI only


# --- retry and reconnect notices (the status line's reason phrase) ------------------------

RETRIED = {
    "ask, chat API": ["ask", "--api", "chat", "q"],
    "ask, agent API": ["ask", "--api", "agent", "q"],
    "ask --debug": ["ask", "--api", "chat", "--debug", "q"],
    "search": ["search", "q"],
    "batch": ["batch", "PROMPTS"],
    "research": ["research", "run", "-y", "--api", "chat", "--interval", "0.01", "q"],
}


def _args(args: list[str], tmp_path: Path) -> list[str]:
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("one\n")
    return [str(prompts) if a == "PROMPTS" else a for a in args]


@pytest.mark.parametrize("name", list(RETRIED))
def test_a_retry_notice_masks_the_key_and_shows_the_controls_on_a_terminal(
    api, env, tmp_path, name
):
    api.job_polls = 0
    api.first = [Answer(b"", 503, "application/json", reason=REASON)]
    run = on_terminal(*_args(RETRIED[name], tmp_path), stdout_tty=False, stderr_tty=True)
    assert run.code == 0, run.err
    assert KEY.encode() not in run.out + run.err
    no_raw_controls(run.err)
    assert b"retrying" in run.err
    assert b"Busy *** ^[]52;c;cm0gLXJmIH4=^G^[]0;owned^G <U+009B>31m" in run.err
    assert files_holding(tmp_path, KEY) == []


@pytest.mark.parametrize("name", list(RETRIED))
def test_a_retry_notice_into_a_pipe_masks_the_key(api, cli, tmp_path, name):
    api.job_polls = 0
    api.first = [Answer(b"", 503, "application/json", reason=REASON)]
    result = cli(*_args(RETRIED[name], tmp_path))
    assert result.code == 0, result.stderr
    assert KEY not in result.stdout + result.stderr
    assert "retrying" in result.stderr and "Busy ***" in result.stderr


def test_a_reconnect_notice_masks_the_key(server, env):
    """The agent API resumes a cut stream; the notice quotes why it was cut."""
    events = agent_streams.answer("fine")
    cut = Reply(body=agent_streams.sse(*events[:2]), fault="reset")
    stored = agent_streams.response("completed", output=[agent_streams.message("fine")])
    server.reply(
        cut,
        Reply(status=503, reason=REASON, framing="length"),
        Reply(body=json.dumps(stored).encode(), content_type="application/json"),
    )
    run = on_terminal("ask", "--api", "agent", "q", stdout_tty=False, stderr_tty=True)
    assert KEY.encode() not in run.out + run.err
    no_raw_controls(run.err)
    assert b"reconnecting" in run.err or b"retrying" in run.err


# --- the key echoed in what the answer carries -------------------------------------------

ECHOED = dict(
    id=KEY,
    citations=[f"https://a.example/{KEY}"],
    search_results=[{"title": f"About {KEY}", "url": f"https://a.example/{KEY}"}],
    images=[{"image_url": f"https://i.example/{KEY}.png", "origin_url": KEY}],
    related_questions=[f"Why {KEY}?"],
)


def _chat_stream(hidden: bool) -> bytes:
    chunks = answer("fine", finish=KEY, **ECHOED)
    if not hidden:
        return sse(*chunks)
    data = [json.dumps(c, separators=(",", ":")).replace(KEY, escaped(KEY)) for c in chunks]
    return sse(*data)


@pytest.mark.parametrize("hidden", [False, True], ids=["as is", "spelled as \\u escapes"])
@pytest.mark.parametrize("args", [[], ["-f", "json"], ["-f", "ndjson"], ["--no-stream"]])
def test_a_key_echoed_in_an_answer_reaches_no_stream_file_or_log(
    server, cli, tmp_path, args, hidden
):
    if "--no-stream" in args:
        doc = chunk("", finish=KEY, obj="chat.completion", **ECHOED)
        doc["choices"][0]["message"] = {"role": "assistant", "content": "fine"}
        body = json.dumps(doc).encode()
        if hidden:
            body = body.replace(KEY.encode(), escaped(KEY).encode())
        server.reply(Reply(body=body, content_type="application/json", framing="length"))
    else:
        server.reply(Reply(body=_chat_stream(hidden)))
    result = cli("--api", "chat", *args, "q")
    assert result.code == 0, result.stderr
    assert KEY not in result.stdout + result.stderr
    assert "***" in result.stdout
    assert files_holding(tmp_path, KEY) == []
    assert list(tmp_path.rglob("logs.db"))
    if "ndjson" in args:  # every event is still one valid JSON line
        assert all(json.loads(line) for line in result.stdout.splitlines())


@pytest.mark.parametrize("hidden", [False, True], ids=["as is", "spelled as \\u escapes"])
def test_a_key_cut_between_two_reads_is_still_masked(server, cli, tmp_path, hidden):
    """The reads of a stream are searched for the key; a read may end inside it."""
    chunks = answer("fine")
    chunks[-1]["citations"] = [f"https://a.example/{KEY}"]  # the only place it is
    spelled = escaped(KEY) if hidden else KEY
    body = sse(*[json.dumps(c, separators=(",", ":")).replace(KEY, spelled) for c in chunks])
    middle = body.index(spelled.encode()) + 9
    server.reply(Reply(body=body, pieces=[body[:middle], body[middle:]], delay=0.2))
    result = cli("--api", "chat", "-f", "ndjson", "q")
    assert result.code == 0, result.stderr
    assert KEY not in result.stdout and "***" in result.stdout
    assert files_holding(tmp_path, KEY) == []


def test_text_without_the_key_stays_byte_exact_into_a_pipe(server, cli):
    title = f"About {CLIPBOARD}"
    server.reply(
        Reply(body=sse(*answer("fine", search_results=[{"title": title, "url": "https://a/"}])))
    )
    result = cli("--api", "chat", "q")
    assert result.stdout == f"fine\n\n[1] {title} - https://a/\n"


def test_a_key_echoed_on_the_agent_api_reaches_no_stream_file_or_log(server, cli, tmp_path):
    results = [{"title": f"About {KEY}", "url": f"https://a.example/{KEY}"}]
    events = agent_streams.answer("fine", results=results, final={"id": KEY})
    events = [(name if i else KEY, data) for i, (name, data) in enumerate(events)]
    for args in ([], ["-f", "json"], ["-f", "ndjson"]):
        server.reply(Reply(body=agent_streams.sse(*events)))
        result = cli("--api", "agent", *args, "q")
        assert result.code == 0, result.stderr
        assert KEY not in result.stdout + result.stderr
    assert files_holding(tmp_path, KEY) == []


def test_search_and_batch_output_files_hold_no_echoed_key(api, cli, tmp_path):
    api.search = lambda body: {
        **echo_search(body),
        "id": KEY,
        "results": [{"title": f"T {KEY}", "url": f"https://a.example/{escaped(KEY)}"}],
    }
    api.chat = lambda body, n: Answer(body=_chat_stream(hidden=False))
    result = cli("search", "-f", "json", "q")
    assert result.code == 0, result.stderr
    assert KEY not in result.stdout and "T ***" in result.stdout
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("one\ntwo\n")
    output = tmp_path / "out.ndjson"
    result = cli("batch", "--api", "chat", str(prompts), "--output", str(output))
    assert result.code == 0, result.stderr
    assert output.read_text().count("***") >= 2
    assert files_holding(tmp_path, KEY) == []


# --- a proxy between this machine and a loopback base URL -------------------------------

REMOTE_PROXY = "http://proxy.example.test:3128"


@pytest.mark.parametrize("source", ["--proxy", "config", "HTTP_PROXY", "all_proxy"])
def test_plain_http_through_a_proxy_on_another_host_is_refused(
    server, cli, env, monkeypatch, source
):
    args = ["--base-url", server.url, "--api", "chat"]
    if source == "--proxy":
        args += ["--proxy", REMOTE_PROXY]
    elif source == "config":
        write_config(env, f"proxy = {toml_str(REMOTE_PROXY)}\n")
    else:
        monkeypatch.delenv("NO_PROXY")
        monkeypatch.setenv(source, REMOTE_PROXY)
    result = cli(*args, "q")
    assert result.code == 3, result.stderr
    assert "plain HTTP through the proxy proxy.example.test" in result.stderr
    assert server.requests == []
    allowed = cli(*args, "--allow-insecure-http", "--dry-run", "q")
    assert allowed.code == 0, allowed.stderr


@pytest.mark.parametrize(
    "proxy,no_proxy",
    [
        ("https://proxy.example.test:3128", None),  # the key travels inside TLS
        ("http://127.0.0.1:3128", None),  # a proxy on this machine
        (REMOTE_PROXY, "127.0.0.1"),  # NO_PROXY: the proxy is not used for this host
    ],
)
def test_a_proxy_that_keeps_the_key_safe_is_accepted(server, cli, monkeypatch, proxy, no_proxy):
    monkeypatch.delenv("NO_PROXY")
    monkeypatch.setenv("HTTP_PROXY", proxy)
    if no_proxy:
        monkeypatch.setenv("NO_PROXY", no_proxy)
    result = cli("--base-url", server.url, "--api", "chat", "--dry-run", "q")
    assert result.code == 0, result.stderr


def test_a_proxy_bypassed_by_no_proxy_sends_the_request_directly(server, cli, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", REMOTE_PROXY)  # NO_PROXY of the env fixture covers 127.0.0.1
    server.reply(Reply(body=sse(*answer("fine"))))
    result = cli("--base-url", server.url, "--api", "chat", "q")
    assert result.code == 0 and result.stdout == "fine\n"


# --- core dumps ----------------------------------------------------------------------------


def _core_limit(pid: int) -> str:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max core file size"):
            return line.split()[4]
    raise AssertionError("no core limit listed")


@pytest.mark.skipif(not Path("/proc/self/limits").exists(), reason="needs /proc")
def test_no_core_dump_can_hold_the_key(server, spawn):
    import resource

    hard = resource.getrlimit(resource.RLIMIT_CORE)[1]
    if hard == 0:
        pytest.skip("core dumps cannot be switched on here: nothing to switch off")

    def dumps_allowed() -> None:  # in the child: the user's shell allows core dumps
        resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))

    server.reply(Reply(body=sse(*answer("fine")), wait_before=1.5))
    proc = spawn("--api", "chat", "q", preexec_fn=dumps_allowed)
    deadline = time.monotonic() + 10
    while not server.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.requests, "the request never arrived"
    assert _core_limit(proc.pid) == "0"  # while the key is held
    proc.communicate(timeout=15)
    assert proc.returncode == 0


# --- terminal control from the server ------------------------------------------------------


def test_research_status_is_shown_inert_in_the_progress_line(api, env):
    real = api._advance

    def hostile(job):  # type: ignore[no-untyped-def]
        doc = real(job)
        if doc["status"] == "IN_PROGRESS":
            doc["status"] = f"IN_PROGRESS{TITLE}\u202e{KEY}"
        return doc

    api._advance = hostile
    api.job_polls = 3
    run = on_terminal(
        "research", "run", "-y", "--api", "chat", "--interval", "0.01", "q",
        stdout_tty=False, stderr_tty=True,
    )  # fmt: skip
    assert run.code == 0, run.err
    assert KEY.encode() not in run.out + run.err
    no_raw_controls(run.err)
    assert b"(in_progress^[]0;owned^G<U+202E>***)" in run.err


def test_chat_render_sources_are_shown_inert(server, env):
    sources = dict(
        search_results=[{"title": f"T{TITLE}", "url": "https://a.example/\u202ex"}],
    )
    server.reply(Reply(body=sse(*answer("One [1].", **sources))))
    child = pexpect.spawn(
        sys.executable,
        ["-m", "perplex_cli", "chat", "--api", "chat", "--render"],
        env={**terminal_env(), **os.environ, "TERM": "xterm-256color"},
        timeout=15,
    )
    try:
        child.expect_exact(b"> ")
        child.sendline(b"first")
        child.expect_exact(b"One")
        child.expect_exact(b"> ")
        child.sendline(b"/sources")
        child.expect_exact(b"sonar> ")
        shown = child.before
        assert b"T^[]0;owned^G - https://a.example/<U+202E>x" in shown
        no_raw_controls(shown)
        child.sendeof()
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)


def test_render_does_not_decode_references_into_controls(server, env):
    text = "a &#x202E;b &#8295;c &rlm;d &#13;e &amp; &#x41;\n"
    server.reply(Reply(body=sse(*answer(text))))
    run = on_terminal("--api", "chat", "--render", "q", stderr_tty=False)
    assert run.code == 0
    no_raw_controls(run.out)
    assert "\u200f".encode() not in run.out
    for visible in (b"<U+202E>b", b"<U+2067>c", b"<U+200F>d", b"^Me", b"& A"):
        assert visible in run.out


def test_inert_references_leave_other_references_to_markdown():
    from perplex_cli.output.render import inert_references

    assert inert_references("&#x202e; &#0; &lrm; &amp; &#233; &#x110000;") == (
        "<U+202E> ^@ <U+200E> &amp; &#233; &#x110000;"
    )


@pytest.mark.parametrize("command", [["logs", "-f", "json"], ["logs", "show", "1", "-f", "json"]])
def test_logs_json_on_a_terminal_shows_c1_and_bidi_controls(server, cli, env, command):
    server.reply(Reply(body=sse(*answer("a\x9b31m b\u202ec \u2066d \u200ee"))))
    assert cli("--api", "chat", "q").code == 0
    run = on_terminal(*command, stderr_tty=False)
    assert run.code == 0
    no_raw_controls(run.out)
    assert "\u200e".encode() not in run.out
    doc = json.loads(run.out.decode())
    record = doc[0] if isinstance(doc, list) else doc
    assert "a<U+009B>31m b<U+202E>c <U+2066>d <U+200E>e" in json.dumps(record, ensure_ascii=False)
    # into a pipe the stored answer is exact
    piped = json.loads(cli(*command).stdout)
    stored = piped[0] if isinstance(piped, list) else piped
    assert "a\x9b31m b\u202ec \u2066d \u200ee" in json.dumps(stored, ensure_ascii=False)


def test_the_log_holds_no_echoed_key(server, cli, env, tmp_path):
    server.reply(Reply(body=_chat_stream(hidden=True)))
    assert cli("--api", "chat", "q").code == 0
    (db,) = tmp_path.rglob("logs.db")
    rows = sqlite3.connect(db).execute("SELECT * FROM exchanges").fetchall()
    assert rows and KEY not in repr(rows)
