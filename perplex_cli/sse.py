"""Bytes from the network -> SSE events, with sseclient-py doing the field parsing.

sseclient-py follows the standard except at a few edges (decisions D3). The byte source
handed to it is normalised first so that those edges never reach it:

- one leading UTF-8 BOM is dropped (sseclient would lose the first event);
- invalid UTF-8 becomes U+FFFD (sseclient decodes strictly and would raise), and a
  character split across reads is held until it is whole;
- CRLF and lone CR become LF, also when the CR ends one read and the LF starts the next
  (sseclient merges events when a blank line mixes endings);
- at the end of the body, an event not terminated by a blank line is reported as a
  truncated tail instead of being handed out as if it were whole.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator

from sseclient import SSEClient


class NormalisedBytes:
    """Iterates over UTF-8, LF-terminated bytes made from raw network reads."""

    def __init__(self, reads: Iterable[bytes]) -> None:
        self._reads = reads
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._skip_lf = False
        self._at_start = True
        self.received_any = False
        self.ended = False
        # True when the body ended inside an event (after data, before its blank line).
        self.truncated_tail = False
        self._tail = ""
        self.head = ""  # the first characters, to quote a body that is not a stream

    def __iter__(self) -> Iterator[bytes]:
        for raw in self._reads:
            if not raw:
                continue
            self.received_any = True
            text = self._decoder.decode(raw)
            out = self._normalise(text)
            if out:
                yield out.encode("utf-8")
        out = self._normalise(self._decoder.decode(b"", final=True))
        if out:
            yield out.encode("utf-8")
        self.ended = True
        self.truncated_tail = _has_unterminated_event(self._tail)

    def _normalise(self, text: str) -> str:
        if not text:
            return ""
        if self._at_start:
            if text.startswith("\ufeff"):
                text = text[1:]
            self._at_start = False
            if not text:
                return ""
        if self._skip_lf and text.startswith("\n"):
            text = text[1:]
        self._skip_lf = text.endswith("\r")
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if text:
            if len(self.head) < 200:
                self.head += text[: 200 - len(self.head)]
            # Only the part after the last blank line can be an unterminated event.
            tail = self._tail + text
            cut = tail.rfind("\n\n", max(0, len(self._tail) - 1))
            if cut >= 0:
                tail = tail[cut + 2 :]
            self._tail = tail[-65536:]
        return text


def _has_unterminated_event(tail: str) -> bool:
    """Whether the text after the last blank line holds a field line (not only comments)."""
    for line in tail.split("\n"):
        if line and not line.startswith(":"):
            return True
    return False


class Event:
    """One dispatched SSE event."""

    __slots__ = ("event", "data")

    def __init__(self, event: str, data: str) -> None:
        self.event = event
        self.data = data


def iter_events(source: NormalisedBytes) -> Iterator[Event]:
    """Yield the complete events of the body; a truncated last event is not yielded."""
    for ev in SSEClient(iter(source)).events():
        if source.ended and source.truncated_tail:
            # sseclient hands out the unterminated tail at EOF: it is not an event.
            return
        yield Event(ev.event, ev.data)
