"""The SSE layer against the conformance cases that matter for this product."""

from __future__ import annotations

import pytest

from perplex_cli.sse import NormalisedBytes, iter_events


def events(*pieces: bytes) -> list[tuple[str, str]]:
    return [(e.event, e.data) for e in iter_events(NormalisedBytes(iter(pieces)))]


def all_splits(body: bytes) -> list[list[bytes]]:
    """The body whole, byte by byte, and cut at every single position."""
    out = [[body], [body[i : i + 1] for i in range(len(body))]]
    out += [[body[:i], body[i:]] for i in range(1, len(body))]
    return out


CASES = [
    (b"data: event 1\n\ndata: event 2 line 1\ndata: event 2 line 2\n\n",
     [("message", "event 1"), ("message", "event 2 line 1\nevent 2 line 2")]),
    (b"data: event 1\r\n\r\ndata: a\r\ndata: b\r\n\r\n", [("message", "event 1"), ("message", "a\nb")]),
    (b"data: dog\rdata: bark\r\rdata: cat\rdata: meow\r\r", [("message", "dog\nbark"), ("message", "cat\nmeow")]),
    (b"data: A\r\ndata: B\r\ndata: C\r\n\r\n", [("message", "A\nB\nC")]),
    (b": ping - 2026-06-08 18:49:47\r\n\r\ndata: {}\r\n\r\n", [("message", "{}")]),
    (b"\xef\xbb\xbfdata: first\n\ndata: second\n\n", [("message", "first"), ("message", "second")]),
    (b"data:no space\n\ndata:  two spaces\n\n", [("message", "no space"), ("message", " two spaces")]),
    (b"event: response.output_text.delta\ndata: {\"a\":1}\n\n", [("response.output_text.delta", '{"a":1}')]),
    (b"data: caf\xc3\xa9 \xe2\x82\xac\n\n", [("message", "caf\u00e9 \u20ac")]),
    (b"data: [DONE]\n\n", [("message", "[DONE]")]),
    (b"data: done\n\ndata: unterminated", [("message", "done")]),
    (b"data: done\r\n\r\ndata: {\"half\":", [("message", "done")]),
]


@pytest.mark.parametrize("body,expected", CASES, ids=range(len(CASES)))
def test_events_are_the_same_for_every_split(body, expected):
    for pieces in all_splits(body):
        assert events(*pieces) == expected, pieces


def test_invalid_utf8_becomes_replacement_character_and_the_stream_goes_on():
    assert events(b"data: a\xffb\n\ndata: next\n\n") == [("message", "a\ufffdb"), ("message", "next")]


def test_unterminated_tail_is_reported_not_dispatched():
    source = NormalisedBytes(iter([b"data: one\n\n", b"data: {\"cut"]))
    assert [e.data for e in iter_events(source)] == ["one"]
    assert source.truncated_tail


def test_trailing_comment_is_not_an_unterminated_event():
    source = NormalisedBytes(iter([b"data: one\n\n: ping\n"]))
    assert [e.data for e in iter_events(source)] == ["one"]
    assert not source.truncated_tail


def test_blank_line_split_across_reads_ends_the_event():
    source = NormalisedBytes(iter([b"data: one\n", b"\n"]))
    assert [e.data for e in iter_events(source)] == ["one"]
    assert not source.truncated_tail


def test_unicode_line_separators_do_not_split_lines():
    assert events("data: a\u2028b\u0085c\n\n".encode()) == [("message", "a\u2028b\u0085c")]
