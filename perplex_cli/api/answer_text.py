"""The answer's text as it accumulates: reasoning split out of <think> tags, the text kept in bounded blocks."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass
from perplex_cli.errors import ProtocolError


class Update:
    """What one chunk adds: answer text and reasoning text, ready to show; and the event's
    data as it arrived, for a formatter that echoes events (ndjson) without re-encoding,
    with the event's name when the formatters get it in an envelope ({event, data}).

    A plain class: a dataclass's generated methods are compiled at every start (docs/decisions.md).
    """

    __slots__ = ("answer", "data", "event", "reasoning")

    def __init__(self, answer: str = "", reasoning: str = "", data: str = "") -> None:
        self.answer = answer
        self.reasoning = reasoning
        self.data = data
        self.event = ""

    def __repr__(self) -> str:
        return f"Update(answer={self.answer!r}, reasoning={self.reasoning!r})"


OPEN_THINK = "<think>"

CLOSE_THINK = "</think>"


class ThinkSplitter:
    """Splits `<think>...</think>` out of the content, even when the tags are cut.

    A reasoning block is recognised only before the answer proper has started, so an
    answer that talks about `<think>` tags is left alone; once the answer has started,
    text is passed on at once and nothing is held back.
    """

    def __init__(self) -> None:
        self.in_think = False
        self.answer_started = False
        self._held = ""
        self._after_think = False

    def feed(self, text: str) -> Update:
        if self.answer_started and not self.in_think:
            return Update(answer=text)
        text = self._held + text
        self._held = ""
        answer: list[str] = []
        reasoning: list[str] = []
        while text:
            if self.in_think:
                end = text.find(CLOSE_THINK)
                if end >= 0:
                    reasoning.append(text[:end])
                    text = text[end + len(CLOSE_THINK) :]
                    self.in_think = False
                    self._after_think = True
                    continue
                keep = _partial_suffix(text, CLOSE_THINK)
                reasoning.append(text[: len(text) - keep])
                self._held = text[len(text) - keep :]
                break
            stripped = text.lstrip()
            if not stripped:
                # Whitespace only so far: keep it until we know whether a block follows.
                self._held = text
                break
            if stripped.startswith(OPEN_THINK):
                self.in_think = True
                text = stripped[len(OPEN_THINK) :]
                continue
            if OPEN_THINK.startswith(stripped):
                self._held = text
                break
            self.answer_started = True
            answer.append(stripped if self._after_think else text)
            break
        return Update(answer="".join(answer), reasoning="".join(reasoning))

    def finish(self) -> Update:
        """Flush what was held back when the content ends."""
        held, self._held = self._held, ""
        if self.in_think:
            return Update(reasoning=held)
        return Update(answer=held.lstrip() if self._after_think else held)


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest suffix of text that is a proper prefix of tag."""
    for n in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:n]):
            return n
    return 0


_BLOCK = 256  # pieces joined at a time: ~2 KB blocks of ordinary deltas

MAX_ANSWER = 64 * 1024 * 1024  # characters of answer text (and of reasoning) kept


class TextBuffer:
    """Text that arrives in many small pieces, kept once (the answer, for json and the log).

    io.StringIO grows its buffer by a quarter at a time, and each larger buffer leaves the
    previous one behind in the heap: its peak RSS was 5.6 times the text (8.3 MB for a
    1.5 MB answer of 200,000 chunks); a list of the pieces costs a string object per chunk
    (15 MB). Here the pieces are joined _BLOCK at a time, so the peak is the text in
    blocks plus the final join: 2.9 MB (`bench/run.py`, the memory case).
    """

    __slots__ = ("_blocks", "_pieces", "_size")

    def __init__(self) -> None:
        self._pieces: list[str] = []
        self._blocks: list[str] = []
        self._size = 0

    def write(self, text: str) -> None:
        """Keep `text`; past MAX_ANSWER characters in all, a ProtocolError (exit 8)."""
        self._size += len(text)
        if self._size > MAX_ANSWER:
            raise ProtocolError(
                f"the answer is longer than {MAX_ANSWER // (1024 * 1024)} Mi characters; "
                "the rest was not read"
            )
        pieces = self._pieces
        pieces.append(text)
        if len(pieces) >= _BLOCK:
            self._blocks.append("".join(pieces))
            pieces.clear()

    def getvalue(self) -> str:
        if self._pieces:
            self._blocks.append("".join(self._pieces))
            self._pieces.clear()
        if len(self._blocks) > 1:
            self._blocks[:] = ["".join(self._blocks)]
        return self._blocks[0] if self._blocks else ""
