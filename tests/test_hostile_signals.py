"""SIGTERM and SIGHUP end an answer as Ctrl-C does; a second signal cannot cut the log write.

perplex runs in a real subprocess (PYTHONUNBUFFERED unset): the partial answer is kept in
every format, the json document carries the error member, the exchange is logged as
interrupted, and the exit status is 128 + the signal.
"""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from replay import Reply
from streams import chunk, sse

from perplex_cli import signals

EVENTS = [sse(chunk("Hello ")), sse(chunk("world"))]


def wait_for(condition, limit: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


@pytest.mark.parametrize(("name", "status"), [("SIGTERM", 143), ("SIGHUP", 129)])
def test_a_signal_mid_answer_keeps_the_partial_json_document_and_logs_it(
    server, spawn, cli, name, status
):
    server.reply(Reply(pieces=EVENTS, fault="stall", stall=30))
    proc = spawn("ask", "--api", "chat", "-f", "json", "q")
    wait_for(lambda: len(server.writes) == 2)
    time.sleep(0.3)  # both events read by the client
    proc.send_signal(getattr(signal, name))
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == status
    assert err.decode() == f"perplex: terminated ({name})\n"  # one line, no traceback
    doc = json.loads(out)
    assert doc["choices"][0]["message"]["content"] == "Hello world"
    assert doc["error"] == {"type": "interrupted", "message": f"terminated ({name})"}
    assert server.closed_early.wait(5), "the connection was not closed"
    rows = json.loads(cli("logs", "-f", "json").stdout)
    assert [(r["status"], r["answer"]) for r in rows] == [("interrupted", "Hello world")]


def test_a_signal_during_a_deferred_write_takes_effect_after_it():
    finished = []
    with pytest.raises(KeyboardInterrupt), signals.deferred():
        os.kill(os.getpid(), signal.SIGINT)  # a second Ctrl-C in the middle of the write
        time.sleep(0.05)
        finished.append(True)
    assert finished == [True]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.parametrize(("name", "status"), [("SIGTERM", 143), ("SIGHUP", 129)])
def test_a_signal_ends_chat_at_its_prompt(server, env, name, status):
    import sys

    import pexpect

    child = pexpect.spawn(
        sys.executable,
        ["-m", "perplex_cli", "chat", "--api", "chat"],
        env={**os.environ, "TERM": "dumb"},
        encoding="utf-8",
        timeout=15,
    )
    try:
        child.expect_exact("sonar> ")
        time.sleep(0.3)
        child.kill(getattr(signal, name))  # Ctrl-C here clears the line; these end the chat
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == status
        assert f"perplex: terminated ({name})" in child.before
        assert "Traceback" not in child.before
    finally:
        child.close(force=True)
