"""Options -> the request body. Validation lives here and runs before any I/O."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .errors import UsageError
from .options import Options
from .settings import Settings


def validate(opts: Options) -> None:
    """Refuse values the API would refuse, naming the option and what it allows (exit 2)."""
    if opts.max_tokens is not None and opts.max_tokens <= 0:
        raise UsageError("invalid value for --max-tokens: must be > 0")
    if opts.temperature is not None and not 0 <= opts.temperature <= 2:
        raise UsageError("invalid value for --temperature: must be between 0 and 2")


def build_messages(
    prompt: str, opts: Options, history: Sequence[dict[str, Any]] = ()
) -> list[dict[str, Any]]:
    """System first, then the earlier user/assistant turns, then the new user turn."""
    messages: list[dict[str, Any]] = []
    if opts.system:
        messages.append({"role": "system", "content": opts.system})
    messages.extend(history)
    messages.append({"role": "user", "content": prompt})
    return messages


def build_body(
    messages: list[dict[str, Any]], opts: Options, settings: Settings, *, stream: bool
) -> dict[str, Any]:
    """The chat completions request body."""
    body: dict[str, Any] = {"model": settings.model, "messages": messages}
    if opts.max_tokens is not None:
        body["max_tokens"] = opts.max_tokens
    if opts.temperature is not None:
        body["temperature"] = opts.temperature
    body["stream"] = stream
    return body
