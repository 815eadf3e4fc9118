"""argv words + stdin -> the user's message text (docs/prompt-and-formats.md)."""

from __future__ import annotations

import io
import os
from typing import BinaryIO

from perplex_cli.errors import UsageError
from perplex_cli.output.streams import current

STDIN_LIMIT = 10 * 1024 * 1024


def stdin_stream() -> BinaryIO | None:
    """The binary stdin, or None when it is absent, closed or a terminal."""
    stream = current().stdin
    if stream is None:
        return None
    try:
        if stream.closed or stream.isatty():
            return None
    except (OSError, ValueError):
        return None
    try:
        fd: int | None = stream.fileno()
    except (OSError, ValueError, io.UnsupportedOperation):
        fd = None  # an in-memory stdin, as a test runner gives
    if fd is not None:
        try:
            os.fstat(fd)
        except OSError:
            return None
    return getattr(stream, "buffer", None)


def stdin_is_terminal() -> bool:
    stream = current().stdin
    try:
        return bool(stream is not None and not stream.closed and stream.isatty())
    except (OSError, ValueError):
        return False


def read_stdin(source: BinaryIO, what: str = "stdin") -> str:
    """All of stdin as text; refuses binary, invalid UTF-8 and more than STDIN_LIMIT bytes."""
    return stdin_text(read_bytes(source, what, STDIN_LIMIT), what)


def read_bytes(source: BinaryIO, what: str, limit: int) -> bytes:
    """All of the stream, refusing more than `limit` bytes."""
    chunks = []
    size = 0
    while True:
        try:
            block = source.read(65536)
        except (OSError, ValueError):
            break
        if not block:
            break
        size += len(block)
        if size > limit:
            raise UsageError(
                f"{what} is larger than {limit // (1024 * 1024)} MiB; send a smaller part of it"
            )
        chunks.append(block)
    return b"".join(chunks)


def stdin_text(data: bytes, what: str) -> str:
    """The bytes as text; refuses binary and invalid UTF-8."""
    if b"\x00" in data:
        raise UsageError(f"{what} looks binary (it contains NUL bytes); send text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{what} is not valid UTF-8 text (byte {exc.start})") from None
    return text.removeprefix("\ufeff")


# The one option whose value stdin is ('-'), with what it held: (the stdin, the option, bytes).
_claimed: list[tuple[object, str, bytes]] = []


def claim_stdin(what: str, limit: int = STDIN_LIMIT) -> bytes:
    """All of stdin, as the value of the one option `what` that reads it; read once.

    A second option reading stdin is a usage error, and the prompt must then be in the
    arguments (build_prompt leaves stdin alone).
    """
    owner = claimed_by()
    if owner is not None and owner != what:
        raise UsageError(f"stdin cannot hold both {owner} and {what}")
    if owner is None:
        source = stdin_stream()
        if source is None:
            state = "a terminal" if stdin_is_terminal() else "closed"
            raise UsageError(f"{what} reads stdin, but stdin is {state}")
        _claimed[:] = [(current().stdin, what, read_bytes(source, what, limit))]
    return _claimed[0][2]


def claimed_by() -> str | None:
    """The option that took this run's stdin, if one did."""
    if _claimed and _claimed[0][0] is current().stdin:
        return _claimed[0][1]
    return None


def build_prompt(words: list[str], ignore_stdin: bool = False) -> str:
    """The user's message: stdin material, a blank line, then the instruction from argv."""
    wants_stdin = words == ["-"]
    owner = claimed_by()
    if owner is not None:
        if wants_stdin:
            raise UsageError(f"stdin cannot hold both {owner} and the prompt (-)")
        ignore_stdin = True
    if wants_stdin:
        words = []
    argument = " ".join(words)
    material = ""
    if not ignore_stdin:
        source = stdin_stream()
        if source is not None:
            material = read_stdin(source)
        elif wants_stdin and stdin_is_terminal():
            raise UsageError("'-' reads the prompt from stdin, but stdin is a terminal")
    elif wants_stdin:
        raise UsageError("'-' reads the prompt from stdin, which --ignore-stdin turns off")
    if material.strip() and argument.strip():
        text = material.rstrip("\n") + "\n\n" + argument
    else:
        text = material if material.strip() else argument
    if not text.strip():
        if not words and not material:
            raise UsageError(
                'no prompt: give a question (perplex "why is the sky blue") or pipe text in'
            )
        raise UsageError("the prompt is empty")
    return text
