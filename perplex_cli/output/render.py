"""--render: the answer as formatted Markdown on a terminal, while it streams.

The answer is cut into Markdown blocks (`Blocks`). A block is finished at a blank line
outside a code fence: it is printed once, for good. Only the block still growing is
redrawn, in a transient live region below the finished ones, so nothing is printed twice
and the region never grows past the screen (a live view cannot redraw lines that have
scrolled away): a block that would is cut at a line break. Text is neutralised before rich
sees it, since rich passes escape sequences through; so are the HTML character references
that Markdown would decode into a control (`&#x202E;`, `&rlm;`): they are shown as the
neutraliser shows that character (`<U+202E>`), also inside code. Citation markers `[n]` and the
sources become OSC 8 hyperlinks. rich is imported here only, and only under --render
with a styled stdout (`style.py` decides).
"""

from __future__ import annotations

import re
from typing import IO, TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote

from ..style import neutralise
from .text import TextFormatter

if TYPE_CHECKING:
    from collections.abc import Iterator

    from rich.console import Console, ConsoleOptions, RenderableType
    from rich.live import Live
    from rich.segment import Segment

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_MARKER = re.compile(r"(?<!\\)\[(\d{1,3})\](?!\()")
_CODE_SPAN = re.compile(r"(`+).*?\1")
_REFERENCE = re.compile(r"&(?:#[xX]([0-9a-fA-F]{1,6})|#([0-9]{1,7})|(lrm|rlm));")
_NAMED = {"lrm": "\u200e", "rlm": "\u200f"}  # the HTML5 names of a control


class Block(NamedTuple):
    """A finished piece of the answer's Markdown."""

    text: str
    continues: bool = False  # the rest of a block that was cut: no gap before it
    cut: bool = False  # the block goes on in the next piece


class Blocks:
    """Streaming Markdown cut into finished blocks and the block still growing."""

    def __init__(self, max_lines: int = 0, width: int = 80) -> None:
        self.pending = ""  # the growing block
        self.continues = False  # the growing block is the rest of a block that was cut
        self.max_lines = max_lines  # cut a growing block taller than this (0: never)
        self.width = max(width, 20)
        self._scanned = 0  # length of `pending` already read line by line
        self._fence = ""  # the fence of the open code block, "" outside one
        self._fence_line = ""  # the line that opened it, to reopen after a cut

    def feed(self, text: str) -> list[Block]:
        """Add text; return the blocks it finished."""
        self.pending += text
        done: list[Block] = []
        while True:
            end = self.pending.find("\n", self._scanned)
            if end < 0:
                break
            line = self.pending[self._scanned : end]
            self._scanned = end + 1
            if self._fence:
                stripped = line.strip()
                if stripped.startswith(self._fence) and set(stripped) == {self._fence[0]}:
                    self._fence = ""
            elif _FENCE.match(line):
                self._fence = _FENCE.match(line).group(1)  # type: ignore[union-attr]
                self._fence_line = line
            elif not line.strip():
                block = self.pending[: self._scanned].strip("\n")
                self.pending = self.pending[self._scanned :]
                self._scanned = 0
                if block.strip():
                    done.append(Block(block, self.continues))
                    self.continues = False
        if self.max_lines and self._height() > self.max_lines:
            head = self._cut()
            if head:
                done.append(Block(head, self.continues, cut=True))
                self.continues = True
        return done

    def flush(self) -> Block:
        """The growing block, as it stands at the end of the answer."""
        rest = Block(self.pending.strip("\n"), self.continues)
        self.pending, self._scanned, self.continues = "", 0, False
        return rest

    def _height(self) -> int:
        return sum(1 + len(line) // self.width for line in self.pending.split("\n"))

    def _cut(self) -> str:
        """Take the complete lines of a block too tall for the live region ("" if none).

        A paragraph that is one long line is cut at its last space instead; a line with no
        space (or inside a code fence) that alone fills half the region is cut where its
        last screen line starts, so that redrawing the growing block never costs more than
        a screen, however long the text runs unbroken.
        """
        at = self._scanned
        if not at and not self._fence:
            space = self.pending.rstrip().rfind(" ")
            if space > 0:
                head, self.pending = self.pending[:space], self.pending[space + 1 :]
                return head
        if (len(self.pending) - at) // self.width >= max(self.max_lines // 2, 1):
            at = len(self.pending) - self.width
        if not at:
            return ""
        head, self.pending = self.pending[:at], self.pending[at:]
        self._scanned = 0
        head = head.rstrip("\n")
        if self._fence:
            head += "\n" + self._fence
            self.pending = self._fence_line + "\n" + self.pending
            self._scanned = len(self._fence_line) + 1
        return head


def link_citations(markdown: str, urls: list[str]) -> str:
    """`[n]` markers as Markdown links to the n-th citation, outside code."""
    if not urls:
        return markdown

    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if not 1 <= n <= len(urls):
            return match.group()
        return f"[\\[{n}\\]](<{safe_url(urls[n - 1])}>)"

    out = []
    fence = ""
    for line in markdown.split("\n"):
        opening = _FENCE.match(line)
        if fence:
            if line.strip().startswith(fence) and set(line.strip()) == {fence[0]}:
                fence = ""
        elif opening:
            fence = opening.group(1)
        else:
            # Link the text between code spans; leave the spans as they are.
            linked, start = [], 0
            for span in _CODE_SPAN.finditer(line):
                linked += [_MARKER.sub(link, line[start : span.start()]), span.group()]
                start = span.end()
            line = "".join(linked) + _MARKER.sub(link, line[start:])
        out.append(line)
    return "\n".join(out)


def preview(block: str) -> str:
    """A growing block with its open `**` or backtick closed, so that it is drawn as it
    will end up (bold, code) rather than showing the marker until the closing one arrives."""
    if _FENCE.match(block):
        return block
    outside_code = _CODE_SPAN.sub("", block)
    for marker in ("`", "**"):
        if outside_code.count(marker) % 2:
            text = block.rstrip()  # a closing marker must follow the text, not a space
            return text[: -len(marker)] if text.endswith(marker) else text + marker
    return block


def inert_references(markdown: str) -> str:
    """markdown with each character reference that decodes to a control shown instead."""
    if "&" not in markdown:
        return markdown

    def shown(match: re.Match[str]) -> str:
        hexa, decimal, name = match.groups()
        code = int(hexa, 16) if hexa else int(decimal) if decimal else ord(_NAMED[name])
        if code > 0x10FFFF:
            return match.group()
        visible = neutralise(chr(code))
        return match.group() if visible == chr(code) else visible

    return _REFERENCE.sub(shown, markdown)


def safe_url(url: str) -> str:
    """A URL that cannot end a link or an escape sequence: controls, spaces, <>\\"` encoded."""
    return quote(url, safe="!#$%&'()*+,-./:;=?@[]_~")


class RenderFormatter(TextFormatter):
    """The text formatter, drawing Markdown with rich instead of writing raw text."""

    def __init__(
        self,
        out: IO[str],
        err: IO[str],
        *,
        citations: bool = True,
        reasoning: bool = False,
        live: bool = True,
    ) -> None:
        super().__init__(out, err, citations=citations, reasoning=reasoning)
        import shutil
        import threading

        # rich takes longer to import than a first token takes to draw: it is imported
        # while the answer is awaited, so that rendering adds no delay to the first token.
        self._warming: threading.Thread | None = threading.Thread(target=_import_rich, daemon=True)
        self._warming.start()
        self._console: Console | None = None
        self.live_allowed = live
        width, height = shutil.get_terminal_size()
        self.blocks = Blocks(max_lines=max(height - 4, 4) if live else 0, width=width)
        self.urls: list[str] = []
        self._live: Live | None = None
        self._printed = False

    @property
    def console(self) -> Console:
        """The rich console on `out` (made once the imports begun at the start are done:
        two threads importing the same modules at once could see them half done)."""
        if self._console is None:
            self._ready()
            from rich.console import Console

            self._console = Console(
                file=self.out, force_terminal=True, highlight=False, emoji=False
            )
        return self._console

    def _ready(self) -> None:
        """Wait for the imports begun at the start: before any rich import of this thread."""
        if self._warming is not None:
            self._warming.join()
            self._warming = None

    def chunk(self, raw: dict[str, Any], update: Any) -> None:
        citations = raw.get("citations")
        if citations and isinstance(citations, list):
            self.urls = [str(u) for u in citations]
        super().chunk(raw, update)

    def write_answer(self, text: str) -> None:
        self._last = text[-1]
        self._ready()
        for block in self.blocks.feed(neutralise(text)):
            self._print(block)
        if self.live_allowed:
            self._redraw()

    def write_end(self, listed: list[tuple[str, str]]) -> None:
        self._ready()
        if self._live is not None:
            self._live.stop()  # transient: the growing block's region is erased
            self._live = None
        rest = self.blocks.flush()
        if rest.text.strip():
            self._print(rest)
        if listed:
            from rich.text import Text

            self.console.print()
            for n, (title, url) in enumerate(listed, 1):
                link = safe_url(url)
                line = Text(f"[{n}] ")
                if title:
                    line.append(neutralise(title), style=f"bold link {link}")
                    line.append(" - ")
                line.append(neutralise(url), style=f"dim link {link}")
                self.console.print(line, soft_wrap=True)
        self.out.flush()

    def _markdown(self, block: Block) -> RenderableType:
        from rich.markdown import Markdown

        text = link_citations(inert_references(block.text), self.urls)
        markdown = Markdown(text, hyperlinks=True)
        return _Trimmed(markdown, top=block.continues, bottom=block.cut)

    def _print(self, block: Block) -> None:
        console = self._live.console if self._live is not None else self.console
        if self._printed and not block.continues:
            console.print()
        console.print(self._markdown(block))
        self._printed = True

    def _redraw(self) -> None:
        """Show the growing block in the live region, starting it on first use."""
        from rich.text import Text

        growing = self.blocks.pending.strip("\n")
        renderable: RenderableType = Text("")
        if growing.strip():
            renderable = self._markdown(Block(preview(growing), self.blocks.continues))
        if self._live is None:
            if not growing.strip():
                return
            from rich.live import Live

            self._live = Live(
                renderable,
                console=self.console,
                auto_refresh=False,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
                vertical_overflow="crop",
            )
            self._live.start(refresh=True)
            return
        self._live.update(renderable, refresh=True)


def _import_rich() -> None:
    """What drawing the answer needs from rich."""
    import rich.console
    import rich.live
    import rich.markdown
    import rich.text  # noqa: F401


class _Trimmed:
    """A renderable without its leading and trailing blank lines.

    rich pads some Markdown elements (lists, tables) with blank lines of their own; blocks
    printed one by one are spaced by exactly one blank line instead, as in a whole document.
    Where a block was cut (`top`, `bottom`), a code block's painted padding goes too, so
    that its pieces join up.
    """

    def __init__(self, renderable: RenderableType, top: bool = False, bottom: bool = False) -> None:
        self.renderable = renderable
        self.top = top
        self.bottom = bottom

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        from rich.segment import Segment

        lines = console.render_lines(self.renderable, options, pad=False)
        start, end = 0, len(lines)
        while start < end and _blank(lines[start], painted=self.top):
            start += 1
        while end > start and _blank(lines[end - 1], painted=self.bottom):
            end -= 1
        for line in lines[start:end]:
            # rich pads lines to the width; unpainted padding only spoils copy and paste.
            while line and _blank(line[-1:]):
                line = line[:-1]
            if line and not _painted(line[-1]):
                line[-1] = Segment(line[-1].text.rstrip(" "), line[-1].style, line[-1].control)
            yield from line
            yield Segment.line()


def _painted(seg: Segment) -> bool:
    return bool(seg.style and seg.style.bgcolor)


def _blank(line: list[Segment], painted: bool = False) -> bool:
    """Only spaces, none of them painted (a code block's padding is) unless `painted`."""
    return all(not seg.text.strip() and (painted or not _painted(seg)) for seg in line)
