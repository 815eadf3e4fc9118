"""Formatters: each consumes the chunks of one answer and writes to the streams it is given.

Every formatter has the same three calls: `chunk` per event (the raw chunk and the text it
adds), `end` once with the accumulated answer and the error that ended it, if any.
They write only to the streams they are given; the caller owns them.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

from perplex_cli.output.style import StreamStyle

if TYPE_CHECKING:
    from perplex_cli.output.formatter import Formatter
    from perplex_cli.output.text import TextFormatter


def make_formatter(
    name: str,
    out: IO[str],
    err: IO[str],
    *,
    citations: bool = True,
    markers: bool = True,
    extras: tuple[str, ...] = (),
    reasoning: bool = False,
    render: StreamStyle | None = None,
) -> Formatter:
    """The formatter for `-f NAME`; `render` (--render) is the style of `out`, which decides.

    For text only: `markers` False leaves the inline [n] markers out; `extras` names the
    metadata the request asked for ("related_questions", "images"), shown after the sources.
    """
    if name == "json":
        from perplex_cli.output.json import JsonFormatter

        return JsonFormatter(out)
    if name == "ndjson":
        from perplex_cli.output.ndjson import NdjsonFormatter

        return NdjsonFormatter(out)
    if render is not None and render.styled:
        from perplex_cli.output.render import RenderFormatter

        formatter: TextFormatter = RenderFormatter(
            out, err, citations=citations, reasoning=reasoning, live=render.live
        )
    else:
        from perplex_cli.output.text import TextFormatter

        formatter = TextFormatter(out, err, citations=citations, reasoning=reasoning)
    if not markers:
        from perplex_cli.output.text import MarkerFilter

        formatter.markers = MarkerFilter()
    formatter.extras = extras
    return formatter
