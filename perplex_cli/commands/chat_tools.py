"""The chat commands that reach outside the conversation: /edit, /copy and /export."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from perplex_cli.errors import UsageError


@dataclass
class Turn:
    """One question of the chat and what came back, as /export writes it."""

    question: str
    answer: str
    sources: list[tuple[str, str]] = field(default_factory=list)  # (title, url)
    partial: bool = False  # stopped or failed part-way


def edit(text: str) -> str:
    """The text after $VISUAL or $EDITOR (else vi) has edited it in a private (0600)
    temporary file, removed afterwards."""
    import shlex
    import subprocess
    import tempfile

    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    handle, name = tempfile.mkstemp(prefix="perplex-question-", suffix=".md")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            f.write(text)
        try:
            done = subprocess.run([*shlex.split(editor), name], check=False)
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot run the editor {editor!r}: {exc}") from None
        if done.returncode != 0:
            raise UsageError(f"the editor {editor!r} exited with status {done.returncode}")
        return Path(name).read_text(encoding="utf-8", errors="replace").strip()
    finally:
        os.unlink(name)


def copy(text: str, terminal: IO[str] | None) -> str:
    """Put text on the clipboard through the terminal (OSC 52); what to tell the user."""
    import base64

    if terminal is None:
        return (
            "/copy writes the clipboard through the terminal (OSC 52), and escape sequences"
            " are off here (not a terminal, TERM=dumb, NO_COLOR, --no-color or -q);"
            " /export FILE saves the conversation instead\n"
        )
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    terminal.write(f"\x1b]52;c;{data}\x07")
    terminal.flush()
    return (
        f"copied the last answer ({len(text)} characters) to the clipboard"
        " (if your terminal allows OSC 52)\n"
    )


def export(path: Path, conversation_id: str, turns: list[Turn]) -> None:
    """Write the conversation as Markdown: each question, its answer and its sources."""
    parts = [f"# perplex chat {conversation_id}\n"]
    for turn in turns:
        parts.append(f"\n## Question\n\n{turn.question.strip()}\n")
        note = " (partial: stopped before the end)" if turn.partial else ""
        parts.append(f"\n## Answer{note}\n\n{turn.answer.strip()}\n")
        if turn.sources:
            parts.append("\nSources:\n\n")
            parts += [
                f"{n}. [{title or url}](<{url}>)\n"
                for n, (title, url) in enumerate(turn.sources, 1)
            ]
    try:
        path.write_text("".join(parts), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
