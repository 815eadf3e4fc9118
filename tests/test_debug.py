"""--debug shows the HTTP exchange and tracebacks, never the key; without it, one line."""

from __future__ import annotations

import json

import pytest
from conftest import SENTINEL_KEY
from replay import Reply
from streams import answer, sse

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings


@pytest.mark.parametrize(
    "args",
    [["--debug", "q"], ["q", "--debug"], ["ask", "--debug", "q"]],
    ids=["root", "after", "ask"],
)
def test_debug_shows_the_exchange_with_the_key_redacted(server, cli, args):
    server.reply(Reply(body=sse(*answer("ok")), headers={"X-Request-Id": "abc123"}))
    result = cli(*args)
    assert (result.code, result.stdout) == (0, "ok\n")  # stdout carries the answer only
    lines = result.stderr.splitlines()
    assert lines[0] == f"> POST {server.url}/chat/completions"
    assert "> Authorization: Bearer ***" in lines
    assert "> Content-Type: application/json" in lines
    body = next(line for line in lines if line.startswith("> {"))
    assert json.loads(body[2:])["messages"] == [{"role": "user", "content": "q"}]
    assert "< HTTP/1.1 200 OK" in lines
    assert "< X-Request-Id: abc123" in lines
    assert SENTINEL_KEY not in result.stderr


def test_debug_shows_every_attempt_and_the_traceback_of_the_failure(server, cli):
    server.reply(Reply(status=503))
    result = cli("--debug", "--retries", "1", "q")
    assert result.code == 6
    assert result.stderr.count("> POST ") == 2
    assert result.stderr.count("< HTTP/1.1 503 Service Unavailable") == 2
    assert "Traceback (most recent call last):" in result.stderr
    assert "perplex_cli.errors.ServerError" in result.stderr
    assert SENTINEL_KEY not in result.stderr


def test_without_debug_there_is_no_exchange_and_no_traceback(server, cli):
    server.reply(Reply(status=503))
    result = cli("--retries", "0", "q")
    assert result.stderr == "perplex: error: Service Unavailable (HTTP 503)\n"


def test_unexpected_error_is_one_line_asking_for_debug(server, spawn):
    # A full disk is nothing perplex knows about: the catch-all must still be one line.
    server.reply(Reply(body=sse(*answer("ok"))))
    with open("/dev/full", "w") as full:
        proc = spawn("q", stdout=full)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 1
    assert err.decode() == (
        "perplex: internal error: OSError: [Errno 28] No space left on device "
        "(run with --debug for the details)\n"
    )


def test_unexpected_error_with_debug_shows_the_traceback_without_the_key(server, spawn):
    server.reply(Reply(body=sse(*answer("ok"))))
    with open("/dev/full", "w") as full:
        proc = spawn("--debug", "q", stdout=full)
        _, err = proc.communicate(timeout=10)
    text = err.decode()
    assert proc.returncode == 1
    assert "Traceback (most recent call last):" in text
    assert (
        text.splitlines()[-1]
        == "perplex: internal error: OSError: [Errno 28] No space left on device"
    )
    assert "Authorization: Bearer ***" in text
    assert SENTINEL_KEY not in text
