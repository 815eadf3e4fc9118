"""Bytes from the network -> SSE events, with sseclient-py doing the field parsing.

sseclient-py follows the standard except at a few edges (decisions D3). The byte source
handed to it is normalised first so that those edges never reach it:

- one leading UTF-8 BOM is dropped (sseclient would lose the first event);
- invalid UTF-8 becomes U+FFFD (sseclient decodes strictly and would raise), and a
  character split across reads is held until it is whole; a valid read is only checked,
  not decoded and encoded again (a third of the cost of a non-ASCII answer, issue 9);
- CRLF and lone CR become LF, also when the CR ends one read and the LF starts the next
  (sseclient merges events when a blank line mixes endings);
- at the end of the body, an event not terminated by a blank line is reported as a
  truncated tail instead of being handed out as if it were whole.
"""

from __future__ import annotations

import codecs
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Protocol

from sseclient import SSEClient

_BOM = b"\xef\xbb\xbf"
TAIL_KEEP = 65536


class NormalisedBytes:
    """Iterates over UTF-8, LF-terminated bytes made from raw network reads."""

    def __init__(self, reads: Iterable[bytes]) -> None:
        self._reads = reads
        self._pending = b""  # the start of a character cut by the end of a read
        self._skip_lf = False
        self._at_start = True
        # The latest pieces handed on, at least TAIL_KEEP bytes: where a truncated tail is.
        self._recent: deque[bytes] = deque()
        self._recent_size = 0
        self.received_any = False
        self.ended = False
        # True when the body ended inside an event (after data, before its blank line).
        self.truncated_tail = False
        self.head = ""  # the first characters, to quote a body that is not a stream

    def __iter__(self) -> Iterator[bytes]:
        for raw in self._reads:
            if not raw:
                continue
            self.received_any = True
            out = self._normalise(self._valid(raw))
            if out:
                yield out
        if self._pending:
            out = self._normalise(self._pending.decode("utf-8", "replace").encode("utf-8"))
            self._pending = b""
            if out:
                yield out
        self.ended = True
        self.truncated_tail = _has_unterminated_event(self._tail())

    def _valid(self, raw: bytes) -> bytes:
        """raw as valid UTF-8, less a character cut by the end of the read."""
        data = self._pending + raw if self._pending else raw
        self._pending = b""
        if data.isascii():
            return data
        try:
            used = codecs.utf_8_decode(data, "strict", False)[1]
        except UnicodeDecodeError:
            text, used = codecs.utf_8_decode(data, "replace", False)
            self._pending = data[used:]
            return text.encode("utf-8")
        if used < len(data):
            self._pending = data[used:]
            return data[:used]
        return data

    def _normalise(self, data: bytes) -> bytes:
        if self._at_start and data:
            self._at_start = False
            if data.startswith(_BOM):
                data = data[3:]
        if self._skip_lf and data:
            self._skip_lf = False
            if data[:1] == b"\n":
                data = data[1:]
        if not data:
            return b""
        if b"\r" in data:
            self._skip_lf = data[-1:] == b"\r"
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        recent = self._recent
        recent.append(data)
        self._recent_size += len(data)
        while self._recent_size - len(recent[0]) >= TAIL_KEEP:
            self._recent_size -= len(recent.popleft())
        if len(self.head) < 200:
            self.head += data[:200].decode("utf-8", "replace")[: 200 - len(self.head)]
        return data

    def _tail(self) -> str:
        """The end of the body after its last blank line (within its last TAIL_KEEP bytes)."""
        window = b"".join(self._recent)
        cut = window.rfind(b"\n\n")
        return (window[cut + 2 :] if cut >= 0 else window).decode("utf-8", "replace")


def _has_unterminated_event(tail: str) -> bool:
    """Whether the text after the last blank line holds a field line (not only comments)."""
    for line in tail.split("\n"):
        if line and not line.startswith(":"):
            return True
    return False


class Event(Protocol):
    """One dispatched SSE event: sseclient-py's own object, handed on without a copy."""

    event: str
    data: str


def iter_events(source: NormalisedBytes) -> Iterator[Event]:
    """Yield the complete events of the body; a truncated last event is not yielded."""
    for ev in SSEClient(iter(source)).events():
        if source.ended and source.truncated_tail:
            # sseclient hands out the unterminated tail at EOF: it is not an event.
            return
        yield ev
