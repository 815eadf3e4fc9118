"""The SSE layer against the conformance cases that matter for this product."""

from __future__ import annotations

import pytest

from perplex_cli.transport.sse import NormalisedBytes, iter_events


def events(*pieces: bytes) -> list[tuple[str, str]]:
    return [(e.event, e.data) for e in iter_events(NormalisedBytes(iter(pieces)))]


def all_splits(body: bytes) -> list[list[bytes]]:
    """The body whole, byte by byte, and cut at every single position."""
    out = [[body], [body[i : i + 1] for i in range(len(body))]]
    out += [[body[:i], body[i:]] for i in range(1, len(body))]
    return out


CASES = [
    (
        b"data: event 1\n\ndata: event 2 line 1\ndata: event 2 line 2\n\n",
        [("message", "event 1"), ("message", "event 2 line 1\nevent 2 line 2")],
    ),
    (
        b"data: event 1\r\n\r\ndata: a\r\ndata: b\r\n\r\n",
        [("message", "event 1"), ("message", "a\nb")],
    ),
    (
        b"data: dog\rdata: bark\r\rdata: cat\rdata: meow\r\r",
        [("message", "dog\nbark"), ("message", "cat\nmeow")],
    ),
    (b"data: A\r\ndata: B\r\ndata: C\r\n\r\n", [("message", "A\nB\nC")]),
    (b": ping - 2026-06-08 18:49:47\r\n\r\ndata: {}\r\n\r\n", [("message", "{}")]),
    (b"\xef\xbb\xbfdata: first\n\ndata: second\n\n", [("message", "first"), ("message", "second")]),
    (
        b"data:no space\n\ndata:  two spaces\n\n",
        [("message", "no space"), ("message", " two spaces")],
    ),
    (
        b'event: response.output_text.delta\ndata: {"a":1}\n\n',
        [("response.output_text.delta", '{"a":1}')],
    ),
    (b"data: caf\xc3\xa9 \xe2\x82\xac\n\n", [("message", "caf\u00e9 \u20ac")]),
    (b"data: [DONE]\n\n", [("message", "[DONE]")]),
    (b"data: done\n\ndata: unterminated", [("message", "done")]),
    (b'data: done\r\n\r\ndata: {"half":', [("message", "done")]),
    # A blank line whose ending differs from the line before it (sseclient-py merged these).
    (b"data: a\n\r\ndata: b\n\n", [("message", "a"), ("message", "b")]),
    (b"data: a\r\r\ndata: b\r\n\r\n", [("message", "a"), ("message", "b")]),
    (b"data: a\r\n\rdata: b\r\r", [("message", "a"), ("message", "b")]),
    (b"data: a\n\rdata: b\n\n", [("message", "a"), ("message", "b")]),
    (
        b"data: a\r\n\r\ndata: b\n\ndata: c\r\rdata: d\r\n\r\n",
        [("message", "a"), ("message", "b"), ("message", "c"), ("message", "d")],
    ),
    (
        b"data: \xc3\xa9t\xc3\xa9\r\n\r\ndata: \xe2\x82\xac\r\n\r\n",
        [("message", "\u00e9t\u00e9"), ("message", "\u20ac")],
    ),
]


@pytest.mark.parametrize("body,expected", CASES, ids=range(len(CASES)))
def test_events_are_the_same_for_every_split(body, expected):
    for pieces in all_splits(body):
        assert events(*pieces) == expected, pieces


def test_invalid_utf8_becomes_replacement_character_and_the_stream_goes_on():
    assert events(b"data: a\xffb\n\ndata: next\n\n") == [
        ("message", "a\ufffdb"),
        ("message", "next"),
    ]


def test_unterminated_tail_is_reported_not_dispatched():
    source = NormalisedBytes(iter([b"data: one\n\n", b'data: {"cut']))
    assert [e.data for e in iter_events(source)] == ["one"]
    assert source.truncated_tail


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"])
def test_trailing_comment_is_not_an_unterminated_event(ending):
    body = b"data: one" + ending * 2 + b": ping" + ending
    for pieces in all_splits(body):
        source = NormalisedBytes(iter(pieces))
        assert [e.data for e in iter_events(source)] == ["one"]
        assert not source.truncated_tail, pieces


def test_blank_line_split_across_reads_ends_the_event():
    source = NormalisedBytes(iter([b"data: one\n", b"\n"]))
    assert [e.data for e in iter_events(source)] == ["one"]
    assert not source.truncated_tail


def test_unicode_line_separators_do_not_split_lines():
    assert events("data: a\u2028b\u0085c\n\n".encode()) == [("message", "a\u2028b\u0085c")]


@pytest.mark.parametrize("ending", [b"\n\n", b"\r\n\r\n", b""])
def test_an_event_longer_than_the_kept_tail_is_judged_by_its_end(ending):
    body = b"data: one\r\n\r\ndata: " + b"x" * 200_000 + ending
    source = NormalisedBytes(iter([body[i : i + 4096] for i in range(0, len(body), 4096)]))
    data = [e.data for e in iter_events(source)]
    assert data[0] == "one"
    assert source.truncated_tail == (ending == b"")
    assert len(data) == (1 if ending == b"" else 2)
