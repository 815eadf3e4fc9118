"""Option values: each read through one parser, checked before any I/O.

`validate(opts)` checks every value on its own (it is also how `config set` checks a value:
`validate(Options(field=value))`); the request builders of both APIs read the values through
the same parsers, so a value that validates is a value that builds. Every refusal is a
UsageError (exit 2) that names the option and what it allows.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from perplex_cli.errors import UsageError
from perplex_cli.request.choices import (
    CHAT_REASONING_EFFORTS,
    CONTEXT_SIZES,
    IMAGE_FORMATS,
    REASONING_EFFORTS,
    RECENCIES,
    SEARCH_MODES,
    SEARCH_TYPES,
    STREAM_MODES,
)
from perplex_cli.request.options import Options

MAX_SEARCH_DOMAINS = 20
MAX_IMAGE_DOMAINS = 10

# (Options field, flag, allowed values, API field or dotted path)
CHOICES: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("search_recency", "--search-recency", RECENCIES, "search_recency_filter"),
    ("search_mode", "--search-mode", SEARCH_MODES, "search_mode"),
    (
        "search_context_size",
        "--search-context-size",
        CONTEXT_SIZES,
        "web_search_options.search_context_size",
    ),
    ("search_type", "--search-type", SEARCH_TYPES, "web_search_options.search_type"),
    ("reasoning_effort", "--reasoning-effort", REASONING_EFFORTS, "reasoning_effort"),
    ("stream_mode", "--stream-mode", STREAM_MODES, "stream_mode"),
)
# (Options field, flag, API field): dates are sent as M/D/YYYY
DATES: tuple[tuple[str, str, str], ...] = (
    ("search_after", "--search-after", "search_after_date_filter"),
    ("search_before", "--search-before", "search_before_date_filter"),
    ("updated_after", "--updated-after", "last_updated_after_filter"),
    ("updated_before", "--updated-before", "last_updated_before_filter"),
)
# (Options field, API field): flags that send `true`
SWITCHES: tuple[tuple[str, str], ...] = (
    ("images", "return_images"),
    ("related_questions", "return_related_questions"),
    ("no_search", "disable_search"),
)


def validate(opts: Options) -> None:
    """Refuse values the API would refuse, naming the option and what it allows (exit 2)."""
    max_tokens(opts)
    temperature(opts)
    top_p(opts)
    stop(opts)
    for name, flag, allowed, _ in CHOICES:
        choice(getattr(opts, name), flag, allowed)
    search_domains(opts)
    image_domains(opts)
    image_formats(opts)
    dates = [(flag, date(getattr(opts, name), flag)) for name, flag, _ in DATES]
    for (after, start), (before, end) in (dates[0:2], dates[2:4]):
        if start and end and start > end:
            raise UsageError(
                f"{after} {start.isoformat()} is later than {before} {end.isoformat()}: "
                "no page can match both"
            )
    if opts.search_recency is not None and (opts.search_after or opts.search_before):
        raise UsageError(
            "--search-recency cannot be combined with --search-after/--search-before: "
            "use either a recency (hour, day, week, month, year) or publication dates"
        )
    if opts.no_stream and choice(opts.search_type, "--search-type", SEARCH_TYPES) == "pro":
        raise UsageError("--search-type pro works only when streaming: drop --no-stream")
    location(opts.location)
    language(opts.language)
    json_schema(opts.json_schema)
    if "-" in as_list(opts.attach):  # before the prompt is read: stdin is the file
        from perplex_cli.request.attach import stdin_attachment

        stdin_attachment()
    overrides(opts.option)


# Each parser below takes the raw value (None = not given) and returns what is sent.


def max_tokens(opts: Options) -> int | None:
    value: int | None = number(opts.max_tokens, "--max-tokens", int)
    if value is not None and value <= 0:
        raise UsageError(f"invalid value for --max-tokens: {value} (must be an integer > 0)")
    return value


def temperature(opts: Options) -> float | None:
    return in_range(number(opts.temperature, "--temperature", float), "--temperature", 0, 2)


def top_p(opts: Options) -> float | None:
    return in_range(number(opts.top_p, "--top-p", float), "--top-p", 0, 1)


def number(value: Any, flag: str, kind: Callable[[Any], Any]) -> Any:
    """An int or float from a flag or a config string; refuses anything else."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise UsageError(f"invalid value for {flag}: {value!r} (must be a number)")
    try:
        converted = kind(value)
    except (TypeError, ValueError):
        what = "an integer" if kind is int else "a number"
        raise UsageError(f"invalid value for {flag}: {value!r} (must be {what})") from None
    if kind is int and isinstance(value, float) and value != converted:
        raise UsageError(f"invalid value for {flag}: {value!r} (must be an integer)")
    if isinstance(converted, float) and not math.isfinite(converted):
        raise UsageError(f"invalid value for {flag}: {value!r} (must be a finite number)")
    return converted


def in_range(value: float | None, flag: str, low: float, high: float) -> float | None:
    if value is not None and not low <= value <= high:
        raise UsageError(f"invalid value for {flag}: {value:g} (must be between {low} and {high})")
    return value


def as_list(value: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """A repeatable option's values; a config file may give one string instead of a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def stop(opts: Options) -> str | list[str] | None:
    values = as_list(opts.stop)
    if not values:
        return None
    if any(v == "" for v in values):
        raise UsageError("invalid value for --stop: the stop text must not be empty")
    # One --stop is sent as a string, several as a list (docs/request-options.md).
    return values[0] if len(values) == 1 else values


def choice(value: str | None, flag: str, allowed: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    folded = str(value).strip().lower()
    if folded not in allowed:
        raise UsageError(f"invalid value for {flag}: {value!r} (choose from {', '.join(allowed)})")
    return folded


def chat_reasoning_effort(opts: Options) -> str | None:
    """--reasoning-effort as the chat API takes it: xhigh and max exist on the agent API only."""
    value = choice(opts.reasoning_effort, "--reasoning-effort", REASONING_EFFORTS)
    if value is not None and value not in CHAT_REASONING_EFFORTS:
        raise UsageError(
            f"invalid value for --reasoning-effort: {value!r} on the chat API (choose from "
            f"{', '.join(CHAT_REASONING_EFFORTS)}; {value} needs the agent API)"
        )
    return value


_HOST = re.compile(r"[\w-]+(?:\.[\w-]+)*")


def domain(entry: str, flag: str) -> str:
    """A bare domain, '-' kept: 'https://www.Example.com/a?b' -> 'example.com'."""
    text = entry.strip()
    deny = text.startswith("-")
    text = text.removeprefix("-").strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    host = re.split(r"[/?#]", text, maxsplit=1)[0].rsplit("@", 1)[-1]
    host = host.split(":", 1)[0].lower().rstrip(".")
    host = host.removeprefix("www.")
    if not _HOST.fullmatch(host) or host.startswith("-"):
        raise UsageError(
            f"invalid value for {flag}: {entry!r} (give a domain such as example.com, "
            "or -example.com to exclude it)"
        )
    return ("-" if deny else "") + host


def domains(values: Any, flag: str, limit: int) -> list[str] | None:
    entries = [domain(v, flag) for v in as_list(values)]
    if len(entries) > limit:
        raise UsageError(f"too many {flag} values: {len(entries)} (at most {limit})")
    return entries or None


def search_domains(opts: Options) -> list[str] | None:
    return domains(opts.search_domain, "--search-domain", MAX_SEARCH_DOMAINS)


def image_domains(opts: Options) -> list[str] | None:
    return domains(opts.image_domain, "--image-domain", MAX_IMAGE_DOMAINS)


def image_formats(opts: Options) -> list[str] | None:
    values = [choice(v, "--image-format", IMAGE_FORMATS) for v in as_list(opts.image_format)]
    return [v for v in values if v] or None


_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def date(value: str | None, flag: str) -> datetime.date | None:
    """A date given as YYYY-MM-DD or M/D/YYYY; an impossible date (2025-02-30) is refused."""
    if value is None:
        return None
    text = str(value).strip()
    iso = _ISO_DATE.fullmatch(text)
    us = _US_DATE.fullmatch(text)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    elif us:
        month, day, year = (int(g) for g in us.groups())
    else:
        raise UsageError(f"invalid value for {flag}: {value!r} (use YYYY-MM-DD or M/D/YYYY)")
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise UsageError(
            f"invalid value for {flag}: {value!r} is not a real date (use YYYY-MM-DD, or M/D/YYYY with the month first)"
        ) from None


def api_date(day: datetime.date) -> str:
    return f"{day.month}/{day.day}/{day.year}"


def location(value: str | None) -> dict[str, Any] | None:
    """LAT,LON[,CC] -> {latitude, longitude[, country]}."""
    if value is None:
        return None
    usage = (
        f"invalid value for --location: {value!r} (use LAT,LON[,CC]: latitude -90..90, "
        "longitude -180..180, CC a two-letter country code; e.g. 48.85,2.35,FR)"
    )
    parts = [p.strip() for p in str(value).split(",")]
    if len(parts) not in (2, 3):
        raise UsageError(usage)
    try:
        latitude, longitude = float(parts[0]), float(parts[1])
    except ValueError:
        raise UsageError(usage) from None
    finite = math.isfinite(latitude) and math.isfinite(longitude)
    if not finite or not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
        raise UsageError(usage)
    where: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    if len(parts) == 3:
        if not re.fullmatch(r"[A-Za-z]{2}", parts[2]):
            raise UsageError(usage)
        where["country"] = parts[2].upper()
    return where


def language(value: str | None, flag: str = "--language") -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not re.fullmatch(r"[A-Za-z]{2}", text):
        raise UsageError(
            f"invalid value for {flag}: {value!r} (an ISO 639-1 code: en, de, fr, ja, ...)"
        )
    return text.lower()


def json_schema(value: str | None) -> dict[str, Any] | None:
    """The JSON Schema given inline (`{...}`), on stdin (`-`) or in a file: one JSON object."""
    if value is None:
        return None
    if value.lstrip().startswith("{"):
        where, text = "--json-schema (inline)", value
    elif value == "-":
        from perplex_cli.request.prompt import claim_stdin, stdin_text

        where = "--json-schema -"
        text = stdin_text(claim_stdin(where), f"{where} (stdin)")
    else:
        where, text = f"--json-schema {value}", _schema_file(value)
    try:
        schema = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise UsageError(f"{where}: nested too deeply; it must hold a JSON Schema") from None
    except ValueError as exc:
        detail = (
            f"{exc.msg} at line {exc.lineno} column {exc.colno}"
            if isinstance(exc, json.JSONDecodeError)
            else str(exc)
        )
        raise UsageError(
            f"{where}: not valid JSON ({detail}); it must hold a JSON Schema"
        ) from None
    if not isinstance(schema, dict):
        raise UsageError(f"{where}: must hold a JSON object (a JSON Schema), not {_kind(schema)}")
    return schema


def _schema_file(path: str) -> str:
    """The file's text: a regular file of at most SCHEMA_LIMIT bytes (no FIFO, no device)."""
    from perplex_cli.local.files import SCHEMA_LIMIT, read_limited

    where = f"--json-schema {path}"

    def refuse(message: str, hint: str) -> UsageError:
        return UsageError(f"{where}: {message}; it must hold a JSON Schema")

    text = read_limited(Path(path).expanduser(), "the file", SCHEMA_LIMIT, refuse=refuse)
    if text is None:
        raise UsageError(f"{where}: cannot read the file: No such file or directory")
    return text


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _kind(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def overrides(values: Any) -> list[tuple[list[str], Any]]:
    """-o KEY=VALUE pairs as (dotted path, value); VALUE is JSON when it parses."""
    parsed = []
    for text in as_list(values):
        key, sep, raw = text.partition("=")
        path = key.strip().split(".")
        if not sep or any(not part for part in path):
            raise UsageError(
                f"invalid value for -o/--option: {text!r} (use KEY=VALUE, e.g. -o top_k=5 or "
                "-o web_search_options.search_context_size=high)"
            )
        try:
            value = json.loads(raw, parse_constant=_no_constant)
        except ValueError:
            value = raw
        except RecursionError:
            raise UsageError(f"invalid value for -o/--option {key}: nested too deeply") from None
        parsed.append((path, value))
    return parsed


def set_path(body: dict[str, Any], path: list[str], value: Any) -> None:
    """Set body[a][b]... = value, creating the objects on the way."""
    node = body
    for depth, part in enumerate(path[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        elif not isinstance(child, dict):
            where = ".".join(path[: depth + 1])
            raise UsageError(
                f"-o {'.'.join(path)}: {where} is {_kind(child)} in the request, not an object"
            )
        node = child
    node[path[-1]] = value
