"""text: the answer as it arrives, then a blank line and the numbered sources."""

from __future__ import annotations

from typing import IO, Any

from ..errors import PerplexError
from ..events import Accumulator, Update, sources


class TextFormatter:
    def __init__(
        self, out: IO[str], err: IO[str], *, citations: bool = True, reasoning: bool = False
    ) -> None:
        self.out = out
        self.err = err
        self.citations = citations
        self.reasoning = reasoning
        self._last = "\n"
        self._reasoning_last = "\n"

    def chunk(self, raw: dict[str, Any], update: Update) -> None:
        if update.reasoning and self.reasoning:
            self.err.write(update.reasoning)
            self.err.flush()
            self._reasoning_last = update.reasoning[-1]
        if update.answer:
            if self.reasoning and self._reasoning_last != "\n":
                self.err.write("\n")
                self.err.flush()
                self._reasoning_last = "\n"
            self.write_answer(update.answer)

    def end(self, acc: Accumulator, error: PerplexError | None) -> None:
        self.chunk({}, acc.finish())
        if self.reasoning and self._reasoning_last != "\n":
            self.err.write("\n")
            self.err.flush()
        self.write_end(sources(acc.metadata) if self.citations and error is None else [])

    # The two writes that --render replaces (output/render.py).
    def write_answer(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()
        self._last = text[-1]

    def write_end(self, listed: list[tuple[str, str]]) -> None:
        """End the answer's last line, then a blank line and the numbered sources."""
        tail = "" if self._last == "\n" else "\n"
        if listed:
            tail += "\n" + numbered(listed)
        if tail:
            self.out.write(tail)
            self.out.flush()


def numbered(listed: list[tuple[str, str]]) -> str:
    """`[n] Title - URL` a line, numbered from 1 like the answer's markers."""
    return "".join(
        f"[{n}] {title} - {url}\n" if title else f"[{n}] {url}\n"
        for n, (title, url) in enumerate(listed, 1)
    )


def source_lines(metadata: dict[str, Any]) -> str:
    """The numbered sources of an answer's metadata (for `logs show` and chat's /sources)."""
    return numbered(sources(metadata))
