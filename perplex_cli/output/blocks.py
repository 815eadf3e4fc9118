"""Streaming Markdown cut into blocks, for the rendered answer (output/render.py).

A block is finished at a blank line outside a code fence: it is printed once, for good.
Only the block still growing is redrawn, in a live region that must never grow past the
screen (a live view cannot redraw lines that have scrolled away): a block that would is
cut at a line break, or at a space, and where neither comes, at a screen line.
"""

from __future__ import annotations

import re
from typing import NamedTuple

FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")


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
            elif FENCE.match(line):
                self._fence = FENCE.match(line).group(1)  # type: ignore[union-attr]
                self._fence_line = line
            elif not line.strip():
                block = self.pending[: self._scanned].strip("\n")
                self.pending = self.pending[self._scanned :]
                self._scanned = 0
                if block.strip():
                    done.append(Block(block, self.continues))
                    self.continues = False
        while self.max_lines and self._height() > self.max_lines:  # text added at once
            head = self._cut()
            if not head:
                break
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
