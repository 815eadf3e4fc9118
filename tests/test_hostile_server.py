"""A hostile server cannot hang perplex, grow its memory without bound, or redirect it.

Each case runs perplex in a subprocess against a local server with one hostile behaviour
and asserts the documented exit code, one error line (no traceback), what was received
kept, and bounded time and memory. The margins are generous: the machine is shared.
"""

from __future__ import annotations

import gzip
import json
import socket
import time

import pytest
from hostile import HEAD, HostileServer, chunked, measured
from streams import chunk, sse

ASK = ["ask", "--api", "chat", "--retries", "0", "--no-log"]
HELLO = sse(chunk("Hello "))


@pytest.fixture
def hostile(env):
    servers: list[HostileServer] = []

    def start(behave):  # type: ignore[no-untyped-def]
        srv = HostileServer(behave)
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.close()


def one_error_line(stderr: str, *words: str) -> None:
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    errors = [line for line in lines if line.startswith("perplex: error: ")]
    assert len(errors) == 1, stderr
    for word in words:
        assert word in errors[0], stderr


def test_a_status_line_trickled_a_byte_a_second_ends_within_the_timeout(hostile):
    def trickle(sock: socket.socket) -> None:
        for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n" * 100:
            sock.sendall(bytes([byte]))
            time.sleep(0.5)

    srv = hostile(trickle)
    run = measured([*ASK, "--base-url", srv.url, "--timeout", "2", "q"], limit=90)
    assert run.code == 7, run.stderr
    one_error_line(run.stderr, "no response from", "within 2 s")
    assert run.seconds < 30  # 2 s plus start-up; unbounded before (one byte reset the timer)


def test_a_batch_whose_heads_all_trickle_ends_each_request_at_its_own_deadline(hostile, tmp_path):
    def trickle(sock: socket.socket) -> None:
        for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n" * 100:
            sock.sendall(bytes([byte]))
            time.sleep(0.5)

    srv = hostile(trickle)
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("one\ntwo\nthree\nfour\nfive\n")
    batch = ["batch", "--api", "chat", "--retries", "0", "--no-log", "-q", "-j", "3"]
    run = measured([*batch, "--base-url", srv.url, "--timeout", "2", str(prompts)], limit=90)
    assert run.code == 7, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert sorted(line["id"] for line in lines) == [0, 1, 2, 3, 4]
    assert all(line["error"]["type"] == "network_error" for line in lines), lines
    assert srv.requests == 5
    assert run.seconds < 40  # two rounds of 3 and 2 requests, 2 s each, plus start-up


def test_an_endless_answer_stops_at_the_answer_limit_keeping_the_text(hostile):
    piece = sse(chunk("y" * 65535 + "\n"))

    def endless(sock: socket.socket) -> None:
        sock.sendall(HEAD)
        chunked(sock, HELLO)
        while True:
            chunked(sock, piece)

    srv = hostile(endless)
    run = measured([*ASK, "--base-url", srv.url, "q"])
    assert run.code == 8, run.stderr
    one_error_line(run.stderr, "the answer is longer than 64 Mi characters")
    assert run.stdout.startswith(b"Hello yyy")
    assert 60 * 2**20 < len(run.stdout) <= 64 * 2**20 + 100  # everything up to the limit
    assert run.peak_mb < 400, run.peak_mb  # 176 MB measured; 2.2 GB after 20 s without a limit
    assert srv.gone.wait(10), "the connection was not closed"


def test_an_endless_event_stops_at_the_event_limit_keeping_the_answer(hostile):
    def giant(sock: socket.socket) -> None:
        sock.sendall(HEAD)
        chunked(sock, HELLO + b'data: {"choices":"')
        while True:
            chunked(sock, b"z" * 65536)

    srv = hostile(giant)
    run = measured([*ASK, "--base-url", srv.url, "-f", "json", "q"])
    assert run.code == 8, run.stderr
    one_error_line(run.stderr, "longer than 16 MiB")
    doc = json.loads(run.stdout)
    assert doc["choices"][0]["message"]["content"] == "Hello "
    assert doc["error"]["type"] == "protocol_error"
    assert run.peak_mb < 150, run.peak_mb  # about 50 MB measured


def test_an_event_of_200k_lines_is_parsed_in_linear_time(hostile):
    # One chunk whose JSON is spread over 200,000 data lines (joined by LF: whitespace).
    event = b'data: {"id":"x","choices":[{"index":0,\n' + b"data: \n" * 200_000
    event += b'data: "delta":{"content":"hi"},"finish_reason":"stop"}]}\n\n'

    def lines(sock: socket.socket) -> None:
        sock.sendall(HEAD)
        for i in range(0, len(event), 4096):
            chunked(sock, event[i : i + 4096])
        chunked(sock, b"data: [DONE]\n\n")
        sock.sendall(b"0\r\n\r\n")

    srv = hostile(lines)
    run = measured([*ASK, "--base-url", srv.url, "q"], limit=120)
    assert run.code == 0, run.stderr
    assert run.stdout == b"hi\n"
    assert run.seconds < 20  # 38 s before: the library joined the event line by line


def test_a_small_gzip_body_that_inflates_to_100_mb_is_bounded(hostile):
    line = b"data: " + b"x" * 100 + b"\n"
    body = gzip.compress(HELLO + line * 1_000_000 + b"\n", 9)
    assert len(body) < 500_000

    def bomb(sock: socket.socket) -> None:
        sock.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Encoding: gzip\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
        )
        sock.recv(1)  # until the client goes away

    srv = hostile(bomb)
    run = measured([*ASK, "--base-url", srv.url, "q"])
    assert run.code == 8, run.stderr
    one_error_line(run.stderr, "longer than 16 MiB")
    assert run.stdout == b"Hello \n"
    assert run.seconds < 40  # 45 s and 650 MB for a 100 KB body before
    assert run.peak_mb < 150, run.peak_mb  # about 50 MB measured


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_not_followed(hostile, status):
    elsewhere = hostile(lambda sock: sock.sendall(HEAD + b"0\r\n\r\n"))
    target = elsewhere.url + "/chat/completions"

    def redirect(sock: socket.socket) -> None:
        sock.sendall(
            b"HTTP/1.1 %d Moved\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n"
            % (status, target.encode())
        )

    srv = hostile(redirect)
    run = measured([*ASK, "--base-url", srv.url, "q"])
    assert run.code == 8, run.stderr
    one_error_line(run.stderr, "redirected", target, "not followed")
    assert elsewhere.requests == 0  # the prompt went nowhere else
    assert run.stdout == b""
