"""What `chat` reads at its prompt: one message, however many lines it has.

- A pasted block is one message: readline's bracketed paste is turned on (the terminal
  then marks a paste with ESC[200~ ... ESC[201~ and readline keeps its newlines in the
  line until Enter). Where readline is missing, the markers reach us: the lines are read
  until the closing marker.
- Typed on several lines: a line ending in a backslash goes on with the next line; a line
  that is only `\"\"\"` opens a block that the next such line closes.
- Tab completes the slash commands (`/ex` is /export: leaving needs no Tab); the lines
  typed are kept as history in a 0600 file beside the log (none with --no-log).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

HISTORY_LINES = 1000
PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"
BLOCK = '"""'
MORE = "... "  # the prompt of a continuation line
LEAVING = ("/exit", "/quit")


class LineReader:
    """readline line editing, history and completion; `read` returns one whole message."""

    def __init__(self, path: Path | None, commands: list[str]) -> None:
        self.path = path
        self.commands = commands
        self.readline: Any = None

    def load(self) -> None:
        try:
            import readline
        except ImportError:  # no readline on this platform: plain input still works
            return
        self.readline = readline
        readline.set_history_length(HISTORY_LINES)
        if "libedit" in (readline.__doc__ or ""):
            readline.parse_and_bind("bind ^I rl_complete")
        else:
            readline.parse_and_bind("tab: complete")
            readline.parse_and_bind("set enable-bracketed-paste on")
        readline.set_completer_delims(" \t\n")
        readline.set_completer(self.complete)
        if self.path is None:
            return
        from perplex_cli.local.store import create_private_file

        try:
            create_private_file(self.path)
            readline.read_history_file(str(self.path))
            readline.write_history_file(str(self.path))  # trimmed to HISTORY_LINES
        except OSError:
            self.path = None  # a history that cannot be kept is no reason to refuse a chat

    def complete(self, text: str, state: int) -> str | None:
        """readline's completer: the slash commands that start with what was typed."""
        line = self.readline.get_line_buffer() if self.readline is not None else text
        if not text.startswith("/") or line.lstrip() != text:
            return None
        found = [name for name in self.commands if name.startswith(text)]
        if len(found) > 1:
            # `/ex` is /export: a Tab is never needed to leave (/exit, /quit, Ctrl-D).
            found = [name for name in found if name not in LEAVING] or found
        return found[state] + " " if state < len(found) else None

    def read(self, prompt: str, ask: Callable[[str], str] = input) -> str:
        """One message: a line, a pasted block, or lines joined by `\\` or `\"\"\"`.

        EOFError (Ctrl-D) and KeyboardInterrupt (Ctrl-C) reach the caller.
        """
        first = line = ask(prompt)
        if PASTE_START in line:
            while PASTE_END not in line:
                line += "\n" + ask("")
            line = line.replace(PASTE_START, "").replace(PASTE_END, "")
        elif line.strip() == BLOCK:
            lines: list[str] = []
            while (more := ask(MORE)).strip() != BLOCK:
                lines.append(more)
            line = "\n".join(lines)
        else:
            while line.endswith("\\"):
                line = line[:-1] + "\n" + ask(MORE)
        self.add(line, joined=line != first)
        return line

    def add(self, line: str, *, joined: bool = False) -> None:
        """Save the message at once, so that a killed chat keeps its history."""
        if self.readline is None or self.path is None or not line.strip():
            return
        if joined:
            # Lines read one by one are one message: recalled whole.
            self.readline.add_history(line)
        try:
            append = getattr(self.readline, "append_history_file", None)
            if append is not None:
                append(1, str(self.path))
            else:
                self.readline.write_history_file(str(self.path))
        except OSError:
            self.path = None
