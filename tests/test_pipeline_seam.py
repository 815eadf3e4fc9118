"""The pipeline's edge cases in memory, through the transport seam (mock_transport.py).

Everything from the transport's retry loop to the formatter is the product's own code;
only the socket is replaced, so each case runs in milliseconds. Framings, signals, pipes
and delivery timing stay with the real HTTP server of the other tests.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import urllib3.exceptions
from mock_transport import Canned, MockAdapter, replies
from streams import answer, chunk, sse

from perplex_cli.api.protocol import protocol_for
from perplex_cli.errors import ApiError, AuthError, CutStream, ProtocolError, RateLimited
from perplex_cli.output import make_formatter
from perplex_cli.transport.client import Transport, TransportSettings

RECORDED = (
    Path(__file__).parent
    / "fixtures"
    / "perplexity"
    / "prism__stream-basic-text-1__20251123_c7add2b.sse"
)
BODY = {"model": "sonar", "messages": [{"role": "user", "content": "q"}], "stream": True}


def ask(*canned: Canned, fmt: str = "text", retries: int = 0, api: str = "chat"):
    """One streamed exchange through the seam: (outcome, stdout, stderr, adapter)."""
    adapter = MockAdapter(replies(*canned))
    notices: list[str] = []
    transport = Transport(
        TransportSettings(
            base_url="https://api.invalid", api_key="pplx-test", retries=retries, retry_base=0.0
        ),
        on_retry=notices.append,
        adapter=adapter,
    )
    protocol = protocol_for(api)
    out, err = io.StringIO(), io.StringIO()
    formatter = make_formatter(fmt, out, err)
    try:
        response = protocol.send(transport, BODY, stream=True)
        outcome = protocol.read(response, formatter, protocol.accumulator(), stream=True)
    finally:
        transport.close()
    return outcome, out.getvalue(), err.getvalue() + "".join(notices), adapter


def whole_text(body: bytes) -> str:
    """The answer a plain reader finds in the recording: the deltas joined."""
    text = ""
    for event in body.decode("utf-8").replace("\r\n", "\n").split("\n\n"):
        for line in event.split("\n"):
            if line.startswith("data: ") and line[6:].strip() != "[DONE]":
                delta = json.loads(line[6:])["choices"][0].get("delta", {})
                text += delta.get("content") or ""
    return text


def pieces_of(body: bytes, size: int, one_byte_head: int = 0) -> list[bytes]:
    """The body cut every `size` bytes, after its first `one_byte_head` bytes one by one."""
    head = [body[i : i + 1] for i in range(min(one_byte_head, len(body)))]
    rest = body[len(head) :]
    return head + [rest[i : i + size] for i in range(0, len(rest), size)]


@pytest.mark.parametrize("size,head", [(5, 1500), (7, 0), (13, 0), (64, 0), (4096, 0)])
def test_a_recording_read_in_any_piece_size_gives_the_same_answer(size, head):
    body = RECORDED.read_bytes()
    outcome, _, _, _ = ask(Canned(pieces=pieces_of(body, size, head)), fmt="json")
    assert outcome.error is None
    assert outcome.acc.content == whole_text(body) != ""


def test_a_reset_after_two_events_keeps_them_and_is_a_cut_stream():
    events = [sse(chunk("Hello ")), sse(chunk("world"))]
    reset = urllib3.exceptions.ProtocolError(
        "Connection broken", ConnectionResetError(104, "reset")
    )
    outcome, out, _, adapter = ask(Canned(pieces=events, fault=reset), fmt="json", retries=3)
    assert isinstance(outcome.error, CutStream)
    assert outcome.acc.content == "Hello world"
    assert len(adapter.sent) == 1  # never retried once the answer started
    doc = json.loads(out)
    assert doc["choices"][0]["message"]["content"] == "Hello world"
    assert doc["error"]["type"] == "cut_stream"


def test_a_silent_read_is_reported_as_the_silence_it_was():
    events = [sse(chunk("Hello"))]
    stall = urllib3.exceptions.ReadTimeoutError(None, "/", "read timed out")
    outcome, _, _, _ = ask(Canned(pieces=events, fault=stall))
    assert isinstance(outcome.error, CutStream)
    assert "no data from the server" in outcome.error.message


def error_reply(status: int) -> Canned:
    return Canned(
        status=status,
        headers={"Content-Type": "application/json"},
        pieces=[b'{"error": {"message": "no"}}'],
    )


@pytest.mark.parametrize("status,kind", [(400, ApiError), (401, AuthError), (404, ApiError)])
def test_an_error_status_that_cannot_pass_is_typed_and_not_retried(status, kind):
    with pytest.raises(kind) as raised:
        ask(error_reply(status), Canned(pieces=[sse(*answer("never"))]), retries=2)
    assert f"HTTP {status}" in raised.value.message


@pytest.mark.parametrize("status,kind", [(429, RateLimited), (503, ApiError)])
def test_an_error_status_that_may_pass_is_retried(status, kind):
    with pytest.raises(kind):
        ask(error_reply(status), retries=2)
    outcome, out, notices, adapter = ask(
        error_reply(status), Canned(pieces=[sse(*answer("fine"))]), retries=2
    )
    assert outcome.error is None
    assert out.startswith("fine")
    assert len(adapter.sent) == 2
    assert "retrying" in notices


def test_an_error_event_inside_the_stream_ends_the_answer_with_its_type():
    pieces = [sse(chunk("part")), sse('{"error": {"message": "overloaded", "code": 503}}')]
    outcome, out, _, _ = ask(Canned(pieces=pieces), fmt="ndjson")
    assert outcome.error is not None and outcome.error.exit_code == 6
    assert json.loads(out.splitlines()[-1])["error"]["message"] == "overloaded"


def test_a_body_that_is_not_an_event_stream_is_a_protocol_error():
    outcome, _, _, _ = ask(
        Canned(headers={"Content-Type": "text/html"}, pieces=[b"<html>hello</html>"])
    )
    assert isinstance(outcome.error, ProtocolError)
    assert "not an event stream" in outcome.error.message


def test_the_request_carries_the_key_and_the_body():
    _, _, _, adapter = ask(Canned(pieces=[sse(*answer("ok"))]))
    (sent,) = adapter.sent
    assert sent.url == "https://api.invalid/chat/completions"
    assert sent.headers["Authorization"] == "Bearer pplx-test"
    assert json.loads(sent.body) == BODY
