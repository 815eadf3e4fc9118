"""Bytes from the network -> SSE events, parsed here in one linear pass.

The parser follows the SSE standard (see docs/decisions.md for why it is ours):

- one leading UTF-8 BOM is dropped;
- invalid UTF-8 becomes U+FFFD, and a character split across reads is held until it is
  whole; a valid read is only checked, not decoded and encoded again;
- CRLF, lone CR and LF end a line, also when the CR ends one read and the LF starts the
  next; nothing else does (U+2028, U+0085 stay in the line);
- a blank line dispatches the event; a line starting with `:` is a comment; `data` lines
  are joined with LF; `event` names the event (`message` when none did);
- at the end of the body, an event not terminated by a blank line is reported as a
  truncated tail instead of being handed out as if it were whole.

Every step costs time in proportion to the bytes (a line or event cut into many reads is
joined once), and memory is bounded: a line or an event longer than MAX_EVENT characters
is a protocol violation (exit 8); what came before it is kept.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator

from perplex_cli.errors import ProtocolError

_BOM = b"\xef\xbb\xbf"
MAX_EVENT = 16 * 1024 * 1024  # characters in one line or one event's data


class NormalisedBytes:
    """Iterates over UTF-8, LF-terminated bytes made from raw network reads."""

    def __init__(self, reads: Iterable[bytes]) -> None:
        self._reads = reads
        self._pending = b""  # the start of a character cut by the end of a read
        self._skip_lf = False
        self._at_start = True
        self.received_any = False
        # True when the body ended inside an event (after a field, before its blank line);
        # set by iter_events.
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
        if len(self.head) < 200:
            self.head += data[:200].decode("utf-8", "replace")[: 200 - len(self.head)]
        return data


class Event:
    """One dispatched SSE event: its type and its data."""

    __slots__ = ("data", "event")

    def __init__(self, event: str, data: str) -> None:
        self.event = event
        self.data = data


def iter_events(source: NormalisedBytes) -> Iterator[Event]:
    """Yield the complete events of the body; a truncated last event is not yielded.

    Each read is decoded once and split at LF in one call; a line cut by the end of a read
    is kept in pieces and joined when its end arrives, so no byte is copied twice.
    """
    partial: list[str] = []  # the pieces of a line not ended yet
    partial_size = 0
    data: list[str] = []  # the data lines of the current event
    data_size = 0
    name = ""
    fields = False  # a field line arrived since the last blank line
    for chunk in source:
        lines = chunk.decode("utf-8").split("\n")
        last = lines.pop()
        for line in lines:
            if partial:
                partial.append(line)
                line = "".join(partial)
                partial.clear()
                partial_size = 0
            if not line:
                if data:
                    yield Event(name or "message", "\n".join(data))
                    data.clear()
                    data_size = 0
                name = ""
                fields = False
                continue
            if line[0] == ":":
                continue
            fields = True
            field, colon, value = line.partition(":")
            if colon and value[:1] == " ":
                value = value[1:]
            if field == "data":
                data_size += len(value) + 1
                if data_size > MAX_EVENT:
                    raise _too_long("an event")
                data.append(value)
            elif field == "event":
                name = value
        if last:
            partial_size += len(last)
            if partial_size > MAX_EVENT:
                raise _too_long("a line")
            partial.append(last)
    source.truncated_tail = fields or bool(partial and partial[0][:1] != ":")


def _too_long(what: str) -> ProtocolError:
    return ProtocolError(
        f"{what} of the stream is longer than {MAX_EVENT // (1024 * 1024)} MiB; "
        "the answer is incomplete"
    )
