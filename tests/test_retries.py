"""Retries and timeouts before the answer starts (docs/failures.md, docs/decisions.md).

Counts and spacing come from the server's own request log; the backoff base is 0.01 s
(PERPLEX_RETRY_BASE in the `env` fixture), so the delays are 0.005-0.01 s, then 0.01-0.02 s.
"""

from __future__ import annotations

import email.utils
import itertools
import re
import signal
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from replay import Reply
from streams import answer, sse

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings

OK = Reply(body=sse(*answer("ok")))
RETRY_LINE = re.compile(r"^perplex: retrying in ([0-9.e-]+) s \(attempt (\d+) of (\d+)\): (.+)$")


def retry_lines(stderr: str) -> list[tuple[float, int, int, str]]:
    """(delay, attempt, attempts, reason) of each retry line; every other line is not one."""
    found = []
    for line in stderr.splitlines():
        match = RETRY_LINE.match(line)
        if match:
            found.append((float(match[1]), int(match[2]), int(match[3]), match[4]))
    return found


def gaps(server) -> list[float]:
    times = [r.at for r in server.requests]
    return [b - a for a, b in itertools.pairwise(times)]


def test_503_twice_then_success_waits_the_announced_growing_delays(server, cli):
    server.reply(Reply(status=503), Reply(status=503), OK)
    result = cli("q")
    assert (result.code, result.stdout) == (0, "ok\n")
    lines = retry_lines(result.stderr)
    assert len(result.stderr.splitlines()) == len(lines) == 2
    assert [(a, n, why) for _, a, n, why in lines] == [
        (2, 3, "503 Service Unavailable"),
        (3, 3, "503 Service Unavailable"),
    ]
    first, second = lines[0][0], lines[1][0]
    assert 0.005 <= first <= 0.01 <= second <= 0.02  # exponential, with jitter
    assert len(server.requests) == 3
    for gap, (delay, *_rest) in zip(gaps(server), lines, strict=True):
        assert delay - 0.0005 <= gap < delay + 1.0  # the wait announced is the wait made


def test_503_forever_gives_up_after_the_retries_with_exit_6(server, cli):
    server.reply(Reply(status=503))
    result = cli("q")
    assert result.code == 6
    assert len(server.requests) == 3  # the default: 2 retries
    *notices, last = result.stderr.splitlines()
    assert len(retry_lines(result.stderr)) == len(notices) == 2
    assert last == "perplex: error: Service Unavailable (HTTP 503)"


@pytest.mark.parametrize("retries", [0, 1, 4])
def test_retries_option_sets_the_number_of_attempts(server, cli, retries):
    server.reply(Reply(status=503))
    result = cli("--retries", str(retries), "q")
    assert result.code == 6
    assert len(server.requests) == retries + 1
    assert [n for _, n, _, _ in retry_lines(result.stderr)] == list(range(2, retries + 2))


def test_quiet_hides_the_retry_lines_but_not_the_error(server, cli):
    server.reply(Reply(status=503), Reply(status=503), OK)
    result = cli("-q", "q")
    assert (result.code, result.stdout, result.stderr) == (0, "ok\n", "")
    assert len(server.requests) == 3
    server.replies.clear()
    server.reply(Reply(status=503))
    assert cli("-q", "q").stderr == "perplex: error: Service Unavailable (HTTP 503)\n"


def test_500_with_a_json_body_shows_the_api_message_after_the_retries(server, cli):
    body = b'{"error":{"message":"upstream model crashed","type":"server_error","code":500}}'
    server.reply(Reply(status=500, body=body, content_type="application/json", framing="length"))
    result = cli("q")
    assert result.code == 6
    assert len(server.requests) == 3
    assert result.stderr.splitlines()[-1] == (
        "perplex: error: upstream model crashed [server_error] (HTTP 500)"
    )
    assert retry_lines(result.stderr)[0][3] == "500 Internal Server Error"


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 504])
def test_retryable_statuses_are_retried(server, cli, status):
    server.reply(Reply(status=status), OK)
    result = cli("q")
    assert (result.code, len(server.requests)) == (0, 2)
    assert retry_lines(result.stderr)[0][3].startswith(str(status))


@pytest.mark.parametrize("status,code", [(400, 4), (401, 3), (403, 3), (404, 4), (422, 4)])
def test_other_errors_are_never_retried(server, cli, status, code):
    server.reply(Reply(status=status), OK)
    result = cli("q")
    assert (result.code, len(server.requests)) == (code, 1)
    assert retry_lines(result.stderr) == []


def test_429_retry_after_in_seconds_is_honoured(server, cli):
    server.reply(Reply(status=429, headers={"Retry-After": "0.25"}), OK)
    result = cli("q")
    assert (result.code, result.stdout) == (0, "ok\n")
    [(delay, _, _, why)] = retry_lines(result.stderr)
    assert (delay, why) == (0.25, "429 Too Many Requests")
    assert gaps(server)[0] >= 0.25


def test_429_retry_after_as_a_past_http_date_retries_at_once(server, cli):
    past = email.utils.formatdate(time.time() - 30, usegmt=True)
    server.reply(Reply(status=429, headers={"Retry-After": past}), OK)
    result = cli("q")
    assert result.code == 0
    assert retry_lines(result.stderr)[0][0] == 0  # the date was read, not the backoff used


def test_429_forever_is_exit_5_with_a_hint(server, cli):
    server.reply(Reply(status=429, headers={"Retry-After": "0"}))
    result = cli("q")
    assert result.code == 5
    assert len(server.requests) == 3
    assert result.stderr.splitlines()[-2:] == [
        "perplex: error: Too Many Requests (HTTP 429)",
        "perplex: hint: slow down, or raise --retries",
    ]


@pytest.mark.parametrize(
    "header",
    ["3600", email.utils.formatdate(time.time() + 3600, usegmt=True)],
    ids=["seconds", "http-date"],
)
def test_retry_after_is_capped_at_60_s_and_ctrl_c_ends_the_wait(server, spawn, header):
    server.reply(Reply(status=429, headers={"Retry-After": header}), OK)
    proc = spawn("q", preexec_fn=_default_sigint)
    line = proc.stderr.readline().decode()
    assert retry_lines(line) == [(60.0, 2, 3, "429 Too Many Requests")]
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert time.monotonic() - started < 5
    assert (proc.returncode, out) == (130, b"")
    assert err.decode() == "perplex: interrupted\n"
    assert len(server.requests) == 1


def test_connection_refused_is_retried_then_exit_7(cli, closed_port):
    url = f"http://127.0.0.1:{closed_port}"
    result = cli("--base-url", url, "q")
    assert result.code == 7
    assert len(retry_lines(result.stderr)) == 2
    assert (
        result.stderr.splitlines()[-1]
        == f"perplex: error: could not connect to {url}: connection refused"
    )


def test_wrong_port_that_is_not_http_is_exit_7_naming_it(cli, not_http):
    url, received = not_http
    result = cli("--base-url", url, "q")
    assert result.code == 7
    assert len(received) == 3
    assert result.stderr.splitlines()[-1] == (
        f"perplex: error: {url} is not an HTTP server (it answered 'SSH-2.0-OpenSSH_9.6'); check the URL"
    )


def test_slow_server_before_the_status_line_is_a_network_error_after_retries(server, cli):
    server.reply(Reply(body=sse(*answer("late")), wait_before=1.0))
    result = cli("--timeout", "0.2", "q")
    assert result.code == 7
    assert len(server.requests) == 3
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        f"perplex: error: no response from {server.url} within 0.2 s"
    )


def test_silence_after_the_headers_before_any_byte_is_retried(server, cli):
    server.reply(Reply(pieces=[], fault="stall", stall=3), OK)
    result = cli("--timeout", "0.2", "q")
    assert (result.code, result.stdout) == (0, "ok\n")
    assert len(server.requests) == 2
    assert retry_lines(result.stderr)[0][3] == "no data from the server for 0.2 s"


def test_reset_after_the_headers_before_any_byte_is_retried(server, cli):
    server.reply(Reply(pieces=[], fault="reset"), OK)
    result = cli("q")
    assert (result.code, result.stdout) == (0, "ok\n")
    assert len(server.requests) == 2


def test_connect_timeout_is_a_network_error(cli, unaccepting_port):
    url = f"http://127.0.0.1:{unaccepting_port}"
    started = time.monotonic()
    result = cli("--base-url", url, "--connect-timeout", "0.2", "--retries", "1", "q")
    assert result.code == 7
    assert time.monotonic() - started < 3
    assert (
        result.stderr.splitlines()[-1] == f"perplex: error: could not connect to {url} within 0.2 s"
    )


def test_retry_after_parsing():
    from perplex_cli.transport.retry import retry_after

    soon = email.utils.formatdate(time.time() + 10, usegmt=True)
    assert retry_after("7") == 7
    assert retry_after("100000") == 60
    assert 8 <= retry_after(soon) <= 10
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert retry_after("soon") is None and retry_after("") is None and retry_after("nan") is None


def test_backoff_never_exceeds_a_minute_whatever_the_attempt():
    from perplex_cli.transport.retry import backoff

    assert all(30 <= backoff(1.0, attempt) <= 60 for attempt in (7, 40, 10**6))


def _default_sigint() -> None:
    # A shell starts background jobs with SIGINT ignored, and Python keeps it so: the test
    # stands for a user at a terminal, where Ctrl-C is delivered.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture
def not_http() -> Iterator[tuple[str, list[bytes]]]:
    """A port where something answers, but not HTTP (as an SSH server would)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    received: list[bytes] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            received.append(conn.recv(65536))
            conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", received
    listener.close()


@pytest.fixture
def unaccepting_port() -> Iterator[int]:
    """A port whose accept queue is full, so that a new connection hangs in connect."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(listener.getsockname())
        except BlockingIOError:
            pass
        fillers.append(filler)
    yield listener.getsockname()[1]
    for sock in [*fillers, listener]:
        sock.close()


def test_tls_failure_is_a_network_error(cli, not_http):
    url, _ = not_http
    tls_url = url.replace("http://", "https://")
    result = cli("--base-url", tls_url, "--retries", "0", "q")
    assert result.code == 7
    assert result.stderr == f"perplex: error: TLS failed for {tls_url}: wrong version number\n"
