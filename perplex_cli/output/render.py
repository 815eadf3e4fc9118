"""--render: the answer as formatted Markdown on a terminal, while it streams.

The answer is cut into Markdown blocks (output/blocks.py): a finished block is printed
once, for good; only the block still growing is redrawn, in a transient live region below
the finished ones, so nothing is printed twice. Text that comes before rich is imported is
shown as it came, then drawn again rendered (output/draft.py). Text is neutralised before
rich sees it, since rich passes escape sequences through; so are the HTML character
references that Markdown would decode into a control (`&#x202E;`, `&rlm;`): they are shown
as the neutraliser shows that character (`<U+202E>`), also inside code. Citation markers
`[n]` and the sources become OSC 8 hyperlinks. rich is imported here only, and only under
--render with a styled stdout (`style.py` decides)."""

from __future__ import annotations

import re
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

from perplex_cli.output.blocks import FENCE, Block, Blocks
from perplex_cli.output.draft import Draft
from perplex_cli.output.style import neutralise
from perplex_cli.output.text import TextFormatter

if TYPE_CHECKING:
    from collections.abc import Iterator

    from rich.console import Console, ConsoleOptions, RenderableType
    from rich.live import Live
    from rich.segment import Segment

_MARKER = re.compile(r"(?<!\\)\[(\d{1,3})\](?!\()")
_CODE_SPAN = re.compile(r"(`+).*?\1")
_REFERENCE = re.compile(r"&(?:#[xX]([0-9a-fA-F]{1,6})|#([0-9]{1,7})|(lrm|rlm));")
_NAMED = {"lrm": "\u200e", "rlm": "\u200f"}  # the HTML5 names of a control
IMPORT_AFTER = 0.1  # seconds of waiting for the answer before rich is imported anyway


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
        opening = FENCE.match(line)
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
    if FENCE.match(block):
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

        # rich takes longer to import than a local server takes to answer. It is imported
        # in a thread while the answer is awaited, and text that comes before it is ready
        # is written as a draft (output/draft.py), drawn again rendered as soon as it is.
        # The import begins with the first text, or once the wait has lasted IMPORT_AFTER
        # seconds: an answer that comes at once is not slowed by an import competing with
        # it for the CPU.
        self._go = threading.Event()
        self._imported = threading.Event()
        self._lock = threading.Lock()  # the draft, and drawing: from either thread
        threading.Thread(target=self._warm, daemon=True).start()
        self._console: Console | None = None
        self.live_allowed = live
        width, height = shutil.get_terminal_size()
        self.blocks = Blocks(max_lines=max(height - 4, 4) if live else 0, width=width)
        # Erasing the draft moves the cursor: only where the live region may.
        self._draft = Draft(out, width, self.blocks.max_lines) if live else None
        self.urls: list[str] = []
        self._live: Live | None = None
        self._printed = False

    @property
    def console(self) -> Console:
        """The rich console on `out`."""
        if self._console is None:
            self._ready()
            from rich.console import Console

            self._console = Console(
                file=self.out, force_terminal=True, highlight=False, emoji=False
            )
        return self._console

    def _warm(self) -> None:
        """Import rich; then, if a draft is on the screen, draw its text rendered."""
        self._go.wait(IMPORT_AFTER)
        try:
            _import_rich()
        finally:
            self._imported.set()
        with self._lock:
            if self._draft is not None and self._draft.text:
                try:
                    self._draw(self._take_draft())
                except OSError:
                    pass  # the terminal is gone: the answer's next write reports it

    def _ready(self) -> None:
        """Wait for the import: before any rich import of this thread (two threads importing
        the same modules at once could see them half done)."""
        self._go.set()
        self._imported.wait()

    def chunk(self, raw: dict[str, Any], update: Any) -> None:
        citations = raw.get("citations")
        if citations and isinstance(citations, list):
            self.urls = [str(u) for u in citations]
        super().chunk(raw, update)

    def write_answer(self, text: str) -> None:
        self._last = text[-1]
        text = neutralise(text)
        with self._lock:
            if self._draft is not None:
                if not self._imported.is_set() and self._draft.fits(text):
                    self._draft.write(text)
                    self._go.set()
                    return
                text = self._take_draft() + text
            self._draw(text)

    def _take_draft(self) -> str:
        """Rendering takes over from the draft, once rich is imported: the draft is erased
        (its text is drawn rendered right after); its text."""
        assert self._draft is not None
        self._ready()
        draft, self._draft = self._draft, None
        return draft.erase()

    def write_end(self, listed: list[tuple[str, str]]) -> None:
        with self._lock:
            if self._draft is not None:
                self._feed(self._take_draft())
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

    def _draw(self, text: str) -> None:
        """Add text to the answer: print the blocks it finishes, redraw the growing one."""
        self._feed(text)
        if self.live_allowed:
            self._redraw()

    def _feed(self, text: str) -> None:
        for block in self.blocks.feed(text):
            self._print(block)

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
