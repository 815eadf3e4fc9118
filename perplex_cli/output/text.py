"""text: the answer as it arrives, then a blank line and the numbered sources.

After the sources come the related questions and the images, when the request asked for
them (--related-questions, --images), and the files an agent run delivered. The answer's own trailing blank lines are dropped,
so that one blank line always separates it from what follows.
"""

from __future__ import annotations

import re
from typing import IO, Any

from perplex_cli.api.answer_text import Update
from perplex_cli.api.chat_events import Accumulator, sources
from perplex_cli.errors import PerplexError


class TextFormatter:
    def __init__(
        self, out: IO[str], err: IO[str], *, citations: bool = True, reasoning: bool = False
    ) -> None:
        self.out = out
        self.err = err
        self.citations = citations
        self.reasoning = reasoning
        self.markers: MarkerFilter | None = None  # set: the [n] markers are left out
        self.extras: tuple[str, ...] = ()  # "related_questions", "images": shown when asked for
        self._last = "\n"
        self._reasoning_last = "\n"
        self._held = ""  # newlines at the end of the answer so far, written once text follows

    def chunk(self, raw: dict[str, Any], update: Update) -> None:
        if update.reasoning and self.reasoning:
            self.err.write(update.reasoning)
            self.err.flush()
            self._reasoning_last = update.reasoning[-1]
        answer = self.markers.feed(update.answer) if self.markers else update.answer
        if answer:
            if self.reasoning and self._reasoning_last != "\n":
                self.err.write("\n")
                self.err.flush()
                self._reasoning_last = "\n"
            self.write_answer(answer)

    def end(self, acc: Accumulator, error: PerplexError | None) -> None:
        self.chunk({}, acc.finish())
        if self.markers and (rest := self.markers.flush()):
            self.write_answer(rest)
        if self.reasoning and self._reasoning_last != "\n":
            self.err.write("\n")
            self.err.flush()
        self.write_end(sources(acc.metadata) if self.citations and error is None else [])
        asked = {k: v for k, v in acc.metadata.items() if k in self.extras}
        extras = extra_lines(asked) if error is None else ""
        if error is None and (files := getattr(acc, "files", None)):  # agent runs only
            from perplex_cli.api.agent_items import files_lines

            extras += files_lines(files)
        if extras:
            self.out.write(extras)
            self.out.flush()

    # The two writes that --render replaces (output/render.py).
    def write_answer(self, text: str) -> None:
        body = text.rstrip("\n")
        held = text[len(body) :]
        if self._last == "\n":  # nothing written yet: blank lines before the answer are noise
            body, self._held = body.lstrip("\n"), ""
        if body:
            self.out.write(self._held + body)
            self.out.flush()
            self._held = ""
            self._last = body[-1]
        self._held += held

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


def extra_lines(metadata: dict[str, Any]) -> str:
    """The related questions and the images the answer came with, each under a heading."""
    questions = [str(q) for q in metadata.get("related_questions") or [] if q]
    images = [_image(i) for i in metadata.get("images") or []]
    out = ""
    for heading, items in (("Related questions:", questions), ("Images:", images)):
        if any(items):
            out += f"\n{heading}\n" + "".join(f"- {item}\n" for item in items if item)
    return out


def _image(image: Any) -> str:
    if not isinstance(image, dict):
        return str(image or "")
    url = str(image.get("image_url") or image.get("url") or "")
    origin = image.get("origin_url")
    return f"{url} (from {origin})" if url and origin else url


def source_lines(metadata: dict[str, Any]) -> str:
    """The numbered sources of an answer's metadata (for `logs show` and chat's /sources)."""
    return numbered(sources(metadata))


# `[3]`, `[1][4]` or ` [2]`: the markers, with the space before them.
_MARKERS = re.compile(r"(?: ?\[\d{1,4}\])+")
# What may be the start of a marker that the next piece of the stream completes.
_OPEN = re.compile(r"(?: ?\[\d{0,4}| )$")


class MarkerFilter:
    """Drops the inline `[n]` markers from streamed text, whichever pieces split them."""

    def __init__(self) -> None:
        self._held = ""

    def feed(self, text: str) -> str:
        text = self._held + text
        open_ = _OPEN.search(text)
        cut = open_.start() if open_ else len(text)
        self._held = text[cut:]
        return _MARKERS.sub("", text[:cut])

    def flush(self) -> str:
        text, self._held = self._held, ""
        return _MARKERS.sub("", text)
