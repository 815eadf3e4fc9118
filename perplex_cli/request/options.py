"""What the user gave on the command line, as plain data: no command-line framework here.

`Options` holds every shared option; None means "not given", so that the one place that
fills defaults (`settings.py`) can apply flags > environment > config > defaults. The
typer declarations of these fields are in `options.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

# The options of the commands that connect to the API without asking (search, research wait).
CONNECTION_FLAGS = (
    "--quiet",
    "--base-url",
    "--timeout",
    "--connect-timeout",
    "--retries",
    "--proxy",
    "--api-key-file",
    "--allow-insecure-http",
)


def flag_only() -> Any:
    """A field the config file may not set (settings derives the config keys from Options)."""
    return field(default=None, metadata={"config": False})


@dataclass
class Options:
    """What the user gave on the command line; None means "not given"."""

    # request fields
    model: str | None = None
    api: str | None = None
    preset: str | None = None
    # agent API tools and run limits (per run only)
    tool: list[str] | None = flag_only()  # noqa: RUF009
    skill: list[str] | None = flag_only()  # noqa: RUF009
    max_steps: int | None = flag_only()
    web_max_results: int | None = flag_only()  # not max_results: search has its own
    models: str | None = flag_only()
    save_files: str | None = flag_only()
    system: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: list[str] | None = None
    search_domain: list[str] | None = None
    search_recency: str | None = None
    search_after: str | None = None
    search_before: str | None = None
    updated_after: str | None = None
    updated_before: str | None = None
    search_mode: str | None = None
    search_context_size: str | None = None
    search_type: str | None = None
    location: str | None = None
    language: str | None = None
    images: bool | None = None
    image_domain: list[str] | None = None
    image_format: list[str] | None = None
    related_questions: bool | None = None
    reasoning_effort: str | None = None
    no_search: bool | None = None
    json_schema: str | None = flag_only()
    stream_mode: str | None = None
    option: list[str] | None = None
    attach: list[str] | None = flag_only()  # noqa: RUF009
    # what to do with the request
    dry_run: bool | None = flag_only()
    no_stream: bool | None = None
    # output
    format: str | None = None
    reasoning: bool | None = None
    no_citations: bool | None = None
    no_markers: bool | None = None
    quiet: bool | None = None
    render: bool | None = None
    usage: bool | None = None
    no_color: bool | None = None
    # connection
    base_url: str | None = None
    timeout: float | None = None
    connect_timeout: float | None = None
    retries: int | None = None
    proxy: str | None = None
    # local data
    log: bool | None = None
    # key and transport safety: per run only, never from the config file
    api_key_file: str | None = flag_only()
    allow_insecure_http: bool | None = flag_only()
    debug: bool | None = flag_only()


# Every field of Options is a shared option (tests/test_startup.py checks it against the
# table): the names are known without building the options.
SHARED_NAMES = OPTION_FIELDS = frozenset(f.name for f in fields(Options))
