"""The answer's first text, shown as it comes while the renderer is not ready yet.

rich takes longer to import than a local server takes to answer. Rather than hold the
first token back, the rendered answer (output/render.py) writes its first text as is,
already neutralised, like the plain text; once rich is imported it erases that text and
draws it again, rendered. Erasing moves the cursor up over the rows the text took, so
the draft counts them as the terminal wraps them (wide characters, tabs, a full last
column), and stays within the live region's height: a row scrolled off the screen could
not be erased.
"""

from __future__ import annotations

import os
import unicodedata
from typing import IO

TAB = 8


def cells(char: str) -> int:
    """The columns a terminal gives one character: 2 for a wide one, 0 for a combining one."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def columns(out: IO[str], default: int) -> int:
    """How wide the terminal `out` is on, whatever COLUMNS says (`default`: not one)."""
    try:
        return os.get_terminal_size(out.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return default


class Draft:
    """Raw text on the terminal of `out`, erased before rendering takes over."""

    def __init__(self, out: IO[str], width: int, max_rows: int) -> None:
        self.out = out
        self.width = max(columns(out, width), 1)
        self.max_rows = max_rows
        self.text = ""  # everything given, as given (what the renderer draws next)
        self.row = 0  # the cursor's row, counted from the draft's first
        self.col = 0  # its column; `width` when the last column is full (pending wrap)
        self._shown = False  # some text is on the screen (leading line breaks are not)

    def fits(self, text: str) -> bool:
        """Whether `text` can be added without the draft growing past `max_rows` rows."""
        row, _ = self._advance(self._shown_part(text))
        return row < self.max_rows

    def write(self, text: str) -> None:
        self.text += text
        shown = self._shown_part(text)
        if not shown:
            return
        self._shown = True
        self.row, self.col = self._advance(shown)
        self.out.write(shown)
        self.out.flush()

    def erase(self) -> str:
        """Clear the rows the draft took, leaving the cursor where it began; its text."""
        text, rows, shown = self.text, self.row, self._shown
        self.text, self.row, self.col, self._shown = "", 0, 0, False
        if shown:
            # Row by row, as rich erases its live region: a terminal may keep a whole
            # screen it is told to clear (tmux does) in its scrollback.
            self.out.write("\r\x1b[2K" + "\x1b[1A\x1b[2K" * rows)
            self.out.flush()
        return text

    def _shown_part(self, text: str) -> str:
        # Line breaks before the answer are noise, as in the plain text.
        return text if self._shown else text.lstrip("\n")

    def _advance(self, text: str) -> tuple[int, int]:
        """The cursor's row and column after writing `text`."""
        row, col = self.row, self.col
        for char in text:
            if char == "\n":
                row, col = row + 1, 0
                continue
            if char == "\t":  # to the next tab stop, never past the last column
                col = max(col, min(col + TAB - col % TAB, self.width - 1))
                continue
            size = cells(char)
            if size and col + size > self.width:  # the terminal wraps before it
                row, col = row + 1, 0
            col += size
        return row, col
