"""Ctrl-C and a closed stdout, on a real subprocess (docs/decisions.md).

Ctrl-C: the connection is closed at once, the partial answer kept, exit 130, one line.
A reader that goes away (`| head -c 10`): the connection is closed at once (the server
sees it before the end of the answer), nothing is said, exit 141.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
from replay import Reply
from streams import answer, chunk, sse

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings

EVENTS = [sse(chunk("Hello ")), sse(chunk("world"))]
LONG = [sse(c) for c in answer(*(f"word{i} " for i in range(150)))]  # 1.5 s at 10 ms apart


def default_sigint() -> None:
    # A shell starts background jobs with SIGINT ignored, and Python keeps it so: these
    # tests stand for a user at a terminal, where Ctrl-C is delivered.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for(condition, limit: float = 10.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def read_until(fd: int, expected: bytes) -> bytes:
    seen = b""
    while expected not in seen:
        data = os.read(fd, 65536)
        assert data, f"stdout ended before {expected!r}: {seen!r}"
        seen += data
    return seen


@pytest.mark.parametrize("fmt", ["text", "ndjson", "json"])
def test_ctrl_c_mid_answer_keeps_the_partial_answer(server, spawn, fmt):
    server.reply(Reply(pieces=EVENTS, fault="stall", stall=20))
    proc = spawn("-f", fmt, "q", preexec_fn=default_sigint)
    fd = proc.stdout.fileno()
    if fmt == "json":  # nothing is written before the end: wait until both events are out
        wait_for(lambda: len(server.writes) == 2)
        time.sleep(0.3)
        seen = b""
    else:
        seen = read_until(fd, b"world")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    out = seen + out
    assert proc.returncode == 130
    assert err.decode() == "perplex: interrupted\n"  # no traceback, no "Aborted!"
    assert server.closed_early.wait(5), "the connection was not closed"
    if fmt == "text":
        assert out == b"Hello world\n"
    elif fmt == "ndjson":
        lines = [json.loads(line) for line in out.splitlines()]
        assert [c["choices"][0]["delta"]["content"] for c in lines[:-1]] == ["Hello ", "world"]
        assert lines[-1] == {"error": {"type": "interrupted", "message": "interrupted (Ctrl-C)"}}
    else:
        doc = json.loads(out)
        assert doc["choices"][0]["message"]["content"] == "Hello world"
        assert doc["error"] == {"type": "interrupted", "message": "interrupted (Ctrl-C)"}


def test_ctrl_c_while_waiting_for_the_first_byte(server, spawn):
    server.reply(Reply(body=sse(*answer("late")), wait_before=20))
    proc = spawn("-f", "json", "q", preexec_fn=default_sigint)
    wait_for(lambda: len(server.requests) == 1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert (proc.returncode, out, err) == (130, b"", b"perplex: interrupted\n")


def test_ctrl_c_while_connecting(spawn, tmp_path):
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = [socket.socket() for _ in range(3)]
    for filler in fillers:  # fill the accept queue: the next connect hangs
        filler.setblocking(False)
        try:
            filler.connect(listener.getsockname())
        except BlockingIOError:
            pass
    port = listener.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    try:
        waiting = connecting_to(port)
        proc = spawn("--base-url", url, "q", preexec_fn=default_sigint)
        wait_for(lambda: connecting_to(port) > waiting)  # perplex is inside connect()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        for sock in [*fillers, listener]:
            sock.close()
    assert (proc.returncode, out, err) == (130, b"", b"perplex: interrupted\n")


def connecting_to(port: int) -> int:
    """How many sockets on this machine are sending a SYN to 127.0.0.1:port (Linux)."""
    with open("/proc/net/tcp") as table:
        rows = [line.split() for line in table.readlines()[1:]]
    return sum(1 for row in rows if row[2] == f"0100007F:{port:04X}" and row[3] == "02")


@pytest.mark.parametrize("fmt", ["text", "ndjson", "json"])
def test_head_closing_stdout_closes_the_connection_at_once(server, spawn, fmt):
    server.reply(Reply(pieces=LONG, delay=0.01))
    proc = spawn("-f", fmt, "q")
    if fmt == "json":
        # json writes at the end: a reader that left must still stop the answer at once.
        wait_for(lambda: len(server.writes) >= 5)
        proc.stdout.close()
        head_out = b""
    else:
        head = subprocess.Popen(["head", "-c", "10"], stdin=proc.stdout, stdout=subprocess.PIPE)
        proc.stdout.close()  # head is now the only reader
        head_out = head.communicate(timeout=10)[0]
    err = proc.stderr.read()
    proc.wait(timeout=10)
    assert proc.returncode == 141
    assert err == b""
    assert server.closed_early.wait(5)
    assert len(server.writes) < len(LONG), "the whole answer was sent to a reader that left"
    if fmt != "json":
        assert len(head_out) == 10


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_pipe_closed_during_the_final_sources_or_document_write(server, spawn, fmt):
    # More than a pipe holds: the last write blocks until head leaves, then fails.
    many = [f"https://example.org/{i}/" + "x" * 60 for i in range(2000)]
    server.reply(Reply(body=sse(*answer("short answer", citations=many))))
    proc = spawn("-f", fmt, "q")
    head = subprocess.Popen(["head", "-c", "10"], stdin=proc.stdout, stdout=subprocess.PIPE)
    proc.stdout.close()
    assert len(head.communicate(timeout=10)[0]) == 10
    err = proc.stderr.read()
    proc.wait(timeout=10)
    assert (proc.returncode, err) == (141, b"")


def test_closed_stderr_leaves_the_answer_and_the_connection_alone(server, spawn):
    # With fd 2 closed the next socket would take it, and a retry notice would be written
    # into the HTTP connection.
    server.reply(Reply(status=503), Reply(body=sse(*answer("fine"))))
    proc = spawn("q", stderr=None, preexec_fn=lambda: os.close(2))
    out, _ = proc.communicate(timeout=10)
    assert (proc.returncode, out) == (0, b"fine\n")
    assert [r.json()["messages"] for r in server.requests] == [
        [{"role": "user", "content": "q"}]
    ] * 2


def test_closed_stdout_at_start_is_like_dev_null(server, spawn):
    server.reply(Reply(body=sse(*answer("fine"))))
    proc = spawn("q", stdout=None, preexec_fn=lambda: os.close(1))
    _, err = proc.communicate(timeout=10)
    assert (proc.returncode, err) == (0, b"")
