"""Options -> the chat completions request body (`POST {base}/chat/completions`).

Each option maps to its API field through the parsers of `request/values.py`, which also
validated it before any I/O; `-o KEY=VALUE` overrides are applied last.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from perplex_cli.request.options import Options
from perplex_cli.request.settings import Settings
from perplex_cli.request.values import (
    CHOICES,
    DATES,
    SWITCHES,
    api_date,
    as_list,
    chat_reasoning_effort,
    choice,
    date,
    image_domains,
    image_formats,
    json_schema,
    language,
    location,
    max_tokens,
    overrides,
    search_domains,
    set_path,
    stop,
    temperature,
    top_p,
)


def build_messages(
    prompt: str, opts: Options, history: Sequence[dict[str, Any]] = ()
) -> list[dict[str, Any]]:
    """System first, then the earlier user/assistant turns, then the new user turn."""
    messages: list[dict[str, Any]] = []
    if opts.system:
        messages.append({"role": "system", "content": opts.system})
    messages.extend(history)
    content: Any = prompt
    if opts.attach:
        from perplex_cli.request.attach import content_parts

        content = [{"type": "text", "text": prompt}, *content_parts(as_list(opts.attach))]
    messages.append({"role": "user", "content": content})
    return messages


def build_body(
    messages: list[dict[str, Any]], opts: Options, settings: Settings, *, stream: bool
) -> dict[str, Any]:
    """The chat completions request body; -o overrides are applied last."""
    body: dict[str, Any] = {"model": settings.model, "messages": messages}
    fields: dict[str, Any] = {
        "max_tokens": max_tokens(opts),
        "temperature": temperature(opts),
        "top_p": top_p(opts),
        "stop": stop(opts),
        "search_domain_filter": search_domains(opts),
        "image_domain_filter": image_domains(opts),
        "image_format_filter": image_formats(opts),
        "web_search_options.user_location": location(opts.location),
        "language_preference": language(opts.language),
    }
    for name, flag, allowed, api in CHOICES:
        fields[api] = choice(getattr(opts, name), flag, allowed)
    fields["reasoning_effort"] = chat_reasoning_effort(opts)
    for name, flag, api in DATES:
        day = date(getattr(opts, name), flag)
        fields[api] = api_date(day) if day else None
    for name, api in SWITCHES:
        given = getattr(opts, name)
        fields[api] = None if given is None else bool(given)
    schema = json_schema(opts.json_schema)
    if schema is not None:
        fields["response_format"] = {"type": "json_schema", "json_schema": {"schema": schema}}
    for api, value in fields.items():
        if value is not None:
            set_path(body, api.split("."), value)
    body["stream"] = stream
    for path, value in overrides(opts.option):
        set_path(body, path, value)
    return body
