"""The spinner, --usage, and the one decision per stream about escape sequences."""

from __future__ import annotations

import io
import os
import threading
import time

import pytest
from recordings import STREAMS, chunks_of, expected_text, last
from replay import Reply
from streams import answer, chunk, sse
from terminal import lines, on_terminal, terminal_env

from perplex_cli.api.answer_text import Update
from perplex_cli.api.chat_events import Accumulator
from perplex_cli.output.spinner import ERASE, Spinner, until_first_output
from perplex_cli.output.style import StreamStyle, decide, neutralise
from perplex_cli.output.usage import usage_line

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings


def slow(server, wait: float = 0.45, **extra):
    server.reply(Reply(body=sse(*answer("Hello ", "world.", **extra)), wait_before=wait))
    return server


# --- the spinner --------------------------------------------------------------------------


def test_spinner_on_a_terminal_while_waiting_then_erased_before_the_answer(server, env):
    slow(server)
    run = on_terminal("q", stdout_tty=False, stderr_tty=True)
    assert run.code == 0
    assert run.out == b"Hello world.\n"
    assert b"searching..." in run.err and b"0s" in run.err
    # Nothing is left on the line: the last thing written is the erase.
    assert run.err.endswith(ERASE.encode()), run.err[-80:]


def test_spinner_and_answer_share_a_terminal_without_residue(server, env):
    slow(server)
    run = on_terminal("--plain", "q")
    text = run.out
    assert b"searching..." in text
    # After the last erase only the answer follows.
    assert lines(text[text.rindex(ERASE.encode()) + len(ERASE) :]) == b"Hello world.\n"


@pytest.mark.parametrize("force", [False, True])
def test_spinner_never_appears_when_stderr_is_a_pipe(server, env, force):
    slow(server)
    extra = {"FORCE_COLOR": "1"} if force else {}
    run = on_terminal("q", stdout_tty=True, stderr_tty=False, env=terminal_env(**extra))
    assert run.code == 0
    assert run.err == b""
    assert b"searching" not in run.out


@pytest.mark.parametrize(
    "plain",
    [
        {"NO_COLOR": "1"},
        {"NO_COLOR": "x", "FORCE_COLOR": "1"},
        {"TERM": "dumb"},
        "--no-color",
        "-q",
    ],
)
def test_no_spinner_and_no_escape_when_plain_is_asked_for(server, env, plain):
    slow(server, wait=0.4)
    args = ["--usage", "q"]
    if isinstance(plain, str):
        args.insert(0, plain)
    run = on_terminal(*args, env=terminal_env(**({} if isinstance(plain, str) else plain)))
    assert run.code == 0
    assert b"\x1b" not in run.out and b"searching" not in run.out
    assert lines(run.out) == (
        b"Hello world.\nperplex: usage: 5 prompt + 3 completion = 8 tokens, cost not reported\n"
    )


def test_retry_notice_gets_a_line_of_its_own_under_the_spinner(server, env):
    server.reply(
        Reply(
            status=503, body=b"busy", content_type="text/plain", wait_before=0.4, framing="close"
        ),
        Reply(body=sse(*answer("ok"))),
    )
    run = on_terminal("q", stdout_tty=False, stderr_tty=True)
    assert run.code == 0
    after_erase = [part for part in lines(run.err).split(ERASE.encode()) if b"retrying" in part]
    assert after_erase and after_erase[0].startswith(b"perplex: retrying"), run.err


def test_spinner_adds_no_delay_to_each_token(server, env):
    """Paced 200 ms apart, each token is on stdout before the next is sent, spinner or not."""
    pieces = [sse(c) for c in answer("tok0 ", "tok1 ", "tok2 ")]
    server.reply(Reply(pieces=pieces, delay=0.2, wait_before=0.3))
    seen: dict[int, float] = {}
    import pty
    import subprocess
    import sys

    err_master, err_slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "perplex_cli", "q"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=err_slave,
        env=terminal_env(),
    )
    os.close(err_slave)
    spun = bytearray()
    drain = threading.Thread(target=lambda: _read_all(err_master, spun))
    drain.start()
    got = b""
    while True:
        data = os.read(proc.stdout.fileno(), 65536)
        if not data:
            break
        got += data
        for i in range(3):
            if i not in seen and f"tok{i}".encode() in got:
                seen[i] = time.monotonic()
    proc.wait(10)
    drain.join(10)
    os.close(err_master)
    assert b"searching" in spun, "the spinner did not run"
    sent = [t for t, piece in server.writes if piece]
    assert seen[0] < sent[1] and seen[1] < sent[2]


def _read_all(fd: int, into: bytearray) -> None:
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:
            return
        if not data:
            return
        into.extend(data)


class Recorder:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def chunk(self, raw, update: Update) -> None:
        self.seen.append(update.answer)

    def end(self, acc, error) -> None:
        self.seen.append("<end>")


def test_after_the_first_output_events_go_straight_to_the_formatter():
    stream = io.StringIO()
    formatter = Recorder()
    spinner = Spinner(stream)
    wrapped = until_first_output(formatter, spinner, lambda u: bool(u.answer))
    wrapped.chunk({}, Update(reasoning="thinking"))
    assert spinner.label == "thinking..."  # still spinning through the reasoning
    wrapped.chunk({}, Update(answer="a"))
    assert wrapped.chunk == formatter.chunk  # no wrapper left on the per-event path
    wrapped.chunk({}, Update(answer="b"))
    wrapped.end(Accumulator(), None)
    assert formatter.seen == ["", "a", "b", "<end>"]
    time.sleep(0.3)
    assert stream.getvalue() == ""  # stopped within the grace period: never drawn


def test_stopped_spinner_erases_its_line_and_writes_nothing_after():
    stream = io.StringIO()
    spinner = Spinner(stream, label="searching...")
    time.sleep(0.4)
    spinner.stop()
    written = stream.getvalue()
    assert written.startswith("\r") and "searching..." in written and written.endswith(ERASE)
    time.sleep(0.25)
    assert stream.getvalue() == written
    spinner.stop()  # twice is harmless
    assert stream.getvalue() == written


# --- --usage ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", [p for p in STREAMS if b'"total_cost"' in p.read_bytes()][:3], ids=lambda p: p.name[:60]
)
def test_usage_line_from_the_final_usage_of_a_recording(server, cli, path):
    server.reply(Reply(body=path.read_bytes()))
    result = cli("--usage", "q")
    chunks = chunks_of(path)
    usage = last(chunks, "usage")
    assert result.code == 0
    assert result.stdout == expected_text(chunks)  # stdout is untouched
    cost = usage["cost"]["total_cost"]
    line = result.stderr.splitlines()[-1]
    assert line.startswith(
        f"perplex: usage: {usage['prompt_tokens']} prompt + {usage['completion_tokens']} "
        f"completion = {usage['total_tokens']} tokens, $"
    )
    assert float(line.rsplit("$", 1)[1]) == pytest.approx(cost)


def test_usage_counts_search_queries_and_uses_the_final_cost(server, cli):
    final = {
        "prompt_tokens": 20,
        "completion_tokens": 5,
        "total_tokens": 25,
        "num_search_queries": 2,
        "cost": {
            "input_tokens_cost": 0.00002,
            "output_tokens_cost": 0.00001,
            "request_cost": 0.005,
            "total_cost": 0.00503,
        },
    }
    chunks = [
        chunk(
            "Hi",
            usage={
                "prompt_tokens": 20,
                "completion_tokens": 1,
                "total_tokens": 21,
                "cost": {"total_cost": 0},
            },
        ),
        chunk("", finish="stop", obj="chat.completion.done", usage=final),
    ]
    server.reply(Reply(body=sse(*chunks)))
    result = cli("--usage", "-f", "json", "q")
    assert result.code == 0
    assert result.stdout.startswith("{")  # the document alone on stdout
    assert (
        result.stderr
        == "perplex: usage: 20 prompt + 5 completion = 25 tokens, 2 search queries, $0.00503\n"
    )


def test_no_usage_line_after_a_cut_answer(server, cli):
    server.reply(Reply(body=sse(chunk("partial"))))
    result = cli("--usage", "q")
    assert result.code == 7
    assert "usage:" not in result.stderr


def test_usage_line_shapes():
    assert usage_line(None) == "perplex: usage: not reported by the API"
    assert (
        usage_line({"total_tokens": 9, "cost": 0.25})
        == "perplex: usage: ? prompt + ? completion = 9 tokens, $0.25"
    )
    assert usage_line(
        {
            "prompt_tokens": 1,
            "completion_tokens": 1,
            "total_tokens": 2,
            "num_search_queries": 1,
            "cost": {"input_tokens_cost": 0.001, "request_cost": 0.005},
        }
    ) == ("perplex: usage: 1 prompt + 1 completion = 2 tokens, 1 search query, $0.006")


# --- the decision per stream -----------------------------------------------------------------


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    "tty,environ,flags,expected",
    [
        (True, {}, {}, StreamStyle(True, True)),
        (False, {}, {}, StreamStyle(False, False)),
        (True, {"NO_COLOR": "1"}, {}, StreamStyle(False, False)),
        (True, {"NO_COLOR": ""}, {}, StreamStyle(True, True)),  # empty does not count
        (True, {"TERM": "dumb"}, {}, StreamStyle(False, False)),
        (True, {}, {"no_color": True}, StreamStyle(False, False)),
        (True, {}, {"quiet": True}, StreamStyle(False, False)),
        (False, {"FORCE_COLOR": "1"}, {}, StreamStyle(True, False)),
        (True, {"FORCE_COLOR": "1", "TERM": "dumb"}, {}, StreamStyle(True, False)),
        (False, {"FORCE_COLOR": "0"}, {}, StreamStyle(False, False)),
        (True, {"FORCE_COLOR": "1", "NO_COLOR": "1"}, {}, StreamStyle(False, False)),
        (False, {"FORCE_COLOR": "1"}, {"no_color": True}, StreamStyle(False, False)),
    ],
)
def test_one_decision_per_stream(tty, environ, flags, expected):
    stream = Tty() if tty else io.StringIO()
    assert decide(stream, environ={"TERM": "xterm", **environ}, **flags) == expected


def test_neutralise_shows_controls_instead_of_obeying_them():
    assert neutralise("a\x1b[31mb\x07c\td\ne\x9bf\u202eg") == "a^[[31mb^Gc\td\ne<U+009B>f<U+202E>g"
    assert neutralise("plain text, caf\u00e9 [1]") == "plain text, caf\u00e9 [1]"
