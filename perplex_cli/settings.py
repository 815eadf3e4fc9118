"""The one place where defaults are filled: flags > environment > config > defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from .errors import AuthError, UsageError
from .options import APIS, FORMATS, Options

DEFAULT_BASE_URL = "https://api.perplexity.ai"
MAX_TIMEOUT = 86400.0  # a day: more than any answer needs

DEFAULTS: dict[str, Any] = {
    "model": "sonar",
    "api": "chat",
    "format": "text",
    "reasoning": False,
    "no_citations": False,
    "quiet": False,
    "render": False,
    "usage": False,
    "no_color": False,
    "base_url": DEFAULT_BASE_URL,
    "timeout": 300.0,
    "connect_timeout": 10.0,
    "retries": 2,
    "log": True,
}

ENVIRONMENT = {"base_url": "PERPLEXITY_BASE_URL"}
KEY_VARIABLES = ("PERPLEXITY_API_KEY", "PPLX_API_KEY")


@dataclass
class Settings:
    """Concrete values for one run."""

    model: str
    api: str
    format: str
    reasoning: bool
    no_citations: bool
    quiet: bool
    render: bool
    usage: bool
    no_color: bool
    base_url: str
    timeout: float
    connect_timeout: float
    retries: int
    log: bool


def resolve(opts: Options) -> Settings:
    """Fill every option that was not given and check the values that need no request."""
    values: dict[str, Any] = {}
    for name, default in DEFAULTS.items():
        given = getattr(opts, name)
        if given is None and name in ENVIRONMENT:
            given = os.environ.get(ENVIRONMENT[name]) or None
        values[name] = default if given is None else given
    settings = Settings(**values)
    check(settings)
    return settings


def check(settings: Settings) -> None:
    if settings.format not in FORMATS:
        raise UsageError(
            f"invalid value for -f/--format: {settings.format!r} (choose from {', '.join(FORMATS)})"
        )
    if settings.api not in APIS:
        raise UsageError(
            f"invalid value for --api: {settings.api!r} (choose from {', '.join(APIS)})"
        )
    for name, seconds in (("--timeout", settings.timeout), ("--connect-timeout", settings.connect_timeout)):
        # Also refuses nan and inf, which the socket layer cannot take.
        if not 0 < seconds <= MAX_TIMEOUT:
            raise UsageError(f"invalid value for {name}: must be > 0 and at most {MAX_TIMEOUT:g} seconds")
    if settings.retries < 0:
        raise UsageError("invalid value for --retries: must be >= 0")
    if not settings.base_url.startswith(("http://", "https://")):
        raise UsageError(f"invalid base URL {settings.base_url!r}: it must start with https://")


def api_key() -> str:
    """The API key from the environment; exit 3 with how to set one when there is none."""
    for name in KEY_VARIABLES:
        value = os.environ.get(name)
        if value is not None and value.strip():
            return value.strip()
        if value is not None:
            raise AuthError(f"{name} is set but empty")
    raise AuthError(
        "no API key: set PERPLEXITY_API_KEY (or PPLX_API_KEY)",
        hint="get a key at https://www.perplexity.ai/settings/api",
    )
